//! Kimi CLI (Moonshot) wire logs
//! (`~/.kimi/sessions/<md5(work_dir)>/<session_id>/wire.jsonl`).
//!
//! The first line is `{"type": "metadata", "protocol_version": …}`; every
//! other line is `{"timestamp": <epoch seconds>, "message": {"type": <event>,
//! "payload": {…}}}`. A call's usage is a `StatusUpdate` whose payload has
//! `token_usage` (kosong's `TokenUsage`: `input_other` excludes the cache,
//! `input_cache_read`, `input_cache_creation`, `output` with reasoning
//! inside) and `message_id` (the provider's completion id). A subagent's
//! events are wrapped: `SubagentEvent` with `payload.event = {type,
//! payload}`; its `StatusUpdate`s are calls too (ccusage misses them).
//!
//! Repeats: the same `message_id` may be written again as a turn goes on;
//! each is a copy of (session, message id), the largest kept. Updates
//! without an id are calls each.
//!
//! The wire names no model. Kimi CLI keeps it in `<share dir>/config.toml`:
//! `default_model` names an entry of `[models.*]` whose `model` is the API
//! model id; that is read once per file (a `/model` switch or `--model` flag
//! is not logged, so this is the best that can be known). Without a config
//! (or with a legacy `config.json`, which ccusage reads under a key Kimi
//! never wrote) the model is `kimi-for-coding`, the default setup's model as
//! ccusage documents it; the catalog has no price for it, so such calls are
//! listed unpriced rather than dropped.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::fields::{count, missing, object, parse_object, path as field, problem, text, time};
use super::format::{Context, CopyOf, InputFormat, LineParser, Parsed, Sniff};
use super::places::{env_list, existing, Env};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

/// The model of the default Kimi CLI setup (`kimi-for-coding`), used when
/// no config names one.
pub const DEFAULT_MODEL: &str = "kimi-for-coding";

/// Lines without this cannot carry usage: skipped before any JSON parsing
/// (the searcher is built once, not per line).
static TOKEN_USAGE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"token_usage\""));

pub static FORMAT: InputFormat = InputFormat {
    name: "kimi-cli",
    title: "Kimi CLI wire logs (~/.kimi/sessions/<hash>/<session>/wire.jsonl)",
    example: r#"{"timestamp":1770983427.123,"message":{"type":"StatusUpdate","payload":{"context_usage":0.05,"token_usage":{"input_other":1200,"output":310,"input_cache_read":8192,"input_cache_creation":0},"message_id":"chatcmpl-a1"}}}"#,
    mapping: "one call per StatusUpdate with payload.token_usage (also inside a SubagentEvent's payload.event): input = input_other (excludes the cache), cache_read = input_cache_read, cache_write_5m = input_cache_creation, output = output (reasoning inside); ts = the line's timestamp (epoch seconds); id = payload.message_id, and a message id written again folds into one call per (session, id), the largest kept; model = models.<default_model>.model of config.toml in the share dir (the folder holding sessions/), else kimi-for-coding (unpriced); session = the session folder; tag project = the work-dir hash folder (sessions/<md5(work_dir)>/); tag subagent = the subagent type of nested updates. StatusUpdates without token_usage (context_usage, mcp_status, plan_mode) and other events are not calls.",
    detect,
    parser: |ctx| Box::new(KimiCli::new(ctx)),
};

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        let metadata = m.get("type").and_then(Value::as_str) == Some("metadata")
            && m.contains_key("protocol_version");
        let event = m.get("timestamp").is_some_and(Value::is_number)
            && m.get("message")
                .and_then(Value::as_object)
                .is_some_and(|msg| {
                    msg.get("type").is_some_and(Value::is_string)
                        && msg.get("payload").is_some_and(Value::is_object)
                });
        metadata || event
    })
}

struct KimiCli {
    session: Option<String>,
    project: Option<String>,
    model: String,
}

