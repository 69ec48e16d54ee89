//! Amp (Sourcegraph) thread files (`~/.local/share/amp/threads/T-*.json`).
//!
//! A thread is one pretty-printed JSON object, rewritten whole as it grows:
//! `{v, id: "T-…", created, title, messages: [...], usageLedger?: {events:
//! [...]}, env?: {initial: {trees: [{uri, displayName}]}}}`. It is compacted
//! to one line before parsing, so one line holds every call of the thread.
//!
//! Usage is recorded in two places. Current threads put it on assistant
//! messages (`messages[].usage`: Anthropic-style `inputTokens` that exclude
//! the cache, `cacheReadInputTokens`, `cacheCreationInputTokens`,
//! `outputTokens`); legacy threads (before about 2026-01) keep a ledger
//! (`usageLedger.events[]`: `tokens.input/output`, no cache split) whose
//! `toMessageId` names the message the call produced. Both describe the same
//! call, so a ledger event whose `toMessageId` is a message with usage is
//! not counted again: the message is read (Amp's own loader notes call
//! `messages[].usage` primary, and only it has the cache split). Ledger
//! events with no such message (legacy threads, side calls) are calls.
//!
//! `credits` are Amp credits, not dollars: a tag, never `billed`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::fields::{
    count, last_component, missing, parse_object, path, problem, text, time, Object,
};
use super::format::{CopyOf, InputFormat, LineParser, Parsed, Sniff};
use super::places::{env_list, existing, Env};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "amp",
    title: "Amp thread files (~/.local/share/amp/threads/T-*.json)",
    example: r#"{"v":5,"id":"T-5f0c3b1e-8d2a-4c6e-9b7a-1e2d3c4b5a69","created":1768822930000,"messages":[{"role":"assistant","messageId":1,"usage":{"model":"claude-haiku-4-5-20251001","inputTokens":10,"outputTokens":178,"cacheCreationInputTokens":986,"cacheReadInputTokens":11372,"totalInputTokens":12368,"timestamp":"2026-01-19T11:42:10.652Z"}}]}"#,
    mapping: "one call per assistant message with usage: input = usage.inputTokens (excludes the cache), cache_read = usage.cacheReadInputTokens, cache_write_5m = usage.cacheCreationInputTokens, output = usage.outputTokens; model = usage.model (else the message's model), ts = usage.timestamp (else the message's timestamp). Legacy threads keep a usageLedger: each event is a call (input = tokens.input, output = tokens.output, no cache split) unless its toMessageId names a message with usage, which is the same call (the message is read: Amp's notes call messages[].usage primary and only it has the cache split; ledger and message are never both counted). session = thread id; id = messageId (or the event id); tag project = last folder of env.initial.trees[0].uri (else its displayName); tag credits = Amp credits (not USD: never a billed amount). Records with no tokens are not calls; a thread read twice (a copy) counts each call once.",
    detect,
    parser: |_| Box::new(Amp),
};

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        let thread_id = m
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.starts_with("T-"));
        thread_id
            && (m.get("messages").is_some_and(Value::is_array) || m.contains_key("usageLedger"))
    })
}

struct Amp;

