//! Gemini CLI chat recordings (~/.gemini/tmp/<project>/chats/).
//!
//! Two shapes: legacy `session-<start>-<id8>.json` files hold one
//! pretty-printed `{sessionId, projectHash, startTime, lastUpdated,
//! messages: [...]}` object; current `session-<start>-<id8>.jsonl` files
//! (and subagent files `chats/<parentSessionId>/<sessionId>.jsonl`) start
//! with a metadata line `{sessionId, projectHash, ...}` followed by message
//! records, `{"$set": ...}` metadata updates and `{"$rewindTo": id}` marks.
//! A legacy object is turned into the same lines before parsing (its
//! session header, then one line per message: see [`session_lines`]), so
//! both shapes are read alike. An object that arrives whole on one line (a
//! compact file; the CLI writes them indented) is read at once: its
//! messages fold among themselves but not with copies in other files.
//!
//! One call per `type: "gemini"` message with `tokens` ({input, output,
//! cached, thoughts, tool, total}, the Gemini API's usage metadata):
//! `input` (promptTokenCount) includes `cached`, `thoughts` and `tool`
//! (toolUsePromptTokenCount) are separate, and `total = input + output +
//! thoughts + tool`. So input = input − cached + tool, cache_read = cached,
//! output = output + thoughts (billed as output), reasoning = thoughts. When
//! `total` instead counts `cached` once more, cached is taken as disjoint
//! from input (not subtracted).
//!
//! Repeats: the CLI re-appends a whole message to the `.jsonl` each time it
//! adds tool calls or results to it, and a resumed legacy session is copied
//! whole into a sibling `.jsonl` (same session and message ids) while the
//! `.json` stays. Every message is therefore a copy of (session, message
//! id), run-wide; the copy with the most tokens is kept (the CLI writes the
//! tokens once, so copies agree), ties to the earliest file and line.
//! Messages with `tokens` null or all zero carry no usage (the CLI wrote
//! zeros for some real, billed responses; nothing recovers them) and are
//! not calls; `$rewindTo` hides messages from the chat but their calls were
//! made and stay counted.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::fields::{count, missing, parse_object, path as field, problem, time, Object};
use super::format::{Context, CopyOf, InputFormat, LineParser, Parsed, Sniff};
use super::places::{env_list, existing, Env};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "gemini-cli",
    title: "Gemini CLI chat recordings (~/.gemini/tmp/<project>/chats/session-*.json and *.jsonl)",
    example: r#"{"id":"b2136b82-13ad-49bf-891a-1c58ed6915ac","timestamp":"2026-01-10T02:09:21.386Z","type":"gemini","content":"","tokens":{"input":11998,"output":12,"cached":11868,"thoughts":105,"tool":0,"total":12115},"model":"gemini-2.5-flash"}"#,
    mapping: "each type \"gemini\" message with tokens is a call: input = tokens.input - tokens.cached + tokens.tool, cache_read = tokens.cached, output = tokens.output + tokens.thoughts (thoughts billed as output; reasoning = thoughts); tokens null or all zero: not a call; model = the message's model (else the last one seen in the file); session = sessionId of the file's header; id = message id; tag project = the folder above chats/ (tmp/<project>/, a hash or a short project id); the copies of a message (re-appended in a .jsonl, or a legacy .json copied into its sibling .jsonl) fold into one per (sessionId, id), run-wide, keeping the one with the most tokens (ties: earliest file and line); $set and $rewindTo lines are not calls (rewound calls stay counted)",
    detect,
    parser: |ctx| Box::new(GeminiCli::new(ctx)),
};

fn detect(sniff: &Sniff) -> bool {
    sniff.json_objects().iter().any(|m| {
        let header = m.contains_key("sessionId") && m.contains_key("projectHash");
        let message = m.get("type").and_then(Value::as_str) == Some("gemini")
            && m.contains_key("id")
            && (m.contains_key("tokens") || m.contains_key("content"));
        header || message
    })
}

