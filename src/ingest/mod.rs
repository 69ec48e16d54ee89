//! Finding inputs and turning their lines into canonical [`Call`]s.
//!
//! Inputs are files, directories (searched recursively for `*.jsonl`,
//! `*.jsonl.gz`, `*.jsonl.zst`), glob patterns and `-` for standard input.
//! Compression is recognised from the first bytes, not the file name.

pub mod agents;
pub mod amp;
pub mod anthropic;
pub mod anthropic_csv;
pub mod canonical;
pub mod claude_code;
pub mod codex;
pub mod copilot_cli;
pub mod csv_columns;
pub mod droid;
pub mod fields;
pub mod format;
pub mod gemini_cli;
pub mod goose;
pub mod json_documents;
pub mod kimi_cli;
pub mod langfuse;
pub mod litellm;
pub mod litellm_csv;
pub mod openai;
pub mod openai_csv;
pub mod opencode;
pub mod openrouter_csv;
pub mod otel;
pub mod places;
pub mod produced;
pub mod qwen_code;
pub mod sqlite;
pub mod workload;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::record::Call;

/// Where one stream of lines comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    File(PathBuf),
    Stdin,
    /// Lines generated in memory (a workload), with a name for messages.
    Memory(String, std::sync::Arc<Vec<u8>>),
    /// Something in an input directory that could not be listed or
    /// followed (permissions, a symlink loop): reported when read, like a
    /// file that cannot be opened, while the rest of the run goes on.
    Unreadable(PathBuf, String),
}

impl Source {
    /// The name used in messages (`file:line`).
    pub fn display_name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Stdin => "<stdin>".to_string(),
            Source::Memory(name, _) => name.clone(),
            Source::Unreadable(p, _) => p.display().to_string(),
        }
    }

    /// Size on disk, for the progress bar.
    pub fn size_on_disk(&self) -> Option<u64> {
        match self {
            Source::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Source::Stdin => None,
            Source::Memory(_, bytes) => Some(bytes.len() as u64),
            Source::Unreadable(..) => None,
        }
    }
}

/// Problems that stop an input from being read at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    #[error("{path}: cannot read: {source}")]
    Unreadable { path: String, source: io::Error },
    #[error("{pattern}: the pattern matches no files")]
    NoMatches { pattern: String },
    #[error("{pattern}: invalid glob pattern: {message}")]
    BadPattern { pattern: String, message: String },
    #[error("`-` (standard input) can be given only once")]
    StdinTwice,
    #[error("{path}: no *.jsonl, *.jsonl.gz or *.jsonl.zst files in this directory")]
    EmptyDir { path: String },
    #[error("{path}: format not recognised from its first lines (see `costsim formats`; force one with --format)")]
    UnknownFormat { path: String },
}

/// Why a line was skipped; the header counts skipped lines by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    MalformedJson,
    MissingField,
    BadTokenCount,
    BadTimestamp,
    BadField,
    Inconsistent,
    Truncated,
    ReadError,
    /// A line longer than [`MAX_LINE_BYTES`]: dropped unread.
    LineTooLong,
}

impl SkipReason {
    /// Every reason, in report order.
    pub const ALL: [SkipReason; 9] = [
        SkipReason::MalformedJson,
        SkipReason::MissingField,
        SkipReason::BadTokenCount,
        SkipReason::BadTimestamp,
        SkipReason::BadField,
        SkipReason::Inconsistent,
        SkipReason::Truncated,
        SkipReason::ReadError,
        SkipReason::LineTooLong,
    ];

    /// Stable machine name, used in JSON and CSV output.
    pub fn key(self) -> &'static str {
        match self {
            SkipReason::MalformedJson => "malformed_json",
            SkipReason::MissingField => "missing_field",
            SkipReason::BadTokenCount => "bad_token_count",
            SkipReason::BadTimestamp => "bad_timestamp",
            SkipReason::BadField => "bad_field",
            SkipReason::Inconsistent => "inconsistent_usage",
            SkipReason::Truncated => "truncated_input",
            SkipReason::ReadError => "read_error",
            SkipReason::LineTooLong => "line_too_long",
        }
    }

    /// Words for people, used in the report header.
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::MalformedJson => "malformed JSON",
            SkipReason::MissingField => "missing field",
            SkipReason::BadTokenCount => "bad token count",
            SkipReason::BadTimestamp => "bad timestamp",
            SkipReason::BadField => "bad field",
            SkipReason::Inconsistent => "inconsistent usage",
            SkipReason::Truncated => "truncated input",
            SkipReason::ReadError => "read error",
            SkipReason::LineTooLong => "line too long",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What is wrong with one line, before it is placed in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub reason: SkipReason,
    pub message: String,
}

