//! Goose (Block) sessions.
//!
//! Goose logs no per-call usage. A session carries running totals
//! (`accumulated_input_tokens`, `accumulated_output_tokens`,
//! `accumulated_total_tokens`): one session is one record. Current Goose
//! keeps sessions as rows of the SQLite table `sessions` in
//! `<data>/sessions/sessions.db`, which `sqlite` reads as one line per row
//! in the shape `goose session export --format json` writes (the `Session`
//! struct); such exports are read too (one pretty-printed object read as
//! one line), and so are the legacy `<data>/sessions/<id>.jsonl` files
//! whose first line is the session metadata. Legacy metadata names no
//! model, so those sessions cannot be priced and are skipped with a
//! message.
//!
//! Goose's input counts are cache-inclusive (`Usage::from_cache_exclusive_
//! input` folds cache reads and writes in) and the split is not stored: all
//! input is priced at the input rate. The non-accumulated `input_tokens`,
//! `output_tokens`, `total_tokens` are the last call / current context and
//! are never added.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::csv_columns;
use super::fields::{count, last_component, parse_object, path, problem, text, time, Object};
use super::format::{Context, InputFormat, LineParser, Parsed, Sniff};
use super::places::{existing, Env};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

/// Lines without this cannot carry usage: skipped before any JSON parsing
/// (the searcher is built once, not per line).
static ACCUMULATED: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"accumulated_"));

pub static FORMAT: InputFormat = InputFormat {
    name: "goose",
    title: "Goose sessions: sessions.db (SQLite), goose session export --format json, legacy sessions/<id>.jsonl",
    example: r#"{"id":"20260210_3","working_dir":"/home/ana/shop","name":"fix checkout","session_type":"user","created_at":"2026-02-10T08:01:12Z","updated_at":"2026-02-10T09:40:55Z","extension_data":{},"total_tokens":41000,"input_tokens":39500,"output_tokens":1500,"accumulated_total_tokens":182000,"accumulated_input_tokens":171000,"accumulated_output_tokens":11000,"message_count":24,"provider_name":"anthropic","model_config":{"model_name":"claude-sonnet-4-5","context_limit":200000}}"#,
    mapping: "Goose logs no per-call usage: one record per session: a row of the SQLite store sessions.db (line n = the n-th row by id; *_json columns read as JSON, SQLite times as UTC), or a session as `goose session export --format json` writes it. input = accumulated_input_tokens, priced ALL at the input rate because Goose's input includes cache reads/writes and does not store the split (over-states cost when caching was used); output = accumulated_output_tokens + reasoning, reasoning = accumulated_total_tokens − input − output when positive (Google thoughts); model = model_config.model_name (the session's last model: all usage goes to it); provider = provider_name; session = id; dated at updated_at (last activity), else created_at; tags project = last folder of working_dir, goose_session_type = session_type. The same session in several files counts once (the largest total wins). The last-call columns input_tokens/output_tokens/total_tokens are never added. Legacy <id>.jsonl metadata lines name no model: skipped with a message. Priced as pieces of at most 100k prompt tokens, like an aggregated row.",
    detect,
    parser: |ctx| Box::new(Goose::new(ctx)),
};

const ROLLUP: [&str; 3] = [
    "accumulated_input_tokens",
    "accumulated_output_tokens",
    "accumulated_total_tokens",
];

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        ROLLUP.iter().any(|k| m.contains_key(*k))
            && (m.contains_key("message_count")
                || m.contains_key("model_config")
                || m.contains_key("working_dir"))
    })
}

struct Goose {
    /// A legacy `<id>.jsonl` file's stem.
    file_session: Option<String>,
}

impl Goose {
    fn new(ctx: &Context) -> Self {
        Goose {
            file_session: ctx
                .path
                .as_deref()
                .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
                .and_then(|p| p.file_stem())
                .and_then(|s| s.to_str())
                .map(str::to_string),
        }
    }
}

