//! Hand-checked cache scenarios (fixtures/cache/): `costsim replay FILE
//! --scenario ...` on small traces whose simulated cache reads, writes and
//! costs were worked out by hand from the catalog prices and the cache rules
//! (`costsim pricing show MODEL`). The arithmetic is written above every
//! expected value and, at more length, in fixtures/cache/README.md.
//!
//! Notation: "n × $r" is n tokens at $r per million tokens (n × r / 1e6
//! dollars). Amounts in square brackets are micro-dollars (1e-6 USD).
//!
//! Rates used (USD per million tokens, current periods, every prompt far
//! below the 200,000-token tier):
//! - claude-sonnet-4-5: input $3, output $15, cache read $0.30,
//!   5m write $3.75, 1h write $6; explicit cache, minimum 1,024 tokens.
//! - claude-haiku-4-5: input $1, output $5, read $0.10, 5m write $1.25,
//!   1h write $2; explicit cache, minimum 4,096 tokens.
//! - gpt-5: input $1.25, output $10, read $0.125, no write price; automatic
//!   cache, minimum 1,024 tokens, in steps of 128, TTLs 5m / 24h.
//!
//! Every fixture is recorded WITHOUT caching (the whole prompt in
//! `usage.input`), so `as-recorded` always equals `cache-off`.

use serde_json::Value;

use crate::util::{calls, delta, femto, model, replay_json, scenario, tokens, usd};

fn premium(value: &Value) -> f64 {
    value["write_premium_usd"]
        .as_f64()
        .unwrap_or_else(|| panic!("no write_premium_usd in {value}"))
}

fn hit_rate(value: &Value) -> f64 {
    value["cache_hit_rate"]
        .as_f64()
        .unwrap_or_else(|| panic!("no cache_hit_rate in {value}"))
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: {actual} != {expected}"
    );
}

/// The report read every line, priced every call, and lists the baseline
/// first, then the scenarios in the order asked for.
fn check_shape(report: &Value, lines: u64, names: &[&str]) {
    check_calls(report, lines, lines, names);
}

/// Like `check_shape` when a filter keeps only `priced` of the `lines` calls.
fn check_calls(report: &Value, lines: u64, priced: u64, names: &[&str]) {
    assert_eq!(report["lines"].as_u64(), Some(lines), "lines read");
    assert_eq!(report["skipped"]["total"].as_u64(), Some(0), "skipped");
    assert_eq!(report["total"]["unpriced_calls"].as_u64(), Some(0));
    let list = report["scenarios"].as_array().expect("scenarios array");
    let got: Vec<&str> = list.iter().map(|s| s["name"].as_str().unwrap()).collect();
    let mut want = vec!["as-recorded"];
    want.extend_from_slice(names);
    assert_eq!(got, want, "scenario order");
    for s in list {
        assert_eq!(calls(s), priced, "calls in {}", s["name"]);
    }
}

