//! GitHub Copilot CLI session logs
//! (`~/.copilot/session-state/<sessionId>/events.jsonl`).
//!
//! Every line is one event `{type, data, id, timestamp, parentId}`. Copilot
//! logs no per-call usage: `assistant.message` events carry only their
//! output tokens. The priced numbers are in `session.shutdown`, written when
//! a process ends: `data.modelMetrics.<model>` sums that process's requests
//! to each model. Each (shutdown, model) is one record standing for
//! `requests.count` API requests. A resumed session appends another
//! shutdown covering only the new process, so the shutdowns of a file add
//! up. A run that crashed wrote no shutdown: its usage is not in the log.
//!
//! `inputTokens` includes cache reads and writes: input = inputTokens −
//! cacheReadTokens − cacheWriteTokens. `reasoningTokens` is inside
//! `outputTokens` except for Gemini models, where it is added. Premium
//! requests (`requests.cost`) are Copilot's own billing unit, not dollars:
//! they go into a tag, not the billed amount.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::csv_columns;
use super::fields::{
    count, last_component, missing, object, path, problem, read_json, text, timestamp,
};
use super::format::{Context, Dedup, InputFormat, LineParser, Parsed, Sniff};
use super::places::{env_list, existing, Env};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "copilot-cli",
    title: "GitHub Copilot CLI session logs (~/.copilot/session-state/<sessionId>/events.jsonl)",
    example: r#"{"type":"session.shutdown","data":{"shutdownType":"routine","totalPremiumRequests":2,"sessionStartTime":1776964088893,"modelMetrics":{"claude-sonnet-4.6":{"requests":{"count":6,"cost":2},"usage":{"inputTokens":186809,"outputTokens":2848,"cacheReadTokens":151738,"cacheWriteTokens":0,"reasoningTokens":0}}},"currentModel":"claude-sonnet-4.6"},"id":"96d76fb5-0516-44fe-a176-dc7880035edc","timestamp":"2026-04-23T17:18:20.178Z","parentId":"c7d56427"}"#,
    mapping: "Copilot logs no per-call usage: each session.shutdown event (one per process run; a resumed session adds another, and they add up) × data.modelMetrics.<model> is one record of requests.count API requests, dated at the shutdown: input = usage.inputTokens − cacheReadTokens − cacheWriteTokens, cache_read = cacheReadTokens, cache_write_5m = cacheWriteTokens, output = outputTokens (reasoningTokens are inside it, added only for gemini-* models); like an aggregated export row it is priced as its requests of the record's mean size (pieces of at most 100k prompt tokens) and counts requests.count calls. provider = github-copilot; session = session.start sessionId (else the folder name); tag project = last folder of the start's cwd; tag premium_requests = requests.cost (Copilot's billing unit, not USD: no billed amount), tag nano_aiu = totalNanoAiu when given. Records with no tokens are not calls; a shutdown seen in another file of the run (a copy) is folded. assistant.message outputTokens repeat the shutdown's output and are not added.",
    detect,
    parser: |ctx| Box::new(Copilot::new(ctx)),
};

/// Event families of the log (`session.start`, `assistant.message`, …).
const FAMILIES: [&str; 8] = [
    "session.",
    "assistant.",
    "user.",
    "tool.",
    "system.",
    "subagent.",
    "hook.",
    "skill.",
];

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        m.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| FAMILIES.iter().any(|f| t.starts_with(f)))
            && m.get("data").is_some_and(Value::is_object)
            && m.contains_key("id")
            && m.contains_key("timestamp")
    })
}

struct Copilot {
    /// From `session.start`, else the folder of `events.jsonl`.
    session: Option<String>,
    project: Option<String>,
    dedup: Arc<Dedup>,
}

impl Copilot {
    fn new(ctx: &Context) -> Self {
        Copilot {
            session: ctx.path.as_deref().and_then(session_of_path),
            project: None,
            dedup: ctx.dedup.clone(),
        }
    }
}

/// `…/session-state/<sessionId>/events.jsonl` → `<sessionId>`.
fn session_of_path(path: &Path) -> Option<String> {
    if path.file_name()? != "events.jsonl" {
        return None;
    }
    let dir = path.parent()?.file_name()?.to_str()?;
    (!dir.is_empty()).then(|| dir.to_string())
}

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    id: Option<String>,
    timestamp: Option<String>,
}

