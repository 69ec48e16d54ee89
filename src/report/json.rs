//! The JSON report (schema version 1). Field names are stable; new fields may
//! be added, existing ones keep their meaning. Money is given twice: as
//! `cost_usd`, a number rounded to micro-dollars, and as `cost_femto_usd`, the
//! exact integer amount in 1e-15 USD as a string (for exact merging).

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::{change_bp, share_fraction, GroupTotals, Report};
use crate::money::Money;
use crate::scenario::Role;

pub const SCHEMA_VERSION: u32 = 1;

fn totals(t: &GroupTotals, unpriced: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("calls".into(), json!(t.calls));
    m.insert("unpriced_calls".into(), json!(t.unpriced_calls));
    m.insert(
        "tokens".into(),
        json!({
            "input": t.usage.input,
            "cache_write_5m": t.usage.cache_write_5m,
            "cache_write_1h": t.usage.cache_write_1h,
            "cache_read": t.usage.cache_read,
            "output": t.usage.output,
            "reasoning": t.usage.reasoning,
        }),
    );
    m.insert("billed_calls".into(), json!(t.billed_calls));
    if t.billed_calls > 0 {
        m.insert("billed_usd".into(), json!(t.billed.to_usd_f64()));
        m.insert(
            "billed_femto_usd".into(),
            json!(t.billed.femto().to_string()),
        );
        m.insert(
            "billed_minus_priced_usd".into(),
            json!((t.billed - t.billed_priced).to_usd_f64()),
        );
        m.insert(
            "billed_priced_femto_usd".into(),
            json!(t.billed_priced.femto().to_string()),
        );
    }
    m.insert(
        "write_premium_femto_usd".into(),
        json!(t.write_premium.femto().to_string()),
    );
    // Fees per server tool use, a part of the cost.
    m.insert("tools_usd".into(), json!(t.tools.to_usd_f64()));
    m.insert("tools_femto_usd".into(), json!(t.tools.femto().to_string()));
    if unpriced {
        m.insert("cost_usd".into(), Value::Null);
        m.insert("cost_femto_usd".into(), Value::Null);
    } else {
        m.insert("cost_usd".into(), json!(t.cost.to_usd_f64()));
        m.insert("cost_femto_usd".into(), json!(t.cost.femto().to_string()));
    }
    m
}

fn fraction(bp: Option<i128>) -> Value {
    bp.map_or(Value::Null, |bp| {
        json!(share_fraction(bp).parse::<f64>().unwrap_or(0.0))
    })
}

/// Totals of one scenario (or one model in it) with the change from `base`.
fn scenario_totals(t: &GroupTotals, base: Money) -> Map<String, Value> {
    let unpriced = t.calls > 0 && t.calls == t.unpriced_calls;
    let mut m = totals(t, unpriced);
    if !unpriced {
        let delta = t.cost - base;
        m.insert("delta_usd".into(), json!(delta.to_usd_f64()));
        m.insert("delta_femto_usd".into(), json!(delta.femto().to_string()));
        m.insert("change".into(), fraction(change_bp(base, t.cost)));
        m.insert(
            "write_premium_usd".into(),
            json!(t.write_premium.to_usd_f64()),
        );
    }
    m
}

fn scenarios_value(report: &Report) -> Value {
    let Some(base) = report.scenarios.first() else {
        return Value::Null;
    };
    let list: Vec<Value> = report
        .scenarios
        .iter()
        .map(|s| {
            let mut m = scenario_totals(&s.total, base.total.cost);
            m.insert("name".into(), json!(s.name));
            m.insert("description".into(), json!(s.description));
            let (role, group) = match &s.role {
                Role::Savings => ("savings", Value::Null),
                Role::Step(stack) => ("step", json!(stack)),
                Role::Sweep(model) => ("sweep", json!(model)),
            };
            m.insert("role".into(), json!(role));
            m.insert(
                if role == "sweep" {
                    "sweep_model"
                } else {
                    "stack"
                }
                .into(),
                group,
            );
            m.insert(
                "per_month_usd".into(),
                json!(report.monthly(s.total.cost).to_usd_f64()),
            );
            let t = &s.stats;
            let (labelled, ok) = t.labelled();
            m.insert(
                "effects".into(),
                json!({
                    "routed_calls": t.routed,
                    "did_not_fit_calls": t.not_fit,
                    "cascaded_calls": t.cascaded,
                    "escalated_calls": t.escalated,
                    "batched_calls": t.batched,
                    "capped_sessions": t.capped_sessions,
                    "dropped_calls": t.dropped_calls,
                    "dropped_cost_usd": t.dropped_cost.to_usd_f64(),
                    "dropped_cost_femto_usd": t.dropped_cost.femto().to_string(),
                    "router_calls": t.router_calls,
                    "router_cost_usd": t.router_cost.to_usd_f64(),
                    "router_cost_femto_usd": t.router_cost.femto().to_string(),
                    "compactions": t.compactions,
                    "compaction_cost_usd": t.compaction_cost.to_usd_f64(),
                    "compaction_cost_femto_usd": t.compaction_cost.femto().to_string(),
                    "compacted_tokens_removed": t.compacted_tokens_removed,
                    "semantic_lookups": t.semantic_lookups,
                    "semantic_hits": t.semantic_hits,
                    "semantic_lookup_cost_usd": t.semantic_lookup_cost.to_usd_f64(),
                    "semantic_lookup_cost_femto_usd": t.semantic_lookup_cost.femto().to_string(),
                    "semantic_answered_cost_usd": t.semantic_answered_cost.to_usd_f64(),
                    "semantic_answered_cost_femto_usd": t.semantic_answered_cost.femto().to_string(),
                    "labelled_calls": labelled,
                    "successful_calls": ok,
                    "success_by_model": t.success.iter().map(|(model, (l, ok))| {
                        (model.clone(), json!({"labelled_calls": l, "successful_calls": ok}))
                    }).collect::<Map<String, Value>>(),
                }),
            );
            m.insert("cache_hit_rate".into(), fraction(s.hit_rate_bp()));
            let models: Vec<Value> = s
                .by_model
                .iter()
                .map(|r| {
                    let base_cost = base.model_cost(&r.keys[0]).map_or(Money::ZERO, |b| b.cost);
                    let mut m = scenario_totals(r, base_cost);
                    m.insert("model".into(), json!(r.keys[0]));
                    Value::Object(m)
                })
                .collect();
            m.insert("by_model".into(), Value::Array(models));
            Value::Object(m)
        })
        .collect();
    Value::Array(list)
}

