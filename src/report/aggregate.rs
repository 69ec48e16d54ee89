//! Group-by sums of priced calls, done by polars.
//!
//! Calls are first summed per group in a hash map (most breakdowns have few
//! groups: that is one lookup per call); when the map holds [`CHUNK_ROWS`]
//! groups its rows are folded into a polars partial aggregate, so memory
//! follows the number of groups, not the number of calls. Partials (from other chunks or other threads) are merged
//! by concatenating them and grouping again: sums are exact integers, so the
//! result does not depend on how the input was split or ordered.

use std::collections::HashMap;

use polars::prelude::*;

use crate::money::Money;
use crate::record::Usage;

/// Rows buffered before they are folded into the partial aggregate.
const CHUNK_ROWS: usize = 64 * 1024;

/// Count columns summed per group, in output order (CSV uses the same names).
pub const COUNT_COLUMNS: [&str; 8] = [
    "calls",
    "unpriced_calls",
    "input",
    "cache_write_5m",
    "cache_write_1h",
    "cache_read",
    "output",
    "reasoning",
];

/// A group's counts as plain numbers, in [`COUNT_COLUMNS`] order.
pub fn count_cells(t: &GroupTotals) -> [String; 8] {
    [
        t.calls,
        t.unpriced_calls,
        t.usage.input,
        t.usage.cache_write_5m,
        t.usage.cache_write_1h,
        t.usage.cache_read,
        t.usage.output,
        t.usage.reasoning,
    ]
    .map(|n| n.to_string())
}

#[derive(Debug, thiserror::Error)]
#[error("aggregation failed: {0}")]
pub struct AggregateError(#[from] PolarsError);

/// One group's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupTotals {
    pub keys: Vec<String>,
    pub calls: u64,
    /// Calls whose model is not in the catalog (their cost is not in `cost`).
    pub unpriced_calls: u64,
    pub usage: Usage,
    pub cost: Money,
    /// Cache-write cost beyond the input rate for the same tokens.
    pub write_premium: Money,
    /// The part of `cost` paid as fees per server tool use (web searches).
    pub tools: Money,
    /// Calls whose log says what the provider billed, that amount, and
    /// costsim's price for the same calls (invoice reconciliation).
    pub billed_calls: u64,
    pub billed: Money,
    pub billed_priced: Money,
}

impl GroupTotals {
    /// Share of prompt tokens read from the cache, in basis points; `None`
    /// without prompt tokens.
    pub fn cache_hit_bp(&self) -> Option<i128> {
        let prompt = self.usage.prompt_tokens() as i128;
        (prompt > 0).then(|| (self.usage.cache_read as i128 * 10_000 + prompt / 2) / prompt)
    }

    pub fn add(&mut self, other: &GroupTotals) {
        self.calls += other.calls;
        self.unpriced_calls += other.unpriced_calls;
        self.usage.input += other.usage.input;
        self.usage.cache_write_5m += other.usage.cache_write_5m;
        self.usage.cache_write_1h += other.usage.cache_write_1h;
        self.usage.cache_read += other.usage.cache_read;
        self.usage.output += other.usage.output;
        self.usage.reasoning += other.usage.reasoning;
        self.cost += other.cost;
        self.write_premium += other.write_premium;
        self.tools += other.tools;
        self.billed_calls += other.billed_calls;
        self.billed += other.billed;
        self.billed_priced += other.billed_priced;
    }

    /// The totals of one priced call.
    pub fn of_call(
        usage: &Usage,
        cost: Option<Money>,
        premium: Money,
        billed: Option<Money>,
    ) -> GroupTotals {
        GroupTotals {
            keys: Vec::new(),
            calls: 1,
            unpriced_calls: u64::from(cost.is_none()),
            usage: *usage,
            cost: cost.unwrap_or(Money::ZERO),
            write_premium: premium,
            tools: Money::ZERO,
            billed_calls: u64::from(billed.is_some()),
            billed: billed.unwrap_or(Money::ZERO),
            billed_priced: if billed.is_some() {
                cost.unwrap_or(Money::ZERO)
            } else {
                Money::ZERO
            },
        }
    }
}