impl LineParser for Goose {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        // Legacy files hold messages after the metadata line; a complete
        // line without a running total is not a session.
        if line.ends_with(b"}") && ACCUMULATED.find(line).is_none() {
            return Parsed::NotACall;
        }
        match self.read(line) {
            Ok(parsed) => parsed,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

impl Goose {
    fn read(&self, line: &[u8]) -> Result<Parsed, LineProblem> {
        let obj = parse_object(line)?;
        if !ROLLUP.iter().any(|k| obj.contains_key(*k)) {
            return Ok(Parsed::NotACall);
        }
        let get = |key: &str| count(path(&obj, &[key]), key);
        let input = get("accumulated_input_tokens")?;
        let output = get("accumulated_output_tokens")?;
        let total = get("accumulated_total_tokens")?;
        if input.unwrap_or(0) == 0 && output.unwrap_or(0) == 0 && total.unwrap_or(0) == 0 {
            if input.is_none()
                && output.is_none()
                && total.is_none()
                && ["input_tokens", "output_tokens"]
                    .iter()
                    .any(|k| path(&obj, &[k]).is_some_and(|v| v.as_u64().unwrap_or(0) > 0))
            {
                // ccusage falls back to these; they are the last call, not
                // the session, so nothing is priced.
                return Err(problem(
                    SkipReason::MissingField,
                    "accumulated_input_tokens",
                    "missing: only the last-call columns input_tokens/output_tokens are set, and they are not a session total",
                ));
            }
            return Ok(Parsed::NotACall);
        }
        let (input, output) = (input.unwrap_or(0), output.unwrap_or(0));
        let reasoning = total
            .unwrap_or(0)
            .saturating_sub(input.saturating_add(output));
        let model = match path(&obj, &["model_config", "model_name"]) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(_) => {
                return Err(problem(
                    SkipReason::BadField,
                    "model_config.model_name",
                    "expected a non-empty string",
                ))
            }
            None if obj.contains_key("message_count") && !obj.contains_key("id") => {
                return Err(problem(
                    SkipReason::MissingField,
                    "model_config.model_name",
                    "legacy session metadata (<id>.jsonl first line) names no model: its usage cannot be priced",
                ))
            }
            None => {
                return Err(problem(
                    SkipReason::MissingField,
                    "model_config.model_name",
                    "missing (required)",
                ))
            }
        };
        let ts = match (path(&obj, &["updated_at"]), path(&obj, &["created_at"])) {
            (Some(v), _) => time(v, "updated_at")?,
            (None, Some(v)) => time(v, "created_at")?,
            (None, None) => {
                return Err(problem(
                    SkipReason::MissingField,
                    "updated_at",
                    "missing (required; created_at is missing too)",
                ))
            }
        };
        let session = text(path(&obj, &["id"])).or_else(|| self.file_session.clone());
        let call = Call {
            provider: text(path(&obj, &["provider_name"])),
            session: session.clone(),
            tags: tags(&obj),
            ..Call::new(
                ts,
                model,
                Usage {
                    input,
                    cache_read: 0,
                    cache_write_5m: 0,
                    cache_write_1h: 0,
                    output: output.saturating_add(reasoning),
                    reasoning,
                },
            )
        };
        // Running totals only grow: the largest copy is the latest.
        let rank = total.unwrap_or(0).max(input.saturating_add(output));
        let key = match session {
            Some(s) => format!("goose\u{0}{s}"),
            None => format!("goose\u{0}{}", String::from_utf8_lossy(line)),
        };
        Ok(csv_columns::rollup_copies(call, &key, rank))
    }
}

/// The folders holding Goose's `sessions.db` that exist: with
/// `GOOSE_PATH_ROOT` (the agent's variable; it moves everything),
/// `<root>/data/sessions`; else `$XDG_DATA_HOME/goose/sessions` or
/// `~/.local/share/goose/sessions` (Linux and macOS), and on Windows
/// `%APPDATA%\Block\goose\data\sessions`.
pub fn data_dirs(env: Env, home: Option<&Path>) -> Vec<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(root) = set("GOOSE_PATH_ROOT") {
        return existing([PathBuf::from(root.trim()).join("data").join("sessions")]);
    }
    let mut candidates = Vec::new();
    match set("XDG_DATA_HOME") {
        Some(xdg) => candidates.push(PathBuf::from(xdg.trim()).join("goose").join("sessions")),
        None => candidates.extend(home.map(|h| h.join(".local/share/goose/sessions"))),
    }
    if let Some(appdata) = set("APPDATA") {
        candidates.push(PathBuf::from(appdata.trim()).join("Block/goose/data/sessions"));
    }
    existing(candidates)
}

