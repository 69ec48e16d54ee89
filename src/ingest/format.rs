//! Input formats: each turns the lines of one kind of log into canonical
//! calls. A format is detected per file from its first lines (or forced with
//! `--format`), and gets a fresh parser per file, so formats that need state
//! (Codex's model from an earlier line, Claude Code's duplicate messages)
//! keep it per file; duplicates across files go through [`Dedup`].

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use xxhash_rust::xxh3::xxh3_128;

use super::{LineProblem, Source};
use crate::record::Call;

/// What one line of input holds.
#[derive(Debug)]
pub enum Parsed {
    /// One call (the usual case).
    Call(Box<Call>),
    /// Several calls (e.g. an OpenTelemetry export line with many spans).
    Calls(Vec<Call>),
    /// A line that carries no usage (a user message, a header row, a
    /// session record): not an error, counted apart.
    NotACall,
    /// The same API response seen before (logs that write one response as
    /// several lines): folded, counted.
    Duplicate,
    /// One copy of a response that a log writes several times with counts
    /// that grow (Claude Code's streaming copies): the run keeps one copy
    /// per response, chosen by [`Copies`], and folds the rest.
    Copy(Box<Call>, CopyOf),
    /// Several such copies in one line (an export holding many responses
    /// that other files may hold too): each is kept or folded on its own.
    Copies(Vec<(Call, CopyOf)>),
    /// A line that should carry a call but cannot be read.
    Problem(LineProblem),
}

impl Parsed {
    pub fn call(call: Call) -> Parsed {
        Parsed::Call(Box::new(call))
    }

    /// The one call read, kept or offered as a copy (tests).
    #[cfg(test)]
    pub fn one_call(&self) -> Option<&Call> {
        match self {
            Parsed::Call(c) | Parsed::Copy(c, _) => Some(c),
            _ => None,
        }
    }

    /// The responses this names as copies, by key (tests): two parses that
    /// name the same keys are one response, which the run keeps once.
    #[cfg(test)]
    pub fn copy_keys(&self) -> Vec<u128> {
        match self {
            Parsed::Copy(_, of) => vec![of.key],
            Parsed::Copies(copies) => copies.iter().map(|(_, of)| of.key).collect(),
            _ => Vec::new(),
        }
    }
}

/// Marks a call as one copy of an API response that a log may write
/// several times, with counts that grow from copy to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOf {
    /// The response's identity, run-wide (a hash of the format and its ids).
    pub key: u128,
    /// Higher ranks win (Claude Code: the output count, which only grows
    /// from copy to copy).
    pub rank: u64,
}

impl CopyOf {
    pub fn new(key: &str, rank: u64) -> CopyOf {
        CopyOf {
            key: xxh3_128(key.as_bytes()),
            rank,
        }
    }
}

/// Where a line sits in the run: the input's index and the line number.
pub type InputOrder = (usize, u64);

/// Which copy of each response a run keeps: the highest rank, then the
/// earliest in input order. That is a total order on the copies, so the
/// choice does not depend on which thread read what first. Only the rank
/// and place of the best copy so far is kept per response (the copies
/// themselves are held by the caller, who keeps the ones [`Copies::offer`]
/// says may win and, once every input is read, the [`Copies::winners`]).
/// One line may hold copies of several responses ([`Parsed::Copies`]), so
/// a copy is named by its response and its place together.
#[derive(Debug, Default)]
pub struct Copies {
    best: HashMap<u128, (u64, InputOrder)>,
    /// Copies offered for a response already seen.
    folded: u64,
}

fn beats(a: (u64, InputOrder), b: (u64, InputOrder)) -> bool {
    (a.0, Reverse(a.1)) > (b.0, Reverse(b.1))
}

impl Copies {
    /// Records a copy at `order`; true when it is the best of its response
    /// so far (so the caller keeps it for now).
    pub fn offer(&mut self, copy: CopyOf, order: InputOrder) -> bool {
        self.keep(copy.key, (copy.rank, order))
    }

