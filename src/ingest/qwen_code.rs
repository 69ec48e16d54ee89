//! Qwen Code chat logs (~/.qwen/projects/<sanitized cwd>/chats/<sessionId>.jsonl).
//!
//! One JSONL file per session, appended to (also on resume). Every line is a
//! record `{uuid, parentUuid, sessionId, timestamp, type, ...}` of type
//! `user`, `assistant`, `tool_result` or `system`. Each model response is an
//! `assistant` line with `usageMetadata` in Gemini's names (Qwen Code
//! converts OpenAI-style usage to them): `promptTokenCount` includes
//! `cachedContentTokenCount`, so input = prompt − cached, cache_read =
//! cached. For OpenAI-compatible providers (the usual case)
//! `candidatesTokenCount` is `completion_tokens`, reasoning included, and
//! `thoughtsTokenCount` is its reasoning part; with Gemini auth the thoughts
//! (and `toolUsePromptTokenCount`) are separate, as the Gemini API counts
//! them. `totalTokenCount` tells which: when it equals the sum of prompt,
//! candidates, thoughts and tool (and thoughts are not 0) the thoughts are
//! added to the output, else they are taken as inside it. An older release wrote
//! `usageMetadata` as `{input, output, cached, thoughts, tool, total}`;
//! read alike.
//!
//! Every call is logged twice: the `assistant` line and, just before it, a
//! `system` line of subtype `ui_telemetry` whose `qwen-code.api_response`
//! event repeats the same counts. Only the `assistant` lines are read (they
//! carry the model the conversation used); the telemetry lines are not
//! calls. A record read again (the same file given twice) is folded by its
//! `uuid`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::fields::{
    count, missing, model as model_field, parse_object, path as field, problem, time, Object,
};
use super::format::{Dedup, InputFormat, LineParser, Parsed, Sniff};
use super::places::{env_list, existing, Env};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

/// Lines without this cannot carry usage: skipped before any JSON parsing
/// (the searcher is built once, not per line).
static USAGE_METADATA: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"usageMetadata\""));

pub static FORMAT: InputFormat = InputFormat {
    name: "qwen-code",
    title: "Qwen Code chat logs (~/.qwen/projects/<project>/chats/<sessionId>.jsonl)",
    example: r#"{"uuid":"f134fbd1-97bd-4cbe-90f3-3ecdfbbc681c","parentUuid":"cc353431-d443-4415-bc6c-7f9e1258b73a","sessionId":"69f0814a-8bfc-4c8e-93d3-05757f17b96f","timestamp":"2026-06-15T14:40:22.976Z","type":"assistant","cwd":"/tmp/qwentest","version":"0.18.1","model":"coder-model","message":{"role":"model","parts":[{"text":"Done."}]},"usageMetadata":{"promptTokenCount":600,"candidatesTokenCount":5,"thoughtsTokenCount":0,"totalTokenCount":605,"cachedContentTokenCount":50}}"#,
    mapping: "each type \"assistant\" line with usageMetadata is a call: input = promptTokenCount - cachedContentTokenCount (+ toolUsePromptTokenCount), cache_read = cachedContentTokenCount, output = candidatesTokenCount, which includes thoughtsTokenCount (reasoning) unless totalTokenCount counts the thoughts apart (Gemini auth), then they are added; model = model; session = sessionId; tag project = last folder of cwd; id = uuid (a record read twice is folded); the ui_telemetry qwen-code.api_response lines repeat each call's usage and are not read (not calls), nor are user, tool_result and other system lines",
    detect,
    parser: |ctx| Box::new(QwenCode { dedup: ctx.dedup.clone() }),
};

/// Keys only Qwen Code's records have (Claude Code's, which share
/// `sessionId`, `uuid` and `type`, carry `message.content`, not `parts`).
fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        let parts = m
            .get("message")
            .and_then(Value::as_object)
            .is_some_and(|message| message.get("parts").is_some_and(Value::is_array));
        m.contains_key("sessionId")
            && m.contains_key("uuid")
            && (m.contains_key("usageMetadata") || m.contains_key("systemPayload") || parts)
    })
}

