//! A plain grid of text cells and its table, markdown and CSV renderings.

use std::io::{self, Write};

use std::cell::Cell as StdCell;

use comfy_table::{presets, Cell, CellAlignment, Color, ContentArrangement, Table};

use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Rows of text cells under a header, with an optional footer (the total).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub headers: Vec<String>,
    pub align: Vec<Align>,
    pub rows: Vec<Vec<String>>,
    pub footer: Option<Vec<String>>,
}

impl Grid {
    pub fn new(headers: Vec<String>, align: Vec<Align>) -> Self {
        debug_assert_eq!(headers.len(), align.len());
        Grid {
            headers,
            align,
            rows: Vec::new(),
            footer: None,
        }
    }

    /// Columns titled `titles`: the first `left` aligned left (names), the
    /// rest right (numbers).
    pub fn titled(titles: &[&str], left: usize) -> Self {
        let align = (0..titles.len())
            .map(|i| if i < left { Align::Left } else { Align::Right })
            .collect();
        Grid::new(titles.iter().map(|t| t.to_string()).collect(), align)
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    pub fn set_footer(&mut self, row: Vec<String>) {
        self.footer = Some(row);
    }

    /// The grid as printed: exact amounts in its cells (written by
    /// [`Money::exact_usd`]) rounded to one precision per column, four
    /// decimals where the column holds an amount under a dollar, else two;
    /// not `$5.63` above `$0.3274`.
    pub fn for_display(&self) -> std::borrow::Cow<'_, Grid> {
        // Each cell's amounts, found once: rows, then the footer.
        let found: Vec<Vec<_>> = self
            .rows
            .iter()
            .chain(&self.footer)
            .map(|row| row.iter().map(|cell| exact_amounts(cell)).collect())
            .collect();
        if found.iter().flatten().all(Vec::is_empty) {
            return std::borrow::Cow::Borrowed(self);
        }
        let places: Vec<u32> = (0..self.headers.len())
            .map(|column| {
                Money::places_for(
                    found
                        .iter()
                        .flat_map(|row| row[column].iter().map(|(m, _)| *m)),
                )
            })
            .collect();
        let mut grid = self.clone();
        let rows = grid.rows.iter_mut().chain(grid.footer.as_mut());
        for (row, amounts) in rows.zip(found) {
            for ((cell, amounts), places) in row.iter_mut().zip(amounts).zip(&places) {
                // Replaced from the end, so earlier positions stay valid.
                for (amount, range) in amounts.into_iter().rev() {
                    cell.replace_range(range, &amount.abs().display_usd_places(*places));
                }
            }
        }
        std::borrow::Cow::Owned(grid)
    }
}

/// The exact amounts in `cell` (see [`Money::exact_usd`]) with where their
/// digits stand (a sign before the `$` stays as written).
fn exact_amounts(cell: &str) -> Vec<(Money, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    for (at, _) in cell.match_indices('$') {
        if let Some((amount, len)) = Money::parse_exact_usd(&cell[at..]) {
            let negative = cell[..at].ends_with('-');
            let amount = if negative {
                Money(-amount.femto())
            } else {
                amount
            };
            found.push((amount, at..at + len));
        }
    }
    found
}

/// How tables are drawn for whoever reads them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct View {
    /// The terminal's width, when the table goes to one: a wider table
    /// leaves out its least useful columns and says which.
    pub width: Option<usize>,
    /// Colour increases red, savings and passes green, dominant shares
    /// yellow (a terminal, `NO_COLOR` unset).
    pub colour: bool,
    /// Only the columns that matter at a glance (`--compact`).
    pub compact: bool,
}

thread_local! {
    // A command renders on the thread that runs it.
    static VIEW: StdCell<View> = const { StdCell::new(View { width: None, colour: false, compact: false }) };
}

/// Tables drawn from now on, on this thread, show only the columns that
/// matter at a glance (`--compact`: names, calls, cost, share and changes).
pub fn set_compact(on: bool) {
    VIEW.with(|v| {
        v.set(View {
            compact: on,
            ..v.get()
        })
    });
}

/// Runs `write` with tables drawn for a terminal `width` columns wide (when
/// the output is one) and in colour if `colour`.
pub fn with_terminal<R>(width: Option<usize>, colour: bool, write: impl FnOnce() -> R) -> R {
    let before = view();
    VIEW.with(|v| {
        v.set(View {
            width,
            colour,
            ..before
        })
    });
    let result = write();
    VIEW.with(|v| v.set(before));
    result
}

