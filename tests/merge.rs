//! `costsim merge`: reports of shards add up to the report of the whole.

use serde_json::Value;

use crate::util::{costsim, ok, replay_json};

const DEMO: &str = "fixtures/demo/traces.jsonl";

/// Splits the demo by account (a cache scope never spans two accounts), into
/// `dir`; returns the shard paths.
fn shards(dir: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(crate::util::fixture(DEMO)).unwrap();
    let mut by_account: std::collections::BTreeMap<String, String> = Default::default();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let account = v["account"].as_str().unwrap_or("default").to_string();
        let shard = by_account.entry(account).or_default();
        shard.push_str(line);
        shard.push('\n');
    }
    assert_eq!(by_account.len(), 2, "prod and staging");
    by_account
        .into_iter()
        .map(|(account, lines)| {
            let path = dir.join(format!("{account}.jsonl"));
            std::fs::write(&path, lines).unwrap();
            path.to_str().unwrap().to_string()
        })
        .collect()
}

/// Everything but the input names and the count of files read, which
/// differ by construction.
fn comparable(mut v: Value) -> Value {
    let m = v.as_object_mut().unwrap();
    m.remove("inputs");
    m.remove("formats");
    v
}

#[test]
fn merged_shards_equal_the_whole_to_the_femto_dollar() {
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--by",
        "model",
        "--by",
        "tag:team",
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-1h",
        "--batch",
        "0.5",
        "--top",
        "4",
    ];
    let mut saved = Vec::new();
    for shard in shards(dir.path()) {
        let mut args = vec![shard.as_str()];
        args.extend_from_slice(&flags);
        let report = replay_json(&args);
        let path = format!("{shard}.json");
        std::fs::write(&path, report.to_string()).unwrap();
        saved.push(path);
    }
    let mut args = vec!["merge"];
    args.extend(saved.iter().map(String::as_str));
    args.extend(["--output", "json"]);
    let merged: Value = serde_json::from_str(&ok(&args).stdout).unwrap();

    let mut whole_args = vec![DEMO];
    whole_args.extend_from_slice(&flags);
    let whole = replay_json(&whole_args);
    assert_eq!(
        whole["total"]["cost_femto_usd"],
        merged["total"]["cost_femto_usd"]
    );
    assert_eq!(comparable(merged), comparable(whole));
}

#[test]
fn merge_refuses_reports_grouped_differently() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    std::fs::write(&a, replay_json(&[DEMO]).to_string()).unwrap();
    std::fs::write(&b, replay_json(&[DEMO, "--by", "day"]).to_string()).unwrap();
    let run = costsim(&["merge", a.to_str().unwrap(), b.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("grouped by day"), "{}", run.stderr);

    std::fs::write(&b, "{\"schema_version\": 7}").unwrap();
    let run = costsim(&["merge", a.to_str().unwrap(), b.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("b.json: not a costsim JSON report"),
        "{}",
        run.stderr
    );
}

#[test]
fn merging_one_report_prints_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let report = replay_json(&[DEMO, "--scenario", "cache-1h"]);
    std::fs::write(&a, report.to_string()).unwrap();
    let merged: Value =
        serde_json::from_str(&ok(&["merge", a.to_str().unwrap(), "-o", "json"]).stdout).unwrap();
    assert_eq!(merged, report);
    let table = ok(&["merge", a.to_str().unwrap()]).stdout;
    assert!(table.contains("Scenarios against the baseline"));
}

