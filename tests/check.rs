//! `costsim check` on fixtures/hand/volume-nano-opus.jsonl: 30,000 gpt-5-nano
//! calls ($4.35) and 30,000 claude-opus-4-6 calls ($300.00), 500 input / 300
//! output tokens each, spread over the 30 days of April 2026 (see
//! fixtures/hand/README.md). Total $304.35 over 30 observed days.

use crate::util::costsim;

const VOLUME: &str = "fixtures/hand/volume-nano-opus.jsonl";

fn check(rules: &[&str]) -> crate::util::Run {
    let mut args = vec!["check", VOLUME];
    args.extend_from_slice(rules);
    costsim(&args, None)
}

/// Saves the replay of `traces` as the report `base`, then checks the
/// volume fixture against it with `--max-increase limit` (JSON output).
fn check_against_baseline(
    traces: &std::path::Path,
    base: &std::path::Path,
    limit: &str,
) -> crate::util::Run {
    let (traces, base) = (traces.to_str().unwrap(), base.to_str().unwrap());
    let saved = costsim(&["replay", traces, "-o", "json", "--out", base], None);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    check(&["--baseline", base, "--max-increase", limit, "-o", "json"])
}

#[test]
fn a_tight_budget_fails_with_exit_1_and_says_why() {
    // Projected to a month: $304.35 × 30 / 30 = $304.35 > $300.
    let run = check(&["--budget", "300/month"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("FAIL"), "{}", run.stdout);
    assert!(run.stdout.contains("$304.35"), "{}", run.stdout);
    assert!(run.stdout.contains("× 30 / 30"), "{}", run.stdout);
    let run = check(&["--budget", "305/month"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn daily_budgets_project_to_a_day() {
    // $304.35 / 30 days = $10.145 a day.
    assert_eq!(check(&["--budget", "10.14/day"]).code, 1);
    assert_eq!(check(&["--budget", "10.15/day"]).code, 0);
}

#[test]
fn model_and_share_rules() {
    // Opus alone: $300.00 a month.
    assert_eq!(
        check(&["--budget-model", "claude-opus-*=299.99/month"]).code,
        1
    );
    assert_eq!(
        check(&["--budget-model", "claude-opus-*=300/month"]).code,
        0
    );
    // Opus share: $300 / $304.35 = 98.57%.
    let run = check(&["--max-share", "claude-opus-*=98%", "-o", "json"]);
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["passed"], false);
    assert_eq!(json["rules"][0]["figure"], "98.57%");
    assert_eq!(check(&["--max-share", "claude-opus-*=99%"]).code, 0);
}

#[test]
fn baseline_increase_is_per_observed_day() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    // A baseline of the nano calls only: $4.35 over 30 days = $0.145 a day;
    // now $10.145 a day: +6,896.55%.
    let nano = dir.path().join("nano.jsonl");
    let text = std::fs::read_to_string(crate::util::fixture(VOLUME)).unwrap();
    let lines: String = text
        .lines()
        .filter(|l| l.contains("gpt-5-nano"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&nano, lines).unwrap();
    let run = check_against_baseline(&nano, &base, "10%");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["rules"][0]["figure"], "+6896.55%");
    // Against itself: no increase.
    let same = dir.path().join("same.json");
    costsim(
        &[
            "replay",
            VOLUME,
            "-o",
            "json",
            "--out",
            same.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        check(&["--baseline", same.to_str().unwrap(), "--max-increase", "0%"]).code,
        0
    );
}

/// A baseline that spent nothing: any spend now is an increase beyond every
/// percentage, so the rule fails and says why.
#[test]
fn an_increase_from_zero_fails_any_max_increase() {
    let dir = tempfile::tempdir().unwrap();
    let free = dir.path().join("free.jsonl");
    std::fs::write(
        &free,
        "{\"ts\":\"2026-04-01T00:00:00Z\",\"model\":\"gpt-5-nano\",\"usage\":{\"input\":0,\"output\":0}}\n",
    )
    .unwrap();
    let run = check_against_baseline(&free, &dir.path().join("base.json"), "1000%");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["rules"][0]["figure"], "up from $0");
    let method = json["rules"][0]["method"].as_str().unwrap();
    assert!(
        method.contains("an increase from $0 exceeds any percentage"),
        "{method}"
    );
}

#[test]
fn markdown_is_a_pr_comment() {
    let run = check(&["--budget", "300/month", "-o", "markdown"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with("### ❌ costsim check"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("| total spend per month (as recorded) | $304.35 | $300.00 | FAIL |"),
        "{}",
        run.stdout
    );
}

#[test]
fn unpriced_usage_fails_unless_allowed() {
    let run = costsim(
        &[
            "check",
            "fixtures/bad/every-problem.jsonl",
            "--budget",
            "1000/month",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("clade-haiku-4-5"), "{}", run.stdout);
    let run = costsim(
        &[
            "check",
            "fixtures/bad/every-problem.jsonl",
            "--budget",
            "1000/month",
            "--allow-unpriced",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["check", VOLUME],
        vec!["check", VOLUME, "--budget", "lots"],
        vec!["check", VOLUME, "--budget", "5/year"],
        vec!["check", VOLUME, "--budget-tag", "team=5/day"],
        vec![
            "check",
            VOLUME,
            "--baseline",
            "nope.json",
            "--max-increase",
            "5%",
        ],
        vec!["check", "nope.jsonl", "--budget", "5/day"],
    ] {
        let run = costsim(&args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}

#[test]
fn diff_orders_groups_by_dollar_change() {
    let dir = tempfile::tempdir().unwrap();
    let nano = dir.path().join("nano.jsonl");
    let text = std::fs::read_to_string(crate::util::fixture(VOLUME)).unwrap();
    let lines: String = text
        .lines()
        .filter(|l| l.contains("gpt-5-nano"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&nano, lines).unwrap();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    costsim(
        &[
            "replay",
            nano.to_str().unwrap(),
            "-o",
            "json",
            "--out",
            old.to_str().unwrap(),
        ],
        None,
    );
    costsim(
        &[
            "replay",
            VOLUME,
            "-o",
            "json",
            "--out",
            new.to_str().unwrap(),
        ],
        None,
    );
    let run = costsim(
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // claude-opus-4-6 is new: +$300.00; gpt-5-nano unchanged at $4.35.
    assert_eq!(json["changes"][0]["group"], "claude-opus-4-6");
    assert_eq!(json["changes"][0]["change_femto_usd"], "300000000000000000");
    assert_eq!(json["changes"][1]["change_femto_usd"], "0");
    assert_eq!(json["total"]["change_femto_usd"], "300000000000000000");
    let table = costsim(
        &["diff", old.to_str().unwrap(), new.to_str().unwrap()],
        None,
    )
    .stdout;
    assert!(table.contains("│ claude-opus-4-6 ┆    $0.00 ┆  $300.00 ┆ +$300.00 ┆      new ┆ +30,000 ┆ +24,000,000 │"), "{table}");
    let by_day = dir.path().join("day.json");
    costsim(
        &[
            "replay",
            VOLUME,
            "--by",
            "day",
            "-o",
            "json",
            "--out",
            by_day.to_str().unwrap(),
        ],
        None,
    );
    let mismatch = costsim(
        &["diff", old.to_str().unwrap(), by_day.to_str().unwrap()],
        None,
    );
    assert_eq!(mismatch.code, 2);
    assert!(
        mismatch.stderr.contains("grouped differently"),
        "{}",
        mismatch.stderr
    );
}

/// `--top` finds the runaway loop. fixtures/what-if/README.md, case f:
/// runaway: 10,350,000 prompt × $0.25/M + 40,000 output × $2/M = $2.6675;
/// normal: 10,000 × $0.25/M + 1,500 × $2/M = $0.0055.
#[test]
fn top_lists_the_most_expensive_sessions() {
    for extra in [vec![], vec!["--scenario", "cache-off"]] {
        let mut args = vec!["fixtures/what-if/runaway.jsonl", "--top", "1"];
        args.extend(extra);
        let json = crate::util::replay_json(&args);
        let top = json["top_sessions"].as_array().unwrap();
        assert_eq!(top.len(), 1);
        assert_eq!(top[0]["session"], "runaway");
        assert_eq!(top[0]["calls"], 200);
        assert_eq!(top[0]["cost_femto_usd"], "2667500000000000");
    }
    let run = crate::util::ok(&["replay", "fixtures/what-if/runaway.jsonl", "--top", "5"]);
    assert!(run.stdout.contains("│ normal  ┆     5 ┆"), "{}", run.stdout);
}

/// Rules hold the recorded cost unless `--check-scenario` asks for the
/// scenario's, and each rule says which it held. All 60,000 calls on
/// gpt-5-nano: twice the 30,000 nano calls' $4.35 = $8.70 a month.
#[test]
fn rules_name_the_cost_they_check_and_default_to_the_recorded_one() {
    let recorded = check(&["--budget", "300/month", "--sweep", "gpt-5-nano"]);
    assert_eq!(recorded.code, 1, "{}", recorded.stdout);
    assert!(
        recorded
            .stdout
            .contains("total spend per month (as recorded)"),
        "{}",
        recorded.stdout
    );
    let simulated = check(&[
        "--budget",
        "300/month",
        "--sweep",
        "gpt-5-nano",
        "--check-scenario",
        "-o",
        "json",
    ]);
    assert_eq!(simulated.code, 0, "{}", simulated.stdout);
    let json: serde_json::Value = serde_json::from_str(&simulated.stdout).unwrap();
    let rule = &json["rules"][0];
    assert_eq!(
        rule["rule"],
        "total spend per month (scenario sweep:gpt-5-nano)"
    );
    assert_eq!(rule["figure"], "$8.70");
    let alone = check(&["--budget", "300/month", "--check-scenario"]);
    assert_eq!(alone.code, 2, "{}", alone.stderr);
    assert!(
        alone.stderr.contains("--check-scenario"),
        "{}",
        alone.stderr
    );
}

/// `diff` of reports over different spans compares days, not totals (as
/// `check --baseline` does). Old: two gpt-5 calls of 1,000,000 input tokens
/// ($1.25 each) two days apart = $2.50 over 2 observed days = $1.25/day.
/// New: the same two calls twelve hours apart = $2.50 over 1 day. Totals
/// say 0%; per day it is +$1.25, +100.0%.
#[test]
fn diff_of_different_spans_is_per_day() {
    let dir = tempfile::tempdir().unwrap();
    let call =
        |ts: &str| format!(r#"{{"ts":"{ts}","model":"gpt-5","usage":{{"input":1000000}}}}"#) + "\n";
    let save = |name: &str, text: String| {
        let traces = dir.path().join(format!("{name}.jsonl"));
        std::fs::write(&traces, text).unwrap();
        let report = dir.path().join(format!("{name}.json"));
        let (t, r) = (traces.to_str().unwrap(), report.to_str().unwrap());
        assert_eq!(costsim(&["replay", t, "--json", "--out", r], None).code, 0);
        report
    };
    let old = save(
        "old",
        call("2026-03-01T00:00:00Z") + &call("2026-03-03T00:00:00Z"),
    );
    let new = save(
        "new",
        call("2026-03-10T00:00:00Z") + &call("2026-03-10T12:00:00Z"),
    );
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let table = costsim(&["diff", old, new], None);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table.stdout.starts_with(
            "The reports span different times (old 2 observed days, new 1): every figure is per observed day."
        ),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("Old cost/day"), "{}", table.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&costsim(&["diff", old, new, "--json"], None).stdout).unwrap();
    assert_eq!(json["per_day"], true);
    let total = &json["total"];
    assert_eq!(total["old"]["cost_femto_usd"], "1250000000000000");
    assert_eq!(total["new"]["cost_femto_usd"], "2500000000000000");
    assert_eq!(total["old"]["calls"], 1);
    assert_eq!(total["new"]["calls"], 2);
}

/// `check --help` does not offer replay's `--by`, `--top` and HTML output,
/// and check refuses them rather than ignore them.
#[test]
fn check_offers_only_what_it_uses() {
    let help = crate::util::ok(&["check", "--help"]);
    for flag in ["--by ", "--top "] {
        assert!(!help.stdout.contains(flag), "{flag}: {}", help.stdout);
    }
    assert!(help.stdout.contains("--budget "));
    // Its formats, without replay's HTML page.
    assert!(help.stdout.contains("table, markdown, csv or json"));
    assert!(
        !help.stdout.to_lowercase().contains("html"),
        "{}",
        help.stdout
    );
    let html = check(&["--budget", "1/day", "--output", "html"]);
    assert_eq!(html.code, 2, "{}", html.stderr);
    assert!(html
        .stderr
        .contains("check writes table, markdown, csv or json"));
    for extra in [["--by", "day"], ["--top", "3"]] {
        let run = check(&[&["--budget", "1/day"][..], &extra].concat());
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("--by and --top are replay's"),
            "{}",
            run.stderr
        );
    }
}
