//! `replay --scenario`: the savings tables in every format, scenario files,
//! and their errors.

use crate::util::{costsim, femto, golden, ok, replay_json};

const DEMO: &str = "fixtures/demo/traces.jsonl";

#[test]
fn savings_tables_match_golden() {
    let args = [
        "replay",
        DEMO,
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-1h",
    ];
    for (format, file) in [
        ("table", "demo-scenarios.table.txt"),
        ("markdown", "demo-scenarios.md"),
        ("csv", "demo-scenarios.csv"),
    ] {
        let mut all = args.to_vec();
        all.extend(["--output", format]);
        golden(&format!("fixtures/golden/{file}"), &ok(&all).stdout);
    }
}

#[test]
fn markdown_json_and_csv_carry_the_same_numbers() {
    let json = replay_json(&[DEMO, "--scenario", "cache-off", "--scenario", "cache-1h"]);
    let scenarios = json["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 3);
    assert_eq!(scenarios[0]["name"], "as-recorded");
    // The baseline is the plain report.
    assert_eq!(femto(&scenarios[0]), femto(&json["total"]));
    assert_eq!(scenarios[0]["delta_femto_usd"], "0");
    let md = ok(&[
        "replay",
        DEMO,
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-1h",
        "-o",
        "markdown",
    ])
    .stdout;
    let csv = ok(&[
        "replay",
        DEMO,
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-1h",
        "-o",
        "csv",
    ])
    .stdout;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    for s in scenarios {
        let name = s["name"].as_str().unwrap();
        let cost = femto(s);
        let delta: i128 = s["delta_femto_usd"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            cost - delta,
            femto(&scenarios[0]),
            "{name}: delta is against the baseline"
        );
        // Markdown shows cents for amounts over a dollar.
        let cents = format!("${:.2}", (cost as f64 / 1e13).round() / 100.0);
        let line = md
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap();
        assert!(line.contains(&cents), "{line} lacks {cents}");
        // CSV has the exact cost to the micro-dollar.
        let total = records
            .iter()
            .find(|r| &r[0] == name && &r[1] == "(total)")
            .unwrap();
        assert_eq!(
            total[10].parse::<f64>().unwrap(),
            s["cost_usd"].as_f64().unwrap()
        );
        // Per-model rows add up to the scenario total.
        let sum: i128 = s["by_model"].as_array().unwrap().iter().map(femto).sum();
        assert_eq!(sum, cost);
    }
    // Caching off costs more than the recorded (cached) traffic.
    assert!(femto(&scenarios[1]) > femto(&scenarios[0]));
    assert_eq!(scenarios[1]["tokens"]["cache_read"], 0);
}

#[test]
fn scenario_files_load_and_bad_ones_are_named() {
    let json = replay_json(&[
        DEMO,
        "--scenario",
        "fixtures/scenarios/cache-1h-shared.toml",
        "--shared-prefix",
        "6000",
    ]);
    assert_eq!(json["scenarios"][1]["name"], "warm-1h");
    let bad = costsim(
        &[
            "replay",
            DEMO,
            "--scenario",
            "fixtures/scenarios/bad-mode.toml",
        ],
        None,
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("fixtures/scenarios/bad-mode.toml: cache.mode: `sometimes` is not off, as-recorded or on"),
        "{}",
        bad.stderr
    );
    let unknown = costsim(&["replay", DEMO, "--scenario", "cache-2h"], None);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("cache-1h"), "{}", unknown.stderr);
    let twice = costsim(
        &[
            "replay",
            DEMO,
            "--scenario",
            "cache-off",
            "--scenario",
            "cache-off",
        ],
        None,
    );
    assert_eq!(twice.code, 2);
}

#[test]
fn scenarios_are_deterministic_across_threads() {
    let args = [
        DEMO,
        "--scenario",
        "cache-5m",
        "--scenario",
        "cache-1h-shared",
        "--shared-prefix",
        "6000",
    ];
    let one = replay_json(&[&args[..], &["--threads", "1"]].concat());
    let two = replay_json(&[&args[..], &["--threads", "2"]].concat());
    assert_eq!(one["scenarios"], two["scenarios"]);
}

#[test]
fn scenarios_command_lists_the_presets() {
    let run = ok(&["scenarios"]);
    for name in [
        "as-recorded",
        "cache-off",
        "cache-5m",
        "cache-1h",
        "cache-5m-shared",
        "cache-1h-shared",
    ] {
        assert!(run.stdout.contains(name), "{name} missing");
    }
}