struct QwenCode {
    dedup: Arc<Dedup>,
}

impl LineParser for QwenCode {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        // Only assistant lines carry usage: the rest (user turns, tool
        // results, telemetry, which names usage differently) are skipped
        // before any JSON parsing.
        if line.ends_with(b"}") && USAGE_METADATA.find(line).is_none() {
            return Parsed::NotACall;
        }
        match parse_line(line) {
            Ok(Some(call)) => self.dedup.call("qwen-code", call),
            Ok(None) => Parsed::NotACall,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

/// The token counts of `usageMetadata`, in either release's names.
struct Counts {
    prompt: u64,
    candidates: u64,
    cached: u64,
    thoughts: u64,
    tool: u64,
    total: Option<u64>,
}

fn counts(usage: &Object) -> Result<Counts, LineProblem> {
    // Gemini names (0.18 and later), then the older short names.
    let get = |names: [&str; 2]| -> Result<Option<u64>, LineProblem> {
        for name in names {
            if let Some(v) = usage.get(name).filter(|v| !v.is_null()) {
                return count(Some(v), &format!("usageMetadata.{name}"));
            }
        }
        Ok(None)
    };
    let prompt = get(["promptTokenCount", "input"])?;
    let candidates = get(["candidatesTokenCount", "output"])?;
    if prompt.is_none() && candidates.is_none() {
        return Err(problem(
            SkipReason::MissingField,
            "usageMetadata",
            "neither \"promptTokenCount\" nor \"candidatesTokenCount\" given",
        ));
    }
    Ok(Counts {
        prompt: prompt.unwrap_or(0),
        candidates: candidates.unwrap_or(0),
        cached: get(["cachedContentTokenCount", "cached"])?.unwrap_or(0),
        thoughts: get(["thoughtsTokenCount", "thoughts"])?.unwrap_or(0),
        tool: get(["toolUsePromptTokenCount", "tool"])?.unwrap_or(0),
        total: get(["totalTokenCount", "total"])?,
    })
}

fn parse_line(line: &[u8]) -> Result<Option<Call>, LineProblem> {
    let obj = parse_object(line)?;
    if obj.get("type").and_then(Value::as_str) != Some("assistant") {
        // The ui_telemetry repeat of a call, or a line without usage.
        return Ok(None);
    }
    let usage = match field(&obj, &["usageMetadata"]) {
        None => return Ok(None),
        Some(Value::Object(u)) => u,
        Some(_) => {
            return Err(problem(
                SkipReason::BadTokenCount,
                "usageMetadata",
                "expected an object of token counts",
            ))
        }
    };
    let c = counts(usage)?;
    if c.cached > c.prompt {
        return Err(LineProblem::new(
            SkipReason::Inconsistent,
            format!(
                "field \"usageMetadata.cachedContentTokenCount\": {} exceeds promptTokenCount {} (cached tokens are part of the prompt)",
                c.cached, c.prompt
            ),
        ));
    }
    let with_thoughts = [c.prompt, c.candidates, c.thoughts, c.tool]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b));
    // Thoughts counted apart from the candidates (Gemini auth) when the
    // total says so, or when they could not fit inside them.
    let thoughts_apart =
        c.thoughts > 0 && (c.total == Some(with_thoughts) || c.thoughts > c.candidates);
    let ts = match field(&obj, &["timestamp"]) {
        Some(v) => time(v, "timestamp")?,
        None => return Err(missing("timestamp")),
    };
    let model = model_field(obj.get("model"), "model")?;
    let output = if thoughts_apart {
        c.candidates.saturating_add(c.thoughts)
    } else {
        c.candidates
    };
    let usage = Usage {
        input: (c.prompt - c.cached).saturating_add(c.tool),
        cache_read: c.cached,
        cache_write_5m: 0,
        cache_write_1h: 0,
        output,
        reasoning: c.thoughts,
    };
    // The project: the last folder of the working directory the line was
    // written in (its folder below projects/ is that path, sanitized).
    let tags = field(&obj, &["cwd"])
        .and_then(Value::as_str)
        .and_then(super::fields::last_component)
        .map(|p| BTreeMap::from([("project".to_string(), p)]))
        .unwrap_or_default();
    Ok(Some(Call {
        tags,
        session: field(&obj, &["sessionId"])
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string),
        id: field(&obj, &["uuid"])
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string),
        ..Call::new(ts, model, usage)
    }))
}

