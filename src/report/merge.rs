//! `costsim merge`: saved JSON reports read back and added up exactly.
//!
//! Every amount is summed from its `*_femto_usd` integer, tokens and calls
//! are integers, and shares, changes, hit rates and monthly projections are
//! recomputed from the sums, so merging the reports of shards gives the
//! report of the whole, to the femto-dollar, when the shards split the calls
//! between them (no call in two shards) and no scenario state crosses a
//! shard (shard by account, or by account and model without routing).

use crate::zone::Zone;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Dimension, GroupTotals, Header, Report, ScenarioResult, ScenarioStats, UnpricedModel};
use crate::ingest::SkipReason;
use crate::money::Money;
use crate::record::Usage;
use crate::scenario::Role;

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{path}: {message}")]
    Bad { path: String, message: String },
    #[error(
        "{path} is grouped by {found}, {first} by {expected}: save every report with the same --by"
    )]
    Groups {
        path: String,
        found: String,
        first: String,
        expected: String,
    },
    #[error("{path} compares scenarios {found}, {first} {expected}: save every report with the same scenarios")]
    Scenarios {
        path: String,
        found: String,
        first: String,
        expected: String,
    },
    #[error("{path} cuts days in {found}, {first} in {expected}: save every report grouped by time with the same --timezone")]
    Zones {
        path: String,
        found: String,
        first: String,
        expected: String,
    },
    #[error("cannot merge: {0}")]
    Sums(#[from] super::aggregate::AggregateError),
}

/// Reads one saved `replay --output json` report (or the report inside a
/// `check` report) back into a [`Report`].
pub fn read_saved(path: &str, value: &Value) -> Result<Report, MergeError> {
    let bad = |message: String| MergeError::Bad {
        path: path.to_string(),
        message,
    };
    let r = if value["command"] == "check" {
        &value["report"]
    } else {
        value
    };
    if r["schema_version"] != 1 {
        return Err(bad("not a costsim JSON report (schema_version 1); save one with `costsim replay --output json`".into()));
    }
    let dims: Vec<Dimension> = strings(&r["group_by"])
        .iter()
        .map(|d| d.parse())
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("field \"group_by\": {e}")))?;
    let field = |name: &str| {
        bad(format!(
            "field \"{name}\": missing or not what costsim writes"
        ))
    };
    let mut groups = Vec::new();
    for (i, row) in array(&r["rows"]).iter().enumerate() {
        let keys = dims
            .iter()
            .map(|d| row["keys"][d.to_string()].as_str().map(String::from))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| field(&format!("rows[{i}].keys")))?;
        groups.push(totals(row, keys).ok_or_else(|| field(&format!("rows[{i}]")))?);
    }
    let header = header(r).ok_or_else(|| field("header fields"))?;
    let mut scenarios = Vec::new();
    for (i, s) in array(&r["scenarios"]).iter().enumerate() {
        scenarios.push(scenario(s).ok_or_else(|| field(&format!("scenarios[{i}]")))?);
    }
    let mut top = Vec::new();
    let mut spans = BTreeMap::new();
    for (i, t) in array(&r["top_sessions"]).iter().enumerate() {
        let session = t["session"].as_str().unwrap_or_default().to_string();
        // Reports written before wall times have none.
        if let (Some(first), Some(last)) = (time(&t["first_call"]), time(&t["last_answer"])) {
            spans.insert(session.clone(), (first, last));
        }
        top.push(totals(t, vec![session]).ok_or_else(|| field(&format!("top_sessions[{i}]")))?);
    }
    Ok(Report::new(header, dims, groups)
        .with_scenarios(scenarios)
        .with_top_sessions(top)
        .with_top_spans(spans))
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn strings(v: &Value) -> Vec<String> {
    array(v)
        .iter()
        .filter_map(|s| s.as_str().map(String::from))
        .collect()
}

