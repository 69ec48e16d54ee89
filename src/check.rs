//! The CI guard: budget and change rules evaluated against a priced report.
//!
//! Spend is projected from the observed span to the rule's period: a day, a
//! week (7 days) or a month (30 days), as `cost × period days / observed
//! days`, where observed days are the whole days from the first call to the
//! last (at least one). Against a saved baseline report, spend per observed
//! day is compared, so reports of different lengths compare fairly.

use std::fmt;

use crate::money::{parse_scaled_decimal, Money};
use crate::report::{Dimension, Report};

/// A period a budget is stated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn days(self) -> i128 {
        match self {
            Period::Day => 1,
            Period::Week => 7,
            Period::Month => 30,
        }
    }

    pub fn parse(text: &str) -> Option<Period> {
        match text {
            "day" | "daily" | "d" => Some(Period::Day),
            "week" | "weekly" | "w" => Some(Period::Week),
            "month" | "monthly" | "mo" | "m" => Some(Period::Month),
            _ => None,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        })
    }
}

/// An amount of money per period, e.g. `2000/month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub amount: Money,
    pub period: Period,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RuleError {
    #[error("{flag} `{text}`: {problem}")]
    Bad {
        flag: &'static str,
        text: String,
        problem: String,
    },
}

fn bad(flag: &'static str, text: &str, problem: impl Into<String>) -> RuleError {
    RuleError::Bad {
        flag,
        text: text.to_string(),
        problem: problem.into(),
    }
}

/// `2000/month`, `$1,500.50/week`, `40/day`.
pub fn parse_budget(flag: &'static str, text: &str) -> Result<Budget, RuleError> {
    let (amount, period) = text
        .rsplit_once('/')
        .ok_or_else(|| bad(flag, text, "expected AMOUNT/PERIOD such as 2000/month"))?;
    let period = Period::parse(period.trim())
        .ok_or_else(|| bad(flag, text, "the period is day, week or month"))?;
    let digits: String = amount
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    let micro = parse_scaled_decimal(&digits, 6).map_err(|e| bad(flag, text, e.to_string()))?;
    Ok(Budget {
        amount: Money(micro as i128 * 1_000_000_000),
        period,
    })
}

/// `10%` or `10` as basis points.
pub fn parse_percent(flag: &'static str, text: &str) -> Result<i128, RuleError> {
    let digits = text.trim().trim_end_matches('%');
    parse_scaled_decimal(digits, 2)
        .map(|hundredths| hundredths as i128)
        .map_err(|e| bad(flag, text, e.to_string()))
}

/// `LEFT=RIGHT`.
fn split_rule<'a>(flag: &'static str, text: &'a str) -> Result<(&'a str, &'a str), RuleError> {
    text.split_once('=')
        .map(|(a, b)| (a.trim(), b.trim()))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| bad(flag, text, "expected LEFT=RIGHT"))
}

/// What a rule limits.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Projected total spend.
    Total(Budget),
    /// Projected spend on models matching a glob.
    Models {
        glob: String,
        pattern: glob::Pattern,
        budget: Budget,
    },
    /// Projected spend of calls with a tag value.
    Tag {
        key: String,
        value: String,
        budget: Budget,
    },
    /// Share of total cost on models matching a glob, in basis points.
    MaxShare {
        glob: String,
        pattern: glob::Pattern,
        max_bp: i128,
    },
    /// Spend per observed day against a saved report, at most this increase.
    Increase {
        baseline: String,
        per_day: Money,
        max_bp: i128,
    },
}

pub fn model_rule(text: &str) -> Result<Rule, RuleError> {
    let flag = "--budget-model";
    let (glob, budget) = split_rule(flag, text)?;
    let pattern = glob::Pattern::new(glob).map_err(|e| bad(flag, text, e.msg))?;
    Ok(Rule::Models {
        glob: glob.to_string(),
        pattern,
        budget: parse_budget(flag, budget)?,
    })
}