    fn keep(&mut self, key: u128, new: (u64, InputOrder)) -> bool {
        match self.best.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(new);
                true
            }
            Entry::Occupied(mut slot) => {
                self.folded += 1;
                let wins = beats(new, *slot.get());
                if wins {
                    slot.insert(new);
                }
                wins
            }
        }
    }

    /// Takes over another reader's copies.
    pub fn merge(&mut self, other: Copies) {
        self.folded += other.folded;
        for (key, best) in other.best {
            self.keep(key, best);
        }
    }

    /// Shifts the line numbers of the copies seen (a piece of a split file
    /// learns where its lines start only after the pieces before it).
    pub fn shift_lines(&mut self, offset: u64) {
        for (_, order) in self.best.values_mut() {
            order.1 += offset;
        }
    }

    /// Whether no copy was offered.
    pub fn is_empty(&self) -> bool {
        self.best.is_empty() && self.folded == 0
    }

    /// Copies folded into another copy of their response.
    pub fn folded(&self) -> u64 {
        self.folded
    }

    /// The kept copy of each response: its key and where it is.
    pub fn winners(self) -> HashSet<(u128, InputOrder)> {
        self.best
            .into_iter()
            .map(|(key, (_, order))| (key, order))
            .collect()
    }
}

/// Turns the lines of one file into calls.
pub trait LineParser: Send {
    fn parse(&mut self, line: &[u8]) -> Parsed;
}

/// Keys of API responses already counted, shared by every file of a run.
#[derive(Debug, Default)]
pub struct Dedup {
    seen: Mutex<HashSet<u128>>,
}

impl Dedup {
    /// Forgets every key (the run reads its inputs again).
    pub fn clear(&self) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.clear();
        }
    }

    /// True the first time `key` is offered.
    pub fn first(&self, key: &str) -> bool {
        let hash = xxh3_128(key.as_bytes());
        self.seen
            .lock()
            .map(|mut seen| seen.insert(hash))
            .unwrap_or(true)
    }

    /// The call, as a copy of the response its id names when it has one:
    /// the run keeps one copy per id in this format, in any file, the
    /// earliest in input order (see [`Copies`]), whichever thread reads it
    /// first.
    pub fn call(&self, format: &str, call: Call) -> Parsed {
        match Dedup::copy_of(format, &call) {
            Some(of) => Parsed::Copy(Box::new(call), of),
            None => Parsed::call(call),
        }
    }

    /// The response a call with an id is a copy of (every copy ranks alike).
    pub fn copy_of(format: &str, call: &Call) -> Option<CopyOf> {
        call.id
            .as_ref()
            .map(|id| CopyOf::new(&format!("{format}:{id}"), 0))
    }
}

/// The parser of a log format whose lines each hold at most one call
/// (`Ok(None)`: a line without usage), where the same response may be
/// logged twice: calls whose id was already read in this format, in any
/// file of the run, are folded.
pub struct OneCallPerLine {
    format: &'static str,
    parse_line: fn(&[u8]) -> Result<Option<Call>, LineProblem>,
    dedup: Arc<Dedup>,
}

impl OneCallPerLine {
    pub fn boxed(
        format: &'static str,
        parse_line: fn(&[u8]) -> Result<Option<Call>, LineProblem>,
        context: &Context,
    ) -> Box<dyn LineParser> {
        Box::new(OneCallPerLine {
            format,
            parse_line,
            dedup: context.dedup.clone(),
        })
    }
}

impl LineParser for OneCallPerLine {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        match (self.parse_line)(line) {
            Ok(Some(call)) => self.dedup.call(self.format, call),
            Ok(None) => Parsed::NotACall,
            Err(p) => Parsed::Problem(p),
        }
    }
}