/// Case a: the seeds' 5-step agent run (shared/seeds/000_bc914a0b8765a164.txt,
/// lines 15-52) on claude-sonnet-4-5: prompts 25,000 / 27,000 / 29,000 /
/// 31,000 / 33,000, 1,000 output each, one session, 30 s apart.
#[test]
fn seed_agent_sonnet_pays_the_write_premium() {
    const FILE: &str = "fixtures/cache/seed-agent-sonnet.jsonl";
    let report = replay_json(&[
        FILE,
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-5m",
        "--scenario",
        "cache-1h",
    ]);
    check_shape(&report, 5, &["cache-off", "cache-5m", "cache-1h"]);

    // cache-off: prompts 25,000 + 27,000 + 29,000 + 31,000 + 33,000 = 145,000;
    // 145,000 × $3 + 5,000 × $15 = [435,000 + 75,000] = $0.51
    let off = scenario(&report, "cache-off");
    assert_eq!(tokens(off), [145_000, 0, 0, 0, 5_000]);
    assert_eq!(femto(off), usd("0.51"));
    assert_eq!(delta(off), 0);
    close(premium(off), 0.0, "cache-off premium");
    close(hit_rate(off), 0.0, "cache-off hit rate");

    // as-recorded: the trace has no cache fields, so it is cache-off: $0.51.
    let recorded = scenario(&report, "as-recorded");
    assert_eq!(tokens(recorded), [145_000, 0, 0, 0, 5_000]);
    assert_eq!(femto(recorded), usd("0.51"));
    assert_eq!(femto(&report["total"]), usd("0.51"));

    // cache-5m: step 1 writes 25,000; step k reads step k-1's prompt and
    // writes the 2,000 new tokens.
    //   reads  25,000 + 27,000 + 29,000 + 31,000 = 112,000
    //   writes 25,000 + 4 × 2,000 = 33,000
    // step 1: 25,000 × $3.75                      = [93,750]
    // step 2: 25,000 × $0.30 + 2,000 × $3.75      = [7,500 + 7,500] = [15,000]
    // step 3: 27,000 × $0.30 + 2,000 × $3.75      = [8,100 + 7,500] = [15,600]
    // step 4: 29,000 × $0.30 + 2,000 × $3.75      = [8,700 + 7,500] = [16,200]
    // step 5: 31,000 × $0.30 + 2,000 × $3.75      = [9,300 + 7,500] = [16,800]
    // prompt [157,350] = $0.15735; + output 5,000 × $15 [75,000] = $0.23235
    let five = scenario(&report, "cache-5m");
    assert_eq!(tokens(five), [0, 112_000, 33_000, 0, 5_000]);
    assert_eq!(femto(five), usd("0.23235"));
    // $0.23235 − $0.51 = −$0.27765
    assert_eq!(delta(five), -usd("0.27765"));
    // premium: 33,000 × ($3.75 − $3) = 33,000 × $0.75 = [24,750] = $0.02475
    close(premium(five), 0.02475, "cache-5m premium");
    // hit rate: 112,000 / 145,000 = 0.77241… → 0.7724 (basis points)
    close(hit_rate(five), 0.7724, "cache-5m hit rate");
    let by = model(five, "claude-sonnet-4-5");
    assert_eq!(femto(by), usd("0.23235"));
    assert_eq!(tokens(by), [0, 112_000, 33_000, 0, 5_000]);

    // The seed's "~$0.133 with caching" prices the 2,000 new tokens (and the
    // first 25,000) at the plain $3 input price:
    //   [75,000 + (7,500+6,000) + (8,100+6,000) + (8,700+6,000) + (9,300+6,000)]
    //   = [132,600] = $0.1326
    // The real 5m-cache input cost is [157,350]; the gap is the write premium:
    // (25,000 + 4 × 2,000) × ($3.75 − $3) = 33,000 × $0.75 = [24,750].
    let input_cost = femto(five) - usd("0.075");
    assert_eq!(input_cost, usd("0.15735"));
    assert_eq!(input_cost - usd("0.1326"), usd("0.02475"));

    // cache-1h: same reads and writes, writes at $6:
    // 112,000 × $0.30 + 33,000 × $6 + 5,000 × $15 = [33,600 + 198,000 + 75,000]
    // = [306,600] = $0.3066; premium 33,000 × ($6 − $3) = [99,000] = $0.099
    let hour = scenario(&report, "cache-1h");
    assert_eq!(tokens(hour), [0, 112_000, 0, 33_000, 5_000]);
    assert_eq!(femto(hour), usd("0.3066"));
    close(premium(hour), 0.099, "cache-1h premium");
}