/// An exact amount from its integer string; absent is zero.
fn femto(v: &Value) -> Option<Money> {
    match v {
        Value::Null => Some(Money::ZERO),
        Value::String(s) => s.parse().ok().map(Money),
        _ => None,
    }
}

fn count(v: &Value) -> Option<u64> {
    match v {
        Value::Null => Some(0),
        other => other.as_u64(),
    }
}

fn totals(v: &Value, keys: Vec<String>) -> Option<GroupTotals> {
    let t = &v["tokens"];
    Some(GroupTotals {
        keys,
        calls: v["calls"].as_u64()?,
        unpriced_calls: count(&v["unpriced_calls"])?,
        usage: Usage {
            input: count(&t["input"])?,
            cache_read: count(&t["cache_read"])?,
            cache_write_5m: count(&t["cache_write_5m"])?,
            cache_write_1h: count(&t["cache_write_1h"])?,
            output: count(&t["output"])?,
            reasoning: count(&t["reasoning"])?,
        },
        cost: femto(&v["cost_femto_usd"])?,
        write_premium: femto(&v["write_premium_femto_usd"])?,
        // Reports written before tool fees have none.
        tools: if v.get("tools_femto_usd").is_some() {
            femto(&v["tools_femto_usd"])?
        } else {
            Money::ZERO
        },
        billed_calls: count(&v["billed_calls"])?,
        billed: femto(&v["billed_femto_usd"])?,
        billed_priced: femto(&v["billed_priced_femto_usd"])?,
        overflowed: false,
    })
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()?.parse().ok()
}

fn header(r: &Value) -> Option<Header> {
    let skipped = SkipReason::ALL
        .iter()
        .filter_map(|reason| {
            let n = r["skipped"]["by_reason"][reason.key()].as_u64()?;
            (n > 0).then_some((*reason, n))
        })
        .collect();
    let date_key = r["pricing"]["date"].as_str()?.to_string();
    Some(Header {
        command: r["command"].as_str().unwrap_or("replay").to_string(),
        inputs: strings(&r["inputs"]),
        lines: r["lines"].as_u64()?,
        calls: r["calls"].as_u64()?,
        filtered_out: count(&r["filtered_out"])?,
        skipped,
        unreadable_files: count(&r["unreadable_files"])?,
        first: time(&r["date_range"]["first"]),
        last: time(&r["date_range"]["last"]),
        catalog_version: r["pricing"]["catalog_version"].as_str()?.to_string(),
        catalog_origin: r["pricing"]["catalog"].as_str()?.to_string(),
        pricing_date: pricing_words(&date_key),
        pricing_date_key: date_key,
        unpriced: array(&r["unpriced_models"])
            .iter()
            .map(|u| {
                Some(UnpricedModel {
                    name: u["model"].as_str()?.to_string(),
                    calls: u["calls"].as_u64()?,
                    suggestions: strings(&u["suggestions"]),
                })
            })
            .collect::<Option<_>>()?,
        notes: {
            let mut notes = strings(&r["notes"]);
            if array(&r["latency_ms_by_model"]).iter().next().is_some() {
                // Percentiles do not add up; the counts behind them are not saved.
                notes.push("latency percentiles are not merged: see each report's own".to_string());
            }
            if !r["tasks"].is_null() {
                notes.push(
                    "per-task spreads (--tasks) are not merged: see each report's own".to_string(),
                );
            }
            notes
        },
        formats: name_counts(&r["formats"]),
        // Reports written before calls were counted per format have none.
        format_calls: name_counts(&r["format_calls"]),
        not_calls: count(&r["lines_without_usage"])?,
        duplicates: count(&r["duplicates_folded"])?,
        // Reports written before --timezone are UTC.
        zone: match r["timezone"].as_str() {
            None => Zone::UTC,
            Some(name) => Zone::parse(name).ok()?,
        },
    })
}

