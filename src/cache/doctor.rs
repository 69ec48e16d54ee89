//! `cache doctor`: why prompt caching is not paying, ranked by dollars lost.
//!
//! The doctor looks at calls session by session (a session split into runs
//! of one model) and compares what was paid with what the same calls would
//! have cost had the cause been fixed, using the cache simulator. Each run
//! is charged to at most one of "prefix broken" and "writes not read", so
//! the dollars of different findings do not overlap; idle gaps, model
//! switches and short prompts are separate calls and events.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{is_long_ttl, PromptShape, ScopeCache};
use crate::money::Money;
use crate::pricing::{CacheKind, CacheRules, Catalog, Model, PricingDate, Ttl};
use crate::record::{Call, Usage};
use crate::scenario::Placement;

/// A call with where it came from.
#[derive(Debug, Clone)]
pub struct Observed {
    pub file: usize,
    pub line: u64,
    pub call: Call,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    BrokenPrefix,
    IdleExpiry,
    UnreadWrites,
    BelowMinimum,
    ModelSwitch,
}

impl FindingKind {
    pub fn key(self) -> &'static str {
        match self {
            FindingKind::BrokenPrefix => "prefix_broken",
            FindingKind::IdleExpiry => "idle_expiry",
            FindingKind::UnreadWrites => "writes_not_read",
            FindingKind::BelowMinimum => "below_minimum",
            FindingKind::ModelSwitch => "model_switch",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            FindingKind::BrokenPrefix => "Prompt prefix changes on every call",
            FindingKind::IdleExpiry => "Idle gaps longer than the cache TTL",
            FindingKind::UnreadWrites => "Cache writes rarely or never read",
            FindingKind::BelowMinimum => "Prompts below the minimum cacheable length",
            FindingKind::ModelSwitch => "Model switches inside a session",
        }
    }
}

/// One session (or run) that shows a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub session: String,
    pub model: String,
    pub lost: Money,
    /// `file:line` of the calls that show it, first few.
    pub lines: Vec<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub lost: Money,
    pub calls: u64,
    /// Sessions, most dollars first.
    pub evidence: Vec<Evidence>,
    pub advice: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub calls: u64,
    pub sessions: u64,
    /// What the priced calls cost as recorded.
    pub spent: Money,
    /// Ranked, most dollars lost first.
    pub findings: Vec<Finding>,
}

/// Lines of evidence kept per session.
const LINES_PER_SESSION: usize = 3;

/// Calls of one session on one model, in time order.
struct Run<'a> {
    session: String,
    model: &'a Model,
    calls: Vec<&'a Observed>,
}

fn price(model: &Model, call: &Call, usage: &Usage) -> Money {
    model
        .price(
            usage,
            call.requests,
            call.batch,
            &call.options,
            PricingDate::AtCall,
            call.ts,
        )
        .cost
}

/// The cost of a run's calls with caching simulated under `rules`, with the
/// prompt shapes given by `shape`.
fn simulate(
    run: &Run,
    rules: &CacheRules,
    ttl: Ttl,
    shared_prefix: u64,
    shape: impl Fn(&Observed) -> PromptShape,
) -> Money {
    // Breakpoints where the trace marked them and at the end of the prompt.
    let mut cache = ScopeCache::new(rules, ttl, Placement::Both, shared_prefix);
    let long = is_long_ttl(rules, super::effective_ttl(rules, ttl));
    let mut total = Money::ZERO;
    for o in &run.calls {
        let out = cache.call(o.call.ts.timestamp_millis(), &shape(o));
        let usage = Usage {
            input: out.input,
            cache_read: out.read,
            cache_write_5m: if long { 0 } else { out.write },
            cache_write_1h: if long { out.write } else { 0 },
            ..o.call.usage
        };
        total += price(run.model, &o.call, &usage);
    }
    total
}

fn default_ttl(rules: &CacheRules) -> Ttl {
    rules.ttls.first().copied().unwrap_or(Ttl::FIVE_MINUTES)
}