/// A legacy session object as the lines of a `.jsonl` recording: the header
/// (every key but `messages`), then each message. `None` for any other JSON
/// value. Used on pretty-printed inputs before they are read line by line,
/// so each message is a line of its own (and can fold with its copy in a
/// `.jsonl`).
pub fn session_lines(value: &mut Value) -> Option<Vec<Value>> {
    let obj = value.as_object_mut()?;
    let is_session = obj.get("sessionId").is_some_and(Value::is_string)
        && obj.contains_key("projectHash")
        && obj.get("messages").is_some_and(Value::is_array);
    if !is_session {
        return None;
    }
    let Some(Value::Array(messages)) = obj.remove("messages") else {
        return None;
    };
    let mut lines = Vec::with_capacity(messages.len() + 1);
    lines.push(Value::Object(std::mem::take(obj)));
    lines.extend(messages);
    Some(lines)
}

struct GeminiCli {
    /// `sessionId` of the file's header line; until one is read, the file
    /// name (a subagent file is named by its session id).
    session: Option<String>,
    /// The last model named in the file, for messages that name none.
    last_model: Option<String>,
    /// The project folder the file lies in (`tmp/<project>/chats/`): the
    /// `project` tag.
    project: Option<String>,
}

impl GeminiCli {
    fn new(ctx: &Context) -> Self {
        GeminiCli {
            session: ctx.path.as_deref().and_then(file_stem),
            last_model: None,
            project: ctx.path.as_deref().and_then(project_of),
        }
    }
}

/// The folder above `chats/` (a subagent file sits one folder deeper).
fn project_of(path: &Path) -> Option<String> {
    let chats = path
        .ancestors()
        .skip(1)
        .find(|a| a.file_name() == Some("chats".as_ref()))?;
    Some(chats.parent()?.file_name()?.to_str()?.to_string())
}

fn file_stem(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = [".jsonl", ".json"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name);
    (!stem.is_empty()).then(|| stem.to_string())
}