fn view() -> View {
    VIEW.with(StdCell::get)
}

/// How readily a column is left out when room is short (higher first);
/// `None`: never (names, cost, share, changes, anything unknown).
fn drop_rank(header: &str) -> Option<u8> {
    match header {
        "Cache write" | "Cache read" | "Cache written" | "Write premium" => Some(3),
        "Input" | "Output" | "Cache hit rate" | "Tokens" | "Tokens/day" => Some(2),
        "Calls" | "Calls/day" | "Steps" => Some(1),
        _ => None,
    }
}

impl Grid {
    /// Only the columns at `keep` (in order).
    fn columns(&self, keep: &[usize]) -> Grid {
        let pick = |row: &Vec<String>| keep.iter().map(|&i| row[i].clone()).collect();
        Grid {
            headers: pick(&self.headers),
            align: keep.iter().map(|&i| self.align[i]).collect(),
            rows: self.rows.iter().map(pick).collect(),
            footer: self.footer.as_ref().map(pick),
        }
    }

    /// The columns `--compact` keeps.
    fn compact_columns(&self) -> Vec<usize> {
        (0..self.headers.len())
            .filter(|&i| drop_rank(&self.headers[i]).is_none_or(|r| r < 2))
            .collect()
    }
}

/// The colour of a cell in the column titled `header`, if any.
fn colour_of(header: &str, text: &str) -> Option<Color> {
    let t = text.trim();
    match header {
        "vs baseline" | "Change" | "Change %" if t.starts_with('+') => Some(Color::Red),
        "vs baseline" | "Change" | "Change %" if t.starts_with('-') => Some(Color::Green),
        "Result" if t.eq_ignore_ascii_case("pass") => Some(Color::Green),
        "Result" if t.to_ascii_lowercase().starts_with("fail") => Some(Color::Red),
        "Share" => {
            let percent: f64 = t.trim_end_matches('%').parse().ok()?;
            (percent >= 50.0).then_some(Color::Yellow)
        }
        // A cost with its change: `$9.8210 (+74.3%)`.
        _ if t.ends_with("%)") && t.contains("(+") => Some(Color::Red),
        _ if t.ends_with("%)") && t.contains("(-") => Some(Color::Green),
        _ => None,
    }
}

/// A boxed text table. Columns never wrap. Printed to a terminal, a table
/// wider than it leaves out its least useful columns (token counts first)
/// and names them below; files and pipes always get every column, so the
/// same input gives the same bytes there.
pub fn write_table(grid: &Grid, out: &mut dyn Write) -> io::Result<()> {
    let grid = &*grid.for_display();
    let view = view();
    let mut keep: Vec<usize> = if view.compact {
        grid.compact_columns()
    } else {
        (0..grid.headers.len()).collect()
    };
    let mut hidden = Vec::new();
    if let Some(width) = view.width {
        // Widest line, without colour codes.
        let wide = |g: &Grid| {
            render_table(g, false)
                .lines()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0)
        };
        while wide(&grid.columns(&keep)) > width {
            // The most droppable column, the rightmost of equals.
            let Some(at) = (0..keep.len())
                .filter(|&k| drop_rank(&grid.headers[keep[k]]).is_some())
                .max_by_key(|&k| (drop_rank(&grid.headers[keep[k]]), k))
            else {
                break;
            };
            hidden.push(grid.headers[keep.remove(at)].clone());
        }
    }
    writeln!(out, "{}", render_table(&grid.columns(&keep), view.colour))?;
    if !hidden.is_empty() {
        writeln!(out, "(hidden to fit the terminal: {})", hidden.join(", "))?;
    }
    Ok(())
}

fn render_table(grid: &Grid, colour: bool) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(grid.headers.iter().map(Cell::new));
    if colour {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    let cells = |row: &Vec<String>| -> Vec<Cell> {
        row.iter()
            .zip(&grid.align)
            .zip(&grid.headers)
            .map(|((text, align), header)| {
                let cell = Cell::new(printable(text)).set_alignment(match align {
                    Align::Left => CellAlignment::Left,
                    Align::Right => CellAlignment::Right,
                });
                match colour_of(header, text).filter(|_| colour) {
                    Some(c) => cell.fg(c),
                    None => cell,
                }
            })
            .collect()
    };
    for row in &grid.rows {
        table.add_row(cells(row));
    }
    if let Some(footer) = &grid.footer {
        table.add_row(cells(footer));
    }
    for (i, column) in table.column_iter_mut().enumerate() {
        if grid.align.get(i) == Some(&Align::Right) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

/// Text from logs as a terminal may show it: control characters (escape
/// sequences, carriage returns, new lines) become U+FFFD, so a log field
/// cannot move the cursor, recolour the screen or break a table's rows.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| if c.is_control() { REPLACEMENT } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

const REPLACEMENT: char = '\u{fffd}';

/// Escapes the characters that would break a markdown table cell or line.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '*' | '_' | '`' | '\\' | '<' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push(REPLACEMENT),
            _ => out.push(c),
        }
    }
    out
}

