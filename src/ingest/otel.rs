//! OpenTelemetry GenAI spans exported as JSON lines.
//!
//! Two shapes are read:
//!
//! - OTLP JSON, one export request per line (what the Collector's file
//!   exporter writes): `{"resourceSpans":[{"resource":{"attributes":[…]},
//!   "scopeSpans":[{"spans":[{"traceId","spanId","parentSpanId",
//!   "startTimeUnixNano","endTimeUnixNano","attributes":[{"key":…,"value":
//!   {"stringValue"|"intValue"|"doubleValue":…}}],"status":{…}}]}]}]}`; every
//!   span with GenAI usage becomes a call, so one line can hold many;
//! - flat span objects, one per line: `{"name":…,"context":{"trace_id",
//!   "span_id"}|"traceId","spanId","start_time"|"startTime":…,
//!   "attributes":{"gen_ai.request.model":…,…}}`.
//!
//! Attributes follow the GenAI semantic conventions: the model is
//! `gen_ai.response.model`, else `gen_ai.request.model`; the provider
//! `gen_ai.provider.name`, else `gen_ai.system`; `gen_ai.usage.input_tokens`
//! includes the cache reads (`gen_ai.usage.cache_read.input_tokens`) and
//! writes (`gen_ai.usage.cache_creation.input_tokens`), which are taken out
//! of it (saturating at zero) for canonical `input`. Older attribute names
//! (`gen_ai.usage.prompt_tokens`, `gen_ai.usage.cache_read_input_tokens`, …)
//! are read too.
//!
//! Agent frameworks sometimes also put the summed usage of an agent run on
//! the parent span: a span with usage whose descendants in the same line
//! carry usage too is such a roll-up and is not counted again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::fields::{
    count, latency_ms, missing, parse_object, problem, text, time, time_nanos, Envelope, Object,
};
use super::format::{Context, Dedup, InputFormat, LineParser, Parsed, Sniff};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "otel",
    title: "OpenTelemetry GenAI spans exported as JSON lines",
    example: r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat gpt-4o","startTimeUnixNano":"1772791200000000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"3000"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"200"}}]}]}]}]}"#,
    mapping: "one call per span with gen_ai.usage.* attributes (OTLP JSON export lines, possibly many spans each, or flat span objects); model = gen_ai.response.model else gen_ai.request.model; provider = gen_ai.provider.name else gen_ai.system; input = gen_ai.usage.input_tokens − cache_read.input_tokens − cache_creation.input_tokens (saturating: input_tokens includes both), cache_read = gen_ai.usage.cache_read.input_tokens, cache_write_5m = gen_ai.usage.cache_creation.input_tokens, output = gen_ai.usage.output_tokens; time = span start; session = gen_ai.conversation.id else the trace id; id = trace id + span id (duplicates folded); tags service (service.name), operation (gen_ai.operation.name), agent (gen_ai.agent.name); status ERROR = failed call; a span whose descendants in the same line also carry usage is a roll-up and is skipped; lines without GenAI usage are not calls",
    detect,
    parser: |ctx: &Context| Box::new(Otel {
        dedup: ctx.dedup.clone(),
    }),
};

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        m.get("resourceSpans").is_some_and(Value::is_array)
            || (m.contains_key("name")
                && attributes(m.get("attributes"))
                    .is_some_and(|a| a.keys().any(|k| k.starts_with("gen_ai."))))
    })
}

struct Otel {
    dedup: Arc<Dedup>,
}

impl LineParser for Otel {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        let calls = match parse_line(line) {
            Ok(calls) => calls,
            Err(p) => return Parsed::Problem(p),
        };
        if calls.is_empty() {
            return Parsed::NotACall;
        }
        let fresh: Vec<Call> = calls
            .into_iter()
            .filter(|c| match &c.id {
                Some(id) => self.dedup.first(&format!("otel:{id}")),
                None => true,
            })
            .collect();
        if fresh.is_empty() {
            Parsed::Duplicate
        } else {
            Parsed::Calls(fresh)
        }
    }
}

