//! Real third-party logs, copied unchanged from the team's collection
//! (../shared/real-logs) into fixtures/real/ with their SOURCES.md files
//! (provenance: repository, path, commit). Every expected figure was worked
//! out by hand from the
//! catalog prices, independently of costsim's output: the arithmetic is in
//! fixtures/real/README.md and fixtures/real/calc.py (Python as a
//! calculator). Comparisons are exact, in femto-dollars (1e-15 USD): a price
//! per million tokens times a token count is micro-dollars, [µ$] below, and
//! 1 µ$ = 10⁹ femto-dollars.
//!
//! A missing file fails its test saying so (never a silent pass).

use std::path::Path;

use serde_json::Value;

use crate::util::{
    calls, check_read as check, costsim, femto, replay_json, tokens, ReadCounts as Lines,
};

/// The copies of the real logs.
const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/real");

/// The path of a real log (`rel` below fixtures/real), after making sure it
/// is there.
fn real(rel: &str) -> String {
    let path = format!("{REAL}/{rel}");
    assert!(
        Path::new(&path).exists(),
        "{path}: missing (see fixtures/real/SOURCES.md)"
    );
    path
}

/// The row of catalog model `model`; fails listing the rows.
fn model_row<'a>(report: &'a Value, model: &str) -> &'a Value {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter()
        .find(|r| r["keys"]["model"].as_str() == Some(model))
        .unwrap_or_else(|| {
            let keys: Vec<&Value> = rows.iter().map(|r| &r["keys"]).collect();
            panic!("no row for {model}; rows: {keys:?}")
        })
}

/// Calls, tokens (input, cache read, write 5m, write 1h, output) and cost in
/// femto-dollars of a model's row.
fn priced(report: &Value, model: &str) -> (u64, [u64; 5], i128) {
    let row = model_row(report, model);
    (calls(row), tokens(row), femto(row))
}

fn reasoning(report: &Value, model: &str) -> u64 {
    model_row(report, model)["tokens"]["reasoning"]
        .as_u64()
        .expect("reasoning")
}

/// The unpriced models and their calls, sorted by name.
fn unpriced(report: &Value) -> Vec<(String, u64)> {
    let mut list: Vec<(String, u64)> = report["unpriced_models"]
        .as_array()
        .expect("unpriced_models")
        .iter()
        .map(|m| (m["model"].as_str().unwrap().to_string(), calls(m)))
        .collect();
    list.sort();
    list
}

fn owned(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = list.iter().map(|(m, n)| (m.to_string(), *n)).collect();
    v.sort();
    v
}

/// The rows' costs add up to the total.
fn rows_add_up(report: &Value) {
    let sum: i128 = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["cost_femto_usd"].is_string())
        .map(femto)
        .sum();
    assert_eq!(sum, femto(&report["total"]), "rows vs total");
}

// ------------------------------------------------------------ Claude Code

const CLAUDE_TREE: &str = "claude-code/tree";
const SIDECHAIN: &str = "claude-code/claude-code-log-sidechain_integrated.jsonl";

