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
use super::fields::{count, missing, object, parse_object, path, problem, text, time};
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
        // None: settings written before the first request.
        let Some(usage) = object(obj.get("tokenUsage"), "tokenUsage")? else {
            return Ok(Parsed::NotACall);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::{self, CopyOf, Dedup};
    use std::sync::Arc;

    const OPUS: &str = r#"{"model":"custom:Claude-Opus-4.5-Thinking-[Anthropic]-0","providerLock":"anthropic","providerLockTimestamp":"2026-02-03T09:12:44.120Z","tokenUsage":{"inputTokens":1200,"outputTokens":3400,"cacheCreationTokens":20000,"cacheReadTokens":60000,"thinkingTokens":800}}"#;

    fn parser(file: Option<&str>) -> Droid {
        Droid::new(&Context {
            file: "t".to_string(),
            path: file.map(Into::into),
            dedup: Arc::<Dedup>::default(),
            undated: None,
        })
    }

    fn one(parsed: Parsed) -> (Call, CopyOf) {
        match parsed {
            Parsed::Copies(mut c) if c.len() == 1 => c.remove(0),
            other => panic!("{other:?}"),
        }
    }

    fn read(line: &str) -> Parsed {
        parser(Some("/h/.factory/sessions/p/s1.settings.json")).parse(line.as_bytes())
    }

    #[test]
    fn one_record_per_settings_file() {
        let (c, of) = one(read(OPUS));
        assert_eq!(c.model, "claude-opus-4.5");
        assert_eq!(
            c.tags["droid_model"],
            "custom:Claude-Opus-4.5-Thinking-[Anthropic]-0"
        );
        assert_eq!(c.session.as_deref(), Some("s1"));
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        assert_eq!(
            (c.usage.input, c.usage.cache_read, c.usage.cache_write_5m),
            (1200, 60000, 20000)
        );
        // thinkingTokens added to output (ccusage's reading).
        assert_eq!((c.usage.output, c.usage.reasoning), (4200, 800));
        assert!(!c.undated);
        assert_eq!(of.rank, 85400);
    }

    #[test]
    fn total_tokens_says_thinking_is_inside_output() {
        let line = r#"{"model":"gpt-5.1","providerLockTimestamp":"2026-02-04T14:30:05Z","tokenUsage":{"inputTokens":8000,"outputTokens":2500,"cacheReadTokens":40000,"thinkingTokens":1000,"totalTokens":50500}}"#;
        let (c, _) = one(read(line));
        assert_eq!((c.usage.output, c.usage.reasoning), (2500, 1000));
        // A total that counts thinking on top: added.
        let (c, _) = one(read(&line.replace("50500", "51500")));
        assert_eq!(c.usage.output, 3500);
    }

    #[test]
    fn the_larger_copy_of_a_session_wins() {
        let small = OPUS.replace("60000", "30000");
        let (_, a) = one(read(OPUS));
        let (_, b) = one(parser(Some("/backup/s1.settings.json")).parse(small.as_bytes()));
        assert_eq!(a.key, b.key);
        assert!(a.rank > b.rank);
        let (_, other) = one(parser(Some("/h/s2.settings.json")).parse(OPUS.as_bytes()));
        assert_ne!(a.key, other.key);
    }

    #[test]
    fn models_become_catalog_ids() {
        assert_eq!(model_id("Claude-Sonnet-4-[Anthropic]"), "claude-sonnet-4");
        assert_eq!(model_id("gpt-5.1"), "gpt-5.1");
        assert_eq!(model_id("custom:GLM-4.6-[Z.AI]-2"), "glm-4.6");
        assert_eq!(model_id("[x]"), "[x]");
    }

    #[test]
    fn empty_and_bad_settings() {
        let none = r#"{"model":"gpt-5.1","providerLock":"openai"}"#;
        assert!(matches!(read(none), Parsed::NotACall));
        let zero = OPUS
            .replace("1200", "0")
            .replace("3400", "0")
            .replace("20000", "0")
            .replace("60000", "0")
            .replace("800", "0");
        assert!(matches!(read(&zero), Parsed::NotACall));
        for (line, reason, field) in [
            (
                OPUS.replace("1200", "-1"),
                SkipReason::BadTokenCount,
                "tokenUsage.inputTokens",
            ),
            (
                OPUS.replace(
                    r#""model":"custom:Claude-Opus-4.5-Thinking-[Anthropic]-0","#,
                    "",
                ),
                SkipReason::MissingField,
                "model",
            ),
            (
                OPUS.replace("2026-02-03T09:12:44.120Z", "soon"),
                SkipReason::BadTimestamp,
                "providerLockTimestamp",
            ),
            (
                r#"{"model":"m","tokenUsage":[1]}"#.to_string(),
                SkipReason::BadField,
                "tokenUsage",
            ),
        ] {
            match read(&line) {
                Parsed::Problem(p) => {
                    assert_eq!(p.reason, reason, "{line}");
                    assert!(p.message.contains(&format!("\"{field}\"")), "{}", p.message);
                }
                other => panic!("{line}: {other:?}"),
            }
        }
        // No time and no file: cannot be dated.
        let undated = OPUS.replace(r#""providerLockTimestamp":"2026-02-03T09:12:44.120Z","#, "");
        assert!(matches!(
            parser(None).parse(undated.as_bytes()),
            Parsed::Problem(_)
        ));
        let mut dated = Droid::new(&Context {
            file: "t".to_string(),
            path: None,
            dedup: Arc::default(),
            undated: Some(chrono::DateTime::UNIX_EPOCH),
        });
        let (c, _) = one(dated.parse(undated.as_bytes()));
        assert!(c.undated);
    }

    #[test]
    fn odd_shapes_never_panic() {
        let big = u64::MAX.to_string();
        for line in [
            "{}".to_string(),
            "[]".to_string(),
            "{\"tokenUsage\":".to_string(),
            OPUS.replace("1200", &big).replace("60000", &big),
            OPUS.replace("800", &big),
            r#"{"model":7,"tokenUsage":{"inputTokens":1}}"#.to_string(),
            r#"{"model":" ","tokenUsage":{"inputTokens":1}}"#.to_string(),
        ] {
            match read(&line) {
                Parsed::Problem(p) => assert!(!p.message.is_empty()),
                Parsed::NotACall | Parsed::Copies(_) => {}
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    fn sniff(line: &str, path: Option<&str>) -> Option<&'static str> {
        format::detect(&Sniff::new(vec![line.as_bytes()], path.map(Path::new))).map(|f| f.name)
    }

    #[test]
    fn detects_settings_files_only() {
        assert_eq!(sniff(OPUS, None), Some("droid"));
        assert_eq!(sniff(FORMAT.example, None), Some("droid"));
        let fresh = r#"{"model":"gpt-5.1","reasoningEffort":"medium"}"#;
        assert_eq!(
            sniff(fresh, Some("/h/.factory/sessions/p/x.settings.json")),
            Some("droid")
        );
        assert_ne!(sniff(fresh, Some("/h/x.json")), Some("droid"));
        for other in [
            r#"{"type":"assistant","sessionId":"s","message":{"role":"assistant"}}"#,
            r#"{"ts":"2026-03-01T00:00:00Z","model":"m","session":"s","usage":{"input":1}}"#,
            r#"{"id":"20260210_3","working_dir":"/x","accumulated_input_tokens":5,"model_config":{"model_name":"m"}}"#,
            r#"{"type":"session.shutdown","data":{"modelMetrics":{}},"id":"a","timestamp":"t"}"#,
        ] {
            assert_ne!(sniff(other, None), Some("droid"), "{other}");
        }
    }

    #[test]
    fn finds_data_dirs_and_log_files() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        let no_env = |_: &str| None;
        assert!(data_dirs(&no_env, Some(home)).is_empty());
        let default = home.join(".factory/sessions");
        std::fs::create_dir_all(&default).unwrap();
        assert_eq!(data_dirs(&no_env, Some(home)), vec![default.clone()]);
        let list = format!("{},{}", home.display(), home.join("missing").display());
        let env = |k: &str| (k == "DROID_SESSIONS_DIR").then(|| list.clone());
        assert_eq!(data_dirs(&env, Some(home)), vec![home.to_path_buf()]);
        assert!(is_log_file(Path::new(
            "/h/.factory/sessions/p/abc.settings.json"
        )));
        assert!(!is_log_file(Path::new("/h/.factory/sessions/p/abc.jsonl")));
        assert!(!is_log_file(Path::new(
            "/h/.factory/sessions/.settings.json"
        )));
    }
}
