//! OpenCode sessions: the output of `opencode export <session>` (one JSON
//! object: the session `info` and its `messages`, each `{info, parts}`) and
//! the per-message files of OpenCode's older JSON storage
//! (`storage/message/<sessionID>/<messageID>.json`: one message `info`).
//! Both are pretty-printed objects, compacted to one line before they reach
//! the parser, so an export is one line holding many calls.
//!
//! One call per assistant message with `tokens`. OpenCode overwrites the
//! message's `tokens` with the last LLM step's usage while its `cost` is the
//! sum over the steps, so when the message's parts are present (exports),
//! each `step-finish` part is a call of its own; without parts (storage
//! files) the message `tokens` are all there is. The session roll-up of
//! newer exports (`info.tokens`, `info.cost`) is never counted.
//!
//! Counts: OpenCode already takes cache reads and writes out of
//! `tokens.input`. Whether `tokens.reasoning` is inside `tokens.output`
//! depends on the provider; `tokens.total` tells: `total = input + output +
//! cache.read + cache.write` means inside, `total` larger by `reasoning`
//! means separate (added to output). Old releases left the cache inside
//! `input` for OpenAI-style providers: `total = input + output` with cache
//! tokens present; the cache is then taken out of input.
//!
//! An export and the storage files of the same session describe the same
//! messages: every call is a copy (see `format::Copies`) keyed by
//! (session, message id, `time.created`, step), so each counts once in a
//! run, the one with the most tokens kept, and of equal ones the copy read
//! from a message's parts (an export), then the earliest file. The last
//! step of a message is keyed like the message itself, so it meets the
//! storage file's call. `time.created` is in the key because exports may
//! replace ids with `REDACTED`.
//!
//! OpenCode's current store is the SQLite `opencode.db`: `sqlite` reads
//! each `message` row with its step-finish `part` rows as one line
//! `{info, parts}`, parsed here like an export's message.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::fields::{
    count, last_component, missing, money, parse_object, path, problem, text, time, Object,
};
use super::format::{CopyOf, InputFormat, LineParser, Parsed, Sniff};
use super::places::{env_list, existing, Env};
use super::{LineProblem, SkipReason};
use crate::money::Money;
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "opencode",
    title: "OpenCode sessions: opencode.db (SQLite), `opencode export` JSON, storage/message/<sessionID>/<messageID>.json",
    example: r#"{"id":"msg_ec0c0d7b0001Tf4nmuhj1xq0f7","sessionID":"ses_13f3f292affeZD3dG0NL1dXJQR","role":"assistant","modelID":"claude-sonnet-4-6","providerID":"anthropic","time":{"created":1781350324144,"completed":1781350384305},"cost":0.12224025,"tokens":{"total":30876,"input":3,"output":574,"reasoning":0,"cache":{"write":30299,"read":0}}}"#,
    mapping: "one call per assistant message with tokens (user messages are not calls): model = modelID, provider = providerID, session = sessionID, ts = time.created, tag project = last folder of path.root (else path.cwd); input = tokens.input (OpenCode already excludes the cache), cache_read = tokens.cache.read, cache_write_5m = tokens.cache.write, output = tokens.output, with tokens.reasoning added only when tokens.total counts it apart from output (total = input + output + cache + reasoning); when total = input + output with cache tokens (old releases), the cache is taken out of input. In an export, each step-finish part of a message is a call (the message tokens hold only the last step); storage files have no parts, so a multi-step message counts its last step's tokens. billed = the message cost in USD (per step from the step-finish costs; a cost of 0 means OpenCode had no price, e.g. subscription providers, and is left unset). The session roll-up of an export (info.tokens, info.cost) is never added. An export and the storage files of one session hold the same messages: each (session, message id, time.created, step) counts once per run (the copy with the most tokens; ties: the export's step, then the earliest file). Messages whose token counts are all 0 are not calls. OpenCode's SQLite store (opencode.db, opencode-<channel>.db; name it, or --agents finds it) is read row by row: a message row with its step-finish part rows is read like an export's message (a call per step), line n = the n-th message in time order; it counts once with the storage files and exports of the same messages.",
    detect,
    parser: |_| Box::new(OpenCode),
};

