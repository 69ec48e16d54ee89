//! Where priced calls go: the breakdown (baseline only) and, when scenarios
//! are compared, per-model totals of every scenario.

// A fast hash: these maps are looked up for every call of every scenario.
use foldhash::{HashMap, HashMapExt};

use super::evaluate::Pending;
use crate::money::Money;
use crate::pricing::Priced;
use crate::record::Usage;
use crate::report::aggregate::{AggregateError, Aggregator, GroupTotals};
use crate::report::line_items::LineItem;
use crate::report::tasks::{task_of, TaskRow};
use crate::zone::Zone;

/// Per scenario, then per model, totals. Few groups and many calls: summed
/// here, handed to polars once at the end. A list of scenarios, found by
/// name: each call looks its scenario up in a sink that records one
/// scenario (an evaluator's), and only the run-wide sink, merged once at
/// the end, holds them all.
pub type ModelTotals = Vec<(String, HashMap<String, GroupTotals>)>;

/// The models' totals of `scenario`, added to `totals` if new.
fn models_of<'t>(
    totals: &'t mut ModelTotals,
    scenario: &str,
) -> &'t mut HashMap<String, GroupTotals> {
    let at = match totals.iter().position(|(name, _)| name == scenario) {
        Some(at) => at,
        None => {
            totals.push((scenario.to_string(), HashMap::new()));
            totals.len() - 1
        }
    };
    &mut totals[at].1
}

/// Per (scenario number, hour since the epoch, model) totals, for the
/// charts over time of the HTML report.
pub type Timeline = HashMap<(usize, i64, String), GroupTotals>;

/// The recorded calls per session, for `--top`: totals, and when each
/// session ran.
pub struct Sessions {
    pub totals: Aggregator,
    /// Per session: its first call's time and its last answer's (the last
    /// call's time plus its latency, where logged), in milliseconds.
    pub spans: HashMap<String, (i64, i64)>,
}

impl Sessions {
    fn new() -> Self {
        Sessions {
            totals: Aggregator::new(1),
            spans: HashMap::new(),
        }
    }

    fn add(
        &mut self,
        session: String,
        totals: &GroupTotals,
        span: (i64, i64),
    ) -> Result<(), AggregateError> {
        match self.spans.get_mut(&session) {
            Some(s) => widen(s, span),
            None => {
                self.spans.insert(session.clone(), span);
            }
        }
        self.totals.push_totals(vec![session], totals)
    }

    fn merge(&mut self, other: Sessions) -> Result<(), AggregateError> {
        for (session, span) in other.spans {
            widen(self.spans.entry(session).or_insert(span), span);
        }
        self.totals.merge(other.totals)
    }
}

/// Widens a span (first start, last end) to cover `other`.
fn widen(span: &mut (i64, i64), other: (i64, i64)) {
    span.0 = span.0.min(other.0);
    span.1 = span.1.max(other.1);
}

/// `--tasks`: per scenario number, then per task, sums; and the recorded
/// calls that belong to no task.
#[derive(Default)]
pub struct Tasks {
    pub rows: HashMap<usize, HashMap<String, TaskRow>>,
    pub without_task: u64,
}

impl Tasks {
    fn add(&mut self, index: usize, task: &str, row: &TaskRow) {
        let rows = self.rows.entry(index).or_default();
        // Looked up by reference: a task's name is allocated once.
        match rows.get_mut(task) {
            Some(mine) => mine.add(row),
            None => {
                rows.insert(task.to_string(), *row);
            }
        }
    }

    fn merge(&mut self, other: Tasks) {
        for (index, rows) in other.rows {
            for (task, row) in rows {
                self.add(index, &task, &row);
            }
        }
        self.without_task += other.without_task;
    }
}