/// Whether `path` is Goose's session store. The legacy `<id>.jsonl`
/// files name no model (nothing to price), so they are not looked for.
pub fn is_log_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "sessions.db")
}

fn tags(obj: &Object) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    if let Some(project) = text(path(obj, &["working_dir"]))
        .as_deref()
        .and_then(last_component)
    {
        tags.insert("project".to_string(), project);
    }
    if let Some(kind) = text(path(obj, &["session_type"])) {
        tags.insert("goose_session_type".to_string(), kind);
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::{self, CopyOf, Dedup};
    use std::sync::Arc;

    fn parser(file: Option<&str>) -> Goose {
        Goose::new(&Context {
            file: "t".to_string(),
            path: file.map(Into::into),
            dedup: Arc::<Dedup>::default(),
            undated: None,
        })
    }

    fn read(line: &str) -> Parsed {
        parser(None).parse(line.as_bytes())
    }

    fn one(parsed: Parsed) -> (Call, CopyOf) {
        match parsed {
            Parsed::Copies(mut c) if c.len() == 1 => c.remove(0),
            other => panic!("{other:?}"),
        }
    }

    const LEGACY: &str = r#"{"working_dir":"/home/ana/shop","description":"rename","schedule_id":null,"message_count":4,"total_tokens":5200,"input_tokens":4900,"output_tokens":300,"accumulated_total_tokens":14100,"accumulated_input_tokens":13000,"accumulated_output_tokens":1100}"#;

    /// The example with a prompt small enough for one piece.
    fn small() -> String {
        FORMAT
            .example
            .replace("171000", "71000")
            .replace("182000", "82000")
    }

    #[test]
    fn one_record_per_session() {
        let (c, of) = one(read(&small()));
        assert_eq!(c.model, "claude-sonnet-4-5");
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        assert_eq!(c.session.as_deref(), Some("20260210_3"));
        assert_eq!(c.ts.to_rfc3339(), "2026-02-10T09:40:55+00:00");
        // Cache-inclusive input, all at the input rate; the last-call
        // columns are not added.
        assert_eq!(
            (
                c.usage.input,
                c.usage.cache_read,
                c.usage.output,
                c.usage.reasoning
            ),
            (71000, 0, 11000, 0)
        );
        assert_eq!(c.tags["project"], "shop");
        assert_eq!(c.tags["goose_session_type"], "user");
        assert_eq!(of.rank, 82000);
    }

    #[test]
    fn total_above_input_and_output_is_reasoning() {
        let line = small().replace("82000", "90000");
        let (c, _) = one(read(&line));
        assert_eq!((c.usage.output, c.usage.reasoning), (19000, 8000));
    }

    #[test]
    fn large_sessions_are_priced_in_pieces_that_fold_together() {
        // 171,000 prompt tokens: two pieces, both keyed by the session.
        let big = match read(&FORMAT.example.replace("171000", "250000")) {
            Parsed::Copies(c) => c,
            other => panic!("{other:?}"),
        };
        assert!(big.len() >= 2);
        let (_, small) = one(read(
            &FORMAT
                .example
                .replace("171000", "50000")
                .replace("182000", "61000"),
        ));
        assert_eq!(big[0].1.key, small.key);
        assert!(big[0].1.rank > small.rank);
    }

    #[test]
    fn legacy_metadata_names_no_model_and_messages_are_not_calls() {
        let mut p = parser(Some("/h/.local/share/goose/sessions/20250612_143015.jsonl"));
        match p.parse(LEGACY.as_bytes()) {
            Parsed::Problem(pr) => {
                assert_eq!(pr.reason, SkipReason::MissingField);
                assert!(
                    pr.message.contains("\"model_config.model_name\""),
                    "{}",
                    pr.message
                );
                assert!(pr.message.contains("legacy"), "{}", pr.message);
            }
            other => panic!("{other:?}"),
        }
        let message =
            r#"{"role":"user","created":1749738615,"content":[{"type":"text","text":"hi"}]}"#;
        assert!(matches!(p.parse(message.as_bytes()), Parsed::NotACall));
        // With a model (a newer metadata line), the file stem names it.
        let with_model = LEGACY.replace(
            r#""message_count":4"#,
            r#""message_count":4,"updated_at":"2025-06-12T14:40:00Z","model_config":{"model_name":"gpt-4.1"}"#,
        );
        let (c, _) = one(p.parse(with_model.as_bytes()));
        assert_eq!(c.session.as_deref(), Some("20250612_143015"));
    }

    #[test]
    fn empty_sessions_and_last_call_columns() {
        let empty = r#"{"id":"s","working_dir":"/x","accumulated_total_tokens":0,"accumulated_input_tokens":0,"accumulated_output_tokens":0,"model_config":{"model_name":"m"}}"#;
        assert!(matches!(read(empty), Parsed::NotACall));
        let null = r#"{"working_dir":"/x","description":"","message_count":0,"accumulated_total_tokens":null,"accumulated_input_tokens":null,"accumulated_output_tokens":null}"#;
        assert!(matches!(read(null), Parsed::NotACall));
        let last_only = r#"{"id":"s","working_dir":"/x","input_tokens":500,"output_tokens":20,"accumulated_total_tokens":null,"accumulated_input_tokens":null,"accumulated_output_tokens":null,"model_config":{"model_name":"m"}}"#;
        match read(last_only) {
            Parsed::Problem(p) => assert!(p.message.contains("\"accumulated_input_tokens\"")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_bad_fields_and_never_panics() {
        for (line, field) in [
            (
                FORMAT.example.replace("171000", "-3"),
                "accumulated_input_tokens",
            ),
            (
                FORMAT.example.replace("2026-02-10T09:40:55Z", "later"),
                "updated_at",
            ),
            (
                FORMAT
                    .example
                    .replace(r#""model_name":"claude-sonnet-4-5""#, r#""model_name":5"#),
                "model_config.model_name",
            ),
        ] {
            match read(&line) {
                Parsed::Problem(p) => {
                    assert!(p.message.contains(&format!("\"{field}\"")), "{}", p.message)
                }
                other => panic!("{line}: {other:?}"),
            }
        }
        let big = u64::MAX.to_string();
        for line in [
            "{}".to_string(),
            "[]".to_string(),
            "{\"accumulated_input_tokens\":".to_string(),
            FORMAT
                .example
                .replace("171000", &big)
                .replace("11000", &big),
            FORMAT.example.replace("182000", &big),
            r#"{"accumulated_input_tokens":5}"#.to_string(),
            r#"{"accumulated_input_tokens":5,"model_config":"m","updated_at":1}"#.to_string(),
        ] {
            match read(&line) {
                Parsed::Problem(p) => assert!(!p.message.is_empty()),
                Parsed::NotACall | Parsed::Copies(_) => {}
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn detects_sessions_only() {
        assert_eq!(format::detected(FORMAT.example), Some("goose"));
        assert_eq!(format::detected(LEGACY), Some("goose"));
        for other in [
            r#"{"type":"assistant","sessionId":"s","message":{"role":"assistant"}}"#,
            r#"{"ts":"2026-03-01T00:00:00Z","model":"m","session":"s","usage":{"input":1}}"#,
            r#"{"model":"gpt-5.1","providerLock":"openai","tokenUsage":{"inputTokens":1}}"#,
            r#"{"role":"user","created":1749738615,"content":[]}"#,
        ] {
            assert_ne!(format::detected(other), Some("goose"), "{other}");
        }
    }
}
