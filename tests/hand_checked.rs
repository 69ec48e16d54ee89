//! Hand-checked fixtures (fixtures/hand/): every expected number below was
//! worked out by hand from the catalog prices (USD per million tokens), with
//! the arithmetic written in a comment above it and in
//! fixtures/hand/README.md. The comparisons are exact, in femto-dollars
//! (1e-15 USD), so any pricing error, however small, fails the test.
//!
//! Notation: "n × $r" is n tokens at $r per million tokens, so the dollar
//! amount is n × r / 1e6. Sums in brackets are in micro-dollars (1e-6 USD)
//! before the final conversion.

use serde_json::Value;

use crate::util::{calls, femto, replay_json, tokens, usd};

/// The report row whose `keys` are exactly `keys`; fails listing the rows if
/// there is none.
fn row<'a>(report: &'a Value, keys: &[(&str, &str)]) -> &'a Value {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter()
        .find(|r| {
            let k = r["keys"].as_object().expect("keys");
            k.len() == keys.len()
                && keys
                    .iter()
                    .all(|(name, value)| k.get(*name).and_then(Value::as_str) == Some(*value))
        })
        .unwrap_or_else(|| {
            let all: Vec<&Value> = rows.iter().map(|r| &r["keys"]).collect();
            panic!("no row with keys {keys:?}; rows have {all:?}")
        })
}

/// Every line of the fixture was read and priced.
fn all_priced(report: &Value, lines: u64) {
    assert_eq!(report["lines"].as_u64(), Some(lines), "lines read");
    assert_eq!(
        report["skipped"]["total"].as_u64(),
        Some(0),
        "skipped lines"
    );
    assert_eq!(
        report["total"]["unpriced_calls"].as_u64(),
        Some(0),
        "unpriced calls"
    );
    assert_eq!(calls(&report["total"]), lines, "calls");
}

/// Case a: the seed table's "cost per 1K requests" workload, 500 in / 300
/// out, 1,000 requests a day for the 30 days of April 2026 on each model.
#[test]
fn volume_nano_opus_matches_the_seed_table() {
    const FILE: &str = "fixtures/hand/volume-nano-opus.jsonl";
    let report = replay_json(&[FILE]);
    all_priced(&report, 60_000);
    assert_eq!(report["rows"].as_array().unwrap().len(), 2);

    let nano = row(&report, &[("model", "gpt-5-nano")]);
    assert_eq!(calls(nano), 30_000);
    // 30,000 × 500 = 15,000,000 input; 30,000 × 300 = 9,000,000 output.
    assert_eq!(tokens(nano), [15_000_000, 0, 0, 0, 9_000_000]);
    // gpt-5-nano ($0.05 in, $0.40 out, period from 2025-08-07):
    // 30,000 × (500 × $0.05 + 300 × $0.40) / 1e6 = 30,000 × $0.000145 = $4.35
    assert_eq!(femto(nano), usd("4.35"));

    let opus = row(&report, &[("model", "claude-opus-4-6")]);
    assert_eq!(calls(opus), 30_000);
    assert_eq!(tokens(opus), [15_000_000, 0, 0, 0, 9_000_000]);
    // claude-opus-4-6 ($5 in, $25 out, period from 2026-03-13):
    // 30,000 × (500 × $5 + 300 × $25) / 1e6 = 30,000 × $0.01 = $300.00
    assert_eq!(femto(opus), usd("300.00"));

    // $4.35 + $300.00 = $304.35
    assert_eq!(femto(&report["total"]), usd("304.35"));
    assert_eq!(tokens(&report["total"]), [30_000_000, 0, 0, 0, 18_000_000]);

    // By day: every day of April has 1,000 calls per model:
    // 1,000 × $0.000145 + 1,000 × $0.01 = $0.145 + $10.00 = $10.145 a day.
    let by_day = replay_json(&[FILE, "--by", "day"]);
    assert_eq!(by_day["rows"].as_array().unwrap().len(), 30);
    for day in 1..=30 {
        let date = format!("2026-04-{day:02}");
        let r = row(&by_day, &[("day", &date)]);
        assert_eq!(calls(r), 2_000, "{date}");
        assert_eq!(femto(r), usd("10.145"), "{date}");
    }
    // 30 × $10.145 = $304.35
    assert_eq!(femto(&by_day["total"]), usd("304.35"));
}

