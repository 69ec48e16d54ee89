//! OpenRouter activity export (CSV): one row per generation.
//!
//! ```text
//! generation_id,created_at,cost_total,cost_cache,tokens_prompt,tokens_completion,tokens_reasoning,tokens_cached,model_permaslug,provider_name,app_name,api_key_name,cancelled
//! gen-1772442000-a1,2026-03-02 09:00:00.000,0.011622,0,10389,137,0,8000,anthropic/claude-4.5-sonnet-20250929,Anthropic,,prod,false
//! ```
//!
//! `tokens_prompt` includes `tokens_cached` (and cache writes, where an
//! export has a column for them); `tokens_completion` includes
//! `tokens_reasoning`. Where both the normalised and the `native_…` counts
//! are present, the native ones (what the provider bills) are read.
//!
//! Not known from the export: cache writes (for Anthropic models they are
//! inside `tokens_prompt` and so priced as plain input unless a cache-write
//! column is present), and `:free` variants or BYOK generations, which
//! costsim prices at list price; `variant` is kept as a tag to find them.

use std::collections::BTreeMap;

use super::csv_columns::{self, may, need, CsvReader, Row, Want};
use super::format::{Context, InputFormat, Sniff};
use super::LineProblem;
use crate::record::{Call, Usage};

pub static FORMAT: InputFormat = InputFormat {
    name: "openrouter-csv",
    title: "OpenRouter activity export (CSV)",
    example: "generation_id,created_at,cost_total,cost_cache,tokens_prompt,tokens_completion,tokens_reasoning,tokens_cached,model_permaslug,provider_name,app_name,api_key_name,cancelled\ngen-1772442000-a1,2026-03-02 09:00:00.000,0.011622,0,10389,137,0,8000,anthropic/claude-4.5-sonnet-20250929,Anthropic,,prod,false",
    mapping: "one row per generation: ts = created_at (UTC when it has no offset), model = model_permaslug (kept as written when the catalog does not know it), input = tokens_prompt − tokens_cached (− a cache-write column if any), cache_read = tokens_cached, output = tokens_completion (reasoning included), reasoning = tokens_reasoning, billed = cost_total, id = generation_id (duplicates across files folded), latency_ms = generation_time_ms; tags provider (provider_name), app (app_name), api_key (api_key_name), user, variant; cancelled = true → success false; native_tokens_* columns win over tokens_* when both are present",
    detect,
    parser: |ctx: &Context| {
        let dedup = ctx.dedup.clone();
        Box::new(CsvReader::new(&WANTS, move |row| {
            read_row(row).map(|call| dedup.call("openrouter", call))
        }))
    },
};

const ID: usize = 0;
const CREATED: usize = 1;
const MODEL: usize = 2;
const PROMPT: usize = 3;
const COMPLETION: usize = 4;
const REASONING: usize = 5;
const CACHED: usize = 6;
const CACHE_WRITE: usize = 7;
const COST: usize = 8;
const PROVIDER: usize = 9;
const APP: usize = 10;
const API_KEY: usize = 11;
const CANCELLED: usize = 12;
const LATENCY: usize = 13;
const USER: usize = 14;
const VARIANT: usize = 15;

static WANTS: [Want; 16] = [
    may("generation_id", &["generation_id", "id"]),
    need(
        "created_at",
        &["created_at", "created", "timestamp", "date"],
    ),
    need(
        "model_permaslug",
        &["model_permaslug", "model", "model_slug"],
    ),
    need(
        "tokens_prompt",
        &["native_tokens_prompt", "tokens_prompt", "prompt_tokens"],
    ),
    need(
        "tokens_completion",
        &[
            "native_tokens_completion",
            "tokens_completion",
            "completion_tokens",
        ],
    ),
    may(
        "tokens_reasoning",
        &[
            "native_tokens_reasoning",
            "tokens_reasoning",
            "reasoning_tokens",
        ],
    ),
    may(
        "tokens_cached",
        &["native_tokens_cached", "tokens_cached", "cached_tokens"],
    ),
    may(
        "tokens_cache_write",
        &[
            "native_tokens_cache_write",
            "tokens_cache_write",
            "tokens_cache_creation",
            "cache_write_tokens",
        ],
    ),
    may("cost_total", &["cost_total", "total_cost", "cost", "usage"]),
    may("provider_name", &["provider_name", "provider"]),
    may("app_name", &["app_name", "app"]),
    may("api_key_name", &["api_key_name", "api_key", "key_name"]),
    may("cancelled", &["cancelled", "canceled"]),
    may("generation_time_ms", &["generation_time_ms", "latency_ms"]),
    may("user", &["user", "user_id"]),
    may("variant", &["variant"]),
];

/// Header names only this export uses.
const MARKERS: [&str; 4] = [
    "generation_id",
    "model_permaslug",
    "tokens_prompt",
    "native_tokens_prompt",
];

fn detect(sniff: &Sniff) -> bool {
    csv_columns::sniff_columns(sniff).is_some_and(|cols| csv_columns::has_any(&cols, &MARKERS))
}

