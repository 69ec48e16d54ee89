//! `--tasks`: how cost, calls and tokens spread over tasks (a call's `task`
//! tag, else its session), as recorded and under each scenario, and how
//! long tasks took: the before/after table of a cost review.

use std::collections::BTreeMap;

use foldhash::HashMap;

use super::grid::Grid;
use super::{display_count, display_duration};
use crate::money::Money;

/// The task a call belongs to: its `task` tag, else its session.
pub fn task_of<'a>(
    tags: &'a BTreeMap<String, String>,
    session: &'a Option<String>,
) -> Option<&'a String> {
    tags.get("task").or(session.as_ref())
}

/// One task's sums under one scenario, as calls are recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskRow {
    pub cost: Money,
    pub calls: u64,
    /// Prompt and output tokens.
    pub tokens: u64,
    /// First call and last answer, in milliseconds (recorded calls only).
    pub start_ms: i64,
    pub end_ms: i64,
}

impl TaskRow {
    pub fn add(&mut self, other: &TaskRow) {
        self.cost += other.cost;
        self.calls = self.calls.saturating_add(other.calls);
        self.tokens = self.tokens.saturating_add(other.tokens);
        self.start_ms = self.start_ms.min(other.start_ms);
        self.end_ms = self.end_ms.max(other.end_ms);
    }
}

/// The median, 90th percentile (nearest rank) and largest of some values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread<T> {
    pub p50: T,
    pub p90: T,
    pub max: T,
}

impl<T> Spread<T> {
    pub fn map<U>(&self, f: impl Fn(&T) -> U) -> Spread<U> {
        Spread {
            p50: f(&self.p50),
            p90: f(&self.p90),
            max: f(&self.max),
        }
    }
}

impl<T: Ord + Copy> Spread<T> {
    /// `None` for no values.
    pub fn of(mut values: Vec<T>) -> Option<Spread<T>> {
        values.sort_unstable();
        let n = values.len();
        let at = |percent: usize| values[(n * percent).div_ceil(100).max(1) - 1];
        (n > 0).then(|| Spread {
            p50: at(50),
            p90: at(90),
            max: values[n - 1],
        })
    }
}

/// Per-task spreads of one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioTasks {
    pub name: String,
    pub total: Money,
    pub cost: Spread<Money>,
    pub calls: Spread<u64>,
    pub tokens: Spread<u64>,
}

/// One of the most expensive tasks as recorded, and its cost under each
/// scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopTask {
    pub task: String,
    pub calls: u64,
    pub wall_time_ms: i64,
    /// The baseline first, then each scenario.
    pub costs: Vec<Money>,
}

/// Tasks listed by name when `--top` does not say how many.
pub const DEFAULT_TOP_TASKS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    /// Tasks among the recorded calls.
    pub tasks: u64,
    /// Recorded calls that belong to no task (no session, no `task` tag).
    pub calls_without_task: u64,
    /// First call to last answer, as recorded.
    pub wall_time_ms: Spread<i64>,
    /// The baseline first, then each scenario.
    pub scenarios: Vec<ScenarioTasks>,
    /// The most expensive tasks as recorded, most expensive first (ties by
    /// name).
    pub top: Vec<TopTask>,
}

impl TaskSummary {
    /// From each scenario's per-task sums, by scenario number, with the
    /// scenarios' names in number order. The tasks are the recorded ones:
    /// a task a scenario makes no call for (its calls dropped by a cap or
    /// answered by a semantic cache) counts there at zero.
    pub fn of(
        mut rows: HashMap<usize, HashMap<String, TaskRow>>,
        names: &[String],
        calls_without_task: u64,
        top_n: usize,
    ) -> Option<TaskSummary> {
        let per_scenario: Vec<BTreeMap<String, TaskRow>> = (0..names.len())
            .map(|index| {
                rows.remove(&index)
                    .unwrap_or_default()
                    .into_iter()
                    .collect()
            })
            .collect();
        let recorded = per_scenario.first()?;
        let wall_time_ms = Spread::of(
            recorded
                .values()
                .map(|r| (r.end_ms - r.start_ms).max(0))
                .collect(),
        )?;
        let scenarios = names
            .iter()
            .zip(&per_scenario)
            .map(|(name, rows)| {
                let of_task = |task: &str| rows.get(task).copied().unwrap_or_default();
                let all: Vec<TaskRow> = recorded.keys().map(|t| of_task(t)).collect();
                let spread = |f: fn(&TaskRow) -> u64| {
                    Spread::of(all.iter().map(f).collect()).expect("some task")
                };
                ScenarioTasks {
                    name: name.clone(),
                    total: all.iter().map(|r| r.cost).sum(),
                    cost: Spread::of(all.iter().map(|r| r.cost).collect()).expect("some task"),
                    calls: spread(|r| r.calls),
                    tokens: spread(|r| r.tokens),
                }
            })
            .collect();
        let mut ranked: Vec<(&str, &TaskRow)> =
            recorded.iter().map(|(t, r)| (t.as_str(), r)).collect();
        ranked.sort_by(|a, b| b.1.cost.cmp(&a.1.cost).then_with(|| a.0.cmp(b.0)));
        let top = ranked
            .into_iter()
            .take(top_n)
            .map(|(task, row)| TopTask {
                task: task.to_string(),
                calls: row.calls,
                wall_time_ms: (row.end_ms - row.start_ms).max(0),
                costs: per_scenario
                    .iter()
                    .map(|rows| rows.get(task).map_or(Money::ZERO, |r| r.cost))
                    .collect(),
            })
            .collect();
        Some(TaskSummary {
            tasks: recorded.len() as u64,
            calls_without_task,
            wall_time_ms,
            scenarios,
            top,
        })
    }