impl LineParser for Copilot {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        // Most events (messages, tool calls) carry no usage: a complete
        // line that names neither event is skipped before JSON parsing.
        if line.ends_with(b"}")
            && memchr::memmem::find(line, b"\"session.shutdown\"").is_none()
            && memchr::memmem::find(line, b"\"session.start\"").is_none()
            && memchr::memmem::find(line, b"\"session.resume\"").is_none()
        {
            return Parsed::NotACall;
        }
        match self.read(line) {
            Ok(parsed) => parsed,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

impl Copilot {
    fn read(&mut self, line: &[u8]) -> Result<Parsed, LineProblem> {
        let event: RawEvent = read_json(line, "")?;
        let kind = event.kind.as_deref().unwrap_or_default();
        if !matches!(
            kind,
            "session.start" | "session.resume" | "session.shutdown"
        ) {
            return Ok(Parsed::NotACall);
        }
        let data = match event.data {
            Some(raw) => match serde_json::from_str::<Value>(raw.get()) {
                Ok(Value::Object(data)) => data,
                Ok(Value::Null) => return Ok(Parsed::NotACall),
                _ => return Err(problem(SkipReason::BadField, "data", "expected an object")),
            },
            None => return Ok(Parsed::NotACall),
        };
        if kind != "session.shutdown" {
            if let Some(id) = text(path(&data, &["sessionId"])) {
                self.session = Some(id);
            }
            if let Some(project) = text(path(&data, &["context", "cwd"]))
                .as_deref()
                .and_then(last_component)
            {
                self.project = Some(project);
            }
            return Ok(Parsed::NotACall);
        }
        // None: a run that made no request.
        let Some(metrics) = object(data.get("modelMetrics"), "data.modelMetrics")? else {
            return Ok(Parsed::NotACall);
        };
        let ts = timestamp(event.timestamp.as_deref(), "timestamp")?;
        // The event id names the shutdown; without one its time does.
        let shutdown = event.id.or(event.timestamp).unwrap_or_default();
        let session = self.session.clone();
        let mut calls = Vec::new();
        let mut folded = false;
        for (model, m) in metrics {
            let at = format!("data.modelMetrics.{model}");
            let Some(record) = self.record(ts, model, m, &at)? else {
                continue;
            };
            let key = format!(
                "copilot-cli\u{0}{}\u{0}{shutdown}\u{0}{model}",
                session.as_deref().unwrap_or_default()
            );
            if !self.dedup.first(&key) {
                folded = true;
                continue;
            }
            let (call, requests) = record;
            match csv_columns::aggregate(call, requests, false) {
                Parsed::Call(c) => calls.push(*c),
                Parsed::Calls(cs) => calls.extend(cs),
                _ => {}
            }
        }
        Ok(match calls.len() {
            0 if folded => Parsed::Duplicate,
            0 => Parsed::NotACall,
            1 => Parsed::call(calls.remove(0)),
            _ => Parsed::Calls(calls),
        })
    }

    /// One model's entry of a shutdown, with its request count; `None`
    /// when it has no tokens.
    fn record(
        &self,
        ts: chrono::DateTime<chrono::Utc>,
        model: &str,
        m: &Value,
        at: &str,
    ) -> Result<Option<(Call, Option<u64>)>, LineProblem> {
        let Value::Object(m) = m else {
            return Err(problem(SkipReason::BadField, at, "expected an object"));
        };
        if model.trim().is_empty() {
            return Err(problem(SkipReason::BadField, at, "empty model name"));
        }
        let Some(Value::Object(usage)) = path(m, &["usage"]) else {
            return Err(missing(&format!("{at}.usage")));
        };
        let get = |key: &str| {
            count(usage.get(key), &format!("{at}.usage.{key}")).map(Option::unwrap_or_default)
        };
        let input = get("inputTokens")?;
        let output = get("outputTokens")?;
        let read = get("cacheReadTokens")?;
        let write = get("cacheWriteTokens")?;
        let reasoning = get("reasoningTokens")?;
        let requests = count(
            path(m, &["requests", "count"]),
            &format!("{at}.requests.count"),
        )?;
        let Some(cache) = read.checked_add(write).filter(|c| *c <= input) else {
            return Err(LineProblem::new(
                SkipReason::Inconsistent,
                format!(
                    "field \"{at}.usage.cacheReadTokens\": cache reads {read} + writes {write} exceed inputTokens {input} (the cache is part of the input)"
                ),
            ));
        };
        if input == 0 && output == 0 && reasoning == 0 {
            // Credit-only rows: nothing to price in tokens.
            return Ok(None);
        }
        let gemini = model.trim().to_ascii_lowercase().starts_with("gemini-");
        let usage = Usage {
            input: input - cache,
            cache_read: read,
            cache_write_5m: write,
            cache_write_1h: 0,
            output: if gemini {
                output.saturating_add(reasoning)
            } else {
                output
            },
            reasoning,
        };
        let mut tags = BTreeMap::new();
        if let Some(project) = &self.project {
            tags.insert("project".to_string(), project.clone());
        }
        if let Some(premium) = path(m, &["requests", "cost"]).filter(|v| v.is_number()) {
            tags.insert("premium_requests".to_string(), premium.to_string());
        }
        if let Some(nano) = path(m, &["totalNanoAiu"]).filter(|v| v.is_number()) {
            tags.insert("nano_aiu".to_string(), nano.to_string());
        }
        let call = Call {
            provider: Some("github-copilot".to_string()),
            session: self.session.clone(),
            tags,
            ..Call::new(ts, model.trim().to_string(), usage)
        };
        Ok(Some((call, requests.filter(|n| *n > 0))))
    }
}

/// The `session-state` folders Copilot CLI keeps its logs in, that exist:
/// `$COPILOT_HOME/session-state` (the agent's variable, which moves its
/// whole config folder) and each entry of `COPILOT_CONFIG_DIR` (ccusage's
/// name for the same folder; an entry may also be the `session-state`
/// folder itself), both comma-separated lists; else
/// `~/.copilot/session-state`.
pub fn data_dirs(env: Env, home: Option<&Path>) -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    let mut set = false;
    for var in ["COPILOT_HOME", "COPILOT_CONFIG_DIR"] {
        let Some(list) = env_list(env, var) else {
            continue;
        };
        set = true;
        for dir in list {
            let state = dir.join("session-state");
            if var == "COPILOT_CONFIG_DIR" && !state.is_dir() {
                candidates.push(dir);
            } else {
                candidates.push(state);
            }
        }
    }
    if !set {
        candidates.extend(home.map(|h| h.join(".copilot").join("session-state")));
    }
    existing(candidates)
}

/// Whether `path` is a usage log below a `session-state` folder: a
/// session's `events.jsonl`.
pub fn is_log_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "events.jsonl")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format;

    const START: &str = r#"{"type":"session.start","data":{"sessionId":"96ef38f0","version":1,"producer":"copilot-agent","copilotVersion":"1.0.34","startTime":"2026-04-23T17:08:08.893Z","context":{"cwd":"/home/wei/repo/VibeCodingTracker"}},"id":"283a7691","timestamp":"2026-04-23T17:08:08.908Z","parentId":null}"#;
    const MESSAGE: &str = r#"{"type":"assistant.message","data":{"messageId":"f754862d","content":"","outputTokens":311,"interactionId":"117bee23"},"id":"a1","timestamp":"2026-04-23T17:11:23.998Z","parentId":"x"}"#;

    fn shutdown(id: &str, metrics: &str) -> String {
        format!(
            r#"{{"type":"session.shutdown","data":{{"shutdownType":"routine","totalPremiumRequests":2,"modelMetrics":{metrics}}},"id":"{id}","timestamp":"2026-04-23T17:18:20.178Z","parentId":"p"}}"#
        )
    }

    const SONNET: &str = r#"{"claude-sonnet-4.6":{"requests":{"count":6,"cost":2},"usage":{"inputTokens":186809,"outputTokens":2848,"cacheReadTokens":151738,"cacheWriteTokens":0,"reasoningTokens":0}}}"#;

    fn parser(dedup: &Arc<Dedup>, file: &str) -> Copilot {
        Copilot::new(&Context {
            file: file.to_string(),
            path: Some(file.into()),
            dedup: dedup.clone(),
            undated: None,
        })
    }

    fn read(lines: &[&str]) -> Vec<Parsed> {
        let mut p = parser(
            &Arc::default(),
            "/h/.copilot/session-state/dir-id/events.jsonl",
        );
        lines.iter().map(|l| p.parse(l.as_bytes())).collect()
    }

    fn calls(parsed: Parsed) -> Vec<Call> {
        match parsed {
            Parsed::Call(c) => vec![*c],
            Parsed::Calls(c) => c,
            other => panic!("{other:?}"),
        }
    }

    fn problem_of(line: &str) -> LineProblem {
        match read(&[line]).pop() {
            Some(Parsed::Problem(p)) => p,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn one_record_per_shutdown_and_model() {
        let end = shutdown("s1", SONNET);
        let mut parsed = read(&[START, MESSAGE, &end]);
        let cs = calls(parsed.pop().unwrap());
        assert!(matches!(parsed[0], Parsed::NotACall));
        assert!(matches!(parsed[1], Parsed::NotACall));
        // 186,809 prompt tokens in 6 requests: two mean-sized pieces.
        assert_eq!(cs.len(), 2);
        assert_eq!(cs.iter().map(|c| c.requests).sum::<u64>(), 6);
        let sum = |f: fn(&Usage) -> u64| cs.iter().map(|c| f(&c.usage)).sum::<u64>();
        assert_eq!(sum(|u| u.input), 35_071);
        assert_eq!(sum(|u| u.cache_read), 151_738);
        assert_eq!(sum(|u| u.cache_write_5m), 0);
        assert_eq!(sum(|u| u.output), 2_848);
        let c = &cs[0];
        assert_eq!(c.model, "claude-sonnet-4.6");
        assert_eq!(c.provider.as_deref(), Some("github-copilot"));
        assert_eq!(c.session.as_deref(), Some("96ef38f0"));
        assert_eq!(c.tags["project"], "VibeCodingTracker");
        assert_eq!(c.tags["premium_requests"], "2");
        assert_eq!(c.billed, None);
        assert_eq!(c.ts.to_rfc3339(), "2026-04-23T17:18:20.178+00:00");
    }

    #[test]
    fn every_model_and_every_shutdown_counts() {
        let two = r#"{"gpt-5.2":{"requests":{"count":1,"cost":1},"usage":{"inputTokens":1000,"outputTokens":50,"cacheReadTokens":200,"cacheWriteTokens":100,"reasoningTokens":20}},"gemini-2.5-pro":{"requests":{"count":1,"cost":1},"usage":{"inputTokens":500,"outputTokens":40,"cacheReadTokens":0,"cacheWriteTokens":0,"reasoningTokens":30},"totalNanoAiu":123}}"#;
        let first = shutdown("s1", two);
        let resumed = shutdown("s2", two);
        let parsed = read(&[START, &first, &resumed]);
        let mut all = Vec::new();
        for p in parsed.into_iter().skip(1) {
            all.extend(calls(p));
        }
        assert_eq!(all.len(), 4, "two snapshots × two models");
        let gpt = all.iter().find(|c| c.model == "gpt-5.2").unwrap();
        assert_eq!(
            gpt.usage,
            Usage {
                input: 700,
                cache_read: 200,
                cache_write_5m: 100,
                cache_write_1h: 0,
                output: 50,
                reasoning: 20
            }
        );
        let gemini = all.iter().find(|c| c.model == "gemini-2.5-pro").unwrap();
        assert_eq!((gemini.usage.output, gemini.usage.reasoning), (70, 30));
        assert_eq!(gemini.tags["nano_aiu"], "123");
    }

    #[test]
    fn a_copied_log_counts_once_and_empty_rows_are_not_calls() {
        let dedup: Arc<Dedup> = Arc::default();
        let end = shutdown("s1", SONNET);
        let mut a = parser(&dedup, "/h/.copilot/session-state/x/events.jsonl");
        let mut b = parser(&dedup, "/backup/session-state/x/events.jsonl");
        a.parse(START.as_bytes());
        b.parse(START.as_bytes());
        assert!(matches!(a.parse(end.as_bytes()), Parsed::Calls(_)));
        assert!(matches!(b.parse(end.as_bytes()), Parsed::Duplicate));
        let empty = shutdown(
            "s3",
            r#"{"m":{"requests":{"count":0,"cost":0},"usage":{"inputTokens":0,"outputTokens":0,"cacheReadTokens":0,"cacheWriteTokens":0,"reasoningTokens":0},"totalNanoAiu":5}}"#,
        );
        assert!(matches!(a.parse(empty.as_bytes()), Parsed::NotACall));
        let none = r#"{"type":"session.shutdown","data":{"shutdownType":"error"},"id":"s4","timestamp":"2026-04-23T17:18:20.178Z"}"#;
        assert!(matches!(a.parse(none.as_bytes()), Parsed::NotACall));
    }

    #[test]
    fn the_folder_names_the_session_without_a_start_event() {
        let end = shutdown("s1", SONNET);
        let cs = calls(read(&[&end]).pop().unwrap());
        assert_eq!(cs[0].session.as_deref(), Some("dir-id"));
        assert!(!cs[0].tags.contains_key("project"));
    }

    #[test]
    fn names_bad_fields() {
        let p = problem_of(&shutdown("s1", &SONNET.replace("186809", "-1")));
        assert_eq!(p.reason, SkipReason::BadTokenCount);
        assert!(
            p.message
                .contains("\"data.modelMetrics.claude-sonnet-4.6.usage.inputTokens\""),
            "{}",
            p.message
        );
        let p = problem_of(&shutdown("s1", &SONNET.replace("186809", "1000")));
        assert_eq!(p.reason, SkipReason::Inconsistent);
        let p = problem_of(&shutdown("s1", r#"{"m":{"requests":{"count":1}}}"#));
        assert_eq!(p.reason, SkipReason::MissingField);
        assert!(
            p.message.contains("\"data.modelMetrics.m.usage\""),
            "{}",
            p.message
        );
        let p = problem_of(&shutdown("s1", "[1]"));
        assert!(p.message.contains("\"data.modelMetrics\""), "{}", p.message);
        let p = problem_of(&shutdown("s1", SONNET).replace("2026-04-23T17:18:20.178Z", "later"));
        assert_eq!(p.reason, SkipReason::BadTimestamp);
        let end = shutdown("s1", SONNET);
        let p = problem_of(&end[..end.len() - 30]);
        assert_eq!(p.reason, SkipReason::MalformedJson);
    }

    #[test]
    fn odd_shapes_are_problems_or_nothing_never_a_panic() {
        let big = u64::MAX;
        for line in [
            "{}".to_string(),
            "[]".to_string(),
            r#"{"type":"session.shutdown"}"#.to_string(),
            r#"{"type":"session.shutdown","data":[1]}"#.to_string(),
            r#"{"type":"session.start","data":{"sessionId":7,"context":"x"}}"#.to_string(),
            shutdown("s", r#"{"m":null}"#),
            shutdown("s", r#"{"":{"usage":{"inputTokens":1}}}"#),
            shutdown("s", r#"{"m":{"usage":{"inputTokens":1},"requests":"x"}}"#),
            shutdown(
                "s",
                &SONNET
                    .replace("186809", &big.to_string())
                    .replace("151738", &big.to_string()),
            ),
            shutdown("s", &SONNET.replace("186809", &big.to_string())),
            shutdown(
                "s",
                &SONNET.replace(r#""count":6"#, &format!(r#""count":{big}"#)),
            ),
            shutdown("s", &SONNET.replace(r#""cost":2"#, r#""cost":"lots""#)),
        ] {
            match read(&[START, &line]).pop() {
                Some(Parsed::Problem(p)) => assert!(!p.message.is_empty()),
                Some(Parsed::NotACall | Parsed::Call(_) | Parsed::Calls(_)) => {}
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn detects_event_logs_only() {
        assert_eq!(format::detected(START), Some("copilot-cli"));
        assert_eq!(format::detected(MESSAGE), Some("copilot-cli"));
        assert_eq!(format::detected(FORMAT.example), Some("copilot-cli"));
        for other in [
            r#"{"type":"assistant","sessionId":"s","message":{"role":"assistant"}}"#,
            r#"{"timestamp":"2026-03-03T10:00:00Z","type":"session_meta","payload":{"id":"x"}}"#,
            r#"{"ts":"2026-03-01T00:00:00Z","model":"m","session":"s","usage":{"input":1}}"#,
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
        let default = home.join(".copilot/session-state");
        std::fs::create_dir_all(&default).unwrap();
        assert_eq!(data_dirs(&no_env, Some(home)), vec![default.clone()]);
        let moved = home.join("moved");
        std::fs::create_dir_all(moved.join("session-state")).unwrap();
        let moved_text = moved.display().to_string();
        let agent = |k: &str| (k == "COPILOT_HOME").then(|| moved_text.clone());
        assert_eq!(
            data_dirs(&agent, Some(home)),
            vec![moved.join("session-state")]
        );
        let bare = home.join("bare-state");
        std::fs::create_dir_all(&bare).unwrap();
        let list = format!(
            "{},{},{}",
            home.join(".copilot").display(),
            bare.display(),
            home.join("missing").display()
        );
        let ccusage = |k: &str| (k == "COPILOT_CONFIG_DIR").then(|| list.clone());
        assert_eq!(data_dirs(&ccusage, Some(home)), vec![default, bare]);
        assert!(data_dirs(&no_env, None).is_empty());

        assert!(is_log_file(Path::new(
            "/h/.copilot/session-state/96ef38f0/events.jsonl"
        )));
        assert!(!is_log_file(Path::new(
            "/h/.copilot/session-state/96ef38f0/workspace.yaml"
        )));
        assert!(!is_log_file(Path::new("/h/.copilot/logs/process.log")));
    }
}