impl KimiCli {
    fn new(ctx: &Context) -> Self {
        let path = ctx.path.as_deref();
        KimiCli {
            session: path.and_then(|p| folder(p, 1)),
            project: path.and_then(|p| folder(p, 2)),
            model: path
                .and_then(share_dir)
                .and_then(|d| model_of_config(&d))
                .unwrap_or_else(|| DEFAULT_MODEL.to_string()),
        }
    }
}

/// The name of the folder `up` levels above `path`.
fn folder(path: &Path, up: usize) -> Option<String> {
    Some(path.ancestors().nth(up)?.file_name()?.to_str()?.to_string())
}

/// The share dir: the folder holding the `sessions/` the file is in.
fn share_dir(path: &Path) -> Option<PathBuf> {
    let sessions = path
        .ancestors()
        .skip(1)
        .find(|a| a.file_name() == Some("sessions".as_ref()))?;
    Some(sessions.parent()?.to_path_buf())
}

/// `models.<default_model>.model` of `<share>/config.toml`.
fn model_of_config(share: &Path) -> Option<String> {
    let text = std::fs::read_to_string(share.join("config.toml")).ok()?;
    let config: toml::Table = text.parse().ok()?;
    let name = config.get("default_model")?.as_str()?;
    let entry = config.get("models")?.get(name)?;
    let model = entry
        .get("model")
        .and_then(toml::Value::as_str)
        .unwrap_or(name);
    let model = model.trim();
    (!model.is_empty()).then(|| model.to_string())
}

