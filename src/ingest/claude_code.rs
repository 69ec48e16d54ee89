//! Claude Code session logs (~/.claude/projects/<project>/<session>.jsonl).
//!
//! Every line is one event of a session. Assistant lines carry the API
//! response's `message.usage`; one response is written as several lines
//! (one per content block, as it streams) with the same `message.id` and
//! `requestId` (newer versions often omit `requestId`). The input and cache
//! counts repeat on every copy, but `output_tokens` grows and only the last
//! copy carries the final count: per response (run-wide, across files:
//! resumed sessions copy earlier lines) the copy with the largest output is
//! kept, whole, and the others are folded as duplicates; equal outputs keep
//! the earliest file and line. Lines without usage (user turns, summaries, system notes, file
//! snapshots) carry no call. `<synthetic>` messages (written by Claude Code
//! itself, e.g. for API errors) cost nothing and are not calls.
//!
//! Usage maps as the Anthropic API reports it: `input_tokens` already
//! excludes cache reads and writes; `cache_creation_input_tokens` is split
//! into 5-minute and 1-hour writes by `cache_creation` when given, else all
//! 5-minute. Tags: `project` = the project folder (the folder below
//! `projects/`; for a subagent file below a session folder, the session's
//! project) shown as the directory it is named after (`~/shop` for
//! `-home-dev-shop`) when the call's `cwd` lies in it, else the last
//! component of `cwd`; `sidechain` = "true" for subagent (sidechain) lines.
//!
//! Lines are read independently of each other (no state from line to line),
//! so a big file may be parsed in parallel pieces.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::fields::{last_component, missing, read_json, timestamp, Count};
use super::format::{Context, CopyOf, InputFormat, LineParser, Parsed, Sniff};
use super::places::{env_list, existing, Env};
use super::{LineProblem, SkipReason};
use crate::record::{Call, OptionKey, Usage};

/// Lines without this cannot carry usage: skipped before any JSON parsing
/// (the searcher is built once, not per line).
static USAGE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"usage\""));

pub static FORMAT: InputFormat = InputFormat {
    name: "claude-code",
    title: "Claude Code session logs (~/.claude/projects/<project>/<session>.jsonl)",
    example: r#"{"type":"assistant","sessionId":"9f1c","cwd":"/home/me/shop","isSidechain":false,"timestamp":"2026-03-02T09:15:02.120Z","requestId":"req_011A","message":{"id":"msg_01A","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":12,"cache_creation_input_tokens":4000,"cache_read_input_tokens":18000,"cache_creation":{"ephemeral_5m_input_tokens":4000,"ephemeral_1h_input_tokens":0},"output_tokens":310}}}"#,
    mapping: "assistant lines with message.usage are calls; the copies of one response (same message.id and requestId, or message.id alone without a requestId), in any file, fold into the copy with the largest output_tokens (the final streaming copy; ties: earliest file and line); input_tokens -> input, cache_read_input_tokens -> cache_read, cache_creation (ephemeral_5m/1h) -> cache writes (all 5m when not split); sessionId -> session; tags project (the directory the folder below projects/ is named after, as the calls' cwd shows it, under ~ for the home directory; else the folder name; outside a projects/ tree the last component of cwd) and sidechain; usage.speed (fast mode), usage.inference_geo and usage.service_tier are request options priced by the catalog; <synthetic> and lines without usage are not calls",
    detect,
    parser: |ctx| Box::new(ClaudeCode::new(ctx)),
};

/// Line types of a Claude Code log.
const LINE_TYPES: [&str; 4] = ["user", "assistant", "summary", "system"];

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        let kind = m.get("type").and_then(|t| t.as_str());
        let session_line = m.contains_key("sessionId")
            && (kind.is_some_and(|k| LINE_TYPES.contains(&k)) || m.contains_key("message"));
        // Files of resumed sessions start with summary lines (no sessionId)
        // and newer versions with file-history snapshots.
        let header_line = (kind == Some("summary") && m.contains_key("leafUuid"))
            || (kind == Some("file-history-snapshot") && m.contains_key("snapshot"));
        session_line || header_line
    })
}

/// Model name Claude Code writes on messages it made up itself.
const SYNTHETIC_MODEL: &str = "<synthetic>";

struct ClaudeCode {
    /// Project folder of the file, when it lies in a `projects/` tree.
    project: Option<String>,
}

impl ClaudeCode {
    fn new(ctx: &Context) -> Self {
        ClaudeCode {
            project: ctx.path.as_deref().and_then(project_of_path),
        }
    }
}