fn gap_ms(a: &DateTime<Utc>, b: &DateTime<Utc>) -> i64 {
    (*b - *a).num_milliseconds()
}

/// Rate difference per token between paying `from` and paying the cache read.
fn per_token(model: &Model, call: &Call, tokens: u64, explicit_write: bool) -> Money {
    let usage = |u: Usage| price(model, call, &u);
    let base = Usage {
        output: 0,
        reasoning: 0,
        ..Usage::default()
    };
    let paid = if explicit_write {
        usage(Usage {
            cache_write_5m: tokens,
            ..base
        })
    } else {
        usage(Usage {
            input: tokens,
            ..base
        })
    };
    let read = usage(Usage {
        cache_read: tokens,
        ..base
    });
    paid - read
}

struct Collector {
    findings: BTreeMap<FindingKind, Finding>,
}

impl Collector {
    fn add(&mut self, kind: FindingKind, calls: u64, evidence: Evidence) {
        if evidence.lost <= Money::ZERO && kind != FindingKind::BelowMinimum {
            return;
        }
        let f = self.findings.entry(kind).or_insert_with(|| Finding {
            kind,
            lost: Money::ZERO,
            calls: 0,
            evidence: Vec::new(),
            advice: String::new(),
        });
        f.lost += evidence.lost.max(Money::ZERO);
        f.calls += calls;
        // Several events of one session (model switches) make one entry.
        match f.evidence.last_mut() {
            Some(last) if last.session == evidence.session && kind == FindingKind::ModelSwitch => {
                last.lost += evidence.lost;
                last.lines.extend(evidence.lines);
                last.lines.truncate(LINES_PER_SESSION);
                let events = last.detail.split("; ").count() + 1;
                if events <= LINES_PER_SESSION {
                    last.detail = format!("{}; {}", last.detail, evidence.detail);
                } else if !last.detail.ends_with("...") {
                    last.detail.push_str("; ...");
                }
            }
            _ => f.evidence.push(evidence),
        }
    }
}