impl LineProblem {
    pub fn new(reason: SkipReason, message: String) -> Self {
        LineProblem { reason, message }
    }
}

/// A skipped line with its place: printed as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineError {
    pub file: String,
    pub line: u64,
    pub reason: SkipReason,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// A JSON error message for people: without serde_json's "at line 1
/// column 40" (noise on a one-line record) and without the names of the
/// Rust types it was read into ("expected struct RawRecord" reads
/// "expected a JSON object").
pub(crate) fn plain_json_message(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    // serde reads a struct from an array too; an array is simply not the
    // object that was expected.
    if message.starts_with("invalid length") && message.contains("expected struct") {
        return "expected a JSON object, found an array".to_string();
    }
    let mut out = Vec::new();
    let mut words = message.split(' ');
    while let Some(word) = words.next() {
        match word {
            "struct" => {
                let name = words.next().unwrap_or("");
                let tail = name.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
                out.push(format!("a JSON object{tail}"));
            }
            "enum" => {
                let name = words.next().unwrap_or("");
                let tail = name.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
                out.push(format!("one of the known values{tail}"));
            }
            _ => out.push(word.to_string()),
        }
    }
    out.join(" ")
}

/// File names a directory walk picks up.
const TRACE_SUFFIXES: [&str; 3] = [".jsonl", ".jsonl.gz", ".jsonl.zst"];

fn is_trace_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    TRACE_SUFFIXES.iter().any(|s| name.ends_with(s))
}

fn looks_like_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '['])
}

/// Expands command-line inputs into an ordered, de-duplicated list of sources.
/// Directory contents and glob matches are sorted so runs are deterministic.
pub fn resolve_inputs(args: &[String]) -> Result<Vec<Source>, IngestError> {
    let mut groups: Vec<(&String, Vec<Source>)> = Vec::new();
    let mut stdin_seen = false;
    for arg in args {
        if arg == "-" {
            if stdin_seen {
                return Err(IngestError::StdinTwice);
            }
            stdin_seen = true;
            groups.push((arg, vec![Source::Stdin]));
            continue;
        }
        let path = Path::new(arg);
        let found = if path.is_dir() {
            let found = walk_dir(path)?;
            if found.is_empty() {
                return Err(IngestError::EmptyDir { path: arg.clone() });
            }
            found
        } else if path.exists() {
            vec![Source::File(path.to_path_buf())]
        } else if looks_like_glob(arg) {
            expand_glob(arg)?
        } else {
            return Err(IngestError::NotFound { path: arg.clone() });
        };
        groups.push((arg, found));
    }
    // Inputs in the order of their names, not of the arguments: the order
    // breaks ties (calls at the same instant, copies of one response), and
    // the same files given in another order must give the same report.
    // Each argument's own files keep their walk order.
    groups.sort_by(|a, b| a.0.cmp(b.0));
    let mut seen = std::collections::HashSet::new();
    Ok(groups
        .into_iter()
        .flat_map(|(_, found)| found)
        .filter(|s| seen.insert(s.clone()))
        .collect())
}

/// The trace files below `dir`, in name order. Symlinks are followed (a
/// loop is reported, not followed forever); a folder or link that cannot be
/// read becomes an [`Source::Unreadable`] entry, so it is reported with the
/// files that cannot be opened and the rest is read.
fn walk_dir(dir: &Path) -> Result<Vec<Source>, IngestError> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_file() && is_trace_file(entry.path()) {
                    found.push(Source::File(entry.into_path()));
                }
            }
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                let reason = match e.loop_ancestor() {
                    Some(ancestor) => format!(
                        "a symlink loop (it leads back to {}); not followed",
                        ancestor.display()
                    ),
                    None => e
                        .io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string()),
                };
                found.push(Source::Unreadable(path, reason));
            }
        }
    }
    Ok(found)
}