/// Case b: a six-step agent run on claude-sonnet-4-5 with prompt caching.
/// Rates ($/M): input 3.00, output 15.00, cache read 0.30 (0.1×),
/// 5m write 3.75 (1.25×), 1h write 6.00 (2×). One price period (2025-09-29 on),
/// every prompt far below the 200,000-token tier.
#[test]
fn claude_agent_cache_prices_writes_and_reads() {
    const FILE: &str = "fixtures/hand/claude-agent-cache.jsonl";
    let report = replay_json(&[FILE]);
    all_priced(&report, 6);

    let sonnet = row(&report, &[("model", "claude-sonnet-4-5")]);
    assert_eq!(calls(sonnet), 6);
    // input 25+30+20+40+15+60 = 190; cache_read 0+5,200+7,000+9,500+12,500+13,600 = 47,800;
    // 5m writes 5,200+1,800+2,500+0+1,100+0 = 10,600; 1h writes 3,000;
    // output 600+450+700+350+900+1,200 = 4,200 (reasoning 250+300 = 550 is inside output).
    assert_eq!(tokens(sonnet), [190, 47_800, 10_600, 3_000, 4_200]);
    assert_eq!(sonnet["tokens"]["reasoning"].as_u64(), Some(550));
    // 190 × $3 + 47,800 × $0.30 + 10,600 × $3.75 + 3,000 × $6 + 4,200 × $15
    // = [570 + 14,340 + 39,750 + 18,000 + 63,000] = $0.13566
    assert_eq!(femto(sonnet), usd("0.13566"));
    assert_eq!(femto(&report["total"]), usd("0.13566"));

    // Each step on its own (tags.step), the same rates:
    let by_step = replay_json(&[FILE, "--by", "tag:step"]);
    let expected = [
        // step 1: 25 × $3 + 5,200 × $3.75 + 600 × $15 = [75 + 19,500 + 9,000] = $0.028575
        ("1", "0.028575"),
        // step 2: 30 × $3 + 5,200 × $0.30 + 1,800 × $3.75 + 450 × $15
        //       = [90 + 1,560 + 6,750 + 6,750] = $0.01515
        ("2", "0.01515"),
        // step 3: 20 × $3 + 7,000 × $0.30 + 2,500 × $3.75 + 700 × $15 (250 of it reasoning)
        //       = [60 + 2,100 + 9,375 + 10,500] = $0.022035
        ("3", "0.022035"),
        // step 4: 40 × $3 + 9,500 × $0.30 + 3,000 × $6 (1h write) + 350 × $15
        //       = [120 + 2,850 + 18,000 + 5,250] = $0.02622
        ("4", "0.02622"),
        // step 5: 15 × $3 + 12,500 × $0.30 + 1,100 × $3.75 + 900 × $15 (300 of it reasoning)
        //       = [45 + 3,750 + 4,125 + 13,500] = $0.02142
        ("5", "0.02142"),
        // step 6: 60 × $3 + 13,600 × $0.30 + 1,200 × $15 = [180 + 4,080 + 18,000] = $0.02226
        ("6", "0.02226"),
    ];
    assert_eq!(by_step["rows"].as_array().unwrap().len(), 6);
    for (step, cost) in expected {
        let r = row(&by_step, &[("tag:step", step)]);
        assert_eq!(calls(r), 1, "step {step}");
        assert_eq!(femto(r), usd(cost), "step {step}");
    }
    // 0.028575 + 0.01515 + 0.022035 + 0.02622 + 0.02142 + 0.02226 = $0.13566
    assert_eq!(femto(&by_step["total"]), usd("0.13566"));
    // For comparison (README): without caching the 61,590 prompt tokens would
    // cost 61,590 × $3 + 4,200 × $15 = [184,770 + 63,000] = $0.24777.
}

