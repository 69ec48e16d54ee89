//! Codex CLI rollout logs (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl).
//!
//! Every line is `{"timestamp", "type", "payload"}`. A `session_meta` line
//! names the session and its working directory; `turn_context` lines name
//! the model of the turns that follow; each `event_msg` of payload type
//! `token_count` with usage (`info` not null) is one model call, priced from
//! `info.last_token_usage` (or, when absent, the growth of
//! `info.total_token_usage` since the previous event). Codex repeats the
//! event without a new call: an event whose running total equals the
//! previous one is folded as a duplicate. Forked sessions and
//! `archived_sessions` copies replay a rollout's events in another file, so
//! an event is also folded when its session already reached the same
//! running total in any file of the run.
//!
//! OpenAI counts cached tokens inside `input_tokens` and reasoning inside
//! `output_tokens`: input = input_tokens - cached_input_tokens, cache_read =
//! cached_input_tokens, output = output_tokens, reasoning =
//! reasoning_output_tokens. The model comes from the latest `turn_context`
//! (else `session_meta`), so a file is read in order by one parser.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::fields::{last_component, missing, read_json, timestamp, Count};
use super::format::{Context, Dedup, InputFormat, LineParser, Parsed, Sniff};
use super::places::{env_list, existing, Env};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "codex",
    title: "Codex CLI rollout logs (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl)",
    example: r#"{"timestamp":"2026-03-03T10:00:05.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":9000,"cached_input_tokens":6000,"output_tokens":700,"reasoning_output_tokens":300,"total_tokens":9700},"last_token_usage":{"input_tokens":9000,"cached_input_tokens":6000,"output_tokens":700,"reasoning_output_tokens":300,"total_tokens":9700}}}}"#,
    mapping: "each token_count event with info is a call priced from last_token_usage: input = input_tokens - cached_input_tokens, cache_read = cached_input_tokens, output = output_tokens (includes reasoning_output_tokens); model from the latest turn_context; session = session_meta id (else file name); tag project = last folder of cwd; a repeated running total is a duplicate, also when another file (a fork, archived_sessions) repeats the session's events",
    detect,
    parser: |ctx| Box::new(Codex::new(ctx)),
};

const LINE_TYPES: [&str; 4] = ["session_meta", "turn_context", "response_item", "event_msg"];

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        m.contains_key("payload")
            && m.get("type")
                .and_then(|t| t.as_str())
                .is_some_and(|t| LINE_TYPES.contains(&t))
    })
}

struct Codex {
    /// Session id from `session_meta`, else the file name.
    session: Option<String>,
    project: Option<String>,
    /// Model of the latest `turn_context`.
    turn_model: Option<String>,
    /// Model named by `session_meta`, if any.
    meta_model: Option<String>,
    /// Running total of the previous token_count event.
    previous_total: Option<Totals>,
    /// (session, running total) pairs already counted, run-wide.
    dedup: Arc<Dedup>,
}

impl Codex {
    fn new(ctx: &Context) -> Self {
        Codex {
            session: ctx.path.as_deref().and_then(file_stem),
            project: None,
            turn_model: None,
            meta_model: None,
            previous_total: None,
            dedup: ctx.dedup.clone(),
        }
    }
}

/// `rollout-2026-03-03T10-00-00-abc.jsonl.gz` -> `rollout-2026-03-03T10-00-00-abc`.
fn file_stem(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = [".jsonl.gz", ".jsonl.zst", ".jsonl", ".json"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name);
    (!stem.is_empty()).then(|| stem.to_string())
}

#[derive(Deserialize)]
struct RawLine<'a> {
    timestamp: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct SessionMeta {
    id: Option<String>,
    cwd: Option<String>,
    model: Option<String>,
}

#[derive(Deserialize)]
struct TurnContext {
    model: Option<String>,
    cwd: Option<String>,
}

#[derive(Deserialize)]
struct EventMsg<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow)]
    info: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Info {
    total_token_usage: Option<TokenUsage>,
    last_token_usage: Option<TokenUsage>,
}

#[derive(Deserialize)]
struct TokenUsage {
    input_tokens: Option<Count>,
    cached_input_tokens: Option<Count>,
    output_tokens: Option<Count>,
    reasoning_output_tokens: Option<Count>,
    total_tokens: Option<Count>,
}

/// Token counts of one usage object, comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Totals {
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
    total: u64,
}

impl From<&TokenUsage> for Totals {
    fn from(u: &TokenUsage) -> Self {
        let get = |c: &Option<Count>| c.map_or(0, |c| c.0);
        Totals {
            input: get(&u.input_tokens),
            cached: get(&u.cached_input_tokens),
            output: get(&u.output_tokens),
            reasoning: get(&u.reasoning_output_tokens),
            total: get(&u.total_tokens),
        }
    }
}

