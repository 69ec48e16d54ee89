//! Group-by sums of priced calls, done by polars.
//!
//! Calls are first summed per group in a hash map (most breakdowns have few
//! groups: that is one lookup per call); when the map holds [`CHUNK_ROWS`]
//! groups its rows are folded into a polars partial aggregate, so memory
//! follows the number of groups, not the number of calls. Partials (from other chunks or other threads) are merged
//! by concatenating them and grouping again: sums are exact integers, so the
//! result does not depend on how the input was split or ordered.

use std::borrow::Cow;

use foldhash::{HashMap, HashMapExt};

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
pub enum AggregateError {
    #[error("aggregation failed: {0}")]
    Polars(#[from] PolarsError),
    /// A sum left the range of its type (`u64` tokens, `i128` femto-dollars).
    #[error(
        "the sums of {group} overflow: more than 18,446,744,073,709,551,615 tokens of one kind \
         or about $1.7 × 10^23 in one sum; the input's counts are not real usage"
    )]
    Overflow { group: String },
}

/// Sums `n` into `sum`; on overflow leaves `u64::MAX` and says so.
pub fn add_count(sum: &mut u64, n: u64) -> bool {
    match sum.checked_add(n) {
        Some(total) => {
            *sum = total;
            true
        }
        None => {
            *sum = u64::MAX;
            false
        }
    }
}

/// Sums `m` into `sum`; on overflow leaves the bound it passed and says so.
/// Adds `u` to `sum` kind by kind, as [`add_count`]: `false` if a sum
/// stopped at its bound.
pub fn add_usage(sum: &mut Usage, u: &Usage) -> bool {
    add_count(&mut sum.input, u.input)
        & add_count(&mut sum.cache_write_5m, u.cache_write_5m)
        & add_count(&mut sum.cache_write_1h, u.cache_write_1h)
        & add_count(&mut sum.cache_read, u.cache_read)
        & add_count(&mut sum.output, u.output)
        & add_count(&mut sum.reasoning, u.reasoning)
}

fn add_money(sum: &mut Money, m: Money) -> bool {
    match sum.0.checked_add(m.0) {
        Some(total) => {
            sum.0 = total;
            true
        }
        None => {
            sum.0 = if m.0 > 0 { i128::MAX } else { i128::MIN };
            false
        }
    }
}

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
    /// Whether a sum in these totals overflowed (the sums stop at their
    /// bound). Reports refuse such totals, naming the group, rather than
    /// print wrapped numbers.
    pub overflowed: bool,
}

impl GroupTotals {
    /// Share of prompt tokens read from the cache, in basis points; `None`
    /// without prompt tokens.
    pub fn cache_hit_bp(&self) -> Option<i128> {
        let prompt = self.usage.prompt_tokens() as i128;
        (prompt > 0).then(|| (self.usage.cache_read as i128 * 10_000 + prompt / 2) / prompt)
    }

    /// Adds `other`; a sum that overflows stops at its bound and marks
    /// these totals [`overflowed`](Self::overflowed).
    pub fn add(&mut self, other: &GroupTotals) {
        // `&`, not `&&`: every sum is taken whether or not one overflowed.
        let fits = add_count(&mut self.calls, other.calls)
            & add_count(&mut self.unpriced_calls, other.unpriced_calls)
            & add_usage(&mut self.usage, &other.usage)
            & add_money(&mut self.cost, other.cost)
            & add_money(&mut self.write_premium, other.write_premium)
            & add_money(&mut self.tools, other.tools)
            & add_count(&mut self.billed_calls, other.billed_calls)
            & add_money(&mut self.billed, other.billed)
            & add_money(&mut self.billed_priced, other.billed_priced);
        self.overflowed |= other.overflowed || !fits;
    }

    /// An error naming these totals as `group` if a sum overflowed.
    pub fn check(&self, group: impl FnOnce() -> String) -> Result<(), AggregateError> {
        if self.overflowed {
            return Err(AggregateError::Overflow { group: group() });
        }
        Ok(())
    }

    /// Every money amount's size, summed: while the sizes of all amounts
    /// pushed fit in `i128`, no sum of some of them can overflow.
    fn money_size(&self) -> u128 {
        [
            self.cost,
            self.write_premium,
            self.tools,
            self.billed,
            self.billed_priced,
        ]
        .iter()
        .fold(0u128, |size, m| size.saturating_add(m.0.unsigned_abs()))
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
            overflowed: false,
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
    overflowed: Vec<u64>,
}

/// Accumulates line items grouped by a fixed list of key dimensions.
pub struct Aggregator {
    dims: usize,
    /// Groups summed since the last fold.
    pending: HashMap<Vec<String>, GroupTotals>,
    buffer: Columns,
    rows: usize,
    partial: Option<DataFrame>,
    /// The sizes of every money amount pushed, summed (saturating): polars
    /// sums `i128` without a check, so its sums are trusted while this fits.
    money_size: u128,
    /// The group whose push took `money_size` past `i128::MAX`.
    money_overflow: Option<Vec<String>>,
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
            money_size: 0,
            money_overflow: None,
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
        self.add_totals(Cow::Owned(keys), t)
    }