/// The folders where Qwen Code keeps its projects (each holding
/// `<project>/chats/*.jsonl`): every entry of `QWEN_DATA_DIR`
/// (comma-separated, as ccusage reads it; an entry may name the projects
/// folder itself or the `.qwen` folder above it); else the `projects`
/// folders of `$QWEN_RUNTIME_DIR` (the CLI's runtime base when set) and of
/// `$QWEN_HOME` or `~/.qwen`. Only folders that exist.
pub fn data_dirs(env: Env, home: Option<&Path>) -> Vec<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(list) = env_list(env, "QWEN_DATA_DIR") {
        for dir in list {
            let projects = dir.join("projects");
            dirs.push(if projects.is_dir() { projects } else { dir });
        }
    } else {
        if let Some(runtime) = set("QWEN_RUNTIME_DIR") {
            dirs.push(Path::new(runtime.trim()).join("projects"));
        }
        match set("QWEN_HOME") {
            Some(qwen_home) => dirs.push(Path::new(qwen_home.trim()).join("projects")),
            None => {
                if let Some(home) = home {
                    dirs.push(home.join(".qwen").join("projects"));
                }
            }
        }
    }
    existing(dirs)
}

/// Whether `path` (below a [`data_dirs`] folder) is a chat log: a `*.jsonl`
/// file directly in a `chats` folder.
pub fn is_log_file(path: &Path) -> bool {
    let in_chats = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|n| n == "chats");
    in_chats
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASSISTANT: &str = r#"{"uuid":"6caac9d5-7a42-4cf5-af3a-af4700be2299","parentUuid":"1d45459b","sessionId":"5111125b-e311-42be-8e4d-93942aaaacf4","timestamp":"2026-08-19T22:05:33.332Z","type":"assistant","cwd":"/repo","version":"0.21.14","model":"mock-model","message":{"role":"model","parts":[{"text":"I'll create the file now."}]},"usageMetadata":{"promptTokenCount":1234,"candidatesTokenCount":56,"thoughtsTokenCount":0,"totalTokenCount":1290,"cachedContentTokenCount":400}}"#;
    const TELEMETRY: &str = r#"{"uuid":"1d45459b","parentUuid":"8c92891b","sessionId":"5111125b-e311-42be-8e4d-93942aaaacf4","timestamp":"2026-08-19T22:05:33.331Z","type":"system","subtype":"ui_telemetry","systemPayload":{"uiEvent":{"event.name":"qwen-code.api_response","model":"mock-model","input_token_count":1234,"output_token_count":56,"cached_content_token_count":400,"thoughts_token_count":0,"total_token_count":1290,"auth_type":"openai"}}}"#;
    const USER: &str = r#"{"uuid":"6f3bee41","parentUuid":null,"sessionId":"5111125b-e311-42be-8e4d-93942aaaacf4","timestamp":"2026-08-19T22:05:33.276Z","type":"user","cwd":"/repo","message":{"role":"user","parts":[{"text":"write hello.txt"}]}}"#;

    fn call(line: &str) -> Call {
        let parsed = FORMAT.test_parse(&[line]).pop();
        match parsed.as_ref().and_then(Parsed::one_call) {
            Some(c) => c.clone(),
            None => panic!("{line}: {parsed:?}"),
        }
    }

    fn problem_of(line: &str) -> LineProblem {
        match FORMAT.test_parse(&[line]).pop() {
            Some(Parsed::Problem(p)) => p,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn with_usage(usage: &str) -> String {
        let start = ASSISTANT.find("\"usageMetadata\"").unwrap();
        format!("{}\"usageMetadata\":{usage}}}", &ASSISTANT[..start])
    }

    #[test]
    fn cached_is_inside_the_prompt_and_telemetry_is_not_read() {
        let parsed = FORMAT.test_parse(&[USER, TELEMETRY, ASSISTANT]);
        assert!(matches!(parsed[0], Parsed::NotACall));
        assert!(matches!(parsed[1], Parsed::NotACall));
        let c = call(ASSISTANT);
        assert_eq!(
            c.usage,
            Usage {
                input: 834,
                cache_read: 400,
                cache_write_5m: 0,
                cache_write_1h: 0,
                output: 56,
                reasoning: 0
            }
        );
        assert_eq!(c.model, "mock-model");
        assert_eq!(
            c.session.as_deref(),
            Some("5111125b-e311-42be-8e4d-93942aaaacf4")
        );
        assert_eq!(
            c.id.as_deref(),
            Some("6caac9d5-7a42-4cf5-af3a-af4700be2299")
        );
        assert_eq!(c.ts.to_rfc3339(), "2026-08-19T22:05:33.332+00:00");
    }

    #[test]
    fn the_total_tells_where_the_thoughts_are() {
        // OpenAI-compatible: completion tokens include the reasoning.
        let inside = with_usage(
            r#"{"promptTokenCount":100,"candidatesTokenCount":50,"thoughtsTokenCount":10,"totalTokenCount":150,"cachedContentTokenCount":5}"#,
        );
        let c = call(&inside);
        assert_eq!((c.usage.input, c.usage.cache_read), (95, 5));
        assert_eq!((c.usage.output, c.usage.reasoning), (50, 10));
        // Gemini auth: thoughts and tool-use prompt tokens counted apart.
        let apart = with_usage(
            r#"{"promptTokenCount":100,"candidatesTokenCount":50,"thoughtsTokenCount":10,"toolUsePromptTokenCount":7,"totalTokenCount":167,"cachedContentTokenCount":5}"#,
        );
        let c = call(&apart);
        assert_eq!((c.usage.input, c.usage.cache_read), (102, 5));
        assert_eq!((c.usage.output, c.usage.reasoning), (60, 10));
        // More thoughts than candidates cannot be inside them.
        let no_total = with_usage(
            r#"{"promptTokenCount":100,"candidatesTokenCount":5,"thoughtsTokenCount":10}"#,
        );
        assert_eq!(call(&no_total).usage.output, 15);
        // The older release's names.
        let old =
            with_usage(r#"{"input":100,"output":50,"cached":5,"thoughts":0,"tool":0,"total":150}"#);
        assert_eq!(call(&old).usage.input, 95);
    }

    #[test]
    fn a_record_read_twice_counts_once() {
        let parsed = FORMAT.test_parse(&[ASSISTANT, ASSISTANT]);
        // One record: one response, kept once by the run.
        assert_eq!(parsed[0].copy_keys().len(), 1);
        assert_eq!(parsed[1].copy_keys(), parsed[0].copy_keys());
        // Same counts, another record: another call (the mock server's
        // two identical responses).
        let other = ASSISTANT.replace("6caac9d5", "59cbb39a");
        let parsed = FORMAT.test_parse(&[ASSISTANT, &other]);
        assert_ne!(parsed[1].copy_keys(), parsed[0].copy_keys());
    }

    #[test]
    fn names_bad_fields() {
        let p = problem_of(
            &ASSISTANT.replace(r#""promptTokenCount":1234"#, r#""promptTokenCount":"many""#),
        );
        assert_eq!(p.reason, SkipReason::BadTokenCount);
        assert!(
            p.message.contains("usageMetadata.promptTokenCount"),
            "{}",
            p.message
        );
        let p = problem_of(&ASSISTANT.replace(
            r#""cachedContentTokenCount":400"#,
            r#""cachedContentTokenCount":4000"#,
        ));
        assert_eq!(p.reason, SkipReason::Inconsistent);
        let p = problem_of(&ASSISTANT.replace(r#""model":"mock-model","#, ""));
        assert_eq!(p.reason, SkipReason::MissingField);
        assert!(p.message.contains("\"model\""), "{}", p.message);
        let p = problem_of(&ASSISTANT.replace("2026-08-19T22:05:33.332Z", "later"));
        assert_eq!(p.reason, SkipReason::BadTimestamp);
        let p = problem_of(&with_usage("{}"));
        assert_eq!(p.reason, SkipReason::MissingField);
        assert!(p.message.contains("usageMetadata"), "{}", p.message);
        let p = problem_of(&with_usage("[1]"));
        assert_eq!(p.reason, SkipReason::BadTokenCount);
        let p = problem_of(&ASSISTANT[..ASSISTANT.len() - 30]);
        assert_eq!(p.reason, SkipReason::MalformedJson);
    }

    #[test]
    fn detects_qwen_lines_and_not_claude_code() {
        assert!(detect(&Sniff::of(&[USER])));
        assert!(detect(&Sniff::of(&[TELEMETRY])));
        assert!(detect(&Sniff::of(&[ASSISTANT])));
        let claude = r#"{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/h","sessionId":"s","version":"2.0.0","type":"user","message":{"role":"user","content":"hi"},"uuid":"u","timestamp":"2026-03-02T09:15:02Z"}"#;
        assert!(!detect(&Sniff::of(&[claude])));
        assert!(crate::ingest::format::detect(&Sniff::of(&[claude]))
            .is_some_and(|f| f.name == "claude-code"));
        assert!(crate::ingest::format::detect(&Sniff::of(&[USER]))
            .is_some_and(|f| f.name == "qwen-code"));
    }

    #[test]
    fn finds_data_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        let none = |_: &str| None;
        assert!(data_dirs(&none, Some(home)).is_empty());
        std::fs::create_dir_all(home.join(".qwen/projects")).unwrap();
        assert_eq!(
            data_dirs(&none, Some(home)),
            vec![home.join(".qwen/projects")]
        );
        std::fs::create_dir_all(home.join("q/projects")).unwrap();
        std::fs::create_dir_all(home.join("bare")).unwrap();
        let list = format!(
            "{},{},{}",
            home.join("q").display(),
            home.join("bare").display(),
            home.join("nope").display()
        );
        let env = |k: &str| (k == "QWEN_DATA_DIR").then(|| list.clone());
        assert_eq!(
            data_dirs(&env, Some(home)),
            vec![home.join("q/projects"), home.join("bare")]
        );
        let q = home.join("q").display().to_string();
        let qwen_home = |k: &str| (k == "QWEN_HOME").then(|| q.clone());
        assert_eq!(
            data_dirs(&qwen_home, Some(home)),
            vec![home.join("q/projects")]
        );
        std::fs::create_dir_all(home.join("rt/projects")).unwrap();
        let rt = home.join("rt").display().to_string();
        let runtime = |k: &str| (k == "QWEN_RUNTIME_DIR").then(|| rt.clone());
        assert_eq!(
            data_dirs(&runtime, Some(home)),
            vec![home.join("rt/projects"), home.join(".qwen/projects")]
        );
    }

    #[test]
    fn knows_its_log_files() {
        assert!(is_log_file(Path::new(
            "/h/.qwen/projects/-repo/chats/5111125b.jsonl"
        )));
        assert!(!is_log_file(Path::new(
            "/h/.qwen/projects/-repo/chats/5111125b.json"
        )));
        assert!(!is_log_file(Path::new(
            "/h/.qwen/projects/-repo/5111125b.jsonl"
        )));
        assert!(!is_log_file(Path::new("/h/.qwen/tmp/logs.jsonl")));
    }
}