fn expand_glob(pattern: &str) -> Result<Vec<Source>, IngestError> {
    let paths = glob::glob(pattern).map_err(|e| IngestError::BadPattern {
        pattern: pattern.to_string(),
        message: e.msg.to_string(),
    })?;
    let mut found = Vec::new();
    for path in paths {
        let path = path.map_err(|e| IngestError::Unreadable {
            path: e.path().display().to_string(),
            source: e.into(),
        })?;
        if path.is_dir() {
            found.extend(walk_dir(&path)?);
        } else {
            found.push(Source::File(path));
        }
    }
    if found.is_empty() {
        return Err(IngestError::NoMatches {
            pattern: pattern.to_string(),
        });
    }
    found.sort_by_key(Source::display_name);
    Ok(found)
}

/// Shared bytes readable through `io::Cursor`.
struct SharedBytes(std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Opens a source as a buffered line reader, decompressing gzip or zstd
/// when the first bytes say so.
pub fn open(source: &Source) -> Result<Box<dyn BufRead + Send>, IngestError> {
    let raw: Box<dyn Read + Send> = match source {
        Source::Stdin => Box::new(io::stdin()),
        Source::Memory(_, bytes) => Box::new(io::Cursor::new(SharedBytes(bytes.clone()))),
        Source::Unreadable(path, reason) => {
            return Err(IngestError::Unreadable {
                path: path.display().to_string(),
                source: io::Error::other(reason.clone()),
            })
        }
        Source::File(path) => Box::new(File::open(path).map_err(|e| IngestError::Unreadable {
            path: path.display().to_string(),
            source: e,
        })?),
    };
    let mut reader = BufReader::with_capacity(256 * 1024, raw);
    let magic = reader.fill_buf().map_err(|e| IngestError::Unreadable {
        path: source.display_name(),
        source: e,
    })?;
    const GZIP: &[u8] = &[0x1f, 0x8b];
    const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
    if magic.starts_with(sqlite::MAGIC) {
        // An agent's database: its rows, read through SQLite.
        return match source {
            Source::File(path) => sqlite::rows_as_lines(path),
            _ => Err(IngestError::Unreadable {
                path: source.display_name(),
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a SQLite database is read only from a file named on the command line",
                ),
            }),
        };
    }
    let out: Box<dyn BufRead + Send> = if magic.starts_with(GZIP) {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::bufread::MultiGzDecoder::new(reader),
        ))
    } else if magic.starts_with(ZSTD) {
        let decoder = zstd::stream::read::Decoder::with_buffer(reader).map_err(|e| {
            IngestError::Unreadable {
                path: source.display_name(),
                source: e,
            }
        })?;
        Box::new(BufReader::with_capacity(256 * 1024, decoder))
    } else {
        Box::new(reader)
    };
    Ok(out)
}

/// An opened source with its format and a parser for it.
/// The format some sources are read as whatever their lines look like:
/// the logs an agent's discovery found (and the Claude Code logs of
/// `--claude` alone) are their tool's; `--format` names that of the rest.
#[derive(Debug, Clone, Default)]
pub struct SourceFormats {
    /// `--format`: every source without a format of its own.
    pub every: Option<&'static format::InputFormat>,
    /// Sources whose format is known from where they were found.
    pub known: std::collections::HashMap<Source, &'static format::InputFormat>,
}

impl SourceFormats {
    /// The format `source` is read as; `None`: detected from its lines.
    pub fn of(&self, source: &Source) -> Option<&'static format::InputFormat> {
        self.known.get(source).copied().or(self.every)
    }
}

pub struct Opened {
    pub reader: Box<dyn BufRead + Send>,
    pub format: &'static format::InputFormat,
    pub parser: Box<dyn format::LineParser>,
}