/// Case b: the same run on gpt-5 (automatic cache: no write fee, reads the
/// previous prompt rounded down to a multiple of 128).
#[test]
fn seed_agent_gpt5_reads_in_128_token_steps() {
    const FILE: &str = "fixtures/cache/seed-agent-gpt5.jsonl";
    let report = replay_json(&[
        FILE,
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-5m",
        "--scenario",
        "cache-1h",
    ]);
    check_shape(&report, 5, &["cache-off", "cache-5m", "cache-1h"]);

    // cache-off: 145,000 × $1.25 + 5,000 × $10 = [181,250 + 50,000] = $0.23125
    let off = scenario(&report, "cache-off");
    assert_eq!(tokens(off), [145_000, 0, 0, 0, 5_000]);
    assert_eq!(femto(off), usd("0.23125"));
    assert_eq!(femto(scenario(&report, "as-recorded")), usd("0.23125"));

    // cache-5m:
    // step 1: nothing cached: 25,000 × $1.25                        = [31,250]
    // step 2: 25,000 = 195 × 128 + 40 → read 24,960, input 2,040
    //         24,960 × $0.125 + 2,040 × $1.25 = [3,120 + 2,550]      = [5,670]
    // step 3: 27,000 = 210 × 128 + 120 → read 26,880, input 2,120
    //         26,880 × $0.125 + 2,120 × $1.25 = [3,360 + 2,650]      = [6,010]
    // step 4: 29,000 = 226 × 128 + 72 → read 28,928, input 2,072
    //         28,928 × $0.125 + 2,072 × $1.25 = [3,616 + 2,590]      = [6,206]
    // step 5: 31,000 = 242 × 128 + 24 → read 30,976, input 2,024
    //         30,976 × $0.125 + 2,024 × $1.25 = [3,872 + 2,530]      = [6,402]
    // reads 24,960 + 26,880 + 28,928 + 30,976 = 111,744
    // input 25,000 + 2,040 + 2,120 + 2,072 + 2,024 = 33,256 (111,744 + 33,256 = 145,000)
    // prompt [55,538] + output [50,000] = [105,538] = $0.105538
    let five = scenario(&report, "cache-5m");
    assert_eq!(tokens(five), [33_256, 111_744, 0, 0, 5_000]);
    assert_eq!(femto(five), usd("0.105538"));
    // $0.105538 − $0.23125 = −$0.125712
    assert_eq!(delta(five), -usd("0.125712"));
    close(premium(five), 0.0, "automatic caches have no write premium");
    // 111,744 / 145,000 = 0.770648… → 0.7706
    close(hit_rate(five), 0.7706, "cache-5m hit rate");

    // cache-1h: gpt-5 offers no 1h TTL; an automatic cache keeps its own TTL
    // (5m) and the steps are 30 s apart anyway: the same $0.105538.
    let hour = scenario(&report, "cache-1h");
    assert_eq!(tokens(hour), [33_256, 111_744, 0, 0, 5_000]);
    assert_eq!(femto(hour), usd("0.105538"));
    let notes = report["notes"].as_array().expect("notes");
    assert!(
        notes
            .iter()
            .all(|n| !n.as_str().unwrap().contains("cache-1h")),
        "no TTL-fallback note for an automatic cache: {notes:?}"
    );
}

/// Case c: a 7-minute idle gap between two calls of one Claude session
/// (prompts 10,000 then 12,000, 500 output each).
#[test]
fn idle_gap_expires_the_5m_cache_but_not_the_1h() {
    const FILE: &str = "fixtures/cache/idle-gap.jsonl";
    let report = replay_json(&[
        FILE,
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-5m",
        "--scenario",
        "cache-1h",
    ]);
    check_shape(&report, 2, &["cache-off", "cache-5m", "cache-1h"]);

    // cache-off: 22,000 × $3 + 1,000 × $15 = [66,000 + 15,000] = $0.081
    let off = scenario(&report, "cache-off");
    assert_eq!(tokens(off), [22_000, 0, 0, 0, 1_000]);
    assert_eq!(femto(off), usd("0.081"));
    assert_eq!(femto(scenario(&report, "as-recorded")), usd("0.081"));

    // cache-5m: call 1 writes 10,000; 7 min > 5 min, so call 2 finds nothing
    // and writes all 12,000:
    // 22,000 × $3.75 + 1,000 × $15 = [82,500 + 15,000] = $0.0975
    let five = scenario(&report, "cache-5m");
    assert_eq!(tokens(five), [0, 0, 22_000, 0, 1_000]);
    assert_eq!(femto(five), usd("0.0975"));
    // $0.0975 − $0.081 = +$0.0165 (caching costs more here)
    assert_eq!(delta(five), usd("0.0165"));
    // premium 22,000 × $0.75 = [16,500]
    close(premium(five), 0.0165, "cache-5m premium");

    // cache-1h: call 1 writes 10,000 at $6; call 2 reads them and writes 2,000:
    // 10,000 × $6 + (10,000 × $0.30 + 2,000 × $6) + 1,000 × $15
    // = [60,000 + 3,000 + 12,000 + 15,000] = $0.09
    let hour = scenario(&report, "cache-1h");
    assert_eq!(tokens(hour), [0, 10_000, 0, 12_000, 1_000]);
    assert_eq!(femto(hour), usd("0.09"));
    // $0.09 − $0.081 = +$0.009; premium 12,000 × ($6 − $3) = [36,000]
    assert_eq!(delta(hour), usd("0.009"));
    close(premium(hour), 0.036, "cache-1h premium");
}

