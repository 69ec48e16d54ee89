//! The scenario sections of a replay report: savings against the baseline,
//! cost per model, what the transforms did, stacking steps, the model sweep
//! and cost per success.

use std::io::{self, Write};

use super::grid::{self, Align, Grid};
use super::{aggregate, display_count, format_share, share_fraction, GroupTotals, Report};
use crate::money::Money;
use crate::scenario::{Role, Scenario};

/// What a scenario's transforms did, besides the money.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScenarioStats {
    /// Calls sent to another model by a route.
    pub routed: u64,
    /// Calls a route would have sent to a model whose context window their
    /// prompt exceeds: left on their recorded model.
    pub not_fit: u64,
    /// Calls that went through the cascade, and those escalated.
    pub cascaded: u64,
    pub escalated: u64,
    /// Calls moved to the batch API by the scenario.
    pub batched: u64,
    /// Sessions cut short by caps, the calls dropped and what they cost.
    pub capped_sessions: u64,
    pub dropped_calls: u64,
    pub dropped_cost: Money,
    /// Calls a route's classifier made, and what they cost (part of the
    /// scenario's cost).
    pub router_calls: u64,
    pub router_cost: Money,
    /// Sessions' compactions (summarising calls), what they cost (part of
    /// the scenario's cost), and the prompt tokens they took out of the
    /// calls after them.
    pub compactions: u64,
    pub compaction_cost: Money,
    pub compacted_tokens_removed: u64,
    /// A semantic cache's lookups (requests looked up), its hits, what the
    /// lookups cost (part of the scenario's cost), and what the calls it
    /// answered cost as recorded.
    pub semantic_lookups: u64,
    pub semantic_hits: u64,
    pub semantic_lookup_cost: Money,
    pub semantic_answered_cost: Money,
    /// Per model answering: calls with a `success` label, and successes.
    pub success: std::collections::BTreeMap<String, (u64, u64)>,
}

impl ScenarioStats {
    /// Adds the counts of another share of the calls.
    pub fn merge(&mut self, other: &ScenarioStats) {
        self.routed += other.routed;
        self.not_fit += other.not_fit;
        self.cascaded += other.cascaded;
        self.escalated += other.escalated;
        self.batched += other.batched;
        self.capped_sessions += other.capped_sessions;
        self.dropped_calls += other.dropped_calls;
        self.dropped_cost += other.dropped_cost;
        self.router_calls += other.router_calls;
        self.router_cost += other.router_cost;
        self.compactions += other.compactions;
        self.compaction_cost += other.compaction_cost;
        self.compacted_tokens_removed = self
            .compacted_tokens_removed
            .saturating_add(other.compacted_tokens_removed);
        self.semantic_lookups += other.semantic_lookups;
        self.semantic_hits += other.semantic_hits;
        self.semantic_lookup_cost += other.semantic_lookup_cost;
        self.semantic_answered_cost += other.semantic_answered_cost;
        for (model, &(labelled, succeeded)) in &other.success {
            self.count_success(model, labelled, succeeded);
        }
    }

    /// Counts `labelled` calls with a `success` label answered by `model`,
    /// `succeeded` of them successful.
    pub fn count_success(&mut self, model: &str, labelled: u64, succeeded: u64) {
        let entry = match self.success.get_mut(model) {
            Some(entry) => entry,
            None => self.success.entry(model.to_string()).or_default(),
        };
        entry.0 += labelled;
        entry.1 += succeeded;
    }

    pub fn labelled(&self) -> (u64, u64) {
        self.success
            .values()
            .fold((0, 0), |(l, s), (a, b)| (l + a, s + b))
    }
}

/// One scenario's totals, overall and per model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioResult {
    pub name: String,
    pub description: String,
    pub role: Role,
    pub total: GroupTotals,
    /// Keys: `[model]`, in model order.
    pub by_model: Vec<GroupTotals>,
    pub stats: ScenarioStats,
}

