//! Anthropic Messages API responses and Message Batches results.
//!
//! Each line is a Messages response (`"type": "message"`), a Message Batches
//! results line (`{"custom_id":…,"result":{"type":"succeeded","message":{…}}}`,
//! read as a batch call; errored, canceled and expired requests carry no
//! usage), or either of them inside an envelope
//! `{"timestamp":…,"response":{…},"metadata":{"session":…,"account":…,"tags":{…}}}`.
//! Anthropic responses carry no time: the envelope's (or a `timestamp` key
//! on the line itself) dates a call; bare responses, as saved from the API,
//! are dated by `--assume-time`, else by their file's modification time, and
//! marked so the report header counts them.
//!
//! Anthropic's `input_tokens` already excludes cache reads and writes, as
//! canonical `input` does; `cache_creation` splits the writes by TTL (without
//! it every write is a 5-minute write).
//!
//! A response with `usage.iterations` (server-side compaction, the advisor
//! tool) ran several sampling passes, each billed: the top-level usage
//! leaves the compaction pass out and counts only the executor's passes,
//! while advisor passes run on another model. Such a response is one call
//! per iteration, each at its own model (`iterations[].model`, else the
//! response's), and the top-level counts are not used.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::fields::{
    count, envelope_time, missing, parse_object, path, problem, text, Envelope, Object,
};
use super::format::{Context, CopyOf, Dedup, InputFormat, LineParser, Parsed, Sniff};
use super::{LineProblem, SkipReason};
use crate::record::{Call, CallOptions, OptionKey, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "anthropic",
    title: "Anthropic Messages API responses",
    example: r#"{"timestamp":"2026-03-05T08:00:00Z","response":{"id":"msg_01","type":"message","model":"claude-sonnet-4-5","usage":{"input_tokens":50,"cache_creation_input_tokens":6000,"cache_read_input_tokens":0,"output_tokens":800}}}"#,
    mapping: "a Messages response (type \"message\") or a Message Batches results line (batch call; errored/canceled/expired results carry no usage), wrapped as {\"timestamp\"|\"ts\"|\"time\":…,\"response\":{…},\"metadata\":{\"session\",\"account\",\"step\",\"tags\",…}} because responses carry no time; input = input_tokens (already excludes cache), cache_read = cache_read_input_tokens, cache writes = cache_creation.ephemeral_5m/1h_input_tokens (all of cache_creation_input_tokens as 5m when not split), output = output_tokens; usage.service_tier \"batch\" marks a batch call; usage.speed (fast mode), usage.inference_geo and other service tiers are request options priced by the catalog; with usage.iterations (compaction, advisor tool) one call per iteration at its own model instead of the top-level counts; bare responses without a time are dated by --assume-time, else the file's modification time; id = message id (duplicates folded); provider anthropic",
    detect,
    parser: |ctx: &Context| {
        Box::new(Anthropic {
            undated: ctx.undated,
            dedup: ctx.dedup.clone(),
        })
    },
};

/// Reads lines independently; knows the time given to undated responses.
struct Anthropic {
    undated: Option<DateTime<Utc>>,
    dedup: Arc<Dedup>,
}

impl LineParser for Anthropic {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        match read_line(line, self.undated) {
            Ok(calls) if calls.is_empty() => Parsed::NotACall,
            Ok(mut calls) if calls.len() == 1 => self.dedup.call("anthropic", calls.remove(0)),
            Ok(calls) => {
                // Each response with an id is a copy the run keeps once;
                // a line mixing responses with and without ids (none seen
                // in real files) is kept whole.
                if calls.iter().all(|c| c.id.is_some()) {
                    let copies: Vec<(Call, CopyOf)> = calls
                        .into_iter()
                        .filter_map(|c| Dedup::copy_of("anthropic", &c).map(|of| (c, of)))
                        .collect();
                    Parsed::Copies(copies)
                } else {
                    Parsed::Calls(calls)
                }
            }
            Err(p) => Parsed::Problem(p),
        }
    }
}

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| looks_like(m, 0))
}

fn looks_like(m: &Object, depth: u32) -> bool {
    if m.get("type").and_then(Value::as_str) == Some("message") && m.contains_key("usage") {
        return true;
    }
    if m.contains_key("custom_id") && m.get("result").is_some_and(Value::is_object) {
        return true;
    }
    match m.get("response") {
        Some(Value::Object(inner)) if depth < 2 => looks_like(inner, depth + 1),
        _ => false,
    }
}