impl LineParser for GeminiCli {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        // User turns and tool output (the bulk of a file) carry no tokens
        // and no session header: skipped before any JSON parsing.
        let finder = |needle: &[u8]| memchr::memmem::find(line, needle).is_some();
        if line.ends_with(b"}") && !finder(b"\"tokens\"") && !finder(b"\"sessionId\"") {
            return Parsed::NotACall;
        }
        match self.parse_line(line) {
            Ok(parsed) => parsed,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

impl GeminiCli {
    fn parse_line(&mut self, line: &[u8]) -> Result<Parsed, LineProblem> {
        let obj = parse_object(line)?;
        if let Some(session) = obj.get("sessionId") {
            // A header line, or a whole legacy session on one line.
            match session {
                Value::String(s) if !s.trim().is_empty() => self.session = Some(s.clone()),
                _ => {
                    return Err(problem(
                        SkipReason::BadField,
                        "sessionId",
                        "expected a non-empty string",
                    ))
                }
            }
            return match obj.get("messages") {
                Some(Value::Array(messages)) => self.whole_session(messages),
                Some(_) => Err(problem(
                    SkipReason::BadField,
                    "messages",
                    "expected an array",
                )),
                None => Ok(Parsed::NotACall),
            };
        }
        match self.message(&obj, "")? {
            Some((call, copy)) => Ok(Parsed::Copy(Box::new(call), copy)),
            None => Ok(Parsed::NotACall),
        }
    }

    /// Every call of a legacy session object read whole: the copies of a
    /// message inside it fold here (the most tokens, else the first).
    fn whole_session(&mut self, messages: &[Value]) -> Result<Parsed, LineProblem> {
        let mut calls: Vec<(Call, CopyOf)> = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let prefix = format!("messages[{i}].");
            let Value::Object(m) = m else {
                return Err(problem(
                    SkipReason::BadField,
                    &format!("messages[{i}]"),
                    "expected an object",
                ));
            };
            if let Some((call, copy)) = self.message(m, &prefix)? {
                match calls.iter_mut().find(|(_, c)| c.key == copy.key) {
                    Some(kept) if kept.1.rank < copy.rank => *kept = (call, copy),
                    Some(_) => {}
                    None => calls.push((call, copy)),
                }
            }
        }
        Ok(match calls.len() {
            0 => Parsed::NotACall,
            _ => Parsed::Calls(calls.into_iter().map(|(c, _)| c).collect()),
        })
    }

    /// The call of one message record, if it is a response with usage.
    fn message(&mut self, m: &Object, prefix: &str) -> Result<Option<(Call, CopyOf)>, LineProblem> {
        if m.get("type").and_then(Value::as_str) != Some("gemini") {
            // user, info, error, warning messages; $set and $rewindTo lines.
            return Ok(None);
        }
        let name = |f: &str| format!("{prefix}{f}");
        let model = match field(m, &["model"]) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            None => None,
            Some(_) => {
                return Err(problem(
                    SkipReason::BadField,
                    &name("model"),
                    "expected a non-empty string",
                ))
            }
        };
        if let Some(model) = &model {
            self.last_model = Some(model.clone());
        }
        let tokens = match field(m, &["tokens"]) {
            // Created before the response's usage arrived.
            None => return Ok(None),
            Some(Value::Object(t)) => t,
            Some(_) => {
                return Err(problem(
                    SkipReason::BadTokenCount,
                    &name("tokens"),
                    "expected an object of token counts",
                ))
            }
        };
        let get = |k: &str| count(tokens.get(k), &name(&format!("tokens.{k}")));
        let (input, output) = (get("input")?, get("output")?);
        if input.is_none() && output.is_none() {
            return Err(problem(
                SkipReason::MissingField,
                &name("tokens"),
                "neither \"input\" nor \"output\" given",
            ));
        }
        let input = input.unwrap_or(0);
        let output = output.unwrap_or(0);
        let cached = get("cached")?.unwrap_or(0);
        let thoughts = get("thoughts")?.unwrap_or(0);
        let tool = get("tool")?.unwrap_or(0);
        let total = get("total")?;
        // Saturating: absurd counts must not overflow.
        let plain = sum(&[input, output, thoughts, tool]);
        if plain == 0 && cached == 0 {
            return Ok(None);
        }
        // `total` tells whether cached is inside input (the API's rule) or
        // was counted apart; without it, the API's rule.
        let cached_apart = cached > 0 && total == Some(plain.saturating_add(cached));
        if !cached_apart && cached > input {
            return Err(LineProblem::new(
                SkipReason::Inconsistent,
                format!(
                    "field \"{}\": {cached} exceeds tokens.input {input} (cached tokens are part of the input)",
                    name("tokens.cached")
                ),
            ));
        }
        let ts = match field(m, &["timestamp"]) {
            Some(v) => time(v, &name("timestamp"))?,
            None => return Err(missing(&name("timestamp"))),
        };
        let model = model.or_else(|| self.last_model.clone()).ok_or_else(|| {
            LineProblem::new(
                SkipReason::MissingField,
                format!(
                    "field \"{}\": missing (required), and no earlier message of the file names a model",
                    name("model")
                ),
            )
        })?;
        let id = match field(m, &["id"]) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            None => return Err(missing(&name("id"))),
            Some(_) => {
                return Err(problem(
                    SkipReason::BadField,
                    &name("id"),
                    "expected a non-empty string",
                ))
            }
        };
        let usage = Usage {
            input: if cached_apart { input } else { input - cached }.saturating_add(tool),
            cache_read: cached,
            cache_write_5m: 0,
            cache_write_1h: 0,
            output: output.saturating_add(thoughts),
            reasoning: thoughts,
        };
        let session = self.session.clone();
        let key = format!("gemini-cli:{}:{id}", session.as_deref().unwrap_or(""));
        let call = Call {
            session,
            id: Some(id),
            tags: self
                .project
                .iter()
                .map(|p| ("project".to_string(), p.clone()))
                .collect(),
            ..Call::new(ts, model, usage)
        };
        Ok(Some((
            call,
            CopyOf::new(&key, plain.saturating_add(cached)),
        )))
    }
}