/// Case c: the long-context tier of claude-sonnet-4-5 (over 200,000 prompt
/// tokens: $6 / $22.50 / read $0.60 / 5m write $7.50 for the whole request)
/// and of gemini-2.5-pro (over 200,000: $2.50 / $15 / read $0.25).
#[test]
fn long_context_tier_applies_strictly_above_the_threshold() {
    const FILE: &str = "fixtures/hand/long-context.jsonl";
    let report = replay_json(&[FILE, "--by", "tag:case"]);
    all_priced(&report, 3);

    let at = row(&report, &[("tag:case", "sonnet-at-200000")]);
    // prompt = 2,000 + 190,000 + 8,000 = 200,000, not above 200,000: base rates
    assert_eq!(tokens(at), [2_000, 190_000, 8_000, 0, 1_000]);
    // 2,000 × $3 + 190,000 × $0.30 + 8,000 × $3.75 + 1,000 × $15
    // = [6,000 + 57,000 + 30,000 + 15,000] = $0.108
    assert_eq!(femto(at), usd("0.108"));

    let over = row(&report, &[("tag:case", "sonnet-at-200001")]);
    // prompt = 2,001 + 190,000 + 8,000 = 200,001 > 200,000: whole request at tier rates
    // (the uncached input alone, 2,001, is far below the threshold)
    assert_eq!(tokens(over), [2_001, 190_000, 8_000, 0, 1_000]);
    // 2,001 × $6 + 190,000 × $0.60 + 8,000 × $7.50 + 1,000 × $22.50
    // = [12,006 + 114,000 + 60,000 + 22,500] = $0.208506
    assert_eq!(femto(over), usd("0.208506"));

    let gemini = row(&report, &[("tag:case", "gemini-at-220000")]);
    // prompt = 180,000 + 40,000 = 220,000 > 200,000: tier rates
    assert_eq!(tokens(gemini), [180_000, 40_000, 0, 0, 2_000]);
    // 180,000 × $2.50 + 40,000 × $0.25 + 2,000 × $15 = [450,000 + 10,000 + 30,000] = $0.49
    assert_eq!(femto(gemini), usd("0.49"));

    // $0.108 + $0.208506 + $0.49 = $0.806506
    assert_eq!(femto(&report["total"]), usd("0.806506"));
    assert_eq!(
        tokens(&report["total"]),
        [184_001, 420_000, 16_000, 0, 4_000]
    );

    let by_model = replay_json(&[FILE]);
    let sonnet = row(&by_model, &[("model", "claude-sonnet-4-5")]);
    // $0.108 + $0.208506 = $0.316506
    assert_eq!(femto(sonnet), usd("0.316506"));
    assert_eq!(tokens(sonnet), [4_001, 380_000, 16_000, 0, 2_000]);
    assert_eq!(
        femto(row(&by_model, &[("model", "gemini-2.5-pro")])),
        usd("0.49")
    );
    assert_eq!(femto(&by_model["total"]), usd("0.806506"));
}

