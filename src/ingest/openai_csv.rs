//! OpenAI usage export (CSV): the dashboard's usage export, or the
//! Usage API's completions buckets written as CSV, one row per time bucket
//! × model × project × API key × batch.
//!
//! ```text
//! start_time,end_time,project_id,num_model_requests,user_id,api_key_id,model,batch,input_tokens,output_tokens,input_cached_tokens
//! 1772409600,1772496000,proj_abc,120,,key_xyz,gpt-5-mini-2025-08-07,false,600000,90000,400000
//! ```
//!
//! `input_tokens` includes `input_cached_tokens`. A cost column (`amount`,
//! `cost`), as in a cost export joined to usage, is the billed cost.

use std::collections::BTreeMap;

use super::csv_columns::{self, may, need, CsvReader, Row, Want};
use super::format::{Context, InputFormat, Parsed, Sniff};
use super::LineProblem;
use crate::record::{Call, OptionKey, Usage, DEFAULT_ACCOUNT};

pub static FORMAT: InputFormat = InputFormat {
    name: "openai-usage-csv",
    title: "OpenAI usage/cost export (CSV)",
    example: "start_time,end_time,project_id,num_model_requests,user_id,api_key_id,model,batch,input_tokens,output_tokens,input_cached_tokens\n1772409600,1772496000,proj_abc,120,,key_xyz,gpt-5-mini-2025-08-07,false,600000,90000,400000",
    mapping: "one row per time bucket × model × project × API key (a bucket row without model or tokens is not a call): ts = start_time (epoch seconds or ISO), account = project_id, tags api_key (api_key_id), project (project_name), user (user_id), service_tier; input = input_tokens − input_cached_tokens, cache_read = input_cached_tokens, output = output_tokens (empty cells are 0); batch = true is priced as batch; service_tier (flex, priority) is a request option priced by the catalog; a cost column (amount, cost, cost_usd) is the billed cost (USD only). A row sums num_model_requests requests, so it becomes calls of the row's mean request size (at most 100k prompt tokens each when requests are smaller), so long-context tiers apply as they would per request; it counts num_model_requests calls",
    detect,
    parser: |_: &Context| Box::new(CsvReader::new(&WANTS, read_row)),
};

const START: usize = 0;
const MODEL: usize = 1;
const INPUT: usize = 2;
const CACHED: usize = 3;
const OUTPUT: usize = 4;
const REQUESTS: usize = 5;
const PROJECT: usize = 6;
const PROJECT_NAME: usize = 7;
const API_KEY: usize = 8;
const USER: usize = 9;
const BATCH: usize = 10;
const TIER: usize = 11;
const COST: usize = 12;
const CURRENCY: usize = 13;

static WANTS: [Want; 14] = [
    need(
        "start_time",
        &[
            "start_time",
            "start_time_iso",
            "bucket_start_time",
            "start",
            "date",
            "day",
            "timestamp",
        ],
    ),
    need("model", &["model", "model_id", "snapshot_id"]),
    need(
        "input_tokens",
        &[
            "input_tokens",
            "n_context_tokens_total",
            "prompt_tokens",
            "context_tokens",
        ],
    ),
    may(
        "input_cached_tokens",
        &[
            "input_cached_tokens",
            "cached_input_tokens",
            "n_cached_context_tokens_total",
            "cached_tokens",
        ],
    ),
    need(
        "output_tokens",
        &[
            "output_tokens",
            "n_generated_tokens_total",
            "completion_tokens",
            "generated_tokens",
        ],
    ),
    may(
        "num_model_requests",
        &[
            "num_model_requests",
            "n_requests",
            "num_requests",
            "requests",
        ],
    ),
    may("project_id", &["project_id", "project"]),
    may("project_name", &["project_name"]),
    may("api_key_id", &["api_key_id", "api_key_name", "api_key"]),
    may("user_id", &["user_id", "user"]),
    may("batch", &["batch", "is_batch"]),
    may("service_tier", &["service_tier"]),
    may(
        "amount",
        &["amount_value", "amount", "cost_usd", "cost", "amount_usd"],
    ),
    may("amount_currency", &["amount_currency", "currency"]),
];

/// Header names only this export uses.
const MARKERS: [&str; 4] = [
    "num_model_requests",
    "input_cached_tokens",
    "n_context_tokens_total",
    "n_generated_tokens_total",
];

fn detect(sniff: &Sniff) -> bool {
    csv_columns::sniff_columns(sniff).is_some_and(|cols| csv_columns::has_any(&cols, &MARKERS))
}