/// The header's words for a `pricing.date` key.
fn pricing_words(key: &str) -> String {
    match key {
        "at_call" => "at each call's date".to_string(),
        "latest" => "latest".to_string(),
        date => format!("as of {date}"),
    }
}

fn scenario(s: &Value) -> Option<ScenarioResult> {
    let role = match s["role"].as_str()? {
        "savings" => Role::Savings,
        "step" => Role::Step(s["stack"].as_str()?.to_string()),
        "sweep" => Role::Sweep(s["sweep_model"].as_str()?.to_string()),
        _ => return None,
    };
    let e = &s["effects"];
    let success = e["success_by_model"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(model, v)| {
                    Some((
                        model.clone(),
                        (
                            v["labelled_calls"].as_u64()?,
                            v["successful_calls"].as_u64()?,
                        ),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let stats = ScenarioStats {
        routed: count(&e["routed_calls"])?,
        not_fit: count(&e["did_not_fit_calls"])?,
        cascaded: count(&e["cascaded_calls"])?,
        escalated: count(&e["escalated_calls"])?,
        batched: count(&e["batched_calls"])?,
        capped_sessions: count(&e["capped_sessions"])?,
        dropped_calls: count(&e["dropped_calls"])?,
        dropped_cost: femto(&e["dropped_cost_femto_usd"])?,
        // Reports written before routers were priced have none.
        router_calls: count(&e["router_calls"])?,
        router_cost: femto(&e["router_cost_femto_usd"])?,
        compactions: count(&e["compactions"])?,
        compaction_cost: femto(&e["compaction_cost_femto_usd"])?,
        compacted_tokens_removed: count(&e["compacted_tokens_removed"])?,
        semantic_lookups: count(&e["semantic_lookups"])?,
        semantic_hits: count(&e["semantic_hits"])?,
        semantic_lookup_cost: femto(&e["semantic_lookup_cost_femto_usd"])?,
        semantic_answered_cost: femto(&e["semantic_answered_cost_femto_usd"])?,
        success,
    };
    let by_model = array(&s["by_model"])
        .iter()
        .map(|m| totals(m, vec![m["model"].as_str()?.to_string()]))
        .collect::<Option<Vec<_>>>()?;
    Some(ScenarioResult {
        name: s["name"].as_str()?.to_string(),
        description: s["description"].as_str().unwrap_or_default().to_string(),
        role,
        total: totals(s, Vec::new())?,
        by_model,
        stats,
    })
}

fn add_groups<'a>(
    into: &mut BTreeMap<Vec<String>, GroupTotals>,
    groups: impl IntoIterator<Item = &'a GroupTotals>,
) {
    for g in groups {
        into.entry(g.keys.clone())
            .or_insert_with(|| GroupTotals {
                keys: g.keys.clone(),
                ..GroupTotals::default()
            })
            .add(g);
    }
}

/// A JSON object of counts by name (absent: none).
fn name_counts(v: &Value) -> Vec<(String, u64)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                .collect()
        })
        .unwrap_or_default()
}

fn add_counts<K: Ord + Clone>(into: &mut Vec<(K, u64)>, more: &[(K, u64)]) {
    let mut map: BTreeMap<K, u64> = into.drain(..).collect();
    for (k, n) in more {
        *map.entry(k.clone()).or_default() += n;
    }
    into.extend(map);
}