impl LineParser for Amp {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        match read(line) {
            Ok(mut copies) => match copies.len() {
                0 => Parsed::NotACall,
                1 => {
                    let (call, of) = copies.remove(0);
                    Parsed::Copy(Box::new(call), of)
                }
                _ => Parsed::Copies(copies),
            },
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

/// What every call of a thread shares.
struct Thread {
    id: String,
    project: Option<String>,
}

impl Thread {
    fn call(
        &self,
        ts: chrono::DateTime<chrono::Utc>,
        model: String,
        usage: Usage,
        id: String,
        credits: Option<String>,
    ) -> (Call, CopyOf) {
        let mut tags = std::collections::BTreeMap::new();
        if let Some(p) = &self.project {
            tags.insert("project".to_string(), p.clone());
        }
        if let Some(c) = credits {
            tags.insert("credits".to_string(), c);
        }
        let key = format!("amp:{}:{id}", self.id);
        let rank = total(&usage);
        let call = Call {
            session: Some(self.id.clone()),
            id: Some(id),
            tags,
            ..Call::new(ts, model, usage)
        };
        (call, CopyOf::new(&key, rank))
    }
}

fn total(u: &Usage) -> u64 {
    [u.input, u.cache_read, u.cache_write_5m, u.output]
        .into_iter()
        .fold(0, u64::saturating_add)
}

fn read(line: &[u8]) -> Result<Vec<(Call, CopyOf)>, LineProblem> {
    let obj = parse_object(line)?;
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        None | Some(Value::Null) => return Err(missing("id")),
        Some(_) => {
            return Err(problem(
                SkipReason::BadField,
                "id",
                "expected the thread id as a string",
            ))
        }
    };
    let thread = Thread {
        id,
        project: project_of(&obj),
    };
    let messages: &[Value] = match obj.get("messages") {
        Some(Value::Array(m)) => m,
        None | Some(Value::Null) => &[],
        Some(_) => {
            return Err(problem(
                SkipReason::BadField,
                "messages",
                "expected an array",
            ))
        }
    };
    let mut calls = Vec::new();
    // messageIds whose message carries usage: ledger events naming them are
    // the same calls.
    let mut with_usage: Vec<String> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let at = format!("messages[{i}]");
        let Value::Object(m) = m else {
            return Err(problem(SkipReason::BadField, &at, "expected an object"));
        };
        if let Some((call, of, message_id)) = message_call(&thread, m, &at)? {
            with_usage.extend(message_id);
            calls.push((call, of));
        }
    }
    let events: &[Value] = match path(&obj, &["usageLedger", "events"]) {
        Some(Value::Array(e)) => e,
        None => &[],
        Some(_) => {
            return Err(problem(
                SkipReason::BadField,
                "usageLedger.events",
                "expected an array",
            ))
        }
    };
    for (i, e) in events.iter().enumerate() {
        let at = format!("usageLedger.events[{i}]");
        let Value::Object(e) = e else {
            return Err(problem(SkipReason::BadField, &at, "expected an object"));
        };
        if text(e.get("toMessageId")).is_some_and(|to| with_usage.contains(&to)) {
            continue;
        }
        calls.extend(event_call(&thread, e, &at)?);
    }
    Ok(calls)
}

/// The last folder of the thread's first workspace tree (`file://` URI),
/// else the tree's display name.
fn project_of(obj: &Object) -> Option<String> {
    let tree = match path(obj, &["env", "initial", "trees"])? {
        Value::Array(trees) => trees.first()?.as_object()?,
        _ => return None,
    };
    let from_uri = tree
        .get("uri")
        .and_then(Value::as_str)
        .and_then(|u| u.strip_prefix("file://"))
        .and_then(last_component);
    from_uri.or_else(|| text(tree.get("displayName")))
}

fn string_field(v: Option<&Value>, field: &str) -> Result<Option<String>, LineProblem> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        Some(_) => Err(problem(
            SkipReason::BadField,
            field,
            "expected a non-empty string",
        )),
    }
}

/// Credits as text, for the tag (Amp's unit, not dollars).
fn credits(v: Option<&Value>, field: &str) -> Result<Option<String>, LineProblem> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(problem(
            SkipReason::BadField,
            field,
            "expected a number of Amp credits",
        )),
    }
}

type MessageCall = (Call, CopyOf, Option<String>);

fn message_call(thread: &Thread, m: &Object, at: &str) -> Result<Option<MessageCall>, LineProblem> {
    if m.get("role").and_then(Value::as_str) != Some("assistant") {
        return Ok(None);
    }
    let usage = match m.get("usage") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(u)) => u,
        Some(_) => {
            return Err(problem(
                SkipReason::BadTokenCount,
                &format!("{at}.usage"),
                "expected an object of token counts",
            ))
        }
    };
    let get =
        |k: &str| count(usage.get(k), &format!("{at}.usage.{k}")).map(Option::unwrap_or_default);
    let u = Usage {
        input: get("inputTokens")?,
        cache_read: get("cacheReadInputTokens")?,
        cache_write_5m: get("cacheCreationInputTokens")?,
        cache_write_1h: 0,
        output: get("outputTokens")?,
        reasoning: 0,
    };
    if total(&u) == 0 {
        // A message still streaming, or one Amp wrote zeros for.
        return Ok(None);
    }
    let model = match string_field(usage.get("model"), &format!("{at}.usage.model"))? {
        Some(m) => m,
        None => string_field(m.get("model"), &format!("{at}.model"))?
            .ok_or_else(|| missing(&format!("{at}.usage.model")))?,
    };
    let ts = match (
        usage.get("timestamp").filter(|v| !v.is_null()),
        m.get("timestamp").filter(|v| !v.is_null()),
    ) {
        (Some(v), _) => time(v, &format!("{at}.usage.timestamp"))?,
        (None, Some(v)) => time(v, &format!("{at}.timestamp"))?,
        (None, None) => return Err(missing(&format!("{at}.usage.timestamp"))),
    };
    let message_id = text(m.get("messageId"));
    let id = match &message_id {
        Some(id) => format!("message-{id}"),
        // No id to fold by: the place in the thread (rewritten in order).
        None => at.to_string(),
    };
    let credits = credits(usage.get("credits"), &format!("{at}.usage.credits"))?;
    let (call, of) = thread.call(ts, model, u, id, credits);
    Ok(Some((call, of, message_id)))
}

