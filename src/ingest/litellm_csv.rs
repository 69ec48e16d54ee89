//! LiteLLM spend logs exported as CSV (the `LiteLLM_SpendLogs` table, as
//! the admin UI or `COPY … TO … CSV` writes it): one row per request.
//!
//! ```text
//! request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,model,model_group,custom_llm_provider,user,team_id,cache_hit,status,metadata
//! chatcmpl-1,acompletion,88dc28…,0.00123,1500,1200,300,2026-03-02 09:00:00.000,2026-03-02 09:00:01.250,gpt-4o,gpt-4o,openai,alice,team-a,False,success,"{""usage_object"":{""prompt_tokens_details"":{""cached_tokens"":1024}}}"
//! ```
//!
//! The same table as the JSON spend logs (`litellm`), read the same way, so
//! either export of one proxy prices the same:
//!
//! - `prompt_tokens` is LiteLLM's OpenAI-style prompt count, cache included:
//!   `input = prompt_tokens − cache reads − cache writes`, saturating at 0.
//!   Cache reads are the `cache_read_input_tokens` / `cached_tokens` column
//!   when the export has one, else the larger of
//!   `metadata.usage_object.cache_read_input_tokens` and
//!   `…prompt_tokens_details.cached_tokens`; cache writes likewise from
//!   `cache_creation_input_tokens`, 1-hour writes where
//!   `cache_creation_token_details` / `cache_creation` says so. (Some LiteLLM
//!   versions add only the cache reads to Anthropic's `input_tokens`; for
//!   their rows this undercounts input by the cache writes, hence the
//!   saturation.) Without a `usage_object` the whole prompt is input.
//! - `completion_tokens` is the output, reasoning included.
//! - `spend` is the billed cost; `cache_hit` rows (LiteLLM's own response
//!   cache) are not calls; `status` `failure` is a failed call.
//! - account = `metadata.user_api_key_team_alias`, else `team_id`; tags
//!   `api_key` (key alias, else the hashed key), `user`, `end_user`,
//!   `model_group`, `request_tags` (comma-joined), `spend_logs_metadata`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::csv_columns::{self, may, need, CsvReader, Row, Want};
use super::format::{Context, InputFormat, Parsed, Sniff};
use super::{LineProblem, SkipReason};
use crate::record::{Call, Usage, DEFAULT_ACCOUNT};

pub static FORMAT: InputFormat = InputFormat {
    name: "litellm-csv",
    title: "LiteLLM spend logs (CSV export)",
    example: "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,model,model_group,custom_llm_provider,user,team_id,cache_hit,status\nchatcmpl-1,acompletion,88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b,0.0043,1500,1200,300,2026-03-02 09:00:00.000,2026-03-02 09:00:01.250,gpt-4o,gpt-4o,openai,alice,team-a,False,success",
    mapping: "one row per request, read as the JSON spend logs are: ts = startTime (UTC when it has no offset), latency_ms = endTime − startTime, model = model (model_group when empty), provider = custom_llm_provider; prompt_tokens includes the cache: input = prompt_tokens − cache reads (cache_read_input_tokens / cached_tokens column, else metadata.usage_object.cache_read_input_tokens or prompt_tokens_details.cached_tokens) − cache writes (cache_creation_input_tokens, 1h where cache_creation_token_details says), saturating; output = completion_tokens (reasoning included); billed = spend (USD); account = team (metadata.user_api_key_team_alias, else team_id); session = session_id; id = request_id (duplicates across files, and with the JSON export, folded); tags api_key (key alias, else hashed key), user, end_user, model_group, request_tags, spend_logs_metadata; status failure = failed call; cache_hit True rows (LiteLLM's own response cache, no provider call) are not calls",
    detect,
    parser: |ctx: &Context| {
        let dedup = ctx.dedup.clone();
        Box::new(CsvReader::new(&WANTS, move |row| {
            Ok(match read_row(row)? {
                // LiteLLM's own response cache answered: no provider call.
                None => Parsed::NotACall,
                Some(call) => dedup.call("litellm", call),
            })
        }))
    },
};