/// A GitHub-flavoured markdown table; the footer row is bold. Every
/// column, unless `--compact`.
pub fn write_markdown(grid: &Grid, out: &mut dyn Write) -> io::Result<()> {
    let shown = grid.for_display();
    let compact;
    let grid = if view().compact {
        compact = shown.columns(&shown.compact_columns());
        &compact
    } else {
        &*shown
    };
    let line = |cells: &[String]| -> String {
        let inner: Vec<String> = cells.iter().map(|c| escape_markdown(c)).collect();
        format!("| {} |", inner.join(" | "))
    };
    writeln!(out, "{}", line(&grid.headers))?;
    let rule: Vec<&str> = grid
        .align
        .iter()
        .map(|a| match a {
            Align::Left => ":---",
            Align::Right => "---:",
        })
        .collect();
    writeln!(out, "| {} |", rule.join(" | "))?;
    for row in &grid.rows {
        writeln!(out, "{}", line(row))?;
    }
    if let Some(footer) = &grid.footer {
        let bold: Vec<String> = footer
            .iter()
            .map(|c| {
                if c.is_empty() {
                    String::new()
                } else {
                    format!("**{}**", escape_markdown(c))
                }
            })
            .collect();
        writeln!(out, "| {} |", bold.join(" | "))?;
    }
    Ok(())
}

