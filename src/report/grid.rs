//! A plain grid of text cells and its table, markdown and CSV renderings.

use std::io::{self, Write};

use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};

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

/// A boxed text table. Columns never wrap, so the output does not depend on
/// the terminal it is printed on.
pub fn write_table(grid: &Grid, out: &mut dyn Write) -> io::Result<()> {
    let grid = &*grid.for_display();
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(grid.headers.iter().map(Cell::new));
    let cells = |row: &Vec<String>| -> Vec<Cell> {
        row.iter()
            .zip(&grid.align)
            .map(|(text, align)| {
                Cell::new(printable(text)).set_alignment(match align {
                    Align::Left => CellAlignment::Left,
                    Align::Right => CellAlignment::Right,
                })
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
    writeln!(out, "{table}")
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

/// A GitHub-flavoured markdown table; the footer row is bold.
pub fn write_markdown(grid: &Grid, out: &mut dyn Write) -> io::Result<()> {
    let grid = &*grid.for_display();
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
}