/// Opens a source and picks its format: `forced`, else detected from its
/// first lines. An empty source reads as canonical (and yields nothing).
/// `assume_time` dates records that carry no time (else the file's
/// modification time does).
pub fn open_with_format(
    source: &Source,
    forced: Option<&'static format::InputFormat>,
    dedup: &std::sync::Arc<format::Dedup>,
    assume_time: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Opened, IngestError> {
    let mut reader = open(source)?;
    check_encoding(&mut reader, source)?;
    let starts_with_array = reader
        .fill_buf()
        .map_err(|e| IngestError::Unreadable {
            path: source.display_name(),
            source: e,
        })?
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        == Some(&b'[');
    if starts_with_array {
        reader = json_documents::array_as_lines(reader);
    } else if starts_with_pretty_object(&mut reader, source)? {
        reader = json_documents::values_as_lines(reader);
    }
    let format = match forced {
        Some(f) => f,
        None => {
            reader = with_first_line_buffered(reader, source)?;
            let empty = reader
                .fill_buf()
                .map_err(|e| IngestError::Unreadable {
                    path: source.display_name(),
                    source: e,
                })?
                .is_empty();
            match sniff_format(&mut reader, source)? {
                _ if empty => &canonical::FORMAT,
                Some(f) => f,
                None => {
                    return Err(IngestError::UnknownFormat {
                        path: source.display_name(),
                    })
                }
            }
        }
    };
    let context = format::Context::of(source, dedup, assume_time);
    let parser = format::parser_for(format, forced.is_some(), &context);
    Ok(Opened {
        reader,
        format,
        parser,
    })
}

/// Whether the first two characters look like ASCII stored as UTF-16: an
/// ASCII byte beside a zero byte, twice (`ascii_at` 0 for little-endian, 1
/// for big-endian). Binary data rarely has this shape; JSON text never does.
fn ascii_in_utf16(buffer: &[u8], ascii_at: usize) -> bool {
    buffer.len() >= 4
        && (0..2).all(|unit| {
            let ascii = buffer[2 * unit + ascii_at];
            let zero = buffer[2 * unit + 1 - ascii_at];
            zero == 0 && (ascii.is_ascii_graphic() || ascii.is_ascii_whitespace())
        })
}

/// Text costsim cannot read line by line is named for what it is, not
/// reported as bad JSON on every line: UTF-16 (as some Windows tools save),
/// and lines ended by a carriage return alone. A UTF-8 byte order mark at
/// the start is not data: dropped before the content is looked at.
fn check_encoding(
    reader: &mut Box<dyn BufRead + Send>,
    source: &Source,
) -> Result<(), IngestError> {
    let unreadable = |message: &str| IngestError::Unreadable {
        path: source.display_name(),
        source: io::Error::new(io::ErrorKind::InvalidData, message.to_string()),
    };
    let buffer = reader.fill_buf().map_err(|e| IngestError::Unreadable {
        path: source.display_name(),
        source: e,
    })?;
    if buffer.starts_with(&[0xef, 0xbb, 0xbf]) {
        reader.consume(3);
        return Ok(());
    }
    let utf16 = buffer.starts_with(&[0xff, 0xfe])
        || buffer.starts_with(&[0xfe, 0xff])
        || ascii_in_utf16(buffer, 0)
        || ascii_in_utf16(buffer, 1);
    if utf16 {
        return Err(unreadable(
            "UTF-16 text: costsim reads UTF-8 (convert it, e.g. `iconv -f UTF-16 -t UTF-8`)",
        ));
    }
    let returns = memchr::memchr_iter(b'\r', buffer).take(2).count();
    if returns == 2 && memchr::memchr(b'\n', buffer).is_none() {
        return Err(unreadable(
            "lines end with a carriage return alone (old Mac line ends): convert them to newlines, e.g. `tr '\\r' '\\n'`",
        ));
    }
    Ok(())
}

/// Detection reads a source's first lines from its buffer. A first line
/// longer than the buffer (an export compacted to one line, a long agent
/// line) is read whole first, up to [`SNIFF_LINE_BYTES`], and put back in
/// front of the rest.
fn with_first_line_buffered(
    mut reader: Box<dyn BufRead + Send>,
    source: &Source,
) -> Result<Box<dyn BufRead + Send>, IngestError> {
    let unreadable = |e| IngestError::Unreadable {
        path: source.display_name(),
        source: e,
    };
    let buffer = reader.fill_buf().map_err(unreadable)?;
    if buffer.is_empty() || memchr::memchr(b'\n', buffer).is_some() {
        return Ok(reader);
    }
    // Reserved whole for the same reason as a long line's buffer.
    let mut head = Vec::with_capacity(SNIFF_LINE_BYTES);
    (&mut reader)
        .take(SNIFF_LINE_BYTES as u64)
        .read_until(b'\n', &mut head)
        .map_err(unreadable)?;
    Ok(Box::new(io::Cursor::new(head).chain(reader)))
}

/// The longest first line detection reads whole.
const SNIFF_LINE_BYTES: usize = 16 << 20;

/// Whether the input starts with a JSON object spread over several lines
/// (a pretty-printed record, as LiteLLM and dashboards save one), not one
/// object per line.
fn starts_with_pretty_object(
    reader: &mut Box<dyn BufRead + Send>,
    source: &Source,
) -> Result<bool, IngestError> {
    let buffer = reader.fill_buf().map_err(|e| IngestError::Unreadable {
        path: source.display_name(),
        source: e,
    })?;
    Ok(is_pretty_object(buffer))
}

/// Whether `buffer` (the start of an input) opens a JSON object that its
/// first line does not close.
fn is_pretty_object(buffer: &[u8]) -> bool {
    let start = buffer.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start.filter(|&s| buffer[s] == b'{') else {
        return false;
    };
    let Some(end) = memchr::memchr(b'\n', &buffer[start..]) else {
        return false;
    };
    let first_line = &buffer[start..start + end];
    matches!(
        serde_json::from_slice::<serde::de::IgnoredAny>(first_line),
        Err(e) if e.is_eof()
    )
}

/// What reading one source produced besides its calls.
#[derive(Debug, Default, Clone)]
pub struct ReadStats {
    /// Non-blank lines seen.
    pub lines: u64,
    pub calls: u64,
    pub bytes: u64,
    /// Lines that carry no usage (not errors).
    pub not_calls: u64,
    /// Responses seen before, folded.
    pub duplicates: u64,
    /// Every line, blank ones included (for line-number offsets).
    pub raw_lines: u64,
}

/// Lines looked at to detect a file's format.
const SNIFF_LINES: usize = 8;

/// Detects the format of an opened source from the lines already buffered,
/// without consuming them. `None` when no format recognises them.
pub fn sniff_format(
    reader: &mut dyn BufRead,
    source: &Source,
) -> Result<Option<&'static format::InputFormat>, IngestError> {
    let buffer = reader.fill_buf().map_err(|e| IngestError::Unreadable {
        path: source.display_name(),
        source: e,
    })?;
    let lines: Vec<&[u8]> = buffer
        .split(|b| *b == b'\n')
        .take(SNIFF_LINES + 1)
        .map(trim_line)
        .filter(|l| !l.is_empty())
        .take(SNIFF_LINES)
        .collect();
    let path = match source {
        Source::File(p) => Some(p.as_path()),
        _ => None,
    };
    let sniff = format::Sniff::new(lines, path);
    Ok(format::detect(&sniff).or_else(|| {
        // Lines that are not JSON at all (corruption, garbage) are read as
        // canonical so each bad line is reported where it is; JSON or CSV of
        // an unknown shape is refused as a whole.
        (sniff.first_json().is_none() && sniff.csv_header().is_none()).then_some(&canonical::FORMAT)
    }))
}