/// RFC 4180 CSV with a header row; the footer is left out (a reader can sum).
pub fn write_csv(grid: &Grid, out: &mut dyn Write) -> io::Result<()> {
    let grid = &*grid.for_display();
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&grid.headers)?;
    for row in &grid.rows {
        let cells: Vec<_> = row.iter().map(|c| super::csv_cell(c)).collect();
        writer.write_record(cells.iter().map(|c| c.as_bytes()))?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Grid {
        let mut g = Grid::new(
            vec!["Model".into(), "Cost".into()],
            vec![Align::Left, Align::Right],
        );
        g.push(vec!["a|b".into(), "$1.00".into()]);
        g.set_footer(vec!["Total".into(), "$1.00".into()]);
        g
    }

    #[test]
    fn a_money_column_has_one_precision() {
        let usd = |femto: i128| Money(femto).exact_usd();
        let mut g = Grid::titled(&["Model", "Cost", "Change", "Note"], 1);
        // $5.634999…: rounded from the exact amount, never from $5.63.
        g.push(vec![
            "a".into(),
            usd(5_634_999_999_999_999),
            Money(1_200 * FEMTO).exact_signed_usd(),
            format!("{} (+3.0%)", usd(FEMTO)),
        ]);
        g.push(vec![
            "b".into(),
            usd(327_450_000_000_000),
            Money(-4_200_000_000_000).exact_signed_usd(),
            "n/a".into(),
        ]);
        g.set_footer(vec![
            "Total".into(),
            "(unpriced)".into(),
            usd(0),
            usd(2 * FEMTO),
        ]);
        let shown = g.for_display();
        assert_eq!(
            shown.rows[0],
            ["a", "$5.6350", "+$1,200.0000", "$1.00 (+3.0%)"]
        );
        assert_eq!(shown.rows[1], ["b", "$0.3275", "-$0.0042", "n/a"]);
        assert_eq!(
            shown.footer.as_ref().unwrap(),
            &["Total", "(unpriced)", "$0.0000", "$2.00"]
        );
        // Amounts written for people are left as they are.
        let mut plain = Grid::titled(&["Cost"], 0);
        plain.push(vec!["$5.63".into()]);
        assert!(matches!(plain.for_display(), std::borrow::Cow::Borrowed(_)));
    }

    const FEMTO: i128 = crate::money::FEMTO_PER_USD;

    #[test]
    fn markdown_escapes_pipes_and_bolds_the_total() {
        let mut out = Vec::new();
        write_markdown(&sample(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "| Model | Cost |\n| :--- | ---: |\n| a\\|b | $1.00 |\n| **Total** | **$1.00** |\n"
        );
    }

    #[test]
    fn csv_quotes_when_needed() {
        let mut g = sample();
        g.push(vec!["x,y".into(), "2".into()]);
        let mut out = Vec::new();
        write_csv(&g, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Model,Cost\na|b,$1.00\n\"x,y\",2\n"
        );
    }

    #[test]
    fn table_is_right_aligned_and_boxed() {
        let mut out = Vec::new();
        write_table(&sample(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("│ Total ┆ $1.00 │"), "{text}");
        assert!(text.contains("│ Model ┆  Cost │"), "{text}");
    }

    fn breakdown() -> Grid {
        let mut g = Grid::titled(
            &[
                "Model",
                "Calls",
                "Input",
                "Cache write",
                "Cache read",
                "Output",
                "Cost",
                "Share",
            ],
            1,
        );
        g.push(
            [
                "claude-sonnet-4-5",
                "109",
                "0",
                "744,071",
                "1,757,266",
                "154,467",
                "$5.63",
                "91.5%",
            ]
            .map(String::from)
            .to_vec(),
        );
        g.push(
            [
                "gpt-5-mini",
                "55",
                "45,408",
                "0",
                "127,488",
                "15,241",
                "$0.05",
                "0.7%",
            ]
            .map(String::from)
            .to_vec(),
        );
        g
    }

    fn drawn(width: Option<usize>, colour: bool, compact: bool, grid: &Grid) -> String {
        set_compact(compact);
        let mut out = Vec::new();
        with_terminal(width, colour, || write_table(grid, &mut out)).unwrap();
        set_compact(false);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn tables_fit_the_terminal_compact_or_coloured() {
        let g = breakdown();
        let full = drawn(None, false, false, &g);
        let widest = |t: &str| t.lines().map(|l| l.chars().count()).max().unwrap();
        assert_eq!(widest(&full), 91, "{full}");
        // Cache columns go first, then input and output; names, cost and
        // share never.
        let fitted = drawn(Some(70), false, false, &g);
        assert!(widest(&fitted) <= 70, "{fitted}");
        let titles = fitted.lines().nth(1).unwrap();
        assert!(
            titles.contains("Input") && !titles.contains("Cache read"),
            "{fitted}"
        );
        assert!(
            fitted.ends_with("(hidden to fit the terminal: Cache read, Cache write)\n"),
            "{fitted}"
        );
        let narrow = drawn(Some(10), false, false, &g);
        assert!(
            narrow.contains("claude-sonnet-4-5")
                && narrow.contains("$5.63")
                && narrow.contains("91.5%"),
            "{narrow}"
        );
        assert!(
            !narrow.lines().nth(1).unwrap().contains("Calls"),
            "{narrow}"
        );
        // Wide enough: every column, nothing said.
        assert_eq!(drawn(Some(91), false, false, &g), full);

        let compact = drawn(None, false, true, &g);
        assert!(
            compact.contains("│ Model             ┆ Calls ┆  Cost ┆ Share │"),
            "{compact}"
        );
        assert!(!compact.contains("hidden"), "{compact}");
        let mut md = Vec::new();
        set_compact(true);
        write_markdown(&g, &mut md).unwrap();
        set_compact(false);
        assert!(String::from_utf8(md)
            .unwrap()
            .starts_with("| Model | Calls | Cost | Share |\n"));

        // Colour: a dominant share yellow; none without a terminal.
        let coloured = drawn(Some(200), true, false, &g);
        assert!(coloured.contains("\u{1b}["), "{coloured}");
        assert!(!full.contains('\u{1b}'));
        let mut changes = Grid::titled(&["Scenario", "vs baseline", "Result"], 1);
        changes.push(["a", "+$4.22", "FAIL"].map(String::from).to_vec());
        changes.push(["b", "-$1.00", "pass"].map(String::from).to_vec());
        assert_eq!(colour_of("vs baseline", "+$4.22"), Some(Color::Red));
        assert_eq!(colour_of("vs baseline", "-$1.00"), Some(Color::Green));
        assert_eq!(colour_of("Result", "FAIL"), Some(Color::Red));
        assert_eq!(colour_of("Result", "pass"), Some(Color::Green));
        assert_eq!(colour_of("cache-off", "$9.8210 (+74.3%)"), Some(Color::Red));
        assert_eq!(colour_of("Share", "12.0%"), None);
        assert!(drawn(None, true, false, &changes).contains("\u{1b}["));
    }
}