pub struct Sink {
    pub main: Aggregator,
    pub by_model: Option<ModelTotals>,
    /// Per-session totals of the recorded calls, for `--top`.
    pub sessions: Option<Sessions>,
    pub timeline: Option<Timeline>,
    pub tasks: Option<Tasks>,
    /// The wall clock of the timeline's hours.
    zone: Zone,
    /// Every priced call, for `--line-items`.
    pub line_items: Option<Vec<LineItem>>,
}

impl Sink {
    /// `dims` breakdown keys; `scenarios` whether per-model scenario totals
    /// are kept.
    pub fn new(dims: usize, scenarios: bool) -> Self {
        Sink {
            main: Aggregator::new(dims),
            by_model: scenarios.then(Vec::new),
            sessions: None,
            timeline: None,
            tasks: None,
            zone: Zone::UTC,
            line_items: None,
        }
    }

    /// Also keep one row per priced call (for `--line-items`; taken and
    /// written after every batch of calls).
    pub fn with_line_items(mut self, on: bool) -> Self {
        self.line_items = on.then(Vec::new);
        self
    }

    /// Also keep hourly totals per scenario and model (for charts), by
    /// the hours of `zone`'s wall clock.
    pub fn with_timeline(mut self, on: bool, zone: Zone) -> Self {
        self.timeline = on.then(HashMap::new);
        self.zone = zone;
        self
    }

    /// Also keep per-session totals (for `--top`).
    pub fn with_sessions(mut self, on: bool) -> Self {
        self.sessions = on.then(Sessions::new);
        self
    }

    /// Also keep per-task sums (for `--tasks`).
    pub fn with_tasks(mut self, on: bool) -> Self {
        self.tasks = on.then(Tasks::default);
        self
    }

    pub fn merge(&mut self, other: Sink) -> Result<(), AggregateError> {
        self.main.merge(other.main)?;
        self.merge_tasks(other.tasks);
        self.merge_models(other.by_model);
        self.merge_timeline(other.timeline);
        match (self.sessions.as_mut(), other.sessions) {
            (Some(mine), Some(theirs)) => mine.merge(theirs)?,
            (None, Some(theirs)) => self.sessions = Some(theirs),
            _ => {}
        }
        Ok(())
    }

    pub fn merge_models(&mut self, theirs: Option<ModelTotals>) {
        if let Some(theirs) = theirs {
            let mine = self.by_model.get_or_insert_with(Vec::new);
            for (scenario, models) in theirs {
                let mine = models_of(mine, &scenario);
                for (model, totals) in models {
                    mine.entry(model).or_default().add(&totals);
                }
            }
        }
    }