/// Most tokens of one kind one call may count: a quadrillion tokens is
/// billions of dollars. Larger counts are not real (a corrupt or hostile
/// log); refusing them keeps every sum over a call's counts, and counts
/// scaled by a scenario, far from overflowing.
pub const MAX_CALL_TOKENS: u64 = csv_columns::MAX_ROW_TOKENS;

/// Whether a call's counts are within [`MAX_CALL_TOKENS`].
fn check_counts(call: &Call) -> Result<(), LineProblem> {
    let u = &call.usage;
    let counts = [
        ("usage.input", u.input),
        ("usage.cache_read", u.cache_read),
        ("usage.cache_write_5m", u.cache_write_5m),
        ("usage.cache_write_1h", u.cache_write_1h),
        ("usage.output", u.output),
        ("usage.reasoning", u.reasoning),
    ];
    let segments = call
        .segments
        .iter()
        .flatten()
        .map(|s| ("prompt.segments", s.tokens));
    match counts
        .into_iter()
        .chain(segments)
        .find(|&(_, n)| n > MAX_CALL_TOKENS)
    {
        Some((field, n)) => Err(LineProblem::new(
            SkipReason::BadTokenCount,
            format!(
                "field \"{field}\": {n} tokens is more than one call can count (at most 10^15)"
            ),
        )),
        None => Ok(()),
    }
}

