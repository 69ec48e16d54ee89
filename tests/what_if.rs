//! Hand-checked what-if scenarios (fixtures/what-if/): model sweeps, caching,
//! routing, batching, caps and cascades, each priced by hand from the catalog
//! prices (`costsim pricing show MODEL`) and the rules in
//! src/scenario/transform.rs, src/replay/evaluate.rs and src/cache/mod.rs.
//! The arithmetic is written above every expected value and, at more length,
//! in fixtures/what-if/README.md. Comparisons are exact, in femto-dollars.
//!
//! Notation: "n × $r" is n tokens at $r per million tokens (n × r / 1e6
//! dollars). Amounts in square brackets are micro-dollars (1e-6 USD).
//!
//! The only things read from the program rather than worked out by hand are
//! the targets a seeded hash picks (cases c and d): input, not costs.

use serde_json::Value;

use crate::util::{calls, costsim, delta, femto, model, ok, scenario, tokens, usd};

/// Runs costsim with `args` plus `--output json` and parses the report.
fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--quiet", "--output", "json"]);
    let run = ok(&all);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{}", run.stdout))
}

/// `json(args)` at `--threads 1`, checked to equal the run at `--threads 2`.
fn json_at_threads_1_and_2(args: &[&str]) -> Value {
    let at = |threads: &str| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--threads", threads]);
        json(&all)
    };
    let report = at("1");
    assert_eq!(at("2"), report, "--threads 2 differs from --threads 1");
    report
}

/// The names of the scenarios, in report order.
fn names(report: &Value) -> Vec<String> {
    report["scenarios"]
        .as_array()
        .expect("scenarios array")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

/// Calls per model of a scenario.
fn model_calls(scenario: &Value) -> Vec<(String, u64)> {
    scenario["by_model"]
        .as_array()
        .expect("by_model array")
        .iter()
        .map(|m| (m["model"].as_str().unwrap().to_string(), calls(m)))
        .collect()
}

fn effect(scenario: &Value, key: &str) -> u64 {
    scenario["effects"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("no effects.{key} in {}", scenario["effects"]))
}

fn float(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: {actual} != {expected}"
    );
}

/// Micro-dollars to femto-dollars, for the bracketed sums.
fn micro(amount: i128) -> i128 {
    amount * 1_000_000_000
}

const PER_1K: &str = "fixtures/workloads/per-1k.toml";

/// The seed table's models, cheapest first (shared/seeds/003_7f4834caa2d68ef7.txt,
/// lines 335-357), with the id the catalog resolves each one to.
const SWEEP: [(&str, &str); 8] = [
    ("gpt-5-nano", "gpt-5-nano"),
    ("grok-4-1-fast", "grok-4-1-fast-reasoning"),
    ("deepseek-chat", "deepseek-chat"),
    ("gpt-5-mini", "gpt-5-mini"),
    ("gemini-3.1-pro-preview", "gemini-3.1-pro-preview"),
    ("gpt-5.4", "gpt-5.4"),
    ("claude-sonnet-4-6", "claude-sonnet-4-6"),
    ("claude-opus-4-6", "claude-opus-4-6"),
];

/// The catalog ids in the rows of the table's "Model sweep" section, with
/// their ranks.
fn ranked_models(table: &str) -> Vec<(u32, String)> {
    let section = table
        .split_once("Model sweep")
        .unwrap_or_else(|| panic!("no sweep table in:\n{table}"))
        .1;
    section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim_matches(|c| c == '│' || c == ' ')
                .split('┆')
                .map(str::trim)
                .collect();
            let rank = cells.first()?.parse::<u32>().ok()?;
            Some((rank, cells.get(1)?.to_string()))
        })
        .collect()
}