#[cfg(test)]
impl<'a> Sniff<'a> {
    /// The first lines of a file without a path (unit tests of detectors).
    pub fn of(lines: &[&'a str]) -> Sniff<'a> {
        Sniff::new(lines.iter().map(|l| l.as_bytes()).collect(), None)
    }
}

/// The name of the format `line`, a file's first, is detected as (unit
/// tests).
#[cfg(test)]
pub fn detected(line: &str) -> Option<&'static str> {
    detect(&Sniff::of(&[line])).map(|f| f.name)
}

/// The call a one-call line parser reads from `line` (unit tests).
#[cfg(test)]
pub fn test_call(parse_line: fn(&[u8]) -> Result<Option<Call>, LineProblem>, line: &str) -> Call {
    match parse_line(line.as_bytes()) {
        Ok(Some(c)) => c,
        other => panic!("{line}: {other:?}"),
    }
}

/// What a parser knows about the file it reads.
#[derive(Debug, Clone)]
pub struct Context {
    /// Name used in messages.
    pub file: String,
    pub path: Option<PathBuf>,
    pub dedup: Arc<Dedup>,
    /// The time given to records that carry none (bare API responses saved
    /// from the API): `--assume-time`, else the file's modification time;
    /// none for standard input without `--assume-time`.
    pub undated: Option<DateTime<Utc>>,
}

impl Context {
    /// The context of `source`; `assume_time` dates records without a time.
    pub fn of(source: &Source, dedup: &Arc<Dedup>, assume_time: Option<DateTime<Utc>>) -> Context {
        let path = match source {
            Source::File(p) => Some(p.clone()),
            _ => None,
        };
        let modified = || {
            let modified = std::fs::metadata(path.as_ref()?).ok()?.modified().ok()?;
            Some(DateTime::<Utc>::from(modified))
        };
        Context {
            file: source.display_name(),
            undated: assume_time.or_else(modified),
            path,
            dedup: dedup.clone(),
        }
    }
}

/// The first lines of a file, for detection.
pub struct Sniff<'a> {
    /// Up to a few complete, non-blank lines.
    pub lines: Vec<&'a [u8]>,
    pub path: Option<&'a std::path::Path>,
    /// The lines that are JSON objects, parsed once for every detector (a
    /// tree of agent logs is thousands of files, each asked by every format).
    objects: std::cell::OnceCell<Vec<serde_json::Map<String, serde_json::Value>>>,
}

impl<'a> Sniff<'a> {
    pub fn new(lines: Vec<&'a [u8]>, path: Option<&'a std::path::Path>) -> Sniff<'a> {
        Sniff {
            lines,
            path,
            objects: std::cell::OnceCell::new(),
        }
    }

    /// The first sniffed line that is a JSON object, if any.
    pub fn first_json(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.json_objects().first()
    }

    /// Every sniffed line that parses as a JSON object.
    pub fn json_objects(&self) -> &[serde_json::Map<String, serde_json::Value>] {
        self.objects.get_or_init(|| {
            self.lines
                .iter()
                .filter_map(|l| match serde_json::from_slice(l) {
                    Ok(serde_json::Value::Object(m)) => Some(m),
                    _ => None,
                })
                .collect()
        })
    }

    /// The first line as CSV header names, lower-cased and trimmed.
    pub fn csv_header(&self) -> Option<Vec<String>> {
        let first = self.lines.first()?;
        if first.starts_with(b"{") || first.starts_with(b"[") {
            return None;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(super::csv_columns::delimiter_of(first))
            .from_reader(&first[..]);
        let record = reader.records().next()?.ok()?;
        (record.len() >= 3).then(|| {
            record
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
                .collect()
        })
    }
}

/// One input format.
pub struct InputFormat {
    /// Name for `--format`.
    pub name: &'static str,
    /// What it is, for `costsim formats`.
    pub title: &'static str,
    /// A one-line example input.
    pub example: &'static str,
    /// What maps to what, in a sentence or two.
    pub mapping: &'static str,
    /// Whether the first lines look like this format.
    pub detect: fn(&Sniff) -> bool,
    /// A parser for one file.
    pub parser: fn(&Context) -> Box<dyn LineParser>,
}

#[cfg(test)]
impl InputFormat {
    /// A parser for a file of its own, as unit tests read lines.
    pub fn test_parser(&self) -> Box<dyn LineParser> {
        (self.parser)(&Context {
            file: "test".to_string(),
            path: None,
            dedup: Arc::default(),
            undated: None,
        })
    }