/// Case d: prompts below the model's minimum cacheable prefix are never
/// cached: claude-sonnet-4-5 (minimum 1,024) at 400 / 600 / 800 / 1,023 and
/// claude-haiku-4-5 (minimum 4,096) at 2,000 / 3,000 / 4,095.
#[test]
fn below_minimum_is_never_cached() {
    const FILE: &str = "fixtures/cache/below-minimum.jsonl";
    let report = replay_json(&[
        FILE,
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-5m",
        "--scenario",
        "cache-1h",
    ]);
    check_shape(&report, 7, &["cache-off", "cache-5m", "cache-1h"]);

    for name in ["as-recorded", "cache-off", "cache-5m", "cache-1h"] {
        let s = scenario(&report, name);
        // sonnet: 400 + 600 + 800 + 1,023 = 2,823 prompt, 4 × 100 = 400 output;
        // 2,823 × $3 + 400 × $15 = [8,469 + 6,000] = [14,469]
        let sonnet = model(s, "claude-sonnet-4-5");
        assert_eq!(tokens(sonnet), [2_823, 0, 0, 0, 400], "{name}");
        assert_eq!(femto(sonnet), usd("0.014469"), "{name}");
        // haiku: 2,000 + 3,000 + 4,095 = 9,095 prompt, 3 × 200 = 600 output;
        // 9,095 × $1 + 600 × $5 = [9,095 + 3,000] = [12,095]
        let haiku = model(s, "claude-haiku-4-5");
        assert_eq!(tokens(haiku), [9_095, 0, 0, 0, 600], "{name}");
        assert_eq!(femto(haiku), usd("0.012095"), "{name}");
        // [14,469 + 12,095] = [26,564] = $0.026564, no reads, no writes
        assert_eq!(tokens(s), [11_918, 0, 0, 0, 1_000], "{name}");
        assert_eq!(femto(s), usd("0.026564"), "{name}");
        assert_eq!(delta(s), 0, "{name}");
        close(premium(s), 0.0, name);
        close(hit_rate(s), 0.0, name);
    }
}