impl ScenarioResult {
    /// Picks a scenario's rows out of totals keyed `[model, scenario]`.
    pub fn from_rows(
        scenario: &Scenario,
        rows: &[GroupTotals],
        stats: ScenarioStats,
    ) -> ScenarioResult {
        let mut by_model: Vec<GroupTotals> = rows
            .iter()
            .filter(|r| r.keys.get(1) == Some(&scenario.name))
            .map(|r| GroupTotals {
                keys: vec![r.keys[0].clone()],
                ..r.clone()
            })
            .collect();
        by_model.sort_by(|a, b| a.keys.cmp(&b.keys));
        let mut total = GroupTotals::default();
        for r in &by_model {
            total.add(r);
        }
        ScenarioResult {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            role: scenario.role.clone(),
            total,
            by_model,
            stats,
        }
    }

    /// Share of prompt tokens served from the cache, in basis points.
    pub fn hit_rate_bp(&self) -> Option<i128> {
        self.total.cache_hit_bp()
    }

    /// This scenario's cost for a model, if the model appears in it.
    pub fn model_cost(&self, model: &str) -> Option<&GroupTotals> {
        self.by_model.iter().find(|r| r.keys[0] == model)
    }
}

/// Relative change in basis points, rounded; `None` when the base is zero.
pub fn change_bp(base: Money, new: Money) -> Option<i128> {
    (new - base).share_basis_points(base)
}

fn signed_percent(bp: Option<i128>) -> String {
    match bp {
        None => "—".to_string(),
        Some(bp) => {
            let sign = if bp > 0 {
                "+"
            } else if bp < 0 {
                "-"
            } else {
                ""
            };
            format!("{sign}{}", format_share(bp.abs()))
        }
    }
}

impl Report {
    /// Each scenario against the baseline (the first), in total.
    pub fn savings_grid(&self) -> Option<Grid> {
        let base = self.scenarios.first()?;
        let mut grid = Grid::titled(
            &[
                "Scenario",
                "Cost",
                "vs baseline",
                "Change",
                "Cache hit rate",
                "Cache written",
                "Cache read",
                "Write premium",
            ],
            1,
        );
        for (i, s) in self.scenarios.iter().enumerate() {
            if matches!(s.role, Role::Sweep(_)) {
                continue;
            }
            let t = &s.total;
            let (delta, change) = if i == 0 {
                ("—".to_string(), "—".to_string())
            } else {
                (
                    (t.cost - base.total.cost).exact_signed_usd(),
                    signed_percent(change_bp(base.total.cost, t.cost)),
                )
            };
            grid.push(vec![
                s.name.clone(),
                t.cost.exact_usd(),
                delta,
                change,
                s.hit_rate_bp()
                    .map_or_else(|| "—".to_string(), format_share),
                display_count(t.usage.cache_write()),
                display_count(t.usage.cache_read),
                t.write_premium.exact_usd(),
            ]);
        }
        Some(grid)
    }