    /// One row per scenario: cost, calls and tokens per task.
    pub fn grid(&self) -> Grid {
        let mut grid = Grid::titled(
            &[
                "Scenario",
                "Tasks",
                "Cost",
                "Cost p50",
                "Cost p90",
                "Cost max",
                "Calls p50",
                "Calls p90",
                "Calls max",
                "Tokens p50",
                "Tokens p90",
                "Tokens max",
            ],
            1,
        );
        for s in &self.scenarios {
            grid.push(vec![
                s.name.clone(),
                display_count(self.tasks),
                s.total.exact_usd(),
                s.cost.p50.exact_usd(),
                s.cost.p90.exact_usd(),
                s.cost.max.exact_usd(),
                display_count(s.calls.p50),
                display_count(s.calls.p90),
                display_count(s.calls.max),
                display_count(s.tokens.p50),
                display_count(s.tokens.p90),
                display_count(s.tokens.max),
            ]);
        }
        grid
    }

    /// The most expensive tasks, with their cost under each scenario.
    pub fn top_grid(&self) -> Grid {
        let mut titles = vec!["Task", "Calls", "Wall time"];
        titles.extend(self.scenarios.iter().map(|s| s.name.as_str()));
        let mut grid = Grid::titled(&titles, 1);
        for t in &self.top {
            let mut row = vec![
                t.task.clone(),
                display_count(t.calls),
                display_duration(chrono::TimeDelta::milliseconds(t.wall_time_ms)),
            ];
            row.extend(t.costs.iter().map(|c| c.exact_usd()));
            grid.push(row);
        }
        grid
    }

    /// The wall time line, and what was left out.
    pub fn notes(&self) -> Vec<String> {
        let time = |ms: i64| display_duration(chrono::TimeDelta::milliseconds(ms));
        let w = &self.wall_time_ms;
        let mut notes = vec![format!(
            "Wall time per task (first call to last answer, as recorded): p50 {}, p90 {}, max {}",
            time(w.p50),
            time(w.p90),
            time(w.max)
        )];
        if self.calls_without_task > 0 {
            let (n, verb) = match self.calls_without_task {
                1 => ("1 call".to_string(), "has"),
                n => (format!("{} calls", display_count(n)), "have"),
            };
            notes.push(format!("{n} {verb} no session and no task tag: in no task"));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = Spread::of((1..=10u64).collect()).unwrap();
        assert_eq!((s.p50, s.p90, s.max), (5, 9, 10));
        let one = Spread::of(vec![7u64]).unwrap();
        assert_eq!((one.p50, one.p90, one.max), (7, 7, 7));
        assert_eq!(Spread::<u64>::of(Vec::new()), None);
        // 3 values: p50 is the 2nd, p90 the 3rd.
        let three = Spread::of(vec![30u64, 10, 20]).unwrap();
        assert_eq!((three.p50, three.p90, three.max), (20, 30, 30));
    }

    #[test]
    fn a_task_a_scenario_drops_counts_at_zero() {
        let row = |cost: i128, calls: u64| TaskRow {
            cost: Money(cost),
            calls,
            tokens: calls * 10,
            start_ms: 0,
            end_ms: 1000 * calls as i64,
        };
        let mut rows: HashMap<usize, HashMap<String, TaskRow>> = HashMap::default();
        rows.entry(0)
            .or_default()
            .insert("a".to_string(), row(10, 1));
        rows.entry(0)
            .or_default()
            .insert("b".to_string(), row(30, 3));
        rows.entry(1)
            .or_default()
            .insert("b".to_string(), row(20, 2));
        let names = ["as-recorded".to_string(), "capped".to_string()];
        let s = TaskSummary::of(rows, &names, 4, 1).unwrap();
        assert_eq!(s.tasks, 2);
        assert_eq!(
            s.wall_time_ms,
            Spread {
                p50: 1000,
                p90: 3000,
                max: 3000
            }
        );
        let capped = &s.scenarios[1];
        assert_eq!(capped.total, Money(20));
        assert_eq!(
            capped.cost,
            Spread {
                p50: Money(0),
                p90: Money(20),
                max: Money(20)
            }
        );
        assert_eq!(
            capped.calls,
            Spread {
                p50: 0,
                p90: 2,
                max: 2
            }
        );
    }
}
