//! OpenAI Chat Completions / Responses objects and Batch API output files.
//!
//! Each line is one of:
//!
//! - a raw API object: a Chat Completion (`"object": "chat.completion"`, or
//!   the last `chat.completion.chunk` of a stream, the one with `usage`) or a
//!   Responses API object (`"object": "response"`);
//! - a Batch API output line (`{"id":"batch_req_…","custom_id":…,"response":
//!   {"status_code":200,"body":{…}},"error":null}`), read as a batch call;
//! - either of those inside an envelope that adds what the API object lacks:
//!   `{"timestamp":…,"response":{…},"metadata":{"session":…,"account":…,
//!   "tags":{…}}}`. Responses API stream events (`{"type":"response.completed",
//!   "response":{…}}`) read the same way.
//!
//! OpenAI's `prompt_tokens` / `input_tokens` include the cached tokens
//! (`…_details.cached_tokens`) and the tokens written to the cache
//! (`…_details.cache_write_tokens`, GPT-5.6 and later, billed at the model's
//! write rate), so the canonical `input` is what is left;
//! `completion_tokens` / `output_tokens` include reasoning, as canonical
//! `output` does. An OpenRouter response's `usage.cost` is what was billed.
//!
//! A `response.compaction` object carries usage but no model: it is priced
//! at the model of the nearest earlier response in the same file (the
//! conversation it compacts), so a file is read in order by one parser;
//! without one it is listed as unpriced under [`COMPACTION_WITHOUT_MODEL`].
//!
//! This file also holds [`fields`], the JSON helpers the other log formats
//! (Anthropic, OpenTelemetry, LiteLLM, Langfuse) share.

use serde_json::Value;

use std::sync::Arc;

use super::fields::{count, missing, parse_object, path, problem, text, Envelope, Object};
use super::format::{Context, Dedup, InputFormat, LineParser, Parsed, Sniff};
use super::{LineProblem, SkipReason};
use crate::record::{Call, OptionKey, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "openai",
    title: "OpenAI Chat Completions / Responses objects and Batch API output files",
    example: r#"{"id":"chatcmpl-B9","object":"chat.completion","created":1772442000,"model":"gpt-4o","usage":{"prompt_tokens":1200,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":1024}}}"#,
    mapping: "one API object per line (chat.completion, the usage chunk of a stream, or a Responses API \"response\"), a Batch API output line (batch call; error lines carry no usage), or any of these as {\"timestamp\"|\"ts\"|\"time\":…,\"response\":{…},\"metadata\":{\"session\",\"account\",\"step\",\"tags\",…}} whose time wins over created/created_at; input = prompt_tokens (input_tokens) − cached_tokens − cache_write_tokens, cache_read = cached_tokens, cache writes = cache_write_tokens, output = completion_tokens (output_tokens, reasoning included); usage.cost (OpenRouter) = billed; a response.compaction object is priced at the model of the file's previous response; service_tier (flex, priority) is a request option priced by the catalog; a Responses object's output items web_search_call (web_search_preview when its tools offer that tool) and file_search_call are tool calls priced per call by the catalog; id = the response id (duplicates folded); provider openai",
    detect,
    parser: |ctx: &Context| {
        Box::new(OpenAi {
            conversation_model: None,
            dedup: ctx.dedup.clone(),
        })
    },
};

/// The model name a `response.compaction` object is listed under when no
/// earlier response in its file names the conversation's model.
pub const COMPACTION_WITHOUT_MODEL: &str = "(compaction: no model in the file)";

/// Reads a file in order, remembering the model of the latest response for
/// the compaction objects that follow it.
struct OpenAi {
    conversation_model: Option<String>,
    dedup: Arc<Dedup>,
}

impl LineParser for OpenAi {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        match parse_line(line) {
            Ok(Some(mut call)) => {
                if call.model == COMPACTION_WITHOUT_MODEL {
                    if let Some(model) = &self.conversation_model {
                        call.model = model.clone();
                    }
                } else {
                    self.conversation_model = Some(call.model.clone());
                }
                self.dedup.call("openai", call)
            }
            Ok(None) => Parsed::NotACall,
            Err(p) => Parsed::Problem(p),
        }
    }
}

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| looks_like(m, 0))
}

const API_OBJECTS: [&str; 5] = [
    "chat.completion",
    "chat.completion.chunk",
    "response",
    "response.compaction",
    "text_completion",
];