impl Totals {
    fn minus(self, earlier: Totals) -> Totals {
        Totals {
            input: self.input.saturating_sub(earlier.input),
            cached: self.cached.saturating_sub(earlier.cached),
            output: self.output.saturating_sub(earlier.output),
            reasoning: self.reasoning.saturating_sub(earlier.reasoning),
            total: self.total.saturating_sub(earlier.total),
        }
    }
}

/// A payload that is not an object is not something this format reads.
fn object(payload: Option<&RawValue>) -> Option<&[u8]> {
    payload
        .map(|p| p.get())
        .filter(|p| p.starts_with('{'))
        .map(str::as_bytes)
}

impl LineParser for Codex {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        match self.parse_line(line) {
            Ok(parsed) => parsed,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

impl Codex {
    fn parse_line(&mut self, line: &[u8]) -> Result<Parsed, LineProblem> {
        let raw: RawLine = read_json(line, "")?;
        let Some(payload) = object(raw.payload) else {
            return Ok(Parsed::NotACall);
        };
        match raw.kind.as_deref() {
            Some("session_meta") => {
                let meta: SessionMeta = read_json(payload, "payload")?;
                if let Some(id) = meta.id.filter(|i| !i.is_empty()) {
                    self.session = Some(id);
                }
                if let Some(project) = meta.cwd.as_deref().and_then(last_component) {
                    self.project = Some(project);
                }
                if let Some(model) = meta.model.filter(|m| !m.trim().is_empty()) {
                    self.meta_model = Some(model);
                }
                Ok(Parsed::NotACall)
            }
            Some("turn_context") => {
                let turn: TurnContext = read_json(payload, "payload")?;
                if let Some(model) = turn.model.filter(|m| !m.trim().is_empty()) {
                    self.turn_model = Some(model);
                }
                if let Some(project) = turn.cwd.as_deref().and_then(last_component) {
                    self.project = Some(project);
                }
                Ok(Parsed::NotACall)
            }
            Some("event_msg") => {
                let event: EventMsg = read_json(payload, "payload")?;
                if event.kind.as_deref() != Some("token_count") {
                    return Ok(Parsed::NotACall);
                }
                let Some(info) = object(event.info) else {
                    // `"info": null`: rate limits only, no usage.
                    return Ok(Parsed::NotACall);
                };
                let info: Info = read_json(info, "payload.info")?;
                self.token_count(raw.timestamp.as_deref(), info)
            }
            _ => Ok(Parsed::NotACall),
        }
    }

