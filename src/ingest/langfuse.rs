//! Langfuse observation exports (JSON lines, or the JSON array the UI and
//! the public API give, which is read one element per line).
//!
//! Each observation of type `GENERATION` (or `EMBEDDING`) is a call; spans,
//! events, agents, tools … carry no usage of their own and are not calls.
//!
//! Langfuse stores usage as `usageDetails`, one count per usage type, and
//! prices each type on its own, so the types do not overlap: when it ingests
//! OpenAI usage it moves every `prompt_tokens_details` entry out of `input`
//! into `input_<name>` (`input_cached_tokens`, `input_audio_tokens`) and every
//! `completion_tokens_details` entry out of `output` into `output_<name>`
//! (`output_reasoning_tokens`). So here:
//!
//! - cache reads: `input_cached_tokens`, `input_cache_read`,
//!   `cache_read_input_tokens` (any usage type naming a cache read);
//! - cache writes: `cache_creation_input_tokens`, `input_cache_creation`
//!   (5-minute), `…_1h` ones as 1-hour writes;
//! - input: `input` plus the other `input_*` types (audio, images);
//! - output: `output` plus every `output_*` type, reasoning included.
//!
//! Older exports without `usageDetails` give `usage` {input, output} or
//! `promptTokens` / `completionTokens`. The cost Langfuse computed
//! (`costDetails.total`, else `calculatedTotalCost`, else `totalCost`) is the
//! billed cost.

use serde_json::Value;

use super::fields::{
    count, latency_ms, missing, money, parse_object, problem, text, time, Envelope, Object,
};
use super::format::{Context, InputFormat, OneCallPerLine, Sniff};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "langfuse",
    title: "Langfuse observation exports (JSON lines or one JSON array)",
    example: r#"{"id":"obs-1","traceId":"t-1","type":"GENERATION","startTime":"2026-03-10T09:00:00.000Z","model":"gpt-4o","usageDetails":{"input":176,"input_cached_tokens":1024,"output":300},"costDetails":{"total":0.00472}}"#,
    mapping: "one observation per line (or a JSON array of them); GENERATION and EMBEDDING observations are calls, other types are not; usageDetails types do not overlap (Langfuse moves OpenAI's cached and reasoning counts out of input/output): cache_read = input_cached_tokens / input_cache_read / cache_read_input_tokens, cache writes = cache_creation_input_tokens / input_cache_creation (…1h as 1-hour), input = input + other input_* types, output = output + every output_* type (reasoning included); falls back to usage {input, output} or promptTokens/completionTokens; billed = costDetails.total, else calculatedTotalCost; time = startTime; session = sessionId if exported, else traceId; id = observation id (duplicates folded); level ERROR = failed call (without usage: not a call); tags name, environment",
    detect,
    parser: |ctx: &Context| OneCallPerLine::boxed("langfuse", parse_line, ctx),
};

/// Observation types Langfuse knows.
const TYPES: [&str; 10] = [
    "GENERATION",
    "EMBEDDING",
    "SPAN",
    "EVENT",
    "AGENT",
    "TOOL",
    "CHAIN",
    "RETRIEVER",
    "EVALUATOR",
    "GUARDRAIL",
];

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        m.contains_key("traceId")
            && m.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| TYPES.contains(&t))
            && (m.contains_key("startTime") || m.contains_key("usageDetails"))
    })
}

/// Reads one observation: `Ok(None)` for observations that are not model
/// calls.
pub fn parse_line(line: &[u8]) -> Result<Option<Call>, LineProblem> {
    let obs = parse_object(line)?;
    let kind = match obs.get("type") {
        Some(Value::String(t)) => t.as_str(),
        None | Some(Value::Null) => return Err(missing("type")),
        Some(_) => return Err(problem(SkipReason::BadField, "type", "expected a string")),
    };
    if !matches!(kind, "GENERATION" | "EMBEDDING") {
        return Ok(None);
    }
    let failed = obs.get("level").and_then(Value::as_str) == Some("ERROR");
    let usage = match read_usage(&obs)? {
        Some(u) => u,
        None if failed => return Ok(None),
        None => return Err(missing("usageDetails")),
    };
    let ts = match obs.get("startTime") {
        None | Some(Value::Null) => return Err(missing("startTime")),
        Some(v) => time(v, "startTime")?,
    };
    let end = obs
        .get("endTime")
        .filter(|v| !v.is_null())
        .and_then(|v| time(v, "endTime").ok());
    let model = match text(obs.get("model")) {
        Some(m) => m,
        None => super::fields::model(obs.get("providedModelName"), "model")?,
    };
    let mut env = Envelope {
        session: text(obs.get("sessionId")).or_else(|| text(obs.get("traceId"))),
        latency_ms: latency_ms(ts, end),
        success: failed.then_some(false),
        ..Envelope::default()
    };
    if let Some(name) = text(obs.get("name")) {
        env.tags.insert("name".to_string(), name);
    }
    if let Some(environment) = text(obs.get("environment")).filter(|e| e != "default") {
        env.tags.insert("environment".to_string(), environment);
    }
    let mut call = env.call(ts, "", model, usage, text(obs.get("id")));
    call.provider = None;
    call.billed = match obs.get("costDetails").and_then(|c| c.get("total")) {
        Some(v) if !v.is_null() => money(Some(v), "costDetails.total")?,
        _ => match money(obs.get("calculatedTotalCost"), "calculatedTotalCost")? {
            Some(m) => Some(m),
            None => money(obs.get("totalCost"), "totalCost")?,
        },
    };
    Ok(Some(call))
}