/// An OpenAI API object, a Batch API output line, or an envelope of one.
fn looks_like(m: &Object, depth: u32) -> bool {
    if m.get("object")
        .and_then(Value::as_str)
        .is_some_and(|o| API_OBJECTS.contains(&o))
    {
        return true;
    }
    if m.contains_key("custom_id") {
        return m
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.starts_with("batch_req"))
            || path(m, &["response", "body"]).is_some()
            || path(m, &["response", "status_code"]).is_some();
    }
    match m.get("response") {
        Some(Value::Object(inner)) if depth < 2 => looks_like(inner, depth + 1),
        _ => false,
    }
}

/// Reads one line: `Ok(None)` when it carries no usage (an error, a stream
/// chunk before the last, a response still in progress).
pub fn parse_line(line: &[u8]) -> Result<Option<Call>, LineProblem> {
    let obj = parse_object(line)?;
    let mut env = Envelope::default();
    read(&obj, &mut env, 0)
}

fn read(obj: &Object, env: &mut Envelope, depth: u32) -> Result<Option<Call>, LineProblem> {
    if obj.contains_key("custom_id") && (obj.contains_key("response") || obj.contains_key("error"))
    {
        return batch_line(obj, env);
    }
    if obj.get("object").is_some_and(Value::is_string) {
        return api_object(obj, env);
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
    if obj
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("response."))
    {
        // A Responses API stream event without a response object (deltas).
        return Ok(None);
    }
    Err(LineProblem::new(
        SkipReason::BadField,
        format!(
            "{}: not an OpenAI response: expected \"object\": \"chat.completion\" or \"response\", a Batch API output line, or {{\"timestamp\":…,\"response\":{{…}}}}",
            if env.prefix.is_empty() {
                "record".to_string()
            } else {
                format!("field \"{}\"", env.prefix.trim_end_matches('.'))
            }
        ),
    ))
}

/// A Batch API output line: the body of a 200 response is a batch call;
/// failed requests (an `error`, a non-200 status) were not billed.
fn batch_line(obj: &Object, env: &mut Envelope) -> Result<Option<Call>, LineProblem> {
    let response = match obj.get("response") {
        Some(Value::Object(r)) => r,
        _ => return Ok(None),
    };
    if response
        .get("status_code")
        .and_then(Value::as_u64)
        .is_some_and(|s| s != 200)
    {
        return Ok(None);
    }
    let body = match response.get("body") {
        Some(Value::Object(b)) => b,
        _ => return Err(missing(&format!("{}response.body", env.prefix))),
    };
    if body.contains_key("error") && !body.contains_key("usage") {
        return Ok(None);
    }
    env.batch = true;
    env.prefix.push_str("response.body.");
    api_object(body, env)
}