/// A call's `project` tag: the working directory its project folder is
/// named after (`~/shop` for `-home-dev-shop`), as the call's `cwd` shows
/// it, else the folder name; outside a `projects/` tree, the last component
/// of `cwd`. Read from the line alone, so a file read in pieces tags alike.
fn project_name(folder: Option<&str>, cwd: Option<&str>) -> Option<String> {
    let Some(folder) = folder else {
        return cwd.and_then(last_component);
    };
    Some(
        cwd.and_then(|cwd| project_dir(folder, cwd))
            .map_or_else(|| folder.to_string(), home_relative),
    )
}

/// The directory `folder` is named after, when `cwd` is it or lies below
/// it (a `cd` into a subdirectory stays in the project). Claude Code names
/// the folder after the directory with every character but letters and
/// digits made `-`, one for one.
fn project_dir<'a>(folder: &str, cwd: &'a str) -> Option<&'a str> {
    let chars = folder.chars().count();
    let end = cwd.char_indices().nth(chars).map_or(cwd.len(), |(i, _)| i);
    let (dir, below) = cwd.split_at(end);
    let encodes = dir
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .eq(folder.chars());
    (encodes && (below.is_empty() || below.starts_with('/'))).then_some(dir)
}

/// `dir` with the home directory written `~` (`/home/dev/shop` -> `~/shop`).
fn home_relative(dir: &str) -> String {
    static HOME: std::sync::LazyLock<Option<String>> =
        std::sync::LazyLock::new(|| std::env::var("HOME").ok());
    under_home(dir, HOME.as_deref())
}

fn under_home(dir: &str, home: Option<&str>) -> String {
    let home = home
        .map(|h| h.trim_end_matches('/'))
        .filter(|h| !h.is_empty());
    match home.and_then(|home| dir.strip_prefix(home)) {
        Some("") => "~".to_string(),
        Some(rest) if rest.starts_with('/') => format!("~{rest}"),
        _ => dir.to_string(),
    }
}