/// Case d: eight deepseek-chat calls, each with 10,000 input (cache miss),
/// 50,000 cache read and 2,000 output tokens, across all six price periods.
/// Per-call cost = 10,000 × input + 50,000 × cache_read + 2,000 × output:
///   P1 2024-12-26..2025-02-08 16:00 UTC ($0.14 / read $0.014 / out $0.28): [1,400 + 700 + 560] = $0.00266
///   P2 ..2025-09-05 16:00 UTC ($0.27 / $0.07 / $1.10): [2,700 + 3,500 + 2,200] = $0.0084
///   P3 ..2025-09-29 ($0.56 / $0.07 / $1.68): [5,600 + 3,500 + 3,360] = $0.01246
///   P4 2025-09-29..2026-04-24 ($0.28 / $0.028 / $0.42): [2,800 + 1,400 + 840] = $0.00504
///   P5 2026-04-24..2026-04-26 ($0.14 / $0.028 / $0.28): [1,400 + 1,400 + 560] = $0.00336
///   P6 2026-04-26.. ($0.14 / $0.0028 / $0.28): [1,400 + 140 + 560] = $0.0021
#[test]
fn price_change_prices_each_call_in_its_own_period() {
    const FILE: &str = "fixtures/hand/price-change.jsonl";
    let report = replay_json(&[FILE]);
    all_priced(&report, 8);
    let chat = row(&report, &[("model", "deepseek-chat")]);
    assert_eq!(calls(chat), 8);
    // 8 × 10,000 = 80,000 input; 8 × 50,000 = 400,000 read; 8 × 2,000 = 16,000 output
    assert_eq!(tokens(chat), [80_000, 400_000, 0, 0, 16_000]);
    // 2 × P1 + 2 × P2 + P3 + P4 + P5 + P6
    // with the 2025-09-04T23:59:59Z call in the off-peak hours (UTC 16:30-00:30,
    // 2025-02-26..2025-09-05) at half P2: [4,200]
    // = [5,320 + 8,400 + 4,200 + 12,460 + 5,040 + 3,360 + 2,100] = $0.04088
    assert_eq!(femto(chat), usd("0.04088"));
    assert_eq!(femto(&report["total"]), usd("0.04088"));

    // By UTC day (the tests run with TZ=Pacific/Chatham, UTC+13:45, so a local
    // date would move the 12:00Z and 23:00Z calls to the next day).
    let by_day = replay_json(&[FILE, "--by", "day"]);
    let expected = [
        // 2025-02-08T12:00:00Z and 2025-02-08T17:00:00+02:00 (= 15:00Z, before the
        // promotion ended at 16:00 UTC): both P1, 2 × $0.00266 = $0.00532
        ("2025-02-08", 2, "0.00532"),
        // 2025-02-09T00:00:00Z: P2 (off-peak pricing began 2025-02-26): $0.0084
        ("2025-02-09", 1, "0.0084"),
        // 2025-09-04T23:59:59Z: P2, in the off-peak hours: half of $0.0084
        ("2025-09-04", 1, "0.0042"),
        // 2025-09-05T16:00:00Z: first instant of P3 (`from` is inclusive): $0.01246
        ("2025-09-05", 1, "0.01246"),
        // 2025-10-01: P4, $0.00504
        ("2025-10-01", 1, "0.00504"),
        // 2026-04-25: P5, $0.00336
        ("2026-04-25", 1, "0.00336"),
        // 2026-04-27: P6, $0.0021
        ("2026-04-27", 1, "0.0021"),
    ];
    assert_eq!(by_day["rows"].as_array().unwrap().len(), expected.len());
    for (day, n, cost) in expected {
        let r = row(&by_day, &[("day", day)]);
        assert_eq!(calls(r), n, "{day}");
        assert_eq!(femto(r), usd(cost), "{day}");
    }
    assert_eq!(femto(&by_day["total"]), usd("0.04088"));

    // By period tag, the same split:
    let by_period = replay_json(&[FILE, "--by", "tag:period"]);
    for (period, n, cost) in [
        ("p1-promo", 2, "0.00532"),
        ("p2-v3", 2, "0.0126"), // $0.0084 at 00:00 (before off-peak pricing began) + $0.0042
        ("p3-v3.1", 1, "0.01246"),
        ("p4-v3.2", 1, "0.00504"),
        ("p5-v4-flash", 1, "0.00336"),
        ("p6-cache-cut", 1, "0.0021"),
    ] {
        let r = row(&by_period, &[("tag:period", period)]);
        assert_eq!(calls(r), n, "{period}");
        assert_eq!(femto(r), usd(cost), "{period}");
    }

    // --pricing-date latest: every call at P6, 8 × $0.0021 = $0.0168
    let latest = replay_json(&[FILE, "--pricing-date", "latest"]);
    assert_eq!(
        femto(row(&latest, &[("model", "deepseek-chat")])),
        usd("0.0168")
    );
    assert_eq!(femto(&latest["total"]), usd("0.0168"));
    let latest_by_day = replay_json(&[FILE, "--pricing-date", "latest", "--by", "day"]);
    // the two 2025-02-08 calls: 2 × $0.0021 = $0.0042; every other day one call, $0.0021
    assert_eq!(
        femto(row(&latest_by_day, &[("day", "2025-02-08")])),
        usd("0.0042")
    );
    assert_eq!(
        femto(row(&latest_by_day, &[("day", "2025-09-05")])),
        usd("0.0021")
    );

    // --pricing-date 2025-09-06 (a day of P3): 8 × $0.01246 = $0.09968
    let fixed = replay_json(&[FILE, "--pricing-date", "2025-09-06"]);
    assert_eq!(femto(&fixed["total"]), usd("0.09968"));
    // --pricing-date 2025-09-04 (P2, inside the off-peak era): the prices of
    // that day at each call's own clock time. The calls at 00:00 and 23:59:59
    // UTC fall in the off-peak hours (16:30-00:30): 2 × $0.0042 + 6 × $0.0084
    // = $0.0588. A fixed date prices as at 00:00 UTC, so 2025-09-05 (P3 from
    // 16:00 UTC) prices the same.
    for day in ["2025-09-04", "2025-09-05"] {
        let fixed = replay_json(&[FILE, "--pricing-date", day]);
        assert_eq!(femto(&fixed["total"]), usd("0.0588"), "{day}");
    }
}