#[derive(Default)]
struct Columns {
    keys: Vec<Vec<String>>,
    calls: Vec<u64>,
    unpriced: Vec<u64>,
    input: Vec<u64>,
    cache_write_5m: Vec<u64>,
    cache_write_1h: Vec<u64>,
    cache_read: Vec<u64>,
    output: Vec<u64>,
    reasoning: Vec<u64>,
    cost: Vec<i128>,
    premium: Vec<i128>,
    tools: Vec<i128>,
    billed_calls: Vec<u64>,
    billed: Vec<i128>,
    billed_priced: Vec<i128>,
}

/// Accumulates line items grouped by a fixed list of key dimensions.
pub struct Aggregator {
    dims: usize,
    /// Groups summed since the last fold.
    pending: HashMap<Vec<String>, GroupTotals>,
    buffer: Columns,
    rows: usize,
    partial: Option<DataFrame>,
}

fn key_name(i: usize) -> String {
    format!("k{i}")
}

impl Aggregator {
    pub fn new(dims: usize) -> Self {
        Aggregator {
            dims,
            buffer: Columns {
                keys: vec![Vec::new(); dims],
                ..Columns::default()
            },
            pending: HashMap::new(),
            rows: 0,
            partial: None,
        }
    }

    /// Adds one priced call. `cost` is `None` for calls that could not be
    /// priced; `premium` is the part of the cost paid for cache writes above
    /// the input rate.
    pub fn push(
        &mut self,
        keys: Vec<String>,
        usage: &Usage,
        cost: Option<Money>,
        premium: Money,
    ) -> Result<(), AggregateError> {
        self.push_totals(keys, &GroupTotals::of_call(usage, cost, premium, None))
    }

    /// Adds totals already summed elsewhere (`t.keys` is ignored).
    pub fn push_totals(
        &mut self,
        keys: Vec<String>,
        t: &GroupTotals,
    ) -> Result<(), AggregateError> {
        debug_assert_eq!(keys.len(), self.dims);
        if let Some(sum) = self.pending.get_mut(&keys) {
            sum.add(t);
            return Ok(());
        }
        self.pending.insert(
            keys,
            GroupTotals {
                keys: Vec::new(),
                ..t.clone()
            },
        );
        if self.pending.len() >= CHUNK_ROWS {
            self.spill()?;
        }
        Ok(())
    }

    /// Moves the summed groups into the column buffer and folds it.
    fn spill(&mut self) -> Result<(), AggregateError> {
        for (keys, t) in std::mem::take(&mut self.pending) {
            self.buffer_row(keys, &t);
        }
        self.flush()
    }

    fn buffer_row(&mut self, keys: Vec<String>, t: &GroupTotals) {
        for (column, key) in self.buffer.keys.iter_mut().zip(keys) {
            column.push(key);
        }
        let b = &mut self.buffer;
        b.calls.push(t.calls);
        b.unpriced.push(t.unpriced_calls);
        b.input.push(t.usage.input);
        b.cache_write_5m.push(t.usage.cache_write_5m);
        b.cache_write_1h.push(t.usage.cache_write_1h);
        b.cache_read.push(t.usage.cache_read);
        b.output.push(t.usage.output);
        b.reasoning.push(t.usage.reasoning);
        b.cost.push(t.cost.femto());
        b.premium.push(t.write_premium.femto());
        b.tools.push(t.tools.femto());
        b.billed_calls.push(t.billed_calls);
        b.billed.push(t.billed.femto());
        b.billed_priced.push(t.billed_priced.femto());
        self.rows += 1;
    }

