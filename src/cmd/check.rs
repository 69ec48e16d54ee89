//! `costsim check`: price the input, project it, hold it against the rules.

use super::{emit, Exit};
use crate::check::{self, Rule, Spend, Verdict};
use crate::cli::CheckArgs;
use crate::config::ReplayConfig;
use crate::money::Money;
use crate::replay::replay_with_items;
use crate::report::line_items::LineItemsWriter;
use crate::report::{self, Dimension};

pub fn run(args: CheckArgs) -> anyhow::Result<Exit> {
    let mut rules = Vec::new();
    if let Some(b) = &args.budget {
        rules.push(Rule::Total(check::parse_budget("--budget", b)?));
    }
    for r in &args.budget_model {
        rules.push(check::model_rule(r)?);
    }
    for r in &args.budget_tag {
        rules.push(check::tag_rule(r)?);
    }
    for r in &args.max_share {
        rules.push(check::share_rule(r)?);
    }
    match (&args.baseline, &args.max_increase) {
        (Some(path), Some(pct)) => rules.push(baseline_rule(path, pct)?),
        (Some(_), None) => anyhow::bail!("--baseline needs --max-increase PERCENT"),
        (None, Some(_)) => anyhow::bail!("--max-increase needs --baseline REPORT.json"),
        (None, None) => {}
    }
    if rules.is_empty() {
        anyhow::bail!(
            "no rule to check: give --budget, --budget-model, --budget-tag, --max-share or --baseline with --max-increase"
        );
    }
    let report::Rendering::Plain(format) =
        crate::config::report_format_of(args.input.run.output.format())
    else {
        anyhow::bail!("--output html: check writes table, markdown, csv or json");
    };
    if !args.input.run.by.is_empty() || args.input.run.top.is_some() {
        anyhow::bail!(
            "--by and --top are replay's: check groups by model and the tags its rules name (save a `replay --output json` report for other views)"
        );
    }
    if args.input.run.currency.is_some() {
        anyhow::bail!("--currency is replay's: check's budgets and figures are in US dollars");
    }
    let mut config = ReplayConfig::try_from(args.input)?;
    crate::report::grid::set_compact(config.compact);
    if config.spec.scenarios.len() > 1 {
        anyhow::bail!("--scenario: check takes at most one scenario");
    }
    if args.check_scenario && config.spec.scenarios.is_empty() {
        anyhow::bail!(
            "--check-scenario: give the scenario to check with --scenario (or a one-model --sweep)"
        );
    }
    // Model and tag rules need those groups.
    let mut dims = vec![Dimension::Model];
    for r in &rules {
        if let Rule::Tag { key, .. } = r {
            let d = Dimension::Tag(key.clone());
            if !dims.contains(&d) {
                dims.push(d);
            }
        }
    }
    config.spec.dims = dims;
    let mut items = match &config.line_items {
        Some(path) => Some(LineItemsWriter::create(
            path,
            super::replay::scenario_names(&config),
        )?),
        None => None,
    };
    let outcome = replay_with_items(&config.spec, &config.catalog, &|_| {}, items.as_mut())?;
    if let Some(items) = items {
        items.finish()?;
    }
    let report = outcome.report;
    if report.header.calls == 0 {
        anyhow::bail!("no calls to check in the input");
    }
    for e in outcome.line_errors.iter().take(5) {
        crate::say!("costsim: warning: {e}");
    }
    let problems = report.header.skipped_total() + report.header.unreadable_files;
    if config.strict && problems > 0 {
        crate::say!("costsim: error: {problems} skipped lines or unreadable files (--strict)");
        return Ok(Exit::InputError);
    }
    let spend = Spend {
        report: &report,
        scenario: (args.check_scenario && report.scenarios.len() > 1).then_some(1),
    };
    let mut verdicts = check::evaluate(&spend, &rules);
    let unpriced: u64 = report.header.unpriced.iter().map(|u| u.calls).sum();
    if unpriced > 0 {
        let names: Vec<&str> = report
            .header
            .unpriced
            .iter()
            .map(|u| u.name.as_str())
            .collect();
        verdicts.push(Verdict {
            rule: "no unpriced usage".to_string(),
            figure: format!("{unpriced} calls"),
            limit: "0 calls".to_string(),
            passed: args.allow_unpriced,
            method: format!(
                "models not in the catalog: {}{}",
                names.join(", "),
                if args.allow_unpriced {
                    " (allowed)"
                } else {
                    "; --allow-unpriced to accept"
                }
            ),
            figure_money: None,
            limit_money: None,
        });
    }
    emit(config.out.as_deref(), |w| {
        report::check::render(&verdicts, &report, format, w)
    })?;
    Ok(if verdicts.iter().all(|v| v.passed) {
        Exit::Ok
    } else {
        Exit::CheckFailed
    })
}

/// Spend per day of a saved `replay --output json` report.
fn baseline_rule(path: &std::path::Path, pct: &str) -> anyhow::Result<Rule> {
    let shown = path.display().to_string();
    let value = super::read_json(path)?;
    // A check report holds the replay report under "report".
    let report = if value.get("command").and_then(|c| c.as_str()) == Some("check") {
        &value["report"]
    } else {
        &value
    };
    let femto: i128 = report["total"]["cost_femto_usd"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("{shown}: field \"total.cost_femto_usd\": missing (save it with `costsim replay --output json`)"))?;
    let days = report["observed_days"].as_u64().unwrap_or(1).max(1);
    Ok(Rule::Increase {
        baseline: shown,
        per_day: Money(femto / days as i128),
        max_bp: check::parse_percent("--max-increase", pct)?,
    })
}
