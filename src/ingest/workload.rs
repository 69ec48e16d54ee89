//! Workload files: a description of traffic for teams without logs yet,
//! turned into synthetic canonical calls (`costsim estimate`, `costsim synth`).
//!
//! ```toml
//! name = "support-bot"
//! model = "claude-sonnet-4-5"
//! start = "2026-03-01"       # first day (UTC); default 2026-03-01
//! days = 30
//! requests_per_day = 1000
//! system_tokens = 2000       # system prompt shared by every request
//! user_tokens = 200
//! output_tokens = 500
//! steps = 1                  # model calls per request (agent loop)
//! growth_per_step = 0        # tool-result tokens added to the context per step
//! step_seconds = 10          # time between the steps of a request
//! account = "default"
//! success_rate = 0.95        # optional: label calls with success, drawn per request
//! [tags]
//! team = "support"
//! ```
//!
//! Request `r` of day `d` starts at `start + d days + r × 86,400 s /
//! requests_per_day`. Step `s` (from 0) sends the system prompt, the user
//! message, and for each earlier step its answer plus `growth_per_step`
//! tokens: `system + user + s × (output + growth)`. Every call records its
//! prompt as `prompt.segments` (the system prompt has the same id in every
//! request), so cache scenarios are simulated exactly; the calls themselves
//! are recorded without caching.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::json;

use crate::ingest::MAX_CALL_TOKENS;
use crate::scenario::transform::draw;

#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("{path}: cannot read workload file: {source}")]
    Unreadable { path: String, source: io::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    name: Option<String>,
    model: Option<String>,
    start: Option<String>,
    days: Option<i64>,
    requests_per_day: Option<i64>,
    system_tokens: Option<i64>,
    user_tokens: Option<i64>,
    output_tokens: Option<i64>,
    steps: Option<i64>,
    growth_per_step: Option<i64>,
    step_seconds: Option<i64>,
    account: Option<String>,
    success_rate: Option<f64>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// A validated workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub name: String,
    pub model: String,
    pub start: NaiveDate,
    pub days: u64,
    pub requests_per_day: u64,
    pub system_tokens: u64,
    pub user_tokens: u64,
    pub output_tokens: u64,
    pub steps: u64,
    pub growth_per_step: u64,
    pub step_seconds: u64,
    pub account: String,
    /// Parts per million of requests labelled successful.
    pub success_ppm: Option<u64>,
    pub tags: BTreeMap<String, String>,
}