/// Case a: the seeds' "cost per 1K requests" table as a model sweep. 30,000
/// requests of 500 input and 300 output tokens (15,000,000 in, 9,000,000
/// out), recorded on claude-sonnet-4-6, every call priced as of 2026-04-01.
#[test]
fn seed_cost_per_1k_table_as_a_sweep() {
    let list: Vec<&str> = SWEEP.iter().map(|(m, _)| *m).collect();
    let list = list.join(",");
    let args = [
        "estimate",
        PER_1K,
        "--sweep",
        list.as_str(),
        "--pricing-date",
        "2026-04-01",
    ];
    let report = json(&args);
    assert_eq!(report["calls"].as_u64(), Some(30_000));
    assert_eq!(report["observed_days"].as_u64(), Some(30));

    // Per request, × 30,000 requests:
    //   gpt-5-nano        500 × $0.05 + 300 × $0.40 = [25 + 120]      = [145]    → $4.35
    //   grok-4-1-fast     500 × $0.20 + 300 × $0.50 = [100 + 150]     = [250]    → $7.50
    //   deepseek-chat     500 × $0.28 + 300 × $0.42 = [140 + 126]     = [266]    → $7.98
    //   gpt-5-mini        500 × $0.25 + 300 × $2    = [125 + 600]     = [725]    → $21.75
    //   gemini-3.1-pro    500 × $2    + 300 × $12   = [1,000 + 3,600] = [4,600]  → $138.00
    //   gpt-5.4           500 × $2.50 + 300 × $15   = [1,250 + 4,500] = [5,750]  → $172.50
    //   claude-sonnet-4-6 500 × $3    + 300 × $15   = [1,500 + 4,500] = [6,000]  → $180.00
    //   claude-opus-4-6   500 × $5    + 300 × $25   = [2,500 + 7,500] = [10,000] → $300.00
    // All eight equal the seed's table.
    let expected = [
        "4.35", "7.50", "7.98", "21.75", "138.00", "172.50", "180.00", "300.00",
    ];

    // The baseline is the workload's own model: 30,000 × [6,000] = $180.
    let recorded = scenario(&report, "as-recorded");
    assert_eq!(femto(recorded), usd("180.00"));
    assert_eq!(tokens(recorded), [15_000_000, 0, 0, 0, 9_000_000]);

    let mut want_names = vec!["as-recorded".to_string()];
    for ((_, id), cost) in SWEEP.iter().zip(expected) {
        // Scenarios are named after the catalog id the model resolves to.
        let name = format!("sweep:{id}");
        want_names.push(name.clone());
        let s = scenario(&report, &name);
        assert_eq!(s["role"], "sweep", "{name} role");
        assert_eq!(s["sweep_model"], *id, "{name} model");
        assert_eq!(femto(s), usd(cost), "{name} cost");
        // 30 observed days: the monthly projection is the cost itself.
        close(float(s, "per_month_usd"), cost.parse().unwrap(), &name);
        assert_eq!(delta(s), usd(cost) - usd("180.00"), "{name} delta");
        assert_eq!(tokens(s), [15_000_000, 0, 0, 0, 9_000_000], "{name}");
        assert_eq!(calls(model(s, id)), 30_000, "{name} calls");
        assert_eq!(femto(model(s, id)), usd(cost), "{name} by model");
    }
    assert_eq!(names(&report), want_names, "scenario order");

    // "gpt-5-nano saves $295.65/mo vs claude-opus-4-6": $300.00 − $4.35.
    let nano = femto(scenario(&report, "sweep:gpt-5-nano"));
    let opus = femto(scenario(&report, "sweep:claude-opus-4-6"));
    assert_eq!(opus - nano, usd("295.65"));

    // The table ranks the models cheapest first, whatever order they are
    // given in: the seed's order, and the same list reversed.
    let ranked: Vec<(u32, String)> = SWEEP
        .iter()
        .enumerate()
        .map(|(i, (_, id))| (i as u32 + 1, id.to_string()))
        .collect();
    let table = ok(&args).stdout;
    assert_eq!(ranked_models(&table), ranked, "seed order:\n{table}");
    let reversed: Vec<&str> = SWEEP.iter().rev().map(|(m, _)| *m).collect();
    let reversed = reversed.join(",");
    let table = ok(&[
        "estimate",
        PER_1K,
        "--sweep",
        reversed.as_str(),
        "--pricing-date",
        "2026-04-01",
    ])
    .stdout;
    assert_eq!(ranked_models(&table), ranked, "reversed order:\n{table}");

    // Without --pricing-date each call is priced on its own date, and
    // deepseek-chat drops to $0.14 / $0.28 from 2026-04-24:
    //   1-23 April:  23,000 × [266]                        = [6,118,000]
    //   24-30 April:  7,000 × (500 × $0.14 + 300 × $0.28)
    //               = 7,000 × [70 + 84] = 7,000 × [154]     = [1,078,000]
    //   total [7,196,000] = $7.196 (not the seed's $7.98)
    let dated = json(&["estimate", PER_1K, "--sweep", "deepseek-chat"]);
    assert_eq!(femto(scenario(&dated, "sweep:deepseek-chat")), usd("7.196"));
}

/// Case b: the seeds' caching example (shared/seeds/003_7f4834caa2d68ef7.txt,
/// lines 150-160): 10,000 requests a day (one every 8.64 s), a 2,000-token
/// system prompt segment shared by every request, 200 user tokens, 500
/// output, 30 days = 300,000 calls; 660,000,000 prompt and 150,000,000 output
/// tokens.
#[test]
fn seed_caching_example_with_the_write_premium() {
    let report = json(&[
        "estimate",
        "fixtures/workloads/support-bot.toml",
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-5m",
        "--scenario",
        "cache-5m-shared",
    ]);
    assert_eq!(report["calls"].as_u64(), Some(300_000));
    assert_eq!(report["observed_days"].as_u64(), Some(30));
    assert_eq!(
        names(&report),
        ["as-recorded", "cache-off", "cache-5m", "cache-5m-shared"]
    );

    // cache-off (= as-recorded): 660,000,000 × $3 + 150,000,000 × $15
    // = $1,980 + $2,250 = $4,230 ($66 + $75 = $141 a day).
    for name in ["as-recorded", "cache-off"] {
        let s = scenario(&report, name);
        assert_eq!(femto(s), usd("4230"), "{name}");
        assert_eq!(tokens(s), [660_000_000, 0, 0, 0, 150_000_000], "{name}");
        close(float(s, "per_month_usd"), 4230.0, name);
    }

    // claude-sonnet-4-6 caches prefixes of at least 2,048 tokens.
    // cache-5m: the only prefix stored is a whole prompt (2,200 ≥ 2,048),
    // which ends in the request's own user segment: never read again. Every
    // prompt is written: 660,000,000 × $3.75 = $2,475; + $2,250 = $4,725.
    // cache-5m-shared: the 2,000-token system prompt is below 2,048, so no
    // breakpoint is placed after it; only the end one: the same $4,725.
    for name in ["cache-5m", "cache-5m-shared"] {
        let s = scenario(&report, name);
        assert_eq!(tokens(s), [0, 0, 660_000_000, 0, 150_000_000], "{name}");
        assert_eq!(femto(s), usd("4725"), "{name}");
        // $4,725 − $4,230 = +$495: caching costs more than no caching.
        assert_eq!(delta(s), usd("495"), "{name}");
        // premium 660,000,000 × ($3.75 − $3) = $495; nothing read.
        close(float(s, "write_premium_usd"), 495.0, name);
        close(float(s, "cache_hit_rate"), 0.0, name);
        close(float(s, "per_month_usd"), 4725.0, name);
    }

    // b'. The same traffic on claude-sonnet-4-5 (same prices, 1,024-token
    // minimum): the system prompt is cacheable and, a request every 8.64 s,
    // always live after the first call.
    let report = json(&[
        "estimate",
        "fixtures/what-if/support-bot-sonnet-4-5.toml",
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-5m",
        "--scenario",
        "cache-5m-shared",
        "--scenario",
        "fixtures/what-if/cache-5m-system-only.toml",
    ]);
    assert_eq!(report["calls"].as_u64(), Some(300_000));
    assert_eq!(femto(scenario(&report, "cache-off")), usd("4230"));
    // End breakpoint only: unique prompts, never read; all written.
    let five = scenario(&report, "cache-5m");
    assert_eq!(tokens(five), [0, 0, 660_000_000, 0, 150_000_000]);
    assert_eq!(femto(five), usd("4725"));

    // cache-5m-shared: call 1 writes 2,000 + 200 = 2,200 × $3.75 = [8,250];
    // the other 299,999 read 2,000 and write their 200 user tokens:
    // 2,000 × $0.30 + 200 × $3.75 = [600 + 750] = [1,350].
    // [8,250] + 299,999 × [1,350] = [8,250 + 404,998,650] = [405,006,900]
    // + output $2,250 = $2,655.0069
    let shared = scenario(&report, "cache-5m-shared");
    assert_eq!(
        tokens(shared),
        [0, 599_998_000, 60_002_000, 0, 150_000_000],
        "read 299,999 × 2,000; written 2,200 + 299,999 × 200"
    );
    assert_eq!(femto(shared), micro(8_250 + 299_999 * 1_350) + usd("2250"));
    assert_eq!(femto(shared), usd("2655.0069"));
    // premium 60,002,000 × $0.75 = [45,001,500]; hit rate 599,998,000 /
    // 660,000,000 = 0.90908… → 0.9091
    close(float(shared, "write_premium_usd"), 45.0015, "premium");
    close(float(shared, "cache_hit_rate"), 0.9091, "hit rate");
    close(float(shared, "per_month_usd"), 2655.0069, "per month");

    // A breakpoint after the system prompt only: call 1 writes 2,000 and pays
    // 200 as input, 2,000 × $3.75 + 200 × $3 = [7,500 + 600] = [8,100]; the
    // others read 2,000 and pay 200 as input: [600 + 600] = [1,200].
    // [8,100] + 299,999 × [1,200] = [360,006,900] + $2,250 = $2,610.0069
    let system = scenario(&report, "cache-5m-system-only");
    assert_eq!(
        tokens(system),
        [60_000_000, 599_998_000, 2_000, 0, 150_000_000]
    );
    assert_eq!(femto(system), micro(8_100 + 299_999 * 1_200) + usd("2250"));
    assert_eq!(femto(system), usd("2610.0069"));

    // The seed's "$11.70/day" (2M × $3 + 19M × $0.30) is $351 a month of
    // input. The honest input cost is $360.0069 (system breakpoint only) or
    // $405.0069 (cache-5m-shared) on Sonnet 4.5, and $2,475 on Sonnet 4.6.
    let output = usd("2250");
    assert_eq!(femto(system) - output - usd("351"), usd("9.0069"));
    assert_eq!(femto(shared) - output - usd("351"), usd("54.0069"));
    // "Savings: … $1,629/month": really $1,980 − $360.0069 = $1,619.9931.
    assert_eq!(usd("4230") - femto(system), usd("1619.9931"));
}

