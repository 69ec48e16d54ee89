//! Anthropic Messages API responses and Message Batches results.
//!
//! Each line is a Messages response (`"type": "message"`), a Message Batches
//! results line (`{"custom_id":…,"result":{"type":"succeeded","message":{…}}}`,
//! read as a batch call; errored, canceled and expired requests carry no
//! usage), or either of them inside an envelope
//! `{"timestamp":…,"response":{…},"metadata":{"session":…,"account":…,"tags":{…}}}`.
//! Anthropic responses carry no time, so the envelope's (or a `timestamp`
//! key on the line itself) is required.
//!
//! Anthropic's `input_tokens` already excludes cache reads and writes, as
//! canonical `input` does; `cache_creation` splits the writes by TTL (without
//! it every write is a 5-minute write).

use serde_json::Value;

use super::format::{Context, InputFormat, OneCallPerLine, Sniff};
use super::openai::fields::{
    count, envelope_time, missing, parse_object, path, problem, text, Envelope, Object,
};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "anthropic",
    title: "Anthropic Messages API responses",
    example: r#"{"timestamp":"2026-03-05T08:00:00Z","response":{"id":"msg_01","type":"message","model":"claude-sonnet-4-5","usage":{"input_tokens":50,"cache_creation_input_tokens":6000,"cache_read_input_tokens":0,"output_tokens":800}}}"#,
    mapping: "a Messages response (type \"message\") or a Message Batches results line (batch call; errored/canceled/expired results carry no usage), wrapped as {\"timestamp\"|\"ts\"|\"time\":…,\"response\":{…},\"metadata\":{\"session\",\"account\",\"step\",\"tags\",…}} because responses carry no time; input = input_tokens (already excludes cache), cache_read = cache_read_input_tokens, cache writes = cache_creation.ephemeral_5m/1h_input_tokens (all of cache_creation_input_tokens as 5m when not split), output = output_tokens; usage.service_tier \"batch\" marks a batch call; id = message id (duplicates folded); provider anthropic",
    detect,
    parser: |ctx: &Context| OneCallPerLine::boxed("anthropic", parse_line, ctx),
};

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

/// Reads one line: `Ok(None)` when it carries no usage (a failed batch
/// request, an error response).
pub fn parse_line(line: &[u8]) -> Result<Option<Call>, LineProblem> {
    let obj = parse_object(line)?;
    let mut env = Envelope::default();
    read(&obj, &mut env, 0)
}

fn no_time() -> LineProblem {
    LineProblem::new(
        SkipReason::MissingField,
        "field \"timestamp\": missing — Anthropic responses carry no time; wrap them as {\"timestamp\":...,\"response\":{...}}".to_string(),
    )
}

fn read(obj: &Object, env: &mut Envelope, depth: u32) -> Result<Option<Call>, LineProblem> {
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
            return Ok(None);
        }
        let message = match result.get("message") {
            Some(Value::Object(m)) => m,
            _ => return Err(missing(&format!("{}result.message", env.prefix))),
        };
        env.batch = true;
        env.prefix.push_str("result.message.");
        return message_call(message, env);
    }
    if kind == Some("message") {
        if env.ts.is_none() {
            env.ts = envelope_time(obj, &env.prefix)?;
        }
        return message_call(obj, env);
    }
    if kind == Some("error") {
        return Ok(None);
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
        return read(inner, env, depth + 1);
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

fn message_call(msg: &Object, env: &mut Envelope) -> Result<Option<Call>, LineProblem> {
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
    let field = |name: &str| format!("{p}usage.{name}");
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
    let usage = Usage {
        input: input.unwrap_or(0),
        cache_read: cache_read.unwrap_or(0),
        cache_write_5m,
        cache_write_1h,
        output: output.unwrap_or(0),
        reasoning: 0,
    };
    if let Some(tier) = u.get("service_tier").and_then(Value::as_str) {
        if tier == "batch" {
            env.batch = true;
        } else if tier != "standard" {
            env.tags
                .entry("service_tier".to_string())
                .or_insert_with(|| tier.to_string());
        }
    }
    let model = super::openai::fields::model(msg.get("model"), &format!("{p}model"))?;
    let ts = env.ts.ok_or_else(no_time)?;
    Ok(Some(env.call(
        ts,
        "anthropic",
        model,
        usage,
        text(msg.get("id")),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(line: &str) -> Call {
        crate::ingest::format::test_call(parse_line, line)
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
        let sniff = |line: &'static [u8]| Sniff {
            lines: vec![line],
            path: None,
        };
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