    /// Cost per model under each scenario, with the change from the baseline.
    pub fn scenario_model_grid(&self) -> Option<Grid> {
        let base = self.scenarios.first()?;
        let shown: Vec<&ScenarioResult> = self.compared().collect();
        if shown.len() < 2 {
            return None;
        }
        let mut headers = vec!["Model".to_string()];
        headers.extend(shown.iter().map(|s| s.name.clone()));
        let mut align = vec![Align::Left];
        align.extend(shown.iter().map(|_| Align::Right));
        let mut grid = Grid::new(headers, align);
        let mut models: Vec<&GroupTotals> = base.by_model.iter().collect();
        models.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.keys.cmp(&b.keys)));
        let cell = |base_cost: Money, t: Option<&GroupTotals>, first: bool| match t {
            None => "—".to_string(),
            Some(t) if base_cost == Money::ZERO && !first => t.cost.exact_usd(),
            Some(t) if t.calls == t.unpriced_calls => "(unpriced)".to_string(),
            Some(t) if first => t.cost.exact_usd(),
            Some(t) => format!(
                "{} ({})",
                t.cost.exact_usd(),
                signed_percent(change_bp(base_cost, t.cost))
            ),
        };
        // Models a route sends calls to appear too, after the recorded ones.
        let mut names: Vec<String> = models.iter().map(|m| m.keys[0].clone()).collect();
        for s in &shown {
            for r in &s.by_model {
                if !names.contains(&r.keys[0]) {
                    names.push(r.keys[0].clone());
                }
            }
        }
        for name in names {
            let base_cost = base.model_cost(&name).map_or(Money::ZERO, |b| b.cost);
            let mut row = vec![name.clone()];
            for (i, s) in shown.iter().enumerate() {
                row.push(cell(base_cost, s.model_cost(&name), i == 0));
            }
            grid.push(row);
        }
        let mut footer = vec!["Total".to_string()];
        for (i, s) in shown.iter().enumerate() {
            footer.push(cell(base.total.cost, Some(&s.total), i == 0));
        }
        grid.set_footer(footer);
        Some(grid)
    }

    /// Scenario totals per model in long form, for CSV.
    pub fn scenario_machine_grid(&self) -> Option<Grid> {
        let base = self.scenarios.first()?;
        let mut headers: Vec<String> = ["scenario", "model"].map(String::from).to_vec();
        headers.extend(aggregate::COUNT_COLUMNS.iter().map(|s| s.to_string()));
        headers.extend(["cost_usd", "delta_usd", "change", "write_premium_usd"].map(String::from));
        let mut align = vec![Align::Left; 2];
        align.extend([Align::Right; 12]);
        let mut grid = Grid::new(headers, align);
        for s in &self.scenarios {
            let rows = s
                .by_model
                .iter()
                .map(|r| (r.keys[0].as_str(), r))
                .chain([("(total)", &s.total)]);
            for (model, t) in rows {
                let base_cost = if model == "(total)" {
                    base.total.cost
                } else {
                    base.model_cost(model).map_or(Money::ZERO, |b| b.cost)
                };
                let unpriced = t.calls > 0 && t.calls == t.unpriced_calls;
                let money = |m: Money| {
                    if unpriced {
                        String::new()
                    } else {
                        m.to_decimal_string(6)
                    }
                };
                let mut cells = vec![s.name.clone(), model.to_string()];
                cells.extend(aggregate::count_cells(t));
                cells.extend([
                    money(t.cost),
                    money(t.cost - base_cost),
                    if unpriced {
                        String::new()
                    } else {
                        change_bp(base_cost, t.cost)
                            .map(share_fraction)
                            .unwrap_or_default()
                    },
                    money(t.write_premium),
                ]);
                grid.push(cells);
            }
        }
        Some(grid)
    }
}

/// One line per scenario saying what it is.
pub fn write_scenario_legend(
    report: &Report,
    markdown: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    writeln!(out)?;
    for s in report.compared() {
        if markdown {
            writeln!(
                out,
                "{}: {}  ",
                grid::escape_markdown(&s.name),
                grid::escape_markdown(&s.description)
            )?;
        } else {
            writeln!(out, "{}: {}", s.name, s.description)?;
        }
    }
    Ok(())
}

impl Report {
    /// The baseline and the scenarios of the savings table (not the sweep).
    pub fn compared(&self) -> impl Iterator<Item = &ScenarioResult> {
        self.scenarios
            .iter()
            .filter(|s| !matches!(s.role, Role::Sweep(_)))
    }

    /// Whole days the input spans (at least one), for monthly projections.
    pub fn observed_days(&self) -> u64 {
        match (self.header.first, self.header.last) {
            (Some(a), Some(b)) => {
                let ms = (b - a).num_milliseconds().max(0) as u64;
                ms.div_ceil(86_400_000).max(1)
            }
            _ => 1,
        }
    }

    /// `cost` scaled from the observed days to 30.
    pub fn monthly(&self, cost: Money) -> Money {
        let days = self.observed_days() as i128;
        Money((cost.femto() * 30 + days / 2) / days)
    }