fn sum(counts: &[u64]) -> u64 {
    counts.iter().fold(0u64, |a, b| a.saturating_add(*b))
}

/// The folders where Gemini CLI keeps its chats (each a `tmp` folder with
/// `<project>/chats/` below): every entry of `GEMINI_DATA_DIR`
/// (comma-separated, as ccusage reads it) and `$GEMINI_CLI_HOME/.gemini/tmp`
/// (the CLI puts `.gemini` there instead of the home folder); with neither
/// set, `~/.gemini/tmp`. Only folders that exist.
pub fn data_dirs(env: Env, home: Option<&Path>) -> Vec<PathBuf> {
    let data_dirs = env_list(env, "GEMINI_DATA_DIR");
    let cli_home = env("GEMINI_CLI_HOME").filter(|v| !v.trim().is_empty());
    let mut dirs = data_dirs.clone().unwrap_or_default();
    if let Some(cli_home) = &cli_home {
        dirs.push(Path::new(cli_home.trim()).join(".gemini").join("tmp"));
    }
    if data_dirs.is_none() && cli_home.is_none() {
        dirs.extend(home.map(|h| h.join(".gemini").join("tmp")));
    }
    existing(dirs)
}

/// Whether `path` (below a [`data_dirs`] folder) is a chat recording:
/// `*.json` or `*.jsonl` in a `chats` folder, or `*.jsonl` in a subagent
/// folder below it. Other JSON under `tmp/` (`logs.json`, `checkpoint-*.json`,
/// tool output) carries no usage.
pub fn is_log_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let folder = |up: usize| {
        path.ancestors()
            .nth(up)
            .and_then(|p| p.components().next_back())
            .and_then(|c| match c {
                Component::Normal(n) => n.to_str(),
                _ => None,
            })
    };
    let in_chats = folder(1) == Some("chats");
    let in_subagent = folder(2) == Some("chats");
    if name.starts_with("logs") || name.starts_with("checkpoint") {
        return false;
    }
    (in_chats && (name.ends_with(".json") || name.ends_with(".jsonl")))
        || (in_subagent && name.ends_with(".jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::Copies;
    use std::sync::Arc;

    const HEADER: &str = r#"{"sessionId":"0ab84937-9fe7-4284-986a-33c832af0b6a","projectHash":"9da8b3df","startTime":"2026-04-23T12:52:52.759Z","lastUpdated":"2026-04-23T12:52:52.759Z","kind":"main"}"#;
    const MESSAGE: &str = r#"{"id":"a4173396-3649-48f8-8fa8-e2624684806e","timestamp":"2026-04-23T12:53:18.422Z","type":"gemini","content":"","thoughts":[],"tokens":{"input":29082,"output":89,"cached":8156,"thoughts":642,"tool":0,"total":29813},"model":"gemini-3-flash-preview"}"#;

    fn parser(path: &str) -> GeminiCli {
        GeminiCli::new(&Context {
            file: path.to_string(),
            path: Some(path.into()),
            dedup: Arc::default(),
            undated: None,
        })
    }

    fn parse_all(p: &mut GeminiCli, lines: &[&str]) -> Vec<Parsed> {
        lines.iter().map(|l| p.parse(l.as_bytes())).collect()
    }

    fn copy_of(parsed: &Parsed) -> (&Call, CopyOf) {
        match parsed {
            Parsed::Copy(c, of) => (c, *of),
            other => panic!("{other:?}"),
        }
    }

    fn problem_of(line: &str) -> LineProblem {
        let mut p = parser("/h/.gemini/tmp/x/chats/session-a.jsonl");
        p.parse(HEADER.as_bytes());
        match p.parse(line.as_bytes()) {
            Parsed::Problem(e) => e,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn counts_a_response() {
        let mut p = parser("/h/.gemini/tmp/x/chats/session-2026-04-23T12-52-0ab84937.jsonl");
        let parsed = parse_all(
            &mut p,
            &[HEADER, r#"{"$set":{"lastUpdated":"x"}}"#, MESSAGE],
        );
        assert!(matches!(parsed[0], Parsed::NotACall));
        assert!(matches!(parsed[1], Parsed::NotACall));
        let (c, _) = copy_of(&parsed[2]);
        assert_eq!(
            c.usage,
            Usage {
                input: 29082 - 8156,
                cache_read: 8156,
                cache_write_5m: 0,
                cache_write_1h: 0,
                output: 89 + 642,
                reasoning: 642,
            }
        );
        assert_eq!(c.model, "gemini-3-flash-preview");
        assert_eq!(
            c.session.as_deref(),
            Some("0ab84937-9fe7-4284-986a-33c832af0b6a")
        );
        assert_eq!(
            c.id.as_deref(),
            Some("a4173396-3649-48f8-8fa8-e2624684806e")
        );
        assert_eq!(c.provider, None);
        assert_eq!(c.ts.to_rfc3339(), "2026-04-23T12:53:18.422+00:00");
    }

    #[test]
    fn tool_tokens_are_input_and_cached_apart_is_not_subtracted() {
        let tool = MESSAGE.replace(r#""tool":0,"total":29813"#, r#""tool":100,"total":29913"#);
        let mut p = parser("/x/chats/a.jsonl");
        let parsed = p.parse(tool.as_bytes());
        let (c, _) = copy_of(&parsed);
        assert_eq!(c.usage.input, 29082 - 8156 + 100);
        // total = input + output + thoughts + tool + cached: cached apart.
        let apart = MESSAGE.replace(r#""total":29813"#, r#""total":37969"#);
        let parsed = p.parse(apart.as_bytes());
        let (c, _) = copy_of(&parsed);
        assert_eq!((c.usage.input, c.usage.cache_read), (29082, 8156));
    }

    #[test]
    fn null_and_all_zero_tokens_and_other_messages_are_not_calls() {
        let mut p = parser("/x/chats/a.jsonl");
        let zero = MESSAGE.replace(
            r#"{"input":29082,"output":89,"cached":8156,"thoughts":642,"tool":0,"total":29813}"#,
            r#"{"input":0,"output":0,"cached":0,"thoughts":0,"tool":0,"total":0}"#,
        );
        let null = MESSAGE.replace(
            r#"{"input":29082,"output":89,"cached":8156,"thoughts":642,"tool":0,"total":29813}"#,
            "null",
        );
        for line in [
            zero.as_str(),
            null.as_str(),
            r#"{"id":"u1","timestamp":"2026-04-23T12:53:05.283Z","type":"user","content":[{"text":"hi"}]}"#,
            r#"{"id":"i1","timestamp":"2026-04-23T12:53:05.283Z","type":"info","content":"update"}"#,
            r#"{"$rewindTo":"a4173396-3649-48f8-8fa8-e2624684806e"}"#,
            r#"{"$set":{"summary":"s","lastUpdated":"2026-04-23T12:53:05.283Z"}}"#,
        ] {
            assert!(
                matches!(p.parse(line.as_bytes()), Parsed::NotACall),
                "{line}"
            );
        }
    }

    #[test]
    fn a_message_written_again_or_copied_into_the_jsonl_counts_once() {
        // The .jsonl writes the message twice (the second copy adds tool
        // calls); a legacy .json of the same session holds it too.
        let mut jsonl = parser("/t/chats/session-a.jsonl");
        let again = MESSAGE.replace(r#""model""#, r#""toolCalls":[],"model""#);
        let parsed = parse_all(&mut jsonl, &[HEADER, MESSAGE, &again]);
        let mut legacy_object: Value = serde_json::from_str(HEADER).unwrap();
        legacy_object["messages"] = Value::Array(vec![serde_json::from_str(MESSAGE).unwrap()]);
        let lines: Vec<String> = session_lines(&mut legacy_object)
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect();
        assert_eq!(lines.len(), 2);
        let mut legacy = parser("/t/chats/session-a.json");
        let legacy_parsed: Vec<Parsed> = lines.iter().map(|l| legacy.parse(l.as_bytes())).collect();
        let mut copies = Copies::default();
        assert!(copies.offer(copy_of(&legacy_parsed[1]).1, (0, 2)));
        assert!(!copies.offer(copy_of(&parsed[1]).1, (1, 2)));
        assert!(!copies.offer(copy_of(&parsed[2]).1, (1, 3)));
        assert_eq!(copies.folded(), 2);
        let kept = copy_of(&legacy_parsed[1]).1.key;
        assert_eq!(copies.winners(), [(kept, (0, 2))].into_iter().collect());
        // The same message id in another session is another call.
        let mut other = parser("/t/chats/session-b.jsonl");
        other.parse(HEADER.replace("0ab84937", "11111111").as_bytes());
        let (_, of) = copy_of(&other.parse(MESSAGE.as_bytes()));
        assert_ne!(of.key, copy_of(&parsed[1]).1.key);
    }

    #[test]
    fn a_larger_copy_wins() {
        let mut p = parser("/t/chats/session-a.jsonl");
        p.parse(HEADER.as_bytes());
        let small = MESSAGE.replace(r#""output":89"#, r#""output":9"#);
        let (_, a) = copy_of(&p.parse(small.as_bytes()));
        let (_, b) = copy_of(&p.parse(MESSAGE.as_bytes()));
        let mut copies = Copies::default();
        copies.offer(a, (0, 1));
        copies.offer(b, (0, 2));
        assert_eq!(copies.winners(), [(b.key, (0, 2))].into_iter().collect());
    }

    #[test]
    fn a_whole_session_on_one_line_gives_its_calls() {
        let mut obj: Value = serde_json::from_str(HEADER).unwrap();
        let m: Value = serde_json::from_str(MESSAGE).unwrap();
        let other = MESSAGE.replace("a4173396", "b4173396");
        obj["messages"] = Value::Array(vec![
            serde_json::from_str(r#"{"id":"u","type":"user","content":"hi"}"#).unwrap(),
            m.clone(),
            m,
            serde_json::from_str(&other).unwrap(),
        ]);
        let mut p = parser("/t/chats/session-a.json");
        let Parsed::Calls(calls) = p.parse(obj.to_string().as_bytes()) else {
            panic!()
        };
        assert_eq!(calls.len(), 2);
        assert_eq!(
            calls[0].session.as_deref(),
            Some("0ab84937-9fe7-4284-986a-33c832af0b6a")
        );
        obj["messages"][1]["tokens"]["input"] = Value::from(-1);
        let Parsed::Problem(e) = p.parse(obj.to_string().as_bytes()) else {
            panic!()
        };
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        assert!(
            e.message.contains("messages[1].tokens.input"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_message_without_a_model_takes_the_last_one() {
        let mut p = parser("/t/chats/s.jsonl");
        let bare = MESSAGE.replace(r#","model":"gemini-3-flash-preview""#, "");
        let e = match p.parse(bare.as_bytes()) {
            Parsed::Problem(e) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(e.message.contains("\"model\""), "{}", e.message);
        p.parse(MESSAGE.as_bytes());
        let parsed = p.parse(bare.as_bytes());
        let (c, _) = copy_of(&parsed);
        assert_eq!(c.model, "gemini-3-flash-preview");
        // Without a header, the file name is the session (subagent files).
        assert_eq!(c.session.as_deref(), Some("s"));
    }

    #[test]
    fn names_bad_fields() {
        let e = problem_of(&MESSAGE.replace(r#""output":89"#, r#""output":-89"#));
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        assert!(e.message.contains("\"tokens.output\""), "{}", e.message);
        let e = problem_of(&MESSAGE.replace(r#""cached":8156"#, r#""cached":40000"#));
        assert_eq!(e.reason, SkipReason::Inconsistent);
        assert!(e.message.contains("tokens.cached"), "{}", e.message);
        let e = problem_of(&MESSAGE.replace("2026-04-23T12:53:18.422Z", "soon"));
        assert_eq!(e.reason, SkipReason::BadTimestamp);
        assert!(e.message.contains("\"timestamp\""), "{}", e.message);
        let e = problem_of(&MESSAGE.replace(r#""id":"a4173396-3649-48f8-8fa8-e2624684806e","#, ""));
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(e.message.contains("\"id\""), "{}", e.message);
        let e = problem_of(
            &MESSAGE
                .replace(r#""tokens":{"#, r#""tokens":[{"#)
                .replace(r#"29813}"#, r#"29813}]"#),
        );
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        let e = problem_of(&MESSAGE[..MESSAGE.len() - 20]);
        assert_eq!(e.reason, SkipReason::MalformedJson);
        let e = problem_of(r#"{"sessionId":7,"projectHash":"p"}"#);
        assert_eq!(e.reason, SkipReason::BadField);
        assert!(e.message.contains("sessionId"), "{}", e.message);
    }

    #[test]
    fn detects_recordings_and_not_others() {
        assert!(detect(&Sniff::of(&[HEADER])));
        assert!(detect(&Sniff::of(&[MESSAGE])));
        for other in [
            r#"{"type":"assistant","sessionId":"s","message":{"role":"assistant"}}"#,
            r#"{"ts":"2026-03-01T00:00:00Z","model":"gemini-2.5-pro","usage":{"input":1}}"#,
            r#"{"uuid":"u","sessionId":"s","type":"assistant","model":"m","usageMetadata":{"promptTokenCount":1}}"#,
        ] {
            assert!(!detect(&Sniff::of(&[other])), "{other}");
        }
        // A legacy object is split before detection; its header line is a
        // header.
        let mut obj: Value = serde_json::from_str(HEADER).unwrap();
        obj["messages"] = Value::Array(vec![]);
        assert!(detect(&Sniff::of(&[&obj.to_string()])));
        assert!(
            session_lines(&mut serde_json::json!({"messages": [], "sessionId": "s"})).is_none()
        );
    }

    #[test]
    fn finds_data_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        let none = |_: &str| None;
        assert!(data_dirs(&none, Some(home)).is_empty());
        std::fs::create_dir_all(home.join(".gemini/tmp")).unwrap();
        assert_eq!(data_dirs(&none, Some(home)), vec![home.join(".gemini/tmp")]);
        std::fs::create_dir_all(home.join("a")).unwrap();
        std::fs::create_dir_all(home.join("cli/.gemini/tmp")).unwrap();
        let a = home.join("a").display().to_string();
        let list = format!("{a}, {}", home.join("missing").display());
        let cli = home.join("cli").display().to_string();
        let env = |k: &str| match k {
            "GEMINI_DATA_DIR" => Some(list.clone()),
            "GEMINI_CLI_HOME" => Some(cli.clone()),
            _ => None,
        };
        assert_eq!(
            data_dirs(&env, Some(home)),
            vec![home.join("a"), home.join("cli/.gemini/tmp")]
        );
        let only_cli = |k: &str| (k == "GEMINI_CLI_HOME").then(|| cli.clone());
        assert_eq!(
            data_dirs(&only_cli, None),
            vec![home.join("cli/.gemini/tmp")]
        );
    }

    #[test]
    fn knows_its_log_files() {
        for yes in [
            "/h/.gemini/tmp/abc/chats/session-2025-10-05T07-11-eefc44a3.json",
            "/h/.gemini/tmp/abc/chats/session-2026-04-23T12-52-0ab84937.jsonl",
            "/h/.gemini/tmp/abc/chats/0ab84937-9fe7/5c1f.jsonl",
        ] {
            assert!(is_log_file(Path::new(yes)), "{yes}");
        }
        for no in [
            "/h/.gemini/tmp/abc/logs.json",
            "/h/.gemini/tmp/abc/checkpoint-x.json",
            "/h/.gemini/tmp/abc/chats/notes.txt",
            "/h/.gemini/tmp/abc/chats/0ab84937/x.json",
            "/h/.gemini/settings.json",
        ] {
            assert!(!is_log_file(Path::new(no)), "{no}");
        }
    }
}