/// Case c: 10,000 sessions × 2 calls on claude-sonnet-4-5 (1,000 in, 200
/// out), routed 70/25/5 to haiku-4-5 / sonnet-4-5 / opus-4-6, sticky per
/// session. Step 1 and step 2 of each session are in different files.
#[test]
fn routing_70_25_5_over_10k_sessions() {
    let base = [
        "replay",
        "fixtures/what-if/route-10k-step1.jsonl",
        "fixtures/what-if/route-10k-step2.jsonl",
        "--scenario",
        "fixtures/what-if/route-70-25-5.toml",
        "--quiet",
        "--output",
        "json",
    ];
    let run = |threads: &str| {
        let mut args = base.to_vec();
        args.extend_from_slice(&["--threads", threads]);
        ok(&args).stdout
    };
    let first = run("1");
    assert_eq!(run("1"), first, "two runs on 1 thread differ");
    assert_eq!(run("2"), first, "--threads 2 differs from --threads 1");
    assert_eq!(run("2"), first, "second run on 2 threads differs");
    let report: Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(report["lines"].as_u64(), Some(20_000));
    assert_eq!(report["skipped"]["total"].as_u64(), Some(0));

    // as-recorded: 20,000 × (1,000 × $3 + 200 × $15) = 20,000 × [6,000] = $120
    let recorded = scenario(&report, "as-recorded");
    assert_eq!(femto(recorded), usd("120"));
    assert_eq!(tokens(recorded), [20_000_000, 0, 0, 0, 4_000_000]);

    let routed = scenario(&report, "route-70-25-5");
    let n = |m: &str| calls(model(routed, m));
    let (haiku, sonnet, opus) = (
        n("claude-haiku-4-5"),
        n("claude-sonnet-4-5"),
        n("claude-opus-4-6"),
    );
    assert_eq!(model_calls(routed).len(), 3, "{:?}", model_calls(routed));
    assert_eq!(haiku + sonnet + opus, 20_000);
    // Sticky: both calls of a session go to the same model.
    for (m, c) in [("haiku", haiku), ("sonnet", sonnet), ("opus", opus)] {
        assert_eq!(c % 2, 0, "{m}: {c} calls is not whole sessions");
    }
    // Realized session shares within 1 point (100 of 10,000 sessions).
    let sessions = [haiku / 2, sonnet / 2, opus / 2];
    for (got, want) in sessions.iter().zip([7_000u64, 2_500, 500]) {
        assert!(
            got.abs_diff(want) <= 100,
            "sessions per target {sessions:?}, want 7,000 / 2,500 / 500 ± 100"
        );
    }
    // The hash's choice, read from the program (input, not a cost):
    // 6,900 / 2,548 / 552 sessions (69.00% / 25.48% / 5.52%).
    assert_eq!(sessions, [6_900, 2_548, 552], "assignment changed");

    // Per call: haiku 1,000 × $1 + 200 × $5 = [2,000]; sonnet [6,000];
    // opus 1,000 × $5 + 200 × $25 = [10,000].
    let cost = micro(haiku as i128 * 2_000 + sonnet as i128 * 6_000 + opus as i128 * 10_000);
    assert_eq!(femto(routed), cost);
    assert_eq!(
        femto(model(routed, "claude-haiku-4-5")),
        micro(haiku as i128 * 2_000)
    );
    assert_eq!(
        femto(model(routed, "claude-sonnet-4-5")),
        micro(sonnet as i128 * 6_000)
    );
    assert_eq!(
        femto(model(routed, "claude-opus-4-6")),
        micro(opus as i128 * 10_000)
    );
    // 13,800 × [2,000] + 5,096 × [6,000] + 1,104 × [10,000]
    // = [27,600,000 + 30,576,000 + 11,040,000] = $69.216
    assert_eq!(femto(routed), usd("69.216"));
    assert_eq!(tokens(routed), [20_000_000, 0, 0, 0, 4_000_000]);
    // Routed = moved to another model; the 25% that stay are not counted.
    assert_eq!(effect(routed, "routed_calls"), haiku + opus);
    assert_eq!(effect(routed, "did_not_fit_calls"), 0);
}