/// Case e: `batch: true` multiplies every rate of the period (cache reads,
/// cache writes and long-context tier rates included) by batch_multiplier 0.5.
#[test]
fn batch_calls_cost_half() {
    const FILE: &str = "fixtures/hand/batch.jsonl";
    let report = replay_json(&[FILE, "--by", "tag:case"]);
    all_priced(&report, 5);
    let expected = [
        // claude-sonnet-4-5 batch: (10,000 × $3 + 2,000 × $15) × 0.5 = [30,000 + 30,000] × 0.5 = $0.03
        ("sonnet-batch", "0.03"),
        // claude-sonnet-4-5 batch with caching, multipliers stack:
        // (1,000 × $3 + 20,000 × $0.30 + 5,000 × $3.75 + 1,000 × $15) × 0.5
        // = [3,000 + 6,000 + 18,750 + 15,000] × 0.5 = [42,750] × 0.5 = $0.021375
        ("sonnet-batch-cache", "0.021375"),
        // the same tokens as sonnet-batch without batch: [30,000 + 30,000] = $0.06
        ("sonnet-standard", "0.06"),
        // gpt-5-nano batch: (100,000 × $0.05 + 50,000 × $0.40) × 0.5 = [5,000 + 20,000] × 0.5 = $0.0125
        ("nano-batch", "0.0125"),
        // gemini-2.5-pro batch, prompt 300,000 > 200,000 so tier rates, then halved:
        // (300,000 × $2.50 + 4,000 × $15) × 0.5 = [750,000 + 60,000] × 0.5 = $0.405
        ("gemini-batch-long", "0.405"),
    ];
    for (case, cost) in expected {
        let r = row(&report, &[("tag:case", case)]);
        assert_eq!(calls(r), 1, "{case}");
        assert_eq!(femto(r), usd(cost), "{case}");
    }
    // 0.03 + 0.021375 + 0.06 + 0.0125 + 0.405 = $0.528875
    assert_eq!(femto(&report["total"]), usd("0.528875"));
    // input 10,000 + 1,000 + 10,000 + 100,000 + 300,000 = 421,000; read 20,000;
    // 5m writes 5,000; output 2,000 + 1,000 + 2,000 + 50,000 + 4,000 = 59,000
    assert_eq!(
        tokens(&report["total"]),
        [421_000, 20_000, 5_000, 0, 59_000]
    );

    let by_model = replay_json(&[FILE]);
    // claude-sonnet-4-5: $0.03 + $0.021375 + $0.06 = $0.111375
    let sonnet = row(&by_model, &[("model", "claude-sonnet-4-5")]);
    assert_eq!(calls(sonnet), 3);
    assert_eq!(femto(sonnet), usd("0.111375"));
    assert_eq!(tokens(sonnet), [21_000, 20_000, 5_000, 0, 5_000]);
    assert_eq!(
        femto(row(&by_model, &[("model", "gpt-5-nano")])),
        usd("0.0125")
    );
    assert_eq!(
        femto(row(&by_model, &[("model", "gemini-2.5-pro")])),
        usd("0.405")
    );
    assert_eq!(femto(&by_model["total"]), usd("0.528875"));
}