/// Case e: three sessions of claude-sonnet-4-5 whose prompts all start with
/// the same 4,000-token system prompt (`--shared-prefix 4000`).
/// Timeline (prompt, 500 output each): 12:00:00 A 6,000; 12:00:30 B 5,000;
/// 12:01:00 A 8,000; 12:01:30 B 7,000; 12:04:00 C 4,500; 12:15:00 C 5,500.
#[test]
fn shared_prefix_is_read_by_other_sessions() {
    const FILE: &str = "fixtures/cache/shared-prefix.jsonl";
    let report = replay_json(&[
        FILE,
        "--shared-prefix",
        "4000",
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-5m",
        "--scenario",
        "cache-5m-shared",
    ]);
    check_shape(&report, 6, &["cache-off", "cache-5m", "cache-5m-shared"]);

    // cache-off: prompts 6,000 + 5,000 + 8,000 + 7,000 + 4,500 + 5,500 = 36,000;
    // 36,000 × $3 + 3,000 × $15 = [108,000 + 45,000] = $0.153
    let off = scenario(&report, "cache-off");
    assert_eq!(tokens(off), [36_000, 0, 0, 0, 3_000]);
    assert_eq!(femto(off), usd("0.153"));

    // cache-5m-shared (breakpoints after the 4,000 shared tokens and at the end):
    // A1 00:00  read 0,     write 4,000 (shared) + 2,000 = 6,000 → 6,000 × $3.75 = [22,500]
    // B1 00:30  read 4,000 (A's shared prefix), write 1,000
    //           → 4,000 × $0.30 + 1,000 × $3.75 = [1,200 + 3,750] = [4,950]
    // A2 01:00  read 6,000, write 2,000 → [1,800 + 7,500] = [9,300]
    // B2 01:30  read 5,000, write 2,000 → [1,500 + 7,500] = [9,000]
    // C1 04:00  read 4,000 (shared, last used ≤ 5 min ago), write 500
    //           → [1,200 + 1,875] = [3,075]
    // C2 15:00  11 min idle: everything expired; write 4,000 + 1,500 = 5,500
    //           → 5,500 × $3.75 = [20,625]
    // reads 4,000 + 6,000 + 5,000 + 4,000 = 19,000;
    // writes 6,000 + 1,000 + 2,000 + 2,000 + 500 + 5,500 = 17,000
    // 19,000 × $0.30 + 17,000 × $3.75 + 3,000 × $15 = [5,700 + 63,750 + 45,000]
    // = [114,450] = $0.11445
    let shared = scenario(&report, "cache-5m-shared");
    assert_eq!(tokens(shared), [0, 19_000, 17_000, 0, 3_000]);
    assert_eq!(femto(shared), usd("0.11445"));
    assert_eq!(delta(shared), usd("0.11445") - usd("0.153"));

    // cache-5m (breakpoint at the end only: the shared prefix is never stored
    // on its own, so B1 and C1 write everything):
    // A1 write 6,000; B1 write 5,000; A2 read 6,000 + write 2,000;
    // B2 read 5,000 + write 2,000; C1 write 4,500; C2 (C1 expired) write 5,500
    // reads 11,000; writes 6,000 + 5,000 + 2,000 + 2,000 + 4,500 + 5,500 = 25,000
    // 11,000 × $0.30 + 25,000 × $3.75 + 3,000 × $15 = [3,300 + 93,750 + 45,000]
    // = [142,050] = $0.14205
    let end = scenario(&report, "cache-5m");
    assert_eq!(tokens(end), [0, 11_000, 25_000, 0, 3_000]);
    assert_eq!(femto(end), usd("0.14205"));
    // The difference is B1 and C1 reading 4,000 instead of writing them:
    // 2 × 4,000 × ($3.75 − $0.30) = [27,600]
    assert_eq!(femto(end) - femto(shared), usd("0.0276"));

    // Without --shared-prefix nothing is known to be shared: cache-5m-shared
    // places only the end breakpoint and equals cache-5m, $0.14205.
    let plain = replay_json(&[FILE, "--scenario", "cache-5m-shared"]);
    let s = scenario(&plain, "cache-5m-shared");
    assert_eq!(tokens(s), [0, 11_000, 25_000, 0, 3_000]);
    assert_eq!(femto(s), usd("0.14205"));
}

