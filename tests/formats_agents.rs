//! Coding-agent logs: Claude Code session trees (`replay --claude`) and
//! Codex rollouts. Every expected figure is worked out by hand in
//! fixtures/formats/README-agents.md from `costsim pricing show MODEL`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::util::{costsim, costsim_env, femto, fixture, replay_json, usd};

const CLAUDE_TREE: &str = "fixtures/claude-code/projects";
const CLAUDE_CONFIG: &str = "fixtures/claude-code";
const CLAUDE_TWIN: &str = "fixtures/claude-code/canonical-twin.jsonl";
const CLAUDE_ONE_FILE: &str = "fixtures/formats/claude-code.jsonl";
const CODEX_FILE: &str = "fixtures/formats/codex.jsonl";
const SESSION_A: &str = "5b0c6f0e-1d2a-4c8e-9a77-0f3e2d1c4b5a";

/// (day, model, calls, cost in dollars) of the Claude Code tree.
const CLAUDE_BY_DAY_MODEL: [(&str, &str, u64, &str); 6] = [
    ("2026-03-02", "claude-haiku-4-5", 2, "0.012490"),
    ("2026-03-02", "claude-opus-4-1", 1, "0.652650"),
    ("2026-03-02", "claude-sonnet-4-5", 3, "0.197928"),
    ("2026-03-03", "claude-haiku-4-5", 1, "0.001400"),
    ("2026-03-03", "claude-opus-4-1", 1, "0.108090"),
    ("2026-03-03", "claude-sonnet-4-5", 2, "0.089373"),
];
const CLAUDE_TOTAL: &str = "1.061931";

/// Rows of a report by their keys (in `--by` order).
fn rows(report: &Value) -> BTreeMap<Vec<String>, Value> {
    let dims: Vec<String> = report["group_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let keys = dims
                .iter()
                .map(|d| row["keys"][d].as_str().unwrap().to_string())
                .collect();
            (keys, row.clone())
        })
        .collect()
}

