//! Anthropic Console usage export (CSV): one row per day × model ×
//! workspace × API key (× usage type × context window in newer exports),
//! with the prompt split the way it is billed:
//!
//! ```text
//! usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,web_search_count,inference_geo,speed
//! 2026-03-22,claude-sonnet-4-5-20250929,prod-key,Default,standard,≤ 200k,100000,0,0,0,5000,0,not_available,
//! ```
//!
//! Rows are sums over many requests: see [`csv_columns::pieces`] for how a
//! row becomes calls. `context_window` "> 200k" rows are requests above the
//! long-context threshold and are priced at its rates.

use super::csv_columns::{self, may, need, CsvReader, Row, Want};
use super::format::{Context, InputFormat, Parsed, Sniff};
use super::LineProblem;
use crate::record::{Call, OptionKey, Usage, DEFAULT_ACCOUNT};

pub static FORMAT: InputFormat = InputFormat {
    name: "anthropic-usage-csv",
    title: "Anthropic Console usage export (CSV)",
    example: "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens\n2026-03-02,claude-sonnet-4-5-20250929,prod-key,Research,standard,≤ 200k,84000,12000,0,310000,9000",
    mapping: "one row per day × model × workspace × API key: ts = the day (00:00 UTC), model = model_version, account = workspace, tags api_key, usage_type, context_window; input = usage_input_tokens_no_cache, cache_write_5m / cache_write_1h = usage_input_tokens_cache_write_5m / _1h, cache_read = usage_input_tokens_cache_read, output = usage_output_tokens (empty cells are 0); usage_type \"batch\" is priced as batch; a cost column (cost_usd, cost, amount) is the billed cost. A row sums many requests, so it becomes calls of at most 100k prompt tokens each (at least 200,001 when context_window says \"> 200k\") and long-context tiers apply as they would per request",
    detect,
    parser: |_: &Context| Box::new(CsvReader::new(&WANTS, read_row)),
};

const DATE: usize = 0;
const MODEL: usize = 1;
const WORKSPACE: usize = 2;
const API_KEY: usize = 3;
const INPUT: usize = 4;
const WRITE_5M: usize = 5;
const WRITE_1H: usize = 6;
const READ: usize = 7;
const OUTPUT: usize = 8;
const USAGE_TYPE: usize = 9;
const CONTEXT_WINDOW: usize = 10;
const COST: usize = 11;
const CURRENCY: usize = 12;
const WEB_SEARCHES: usize = 13;
const INFERENCE_GEO: usize = 14;
const SPEED: usize = 15;

static WANTS: [Want; 16] = [
    need(
        "usage_date_utc",
        &[
            "usage_date_utc",
            "usage_date",
            "date_utc",
            "date",
            "day",
            "starting_at",
            "bucket_start",
        ],
    ),
    need(
        "model_version",
        &["model_version", "model", "model_name", "model_id"],
    ),
    may(
        "workspace",
        &["workspace", "workspace_name", "workspace_id"],
    ),
    may(
        "api_key",
        &["api_key", "api_key_name", "api_key_id", "key_name", "key"],
    ),
    need(
        "usage_input_tokens_no_cache",
        &[
            "usage_input_tokens_no_cache",
            "input_tokens_no_cache",
            "uncached_input_tokens",
            "usage_uncached_input_tokens",
            "input_no_cache_tokens",
        ],
    ),
    may(
        "usage_input_tokens_cache_write_5m",
        &[
            "usage_input_tokens_cache_write_5m",
            "input_tokens_cache_write_5m",
            "cache_write_5m_input_tokens",
            "cache_creation_5m_input_tokens",
            "ephemeral_5m_input_tokens",
            "cache_write_5m",
            // Exports from before the 1-hour TTL: every write was 5m.
            "usage_input_tokens_cache_write",
            "input_tokens_cache_write",
            "cache_creation_input_tokens",
        ],
    ),
    may(
        "usage_input_tokens_cache_write_1h",
        &[
            "usage_input_tokens_cache_write_1h",
            "input_tokens_cache_write_1h",
            "cache_write_1h_input_tokens",
            "cache_creation_1h_input_tokens",
            "ephemeral_1h_input_tokens",
            "cache_write_1h",
        ],
    ),
    may(
        "usage_input_tokens_cache_read",
        &[
            "usage_input_tokens_cache_read",
            "input_tokens_cache_read",
            "cache_read_input_tokens",
            "cache_read_tokens",
            "cache_read",
        ],
    ),
    need(
        "usage_output_tokens",
        &["usage_output_tokens", "output_tokens"],
    ),
    may("usage_type", &["usage_type", "service_tier"]),
    may("context_window", &["context_window"]),
    may(
        "cost_usd",
        &[
            "cost_usd",
            "cost",
            "total_cost_usd",
            "total_cost",
            "amount_usd",
            "amount",
        ],
    ),
    may("currency", &["currency", "cost_currency"]),
    may("web_search_count", &["web_search_count", "web_searches"]),
    may("inference_geo", &["inference_geo"]),
    may("speed", &["speed"]),
];