/// Case d: 4 sessions × 3 calls (prompts 2,000 / 4,000 / 6,000, 300 output,
/// 30 s apart) on claude-opus-4-1, routed 50/50 to claude-sonnet-4-5 and
/// claude-sonnet-4 (same prices, same 1,024-token minimum) with the cache
/// on (5m, end breakpoint): per session vs per call.
#[test]
fn sticky_routing_keeps_the_cache_warm() {
    let report = json(&[
        "replay",
        "fixtures/what-if/sticky-cache.jsonl",
        "--scenario",
        "fixtures/what-if/route-sticky-session.toml",
        "--scenario",
        "fixtures/what-if/route-sticky-call.toml",
    ]);
    assert_eq!(
        names(&report),
        ["as-recorded", "sticky-session", "sticky-call"]
    );

    // as-recorded: 48,000 × $15 + 3,600 × $75 = [720,000 + 270,000] = $0.99
    let recorded = scenario(&report, "as-recorded");
    assert_eq!(femto(recorded), usd("0.99"));
    assert_eq!(tokens(recorded), [48_000, 0, 0, 0, 3_600]);

    // Per session: call 1 writes 2,000; call 2 reads 2,000, writes 2,000;
    // call 3 reads 4,000, writes 2,000 (same model, whichever it is).
    // 4 × (6,000 × $0.30 + 6,000 × $3.75 + 900 × $15)
    // = 4 × [1,800 + 22,500 + 13,500] = [151,200] = $0.1512
    let session = scenario(&report, "sticky-session");
    assert_eq!(tokens(session), [0, 24_000, 24_000, 0, 3_600]);
    assert_eq!(femto(session), usd("0.1512"));
    assert_eq!(effect(session, "routed_calls"), 12);
    // premium 24,000 × $0.75 = $0.018; hit rate 24,000 / 48,000 = 0.5
    close(float(session, "write_premium_usd"), 0.018, "premium");
    close(float(session, "cache_hit_rate"), 0.5, "hit rate");
    let per_model = model_calls(session);
    assert!(
        per_model.iter().all(|(_, c)| c % 3 == 0),
        "whole sessions per model: {per_model:?}"
    );

    // Per call (assignment read from the program; S4.5 / S4):
    //   sc-a S4.5 S4.5 S4.5: read 2,000 + 4,000,  write 2,000 × 3
    //   sc-b S4   S4.5 S4  : read 2,000 (call 1 on S4), write 2,000 + 4,000 + 4,000
    //   sc-c S4   S4.5 S4  : read 2,000,          write 10,000
    //   sc-d S4.5 S4   S4  : read 4,000 (call 2 on S4), write 2,000 + 4,000 + 2,000
    // read 14,000, written 34,000:
    // 14,000 × $0.30 + 34,000 × $3.75 + 3,600 × $15
    // = [4,200 + 127,500 + 54,000] = [185,700] = $0.1857
    let call = scenario(&report, "sticky-call");
    assert_eq!(tokens(call), [0, 14_000, 34_000, 0, 3_600]);
    assert_eq!(femto(call), usd("0.1857"));
    assert_eq!(effect(call, "routed_calls"), 12);
    // S4.5: a1 a2 a3 b2 c2 d1: read 6,000, written 16,000, output 1,800:
    //   [1,800 + 60,000 + 27,000] = [88,800]
    let s45 = model(call, "claude-sonnet-4-5");
    assert_eq!(calls(s45), 6);
    assert_eq!(tokens(s45), [0, 6_000, 16_000, 0, 1_800]);
    assert_eq!(femto(s45), usd("0.0888"));
    // S4: b1 b3 c1 c3 d2 d3: read 8,000, written 18,000, output 1,800:
    //   [2,400 + 67,500 + 27,000] = [96,900]
    let s4 = model(call, "claude-sonnet-4");
    assert_eq!(calls(s4), 6);
    assert_eq!(tokens(s4), [0, 8_000, 18_000, 0, 1_800]);
    assert_eq!(femto(s4), usd("0.0969"));
    // premium 34,000 × $0.75 = $0.0255; hit rate 14,000 / 48,000 → 0.2917
    close(float(call, "write_premium_usd"), 0.0255, "premium");
    close(float(call, "cache_hit_rate"), 0.2917, "hit rate");

    // Per call costs more: 10,000 tokens written instead of read,
    // 10,000 × ($3.75 − $0.30) = [34,500].
    assert!(femto(call) > femto(session));
    assert_eq!(femto(call) - femto(session), usd("0.0345"));
}

/// Case e: 12 claude-haiku-4-5 calls: two agent sessions with steps, one
/// session without step numbers, three calls outside any session.
#[test]
fn batch_non_interactive_and_all() {
    let report = json(&[
        "replay",
        "fixtures/what-if/batch-mixed.jsonl",
        "--scenario",
        "fixtures/what-if/batch-non-interactive.toml",
        "--scenario",
        "fixtures/what-if/batch-all.toml",
    ]);
    assert_eq!(report["lines"].as_u64(), Some(12));

    // 31,800 × $1 + 3,450 × $5 = [31,800 + 17,250] = [49,050] = $0.04905
    let recorded = scenario(&report, "as-recorded");
    assert_eq!(femto(recorded), usd("0.04905"));
    assert_eq!(tokens(recorded), [31_800, 0, 0, 0, 3_450]);

    // Non-interactive: a-1 [5,000], b-1 [3,500], c-1 [2,750] (first call of
    // a session without steps), and the sessionless [1,300], [1,950],
    // [2,000]: [16,500] at 0.5×. [49,050 − 8,250] = [40,800] = $0.0408
    let some = scenario(&report, "batch-non-interactive");
    assert_eq!(femto(some), usd("0.0408"));
    assert_eq!(effect(some, "batched_calls"), 6);
    assert_eq!(tokens(some), [31_800, 0, 0, 0, 3_450]);
    assert_eq!(delta(some), -usd("0.00825"));

    // All 12 at 0.5×: [49,050] / 2 = [24,525] = $0.024525
    let all = scenario(&report, "batch-all");
    assert_eq!(femto(all), usd("0.024525"));
    assert_eq!(effect(all, "batched_calls"), 12);
    assert_eq!(calls(all), 12);
}

