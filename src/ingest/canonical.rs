//! The costsim canonical JSONL trace format: one call per line.
//!
//! Unknown fields are ignored so that traces can carry more than costsim
//! reads; known fields are checked strictly and every problem names its field.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::ingest::fields::{parse_timestamp, Count};
use crate::ingest::format::{InputFormat, LineParser, Parsed};
use crate::ingest::{LineProblem, SkipReason};
use crate::record::{Call, CallOptions, OptionKey, Segment, Usage, DEFAULT_ACCOUNT};

#[derive(Deserialize)]
struct RawRecord {
    ts: Option<Timestamp>,
    provider: Option<String>,
    model: Option<String>,
    account: Option<String>,
    session: Option<Scalar>,
    step: Option<Count>,
    #[serde(default)]
    tags: Option<BTreeMap<String, Scalar>>,
    usage: Option<RawUsage>,
    prompt: Option<RawPrompt>,
    /// Any text naming the prompt's content (a digest the application
    /// computed): equal values are repeats of one prompt.
    prompt_hash: Option<Scalar>,
    batch: Option<bool>,
    success: Option<bool>,
    latency_ms: Option<Count>,
    id: Option<Scalar>,
    /// Request options that change the price (see `OptionKey`).
    speed: Option<String>,
    service_tier: Option<String>,
    inference_geo: Option<String>,
    /// Uses per server tool (`{"web_search": 3}`), billed per use.
    tools: Option<BTreeMap<String, Count>>,
}

#[derive(Deserialize)]
struct RawUsage {
    input: Option<Count>,
    cache_read: Option<Count>,
    cache_write_5m: Option<Count>,
    cache_write_1h: Option<Count>,
    output: Option<Count>,
    reasoning: Option<Count>,
}

#[derive(Deserialize)]
struct RawPrompt {
    segments: Option<Vec<RawSegment>>,
}

#[derive(Deserialize)]
struct RawSegment {
    id: Option<Scalar>,
    tokens: Option<Count>,
    cache: Option<String>,
}

