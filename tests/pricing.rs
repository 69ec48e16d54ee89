//! `costsim pricing list|show|validate`.

use crate::util::{costsim, ok};

#[test]
fn show_resolves_a_dated_alias() {
    let run = ok(&["pricing", "show", "claude-sonnet-4-5-20250929"]);
    assert!(
        run.stdout
            .starts_with("claude-sonnet-4-5 — Claude Sonnet 4.5 (anthropic)"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("Resolved from: claude-sonnet-4-5-20250929"));
    assert!(run.stdout.contains("over 200,000 tokens (whole request)"));
    assert!(
        run.stdout.contains("$3.00")
            && run.stdout.contains("$3.75")
            && run.stdout.contains("$6.00")
    );
    assert!(run.stdout.contains("Source: https://"));
    assert!(run.stdout.contains("Cache: explicit breakpoints"));
}

#[test]
fn show_lists_every_period() {
    let run = ok(&["pricing", "show", "deepseek-chat"]);
    assert!(
        run.stdout.matches("Prices from").count() >= 2,
        "{}",
        run.stdout
    );
}

#[test]
fn show_suggests_for_unknown_models() {
    let run = costsim(&["pricing", "show", "claude-sonet-4-5"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean claude-sonnet-4-5"),
        "{}",
        run.stderr
    );
}

#[test]
fn list_filters_by_provider() {
    let run = ok(&["pricing", "list", "--provider", "openai", "-o", "csv"]);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert!(rows.len() > 10);
    assert!(rows.iter().all(|r| &r[1] == "openai"));
    let nano = rows
        .iter()
        .find(|r| &r[0] == "gpt-5-nano")
        .expect("gpt-5-nano listed");
    assert_eq!((&nano[3], &nano[4]), ("0.05", "0.40"));
    let bad = costsim(&["pricing", "list", "--provider", "acme"], None);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("anthropic"), "{}", bad.stderr);
}

#[test]
fn list_as_json_parses() {
    let run = ok(&["pricing", "list", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let models = json["models"].as_array().unwrap();
    for provider in ["anthropic", "openai", "google", "deepseek", "xai"] {
        assert!(
            models.iter().any(|m| m["provider"] == provider),
            "no {provider} models"
        );
    }
    for m in models {
        for p in m["periods"].as_array().unwrap() {
            assert!(
                p["source"].as_str().is_some_and(|s| !s.is_empty()),
                "{}",
                m["id"]
            );
            assert!(p["retrieved"].is_string(), "{}", m["id"]);
        }
    }
}

#[test]
fn validate_accepts_the_built_in_catalog() {
    let run = ok(&["pricing", "validate"]);
    assert!(run.stdout.contains("ok"));
    let run = ok(&["pricing", "validate", "pricing"]);
    assert!(run.stdout.starts_with("pricing: ok"), "{}", run.stdout);
}

#[test]
fn validate_names_file_and_entry_of_each_problem() {
    let run = costsim(&["pricing", "validate", "fixtures/bad-catalog"], None);
    assert_eq!(run.code, 2, "{}", run.stdout);
    for expected in [
        "fixtures/bad-catalog/acme.toml: model \"overlap-1\": periods overlap",
        "fixtures/bad-catalog/acme.toml: model \"missing-1\" period 1: missing `output`",
        "fixtures/bad-catalog/acme.toml: model \"negative-1\" period 1: `input`: `-1` is negative",
        "fixtures/bad-catalog/acme.toml: model \"precise-1\" period 1: `output`: `0.0000001` has more than 6 decimal places",
        "fixtures/bad-catalog/acme.toml: model \"nocache-1\" period 1: missing `cache_write_5m`",
    ] {
        assert!(run.stderr.contains(expected), "missing `{expected}` in:\n{}", run.stderr);
    }
    let replay = costsim(
        &[
            "replay",
            "fixtures/demo/traces.jsonl",
            "--pricing",
            "fixtures/bad-catalog",
        ],
        None,
    );
    assert_eq!(replay.code, 2);
    assert!(
        replay.stderr.contains("invalid pricing catalog"),
        "{}",
        replay.stderr
    );
}

#[test]
fn a_custom_catalog_changes_the_prices() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.toml"),
        r#"
provider = "acme"
[cache]
kind = "none"
[[models]]
id = "gpt-5-mini"
context_window = 400000
[[models.periods]]
from = 2020-01-01
input = 1
output = 1
source = "test"
retrieved = 2026-01-01
"#,
    )
    .unwrap();
    let run = ok(&[
        "replay",
        "fixtures/bad/one-bad-line.jsonl",
        "--pricing",
        dir.path().to_str().unwrap(),
        "-o",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // 3 calls x (1,000 input + 200 output) tokens at $1/M = 3,600 tokens = $0.0036.
    assert_eq!(json["total"]["cost_femto_usd"], "3600000000000");
    assert_eq!(json["pricing"]["catalog_version"], "2026-01-01");
}

#[test]
fn diff_names_what_changed_between_two_dates() {
    // deepseek-chat: $0.27 in / $1.10 out on 2025-06-01, $0.28 / $0.42 on
    // 2026-01-01 (input up, output down: "changed"); deepseek-reasoner went
    // from $0.55 / $2.19 to $0.28 / $0.42 ("cheaper").
    let run = ok(&[
        "pricing",
        "diff",
        "2025-06-01",
        "2026-01-01",
        "--provider",
        "deepseek",
        "-o",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let change = |id: &str| {
        json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["model"] == id)
            .unwrap()["change"]
            .clone()
    };
    assert_eq!(change("deepseek-chat"), "changed");
    assert_eq!(change("deepseek-reasoner"), "cheaper");
    let all = ok(&["pricing", "diff", "2025-06-01", "2026-01-01"]).stdout;
    assert!(
        all.contains("claude-sonnet-4-5") && all.contains("new"),
        "{all}"
    );
    assert_eq!(
        costsim(&["pricing", "diff", "June", "2026-01-01"], None).code,
        2
    );
}