    fn flush(&mut self) -> Result<(), AggregateError> {
        if self.rows == 0 {
            return Ok(());
        }
        let b = std::mem::replace(
            &mut self.buffer,
            Columns {
                keys: vec![Vec::new(); self.dims],
                ..Columns::default()
            },
        );
        let rows = std::mem::take(&mut self.rows);
        let mut columns: Vec<Column> = b
            .keys
            .into_iter()
            .enumerate()
            .map(|(i, values)| Column::new(key_name(i).into(), values))
            .collect();
        columns.push(Column::new("calls".into(), b.calls));
        columns.push(Column::new("unpriced_calls".into(), b.unpriced));
        columns.push(Column::new("input".into(), b.input));
        columns.push(Column::new("cache_write_5m".into(), b.cache_write_5m));
        columns.push(Column::new("cache_write_1h".into(), b.cache_write_1h));
        columns.push(Column::new("cache_read".into(), b.cache_read));
        columns.push(Column::new("output".into(), b.output));
        columns.push(Column::new("reasoning".into(), b.reasoning));
        columns.push(Column::new("cost".into(), b.cost));
        columns.push(Column::new("write_premium".into(), b.premium));
        columns.push(Column::new("tools".into(), b.tools));
        columns.push(Column::new("billed_calls".into(), b.billed_calls));
        columns.push(Column::new("billed".into(), b.billed));
        columns.push(Column::new("billed_priced".into(), b.billed_priced));
        let chunk = DataFrame::new(rows, columns)?;
        self.fold(chunk)
    }

    /// Groups `frame` together with the partial aggregate so far.
    fn fold(&mut self, frame: DataFrame) -> Result<(), AggregateError> {
        let combined = match self.partial.take() {
            None => frame,
            Some(mut partial) => {
                partial.vstack_mut(&frame)?;
                partial
            }
        };
        self.partial = Some(group(combined, self.dims)?);
        Ok(())
    }

    /// Folds another aggregator (e.g. another file's) into this one. Its
    /// buffered rows join this buffer, so merging many small files costs no
    /// group-by until a chunk is full.
    pub fn merge(&mut self, other: Aggregator) -> Result<(), AggregateError> {
        for (keys, t) in other.pending {
            self.push_totals(keys, &t)?;
        }
        let b = other.buffer;
        for (mine, theirs) in self.buffer.keys.iter_mut().zip(b.keys) {
            mine.extend(theirs);
        }
        let m = &mut self.buffer;
        m.calls.extend(b.calls);
        m.unpriced.extend(b.unpriced);
        m.input.extend(b.input);
        m.cache_write_5m.extend(b.cache_write_5m);
        m.cache_write_1h.extend(b.cache_write_1h);
        m.cache_read.extend(b.cache_read);
        m.output.extend(b.output);
        m.reasoning.extend(b.reasoning);
        m.cost.extend(b.cost);
        m.premium.extend(b.premium);
        m.tools.extend(b.tools);
        m.billed_calls.extend(b.billed_calls);
        m.billed.extend(b.billed);
        m.billed_priced.extend(b.billed_priced);
        self.rows += other.rows;
        if let Some(frame) = other.partial {
            self.flush()?;
            self.fold(frame)?;
        }
        if self.rows >= CHUNK_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// The totals of every group, in no particular order.
    pub fn finish(mut self) -> Result<Vec<GroupTotals>, AggregateError> {
        self.spill()?;
        let Some(frame) = self.partial else {
            return Ok(Vec::new());
        };
        read_groups(&frame, self.dims)
    }
}

fn group(frame: DataFrame, dims: usize) -> Result<DataFrame, PolarsError> {
    let keys: Vec<Expr> = (0..dims).map(|i| col(key_name(i))).collect();
    let sums: Vec<Expr> = COUNT_COLUMNS
        .iter()
        .chain(
            [
                "cost",
                "write_premium",
                "tools",
                "billed_calls",
                "billed",
                "billed_priced",
            ]
            .iter(),
        )
        .map(|name| col(*name).sum())
        .collect();
    frame.lazy().group_by(keys).agg(sums).collect()
}

fn read_groups(frame: &DataFrame, dims: usize) -> Result<Vec<GroupTotals>, AggregateError> {
    let keys: Vec<&StringChunked> = (0..dims)
        .map(|i| frame.column(&key_name(i)).and_then(|c| c.str()))
        .collect::<Result<_, _>>()?;
    let count = |name: &str| -> Result<&UInt64Chunked, PolarsError> { frame.column(name)?.u64() };
    let calls = count("calls")?;
    let unpriced = count("unpriced_calls")?;
    let input = count("input")?;
    let cw5 = count("cache_write_5m")?;
    let cw1 = count("cache_write_1h")?;
    let cread = count("cache_read")?;
    let output = count("output")?;
    let reasoning = count("reasoning")?;
    let cost = frame.column("cost")?.i128()?;
    let premium = frame.column("write_premium")?.i128()?;
    let tools = frame.column("tools")?.i128()?;
    let billed_calls = count("billed_calls")?;
    let billed = frame.column("billed")?.i128()?;
    let billed_priced = frame.column("billed_priced")?.i128()?;
    let mut rows = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        rows.push(GroupTotals {
            keys: keys
                .iter()
                .map(|k| k.get(i).unwrap_or_default().to_string())
                .collect(),
            calls: calls.get(i).unwrap_or(0),
            unpriced_calls: unpriced.get(i).unwrap_or(0),
            usage: Usage {
                input: input.get(i).unwrap_or(0),
                cache_write_5m: cw5.get(i).unwrap_or(0),
                cache_write_1h: cw1.get(i).unwrap_or(0),
                cache_read: cread.get(i).unwrap_or(0),
                output: output.get(i).unwrap_or(0),
                reasoning: reasoning.get(i).unwrap_or(0),
            },
            cost: Money(cost.get(i).unwrap_or(0)),
            write_premium: Money(premium.get(i).unwrap_or(0)),
            tools: Money(tools.get(i).unwrap_or(0)),
            billed_calls: billed_calls.get(i).unwrap_or(0),
            billed: Money(billed.get(i).unwrap_or(0)),
            billed_priced: Money(billed_priced.get(i).unwrap_or(0)),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64) -> Usage {
        Usage {
            input,
            output,
            ..Usage::default()
        }
    }

    #[test]
    fn groups_and_sums_exactly() {
        let mut agg = Aggregator::new(1);
        agg.push(vec!["a".into()], &usage(10, 1), Some(Money(5)), Money::ZERO)
            .unwrap();
        agg.push(vec!["b".into()], &usage(20, 2), None, Money::ZERO)
            .unwrap();
        agg.push(
            vec!["a".into()],
            &usage(30, 3),
            Some(Money(i128::from(i64::MAX) * 4)),
            Money(3),
        )
        .unwrap();
        let mut rows = agg.finish().unwrap();
        rows.sort_by(|x, y| x.keys.cmp(&y.keys));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].calls, 2);
        assert_eq!(rows[0].usage.input, 40);
        assert_eq!(rows[0].cost, Money(5 + i128::from(i64::MAX) * 4));
        assert_eq!(rows[1].unpriced_calls, 1);
    }