/// A parsed call with the options its model name carries (OpenRouter's
/// `:free`, `:online`) moved into its options, whatever the format.
fn named(mut call: Call) -> Call {
    call.split_model_suffixes();
    call
}

/// The longest line read: a longer one is skipped (and counted), so one
/// huge line cannot take the memory of a whole file. Real records are far
/// shorter (the largest Claude Code line seen is a few MB).
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Reads one line (up to and including its newline) into `buf`, keeping at
/// most `max` bytes of it: the rest of a longer line is read and dropped.
/// Returns the bytes consumed and whether the line was longer than `max`.
fn read_line_capped<R: BufRead>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed, too_long));
        }
        let (take, ends) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            let room = max.saturating_sub(buf.len());
            if take <= room {
                if buf.len() + take > buf.capacity() {
                    // Straight to the cap, not by doubling: the address space
                    // is reserved, memory is taken only as the line fills it,
                    // and no half-size copies are left behind on the way.
                    buf.reserve_exact(max - buf.len());
                }
                buf.extend_from_slice(&available[..take]);
            } else {
                too_long = true;
                *buf = Vec::new();
            }
        }
        reader.consume(take);
        consumed += take;
        if ends {
            return Ok((consumed, too_long));
        }
    }
}

/// Reads every line of `reader`, handing parsed calls
/// (with their line number, and what response they copy when a log may
/// write the response again: see [`format::Copies`]) to `on_call` and
/// problems to `on_error`. A read failure (truncated gzip, I/O error) ends the
/// stream and is reported at the line where it happened; what came before is
/// kept. Blank lines are ignored.
pub fn read_lines<R: BufRead>(
    mut reader: R,
    file: &str,
    parser: &mut dyn format::LineParser,
    mut on_call: impl FnMut(Call, u64, Option<format::CopyOf>),
    mut on_error: impl FnMut(LineError),
    mut on_bytes: impl FnMut(u64),
) -> ReadStats {
    let mut stats = ReadStats::default();
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    crate::crash::reading(file);
    loop {
        if buf.len() > 1 << 20 {
            // Give back the memory a long line took.
            buf = Vec::with_capacity(4096);
        }
        buf.clear();
        crate::crash::at_line(line_no + 1);
        match read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES) {
            Ok((0, _)) => break,
            Ok((n, true)) => {
                line_no += 1;
                stats.bytes += n as u64;
                on_bytes(n as u64);
                stats.lines += 1;
                on_error(LineError {
                    file: file.to_string(),
                    line: line_no,
                    reason: SkipReason::LineTooLong,
                    message: format!(
                        "line longer than {} MiB ({n} bytes): skipped without being read into memory",
                        MAX_LINE_BYTES >> 20
                    ),
                });
            }
            Ok((n, false)) => {
                line_no += 1;
                stats.bytes += n as u64;
                on_bytes(n as u64);
                let line = trim_line(&buf);
                if line.is_empty() {
                    continue;
                }
                stats.lines += 1;
                // A line with a count beyond reason is skipped whole.
                let counted = match parser.parse(line) {
                    format::Parsed::Call(call) => check_counts(&call).map(|()| {
                        stats.calls += 1;
                        on_call(named(*call), line_no, None);
                    }),
                    format::Parsed::Calls(calls) => {
                        calls.iter().try_for_each(check_counts).map(|()| {
                            for call in calls {
                                stats.calls += 1;
                                on_call(named(call), line_no, None);
                            }
                        })
                    }
                    format::Parsed::Copy(call, of) => check_counts(&call).map(|()| {
                        stats.calls += 1;
                        on_call(named(*call), line_no, Some(of));
                    }),
                    format::Parsed::Copies(copies) => copies
                        .iter()
                        .try_for_each(|(call, _)| check_counts(call))
                        .map(|()| {
                            for (call, of) in copies {
                                stats.calls += 1;
                                on_call(named(call), line_no, Some(of));
                            }
                        }),
                    format::Parsed::NotACall => {
                        stats.not_calls += 1;
                        Ok(())
                    }
                    format::Parsed::Duplicate => {
                        stats.duplicates += 1;
                        Ok(())
                    }
                    format::Parsed::Problem(problem) => Err(problem),
                };
                if let Err(problem) = counted {
                    on_error(LineError {
                        file: file.to_string(),
                        line: line_no,
                        reason: problem.reason,
                        message: problem.message,
                    });
                }
            }
            Err(e) => {
                let (reason, what) = if e.kind() == io::ErrorKind::UnexpectedEof {
                    (
                        SkipReason::Truncated,
                        "input ends early (truncated or corrupt compressed file)".to_string(),
                    )
                } else {
                    (SkipReason::ReadError, format!("read failed: {e}"))
                };
                // The line being read when the stream broke is the one lost.
                stats.lines += 1;
                on_error(LineError {
                    file: file.to_string(),
                    line: line_no + 1,
                    reason,
                    message: format!("{what}; {line_no} lines before it were read"),
                });
                break;
            }
        }
    }
    stats.raw_lines = line_no;
    crate::crash::reading("");
    stats
}