/// Case e (segments): sessions seg-a and seg-b share segment id "sys-v1"
/// (3,000 tokens, marked for caching); session seg-ts puts a timestamp in its
/// system prompt, so its first segment id changes on every call.
/// Timeline (prompt, 400 output each): 12:00:00 a 4,500; 12:00:30 b 4,000;
/// 12:01:00 a 6,500; 12:01:30 b 5,500; 12:02:00 ts 4,200; 12:02:30 ts 5,000;
/// 12:03:00 ts 5,900.
#[test]
fn segments_share_ids_and_a_timestamp_never_reads() {
    const FILE: &str = "fixtures/cache/segments.jsonl";
    let args = [
        "--scenario",
        "cache-off",
        "--scenario",
        "cache-5m",
        "--scenario",
        "cache-5m-shared",
    ];
    let mut all = vec![FILE];
    all.extend(args);
    let report = replay_json(&all);
    check_shape(&report, 7, &["cache-off", "cache-5m", "cache-5m-shared"]);

    // cache-off: prompts 4,500 + 4,000 + 6,500 + 5,500 + 4,200 + 5,000 + 5,900
    // = 35,600; 35,600 × $3 + 2,800 × $15 = [106,800 + 42,000] = $0.1488
    let off = scenario(&report, "cache-off");
    assert_eq!(tokens(off), [35_600, 0, 0, 0, 2_800]);
    assert_eq!(femto(off), usd("0.1488"));

    // cache-5m-shared (breakpoints after the marked "sys-v1" and at the end):
    // a1 write 3,000 (sys-v1) + 1,500 = 4,500
    // b1 read 3,000 (sys-v1, written by a1), write 1,000
    // a2 read 4,500, write 2,000;  b2 read 4,000, write 1,500
    // ts calls: ids differ every call → read 0, write 4,200, 5,000, 5,900
    // reads 3,000 + 4,500 + 4,000 = 11,500
    // writes 4,500 + 1,000 + 2,000 + 1,500 + 4,200 + 5,000 + 5,900 = 24,100
    // 11,500 × $0.30 + 24,100 × $3.75 + 2,800 × $15 = [3,450 + 90,375 + 42,000]
    // = [135,825] = $0.135825
    let shared = scenario(&report, "cache-5m-shared");
    assert_eq!(tokens(shared), [0, 11_500, 24_100, 0, 2_800]);
    assert_eq!(femto(shared), usd("0.135825"));

    // cache-5m (end breakpoint only: "sys-v1" alone is never stored, b1 writes
    // everything): reads a2 4,500 + b2 4,000 = 8,500;
    // writes 4,500 + 4,000 + 2,000 + 1,500 + 15,100 = 27,100
    // 8,500 × $0.30 + 27,100 × $3.75 + 2,800 × $15 = [2,550 + 101,625 + 42,000]
    // = [146,175] = $0.146175
    let end = scenario(&report, "cache-5m");
    assert_eq!(tokens(end), [0, 8_500, 27_100, 0, 2_800]);
    assert_eq!(femto(end), usd("0.146175"));
    // difference: b1 reads 3,000 instead of writing: 3,000 × $3.45 = [10,350]
    assert_eq!(femto(end) - femto(shared), usd("0.01035"));

    // The timestamped session alone (its calls are the ones from 12:02:00 on):
    // never a read in any scenario; every prompt token is written at $3.75.
    // cache-off: 15,100 × $3 + 1,200 × $15 = [45,300 + 18,000] = $0.0633
    // cache-5m / cache-5m-shared: 15,100 × $3.75 + 1,200 × $15
    // = [56,625 + 18,000] = $0.074625 (caching costs [11,325] more)
    let mut ts_args = vec![FILE, "--since", "2026-03-01T12:02:00Z"];
    ts_args.extend(args);
    let ts = replay_json(&ts_args);
    check_calls(&ts, 7, 3, &["cache-off", "cache-5m", "cache-5m-shared"]);
    let ts_off = scenario(&ts, "cache-off");
    assert_eq!(tokens(ts_off), [15_100, 0, 0, 0, 1_200]);
    assert_eq!(femto(ts_off), usd("0.0633"));
    for name in ["cache-5m", "cache-5m-shared"] {
        let s = scenario(&ts, name);
        assert_eq!(tokens(s), [0, 0, 15_100, 0, 1_200], "{name}");
        assert_eq!(femto(s), usd("0.074625"), "{name}");
        assert_eq!(delta(s), usd("0.011325"), "{name}");
        close(hit_rate(s), 0.0, name);
    }
}
