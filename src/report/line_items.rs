//! `--line-items FILE`: one row per priced call per scenario, for keeping
//! history in DuckDB, Spark or a spreadsheet. Parquet when the file name ends
//! in `.parquet`, CSV otherwise. Rows are written as the calls are priced, in
//! time order (within a batch of calls, scenario by scenario), so memory does
//! not grow with the input and the same input always gives the same file.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use polars::prelude::{Column, DataFrame, IntoColumn, NamedFrom, PolarsError, Series};
use polars_io::parquet::write::{BatchedWriter, ParquetWriter};

use crate::money::Money;
use crate::pricing::ClassCosts;
use crate::record::Usage;

/// One model call priced under one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    /// Index into [`LineItems::scenarios`].
    pub scenario: u32,
    pub ts: DateTime<Utc>,
    pub account: String,
    pub session: Option<String>,
    pub call_id: Option<String>,
    /// The model the log names (catalog id when priced).
    pub recorded_model: String,
    /// The model the scenario sent the call to.
    pub model: String,
    pub batch: bool,
    pub tags: BTreeMap<String, String>,
    pub usage: Usage,
    /// `None` when the model is not in the catalog.
    pub costs: Option<ClassCosts>,
}

#[derive(Debug, thiserror::Error)]
pub enum LineItemsError {
    #[error("--line-items {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("--line-items {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("--line-items {path}: {source}")]
    Parquet { path: PathBuf, source: PolarsError },
}

/// Column names, shared by both formats.
const COLUMNS: [&str; 24] = [
    "scenario",
    "ts",
    "ts_unix_ms",
    "account",
    "session",
    "call_id",
    "recorded_model",
    "model",
    "batch",
    "tags",
    "input_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "output_tokens",
    "reasoning_tokens",
    "input_usd",
    "cache_write_usd",
    "cache_read_usd",
    "output_usd",
    "tools_usd",
    "cost_usd",
    "cost_nano_usd",
    "cost_femto_usd",
];

/// Rows per Parquet row group (and per DataFrame built at a time).
const ROW_GROUP: usize = 64 * 1024;

fn tags_json(tags: &BTreeMap<String, String>) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "{}".to_string())
}

fn timestamp(ts: &DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Millis, true)
}

enum Output {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Parquet {
        writer: Box<BatchedWriter<BufWriter<File>>>,
        /// Rows waiting for a full row group.
        pending: Vec<LineItem>,
    },
}

/// Writes line items to a file as they come.
pub struct LineItemsWriter {
    path: PathBuf,
    /// Scenario names; row `scenario` indexes this (0 is the calls as recorded).
    scenarios: Vec<String>,
    output: Output,
    rows: u64,
}

impl LineItemsWriter {
    /// Creates `path` (Parquet if it ends in `.parquet`, else CSV).
    pub fn create(path: &Path, scenarios: Vec<String>) -> Result<Self, LineItemsError> {
        let io_error = |source| LineItemsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = BufWriter::new(File::create(path).map_err(io_error)?);
        let parquet = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        let output = if parquet {
            let schema = frame(&scenarios, &[]).map_err(|source| LineItemsError::Parquet {
                path: path.to_path_buf(),
                source,
            })?;
            let writer = ParquetWriter::new(file)
                .batched(schema.schema())
                .map_err(|source| LineItemsError::Parquet {
                    path: path.to_path_buf(),
                    source,
                })?;
            Output::Parquet {
                writer: Box::new(writer),
                pending: Vec::new(),
            }
        } else {
            let mut w = csv::Writer::from_writer(file);
            w.write_record(COLUMNS)
                .map_err(|source| LineItemsError::Csv {
                    path: path.to_path_buf(),
                    source,
                })?;
            Output::Csv(Box::new(w))
        };
        Ok(LineItemsWriter {
            path: path.to_path_buf(),
            scenarios,
            output,
            rows: 0,
        })
    }