/// Header names only this export uses.
const MARKERS: [&str; 5] = [
    "usage_input_tokens_no_cache",
    "usage_input_tokens_cache_read",
    "usage_output_tokens",
    "uncached_input_tokens",
    "input_tokens_no_cache",
];

fn detect(sniff: &Sniff) -> bool {
    csv_columns::sniff_columns(sniff).is_some_and(|cols| csv_columns::has_any(&cols, &MARKERS))
}

/// Whether a `context_window` value names the long-context bucket
/// (`> 200k`, `200k-1M`) rather than `≤ 200k` / `0-200k`.
fn long_context(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    v.starts_with('>') || v.starts_with("200k-") || v.starts_with("200k–")
}

fn read_row(row: &Row) -> Result<Parsed, LineProblem> {
    let ts = row.time(DATE)?;
    let model = csv_columns::model_id(row.required_text(MODEL)?);
    row.check_usd(CURRENCY)?;
    let usage = Usage {
        input: row.count(INPUT)?.unwrap_or(0),
        cache_write_5m: row.count(WRITE_5M)?.unwrap_or(0),
        cache_write_1h: row.count(WRITE_1H)?.unwrap_or(0),
        cache_read: row.count(READ)?.unwrap_or(0),
        output: row.count(OUTPUT)?.unwrap_or(0),
        reasoning: 0,
    };
    let mut tags = std::collections::BTreeMap::new();
    for (want, key) in [
        (API_KEY, "api_key"),
        (USAGE_TYPE, "usage_type"),
        (CONTEXT_WINDOW, "context_window"),
    ] {
        if let Some(v) = row.text(want) {
            tags.insert(key.to_string(), v.to_string());
        }
    }
    let batch = row
        .text(USAGE_TYPE)
        .is_some_and(|t| t.to_ascii_lowercase().contains("batch"));
    let long = row.text(CONTEXT_WINDOW).is_some_and(long_context);
    let mut options = crate::record::CallOptions::of([
        (OptionKey::Speed, row.text(SPEED)),
        (OptionKey::ServiceTier, None),
        (OptionKey::InferenceGeo, row.text(INFERENCE_GEO)),
    ]);
    options.add_tool_uses("web_search", row.count(WEB_SEARCHES)?.unwrap_or(0));
    let call = Call {
        account: row.text(WORKSPACE).unwrap_or(DEFAULT_ACCOUNT).to_string(),
        tags,
        batch,
        billed: row.usd(COST)?,
        options,
        ..Call::new(ts, model, usage)
    };
    Ok(csv_columns::aggregate(call, None, long))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::SkipReason;
    use crate::money::Money;

    const HEADER: &str = "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,cost_usd";

    fn parse_all(lines: &[&str]) -> Vec<Parsed> {
        FORMAT.test_parse(lines)
    }

    fn one(row: &str) -> Call {
        FORMAT.test_row(HEADER, row)
    }

    #[test]
    fn reads_a_row() {
        let c = one("2026-03-02,claude-sonnet-4-5-20250929,prod-key,\"Research, EU\",standard,≤ 200k,8400,1200,,31000,900,0.05");
        assert_eq!(c.ts.to_rfc3339(), "2026-03-02T00:00:00+00:00");
        assert_eq!(c.model, "claude-sonnet-4-5-20250929");
        assert_eq!(c.account, "Research, EU");
        assert_eq!(c.tags["api_key"], "prod-key");
        assert_eq!(
            c.usage,
            Usage {
                input: 8400,
                cache_write_5m: 1200,
                cache_write_1h: 0,
                cache_read: 31000,
                output: 900,
                reasoning: 0
            }
        );
        assert!(!c.batch);
        assert_eq!(c.billed, Some(Money(50_000_000_000_000)));
    }

    #[test]
    fn billed_is_exact() {
        let c = one("2026-03-02,claude-haiku-4-5,k,W,batch,,10,0,0,0,10,12.345678901234");
        assert_eq!(c.billed, Some(Money(12_345_678_901_234_000)));
        assert!(c.batch);
        let parsed = parse_all(&[
            HEADER,
            "2026-03-02,claude-haiku-4-5,k,W,,,10,0,0,0,10,-1.00",
        ]);
        assert!(
            matches!(&parsed[1], Parsed::Problem(p) if p.reason == SkipReason::BadField && p.message.contains("cost_usd"))
        );
    }

    #[test]
    fn big_rows_become_calls_below_the_long_context_threshold() {
        let parsed = parse_all(&[
            HEADER,
            "2026-03-02,claude-sonnet-4-5,k,W,standard,≤ 200k,1000000,0,0,200000,50000,",
            "2026-03-02,claude-sonnet-4-5,k,W,standard,> 200k,1000000,0,0,200000,50000,",
        ]);
        let Parsed::Calls(short) = &parsed[1] else {
            panic!("{:?}", parsed[1])
        };
        assert_eq!(short.len(), 12);
        assert!(short.iter().all(|c| c.usage.prompt_tokens() <= 100_000));
        assert_eq!(short.iter().map(|c| c.usage.output).sum::<u64>(), 50000);
        let Parsed::Calls(long) = &parsed[2] else {
            panic!("{:?}", parsed[2])
        };
        assert_eq!(long.len(), 5);
        assert!(long.iter().all(|c| c.usage.prompt_tokens() > 200_000));
    }

    #[test]
    fn problems_name_the_column() {
        let parsed = parse_all(&[
            HEADER,
            "2026-03-02,claude-haiku-4-5,k,W,,,-5,0,0,0,10,",
            "2026-03-32,claude-haiku-4-5,k,W,,,5,0,0,0,10,",
            "2026-03-02,,k,W,,,5,0,0,0,10,",
        ]);
        let problems: Vec<&LineProblem> = parsed[1..]
            .iter()
            .map(|p| match p {
                Parsed::Problem(p) => p,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(problems[0].reason, SkipReason::BadTokenCount);
        assert!(problems[0].message.contains("usage_input_tokens_no_cache"));
        assert_eq!(problems[1].reason, SkipReason::BadTimestamp);
        assert_eq!(problems[2].reason, SkipReason::MissingField);
        assert!(problems[2].message.contains("model_version"));
    }

    #[test]
    fn missing_required_column_is_named_on_every_row() {
        let parsed = parse_all(&[
            "usage_date_utc,model_version,usage_input_tokens_no_cache,usage_input_tokens_cache_read",
            "2026-03-02,claude-haiku-4-5,5,0",
            "2026-03-02,claude-haiku-4-5,5,0",
        ]);
        for p in &parsed[1..] {
            assert!(
                matches!(p, Parsed::Problem(p) if p.reason == SkipReason::MissingField && p.message.contains("usage_output_tokens")),
                "{p:?}"
            );
        }
    }

    #[test]
    fn detects_header_variants() {
        let sniff =
            |text: &'static str| Sniff::new(text.lines().map(str::as_bytes).collect(), None);
        assert!(detect(&sniff(HEADER)));
        assert!(detect(&sniff(
            "Usage Date (UTC),Model,Workspace,Uncached Input Tokens,Output Tokens"
        )));
        assert!(!detect(&sniff("date,model,input_tokens,output_tokens")));
        assert!(!detect(&sniff(r#"{"usage_output_tokens":1,"a":2,"b":3}"#)));
    }

    #[test]
    fn context_windows() {
        assert!(!long_context("≤ 200k"));
        assert!(!long_context("0-200k"));
        assert!(long_context("> 200k"));
        assert!(long_context("200k-1M"));
    }
}
