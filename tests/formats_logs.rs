//! Provider and gateway log formats (fixtures/formats/): raw OpenAI and
//! Anthropic API objects, OpenTelemetry GenAI spans, LiteLLM spend logs and
//! Langfuse observations. Every expected cost was worked out by hand from
//! the catalog prices (`costsim pricing show MODEL`); the arithmetic is in
//! the comments and in fixtures/formats/README-logs.md. Comparisons are
//! exact, in femto-dollars.
//!
//! Notation as in hand_checked.rs: "n × $r" is n tokens at $r per million;
//! amounts in brackets are micro-dollars (1e-6 USD).
//!
//! Each file is replayed without `--format`, so every test also proves the
//! file is detected as its format (the report's `formats` map).

use serde_json::Value;

use crate::util::{check_read, costsim, femto, replay_json, usd, ReadCounts};

/// What a fixture's report must say about its lines.
struct Lines {
    lines: u64,
    calls: u64,
    not_calls: u64,
    duplicates: u64,
    /// Skipped lines by reason key.
    skipped: &'static [(&'static str, u64)],
}

/// The time given to records that carry none (bare Anthropic responses).
const ASSUMED: &str = "2026-03-05T14:00:00Z";

/// Replays `file` (detected, not forced) and checks it was read as `format`
/// with exactly these line counts.
fn replay_checked(file: &str, format: &'static str, want: Lines) -> Value {
    let report = replay_json(&[file, "--assume-time", ASSUMED]);
    check_read(
        &report,
        ReadCounts {
            format,
            files: 1,
            lines: Some(want.lines),
            calls: want.calls,
            not_calls: want.not_calls,
            duplicates: want.duplicates,
            skipped: want.skipped,
            unpriced_calls: 0,
        },
    );
    report
}

/// The row whose only key `dim` is `value`.
fn row<'a>(report: &'a Value, dim: &str, value: &str) -> &'a Value {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter()
        .find(|r| r["keys"][dim].as_str() == Some(value))
        .unwrap_or_else(|| {
            let keys: Vec<&Value> = rows.iter().map(|r| &r["keys"]).collect();
            panic!("no row with {dim} = {value}; rows: {keys:?}")
        })
}

/// Calls and tokens of a row: calls, input, cache_read, cache_write_5m,
/// cache_write_1h, output, reasoning.
fn shape(value: &Value) -> [u64; 7] {
    let t = &value["tokens"];
    let n = |k: &str| {
        t[k].as_u64()
            .unwrap_or_else(|| panic!("no tokens.{k} in {value}"))
    };
    [
        value["calls"].as_u64().expect("calls"),
        n("input"),
        n("cache_read"),
        n("cache_write_5m"),
        n("cache_write_1h"),
        n("output"),
        n("reasoning"),
    ]
}

fn model_rows(report: &Value) -> usize {
    report["rows"].as_array().expect("rows").len()
}

// ---------------------------------------------------------------- OpenAI

const OPENAI_CHAT: &str = "fixtures/formats/openai-chat.jsonl";