fn detect(sniff: &Sniff) -> bool {
    sniff
        .json_objects()
        .iter()
        .any(|m| is_export(m) || is_message(m) || is_row(m))
}

/// `{info, parts}`: one message with its parts, as costsim reads a row of
/// `opencode.db` (see `sqlite`).
fn is_row(m: &Object) -> bool {
    m.get("info")
        .and_then(Value::as_object)
        .is_some_and(is_message)
        && m.get("parts").is_some_and(Value::is_array)
}

/// `{info: <session>, messages: [{info, parts}]}`.
fn is_export(m: &Object) -> bool {
    let Some(Value::Array(messages)) = m.get("messages") else {
        return false;
    };
    let Some(Value::Object(info)) = m.get("info") else {
        return false;
    };
    let session_id = info
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| id.starts_with("ses_"));
    let first_is_message = messages.first().is_some_and(|first| {
        first
            .get("info")
            .and_then(Value::as_object)
            .is_some_and(is_message)
            && first.get("parts").is_some_and(Value::is_array)
    });
    session_id || first_is_message
}

/// One message `info`, as a storage file holds it.
fn is_message(m: &Object) -> bool {
    m.get("sessionID").is_some_and(Value::is_string)
        && m.get("role")
            .and_then(Value::as_str)
            .is_some_and(|r| r == "assistant" || r == "user")
        && m.get("time").is_some_and(Value::is_object)
}

struct OpenCode;