impl LineParser for KimiCli {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        // Content parts and tool output (most lines) carry no usage.
        if line.ends_with(b"}") && TOKEN_USAGE.find(line).is_none() {
            return Parsed::NotACall;
        }
        match self.read(line) {
            Ok(Some((call, Some(of)))) => Parsed::Copy(Box::new(call), of),
            Ok(Some((call, None))) => Parsed::call(call),
            Ok(None) => Parsed::NotACall,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

impl KimiCli {
    fn read(&self, line: &[u8]) -> Result<Option<(Call, Option<CopyOf>)>, LineProblem> {
        let obj = parse_object(line)?;
        let Some(message) = object(obj.get("message"), "message")? else {
            // The metadata line.
            return Ok(None);
        };
        let mut kind = message.get("type").and_then(Value::as_str);
        let mut payload = object(message.get("payload"), "message.payload")?;
        let mut at = "message.payload".to_string();
        let mut subagent = None;
        if kind == Some("SubagentEvent") {
            let Some(p) = payload else { return Ok(None) };
            subagent = text(p.get("subagent_type"));
            let Some(event) = object(p.get("event"), "message.payload.event")? else {
                return Ok(None);
            };
            kind = event.get("type").and_then(Value::as_str);
            payload = object(event.get("payload"), "message.payload.event.payload")?;
            at = "message.payload.event.payload".to_string();
        }
        if kind != Some("StatusUpdate") {
            return Ok(None);
        }
        let Some(payload) = payload else {
            return Ok(None);
        };
        let name = |f: &str| format!("{at}.{f}");
        let Some(tokens) = object(payload.get("token_usage"), &name("token_usage"))? else {
            // context_usage, mcp_status or plan_mode only.
            return Ok(None);
        };
        let get = |k: &str| {
            count(tokens.get(k), &name(&format!("token_usage.{k}"))).map(Option::unwrap_or_default)
        };
        let usage = Usage {
            input: get("input_other")?,
            cache_read: get("input_cache_read")?,
            cache_write_5m: get("input_cache_creation")?,
            cache_write_1h: 0,
            output: get("output")?,
            reasoning: 0,
        };
        let all = [
            usage.input,
            usage.cache_read,
            usage.cache_write_5m,
            usage.output,
        ]
        .into_iter()
        .fold(0u64, u64::saturating_add);
        if all == 0 {
            return Ok(None);
        }
        let ts = match field(&obj, &["timestamp"]) {
            Some(v) => time(v, "timestamp")?,
            None => return Err(missing("timestamp")),
        };
        let id = match payload.get("message_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(_) => {
                return Err(problem(
                    SkipReason::BadField,
                    &name("message_id"),
                    "expected a non-empty string",
                ))
            }
        };
        let mut call = Call {
            session: self.session.clone(),
            id: id.clone(),
            ..Call::new(ts, self.model.clone(), usage)
        };
        if let Some(p) = &self.project {
            call.tags.insert("project".to_string(), p.clone());
        }
        if let Some(s) = subagent {
            call.tags.insert("subagent".to_string(), s);
        }
        let of = id.map(|id| {
            CopyOf::new(
                &format!("kimi-cli:{}:{id}", self.session.as_deref().unwrap_or("")),
                all,
            )
        });
        Ok(Some((call, of)))
    }
}

/// The share dirs holding `sessions/`: every entry of `KIMI_DATA_DIR`
/// (ccusage's variable, comma-separated) and `$KIMI_SHARE_DIR` (Kimi CLI's
/// own); with neither set, `~/.kimi`. Only folders that exist.
pub fn data_dirs(env: Env, home: Option<&Path>) -> Vec<PathBuf> {
    let data_dirs = env_list(env, "KIMI_DATA_DIR");
    let share = env("KIMI_SHARE_DIR").filter(|v| !v.trim().is_empty());
    let mut dirs = data_dirs.clone().unwrap_or_default();
    if let Some(share) = &share {
        dirs.push(PathBuf::from(share.trim()));
    }
    if data_dirs.is_none() && share.is_none() {
        dirs.extend(home.map(|h| h.join(".kimi")));
    }
    existing(dirs)
}

/// Whether `path` is a wire log: `sessions/<hash>/<session>/wire.jsonl`
/// (`context.jsonl` next to it holds only the context size).
pub fn is_log_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "wire.jsonl")
        && path
            .ancestors()
            .nth(3)
            .and_then(Path::file_name)
            .is_some_and(|n| n == "sessions")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const UPDATE: &str = r#"{"timestamp":1770983427.5,"message":{"type":"StatusUpdate","payload":{"context_usage":0.05,"token_usage":{"input_other":1200,"output":310,"input_cache_read":8192,"input_cache_creation":0},"message_id":"chatcmpl-a1"}}}"#;

    fn parser(path: &Path) -> KimiCli {
        KimiCli::new(&Context {
            file: path.display().to_string(),
            path: Some(path.to_path_buf()),
            dedup: Arc::default(),
            undated: None,
        })
    }

    fn bare() -> KimiCli {
        parser(Path::new("/nowhere/sessions/h1/s1/wire.jsonl"))
    }

    #[test]
    fn reads_an_update_and_nested_subagent_updates() {
        let mut p = bare();
        let Parsed::Copy(c, of) = p.parse(UPDATE.as_bytes()) else {
            panic!()
        };
        assert_eq!(
            c.usage,
            Usage {
                input: 1200,
                cache_read: 8192,
                cache_write_5m: 0,
                cache_write_1h: 0,
                output: 310,
                reasoning: 0
            }
        );
        assert_eq!(c.model, DEFAULT_MODEL);
        assert_eq!(c.session.as_deref(), Some("s1"));
        assert_eq!(c.tags["project"], "h1");
        assert_eq!(c.ts.to_rfc3339(), "2026-02-13T11:50:27.500+00:00");
        let nested = format!(
            r#"{{"timestamp":1770983428,"message":{{"type":"SubagentEvent","payload":{{"parent_tool_call_id":"t1","subagent_type":"coder","event":{}}}}}}}"#,
            serde_json::to_string(&serde_json::from_str::<Value>(UPDATE).unwrap()["message"])
                .unwrap()
                .replace("chatcmpl-a1", "chatcmpl-b1")
        );
        let Parsed::Copy(s, sof) = p.parse(nested.as_bytes()) else {
            panic!("{nested}")
        };
        assert_eq!(s.tags["subagent"], "coder");
        assert_ne!(sof.key, of.key);
        // The same id again is a copy of the same call.
        let Parsed::Copy(_, again) = p.parse(UPDATE.as_bytes()) else {
            panic!()
        };
        assert_eq!(again.key, of.key);
    }

    #[test]
    fn lines_without_usage_and_without_ids() {
        let mut p = bare();
        for line in [
            r#"{"type":"metadata","protocol_version":"1.3"}"#,
            r#"{"timestamp":1770983427.1,"message":{"type":"StatusUpdate","payload":{"context_usage":0.1,"token_usage":null}}}"#,
            r#"{"timestamp":1770983427.1,"message":{"type":"TurnBegin","payload":{"user_input":"hi"}}}"#,
            r#"{"timestamp":1770983427.1,"message":{"type":"StatusUpdate","payload":{"token_usage":{"input_other":0,"output":0}}}}"#,
        ] {
            assert!(
                matches!(p.parse(line.as_bytes()), Parsed::NotACall),
                "{line}"
            );
        }
        let no_id = UPDATE.replace(r#","message_id":"chatcmpl-a1""#, "");
        assert!(matches!(p.parse(no_id.as_bytes()), Parsed::Call(_)));
    }

    #[test]
    fn names_bad_fields() {
        let mut p = bare();
        let problem = |p: &mut KimiCli, l: &str| match p.parse(l.as_bytes()) {
            Parsed::Problem(e) => e,
            other => panic!("{l}: {other:?}"),
        };
        let e = problem(&mut p, &UPDATE.replace(r#""output":310"#, r#""output":-3"#));
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        assert!(
            e.message.contains("message.payload.token_usage.output"),
            "{}",
            e.message
        );
        let e = problem(&mut p, &UPDATE.replace(r#""timestamp":1770983427.5,"#, ""));
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(e.message.contains("\"timestamp\""), "{}", e.message);
        let e = problem(&mut p, &UPDATE[..UPDATE.len() - 10]);
        assert_eq!(e.reason, SkipReason::MalformedJson);
    }

    #[test]
    fn model_from_the_config_of_the_share_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let share = tmp.path().join(".kimi");
        let wire = share.join("sessions/abc/s9/wire.jsonl");
        std::fs::create_dir_all(wire.parent().unwrap()).unwrap();
        std::fs::write(
            share.join("config.toml"),
            "default_model = \"k2\"\n[models.k2]\nprovider = \"moonshot\"\nmodel = \"kimi-k2-turbo-preview\"\nmax_context_size = 262144\n",
        )
        .unwrap();
        let mut p = parser(&wire);
        let Parsed::Copy(c, _) = p.parse(UPDATE.as_bytes()) else {
            panic!()
        };
        assert_eq!(c.model, "kimi-k2-turbo-preview");
        assert!(is_log_file(&wire));
        assert!(!is_log_file(&share.join("sessions/abc/s9/context.jsonl")));
        let none = |_: &str| None;
        assert_eq!(data_dirs(&none, Some(tmp.path())), vec![share.clone()]);
        let s = share.display().to_string();
        let env = |k: &str| (k == "KIMI_SHARE_DIR").then(|| s.clone());
        assert_eq!(data_dirs(&env, None), vec![share]);
    }

    #[test]
    fn detects_wire_logs_and_not_others() {
        assert!(detect(&Sniff::of(&[UPDATE])));
        assert!(detect(&Sniff::of(&[
            r#"{"type":"metadata","protocol_version":"1.3"}"#
        ])));
        for other in [
            r#"{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T00:00:00Z","message":{"role":"assistant","usage":{}}}"#,
            r#"{"timestamp":"2026-01-01T00:00:00Z","type":"event_msg","payload":{"type":"token_count"}}"#,
            r#"{"timestamp":1770983427,"response":{"id":"x"}}"#,
        ] {
            assert!(!detect(&Sniff::of(&[other])), "{other}");
        }
    }
}