/// Byte ranges that split a plain (uncompressed, line-based) file into about
/// `parts` pieces, each ending at a newline, for parsing in parallel.
pub fn line_ranges(path: &Path, parts: usize) -> io::Result<Vec<(u64, u64)>> {
    use std::io::{Seek, SeekFrom};
    let len = std::fs::metadata(path)?.len();
    let mut file = BufReader::new(File::open(path)?);
    let mut cuts = vec![0u64];
    let step = (len / parts.max(1) as u64).max(1);
    for i in 1..parts as u64 {
        let at = (i * step).max(*cuts.last().expect("starts with 0"));
        if at >= len {
            break;
        }
        file.seek(SeekFrom::Start(at))?;
        // To the next line end without keeping the line: it may be huge.
        let (n, _) = read_line_capped(&mut file, &mut Vec::new(), 0)?;
        let n = n as u64;
        let cut = at + n;
        if cut < len && cut > *cuts.last().expect("starts with 0") {
            cuts.push(cut);
        }
    }
    cuts.push(len);
    Ok(cuts.windows(2).map(|w| (w[0], w[1] - w[0])).collect())
}

/// A reader over `len` bytes of `path` from `start`.
pub fn open_range(path: &Path, start: u64, len: u64) -> io::Result<Box<dyn BufRead + Send>> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    Ok(Box::new(BufReader::with_capacity(
        256 * 1024,
        file.take(len),
    )))
}

/// Whether a file is plain lines (not gzip or zstd, not one JSON array,
/// not pretty-printed JSON), so it can be split at newlines.
pub fn is_plain_lines(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let Ok(head) = reader.fill_buf() else {
        return false;
    };
    !(head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(sqlite::MAGIC)
        || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
        || is_pretty_object(head))
}