/// Reads one line's calls (none when it carries no usage: a failed batch
/// request, an error response; several for a response with iterations).
/// `undated` is the time of a response that carries none.
pub fn read_line(line: &[u8], undated: Option<DateTime<Utc>>) -> Result<Vec<Call>, LineProblem> {
    let obj = parse_object(line)?;
    let mut env = Envelope::default();
    read(&obj, &mut env, 0, undated)
}

fn no_time() -> LineProblem {
    LineProblem::new(
        SkipReason::MissingField,
        "field \"timestamp\": missing — Anthropic responses carry no time; give one with --assume-time or wrap them as {\"timestamp\":...,\"response\":{...}}".to_string(),
    )
}

fn read(
    obj: &Object,
    env: &mut Envelope,
    depth: u32,
    undated: Option<DateTime<Utc>>,
) -> Result<Vec<Call>, LineProblem> {
    let kind = obj.get("type").and_then(Value::as_str);
    if obj.contains_key("custom_id") && obj.contains_key("result") {
        if env.ts.is_none() {
            env.ts = envelope_time(obj, &env.prefix)?;
        }
        let result = match obj.get("result") {
            Some(Value::Object(r)) => r,
            _ => {
                return Err(problem(
                    SkipReason::BadField,
                    &format!("{}result", env.prefix),
                    "expected an object",
                ))
            }
        };
        if result.get("type").and_then(Value::as_str) != Some("succeeded") {
            // errored, canceled, expired: not billed.
            return Ok(Vec::new());
        }
        let message = match result.get("message") {
            Some(Value::Object(m)) => m,
            _ => return Err(missing(&format!("{}result.message", env.prefix))),
        };
        env.batch = true;
        env.prefix.push_str("result.message.");
        return message_calls(message, env, undated);
    }
    if kind == Some("message") {
        if env.ts.is_none() {
            env.ts = envelope_time(obj, &env.prefix)?;
        }
        return message_calls(obj, env, undated);
    }
    if kind == Some("error") {
        return Ok(Vec::new());
    }
    if let Some(Value::Object(inner)) = obj.get("response") {
        if depth >= 2 {
            return Err(problem(
                SkipReason::BadField,
                &format!("{}response", env.prefix),
                "envelopes nested too deep",
            ));
        }
        env.absorb(obj)?;
        env.prefix.push_str("response.");
        return read(inner, env, depth + 1, undated);
    }
    Err(LineProblem::new(
        SkipReason::BadField,
        format!(
            "{}: not an Anthropic response: expected \"type\": \"message\", a Message Batches result line, or {{\"timestamp\":…,\"response\":{{…}}}}",
            if env.prefix.is_empty() {
                "record".to_string()
            } else {
                format!("field \"{}\"", env.prefix.trim_end_matches('.'))
            }
        ),
    ))
}

fn message_calls(
    msg: &Object,
    env: &mut Envelope,
    undated: Option<DateTime<Utc>>,
) -> Result<Vec<Call>, LineProblem> {
    let p = env.prefix.clone();
    let u = match msg.get("usage") {
        Some(Value::Object(u)) => u,
        None | Some(Value::Null) => return Err(missing(&format!("{p}usage"))),
        Some(_) => {
            return Err(problem(
                SkipReason::BadField,
                &format!("{p}usage"),
                "expected an object",
            ))
        }
    };
    let usage = usage_of(u, &format!("{p}usage"))?;
    let mut options = CallOptions::default();
    if let Some(tier) = u.get("service_tier").and_then(Value::as_str) {
        if tier == "batch" {
            env.batch = true;
        } else if tier != "standard" {
            env.tags
                .entry("service_tier".to_string())
                .or_insert_with(|| tier.to_string());
            options.set(OptionKey::ServiceTier, tier);
        }
    }
    for key in [OptionKey::Speed, OptionKey::InferenceGeo] {
        if let Some(value) = u.get(key.name()).and_then(Value::as_str) {
            options.set(key, value);
        }
    }
    for (field, tool) in [
        ("web_search_requests", "web_search"),
        ("web_fetch_requests", "web_fetch"),
    ] {
        let uses = count(
            path(u, &["server_tool_use", field]),
            &format!("{p}usage.server_tool_use.{field}"),
        )?;
        options.add_tool_uses(tool, uses.unwrap_or(0));
    }
    let model = super::fields::model(msg.get("model"), &format!("{p}model"))?;
    let (ts, assumed) = match (env.ts, undated) {
        (Some(ts), _) => (ts, false),
        (None, Some(ts)) => (ts, true),
        (None, None) => return Err(no_time()),
    };
    let id = text(msg.get("id"));
    let iterations = match u.get("iterations") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        None | Some(Value::Null) | Some(Value::Array(_)) => {
            let mut call = env.call(ts, "anthropic", model, usage, id);
            call.undated = assumed;
            call.options = options;
            return Ok(vec![call]);
        }
        Some(_) => {
            return Err(problem(
                SkipReason::BadField,
                &format!("{p}usage.iterations"),
                "expected an array",
            ))
        }
    };
    let mut calls = Vec::with_capacity(iterations.len());
    for (i, pass) in iterations.iter().enumerate() {
        let at = format!("{p}usage.iterations[{i}]");
        let Value::Object(pass) = pass else {
            return Err(problem(SkipReason::BadField, &at, "expected an object"));
        };
        let pass_model = match pass.get("model") {
            None | Some(Value::Null) => model.clone(),
            other => super::fields::model(other, &format!("{at}.model"))?,
        };
        let mut call = env.call(
            ts,
            "anthropic",
            pass_model,
            usage_of(pass, &at)?,
            id.as_ref().map(|id| format!("{id}#{i}")),
        );
        if let Some(kind) = pass.get("type").and_then(Value::as_str) {
            if kind != "message" {
                call.tags.insert("iteration".to_string(), kind.to_string());
            }
        }
        call.undated = assumed;
        call.options = options.clone();
        if i > 0 {
            // The response's tool uses are billed once, with its first pass.
            call.options.tool_uses.clear();
        }
        calls.push(call);
    }
    Ok(calls)
}

