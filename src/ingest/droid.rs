//! Factory Droid session settings
//! (`~/.factory/sessions/**/<sessionId>.settings.json`).
//!
//! Droid logs no per-call usage: the transcript `<sessionId>.jsonl` has no
//! tokens. Its sibling `<sessionId>.settings.json` (one pretty-printed
//! object, read as one line) holds `tokenUsage`, the session's cumulative
//! roll-up, rewritten in place. One file is one record. The same session id
//! may sit in several folders (archives, copies): the copies are folded and
//! the largest roll-up wins, so a session counts once.
//!
//! Factory documents none of the `tokenUsage` fields. Read as ccusage reads
//! them (an assumption, stated in the mapping): Anthropic-style, input
//! excludes cache reads/writes, `thinkingTokens` is on top of
//! `outputTokens`. Only when `totalTokens` says the thinking is already
//! inside the other counts is it not added again.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::csv_columns;
use super::fields::{count, missing, parse_object, path, problem, text, time};
use super::format::{Context, InputFormat, LineParser, Parsed, Sniff};
use super::places::{env_list, existing, Env};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "droid",
    title: "Factory Droid session settings (~/.factory/sessions/**/<sessionId>.settings.json)",
    example: r#"{"model":"custom:Claude-Opus-4.5-Thinking-[Anthropic]-0","reasoningEffort":"high","providerLock":"anthropic","providerLockTimestamp":"2026-02-03T09:12:44.120Z","tokenUsage":{"inputTokens":1200,"outputTokens":3400,"cacheCreationTokens":20000,"cacheReadTokens":60000,"thinkingTokens":800}}"#,
    mapping: "One record per <sessionId>.settings.json: tokenUsage is the session's cumulative roll-up (Droid logs no per-call usage). ASSUMED as ccusage reads it (Factory documents none of these fields): input = inputTokens (excludes cache), cache_read = cacheReadTokens, cache_write_5m = cacheCreationTokens, output = outputTokens + thinkingTokens (reasoning = thinkingTokens) — unless totalTokens equals the sum without thinkingTokens, then thinking is taken to be inside outputTokens and not added. model = `model` with `custom:`, the `[Provider]` tag and what follows it, and a `-Thinking` mode suffix dropped (`custom:Claude-Opus-4.5-Thinking-[Anthropic]-0` → claude-opus-4.5); provider = providerLock; session = the file name stem; dated at providerLockTimestamp (the file records no last-update time), else the file's modification time. The same session id in several files counts once: the largest roll-up wins. Like an aggregated row it is priced as pieces of at most 100k prompt tokens. Model switches inside a session are invisible: all usage goes to `model`.",
    detect,
    parser: |ctx| Box::new(Droid::new(ctx)),
};

fn detect(sniff: &Sniff) -> bool {
    // A session's settings before its first request have no tokenUsage
    // yet: the file name says what they are.
    let settings_file = sniff.path.is_some_and(|p| session_of_path(p).is_some());
    sniff.json_objects().iter().any(|m| {
        if settings_file && (m.contains_key("model") || m.contains_key("providerLock")) {
            return true;
        }
        m.get("tokenUsage").is_some_and(Value::is_object)
            && (m.contains_key("providerLock")
                || m.contains_key("providerLockTimestamp")
                || m.get("model").is_some_and(Value::is_string))
    })
}

struct Droid {
    /// The file name stem before `.settings.json`.
    session: Option<String>,
    /// The file's modification time, for files without a time.
    undated: Option<chrono::DateTime<chrono::Utc>>,
}

impl Droid {
    fn new(ctx: &Context) -> Self {
        Droid {
            session: ctx.path.as_deref().and_then(session_of_path),
            undated: ctx.undated,
        }
    }
}

/// `…/<sessionId>.settings.json` → `<sessionId>`.
fn session_of_path(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".settings.json")?;
    (!stem.is_empty()).then(|| stem.to_string())
}

/// The catalog id of a Droid model name: drops `custom:`, the `[Provider]`
/// tag with what follows (a custom model's index), and a `-Thinking` mode
/// suffix (thinking is a mode, priced as the model).
pub fn model_id(raw: &str) -> String {
    let mut m = raw.trim();
    m = m.strip_prefix("custom:").unwrap_or(m);
    if let Some(at) = m.find('[') {
        m = &m[..at];
    }
    let mut id = m.trim().trim_end_matches(['-', '_', ' ']).to_lowercase();
    if let Some(base) = id.strip_suffix("-thinking") {
        id = base.to_string();
    }
    if id.is_empty() {
        raw.trim().to_string()
    } else {
        id
    }
}