/// Case f: a runaway 200-step session (prompt 2,000 + 500 (k − 1) at step k,
/// 200 output) and a normal 5-step one (prompts 1,000 … 3,000, 300 output),
/// all on gpt-5-mini ($0.25 in, $2 out).
#[test]
fn caps_stop_a_runaway_session() {
    let report = json(&[
        "replay",
        "fixtures/what-if/runaway.jsonl",
        "--scenario",
        "fixtures/what-if/caps-steps-30.toml",
        "--scenario",
        "fixtures/what-if/caps-tokens-1m.toml",
    ]);
    assert_eq!(report["lines"].as_u64(), Some(205));

    // runaway: 10,350,000 × $0.25 + 40,000 × $2 = [2,587,500 + 80,000]
    // normal:      10,000 × $0.25 +  1,500 × $2 = [2,500 + 3,000]
    // total [2,673,000] = $2.673
    let recorded = scenario(&report, "as-recorded");
    assert_eq!(femto(recorded), usd("2.673"));
    assert_eq!(tokens(recorded), [10_360_000, 0, 0, 0, 41_500]);

    // max_steps = 30: steps 31-200 dropped (170 calls, 1 session).
    // kept: 277,500 × $0.25 + 6,000 × $2 = [69,375 + 12,000] = [81,375]
    //       + normal [5,500] = [86,875] = $0.086875
    // dropped: 10,072,500 × $0.25 + 34,000 × $2 = [2,518,125 + 68,000]
    //        = [2,586,125] = $2.586125
    let steps = scenario(&report, "caps-steps-30");
    assert_eq!(femto(steps), usd("0.086875"));
    assert_eq!(calls(steps), 35);
    assert_eq!(tokens(steps), [287_500, 0, 0, 0, 7_500]);
    assert_eq!(effect(steps, "dropped_calls"), 170);
    assert_eq!(effect(steps, "capped_sessions"), 1);
    close(
        float(&steps["effects"], "dropped_cost_usd"),
        2.586125,
        "dropped cost",
    );
    assert_eq!(femto(recorded) - femto(steps), usd("2.586125"));

    // max_tokens = 1,000,000: T(n) = 250 n² + 1,950 n; T(59) = 985,300,
    // T(60) = 1,017,000, so steps 60-200 are dropped (141 calls).
    // kept: 973,500 × $0.25 + 11,800 × $2 = [243,375 + 23,600] = [266,975]
    //       + normal [5,500] = [272,475] = $0.272475
    // dropped: 9,376,500 × $0.25 + 28,200 × $2 = [2,344,125 + 56,400]
    //        = [2,400,525] = $2.400525
    let tokens_cap = scenario(&report, "caps-tokens-1m");
    assert_eq!(femto(tokens_cap), usd("0.272475"));
    assert_eq!(calls(tokens_cap), 64);
    assert_eq!(tokens(tokens_cap), [983_500, 0, 0, 0, 13_300]);
    assert_eq!(effect(tokens_cap, "dropped_calls"), 141);
    assert_eq!(effect(tokens_cap, "capped_sessions"), 1);
    close(
        float(&tokens_cap["effects"], "dropped_cost_usd"),
        2.400525,
        "dropped cost",
    );
}

/// Case g: invalid scenario files exit 2 and name the file, the key and the
/// problem.
#[test]
fn invalid_scenario_files_name_file_key_and_problem() {
    let cases: [(&str, &[&str]); 11] = [
        (
            "fixtures/what-if/bad/compaction-window.toml",
            &[
                "compaction.trigger_tokens",
                "300000 is more than claude-haiku-4-5's context window (200000 tokens)",
            ],
        ),
        (
            "fixtures/what-if/bad/semantic-both.toml",
            &["semantic_cache", "give hit_rate", "not both"],
        ),
        (
            "fixtures/what-if/bad/semantic-lookup-model.toml",
            &[
                "semantic_cache.embedding.model",
                "`gpt-4o-mini` is not an embedding model",
            ],
        ),
        (
            "fixtures/what-if/bad/compaction-keep.toml",
            &["compaction.keep", "1 must be more than 0 and less than 1"],
        ),
        (
            "fixtures/what-if/bad/compaction-model.toml",
            &[
                "compaction.model",
                "`claude-haiku-9`",
                "is not in the pricing catalog",
            ],
        ),
        (
            "fixtures/what-if/bad/compaction-key.toml",
            &["line 6", "unknown field `trigger`", "`trigger_tokens`"],
        ),
        (
            "fixtures/what-if/bad/router-per.toml",
            &["route.classifier.per", "`turn` is not request or session"],
        ),
        (
            "fixtures/what-if/bad/router-model.toml",
            &[
                "route.classifier.model",
                "`gpt-oss-12b`",
                "is not in the pricing catalog",
            ],
        ),
        (
            "fixtures/what-if/bad/shares-not-one.toml",
            &["route.rules[0].to", "shares sum to 0.9 instead of 1"],
        ),
        (
            "fixtures/what-if/bad/negative-caps.toml",
            &["caps.max_steps", "-5 is not a positive number"],
        ),
        (
            "fixtures/what-if/bad/unknown-model.toml",
            &[
                "route.rules[0].to[1].model",
                "`claude-sonet-9`",
                "is not in the pricing catalog",
            ],
        ),
    ];
    for (file, wanted) in cases {
        let run = costsim(
            &[
                "replay",
                "fixtures/what-if/cascade.jsonl",
                "--scenario",
                file,
            ],
            None,
        );
        assert_eq!(run.code, 2, "{file}: exit code; stderr:\n{}", run.stderr);
        assert!(run.stdout.is_empty(), "{file}: stdout:\n{}", run.stdout);
        assert!(
            run.stderr.contains(file),
            "{file}: the message does not name the file:\n{}",
            run.stderr
        );
        for w in wanted {
            assert!(
                run.stderr.contains(w),
                "{file}: the message lacks `{w}`:\n{}",
                run.stderr
            );
        }
    }
}

