//! Factory Droid and Goose: no real log of either was available, so the
//! fixtures in fixtures/agents/droid/ and fixtures/agents/goose/ are
//! constructed from the documented shapes (their SOURCES.md says from
//! which source). Each folder's README.md prices every record by hand from
//! the catalog; `twin.jsonl` beside it is the same records written by hand
//! as canonical JSONL. Comparisons are exact, in femto-dollars (1 µ$ = 10⁹
//! fUSD).

use serde_json::Value;

use crate::util::{calls, check_read as check, femto, replay_json, tokens, ReadCounts as Lines};

const AGENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/agents");

fn at(rel: &str) -> String {
    format!("{AGENTS}/{rel}")
}

/// Rows of a `--by model` report: model, calls, tokens, fUSD, sorted.
fn rows(report: &Value) -> Vec<(String, u64, [u64; 5], i128)> {
    let mut rows: Vec<_> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["keys"]["model"].as_str().unwrap_or_default().to_string(),
                calls(r),
                tokens(r),
                femto(r),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The fixture and its twin price to the same rows and totals.
fn same_as_twin(report: &Value, twin: &str) {
    let twin = replay_json(&[&at(twin), "--by", "model"]);
    assert_eq!(rows(report), rows(&twin));
    assert_eq!(calls(&report["total"]), calls(&twin["total"]));
    assert_eq!(femto(&report["total"]), femto(&twin["total"]));
    assert_eq!(tokens(&report["total"]), tokens(&twin["total"]));
}

// ------------------------------------------------------------------ Droid

/// fixtures/agents/droid/README.md: 6 settings files, 3 sessions priced;
/// the archived copy of 1b6f0c2e is folded into the larger live copy; the
/// all-zero session and the session without tokenUsage are not calls.
#[test]
fn droid_settings_files_are_one_record_per_session() {
    let report = replay_json(&[
        &at("droid/tree/sessions/*/*.settings.json"),
        "--by",
        "model",
    ]);
    check(
        &report,
        Lines {
            format: "droid",
            files: 6,
            lines: Some(6),
            calls: 3,
            not_calls: 2,
            duplicates: 1,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    let rows = rows(&report);
    assert_eq!(
        rows,
        [
            (
                "claude-opus-4-5".to_string(),
                1,
                [1_200, 60_000, 20_000, 0, 4_200],
                266_000_000_000_000
            ),
            (
                "claude-sonnet-4".to_string(),
                1,
                [3_000, 12_000, 0, 0, 1_500],
                35_100_000_000_000
            ),
            (
                "gpt-5.1".to_string(),
                1,
                [8_000, 40_000, 0, 0, 2_500],
                40_000_000_000_000
            ),
        ]
    );
    assert_eq!(femto(&report["total"]), 341_100_000_000_000);
    same_as_twin(&report, "droid/twin.jsonl");
}

/// The archive read first still loses to the larger live copy.
#[test]
fn droid_archive_first_still_counts_the_latest_copy() {
    let report = replay_json(&[
        &at("droid/tree/sessions/archive/1b6f0c2e-4d1a-4f7e-9a55-0c3e7d2b9a10.settings.json"),
        &at(
            "droid/tree/sessions/-home-ana-shop/1b6f0c2e-4d1a-4f7e-9a55-0c3e7d2b9a10.settings.json",
        ),
        "--by",
        "model",
    ]);
    assert_eq!(calls(&report["total"]), 1);
    assert_eq!(femto(&report["total"]), 266_000_000_000_000);
}

// ------------------------------------------------------------------ Goose

/// fixtures/agents/goose/README.md: 4 exported sessions (one an earlier
/// export of the same session, folded; one sub-agent session with no
/// usage) and 2 legacy session files (one naming no model: skipped with a
/// message; one empty).
#[test]
fn goose_sessions_are_one_record_each() {
    let report = replay_json(&[
        &at("goose/exports/*.json"),
        &at("goose/tree/share/goose/sessions"),
        "--by",
        "model",
    ]);
    check(
        &report,
        Lines {
            format: "goose",
            files: 6,
            lines: Some(10),
            calls: 2,
            not_calls: 6,
            duplicates: 1,
            skipped: &[("missing_field", 1)],
            unpriced_calls: 0,
        },
    );
    assert_eq!(
        rows(&report),
        [
            (
                "claude-sonnet-4-5".to_string(),
                1,
                [90_000, 0, 0, 0, 6_000],
                360_000_000_000_000
            ),
            (
                "gemini-2.5-pro".to_string(),
                1,
                [20_000, 0, 0, 0, 3_500],
                60_000_000_000_000
            ),
        ]
    );
    assert_eq!(femto(&report["total"]), 420_000_000_000_000);
    same_as_twin(&report, "goose/twin.jsonl");
}

/// Goose's SQLite store holding the same three sessions (fixtures/agents/
/// goose/README.md, "SQLite store"): one line per row, the same two
/// records; read with the exports, each session counts once.
#[test]
fn goose_database_rows_are_the_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::util::sqlite_db(
        "fixtures/agents/goose/db/sessions.sql",
        dir.path(),
        "sessions.db",
    )
    .display()
    .to_string();
    let report = replay_json(&[&db, "--by", "model"]);
    check(
        &report,
        Lines {
            format: "goose",
            files: 1,
            lines: Some(3),
            calls: 2,
            not_calls: 1,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // [360,000] + [60,000] µ$, as from the exports.
    assert_eq!(femto(&report["total"]), 420_000_000_000_000);
    same_as_twin(&report, "goose/twin.jsonl");
    let both = replay_json(&[&db, &at("goose/exports/*.json"), "--by", "model"]);
    // The exports' 3 copies of two sessions fold into the rows.
    assert_eq!(both["duplicates_folded"], 3);
    assert_eq!(rows(&both), rows(&report));
}
