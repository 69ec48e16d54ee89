//! Real OpenCode and GitHub Copilot CLI logs, copied unchanged from the
//! team's collection (../shared/real-logs) into fixtures/agents/opencode/ and
//! fixtures/agents/copilot-cli/ with their SOURCES.md. Every expected figure
//! was worked out by hand from the catalog prices, independently of
//! costsim's output: the arithmetic is in each folder's README.md (and
//! fixtures/agents/calc_opencode_copilot.py, Python as a calculator).
//! Comparisons are exact, in femto-dollars: n tokens at $r per million are
//! n × r micro-dollars, [µ$] below, and 1 µ$ = 10⁹ femto-dollars.

use std::path::Path;

use serde_json::Value;

use crate::util::{calls, check_read as check, femto, replay_json, tokens, ReadCounts as Lines};

const AGENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/agents");

/// The path of a fixture below fixtures/agents (a glob is checked by its
/// folder), after making sure it is there.
fn agent(rel: &str) -> String {
    let path = format!("{AGENTS}/{rel}");
    let plain = rel.split('*').next().unwrap_or(rel);
    assert!(
        Path::new(&format!("{AGENTS}/{plain}")).exists(),
        "{path}: missing (see fixtures/agents/*/SOURCES.md)"
    );
    path
}

const EXPORT_COPILOT: &str = "opencode/opencode-export-ses_33f549b97ffeHjFajcSEGcH0OJ.json";
const EXPORT_ANTHROPIC: &str = "opencode/opencode-export-ses_13f3f292affeZD3dG0NL1dXJQR.json";
const STORAGE: &str = "opencode/tree/storage/message/*/*.json";
const COPILOT_TREE: &str = "copilot-cli/tree";

fn model_row<'a>(report: &'a Value, model: &str) -> &'a Value {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter()
        .find(|r| r["keys"]["model"].as_str() == Some(model))
        .unwrap_or_else(|| panic!("no row for {model} in {rows:?}"))
}

/// Calls, tokens (input, cache read, write 5m, write 1h, output), cost in
/// femto-dollars of a model's row.
fn priced(report: &Value, model: &str) -> (u64, [u64; 5], i128) {
    let row = model_row(report, model);
    (calls(row), tokens(row), femto(row))
}

/// Billed calls and the billed amount in femto-dollars (0 and None when the
/// log names no amount).
fn billed(value: &Value) -> (u64, Option<i128>) {
    (
        value["billed_calls"].as_u64().expect("billed_calls"),
        value["billed_femto_usd"]
            .as_str()
            .map(|s| s.parse().expect("integer")),
    )
}

// --------------------------------------------------------------- OpenCode