/// Reports grouped by day in different time zones name different spans by
/// the same date: merge and diff refuse them. Grouped by model, the zone
/// only changes how times are shown: merge adds them up and says so.
#[test]
fn reports_cut_in_different_time_zones_are_not_added_by_day() {
    let dir = tempfile::tempdir().unwrap();
    let save = |name: &str, args: &[&str]| {
        let path = dir.path().join(name).to_str().unwrap().to_string();
        let all = [&["replay", DEMO, "-o", "json", "--out", &path][..], args].concat();
        ok(&all);
        path
    };
    let utc = save("utc.json", &["--by", "day"]);
    let tokyo = save("tokyo.json", &["--by", "day", "--timezone", "Asia/Tokyo"]);
    let merged = costsim(&["merge", &utc, &tokyo], None);
    assert_eq!(merged.code, 2, "{}", merged.stdout);
    assert!(
        merged.stderr.contains("cuts days in Asia/Tokyo") && merged.stderr.contains("in UTC"),
        "{}",
        merged.stderr
    );
    let diff = costsim(&["diff", &utc, &tokyo], None);
    assert_eq!(diff.code, 2, "{}", diff.stdout);
    assert!(
        diff.stderr
            .contains("different time zones (UTC vs Asia/Tokyo)"),
        "{}",
        diff.stderr
    );
    let by_model = save("model.json", &[]);
    let by_model_tokyo = save("model-tokyo.json", &["--timezone", "Asia/Tokyo"]);
    let merged = ok(&["merge", &by_model, &by_model_tokyo, "--json"]);
    let json: Value = serde_json::from_str(&merged.stdout).unwrap();
    assert_eq!(json["timezone"], "UTC");
    assert_eq!(json["calls"], 526);
    assert!(
        json["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("shows times in Asia/Tokyo, the first report in UTC")),
        "{}",
        json["notes"]
    );
}

/// Percentiles do not add up: merged reports leave them out and say so.
#[test]
fn latency_percentiles_are_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("latency.json")
        .to_str()
        .unwrap()
        .to_string();
    ok(&[
        "replay",
        "fixtures/latency/calls.jsonl",
        "-o",
        "json",
        "--out",
        &path,
    ]);
    let merged: Value =
        serde_json::from_str(&ok(&["merge", &path, &path, "--json"]).stdout).unwrap();
    assert_eq!(merged["latency_ms_by_model"], serde_json::json!([]));
    assert!(
        merged["notes"]
            .to_string()
            .contains("latency percentiles are not merged"),
        "{}",
        merged["notes"]
    );
}

/// `--top` gives each session's wall time: its first call to its last
/// answer (the last call's time plus its latency). Session s1: calls at
/// 10:00:00 and 10:05:30 with latencies 2,000 and 1,500 ms, so 5 min 30 s +
/// 1.5 s = 331,500 ms ("5m 31s"); s2: one call without latency, 0 ms.
/// Split across two reports, the merged span is the same.
#[test]
fn top_sessions_show_their_wall_time_and_merge_it() {
    let first = r#"{"ts":"2026-04-02T10:00:00Z","model":"gpt-5-mini","session":"s1","latency_ms":2000,"usage":{"input":1000}}
{"ts":"2026-04-02T10:01:00Z","model":"gpt-5-mini","session":"s2","usage":{"input":100}}
"#;
    let second = r#"{"ts":"2026-04-02T10:05:30Z","model":"gpt-5-mini","session":"s1","latency_ms":1500,"usage":{"input":1000}}
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    std::fs::write(path("a.jsonl"), first).unwrap();
    std::fs::write(path("b.jsonl"), second).unwrap();
    let wall = |report: &Value| -> Vec<(String, i64)> {
        report["top_sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["session"].as_str().unwrap().to_string(),
                    t["wall_time_ms"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let want = vec![("s1".to_string(), 331_500), ("s2".to_string(), 0)];
    let whole = replay_json(&[&path("a.jsonl"), &path("b.jsonl"), "--top", "5"]);
    assert_eq!(wall(&whole), want);
    assert_eq!(
        whole["top_sessions"][0]["first_call"],
        "2026-04-02T10:00:00.000Z"
    );
    assert_eq!(
        whole["top_sessions"][0]["last_answer"],
        "2026-04-02T10:05:31.500Z"
    );
    let table = ok(&["replay", &path("a.jsonl"), &path("b.jsonl"), "--top", "5"]).stdout;
    assert!(
        table.contains("5m 31s") && table.contains("0 ms"),
        "{table}"
    );
    for f in ["a", "b"] {
        ok(&[
            "replay",
            &path(&format!("{f}.jsonl")),
            "--top",
            "5",
            "-o",
            "json",
            "--out",
            &path(&format!("{f}.json")),
        ]);
    }
    let merged: Value =
        serde_json::from_str(&ok(&["merge", &path("a.json"), &path("b.json"), "--json"]).stdout)
            .unwrap();
    assert_eq!(wall(&merged), want);
}