fn read_row(row: &Row) -> Result<Parsed, LineProblem> {
    let ts = row.time(START)?;
    if row.text(MODEL).is_none()
        && [INPUT, CACHED, OUTPUT, REQUESTS]
            .iter()
            .all(|&want| matches!(row.count(want), Ok(None | Some(0))))
    {
        // A time bucket without usage (the export lists every bucket).
        return Ok(Parsed::NotACall);
    }
    let model = row.required_text(MODEL)?.to_string();
    row.check_usd(CURRENCY)?;
    let input = row.count(INPUT)?.unwrap_or(0);
    let cached = row.count(CACHED)?.unwrap_or(0);
    if cached > input {
        return Err(csv_columns::exceeds(
            row.name(CACHED),
            cached,
            row.name(INPUT),
            input,
        ));
    }
    let output = row.count(OUTPUT)?.unwrap_or(0);
    let requests = row.count(REQUESTS)?;
    let mut tags = BTreeMap::new();
    for (want, key) in [
        (API_KEY, "api_key"),
        (PROJECT_NAME, "project"),
        (USER, "user"),
        (TIER, "service_tier"),
    ] {
        if let Some(v) = row.text(want) {
            tags.insert(key.to_string(), v.to_string());
        }
    }
    let call = Call {
        account: row.text(PROJECT).unwrap_or(DEFAULT_ACCOUNT).to_string(),
        tags,
        batch: row.flag(BATCH) == Some(true),
        options: crate::record::CallOptions::of([
            (OptionKey::Speed, None),
            (OptionKey::ServiceTier, row.text(TIER)),
            (OptionKey::InferenceGeo, None),
        ]),
        billed: row.usd(COST)?,
        ..Call::new(
            ts,
            model,
            Usage {
                input: input - cached,
                cache_read: cached,
                cache_write_5m: 0,
                cache_write_1h: 0,
                output,
                reasoning: 0,
            },
        )
    };
    Ok(csv_columns::aggregate(call, requests, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::SkipReason;
    use crate::money::Money;

    const HEADER: &str = "start_time,end_time,project_id,num_model_requests,user_id,api_key_id,model,batch,input_tokens,output_tokens,input_cached_tokens,amount,currency";

    fn parse_all(lines: &[&str]) -> Vec<Parsed> {
        FORMAT.test_parse(lines)
    }

    fn one(row: &str) -> Call {
        FORMAT.test_row(HEADER, row)
    }

    #[test]
    fn reads_a_bucket() {
        let c = one("1772409600,1772496000,proj_abc,120,,key_xyz,gpt-5-mini-2025-08-07,False,60000,9000,40000,,");
        assert_eq!(c.ts.to_rfc3339(), "2026-03-02T00:00:00+00:00");
        assert_eq!(c.account, "proj_abc");
        assert_eq!(c.tags["api_key"], "key_xyz");
        assert_eq!(c.usage.input, 20000);
        assert_eq!(c.usage.cache_read, 40000);
        assert_eq!(c.usage.output, 9000);
        assert!(!c.batch);
        assert_eq!(c.billed, None);
    }

    #[test]
    fn billed_is_exact() {
        let c = one("2026-03-02T00:00:00Z,,p,1,,k,gpt-5,true,10,10,0,0.000123,usd");
        assert_eq!(c.billed, Some(Money(123_000_000_000)));
        assert!(c.batch);
        let parsed = parse_all(&[HEADER, "2026-03-02,,p,1,,k,gpt-5,,10,10,0,1.5,EUR"]);
        assert!(
            matches!(&parsed[1], Parsed::Problem(p) if p.reason == SkipReason::BadField && p.message.contains("EUR"))
        );
    }

    #[test]
    fn rows_split_by_mean_request_size() {
        // 3 requests of 400k prompt tokens each: three calls of 400k.
        let parsed = parse_all(&[
            HEADER,
            "2026-03-02,,p,3,,k,gpt-5.4,,1200000,3000,0,,",
            "2026-03-02,,p,1000,,k,gpt-5.4,,1200000,3000,0,,",
        ]);
        let Parsed::Calls(big) = &parsed[1] else {
            panic!("{:?}", parsed[1])
        };
        assert_eq!(big.len(), 3);
        assert!(big.iter().all(|c| c.usage.prompt_tokens() == 400_000));
        let Parsed::Calls(small) = &parsed[2] else {
            panic!("{:?}", parsed[2])
        };
        assert_eq!(small.len(), 12);
        assert!(small.iter().all(|c| c.usage.prompt_tokens() == 100_000));
    }

    #[test]
    fn rows_count_their_requests_and_empty_buckets_are_not_calls() {
        let parsed = parse_all(&[
            HEADER,
            "2026-03-02,,p,10.0,,k,gpt-5,FALSE,59200.0,10646.0,5760.0,,",
            "2026-03-03,,,,,,,,,,,,",
            "2026-03-02,,p,1000,,k,gpt-5.4,,1200000,3000,0,,",
        ]);
        let Parsed::Call(one) = &parsed[1] else {
            panic!("{:?}", parsed[1])
        };
        assert_eq!(one.requests, 10);
        assert!(matches!(parsed[2], Parsed::NotACall));
        let Parsed::Calls(pieces) = &parsed[3] else {
            panic!("{:?}", parsed[3])
        };
        assert_eq!(pieces.iter().map(|c| c.requests).sum::<u64>(), 1000);
    }

    #[test]
    fn tab_separated_exports_read_alike() {
        let tsv = |s: &str| s.replace(',', "\t");
        let c = one("1772409600,1772496000,proj_abc,120,,key_xyz,gpt-5-mini-2025-08-07,False,60000,9000,40000,,");
        let t = FORMAT.test_row(
            &tsv(HEADER),
            &tsv("1772409600,1772496000,proj_abc,120,,key_xyz,gpt-5-mini-2025-08-07,False,60000,9000,40000,,"),
        );
        assert_eq!(t, c);
        // A bucket without usage: its trailing empty cells trimmed away.
        let parsed = FORMAT.test_parse(&[&tsv(HEADER), "2026-03-03\t2026-03-04"]);
        assert!(matches!(parsed[1], Parsed::NotACall), "{:?}", parsed[1]);
        let sniff = Sniff::new(vec![tsv(HEADER).into_bytes().leak()], None);
        assert!(detect(&sniff));
    }

    #[test]
    fn cached_above_input_is_inconsistent() {
        let parsed = parse_all(&[HEADER, "2026-03-02,,p,1,,k,gpt-5,,10,10,11,,"]);
        assert!(matches!(&parsed[1], Parsed::Problem(p) if p.reason == SkipReason::Inconsistent));
    }
}
