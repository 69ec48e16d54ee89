//! Amp and Kimi CLI: constructed fixtures (no real file of either was
//! available; shapes from the agents' and ccusage's source, see each
//! folder's SOURCES.md) replayed by the binary and compared, exactly, with
//! the hand arithmetic in fixtures/agents/amp/README.md and
//! fixtures/agents/kimi-cli/README.md, and with a canonical twin of the same
//! calls written by hand. [µ$] = tokens × USD per million; 1 µ$ = 10⁹ fUSD.

use serde_json::Value;

use crate::util::{calls, check_read, costsim_env, femto, replay_json, tokens, ReadCounts};

const AMP_THREADS: &str = "fixtures/agents/amp/tree/threads/*.json";
const AMP_TWIN: &str = "fixtures/agents/amp/canonical-twin.jsonl";
const KIMI_SESSIONS: &str = "fixtures/agents/kimi-cli/tree/sessions";
const KIMI_TWIN: &str = "fixtures/agents/kimi-cli/canonical-twin.jsonl";

fn row<'a>(report: &'a Value, model: &str) -> &'a Value {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter()
        .find(|r| r["keys"]["model"] == model)
        .unwrap_or_else(|| panic!("no row {model}: {rows:?}"))
}

/// The agent fixture and its twin give the same rows and totals.
fn same_as_twin(agent: &Value, twin_file: &str) {
    let twin = replay_json(&[twin_file, "--by", "model"]);
    assert_eq!(twin["formats"]["canonical"].as_u64(), Some(1));
    assert_eq!(agent["rows"], twin["rows"]);
    assert_eq!(agent["total"], twin["total"]);
}

#[test]
fn amp_threads_match_the_hand_arithmetic_and_their_twin() {
    // A thread file is read whole, as the agent is: --format, as a glob of
    // *.json is not detected when one file is cut short.
    let report = replay_json(&["--format", "amp", AMP_THREADS, "--by", "model"]);
    check_read(
        &report,
        ReadCounts {
            format: "amp",
            files: 3,
            lines: Some(3),
            calls: 6,
            not_calls: 0,
            duplicates: 0,
            skipped: &[("malformed_json", 1)],
            unpriced_calls: 0,
        },
    );
    // 8,285 × $3 + 38,110 × $0.30 + 19,660 × $3.75 + 5,649 × $15
    // = [24,855 + 11,433 + 73,725 + 84,735] = [194,748]
    let sonnet = row(&report, "claude-sonnet-4-5");
    assert_eq!(calls(sonnet), 5);
    assert_eq!(tokens(sonnet), [8_285, 38_110, 19_660, 0, 5_649]);
    assert_eq!(femto(sonnet), 194_748_000_000_000);
    // 420 × $1 + 18 × $5 = [510]
    let haiku = row(&report, "claude-haiku-4-5");
    assert_eq!((calls(haiku), tokens(haiku)), (1, [420, 0, 0, 0, 18]));
    assert_eq!(femto(haiku), 510_000_000_000);
    assert_eq!(femto(&report["total"]), 195_258_000_000_000);
    same_as_twin(&report, AMP_TWIN);
}

#[test]
fn kimi_wire_log_matches_the_hand_arithmetic_and_its_twin() {
    let report = replay_json(&[KIMI_SESSIONS, "--by", "model"]);
    check_read(
        &report,
        ReadCounts {
            format: "kimi-cli",
            files: 1,
            lines: Some(23),
            calls: 5,
            not_calls: 16,
            duplicates: 1,
            skipped: &[("malformed_json", 1)],
            unpriced_calls: 0,
        },
    );
    // 3,954 × $1.15 + 14,848 × $0.15 + 3,217 × $8
    // = [4,547.1 + 2,227.2 + 25,736] = [32,510.3]
    let k2 = row(&report, "kimi-k2-turbo-preview");
    assert_eq!(tokens(k2), [3_954, 14_848, 0, 0, 3_217]);
    assert_eq!(femto(&report["total"]), 32_510_300_000_000);
    same_as_twin(&report, KIMI_TWIN);
}

#[test]
fn agents_amp_and_kimi_follow_their_variables() {
    let run = costsim_env(
        &[
            "replay",
            "--agents",
            "amp,kimi",
            "--by",
            "agent",
            "--by",
            "tag:project",
            "-o",
            "json",
        ],
        &[
            ("AMP_DATA_DIR", Some("fixtures/agents/amp/tree")),
            ("KIMI_SHARE_DIR", Some("fixtures/agents/kimi-cli/tree")),
            ("KIMI_DATA_DIR", None),
            ("HOME", Some("/nonexistent")),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    // [195,258 + 32,510.3] µ$
    assert_eq!(femto(&report["total"]), 227_768_300_000_000);
    assert_eq!(report["total"]["calls"], 11);
    let keys: Vec<String> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["keys"]["agent"], r["keys"]["tag:project"]))
        .collect();
    for want in [
        r#""amp" "billing-api""#,
        r#""amp" "dotfiles""#,
        r#""kimi-cli" "a4835b84c49b119c03ee4ddab2fee326""#,
    ] {
        assert!(keys.iter().any(|k| k == want), "{want}: {keys:?}");
    }
}