/// Chat Completions: cached tokens inside prompt_tokens, an envelope whose
/// time wins, a duplicate, stream chunks, two bad lines and a truncated one.
#[test]
fn openai_chat_completions() {
    let report = replay_checked(
        OPENAI_CHAT,
        "openai",
        Lines {
            lines: 9,
            calls: 4,
            not_calls: 1,  // the stream chunk before the usage chunk
            duplicates: 1, // line 4 repeats chatcmpl-C1a
            skipped: &[
                ("missing_field", 1),      // line 7: no usage
                ("inconsistent_usage", 1), // line 8: cached 2,000 > prompt 1,000
                ("malformed_json", 1),     // line 9: truncated
            ],
        },
    );
    assert_eq!(model_rows(&report), 3);

    // gpt-4o ($2.50 in, $1.25 cached, $10 out): prompt 1,200 of which 1,024
    // cached → input 176; 176 × $2.50 + 1,024 × $1.25 + 300 × $10
    // = [440 + 1,280 + 3,000] = $0.00472
    let gpt4o = row(&report, "model", "gpt-4o");
    assert_eq!(shape(gpt4o), [1, 176, 1024, 0, 0, 300, 0]);
    assert_eq!(femto(gpt4o), usd("0.00472"));

    // gpt-4o-mini ($0.15 in, $0.60 out): 5,000 × $0.15 + 800 × $0.60 = [750 + 480]
    // and the stream's usage chunk 400 × $0.15 + 100 × $0.60 = [60 + 60]:
    // [1,230 + 120] = $0.00135
    let mini = row(&report, "model", "gpt-4o-mini");
    assert_eq!(shape(mini), [2, 5400, 0, 0, 0, 900, 0]);
    assert_eq!(femto(mini), usd("0.00135"));

    // o4-mini ($1.10 in, $0.275 cached, $4.40 out): prompt 3,000 − 2,048 cached
    // = 952; output 1,500 includes 1,024 reasoning:
    // 952 × $1.10 + 2,048 × $0.275 + 1,500 × $4.40 = [1,047.2 + 563.2 + 6,600]
    // = $0.0082104
    let o4 = row(&report, "model", "o4-mini");
    assert_eq!(shape(o4), [1, 952, 2048, 0, 0, 1500, 1024]);
    assert_eq!(femto(o4), usd("0.0082104"));

    // [4,720 + 1,350 + 8,210.4] = $0.0142804
    assert_eq!(femto(&report["total"]), usd("0.0142804"));

    // The envelope's time (2026-03-02T09:05Z) wins over the response's
    // `created` (2026-03-01T23:00Z): every call is on 2026-03-02 (UTC).
    let by_day = replay_json(&[OPENAI_CHAT, "--by", "day"]);
    assert_eq!(model_rows(&by_day), 1);
    assert_eq!(femto(row(&by_day, "day", "2026-03-02")), usd("0.0142804"));

    // The envelope's metadata: account, session and tags.
    let by_account = replay_json(&[OPENAI_CHAT, "--by", "account"]);
    assert_eq!(femto(row(&by_account, "account", "acme")), usd("0.0082104"));
    // [4,720 + 1,350] = $0.00607
    assert_eq!(
        femto(row(&by_account, "account", "default")),
        usd("0.00607")
    );
    let by_team = replay_json(&[OPENAI_CHAT, "--by", "tag:team"]);
    assert_eq!(femto(row(&by_team, "tag:team", "search")), usd("0.0082104"));
    let by_session = replay_json(&[OPENAI_CHAT, "--by", "session"]);
    assert_eq!(shape(row(&by_session, "session", "s-1"))[0], 1);
}

/// Responses API objects: bare, in an envelope with an epoch `ts`, as stream
/// events, failed, flex tier (batch prices), a missing model, a duplicate.
#[test]
fn openai_responses() {
    let report = replay_checked(
        "fixtures/formats/openai-responses.jsonl",
        "openai",
        Lines {
            lines: 9,
            calls: 4,
            not_calls: 2,  // response.created (in progress) and the failed response
            duplicates: 1, // line 8 repeats resp_R3 of the response.completed event
            skipped: &[("missing_field", 1), ("malformed_json", 1)],
        },
    );
    assert_eq!(model_rows(&report), 3);

    // gpt-5 ($1.25 in, $0.125 cached, $10 out): input 10,000 − 8,192 cached = 1,808;
    // 1,808 × $1.25 + 8,192 × $0.125 + 2,000 × $10 = [2,260 + 1,024 + 20,000] = $0.023284
    let gpt5 = row(&report, "model", "gpt-5");
    assert_eq!(shape(gpt5), [1, 1808, 8192, 0, 0, 2000, 1500]);
    assert_eq!(femto(gpt5), usd("0.023284"));

    // gpt-5-mini ($0.25 in, $2 out): 2,500 × $0.25 + 600 × $2 = [625 + 1,200];
    // flex (Batch API prices, 0.5×): 4,000 × $0.125 + 1,000 × $1 = [500 + 1,000];
    // [1,825 + 1,500] = $0.003325
    let mini = row(&report, "model", "gpt-5-mini");
    assert_eq!(shape(mini), [2, 6500, 0, 0, 0, 1600, 896]);
    assert_eq!(femto(mini), usd("0.003325"));

    // gpt-4.1 ($2 in, $0.50 cached, $8 out): 6,000 − 4,096 = 1,904;
    // 1,904 × $2 + 4,096 × $0.50 + 500 × $8 = [3,808 + 2,048 + 4,000] = $0.009856
    let gpt41 = row(&report, "model", "gpt-4.1");
    assert_eq!(shape(gpt41), [1, 1904, 4096, 0, 0, 500, 0]);
    assert_eq!(femto(gpt41), usd("0.009856"));

    // [23,284 + 3,325 + 9,856] = $0.036465
    assert_eq!(femto(&report["total"]), usd("0.036465"));
}

