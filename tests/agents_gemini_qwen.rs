//! Gemini CLI and Qwen Code logs: the real samples in fixtures/agents/
//! (unchanged copies of ../shared/real-logs, provenance in each folder's
//! SOURCES.md), replayed by the binary and compared, exactly, with the
//! figures worked out by hand in fixtures/agents/gemini-cli/README.md and
//! fixtures/agents/qwen-code/README.md. [µ$] are micro-dollars (tokens ×
//! USD per million tokens); 1 µ$ = 10⁹ femto-dollars.

use std::path::Path;

use serde_json::Value;

use crate::util::{calls, check_read, femto, ok, replay_json, tokens, ReadCounts};

const GEMINI: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/agents/gemini-cli/tree"
);
const QWEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/agents/qwen-code/tree"
);
const QWEN_TEST_CATALOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/agents/qwen-code/pricing"
);

/// The legacy session files: a directory input walks `*.jsonl` only.
fn gemini_legacy_glob() -> String {
    assert!(Path::new(GEMINI).is_dir(), "{GEMINI}: missing");
    format!("{GEMINI}/tmp/*/chats/*.json")
}

/// The row whose keys are `keys`; fails listing the rows.
fn row<'a>(report: &'a Value, keys: &[(&str, &str)]) -> &'a Value {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter()
        .find(|r| keys.iter().all(|(k, v)| r["keys"][*k].as_str() == Some(*v)))
        .unwrap_or_else(|| {
            let all: Vec<&Value> = rows.iter().map(|r| &r["keys"]).collect();
            panic!("no row {keys:?}; rows: {all:?}")
        })
}

/// Calls, tokens (input, cache read, write 5m, write 1h, output), reasoning
/// and cost in femto-dollars of a model's row.
fn priced(report: &Value, model: &str) -> (u64, [u64; 5], u64, i128) {
    let r = row(report, &[("model", model)]);
    let reasoning = r["tokens"]["reasoning"].as_u64().expect("reasoning");
    (calls(r), tokens(r), reasoning, femto(r))
}