/// The observation's usage; `None` when it records no token counts.
fn read_usage(obs: &Object) -> Result<Option<Usage>, LineProblem> {
    if let Some(Value::Object(details)) = obs.get("usageDetails") {
        if let Some(u) = from_details(details, "usageDetails")? {
            return Ok(Some(u));
        }
    }
    if let Some(Value::Object(usage)) = obs.get("usage") {
        if let Some(unit) = usage.get("unit").and_then(Value::as_str) {
            if !unit.eq_ignore_ascii_case("TOKENS") {
                return Err(problem(
                    SkipReason::BadField,
                    "usage.unit",
                    &format!("{unit:?} usage is not tokens"),
                ));
            }
        }
        let input = count(usage.get("input"), "usage.input")?;
        let output = count(usage.get("output"), "usage.output")?;
        if input.is_some() || output.is_some() {
            return Ok(Some(Usage {
                input: input.unwrap_or(0),
                output: output.unwrap_or(0),
                ..Usage::default()
            }));
        }
    }
    let input = match count(obs.get("promptTokens"), "promptTokens")? {
        Some(n) => Some(n),
        None => count(obs.get("inputUsage"), "inputUsage")?,
    };
    let output = match count(obs.get("completionTokens"), "completionTokens")? {
        Some(n) => Some(n),
        None => count(obs.get("outputUsage"), "outputUsage")?,
    };
    Ok((input.is_some() || output.is_some()).then(|| Usage {
        input: input.unwrap_or(0),
        output: output.unwrap_or(0),
        ..Usage::default()
    }))
}

/// Canonical usage from Langfuse usage types (see the module comment).
fn from_details(details: &Object, at: &str) -> Result<Option<Usage>, LineProblem> {
    let mut usage = Usage::default();
    let mut any = false;
    for (key, value) in details {
        let k = key.to_ascii_lowercase();
        if matches!(k.as_str(), "total" | "total_tokens") {
            continue;
        }
        let Some(n) = count(Some(value), &format!("{at}.{key}"))? else {
            continue;
        };
        let slot = if k.contains("cache") {
            if k.contains("read") || k.contains("cached") || k.contains("hit") {
                &mut usage.cache_read
            } else if k.contains("creation") || k.contains("write") {
                if k.contains("1h") {
                    &mut usage.cache_write_1h
                } else {
                    &mut usage.cache_write_5m
                }
            } else {
                continue;
            }
        } else if k == "input" || k == "input_tokens" || k.starts_with("input_") {
            &mut usage.input
        } else if k == "output" || k == "output_tokens" || k.starts_with("output_") {
            if k.contains("reasoning") {
                usage.reasoning += n;
            }
            &mut usage.output
        } else {
            // Usage types that are not tokens (web searches, images, …).
            continue;
        };
        *slot += n;
        any = true;
    }
    Ok(any.then_some(usage))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    fn call(line: &str) -> Call {
        crate::ingest::format::test_call(parse_line, line)
    }

    #[test]
    fn openai_usage_types_are_put_back_together() {
        let c = call(
            r#"{"id":"o1","traceId":"t-1","type":"GENERATION","name":"answer","startTime":"2026-03-10T09:00:00.000Z","endTime":"2026-03-10T09:00:01.250Z","model":"gpt-4o","usageDetails":{"input":176,"input_cached_tokens":1024,"output":250,"output_reasoning_tokens":50,"total":1500},"costDetails":{"input":0.00172,"output":0.003,"total":0.00472}}"#,
        );
        assert_eq!(
            (
                c.usage.input,
                c.usage.cache_read,
                c.usage.output,
                c.usage.reasoning
            ),
            (176, 1024, 300, 50)
        );
        assert_eq!(c.billed, Some(Money(4_720_000_000_000)));
        assert_eq!(c.session.as_deref(), Some("t-1"));
        assert_eq!(c.latency_ms, Some(1250));
        assert_eq!(c.tags["name"], "answer");
    }

    #[test]
    fn anthropic_usage_types() {
        let c = call(
            r#"{"id":"o2","traceId":"t-2","type":"GENERATION","startTime":"2026-03-10T09:10:00Z","model":"claude-sonnet-4-5","usageDetails":{"input":40,"cache_read_input_tokens":5000,"cache_creation_input_tokens":1000,"input_cache_creation_1h":300,"output":700},"calculatedTotalCost":0.01587}"#,
        );
        assert_eq!(
            (
                c.usage.input,
                c.usage.cache_read,
                c.usage.cache_write_5m,
                c.usage.cache_write_1h,
                c.usage.output
            ),
            (40, 5000, 1000, 300, 700)
        );
        assert_eq!(c.billed, Some(Money(15_870_000_000_000)));
    }

    #[test]
    fn other_observations() {
        assert!(matches!(
            parse_line(
                br#"{"id":"s","traceId":"t","type":"SPAN","startTime":"2026-03-10T09:00:00Z"}"#
            ),
            Ok(None)
        ));
        assert!(matches!(
            parse_line(br#"{"id":"e","traceId":"t","type":"GENERATION","level":"ERROR","startTime":"2026-03-10T09:00:00Z","model":"gpt-4o","usageDetails":{}}"#),
            Ok(None)
        ));
        let e = parse_line(br#"{"id":"g","traceId":"t","type":"GENERATION","startTime":"2026-03-10T09:00:00Z","model":null,"usageDetails":{"input":1}}"#).unwrap_err();
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(e.message.contains("\"model\""), "{}", e.message);
    }
}