fn event_call(
    thread: &Thread,
    e: &Object,
    at: &str,
) -> Result<Option<(Call, CopyOf)>, LineProblem> {
    let tokens = match e.get("tokens") {
        Some(Value::Object(t)) => t,
        None | Some(Value::Null) => return Err(missing(&format!("{at}.tokens"))),
        Some(_) => {
            return Err(problem(
                SkipReason::BadTokenCount,
                &format!("{at}.tokens"),
                "expected an object of token counts",
            ))
        }
    };
    let get =
        |k: &str| count(tokens.get(k), &format!("{at}.tokens.{k}")).map(Option::unwrap_or_default);
    let u = Usage {
        input: get("input")?,
        output: get("output")?,
        ..Usage::default()
    };
    if total(&u) == 0 {
        return Ok(None);
    }
    let model = string_field(e.get("model"), &format!("{at}.model"))?
        .ok_or_else(|| missing(&format!("{at}.model")))?;
    let ts = match e.get("timestamp").filter(|v| !v.is_null()) {
        Some(v) => time(v, &format!("{at}.timestamp"))?,
        None => return Err(missing(&format!("{at}.timestamp"))),
    };
    let id = string_field(e.get("id"), &format!("{at}.id"))?
        .ok_or_else(|| missing(&format!("{at}.id")))?;
    let credits = credits(e.get("credits"), &format!("{at}.credits"))?;
    let (mut call, of) = thread.call(ts, model, u, format!("event-{id}"), credits);
    if let Some(op) = string_field(e.get("operationType"), &format!("{at}.operationType"))? {
        call.tags.insert("operation".to_string(), op);
    }
    Ok(Some((call, of)))
}

/// The folders holding Amp's `threads/`: each entry of `AMP_DATA_DIR`
/// (comma-separated, as ccusage reads it), else `~/.local/share/amp` (no
/// variable of Amp's own that moves threads was found). Only folders that
/// exist.
pub fn data_dirs(env: Env, home: Option<&Path>) -> Vec<PathBuf> {
    let dirs = env_list(env, "AMP_DATA_DIR").unwrap_or_else(|| {
        home.map(|h| h.join(".local/share/amp"))
            .into_iter()
            .collect()
    });
    existing(dirs)
}