fn trim_line(buf: &[u8]) -> &[u8] {
    let mut end = buf.len();
    while end > 0 && matches!(buf[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    let mut start = 0;
    // A UTF-8 byte order mark at the start of a file is not data.
    if buf.starts_with(&[0xef, 0xbb, 0xbf]) {
        start = 3;
    }
    while start < end && matches!(buf[start], b' ' | b'\t') {
        start += 1;
    }
    &buf[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Canon;
    impl format::LineParser for Canon {
        fn parse(&mut self, line: &[u8]) -> format::Parsed {
            match canonical::parse_line(line) {
                Ok(c) => format::Parsed::call(c),
                Err(p) => format::Parsed::Problem(p),
            }
        }
    }

    fn read(text: &[u8]) -> (Vec<Call>, Vec<LineError>, ReadStats) {
        let mut calls = Vec::new();
        let mut errors = Vec::new();
        let stats = read_lines(
            text,
            "t.jsonl",
            &mut Canon,
            |c, _, _| calls.push(c),
            |e| errors.push(e),
            |_| {},
        );
        (calls, errors, stats)
    }

    #[test]
    fn reads_good_lines_and_places_bad_ones() {
        let text = b"{\"ts\":\"2026-03-01T00:00:00Z\",\"model\":\"m\",\"usage\":{\"input\":1}}\n\nnot json\n{\"ts\":\"2026-03-01T00:00:00Z\",\"model\":\"m\",\"usage\":{\"input\":2}}";
        let (calls, errors, stats) = read(text);
        assert_eq!(calls.len(), 2);
        assert_eq!(stats.lines, 3);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string().split(':').take(2).collect::<Vec<_>>(),
            ["t.jsonl", "3"]
        );
    }

    #[test]
    fn truncated_gzip_keeps_what_came_before() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for _ in 0..200 {
            enc.write_all(
                b"{\"ts\":\"2026-03-01T00:00:00Z\",\"model\":\"m\",\"usage\":{\"input\":1}}\n",
            )
            .unwrap();
        }
        let full = enc.finish().unwrap();
        let cut = &full[..full.len() - 30];
        let reader = BufReader::new(flate2::bufread::MultiGzDecoder::new(cut));
        let (calls, errors, _) = read_lines_owned(reader);
        assert!(calls < 200);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].reason, SkipReason::Truncated);
    }

    fn read_lines_owned<R: BufRead>(reader: R) -> (usize, Vec<LineError>, ReadStats) {
        let mut n = 0;
        let mut errors = Vec::new();
        let stats = read_lines(
            reader,
            "t.jsonl.gz",
            &mut Canon,
            |_, _, _| n += 1,
            |e| errors.push(e),
            |_| {},
        );
        (n, errors, stats)
    }

    #[test]
    fn line_ranges_cover_the_file_at_newlines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        let text: String = (0..1000).map(|i| format!("line number {i}\n")).collect();
        std::fs::write(&path, &text).unwrap();
        for parts in [1, 2, 3, 7, 64, 5000] {
            let ranges = line_ranges(&path, parts).unwrap();
            let mut joined = Vec::new();
            for (start, len) in &ranges {
                let mut r = open_range(&path, *start, *len).unwrap();
                let before = joined.len();
                r.read_to_end(&mut joined).unwrap();
                assert!(joined[before..].ends_with(b"\n"), "parts {parts}");
            }
            assert_eq!(joined, text.as_bytes(), "parts {parts}");
        }
    }

    #[test]
    fn pretty_printed_objects_read_one_per_line() {
        assert!(is_pretty_object(b"{\n  \"a\": 1\n}\n"));
        assert!(is_pretty_object(b"  {\"a\":\n 1}"));
        assert!(!is_pretty_object(b"{\"a\": 1}\n{\"a\": 2}\n"));
        assert!(!is_pretty_object(b"[1]\n"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one.json");
        std::fs::write(
            &path,
            "{\n  \"a\": 1,\n  \"b\": {\"c\": 2}\n}\n{\"a\": 3}\n{\n \"cut",
        )
        .unwrap();
        assert!(!is_plain_lines(&path));
        let source = Source::File(path);
        let mut reader = open(&source).unwrap();
        assert!(starts_with_pretty_object(&mut reader, &source).unwrap());
        let mut text = String::new();
        json_documents::values_as_lines(reader)
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "{\"a\":1,\"b\":{\"c\":2}}\n{\"a\":3}\n{  \"cut\n");
    }

    #[test]
    fn json_messages_name_no_rust_types() {
        assert_eq!(
            plain_json_message(
                "invalid type: string \"x\", expected struct RawRecord at line 1 column 3"
            ),
            "invalid type: string \"x\", expected a JSON object"
        );
        assert_eq!(
            plain_json_message("unknown variant `z`, expected enum Mode"),
            "unknown variant `z`, expected one of the known values"
        );
        assert_eq!(
            plain_json_message("invalid length 1, expected struct RawUsage with 6 elements"),
            "expected a JSON object, found an array"
        );
    }

    #[test]
    fn trims_crlf_and_bom() {
        assert_eq!(trim_line(b"\xef\xbb\xbf{}\r\n"), b"{}");
        assert_eq!(trim_line(b"   \n"), b"");
    }
}