/// A string, number or boolean used as a label (ids, tag values).
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A call time: an RFC 3339 text (`2026-03-01T12:00:00Z`, any offset) or a
/// Unix epoch number in seconds or, above 10^11, milliseconds.
struct Timestamp(DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const EXPECTED: &str = "an RFC 3339 timestamp such as \"2026-03-01T12:00:00Z\" or Unix epoch seconds/milliseconds";
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                parse_timestamp(v)
                    .map(Timestamp)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                // Beyond i64 is out of range (not a negative time).
                i64::try_from(v)
                    .ok()
                    .and_then(epoch)
                    .map(Timestamp)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Err(E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                if (0.0..1e15).contains(&v) {
                    let millis = if v < 1e11 { v * 1000.0 } else { v };
                    if let chrono::LocalResult::Single(t) = Utc.timestamp_millis_opt(millis as i64)
                    {
                        return Ok(Timestamp(t));
                    }
                }
                Err(E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

fn epoch(value: i64) -> Option<DateTime<Utc>> {
    let millis = if value < 100_000_000_000 {
        value.checked_mul(1000)?
    } else {
        value
    };
    match Utc.timestamp_millis_opt(millis) {
        chrono::LocalResult::Single(t) => Some(t),
        _ => None,
    }
}

/// The canonical format, for detection and `costsim formats`.
pub static FORMAT: InputFormat = InputFormat {
    name: "canonical",
    title: "costsim canonical JSONL trace (this README's format)",
    example: r#"{"ts":"2026-03-01T12:00:00Z","model":"claude-sonnet-4-5","session":"run-42","usage":{"input":1200,"cache_read":24000,"output":800}}"#,
    mapping:
        "one call per line; usage.input excludes cache reads and writes; output includes reasoning",
    detect: |sniff| {
        sniff.first_json().is_some_and(|m| {
            m.contains_key("usage") && m.contains_key("model") && m.contains_key("ts")
        })
    },
    parser: |_| Box::new(Canonical),
};

struct Canonical;

impl LineParser for Canonical {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        match parse_line(line) {
            Ok(call) => Parsed::call(call),
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

/// Parses one line of a canonical trace.
pub fn parse_line(line: &[u8]) -> Result<Call, LineProblem> {
    let raw: RawRecord = match serde_json::from_slice(line) {
        Ok(raw) => raw,
        Err(_) => return Err(explain_json_error(line)),
    };
    into_call(raw)
}

/// Re-parses a failed line to say which field is wrong: the fast path above
/// does not track field paths.
fn explain_json_error(line: &[u8]) -> LineProblem {
    if line.starts_with(b"[") {
        return LineProblem::new(
            SkipReason::BadField,
            "record: expected a JSON object, found an array".to_string(),
        );
    }
    let mut de = serde_json::Deserializer::from_slice(line);
    let result: Result<RawRecord, _> = serde_path_to_error::deserialize(&mut de);
    let err = match result {
        Ok(_) => {
            // The record itself parsed: what fails is what follows it.
            let detail = de
                .end()
                .err()
                .map_or_else(String::new, |e| format!(": {e}"));
            return LineProblem::new(
                SkipReason::MalformedJson,
                format!(
                    "malformed JSON: trailing characters after the record{}",
                    strip_position(&detail)
                ),
            );
        }
        Err(e) => e,
    };
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return LineProblem::new(
            SkipReason::MalformedJson,
            format!("malformed JSON: {inner}"),
        );
    }
    let message = strip_position(&inner.to_string());
    let reason = if path == "ts" {
        SkipReason::BadTimestamp
    } else if path.starts_with("usage.") || path.ends_with(".tokens") {
        SkipReason::BadTokenCount
    } else {
        SkipReason::BadField
    };
    if path == "." || path.is_empty() {
        LineProblem::new(reason, format!("record: {message}"))
    } else {
        LineProblem::new(reason, format!("field \"{path}\": {message}"))
    }
}

use super::plain_json_message as strip_position;

fn missing(field: &str) -> LineProblem {
    LineProblem::new(
        SkipReason::MissingField,
        format!("field \"{field}\": missing (required)"),
    )
}

fn into_call(raw: RawRecord) -> Result<Call, LineProblem> {
    let ts = raw.ts.ok_or_else(|| missing("ts"))?.0;
    let model = raw.model.ok_or_else(|| missing("model"))?;
    if model.trim().is_empty() {
        return Err(LineProblem::new(
            SkipReason::BadField,
            "field \"model\": empty".to_string(),
        ));
    }
    let raw_usage = raw.usage.ok_or_else(|| missing("usage"))?;
    let get = |v: &Option<Count>| v.as_ref().map_or(0, |c| c.0);
    let usage = Usage {
        input: get(&raw_usage.input),
        cache_read: get(&raw_usage.cache_read),
        cache_write_5m: get(&raw_usage.cache_write_5m),
        cache_write_1h: get(&raw_usage.cache_write_1h),
        output: get(&raw_usage.output),
        reasoning: get(&raw_usage.reasoning),
    };
    if raw_usage.input.is_none() && raw_usage.output.is_none() {
        return Err(LineProblem::new(
            SkipReason::MissingField,
            "field \"usage\": neither \"input\" nor \"output\" given".to_string(),
        ));
    }
    if usage.reasoning > usage.output {
        return Err(LineProblem::new(
            SkipReason::Inconsistent,
            format!(
                "field \"usage.reasoning\": {} exceeds usage.output {} (output must include reasoning)",
                usage.reasoning, usage.output
            ),
        ));
    }
    let segments = match raw.prompt.and_then(|p| p.segments) {
        None => None,
        Some(raw_segments) => Some(into_segments(raw_segments, &usage)?),
    };
    Ok(Call {
        provider: raw.provider.filter(|p| !p.is_empty()),
        account: raw
            .account
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string()),
        session: raw.session.map(|s| s.0),
        step: raw.step.map(|s| s.0),
        tags: raw
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .collect(),
        segments,
        batch: raw.batch.unwrap_or(false),
        success: raw.success,
        latency_ms: raw.latency_ms.map(|l| l.0),
        prompt_hash: raw
            .prompt_hash
            .map(|h| xxhash_rust::xxh3::xxh3_64(h.0.as_bytes())),
        id: raw.id.map(|i| i.0),
        options: {
            let mut options = CallOptions::of([
                (OptionKey::Speed, raw.speed.as_deref()),
                (OptionKey::ServiceTier, raw.service_tier.as_deref()),
                (OptionKey::InferenceGeo, raw.inference_geo.as_deref()),
            ]);
            for (tool, uses) in raw.tools.iter().flatten() {
                options.add_tool_uses(tool, uses.0);
            }
            options
        },
        ..Call::new(ts, model, usage)
    })
}

/// Request options from the values a record gives (absent ones unset).
fn into_segments(raw: Vec<RawSegment>, usage: &Usage) -> Result<Vec<Segment>, LineProblem> {
    let mut segments = Vec::with_capacity(raw.len());
    for (i, seg) in raw.into_iter().enumerate() {
        let tokens = seg
            .tokens
            .ok_or_else(|| missing(&format!("prompt.segments[{i}].tokens")))?
            .0;
        if let Some(ttl) = &seg.cache {
            if ttl != "5m" && ttl != "1h" {
                return Err(LineProblem::new(
                    SkipReason::BadField,
                    format!(
                        "field \"prompt.segments[{i}].cache\": `{ttl}` is not \"5m\" or \"1h\""
                    ),
                ));
            }
        }
        segments.push(Segment {
            id: seg.id.map(|s| s.0),
            tokens,
            cache: seg.cache,
        });
    }
    let sum: u64 = segments.iter().map(|s| s.tokens).sum();
    if sum != usage.prompt_tokens() {
        return Err(LineProblem::new(
            SkipReason::Inconsistent,
            format!(
                "field \"prompt.segments\": segments sum to {sum} tokens but usage has {} prompt tokens (input + cache_read + cache writes)",
                usage.prompt_tokens()
            ),
        ));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Call {
        parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e:?}"))
    }

    fn err(line: &str) -> LineProblem {
        match parse_line(line.as_bytes()) {
            Ok(_) => panic!("accepted: {line}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_the_documented_example() {
        let call = ok(
            r#"{"ts":"2026-03-01T12:00:00.123Z","provider":"anthropic","model":"claude-sonnet-4-5","account":"prod","session":"run-42","step":3,"tags":{"team":"search"},"usage":{"input":1200,"cache_read":24000,"cache_write_5m":0,"cache_write_1h":0,"output":800,"reasoning":0},"prompt":{"segments":[{"id":"sys-v3","tokens":2000,"cache":"5m"},{"id":"hist-9a1","tokens":22000},{"tokens":1200}]},"batch":false,"success":true,"latency_ms":2300,"id":"req_01"}"#,
        );
        assert_eq!(call.model, "claude-sonnet-4-5");
        assert_eq!(call.usage.prompt_tokens(), 25200);
        assert_eq!(call.tags["team"], "search");
        assert_eq!(call.segments.as_ref().unwrap().len(), 3);
        assert_eq!(call.ts.to_rfc3339(), "2026-03-01T12:00:00.123+00:00");
    }

    #[test]
    fn epoch_times_beyond_range_are_skipped_not_read_as_1969() {
        for ts in [
            "9223372036854775808",
            "18446744073709551615",
            "9223372036854775807",
        ] {
            let e = err(&format!(
                r#"{{"ts":{ts},"model":"gpt-5","usage":{{"input":10}}}}"#
            ));
            assert_eq!(e.reason, SkipReason::BadTimestamp, "{ts}");
        }
        let call = ok(r#"{"ts":1772323200,"model":"gpt-5","usage":{"input":10}}"#);
        assert_eq!(call.ts.to_rfc3339(), "2026-03-01T00:00:00+00:00");
    }

    #[test]
    fn messages_name_json_shapes_not_rust_types() {
        for (line, want) in [
            ("[1,2]", "record: expected a JSON object, found an array"),
            (
                "\"text\"",
                "record: invalid type: string \"text\", expected a JSON object",
            ),
            (
                r#"{"ts":"2026-03-01T00:00:00Z","model":"gpt-5","usage":[1]}"#,
                "field \"usage\": expected a JSON object, found an array",
            ),
        ] {
            let e = err(line);
            assert_eq!(e.message, want, "{line}");
            assert!(!e.message.contains("struct"), "{line}");
        }
    }

    #[test]
    fn applies_defaults() {
        let call =
            ok(r#"{"ts":"2026-03-01T12:00:00Z","model":"gpt-5","usage":{"input":10,"output":5}}"#);
        assert_eq!(call.account, "default");
        assert_eq!(call.provider, None);
        assert!(!call.batch);
        assert_eq!(call.usage.cache_read, 0);
    }

    #[test]
    fn accepts_epoch_and_offsets() {
        let a = ok(r#"{"ts":1772366400,"model":"m","usage":{"input":1}}"#);
        let b = ok(r#"{"ts":1772366400000,"model":"m","usage":{"input":1}}"#);
        let c = ok(r#"{"ts":"2026-03-01T13:00:00+01:00","model":"m","usage":{"input":1}}"#);
        assert_eq!(a.ts, b.ts);
        assert_eq!(a.ts, c.ts);
    }

    #[test]
    fn names_the_bad_field() {
        let e = err(r#"{"ts":"2026-03-01T12:00:00Z","model":"m","usage":{"input":-5}}"#);
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        assert!(e.message.contains("usage.input"), "{}", e.message);
        assert!(e.message.contains("-5"), "{}", e.message);

        let e = err(r#"{"ts":"2026-03-01T12:00:00Z","model":"m","usage":{"output":1.5}}"#);
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        assert!(e.message.contains("usage.output"), "{}", e.message);

        let e = err(r#"{"ts":"yesterday","model":"m","usage":{"input":1}}"#);
        assert_eq!(e.reason, SkipReason::BadTimestamp);
        assert!(e.message.contains("\"ts\""), "{}", e.message);

        let e = err(r#"{"ts":"2026-03-01T12:00:00Z","usage":{"input":1}}"#);
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(e.message.contains("\"model\""), "{}", e.message);

        let e = err(r#"{"ts":"2026-03-01T12:00:00Z","model":"m","usage":{"input":"12"}}"#);
        assert_eq!(e.reason, SkipReason::BadTokenCount);
    }

    #[test]
    fn rejects_malformed_json() {
        let e = err(r#"{"ts":"2026-03-01T12:00:00Z","model":"m","#);
        assert_eq!(e.reason, SkipReason::MalformedJson);
        let e = err("[1,2]");
        assert_eq!(e.reason, SkipReason::BadField);
        let e = err(r#"{"ts":"2026-03-01T12:00:00Z","model":"m","usage":{"input":1}} trailing"#);
        assert_eq!(e.reason, SkipReason::MalformedJson);
    }

    #[test]
    fn rejects_inconsistent_usage() {
        let e = err(
            r#"{"ts":"2026-03-01T12:00:00Z","model":"m","usage":{"output":10,"reasoning":20}}"#,
        );
        assert_eq!(e.reason, SkipReason::Inconsistent);
        let e = err(
            r#"{"ts":"2026-03-01T12:00:00Z","model":"m","usage":{"input":10},"prompt":{"segments":[{"tokens":9}]}}"#,
        );
        assert_eq!(e.reason, SkipReason::Inconsistent);
    }
}