    /// What one parser makes of each of `lines`, in order.
    pub fn test_parse(&self, lines: &[&str]) -> Vec<Parsed> {
        let mut p = self.test_parser();
        lines.iter().map(|l| p.parse(l.as_bytes())).collect()
    }

    /// The call of `row` under `header` (CSV formats).
    pub fn test_row(&self, header: &str, row: &str) -> Call {
        let parsed = self.test_parse(&[header, row]).pop();
        match parsed.as_ref().and_then(Parsed::one_call) {
            Some(c) => c.clone(),
            None => panic!("{row}: {parsed:?}"),
        }
    }
}

impl std::fmt::Debug for InputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every format, in detection order (the most specific first).
pub fn all() -> Vec<&'static InputFormat> {
    vec![
        // Qwen Code's lines look like Claude Code's (sessionId, type
        // user/assistant/system) and must be tried first.
        &super::qwen_code::FORMAT,
        &super::gemini_cli::FORMAT,
        // Amp threads and Kimi CLI wire lines have shapes of their own
        // (a `T-` thread id; a numeric timestamp beside message.payload).
        &super::amp::FORMAT,
        &super::kimi_cli::FORMAT,
        &super::claude_code::FORMAT,
        &super::codex::FORMAT,
        &super::opencode::FORMAT,
        &super::copilot_cli::FORMAT,
        &super::droid::FORMAT,
        &super::goose::FORMAT,
        &super::openai::FORMAT,
        &super::anthropic::FORMAT,
        &super::otel::FORMAT,
        &super::litellm::FORMAT,
        &super::langfuse::FORMAT,
        &super::anthropic_csv::FORMAT,
        &super::openrouter_csv::FORMAT,
        &super::openai_csv::FORMAT,
        &super::litellm_csv::FORMAT,
        &super::canonical::FORMAT,
    ]
}

/// Formats whose lines may share one file: applications that log the raw
/// responses of several providers' APIs into one JSONL file (and test
/// recordings that do).
const MIXED: [&str; 2] = ["openai", "anthropic"];

/// A parser for one file of `format`. When the format was detected (not
/// `forced` with `--format`) and is one of [`MIXED`], a line it cannot read
/// as its own (a bad field: not its shape) is offered to the other formats
/// there, and the first that reads it wins; a line none reads keeps the
/// first parser's problem.
pub fn parser_for(
    format: &'static InputFormat,
    forced: bool,
    context: &Context,
) -> Box<dyn LineParser> {
    let main = (format.parser)(context);
    if forced || !MIXED.contains(&format.name) {
        return main;
    }
    let others = MIXED
        .iter()
        .filter(|name| **name != format.name)
        .filter_map(|name| by_name(name))
        .map(|f| (f.parser)(context))
        .collect();
    Box::new(Mixed { main, others })
}

struct Mixed {
    main: Box<dyn LineParser>,
    others: Vec<Box<dyn LineParser>>,
}

impl LineParser for Mixed {
    fn parse(&mut self, line: &[u8]) -> Parsed {
        match self.main.parse(line) {
            Parsed::Problem(problem) if problem.reason == super::SkipReason::BadField => {
                for other in &mut self.others {
                    match other.parse(line) {
                        Parsed::Problem(_) => continue,
                        read => return read,
                    }
                }
                Parsed::Problem(problem)
            }
            parsed => parsed,
        }
    }
}

/// The format named `name`.
pub fn by_name(name: &str) -> Option<&'static InputFormat> {
    all().into_iter().find(|f| f.name == name)
}