/// Case h: cascade claude-sonnet-* calls to claude-haiku-4-5 first, and to
/// claude-sonnet-4-5 as well when the call was recorded as failed.
#[test]
fn cascade_escalates_failed_calls() {
    let report = json(&[
        "replay",
        "fixtures/what-if/cascade.jsonl",
        "--scenario",
        "fixtures/what-if/cascade-failed.toml",
    ]);
    assert_eq!(report["lines"].as_u64(), Some(6));

    // Sonnet: [19,500 + 30,000 + 15,000 + 24,000 + 10,500] = [99,000];
    // gpt-5-mini 10,000 × $0.25 + 1,000 × $2 = [4,500]; total $0.1035
    let recorded = scenario(&report, "as-recorded");
    assert_eq!(femto(recorded), usd("0.1035"));

    let cascade = scenario(&report, "cascade-failed");
    // Haiku, all 5 Sonnet calls: [6,500 + 10,000 + 5,000 + 8,000 + 3,500]
    // = [33,000]; prompt 20,000, output 2,600.
    let haiku = model(cascade, "claude-haiku-4-5");
    assert_eq!(calls(haiku), 5);
    assert_eq!(tokens(haiku), [20_000, 0, 0, 0, 2_600]);
    assert_eq!(femto(haiku), usd("0.033"));
    // Sonnet 4.5 again for the 2 failed calls: cq-2 [18,000 + 12,000] +
    // cq-4 [15,000 + 9,000] = [54,000]; prompt 11,000, output 1,400.
    let sonnet = model(cascade, "claude-sonnet-4-5");
    assert_eq!(calls(sonnet), 2);
    assert_eq!(tokens(sonnet), [11_000, 0, 0, 0, 1_400]);
    assert_eq!(femto(sonnet), usd("0.054"));
    // gpt-5-mini does not match `from`: its recorded [4,500].
    let mini = model(cascade, "gpt-5-mini");
    assert_eq!(calls(mini), 1);
    assert_eq!(femto(mini), usd("0.0045"));
    // [33,000 + 54,000 + 4,500] = [91,500] = $0.0915
    assert_eq!(femto(cascade), usd("0.0915"));
    assert_eq!(delta(cascade), -usd("0.012"));
    assert_eq!(effect(cascade, "cascaded_calls"), 5);
    assert_eq!(effect(cascade, "escalated_calls"), 2);
    // cq-5 has no label; the gpt-5-mini call is labelled (failed).
    assert_eq!(effect(cascade, "labelled_calls"), 5);
    assert_eq!(effect(cascade, "successful_calls"), 2);
}

/// Plain sweeps are priced together, one loop over their models per call;
/// with `--line-items` each goes through its own scenario evaluator. Both
/// must give the same report, here on calls that exercise every branch: a
/// model the catalog does not price, a prompt too long for most models'
/// context windows (left on its model), success labels, a batch call,
/// long-context tiers, calls on both sides of price changes, prices by time
/// of day and request options.
#[test]
fn pooled_sweeps_equal_one_evaluator_per_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("mix.jsonl");
    std::fs::write(
        &traces,
        concat!(
            r#"{"ts":"2026-06-01T10:00:00Z","model":"claude-sonnet-4-5","session":"s1","step":1,"success":true,"usage":{"input":1200,"cache_read":24000,"cache_write_5m":3000,"output":800}}"#, "\n",
            r#"{"ts":"2026-06-01T10:01:00Z","model":"gpt-5-mini","session":"s1","step":2,"success":false,"batch":true,"usage":{"input":50000,"output":2000,"reasoning":900}}"#, "\n",
            r#"{"ts":"2026-06-01T10:02:00Z","model":"gemini-2.5-pro","session":"s2","usage":{"input":700000,"output":4000}}"#, "\n",
            r#"{"ts":"2026-06-01T10:03:00Z","model":"mystery-model-9","session":"s2","usage":{"input":100,"output":10}}"#, "\n",
            // Before and after price changes, in DeepSeek's off-peak hours,
            // with request options: priced per call in both paths.
            r#"{"ts":"2025-02-08T12:00:00Z","model":"deepseek-chat","usage":{"input":10000,"cache_read":50000,"output":2000}}"#, "\n",
            r#"{"ts":"2025-02-09T17:00:00Z","model":"deepseek-chat","usage":{"input":10000,"cache_read":50000,"output":2000}}"#, "\n",
            r#"{"ts":"2026-02-20T09:00:00Z","model":"claude-opus-4-6","speed":"fast","usage":{"input":3000,"output":900}}"#, "\n",
            r#"{"ts":"2026-03-02T09:00:00Z","model":"gpt-5","service_tier":"priority","usage":{"input":250000,"output":900}}"#, "\n",
        ),
    )
    .unwrap();
    let traces = traces.display().to_string();
    let items = dir.path().join("items.csv").display().to_string();
    for sweep in ["all", "claude-haiku-4-5,gpt-5-mini,gemini-2.5-flash"] {
        let pooled = crate::util::replay_json(&[&traces, "--sweep", sweep]);
        let one_each =
            crate::util::replay_json(&[&traces, "--sweep", sweep, "--line-items", &items]);
        assert_eq!(pooled, one_each, "--sweep {sweep}");
        // The long prompt did not fit everywhere, and was kept on its model.
        let not_fit: u64 = pooled["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["effects"]["did_not_fit_calls"].as_u64())
            .sum();
        assert!(not_fit > 0, "{pooled}");
    }
}

