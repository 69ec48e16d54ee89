//! `costsim pricing import` and `pricing check-against` on the checked-in
//! excerpts of LiteLLM's and genai-prices' lists (fixtures/pricing-lists/).

use crate::util::{costsim, femto, ok, usd};

const LITELLM: &str = "fixtures/pricing-lists/litellm-sample.json";
const GENAI: &str = "fixtures/pricing-lists/genai-prices-sample.json";

#[test]
fn check_against_reports_each_differing_price_and_exits_1() {
    let run = costsim(
        &["pricing", "check-against", LITELLM, "--output", "csv"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "Model,List entry,Price,Catalog,List\n\
         gemini-3.6-flash,gemini-3.6-flash,cache_read,$0.15,$0.075\n\
         gemini-3.6-flash,gemini-3.6-flash,input,$1.50,$0.75\n\
         gemini-3.6-flash,gemini-3.6-flash,output,$7.50,$3.75\n"
    );
    let table = costsim(&["pricing", "check-against", LITELLM], None);
    assert!(
        table.stdout.starts_with(
            "3 litellm entries compared with the catalog (newest prices): 1 differs in 3 prices; \
             skipped 1 entry of other providers and 2 models not in the catalog"
        ),
        "{}",
        table.stdout
    );
}

/// Tiers and the batch share are compared too: a list whose Sonnet 4.5
/// prices the over-200K input at $7 (the catalog: $6), prices gpt-4o-mini
/// above 128K (the catalog has no tier there) and sells Sonnet's batch at
/// 40% (the catalog: 50%).
#[test]
fn check_against_compares_tiers_and_batch_shares() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.json");
    std::fs::write(
        &list,
        r#"{"claude-sonnet-4-5": {"litellm_provider": "anthropic", "mode": "chat",
            "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
            "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
            "cache_creation_input_token_cost_above_1hr": 6e-06,
            "input_cost_per_token_above_200k_tokens": 7e-06,
            "output_cost_per_token_above_200k_tokens": 2.25e-05,
            "input_cost_per_token_batches": 1.2e-06, "output_cost_per_token_batches": 6e-06},
          "gpt-4o-mini": {"litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07,
            "cache_read_input_token_cost": 7.5e-08,
            "input_cost_per_token_above_128k_tokens": 3e-07,
            "output_cost_per_token_above_128k_tokens": 1.2e-06}}"#,
    )
    .unwrap();
    let run = costsim(
        &[
            "pricing",
            "check-against",
            list.to_str().unwrap(),
            "--date",
            "2025-12-01",
            "--output",
            "csv",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "Model,List entry,Price,Catalog,List\n\
         claude-sonnet-4-5,claude-sonnet-4-5,above 200000: input,$6.00,$7.00\n\
         claude-sonnet-4-5,claude-sonnet-4-5,batch_multiplier,0.5,0.4\n\
         gpt-4o-mini,gpt-4o-mini,tier above 128000,none,input $0.30\n"
    );
}

#[test]
fn check_against_a_date_compares_that_days_prices() {
    let run = ok(&[
        "pricing",
        "check-against",
        LITELLM,
        "--date",
        "2026-11-26",
        "--output",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["compared"], 3);
    assert_eq!(v["other_provider"], 1);
    assert_eq!(v["not_in_catalog"], 2);
    assert_eq!(v["differences"].as_array().unwrap().len(), 0);
}

#[test]
fn check_against_reads_genai_prices_periods() {
    for date in [None, Some("2026-03-01")] {
        let mut args = vec!["pricing", "check-against", GENAI, "--output", "json"];
        if let Some(d) = date {
            args.extend(["--date", d]);
        }
        let v: serde_json::Value = serde_json::from_str(&ok(&args).stdout).unwrap();
        assert_eq!(v["list"], "genai-prices");
        assert_eq!(v["compared"], 2, "{date:?}");
        assert_eq!(v["not_in_catalog"], 2);
        assert_eq!(v["differences"].as_array().unwrap().len(), 0, "{date:?}");
    }
}

#[test]
fn imported_models_price_calls_with_the_whole_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog");
    let out_s = out.to_str().unwrap();
    let run = ok(&[
        "pricing",
        "import",
        "litellm",
        LITELLM,
        "--out",
        out_s,
        "--retrieved",
        "2026-11-26",
        "--from",
        "2026-11-01",
    ]);
    assert!(
        run.stderr
            .contains("imported 2 models of 1 provider; left out: 4 already in the catalog"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(out.join("imported-litellm-cohere-chat.toml")).unwrap();
    assert!(text.contains("provider = \"cohere_chat\""));
    assert!(text.contains("id = \"command-r-08-2024\"\ncontext_window = 128000"));
    assert!(text.contains("from = \"2026-11-01\""));
    assert!(text.contains("retrieved = \"2026-11-26\""));
    assert!(text.contains("source = \"litellm price list"));
    // The built-in catalog came along, so both kinds of model are priced.
    assert!(out.join("anthropic.toml").exists());
    ok(&["pricing", "validate", out_s]);
    let json = crate::util::replay_json(&[
        "fixtures/pricing-lists/cohere-calls.jsonl",
        "--pricing",
        out_s,
    ]);
    assert_eq!(femto(&json["total"]), usd("0.219"));
    assert_eq!(json["unpriced_models"].as_array().map_or(0, Vec::len), 0);
    assert!(!json
        .to_string()
        .contains("before their model's first price period"));
}

#[test]
fn import_prints_one_provider_and_refuses_several_without_out() {
    let run = ok(&[
        "pricing",
        "import",
        "genai-prices",
        GENAI,
        "--provider",
        "anthropic",
        "--retrieved",
        "2026-11-26",
    ]);
    assert!(run
        .stdout
        .contains("id = \"claude-2\"\ncontext_window = 200000"));
    assert!(run.stdout.contains("input = 8\noutput = 24\n"));
    assert!(!run.stdout.contains("claude-haiku-4-5"));
    assert!(
        run.stderr
            .contains("left out: 2 already in the catalog, 1 no context window"),
        "{}",
        run.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    ok(&[
        "pricing",
        "import",
        "genai-prices",
        GENAI,
        "--out",
        out,
        "--from",
        "2026-11-01",
    ]);
    let json = crate::util::replay_json(&[
        "fixtures/pricing-lists/claude-2-calls.jsonl",
        "--pricing",
        out,
    ]);
    assert_eq!(femto(&json["total"]), usd("32"));

    // Everything in the sample is already known: nothing to import.
    let none = costsim(
        &[
            "pricing",
            "import",
            "litellm",
            LITELLM,
            "--provider",
            "openai",
        ],
        None,
    );
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("no model to import"),
        "{}",
        none.stderr
    );
}

#[test]
fn bad_lists_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"x\": [1,\n").unwrap();
    let run = costsim(&["pricing", "check-against", bad.to_str().unwrap()], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("bad.json:3: not JSON"),
        "{}",
        run.stderr
    );
    let run = costsim(&["pricing", "import", "genai-prices", LITELLM], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("a genai-prices list is a JSON array"),
        "{}",
        run.stderr
    );
}