    #[test]
    fn folds_more_rows_than_one_chunk() {
        let mut agg = Aggregator::new(1);
        for i in 0..(CHUNK_ROWS as u64 * 2 + 5) {
            let billed = (i % 3 == 0).then_some(Money(7));
            agg.push_totals(
                vec![format!("m{}", i % 2)],
                &GroupTotals::of_call(&usage(1, 1), Some(Money(2)), Money::ZERO, billed),
            )
            .unwrap();
        }
        let rows = agg.finish().unwrap();
        let calls: u64 = rows.iter().map(|r| r.calls).sum();
        assert_eq!(calls, CHUNK_ROWS as u64 * 2 + 5);
        let billed: u64 = rows.iter().map(|r| r.billed_calls).sum();
        assert_eq!(billed, (CHUNK_ROWS as u64 * 2 + 5).div_ceil(3));
    }

    #[test]
    fn merging_partials_equals_one_pass() {
        let mut one = Aggregator::new(2);
        let mut left = Aggregator::new(2);
        let mut right = Aggregator::new(2);
        for i in 0..1000u64 {
            let keys = vec![format!("m{}", i % 7), format!("d{}", i % 3)];
            let u = usage(i, i / 2);
            let c = Some(Money(i128::from(i) * 1_000_000_007));
            one.push(keys.clone(), &u, c, Money(1)).unwrap();
            if i % 2 == 0 {
                left.push(keys, &u, c, Money(1)).unwrap();
            } else {
                right.push(keys, &u, c, Money(1)).unwrap();
            }
        }
        left.merge(right).unwrap();
        let sort = |mut v: Vec<GroupTotals>| {
            v.sort_by(|a, b| a.keys.cmp(&b.keys));
            v
        };
        assert_eq!(sort(one.finish().unwrap()), sort(left.finish().unwrap()));
    }
}
