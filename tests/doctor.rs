//! `costsim cache doctor` on fixtures/doctor/traces.jsonl (made by
//! fixtures/doctor/generate.py), whose sessions each carry one known problem.
//! Prices: claude-sonnet-4-5 $3 in, $3.75 5m write, $0.30 read, $15 out;
//! claude-haiku-4-5 $1, $1.25, $0.10; gpt-5-mini $0.25 in, $0.025 read.

use crate::util::{costsim, ok};

const TRACES: &str = "fixtures/doctor/traces.jsonl";

fn findings() -> serde_json::Value {
    let run = ok(&["cache", "doctor", TRACES, "-o", "json"]);
    serde_json::from_str(&run.stdout).unwrap()
}

fn finding<'a>(json: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} finding in {json}"))
}

#[test]
fn names_the_timestamp_in_the_system_prompt() {
    let json = findings();
    let f = finding(&json, "prefix_broken");
    let session = &f["sessions"][0];
    assert_eq!(session["session"], "ts-in-system");
    assert_eq!(session["lines"][0], format!("{TRACES}:1"));
    assert!(session["detail"]
        .as_str()
        .unwrap()
        .contains("first segment id differs"));
    // Paid: 8 calls, prompts 6,400 + 1,300k (k = 0..7) = 87,600 tokens, of
    // which 8 × 400 = 3,200 input and 84,400 written; 7,200 output.
    //   3,200 × $3 + 84,400 × $3.75 + 7,200 × $15 = $0.0096 + $0.3165 + $0.108 = $0.4341
    // With a stable system prompt (breakpoints after the history and at the end):
    //   call 1 writes 6,400: $0.024
    //   calls 2-8 read the system prompt and earlier turns (6,000 + 1,300(k-1)),
    //   sum 69,300 × $0.30 = $0.02079, and write 1,300 + 400 each:
    //   7 × 1,700 = 11,900 × $3.75 = $0.044625; output $0.108
    //   total $0.197415
    // Lost: $0.4341 − $0.197415 = $0.236685
    assert_eq!(f["lost_femto_usd"], "236685000000000");
    assert!(f["advice"].as_str().unwrap().contains("timestamps"));
}

#[test]
fn prices_idle_gaps_and_judges_the_1h_ttl() {
    let json = findings();
    let f = finding(&json, "idle_expiry");
    assert_eq!(f["sessions"][0]["session"], "coffee-break");
    // Three pauses of 7, 11 and 15 minutes. Each time the previous prompt
    // (23,000, 27,500, 32,000 tokens) is written again at $3.75 instead of
    // read at $0.30: (23,000 + 27,500 + 32,000) × $3.45/M = $0.284625.
    assert_eq!(f["lost_femto_usd"], "284625000000000");
    assert!(f["sessions"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("a 1h TTL would save"));
}

#[test]
fn sums_model_switches_per_session() {
    let json = findings();
    let f = finding(&json, "model_switch");
    assert_eq!(f["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(f["calls"], 5);
    // Each switch starts the previous prompt cold on the new model:
    //   to Haiku: 15,000 + 17,000 + 19,000 = 51,000 × ($1.25 − $0.10) = $0.05865
    //   to Sonnet: 16,000 + 18,000 = 34,000 × ($3.75 − $0.30) = $0.1173
    //   total $0.17595
    assert_eq!(f["lost_femto_usd"], "175950000000000");
}

#[test]
fn flags_writes_nobody_reads() {
    let json = findings();
    let f = finding(&json, "writes_not_read");
    // 10 one-off calls write 8,000 tokens each: premium 80,000 × ($3.75 − $3) = $0.06.
    assert_eq!(f["lost_femto_usd"], "60000000000000");
    assert_eq!(f["calls"], 10);
}

#[test]
fn counts_prompts_below_the_minimum() {
    let json = findings();
    let f = finding(&json, "below_minimum");
    assert_eq!(f["calls"], 40);
    // Without the 1,024-token floor, calls 2-40 would read 512 of their 600
    // tokens (600 rounded down to 128s): 39 × 512 × ($0.25 − $0.025) = $0.0044928.
    assert_eq!(f["lost_femto_usd"], "4492800000000");
}

#[test]
fn healthy_session_is_not_named_and_findings_are_ranked() {
    let json = findings();
    let findings = json["findings"].as_array().unwrap();
    let lost: Vec<f64> = findings
        .iter()
        .map(|f| f["lost_usd"].as_f64().unwrap())
        .collect();
    assert!(lost.windows(2).all(|w| w[0] >= w[1]), "{lost:?}");
    for f in findings {
        for s in f["sessions"].as_array().unwrap() {
            assert_ne!(s["session"], "healthy");
        }
    }
}

#[test]
fn table_and_markdown_name_problem_lines_and_advice() {
    let table = ok(&["cache", "doctor", TRACES]).stdout;
    assert!(
        table.contains("Prompt prefix changes on every call"),
        "{table}"
    );
    assert!(table.contains("What to change:"));
    assert!(table.contains("traces.jsonl:1,"), "{table}");
    let md = ok(&["cache", "doctor", TRACES, "-o", "markdown"]).stdout;
    assert!(md.contains("| # | Finding |"), "{md}");
    assert!(md.contains("### 1. Idle gaps"), "{md}");
}

#[test]
fn empty_or_missing_input_is_an_error() {
    let run = costsim(&["cache", "doctor", "fixtures/bad/empty.jsonl"], None);
    assert_eq!(run.code, 2);
    let run = costsim(&["cache", "doctor", "nope.jsonl"], None);
    assert_eq!(run.code, 2);
}

/// `cache doctor` takes the inputs `replay` finds (`--claude`, `--agents`)
/// and its time window (`--since`, `--until`, `--last`). The Claude Code
/// fixture tree spends $1.061931 (fixtures/formats/README-agents.md).
#[test]
fn doctor_finds_agent_logs_and_keeps_a_time_window() {
    let env = [("CLAUDE_CONFIG_DIR", Some("fixtures/claude-code"))];
    let run = crate::util::costsim_env(&["cache", "doctor", "--claude", "-q"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("10 calls in 3 sessions, $1.06 spent"),
        "{}",
        run.stdout
    );
    // Every fixture call is from March 2026: none in the last day, none
    // before 2026-03-01, all up to 2026-03-31.
    let none =
        crate::util::costsim_env(&["cache", "doctor", "--claude", "-q", "--last", "1d"], &env);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(
        none.stderr.contains("no calls to diagnose"),
        "{}",
        none.stderr
    );
    let all = crate::util::costsim_env(
        &["cache", "doctor", "--claude", "-q", "--until", "2026-03-31"],
        &env,
    );
    assert_eq!(all.stdout, run.stdout);
}