pub fn tag_rule(text: &str) -> Result<Rule, RuleError> {
    let flag = "--budget-tag";
    let (tag, budget) = split_rule(flag, text)?;
    let (key, value) = tag.split_once(':').ok_or_else(|| {
        bad(
            flag,
            text,
            "expected KEY:VALUE=AMOUNT/PERIOD such as team:search=300/month",
        )
    })?;
    Ok(Rule::Tag {
        key: key.to_string(),
        value: value.to_string(),
        budget: parse_budget(flag, budget)?,
    })
}

pub fn share_rule(text: &str) -> Result<Rule, RuleError> {
    let flag = "--max-share";
    let (glob, share) = split_rule(flag, text)?;
    let pattern = glob::Pattern::new(glob).map_err(|e| bad(flag, text, e.msg))?;
    let max_bp = parse_percent(flag, share)?;
    if max_bp > 10_000 {
        return Err(bad(flag, text, "a share is at most 100%"));
    }
    Ok(Rule::MaxShare {
        glob: glob.to_string(),
        pattern,
        max_bp,
    })
}

/// One rule's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub rule: String,
    /// The measured figure and the limit, as shown.
    pub figure: String,
    pub limit: String,
    pub passed: bool,
    /// How the figure was computed.
    pub method: String,
    /// Exact money where the rule is about money.
    pub figure_money: Option<Money>,
    pub limit_money: Option<Money>,
}

/// `cost` projected from `days` observed days to `period`.
pub fn project(cost: Money, days: u64, period: Period) -> Money {
    let days = days.max(1) as i128;
    Money((cost.femto() * period.days() + days / 2) / days)
}

/// Cost of the report's rows whose key for `dim` satisfies `keep`.
fn cost_where(report: &Report, dim: &Dimension, keep: impl Fn(&str) -> bool) -> Money {
    let Some(i) = report.dims.iter().position(|d| d == dim) else {
        return Money::ZERO;
    };
    report
        .rows
        .iter()
        .filter(|r| keep(&r.totals.keys[i]))
        .map(|r| r.totals.cost)
        .sum()
}

/// The cost a rule looks at: the report's total, or a scenario's.
pub struct Spend<'a> {
    pub report: &'a Report,
    /// Use this scenario's totals for total and model rules.
    pub scenario: Option<usize>,
}

impl Spend<'_> {
    fn total(&self) -> Money {
        match self.scenario {
            Some(i) => self.report.scenarios[i].total.cost,
            None => self.report.total.cost,
        }
    }

    /// Which cost the rules hold: `as recorded` or `scenario NAME`.
    pub fn label(&self) -> String {
        match self.scenario {
            Some(i) => format!("scenario {}", self.report.scenarios[i].name),
            None => "as recorded".to_string(),
        }
    }

    fn models(&self, pattern: &glob::Pattern) -> Money {
        match self.scenario {
            Some(i) => self.report.scenarios[i]
                .by_model
                .iter()
                .filter(|r| pattern.matches(&r.keys[0]))
                .map(|r| r.cost)
                .sum(),
            None => cost_where(self.report, &Dimension::Model, |m| pattern.matches(m)),
        }
    }
}