/// Case i: case c's route with the router that makes its decisions, a
/// gpt-oss-120b classifier (350 in, 5 out) per request or per session.
#[test]
fn a_routers_own_calls_are_priced_with_its_route() {
    let report = json_at_threads_1_and_2(&[
        "replay",
        "fixtures/what-if/route-10k-step1.jsonl",
        "fixtures/what-if/route-10k-step2.jsonl",
        "--scenario",
        "fixtures/what-if/route-router.toml",
    ]);
    // One classifying call: 350 × $0.15 + 5 × $0.60 = [52.5 + 3] = [55.5].
    let per_call = 55_500_000_000i128;
    // Case c's routed calls, by hand: $69.216.
    let routed = usd("69.216");
    for (name, classified) in [
        ("router-per-request", 20_000u64),
        ("router-per-session", 10_000),
    ] {
        let s = scenario(&report, name);
        let router_cost = per_call * classified as i128;
        assert_eq!(effect(s, "router_calls"), classified, "{name}");
        assert_eq!(
            s["effects"]["router_cost_femto_usd"],
            router_cost.to_string(),
            "{name}"
        );
        let line = model(s, "gpt-oss-120b (router)");
        assert_eq!(calls(line), classified, "{name}");
        assert_eq!(femto(line), router_cost, "{name}");
        assert_eq!(
            tokens(line),
            [350 * classified, 0, 0, 0, 5 * classified],
            "{name}"
        );
        // The route itself is case c's; the router comes on top.
        assert_eq!(femto(s), routed + router_cost, "{name}");
    }
    // $1.11 and $0.555 of router: $70.326 and $69.771 in all.
    assert_eq!(
        femto(scenario(&report, "router-per-request")),
        usd("70.326")
    );
    assert_eq!(
        femto(scenario(&report, "router-per-session")),
        usd("69.771")
    );
    let table = ok(&[
        "replay",
        "fixtures/what-if/route-10k-step1.jsonl",
        "fixtures/what-if/route-10k-step2.jsonl",
        "--scenario",
        "fixtures/what-if/route-router.toml",
        "--quiet",
    ])
    .stdout;
    assert!(
        table.contains("Router calls") && table.contains("Router cost"),
        "{table}"
    );
    assert!(table.contains("gpt-oss-120b (router)"), "{table}");
    // The same as one-off flags.
    let flags = json(&[
        "replay",
        "fixtures/what-if/route-10k-step1.jsonl",
        "fixtures/what-if/route-10k-step2.jsonl",
        "--route",
        "claude-sonnet-4-5=claude-haiku-4-5:0.7,claude-sonnet-4-5:0.25,claude-opus-4-6:0.05",
        "--router",
        "gpt-oss-120b:350:5",
    ]);
    let s = &flags["scenarios"][1];
    assert_eq!(femto(s), usd("70.326"), "{}", s["name"]);
    let bad = costsim(
        &[
            "replay",
            "fixtures/what-if/cascade.jsonl",
            "--route",
            "*=gpt-5:1",
            "--router",
            "gpt-oss-120b",
        ],
        None,
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("expected MODEL:INPUT"),
        "{}",
        bad.stderr
    );
    // A usage export's row stands for many requests: each was classified.
    let export = json(&[
        "replay",
        "fixtures/formats/openai-usage.csv",
        "--route",
        "*=gpt-5-mini:1",
        "--router",
        "gpt-oss-120b:350:5",
    ]);
    let requests = export["calls"].as_u64().unwrap();
    assert!(requests > 100, "{requests}");
    let s = &export["scenarios"][1];
    assert_eq!(effect(s, "router_calls"), requests);
    assert_eq!(
        s["effects"]["router_cost_femto_usd"],
        (per_call * requests as i128).to_string()
    );
    assert_eq!(tokens(model(s, "gpt-oss-120b (router)"))[0], 350 * requests);
}

/// Case j (fixtures/compaction/README.md): sessions compacted past 100,000
/// prompt tokens to a quarter by Claude Haiku 4.5, with and without the
/// cache simulated, from a file and from `--compaction`.
#[test]
fn compaction_summarises_and_shortens_later_prompts() {
    let report = json_at_threads_1_and_2(&[
        "replay",
        "fixtures/compaction/sessions.jsonl",
        "--scenario",
        "fixtures/compaction/compact-100k.toml",
        "--scenario",
        "fixtures/compaction/cache-compact.toml",
        "--compaction",
        "100000:0.25:claude-haiku-4-5",
    ]);
    // As recorded: 0.135 + 0.255 + 0.375 + 0.09 + 0.615 + 0.96 + 0.465.
    assert_eq!(femto(&report["total"]), usd("2.895"));
    for name in ["compact-100k", "compaction-100000"] {
        let s = scenario(&report, name);
        // Three summaries: (120,000 + 110,000 + 130,000) × $1 + (30,000 +
        // 27,500 + 32,500) × $5 = $0.36 + $0.45.
        let summaries = model(s, "claude-haiku-4-5 (compaction)");
        assert_eq!(calls(summaries), 3, "{name}");
        assert_eq!(tokens(summaries), [360_000, 0, 0, 0, 90_000], "{name}");
        assert_eq!(femto(summaries), usd("0.81"), "{name}");
        assert_eq!(effect(s, "compactions"), 3, "{name}");
        assert_eq!(
            s["effects"]["compaction_cost_femto_usd"],
            usd("0.81").to_string(),
            "{name}"
        );
        // a3 90,000 + a4 90,000 + a5 172,500 + b2 97,500.
        assert_eq!(effect(s, "compacted_tokens_removed"), 450_000, "{name}");
        // The calls: 600,000 prompt tokens, a4's 65,625 of them read.
        let sonnet = model(s, "claude-sonnet-4-5");
        assert_eq!(calls(sonnet), 10, "{name}");
        assert_eq!(tokens(sonnet), [534_375, 65_625, 0, 0, 10_000], "{name}");
        assert_eq!(femto(sonnet), usd("1.7728125"), "{name}");
        assert_eq!(femto(s), usd("2.5828125"), "{name}");
        assert_eq!(delta(s), -usd("0.3121875"), "{name}");
    }
    // With the cache: each compaction starts a new prefix chain.
    let cached = scenario(&report, "cache-compact");
    let sonnet = model(cached, "claude-sonnet-4-5");
    assert_eq!(tokens(sonnet), [0, 90_000, 510_000, 0, 10_000]);
    assert_eq!(femto(sonnet), usd("2.0895"));
    assert_eq!(femto(cached), usd("2.8995"));
}

