//! What the CSV export formats share: finding columns by name, reading one
//! row, and turning cells into counts, dollars and times.
//!
//! Exports change their header between versions (`usage_date_utc` or
//! `date`, `startTime` or `start_time`), so a column is looked up by a
//! normalised name among a few candidates: lower case, camelCase split,
//! every run of other characters one `_` (`"Input Tokens (no cache)"` →
//! `input_tokens_no_cache`).
//!
//! Input is read line by line: a row is one line, so a quoted field cannot
//! span lines (such a line is reported, not guessed at).
//!
//! Usage exports (Anthropic Console, OpenAI) sum many requests into one row.
//! Long-context tiers apply per request, so a row is handed on as several
//! equal calls ([`spread`]); see [`pieces`].

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::format::{CopyOf, LineParser, Parsed, Sniff};
use super::{LineProblem, SkipReason};
use crate::money::Money;
use crate::record::{Call, Usage};

/// A header name in comparable form: `"Usage Date (UTC)"` → `usage_date_utc`,
/// `"startTime"` → `start_time`.
pub fn normalise(name: &str) -> String {
    let name = name.trim().trim_start_matches('\u{feff}');
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev: Option<char> = None;
    for c in name.chars() {
        if c.is_alphanumeric() {
            let boundary =
                c.is_uppercase() && prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        prev = Some(c);
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// The normalised names of the first sniffed line, when it looks like a CSV
/// header (not JSON, at least three columns).
pub fn sniff_columns(sniff: &Sniff) -> Option<Vec<String>> {
    sniff.csv_header()?;
    let first = sniff.lines.first()?;
    let record = read_record(first, delimiter_of(first)).ok()?;
    Some(record.iter().map(normalise).collect())
}

/// Whether a sniffed header has any of `names` (normalised).
pub fn has_any(columns: &[String], names: &[&str]) -> bool {
    names.iter().any(|n| columns.iter().any(|c| c == n))
}

/// One column a format reads: its name in messages and the header names it
/// goes by, in order of preference.
pub struct Want {
    pub name: &'static str,
    pub candidates: &'static [&'static str],
    pub required: bool,
}

/// Shorthand for a required column.
pub const fn need(name: &'static str, candidates: &'static [&'static str]) -> Want {
    Want {
        name,
        candidates,
        required: true,
    }
}

/// Shorthand for an optional column.
pub const fn may(name: &'static str, candidates: &'static [&'static str]) -> Want {
    Want {
        name,
        candidates,
        required: false,
    }
}

/// The header of one file, with the position of every wanted column.
#[derive(Debug, Clone)]
pub struct Header {
    /// The header line as written, to recognise a repeated header.
    line: Vec<u8>,
    /// Names as written.
    names: Vec<String>,
    /// Position of each wanted column (same order as the `Want` list).
    found: Vec<Option<usize>>,
    /// Required columns the header lacks.
    missing: Vec<&'static str>,
    /// `,`, or a tab for tab-separated exports (pasted from a spreadsheet).
    delimiter: u8,
}

impl Header {
    /// Reads a header line and finds `wants` in it.
    pub fn read(line: &[u8], wants: &[Want]) -> Header {
        let delimiter = delimiter_of(line);
        let names: Vec<String> = match read_record(line, delimiter) {
            Ok(r) => r
                .iter()
                .map(|n| n.trim().trim_start_matches('\u{feff}').to_string())
                .collect(),
            Err(_) => Vec::new(),
        };
        let normalised: Vec<String> = names.iter().map(|n| normalise(n)).collect();
        let mut found = Vec::with_capacity(wants.len());
        let mut missing = Vec::new();
        for want in wants {
            let at = want
                .candidates
                .iter()
                .find_map(|c| normalised.iter().position(|n| n == c));
            if at.is_none() && want.required {
                missing.push(want.name);
            }
            found.push(at);
        }
        Header {
            line: line.to_vec(),
            names,
            found,
            missing,
            delimiter,
        }
    }

    /// Position of the `i`-th wanted column.
    pub fn at(&self, i: usize) -> Option<usize> {
        self.found.get(i).copied().flatten()
    }

    /// The column's name as the header writes it.
    pub fn name(&self, column: usize) -> &str {
        self.names.get(column).map_or("?", String::as_str)
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether `line` is this header again (files concatenated with `cat`).
    pub fn is_repeat(&self, line: &[u8]) -> bool {
        self.line == line
    }

    /// Reads one data line: its cells, after checking that the header has
    /// every required column and the row has as many cells as the header.
    pub fn row<'h>(&'h self, line: &[u8]) -> Result<Row<'h>, LineProblem> {
        if let Some(first) = self.missing.first() {
            let others = &self.missing[1..];
            let also = if others.is_empty() {
                String::new()
            } else {
                format!(" (also missing: {})", others.join(", "))
            };
            return Err(LineProblem::new(
                SkipReason::MissingField,
                format!("field \"{first}\": no such column in the CSV header (required){also}"),
            ));
        }
        let record = read_record(line, self.delimiter)?;
        // Trailing empty cells of a tab-separated row are lost with the
        // line's trailing whitespace: they read as empty.
        if record.len() < self.len() && self.delimiter != b'\t' {
            return Err(LineProblem::new(
                SkipReason::Truncated,
                format!(
                    "row has {} of the header's {} columns (truncated line?)",
                    record.len(),
                    self.len()
                ),
            ));
        }
        if record.len() > self.len() {
            return Err(LineProblem::new(
                SkipReason::BadField,
                format!(
                    "row has {} columns but the header has {} (a comma in an unquoted field?)",
                    record.len(),
                    self.len()
                ),
            ));
        }
        Ok(Row {
            header: self,
            record,
        })
    }
}

/// A CSV export read line by line: the first line is its header, header lines
/// repeated further down (concatenated exports) are skipped, and every row
/// goes to `read_row`.
pub struct CsvReader<F> {
    wants: &'static [Want],
    header: Option<Header>,
    read_row: F,
}

impl<F> CsvReader<F>
where
    F: FnMut(&Row) -> Result<Parsed, LineProblem> + Send,
{
    pub fn new(wants: &'static [Want], read_row: F) -> Self {
        CsvReader {
            wants,
            header: None,
            read_row,
        }
    }
}

impl<F> LineParser for CsvReader<F>
where
    F: FnMut(&Row) -> Result<Parsed, LineProblem> + Send,
{
    fn parse(&mut self, line: &[u8]) -> Parsed {
        let Some(header) = &self.header else {
            self.header = Some(Header::read(line, self.wants));
            return Parsed::NotACall;
        };
        if header.is_repeat(line) {
            return Parsed::NotACall;
        }
        match header.row(line).and_then(|row| (self.read_row)(&row)) {
            Ok(parsed) => parsed,
            Err(problem) => Parsed::Problem(problem),
        }
    }
}

/// The delimiter of a header line: a tab when it has tabs and no commas
/// (a tab-separated export), else a comma.
pub fn delimiter_of(header: &[u8]) -> u8 {
    if header.contains(&b'\t') && !header.contains(&b',') {
        b'\t'
    } else {
        b','
    }
}

/// Splits one CSV line into cells at `delimiter`. An odd number of `"`
/// means the line ends inside a quoted field: cut short, or a field that
/// spans lines.
pub fn read_record(line: &[u8], delimiter: u8) -> Result<csv::StringRecord, LineProblem> {
    if line.iter().filter(|b| **b == b'"').count() % 2 == 1 {
        return Err(LineProblem::new(
            SkipReason::Truncated,
            "row ends inside a quoted field (truncated line, or a field spanning lines, which is not supported)"
                .to_string(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(line);
    match reader.records().next() {
        Some(Ok(record)) => Ok(record),
        Some(Err(e)) => Err(LineProblem::new(
            SkipReason::BadField,
            format!("row is not valid CSV: {e}"),
        )),
        None => Ok(csv::StringRecord::new()),
    }
}

/// One data row, read against its header.
pub struct Row<'h> {
    header: &'h Header,
    record: csv::StringRecord,
}

impl Row<'_> {
    /// The trimmed cell of the `i`-th wanted column; `None` when the header
    /// has no such column or the cell is empty.
    pub fn text(&self, want: usize) -> Option<&str> {
        let column = self.header.at(want)?;
        let cell = self.record.get(column)?.trim();
        (!cell.is_empty()).then_some(cell)
    }

    /// Name of the `i`-th wanted column as written, for messages.
    pub fn name(&self, want: usize) -> &str {
        self.header.at(want).map_or("?", |c| self.header.name(c))
    }

    /// A required text cell.
    pub fn required_text(&self, want: usize) -> Result<&str, LineProblem> {
        self.text(want).ok_or_else(|| {
            LineProblem::new(
                SkipReason::MissingField,
                format!("field \"{}\": empty (required)", self.name(want)),
            )
        })
    }

    /// A token count; an empty cell (or no column) is `None`. Counts above
    /// [`MAX_ROW_TOKENS`] are refused: no export row is that big, and sums
    /// of such rows would overflow.
    pub fn count(&self, want: usize) -> Result<Option<u64>, LineProblem> {
        let bad = |text: &str, what: &str| {
            LineProblem::new(
                SkipReason::BadTokenCount,
                format!("field \"{}\": `{text}` {what}", self.name(want)),
            )
        };
        match self.text(want) {
            None => Ok(None),
            Some(text) => match parse_count(text) {
                None => Err(bad(text, "is not a non-negative integer")),
                Some(n) if n > MAX_ROW_TOKENS => Err(bad(
                    text,
                    "is beyond any real usage row (more than 10^15 tokens)",
                )),
                Some(n) => Ok(Some(n)),
            },
        }
    }

    /// A dollar amount; an empty cell (or no column) is `None`.
    pub fn usd(&self, want: usize) -> Result<Option<Money>, LineProblem> {
        match self.text(want) {
            None => Ok(None),
            Some(text) => parse_usd(text).map(Some).map_err(|why| {
                LineProblem::new(
                    SkipReason::BadField,
                    format!("field \"{}\": `{text}` {why}", self.name(want)),
                )
            }),
        }
    }

    /// A required time.
    pub fn time(&self, want: usize) -> Result<DateTime<Utc>, LineProblem> {
        let text = self.text(want).ok_or_else(|| {
            LineProblem::new(
                SkipReason::BadTimestamp,
                format!("field \"{}\": empty (required)", self.name(want)),
            )
        })?;
        parse_when(text).ok_or_else(|| {
            LineProblem::new(
                SkipReason::BadTimestamp,
                format!(
                    "field \"{}\": `{text}` is not a date, an RFC 3339 time or Unix epoch seconds",
                    self.name(want)
                ),
            )
        })
    }

    /// A yes/no cell (`true`, `True`, `1`, `yes`…); `None` when empty or
    /// not recognised.
    pub fn flag(&self, want: usize) -> Option<bool> {
        self.text(want).and_then(parse_bool)
    }

    /// Whether the currency column, if any, says USD; a Problem otherwise.
    pub fn check_usd(&self, want: usize) -> Result<(), LineProblem> {
        match self.text(want) {
            Some(c) if !c.eq_ignore_ascii_case("usd") => Err(LineProblem::new(
                SkipReason::BadField,
                format!(
                    "field \"{}\": currency `{c}`; only USD amounts can be compared",
                    self.name(want)
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// A non-negative integer: `1234`, `1,234,567` (grouped thousands) or an
/// integer-valued `12.0`.
pub fn parse_count(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits: String = if text.contains(',') {
        let mut groups = text.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut out = first.to_string();
        for g in groups {
            let whole = g.split_once('.').map_or(g, |(w, _)| w);
            if whole.len() != 3 {
                return None;
            }
            out.push_str(g);
        }
        out
    } else {
        text.to_string()
    };
    let whole = match digits.split_once('.') {
        Some((w, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => w,
        Some(_) => return None,
        None => digits.as_str(),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole.parse().ok()
}

/// Femto-dollars in one dollar, as a power of ten.
const FEMTO_DIGITS: i32 = 15;

/// A non-negative dollar amount, exactly, in femto-dollars: `0.00041775`,
/// `$1,234.50`, `1.2e-05`. Digits beyond the 15th decimal (float noise
/// such as `0.30000000000000004`) are rounded half up.
pub fn parse_usd(text: &str) -> Result<Money, String> {
    let mut t = text.trim();
    if t.starts_with('-') {
        return Err("is negative".to_string());
    }
    t = t.strip_prefix('+').unwrap_or(t);
    t = t.strip_prefix('$').unwrap_or(t).trim();
    let not_number = || "is not a dollar amount".to_string();
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => {
            let exp: i32 = t[i + 1..].parse().map_err(|_| not_number())?;
            (&t[..i], exp)
        }
        None => (t, 0),
    };
    let mantissa = if mantissa.contains(',') {
        // Grouped thousands only: 1,234.50
        let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut groups = whole.split(',');
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 || groups.clone().any(|g| g.len() != 3) {
            return Err(not_number());
        }
        let joined: String = whole.split(',').collect();
        if frac.is_empty() && !mantissa.contains('.') {
            joined
        } else {
            format!("{joined}.{frac}")
        }
    } else {
        mantissa.to_string()
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((&mantissa, ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(not_number());
    }
    let digits = format!("{whole}{frac}");
    let digits = digits.trim_start_matches('0');
    // value = digits × 10^(exponent − len(frac)); in femto: × 10^(15 + that).
    let shift = FEMTO_DIGITS + exponent - frac.len() as i32;
    if digits.is_empty() {
        return Ok(Money::ZERO);
    }
    let too_large = || "is too large".to_string();
    if shift >= 0 {
        if digits.len() as i32 + shift > 36 {
            return Err(too_large());
        }
        let n: i128 = digits.parse().map_err(|_| too_large())?;
        Ok(Money(n * 10i128.pow(shift as u32)))
    } else {
        let cut = (-shift) as usize;
        if cut > digits.len() {
            // Below a tenth of a femto-dollar.
            return Ok(Money::ZERO);
        }
        let (keep, dropped) = digits.split_at(digits.len() - cut);
        if keep.len() > 36 {
            return Err(too_large());
        }
        let n: i128 = if keep.is_empty() {
            0
        } else {
            keep.parse().map_err(|_| too_large())?
        };
        let round_up = dropped.as_bytes().first().is_some_and(|d| *d >= b'5');
        Ok(Money(n + i128::from(round_up)))
    }
}

/// A time as exports write it: RFC 3339 (`T` or a space, any offset), a
/// zone-less `2026-03-01 12:00:00.123` (read as UTC), `+00`-style offsets,
/// a trailing ` UTC`, a bare date (midnight UTC), or Unix epoch seconds
/// (milliseconds above 10^11).
pub fn parse_when(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') && t.bytes().any(|b| b.is_ascii_digit()) {
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let value: i64 = whole.parse().ok()?;
        let millis = if value < 100_000_000_000 {
            let frac_ms: i64 = format!("{:0<3}", &frac[..frac.len().min(3)])
                .parse()
                .unwrap_or(0);
            value.checked_mul(1000)?.checked_add(frac_ms)?
        } else {
            value
        };
        return match Utc.timestamp_millis_opt(millis) {
            chrono::LocalResult::Single(ts) => Some(ts),
            _ => None,
        };
    }
    if let Some(ts) = super::fields::parse_timestamp(t) {
        return Some(ts);
    }
    let t = t
        .strip_suffix(" UTC")
        .or_else(|| t.strip_suffix("UTC"))
        .unwrap_or(t)
        .trim_end();
    for f in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(ts) = DateTime::parse_from_str(t, f) {
            return Some(ts.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, f) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

/// `true`/`false` as exports spell them.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// A Problem for a token count that exceeds the count it is part of.
pub fn exceeds(part: &str, part_value: u64, whole: &str, whole_value: u64) -> LineProblem {
    LineProblem::new(
        SkipReason::Inconsistent,
        format!("field \"{part}\": {part_value} exceeds {whole} {whole_value} (which includes it)"),
    )
}

/// Largest prompt, in tokens, of a piece of an aggregated row whose
/// requests are not known to be larger: no long-context tier in the catalog
/// starts at or below it (they start above 100k tokens), so a daily sum is
/// not priced as one giant request.
pub const PIECE_PROMPT_TOKENS: u64 = 100_000;

/// Smallest prompt of a piece of a row known to be long-context requests
/// (Anthropic's `context_window` "> 200k"): above every 200k threshold.
pub const LONG_PIECE_PROMPT_TOKENS: u64 = 200_001;

/// How many calls an aggregated row becomes. Pricing is per call (tiers by
/// prompt size), so the row is priced as if every request had the row's
/// mean size: with `requests` known, `min(requests, ceil(prompt / 100k))`
/// pieces (the same tier decisions as `requests` mean-sized calls, fewer of
/// them); without, pieces of at most 100k prompt tokens; for rows of
/// long-context requests, pieces of at least 200,001 prompt tokens.
pub fn pieces(prompt: u64, requests: Option<u64>, long_context: bool) -> u64 {
    if long_context {
        return (prompt / LONG_PIECE_PROMPT_TOKENS).max(1);
    }
    let small = prompt.div_ceil(PIECE_PROMPT_TOKENS).max(1);
    match requests {
        Some(n) if n > 0 => small.min(n),
        _ => small,
    }
}

/// Splits one aggregated call into `n` calls whose token counts (and billed
/// amounts) add up exactly to the original. Prompt sizes differ by at most
/// one token between pieces, and reasoning never exceeds output in a piece.
pub fn spread(call: Call, n: u64) -> Vec<Call> {
    if n <= 1 {
        return vec![call];
    }
    let u = call.usage;
    let mut usages = vec![Usage::default(); n as usize];
    // Prompt fields share one rotating cursor for their remainders, so every
    // piece's prompt is floor or ceil of prompt / n.
    let mut cursor = 0u64;
    type Field = fn(&mut Usage) -> &mut u64;
    let prompt_fields: [(u64, Field); 4] = [
        (u.input, |x| &mut x.input),
        (u.cache_read, |x| &mut x.cache_read),
        (u.cache_write_5m, |x| &mut x.cache_write_5m),
        (u.cache_write_1h, |x| &mut x.cache_write_1h),
    ];
    for (total, field) in prompt_fields {
        let (base, extra) = (total / n, total % n);
        for piece in usages.iter_mut() {
            *field(piece) = base;
        }
        for k in 0..extra {
            *field(&mut usages[((cursor + k) % n) as usize]) += 1;
        }
        cursor = (cursor + extra) % n;
    }
    // Output and reasoning give their remainders to the same first pieces.
    for (total, field) in [
        (u.output, (|x| &mut x.output) as Field),
        (u.reasoning, |x| &mut x.reasoning),
    ] {
        let (base, extra) = (total / n, total % n);
        for (i, piece) in usages.iter_mut().enumerate() {
            *field(piece) = base + u64::from((i as u64) < extra);
        }
    }
    let billed: Vec<Option<Money>> = match call.billed {
        None => vec![None; n as usize],
        Some(Money(total)) => {
            let n = n as i128;
            let (base, extra) = (total / n, total % n);
            (0..n)
                .map(|i| Some(Money(base + i128::from(i < extra))))
                .collect()
        }
    };
    // The requests the row counts, shared out as evenly (at least one a
    // piece: there are never more pieces than requests); so are its tool
    // uses, which are billed per use.
    let share = |total: u64, i: usize| total / n + u64::from((i as u64) < total % n);
    usages
        .into_iter()
        .zip(billed)
        .enumerate()
        .map(|(i, (usage, billed))| {
            let mut options = call.options.clone();
            for uses in options.tool_uses.values_mut() {
                *uses = share(*uses, i);
            }
            options.tool_uses.retain(|_, uses| *uses > 0);
            Call {
                usage,
                billed,
                requests: share(call.requests, i).max(1),
                options,
                ..call.clone()
            }
        })
        .collect()
}

/// An aggregated row as calls: one, or several from [`pieces`].
/// The row counts as `requests` calls when the export says how many, else as
/// one per piece.
pub fn aggregate(mut call: Call, requests: Option<u64>, long_context: bool) -> Parsed {
    let n = pieces(call.usage.prompt_tokens(), requests, long_context);
    call.requests = match requests {
        Some(r) if r >= n => r,
        _ => n,
    };
    // Beyond a few thousand pieces the row stays one record: pricing takes
    // the tier of its mean request (prompt ÷ requests, at most a piece's
    // size), the same decision every piece would get, without holding a
    // call per piece (a row of u64::MAX tokens would need petabytes).
    if n <= 1 || n > MAX_PIECES {
        Parsed::call(call)
    } else {
        Parsed::Calls(spread(call, n))
    }
}

/// Most tokens of one kind an export row may count: a quadrillion tokens
/// is billions of dollars, far beyond any real row.
pub const MAX_ROW_TOKENS: u64 = 1_000_000_000_000_000;

/// Most calls one aggregated row is split into.
const MAX_PIECES: u64 = 4096;

/// Most pieces one session roll-up may become.
const MAX_ROLLUP_PIECES: u64 = 100_000;

/// A session roll-up (an agent that logs only per-session totals) as
/// copies of one record that several files may hold: priced like an
/// aggregated row ([`aggregate`], pieces of at most 100k prompt tokens),
/// each piece keyed by `key` and its index, so that every piece of the
/// highest-ranked copy wins, even over a smaller copy cut into fewer
/// pieces.
pub fn rollup_copies(call: Call, key: &str, rank: u64) -> Parsed {
    // Ten billion prompt tokens in one session is not a real log: refuse
    // it rather than make 100k+ pieces in memory.
    let prompt = call.usage.prompt_tokens();
    if pieces(prompt, None, false) > MAX_ROLLUP_PIECES {
        return Parsed::Problem(LineProblem::new(
            SkipReason::BadTokenCount,
            format!(
                "session roll-up of {prompt} prompt tokens is beyond any real session (more than {} tokens)",
                MAX_ROLLUP_PIECES * PIECE_PROMPT_TOKENS
            ),
        ));
    }
    let calls = match aggregate(call, None, false) {
        Parsed::Call(c) => vec![*c],
        Parsed::Calls(cs) => cs,
        other => return other,
    };
    Parsed::Copies(
        calls
            .into_iter()
            .enumerate()
            .map(|(i, c)| (c, CopyOf::new(&format!("{key}\u{0}{i}"), rank)))
            .collect(),
    )
}

/// A model name as exports write it: display names (`Claude Sonnet 4.5`)
/// become ids (`claude-sonnet-4-5`); ids are kept as they are.
pub fn model_id(text: &str) -> String {
    let t = text.trim();
    if t.contains(' ') {
        t.split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .to_lowercase()
            .replace('.', "-")
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_header_names() {
        assert_eq!(normalise("usage_date_utc"), "usage_date_utc");
        assert_eq!(normalise("Usage Date (UTC)"), "usage_date_utc");
        assert_eq!(normalise("\u{feff} startTime "), "start_time");
        assert_eq!(normalise("custom_llm_provider"), "custom_llm_provider");
        assert_eq!(
            normalise("Input Tokens - Cache Write 5m"),
            "input_tokens_cache_write_5m"
        );
        assert_eq!(normalise("cost ($)"), "cost");
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("1234"), Some(1234));
        assert_eq!(parse_count(" 1,234,567 "), Some(1_234_567));
        assert_eq!(parse_count("12.0"), Some(12));
        assert_eq!(parse_count("12.5"), None);
        assert_eq!(parse_count("-5"), None);
        assert_eq!(parse_count("1,23"), None);
        assert_eq!(parse_count("abc"), None);
        assert_eq!(parse_count(""), None);
    }

    #[test]
    fn dollars_are_exact() {
        assert_eq!(parse_usd("0.00041775"), Ok(Money(417_750_000_000)));
        assert_eq!(parse_usd("$1,234.50"), Ok(Money(1_234_500_000_000_000_000)));
        assert_eq!(parse_usd("12"), Ok(Money(12_000_000_000_000_000)));
        assert_eq!(parse_usd("1.2e-05"), Ok(Money(12_000_000_000)));
        assert_eq!(parse_usd("1E+2"), Ok(Money(100_000_000_000_000_000)));
        assert_eq!(
            parse_usd("0.30000000000000004"),
            Ok(Money(300_000_000_000_000))
        );
        assert_eq!(parse_usd("0.0000000000000005"), Ok(Money(1)));
        assert_eq!(parse_usd("0.0000000000000004"), Ok(Money(0)));
        assert_eq!(parse_usd("0"), Ok(Money(0)));
        assert_eq!(parse_usd(".5"), Ok(Money(500_000_000_000_000)));
        assert!(parse_usd("-0.01").is_err());
        assert!(parse_usd("abc").is_err());
        assert!(parse_usd("").is_err());
        assert!(parse_usd("1,23.4").is_err());
    }

    #[test]
    fn times_in_export_spellings() {
        let want = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        for t in [
            "2026-03-02T09:00:00Z",
            "2026-03-02 09:00:00",
            "2026-03-02 09:00:00.000",
            "2026-03-02 09:00:00+00",
            "2026-03-02 10:00:00+01:00",
            "2026-03-02 09:00:00 UTC",
            "1772442000",
            "1772442000000",
        ] {
            assert_eq!(parse_when(t), Some(want), "{t}");
        }
        assert_eq!(
            parse_when("2026-03-02"),
            Some(Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap())
        );
        assert_eq!(parse_when("yesterday"), None);
        assert_eq!(parse_when("2026-13-02"), None);
    }

    #[test]
    fn header_and_rows() {
        let wants = [
            need("model", &["model_version", "model"]),
            need("output", &["usage_output_tokens", "output_tokens"]),
            may("cost", &["cost_usd"]),
        ];
        let h = Header::read(b"Model,\"Output Tokens\",note", &wants);
        assert_eq!(h.at(0), Some(0));
        assert_eq!(h.at(1), Some(1));
        assert_eq!(h.at(2), None);
        let row = h.row(b"gpt-5,\"1,200\",\"a, b\"").unwrap();
        assert_eq!(row.text(0), Some("gpt-5"));
        assert_eq!(row.count(1).unwrap(), Some(1200));
        assert_eq!(row.usd(2).unwrap(), None);
        assert_eq!(
            h.row(b"gpt-5,1").err().unwrap().reason,
            SkipReason::Truncated
        );
        assert_eq!(
            h.row(b"gpt-5,\"1").err().unwrap().reason,
            SkipReason::Truncated
        );
        assert_eq!(
            h.row(b"gpt-5,1,2,3").err().unwrap().reason,
            SkipReason::BadField
        );
        let e = h.row(b"gpt-5,-5,x").ok().unwrap().count(1).unwrap_err();
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        assert!(e.message.contains("\"Output Tokens\""), "{}", e.message);

        let h = Header::read(b"model,other,more", &wants);
        let e = h.row(b"gpt-5,1,2").err().unwrap();
        assert_eq!(e.reason, SkipReason::MissingField);
        assert!(e.message.contains("\"output\""), "{}", e.message);
    }

    fn call(usage: Usage, billed: Option<Money>) -> Call {
        Call {
            account: "a".into(),
            billed,
            ..Call::new(
                Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
                "m".into(),
                usage,
            )
        }
    }

    #[test]
    fn pieces_follow_request_sizes() {
        assert_eq!(pieces(0, None, false), 1);
        assert_eq!(pieces(100_000, None, false), 1);
        assert_eq!(pieces(100_001, None, false), 2);
        assert_eq!(pieces(1_200_000, None, false), 12);
        // 3 requests of 400k each: three pieces, each as large as a request.
        assert_eq!(pieces(1_200_000, Some(3), false), 3);
        assert_eq!(pieces(1_200_000, Some(1000), false), 12);
        assert_eq!(pieces(1_200_000, None, true), 5);
        assert_eq!(pieces(300_000, None, true), 1);
    }

    #[test]
    fn spread_keeps_every_token_and_cent() {
        let usage = Usage {
            input: 1_000_003,
            cache_read: 7,
            cache_write_5m: 5,
            cache_write_1h: 2,
            output: 13,
            reasoning: 13,
        };
        let billed = Money(1_000_000_000_000_007);
        let mut row = call(usage, Some(billed));
        row.options.add_tool_uses("web_search", 13);
        let parts = spread(row, 11);
        assert_eq!(parts.len(), 11);
        // Tool uses are billed per use: shared out, not copied.
        let searches: Vec<u64> = parts
            .iter()
            .map(|c| c.options.tool_uses.get("web_search").copied().unwrap_or(0))
            .collect();
        assert_eq!(searches.iter().sum::<u64>(), 13);
        assert_eq!(searches[0], 2);
        let sum = |f: fn(&Usage) -> u64| parts.iter().map(|c| f(&c.usage)).sum::<u64>();
        assert_eq!(sum(|u| u.input), usage.input);
        assert_eq!(sum(|u| u.cache_read), usage.cache_read);
        assert_eq!(sum(|u| u.cache_write_5m), usage.cache_write_5m);
        assert_eq!(sum(|u| u.cache_write_1h), usage.cache_write_1h);
        assert_eq!(sum(|u| u.output), usage.output);
        assert_eq!(sum(|u| u.reasoning), usage.reasoning);
        assert_eq!(
            parts.iter().map(|c| c.billed.unwrap().0).sum::<i128>(),
            billed.0
        );
        let prompts: Vec<u64> = parts.iter().map(|c| c.usage.prompt_tokens()).collect();
        let (lo, hi) = (prompts.iter().min().unwrap(), prompts.iter().max().unwrap());
        assert!(hi - lo <= 1, "{prompts:?}");
        assert!(parts.iter().all(|c| c.usage.reasoning <= c.usage.output));
        assert!(*hi <= usage.prompt_tokens().div_ceil(11));
    }

    #[test]
    fn display_names_become_ids() {
        assert_eq!(model_id("Claude Sonnet 4.5"), "claude-sonnet-4-5");
        assert_eq!(
            model_id("claude-sonnet-4-5-20250929"),
            "claude-sonnet-4-5-20250929"
        );
        assert_eq!(model_id(" openai/gpt-5.1 "), "openai/gpt-5.1");
    }
}