const ID: usize = 0;
const START: usize = 1;
const END: usize = 2;
const MODEL: usize = 3;
const MODEL_GROUP: usize = 4;
const PROVIDER: usize = 5;
const PROMPT: usize = 6;
const COMPLETION: usize = 7;
const CACHE_READ: usize = 8;
const CACHE_WRITE: usize = 9;
const REASONING: usize = 10;
const SPEND: usize = 11;
const API_KEY: usize = 12;
const TEAM: usize = 13;
const USER: usize = 14;
const END_USER: usize = 15;
const SESSION: usize = 16;
const STATUS: usize = 17;
const CACHE_HIT: usize = 18;
const METADATA: usize = 19;
const REQUEST_TAGS: usize = 20;

static WANTS: [Want; 21] = [
    may("request_id", &["request_id", "id"]),
    need("startTime", &["start_time", "created_at", "timestamp"]),
    may("endTime", &["end_time"]),
    need("model", &["model", "model_name"]),
    may("model_group", &["model_group"]),
    may(
        "custom_llm_provider",
        &["custom_llm_provider", "llm_provider", "provider"],
    ),
    need("prompt_tokens", &["prompt_tokens", "input_tokens"]),
    need("completion_tokens", &["completion_tokens", "output_tokens"]),
    may(
        "cache_read_input_tokens",
        &[
            "cache_read_input_tokens",
            "cached_tokens",
            "prompt_tokens_details_cached_tokens",
        ],
    ),
    may(
        "cache_creation_input_tokens",
        &["cache_creation_input_tokens", "cache_write_tokens"],
    ),
    may(
        "reasoning_tokens",
        &[
            "reasoning_tokens",
            "completion_tokens_details_reasoning_tokens",
        ],
    ),
    may("spend", &["spend", "response_cost", "cost"]),
    may("api_key", &["api_key", "hashed_api_key", "key_alias"]),
    may("team_id", &["team_id", "team_alias"]),
    may("user", &["user", "user_id"]),
    may("end_user", &["end_user"]),
    may("session_id", &["session_id"]),
    may("status", &["status"]),
    may("cache_hit", &["cache_hit"]),
    may("metadata", &["metadata"]),
    may("request_tags", &["request_tags"]),
];

fn detect(sniff: &Sniff) -> bool {
    csv_columns::sniff_columns(sniff).is_some_and(|cols| {
        csv_columns::has_any(&cols, &["spend"])
            && csv_columns::has_any(&cols, &["prompt_tokens"])
            && csv_columns::has_any(&cols, &["request_id", "start_time", "custom_llm_provider"])
    })
}

/// The metadata cell as a JSON object (empty when the cell is); a cell
/// that is not a JSON object is a problem, as in the JSON spend logs.
fn metadata(row: &Row) -> Result<Map<String, Value>, LineProblem> {
    let Some(text) = row.text(METADATA) else {
        return Ok(Map::new());
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(LineProblem::new(
            SkipReason::BadField,
            format!("field \"{}\": expected a JSON object", row.name(METADATA)),
        )),
        Err(e) => Err(LineProblem::new(
            SkipReason::BadField,
            format!(
                "field \"{}\": text that is not JSON: {e}",
                row.name(METADATA)
            ),
        )),
    }
}

/// A count at `path` under `object`; `Err` names a value that is there but
/// is not a count.
fn object_count(
    object: Option<&Map<String, Value>>,
    prefix: &str,
    path: &[&str],
) -> Result<Option<u64>, LineProblem> {
    let Some(mut value) = object.and_then(|u| u.get(path[0])) else {
        return Ok(None);
    };
    for key in &path[1..] {
        match value.get(key) {
            Some(v) => value = v,
            None => return Ok(None),
        }
    }
    match value {
        Value::Null => Ok(None),
        Value::Number(n) if n.as_u64().is_some() => Ok(n.as_u64()),
        Value::Number(n)
            if n.as_f64()
                .is_some_and(|f| f >= 0.0 && f.fract() == 0.0 && f < 9e15) =>
        {
            Ok(n.as_f64().map(|f| f as u64))
        }
        other => Err(LineProblem::new(
            SkipReason::BadTokenCount,
            format!(
                "field \"{prefix}.{}\": `{other}` is not a non-negative integer",
                path.join(".")
            ),
        )),
    }
}