    fn token_count(&mut self, ts: Option<&str>, info: Info) -> Result<Parsed, LineProblem> {
        let total = info.total_token_usage.as_ref().map(Totals::from);
        let previous = self.previous_total;
        if let Some(total) = total {
            if previous == Some(total) {
                return Ok(Parsed::Duplicate);
            }
            self.previous_total = Some(total);
            if let Some(session) = &self.session {
                let Totals {
                    input,
                    cached,
                    output,
                    reasoning,
                    total,
                } = total;
                let key = format!(
                    "codex\u{0}{session}\u{0}{input}/{cached}/{output}/{reasoning}/{total}"
                );
                if !self.dedup.first(&key) {
                    return Ok(Parsed::Duplicate);
                }
            }
        }
        let (last, field) = match (&info.last_token_usage, total) {
            (Some(last), _) => (Totals::from(last), "payload.info.last_token_usage"),
            (None, Some(total)) => (
                total.minus(previous.unwrap_or_default()),
                "payload.info.total_token_usage",
            ),
            (None, None) => return Err(missing("payload.info.last_token_usage")),
        };
        let ts = timestamp(ts, "timestamp")?;
        let model = self
            .turn_model
            .clone()
            .or_else(|| self.meta_model.clone())
            .ok_or_else(|| {
                LineProblem::new(
                    SkipReason::MissingField,
                    "no model before this token_count (no turn_context or session_meta names one)"
                        .to_string(),
                )
            })?;
        if last.cached > last.input {
            return Err(LineProblem::new(
                SkipReason::Inconsistent,
                format!(
                    "field \"{field}.cached_input_tokens\": {} exceeds input_tokens {} (cached tokens are part of the input)",
                    last.cached, last.input
                ),
            ));
        }
        if last.reasoning > last.output {
            return Err(LineProblem::new(
                SkipReason::Inconsistent,
                format!(
                    "field \"{field}.reasoning_output_tokens\": {} exceeds output_tokens {} (reasoning is part of the output)",
                    last.reasoning, last.output
                ),
            ));
        }
        let mut tags = BTreeMap::new();
        if let Some(project) = &self.project {
            tags.insert("project".to_string(), project.clone());
        }
        Ok(Parsed::call(Call {
            provider: Some("openai".to_string()),
            session: self.session.clone(),
            tags,
            ..Call::new(
                ts,
                model,
                Usage {
                    input: last.input - last.cached,
                    cache_read: last.cached,
                    cache_write_5m: 0,
                    cache_write_1h: 0,
                    output: last.output,
                    reasoning: last.reasoning,
                },
            )
        }))
    }
}

/// For `--agents`: Codex keeps its rollouts in `$CODEX_HOME/sessions`
/// (default `~/.codex`), and archived ones in `archived_sessions` beside it
/// (copies of events are folded as duplicates). `CODEX_HOME` may list
/// several folders, comma-separated. Only folders that exist.
pub fn data_dirs(env: Env, home: Option<&std::path::Path>) -> Vec<std::path::PathBuf> {
    let roots = env_list(env, "CODEX_HOME")
        .unwrap_or_else(|| home.map(|h| h.join(".codex")).into_iter().collect());
    existing(
        roots
            .iter()
            .flat_map(|r| [r.join("sessions"), r.join("archived_sessions")]),
    )
}

/// Rollout files: `rollout-*.jsonl` (compressed copies too).
pub fn is_log_file(path: &std::path::Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with("rollout-")
        && [".jsonl", ".jsonl.gz", ".jsonl.zst"]
            .iter()
            .any(|s| name.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> Codex {
        Codex::new(&Context {
            file: "rollout-x.jsonl".to_string(),
            path: Some("/h/.codex/sessions/2026/03/03/rollout-x.jsonl".into()),
            dedup: Arc::default(),
            undated: None,
        })
    }

    fn event(total: (u64, u64, u64, u64), last: (u64, u64, u64, u64)) -> String {
        let u = |(i, c, o, r): (u64, u64, u64, u64)| {
            format!(
                r#"{{"input_tokens":{i},"cached_input_tokens":{c},"output_tokens":{o},"reasoning_output_tokens":{r},"total_tokens":{}}}"#,
                i + o
            )
        };
        format!(
            r#"{{"timestamp":"2026-03-03T10:00:05.000Z","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{},"last_token_usage":{},"model_context_window":272000}},"rate_limits":null}}}}"#,
            u(total),
            u(last)
        )
    }

    #[test]
    fn reads_a_rollout() {
        let mut p = parser();
        let lines = [
            r#"{"timestamp":"2026-03-03T10:00:00Z","type":"session_meta","payload":{"id":"sess-1","cwd":"/home/me/api","originator":"codex_cli_rs"}}"#.to_string(),
            r#"{"timestamp":"2026-03-03T10:00:01Z","type":"response_item","payload":{"type":"message","role":"user","content":[]}}"#.to_string(),
            r#"{"timestamp":"2026-03-03T10:00:02Z","type":"turn_context","payload":{"cwd":"/home/me/api","model":"gpt-5-codex","effort":"medium"}}"#.to_string(),
            r#"{"timestamp":"2026-03-03T10:00:03Z","type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":{}}}"#.to_string(),
            event((1000, 600, 100, 40), (1000, 600, 100, 40)),
            event((1000, 600, 100, 40), (1000, 600, 100, 40)),
            event((2500, 1600, 300, 40), (1500, 1000, 200, 0)),
        ];
        let parsed: Vec<Parsed> = lines.iter().map(|l| p.parse(l.as_bytes())).collect();
        assert!(matches!(parsed[0], Parsed::NotACall));
        assert!(matches!(parsed[1], Parsed::NotACall));
        assert!(matches!(parsed[2], Parsed::NotACall));
        assert!(matches!(parsed[3], Parsed::NotACall));
        assert!(matches!(parsed[5], Parsed::Duplicate));
        let Parsed::Call(c) = &parsed[4] else {
            panic!("{:?}", parsed[4])
        };
        assert_eq!(c.model, "gpt-5-codex");
        assert_eq!(c.session.as_deref(), Some("sess-1"));
        assert_eq!(c.tags["project"], "api");
        assert_eq!(
            c.usage,
            Usage {
                input: 400,
                cache_read: 600,
                cache_write_5m: 0,
                cache_write_1h: 0,
                output: 100,
                reasoning: 40
            }
        );
        let Parsed::Call(c) = &parsed[6] else {
            panic!("{:?}", parsed[6])
        };
        assert_eq!(
            (c.usage.input, c.usage.cache_read, c.usage.output),
            (500, 1000, 200)
        );
    }

    #[test]
    fn a_rollout_copied_into_another_file_counts_once() {
        let dedup: Arc<Dedup> = Arc::default();
        let reader = |file: &str| {
            Codex::new(&Context {
                file: file.to_string(),
                path: Some(format!("/h/.codex/{file}").into()),
                dedup: dedup.clone(),
                undated: None,
            })
        };
        let lines = [
            r#"{"timestamp":"2026-03-03T10:00:00Z","type":"session_meta","payload":{"id":"sess-1","cwd":"/home/me/api"}}"#.to_string(),
            r#"{"timestamp":"2026-03-03T10:00:02Z","type":"turn_context","payload":{"model":"gpt-5-codex"}}"#.to_string(),
            event((1000, 600, 100, 40), (1000, 600, 100, 40)),
            event((2500, 1600, 300, 40), (1500, 1000, 200, 0)),
        ];
        let mut original = reader("sessions/rollout-a.jsonl");
        let mut archived = reader("archived_sessions/rollout-a.jsonl");
        let calls = |p: &mut Codex| {
            lines
                .iter()
                .map(|l| p.parse(l.as_bytes()))
                .filter(|p| matches!(p, Parsed::Call(_)))
                .count()
        };
        assert_eq!(calls(&mut original), 2);
        assert_eq!(calls(&mut archived), 0);
        // Another session reaching the same totals is another call.
        let mut other = reader("sessions/rollout-b.jsonl");
        other.parse(&lines[0].replace("sess-1", "sess-2").into_bytes());
        other.parse(lines[1].as_bytes());
        assert!(matches!(other.parse(lines[2].as_bytes()), Parsed::Call(_)));
    }

    #[test]
    fn needs_a_model_and_uses_the_file_name_without_session_meta() {
        let mut p = parser();
        let line = event((10, 0, 1, 0), (10, 0, 1, 0));
        let Parsed::Problem(e) = p.parse(line.as_bytes()) else {
            panic!()
        };
        assert!(
            e.message.contains("no model before this token_count"),
            "{}",
            e.message
        );
        p.parse(br#"{"timestamp":"2026-03-03T10:00:02Z","type":"turn_context","payload":{"model":"gpt-5.1-codex-mini"}}"#);
        let line = event((20, 0, 2, 0), (10, 0, 1, 0));
        let Parsed::Call(c) = p.parse(line.as_bytes()) else {
            panic!()
        };
        assert_eq!(c.session.as_deref(), Some("rollout-x"));
        assert_eq!(c.model, "gpt-5.1-codex-mini");
    }

    #[test]
    fn derives_last_usage_from_totals_when_absent() {
        let mut p = parser();
        p.parse(br#"{"timestamp":"2026-03-03T10:00:02Z","type":"turn_context","payload":{"model":"gpt-5-codex"}}"#);
        let first = event((100, 50, 10, 0), (100, 50, 10, 0));
        p.parse(first.as_bytes());
        let line = r#"{"timestamp":"2026-03-03T10:00:09Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":300,"cached_input_tokens":150,"output_tokens":30,"reasoning_output_tokens":0,"total_tokens":330}}}}"#;
        let Parsed::Call(c) = p.parse(line.as_bytes()) else {
            panic!()
        };
        assert_eq!(
            (c.usage.input, c.usage.cache_read, c.usage.output),
            (100, 100, 20)
        );
    }

    #[test]
    fn names_bad_fields() {
        let mut p = parser();
        p.parse(br#"{"timestamp":"2026-03-03T10:00:02Z","type":"turn_context","payload":{"model":"gpt-5-codex"}}"#);
        let line = event((10, 0, 1, 0), (10, 0, 1, 0)).replacen(
            "\"input_tokens\":10",
            "\"input_tokens\":-10",
            2,
        );
        let Parsed::Problem(e) = p.parse(line.as_bytes()) else {
            panic!()
        };
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        assert!(
            e.message
                .contains("payload.info.total_token_usage.input_tokens"),
            "{}",
            e.message
        );
        let line = event((10, 20, 1, 0), (10, 20, 1, 0));
        let Parsed::Problem(e) = p.parse(line.as_bytes()) else {
            panic!()
        };
        assert_eq!(e.reason, SkipReason::Inconsistent);
        let Parsed::Problem(e) = p.parse(br#"{"timestamp":"2026-03-03T10:00:02Z","type":"turn_co"#)
        else {
            panic!()
        };
        assert_eq!(e.reason, SkipReason::MalformedJson);
    }

    #[test]
    fn detects_rollouts() {
        let yes: &[&[u8]] = &[
            br#"{"timestamp":"2026-03-03T10:00:00Z","type":"session_meta","payload":{"id":"x"}}"#,
        ];
        assert!(detect(&Sniff::new(yes.to_vec(), None)));
        let no: &[&[u8]] = &[br#"{"type":"assistant","sessionId":"s","message":{}}"#];
        assert!(!detect(&Sniff::new(no.to_vec(), None)));
    }
}