/// Which conversation of its session a call belongs to. Sub-agents (Claude
/// Code sidechains, calls tagged with an `agent` or a `role` of their own,
/// such as a router or a summariser) send prompts of their own: a call to
/// one is not a model switch of the main conversation, and does not break
/// its runs of calls.
fn conversation(call: &Call) -> String {
    ["sidechain", "agent", "role"]
        .iter()
        .map(|key| call.tags.get(*key).map_or("", String::as_str))
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// Diagnoses the calls. `files` names the inputs for `file:line` evidence.
pub fn diagnose(
    observed: &[Observed],
    files: &[String],
    catalog: &Catalog,
    shared_prefix: u64,
) -> Diagnosis {
    let place = |o: &Observed| format!("{}:{}", files[o.file], o.line);
    let mut sessions: BTreeMap<(String, String, String), Vec<&Observed>> = BTreeMap::new();
    let mut spent = Money::ZERO;
    let mut priced_calls = 0u64;
    for o in observed {
        let Some(model) = catalog.resolve(&o.call.model) else {
            continue;
        };
        priced_calls += 1;
        spent += price(model, &o.call, &o.call.usage);
        let session = o
            .call
            .session
            .clone()
            .unwrap_or_else(|| format!("(no session, {})", model.id));
        sessions
            .entry((o.call.account.clone(), session, conversation(&o.call)))
            .or_default()
            .push(o);
    }
    let mut out = Collector {
        findings: BTreeMap::new(),
    };
    for ((_, session, _), mut calls) in sessions {
        calls.sort_by(|a, b| {
            a.call
                .ts
                .cmp(&b.call.ts)
                .then((a.file, a.line).cmp(&(b.file, b.line)))
        });
        let sessionless = session.starts_with("(no session");
        // Model switches, then runs of one model.
        let mut runs: Vec<Run> = Vec::new();
        for o in calls {
            let model = catalog.resolve(&o.call.model).expect("priced above");
            match runs.last_mut() {
                Some(run) if run.model.id == model.id => run.calls.push(o),
                Some(run) if !sessionless => {
                    let prev = run.calls.last().expect("runs are never empty");
                    let prefix = prev
                        .call
                        .usage
                        .prompt_tokens()
                        .min(o.call.usage.prompt_tokens());
                    let gap = gap_ms(&prev.call.ts, &o.call.ts);
                    let live = gap < default_ttl(&model.cache).seconds() * 1000;
                    if model.cache.kind != CacheKind::None
                        && prefix >= model.cache.min_tokens
                        && live
                    {
                        let explicit = model.cache.kind == CacheKind::Explicit;
                        out.add(
                            FindingKind::ModelSwitch,
                            1,
                            Evidence {
                                session: session.clone(),
                                model: model.id.clone(),
                                lost: per_token(model, &o.call, prefix, explicit),
                                lines: vec![place(o)],
                                detail: format!(
                                    "{} -> {}: {} prompt tokens start cold",
                                    prev.call.model,
                                    o.call.model,
                                    crate::money::display_count(prefix)
                                ),
                            },
                        );
                    }
                    runs.push(Run {
                        session: session.clone(),
                        model,
                        calls: vec![o],
                    });
                }
                _ => runs.push(Run {
                    session: session.clone(),
                    model,
                    calls: vec![o],
                }),
            }
        }
        for run in &runs {
            diagnose_run(run, sessionless, shared_prefix, &place, &mut out);
        }
    }
    let mut findings: Vec<Finding> = out.findings.into_values().collect();
    for f in &mut findings {
        f.evidence
            .sort_by(|a, b| b.lost.cmp(&a.lost).then_with(|| a.session.cmp(&b.session)));
        f.advice = advice(f);
    }
    findings.sort_by(|a, b| b.lost.cmp(&a.lost).then(a.kind.cmp(&b.kind)));
    Diagnosis {
        calls: priced_calls,
        sessions: findings_sessions(observed),
        spent,
        findings,
    }
}

fn findings_sessions(observed: &[Observed]) -> u64 {
    let mut ids: Vec<(&str, &str)> = observed
        .iter()
        .filter_map(|o| {
            o.call
                .session
                .as_deref()
                .map(|s| (o.call.account.as_str(), s))
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len() as u64
}

fn diagnose_run(
    run: &Run,
    sessionless: bool,
    shared_prefix: u64,
    place: &dyn Fn(&Observed) -> String,
    out: &mut Collector,
) {
    let rules = &run.model.cache;
    if rules.kind == CacheKind::None {
        return;
    }
    let ttl = default_ttl(rules);
    let ttl_ms = ttl.seconds() * 1000;
    let model = run.model;
    let recorded: Money = run
        .calls
        .iter()
        .map(|o| price(model, &o.call, &o.call.usage))
        .sum();
    let unique = |o: &Observed| ((o.file as u64) << 40) + o.line;
    let inferred = |o: &Observed| PromptShape::of(&o.call, unique(o));
    let lines = |calls: &[&Observed]| -> Vec<String> {
        calls
            .iter()
            .take(LINES_PER_SESSION)
            .map(|o| place(o))
            .collect()
    };

    // Prompts below the minimum: what caching would save without the floor.
    let short: Vec<&Observed> = run
        .calls
        .iter()
        .copied()
        .filter(|o| o.call.usage.prompt_tokens() < rules.min_tokens)
        .collect();
    if !sessionless && short.len() >= 2 {
        let no_floor = CacheRules {
            min_tokens: 0,
            ..rules.clone()
        };
        let with_floor = simulate(run, rules, ttl, shared_prefix, inferred);
        let without = simulate(run, &no_floor, ttl, shared_prefix, inferred);
        out.add(
            FindingKind::BelowMinimum,
            short.len() as u64,
            Evidence {
                session: run.session.clone(),
                model: model.id.clone(),
                lost: with_floor - without,
                lines: lines(&short),
                detail: format!(
                    "{} of {} calls have prompts under {} tokens",
                    short.len(),
                    run.calls.len(),
                    crate::money::display_count(rules.min_tokens)
                ),
            },
        );
    }

    if run.calls.len() < 2 {
        return;
    }
    // Idle gaps: a live session whose prefix expired between two calls.
    let mut expired = Vec::new();
    let mut expiry_lost = Money::ZERO;
    for pair in run.calls.windows(2) {
        let (prev, cur) = (pair[0], pair[1]);
        let prefix = prev
            .call
            .usage
            .prompt_tokens()
            .min(cur.call.usage.prompt_tokens());
        let gap = gap_ms(&prev.call.ts, &cur.call.ts);
        if !sessionless && gap >= ttl_ms && prefix >= rules.min_tokens {
            expired.push(cur);
            expiry_lost += per_token(model, &cur.call, prefix, rules.kind == CacheKind::Explicit);
        }
    }
    if !expired.is_empty() {
        let longer = rules.ttls.iter().copied().find(|t| *t > ttl);
        let detail = match longer {
            Some(long) => {
                let short_cost = simulate(run, rules, ttl, shared_prefix, inferred);
                let long_cost = simulate(run, rules, long, shared_prefix, inferred);
                if long_cost < short_cost {
                    format!(
                        "{} re-writes after gaps over {ttl}; a {long} TTL would save {} on this session",
                        expired.len(),
                        (short_cost - long_cost).display_usd()
                    )
                } else {
                    format!(
                        "{} re-writes after gaps over {ttl}; a {long} TTL would cost {} more here",
                        expired.len(),
                        (long_cost - short_cost).display_usd()
                    )
                }
            }
            None => format!("{} prefixes expired after gaps over {ttl}", expired.len()),
        };
        out.add(
            FindingKind::IdleExpiry,
            expired.len() as u64,
            Evidence {
                session: run.session.clone(),
                model: model.id.clone(),
                lost: expiry_lost,
                lines: lines(&expired),
                detail,
            },
        );
    }

    // A prefix that changes on every call: segment ids, or recorded usage
    // that writes (or could read) but never reads although calls come fast.
    let with_segments = run.calls.iter().all(|o| o.call.segments.is_some());
    let fast = run
        .calls
        .windows(2)
        .all(|p| gap_ms(&p[0].call.ts, &p[1].call.ts) < ttl_ms);
    let cacheable = run.calls[1..]
        .iter()
        .all(|o| o.call.usage.prompt_tokens() >= rules.min_tokens);
    let mut broken = false;
    if run.calls.len() >= 3 && fast && cacheable {
        if with_segments {
            let mut firsts: Vec<&str> = run
                .calls
                .iter()
                .filter_map(|o| o.call.segments.as_ref()?.first()?.id.as_deref())
                .collect();
            firsts.sort_unstable();
            firsts.dedup();
            if firsts.len() == run.calls.len() {
                let stable = |o: &Observed| {
                    let mut call = o.call.clone();
                    if let Some(first) = call.segments.as_mut().and_then(|s| s.first_mut()) {
                        first.id = Some("\0stable-first-segment".to_string());
                    }
                    PromptShape::of(&call, unique(o))
                };
                let fixed = simulate(run, rules, ttl, shared_prefix, stable);
                let lost = recorded - fixed;
                broken = true;
                out.add(
                    FindingKind::BrokenPrefix,
                    run.calls.len() as u64,
                    Evidence {
                        session: run.session.clone(),
                        model: model.id.clone(),
                        lost,
                        lines: lines(&run.calls),
                        detail: format!(
                            "first segment id differs on all {} calls (e.g. `{}`)",
                            run.calls.len(),
                            firsts[0]
                        ),
                    },
                );
            }
        } else if !sessionless && run.calls[1..].iter().all(|o| o.call.usage.cache_read == 0) {
            let wrote = run.calls.iter().any(|o| o.call.usage.cache_write() > 0);
            if wrote || rules.kind == CacheKind::Automatic {
                let fixed = simulate(run, rules, ttl, shared_prefix, inferred);
                broken = true;
                out.add(
                    FindingKind::BrokenPrefix,
                    run.calls.len() as u64,
                    Evidence {
                        session: run.session.clone(),
                        model: model.id.clone(),
                        lost: recorded - fixed,
                        lines: lines(&run.calls),
                        detail: format!(
                            "{} calls within the {ttl} TTL{}, none read the cache",
                            run.calls.len(),
                            if wrote { " wrote the cache" } else { "" }
                        ),
                    },
                );
            }
        }
    }

    // Writes whose premium the reads did not pay back.
    if !broken && rules.kind == CacheKind::Explicit {
        let premium: Money = run
            .calls
            .iter()
            .map(|o| {
                model
                    .price(
                        &o.call.usage,
                        o.call.requests,
                        o.call.batch,
                        &o.call.options,
                        PricingDate::AtCall,
                        o.call.ts,
                    )
                    .write_premium
            })
            .sum();
        let savings: Money = run
            .calls
            .iter()
            .map(|o| per_token(model, &o.call, o.call.usage.cache_read, false))
            .sum();
        let written: u64 = run.calls.iter().map(|o| o.call.usage.cache_write()).sum();
        let read: u64 = run.calls.iter().map(|o| o.call.usage.cache_read).sum();
        if premium > savings {
            let writers: Vec<&Observed> = run
                .calls
                .iter()
                .copied()
                .filter(|o| o.call.usage.cache_write() > 0)
                .collect();
            out.add(
                FindingKind::UnreadWrites,
                writers.len() as u64,
                Evidence {
                    session: run.session.clone(),
                    model: model.id.clone(),
                    lost: premium - savings,
                    lines: lines(&writers),
                    detail: format!(
                        "{} tokens written, {} read back: the write premium ({}) exceeds what the reads saved ({})",
                        crate::money::display_count(written),
                        crate::money::display_count(read),
                        premium.display_usd(),
                        savings.display_usd()
                    ),
                },
            );
        }
    }
}

fn advice(f: &Finding) -> String {
    match f.kind {
        FindingKind::BrokenPrefix => "Keep the start of the prompt byte-identical across calls: move timestamps, request or session ids and per-user data out of the system prompt to the end of the prompt, and keep tool definitions in a fixed order.".to_string(),
        FindingKind::IdleExpiry => {
            let verdict = f
                .evidence
                .iter()
                .filter(|e| e.detail.contains("would save"))
                .count();
            if verdict * 2 > f.evidence.len() {
                "Use the longer cache TTL (e.g. `ttl: 1h` on the breakpoint) for sessions that pause; compare with `costsim replay --scenario cache-1h`.".to_string()
            } else {
                "Gaps outlive the cache; a longer TTL does not pay for itself here. Batch work so calls of a session come closer together, or accept the re-writes.".to_string()
            }
        }
        FindingKind::UnreadWrites => "Do not place cache breakpoints on prompts that are not re-sent soon; cache only the stable shared prefix (system prompt, tools), or turn caching off for one-off calls.".to_string(),
        FindingKind::BelowMinimum => "These prompts are shorter than the model's minimum cacheable prefix, so nothing is cached. If a stable part is close to the minimum, move more static instructions or examples in front of it; otherwise caching cannot help these calls.".to_string(),
        FindingKind::ModelSwitch => "Each model has its own cache: switching models mid-session starts the prompt cold. Keep a session on one model (route per session, not per call), or switch only where the prompt is short.".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::canonical::parse_line;
    use crate::pricing::load_embedded;

    fn observed(lines: &[String]) -> Vec<Observed> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| Observed {
                file: 0,
                line: i as u64 + 1,
                call: parse_line(l.as_bytes()).unwrap(),
            })
            .collect()
    }

    fn run(lines: &[String]) -> Diagnosis {
        diagnose(
            &observed(lines),
            &["t.jsonl".to_string()],
            &load_embedded().unwrap(),
            0,
        )
    }

    #[test]
    fn names_a_changing_first_segment() {
        let lines: Vec<String> = (0..5)
            .map(|i| {
                format!(
                    r#"{{"ts":"2026-03-01T10:00:{:02}Z","model":"claude-sonnet-4-5","session":"s1","usage":{{"input":12000,"output":100}},"prompt":{{"segments":[{{"id":"sys-{i}","tokens":5000,"cache":"5m"}},{{"id":"hist","tokens":7000}}]}}}}"#,
                    i * 10
                )
            })
            .collect();
        let d = run(&lines);
        let f = &d.findings[0];
        assert_eq!(f.kind, FindingKind::BrokenPrefix);
        assert_eq!(f.evidence[0].session, "s1");
        assert!(f.evidence[0].lines[0].starts_with("t.jsonl:1"));
        assert!(f.lost > Money::ZERO);
    }

    #[test]
    fn a_healthy_session_has_no_findings() {
        let lines: Vec<String> = (0..5u64)
            .map(|i| {
                let prompt = 20_000 + 1000 * i;
                let read = if i == 0 { 0 } else { prompt - 1000 };
                format!(
                    r#"{{"ts":"2026-03-01T10:00:{:02}Z","model":"claude-sonnet-4-5","session":"s1","usage":{{"input":0,"cache_read":{read},"cache_write_5m":{},"output":100}}}}"#,
                    i * 10,
                    prompt - read
                )
            })
            .collect();
        let d = run(&lines);
        assert!(d.findings.is_empty(), "{:?}", d.findings);
    }

    #[test]
    fn model_switch_is_named() {
        let lines = vec![
            r#"{"ts":"2026-03-01T10:00:00Z","model":"claude-sonnet-4-5","session":"s1","usage":{"input":0,"cache_write_5m":20000,"output":100}}"#.to_string(),
            r#"{"ts":"2026-03-01T10:00:30Z","model":"claude-haiku-4-5","session":"s1","usage":{"input":0,"cache_write_5m":21000,"output":100}}"#.to_string(),
        ];
        let d = run(&lines);
        let f = d
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::ModelSwitch)
            .unwrap();
        // 20,000 tokens that could have been read on Haiku ($0.10/M) were
        // written at $1.25/M: 20,000 × $1.15/M = $0.023.
        assert_eq!(f.lost.to_decimal_string(6), "0.023000");
        assert_eq!(f.evidence[0].lines, ["t.jsonl:2"]);
    }

    /// A sub-agent's call (a Claude Code sidechain, or a call with a role or
    /// agent of its own) has its own prompt: calling it is no model switch
    /// of the main conversation, and the main conversation's calls around
    /// it still form one run.
    #[test]
    fn a_sub_agent_is_not_a_model_switch() {
        for tags in [
            r#"{"sidechain":"true"}"#,
            r#"{"role":"subagent"}"#,
            r#"{"agent":"explore"}"#,
        ] {
            let lines = vec![
                r#"{"ts":"2026-03-01T10:00:00Z","model":"claude-sonnet-4-5","session":"s1","usage":{"input":0,"cache_write_5m":20000,"output":100}}"#.to_string(),
                format!(r#"{{"ts":"2026-03-01T10:00:30Z","model":"claude-haiku-4-5","session":"s1","tags":{tags},"usage":{{"input":0,"cache_write_5m":21000,"output":100}}}}"#),
                r#"{"ts":"2026-03-01T10:01:00Z","model":"claude-sonnet-4-5","session":"s1","usage":{"input":0,"cache_read":20000,"cache_write_5m":1000,"output":100}}"#.to_string(),
            ];
            let d = run(&lines);
            assert!(
                d.findings
                    .iter()
                    .all(|f| f.kind != FindingKind::ModelSwitch),
                "{tags}: {:?}",
                d.findings
            );
        }
    }
}