/// Case k (fixtures/semantic-cache/README.md): a semantic cache answering
/// repeats of `prompt_hash` within an hour, each lookup priced.
#[test]
fn semantic_cache_answers_repeated_prompts_within_its_ttl() {
    let report = json(&[
        "replay",
        "fixtures/semantic-cache/repeats.jsonl",
        "--scenario",
        "fixtures/semantic-cache/repeats-1h.toml",
    ]);
    // 8 calls × (2,000 × $1 + 500 × $5).
    assert_eq!(femto(&report["total"]), usd("0.036"));
    let s = scenario(&report, "semantic-repeats-1h");
    // r1-r7 are looked up (r8 is a later step); r2 and r5 hit.
    assert_eq!(effect(s, "semantic_lookups"), 7);
    assert_eq!(effect(s, "semantic_hits"), 2);
    // 7 × 200 × $0.02.
    let lookups = model(s, "text-embedding-3-small (semantic cache)");
    assert_eq!(calls(lookups), 7);
    assert_eq!(tokens(lookups), [1_400, 0, 0, 0, 0]);
    assert_eq!(femto(lookups), usd("0.000028"));
    assert_eq!(
        s["effects"]["semantic_lookup_cost_femto_usd"],
        usd("0.000028").to_string()
    );
    assert_eq!(
        s["effects"]["semantic_answered_cost_femto_usd"],
        usd("0.009").to_string()
    );
    let haiku = model(s, "claude-haiku-4-5");
    assert_eq!(calls(haiku), 6);
    assert_eq!(femto(haiku), usd("0.027"));
    assert_eq!(femto(s), usd("0.027028"));
    assert_eq!(delta(s), -usd("0.008972"));
}

/// Case k, a share: 30% of case c's first steps answered, drawn per call,
/// from a file and from `--semantic-cache`; the same at any thread count.
#[test]
fn semantic_cache_answers_a_share_of_first_steps() {
    let report = json_at_threads_1_and_2(&[
        "replay",
        "fixtures/what-if/route-10k-step1.jsonl",
        "fixtures/what-if/route-10k-step2.jsonl",
        "--scenario",
        "fixtures/semantic-cache/share-30.toml",
        "--semantic-cache",
        "0.3:text-embedding-3-small:200",
    ]);
    for name in ["semantic-cache-30", "semantic-30"] {
        let s = scenario(&report, name);
        // Only the 10,000 step-1 calls are eligible.
        assert_eq!(effect(s, "semantic_lookups"), 10_000, "{name}");
        // The draws are input (read from the program); the money follows.
        let hits = effect(s, "semantic_hits");
        assert!((2_850..=3_150).contains(&hits), "{name}: {hits} hits");
        let per_call = usd("0.006");
        assert_eq!(
            femto(s),
            per_call * (20_000 - hits) as i128 + usd("0.04"),
            "{name}"
        );
        assert_eq!(
            s["effects"]["semantic_answered_cost_femto_usd"],
            (per_call * hits as i128).to_string(),
            "{name}"
        );
    }
    // README: H = 3,055, $101.71.
    assert_eq!(femto(scenario(&report, "semantic-30")), usd("101.71"));
}

/// `--tasks` (fixtures/compaction/README.md, "Per task"): cost, calls and
/// tokens per task, as recorded and compacted, at any thread count.
#[test]
fn tasks_spread_before_and_after_a_scenario() {
    let report = json_at_threads_1_and_2(&[
        "replay",
        "fixtures/compaction/sessions.jsonl",
        "--scenario",
        "fixtures/compaction/compact-100k.toml",
        "--tasks",
    ]);
    let tasks = &report["tasks"];
    assert_eq!(tasks["tasks"], 2);
    assert_eq!(tasks["calls_without_task"], 1);
    // agent-b 3 min, agent-a 4 min.
    assert_eq!(
        tasks["wall_time_ms"],
        serde_json::json!({"p50": 180_000, "p90": 240_000, "max": 240_000})
    );
    let spread = |name: &str, key: &str| {
        tasks["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {tasks}"))[key]
            .clone()
    };
    let femtos = |p50: &str, p90: &str, max: &str| {
        serde_json::json!({
            "p50": usd(p50).to_string(),
            "p90": usd(p90).to_string(),
            "max": usd(max).to_string(),
        })
    };
    assert_eq!(
        spread("as-recorded", "cost_per_task_femto_usd"),
        femtos("0.96", "1.47", "1.47")
    );
    assert_eq!(
        spread("as-recorded", "tokens_per_task"),
        serde_json::json!({"p50": 304_000, "p90": 605_000, "max": 605_000})
    );
    assert_eq!(
        spread("compact-100k", "cost_per_task_femto_usd"),
        femtos("0.96", "1.1578125", "1.1578125")
    );
    assert_eq!(
        spread("compact-100k", "calls_per_task"),
        serde_json::json!({"p50": 5, "p90": 7, "max": 7})
    );
    assert_eq!(
        spread("compact-100k", "tokens_per_task"),
        serde_json::json!({"p50": 369_000, "p90": 540_000, "max": 540_000})
    );
    // The most expensive task first, with its cost in each scenario.
    let top = &tasks["most_expensive"];
    assert_eq!(top[0]["task"], "agent-a");
    assert_eq!(top[0]["calls"], 5);
    assert_eq!(top[0]["wall_time_ms"], 240_000);
    assert_eq!(
        top[0]["cost_femto_usd"]["compact-100k"],
        usd("1.1578125").to_string()
    );
    assert_eq!(top[1]["task"], "agent-b");
    assert_eq!(
        top[1]["cost_femto_usd"]["as-recorded"],
        usd("0.96").to_string()
    );
    // The tasks' cost: the scenario's, less the lone call's $0.465.
    assert_eq!(
        spread("compact-100k", "cost_femto_usd"),
        (usd("2.5828125") - usd("0.465")).to_string()
    );
}

/// Compaction stacked after caching (fixtures/compaction/README.md,
/// "Stacked"): the second step is the cached, compacted case.
#[test]
fn compaction_stacks_after_caching() {
    let report = json(&[
        "replay",
        "fixtures/compaction/sessions.jsonl",
        "--scenario",
        "fixtures/compaction/stack.toml",
    ]);
    // a 0.945 + b 0.8055 + lone 0.5775.
    assert_eq!(femto(scenario(&report, "+caching")), usd("2.328"));
    let both = scenario(&report, "+compaction");
    assert_eq!(femto(both), usd("2.8995"));
    assert_eq!(effect(both, "compactions"), 3);
    assert_eq!(delta(both), usd("0.0045"));
}