impl LineParser for ClaudeCode {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        // Most lines (user turns, tool results) carry no usage: a complete
        // line without the key is skipped before any JSON parsing.
        if line.ends_with(b"}") && USAGE.find(line).is_none() {
            return Parsed::NotACall;
        }
        match parse_line(line, self.project.as_deref()) {
            Ok(parsed) => parsed,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

#[derive(Deserialize)]
struct RawLine {
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    timestamp: Option<String>,
    cwd: Option<String>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    /// Read only when it is an object (what it holds depends on the line).
    message: Option<MessageField>,
}

/// The `message` of a line: an API message object, read in the same pass
/// as the line (the content, the bulk of the line, is skipped once), or
/// something else (a string on some system lines), ignored.
enum MessageField {
    Object(Box<RawMessage>),
    Other,
}

impl<'de> Deserialize<'de> for MessageField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MessageField;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a message")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<MessageField, A::Error> {
                RawMessage::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|m| MessageField::Object(Box::new(m)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<MessageField, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(MessageField::Other)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<MessageField, E> {
                Ok(MessageField::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<MessageField, E> {
                Ok(MessageField::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<MessageField, E> {
                Ok(MessageField::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<MessageField, E> {
                Ok(MessageField::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<MessageField, E> {
                Ok(MessageField::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<MessageField, E> {
                Ok(MessageField::Other)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct RawMessage {
    id: Option<String>,
    model: Option<String>,
    usage: Option<RawUsage>,
}

#[derive(Deserialize)]
struct RawUsage {
    input_tokens: Option<Count>,
    output_tokens: Option<Count>,
    cache_creation_input_tokens: Option<Count>,
    cache_read_input_tokens: Option<Count>,
    cache_creation: Option<RawCacheCreation>,
    speed: Option<String>,
    service_tier: Option<String>,
    inference_geo: Option<String>,
    server_tool_use: Option<RawServerToolUse>,
}

/// Server-side tools the response used, billed per use (web search).
#[derive(Deserialize)]
struct RawServerToolUse {
    web_search_requests: Option<Count>,
    web_fetch_requests: Option<Count>,
}

#[derive(Deserialize)]
struct RawCacheCreation {
    ephemeral_5m_input_tokens: Option<Count>,
    ephemeral_1h_input_tokens: Option<Count>,
}

fn count(c: &Option<Count>) -> u64 {
    c.map_or(0, |c| c.0)
}

fn parse_line(line: &[u8], project: Option<&str>) -> Result<Parsed, LineProblem> {
    let raw: RawLine = read_json(line, "")?;
    let Some(MessageField::Object(message)) = raw.message else {
        return Ok(Parsed::NotACall);
    };
    let message = *message;
    if message.model.as_deref() == Some(SYNTHETIC_MODEL) {
        return Ok(Parsed::NotACall);
    }
    let Some(raw_usage) = message.usage else {
        return Ok(Parsed::NotACall);
    };
    let model = match message.model {
        Some(m) if !m.trim().is_empty() => m,
        Some(_) => {
            return Err(LineProblem::new(
                SkipReason::BadField,
                "field \"message.model\": empty".to_string(),
            ))
        }
        None => return Err(missing("message.model")),
    };
    if raw_usage.input_tokens.is_none() && raw_usage.output_tokens.is_none() {
        return Err(LineProblem::new(
            SkipReason::MissingField,
            "field \"message.usage\": neither \"input_tokens\" nor \"output_tokens\" given"
                .to_string(),
        ));
    }
    let ts = timestamp(raw.timestamp.as_deref(), "timestamp")?;
    let written = count(&raw_usage.cache_creation_input_tokens);
    let (cache_write_5m, cache_write_1h) = match &raw_usage.cache_creation {
        Some(split) => {
            let (m5, h1) = (
                count(&split.ephemeral_5m_input_tokens),
                count(&split.ephemeral_1h_input_tokens),
            );
            if raw_usage.cache_creation_input_tokens.is_some() && m5 + h1 != written {
                return Err(LineProblem::new(
                    SkipReason::Inconsistent,
                    format!(
                        "field \"message.usage.cache_creation\": 5m {m5} + 1h {h1} tokens differ from cache_creation_input_tokens {written}"
                    ),
                ));
            }
            (m5, h1)
        }
        None => (written, 0),
    };
    let usage = Usage {
        input: count(&raw_usage.input_tokens),
        cache_read: count(&raw_usage.cache_read_input_tokens),
        cache_write_5m,
        cache_write_1h,
        output: count(&raw_usage.output_tokens),
        reasoning: 0,
    };
    let mut tags = BTreeMap::new();
    if let Some(project) = project_name(project, raw.cwd.as_deref()) {
        tags.insert("project".to_string(), project);
    }
    if raw.is_sidechain == Some(true) {
        tags.insert("sidechain".to_string(), "true".to_string());
    }
    // Every line of a response is a copy of it; the one with the final
    // (largest) output count is kept.
    let key = message.id.as_ref().map(|id| match &raw.request_id {
        Some(request) => format!("claude-code\u{0}{id}\u{0}{request}"),
        None => format!("claude-code\u{0}{id}"),
    });
    let mut options = crate::record::CallOptions::of([
        (OptionKey::Speed, raw_usage.speed.as_deref()),
        (OptionKey::ServiceTier, raw_usage.service_tier.as_deref()),
        (OptionKey::InferenceGeo, raw_usage.inference_geo.as_deref()),
    ]);
    if let Some(tools) = &raw_usage.server_tool_use {
        options.add_tool_uses("web_search", count(&tools.web_search_requests));
        options.add_tool_uses("web_fetch", count(&tools.web_fetch_requests));
    }
    let call = Call {
        provider: Some("anthropic".to_string()),
        session: raw.session_id.filter(|s| !s.is_empty()),
        tags,
        id: message.id.or(raw.request_id),
        options,
        ..Call::new(ts, model, usage)
    };
    Ok(match key {
        Some(key) => Parsed::Copy(Box::new(call), CopyOf::new(&key, usage.output)),
        None => Parsed::call(call),
    })
}

/// The project folder of a log file: the folder right below the last
/// `projects` folder above it (`projects/<project>/<session>.jsonl`, or
/// `projects/<project>/<session>/subagents/agent-1.jsonl` for subagents).
fn project_of_path(path: &Path) -> Option<String> {
    let absolute;
    let path = if path.is_absolute() {
        path
    } else {
        absolute = std::env::current_dir().ok()?.join(path);
        absolute.as_path()
    };
    let parts: Vec<&str> = path
        .parent()?
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect();
    let at = parts.iter().rposition(|p| *p == "projects")?;
    parts.get(at + 1).map(|p| p.to_string())
}

/// The folders `replay --claude` reads: each of `$CLAUDE_CONFIG_DIR`
/// (comma-separated) as its `projects/` folder or, without one, itself;
/// else whichever of `~/.claude/projects` and `~/.config/claude/projects`
/// exist. Errors say where it looked (and read well followed by ": no such
/// file or directory").
pub fn claude_dirs() -> Result<Vec<PathBuf>, String> {
    claude_dirs_from(
        std::env::var("CLAUDE_CONFIG_DIR").ok().as_deref(),
        std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .map(PathBuf::from)
            .as_deref(),
    )
}

/// For `--agents`: the folders [`claude_dirs`] reads, the ones that exist.
pub fn data_dirs(env: Env, home: Option<&Path>) -> Vec<PathBuf> {
    claude_dirs_from(env("CLAUDE_CONFIG_DIR").as_deref(), home).unwrap_or_else(|_| {
        // A CLAUDE_CONFIG_DIR list naming a missing folder: keep the others.
        let listed = env_list(env, "CLAUDE_CONFIG_DIR").unwrap_or_default();
        existing(listed.into_iter().map(|d| {
            let projects = d.join("projects");
            if projects.is_dir() {
                projects
            } else {
                d
            }
        }))
    })
}

/// Session logs under a Claude Code projects folder.
pub fn is_log_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
}

fn claude_dirs_from(config_dir: Option<&str>, home: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    if let Some(list) = config_dir.filter(|l| !l.trim().is_empty()) {
        let mut dirs = Vec::new();
        let mut missing = Vec::new();
        for dir in list.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir);
            let projects = dir.join("projects");
            if projects.is_dir() {
                dirs.push(projects);
            } else if dir.is_dir() {
                dirs.push(dir);
            } else {
                missing.push(dir.display().to_string());
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "--claude: CLAUDE_CONFIG_DIR folder {}",
                missing.join(", ")
            ));
        }
        return Ok(dirs);
    }
    let Some(home) = home else {
        return Err(
            "--claude: no home folder (HOME is not set; set CLAUDE_CONFIG_DIR to the Claude Code config folder)"
                .to_string(),
        );
    };
    let candidates = [
        home.join(".claude").join("projects"),
        home.join(".config").join("claude").join("projects"),
    ];
    let dirs: Vec<PathBuf> = candidates.iter().filter(|d| d.is_dir()).cloned().collect();
    if dirs.is_empty() {
        return Err(format!(
            "--claude: no Claude Code logs (set CLAUDE_CONFIG_DIR to the Claude Code config folder): {} or {}",
            candidates[0].display(),
            candidates[1].display()
        ));
    }
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Parsed {
        parse_line(line.as_bytes(), Some("proj")).unwrap_or_else(Parsed::Problem)
    }

    /// A folder named after the working directory shows as that directory
    /// (under `~` when in the home directory); another folder name stays.
    #[test]
    fn projects_show_the_directory_their_folder_stands_for() {
        let folder = Some("-home-dev-my-shop-v1-2");
        let name = |cwd: &str| project_name(folder, Some(cwd)).unwrap();
        assert_eq!(name("/home/dev/elsewhere"), "-home-dev-my-shop-v1-2");
        let shown = name("/home/dev/my_shop/v1.2");
        assert_eq!(
            shown,
            under_home(
                "/home/dev/my_shop/v1.2",
                std::env::var("HOME").ok().as_deref()
            )
        );
        // A `cd` into a subdirectory stays in the project; a `cd` out of
        // it shows the folder, whatever lines came before.
        assert_eq!(name("/home/dev/my_shop/v1.2/src"), shown);
        assert_eq!(name("/home/dev/my_shop/v1.23"), "-home-dev-my-shop-v1-2");
        assert_eq!(name("/tmp"), "-home-dev-my-shop-v1-2");
        assert_eq!(project_name(None, Some("/srv/x/")).unwrap(), "x");
        assert_eq!(
            under_home("/home/dev/my_shop", Some("/home/dev/")),
            "~/my_shop"
        );
        assert_eq!(under_home("/home/dev", Some("/home/dev")), "~");
        assert_eq!(
            under_home("/home/devops/x", Some("/home/dev")),
            "/home/devops/x"
        );
        assert_eq!(under_home("/srv/x", None), "/srv/x");
    }

    fn call(line: &str) -> Call {
        match parse(line) {
            Parsed::Call(c) => *c,
            Parsed::Copy(c, _) => *c,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn problem(line: &str) -> LineProblem {
        match parse(line) {
            Parsed::Problem(p) => p,
            other => panic!("{line}: {other:?}"),
        }
    }

    const LINE: &str = r#"{"type":"assistant","sessionId":"s1","cwd":"/home/me/shop","isSidechain":true,"timestamp":"2026-03-02T09:15:02.120Z","requestId":"req_1","message":{"id":"msg_1","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":12,"cache_creation_input_tokens":4000,"cache_read_input_tokens":18000,"cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":3000},"output_tokens":310,"service_tier":"standard"}}}"#;

    #[test]
    fn maps_an_assistant_line() {
        let c = call(LINE);
        assert_eq!(c.model, "claude-sonnet-4-5-20250929");
        assert_eq!(
            c.usage,
            Usage {
                input: 12,
                cache_read: 18000,
                cache_write_5m: 1000,
                cache_write_1h: 3000,
                output: 310,
                reasoning: 0
            }
        );
        assert_eq!(c.session.as_deref(), Some("s1"));
        assert_eq!(c.tags["project"], "proj");
        assert_eq!(c.tags["sidechain"], "true");
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        assert_eq!(c.ts.to_rfc3339(), "2026-03-02T09:15:02.120+00:00");
    }

    #[test]
    fn unsplit_cache_writes_are_5m_and_cwd_is_the_fallback_project() {
        let line = r#"{"type":"assistant","sessionId":"s1","cwd":"/home/me/shop/","timestamp":"2026-03-02T09:15:02Z","message":{"model":"claude-haiku-4-5","usage":{"input_tokens":1,"cache_creation_input_tokens":50,"output_tokens":2}}}"#;
        let c = parse_line(line.as_bytes(), None).unwrap();
        let Parsed::Call(c) = c else { panic!() };
        assert_eq!(c.usage.cache_write_5m, 50);
        assert_eq!(c.usage.cache_write_1h, 0);
        assert_eq!(c.tags["project"], "shop");
        assert!(!c.tags.contains_key("sidechain"));
    }

    fn copy(line: &str) -> CopyOf {
        match parse_line(line.as_bytes(), None).unwrap() {
            Parsed::Copy(_, of) => of,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn keeps_the_copy_with_the_final_output_count() {
        use crate::ingest::format::Copies;
        // Streaming copies of one response: output 10, 10, 441 (the last,
        // with its stop reason), then the first copy again in a later file.
        let lines: Vec<String> = [10, 10, 441]
            .iter()
            .map(|n| LINE.replace("\"output_tokens\":310", &format!("\"output_tokens\":{n}")))
            .collect();
        let mut copies = Copies::default();
        let kept: Vec<bool> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| copies.offer(copy(l), (0, i as u64 + 1)))
            .collect();
        assert_eq!(kept, [true, false, true]);
        let mut later = Copies::default();
        later.offer(copy(&lines[0]), (1, 1));
        // Merged either way round, the same copy wins.
        let mut other_way = Copies::default();
        other_way.offer(copy(&lines[0]), (1, 1));
        for (i, l) in lines.iter().enumerate().rev() {
            other_way.offer(copy(l), (0, i as u64 + 1));
        }
        copies.merge(later);
        assert_eq!(copies.folded(), 3);
        assert_eq!(other_way.folded(), 3);
        let key = copy(LINE).key;
        assert_eq!(copies.winners(), [(key, (0, 3))].into_iter().collect());
        assert_eq!(other_way.winners(), [(key, (0, 3))].into_iter().collect());
    }

    #[test]
    fn equal_copies_keep_the_earliest_line() {
        use crate::ingest::format::Copies;
        let mut copies = Copies::default();
        copies.offer(copy(LINE), (2, 9));
        copies.offer(copy(LINE), (1, 40));
        copies.offer(copy(LINE), (1, 41));
        assert_eq!(
            copies.winners(),
            [(copy(LINE).key, (1, 40))].into_iter().collect()
        );
    }

    #[test]
    fn copies_without_a_request_id_share_the_message_id() {
        let without = |l: &str| l.replace("\"requestId\":\"req_1\",", "");
        assert_eq!(copy(&without(LINE)), copy(&without(LINE)));
        assert_ne!(copy(LINE).key, copy(&without(LINE)).key);
        assert_ne!(
            copy(&without(LINE).replace("msg_1", "msg_2")).key,
            copy(&without(LINE)).key
        );
    }

    #[test]
    fn lines_without_usage_and_synthetic_ones_are_not_calls() {
        for line in [
            r#"{"type":"user","sessionId":"s1","timestamp":"2026-03-02T09:15:02Z","message":{"role":"user","content":"hello"}}"#,
            r#"{"type":"summary","summary":"Fixing tests","leafUuid":"u1"}"#,
            r#"{"type":"system","sessionId":"s1","content":"compacted","message":"odd"}"#,
            r#"{"type":"assistant","sessionId":"s1","timestamp":"2026-03-02T09:15:02Z","message":{"id":"m","model":"<synthetic>","usage":{"input_tokens":0,"output_tokens":0}}}"#,
        ] {
            assert!(matches!(parse(line), Parsed::NotACall), "{line}");
        }
    }

    #[test]
    fn names_bad_fields() {
        let p = problem(&LINE.replace("\"output_tokens\":310", "\"output_tokens\":-3"));
        assert_eq!(p.reason, SkipReason::BadTokenCount);
        assert!(
            p.message.contains("message.usage.output_tokens"),
            "{}",
            p.message
        );

        let p = problem(&LINE.replace(
            "\"ephemeral_1h_input_tokens\":3000",
            "\"ephemeral_1h_input_tokens\":\"3000\"",
        ));
        assert_eq!(p.reason, SkipReason::BadTokenCount);
        assert!(
            p.message
                .contains("message.usage.cache_creation.ephemeral_1h_input_tokens"),
            "{}",
            p.message
        );

        let p = problem(&LINE.replace("2026-03-02T09:15:02.120Z", "yesterday"));
        assert_eq!(p.reason, SkipReason::BadTimestamp);
        assert!(p.message.contains("\"timestamp\""), "{}", p.message);

        let p = problem(&LINE.replace("\"model\":\"claude-sonnet-4-5-20250929\",", ""));
        assert_eq!(p.reason, SkipReason::MissingField);
        assert!(p.message.contains("message.model"), "{}", p.message);

        let p = problem(&LINE.replace(
            "\"ephemeral_1h_input_tokens\":3000",
            "\"ephemeral_1h_input_tokens\":2000",
        ));
        assert_eq!(p.reason, SkipReason::Inconsistent);

        let p = problem(&LINE[..LINE.len() - 40]);
        assert_eq!(p.reason, SkipReason::MalformedJson);
        assert!(p.message.contains("cut short"), "{}", p.message);
    }

    #[test]
    fn finds_the_project_folder() {
        let p = |s: &str| project_of_path(Path::new(s));
        assert_eq!(
            p("/h/.claude/projects/-h-shop/abc.jsonl").as_deref(),
            Some("-h-shop")
        );
        assert_eq!(
            p("/h/.claude/projects/-h-shop/abc/subagents/agent-1.jsonl").as_deref(),
            Some("-h-shop")
        );
        assert_eq!(
            p("/h/projects/x/.claude/projects/-h-x/abc.jsonl").as_deref(),
            Some("-h-x")
        );
        assert_eq!(p("/h/logs/abc.jsonl"), None);
        assert_eq!(p("/h/projects/abc.jsonl"), None);
    }

    #[test]
    fn detects_claude_code_lines() {
        let yes: &[&[u8]] = &[
            br#"{"type":"summary","summary":"x","leafUuid":"u"}"#,
            br#"{"type":"user","sessionId":"s","message":{"role":"user","content":"hi"}}"#,
        ];
        assert!(detect(&Sniff::new(yes.to_vec(), None)));
        let no: &[&[u8]] =
            &[br#"{"ts":"2026-03-01T00:00:00Z","model":"m","session":"s","usage":{}}"#];
        assert!(!detect(&Sniff::new(no.to_vec(), None)));
    }

    #[test]
    fn finds_claude_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        assert!(claude_dirs_from(None, Some(home))
            .unwrap_err()
            .contains(".claude"));
        std::fs::create_dir_all(home.join(".config/claude/projects")).unwrap();
        assert_eq!(
            claude_dirs_from(None, Some(home)).unwrap(),
            vec![home.join(".config/claude/projects")]
        );
        std::fs::create_dir_all(home.join("a/projects")).unwrap();
        std::fs::create_dir_all(home.join("b")).unwrap();
        let list = format!("{},{}", home.join("a").display(), home.join("b").display());
        assert_eq!(
            claude_dirs_from(Some(&list), Some(home)).unwrap(),
            vec![home.join("a/projects"), home.join("b")]
        );
        let bad = home.join("nope").display().to_string();
        assert!(claude_dirs_from(Some(&bad), Some(home))
            .unwrap_err()
            .contains("nope"));
    }
}
