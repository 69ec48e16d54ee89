//! Where priced calls go: the breakdown (baseline only) and, when scenarios
//! are compared, per-model totals of every scenario.

use super::evaluate::Pending;
use crate::money::Money;
use crate::pricing::Priced;
use crate::record::Usage;
use crate::report::aggregate::{AggregateError, Aggregator};

pub struct Sink {
    pub main: Aggregator,
    pub by_model: Option<Aggregator>,
}

impl Sink {
    /// `dims` breakdown keys; `scenarios` whether per-model scenario totals
    /// are kept.
    pub fn new(dims: usize, scenarios: bool) -> Self {
        Sink {
            main: Aggregator::new(dims),
            by_model: scenarios.then(|| Aggregator::new(2)),
        }
    }

    pub fn merge(&mut self, other: Sink) -> Result<(), AggregateError> {
        self.main.merge(other.main)?;
        match (self.by_model.as_mut(), other.by_model) {
            (Some(mine), Some(theirs)) => mine.merge(theirs)?,
            (None, Some(theirs)) => self.by_model = Some(theirs),
            _ => {}
        }
        Ok(())
    }

    /// Records one priced model call of scenario number `index` (0 is the
    /// baseline, the only one in the breakdown). `priced` is `None` for
    /// models the catalog does not know.
    pub fn record(
        &mut self,
        index: usize,
        scenario: &str,
        call: &Pending,
        model_key: &str,
        usage: &Usage,
        priced: Option<Priced>,
    ) -> Result<(), AggregateError> {
        let cost = priced.map(|p| p.cost);
        let premium = priced.map_or(Money::ZERO, |p| p.write_premium);
        if index == 0 {
            self.main.push(call.keys.clone(), usage, cost, premium)?;
        }
        if let Some(by_model) = self.by_model.as_mut() {
            by_model.push(
                vec![model_key.to_string(), scenario.to_string()],
                usage,
                cost,
                premium,
            )?;
        }
        Ok(())
    }
}