/// Batch API output: successful lines are batch calls at half price; an
/// expired request and a 400 carry no usage; a duplicated line is folded.
#[test]
fn openai_batch_output() {
    let report = replay_checked(
        "fixtures/formats/openai-batch.jsonl",
        "openai",
        Lines {
            lines: 7,
            calls: 3,
            not_calls: 2,
            duplicates: 1,
            skipped: &[("malformed_json", 1)],
        },
    );
    // gpt-4o-mini at 0.5×: (20,000 × $0.15 + 2,000 × $0.60) × 0.5 = [3,000 + 1,200] × 0.5 = $0.0021
    let mini = row(&report, "model", "gpt-4o-mini");
    assert_eq!(shape(mini), [1, 20_000, 0, 0, 0, 2000, 0]);
    assert_eq!(femto(mini), usd("0.0021"));
    // gpt-4o-2024-08-06 at 0.5×: prompt 8,000 − 4,096 cached = 3,904;
    // (3,904 × $2.50 + 4,096 × $1.25 + 1,000 × $10) × 0.5 = [9,760 + 5,120 + 10,000] × 0.5
    // = [24,880] × 0.5 = $0.01244
    let gpt4o = row(&report, "model", "gpt-4o-2024-08-06");
    assert_eq!(shape(gpt4o), [1, 3904, 4096, 0, 0, 1000, 0]);
    assert_eq!(femto(gpt4o), usd("0.01244"));
    // gpt-5-nano (a /v1/responses batch) at 0.5×: (50,000 × $0.05 + 10,000 × $0.40) × 0.5
    // = [2,500 + 4,000] × 0.5 = $0.00325
    let nano = row(&report, "model", "gpt-5-nano");
    assert_eq!(shape(nano), [1, 50_000, 0, 0, 0, 10_000, 8000]);
    assert_eq!(femto(nano), usd("0.00325"));
    // [2,100 + 12,440 + 3,250] = $0.01779
    assert_eq!(femto(&report["total"]), usd("0.01779"));
}

// ------------------------------------------------------------- Anthropic

