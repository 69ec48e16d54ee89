//! `costsim diff`: two saved JSON reports compared group by group.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::grid::{self, Align, Grid};
use super::{Dimension, Format};
use crate::money::{display_count, Money};

/// One group's figures in a saved report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub calls: u64,
    pub tokens: u64,
    pub cost: Money,
}

/// A group present in either report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub key: String,
    pub old: Figures,
    pub new: Figures,
}

impl Change {
    pub fn delta(&self) -> Money {
        self.new.cost - self.old.cost
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub group_by: Vec<String>,
    /// Largest absolute dollar change first.
    pub changes: Vec<Change>,
    pub old_total: Figures,
    pub new_total: Figures,
    /// Observed days of each report (whole days from its first call to its
    /// last, as `check --baseline` counts them).
    pub old_days: u64,
    pub new_days: u64,
}

impl Diff {
    /// Whether the reports span different numbers of days: then every
    /// figure is per observed day, as `check --baseline` compares them.
    pub fn per_day(&self) -> bool {
        self.old_days != self.new_days
    }
}

impl Figures {
    /// These figures per day of `days` (cost as `check --baseline` divides
    /// it; counts rounded).
    fn per_day(self, days: u64) -> Figures {
        let days = days.max(1);
        Figures {
            calls: (self.calls + days / 2) / days,
            tokens: (self.tokens + days / 2) / days,
            cost: Money(self.cost.femto() / i128::from(days)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("{path}: {message}")]
    Bad { path: String, message: String },
    #[error("the reports are grouped differently ({old} vs {new}); save both with the same --by")]
    Groups { old: String, new: String },
    #[error("the reports cut days in different time zones ({old} vs {new}); save both with the same --timezone")]
    Zones { old: String, new: String },
}

fn figures(row: &Value) -> Option<Figures> {
    let t = &row["tokens"];
    let tokens = [
        "input",
        "cache_write_5m",
        "cache_write_1h",
        "cache_read",
        "output",
    ]
    .iter()
    .map(|k| t[k].as_u64().unwrap_or(0))
    .sum();
    Some(Figures {
        calls: row["calls"].as_u64()?,
        tokens,
        cost: Money(
            row["cost_femto_usd"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
        ),
    })
}

/// A saved report's grouping, rows by key, total, observed days and the
/// zone its days are cut in.
type Saved = (Vec<String>, BTreeMap<String, Figures>, Figures, u64, String);

/// The rows of a saved `replay --output json` report (or the report inside
/// a `check` report), keyed by their group.
fn rows(path: &str, value: &Value) -> Result<Saved, DiffError> {
    let bad = |message: &str| DiffError::Bad {
        path: path.to_string(),
        message: message.to_string(),
    };
    let report = if value["command"] == "check" {
        &value["report"]
    } else {
        value
    };
    if report["schema_version"] != 1 {
        return Err(bad("not a costsim JSON report (schema_version 1); save one with `costsim replay --output json`"));
    }
    let group_by: Vec<String> = report["group_by"]
        .as_array()
        .ok_or_else(|| bad("field \"group_by\": missing"))?
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    let mut out = BTreeMap::new();
    for row in report["rows"]
        .as_array()
        .ok_or_else(|| bad("field \"rows\": missing"))?
    {
        let key: Vec<String> = group_by
            .iter()
            .map(|d| row["keys"][d].as_str().unwrap_or("").to_string())
            .collect();
        let f = figures(row).ok_or_else(|| bad("a row has no \"calls\""))?;
        out.insert(key.join(" / "), f);
    }
    let total = figures(&report["total"]).ok_or_else(|| bad("field \"total\": missing"))?;
    let days = report["observed_days"].as_u64().unwrap_or(1).max(1);
    // Reports written before --timezone are UTC.
    let zone = report["timezone"].as_str().unwrap_or("UTC").to_string();
    Ok((group_by, out, total, days, zone))
}

pub fn diff(old_path: &str, old: &Value, new_path: &str, new: &Value) -> Result<Diff, DiffError> {
    let (old_by, mut old_rows, mut old_total, old_days, old_zone) = rows(old_path, old)?;
    let (new_by, mut new_rows, mut new_total, new_days, new_zone) = rows(new_path, new)?;
    if old_days != new_days {
        // A 2-day report against a 1-day one: compare days, not totals.
        for (rows, total, days) in [
            (&mut old_rows, &mut old_total, old_days),
            (&mut new_rows, &mut new_total, new_days),
        ] {
            for f in rows.values_mut() {
                *f = f.per_day(days);
            }
            *total = total.per_day(days);
        }
    }
    if old_by != new_by {
        return Err(DiffError::Groups {
            old: old_by.join(", "),
            new: new_by.join(", "),
        });
    }
    let by_time = old_by
        .iter()
        .any(|d| d.parse::<Dimension>().is_ok_and(|d| d.is_time()));
    if by_time && old_zone != new_zone {
        return Err(DiffError::Zones {
            old: old_zone,
            new: new_zone,
        });
    }
    let keys: std::collections::BTreeSet<&String> =
        old_rows.keys().chain(new_rows.keys()).collect();
    let mut changes: Vec<Change> = keys
        .into_iter()
        .map(|k| Change {
            key: k.clone(),
            old: old_rows.get(k).copied().unwrap_or_default(),
            new: new_rows.get(k).copied().unwrap_or_default(),
        })
        .collect();
    changes.sort_by(|a, b| {
        b.delta()
            .femto()
            .abs()
            .cmp(&a.delta().femto().abs())
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(Diff {
        group_by: old_by,
        changes,
        old_total,
        new_total,
        old_days,
        new_days,
    })
}

fn percent(old: Money, new: Money) -> String {
    match (new - old).share_basis_points(old) {
        None if new == old => "0.0%".to_string(),
        None => "new".to_string(),
        Some(bp) => {
            let sign = if bp > 0 {
                "+"
            } else if bp < 0 {
                "-"
            } else {
                ""
            };
            let bp = bp.abs();
            format!("{sign}{}.{}%", bp / 100, (bp % 100) / 10)
        }
    }
}

fn signed_count(old: u64, new: u64) -> String {
    if new >= old {
        format!("+{}", display_count(new - old))
    } else {
        format!("-{}", display_count(old - new))
    }
}

pub fn render(d: &Diff, format: Format, out: &mut dyn Write) -> io::Result<()> {
    let title = if d.group_by.is_empty() {
        "Group".to_string()
    } else {
        d.group_by.join(" / ")
    };
    let per_day = d.per_day();
    let (old_cost, new_cost) = if per_day {
        ("Old cost/day", "New cost/day")
    } else {
        ("Old cost", "New cost")
    };
    let mut g = Grid::new(
        [
            title.as_str(),
            old_cost,
            new_cost,
            "Change",
            "Change %",
            if per_day { "Calls/day" } else { "Calls" },
            if per_day { "Tokens/day" } else { "Tokens" },
        ]
        .map(String::from)
        .to_vec(),
        vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    );
    let row = |key: &str, old: &Figures, new: &Figures| {
        vec![
            key.to_string(),
            old.cost.exact_usd(),
            new.cost.exact_usd(),
            (new.cost - old.cost).exact_signed_usd(),
            percent(old.cost, new.cost),
            signed_count(old.calls, new.calls),
            signed_count(old.tokens, new.tokens),
        ]
    };
    for c in &d.changes {
        g.push(row(&c.key, &c.old, &c.new));
    }
    g.set_footer(row("Total", &d.old_total, &d.new_total));
    let note = format!(
        "The reports span different times (old {} observed day{}, new {}): every figure is per observed day.",
        d.old_days,
        if d.old_days == 1 { "" } else { "s" },
        d.new_days
    );
    if per_day && matches!(format, Format::Table | Format::Markdown) {
        writeln!(out, "{note}\n")?;
    }
    match format {
        Format::Table => grid::write_table(&g, out),
        Format::Markdown => grid::write_markdown(&g, out),
        Format::Csv => {
            let suffix = if per_day { "_per_day" } else { "" };
            let mut c = Grid::new(
                [
                    "group",
                    "old_cost_usd",
                    "new_cost_usd",
                    "change_usd",
                    "old_calls",
                    "new_calls",
                    "old_tokens",
                    "new_tokens",
                ]
                .map(|name| format!("{name}{}", if name == "group" { "" } else { suffix }))
                .to_vec(),
                vec![Align::Left; 8],
            );
            for ch in &d.changes {
                c.push(vec![
                    ch.key.clone(),
                    ch.old.cost.to_decimal_string(6),
                    ch.new.cost.to_decimal_string(6),
                    ch.delta().to_decimal_string(6),
                    ch.old.calls.to_string(),
                    ch.new.calls.to_string(),
                    ch.old.tokens.to_string(),
                    ch.new.tokens.to_string(),
                ]);
            }
            grid::write_csv(&c, out)
        }
        Format::Json => {
            let item = |key: &str, old: &Figures, new: &Figures| {
                json!({
                    "group": key,
                    "old": {"calls": old.calls, "tokens": old.tokens, "cost_femto_usd": old.cost.femto().to_string(), "cost_usd": old.cost.to_usd_f64()},
                    "new": {"calls": new.calls, "tokens": new.tokens, "cost_femto_usd": new.cost.femto().to_string(), "cost_usd": new.cost.to_usd_f64()},
                    "change_usd": (new.cost - old.cost).to_usd_f64(),
                    "change_femto_usd": (new.cost - old.cost).femto().to_string(),
                })
            };
            let value = json!({
                "schema_version": super::json::SCHEMA_VERSION,
                "command": "diff",
                "group_by": d.group_by,
                "per_day": per_day,
                "old_observed_days": d.old_days,
                "new_observed_days": d.new_days,
                "changes": d.changes.iter().map(|c| item(&c.key, &c.old, &c.new)).collect::<Vec<_>>(),
                "total": item("Total", &d.old_total, &d.new_total),
            });
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)
        }
    }
}