/// Evaluates every rule.
pub fn evaluate(spend: &Spend, rules: &[Rule]) -> Vec<Verdict> {
    let report = spend.report;
    let days = report.observed_days();
    let projected = |cost: Money, period: Period| {
        (
            project(cost, days, period),
            format!(
                "{} over {days} observed day{} × {} / {days}",
                cost.display_usd(),
                if days == 1 { "" } else { "s" },
                period.days()
            ),
        )
    };
    let cost = spend.label();
    rules
        .iter()
        .map(|rule| match rule {
            Rule::Total(b) => {
                let (p, method) = projected(spend.total(), b.period);
                money_verdict(
                    format!("total spend per {} ({cost})", b.period),
                    p,
                    b.amount,
                    method,
                )
            }
            Rule::Models {
                glob,
                pattern,
                budget,
            } => {
                let (p, method) = projected(spend.models(pattern), budget.period);
                money_verdict(
                    format!("spend on {glob} per {} ({cost})", budget.period),
                    p,
                    budget.amount,
                    method,
                )
            }
            Rule::Tag { key, value, budget } => {
                let cost = cost_where(report, &Dimension::Tag(key.clone()), |v| v == value);
                let (p, method) = projected(cost, budget.period);
                money_verdict(
                    format!("spend of {key}:{value} per {} (as recorded)", budget.period),
                    p,
                    budget.amount,
                    method,
                )
            }
            Rule::MaxShare {
                glob,
                pattern,
                max_bp,
            } => {
                let share = spend
                    .models(pattern)
                    .share_basis_points(spend.total())
                    .unwrap_or(0);
                Verdict {
                    rule: format!("share of cost on {glob} ({cost})"),
                    figure: percent(share),
                    limit: percent(*max_bp),
                    passed: share <= *max_bp,
                    method: "model cost / total cost".to_string(),
                    figure_money: None,
                    limit_money: None,
                }
            }
            Rule::Increase {
                baseline,
                per_day,
                max_bp,
            } => {
                let now = Money(spend.total().femto() / days.max(1) as i128);
                let change = (now - *per_day).share_basis_points(*per_day);
                // From a baseline that spent nothing, any spend is an
                // increase beyond every percentage.
                let from_zero = change.is_none() && now > Money::ZERO;
                Verdict {
                    rule: format!("change in spend per day against {baseline} ({cost})"),
                    figure: match change {
                        Some(c) => signed_percent(c),
                        None if from_zero => "up from $0".to_string(),
                        None => "—".to_string(),
                    },
                    limit: format!("+{}", percent(*max_bp)),
                    passed: !from_zero && change.is_none_or(|c| c <= *max_bp),
                    method: format!(
                        "{} per day now vs {} per day in the baseline{}",
                        now.display_usd(),
                        per_day.display_usd(),
                        if from_zero {
                            " (an increase from $0 exceeds any percentage)"
                        } else {
                            ""
                        }
                    ),
                    figure_money: Some(now),
                    limit_money: Some(*per_day),
                }
            }
        })
        .collect()
}

fn money_verdict(rule: String, figure: Money, limit: Money, method: String) -> Verdict {
    Verdict {
        rule,
        figure: figure.display_usd(),
        limit: limit.display_usd(),
        passed: figure <= limit,
        method,
        figure_money: Some(figure),
        limit_money: Some(limit),
    }
}

fn percent(bp: i128) -> String {
    format!("{}.{:02}%", bp / 100, (bp % 100).abs())
}

fn signed_percent(bp: i128) -> String {
    if bp > 0 {
        format!("+{}", percent(bp))
    } else if bp < 0 {
        format!("-{}", percent(-bp))
    } else {
        percent(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_budgets_and_percentages() {
        let b = parse_budget("--budget", "$2,000.50/month").unwrap();
        assert_eq!(b.amount.to_decimal_string(2), "2000.50");
        assert_eq!(b.period, Period::Month);
        assert!(parse_budget("--budget", "2000").is_err());
        assert!(parse_budget("--budget", "2000/year").is_err());
        assert!(parse_budget("--budget", "-5/day").is_err());
        assert_eq!(parse_percent("--max-increase", "10%").unwrap(), 1000);
        assert_eq!(parse_percent("--max-increase", "2.5").unwrap(), 250);
        let e = tag_rule("team=300/month").unwrap_err().to_string();
        assert!(
            e.starts_with("--budget-tag `team=300/month`: expected KEY:VALUE"),
            "{e}"
        );
        assert!(share_rule("claude-opus-*=150%").is_err());
    }

    #[test]
    fn projects_to_the_period() {
        // $10 over 3 days is $100 a month.
        let ten = Money(10 * crate::money::FEMTO_PER_USD);
        assert_eq!(
            project(ten, 3, Period::Month).to_decimal_string(2),
            "100.00"
        );
        assert_eq!(
            project(ten, 3, Period::Week).to_decimal_string(4),
            "23.3333"
        );
        assert_eq!(project(ten, 0, Period::Day), ten);
    }
}