    /// What each scenario's transforms did, when any did something.
    pub fn effects_grid(&self) -> Option<Grid> {
        let rows: Vec<&ScenarioResult> = self
            .compared()
            .filter(|s| {
                let t = &s.stats;
                t.routed
                    + t.not_fit
                    + t.cascaded
                    + t.batched
                    + t.dropped_calls
                    + t.router_calls
                    + t.compactions
                    + t.semantic_lookups
                    > 0
            })
            .collect();
        if rows.is_empty() {
            return None;
        }
        let routers = rows.iter().any(|s| s.stats.router_calls > 0);
        let compactions = rows.iter().any(|s| s.stats.compactions > 0);
        let semantic = rows.iter().any(|s| s.stats.semantic_lookups > 0);
        let mut titles = vec![
            "Scenario",
            "Routed",
            "Did not fit",
            "Cascaded",
            "Escalated",
            "Batched",
            "Capped sessions",
            "Calls dropped",
            "Cost dropped",
        ];
        if routers {
            titles.extend(["Router calls", "Router cost"]);
        }
        if compactions {
            titles.extend(["Compactions", "Compaction cost", "Prompt tokens removed"]);
        }
        if semantic {
            titles.extend([
                "Semantic lookups",
                "Semantic hits",
                "Lookup cost",
                "Cost answered",
            ]);
        }
        let mut grid = Grid::titled(&titles, 1);
        for s in rows {
            let t = &s.stats;
            let escalated = if t.cascaded == 0 {
                "—".to_string()
            } else {
                let bp =
                    (t.escalated as i128 * 10_000 + t.cascaded as i128 / 2) / t.cascaded as i128;
                format!("{} ({})", display_count(t.escalated), format_share(bp))
            };
            let mut cells = vec![
                s.name.clone(),
                display_count(t.routed),
                display_count(t.not_fit),
                display_count(t.cascaded),
                escalated,
                display_count(t.batched),
                display_count(t.capped_sessions),
                display_count(t.dropped_calls),
                t.dropped_cost.exact_usd(),
            ];
            if routers {
                cells.extend([display_count(t.router_calls), t.router_cost.exact_usd()]);
            }
            if compactions {
                cells.extend([
                    display_count(t.compactions),
                    t.compaction_cost.exact_usd(),
                    display_count(t.compacted_tokens_removed),
                ]);
            }
            if semantic {
                cells.extend([
                    display_count(t.semantic_lookups),
                    display_count(t.semantic_hits),
                    t.semantic_lookup_cost.exact_usd(),
                    t.semantic_answered_cost.exact_usd(),
                ]);
            }
            grid.push(cells);
        }
        Some(grid)
    }

    /// One table per stack: each step against the one before and the baseline.
    pub fn stack_grids(&self) -> Vec<(String, Grid)> {
        let Some(base) = self.scenarios.first() else {
            return Vec::new();
        };
        let mut stacks: Vec<(String, Vec<&ScenarioResult>)> = Vec::new();
        for s in &self.scenarios {
            if let Role::Step(name) = &s.role {
                match stacks.iter_mut().find(|(n, _)| n == name) {
                    Some((_, steps)) => steps.push(s),
                    None => stacks.push((name.clone(), vec![s])),
                }
            }
        }
        stacks
            .into_iter()
            .map(|(name, steps)| {
                let mut grid = Grid::titled(
                    &[
                        "Step",
                        "Cost",
                        "Per month",
                        "Step saving",
                        "Total saving",
                        "Total change",
                    ],
                    1,
                );
                grid.push(vec![
                    format!("{} (baseline)", base.name),
                    base.total.cost.exact_usd(),
                    self.monthly(base.total.cost).exact_usd(),
                    "—".to_string(),
                    "—".to_string(),
                    "—".to_string(),
                ]);
                let mut previous = base.total.cost;
                for s in steps {
                    let cost = s.total.cost;
                    grid.push(vec![
                        s.name.clone(),
                        cost.exact_usd(),
                        self.monthly(cost).exact_usd(),
                        (previous - cost).exact_usd(),
                        (base.total.cost - cost).exact_usd(),
                        signed_percent(change_bp(base.total.cost, cost)),
                    ]);
                    previous = cost;
                }
                (name, grid)
            })
            .collect()
    }

