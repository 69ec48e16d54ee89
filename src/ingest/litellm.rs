//! LiteLLM spend logs (JSON lines).
//!
//! One row of the proxy's `LiteLLM_SpendLogs` table per line, as the
//! `/spend/logs` API or a database export gives it: `request_id`,
//! `startTime`, `endTime`, `model`, `model_group`, `custom_llm_provider`,
//! `prompt_tokens`, `completion_tokens`, `spend`, `api_key`, `team_id`,
//! `user`, `end_user`, `request_tags`, `cache_hit`, `session_id`, `status`
//! and `metadata` (an object, or the JSON text the table stores) holding
//! `usage_object` (the provider usage as LiteLLM normalised it) and the key
//! and team aliases.
//!
//! How the fields are read:
//!
//! - `prompt_tokens` is LiteLLM's OpenAI-style prompt count, which includes
//!   the cached tokens: for OpenAI the `prompt_tokens_details.cached_tokens`,
//!   and for Anthropic LiteLLM adds `cache_read_input_tokens` and
//!   `cache_creation_input_tokens` to Anthropic's `input_tokens`. So
//!   `input = prompt_tokens − cache reads − cache writes` (saturating), with
//!   cache reads = `usage_object.cache_read_input_tokens` or
//!   `usage_object.prompt_tokens_details.cached_tokens` (the larger; they are
//!   the same count when both are given) and cache writes =
//!   `usage_object.cache_creation_input_tokens`, split into 1-hour writes
//!   where `cache_creation_token_details` / `cache_creation` says so.
//!   Without a `usage_object` (older LiteLLM) nothing is known about the
//!   cache and the whole prompt is input.
//! - `completion_tokens` is the output, reasoning included
//!   (`completion_tokens_details.reasoning_tokens`, informational).
//! - `spend` is what LiteLLM charged for the call, in USD: the billed cost.
//! - The account is the team (`metadata.user_api_key_team_alias`, else
//!   `team_id`); the key (`metadata.user_api_key_alias`, else the hashed
//!   `api_key`), `user`, `end_user`, `model_group` and the `request_tags`
//!   (comma-joined) become tags, as do the scalar `spend_logs_metadata`.
//! - `cache_hit` rows were answered from LiteLLM's own response cache: no
//!   provider call, no cost, so they are not calls.
//! - `status` `failure` marks a failed call.

use serde_json::Value;

use super::fields::{
    count, latency_ms, missing, money, parse_object, path, problem, text, time, Envelope, Object,
};
use super::format::{Context, InputFormat, OneCallPerLine, Sniff};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "litellm",
    title: "LiteLLM spend logs (JSON lines)",
    example: r#"{"request_id":"chatcmpl-9a","call_type":"acompletion","startTime":"2026-03-09T10:00:00Z","model":"gpt-4o","custom_llm_provider":"openai","prompt_tokens":1200,"completion_tokens":300,"spend":0.00472,"team_id":"team-a","metadata":{"usage_object":{"prompt_tokens_details":{"cached_tokens":1024}}}}"#,
    mapping: "one spend-log row per line; prompt_tokens includes the cache: input = prompt_tokens − cache reads (metadata.usage_object.cache_read_input_tokens or prompt_tokens_details.cached_tokens) − cache writes (usage_object.cache_creation_input_tokens, 1h where cache_creation_token_details says), saturating; output = completion_tokens; billed = spend (USD); time = startTime (no offset = UTC); provider = custom_llm_provider; account = team (metadata.user_api_key_team_alias, else team_id); tags api_key (key alias, else hashed key), user, end_user, model_group, request_tags, spend_logs_metadata; session = session_id; id = request_id (duplicates folded); cache_hit rows (LiteLLM's response cache) are not calls; status failure = failed call",
    detect,
    parser: |ctx: &Context| OneCallPerLine::boxed("litellm", parse_line, ctx),
};

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        m.contains_key("request_id")
            && m.contains_key("spend")
            && (m.contains_key("startTime") || m.contains_key("prompt_tokens"))
    })
}