/// Messages in envelopes: 5m and 1h writes, a total without a TTL split, a
/// batch result (half price), responses without a time, an errored batch
/// request, a duplicate.
#[test]
fn anthropic_messages() {
    const FILE: &str = "fixtures/formats/anthropic-messages.jsonl";
    let report = replay_checked(
        FILE,
        "anthropic",
        Lines {
            lines: 9,
            calls: 6,
            not_calls: 1,  // the errored batch request
            duplicates: 1, // msg_01A1 logged twice
            skipped: &[("malformed_json", 1)],
        },
    );
    // A bare message and a batch result carry no time: dated by --assume-time.
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("2 calls carry no time of their own") && notes.contains("--assume-time"),
        "{notes}"
    );
    // claude-sonnet-4-5 ($3 in, $0.30 read, $3.75 5m write, $6 1h write, $15 out):
    // call 1: 50 × $3 + 6,000 × $3.75 + 800 × $15 = [150 + 22,500 + 12,000] = [34,650]
    // call 2: 30 × $3 + 6,000 × $0.30 + 2,000 × $6 + 400 × $15 = [90 + 1,800 + 12,000 + 6,000] = [19,890]
    // [34,650 + 19,890] = $0.05454
    let sonnet = row(&report, "model", "claude-sonnet-4-5");
    assert_eq!(shape(sonnet), [2, 80, 6000, 6000, 2000, 1200, 0]);
    assert_eq!(femto(sonnet), usd("0.05454"));
    // claude-haiku-4-5 ($1 in, $1.25 5m write, $5 out):
    // call 3 (1,500 written, no TTL split → 5m): 2,000 × $1 + 1,500 × $1.25 + 300 × $5
    //   = [2,000 + 1,875 + 1,500] = [5,375]
    // batch result at 0.5×: (10,000 × $1 + 2,000 × $5) × 0.5 = [10,000]
    // bare message (line 4): 500 × $1 + 100 × $5 = [1,000]
    // bare batch result (line 7) at 0.5×: (800 × $1 + 90 × $5) × 0.5 = [625]
    // [5,375 + 10,000 + 1,000 + 625] = $0.017
    let haiku = row(&report, "model", "claude-haiku-4-5");
    assert_eq!(shape(haiku), [4, 13_300, 0, 1500, 0, 2490, 0]);
    assert_eq!(femto(haiku), usd("0.017"));
    // [54,540 + 17,000] = $0.07154
    assert_eq!(femto(&report["total"]), usd("0.07154"));

    // The session from the envelope metadata.
    let by_session = replay_json(&[FILE, "--by", "session"]);
    assert_eq!(femto(row(&by_session, "session", "a-1")), usd("0.05454"));

    // Without --assume-time the file's modification time dates them, and
    // the header says so.
    let by_mtime = replay_json(&[FILE]);
    assert_eq!(by_mtime["calls"].as_u64(), Some(6));
    let notes = by_mtime["notes"].to_string();
    assert!(notes.contains("modification time"), "{notes}");

    // On standard input there is no file time: the problem says how to fix it.
    let text = std::fs::read_to_string(FILE).unwrap();
    let run = costsim(&["replay", "-", "--output", "json"], Some(text.as_bytes()));
    assert!(
        run.stderr.contains(
            "<stdin>:4: field \"timestamp\": missing — Anthropic responses carry no time; give one with --assume-time or wrap them as {\"timestamp\":...,\"response\":{...}}"
        ),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------- OpenTelemetry

/// OTLP export lines (several spans, an agent roll-up span, a non-GenAI
/// span), flat spans, a line without GenAI spans, a re-exported line, a
/// span without a model.
#[test]
fn otel_spans() {
    const FILE: &str = "fixtures/formats/otel-spans.jsonl";
    let report = replay_checked(
        FILE,
        "otel",
        Lines {
            lines: 7,
            calls: 4,      // 2 from line 1, 1 each from lines 2 and 3
            not_calls: 1,  // line 4: HTTP spans only
            duplicates: 1, // line 5 re-exports line 1
            skipped: &[("missing_field", 1), ("malformed_json", 1)],
        },
    );
    // gpt-4o-2024-08-06 (gen_ai.response.model; $2.50 / $1.25 cached / $10):
    // input_tokens 3,000 includes 1,024 cache reads → 1,976;
    // 1,976 × $2.50 + 1,024 × $1.25 + 200 × $10 = [4,940 + 1,280 + 2,000] = $0.00822
    let gpt4o = row(&report, "model", "gpt-4o-2024-08-06");
    assert_eq!(shape(gpt4o), [1, 1976, 1024, 0, 0, 200, 0]);
    assert_eq!(femto(gpt4o), usd("0.00822"));
    // claude-sonnet-4-5: input_tokens 12,000 includes 10,000 reads and 1,500
    // writes → 500; 500 × $3 + 10,000 × $0.30 + 1,500 × $3.75 + 600 × $15
    // = [1,500 + 3,000 + 5,625 + 9,000] = $0.019125
    let sonnet = row(&report, "model", "claude-sonnet-4-5");
    assert_eq!(shape(sonnet), [1, 500, 10_000, 1500, 0, 600, 0]);
    assert_eq!(femto(sonnet), usd("0.019125"));
    // gpt-4o-mini: 8,000 × $0.15 + 1,000 × $0.60 = [1,200 + 600]; and a span
    // reporting 600 cache reads against 500 input tokens (saturates to 0 input):
    // 600 × $0.075 + 100 × $0.60 = [45 + 60]; [1,800 + 105] = $0.001905
    let mini = row(&report, "model", "gpt-4o-mini");
    assert_eq!(shape(mini), [2, 8000, 600, 0, 0, 1100, 0]);
    assert_eq!(femto(mini), usd("0.001905"));
    // The agent span's 15,000 / 800 roll-up is not counted:
    // [8,220 + 19,125 + 1,905] = $0.02925
    assert_eq!(femto(&report["total"]), usd("0.02925"));

    // Sessions: the trace id, or gen_ai.conversation.id where set.
    let by_session = replay_json(&[FILE, "--by", "session"]);
    // [8,220 + 19,125] = $0.027345
    assert_eq!(
        femto(row(
            &by_session,
            "session",
            "4bf92f3577b34da6a3ce929d0e0e4736"
        )),
        usd("0.027345")
    );
    assert_eq!(femto(row(&by_session, "session", "conv-42")), usd("0.0018"));
    // Providers from gen_ai.provider.name / gen_ai.system.
    let by_provider = replay_json(&[FILE, "--by", "provider"]);
    assert_eq!(
        femto(row(&by_provider, "provider", "anthropic")),
        usd("0.019125")
    );
    // [8,220 + 1,905] = $0.010125
    assert_eq!(
        femto(row(&by_provider, "provider", "openai")),
        usd("0.010125")
    );
}

// --------------------------------------------------------------- LiteLLM

/// Spend-log rows: OpenAI and Anthropic cache accounting inside
/// prompt_tokens, metadata as JSON text, naive and `+00` times, a response-
/// cache hit, a bad time, a duplicate request id.
#[test]
fn litellm_spend_logs() {
    const FILE: &str = "fixtures/formats/litellm-spend.jsonl";
    let report = replay_checked(
        FILE,
        "litellm",
        Lines {
            lines: 8,
            calls: 4,
            not_calls: 1,  // cache_hit "True": answered by LiteLLM's cache
            duplicates: 1, // chatcmpl-L1 twice
            skipped: &[("bad_timestamp", 1), ("malformed_json", 1)],
        },
    );
    // gpt-4o: prompt 1,200 − 1,024 cached = 176 → $0.00472 (as in openai-chat.jsonl)
    let gpt4o = row(&report, "model", "gpt-4o");
    assert_eq!(shape(gpt4o), [1, 176, 1024, 0, 0, 300, 0]);
    assert_eq!(femto(gpt4o), usd("0.00472"));
    // claude-sonnet-4-5: prompt 10,230 − 8,000 read − 2,200 written = 30;
    // 30 × $3 + 8,000 × $0.30 + 2,200 × $3.75 + 500 × $15 = [90 + 2,400 + 8,250 + 7,500] = $0.01824
    let sonnet = row(&report, "model", "claude-sonnet-4-5");
    assert_eq!(shape(sonnet), [1, 30, 8000, 2200, 0, 500, 0]);
    assert_eq!(femto(sonnet), usd("0.01824"));
    // gpt-4o-mini, no usage_object: 2,000 × $0.15 + 500 × $0.60 = [300 + 300] = $0.0006
    let mini = row(&report, "model", "gpt-4o-mini");
    assert_eq!(shape(mini), [1, 2000, 0, 0, 0, 500, 0]);
    assert_eq!(femto(mini), usd("0.0006"));
    // claude-haiku-4-5: prompt 5,000 − 4,000 one-hour writes = 1,000;
    // 1,000 × $1 + 4,000 × $2 + 200 × $5 = [1,000 + 8,000 + 1,000] = $0.01
    let haiku = row(&report, "model", "claude-haiku-4-5");
    assert_eq!(shape(haiku), [1, 1000, 0, 0, 4000, 200, 0]);
    assert_eq!(femto(haiku), usd("0.01"));
    // [4,720 + 18,240 + 600 + 10,000] = $0.03356
    assert_eq!(femto(&report["total"]), usd("0.03356"));

    // Accounts are teams (key alias → tag), rows without a team: default.
    let by_account = replay_json(&[FILE, "--by", "account"]);
    assert_eq!(femto(row(&by_account, "account", "search")), usd("0.00472"));
    // [18,240 + 10,000] = $0.02824
    assert_eq!(
        femto(row(&by_account, "account", "support")),
        usd("0.02824")
    );
    assert_eq!(femto(row(&by_account, "account", "default")), usd("0.0006"));
    let by_key = replay_json(&[FILE, "--by", "tag:api_key"]);
    assert_eq!(
        femto(row(&by_key, "tag:api_key", "support-prod")),
        usd("0.02824")
    );
    let by_provider = replay_json(&[FILE, "--by", "provider"]);
    assert_eq!(
        femto(row(&by_provider, "provider", "anthropic")),
        usd("0.02824")
    );
}

// -------------------------------------------------------------- Langfuse

/// A Langfuse export (one JSON array): OpenAI usage types split out of
/// input/output, Anthropic cache types, the older `usage` object, spans and
/// events, an errored generation, a missing model, a duplicate.
#[test]
fn langfuse_observations() {
    const FILE: &str = "fixtures/formats/langfuse.json";
    let report = replay_checked(
        FILE,
        "langfuse",
        Lines {
            lines: 9,
            calls: 4,
            not_calls: 3,  // a SPAN, an EVENT, an ERROR generation without usage
            duplicates: 1, // obs-g1 exported twice
            skipped: &[("missing_field", 1)], // model null
        },
    );
    // gpt-4o: input 176 + input_cached_tokens 1,024 + output 300 → $0.00472
    let gpt4o = row(&report, "model", "gpt-4o");
    assert_eq!(shape(gpt4o), [1, 176, 1024, 0, 0, 300, 0]);
    assert_eq!(femto(gpt4o), usd("0.00472"));
    // claude-sonnet-4-5: 40 × $3 + 5,000 × $0.30 + 1,000 × $3.75 + 700 × $15
    // = [120 + 1,500 + 3,750 + 10,500] = $0.01587
    let sonnet = row(&report, "model", "claude-sonnet-4-5");
    assert_eq!(shape(sonnet), [1, 40, 5000, 1000, 0, 700, 0]);
    assert_eq!(femto(sonnet), usd("0.01587"));
    // gpt-4o-mini (usage {input, output}): 3,000 × $0.15 + 400 × $0.60 = [450 + 240] = $0.00069
    let mini = row(&report, "model", "gpt-4o-mini");
    assert_eq!(shape(mini), [1, 3000, 0, 0, 0, 400, 0]);
    assert_eq!(femto(mini), usd("0.00069"));
    // o4-mini: output 476 + output_reasoning_tokens 1,024 = 1,500:
    // 952 × $1.10 + 2,048 × $0.275 + 1,500 × $4.40 = $0.0082104 (as in openai-chat.jsonl)
    let o4 = row(&report, "model", "o4-mini");
    assert_eq!(shape(o4), [1, 952, 2048, 0, 0, 1500, 1024]);
    assert_eq!(femto(o4), usd("0.0082104"));
    // [4,720 + 15,870 + 690 + 8,210.4] = $0.0294904
    assert_eq!(femto(&report["total"]), usd("0.0294904"));

    let by_session = replay_json(&[FILE, "--by", "session"]);
    assert_eq!(
        femto(row(&by_session, "session", "trace-lf-2")),
        usd("0.01587")
    );
}

// ------------------------------------------------------------ Together

const ALL: [&str; 7] = [
    "fixtures/formats/openai-chat.jsonl",
    "fixtures/formats/openai-responses.jsonl",
    "fixtures/formats/openai-batch.jsonl",
    "fixtures/formats/anthropic-messages.jsonl",
    "fixtures/formats/otel-spans.jsonl",
    "fixtures/formats/litellm-spend.jsonl",
    "fixtures/formats/langfuse.json",
];

/// The seven files in one run: each is detected as its own format (no
/// detector claims another's file) and the total is the sum of the totals.
#[test]
fn all_log_formats_in_one_run() {
    let mut args = ALL.to_vec();
    args.extend(["--assume-time", ASSUMED]);
    let report = replay_json(&args);
    let formats = report["formats"].as_object().expect("formats");
    let want = [
        ("openai", 3),
        ("anthropic", 1),
        ("otel", 1),
        ("litellm", 1),
        ("langfuse", 1),
    ];
    assert_eq!(formats.len(), want.len(), "{formats:?}");
    for (name, n) in want {
        assert_eq!(formats[name].as_u64(), Some(n), "{formats:?}");
    }
    // $0.0142804 + $0.036465 + $0.01779 + $0.07154 + $0.02925 + $0.03356 + $0.0294904
    // = $0.2323758
    assert_eq!(femto(&report["total"]), usd("0.2323758"));
    assert_eq!(report["calls"].as_u64(), Some(29));
    assert_eq!(report["lines"].as_u64(), Some(58));
    assert_eq!(report["lines_without_usage"].as_u64(), Some(11));
    assert_eq!(report["duplicates_folded"].as_u64(), Some(7));
    assert_eq!(report["skipped"]["total"].as_u64(), Some(12));
}

/// Forcing the wrong format prices nothing: every line is reported as not
/// being that format, never read as a wrong call.
#[test]
fn a_forced_wrong_format_prices_nothing() {
    let run = costsim(
        &[
            "replay",
            "fixtures/formats/openai-chat.jsonl",
            "--format",
            "anthropic",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no calls to price"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("openai-chat.jsonl:1: record: not an Anthropic response"),
        "{}",
        run.stderr
    );
}

/// The same calls written as OpenAI Chat Completions (openai-chat.jsonl)
/// and, by hand, as canonical records give the same rows to the
/// femto-dollar, whatever the grouping.
#[test]
fn openai_chat_and_its_canonical_twin_cost_the_same() {
    // Line by line, what openai-chat.jsonl's four calls are: input excludes
    // the cached tokens, the envelope gives time, account, session and tags.
    const TWIN: &str = concat!(
        r#"{"ts":"2026-03-02T09:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input":176,"cache_read":1024,"output":300},"id":"chatcmpl-C1a"}"#,
        "\n",
        r#"{"ts":"2026-03-02T09:01:00Z","provider":"openai","model":"gpt-4o-mini-2024-07-18","usage":{"input":5000,"output":800},"id":"chatcmpl-C2b"}"#,
        "\n",
        r#"{"ts":"2026-03-02T09:05:00Z","provider":"openai","model":"o4-mini-2025-04-16","account":"acme","session":"s-1","tags":{"team":"search"},"usage":{"input":952,"cache_read":2048,"output":1500,"reasoning":1024},"id":"chatcmpl-C3c"}"#,
        "\n",
        r#"{"ts":"2026-03-02T09:10:00Z","provider":"openai","model":"gpt-4o-mini-2024-07-18","usage":{"input":400,"output":100},"id":"chatcmpl-C5s"}"#,
        "\n",
    );
    for by in ["model", "account", "session", "day", "provider", "tag:team"] {
        let twin = costsim(
            &["replay", "-", "--by", by, "--output", "json"],
            Some(TWIN.as_bytes()),
        );
        assert_eq!(twin.code, 0, "{}", twin.stderr);
        let twin: Value = serde_json::from_str(&twin.stdout).expect("JSON");
        assert_eq!(twin["formats"]["canonical"].as_u64(), Some(1));
        let log = replay_json(&[OPENAI_CHAT, "--by", by]);
        assert_eq!(log["rows"], twin["rows"], "--by {by}");
        assert_eq!(log["total"], twin["total"], "--by {by}");
    }
    // The same gpt-4o call also appears in the LiteLLM and Langfuse
    // fixtures, and the same o4-mini call in the Langfuse one: same tokens,
    // same cost.
    let chat = replay_json(&[OPENAI_CHAT]);
    for file in [
        "fixtures/formats/litellm-spend.jsonl",
        "fixtures/formats/langfuse.json",
    ] {
        let other = replay_json(&[file]);
        let (a, b) = (
            row(&chat, "model", "gpt-4o"),
            row(&other, "model", "gpt-4o"),
        );
        assert_eq!(shape(a), shape(b), "{file}");
        assert_eq!(femto(a), femto(b), "{file}");
    }
    let langfuse = replay_json(&["fixtures/formats/langfuse.json"]);
    let (a, b) = (
        row(&chat, "model", "o4-mini"),
        row(&langfuse, "model", "o4-mini"),
    );
    assert_eq!(shape(a), shape(b));
    assert_eq!(femto(a), femto(b));
}

/// --strict turns the fixtures' deliberate bad lines into exit 2.
#[test]
fn strict_refuses_the_bad_lines() {
    let run = costsim(
        &[
            "replay",
            "fixtures/formats/openai-batch.jsonl",
            "--strict",
            "--quiet",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// A response logged in two files with different counts (a LiteLLM row
/// rewritten, say): the run keeps the copy earliest in input order (the
/// first file by path, then the first line), whatever the thread count and
/// the order of the arguments; it used to keep whichever a thread read first.
#[test]
fn a_response_in_two_files_keeps_the_earliest_copy_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let row = |id: &str, prompt: u64| {
        format!(
            r#"{{"request_id":"{id}","call_type":"acompletion","api_key":"k","spend":0.0,"startTime":"2026-03-09T10:00:00Z","endTime":"2026-03-09T10:00:01Z","model":"gpt-4o","custom_llm_provider":"openai","prompt_tokens":{prompt},"completion_tokens":10,"total_tokens":{}}}"#,
            prompt + 10
        )
    };
    // a.jsonl holds the copy late, b.jsonl first: a reader of b alone
    // meets it long before a reader of a does.
    let a: Vec<String> = (0..20_000)
        .map(|i| row(&format!("a-{i}"), 10))
        .chain([row("dup", 100)])
        .collect();
    let b: Vec<String> = [row("dup", 5_000)]
        .into_iter()
        .chain((0..20_000).map(|i| row(&format!("b-{i}"), 10)))
        .collect();
    let (pa, pb) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    std::fs::write(&pa, a.join("\n") + "\n").unwrap();
    std::fs::write(&pb, b.join("\n") + "\n").unwrap();
    let (pa, pb) = (pa.to_str().unwrap(), pb.to_str().unwrap());
    for threads in ["1", "2", "4"] {
        for files in [[pa, pb], [pb, pa]] {
            let report = replay_json(&[files[0], files[1], "--threads", threads]);
            // 40,000 rows of 10 prompt tokens, and a.jsonl's copy: 100.
            assert_eq!(
                report["total"]["tokens"]["input"], 400_100,
                "--threads {threads}, {files:?}"
            );
            assert_eq!(report["duplicates_folded"], 1);
        }
    }
}
