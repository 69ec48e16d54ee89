//! Billing and usage exports in CSV (fixtures/formats/*.csv): Anthropic
//! Console usage, OpenRouter activity, OpenAI usage, LiteLLM spend logs.
//!
//! Every expected cost below was worked out by hand from `costsim pricing
//! show MODEL`; the arithmetic is in fixtures/formats/README-billing.md.
//! Comparisons are exact, in femto-dollars (1e-15 USD). Only costsim's prices
//! are asserted here; the billed amounts are checked exactly by the unit tests
//! of each format module.

use serde_json::Value;

use crate::util::{calls, costsim, femto, replay_json, tokens, usd};

const ANTHROPIC: &str = "fixtures/formats/anthropic-usage.csv";
const OPENROUTER: &str = "fixtures/formats/openrouter-activity.csv";
const OPENAI: &str = "fixtures/formats/openai-usage.csv";
const LITELLM: &str = "fixtures/formats/litellm-spend.csv";

/// The row of model `model`; fails listing the rows if there is none.
fn model_row<'a>(report: &'a Value, model: &str) -> &'a Value {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter()
        .find(|r| r["keys"]["model"].as_str() == Some(model))
        .unwrap_or_else(|| {
            let all: Vec<&Value> = rows.iter().map(|r| &r["keys"]).collect();
            panic!("no row for {model}; rows have {all:?}")
        })
}

/// The report read `file` with `format`, saw `lines` lines, and skipped
/// exactly these reasons.
fn read_as(report: &Value, format: &str, lines: u64, skipped: &[(&str, u64)]) {
    let formats = report["formats"].as_object().expect("formats");
    assert_eq!(formats.len(), 1, "{formats:?}");
    assert_eq!(formats[format].as_u64(), Some(1), "{formats:?}");
    assert_eq!(report["lines"].as_u64(), Some(lines), "lines");
    let by_reason = report["skipped"]["by_reason"]
        .as_object()
        .expect("by_reason");
    assert_eq!(by_reason.len(), skipped.len(), "{by_reason:?}");
    for (reason, n) in skipped {
        assert_eq!(
            by_reason[*reason].as_u64(),
            Some(*n),
            "{reason}: {by_reason:?}"
        );
    }
    let total: u64 = skipped.iter().map(|(_, n)| n).sum();
    assert_eq!(report["skipped"]["total"].as_u64(), Some(total));
}

fn unpriced(report: &Value) -> Vec<(String, u64)> {
    report["unpriced_models"]
        .as_array()
        .expect("unpriced_models")
        .iter()
        .map(|m| (m["model"].as_str().unwrap().to_string(), calls(m)))
        .collect()
}