impl LineParser for OpenCode {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        match read(line) {
            Ok(parsed) => parsed,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

fn read(line: &[u8]) -> Result<Parsed, LineProblem> {
    let obj = parse_object(line)?;
    let mut copies = match (obj.get("messages"), obj.get("info"), obj.get("parts")) {
        (Some(messages), _, _) => export_calls(messages)?,
        (None, Some(info), Some(parts)) => row_calls(info, parts)?,
        _ => message_calls(&obj, None, "", "parts")?,
    };
    Ok(match copies.len() {
        0 => Parsed::NotACall,
        1 => {
            let (call, of) = copies.remove(0);
            Parsed::Copy(Box::new(call), of)
        }
        _ => Parsed::Copies(copies),
    })
}

/// The calls of an export's messages, each a copy of its response. A bad
/// message makes the whole export a problem (one line), named by index.
fn export_calls(messages: &Value) -> Result<Vec<(Call, CopyOf)>, LineProblem> {
    let Value::Array(messages) = messages else {
        return Err(problem(
            SkipReason::BadField,
            "messages",
            "expected an array",
        ));
    };
    let mut calls = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let at = format!("messages[{i}]");
        let Value::Object(message) = message else {
            return Err(problem(SkipReason::BadField, &at, "expected an object"));
        };
        let info = match message.get("info") {
            Some(Value::Object(info)) => info,
            None | Some(Value::Null) => return Err(missing(&format!("{at}.info"))),
            Some(_) => {
                return Err(problem(
                    SkipReason::BadField,
                    &format!("{at}.info"),
                    "expected an object",
                ))
            }
        };
        let parts = match message.get("parts") {
            Some(Value::Array(parts)) => Some(parts.as_slice()),
            None | Some(Value::Null) => None,
            Some(_) => {
                return Err(problem(
                    SkipReason::BadField,
                    &format!("{at}.parts"),
                    "expected an array",
                ))
            }
        };
        calls.extend(message_calls(
            info,
            parts,
            &format!("{at}.info."),
            &format!("{at}.parts"),
        )?);
    }
    Ok(calls)
}

/// The calls of one `opencode.db` row: a message `info` and its parts.
fn row_calls(info: &Value, parts: &Value) -> Result<Vec<(Call, CopyOf)>, LineProblem> {
    let Value::Object(info) = info else {
        return Err(problem(SkipReason::BadField, "info", "expected an object"));
    };
    let Value::Array(parts) = parts else {
        return Err(problem(SkipReason::BadField, "parts", "expected an array"));
    };
    message_calls(info, Some(parts), "info.", "parts")
}

/// One `tokens` object in costsim's split.
fn usage_of(tokens: &Value, field: &str) -> Result<Usage, LineProblem> {
    let Value::Object(t) = tokens else {
        return Err(problem(SkipReason::BadField, field, "expected an object"));
    };
    let get = |keys: &[&str]| {
        count(path(t, keys), &format!("{field}.{}", keys.join("."))).map(Option::unwrap_or_default)
    };
    let input = get(&["input"])?;
    let output = get(&["output"])?;
    let reasoning = get(&["reasoning"])?;
    let read = get(&["cache", "read"])?;
    let write = get(&["cache", "write"])?;
    let total = count(path(t, &["total"]), &format!("{field}.total"))?;
    // Counts are u64 from the file: sums saturate rather than wrap.
    let cache = read.saturating_add(write);
    let all = input.saturating_add(output).saturating_add(cache);
    let with_reasoning = all.saturating_add(reasoning);
    let (input, output) = match total {
        // Older releases wrote no total: reasoning is taken to be inside
        // the output unless it cannot be.
        None | Some(0) if reasoning > output => (input, output.saturating_add(reasoning)),
        None | Some(0) => (input, output),
        Some(t) if t == all && reasoning <= output => (input, output),
        Some(t) if t == all => {
            return Err(LineProblem::new(
                SkipReason::Inconsistent,
                format!("field \"{field}.reasoning\": {reasoning} exceeds output {output} although total {t} counts it inside the output"),
            ))
        }
        Some(t) if t == with_reasoning => (input, output.saturating_add(reasoning)),
        // Cache still inside input (old releases, OpenAI-style providers).
        Some(t)
            if cache > 0
                && input >= cache
                && t == input.saturating_add(output)
                && reasoning <= output =>
        {
            (input - cache, output)
        }
        Some(t)
            if cache > 0
                && input >= cache
                && t == input.saturating_add(output).saturating_add(reasoning) =>
        {
            (input - cache, output.saturating_add(reasoning))
        }
        Some(t) => {
            return Err(LineProblem::new(
                SkipReason::Inconsistent,
                format!(
                    "field \"{field}.total\": {t} is neither input + output + cache.read + cache.write ({all}) nor that plus reasoning ({with_reasoning})"
                ),
            ))
        }
    };
    Ok(Usage {
        input,
        cache_read: read,
        cache_write_5m: write,
        cache_write_1h: 0,
        output,
        reasoning,
    })
}

/// Every token of a call, saturating (counts come from the file).
fn all_tokens(u: &Usage) -> u64 {
    [
        u.input,
        u.cache_read,
        u.cache_write_5m,
        u.cache_write_1h,
        u.output,
    ]
    .into_iter()
    .fold(0, u64::saturating_add)
}

fn is_zero(u: &Usage) -> bool {
    all_tokens(u) == 0
}

/// A cost of 0 is OpenCode having no price (subscriptions, unknown
/// models), not a free call: only positive costs are billed amounts.
fn billed(cost: Option<Money>) -> Option<Money> {
    cost.filter(|c| c.0 > 0)
}

/// The calls of one message `info` (prefix: where it sits, for messages)
/// with its `parts` if known. The last (or only) step is keyed like the
/// message, so a storage file and an export of the same message meet on
/// the same key; its billed amount is the message cost less the earlier
/// steps', which is the step's own cost when OpenCode's sums hold, and
/// the whole message cost in a storage file, where steps are unknown.
fn message_calls(
    info: &Object,
    parts: Option<&[Value]>,
    prefix: &str,
    parts_field: &str,
) -> Result<Vec<(Call, CopyOf)>, LineProblem> {
    let field = |name: &str| format!("{prefix}{name}");
    if info.get("role").and_then(Value::as_str) != Some("assistant") {
        return Ok(Vec::new());
    }
    let Some(tokens) = path(info, &["tokens"]) else {
        // Created before any usage arrived (or aborted): nothing billed.
        return Ok(Vec::new());
    };
    let message_usage = usage_of(tokens, &field("tokens"))?;
    let mut steps: Vec<(Usage, Option<Money>)> = Vec::new();
    for (j, part) in parts.unwrap_or_default().iter().enumerate() {
        if part.get("type").and_then(Value::as_str) != Some("step-finish") {
            continue;
        }
        let at = format!("{parts_field}[{j}]");
        let Some(part) = part.as_object() else {
            continue;
        };
        let Some(tokens) = path(part, &["tokens"]) else {
            return Err(missing(&format!("{at}.tokens")));
        };
        let usage = usage_of(tokens, &format!("{at}.tokens"))?;
        steps.push((usage, money(part.get("cost"), &format!("{at}.cost"))?));
    }
    let session = text(path(info, &["sessionID"])).ok_or_else(|| missing(&field("sessionID")))?;
    let id = text(path(info, &["id"])).ok_or_else(|| missing(&field("id")))?;
    let created =
        path(info, &["time", "created"]).ok_or_else(|| missing(&field("time.created")))?;
    let ts = time(created, &field("time.created"))?;
    let model = super::fields::model(path(info, &["modelID"]), &field("modelID"))?;
    let provider = text(path(info, &["providerID"]));
    let cost = money(info.get("cost"), &field("cost"))?;
    let project = text(path(info, &["path", "root"]))
        .or_else(|| text(path(info, &["path", "cwd"])))
        .as_deref()
        .and_then(last_component);
    let base = format!("opencode\u{0}{session}\u{0}{id}\u{0}{created}");
    let call = |usage: Usage, id: String, billed: Option<Money>| {
        let mut call = Call {
            provider: provider.clone(),
            session: Some(session.clone()),
            id: Some(id),
            billed,
            ..Call::new(ts, model.clone(), usage)
        };
        if let Some(project) = &project {
            call.tags.insert("project".to_string(), project.clone());
        }
        call
    };
    // More tokens win (a later state of the message); of equal ones, the
    // copy read from the parts, whose billed amount is per step.
    let copy = |key: &str, usage: &Usage, from_parts: bool| {
        let rank = all_tokens(usage).saturating_mul(2);
        CopyOf::new(key, rank.saturating_add(u64::from(from_parts)))
    };
    if steps.is_empty() {
        if is_zero(&message_usage) {
            return Ok(Vec::new());
        }
        let of = copy(&base, &message_usage, false);
        return Ok(vec![(call(message_usage, id.clone(), billed(cost)), of)]);
    }
    let last = steps.len() - 1;
    let earlier = steps[..last]
        .iter()
        .filter_map(|s| s.1)
        .fold(0i128, |sum, m| sum.saturating_add(m.0));
    let mut calls = Vec::new();
    for (k, (usage, step_cost)) in steps.into_iter().enumerate() {
        if is_zero(&usage) {
            continue;
        }
        if k == last {
            let rest = cost
                .map(|c| Money(c.0.saturating_sub(earlier).max(0)))
                .or(step_cost);
            let of = copy(&base, &usage, true);
            calls.push((call(usage, id.clone(), billed(rest)), of));
        } else {
            let of = copy(&format!("{base}\u{0}step{k}"), &usage, true);
            calls.push((call(usage, format!("{id}:step{k}"), billed(step_cost)), of));
        }
    }
    Ok(calls)
}

/// The folders OpenCode keeps its data in, that exist: each entry of
/// `OPENCODE_DATA_DIR` (comma-separated, ccusage's convention: the
/// `opencode` folder itself), else `$XDG_DATA_HOME/opencode` (the agent's
/// rule, on every OS), else `~/.local/share/opencode`.
pub fn data_dirs(env: Env, home: Option<&Path>) -> Vec<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let candidates: Vec<PathBuf> = if let Some(list) = env_list(env, "OPENCODE_DATA_DIR") {
        list
    } else if let Some(xdg) = set("XDG_DATA_HOME") {
        vec![PathBuf::from(xdg.trim()).join("opencode")]
    } else {
        home.map(|h| h.join(".local").join("share").join("opencode"))
            .into_iter()
            .collect()
    };
    existing(candidates)
}