/// The token counts of a usage object (the top level or one iteration);
/// `at` is its path, for messages.
fn usage_of(u: &Object, at: &str) -> Result<Usage, LineProblem> {
    let field = |name: &str| format!("{at}.{name}");
    let input = count(u.get("input_tokens"), &field("input_tokens"))?;
    let output = count(u.get("output_tokens"), &field("output_tokens"))?;
    if input.is_none() && output.is_none() {
        return Err(missing(&field("input_tokens")));
    }
    let cache_read = count(
        u.get("cache_read_input_tokens"),
        &field("cache_read_input_tokens"),
    )?;
    let written = count(
        u.get("cache_creation_input_tokens"),
        &field("cache_creation_input_tokens"),
    )?;
    let w5 = count(
        path(u, &["cache_creation", "ephemeral_5m_input_tokens"]),
        &field("cache_creation.ephemeral_5m_input_tokens"),
    )?;
    let w1 = count(
        path(u, &["cache_creation", "ephemeral_1h_input_tokens"]),
        &field("cache_creation.ephemeral_1h_input_tokens"),
    )?;
    let (cache_write_5m, cache_write_1h) = match (w5, w1) {
        (None, None) => (written.unwrap_or(0), 0),
        (w5, w1) => {
            let (w5, w1) = (w5.unwrap_or(0), w1.unwrap_or(0));
            match written {
                // Older totals without a matching split: the rest is 5m.
                Some(total) if total > w5 + w1 => (total - w1, w1),
                Some(total) if total < w5 + w1 => {
                    return Err(LineProblem::new(
                        SkipReason::Inconsistent,
                        format!(
                            "field \"{}\": {} + {} exceeds {} {total}",
                            field("cache_creation"),
                            w5,
                            w1,
                            field("cache_creation_input_tokens")
                        ),
                    ))
                }
                _ => (w5, w1),
            }
        }
    };
    Ok(Usage {
        input: input.unwrap_or(0),
        cache_read: cache_read.unwrap_or(0),
        cache_write_5m,
        cache_write_1h,
        output: output.unwrap_or(0),
        reasoning: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &[u8]) -> Result<Option<Call>, LineProblem> {
        read_line(line, None).map(|mut calls| calls.pop())
    }

    fn call(line: &str) -> Call {
        crate::ingest::format::test_call(parse_line, line)
    }

    const BARE: &str = r#"{"id":"msg_9","type":"message","model":"claude-sonnet-4-6","usage":{"input_tokens":220,"output_tokens":8,"cache_read_input_tokens":0,"cache_creation_input_tokens":0,"iterations":[{"type":"compaction","input_tokens":55196,"output_tokens":125,"cache_read_input_tokens":0,"cache_creation_input_tokens":0},{"type":"message","input_tokens":220,"output_tokens":8,"cache_read_input_tokens":0,"cache_creation_input_tokens":0},{"type":"advisor_message","model":"claude-opus-4-8","input_tokens":2518,"output_tokens":22}]}}"#;

    #[test]
    fn iterations_are_calls_at_their_own_models() {
        let at = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let calls = read_line(BARE.as_bytes(), Some(at)).unwrap();
        let seen: Vec<(&str, u64, u64, Option<&str>)> = calls
            .iter()
            .map(|c| {
                (
                    c.model.as_str(),
                    c.usage.input,
                    c.usage.output,
                    c.tags.get("iteration").map(String::as_str),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("claude-sonnet-4-6", 55196, 125, Some("compaction")),
                ("claude-sonnet-4-6", 220, 8, None),
                ("claude-opus-4-8", 2518, 22, Some("advisor_message")),
            ]
        );
        assert!(calls.iter().all(|c| c.undated && c.ts == at));
        assert_eq!(calls[2].id.as_deref(), Some("msg_9#2"));
    }

    #[test]
    fn a_repeated_response_folds_all_its_iterations() {
        let mut p = (FORMAT.parser)(&Context {
            file: "t".to_string(),
            path: None,
            dedup: Arc::default(),
            undated: Some(DateTime::UNIX_EPOCH),
        });
        // Three iterations, each a copy the run keeps once: read again, the
        // same three.
        let first = p.parse(BARE.as_bytes()).copy_keys();
        assert_eq!(first.len(), 3);
        assert_eq!(p.parse(BARE.as_bytes()).copy_keys(), first);
    }

    #[test]
    fn reads_cache_writes_by_ttl() {
        let c = call(
            r#"{"timestamp":"2026-03-05T08:00:00Z","response":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":30,"cache_creation_input_tokens":2000,"cache_read_input_tokens":6000,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":2000},"output_tokens":400}},"metadata":{"session":"a-1"}}"#,
        );
        assert_eq!(
            (
                c.usage.input,
                c.usage.cache_read,
                c.usage.cache_write_5m,
                c.usage.cache_write_1h,
                c.usage.output
            ),
            (30, 6000, 0, 2000, 400)
        );
        assert_eq!(c.session.as_deref(), Some("a-1"));
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        let c = call(
            r#"{"ts":1772697600,"response":{"id":"msg_2","type":"message","model":"claude-haiku-4-5","usage":{"input_tokens":10,"cache_creation_input_tokens":1500,"output_tokens":3}}}"#,
        );
        assert_eq!((c.usage.cache_write_5m, c.usage.cache_write_1h), (1500, 0));
    }

    #[test]
    fn needs_a_time() {
        let e = parse_line(
            br#"{"id":"msg_3","type":"message","model":"claude-haiku-4-5","usage":{"input_tokens":10,"output_tokens":3}}"#,
        )
        .unwrap_err();
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(
            e.message.starts_with("field \"timestamp\": missing"),
            "{}",
            e.message
        );
    }

    #[test]
    fn batch_results() {
        let c = call(
            r#"{"timestamp":"2026-03-05T09:00:00Z","response":{"custom_id":"q1","result":{"type":"succeeded","message":{"id":"msg_4","type":"message","model":"claude-haiku-4-5","usage":{"input_tokens":10,"output_tokens":2,"service_tier":"batch"}}}}}"#,
        );
        assert!(c.batch);
        let c = call(
            r#"{"custom_id":"q1","timestamp":"2026-03-05T09:00:00Z","result":{"type":"succeeded","message":{"id":"msg_5","type":"message","model":"claude-haiku-4-5","usage":{"input_tokens":10,"output_tokens":2}}}}"#,
        );
        assert!(c.batch);
        assert!(matches!(
            parse_line(br#"{"custom_id":"q2","result":{"type":"errored","error":{"type":"invalid_request_error"}}}"#),
            Ok(None)
        ));
        let e = parse_line(
            br#"{"custom_id":"q3","result":{"type":"succeeded","message":{"id":"msg_6","type":"message","model":"claude-haiku-4-5","usage":{"input_tokens":1,"output_tokens":1}}}}"#,
        )
        .unwrap_err();
        assert!(
            e.message.contains("Anthropic responses carry no time"),
            "{}",
            e.message
        );
    }

    #[test]
    fn detects_its_shapes_only() {
        let sniff = |line: &'static [u8]| Sniff::new(vec![line], None);
        assert!(detect(&sniff(
            br#"{"timestamp":1,"response":{"type":"message","usage":{}}}"#
        )));
        assert!(detect(&sniff(
            br#"{"custom_id":"a","result":{"type":"errored"}}"#
        )));
        assert!(!detect(&sniff(
            br#"{"ts":1,"response":{"object":"chat.completion"}}"#
        )));
        assert!(!detect(&sniff(
            br#"{"ts":"2026-03-01T00:00:00Z","model":"m","usage":{"input":1}}"#
        )));
    }
}