/// The whole tree as one directory input: two sessions (claude-opus-4-6,
/// Feb 2026, before the 2026-03-13 price change), two subagents
/// (claude-sonnet-4-5) and two compaction agents. 600 assistant lines with
/// usage are 308 responses: per (message.id, requestId) the line with the
/// largest output_tokens is kept.
#[test]
fn claude_code_tree_keeps_the_largest_copy_of_each_response() {
    let report = replay_json(&[&real(CLAUDE_TREE)]);
    check(
        &report,
        Lines {
            format: "claude-code",
            files: 6,
            lines: Some(3538),
            calls: 308,
            not_calls: 2938,
            duplicates: 292,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // claude-opus-4-6 ($5 in, $0.50 read, $6.25 5m, $10 1h, $25 out):
    // 363 × $5 + 26,721,772 × $0.50 + 488,218 × $6.25 + 351,961 × $10
    // + 67,668 × $25 = [1,815 + 13,360,886 + 3,051,362.5 + 3,519,610
    // + 1,691,700] = [21,625,373.5]
    assert_eq!(
        priced(&report, "claude-opus-4-6"),
        (
            293,
            [363, 26_721_772, 488_218, 351_961, 67_668],
            21_625_373_500_000_000
        )
    );
    // claude-sonnet-4-5 ($3, $0.30, $3.75, $6, $15): 68 × $3 + 638,315 × $0.30
    // + 71,257 × $3.75 + 42,176 × $6 + 139 × $15 = [204 + 191,494.5
    // + 267,213.75 + 253,056 + 2,085] = [714,053.25]
    assert_eq!(
        priced(&report, "claude-sonnet-4-5"),
        (15, [68, 638_315, 71_257, 42_176, 139], 714_053_250_000_000)
    );
    // [21,625,373.5 + 714,053.25] = $22.33942675 (the first copy of each
    // response instead would give $21.10785175)
    assert_eq!(femto(&report["total"]), 22_339_426_750_000_000);
    rows_add_up(&report);
}

/// msg_01EEiRWuVvwAmenNJXZcerPY is written six times (lines 6–9, 14, 15 of
/// the gqc session, 20:36:47–20:36:53 UTC), with output_tokens 10 five
/// times and 441 on line 15: it is one call at 441. It is the only response
/// before 20:36:55 in the tree.
#[test]
fn claude_code_response_is_priced_at_its_largest_output() {
    let report = replay_json(&[
        &real(CLAUDE_TREE),
        "--since",
        "2026-02-11T20:36:00Z",
        "--until",
        "2026-02-11T20:36:55Z",
    ]);
    assert_eq!(report["calls"].as_u64(), Some(1));
    // 3 × $5 + 17,842 × $0.50 + 8,037 × $10 (1h) + 441 × $25
    // = [15 + 8,921 + 80,370 + 11,025] = [100,331]; at output 10 it would be
    // [89,556].
    assert_eq!(
        priced(&report, "claude-opus-4-6"),
        (1, [3, 17_842, 0, 8_037, 441], 100_331_000_000_000)
    );
}

/// Claude Code 2.0.46: no `cache_creation` object, so every write is a 5m
/// write. Line 4 repeats line 3's response (same message.id and requestId).
fn check_sidechain(report: &Value) {
    // claude-sonnet-4-5-20250929 ($3, $0.30, $3.75 5m, $15):
    // line 1: 3 × $3 + 141,272 × $3.75 + 365 × $15 = [9 + 529,770 + 5,475] = [535,254]
    // line 3: 3 × $3 + 19,830 × $3.75 + 183 × $15 = [9 + 74,362.5 + 2,745] = [77,116.5]
    // line 6: 3 × $3 + 141,272 × $0.30 + 2,952 × $3.75 + 190 × $15
    //   = [9 + 42,381.6 + 11,070 + 2,850] = [56,310.6]
    // [535,254 + 77,116.5 + 56,310.6] = $0.6686811
    assert_eq!(
        priced(report, "claude-sonnet-4-5"),
        (3, [9, 141_272, 164_054, 0, 738], 668_681_100_000_000)
    );
    assert_eq!(femto(&report["total"]), 668_681_100_000_000);
}

#[test]
fn claude_code_sidechain_file_writes_are_5m_without_a_split() {
    let report = replay_json(&[&real(SIDECHAIN)]);
    check(
        &report,
        Lines {
            format: "claude-code",
            files: 1,
            lines: Some(6),
            calls: 3,
            not_calls: 2,
            duplicates: 1,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_sidechain(&report);
}

/// The same six real lines with every `requestId` removed (a derived input,
/// on standard input): copies fold on message.id alone.
#[test]
fn claude_code_copies_without_request_id_fold_on_the_message_id() {
    let text = std::fs::read_to_string(real(SIDECHAIN)).expect("readable");
    let mut stripped = String::new();
    for line in text.lines() {
        let mut value: Value = serde_json::from_str(line).expect("JSON line");
        value.as_object_mut().expect("object").remove("requestId");
        stripped.push_str(&value.to_string());
        stripped.push('\n');
    }
    assert!(!stripped.contains("requestId"));
    let run = costsim(
        &["replay", "-", "--output", "json"],
        Some(stripped.as_bytes()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    check(
        &report,
        Lines {
            format: "claude-code",
            files: 1,
            lines: Some(6),
            calls: 3,
            not_calls: 2,
            duplicates: 1,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_sidechain(&report);
}

// ------------------------------------------------------------------ Codex

const CODEX: &str = "codex/rtchess-exported-session.jsonl";

/// 702 token_count events with info, every other one repeating the running
/// total before it: 351 calls. The sum of their last_token_usage equals the
/// final total_token_usage: input 30,644,629 (cached 29,513,728 inside),
/// output 183,421 (reasoning 82,880 inside).
fn check_codex(report: &Value) {
    // gpt-5.1-codex-max → gpt-5.1 ($1.25 in, $0.125 cached, $10 out):
    // (30,644,629 − 29,513,728) × $1.25 + 29,513,728 × $0.125 + 183,421 × $10
    // = [1,413,626.25 + 3,689,216 + 1,834,210] = [6,937,052.25] = $6.93705225
    assert_eq!(
        priced(report, "gpt-5.1"),
        (
            351,
            [1_130_901, 29_513_728, 0, 0, 183_421],
            6_937_052_250_000_000
        )
    );
    assert_eq!(reasoning(report, "gpt-5.1"), 82_880);
    assert_eq!(femto(&report["total"]), 6_937_052_250_000_000);
}

#[test]
fn codex_rollout_counts_each_running_total_once() {
    let report = replay_json(&[&real(CODEX)]);
    check(
        &report,
        Lines {
            format: "codex",
            files: 1,
            lines: Some(2222),
            calls: 351,
            // the session_meta, 352 turn_context, 1,166 other lines and the
            // token_count whose info is null
            not_calls: 1520,
            duplicates: 351,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_codex(&report);
}

/// The rollout and a copy of it elsewhere (as Codex's `archived_sessions`
/// keeps one): (session id, running total) is folded run-wide, so the
/// session counts once.
#[test]
fn codex_file_given_twice_counts_once() {
    let original = real(CODEX);
    let archive = tempfile::tempdir().expect("temp dir");
    let copy = archive.path().join("archived_sessions/rollout-copy.jsonl");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(&original, &copy).unwrap();
    let report = replay_json(&[&original, copy.to_str().unwrap()]);
    check(
        &report,
        Lines {
            format: "codex",
            files: 2,
            lines: Some(4444),
            calls: 351,
            not_calls: 3040,
            // 351 in the first copy, all 702 events of the second
            duplicates: 1053,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    check_codex(&report);
}

/// Twins: the calls fixtures/real/README.md counts in the Claude Code tree
/// and the Codex rollout, written as canonical traces by calc.py from its
/// own reading of the rules (`python3 fixtures/real/calc.py --twins
/// claude-tree codex`), price the same as the logs, by model and session.
#[test]
fn claude_code_and_codex_agree_with_their_canonical_twins() {
    for by in ["model", "session"] {
        let extra = ["--by", by];
        crate::util::same_as_twin(
            &[&real(CLAUDE_TREE)],
            &real("claude-code/twin-tree.jsonl"),
            &extra,
            true,
        );
        crate::util::same_as_twin(&[&real(CODEX)], &real("codex/twin.jsonl"), &extra, true);
    }
}

// ----------------------------------------------------------------- OpenAI

const OPENAI_CHAT: &str = "openai/pydantic-ai-cassettes-openai-chat.jsonl";
const OPENAI_RESPONSES: &str = "openai/pydantic-ai-cassettes-openai-responses.jsonl";

/// 67 recorded response bodies: 66 calls (line 57 repeats line 10's id), 8
/// of them on models the catalog does not know.
#[test]
fn openai_chat_cassettes_price_cache_writes() {
    let report = replay_json(&[&real(OPENAI_CHAT)]);
    check(
        &report,
        Lines {
            format: "openai",
            files: 1,
            lines: Some(67),
            calls: 66,
            not_calls: 0,
            duplicates: 1,
            skipped: &[],
            unpriced_calls: 8,
        },
    );
    // gpt-5.6-sol ($5 in, $0.50 cached, $6.25 cache write, $30 out), lines
    // 62–67, prompt 4,020 each: writes 4,012 on 62, 64, 66 and reads 4,012
    // on 63, 65, 67 (uncached 8 each):
    // 62: 8 × $5 + 4,012 × $6.25 + 4 × $30 = [40 + 25,075 + 120] = [25,235]
    // 63: 8 × $5 + 4,012 × $0.50 + 4 × $30 = [40 + 2,006 + 120] = [2,166]
    // 64, 66: [40 + 25,075 + 150] = [25,265] each (66 billed $0.025265)
    // 65, 67: [40 + 2,006 + 150] = [2,196] each (67 billed $0.002196)
    // [25,235 + 2,166 + 2 × 25,265 + 2 × 2,196] = [82,323]
    assert_eq!(
        priced(&report, "gpt-5.6-sol"),
        (6, [48, 12_036, 12_036, 0, 28], 82_323_000_000_000)
    );
    // gpt-5 ($1.25, $10): 50 × $1.25 + 3,790 × $10 = [62.5 + 37,900]
    assert_eq!(
        priced(&report, "gpt-5"),
        (4, [50, 0, 0, 0, 3_790], 37_962_500_000_000)
    );
    assert_eq!(reasoning(&report, "gpt-5"), 3_136);
    // gpt-4o-2024-08-06 ($2.50, $10): 9,336 × $2.50 + 651 × $10 = [23,340 + 6,510]
    assert_eq!(
        priced(&report, "gpt-4o-2024-08-06"),
        (27, [9_336, 0, 0, 0, 651], 29_850_000_000_000)
    );
    // o3-mini ($1.10, $4.40): 621 × $1.10 + 5,369 × $4.40 = [683.1 + 23,623.6]
    assert_eq!(
        priced(&report, "o3-mini"),
        (5, [621, 0, 0, 0, 5_369], 24_306_700_000_000)
    );
    assert_eq!(
        unpriced(&report),
        owned(&[
            ("gpt-4o-audio-preview-2024-12-17", 2),
            ("gpt-4o-search-preview-2025-03-11", 2),
            ("qwen-3-coder-480b", 2),
            ("gpt-4.5-preview-2025-02-27", 1),
            ("llama-3.3-70b", 1),
        ])
    );
    // gemini-2.5-pro ($1.25, $10): thinking tokens counted only in
    // total_tokens (62 and 28) are output: 101 × $1.25 + 108 × $10
    // = [126.25 + 1,080] = [1,206.25]
    assert_eq!(
        priced(&report, "gemini-2.5-pro"),
        (2, [101, 0, 0, 0, 108], 1_206_250_000_000)
    );
    // [1,206.25 + 29,850 + 161.6 + 66.3 + 24,306.7 + 123.2 + 32.7 + 37,962.5
    // + 117 + 965.8 + 82,323] = [177,115.05] = $0.17711505
    assert_eq!(femto(&report["total"]), 177_115_050_000_000);
    rows_add_up(&report);
}

/// 142 lines: 8 queued/in-progress objects with `usage: null`, 6 reused ids
/// (the cassettes' placeholder ids resp_0100… and resp_0200…), one Anthropic
/// message (line 123, read as one: the two API formats may share a file; it
/// has no time, so --assume-time dates it), 7 `response.compaction` objects
/// priced at the model of the line before them.
#[test]
fn openai_responses_compaction_is_priced_at_the_model_before_it() {
    let report = replay_json(&[&real(OPENAI_RESPONSES), "--assume-time", ASSUMED]);
    check(
        &report,
        Lines {
            format: "openai",
            files: 1,
            lines: Some(142),
            calls: 128,
            not_calls: 8,
            duplicates: 6,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // Line 123, an Anthropic message: claude-sonnet-4-6 ($3, $15 on
    // 2026-06-01): 42 × $3 + 291 × $15 = [126 + 4,365] = [4,491]
    assert_eq!(
        priced(&report, "claude-sonnet-4-6"),
        (1, [42, 0, 0, 0, 291], 4_491_000_000_000)
    );
    // gpt-4o-mini ($0.15, $0.60): 7 responses (input 475, output 80) and the
    // compactions of lines 44, 48, 54, 64 (input 555, output 1,097):
    // 1,030 × $0.15 + 1,177 × $0.60 = [154.5 + 706.2] = [860.7]
    assert_eq!(
        priced(&report, "gpt-4o-mini"),
        (11, [1_030, 0, 0, 0, 1_177], 860_700_000_000)
    );
    // gpt-4.1 ($2, $8): 17 responses (input 3,246, output 2,286) and the
    // compactions of lines 57, 59, 61 (input 375, output 562):
    // 3,621 × $2 + 2,848 × $8 = [7,242 + 22,784]
    assert_eq!(
        priced(&report, "gpt-4.1"),
        (20, [3_621, 0, 0, 0, 2_848], 30_026_000_000_000)
    );
    // Built-in tool calls (output items), $10 per 1,000 web searches and
    // $2.50 per 1,000 file searches: gpt-5 15 web_search_call (line 83: 6,
    // 101: 4, 98, 99, 100, 102, 103: 1 each) = [150,000]; gpt-5.2 2 (lines
    // 31, 32) = [20,000]; gpt-5.6-sol 1 (line 104) = [10,000];
    // gpt-4o-2024-08-06 3 file_search_call (lines 84–86) = [7,500].
    for (model, tools) in [
        ("gpt-5", 150_000_000_000_000i128),
        ("gpt-5.2", 20_000_000_000_000),
        ("gpt-5.6-sol", 10_000_000_000_000),
        ("gpt-4o-2024-08-06", 7_500_000_000_000),
        ("gpt-4.1", 0),
    ] {
        let row = model_row(&report, model);
        let shown = row["tools_femto_usd"]
            .as_str()
            .map_or(0, |t| t.parse::<i128>().unwrap());
        assert_eq!(shown, tools, "{model} tools");
    }
    // gpt-5.6-sol: line 104 writes 4,418 of its 8,576 input tokens:
    // 4,158 × $5 + 4,418 × $6.25 + 52 × $30 = [20,790 + 27,612.5 + 1,560]
    // = [49,962.5]; 7 more calls 1,653 × $5 + 67 × $30 = [8,265 + 2,010];
    // one web search [10,000]
    assert_eq!(
        priced(&report, "gpt-5.6-sol"),
        (8, [5_811, 0, 4_418, 0, 119], 70_237_500_000_000)
    );
    // gpt-5 ($1.25, $0.125 cached, $10): 71,438 × $1.25 + 145,408 × $0.125
    // + 35,857 × $10 = [89,297.5 + 18,176 + 358,570] = [466,043.5], and 15
    // web searches [150,000]
    assert_eq!(
        priced(&report, "gpt-5"),
        (38, [71_438, 145_408, 0, 0, 35_857], 616_043_500_000_000)
    );
    // computer-use-preview ($3, $12), line 116: 15 × $3 + 180 × $12 =
    // [45 + 2,160] = [2,205]
    assert_eq!(
        priced(&report, "computer-use-preview"),
        (1, [15, 0, 0, 0, 180], 2_205_000_000_000)
    );
    assert_eq!(unpriced(&report), owned(&[]));
    // Tokens [648,590.6 + 4,491 + 2,205] = [655,286.6] (the same file
    // without compactions, line 123, computer-use-preview, and with line
    // 104's writes as plain input was $0.637081), and tool calls [187,500]:
    // $0.8427866
    assert_eq!(femto(&report["total"]), 842_786_600_000_000);
    rows_add_up(&report);
}

// -------------------------------------------------------------- Anthropic

const ANTHROPIC: &str = "anthropic/pydantic-ai-cassettes-anthropic-messages.jsonl";
const BATCH: &str = "anthropic/docs-message-batch-results.jsonl";
const ASSUMED: &str = "2026-06-01T00:00:00Z";

/// Bare Messages responses (no time): every call is dated by --assume-time
/// and priced as of 2026-06-01. `usage.iterations` (lines 1–4, 15–18, 81,
/// 82) are priced one call per iteration, each at its own model.
#[test]
fn anthropic_messages_price_each_iteration_at_the_assumed_time() {
    let report = replay_json(&[&real(ANTHROPIC), "--assume-time", ASSUMED]);
    check(
        &report,
        Lines {
            format: "anthropic",
            files: 1,
            lines: Some(106),
            // 104 messages, 8 more calls from iterations (2 + 2 + 2 on lines
            // 1, 2, 4; 1 + 1 on lines 15, 18), and lines 59 and 79: OpenAI
            // Responses objects in the same file, read as such
            calls: 114,
            not_calls: 0,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // Line 59: gpt-5-2025-08-07, created 2025-09-10 ($1.25, $10):
    // 23 × $1.25 + 2,211 × $10 = [28.75 + 22,110] = [22,138.75]
    assert_eq!(
        priced(&report, "gpt-5"),
        (1, [23, 0, 0, 0, 2_211], 22_138_750_000_000)
    );
    // Line 79: gpt-4.1-2025-04-14, created 2025-11-19 ($2, $8):
    // 329 × $2 + 12 × $8 = [658 + 96] = [754]
    assert_eq!(
        priced(&report, "gpt-4.1"),
        (1, [329, 0, 0, 0, 12], 754_000_000_000)
    );
    // The OpenAI objects carry their own times; every Anthropic call is
    // at the assumed time.
    assert_eq!(
        report["date_range"]["first"].as_str(),
        Some("2025-09-10T22:37:27.000Z")
    );
    assert_eq!(
        report["date_range"]["last"].as_str(),
        Some("2026-06-01T00:00:00.000Z")
    );
    // The advisor passes: claude-opus-4-8 on lines 1 and 2 (2,518 + 2,529 in,
    // 22 + 38 out), with lines 44–46 and 71: 8,289 × $5 + 213 × $25
    // = [41,445 + 5,325] = [46,770]
    assert_eq!(
        priced(&report, "claude-opus-4-8"),
        (6, [8_289, 0, 0, 0, 213], 46_770_000_000_000)
    );
    // claude-fable-5 (first period, from 2026-06-09: $10, $50): the advisor
    // pass of line 4 (2,564 / 99) and lines 23–25, 41–43:
    // 8,008 × $10 + 337 × $50 = [80,080 + 16,850] = [96,930]
    assert_eq!(
        priced(&report, "claude-fable-5"),
        (7, [8_008, 0, 0, 0, 337], 96_930_000_000_000)
    );
    // claude-sonnet-5 (first period, from 2026-06-30: $2, $10): the
    // executor iterations of lines 1–4 and lines 35–37:
    // 11,051 × $2 + 554 × $10 = [22,102 + 5,540] = [27,642]
    assert_eq!(
        priced(&report, "claude-sonnet-5"),
        (10, [11_051, 0, 0, 0, 554], 27_642_000_000_000)
    );
    // claude-sonnet-4-6 ($3, $3.75 5m, $15; period from 2026-03-13), with
    // the compaction passes the top level leaves out: line 15 (55,196 in,
    // 125 out) and line 18 (100 in, 55,096 written, 131 out):
    // 89,295 × $3 + 55,096 × $3.75 + 1,576 × $15 = [267,885 + 206,610 + 23,640]
    assert_eq!(
        priced(&report, "claude-sonnet-4-6"),
        (20, [89_295, 0, 55_096, 0, 1_576], 498_135_000_000_000)
    );
    // claude-sonnet-4-5: lines 103 and 104 (401,468 and 494,549 input) are
    // over 200k: ($6, $22.50) 401,468 × $6 + 792 × $22.50 = [2,426,628] and
    // 494,549 × $6 + 1,245 × $22.50 = [2,995,306.5]; the 30 others at $3,
    // $0.30, $3.75, $15: 42,119 × $3 + 3,333 × $0.30 + 418 × $3.75
    // + 3,481 × $15 = [126,357 + 999.9 + 1,567.5 + 52,215] = [181,139.4];
    // and 16 web searches (lines 86, 103, 104: 1 + 10 + 5) at $10 per
    // 1,000: [160,000]
    assert_eq!(
        priced(&report, "claude-sonnet-4-5"),
        (32, [938_136, 3_333, 418, 0, 5_518], 5_763_073_900_000_000)
    );
    let tools = |model: &str| -> i128 {
        model_row(&report, model)["tools_femto_usd"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("tools_femto_usd")
    };
    assert_eq!(tools("claude-sonnet-4-5"), 160_000_000_000_000);
    // claude-sonnet-4: 2 searches (lines 93, 94): [20,000]
    assert_eq!(tools("claude-sonnet-4"), 20_000_000_000_000);
    // [6,536,435.1 + 22,138.75 + 754 + 180,000] = $6.73932785 in all
    assert_eq!(femto(&report["total"]), 6_739_327_850_000_000);
    rows_add_up(&report);
}

/// Anthropic's documented Message Batches results example: two succeeded
/// results, batch prices (0.5×) as of the assumed time.
#[test]
fn anthropic_batch_results_pay_batch_prices() {
    let report = replay_json(&[&real(BATCH), "--assume-time", ASSUMED]);
    check(
        &report,
        Lines {
            format: "anthropic",
            files: 1,
            lines: Some(2),
            calls: 2,
            not_calls: 0,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // claude-sonnet-4-5 at 0.5× ($1.50 in, $7.50 out):
    // 11 × $1.50 + 36 × $7.50 = [16.5 + 270] = [286.5];
    // 10 × $1.50 + 34 × $7.50 = [15 + 255] = [270]; [556.5]
    assert_eq!(
        priced(&report, "claude-sonnet-4-5"),
        (2, [21, 0, 0, 0, 70], 556_500_000_000)
    );
    assert_eq!(femto(&report["total"]), 556_500_000_000);
}

// ---------------------------------------------------------------- LiteLLM

const SPEND_PRETTY: &str = "litellm/litellm-tests-spend_logs_payload.json";
const SPEND_ONE_LINE: &str = "litellm/litellm-tests-spend_logs_payload.oneline.jsonl";
const STANDARD_PAYLOAD: &str = "litellm/litellm-tests-standard_logging_payload.json";

/// gpt-4o (period from 2024-10-02: $2.50, $10) on 2025-01-24:
/// 10 × $2.50 + 20 × $10 = [25 + 200] = [225] (spend 0.000225).
const GPT4O_225: (u64, [u64; 5], i128) = (1, [10, 0, 0, 0, 20], 225_000_000_000);

#[test]
fn litellm_pretty_printed_spend_log_is_one_record() {
    let report = replay_json(&[&real(SPEND_PRETTY)]);
    check(
        &report,
        Lines {
            format: "litellm",
            files: 1,
            lines: None,
            calls: 1,
            not_calls: 0,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    assert_eq!(priced(&report, "gpt-4o"), GPT4O_225);

    let report = replay_json(&[&real(SPEND_ONE_LINE)]);
    check(
        &report,
        Lines {
            format: "litellm",
            files: 1,
            lines: Some(1),
            calls: 1,
            not_calls: 0,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    assert_eq!(priced(&report, "gpt-4o"), GPT4O_225);

    // Both: the same request_id, folded.
    let report = replay_json(&[&real(SPEND_PRETTY), &real(SPEND_ONE_LINE)]);
    check(
        &report,
        Lines {
            format: "litellm",
            files: 2,
            lines: None,
            calls: 1,
            not_calls: 0,
            duplicates: 1,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    assert_eq!(femto(&report["total"]), 225_000_000_000);
}

/// LiteLLM's StandardLoggingPayload (pretty-printed): the same gpt-4o call
/// (prompt 10, completion 20) whatever reader takes it.
#[test]
fn litellm_standard_logging_payload_is_one_call() {
    let report = replay_json(&[&real(STANDARD_PAYLOAD)]);
    assert_eq!(report["calls"].as_u64(), Some(1));
    assert_eq!(report["skipped"]["total"].as_u64(), Some(0));
    assert_eq!(priced(&report, "gpt-4o"), GPT4O_225);
}

// ------------------------------------------------------------------- CSVs

const OPENAI_USAGE: &str = "openai-usage-csv/guardian-openai-usage-completions-2025-10.csv";
const OPENROUTER: &str = "openrouter-csv/anticharon-openrouter_activity_2026-08-24.rows29.csv";
const ANTHROPIC_USAGE: &str = "anthropic-usage-csv/claude-pricing-dashboard-sample-usage.csv";

/// A spreadsheet-pasted usage export (`10.0`, `FALSE`) with an empty bucket
/// row (line 6): nothing in it is a bad line, so --strict passes. Each row
/// is num_model_requests calls.
#[test]
fn openai_usage_export_passes_strict() {
    let report = replay_json(&[&real(OPENAI_USAGE), "--strict"]);
    check(
        &report,
        Lines {
            format: "openai-usage-csv",
            files: 1,
            lines: Some(8),
            calls: 53,
            // the header and the empty 2025-10-08 bucket
            not_calls: 2,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // gpt-4o-2024-08-06, 10 requests: (59,200 − 5,760) × $2.50 + 5,760 × $1.25
    // + 10,646 × $10 = [133,600 + 7,200 + 106,460] = [247,260]
    assert_eq!(
        priced(&report, "gpt-4o-2024-08-06"),
        (10, [53_440, 5_760, 0, 0, 10_646], 247_260_000_000_000)
    );
    // gpt-5, 8 + 1 requests: (46,264 − 8,192) × $1.25 + 8,192 × $0.125
    // + 60,000 × $10 = [47,590 + 1,024 + 600,000] = [648,614];
    // 5,783 × $1.25 + 16,000 × $10 = [7,228.75 + 160,000] = [167,228.75]
    assert_eq!(
        priced(&report, "gpt-5"),
        (9, [43_855, 8_192, 0, 0, 76_000], 815_842_750_000_000)
    );
    // gpt-5-mini, 21 + 11 + 2 requests: 228,464 × $0.25 + 462,813 × $2
    // = [57,116 + 925,626] = [982,742]
    assert_eq!(
        priced(&report, "gpt-5-mini"),
        (34, [228_464, 0, 0, 0, 462_813], 982_742_000_000_000)
    );
    // [247,260 + 815,842.75 + 982,742] = $2.04584475
    assert_eq!(femto(&report["total"]), 2_045_844_750_000_000);

    // The same cells tab-separated, as pasted from the spreadsheet (the
    // empty bucket's trailing tabs trimmed away): the same report.
    let tsv = replay_json(&[&real(OPENAI_USAGE_TSV), "--strict"]);
    assert_eq!(tsv["total"], report["total"]);
    assert_eq!(tsv["rows"], report["rows"]);
}

const OPENAI_USAGE_TSV: &str = "openai-usage-csv/guardian-openai-usage-completions-2025-10.tsv";

/// A real OpenRouter activity export (29 generations, its own column order).
#[test]
fn openrouter_activity_export() {
    let report = replay_json(&[&real(OPENROUTER)]);
    check(
        &report,
        Lines {
            format: "openrouter-csv",
            files: 1,
            lines: Some(30),
            calls: 29,
            not_calls: 1,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // openai/gpt-5.6-luna-20260709 → gpt-5.6-luna (period from 2026-07-30:
    // $0.20 in, $0.02 cached, $1.20 out; no cache-write column, so writes
    // are input): 786,714 × $0.20 + 759,224 × $0.02 + 5,073 × $1.20
    // = [157,342.8 + 15,184.48 + 6,087.6] = [178,614.88]
    assert_eq!(
        priced(&report, "gpt-5.6-luna"),
        (24, [786_714, 759_224, 0, 0, 5_073], 178_614_880_000_000)
    );
    assert_eq!(reasoning(&report, "gpt-5.6-luna"), 1_304);
    // deepseek/deepseek-v4-flash-20260731 → deepseek-v4-flash (period
    // 2026-08-17..09-10, peak $0.44, $0.014, $1.32), every row at 19:2x UTC on
    // a Thursday: off-peak, half: 207,118 × $0.22 + 815,872 × $0.007
    // + 2,663 × $0.66 = [45,565.96 + 5,711.104 + 1,757.58] = [53,034.644]
    assert_eq!(
        priced(&report, "deepseek-v4-flash"),
        (5, [207_118, 815_872, 0, 0, 2_663], 53_034_644_000_000)
    );
    // [178,614.88 + 53,034.644] = $0.231649524 (billed: cost_total sums to $0.259579)
    assert_eq!(femto(&report["total"]), 231_649_524_000_000);
}

/// A 2025 Anthropic Console usage export (no context_window column): each
/// row becomes calls of at most 100,000 prompt tokens.
#[test]
fn anthropic_console_usage_export() {
    let report = replay_json(&[&real(ANTHROPIC_USAGE)]);
    check(
        &report,
        Lines {
            format: "anthropic-usage-csv",
            files: 1,
            lines: Some(18),
            calls: 80,
            not_calls: 1,
            duplicates: 0,
            skipped: &[],
            unpriced_calls: 0,
        },
    );
    // claude-3-5-haiku-20241022 (period from 2024-12-04: $0.80, $4):
    // 253,819 × $0.80 + 4,132 × $4 = [203,055.2 + 16,528] = [219,583.2]
    assert_eq!(
        priced(&report, "claude-3-5-haiku"),
        (10, [253_819, 0, 0, 0, 4_132], 219_583_200_000_000)
    );
    // claude-sonnet-4-20250514 ($3, $0.30 read, $3.75 5m, $15):
    // 5,363 × $3 + 5,780,553 × $0.30 + 832,679 × $3.75 + 56,825 × $15
    // = [16,089 + 1,734,165.9 + 3,122,546.25 + 852,375] = [5,725,176.15],
    // and line 10's one web search ($10 per 1,000): [10,000]
    assert_eq!(
        priced(&report, "claude-sonnet-4"),
        (
            70,
            [5_363, 5_780_553, 832_679, 0, 56_825],
            5_735_176_150_000_000
        )
    );
    // [5,944,759.35 + 10,000] = $5.95475935
    assert_eq!(femto(&report["total"]), 5_954_759_350_000_000);
}