/// Whether `path` is a usage log below a data folder: the SQLite store
/// (`opencode.db`, or `opencode-<channel>.db` of channel builds) or a
/// message file of the JSON storage,
/// `storage/message/<sessionID>/<messageID>.json`.
pub fn is_log_file(path: &Path) -> bool {
    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
        if name == "opencode.db" || (name.starts_with("opencode-") && name.ends_with(".db")) {
            return true;
        }
    }
    if path.extension().and_then(|e| e.to_str()) != Some("json") {
        return false;
    }
    let names: Vec<&str> = path
        .parent()
        .map(|p| {
            p.components()
                .filter_map(|c| match c {
                    Component::Normal(n) => n.to_str(),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    names
        .windows(2)
        .any(|w| w[0] == "storage" && w[1] == "message")
        && names.last().is_some_and(|n| *n != "message")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format;

    const MESSAGE: &str = r#"{"parentID":"msg_u1","role":"assistant","cost":0.12224025,"tokens":{"total":30876,"input":3,"output":574,"reasoning":0,"cache":{"write":30299,"read":0}},"modelID":"claude-sonnet-4-6","providerID":"anthropic","path":{"cwd":"/Users/me/dotfiles/sub","root":"/Users/me/dotfiles"},"time":{"created":1781350324144,"completed":1781350384305},"id":"msg_a1","sessionID":"ses_1"}"#;
    const USER: &str = r#"{"role":"user","time":{"created":1781350324055},"model":{"providerID":"anthropic","modelID":"claude-sonnet-4-6"},"id":"msg_u1","sessionID":"ses_1"}"#;

    fn parse(line: &str) -> Parsed {
        OpenCode.parse(line.as_bytes())
    }

    /// The calls of a line, with what they are copies of.
    fn copies(line: &str) -> Vec<(Call, CopyOf)> {
        match parse(line) {
            Parsed::Copies(c) => c,
            Parsed::Copy(c, of) => vec![(*c, of)],
            other => panic!("{line}: {other:?}"),
        }
    }

    fn one(line: &str) -> Call {
        match parse(line) {
            Parsed::Copy(c, _) => *c,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn calls(line: &str) -> Vec<Call> {
        copies(line).into_iter().map(|(c, _)| c).collect()
    }

    fn problem_of(line: &str) -> LineProblem {
        match parse(line) {
            Parsed::Problem(p) => p,
            other => panic!("{line}: {other:?}"),
        }
    }

    /// An export of `messages` (each `{info, parts}` text).
    fn export(messages: &[String]) -> String {
        format!(
            r#"{{"info":{{"id":"ses_1","version":"1.16.2","cost":9.99,"tokens":{{"input":999,"output":999,"reasoning":0,"cache":{{"read":0,"write":0}}}},"time":{{"created":1781350323925}}}},"messages":[{}]}}"#,
            messages.join(",")
        )
    }

    fn step(input: u64, output: u64, read: u64, write: u64, cost: f64) -> String {
        format!(
            r#"{{"type":"step-finish","reason":"tool-calls","cost":{cost},"tokens":{{"total":{},"input":{input},"output":{output},"reasoning":0,"cache":{{"read":{read},"write":{write}}}}},"id":"prt_x","sessionID":"ses_1","messageID":"msg_a1"}}"#,
            input + output + read + write
        )
    }

    #[test]
    fn maps_a_storage_message() {
        let c = one(MESSAGE);
        assert_eq!(c.model, "claude-sonnet-4-6");
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        assert_eq!(c.session.as_deref(), Some("ses_1"));
        assert_eq!(c.id.as_deref(), Some("msg_a1"));
        assert_eq!(c.tags["project"], "dotfiles");
        assert_eq!(c.ts.to_rfc3339(), "2026-06-13T11:32:04.144+00:00");
        assert_eq!(
            c.usage,
            Usage {
                input: 3,
                cache_read: 0,
                cache_write_5m: 30299,
                cache_write_1h: 0,
                output: 574,
                reasoning: 0
            }
        );
        assert_eq!(c.billed, Some(Money(122_240_250_000_000)));
        assert_eq!(c.requests, 1);
    }

    #[test]
    fn user_messages_and_empty_usage_are_not_calls() {
        assert!(matches!(parse(USER), Parsed::NotACall));
        let no_tokens = r#"{"role":"assistant","modelID":"m","time":{"created":1781350324144},"id":"msg_a","sessionID":"ses_1"}"#;
        assert!(matches!(parse(no_tokens), Parsed::NotACall));
        let zero = MESSAGE
            .replace(r#""input":3,"output":574"#, r#""input":0,"output":0"#)
            .replace(r#""write":30299"#, r#""write":0"#)
            .replace("30876", "0");
        assert!(matches!(parse(&zero), Parsed::NotACall));
    }

    #[test]
    fn reasoning_is_added_only_when_total_counts_it_apart() {
        // OpenAI-style: total = input + cache + output, reasoning inside.
        let inside = r#"{"role":"assistant","cost":0,"tokens":{"total":13680,"input":1035,"output":101,"reasoning":64,"cache":{"read":12544,"write":0}},"modelID":"gpt-5.2-codex","providerID":"github-copilot","time":{"created":1772758989147},"id":"msg_b","sessionID":"ses_2"}"#;
        let c = one(inside);
        assert_eq!((c.usage.input, c.usage.cache_read), (1035, 12544));
        assert_eq!((c.usage.output, c.usage.reasoning), (101, 64));
        // A cost of 0 is no price, not a free call.
        assert_eq!(c.billed, None);
        // Google-style: total counts the thoughts apart.
        let apart = inside.replace("13680", "13744");
        let c = one(&apart);
        assert_eq!((c.usage.output, c.usage.reasoning), (165, 64));
        // Old releases: cache still inside input (total = input + output).
        let old = inside.replace(r#""input":1035"#, r#""input":13579"#);
        let c = one(&old);
        assert_eq!((c.usage.input, c.usage.cache_read), (1035, 12544));
        // No total at all: reasoning inside output unless larger than it.
        let none = inside.replace(r#""total":13680,"#, "");
        assert_eq!(one(&none).usage.output, 101);
        let big = none.replace(r#""reasoning":64"#, r#""reasoning":200"#);
        assert_eq!(one(&big).usage.output, 301);
        // Anything else cannot be split.
        let p = problem_of(&inside.replace("13680", "99"));
        assert_eq!(p.reason, SkipReason::Inconsistent);
        assert!(p.message.contains("\"tokens.total\""), "{}", p.message);
    }

    #[test]
    fn an_export_counts_each_step_and_never_the_session_roll_up() {
        let info = MESSAGE;
        let single = format!(
            r#"{{"info":{info},"parts":[{}]}}"#,
            step(3, 574, 0, 30299, 0.5)
        );
        let user = format!(r#"{{"info":{USER},"parts":[]}}"#);
        let two = info
            .replace("msg_a1", "msg_a2")
            .replace("1781350324144", "1781350399000")
            .replace("0.12224025", "0.75")
            .replace(r#""input":3,"output":574"#, r#""input":20,"output":30"#)
            .replace(r#""write":30299,"read":0"#, r#""write":0,"read":100"#)
            .replace("30876", "150");
        let multi = format!(
            r#"{{"info":{two},"parts":[{{"type":"step-start"}},{},{{"type":"text","text":"hi"}},{}]}}"#,
            step(10, 5, 0, 0, 0.25),
            step(20, 30, 100, 0, 0.5)
        );
        let cs = calls(&export(&[user, single, multi]));
        assert_eq!(cs.len(), 3);
        // The only step of the first message; its billed amount is the
        // message cost.
        assert_eq!(cs[0].usage.output, 574);
        assert_eq!(cs[0].billed, Some(Money(122_240_250_000_000)));
        // Both steps of the second: the message's tokens are only the last.
        assert_eq!(cs[1].id.as_deref(), Some("msg_a2:step0"));
        assert_eq!((cs[1].usage.input, cs[1].usage.output), (10, 5));
        assert_eq!(cs[1].billed, Some(Money(250_000_000_000_000)));
        assert_eq!(cs[2].id.as_deref(), Some("msg_a2"));
        assert_eq!(
            (
                cs[2].usage.input,
                cs[2].usage.cache_read,
                cs[2].usage.output
            ),
            (20, 100, 30)
        );
        assert_eq!(cs[2].billed, Some(Money(500_000_000_000_000)));
        let input: u64 = cs.iter().map(|c| c.usage.input).sum();
        assert_eq!(input, 33, "the roll-up's 999 is not added");
    }

    #[test]
    fn an_export_without_parts_uses_the_message_tokens() {
        let m = format!(r#"{{"info":{MESSAGE}}}"#);
        let cs = calls(&export(&[m]));
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].usage.cache_write_5m, 30299);
    }

    #[test]
    fn export_and_storage_files_count_each_message_once() {
        use crate::ingest::format::Copies;
        let with_parts = format!(
            r#"{{"info":{MESSAGE},"parts":[{}]}}"#,
            step(3, 574, 0, 30299, 0.12224025)
        );
        let e = export(&[format!(r#"{{"info":{USER},"parts":[]}}"#), with_parts]);
        let (from_export, export_of) = copies(&e).remove(0);
        let (from_file, file_of) = copies(MESSAGE).remove(0);
        // The same call, the same response; the export's copy wins ties.
        assert_eq!(from_export, from_file);
        assert_eq!(export_of.key, file_of.key);
        assert!(export_of.rank > file_of.rank);
        // Storage file read first (input 0), then the export (input 1).
        let mut run = Copies::default();
        assert!(run.offer(file_of, (0, 1)));
        assert!(run.offer(export_of, (1, 1)));
        assert_eq!(run.folded(), 1);
        assert_eq!(
            run.winners(),
            [(export_of.key, (1, 1))].into_iter().collect()
        );
        // A multi-step message in an export: the earlier steps are
        // responses of their own, the last meets the storage file's.
        let multi = format!(
            r#"{{"info":{MESSAGE},"parts":[{},{}]}}"#,
            step(10, 5, 0, 0, 0.05),
            step(3, 574, 0, 30299, 0.07224025)
        );
        let steps = copies(&export(&[multi]));
        assert_eq!(steps.len(), 2);
        assert_ne!(steps[0].1.key, file_of.key);
        assert_eq!(steps[1].1.key, file_of.key);
        assert_eq!(steps[1].0.usage, from_file.usage);
        assert_eq!(steps[1].0.billed, Some(Money(72_240_250_000_000)));
    }

    #[test]
    fn redacted_ids_stay_apart() {
        let a = MESSAGE.replace("msg_a1", "REDACTED");
        let b = a.replace("1781350324144", "1781350399999");
        let cs = copies(&export(&[
            format!(r#"{{"info":{a},"parts":[]}}"#),
            format!(r#"{{"info":{b},"parts":[]}}"#),
        ]));
        assert_eq!(cs.len(), 2);
        assert_ne!(cs[0].1.key, cs[1].1.key);
    }

    #[test]
    fn names_bad_fields() {
        let p = problem_of(&MESSAGE.replace(r#""output":574"#, r#""output":-1"#));
        assert_eq!(p.reason, SkipReason::BadTokenCount);
        assert!(p.message.contains("\"tokens.output\""), "{}", p.message);
        let p = problem_of(&MESSAGE.replace(r#""modelID":"claude-sonnet-4-6","#, ""));
        assert_eq!(p.reason, SkipReason::MissingField);
        assert!(p.message.contains("\"modelID\""), "{}", p.message);
        let p = problem_of(&MESSAGE.replace("1781350324144,", "\"soon\","));
        assert_eq!(p.reason, SkipReason::BadTimestamp);
        let p = problem_of(&MESSAGE.replace("0.12224025", "\"lots\""));
        assert!(p.message.contains("\"cost\""), "{}", p.message);
        let bad = MESSAGE.replace(r#""input":3"#, r#""input":"x""#);
        let p = problem_of(&export(&[
            format!(r#"{{"info":{USER},"parts":[]}}"#),
            format!(r#"{{"info":{bad},"parts":[]}}"#),
        ]));
        assert!(
            p.message.contains("\"messages[1].info.tokens.input\""),
            "{}",
            p.message
        );
        let p = problem_of(r#"{"info":{"id":"ses_1"},"messages":{}}"#);
        assert!(p.message.contains("\"messages\""), "{}", p.message);
        let p = problem_of(&MESSAGE[..MESSAGE.len() - 20]);
        assert_eq!(p.reason, SkipReason::MalformedJson);
    }

    #[test]
    fn odd_shapes_are_problems_or_nothing_never_a_panic() {
        let big = u64::MAX;
        for line in [
            "{}".to_string(),
            "[]".to_string(),
            "null".to_string(),
            r#"{"messages":[null]}"#.to_string(),
            r#"{"messages":[{"info":null}]}"#.to_string(),
            r#"{"messages":[{"info":{"role":"assistant","tokens":{}},"parts":{}}]}"#.to_string(),
            r#"{"messages":[{"info":{"role":"assistant","tokens":[]},"parts":[7,{"type":"step-finish"}]}]}"#.to_string(),
            r#"{"role":"assistant","tokens":"many","sessionID":"s"}"#.to_string(),
            r#"{"role":7,"tokens":{"input":1}}"#.to_string(),
            MESSAGE.replace(r#""input":3"#, &format!(r#""input":{big}"#)),
            MESSAGE.replace("30876", &big.to_string()),
            MESSAGE.replace(r#""cache":{"write":30299,"read":0}"#, r#""cache":7"#),
            MESSAGE.replace("1781350324144", "1e400"),
            MESSAGE.replace(r#""sessionID":"ses_1""#, r#""sessionID":{}"#),
            MESSAGE.replace("0.12224025", "1e308"),
        ] {
            match parse(&line) {
                Parsed::Problem(p) => assert!(!p.message.is_empty()),
                Parsed::NotACall | Parsed::Copy(..) | Parsed::Copies(_) => {}
                other => panic!("{line}: {other:?}"),
            }
        }
        let p = problem_of(r#"{"role":"assistant","tokens":"many","sessionID":"s"}"#);
        assert!(p.message.contains("\"tokens\""), "{}", p.message);
    }

    #[test]
    fn detects_exports_and_storage_files_only() {
        assert_eq!(format::detected(MESSAGE), Some("opencode"));
        assert_eq!(format::detected(USER), Some("opencode"));
        assert_eq!(format::detected(&export(&[])), Some("opencode"));
        assert_eq!(format::detected(FORMAT.example), Some("opencode"));
        assert!(detect(&Sniff::new(
            vec![export(&[format!(r#"{{"info":{MESSAGE},"parts":[]}}"#)])
                .replace("ses_1", "REDACTED")
                .as_bytes()],
            None
        )));
        for other in [
            r#"{"type":"assistant","sessionId":"s","message":{"role":"assistant"}}"#,
            r#"{"ts":"2026-03-01T00:00:00Z","model":"m","session":"s","usage":{"input":1}}"#,
            r#"{"type":"session.start","data":{"sessionId":"s"},"id":"e","timestamp":"2026-04-23T17:08:08.908Z"}"#,
        ] {
            assert!(!detect(&Sniff::of(&[other])), "{other}");
        }
    }

    #[test]
    fn finds_data_dirs_and_log_files() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        let no_env = |_: &str| None;
        assert!(data_dirs(&no_env, Some(home)).is_empty());
        let default = home.join(".local/share/opencode");
        std::fs::create_dir_all(&default).unwrap();
        assert_eq!(data_dirs(&no_env, Some(home)), vec![default.clone()]);
        let xdg = home.join("xdg");
        std::fs::create_dir_all(xdg.join("opencode")).unwrap();
        let xdg_text = xdg.display().to_string();
        let with_xdg = |k: &str| (k == "XDG_DATA_HOME").then(|| xdg_text.clone());
        assert_eq!(data_dirs(&with_xdg, Some(home)), vec![xdg.join("opencode")]);
        let list = format!(
            "{}, {},{}",
            default.display(),
            home.join("missing").display(),
            xdg.join("opencode").display()
        );
        let with_list = |k: &str| (k == "OPENCODE_DATA_DIR").then(|| list.clone());
        assert_eq!(
            data_dirs(&with_list, Some(home)),
            vec![default, xdg.join("opencode")]
        );
        assert!(data_dirs(&no_env, None).is_empty());

        assert!(is_log_file(Path::new(
            "/h/.local/share/opencode/storage/message/ses_1/msg_1.json"
        )));
        assert!(is_log_file(Path::new("storage/message/ses_1/msg_1.json")));
        assert!(!is_log_file(Path::new(
            "/h/.local/share/opencode/storage/part/msg_1/prt_1.json"
        )));
        assert!(!is_log_file(Path::new(
            "/h/.local/share/opencode/storage/session/p/ses_1.json"
        )));
        assert!(is_log_file(Path::new("/h/opencode/opencode.db")));
        assert!(is_log_file(Path::new("/h/opencode/opencode-beta.db")));
        assert!(!is_log_file(Path::new("/h/opencode/opencode.db-wal")));
        assert!(!is_log_file(Path::new("/h/opencode/opencode.db-shm")));
        assert!(!is_log_file(Path::new("/h/opencode/other.db")));
        assert!(!is_log_file(Path::new(
            "/h/opencode/storage/message/x.json"
        )));
    }
}