fn api_object(obj: &Object, env: &mut Envelope) -> Result<Option<Call>, LineProblem> {
    let kind = obj.get("object").and_then(Value::as_str).unwrap_or("");
    let p = env.prefix.clone();
    let usage = match obj.get("usage") {
        Some(Value::Object(u)) => Some(u),
        None | Some(Value::Null) => None,
        Some(other) => {
            return Err(problem(
                SkipReason::BadField,
                &format!("{p}usage"),
                &format!("expected an object, found {other}"),
            ))
        }
    };
    let (usage, time_field) = match kind {
        "chat.completion" | "chat.completion.chunk" | "text_completion" => {
            let Some(u) = usage else {
                // Stream chunks carry usage only in the last one.
                return if kind == "chat.completion.chunk" {
                    Ok(None)
                } else {
                    Err(missing(&format!("{p}usage")))
                };
            };
            let prompt = count(u.get("prompt_tokens"), &format!("{p}usage.prompt_tokens"))?;
            let completion = count(
                u.get("completion_tokens"),
                &format!("{p}usage.completion_tokens"),
            )?;
            if prompt.is_none() && completion.is_none() {
                return Err(missing(&format!("{p}usage.prompt_tokens")));
            }
            let cached_field = format!("{p}usage.prompt_tokens_details.cached_tokens");
            let cached = match count(
                path(u, &["prompt_tokens_details", "cached_tokens"]),
                &cached_field,
            )? {
                Some(c) => Some(c),
                // DeepSeek and other compatible APIs.
                None => count(
                    u.get("prompt_cache_hit_tokens"),
                    &format!("{p}usage.prompt_cache_hit_tokens"),
                )?,
            };
            let mut reasoning = count(
                path(u, &["completion_tokens_details", "reasoning_tokens"]),
                &format!("{p}usage.completion_tokens_details.reasoning_tokens"),
            )?;
            let mut completion = completion;
            let total = count(u.get("total_tokens"), &format!("{p}usage.total_tokens"))?;
            let counted = prompt.unwrap_or(0).saturating_add(completion.unwrap_or(0));
            if let (Some(total), None) = (total, reasoning) {
                // Gemini's OpenAI-compatible API counts thinking tokens in
                // the total only; they are billed as output.
                if total > counted {
                    reasoning = Some(total - counted);
                    completion = Some(completion.unwrap_or(0) + (total - counted));
                }
            }
            let written_field = format!("{p}usage.prompt_tokens_details.cache_write_tokens");
            let written = count(
                path(u, &["prompt_tokens_details", "cache_write_tokens"]),
                &written_field,
            )?;
            let usage = split_usage(
                [
                    prompt.unwrap_or(0),
                    cached.unwrap_or(0),
                    written.unwrap_or(0),
                    completion.unwrap_or(0),
                    reasoning.unwrap_or(0),
                ],
                [
                    &format!("{p}usage.prompt_tokens"),
                    &cached_field,
                    &written_field,
                    &format!("{p}usage.completion_tokens"),
                    &format!("{p}usage.completion_tokens_details.reasoning_tokens"),
                ],
            )?;
            (usage, "created")
        }
        "response" | "response.compaction" => {
            let status = obj.get("status").and_then(Value::as_str).unwrap_or("");
            let Some(u) = usage else {
                return if matches!(status, "failed" | "cancelled" | "queued" | "in_progress") {
                    Ok(None)
                } else {
                    Err(missing(&format!("{p}usage")))
                };
            };
            let input = count(u.get("input_tokens"), &format!("{p}usage.input_tokens"))?;
            let output = count(u.get("output_tokens"), &format!("{p}usage.output_tokens"))?;
            if input.is_none() && output.is_none() {
                return Err(missing(&format!("{p}usage.input_tokens")));
            }
            let cached_field = format!("{p}usage.input_tokens_details.cached_tokens");
            let cached = count(
                path(u, &["input_tokens_details", "cached_tokens"]),
                &cached_field,
            )?;
            let reasoning_field = format!("{p}usage.output_tokens_details.reasoning_tokens");
            let reasoning = count(
                path(u, &["output_tokens_details", "reasoning_tokens"]),
                &reasoning_field,
            )?;
            let written_field = format!("{p}usage.input_tokens_details.cache_write_tokens");
            let written = count(
                path(u, &["input_tokens_details", "cache_write_tokens"]),
                &written_field,
            )?;
            let usage = split_usage(
                [
                    input.unwrap_or(0),
                    cached.unwrap_or(0),
                    written.unwrap_or(0),
                    output.unwrap_or(0),
                    reasoning.unwrap_or(0),
                ],
                [
                    &format!("{p}usage.input_tokens"),
                    &cached_field,
                    &written_field,
                    &format!("{p}usage.output_tokens"),
                    &reasoning_field,
                ],
            )?;
            match status {
                "completed" => env.success = env.success.or(Some(true)),
                "failed" => env.success = env.success.or(Some(false)),
                _ => {}
            }
            // Responses API metadata: the caller's own key-value pairs.
            if let Some(Value::Object(meta)) = obj.get("metadata") {
                for (k, v) in meta {
                    if let Some(v) = text(Some(v)) {
                        env.tags.entry(k.clone()).or_insert(v);
                    }
                }
            }
            (usage, "created_at")
        }
        "list" => {
            // Embeddings: every token is input.
            let Some(u) = usage else {
                return Ok(None);
            };
            let prompt = count(u.get("prompt_tokens"), &format!("{p}usage.prompt_tokens"))?
                .ok_or_else(|| missing(&format!("{p}usage.prompt_tokens")))?;
            (
                Usage {
                    input: prompt,
                    ..Usage::default()
                },
                "created",
            )
        }
        // Other objects (files, batches, models) carry no usage.
        _ => return Ok(None),
    };
    let model = match (kind, obj.get("model")) {
        // Compaction objects name no model: the parser fills in the
        // conversation's.
        ("response.compaction", None | Some(Value::Null)) => COMPACTION_WITHOUT_MODEL.to_string(),
        (_, model) => super::fields::model(model, &format!("{p}model"))?,
    };
    let ts = match env.ts {
        Some(ts) => ts,
        None => match obj.get(time_field) {
            None | Some(Value::Null) => return Err(missing(&format!("{p}{time_field}"))),
            Some(v) => super::fields::time(v, &format!("{p}{time_field}"))?,
        },
    };
    let tier = obj.get("service_tier").and_then(Value::as_str);
    if let Some(tier) = tier.filter(|t| !matches!(*t, "default" | "auto")) {
        env.tags
            .entry("service_tier".to_string())
            .or_insert_with(|| tier.to_string());
    }
    let id = text(obj.get("id"));
    let mut call = env.call(ts, "openai", model, usage, id);
    // Flex and priority processing are priced by the catalog.
    if let Some(tier) = tier {
        call.options.set(OptionKey::ServiceTier, tier);
    }
    if let Some(Value::Object(u)) = obj.get("usage") {
        // OpenRouter reports what it charged.
        call.billed = super::fields::money(u.get("cost"), &format!("{p}usage.cost"))?;
    }
    count_builtin_tool_calls(obj, &mut call.options);
    Ok(Some(call))
}