fn read_row(row: &Row) -> Result<Call, LineProblem> {
    let ts = row.time(CREATED)?;
    let model = row.required_text(MODEL)?.to_string();
    let prompt = row.count(PROMPT)?.unwrap_or(0);
    let completion = row.count(COMPLETION)?.unwrap_or(0);
    let reasoning = row.count(REASONING)?.unwrap_or(0);
    let cached = row.count(CACHED)?.unwrap_or(0);
    let written = row.count(CACHE_WRITE)?.unwrap_or(0);
    if cached + written > prompt {
        let part = if written == 0 {
            row.name(CACHED).to_string()
        } else {
            format!("{} + {}", row.name(CACHED), row.name(CACHE_WRITE))
        };
        return Err(csv_columns::exceeds(
            &part,
            cached + written,
            row.name(PROMPT),
            prompt,
        ));
    }
    if reasoning > completion {
        return Err(csv_columns::exceeds(
            row.name(REASONING),
            reasoning,
            row.name(COMPLETION),
            completion,
        ));
    }
    let mut tags = BTreeMap::new();
    for (want, key) in [
        (PROVIDER, "provider"),
        (APP, "app"),
        (API_KEY, "api_key"),
        (USER, "user"),
        (VARIANT, "variant"),
    ] {
        if let Some(v) = row.text(want) {
            tags.insert(key.to_string(), v.to_string());
        }
    }
    let cancelled = row.flag(CANCELLED) == Some(true);
    if cancelled {
        tags.insert("cancelled".to_string(), "true".to_string());
    }
    Ok(Call {
        tags,
        success: cancelled.then_some(false),
        latency_ms: row.count(LATENCY).ok().flatten(),
        id: row.text(ID).map(str::to_string),
        billed: row.usd(COST)?,
        ..Call::new(
            ts,
            model,
            Usage {
                input: prompt - cached - written,
                cache_read: cached,
                cache_write_5m: written,
                cache_write_1h: 0,
                output: completion,
                reasoning,
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::Parsed;
    use crate::ingest::SkipReason;
    use crate::money::Money;

    const HEADER: &str = "generation_id,created_at,cost_total,cost_cache,tokens_prompt,tokens_completion,tokens_reasoning,tokens_cached,model_permaslug,provider_name,app_name,api_key_name,cancelled,generation_time_ms";

    fn parse_all(lines: &[&str]) -> Vec<Parsed> {
        FORMAT.test_parse(lines)
    }

    fn one(row: &str) -> Call {
        FORMAT.test_row(HEADER, row)
    }

    #[test]
    fn reads_a_generation() {
        let c = one("gen-1,2026-03-02 09:00:00.000,0.00041775,0,10389,137,37,8000,anthropic/claude-4.5-sonnet-20250929,Google Vertex,\"Acme, Inc.\",prod,false,1234");
        assert_eq!(c.ts.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        assert_eq!(c.model, "anthropic/claude-4.5-sonnet-20250929");
        assert_eq!(c.usage.input, 2389);
        assert_eq!(c.usage.cache_read, 8000);
        assert_eq!(c.usage.output, 137);
        assert_eq!(c.usage.reasoning, 37);
        assert_eq!(c.billed, Some(Money(417_750_000_000)));
        assert_eq!(c.id.as_deref(), Some("gen-1"));
        assert_eq!(c.tags["provider"], "Google Vertex");
        assert_eq!(c.tags["app"], "Acme, Inc.");
        assert_eq!(c.latency_ms, Some(1234));
        assert_eq!(c.success, None);
        assert_eq!(c.provider, None);
    }

    #[test]
    fn billed_is_exact() {
        for (text, femto) in [
            ("0.019896", 19_896_000_000_000i128),
            ("1.2e-05", 12_000_000_000),
            ("0.000000123456789", 123_456_789),
            ("0", 0),
        ] {
            let c = one(&format!(
                "gen-x,2026-03-02T09:00:00Z,{text},0,10,5,0,0,openai/gpt-5-mini,OpenAI,,k,true,"
            ));
            assert_eq!(c.billed, Some(Money(femto)), "{text}");
            assert_eq!(c.success, Some(false));
        }
        let c = one("gen-y,2026-03-02T09:00:00Z,,0,10,5,0,0,openai/gpt-5-mini,OpenAI,,k,,");
        assert_eq!(c.billed, None);
    }

    #[test]
    fn inconsistent_counts_are_problems() {
        let parsed = parse_all(&[
            HEADER,
            "g1,2026-03-02T09:00:00Z,0.1,0,100,5,0,101,openai/gpt-5-mini,OpenAI,,k,,",
            "g2,2026-03-02T09:00:00Z,0.1,0,100,5,6,0,openai/gpt-5-mini,OpenAI,,k,,",
            "g3,2026-03-02T09:00:00Z,0.1,0,-100,5,0,0,openai/gpt-5-mini,OpenAI,,k,,",
        ]);
        let reasons: Vec<SkipReason> = parsed[1..]
            .iter()
            .map(|p| match p {
                Parsed::Problem(p) => p.reason,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            reasons,
            [
                SkipReason::Inconsistent,
                SkipReason::Inconsistent,
                SkipReason::BadTokenCount
            ]
        );
    }

    #[test]
    fn the_same_generation_twice_is_folded() {
        let row = "gen-1,2026-03-02T09:00:00Z,0.1,0,100,5,0,0,openai/gpt-5-mini,OpenAI,,k,,";
        let parsed = parse_all(&[HEADER, row, HEADER, row]);
        assert_eq!(parsed[1].copy_keys().len(), 1);
        assert!(matches!(parsed[2], Parsed::NotACall));
        // The same generation: one response, kept once by the run.
        assert_eq!(parsed[3].copy_keys(), parsed[1].copy_keys());
    }

    #[test]
    fn native_counts_win() {
        let mut p = FORMAT.test_parser();
        p.parse(b"generation_id,created_at,model_permaslug,tokens_prompt,tokens_completion,native_tokens_prompt,native_tokens_completion");
        let parsed = p.parse(b"g,2026-03-02T09:00:00Z,openai/gpt-5,10,20,11,21");
        let c = parsed.one_call().expect("a call");
        assert_eq!((c.usage.input, c.usage.output), (11, 21));
    }
}