/// One span, whichever shape it came in.
struct Span {
    trace_id: Option<String>,
    span_id: Option<String>,
    parent_id: Option<String>,
    attrs: HashMap<String, Value>,
    /// Resource attributes (OTLP) or the flat span's `resource.attributes`.
    service: Option<String>,
    start: Option<(Value, &'static str)>,
    end: Option<(Value, &'static str)>,
    status: Option<Value>,
}

impl Span {
    fn has_usage(&self) -> bool {
        USAGE_KEYS.iter().any(|k| self.attrs.contains_key(*k))
    }

    /// How messages name this span.
    fn label(&self) -> String {
        match &self.span_id {
            Some(id) => format!("span {id}: "),
            None => String::new(),
        }
    }
}

const INPUT_KEYS: [&str; 2] = ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"];
const OUTPUT_KEYS: [&str; 2] = [
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
];
const USAGE_KEYS: [&str; 4] = [INPUT_KEYS[0], INPUT_KEYS[1], OUTPUT_KEYS[0], OUTPUT_KEYS[1]];
const CACHE_READ_KEYS: [&str; 3] = [
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.input_tokens.cached",
];
const CACHE_WRITE_KEYS: [&str; 3] = [
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.input_tokens.cache_write",
];
const REASONING_KEYS: [&str; 2] = [
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.output_tokens.reasoning",
];

/// Reads one line: the calls of its GenAI spans (none for a line without
/// GenAI usage). One bad span makes the whole line a problem, so that no
/// span is dropped silently.
pub fn parse_line(line: &[u8]) -> Result<Vec<Call>, LineProblem> {
    let obj = parse_object(line)?;
    let spans = if obj.contains_key("resourceSpans") {
        otlp_spans(&obj)?
    } else if obj.contains_key("attributes") {
        vec![flat_span(&obj)?]
    } else {
        return Err(LineProblem::new(
            SkipReason::BadField,
            "record: not OpenTelemetry spans: expected \"resourceSpans\" (OTLP JSON) or a span with \"attributes\"".to_string(),
        ));
    };
    // Roll-ups: spans with usage that are ancestors of other spans with usage.
    let parents: HashMap<(&str, &str), &str> = spans
        .iter()
        .filter_map(|s| {
            Some((
                (s.trace_id.as_deref().unwrap_or(""), s.span_id.as_deref()?),
                s.parent_id.as_deref()?,
            ))
        })
        .collect();
    let mut rolled_up: HashSet<(&str, &str)> = HashSet::new();
    for s in spans.iter().filter(|s| s.has_usage()) {
        let trace = s.trace_id.as_deref().unwrap_or("");
        let mut parent = s.parent_id.as_deref();
        let mut steps = 0;
        while let Some(p) = parent.filter(|p| !p.is_empty()) {
            if !rolled_up.insert((trace, p)) || steps > 256 {
                break;
            }
            parent = parents.get(&(trace, p)).copied();
            steps += 1;
        }
    }
    let with_usage: Vec<&Span> = spans
        .iter()
        .filter(|s| s.has_usage())
        .filter(|s| {
            let key = (
                s.trace_id.as_deref().unwrap_or(""),
                s.span_id.as_deref().unwrap_or(""),
            );
            s.span_id.is_none() || !rolled_up.contains(&key)
        })
        .collect();
    let mut calls = Vec::with_capacity(with_usage.len());
    for span in &with_usage {
        match span_call(span) {
            Ok(call) => calls.push(call),
            Err(p) => {
                let others = with_usage.len() - 1;
                let note = if others > 0 {
                    format!(" (the line's {others} other GenAI span(s) are not counted either)")
                } else {
                    String::new()
                };
                return Err(LineProblem::new(
                    p.reason,
                    format!("{}{}{note}", span.label(), p.message),
                ));
            }
        }
    }
    Ok(calls)
}

/// An OTLP `AnyValue` as plain JSON (strings, numbers, booleans).
fn any_value(v: &Value) -> Value {
    let Some(m) = v.as_object() else {
        return v.clone();
    };
    for key in ["stringValue", "intValue", "doubleValue", "boolValue"] {
        if let Some(x) = m.get(key) {
            return x.clone();
        }
    }
    Value::Null
}

/// Attributes as a map: an OTLP list of `{"key","value"}` or a plain object.
fn attributes(v: Option<&Value>) -> Option<HashMap<String, Value>> {
    match v? {
        Value::Array(list) => Some(
            list.iter()
                .filter_map(|kv| {
                    let key = kv.get("key")?.as_str()?;
                    Some((key.to_string(), any_value(kv.get("value")?)))
                })
                .collect(),
        ),
        Value::Object(m) => Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        _ => None,
    }
}

fn array<'a>(obj: &'a Object, key: &str) -> &'a [Value] {
    obj.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Hex ids, with the `0x` some exporters print.
fn id(v: Option<&Value>) -> Option<String> {
    text(v).map(|s| s.trim_start_matches("0x").to_string())
}

fn otlp_spans(obj: &Object) -> Result<Vec<Span>, LineProblem> {
    if !obj.get("resourceSpans").is_some_and(Value::is_array) {
        return Err(problem(
            SkipReason::BadField,
            "resourceSpans",
            "expected an array",
        ));
    }
    let mut spans = Vec::new();
    for rs in array(obj, "resourceSpans")
        .iter()
        .filter_map(Value::as_object)
    {
        let resource = rs
            .get("resource")
            .and_then(|r| attributes(r.get("attributes")))
            .unwrap_or_default();
        let service = text(resource.get("service.name"));
        let scopes = array(rs, "scopeSpans")
            .iter()
            .chain(array(rs, "instrumentationLibrarySpans"));
        for scope in scopes.filter_map(Value::as_object) {
            for span in array(scope, "spans").iter().filter_map(Value::as_object) {
                spans.push(Span {
                    trace_id: id(span.get("traceId")),
                    span_id: id(span.get("spanId")),
                    parent_id: id(span.get("parentSpanId")),
                    attrs: attributes(span.get("attributes")).unwrap_or_default(),
                    service: service.clone(),
                    start: span
                        .get("startTimeUnixNano")
                        .map(|v| (v.clone(), "startTimeUnixNano")),
                    end: span
                        .get("endTimeUnixNano")
                        .map(|v| (v.clone(), "endTimeUnixNano")),
                    status: span.get("status").cloned(),
                });
            }
        }
    }
    Ok(spans)
}

fn flat_span(obj: &Object) -> Result<Span, LineProblem> {
    let attrs = attributes(obj.get("attributes")).ok_or_else(|| {
        problem(
            SkipReason::BadField,
            "attributes",
            "expected an object or a list of {\"key\",\"value\"}",
        )
    })?;
    let context = obj.get("context").and_then(Value::as_object);
    let first = |keys: &[&'static str]| -> Option<(Value, &'static str)> {
        keys.iter().find_map(|k| {
            obj.get(*k)
                .filter(|v| !v.is_null())
                .map(|v| (v.clone(), *k))
        })
    };
    let service = obj
        .get("resource")
        .and_then(|r| attributes(r.get("attributes")))
        .and_then(|r| text(r.get("service.name")));
    Ok(Span {
        trace_id: id(context
            .and_then(|c| c.get("trace_id"))
            .or_else(|| obj.get("traceId"))
            .or_else(|| obj.get("trace_id"))),
        span_id: id(context
            .and_then(|c| c.get("span_id"))
            .or_else(|| obj.get("spanId"))
            .or_else(|| obj.get("span_id"))),
        parent_id: id(obj
            .get("parent_id")
            .or_else(|| obj.get("parentSpanId"))
            .or_else(|| obj.get("parent_span_id"))),
        attrs,
        service,
        start: first(&[
            "start_time",
            "startTime",
            "startTimeUnixNano",
            "start_time_unix_nano",
            "timestamp",
        ]),
        end: first(&[
            "end_time",
            "endTime",
            "endTimeUnixNano",
            "end_time_unix_nano",
        ]),
        status: obj.get("status").cloned(),
    })
}

fn span_time(v: &(Value, &'static str)) -> Result<DateTime<Utc>, LineProblem> {
    let (value, field) = v;
    if field.to_ascii_lowercase().contains("nano") {
        time_nanos(value, field)
    } else {
        time(value, field)
    }
}

/// `Some(false)` for an error status, `Some(true)` for OK.
fn success(status: Option<&Value>) -> Option<bool> {
    let status = status?;
    let code = status
        .get("code")
        .or_else(|| status.get("status_code"))
        .unwrap_or(status);
    match code {
        Value::Number(n) => match n.as_u64() {
            Some(1) => Some(true),
            Some(2) => Some(false),
            _ => None,
        },
        Value::String(s) => {
            let s = s.to_ascii_uppercase();
            if s.ends_with("ERROR") {
                Some(false)
            } else if s.ends_with("OK") {
                Some(true)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn first_count(attrs: &HashMap<String, Value>, keys: &[&str]) -> Result<Option<u64>, LineProblem> {
    for k in keys {
        if let Some(n) = count(attrs.get(*k), k)? {
            return Ok(Some(n));
        }
    }
    Ok(None)
}

fn span_call(span: &Span) -> Result<Call, LineProblem> {
    let a = &span.attrs;
    let model = text(a.get("gen_ai.response.model"))
        .or_else(|| text(a.get("gen_ai.request.model")))
        .ok_or_else(|| missing("gen_ai.request.model"))?;
    let input = first_count(a, &INPUT_KEYS)?.unwrap_or(0);
    let output = first_count(a, &OUTPUT_KEYS)?.unwrap_or(0);
    let cache_read = first_count(a, &CACHE_READ_KEYS)?.unwrap_or(0);
    let cache_write = first_count(a, &CACHE_WRITE_KEYS)?.unwrap_or(0);
    let reasoning = first_count(a, &REASONING_KEYS)?.unwrap_or(0).min(output);
    let usage = Usage {
        input: input.saturating_sub(cache_read.saturating_add(cache_write)),
        cache_read,
        cache_write_5m: cache_write,
        cache_write_1h: 0,
        output,
        reasoning,
    };
    let start = span
        .start
        .as_ref()
        .ok_or_else(|| missing("startTimeUnixNano"))?;
    let ts = span_time(start)?;
    let end = match &span.end {
        Some(e) => span_time(e).ok(),
        None => None,
    };
    let mut env = Envelope {
        session: text(a.get("gen_ai.conversation.id")).or_else(|| span.trace_id.clone()),
        latency_ms: latency_ms(ts, end),
        success: if a.contains_key("error.type") {
            Some(false)
        } else {
            success(span.status.as_ref())
        },
        ..Envelope::default()
    };
    for (tag, key) in [
        ("service", None),
        ("operation", Some("gen_ai.operation.name")),
        ("agent", Some("gen_ai.agent.name")),
    ] {
        let value = match key {
            None => span.service.clone(),
            Some(k) => text(a.get(k)),
        };
        if let Some(v) = value {
            env.tags.insert(tag.to_string(), v);
        }
    }
    let provider = text(a.get("gen_ai.provider.name")).or_else(|| text(a.get("gen_ai.system")));
    let id = match (&span.trace_id, &span.span_id) {
        (Some(t), Some(s)) => Some(format!("{t}:{s}")),
        (None, Some(s)) => Some(s.clone()),
        _ => None,
    };
    let mut call = env.call(ts, "", model, usage, id);
    call.provider = provider;
    Ok(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: &str, value: &str) -> String {
        format!(r#"{{"key":"{key}","value":{value}}}"#)
    }

    #[test]
    fn otlp_line_with_rollup_and_cache() {
        let attrs_parent = [
            kv("gen_ai.operation.name", r#"{"stringValue":"invoke_agent"}"#),
            kv("gen_ai.request.model", r#"{"stringValue":"gpt-4o"}"#),
            kv("gen_ai.usage.input_tokens", r#"{"intValue":"15000"}"#),
            kv("gen_ai.usage.output_tokens", r#"{"intValue":"800"}"#),
        ]
        .join(",");
        let attrs_child = [
            kv("gen_ai.system", r#"{"stringValue":"anthropic"}"#),
            kv(
                "gen_ai.request.model",
                r#"{"stringValue":"claude-sonnet-4-5"}"#,
            ),
            kv("gen_ai.usage.input_tokens", r#"{"intValue":12000}"#),
            kv(
                "gen_ai.usage.cache_read.input_tokens",
                r#"{"intValue":"10000"}"#,
            ),
            kv(
                "gen_ai.usage.cache_creation.input_tokens",
                r#"{"doubleValue":1500.0}"#,
            ),
            kv("gen_ai.usage.output_tokens", r#"{"intValue":"600"}"#),
        ]
        .join(",");
        let line = format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{}]}},"scopeSpans":[{{"spans":[{{"traceId":"t1","spanId":"a","name":"agent","startTimeUnixNano":"1772791200000000000","attributes":[{attrs_parent}]}},{{"traceId":"t1","spanId":"b","parentSpanId":"a","name":"chat","startTimeUnixNano":"1772791201000000000","endTimeUnixNano":"1772791203500000000","status":{{"code":1}},"attributes":[{attrs_child}]}}]}}]}}]}}"#,
            kv("service.name", r#"{"stringValue":"bot"}"#)
        );
        let calls = parse_line(line.as_bytes()).unwrap();
        assert_eq!(calls.len(), 1, "the agent span is a roll-up");
        let c = &calls[0];
        assert_eq!(c.model, "claude-sonnet-4-5");
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        assert_eq!(
            (
                c.usage.input,
                c.usage.cache_read,
                c.usage.cache_write_5m,
                c.usage.output
            ),
            (500, 10000, 1500, 600)
        );
        assert_eq!(c.session.as_deref(), Some("t1"));
        assert_eq!(c.id.as_deref(), Some("t1:b"));
        assert_eq!(c.latency_ms, Some(2500));
        assert_eq!(c.success, Some(true));
        assert_eq!(c.tags["service"], "bot");
        assert_eq!(c.ts.to_rfc3339(), "2026-03-06T10:00:01+00:00");
    }

    #[test]
    fn flat_spans() {
        let c = parse_line(
            br#"{"name":"chat","context":{"trace_id":"0xabc","span_id":"0xdef"},"start_time":"2026-03-06T12:00:00Z","attributes":{"gen_ai.request.model":"gpt-4o-mini","gen_ai.response.model":"gpt-4o-mini-2024-07-18","gen_ai.usage.input_tokens":500,"gen_ai.usage.cache_read.input_tokens":600,"gen_ai.usage.output_tokens":100,"gen_ai.conversation.id":"conv-7"}}"#,
        )
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].model, "gpt-4o-mini-2024-07-18");
        assert_eq!((c[0].usage.input, c[0].usage.cache_read), (0, 600));
        assert_eq!(c[0].session.as_deref(), Some("conv-7"));
        assert_eq!(c[0].id.as_deref(), Some("abc:def"));
    }

    #[test]
    fn spans_without_usage_and_bad_spans() {
        let none = parse_line(
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"t","spanId":"s","name":"GET /","startTimeUnixNano":"1","attributes":[]}]}]}]}"#,
        )
        .unwrap();
        assert!(none.is_empty());
        let e = parse_line(
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"t","spanId":"s","name":"chat","startTimeUnixNano":"1772791200000000000","attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"5"}}]}]}]}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(
            e.message
                .starts_with("span s: field \"gen_ai.request.model\""),
            "{}",
            e.message
        );
    }
}