/// Counts a Responses API object's built-in tool calls (its `output[]`
/// items), which the catalog prices per call: `web_search_call` as
/// `web_search`, or `web_search_preview` when the request offered the preview
/// tool, and `file_search_call` as `file_search`.
fn count_builtin_tool_calls(obj: &Object, options: &mut crate::record::CallOptions) {
    let Some(Value::Array(output)) = obj.get("output") else {
        return;
    };
    let item_type = |v: &Value| v.get("type").and_then(Value::as_str).map(str::to_string);
    let preview = match obj.get("tools") {
        Some(Value::Array(tools)) => tools
            .iter()
            .filter_map(item_type)
            .any(|t| t.starts_with("web_search_preview")),
        _ => false,
    };
    for item in output {
        match item_type(item).as_deref() {
            Some("web_search_call") if preview => options.add_tool_uses("web_search_preview", 1),
            Some("web_search_call") => options.add_tool_uses("web_search", 1),
            Some("file_search_call") => options.add_tool_uses("file_search", 1),
            _ => {}
        }
    }
}

/// Canonical usage from OpenAI counts `[prompt, cached, written, output,
/// reasoning]`, where the prompt includes the cached and the written tokens
/// and the output includes reasoning. `names` are the five fields, for
/// messages.
fn split_usage(counts: [u64; 5], names: [&str; 5]) -> Result<Usage, LineProblem> {
    let [prompt, cached, written, output, reasoning] = counts;
    if cached > prompt {
        return Err(LineProblem::new(
            SkipReason::Inconsistent,
            format!(
                "field \"{}\": {cached} exceeds {} {prompt} (which must include the cached tokens)",
                names[1], names[0]
            ),
        ));
    }
    if written > prompt - cached {
        return Err(LineProblem::new(
            SkipReason::Inconsistent,
            format!(
                "field \"{}\": {written} written and {cached} cached tokens exceed {} {prompt} (which must include both)",
                names[2], names[0]
            ),
        ));
    }
    if reasoning > output {
        return Err(LineProblem::new(
            SkipReason::Inconsistent,
            format!(
                "field \"{}\": {reasoning} exceeds {} {output} (which must include reasoning)",
                names[4], names[3]
            ),
        ));
    }
    Ok(Usage {
        input: prompt - cached - written,
        cache_read: cached,
        cache_write_5m: written,
        output,
        reasoning,
        ..Usage::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(line: &str) -> Call {
        crate::ingest::format::test_call(parse_line, line)
    }

    fn err(line: &str) -> LineProblem {
        match parse_line(line.as_bytes()) {
            Err(e) => e,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn chat_completion_splits_cached_tokens() {
        let c = call(
            r#"{"id":"chatcmpl-1","object":"chat.completion","created":1772442000,"model":"gpt-4o","usage":{"prompt_tokens":1200,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":100}}}"#,
        );
        assert_eq!(c.usage.input, 176);
        assert_eq!(c.usage.cache_read, 1024);
        assert_eq!(c.usage.output, 300);
        assert_eq!(c.usage.reasoning, 100);
        assert_eq!(c.provider.as_deref(), Some("openai"));
        assert_eq!(c.id.as_deref(), Some("chatcmpl-1"));
        assert_eq!(c.ts.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        assert!(!c.batch);
    }

    #[test]
    fn cache_writes_are_split_off_the_prompt() {
        let c = call(
            r#"{"id":"chatcmpl-w","object":"chat.completion","created":1784286312,"model":"gpt-5.6-sol","usage":{"completion_tokens":4,"prompt_tokens":4020,"prompt_tokens_details":{"cache_write_tokens":4012,"cached_tokens":0}}}"#,
        );
        assert_eq!(
            (c.usage.input, c.usage.cache_write_5m, c.usage.cache_read),
            (8, 4012, 0)
        );
        let c = call(
            r#"{"id":"resp_w","object":"response","created_at":1784286312,"status":"completed","model":"openai/gpt-5.6-sol","usage":{"cost":0.025265,"input_tokens":4020,"input_tokens_details":{"cache_write_tokens":4012,"cached_tokens":0},"output_tokens":5}}"#,
        );
        assert_eq!((c.usage.input, c.usage.cache_write_5m), (8, 4012));
        // OpenRouter's own charge is the billed amount.
        assert_eq!(c.billed, Some(crate::money::Money(25_265_000_000_000)));
        let e = err(
            r#"{"id":"x","object":"chat.completion","created":1,"model":"m","usage":{"completion_tokens":1,"prompt_tokens":10,"prompt_tokens_details":{"cache_write_tokens":8,"cached_tokens":5}}}"#,
        );
        assert_eq!(e.reason, SkipReason::Inconsistent);
    }

    #[test]
    fn thinking_tokens_counted_only_in_the_total_are_output() {
        let c = call(
            r#"{"id":"g","object":"chat.completion","created":1772442000,"model":"gemini-2.5-pro","usage":{"completion_tokens":12,"prompt_tokens":35,"total_tokens":109}}"#,
        );
        assert_eq!(
            (c.usage.input, c.usage.output, c.usage.reasoning),
            (35, 74, 62)
        );
    }

    #[test]
    fn anthropic_messages_in_an_openai_file_are_read_unless_the_format_is_forced() {
        use crate::ingest::format::{parser_for, Context};
        let context = Context {
            file: "mixed.jsonl".to_string(),
            path: None,
            dedup: Default::default(),
            undated: Some(chrono::DateTime::UNIX_EPOCH),
        };
        let line = br#"{"id":"msg_1","type":"message","model":"claude-sonnet-4-6","usage":{"input_tokens":42,"output_tokens":291}}"#;
        let mut detected = parser_for(&FORMAT, false, &context);
        let parsed = detected.parse(line);
        let c = parsed.one_call().expect("not read");
        assert_eq!(
            (c.model.as_str(), c.usage.output),
            ("claude-sonnet-4-6", 291)
        );
        let mut forced = parser_for(&FORMAT, true, &context);
        assert!(
            matches!(forced.parse(line), Parsed::Problem(p) if p.message.contains("not an OpenAI response"))
        );
    }

    #[test]
    fn compactions_take_the_conversation_model() {
        let lines = [
            r#"{"id":"resp_1","object":"response","created_at":1775105407,"status":"completed","model":"gpt-4o-mini-2024-07-18","usage":{"input_tokens":51,"output_tokens":9}}"#,
            r#"{"id":"resp_2","object":"response.compaction","created_at":1775105412,"usage":{"input_tokens":156,"input_tokens_details":{"cached_tokens":0},"output_tokens":190}}"#,
        ];
        let parsed = FORMAT.test_parse(&lines);
        let c = parsed[1].one_call().expect("a call");
        assert_eq!(c.model, "gpt-4o-mini-2024-07-18");
        assert_eq!((c.usage.input, c.usage.output), (156, 190));
        // Without an earlier response it is listed as unpriced, not dropped.
        let alone = FORMAT.test_parse(&lines[1..]);
        let c = alone[0].one_call().expect("a call");
        assert_eq!(c.model, COMPACTION_WITHOUT_MODEL);
    }

    #[test]
    fn envelope_time_and_metadata_win() {
        let c = call(
            r#"{"timestamp":"2026-03-02T09:05:00Z","response":{"id":"r","object":"response","created_at":1772406000,"status":"completed","model":"gpt-5","usage":{"input_tokens":10,"output_tokens":5},"metadata":{"team":"inner","app":"x"}},"metadata":{"session":"s-1","account":"acme","tags":{"team":"search"},"env":"prod"}}"#,
        );
        assert_eq!(c.ts.to_rfc3339(), "2026-03-02T09:05:00+00:00");
        assert_eq!(c.session.as_deref(), Some("s-1"));
        assert_eq!(c.account, "acme");
        assert_eq!(c.tags["team"], "search");
        assert_eq!(c.tags["env"], "prod");
        assert_eq!(c.tags["app"], "x");
        assert_eq!(c.success, Some(true));
    }

    #[test]
    fn batch_lines() {
        let c = call(
            r#"{"id":"batch_req_1","custom_id":"a","response":{"status_code":200,"request_id":"r","body":{"id":"chatcmpl-2","object":"chat.completion","created":1772442000,"model":"gpt-4o-mini","usage":{"prompt_tokens":10,"completion_tokens":2}}},"error":null}"#,
        );
        assert!(c.batch);
        for line in [
            r#"{"id":"batch_req_2","custom_id":"b","response":null,"error":{"code":"batch_expired","message":"expired"}}"#,
            r#"{"id":"batch_req_3","custom_id":"c","response":{"status_code":400,"body":{"error":{"message":"bad"}}},"error":null}"#,
        ] {
            assert!(matches!(parse_line(line.as_bytes()), Ok(None)), "{line}");
        }
        let e = err(
            r#"{"id":"batch_req_4","custom_id":"d","response":{"status_code":200,"body":{"id":"x","object":"chat.completion","created":1772442000,"model":"gpt-4o"}},"error":null}"#,
        );
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(
            e.message.contains("\"response.body.usage\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn problems_name_their_field() {
        let e = err(
            r#"{"id":"c","object":"chat.completion","created":1772442000,"model":"gpt-4o","usage":{"prompt_tokens":1000,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":2000}}}"#,
        );
        assert_eq!(e.reason, SkipReason::Inconsistent);
        assert!(e.message.contains("cached_tokens"), "{}", e.message);
        let e = err(r#"{"type":"message","model":"claude-sonnet-4-5","usage":{}}"#);
        assert_eq!(e.reason, SkipReason::BadField);
        let e = err(
            r#"{"id":"c","object":"chat.completion","created":"soon","model":"gpt-4o","usage":{"prompt_tokens":1}}"#,
        );
        assert_eq!(e.reason, SkipReason::BadTimestamp);
        let e = err(r#"{"id":"c","object":"chat.com"#);
        assert_eq!(e.reason, SkipReason::MalformedJson);
    }

    #[test]
    fn stream_chunks_and_events() {
        assert!(matches!(
            parse_line(br#"{"id":"c","object":"chat.completion.chunk","created":1772442000,"model":"gpt-4o","choices":[],"usage":null}"#),
            Ok(None)
        ));
        assert!(matches!(
            parse_line(br#"{"type":"response.created","response":{"id":"r","object":"response","created_at":1772442000,"status":"in_progress","model":"gpt-5","usage":null}}"#),
            Ok(None)
        ));
        let c = call(
            r#"{"type":"response.completed","sequence_number":9,"response":{"id":"r","object":"response","created_at":1772442000,"status":"completed","model":"gpt-5","service_tier":"flex","usage":{"input_tokens":10,"output_tokens":5}}}"#,
        );
        assert!(!c.batch);
        assert_eq!(c.options.service_tier.as_deref(), Some("flex"));
        assert_eq!(c.tags["service_tier"], "flex");
    }

    #[test]
    fn detects_its_shapes_only() {
        let yes: [&[u8]; 3] = [
            br#"{"id":"c","object":"chat.completion","created":1,"model":"m","usage":{}}"#,
            br#"{"id":"batch_req_1","custom_id":"a","response":null,"error":{"code":"x"}}"#,
            br#"{"ts":1,"response":{"object":"response"}}"#,
        ];
        for line in yes {
            let sniff = Sniff::new(vec![line], None);
            assert!(detect(&sniff), "{}", String::from_utf8_lossy(line));
        }
        let no: [&[u8]; 3] = [
            br#"{"ts":"2026-03-01T00:00:00Z","model":"m","usage":{"input":1}}"#,
            br#"{"custom_id":"a","result":{"type":"succeeded"}}"#,
            br#"{"timestamp":1,"response":{"type":"message","usage":{}}}"#,
        ];
        for line in no {
            let sniff = Sniff::new(vec![line], None);
            assert!(!detect(&sniff), "{}", String::from_utf8_lossy(line));
        }
    }
}