/// The first format whose detector accepts these lines.
pub fn detect(sniff: &Sniff) -> Option<&'static InputFormat> {
    all().into_iter().find(|f| (f.detect)(sniff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_in_one_line_are_kept_or_folded_each_on_its_own() {
        let (a, b) = (CopyOf::new("a", 5), CopyOf::new("b", 5));
        let mut copies = Copies::default();
        // One line (input 0, line 1) holds copies of a and b; another file
        // holds a better copy of b.
        assert!(copies.offer(a, (0, 1)));
        assert!(copies.offer(b, (0, 1)));
        assert!(copies.offer(CopyOf::new("b", 6), (1, 1)));
        assert_eq!(copies.folded(), 1);
        let winners = copies.winners();
        assert!(winners.contains(&(a.key, (0, 1))));
        assert!(winners.contains(&(b.key, (1, 1))));
        assert!(!winners.contains(&(b.key, (0, 1))), "b's first copy lost");
    }

    #[test]
    fn amp_and_kimi_take_only_their_own_lines() {
        // Every format's example line is detected as that format's, and the
        // two agent formats placed early claim no other format's example.
        for f in all() {
            let sniff = Sniff::new(vec![f.example.as_bytes()], None);
            let got = detect(&sniff).map(|d| d.name);
            if f.name == "amp" || f.name == "kimi-cli" {
                assert_eq!(got, Some(f.name));
            } else {
                assert!(
                    !matches!(got, Some("amp") | Some("kimi-cli")),
                    "{}'s example read as {got:?}",
                    f.name
                );
            }
        }
    }
}

/// No line makes a parser panic: lines of every fixture, cut, with a byte
/// changed or a number swapped for one past any integer type, fed to every
/// format's parser (the fuzzing the hostile-input tests call for, run on
/// every `cargo test`).
#[cfg(test)]
mod never_panics {
    use proptest::prelude::*;

    /// The first lines of every text fixture, one list per file.
    fn corpus() -> Vec<Vec<Vec<u8>>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files: Vec<_> = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_type().is_file()
                    && ["jsonl", "csv", "json"]
                        .iter()
                        .any(|ext| e.path().extension().is_some_and(|x| x == *ext))
            })
            .map(|e| e.into_path())
            .collect();
        files.truncate(400);
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|bytes| {
                bytes
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .take(6)
                    .map(<[u8]>::to_vec)
                    .collect()
            })
            .collect()
    }

    const NUMBERS: [&[u8]; 6] = [
        b"18446744073709551616",
        b"-9223372036854775809",
        b"1e400",
        b"-1",
        b"99999999999999999999999999999999999999999",
        b"0.0000000000000000000000001",
    ];

    /// `line` with its `at`-th run of digits replaced by `number`.
    fn swap_number(line: &[u8], at: usize, number: &[u8]) -> Vec<u8> {
        let runs: Vec<(usize, usize)> = {
            let mut runs = Vec::new();
            let mut i = 0;
            while i < line.len() {
                if line[i].is_ascii_digit() {
                    let start = i;
                    while i < line.len() && line[i].is_ascii_digit() {
                        i += 1;
                    }
                    runs.push((start, i));
                } else {
                    i += 1;
                }
            }
            runs
        };
        if runs.is_empty() {
            return line.to_vec();
        }
        let (start, end) = runs[at % runs.len()];
        [&line[..start], number, &line[end..]].concat()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn no_line_panics_a_parser(
            file in any::<prop::sample::Index>(),
            line in any::<prop::sample::Index>(),
            mutation in 0u8..4,
            at in any::<usize>(),
            byte in any::<u8>(),
            number in 0usize..NUMBERS.len(),
        ) {
            let corpus = corpus_cached();
            let lines = &corpus[file.index(corpus.len())];
            prop_assume!(!lines.is_empty());
            let target = line.index(lines.len());
            let original = &lines[target];
            let mutated = match mutation {
                0 => original[..at % (original.len() + 1)].to_vec(),
                1 => {
                    let mut l = original.clone();
                    let i = at % l.len().max(1);
                    if let Some(b) = l.get_mut(i) {
                        *b = byte;
                    }
                    l
                }
                2 => swap_number(original, at, NUMBERS[number]),
                _ => original.repeat(1 + at % 3),
            };
            for format in super::all() {
                let mut parser = format.test_parser();
                for (i, l) in lines.iter().enumerate() {
                    let l = if i == target { &mutated } else { l };
                    let _ = parser.parse(l);
                }
            }
        }
    }

    fn corpus_cached() -> &'static [Vec<Vec<u8>>] {
        static CORPUS: std::sync::OnceLock<Vec<Vec<Vec<u8>>>> = std::sync::OnceLock::new();
        CORPUS.get_or_init(corpus)
    }
}