/// A text value (strings as they are, numbers and booleans written out).
fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn read_row(row: &Row) -> Result<Option<Call>, LineProblem> {
    if row.flag(CACHE_HIT) == Some(true) {
        return Ok(None);
    }
    let ts = row.time(START)?;
    let model = match row.text(MODEL).or_else(|| row.text(MODEL_GROUP)) {
        Some(m) => m.to_string(),
        None => {
            return Err(LineProblem::new(
                SkipReason::MissingField,
                format!("field \"{}\": empty (required)", row.name(MODEL)),
            ))
        }
    };
    let meta = metadata(row)?;
    let usage_object = meta.get("usage_object").and_then(Value::as_object);
    let extra = meta
        .get("additional_usage_values")
        .and_then(Value::as_object);
    // From metadata.usage_object, else metadata.additional_usage_values.
    let uo = |path: &[&str]| -> Result<Option<u64>, LineProblem> {
        match object_count(usage_object, "metadata.usage_object", path)? {
            Some(n) => Ok(Some(n)),
            None => object_count(extra, "metadata.additional_usage_values", path),
        }
    };
    let prompt = match row.count(PROMPT)? {
        Some(n) => n,
        None => uo(&["prompt_tokens"])?.unwrap_or(0),
    };
    let completion = match row.count(COMPLETION)? {
        Some(n) => n,
        None => uo(&["completion_tokens"])?.unwrap_or(0),
    };
    let cache_read = match row.count(CACHE_READ)? {
        Some(n) => n,
        None => uo(&["cache_read_input_tokens"])?
            .unwrap_or(0)
            .max(uo(&["prompt_tokens_details", "cached_tokens"])?.unwrap_or(0)),
    };
    let written = match row.count(CACHE_WRITE)? {
        Some(n) => n,
        None => match uo(&["cache_creation_input_tokens"])? {
            Some(n) => n,
            None => uo(&["prompt_tokens_details", "cache_creation_tokens"])?.unwrap_or(0),
        },
    };
    let written_1h = match uo(&[
        "prompt_tokens_details",
        "cache_creation_token_details",
        "ephemeral_1h_input_tokens",
    ])? {
        Some(n) => n,
        None => uo(&["cache_creation", "ephemeral_1h_input_tokens"])?.unwrap_or(0),
    };
    let written = written.max(written_1h);
    let reasoning = match row.count(REASONING)? {
        Some(n) => n,
        None => uo(&["completion_tokens_details", "reasoning_tokens"])?.unwrap_or(0),
    };
    if reasoning > completion {
        return Err(csv_columns::exceeds(
            "reasoning_tokens",
            reasoning,
            row.name(COMPLETION),
            completion,
        ));
    }
    let mut tags = BTreeMap::new();
    let api_key = scalar(meta.get("user_api_key_alias")).or(row.text(API_KEY).map(str::to_string));
    let user = row
        .text(USER)
        .map(str::to_string)
        .or_else(|| scalar(meta.get("user_api_key_user_id")));
    for (key, value) in [
        ("api_key", api_key),
        ("user", user),
        ("end_user", row.text(END_USER).map(str::to_string)),
        ("model_group", row.text(MODEL_GROUP).map(str::to_string)),
    ] {
        if let Some(v) = value {
            tags.insert(key.to_string(), v);
        }
    }
    if let Some(text) = row.text(REQUEST_TAGS) {
        // A JSON list (`["a","b"]`) as the table stores it; other text as is.
        let joined = match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(list)) => list
                .iter()
                .filter_map(|t| scalar(Some(t)))
                .collect::<Vec<_>>()
                .join(","),
            _ => text.to_string(),
        };
        if !joined.is_empty() {
            tags.insert("request_tags".to_string(), joined);
        }
    }
    if let Some(Value::Object(extra_tags)) = meta.get("spend_logs_metadata") {
        for (k, v) in extra_tags {
            if let Some(v) = scalar(Some(v)) {
                tags.entry(k.clone()).or_insert(v);
            }
        }
    }
    let latency_ms = row
        .text(END)
        .and_then(csv_columns::parse_when)
        .and_then(|end| u64::try_from((end - ts).num_milliseconds()).ok());
    let status = row
        .text(STATUS)
        .map(str::to_string)
        .or_else(|| scalar(meta.get("status")));
    let success = status.and_then(|s| match s.to_ascii_lowercase().as_str() {
        "success" => Some(true),
        "failure" | "failed" | "error" => Some(false),
        _ => None,
    });
    let account = scalar(meta.get("user_api_key_team_alias"))
        .or_else(|| row.text(TEAM).map(str::to_string))
        .or_else(|| scalar(meta.get("user_api_key_team_id")))
        .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string());
    let session = row
        .text(SESSION)
        .map(str::to_string)
        .or_else(|| scalar(meta.get("session_id")));
    Ok(Some(Call {
        provider: row.text(PROVIDER).map(str::to_string),
        account,
        session,
        tags,
        success,
        latency_ms,
        id: row.text(ID).map(str::to_string),
        billed: row.usd(SPEND)?,
        ..Call::new(
            ts,
            model,
            Usage {
                // Saturating: older LiteLLM versions left cache writes out of
                // prompt_tokens (see the module notes).
                input: prompt.saturating_sub(cache_read.saturating_add(written)),
                cache_read,
                cache_write_5m: written - written_1h,
                cache_write_1h: written_1h,
                output: completion,
                reasoning,
            },
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    const HEADER: &str = "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,model,model_group,custom_llm_provider,user,team_id,cache_hit,status,metadata";

    fn parse_all(lines: &[&str]) -> Vec<Parsed> {
        FORMAT.test_parse(lines)
    }

    fn one(row: &str) -> Call {
        FORMAT.test_row(HEADER, row)
    }

    #[test]
    fn reads_a_request_with_metadata_usage() {
        let c = one(
            r#"r1,acompletion,hash1,0.0043,1500,1200,300,2026-03-02 09:00:00.000,2026-03-02 09:00:01.250,claude-sonnet-4-5-20250929,sonnet,anthropic,alice,team-a,False,success,"{""usage_object"":{""cache_read_input_tokens"":1000,""cache_creation_input_tokens"":50,""completion_tokens_details"":{""reasoning_tokens"":100}},""note"":""a, b""}""#,
        );
        assert_eq!(c.ts.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        assert_eq!(c.latency_ms, Some(1250));
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        assert_eq!(c.account, "team-a");
        assert_eq!(
            c.usage,
            Usage {
                input: 150,
                cache_read: 1000,
                cache_write_5m: 50,
                cache_write_1h: 0,
                output: 300,
                reasoning: 100
            }
        );
        assert_eq!(c.success, Some(true));
        assert_eq!(c.tags["model_group"], "sonnet");
        assert_eq!(c.billed, Some(Money(4_300_000_000_000)));
    }

    #[test]
    fn billed_is_exact() {
        for (text, femto) in [
            ("0.00123", 1_230_000_000_000i128),
            ("3.0000000000000004e-05", 30_000_000_000),
            ("12.5", 12_500_000_000_000_000),
        ] {
            let c = one(&format!(
                "r,acompletion,h,{text},2,1,1,2026-03-02T09:00:00Z,,gpt-4o,,openai,,,False,success,"
            ));
            assert_eq!(c.billed, Some(Money(femto)), "{text}");
        }
    }

    #[test]
    fn cache_hits_and_duplicates() {
        let parsed = parse_all(&[
            HEADER,
            "r1,acompletion,h,0,2,1,1,2026-03-02T09:00:00Z,,gpt-4o,,openai,,,True,success,",
            "r2,acompletion,h,0.1,2,1,1,2026-03-02T09:00:00Z,,gpt-4o,,openai,,,False,success,",
            "r2,acompletion,h,0.1,2,1,1,2026-03-02T09:00:00Z,,gpt-4o,,openai,,,False,success,",
        ]);
        assert!(matches!(parsed[1], Parsed::NotACall));
        // r2 twice: one response, kept once by the run.
        assert_eq!(parsed[2].copy_keys().len(), 1);
        assert_eq!(parsed[3].copy_keys(), parsed[2].copy_keys());
    }

    #[test]
    fn reads_what_the_json_spend_logs_read() {
        // The JSON module's Anthropic example row, as a CSV export writes it.
        let header = "request_id,startTime,endTime,model,custom_llm_provider,prompt_tokens,completion_tokens,spend,team_id,metadata,request_tags";
        let row = r#"r2,2026-03-09T10:05:00.000000,2026-03-09T10:05:02.500000,claude-sonnet-4-5-20250929,anthropic,10230,500,0.01824,team-b,"{""user_api_key_team_alias"":""support"",""user_api_key_alias"":""svc"",""spend_logs_metadata"":{""feature"":""chat""},""usage_object"":{""cache_read_input_tokens"":8000,""cache_creation_input_tokens"":2200,""prompt_tokens_details"":{""cached_tokens"":8000,""cache_creation_token_details"":{""ephemeral_1h_input_tokens"":200}}}}","[""prod"",""chat""]""#;
        let mut p = FORMAT.test_parser();
        p.parse(header.as_bytes());
        let parsed = p.parse(row.as_bytes());
        let c = parsed.one_call().expect("a call");
        assert_eq!(
            c.usage,
            Usage {
                input: 30,
                cache_read: 8000,
                cache_write_5m: 2000,
                cache_write_1h: 200,
                output: 500,
                reasoning: 0
            }
        );
        assert_eq!(c.account, "support");
        assert_eq!(c.tags["api_key"], "svc");
        assert_eq!(c.tags["request_tags"], "prod,chat");
        assert_eq!(c.tags["feature"], "chat");
        assert_eq!(c.latency_ms, Some(2500));
        assert_eq!(c.billed, Some(Money(18_240_000_000_000)));
    }

    #[test]
    fn bad_values_are_named() {
        let parsed = parse_all(&[
            HEADER,
            r#"r1,acompletion,h,0.1,2,1,1,2026-03-02T09:00:00Z,,gpt-4o,,openai,,,False,success,"{""usage_object"":{""completion_tokens_details"":{""reasoning_tokens"":5}}}""#,
            r#"r2,acompletion,h,0.1,2,10,1,2026-03-02T09:00:00Z,,gpt-4o,,openai,,,False,success,"{""usage_object"":{""cache_read_input_tokens"":-1}}""#,
            r#"r3,acompletion,h,0.1,2,10,1,2026-03-02T09:00:00Z,,gpt-4o,,openai,,,False,success,{not json"#,
            r#"r4,acompletion,h,-0.1,2,10,1,2026-03-02T09:00:00Z,,gpt-4o,,openai,,,False,success,"#,
        ]);
        let problems: Vec<&LineProblem> = parsed[1..]
            .iter()
            .map(|p| match p {
                Parsed::Problem(p) => p,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(problems[0].reason, SkipReason::Inconsistent);
        assert_eq!(problems[1].reason, SkipReason::BadTokenCount);
        assert!(
            problems[1]
                .message
                .contains("usage_object.cache_read_input_tokens"),
            "{}",
            problems[1].message
        );
        assert_eq!(problems[2].reason, SkipReason::BadField);
        assert!(
            problems[2].message.contains("metadata"),
            "{}",
            problems[2].message
        );
        assert_eq!(problems[3].reason, SkipReason::BadField);
        assert!(
            problems[3].message.contains("spend"),
            "{}",
            problems[3].message
        );
    }

    #[test]
    fn detection() {
        let sniff =
            |text: &'static str| Sniff::new(text.lines().map(str::as_bytes).collect(), None);
        assert!(detect(&sniff(HEADER)));
        assert!(!detect(&sniff(
            "generation_id,created_at,cost_total,tokens_prompt"
        )));
    }
}