impl Workload {
    pub fn load(path: &Path) -> Result<Workload, WorkloadError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| WorkloadError::Unreadable {
            path: shown.clone(),
            source: e,
        })?;
        Workload::parse(&shown, &text)
    }

    pub fn parse(path: &str, text: &str) -> Result<Workload, WorkloadError> {
        let invalid = |message: String| WorkloadError::Invalid {
            path: path.to_string(),
            message,
        };
        let raw: RawWorkload =
            toml::from_str(text).map_err(|e| invalid(crate::toml_error::describe(text, &e)))?;
        let count = |key: &str,
                     value: Option<i64>,
                     default: Option<u64>,
                     min: u64|
         -> Result<u64, WorkloadError> {
            match (value, default) {
                (Some(v), _) if v >= min as i64 => Ok(v as u64),
                (Some(v), _) => Err(invalid(format!("`{key}`: {v} is less than {min}"))),
                (None, Some(d)) => Ok(d),
                (None, None) => Err(invalid(format!("`{key}`: missing"))),
            }
        };
        let model = raw
            .model
            .filter(|m| !m.trim().is_empty())
            .ok_or_else(|| invalid("`model`: missing".to_string()))?;
        let start = match raw.start.as_deref() {
            None => NaiveDate::from_ymd_opt(2026, 3, 1).expect("valid date"),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| invalid(format!("`start`: `{s}` is not a date (YYYY-MM-DD)")))?,
        };
        let success_ppm = match raw.success_rate {
            None => None,
            Some(r) if (0.0..=1.0).contains(&r) => Some((r * 1e6).round() as u64),
            Some(r) => {
                return Err(invalid(format!(
                    "`success_rate`: {r} is not between 0 and 1"
                )))
            }
        };
        let workload = Workload {
            name: raw.name.unwrap_or_else(|| {
                Path::new(path).file_stem().map_or_else(
                    || "workload".to_string(),
                    |s| s.to_string_lossy().into_owned(),
                )
            }),
            model,
            start,
            days: count("days", raw.days, Some(30), 1)?,
            requests_per_day: count("requests_per_day", raw.requests_per_day, None, 1)?,
            system_tokens: count("system_tokens", raw.system_tokens, Some(0), 0)?,
            user_tokens: count("user_tokens", raw.user_tokens, None, 0)?,
            output_tokens: count("output_tokens", raw.output_tokens, None, 0)?,
            steps: count("steps", raw.steps, Some(1), 1)?,
            growth_per_step: count("growth_per_step", raw.growth_per_step, Some(0), 0)?,
            step_seconds: count("step_seconds", raw.step_seconds, Some(10), 0)?,
            account: raw
                .account
                .unwrap_or_else(|| crate::record::DEFAULT_ACCOUNT.to_string()),
            success_ppm,
            tags: raw.tags,
        };
        workload.check_bounds().map_err(invalid)?;
        if workload.system_tokens + workload.user_tokens == 0 {
            return Err(invalid(
                "`system_tokens` + `user_tokens` is 0: a call needs a prompt".to_string(),
            ));
        }
        let calls = workload
            .days
            .saturating_mul(workload.requests_per_day)
            .saturating_mul(workload.steps);
        if calls > 200_000_000 {
            return Err(invalid(format!(
                "{calls} calls is more than costsim generates (200,000,000)"
            )));
        }
        Ok(workload)
    }

    /// Every call written must be one costsim reads back: the last step's
    /// prompt within [`MAX_CALL_TOKENS`] and the last call's time within
    /// year 9999 (numbers that would wrap or times that cannot be written
    /// are refused here, not written).
    fn check_bounds(&self) -> Result<(), String> {
        let last_step = self.steps - 1;
        let largest_prompt = self
            .output_tokens
            .checked_add(self.growth_per_step)
            .and_then(|per_step| per_step.checked_mul(last_step))
            .and_then(|grown| grown.checked_add(self.system_tokens))
            .and_then(|grown| grown.checked_add(self.user_tokens));
        if largest_prompt.is_none_or(|p| p > MAX_CALL_TOKENS) {
            return Err(format!(
                "the last step's prompt, `system_tokens` + `user_tokens` + (`steps` - 1) × \
                 (`output_tokens` + `growth_per_step`), is more than {MAX_CALL_TOKENS} tokens, \
                 the most costsim reads in one call"
            ));
        }
        if self.output_tokens > MAX_CALL_TOKENS {
            return Err(format!(
                "`output_tokens`: more than {MAX_CALL_TOKENS}, the most costsim reads in one call"
            ));
        }
        let last_call = (self.days - 1)
            .checked_mul(86_400)
            .zip(last_step.checked_mul(self.step_seconds))
            .and_then(|(days, steps)| days.checked_add(steps))
            .and_then(|seconds| i64::try_from(seconds).ok())
            .and_then(chrono::TimeDelta::try_seconds)
            .and_then(|offset| {
                let day0 = self.start.and_hms_opt(0, 0, 0)?.and_utc();
                day0.checked_add_signed(offset + chrono::TimeDelta::days(1))
            });
        if last_call.is_none_or(|t| chrono::Datelike::year(&t) > 9999) {
            return Err(
                "the last call, `days` and (`steps` - 1) × `step_seconds` after `start`, is past \
                 the year 9999"
                    .to_string(),
            );
        }
        Ok(())
    }

    /// Calls the workload describes.
    pub fn calls(&self) -> u64 {
        self.days * self.requests_per_day * self.steps
    }

    /// Writes the synthetic calls as canonical JSONL, in time order per request.
    pub fn write_jsonl(&self, out: &mut dyn Write) -> io::Result<()> {
        let day0 = self
            .start
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc();
        let spacing_ms = 86_400_000 / self.requests_per_day as i64;
        let per_step = self.output_tokens + self.growth_per_step;
        for d in 0..self.days {
            for r in 0..self.requests_per_day {
                let request = format!("{}-{d}-{r}", self.name);
                let begin =
                    day0 + Duration::days(d as i64) + Duration::milliseconds(r as i64 * spacing_ms);
                let success = self.success_ppm.map(|ppm| draw(7, &request) < ppm);
                for s in 0..self.steps {
                    let mut segments = Vec::new();
                    if self.system_tokens > 0 {
                        segments.push(json!({"id": format!("{}-system", self.name), "tokens": self.system_tokens, "cache": "5m"}));
                    }
                    if self.user_tokens > 0 {
                        segments.push(
                            json!({"id": format!("{request}-user"), "tokens": self.user_tokens}),
                        );
                    }
                    for k in 0..s {
                        segments
                            .push(json!({"id": format!("{request}-step{k}"), "tokens": per_step}));
                    }
                    let prompt = self.system_tokens + self.user_tokens + s * per_step;
                    let ts = begin + Duration::seconds((s * self.step_seconds) as i64);
                    let mut record = json!({
                        "ts": ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        "model": self.model,
                        "account": self.account,
                        "session": request,
                        "step": s + 1,
                        "id": format!("{request}-{}", s + 1),
                        "usage": {"input": prompt, "output": self.output_tokens},
                        "prompt": {"segments": segments},
                    });
                    if !self.tags.is_empty() {
                        record["tags"] = json!(self.tags);
                    }
                    if let Some(ok) = success {
                        if s + 1 == self.steps {
                            record["success"] = json!(ok);
                        }
                    }
                    serde_json::to_writer(&mut *out, &record)?;
                    out.write_all(b"\n")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::canonical::parse_line;

    #[test]
    fn generates_growing_agent_sessions() {
        let w = Workload::parse(
            "w.toml",
            "model = \"gpt-5\"\nrequests_per_day = 2\ndays = 1\nsystem_tokens = 1000\nuser_tokens = 100\noutput_tokens = 50\nsteps = 3\ngrowth_per_step = 10\n",
        )
        .unwrap();
        let mut out = Vec::new();
        w.write_jsonl(&mut out).unwrap();
        let calls: Vec<_> = out
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| parse_line(l).unwrap())
            .collect();
        assert_eq!(calls.len() as u64, w.calls());
        // Step 3: 1,000 + 100 + 2 × (50 + 10) = 1,220.
        assert_eq!(calls[2].usage.input, 1220);
        assert_eq!(calls[3].ts.to_rfc3339(), "2026-03-01T12:00:00+00:00");
    }

    #[test]
    fn names_bad_keys() {
        let e = Workload::parse(
            "w.toml",
            "model = \"m\"\nrequests_per_day = 0\nuser_tokens=1\noutput_tokens=1\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "w.toml: `requests_per_day`: 0 is less than 1"
        );
        let e = Workload::parse("w.toml", "model = \"m\"\nrequest_per_day = 5\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    /// Numbers that would wrap, and times past what can be written, are
    /// refused with the keys that make them (they were written wrapped).
    #[test]
    fn refuses_calls_it_could_not_write() {
        let base = "model = \"m\"\nrequests_per_day = 1\noutput_tokens = 1\n";
        for (extra, want) in [
            (
                "system_tokens = 9223372036854775807\nuser_tokens = 9223372036854775807\n",
                "last step's prompt",
            ),
            (
                "user_tokens = 1\nsteps = 2\ngrowth_per_step = 9223372036854775807\n",
                "last step's prompt",
            ),
            ("user_tokens = 1000000000000001\n", "last step's prompt"),
            ("user_tokens = 1\ndays = 3000000\n", "year 9999"),
            (
                "user_tokens = 1\nsteps = 2\nstep_seconds = 9223372036854775807\n",
                "year 9999",
            ),
        ] {
            let e = Workload::parse("w.toml", &format!("{base}{extra}")).unwrap_err();
            assert!(e.to_string().contains(want), "{extra}: {e}");
        }
        let fits = format!("{base}user_tokens = 1000000000000000\ndays = 2\n");
        assert!(Workload::parse("w.toml", &fits).is_ok());
    }
}