/// OpenCode 1.2.16, gpt-5.2-codex via github-copilot: 13 assistant messages,
/// one step each; reasoning (4 × 64) is inside output (total = input +
/// cache + output); `cost` 0 is no price, so nothing is billed.
#[test]
fn opencode_export_of_a_subscription_session() {
    let report = replay_json(&[&agent(EXPORT_COPILOT)]);
    check(
        &report,
        Lines {
            format: "opencode",
            files: 1,
            lines: Some(1),
            calls: 13,
            not_calls: 0,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // gpt-5.2 ($1.75 in, $0.175 read, $14 out): 28,358 × $1.75
    // + 164,352 × $0.175 + 1,167 × $14 = [49,626.5 + 28,761.6 + 16,338]
    // = [94,726.1]
    assert_eq!(
        priced(&report, "gpt-5.2"),
        (13, [28_358, 164_352, 0, 0, 1_167], 94_726_100_000_000)
    );
    assert_eq!(model_row(&report, "gpt-5.2")["tokens"]["reasoning"], 256);
    assert_eq!(femto(&report["total"]), 94_726_100_000_000);
    assert_eq!(billed(&report["total"]), (0, None));
}

/// The per-model sums of the ses_13f3 session (43 calls, one step each).
fn check_anthropic_session(report: &Value) {
    // claude-sonnet-4-6 ($3, $0.30 read, $3.75 5m, $15): 96 × $3
    // + 1,061,950 × $0.30 + 1,275,057 × $3.75 + 37,832 × $15
    // = [288 + 318,585 + 4,781,463.75 + 567,480] = [5,667,816.75]
    assert_eq!(
        priced(report, "claude-sonnet-4-6"),
        (
            32,
            [96, 1_061_950, 1_275_057, 0, 37_832],
            5_667_816_750_000_000
        )
    );
    // claude-opus-4-8 ($5, $0.50 read, $6.25 5m, $25): 66 × $5
    // + 326,563 × $0.50 + 1,608,112 × $6.25 + 26,539 × $25
    // = [330 + 163,281.5 + 10,050,700 + 663,475] = [10,877,786.5]
    assert_eq!(
        priced(report, "claude-opus-4-8"),
        (
            11,
            [66, 326_563, 1_608_112, 0, 26_539],
            10_877_786_500_000_000
        )
    );
    assert_eq!(femto(&report["total"]), 16_545_603_250_000_000);
    // Σ of the messages' `cost`, 16.54560325 USD: the catalog price exactly.
    assert_eq!(billed(&report["total"]), (43, Some(16_545_603_250_000_000)));
    assert_eq!(
        report["total"]["billed_priced_femto_usd"].as_str(),
        Some("16545603250000000")
    );
}

/// The newer export: 43 calls; the session roll-up (`info.cost`,
/// `info.tokens`) is not added.
#[test]
fn opencode_export_counts_messages_not_the_session_roll_up() {
    let report = replay_json(&[&agent(EXPORT_ANTHROPIC)]);
    check(
        &report,
        Lines {
            format: "opencode",
            files: 1,
            lines: Some(1),
            calls: 43,
            not_calls: 0,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_anthropic_session(&report);
}

/// The same session as 53 per-message storage files (10 user messages).
#[test]
fn opencode_storage_files_give_the_same_calls() {
    let report = replay_json(&[&agent(STORAGE)]);
    check(
        &report,
        Lines {
            format: "opencode",
            files: 53,
            lines: Some(53),
            calls: 43,
            not_calls: 10,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_anthropic_session(&report);
}

/// Export and storage files of one session: each message counts once.
#[test]
fn opencode_export_and_storage_files_count_each_message_once() {
    let report = replay_json(&[&agent(EXPORT_ANTHROPIC), &agent(STORAGE)]);
    check(
        &report,
        Lines {
            format: "opencode",
            files: 54,
            lines: Some(54),
            calls: 43,
            not_calls: 10,
            duplicates: 43,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_anthropic_session(&report);
    // Read the other way round, the same.
    let report = replay_json(&[&agent(STORAGE), &agent(EXPORT_ANTHROPIC)]);
    assert_eq!(report["duplicates_folded"], 43);
    check_anthropic_session(&report);
}

/// Everything: 13 + 43 calls; 94,726,100,000,000 + 16,545,603,250,000,000
/// = 16,640,329,350,000,000 fUSD.
#[test]
fn opencode_every_file() {
    let report = replay_json(&[&agent("opencode/*.json"), &agent(STORAGE)]);
    check(
        &report,
        Lines {
            format: "opencode",
            files: 55,
            lines: Some(55),
            calls: 56,
            not_calls: 10,
            duplicates: 43,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    assert_eq!(femto(&report["total"]), 16_640_329_350_000_000);
    assert_eq!(billed(&report["total"]), (43, Some(16_545_603_250_000_000)));
}

/// OpenCode's SQLite store, built from fixtures/agents/opencode/db/*.sql.
fn opencode_db(sql: &str, dir: &Path) -> String {
    crate::util::sqlite_db(
        &format!("fixtures/agents/opencode/db/{sql}"),
        dir,
        "opencode.db",
    )
    .display()
    .to_string()
}

/// The ses_13f3 session as OpenCode's SQLite store keeps it (53 message
/// rows, each assistant row with one step-finish part): the same 43 calls,
/// and read with the export and the storage files, each counts once.
#[test]
fn opencode_database_gives_the_same_calls() {
    let dir = tempfile::tempdir().unwrap();
    let db = opencode_db("real-session.sql", dir.path());
    let report = replay_json(&[&db]);
    check(
        &report,
        Lines {
            format: "opencode",
            files: 1,
            lines: Some(53),
            calls: 43,
            not_calls: 10,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_anthropic_session(&report);
    let all = replay_json(&[&db, &agent(EXPORT_ANTHROPIC), &agent(STORAGE)]);
    // 43 calls in each of three inputs: 86 copies folded.
    assert_eq!(all["duplicates_folded"], 86);
    check_anthropic_session(&all);
}

/// The constructed store (fixtures/agents/opencode/README.md, "SQLite
/// store"): a two-step message is two calls, rows are read in time order,
/// a cut-short row is skipped and counted.
#[test]
fn opencode_database_steps_and_awkward_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = opencode_db("constructed.sql", dir.path());
    let report = replay_json(&[&db, "--by", "session", "--by", "model"]);
    check(
        &report,
        Lines {
            format: "opencode",
            files: 1,
            lines: Some(7),
            calls: 4,
            not_calls: 3,
            duplicates: 0,
            skipped: &[("malformed_json", 1)],
            unpriced_calls: 0,
        },
    );
    let row = |session: &str, model: &str| -> (u64, [u64; 5], i128) {
        let rows = report["rows"].as_array().expect("rows");
        let row = rows
            .iter()
            .find(|r| r["keys"]["session"] == session && r["keys"]["model"] == model)
            .unwrap_or_else(|| panic!("no row {session} {model}"));
        (calls(row), tokens(row), femto(row))
    };
    // Two steps of claude-sonnet-4-6 ($3, $0.30 read, $3.75 5m, $15):
    // [30 + 75,000 + 7,500] + [15 + 6,000 + 3,750 + 12,000] = [104,295]
    assert_eq!(
        row("ses_c1", "claude-sonnet-4-6"),
        (2, [15, 20_000, 21_000, 0, 1_300], 104_295_000_000_000)
    );
    // gpt-5.2 ($1.75, $0.175 read, $14), reasoning 200 apart from output:
    // 1,200 × $1.75 + 4,096 × $0.175 + 500 × $14 = [2,100 + 716.8 + 7,000]
    assert_eq!(
        row("ses_c1", "gpt-5.2"),
        (1, [1_200, 4_096, 0, 0, 500], 9_816_800_000_000)
    );
    // claude-haiku-4-5 ($1, $5): 2,000 × $1 + 100 × $5 = [2,500]
    assert_eq!(
        row("ses_c2", "claude-haiku-4-5"),
        (1, [2_000, 0, 0, 0, 100], 2_500_000_000_000)
    );
    assert_eq!(femto(&report["total"]), 116_611_800_000_000);
    // The steps' costs (0.08253 + 0.021765) and gpt-5.2's 0.0098168; the
    // haiku message's cost 0 is no price, not a billed amount.
    assert_eq!(billed(&report["total"]), (3, Some(114_111_800_000_000)));
    // Line n of a database is its n-th message row in time order.
    let run = crate::util::ok(&["replay", &db]);
    assert!(
        run.stderr.contains("opencode.db:5: malformed JSON"),
        "{}",
        run.stderr
    );
}

// ------------------------------------------------------------ Copilot CLI

/// One session.shutdown × one model: 6 requests of claude-sonnet-4.6.
fn check_copilot(report: &Value) {
    // input 186,809 − 151,738 − 0 = 35,071; claude-sonnet-4-6 ($3, $0.30
    // read, $15): 35,071 × $3 + 151,738 × $0.30 + 2,848 × $15
    // = [105,213 + 45,521.4 + 42,720] = [193,454.4]
    assert_eq!(
        priced(report, "claude-sonnet-4-6"),
        (6, [35_071, 151_738, 0, 0, 2_848], 193_454_400_000_000)
    );
    assert_eq!(femto(&report["total"]), 193_454_400_000_000);
    // Premium requests are not dollars: nothing billed.
    assert_eq!(billed(&report["total"]), (0, None));
}

#[test]
fn copilot_shutdown_metrics_are_the_usage() {
    let report = replay_json(&[
        &agent(COPILOT_TREE),
        "--by",
        "model",
        "--by",
        "provider",
        "--by",
        "session",
        "--by",
        "tag:premium_requests",
    ]);
    check(
        &report,
        Lines {
            format: "copilot-cli",
            files: 1,
            lines: Some(51),
            calls: 6,
            not_calls: 50,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_copilot(&report);
    let keys = &model_row(&report, "claude-sonnet-4-6")["keys"];
    assert_eq!(keys["provider"], "github-copilot");
    assert_eq!(keys["session"], "96ef38f0-9d09-45c3-8124-6448c36090ed");
    assert_eq!(keys["tag:premium_requests"], "2");
}

/// The log and a copy of it elsewhere: the shutdown counts once.
#[test]
fn copilot_copied_log_counts_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("backup/events.jsonl");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(
        agent("copilot-cli/tree/session-state/96ef38f0-9d09-45c3-8124-6448c36090ed/events.jsonl"),
        &copy,
    )
    .unwrap();
    let report = replay_json(&[&agent(COPILOT_TREE), copy.to_str().unwrap()]);
    check(
        &report,
        Lines {
            format: "copilot-cli",
            files: 2,
            lines: Some(102),
            calls: 6,
            not_calls: 100,
            duplicates: 1,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_copilot(&report);
}

/// Twins: canonical traces of the calls the READMEs count (written by
/// calc_opencode_copilot.py from the rules) price the same as the logs. The
/// Copilot record stands for 6 requests and its twin for one call, so only
/// tokens and costs are compared there.
#[test]
fn logs_and_their_canonical_twins_agree() {
    let storage = agent(STORAGE);
    let twin = agent("opencode/twin.jsonl");
    for by in ["model", "session"] {
        crate::util::same_as_twin(&[&storage], &twin, &["--by", by], true);
    }
    crate::util::same_as_twin(
        &[&agent(COPILOT_TREE)],
        &agent("copilot-cli/twin.jsonl"),
        &["--by", "model"],
        false,
    );
}