/// All eight Gemini files: the seven legacy `.json` sessions (as a glob)
/// and the `.jsonl` one (the directory). 67 responses with usage, of which
/// 5 are second copies in the `.jsonl` (folded) and 5 all-zero records are
/// not calls.
#[test]
fn gemini_cli_real_sessions_match_the_hand_arithmetic() {
    let report = replay_json(&[GEMINI, &gemini_legacy_glob()]);
    check_read(
        &report,
        ReadCounts {
            format: "gemini-cli",
            files: 8,
            // A legacy file reads as its header plus one line per message.
            lines: Some(107),
            calls: 62,
            not_calls: 40,
            duplicates: 5,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // gemini-2.5-flash ($0.30 in, $0.03 read, $2.50 out): 43,497 × $0.30
    // + 161,019 × $0.03 + 2,267 × $2.50 = [13,049.1 + 4,830.57 + 5,667.5]
    // = [23,547.17]
    assert_eq!(
        priced(&report, "gemini-2.5-flash"),
        (
            16,
            [43_497, 161_019, 0, 0, 2_267],
            1_447,
            23_547_170_000_000
        )
    );
    // gemini-2.5-pro ($1.25, $0.125, $10; every prompt under the 200K
    // tier): 305,351 × $1.25 + 726,348 × $0.125 + 18,406 × $10
    // = [381,688.75 + 90,793.5 + 184,060] = [656,542.25]
    assert_eq!(
        priced(&report, "gemini-2.5-pro"),
        (
            37,
            [305_351, 726_348, 0, 0, 18_406],
            9_831,
            656_542_250_000_000
        )
    );
    // gemini-3-flash-preview ($0.50, $0.05, $3): 113,397 × $0.50
    // + 48,951 × $0.05 + 3,575 × $3 = [56,698.5 + 2,447.55 + 10,725]
    // = [69,871.05]
    assert_eq!(
        priced(&report, "gemini-3-flash-preview"),
        (5, [113_397, 48_951, 0, 0, 3_575], 1_689, 69_871_050_000_000)
    );
    // gemini-3.1-pro-preview ($2, $0.20, $12), with its alias
    // gemini-3.1-pro-preview-customtools: 76,760 × $2 + 39,826 × $0.20
    // + 21,659 × $12 = [153,520 + 7,965.2 + 259,908] = [421,393.2]
    assert_eq!(
        priced(&report, "gemini-3.1-pro-preview"),
        (
            4,
            [76_760, 39_826, 0, 0, 21_659],
            12_068,
            421_393_200_000_000
        )
    );
    // [23,547.17 + 656,542.25 + 69,871.05 + 421,393.2] = [1,171,353.67]
    assert_eq!(femto(&report["total"]), 1_171_353_670_000_000);
}

/// Each file on its own (a session per file), as README.md prices them.
#[test]
fn gemini_cli_every_session_costs_what_its_file_should() {
    let report = replay_json(&[GEMINI, &gemini_legacy_glob(), "--by", "session"]);
    let want: [(&str, u64, i128); 8] = [
        // [4,090.5 + 1,059.9 + 755]
        ("faff42ab-6ea5-4f78-b8c4-f7dd6272af08", 4, 5_905_400_000_000),
        // [3,702.3 + 355.05 + 382.5]
        ("fa4593e0-f7e1-4dd1-b656-da95fb4d60fa", 2, 4_439_850_000_000),
        // [5,256.3 + 3,415.62 + 4,530]
        (
            "f7633853-6663-4dbb-bbf4-6159afa29df8",
            10,
            13_201_920_000_000,
        ),
        // [175,027.5 + 40,827.5 + 69,440]
        (
            "eefc44a3-0832-4bc0-ac33-fa668f038213",
            18,
            285_295_000_000_000,
        ),
        // [138,068.75 + 34,802.875 + 90,650]
        (
            "d6f69999-62cc-4d41-8de4-9a85fc1531b8",
            10,
            263_521_625_000_000,
        ),
        // [68,592.5 + 15,163.125 + 23,970]
        (
            "2d9ea14f-1e4e-44f6-8bf5-7a7819cb1cd9",
            9,
            107_725_625_000_000,
        ),
        // [73,044 + 7,965.2 + 251,292]
        (
            "8a20078e-2d5e-4f81-a640-9b879bbb7e6d",
            3,
            332_301_200_000_000,
        ),
        // [56,698.5 + 2,447.55 + 10,725] + [80,476 + 0 + 8,616]
        (
            "0ab84937-9fe7-4284-986a-33c832af0b6a",
            6,
            158_963_050_000_000,
        ),
    ];
    for (session, n, cost) in want {
        let r = row(&report, &[("session", session)]);
        assert_eq!((calls(r), femto(r)), (n, cost), "session {session}");
    }
    let rows = report["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), want.len(), "{rows:?}");
}

/// A plain directory input reads only the `.jsonl` file: each of its six
/// responses once although five are written twice.
#[test]
fn gemini_cli_jsonl_folds_rewritten_messages() {
    let report = replay_json(&[GEMINI]);
    check_read(
        &report,
        ReadCounts {
            format: "gemini-cli",
            files: 1,
            lines: Some(28),
            calls: 6,
            not_calls: 17,
            duplicates: 5,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    assert_eq!(femto(&report["total"]), 158_963_050_000_000);
}

/// A legacy session that was resumed: Gemini CLI copies every message of
/// `session-….json` into `session-….jsonl` and keeps the `.json`. The copies
/// count once; the response added after the resume counts.
#[test]
fn gemini_cli_legacy_session_copied_into_its_jsonl_counts_once() {
    let legacy = format!(
        "{GEMINI}/tmp/7e8989f71805c3147f6be9b7a71de2a156f8face69f9380beeeb8a777414f21c/chats/session-2026-01-10T02-08-faff42ab.json"
    );
    let text = std::fs::read_to_string(&legacy).expect("legacy session");
    let mut session: Value = serde_json::from_str(&text).unwrap();
    let messages = session["messages"].as_array().unwrap().clone();
    session.as_object_mut().unwrap().remove("messages");
    // What the resumed CLI writes: the header, the old messages, then a new
    // response (a copy of the first one under a new id).
    let mut jsonl = format!("{session}\n");
    for m in &messages {
        jsonl.push_str(&format!("{m}\n"));
    }
    let mut resumed = messages[1].clone();
    assert_eq!(resumed["type"], "gemini");
    resumed["id"] = Value::from("resumed-0000-4000-8000-000000000001");
    jsonl.push_str(&format!("{resumed}\n"));
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("tmp/p/chats");
    std::fs::create_dir_all(&chats).unwrap();
    std::fs::write(chats.join("session-2026-01-10T02-08-faff42ab.json"), &text).unwrap();
    std::fs::write(
        chats.join("session-2026-01-10T02-08-faff42ab.jsonl"),
        &jsonl,
    )
    .unwrap();
    let glob = format!("{}/session-*", chats.display());
    let report = replay_json(&[&glob]);
    assert_eq!(report["calls"].as_u64(), Some(5));
    assert_eq!(report["duplicates_folded"].as_u64(), Some(4));
    // The file's [5,905.4] plus the new response (ba610c5b's counts:
    // 12,874 × $0.30 + 49 × $2.50 = [3,862.2 + 122.5] = [3,984.7]).
    assert_eq!(femto(&report["total"]), 9_890_100_000_000);
}

/// Both Qwen Code files: four assistant lines with usage; the four
/// ui_telemetry lines repeating them are not calls. The mock servers'
/// model names have no price in the catalog.
#[test]
fn qwen_code_real_sessions_count_cached_inside_the_prompt() {
    let report = replay_json(&[QWEN]);
    check_read(
        &report,
        ReadCounts {
            format: "qwen-code",
            files: 2,
            lines: Some(16),
            calls: 4,
            not_calls: 12,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 4,
        },
    );
    // 500 + (600 − 50) input, 50 read, 20 + 5 output.
    let coder = row(&report, &[("model", "coder-model")]);
    assert_eq!((calls(coder), tokens(coder)), (2, [1_050, 50, 0, 0, 25]));
    // 2 × (1,234 − 400) input, 2 × 400 read, 2 × 56 output.
    let mock = row(&report, &[("model", "mock-model")]);
    assert_eq!((calls(mock), tokens(mock)), (2, [1_668, 800, 0, 0, 112]));
    assert_eq!(femto(&report["total"]), 0);
}

/// The same files priced with the test catalog that gives the mock model
/// names Qwen3.5-Plus rates ($0.40 in, $0.08 read, $2.40 out).
#[test]
fn qwen_code_real_sessions_priced_with_a_test_catalog() {
    let report = replay_json(&[QWEN, "--pricing", QWEN_TEST_CATALOG, "--by", "session"]);
    // 1,668 × $0.40 + 800 × $0.08 + 112 × $2.40 = [667.2 + 64 + 268.8]
    let r = row(
        &report,
        &[("session", "5111125b-e311-42be-8e4d-93942aaaacf4")],
    );
    assert_eq!((calls(r), femto(r)), (2, 1_000_000_000_000));
    // 1,050 × $0.40 + 50 × $0.08 + 25 × $2.40 = [420 + 4 + 60]
    let r = row(
        &report,
        &[("session", "69f0814a-8bfc-4c8e-93d3-05757f17b96f")],
    );
    assert_eq!((calls(r), femto(r)), (2, 484_000_000_000));
    assert_eq!(femto(&report["total"]), 1_484_000_000_000);
    assert_eq!(report["total"]["unpriced_calls"].as_u64(), Some(0));
}

#[test]
fn formats_lists_both_readers() {
    let run = ok(&["formats"]);
    for name in ["gemini-cli", "qwen-code"] {
        assert!(run.stdout.contains(name), "{name} missing:\n{}", run.stdout);
    }
}

/// Bad records are skipped, counted by reason and placed at `file:line`,
/// naming the field; the good ones around them still count.
#[test]
fn bad_records_are_named_and_placed() {
    let dir = tempfile::tempdir().unwrap();
    let gemini = dir.path().join("session-2026-04-23T12-52-0ab84937.jsonl");
    let header = r#"{"sessionId":"0ab84937-9fe7-4284-986a-33c832af0b6a","projectHash":"9da8b3df","startTime":"2026-04-23T12:52:52.759Z","lastUpdated":"2026-04-23T12:52:52.759Z"}"#;
    let good = r#"{"id":"a4173396","timestamp":"2026-04-23T12:53:18.422Z","type":"gemini","content":"","tokens":{"input":29082,"output":89,"cached":8156,"thoughts":642,"tool":0,"total":29813},"model":"gemini-3-flash-preview"}"#;
    let negative = good
        .replace("a4173396", "b4173396")
        .replace(r#""output":89"#, r#""output":-89"#);
    let too_cached = good
        .replace("a4173396", "c4173396")
        .replace(r#""cached":8156"#, r#""cached":30000"#);
    std::fs::write(
        &gemini,
        format!(
            "{header}\n{good}\n{negative}\n{too_cached}\n{}\n",
            &good[..60]
        ),
    )
    .unwrap();
    let qwen = dir.path().join("5111125b.jsonl");
    let line = r#"{"uuid":"6caac9d5","parentUuid":null,"sessionId":"5111125b","timestamp":"2026-08-19T22:05:33.332Z","type":"assistant","model":"mock-model","message":{"role":"model","parts":[]},"usageMetadata":{"promptTokenCount":1234,"candidatesTokenCount":56,"totalTokenCount":1290,"cachedContentTokenCount":400}}"#;
    let no_model = line
        .replace("6caac9d5", "7caac9d5")
        .replace(r#""model":"mock-model","#, "");
    std::fs::write(&qwen, format!("{line}\n{no_model}\n")).unwrap();
    let (g, q) = (gemini.display().to_string(), qwen.display().to_string());
    let run = crate::util::costsim(&["replay", &g, &q, "--strict"], None);
    assert_eq!(run.code, 2);
    for expected in [
        format!("{g}:3: field \"tokens.output\": -89 is not a non-negative integer"),
        format!("{g}:4: field \"tokens.cached\": 30000 exceeds tokens.input 29082"),
        format!("{g}:5: malformed JSON"),
        format!("{q}:2: field \"model\": missing"),
    ] {
        assert!(run.stderr.contains(&expected), "{expected}\n{}", run.stderr);
    }
    let report = replay_json(&[&g, &q]);
    assert_eq!(report["calls"].as_u64(), Some(2));
    let by_reason = &report["skipped"]["by_reason"];
    assert_eq!(by_reason["bad_token_count"], 1);
    assert_eq!(by_reason["inconsistent_usage"], 1);
    assert_eq!(by_reason["malformed_json"], 1);
    assert_eq!(by_reason["missing_field"], 1);
}

/// Twins: canonical traces of the calls the READMEs count (the Gemini one
/// written by calc.py from the rules, the Qwen one by hand) price the same
/// as the logs, by model and by session.
#[test]
fn logs_and_their_canonical_twins_agree() {
    let legacy = gemini_legacy_glob();
    let twin = format!("{GEMINI}/../twin.jsonl");
    for by in ["model", "session"] {
        crate::util::same_as_twin(&[GEMINI, &legacy], &twin, &["--by", by], true);
    }
    crate::util::same_as_twin(
        &[QWEN],
        &format!("{QWEN}/../twin.jsonl"),
        &["--by", "model", "--pricing", QWEN_TEST_CATALOG],
        true,
    );
}