    pub fn write(&mut self, rows: Vec<LineItem>) -> Result<(), LineItemsError> {
        self.rows += rows.len() as u64;
        match &mut self.output {
            Output::Csv(w) => {
                for r in &rows {
                    csv_row(w, &self.scenarios, r).map_err(|source| LineItemsError::Csv {
                        path: self.path.clone(),
                        source,
                    })?;
                }
            }
            Output::Parquet { writer, pending } => {
                pending.extend(rows);
                if pending.len() >= ROW_GROUP {
                    let df = frame(&self.scenarios, pending).and_then(|df| writer.write_batch(&df));
                    pending.clear();
                    df.map_err(|source| LineItemsError::Parquet {
                        path: self.path.clone(),
                        source,
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Writes what is left and closes the file; returns the rows written.
    pub fn finish(self) -> Result<u64, LineItemsError> {
        let path = self.path;
        match self.output {
            Output::Csv(mut w) => w
                .flush()
                .map_err(|source| LineItemsError::Io { path, source })?,
            Output::Parquet {
                mut writer,
                pending,
            } => {
                let done = (|| {
                    if !pending.is_empty() {
                        writer.write_batch(&frame(&self.scenarios, &pending)?)?;
                    }
                    writer.finish()
                })();
                done.map_err(|source| LineItemsError::Parquet { path, source })?;
            }
        }
        Ok(self.rows)
    }
}

fn csv_row(
    w: &mut csv::Writer<BufWriter<File>>,
    scenarios: &[String],
    r: &LineItem,
) -> Result<(), csv::Error> {
    let money = |m: Option<Money>| m.map_or_else(String::new, |m| m.to_decimal_string(9));
    let c = r.costs;
    let text = crate::report::csv_cell;
    w.write_record([
        &*text(&scenarios[r.scenario as usize]),
        &timestamp(&r.ts),
        &r.ts.timestamp_millis().to_string(),
        &text(&r.account),
        &text(r.session.as_deref().unwrap_or("")),
        &text(r.call_id.as_deref().unwrap_or("")),
        &text(&r.recorded_model),
        &text(&r.model),
        if r.batch { "true" } else { "false" },
        &tags_json(&r.tags),
        &r.usage.input.to_string(),
        &r.usage.cache_write_5m.to_string(),
        &r.usage.cache_write_1h.to_string(),
        &r.usage.cache_read.to_string(),
        &r.usage.output.to_string(),
        &r.usage.reasoning.to_string(),
        &money(c.map(|c| c.input)),
        &money(c.map(|c| c.cache_write)),
        &money(c.map(|c| c.cache_read)),
        &money(c.map(|c| c.output)),
        &money(c.map(|c| c.tools)),
        &money(c.map(|c| c.total())),
        &c.and_then(|c| nano_usd(c.total()))
            .map_or_else(String::new, |n| n.to_string()),
        &c.map_or_else(String::new, |c| c.total().femto().to_string()),
    ])
}

/// A call's cost in nano-dollars (half away from zero), the column to sum:
/// as Int64 it sums to $9.2 billion without overflowing (femto-dollars would
/// overflow a 64-bit sum at $9,223), and 10M calls' rounding stays under half
/// a cent. `None` for a cost past $9.2 billion (no real call).
fn nano_usd(cost: Money) -> Option<i64> {
    i64::try_from(cost.round_to(9)).ok()
}

/// A chunk of rows as a DataFrame. Money is Float64 USD per class (rounded
/// to micro-dollars is not enough for one call, so these are unrounded),
/// the total as Int64 nano-dollars (to sum) and exactly, as femto-dollar
/// text (a 128-bit integer has no Parquet type polars writes here).
fn frame(scenarios: &[String], rows: &[LineItem]) -> Result<DataFrame, PolarsError> {
    let usd = |f: &dyn Fn(&ClassCosts) -> Money| -> Vec<Option<f64>> {
        rows.iter()
            .map(|r| r.costs.as_ref().map(|c| f(c).femto() as f64 / 1e15))
            .collect()
    };
    let tokens =
        |f: &dyn Fn(&Usage) -> u64| -> Vec<u64> { rows.iter().map(|r| f(&r.usage)).collect() };
    let text = |f: &dyn Fn(&LineItem) -> String| -> Vec<String> { rows.iter().map(f).collect() };
    let columns: Vec<Column> = vec![
        Series::new(
            COLUMNS[0].into(),
            text(&|r| scenarios[r.scenario as usize].clone()),
        )
        .into_column(),
        Series::new(COLUMNS[1].into(), text(&|r| timestamp(&r.ts))).into_column(),
        Series::new(
            COLUMNS[2].into(),
            rows.iter()
                .map(|r| r.ts.timestamp_millis())
                .collect::<Vec<i64>>(),
        )
        .into_column(),
        Series::new(COLUMNS[3].into(), text(&|r| r.account.clone())).into_column(),
        Series::new(
            COLUMNS[4].into(),
            rows.iter()
                .map(|r| r.session.clone())
                .collect::<Vec<Option<String>>>(),
        )
        .into_column(),
        Series::new(
            COLUMNS[5].into(),
            rows.iter()
                .map(|r| r.call_id.clone())
                .collect::<Vec<Option<String>>>(),
        )
        .into_column(),
        Series::new(COLUMNS[6].into(), text(&|r| r.recorded_model.clone())).into_column(),
        Series::new(COLUMNS[7].into(), text(&|r| r.model.clone())).into_column(),
        Series::new(
            COLUMNS[8].into(),
            rows.iter().map(|r| r.batch).collect::<Vec<bool>>(),
        )
        .into_column(),
        Series::new(COLUMNS[9].into(), text(&|r| tags_json(&r.tags))).into_column(),
        Series::new(COLUMNS[10].into(), tokens(&|u| u.input)).into_column(),
        Series::new(COLUMNS[11].into(), tokens(&|u| u.cache_write_5m)).into_column(),
        Series::new(COLUMNS[12].into(), tokens(&|u| u.cache_write_1h)).into_column(),
        Series::new(COLUMNS[13].into(), tokens(&|u| u.cache_read)).into_column(),
        Series::new(COLUMNS[14].into(), tokens(&|u| u.output)).into_column(),
        Series::new(COLUMNS[15].into(), tokens(&|u| u.reasoning)).into_column(),
        Series::new(COLUMNS[16].into(), usd(&|c| c.input)).into_column(),
        Series::new(COLUMNS[17].into(), usd(&|c| c.cache_write)).into_column(),
        Series::new(COLUMNS[18].into(), usd(&|c| c.cache_read)).into_column(),
        Series::new(COLUMNS[19].into(), usd(&|c| c.output)).into_column(),
        Series::new(COLUMNS[20].into(), usd(&|c| c.tools)).into_column(),
        Series::new(COLUMNS[21].into(), usd(&|c| c.total())).into_column(),
        Series::new(
            COLUMNS[22].into(),
            rows.iter()
                .map(|r| r.costs.and_then(|c| nano_usd(c.total())))
                .collect::<Vec<Option<i64>>>(),
        )
        .into_column(),
        Series::new(
            COLUMNS[23].into(),
            rows.iter()
                .map(|r| r.costs.map(|c| c.total().femto().to_string()))
                .collect::<Vec<Option<String>>>(),
        )
        .into_column(),
    ];
    DataFrame::new(rows.len(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenarios() -> Vec<String> {
        vec!["as-recorded".into(), "cache-off".into()]
    }

    fn item() -> LineItem {
        LineItem {
            scenario: 1,
            ts: "2026-01-05T10:00:00Z".parse().unwrap(),
            account: "default".into(),
            session: Some("s1".into()),
            call_id: None,
            recorded_model: "gpt-5".into(),
            model: "gpt-5-mini".into(),
            batch: false,
            tags: BTreeMap::from([("team".to_string(), "search".to_string())]),
            usage: Usage {
                input: 1000,
                output: 10,
                ..Usage::default()
            },
            costs: Some(ClassCosts {
                input: Money(250_000_000_000),
                output: Money(20_000_000_000),
                ..ClassCosts::default()
            }),
        }
    }

    #[test]
    fn csv_has_one_row_per_item_with_exact_money() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("items.csv");
        let mut w = LineItemsWriter::create(&path, scenarios()).unwrap();
        w.write(vec![item()]).unwrap();
        assert_eq!(w.finish().unwrap(), 1);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("scenario,ts,ts_unix_ms,"));
        assert_eq!(
            lines[1],
            "cache-off,2026-01-05T10:00:00.000Z,1767607200000,default,s1,,gpt-5,gpt-5-mini,false,\
             \"{\"\"team\"\":\"\"search\"\"}\",1000,0,0,0,10,0,0.000250000,0.000000000,0.000000000,\
             0.000020000,0.000000000,0.000270000,270000,270000000000"
        );
    }

    #[test]
    fn nano_dollars_round_half_away_from_zero() {
        assert_eq!(nano_usd(Money(1_499_999)), Some(1));
        assert_eq!(nano_usd(Money(1_500_000)), Some(2));
        assert_eq!(nano_usd(Money(-1_500_000)), Some(-2));
        // $9,223 in femto-dollars overflows i64; in nano-dollars it fits.
        let big = Money(9_300 * crate::money::FEMTO_PER_USD);
        assert!(i64::try_from(big.femto()).is_err());
        assert_eq!(nano_usd(big), Some(9_300_000_000_000));
        assert_eq!(nano_usd(Money(i128::MAX)), None);
    }

    #[test]
    fn frame_has_every_column() {
        let df = frame(&scenarios(), &[item()]).unwrap();
        assert_eq!(df.width(), COLUMNS.len());
        assert_eq!(df.height(), 1);
        assert_eq!(frame(&scenarios(), &[]).unwrap().width(), COLUMNS.len());
    }
}