/// Whether `path` is a thread file: `threads/T-*.json`.
pub fn is_log_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let in_threads = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|p| p == "threads");
    in_threads && name.starts_with("T-") && name.ends_with(".json")
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREAD: &str = r#"{"v":3,"id":"T-a","created":1768822900000,"env":{"initial":{"trees":[{"displayName":"shop","uri":"file:///home/u/src/shop"}]}},"messages":[{"role":"user","messageId":0,"content":[]},{"role":"assistant","messageId":1,"usage":{"model":"claude-haiku-4-5-20251001","inputTokens":10,"outputTokens":178,"cacheCreationInputTokens":986,"cacheReadInputTokens":11372,"totalInputTokens":12368,"timestamp":"2026-01-19T11:42:10.652Z","credits":0.5}}],"usageLedger":{"events":[{"id":"e1","timestamp":"2026-01-19T11:42:10.700Z","model":"claude-haiku-4-5-20251001","operationType":"inference","fromMessageId":0,"toMessageId":1,"tokens":{"input":12368,"output":178},"credits":0.5},{"id":"e2","timestamp":"2026-01-19T11:42:11.000Z","model":"claude-haiku-4-5-20251001","operationType":"title","tokens":{"input":300,"output":12}}]}}"#;

    fn copies(line: &str) -> Vec<(Call, CopyOf)> {
        match Amp.parse(line.as_bytes()) {
            Parsed::Copies(c) => c,
            Parsed::Copy(c, of) => vec![(*c, of)],
            other => panic!("{other:?}"),
        }
    }

    fn problem_of(line: &str) -> LineProblem {
        match Amp.parse(line.as_bytes()) {
            Parsed::Problem(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn message_usage_wins_over_its_ledger_event_and_side_events_count() {
        let calls = copies(THREAD);
        assert_eq!(calls.len(), 2);
        let (m, _) = &calls[0];
        assert_eq!(
            m.usage,
            Usage {
                input: 10,
                cache_read: 11372,
                cache_write_5m: 986,
                cache_write_1h: 0,
                output: 178,
                reasoning: 0
            }
        );
        assert_eq!(m.session.as_deref(), Some("T-a"));
        assert_eq!(m.tags["project"], "shop");
        assert_eq!(m.tags["credits"], "0.5");
        assert_eq!(m.billed, None);
        let (e, _) = &calls[1];
        assert_eq!((e.usage.input, e.usage.output), (300, 12));
        assert_eq!(e.tags["operation"], "title");
        assert_eq!(e.id.as_deref(), Some("event-e2"));
    }

    #[test]
    fn a_legacy_ledger_without_message_usage_is_read() {
        let mut v: Value = serde_json::from_str(THREAD).unwrap();
        v["messages"][1].as_object_mut().unwrap().remove("usage");
        let calls = copies(&v.to_string());
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].0.usage.input, calls[0].0.usage.cache_read),
            (12368, 0)
        );
    }

    #[test]
    fn fallbacks_zero_usage_and_bad_fields() {
        let mut v: Value = serde_json::from_str(THREAD).unwrap();
        let usage = v["messages"][1]["usage"].as_object_mut().unwrap();
        usage.remove("timestamp");
        usage.remove("model");
        v["messages"][1]["timestamp"] = Value::from("2026-01-19T11:40:00Z");
        v["messages"][1]["model"] = Value::from("claude-sonnet-4-5");
        let calls = copies(&v.to_string());
        assert_eq!(calls[0].0.model, "claude-sonnet-4-5");
        assert_eq!(calls[0].0.ts.to_rfc3339(), "2026-01-19T11:40:00+00:00");
        v["messages"][1]
            .as_object_mut()
            .unwrap()
            .remove("timestamp");
        let e = problem_of(&v.to_string());
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(
            e.message.contains("messages[1].usage.timestamp"),
            "{}",
            e.message
        );
        let e = problem_of(&THREAD.replace(r#""outputTokens":178"#, r#""outputTokens":-1"#));
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        assert!(
            e.message.contains("messages[1].usage.outputTokens"),
            "{}",
            e.message
        );
        let e = problem_of(&THREAD[..THREAD.len() - 30]);
        assert_eq!(e.reason, SkipReason::MalformedJson);
        let zero = r#"{"id":"T-z","messages":[{"role":"assistant","messageId":1,"usage":{"model":"m","inputTokens":0,"outputTokens":0,"timestamp":"2026-01-19T11:42:10Z"}}]}"#;
        assert!(matches!(Amp.parse(zero.as_bytes()), Parsed::NotACall));
        assert!(matches!(Amp.parse(b"[1]"), Parsed::Problem(_)));
    }

    #[test]
    fn a_copy_of_the_thread_folds() {
        let a = copies(THREAD);
        let b = copies(THREAD);
        assert_eq!(a[0].1, b[0].1);
        assert_ne!(a[0].1.key, a[1].1.key);
    }

    #[test]
    fn detects_threads_and_not_others() {
        assert!(detect(&Sniff::of(&[THREAD])));
        for other in [
            r#"{"info":{"id":"ses_1"},"messages":[]}"#,
            r#"{"sessionId":"s","projectHash":"p","messages":[]}"#,
            r#"{"id":"chatcmpl-1","object":"chat.completion","model":"m","usage":{}}"#,
            r#"{"id":"msg_1","type":"message","model":"m","usage":{}}"#,
        ] {
            assert!(!detect(&Sniff::of(&[other])), "{other}");
        }
    }

    #[test]
    fn finds_threads() {
        assert!(is_log_file(Path::new(
            "/h/.local/share/amp/threads/T-1.json"
        )));
        assert!(!is_log_file(Path::new(
            "/h/.local/share/amp/threads/x.json"
        )));
        assert!(!is_log_file(Path::new("/h/.local/share/amp/T-1.json")));
        let tmp = tempfile::tempdir().unwrap();
        let none = |_: &str| None;
        assert!(data_dirs(&none, Some(tmp.path())).is_empty());
        std::fs::create_dir_all(tmp.path().join(".local/share/amp")).unwrap();
        assert_eq!(
            data_dirs(&none, Some(tmp.path())),
            [tmp.path().join(".local/share/amp")]
        );
        let d = tmp.path().display().to_string();
        let env = |k: &str| (k == "AMP_DATA_DIR").then(|| d.clone());
        assert_eq!(data_dirs(&env, None), [tmp.path().to_path_buf()]);
    }
}