/// Adds up saved reports (`(path, report)`, in the order given).
pub fn merge(reports: Vec<(String, Report)>) -> Result<Report, MergeError> {
    let mut iter = reports.into_iter();
    let Some((first_path, first)) = iter.next() else {
        return Err(MergeError::Bad {
            path: String::new(),
            message: "no report to merge".into(),
        });
    };
    let dims = first.dims.clone();
    let names: Vec<String> = first.scenarios.iter().map(|s| s.name.clone()).collect();
    let mut header = first.header.clone();
    let mut rows = BTreeMap::new();
    add_groups(&mut rows, first.rows.iter().map(|r| &r.totals));
    let mut top = BTreeMap::new();
    add_groups(&mut top, &first.top_sessions);
    let mut spans = first.top_spans.clone();
    let top_n = first.top_sessions.len();
    let mut scenarios = first.scenarios.clone();
    let mut notes: Vec<String> = header.notes.clone();
    for (path, r) in iter {
        if r.dims != dims {
            let text = |d: &[Dimension]| {
                d.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(MergeError::Groups {
                path,
                found: text(&r.dims),
                first: first_path,
                expected: text(&dims),
            });
        }
        let theirs: Vec<String> = r.scenarios.iter().map(|s| s.name.clone()).collect();
        if theirs != names {
            return Err(MergeError::Scenarios {
                path,
                found: format!("[{}]", theirs.join(", ")),
                first: first_path,
                expected: format!("[{}]", names.join(", ")),
            });
        }
        let h = &r.header;
        if h.zone != header.zone {
            if dims.iter().any(Dimension::is_time) {
                return Err(MergeError::Zones {
                    path,
                    found: h.zone.to_string(),
                    first: first_path,
                    expected: header.zone.to_string(),
                });
            }
            notes.push(format!(
                "{path} shows times in {}, the first report in {}; the merged report shows {}",
                h.zone, header.zone, header.zone
            ));
        }
        if (h.catalog_version.as_str(), h.pricing_date_key.as_str())
            != (
                header.catalog_version.as_str(),
                header.pricing_date_key.as_str(),
            )
        {
            notes.push(format!(
                "{path} was priced with catalog {} ({}), the first report with {} ({})",
                h.catalog_version,
                h.pricing_date_key,
                header.catalog_version,
                header.pricing_date_key
            ));
        }
        header.inputs.extend(h.inputs.iter().cloned());
        header.lines += h.lines;
        header.calls += h.calls;
        header.filtered_out += h.filtered_out;
        add_counts(&mut header.skipped, &h.skipped);
        header.unreadable_files += h.unreadable_files;
        header.first = match (header.first, h.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        header.last = match (header.last, h.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for u in &h.unpriced {
            match header.unpriced.iter_mut().find(|x| x.name == u.name) {
                Some(x) => x.calls += u.calls,
                None => header.unpriced.push(u.clone()),
            }
        }
        for n in &h.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
        add_counts(&mut header.formats, &h.formats);
        add_counts(&mut header.format_calls, &h.format_calls);
        header.not_calls += h.not_calls;
        header.duplicates += h.duplicates;
        add_groups(&mut rows, r.rows.iter().map(|r| &r.totals));
        add_groups(&mut top, &r.top_sessions);
        // A session in several reports spans from its first call in any to
        // its last answer in any.
        for (session, (a, b)) in &r.top_spans {
            let span = spans.entry(session.clone()).or_insert((*a, *b));
            span.0 = span.0.min(*a);
            span.1 = span.1.max(*b);
        }
        for (mine, theirs) in scenarios.iter_mut().zip(&r.scenarios) {
            mine.total.add(&theirs.total);
            let mut models = BTreeMap::new();
            add_groups(&mut models, &mine.by_model);
            add_groups(&mut models, &theirs.by_model);
            mine.by_model = models.into_values().collect();
            mine.stats.merge(&theirs.stats);
        }
    }
    header
        .unpriced
        .sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.name.cmp(&b.name)));
    header.notes = notes;
    let mut top: Vec<GroupTotals> = top.into_values().collect();
    top.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.keys.cmp(&b.keys)));
    top.truncate(top_n);
    // Only the sessions still among the top.
    spans.retain(|session, _| top.iter().any(|t| &t.keys[0] == session));
    let merged = Report::new(header, dims, rows.into_values().collect())
        .with_scenarios(scenarios)
        .with_top_sessions(top)
        .with_top_spans(spans);
    merged.check_sums()?;
    Ok(merged)
}
