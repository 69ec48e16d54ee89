//! `costsim replay --agents`: one fixture home holding every supported
//! agent's logs where each keeps them. The expected totals are the sums of
//! the per-agent hand arithmetic in fixtures/real/README.md and
//! fixtures/agents/*/README.md.

use std::path::Path;

use assert_cmd::Command;

use crate::util::{femto, root, Run};

/// Copies the folder `from` (below the project root) to `to`, recursively.
fn copy_tree(from: &str, to: &Path) {
    for entry in walkdir::WalkDir::new(root().join(from)) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(root().join(from)).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A home folder with every agent's fixture logs in its default place.
fn fixture_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    copy_tree(
        "fixtures/real/claude-code/tree/projects",
        &h.join(".claude/projects"),
    );
    // Codex finds rollouts by name: the real export is one.
    let day = h.join(".codex/sessions/2026/02/11");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::copy(
        root().join("fixtures/real/codex/rtchess-exported-session.jsonl"),
        day.join("rollout-2026-02-11T20-36-00-rtchess.jsonl"),
    )
    .unwrap();
    copy_tree(
        "fixtures/agents/gemini-cli/tree/tmp",
        &h.join(".gemini/tmp"),
    );
    copy_tree(
        "fixtures/agents/qwen-code/tree/projects",
        &h.join(".qwen/projects"),
    );
    copy_tree(
        "fixtures/agents/opencode/tree/storage",
        &h.join(".local/share/opencode/storage"),
    );
    copy_tree(
        "fixtures/agents/copilot-cli/tree/session-state",
        &h.join(".copilot/session-state"),
    );
    copy_tree(
        "fixtures/agents/droid/tree/sessions",
        &h.join(".factory/sessions"),
    );
    copy_tree(
        "fixtures/agents/amp/tree/threads",
        &h.join(".local/share/amp/threads"),
    );
    // The Kimi fixture is a whole share dir: config.toml names the model.
    copy_tree("fixtures/agents/kimi-cli/tree", &h.join(".kimi"));
    // SQLite stores: OpenCode's holds the same session as its storage
    // files (each message counts once); Goose's is its only store.
    crate::util::sqlite_db(
        "fixtures/agents/opencode/db/real-session.sql",
        &h.join(".local/share/opencode"),
        "opencode.db",
    );
    crate::util::sqlite_db(
        "fixtures/agents/goose/db/sessions.sql",
        &h.join(".local/share/goose/sessions"),
        "sessions.db",
    );
    home
}