    /// `--sweep`: the workload on each model, cheapest first; models whose
    /// context window some prompts exceed come last.
    pub fn sweep_grid(&self) -> Option<Grid> {
        let base = self.scenarios.first()?;
        let mut rows: Vec<(&str, &ScenarioResult)> = self
            .scenarios
            .iter()
            .filter_map(|s| match &s.role {
                Role::Sweep(model) => Some((model.as_str(), s)),
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            return None;
        }
        rows.sort_by(|a, b| {
            (a.1.stats.not_fit > 0, a.1.total.cost, a.0).cmp(&(
                b.1.stats.not_fit > 0,
                b.1.total.cost,
                b.0,
            ))
        });
        let mut grid = Grid::new(
            [
                "Rank",
                "Model",
                "Cost",
                "Per month",
                "vs recorded",
                "Fits context",
            ]
            .map(String::from)
            .to_vec(),
            vec![
                Align::Right,
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Left,
            ],
        );
        for (i, (model, s)) in rows.into_iter().enumerate() {
            grid.push(vec![
                (i + 1).to_string(),
                model.to_string(),
                s.total.cost.exact_usd(),
                self.monthly(s.total.cost).exact_usd(),
                signed_percent(change_bp(base.total.cost, s.total.cost)),
                if s.stats.not_fit == 0 {
                    "yes".to_string()
                } else {
                    format!(
                        "no: {} calls too long (left on their model)",
                        display_count(s.stats.not_fit)
                    )
                },
            ]);
        }
        Some(grid)
    }

    /// Success rate and cost per success, per scenario, where calls carry
    /// `success`.
    pub fn success_grid(&self) -> Option<Grid> {
        let base = self.scenarios.first()?;
        if base.stats.labelled().0 == 0 {
            return None;
        }
        let mut grid = Grid::titled(
            &[
                "Scenario",
                "Model",
                "Labelled calls",
                "Success rate",
                "Cost per success",
            ],
            2,
        );
        for s in self.compared() {
            let mut push = |model: &str, labelled: u64, ok: u64, cost: Money| {
                let rate = if labelled == 0 {
                    "—".to_string()
                } else {
                    format_share((ok as i128 * 10_000 + labelled as i128 / 2) / labelled as i128)
                };
                let cps = if ok == 0 {
                    "—".to_string()
                } else {
                    Money(cost.femto() / ok as i128).exact_usd()
                };
                grid.push(vec![
                    s.name.clone(),
                    model.to_string(),
                    display_count(labelled),
                    rate,
                    cps,
                ]);
            };
            for (model, (labelled, ok)) in &s.stats.success {
                let cost = s.model_cost(model).map_or(Money::ZERO, |t| t.cost);
                push(model, *labelled, *ok, cost);
            }
            let (labelled, ok) = s.stats.labelled();
            push("(all)", labelled, ok, s.total.cost);
        }
        Some(grid)
    }
}

/// A titled table of the scenario part of a report.
pub struct Section {
    pub title: String,
    /// Said after the title, e.g. " (as recorded)".
    pub note: String,
    pub grid: Grid,
}

impl Report {
    /// Every scenario section, in the order they are printed.
    pub fn sections(&self) -> Vec<Section> {
        let mut out = Vec::new();
        if self.scenarios.len() < 2 {
            return out;
        }
        let mut section = |title: &str, note: &str, grid: Grid| {
            out.push(Section {
                title: title.to_string(),
                note: note.to_string(),
                grid,
            })
        };
        if self.compared().count() > 1 {
            if let Some(g) = self.savings_grid() {
                section("Scenarios against the baseline", " (as recorded)", g);
            }
            if let Some(g) = self.scenario_model_grid() {
                section(
                    "Cost per model under each scenario",
                    " (change from the baseline)",
                    g,
                );
            }
        }
        if let Some(g) = self.effects_grid() {
            section("What the scenarios changed", "", g);
        }
        for (name, g) in self.stack_grids() {
            section(
                &format!("Stacking: {name}"),
                " (each step adds to the one before)",
                g,
            );
        }
        if let Some(g) = self.sweep_grid() {
            let note = format!(
                " (the same calls on each model; per month = cost × 30 / {} observed day{})",
                self.observed_days(),
                if self.observed_days() == 1 { "" } else { "s" }
            );
            section("Model sweep", &note, g);
        }
        if let Some(g) = self.success_grid() {
            section(
                "Cost per success",
                " (calls with a success label; routed calls are assumed to succeed as recorded)",
                g,
            );
        }
        out
    }
}

/// Writes every scenario section of a report, as text tables or markdown.
pub fn write_sections(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    for s in report.sections() {
        if markdown {
            writeln!(out, "\n**{}**{}\n", s.title, s.note)?;
            grid::write_markdown(&s.grid, out)?;
        } else {
            writeln!(out, "\n{}{}:\n", s.title, s.note)?;
            grid::write_table(&s.grid, out)?;
        }
    }
    if report.scenarios.len() >= 2 && report.compared().count() > 1 {
        write_scenario_legend(report, markdown, out)?;
    }
    Ok(())
}