    /// As [`Aggregator::push_totals`], with keys that are copied only for a
    /// group not met before (one call's keys: most calls join a group).
    pub fn push_totals_of(
        &mut self,
        keys: &[String],
        t: &GroupTotals,
    ) -> Result<(), AggregateError> {
        self.add_totals(Cow::Borrowed(keys), t)
    }

    fn add_totals(&mut self, keys: Cow<[String]>, t: &GroupTotals) -> Result<(), AggregateError> {
        debug_assert_eq!(keys.len(), self.dims);
        self.money_size = self.money_size.saturating_add(t.money_size());
        if self.money_size > i128::MAX as u128 && self.money_overflow.is_none() {
            self.money_overflow = Some(keys.to_vec());
        }
        if let Some(sum) = self.pending.get_mut(keys.as_ref()) {
            sum.add(t);
            return Ok(());
        }
        self.pending.insert(
            keys.into_owned(),
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
        b.overflowed.push(u64::from(t.overflowed));
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
        // Counts are summed as i128 (polars' sums do not check for
        // overflow): read back, a sum past u64 is an overflow, not a wrap.
        let counts = [
            ("calls", b.calls),
            ("unpriced_calls", b.unpriced),
            ("input", b.input),
            ("cache_write_5m", b.cache_write_5m),
            ("cache_write_1h", b.cache_write_1h),
            ("cache_read", b.cache_read),
            ("output", b.output),
            ("reasoning", b.reasoning),
            ("billed_calls", b.billed_calls),
            ("overflowed", b.overflowed),
        ];
        for (name, values) in counts {
            columns.push(Column::new(name.into(), values).cast(&DataType::Int128)?);
        }
        columns.push(Column::new("cost".into(), b.cost));
        columns.push(Column::new("write_premium".into(), b.premium));
        columns.push(Column::new("tools".into(), b.tools));
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
        m.overflowed.extend(b.overflowed);
        self.rows += other.rows;
        self.money_size = self.money_size.saturating_add(other.money_size);
        if self.money_overflow.is_none() {
            self.money_overflow = other.money_overflow;
        }
        if let Some(frame) = other.partial {
            self.flush()?;
            self.fold(frame)?;
        }
        if self.rows >= CHUNK_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// The totals of every group, in no particular order; an error names
    /// a group whose sums overflowed.
    pub fn finish(mut self) -> Result<Vec<GroupTotals>, AggregateError> {
        self.spill()?;
        if self.money_size > i128::MAX as u128 {
            let keys = self.money_overflow.unwrap_or_default();
            return Err(AggregateError::Overflow {
                group: group_name(&keys),
            });
        }
        let Some(frame) = self.partial else {
            return Ok(Vec::new());
        };
        let groups = read_groups(&frame, self.dims)?;
        for g in &groups {
            g.check(|| group_name(&g.keys))?;
        }
        Ok(groups)
    }
}

/// A group's keys as a user reads them: `group claude-opus-4-5 / 2026-03-01`.
pub fn group_name(keys: &[String]) -> String {
    if keys.is_empty() {
        "the total row".to_string()
    } else {
        format!("group `{}`", keys.join(" / "))
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
                "overflowed",
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
    let count = |name: &str| -> Result<&Int128Chunked, PolarsError> { frame.column(name)?.i128() };
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
    let overflowed = count("overflowed")?;
    let mut rows = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let mut fits = overflowed.get(i).unwrap_or(0) == 0;
        // A count sum past u64 is kept at u64::MAX and marks the group.
        let mut get = |column: &Int128Chunked| {
            let sum = column.get(i).unwrap_or(0);
            u64::try_from(sum).unwrap_or_else(|_| {
                fits = false;
                u64::MAX
            })
        };
        let (n_calls, n_unpriced, n_billed) = (get(calls), get(unpriced), get(billed_calls));
        let usage = Usage {
            input: get(input),
            cache_write_5m: get(cw5),
            cache_write_1h: get(cw1),
            cache_read: get(cread),
            output: get(output),
            reasoning: get(reasoning),
        };
        rows.push(GroupTotals {
            keys: keys
                .iter()
                .map(|k| k.get(i).unwrap_or_default().to_string())
                .collect(),
            calls: n_calls,
            unpriced_calls: n_unpriced,
            usage,
            cost: Money(cost.get(i).unwrap_or(0)),
            write_premium: Money(premium.get(i).unwrap_or(0)),
            tools: Money(tools.get(i).unwrap_or(0)),
            billed_calls: n_billed,
            billed: Money(billed.get(i).unwrap_or(0)),
            billed_priced: Money(billed_priced.get(i).unwrap_or(0)),
            overflowed: !fits,
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