/// Runs costsim with `home` as the home folder and no agent variables set.
fn run_in(home: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::cargo_bin("costsim").expect("binary built");
    cmd.current_dir(root()).args(args).env("HOME", home);
    for var in [
        "CLAUDE_CONFIG_DIR",
        "CODEX_HOME",
        "GEMINI_DATA_DIR",
        "GEMINI_CLI_HOME",
        "QWEN_DATA_DIR",
        "QWEN_RUNTIME_DIR",
        "QWEN_HOME",
        "OPENCODE_DATA_DIR",
        "XDG_DATA_HOME",
        "COPILOT_HOME",
        "COPILOT_CONFIG_DIR",
        "DROID_SESSIONS_DIR",
        "AMP_DATA_DIR",
        "KIMI_DATA_DIR",
        "KIMI_SHARE_DIR",
        "GOOSE_PATH_ROOT",
        "APPDATA",
        "USERPROFILE",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("costsim runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

/// Per agent: calls and femto-dollars from its README.
const EXPECTED: [(&str, u64, i128); 10] = [
    // fixtures/real/README.md, claude-code/tree
    ("claude-code", 308, 22_339_426_750_000_000),
    // fixtures/real/README.md, codex/rtchess-exported-session.jsonl
    ("codex", 351, 6_937_052_250_000_000),
    // fixtures/agents/gemini-cli/README.md: all 8 files
    ("gemini-cli", 62, 1_171_353_670_000_000),
    // fixtures/agents/qwen-code/README.md: 4 calls on models the catalog
    // does not price
    ("qwen-code", 4, 0),
    // fixtures/agents/opencode/README.md: the 53 storage files and
    // opencode.db, the same 43 calls
    ("opencode", 43, 16_545_603_250_000_000),
    // fixtures/agents/copilot-cli/README.md: one shutdown record of 6 requests
    ("copilot-cli", 6, 193_454_400_000_000),
    // fixtures/agents/droid/README.md: 3 sessions (an archived copy folded)
    ("droid", 3, 341_100_000_000_000),
    // fixtures/agents/amp/README.md: 3 constructed threads (one cut short)
    ("amp", 6, 195_258_000_000_000),
    // fixtures/agents/kimi-cli/README.md: one constructed wire log
    ("kimi-cli", 5, 32_510_300_000_000),
    // fixtures/agents/goose/README.md: sessions.db, 2 sessions priced
    ("goose", 2, 420_000_000_000_000),
];

#[test]
fn every_agent_in_one_report() {
    let home = fixture_home();
    let report = json(&run_in(
        home.path(),
        &[
            "replay", "--agents", "--by", "agent", "--by", "model", "-o", "json",
        ],
    ));
    let rows = report["rows"].as_array().unwrap();
    for (agent, calls, cost) in EXPECTED {
        let mine: Vec<&serde_json::Value> = rows
            .iter()
            .filter(|r| r["keys"]["agent"] == agent)
            .collect();
        let n: u64 = mine.iter().map(|r| r["calls"].as_u64().unwrap()).sum();
        let priced: i128 = mine
            .iter()
            .filter(|r| r["cost_femto_usd"].is_string())
            .map(|r| femto(r))
            .sum();
        assert_eq!((n, priced), (calls, cost), "{agent}");
        assert_eq!(report["format_calls"][agent], calls, "{agent}");
    }
    // 308 + 351 + 62 + 4 + 43 + 6 + 6 + 5 + 3 + 2 = 790 calls; the sum of
    // the costs above
    assert_eq!(report["total"]["calls"], 790);
    assert_eq!(femto(&report["total"]), 48_175_758_620_000_000);
    let notes = report["notes"].to_string();
    assert!(notes.contains("--agents read claude 6 files in"), "{notes}");

    // Scenarios work on the mix: cache-off never costs less than the
    // recorded caching here, and a sweep prices it on other models.
    let what_if = json(&run_in(
        home.path(),
        &[
            "replay",
            "--agents",
            "--scenario",
            "cache-off",
            "-o",
            "json",
        ],
    ));
    assert_eq!(femto(&what_if["total"]), 48_175_758_620_000_000);
    let off = crate::util::scenario(&what_if, "cache-off");
    assert!(femto(off) > femto(&what_if["total"]));
    let sweep = run_in(
        home.path(),
        &["replay", "--agents", "--sweep", "claude-haiku-4-5"],
    );
    assert_eq!(sweep.code, 0, "{}", sweep.stderr);
}

/// `--claude` with `--agents`: the Claude Code logs are read as such and
/// each agent's as its own (the Codex rollout was read as Claude Code, its
/// 351 calls lost without a word).
#[test]
fn claude_with_agents_reads_each_as_its_own() {
    let home = fixture_home();
    let report = json(&run_in(
        home.path(),
        &["replay", "--claude", "--agents", "codex", "-o", "json"],
    ));
    let expected = |agent: &str| EXPECTED.iter().find(|e| e.0 == agent).unwrap();
    for agent in ["claude-code", "codex"] {
        assert_eq!(report["format_calls"][agent], expected(agent).1, "{agent}");
    }
    // 308 + 351 calls; 22,339,426.75 + 6,937,052.25 µ$
    assert_eq!(report["total"]["calls"], 659);
    assert_eq!(femto(&report["total"]), 29_276_479_000_000_000);
}

#[test]
fn chosen_agents_only_and_a_home_without_logs() {
    let home = fixture_home();
    let report = json(&run_in(
        home.path(),
        &["replay", "--agents", "gemini,copilot", "-o", "json"],
    ));
    // [1,171,353.67 + 193,454.4] µ$
    assert_eq!(femto(&report["total"]), 1_364_808_070_000_000);
    assert_eq!(report["total"]["calls"], 68);

    // Every agent's calls carry the project they were made in.
    let by_project = json(&run_in(
        home.path(),
        &[
            "replay",
            "--agents",
            "--by",
            "agent",
            "--by",
            "tag:project",
            "-o",
            "json",
        ],
    ));
    let projects: Vec<String> = by_project["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["keys"]["agent"], r["keys"]["tag:project"]))
        .collect();
    for want in [
        r#""qwen-code" "qwentest""#,
        r#""qwen-code" "repo""#,
        r#""opencode" "dotfiles""#,
        r#""copilot-cli" "VibeCodingTracker""#,
        r#""gemini-cli" "7e8989f71805c3147f6be9b7a71de2a156f8face69f9380beeeb8a777414f21c""#,
        r#""amp" "billing-api""#,
        r#""kimi-cli" "a4835b84c49b119c03ee4ddab2fee326""#,
    ] {
        assert!(projects.iter().any(|p| p == want), "{want}: {projects:?}");
    }
    // Droid's settings files name no working folder (its per-project
    // folder names are not reversible), so its calls have no project.
    assert!(
        !projects
            .iter()
            .any(|p| p.contains("(none)") && !p.starts_with(r#""droid""#)),
        "{projects:?}"
    );

    let empty = tempfile::tempdir().unwrap();
    let run = run_in(empty.path(), &["replay", "--agents"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--agents read nothing; no logs found for claude"),
        "{}",
        run.stderr
    );
    let bad = run_in(empty.path(), &["replay", "--agents", "cursor"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("`cursor` is not an agent"),
        "{}",
        bad.stderr
    );
}