pub fn report_value(report: &Report) -> Value {
    let h = &report.header;
    let rows: Vec<Value> = report
        .rows
        .iter()
        .map(|row| {
            let mut m = totals(&row.totals, row.is_unpriced());
            let keys: Map<String, Value> = report
                .dims
                .iter()
                .zip(&row.totals.keys)
                .map(|(d, k)| (d.to_string(), json!(k)))
                .collect();
            m.insert("keys".into(), Value::Object(keys));
            m.insert(
                "share".into(),
                match row.share_bp {
                    Some(bp) if !row.is_unpriced() => {
                        json!(share_fraction(bp).parse::<f64>().unwrap_or(0.0))
                    }
                    _ => Value::Null,
                },
            );
            Value::Object(m)
        })
        .collect();
    let skipped: Map<String, Value> = h
        .skipped
        .iter()
        .map(|(r, n)| (r.key().to_string(), json!(n)))
        .collect();
    json!({
        "schema_version": SCHEMA_VERSION,
        "command": h.command,
        "inputs": h.inputs,
        "lines": h.lines,
        "calls": h.calls,
        "filtered_out": h.filtered_out,
        "unreadable_files": h.unreadable_files,
        "skipped": { "total": h.skipped_total(), "by_reason": skipped },
        "date_range": {
            "first": h.first.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            "last": h.last.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        },
        "pricing": {
            "catalog_version": h.catalog_version,
            "catalog": h.catalog_origin,
            "date": h.pricing_date_key,
        },
        "group_by": report.dims.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "timezone": h.zone.name(),
        "display_currency": crate::currency::display().map(|c| json!({
            "code": c.code,
            "per_usd": c.per_usd,
        })),
        "unpriced_models": h.unpriced.iter().map(|u| json!({
            "model": u.name,
            "calls": u.calls,
            "suggestions": u.suggestions,
        })).collect::<Vec<_>>(),
        "notes": h.notes,
        "formats": h.formats.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<String, Value>>(),
        "format_calls": h.format_calls.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<String, Value>>(),
        "lines_without_usage": h.not_calls,
        "duplicates_folded": h.duplicates,
        "rows": rows,
        "total": Value::Object(totals(&report.total, false)),
        "scenarios": scenarios_value(report),
        "observed_days": report.observed_days(),
        "latency_ms_by_model": report.latency.iter().map(|l| json!({
            "model": l.model,
            "calls": l.calls,
            "p50": l.p50_ms,
            "p95": l.p95_ms,
            "max": l.max_ms,
        })).collect::<Vec<_>>(),
        "tasks": report.tasks.as_ref().map(tasks_value),
        "top_sessions": report.top_sessions.iter().map(|t| {
            let mut m = totals(t, false);
            m.insert("session".into(), json!(t.keys[0]));
            if let Some((first, last)) = report.top_spans.get(&t.keys[0]) {
                let at = |d: &chrono::DateTime<chrono::Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                m.insert("first_call".into(), json!(at(first)));
                m.insert("last_answer".into(), json!(at(last)));
                m.insert("wall_time_ms".into(), json!((*last - *first).num_milliseconds()));
            }
            Value::Object(m)
        }).collect::<Vec<_>>(),
    })
}

/// `--tasks`: the spread over tasks, as recorded and per scenario.
fn tasks_value(t: &super::tasks::TaskSummary) -> Value {
    fn spread<T: serde::Serialize>(s: &super::tasks::Spread<T>) -> Value {
        json!({"p50": s.p50, "p90": s.p90, "max": s.max})
    }
    json!({
        "tasks": t.tasks,
        "calls_without_task": t.calls_without_task,
        "wall_time_ms": spread(&t.wall_time_ms),
        "scenarios": t.scenarios.iter().map(|s| json!({
            "name": s.name,
            "cost_femto_usd": s.total.femto().to_string(),
            "cost_per_task_femto_usd": spread(&s.cost.map(|m| m.femto().to_string())),
            "calls_per_task": spread(&s.calls),
            "tokens_per_task": spread(&s.tokens),
        })).collect::<Vec<_>>(),
        "most_expensive": t.top.iter().map(|top| json!({
            "task": top.task,
            "calls": top.calls,
            "wall_time_ms": top.wall_time_ms,
            "cost_femto_usd": t.scenarios.iter().zip(&top.costs)
                .map(|(s, c)| (s.name.clone(), json!(c.femto().to_string())))
                .collect::<Map<String, Value>>(),
        })).collect::<Vec<_>>(),
    })
}

pub fn write_report(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &report_value(report))?;
    writeln!(out)
}