#[test]
fn anthropic_usage_export_prices_every_row() {
    let report = replay_json(&[ANTHROPIC]);
    read_as(
        &report,
        "anthropic-usage-csv",
        9,
        &[("bad_token_count", 1), ("truncated_input", 1)],
    );
    assert_eq!(report["lines_without_usage"].as_u64(), Some(1));

    // 7.17 + 1.35 (batch) + 4.05 (over 200k): 43 + 4 + 2 calls.
    let sonnet = model_row(&report, "claude-sonnet-4-5");
    assert_eq!(femto(sonnet), usd("12.57"));
    assert_eq!(femto(sonnet), 12_570_000_000_000_000);
    assert_eq!(calls(sonnet), 49);
    assert_eq!(
        tokens(sonnet),
        [2_200_000, 3_000_000, 80_000, 20_000, 270_000]
    );

    // 500,000 × $1 + 200,000 × $0.10 + 40,000 × $5 (empty 1h cell = 0).
    let haiku = model_row(&report, "claude-haiku-4-5");
    assert_eq!(femto(haiku), usd("0.72"));
    assert_eq!(calls(haiku), 7);
    assert_eq!(tokens(haiku), [500_000, 200_000, 0, 0, 40_000]);

    // 10,000 × $15 + 50,000 × $1.50 + 2,000 × $75 (billed $0.40).
    let opus = model_row(&report, "claude-opus-4-1");
    assert_eq!(femto(opus), usd("0.375"));
    assert_eq!(calls(opus), 1);

    assert_eq!(unpriced(&report), [("claude-nebula-9".to_string(), 1)]);
    assert_eq!(femto(&report["total"]), usd("13.665"));
    assert_eq!(calls(&report["total"]), 58);
    // The workspace with a comma in its name is one account.
    let by_account = replay_json(&[ANTHROPIC, "--by", "account"]);
    let accounts: Vec<&str> = by_account["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["keys"]["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    assert!(accounts.contains(&"Research, EU"), "{accounts:?}");
    assert!(accounts.contains(&"Default"), "{accounts:?}");
}

#[test]
fn anthropic_long_context_rows_pay_the_long_context_rates() {
    // Line 5 alone: 600,000 × $6 + 20,000 × $22.50 = $4.05; the same tokens
    // at the base rates would be $2.10.
    let report = replay_json(&[ANTHROPIC, "--by", "model", "--by", "tag:context_window"]);
    let rows = report["rows"].as_array().unwrap();
    let long = rows
        .iter()
        .find(|r| {
            r["keys"]["model"] == "claude-sonnet-4-5" && r["keys"]["tag:context_window"] == "> 200k"
        })
        .unwrap_or_else(|| panic!("no long-context row in {rows:?}"));
    assert_eq!(femto(long), usd("4.05"));
    assert_eq!(calls(long), 2);
}

#[test]
fn openrouter_activity_prices_every_generation() {
    let report = replay_json(&[OPENROUTER]);
    read_as(
        &report,
        "openrouter-csv",
        9,
        &[("bad_token_count", 1), ("truncated_input", 1)],
    );

    // anthropic/claude-4.5-sonnet-20250929: 2,000 × $3 + 10,000 × $0.30 + 800 × $15.
    let sonnet = model_row(&report, "claude-sonnet-4-5");
    assert_eq!(femto(sonnet), usd("0.021"));
    assert_eq!(tokens(sonnet), [2_000, 10_000, 0, 0, 800]);

    // openai/gpt-5-mini ($0.020) and openai/gpt-5-mini-2025-08-07 ($0.004).
    let mini = model_row(&report, "gpt-5-mini");
    assert_eq!(femto(mini), usd("0.024"));
    assert_eq!(calls(mini), 2);
    assert_eq!(tokens(mini), [38_000, 20_000, 0, 0, 7_000]);
    assert_eq!(mini["tokens"]["reasoning"].as_u64(), Some(4_000));

    // Empty tokens_cached: 100,000 × $0.30 + 2,000 × $2.50.
    let flash = model_row(&report, "gemini-2.5-flash");
    assert_eq!(femto(flash), usd("0.035"));

    // Cancelled, still billed: 3,000 × $1 + 50 × $5.
    let haiku = model_row(&report, "claude-haiku-4-5");
    assert_eq!(femto(haiku), usd("0.00325"));

    assert_eq!(
        unpriced(&report),
        [("mystery/unknown-model-7b".to_string(), 1)]
    );
    assert_eq!(femto(&report["total"]), usd("0.08325"));
    assert_eq!(femto(&report["total"]), 83_250_000_000_000);
    assert_eq!(calls(&report["total"]), 6);
}

#[test]
fn openai_usage_export_prices_every_bucket() {
    let report = replay_json(&[OPENAI]);
    read_as(
        &report,
        "openai-usage-csv",
        7,
        &[("bad_token_count", 1), ("truncated_input", 1)],
    );

    // 500,000 × $0.25 + 1,500,000 × $0.025 + 300,000 × $2; the row's 250
    // requests (of 8,000 prompt tokens each) are its calls.
    let mini = model_row(&report, "gpt-5-mini");
    assert_eq!(femto(mini), usd("0.7625"));
    assert_eq!(calls(mini), 250);
    assert_eq!(tokens(mini), [500_000, 1_500_000, 0, 0, 300_000]);

    // Batch: 1,000,000 × $0.20 + 200,000 × $0.80.
    let batch = model_row(&report, "gpt-4.1-mini");
    assert_eq!(femto(batch), usd("0.36"));
    assert_eq!(calls(batch), 40);

    // Empty input_cached_tokens: 40,000 × $1.25 + 5,000 × $10.
    let gpt5 = model_row(&report, "gpt-5");
    assert_eq!(femto(gpt5), usd("0.1"));
    assert_eq!(tokens(gpt5), [40_000, 0, 0, 0, 5_000]);

    // A fine-tuned model at its base's fine-tuned price (ft:gpt-4.1-mini:
    // $0.80 in, $3.20 out): 1,000 × $0.80 + 500 × $3.20 = [800 + 1,600].
    let fine_tuned = model_row(&report, "ft:gpt-4.1-mini");
    assert_eq!(femto(fine_tuned), usd("0.0024"));
    assert_eq!(calls(fine_tuned), 3);
    assert!(unpriced(&report).is_empty());
    // $1.2225 + $0.0024
    assert_eq!(femto(&report["total"]), usd("1.2249"));
    // 250 + 40 + 10 + 3 requests.
    assert_eq!(calls(&report["total"]), 303);
}

#[test]
fn litellm_spend_export_prices_every_request() {
    let report = replay_json(&[LITELLM]);
    read_as(
        &report,
        "litellm-csv",
        9,
        &[("bad_token_count", 1), ("truncated_input", 1)],
    );
    // The header and the cache hit.
    assert_eq!(report["lines_without_usage"].as_u64(), Some(2));

    // 952 × $2.50 + 2,048 × $1.25 + 600 × $10, then 1,000 × $2.50.
    let gpt4o = model_row(&report, "gpt-4o");
    assert_eq!(femto(gpt4o), usd("0.01344"));
    assert_eq!(calls(gpt4o), 2);
    assert_eq!(tokens(gpt4o), [1_952, 2_048, 0, 0, 600]);

    // 5,000 × $3 + 15,000 × $0.30 + 4,000 × $3.75 + 1,000 × $15.
    let sonnet = model_row(&report, "claude-sonnet-4-5");
    assert_eq!(femto(sonnet), usd("0.0495"));
    assert_eq!(tokens(sonnet), [5_000, 15_000, 4_000, 0, 1_000]);

    // 10,000 × $0.15 + 1,000 × $0.60 (billed $0.0025).
    let mini = model_row(&report, "gpt-4o-mini");
    assert_eq!(femto(mini), usd("0.0021"));

    assert_eq!(unpriced(&report), [("my-local-llama".to_string(), 1)]);
    assert_eq!(femto(&report["total"]), usd("0.06504"));
    assert_eq!(calls(&report["total"]), 5);
}

#[test]
fn problems_are_named_with_file_and_line() {
    for (file, lines) in [
        (ANTHROPIC, [6, 9]),
        (OPENROUTER, [7, 9]),
        (OPENAI, [6, 7]),
        (LITELLM, [8, 9]),
    ] {
        let run = costsim(&["replay", file], None);
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        for line in lines {
            let place = format!("{file}:{line}: ");
            assert!(
                run.stderr.contains(&place),
                "{place} not on stderr:\n{}",
                run.stderr
            );
        }
        let warnings = run
            .stderr
            .lines()
            .filter(|l| l.contains(&format!("{file}:")))
            .count();
        assert_eq!(warnings, 2, "{}", run.stderr);
        // The bad number is quoted, the truncated line says so.
        assert!(
            run.stderr.contains("is not a non-negative integer"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("truncated"), "{}", run.stderr);
        // --strict turns them into a failure.
        let strict = costsim(&["replay", file, "--strict"], None);
        assert_eq!(strict.code, 2, "{file} --strict: {}", strict.stderr);
    }
}

#[test]
fn formats_are_detected_and_can_be_forced() {
    for (file, format) in [
        (ANTHROPIC, "anthropic-usage-csv"),
        (OPENROUTER, "openrouter-csv"),
        (OPENAI, "openai-usage-csv"),
        (LITELLM, "litellm-csv"),
    ] {
        let detected = replay_json(&[file]);
        assert_eq!(
            detected["formats"][format].as_u64(),
            Some(1),
            "{file}: {}",
            detected["formats"]
        );
        let forced = replay_json(&[file, "--format", format]);
        assert_eq!(femto(&forced["total"]), femto(&detected["total"]), "{file}");
    }
}

/// Writes `text` to a file named `name` in a fresh temporary directory.
fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    (dir, path.display().to_string())
}

#[test]
fn header_variants_of_other_export_versions_are_read() {
    // Title-case names, another column order, a BOM, CRLF line ends.
    let (_dir, path) = temp_file(
        "usage.csv",
        "\u{feff}Usage Date (UTC),Workspace,Model,Output Tokens,Uncached Input Tokens,Cache Read Input Tokens,Cache Write 5m Input Tokens\r\n\
         2026-03-02,Default,claude-haiku-4-5-20251001,40000,500000,200000,0\r\n",
    );
    let report = replay_json(&[&path]);
    assert_eq!(report["formats"]["anthropic-usage-csv"].as_u64(), Some(1));
    assert_eq!(femto(&report["total"]), usd("0.72"));

    // OpenRouter's native counts and an ISO time with an offset.
    let (_dir2, path2) = temp_file(
        "activity.csv",
        "generation_id,created_at,model_permaslug,native_tokens_prompt,native_tokens_completion,native_tokens_cached,cost_total\n\
         gen-1,2026-03-05T10:00:00+01:00,openai/gpt-5-mini,50000,6000,20000,0.02\n",
    );
    let report = replay_json(&[&path2]);
    assert_eq!(report["formats"]["openrouter-csv"].as_u64(), Some(1));
    assert_eq!(femto(&report["total"]), usd("0.02"));
    assert_eq!(
        report["date_range"]["first"].as_str(),
        Some("2026-03-05T09:00:00.000Z")
    );
}

#[test]
fn a_missing_required_column_is_named_on_every_row() {
    // No usage_output_tokens column: still recognised, every row refused.
    let (_dir, path) = temp_file(
        "no-output.csv",
        "usage_date_utc,model_version,workspace,usage_input_tokens_no_cache,usage_input_tokens_cache_read\n\
         2026-03-02,claude-haiku-4-5,Default,500000,200000\n\
         2026-03-03,claude-haiku-4-5,Default,100,0\n",
    );
    let run = costsim(&["replay", &path, "--output", "json"], None);
    for line in [2, 3] {
        let want = format!("{path}:{line}: field \"usage_output_tokens\": no such column");
        assert!(
            run.stderr.contains(&want),
            "{want}\nnot in:\n{}",
            run.stderr
        );
    }
    // Nothing left to price: a usage error, not a silent empty report.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no calls to price"), "{}", run.stderr);

    // Next to a readable file, the two rows are counted as skipped.
    let run = costsim(&["replay", &path, OPENROUTER, "--output", "json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["skipped"]["by_reason"]["missing_field"].as_u64(),
        Some(2)
    );
    assert_eq!(femto(&report["total"]), usd("0.08325"));
}

/// OpenRouter lines 2–6 and 8 written by hand as canonical JSONL: input =
/// tokens_prompt − tokens_cached, cache_read = tokens_cached, output =
/// tokens_completion (reasoning included).
const OPENROUTER_TWIN: &str = r#"{"ts":"2026-03-05T09:00:00Z","model":"anthropic/claude-4.5-sonnet-20250929","usage":{"input":2000,"cache_read":10000,"output":800}}
{"ts":"2026-03-05T09:01:00Z","model":"openai/gpt-5-mini","usage":{"input":30000,"cache_read":20000,"output":6000,"reasoning":4000}}
{"ts":"2026-03-05T09:02:00Z","model":"openai/gpt-5-mini-2025-08-07","usage":{"input":8000,"output":1000}}
{"ts":"2026-03-05T09:03:00Z","model":"google/gemini-2.5-flash","usage":{"input":100000,"output":2000}}
{"ts":"2026-03-05T09:04:00Z","model":"mystery/unknown-model-7b","usage":{"input":1000,"output":100}}
{"ts":"2026-03-05T09:06:00Z","model":"anthropic/claude-4.5-haiku-20251001","usage":{"input":3000,"output":50}}
"#;

#[test]
fn openrouter_csv_and_its_canonical_twin_cost_the_same() {
    let run = costsim(
        &[
            "replay", "-", "--by", "model", "--by", "day", "--output", "json",
        ],
        Some(OPENROUTER_TWIN.as_bytes()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let twin: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(twin["formats"]["canonical"].as_u64(), Some(1));
    let csv = replay_json(&[OPENROUTER, "--by", "model", "--by", "day"]);

    let summary = |report: &Value| -> Vec<(String, u64, i128, [u64; 5])> {
        let mut rows: Vec<_> = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let cost = if r["cost_femto_usd"].is_string() {
                    femto(r)
                } else {
                    -1
                };
                (r["keys"].to_string(), calls(r), cost, tokens(r))
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(summary(&csv), summary(&twin));
    assert_eq!(summary(&csv).len(), 5);
    assert_eq!(femto(&csv["total"]), femto(&twin["total"]));
    assert_eq!(femto(&twin["total"]), usd("0.08325"));
    assert_eq!(unpriced(&csv), unpriced(&twin));
}