impl LineParser for Droid {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        match self.read(line) {
            Ok(parsed) => parsed,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

impl Droid {
    fn read(&self, line: &[u8]) -> Result<Parsed, LineProblem> {
        let obj = parse_object(line)?;
        let usage = match obj.get("tokenUsage") {
            // Settings written before the first request.
            None | Some(Value::Null) => return Ok(Parsed::NotACall),
            Some(Value::Object(u)) => u,
            Some(_) => {
                return Err(problem(
                    SkipReason::BadField,
                    "tokenUsage",
                    "expected an object",
                ))
            }
        };
        let get = |key: &str| {
            count(usage.get(key), &format!("tokenUsage.{key}")).map(Option::unwrap_or_default)
        };
        let input = get("inputTokens")?;
        let output = get("outputTokens")?;
        let write = get("cacheCreationTokens")?;
        let read = get("cacheReadTokens")?;
        let thinking = get("thinkingTokens")?;
        let total = count(usage.get("totalTokens"), "tokenUsage.totalTokens")?;
        let sum = [input, output, write, read]
            .iter()
            .try_fold(0u64, |a, b| a.checked_add(*b));
        let Some(without_thinking) = sum else {
            return Err(problem(
                SkipReason::BadTokenCount,
                "tokenUsage",
                "the counts overflow when added",
            ));
        };
        if without_thinking == 0 && thinking == 0 {
            return Ok(Parsed::NotACall);
        }
        // totalTokens, when given, tells whether thinking is already in
        // outputTokens; without it, ccusage's reading (added) is assumed.
        let thinking_inside = total == Some(without_thinking) && thinking > 0;
        let output_all = if thinking_inside {
            output
        } else {
            output.saturating_add(thinking)
        };
        let raw_model = match path(&obj, &["model"]) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::String(_)) => return Err(problem(SkipReason::BadField, "model", "empty")),
            Some(_) => return Err(problem(SkipReason::BadField, "model", "expected a string")),
            None => return Err(missing("model")),
        };
        let (ts, undated) = match path(&obj, &["providerLockTimestamp"]) {
            Some(v) => (time(v, "providerLockTimestamp")?, false),
            None => match self.undated {
                Some(t) => (t, true),
                None => return Err(missing("providerLockTimestamp")),
            },
        };
        let model = model_id(&raw_model);
        let mut call = Call {
            provider: text(path(&obj, &["providerLock"])),
            session: self.session.clone(),
            undated,
            ..Call::new(
                ts,
                model.clone(),
                Usage {
                    input,
                    cache_read: read,
                    cache_write_5m: write,
                    cache_write_1h: 0,
                    output: output_all,
                    reasoning: thinking,
                },
            )
        };
        if model != raw_model {
            call.tags
                .insert("droid_model".to_string(), raw_model.trim().to_string());
        }
        // The largest roll-up of a session wins over older copies. The
        // rank counts every token, so a later snapshot (counts only grow)
        // outranks an earlier one.
        let rank = without_thinking.saturating_add(thinking);
        let key = match &self.session {
            Some(s) => format!("droid\u{0}{s}"),
            // A settings object read from stdin: its content names it.
            None => format!("droid\u{0}{}", String::from_utf8_lossy(line)),
        };
        Ok(csv_columns::rollup_copies(call, &key, rank))
    }
}

/// The folders Droid keeps sessions in, that exist: each entry of
/// `DROID_SESSIONS_DIR` (ccusage's variable, a comma-separated list; the
/// agent's own override was not found), else `~/.factory/sessions`.
pub fn data_dirs(env: Env, home: Option<&Path>) -> Vec<PathBuf> {
    match env_list(env, "DROID_SESSIONS_DIR") {
        Some(list) => existing(list),
        None => existing(home.map(|h| h.join(".factory").join("sessions"))),
    }
}

/// Whether `path` is a usage file: a session's `<id>.settings.json` (the
/// `<id>.jsonl` transcript beside it has no usage).
pub fn is_log_file(path: &Path) -> bool {
    session_of_path(path).is_some()
}