fn key(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

fn json_of(run: &crate::util::Run) -> Value {
    assert_eq!(run.code, 0, "failed:\n{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.stdout))
}

/// The figures of the Claude Code tree, whichever way it was read.
fn check_claude_tree(report: &Value) {
    let rows = rows(report);
    assert_eq!(rows.len(), CLAUDE_BY_DAY_MODEL.len(), "{rows:#?}");
    for (day, model, calls, cost) in CLAUDE_BY_DAY_MODEL {
        let row = &rows[&key(&[day, model])];
        assert_eq!(row["calls"], calls, "{day} {model}");
        assert_eq!(femto(row), usd(cost), "{day} {model}");
    }
    // 1-hour writes split from cache_creation; a line without the split
    // (the Opus call on 03-02) writes at the 5-minute rate.
    let sonnet = &rows[&key(&["2026-03-02", "claude-sonnet-4-5"])]["tokens"];
    assert_eq!(sonnet["cache_write_5m"], 15_500);
    assert_eq!(sonnet["cache_write_1h"], 18_000);
    assert_eq!(sonnet["cache_read"], 25_500);
    assert_eq!(sonnet["input"], 16);
    // A1 streamed copies with 12, 12 and 287 output tokens: the largest is
    // kept; A2's copies (no requestId) fold on message.id, 420 kept.
    assert_eq!(sonnet["output"], 287 + 420 + 900);
    assert_eq!(
        rows[&key(&["2026-03-03", "claude-sonnet-4-5"])]["tokens"]["output"],
        500 + 1_500
    );
    let opus = &rows[&key(&["2026-03-02", "claude-opus-4-1"])]["tokens"];
    assert_eq!(opus["cache_write_5m"], 30_000);
    assert_eq!(opus["cache_write_1h"], 0);
    assert_eq!(femto(&report["total"]), usd(CLAUDE_TOTAL));
    assert_eq!(report["calls"], 10);
    assert_eq!(report["lines"], 38);
    // Copies that lose to another copy of their response: 2 of A1, 1 of A2,
    // 1 of A4, 1 of S1, 2 of B1, and the 3 copies of B1 and 1 of B2 that the
    // resumed session C repeats from B.
    assert_eq!(report["duplicates_folded"], 11);
    assert_eq!(report["lines_without_usage"], 14);
    assert_eq!(report["skipped"]["total"], 3);
    assert_eq!(report["skipped"]["by_reason"]["malformed_json"], 2);
    assert_eq!(report["skipped"]["by_reason"]["bad_token_count"], 1);
    assert_eq!(report["formats"]["claude-code"], 4);
}

#[test]
fn claude_code_tree_by_day_and_model() {
    let report = replay_json(&[CLAUDE_TREE, "--by", "day", "--by", "model"]);
    check_claude_tree(&report);
}

#[test]
fn claude_code_problems_name_file_line_and_field() {
    let run = costsim(&["replay", CLAUDE_TREE], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = format!("{CLAUDE_TREE}/-home-dev-shop/{SESSION_A}.jsonl");
    for expected in [
        format!("{file}:11: malformed JSON"),
        format!("{file}:17: field \"message.usage.output_tokens\""),
        format!("{file}:18: malformed JSON (the line is cut short)"),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "no `{expected}` in:\n{}",
            run.stderr
        );
    }
    assert!(
        run.stdout.contains("11 duplicate lines folded"),
        "{}",
        run.stdout
    );
}

#[test]
fn replay_claude_reads_claude_config_dir() {
    let run = costsim_env(
        &[
            "replay", "--claude", "--by", "day", "--by", "model", "-o", "json",
        ],
        &[("CLAUDE_CONFIG_DIR", Some(CLAUDE_CONFIG))],
    );
    let report = json_of(&run);
    check_claude_tree(&report);
    // Only the projects/ folder is read, not the twin next to it.
    assert!(report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i.as_str().unwrap().contains("/projects/")));
    // The table names the days and models too.
    let table = costsim_env(
        &["replay", "--claude", "--by", "day", "--by", "model"],
        &[("CLAUDE_CONFIG_DIR", Some(CLAUDE_CONFIG))],
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("claude-opus-4-1"), "{}", table.stdout);
}

#[test]
fn replay_claude_takes_a_projects_folder_or_a_list() {
    // A folder without projects/ is read itself; a comma-separated list is
    // read as one set of files (the same folder twice counts once).
    let list = format!("{CLAUDE_CONFIG},{CLAUDE_TREE}");
    for dir in [CLAUDE_TREE, list.as_str()] {
        let run = costsim_env(
            &[
                "replay", "--claude", "--by", "day", "--by", "model", "-o", "json",
            ],
            &[("CLAUDE_CONFIG_DIR", Some(dir))],
        );
        check_claude_tree(&json_of(&run));
    }
}

#[test]
fn replay_claude_with_more_inputs_reads_both() {
    let run = costsim_env(
        &[
            "replay", "--claude", CODEX_FILE, "--by", "model", "-o", "json",
        ],
        &[("CLAUDE_CONFIG_DIR", Some(CLAUDE_CONFIG))],
    );
    let report = json_of(&run);
    assert_eq!(report["formats"]["claude-code"], 4);
    assert_eq!(report["formats"]["codex"], 1);
    assert_eq!(
        femto(&report["total"]),
        usd(CLAUDE_TOTAL) + usd(CODEX_TOTAL)
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn replay_claude_falls_back_to_the_home_folders() {
    let home = tempfile::tempdir().unwrap();
    let home_text = home.path().to_str().unwrap();
    let env = [("CLAUDE_CONFIG_DIR", None), ("HOME", Some(home_text))];

    let run = costsim_env(&["replay", "--claude"], &env);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("--claude"), "{}", run.stderr);
    assert!(run.stderr.contains(".claude/projects"), "{}", run.stderr);
    assert!(
        run.stderr.contains(".config/claude/projects"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("CLAUDE_CONFIG_DIR"), "{}", run.stderr);

    copy_tree(
        &fixture(CLAUDE_TREE),
        &home.path().join(".config/claude/projects"),
    );
    let run = costsim_env(
        &[
            "replay", "--claude", "--by", "day", "--by", "model", "-o", "json",
        ],
        &env,
    );
    check_claude_tree(&json_of(&run));
}

#[test]
fn replay_claude_errors_are_clear() {
    let run = costsim_env(
        &["replay", "--claude"],
        &[("CLAUDE_CONFIG_DIR", Some("fixtures/no-such-claude-dir"))],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("CLAUDE_CONFIG_DIR folder fixtures/no-such-claude-dir"),
        "{}",
        run.stderr
    );

    // Neither INPUT nor --claude: a usage error.
    let run = costsim(&["replay"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("<INPUT>"), "{}", run.stderr);
    assert!(run.stderr.contains("Usage:"), "{}", run.stderr);
}

#[test]
fn replay_claude_with_cache_off() {
    let run = costsim_env(
        &[
            "replay",
            "--claude",
            "--scenario",
            "cache-off",
            "-o",
            "json",
        ],
        &[("CLAUDE_CONFIG_DIR", Some(CLAUDE_CONFIG))],
    );
    let report = json_of(&run);
    let scenarios = report["scenarios"].as_array().unwrap();
    let named = |name: &str| {
        scenarios
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no scenario {name}"))
    };
    assert_eq!(femto(named("as-recorded")), usd(CLAUDE_TOTAL));
    let off = named("cache-off");
    assert_eq!(femto(off), usd("1.354531"));
    let by_model: BTreeMap<&str, i128> = off["by_model"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["model"].as_str().unwrap(), femto(m)))
        .collect();
    assert_eq!(by_model["claude-sonnet-4-5"], usd("0.287301"));
    assert_eq!(by_model["claude-opus-4-1"], usd("1.050240"));
    assert_eq!(by_model["claude-haiku-4-5"], usd("0.016990"));
    // Every prompt token at the input price: no cache tokens are left.
    assert_eq!(off["tokens"]["cache_read"], 0);
    assert_eq!(off["tokens"]["cache_write_5m"], 0);
    assert_eq!(off["tokens"]["cache_write_1h"], 0);
    assert_eq!(off["tokens"]["input"], 3_488 + 69_500 + 79_600);
}

#[test]
fn claude_code_tags_project_and_sidechain() {
    let report = replay_json(&[CLAUDE_TREE, "--by", "tag:project", "--by", "tag:sidechain"]);
    let rows = rows(&report);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    // The subagent file below the session folder belongs to the session's
    // project, and its lines are sidechain lines.
    assert_eq!(femto(&rows[&key(&["~/shop", "true"])]), usd("0.012490"));
    assert_eq!(rows[&key(&["~/shop", "true"])]["calls"], 2);
    assert_eq!(femto(&rows[&key(&["~/shop", "(none)"])]), usd("0.958668"));
    assert_eq!(femto(&rows[&key(&["~/api", "(none)"])]), usd("0.090773"));
}

#[test]
fn claude_code_copies_in_a_resumed_session_stay_with_the_first_file() {
    // Session C repeats session B's lines under its own sessionId. The copies
    // tie (same output), so B's file, read first, keeps B1 and B2.
    let report = replay_json(&[CLAUDE_TREE, "--by", "session"]);
    let rows = rows(&report);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let a = &rows[&key(&[SESSION_A])];
    assert_eq!(a["calls"], 7);
    assert_eq!(femto(a), usd("0.971158"));
    let b = &rows[&key(&["a81d3f42-6c0e-4b9b-8d15-2f7e9c0b6a13"])];
    assert_eq!(b["calls"], 2);
    assert_eq!(femto(b), usd("0.089373"));
    let c = &rows[&key(&["e3c94b07-92f1-4d6a-b0c8-71d5a2e4f689"])];
    assert_eq!(c["calls"], 1);
    assert_eq!(femto(c), usd("0.001400"));
}

/// The same ten calls written by hand in the canonical format price the
/// same, row for row, whatever the grouping.
#[test]
fn claude_code_and_its_canonical_twin_cost_the_same() {
    for by in [
        &["--by", "day", "--by", "model"][..],
        &[
            "--by",
            "model",
            "--by",
            "tag:project",
            "--by",
            "tag:sidechain",
            "--by",
            "session",
        ][..],
    ] {
        let mut tree_args = vec![CLAUDE_TREE, "--scenario", "cache-off"];
        tree_args.extend_from_slice(by);
        let mut twin_args = vec![CLAUDE_TWIN, "--scenario", "cache-off"];
        twin_args.extend_from_slice(by);
        let tree = replay_json(&tree_args);
        let twin = replay_json(&twin_args);
        assert_eq!(twin["formats"]["canonical"], 1);
        let (tree_rows, twin_rows) = (rows(&tree), rows(&twin));
        assert_eq!(
            tree_rows.keys().collect::<Vec<_>>(),
            twin_rows.keys().collect::<Vec<_>>()
        );
        for (keys, row) in &tree_rows {
            let other = &twin_rows[keys];
            assert_eq!(row["calls"], other["calls"], "{keys:?}");
            assert_eq!(row["tokens"], other["tokens"], "{keys:?}");
            assert_eq!(femto(row), femto(other), "{keys:?}");
        }
        assert_eq!(femto(&tree["total"]), femto(&twin["total"]));
        assert_eq!(femto(&twin["total"]), usd(CLAUDE_TOTAL));
        for (a, b) in tree["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .zip(twin["scenarios"].as_array().unwrap())
        {
            assert_eq!(a["name"], b["name"]);
            assert_eq!(femto(a), femto(b), "{}", a["name"]);
        }
    }
}

#[test]
fn one_claude_code_file_is_detected_and_tagged_from_cwd() {
    let report = replay_json(&[
        CLAUDE_ONE_FILE,
        "--by",
        "model",
        "--by",
        "tag:project",
        "--by",
        "tag:sidechain",
    ]);
    assert_eq!(report["formats"]["claude-code"], 1);
    let rows = rows(&report);
    assert_eq!(
        femto(&rows[&key(&["claude-sonnet-4-5", "docs", "(none)"])]),
        usd("0.026310")
    );
    assert_eq!(
        femto(&rows[&key(&["claude-haiku-4-5", "docs", "true"])]),
        usd("0.000350")
    );
    assert_eq!(femto(&report["total"]), usd("0.026660"));
    assert_eq!(report["duplicates_folded"], 1);
    assert_eq!(report["lines_without_usage"], 2);
}

const CODEX_TOTAL: &str = "0.0259132";

#[test]
fn codex_rollout_by_day_and_model() {
    let report = replay_json(&[CODEX_FILE, "--by", "day", "--by", "model"]);
    assert_eq!(report["formats"]["codex"], 1);
    let rows = rows(&report);
    assert_eq!(rows.len(), 2, "{rows:#?}");
    // 23:41 and 23:52 UTC on 03-03 (already 03-04 in the tests' TZ).
    let gpt5 = &rows[&key(&["2026-03-03", "gpt-5"])];
    assert_eq!(gpt5["calls"], 2);
    assert_eq!(femto(gpt5), usd("0.022322"));
    assert_eq!(gpt5["tokens"]["input"], 8_000 + 1_464);
    assert_eq!(gpt5["tokens"]["cache_read"], 7_936);
    assert_eq!(gpt5["tokens"]["output"], 950);
    assert_eq!(gpt5["tokens"]["reasoning"], 384);
    // The second turn_context switched the model.
    let mini = &rows[&key(&["2026-03-04", "gpt-5.1-codex-mini"])];
    assert_eq!(mini["calls"], 2);
    assert_eq!(femto(mini), usd("0.0035912"));
    assert_eq!(mini["tokens"]["input"], 984 + 888);
    assert_eq!(mini["tokens"]["cache_read"], 9_216 + 10_112);
    assert_eq!(femto(&report["total"]), usd(CODEX_TOTAL));
    assert_eq!(report["calls"], 4);
    assert_eq!(report["lines"], 14);
    // Two token_count events repeat the previous running total.
    assert_eq!(report["duplicates_folded"], 2);
    // session_meta, 2 turn_context, 3 response_item, agent_message and the
    // token_count whose info is null.
    assert_eq!(report["lines_without_usage"], 8);
    assert_eq!(report["skipped"]["total"], 0);
}

#[test]
fn codex_session_and_project() {
    let report = replay_json(&[CODEX_FILE, "--by", "session", "--by", "tag:project"]);
    let rows = rows(&report);
    let row = &rows[&key(&["0199c2d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "billing"])];
    assert_eq!(row["calls"], 4);
    assert_eq!(femto(row), usd(CODEX_TOTAL));
    let run = costsim(&["replay", CODEX_FILE, "--by", "provider"], None);
    assert!(run.stdout.contains("openai"), "{}", run.stdout);
}

#[test]
fn codex_without_a_model_is_reported() {
    // The rollout from its first token_count on: no turn_context before it.
    let text = std::fs::read_to_string(fixture(CODEX_FILE)).unwrap();
    let tail: String = text
        .lines()
        .filter(|l| !l.contains("\"turn_context\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let run = costsim(&["replay", "-", "--strict"], Some(tail.as_bytes()));
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("no model before this token_count"),
        "{}",
        run.stderr
    );
}