/// A JSON column that a database export may hold as JSON text.
fn json_column(obj: &Object, key: &str) -> Result<Option<Value>, LineProblem> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|e| {
            problem(
                SkipReason::BadField,
                key,
                &format!("text that is not JSON: {e}"),
            )
        }),
        Some(v) => Ok(Some(v.clone())),
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Reads one row: `Ok(None)` for a response-cache hit.
pub fn parse_line(line: &[u8]) -> Result<Option<Call>, LineProblem> {
    let row = parse_object(line)?;
    if truthy(row.get("cache_hit")) {
        return Ok(None);
    }
    let metadata = match json_column(&row, "metadata")? {
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(problem(
                SkipReason::BadField,
                "metadata",
                "expected an object",
            ))
        }
        None => Object::new(),
    };
    let empty = Object::new();
    let usage_object = metadata
        .get("usage_object")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let extra = metadata
        .get("additional_usage_values")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let uo = |keys: &[&str]| -> Result<Option<u64>, LineProblem> {
        let field = format!("metadata.usage_object.{}", keys.join("."));
        match count(path(usage_object, keys), &field)? {
            Some(n) => Ok(Some(n)),
            None => count(
                path(extra, keys),
                &format!("metadata.additional_usage_values.{}", keys.join(".")),
            ),
        }
    };

    let prompt = match count(row.get("prompt_tokens"), "prompt_tokens")? {
        Some(n) => Some(n),
        None => uo(&["prompt_tokens"])?,
    };
    let completion = match count(row.get("completion_tokens"), "completion_tokens")? {
        Some(n) => Some(n),
        None => uo(&["completion_tokens"])?,
    };
    if prompt.is_none() && completion.is_none() {
        return Err(missing("prompt_tokens"));
    }
    let (prompt, output) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    let cache_read = uo(&["cache_read_input_tokens"])?
        .unwrap_or(0)
        .max(uo(&["prompt_tokens_details", "cached_tokens"])?.unwrap_or(0));
    let written = match uo(&["cache_creation_input_tokens"])? {
        Some(n) => n,
        None => uo(&["prompt_tokens_details", "cache_creation_tokens"])?.unwrap_or(0),
    };
    let written_1h = match uo(&[
        "prompt_tokens_details",
        "cache_creation_token_details",
        "ephemeral_1h_input_tokens",
    ])? {
        Some(n) => n,
        None => uo(&["cache_creation", "ephemeral_1h_input_tokens"])?.unwrap_or(0),
    };
    let written = written.max(written_1h);
    let reasoning = uo(&["completion_tokens_details", "reasoning_tokens"])?
        .unwrap_or(0)
        .min(output);
    let usage = Usage {
        input: prompt.saturating_sub(cache_read.saturating_add(written)),
        cache_read,
        cache_write_5m: written - written_1h,
        cache_write_1h: written_1h,
        output,
        reasoning,
    };

    let (start, start_field) = ["startTime", "start_time"]
        .iter()
        .find_map(|k| row.get(*k).filter(|v| !v.is_null()).map(|v| (v, *k)))
        .ok_or_else(|| missing("startTime"))?;
    let ts = time(start, start_field)?;
    let end = ["endTime", "end_time"]
        .iter()
        .find_map(|k| row.get(*k).filter(|v| !v.is_null()))
        .and_then(|v| time(v, "endTime").ok());
    let model = match text(row.get("model")) {
        Some(m) => m,
        None => super::fields::model(row.get("model_group"), "model")?,
    };

    let mut env = Envelope {
        account: text(metadata.get("user_api_key_team_alias"))
            .or_else(|| text(row.get("team_id")))
            .or_else(|| text(metadata.get("user_api_key_team_id"))),
        session: text(row.get("session_id")).or_else(|| text(metadata.get("session_id"))),
        latency_ms: latency_ms(ts, end),
        success: match text(row.get("status"))
            .or_else(|| text(metadata.get("status")))
            .as_deref()
        {
            Some("success") => Some(true),
            Some("failure") => Some(false),
            _ => None,
        },
        ..Envelope::default()
    };
    let tags = [
        (
            "api_key",
            text(metadata.get("user_api_key_alias")).or_else(|| text(row.get("api_key"))),
        ),
        (
            "user",
            text(row.get("user")).or_else(|| text(metadata.get("user_api_key_user_id"))),
        ),
        ("end_user", text(row.get("end_user"))),
        ("model_group", text(row.get("model_group"))),
    ];
    for (k, v) in tags {
        if let Some(v) = v {
            env.tags.insert(k.to_string(), v);
        }
    }
    if let Some(Value::Array(list)) = json_column(&row, "request_tags")? {
        let joined: Vec<String> = list.iter().filter_map(|t| text(Some(t))).collect();
        if !joined.is_empty() {
            env.tags
                .insert("request_tags".to_string(), joined.join(","));
        }
    }
    if let Some(Value::Object(extra_tags)) = metadata.get("spend_logs_metadata") {
        for (k, v) in extra_tags {
            if let Some(v) = text(Some(v)) {
                env.tags.entry(k.clone()).or_insert(v);
            }
        }
    }
    let provider = text(row.get("custom_llm_provider"));
    let mut call = env.call(ts, "", model, usage, text(row.get("request_id")));
    call.provider = provider;
    call.billed = money(row.get("spend"), "spend")?;
    Ok(Some(call))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    fn call(line: &str) -> Call {
        crate::ingest::format::test_call(parse_line, line)
    }

    #[test]
    fn anthropic_row_with_cache_and_text_metadata() {
        let c = call(
            r#"{"request_id":"r2","startTime":"2026-03-09T10:05:00.000000","endTime":"2026-03-09T10:05:02.500000","model":"claude-sonnet-4-5-20250929","custom_llm_provider":"anthropic","prompt_tokens":10230,"completion_tokens":500,"spend":0.01824,"team_id":"team-b","metadata":"{\"user_api_key_team_alias\":\"support\",\"usage_object\":{\"cache_read_input_tokens\":8000,\"cache_creation_input_tokens\":2200,\"prompt_tokens_details\":{\"cached_tokens\":8000}}}","request_tags":"[\"prod\",\"chat\"]"}"#,
        );
        assert_eq!(
            (
                c.usage.input,
                c.usage.cache_read,
                c.usage.cache_write_5m,
                c.usage.output
            ),
            (30, 8000, 2200, 500)
        );
        assert_eq!(c.billed, Some(Money(18_240_000_000_000)));
        assert_eq!(c.account, "support");
        assert_eq!(c.tags["request_tags"], "prod,chat");
        assert_eq!(c.latency_ms, Some(2500));
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        assert_eq!(c.ts.to_rfc3339(), "2026-03-09T10:05:00+00:00");
    }

    #[test]
    fn cache_hits_are_not_calls() {
        assert!(matches!(
            parse_line(br#"{"request_id":"r3","startTime":"2026-03-09T10:00:00Z","model":"gpt-4o","prompt_tokens":10,"completion_tokens":1,"spend":0,"cache_hit":"True"}"#),
            Ok(None)
        ));
    }

    #[test]
    fn one_hour_writes() {
        let c = call(
            r#"{"request_id":"r4","startTime":"2026-03-09T10:00:00Z","model":"claude-haiku-4-5","prompt_tokens":5000,"completion_tokens":200,"spend":0.01,"metadata":{"usage_object":{"cache_creation_input_tokens":4000,"prompt_tokens_details":{"cached_tokens":0,"cache_creation_token_details":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":4000}}}}}"#,
        );
        assert_eq!(
            (
                c.usage.input,
                c.usage.cache_write_5m,
                c.usage.cache_write_1h
            ),
            (1000, 0, 4000)
        );
    }

    #[test]
    fn bad_rows() {
        let e = parse_line(br#"{"request_id":"r5","startTime":"yesterday","model":"gpt-4o","prompt_tokens":1,"spend":0}"#).unwrap_err();
        assert_eq!(e.reason, SkipReason::BadTimestamp);
        assert!(e.message.contains("\"startTime\""), "{}", e.message);
        let e = parse_line(
            br#"{"request_id":"r6","startTime":"2026-03-09T10:00:00Z","model":"gpt-4o","spend":0}"#,
        )
        .unwrap_err();
        assert_eq!(e.reason, SkipReason::MissingField);
    }
}