    pub fn merge_tasks(&mut self, theirs: Option<Tasks>) {
        match (self.tasks.as_mut(), theirs) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (None, Some(theirs)) => self.tasks = Some(theirs),
            _ => {}
        }
    }

    pub fn merge_timeline(&mut self, theirs: Option<Timeline>) {
        if let Some(theirs) = theirs {
            let mine = self.timeline.get_or_insert_with(HashMap::new);
            for (key, totals) in theirs {
                mine.entry(key).or_default().add(&totals);
            }
        }
    }

    /// Whether [`Sink::record`] of a call of scenario `index` keeps
    /// anything beyond the per-model totals: if not, those can be summed
    /// apart, priced once at the end (see `RateBuckets`), and the call not
    /// recorded at all.
    pub fn keeps_calls(&self, index: usize) -> bool {
        index == 0 || self.line_items.is_some() || self.tasks.is_some() || self.timeline.is_some()
    }

    /// Records one priced model call of scenario number `index` (0 is the
    /// baseline, the only one in the breakdown), sent to `model_key` with
    /// `usage`, through the batch API if `batch`. `priced` is `None` for
    /// models the catalog does not know. The call is added to the per-model
    /// totals of `scenario`, if named (`None`: they are summed apart).
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        index: usize,
        scenario: Option<&str>,
        call: &Pending,
        model_key: &str,
        usage: &Usage,
        batch: bool,
        priced: Option<Priced>,
    ) -> Result<(), AggregateError> {
        if let Some(items) = self.line_items.as_mut() {
            items.push(LineItem {
                scenario: index as u32,
                ts: call.ts,
                account: call.account.clone(),
                session: call.session.clone(),
                call_id: call.id.clone(),
                recorded_model: call.model_key.clone(),
                model: model_key.to_string(),
                batch,
                tags: call.tags.clone(),
                usage: *usage,
                costs: priced.map(|p| p.by_class),
            });
        }
        let totals = call_totals(index, call, usage, priced);
        let start = call.ts.timestamp_millis();
        // The last answer: the call's time plus its latency, where logged.
        let end = start.saturating_add(
            call.latency_ms
                .map_or(0, |ms| i64::try_from(ms).unwrap_or(i64::MAX)),
        );
        if let Some(tasks) = self.tasks.as_mut() {
            match task_of(&call.tags, &call.session) {
                Some(task) => {
                    let row = TaskRow {
                        cost: totals.cost,
                        calls: totals.calls,
                        tokens: usage.prompt_tokens().saturating_add(usage.output),
                        start_ms: start,
                        end_ms: end,
                    };
                    tasks.add(index, task, &row);
                }
                None if index == 0 => tasks.without_task += totals.calls,
                None => {}
            }
        }
        if index == 0 {
            self.main.push_totals_of(&call.keys, &totals)?;
            if let (Some(sessions), Some(session)) = (self.sessions.as_mut(), &call.session) {
                let key = if call.account == crate::record::DEFAULT_ACCOUNT {
                    session.clone()
                } else {
                    format!("{}/{session}", call.account)
                };
                sessions.add(key, &totals, (start, end))?;
            }
        }
        if let Some(timeline) = self.timeline.as_mut() {
            let hour = self.zone.local_hour(call.ts);
            timeline
                .entry((index, hour, model_key.to_string()))
                .or_default()
                .add(&totals);
        }
        if let Some(scenario) = scenario {
            self.add_model(scenario, model_key, &totals);
        }
        Ok(())
    }

    /// Adds `totals` to `model_key`'s in `scenario`, if per-model totals
    /// are kept.
    pub fn add_model(&mut self, scenario: &str, model_key: &str, totals: &GroupTotals) {
        if let Some(by_model) = self.by_model.as_mut() {
            // Looked up by reference: a key is allocated once per group,
            // not per call.
            let models = models_of(by_model, scenario);
            match models.get_mut(model_key) {
                Some(t) => t.add(totals),
                None => models.entry(model_key.to_string()).or_default().add(totals),
            }
        }
    }
}

/// Groups per-model totals through polars, as every other aggregate.
/// What one call adds to its groups in scenario `index`.
pub fn call_totals(
    index: usize,
    call: &Pending,
    usage: &Usage,
    priced: Option<Priced>,
) -> GroupTotals {
    let cost = priced.map(|p| p.cost);
    let premium = priced.map_or(Money::ZERO, |p| p.write_premium);
    // What the provider billed is known for the recorded call only.
    let billed = if index == 0 { call.billed } else { None };
    let mut totals = GroupTotals::of_call(usage, cost, premium, billed);
    // An aggregated usage row counts the requests it stands for.
    totals.calls = call.requests;
    totals.unpriced_calls *= call.requests;
    totals.billed_calls *= call.requests;
    totals.tools = priced.map_or(Money::ZERO, |p| p.by_class.tools);
    totals
}

pub fn model_rows(totals: ModelTotals) -> Result<Vec<GroupTotals>, AggregateError> {
    let mut aggregator = Aggregator::new(2);
    let mut entries: Vec<((String, String), GroupTotals)> = totals
        .into_iter()
        .flat_map(|(scenario, models)| {
            models
                .into_iter()
                .map(move |(model, t)| ((model, scenario.clone()), t))
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for ((model, scenario), t) in entries {
        aggregator.push_totals(vec![model, scenario], &t)?;
    }
    aggregator.finish()
}
