//! Field helpers shared by every JSON reader: a reader depends on these and
//! on `format`, never on another reader. Two styles: walking a
//! `serde_json::Value` (`parse_object`, `path`, `count`, `time`, `money`,
//! [`Envelope`]) for formats with many shapes, and typed serde structs
//! (`read_json`, [`Count`]) for fixed shapes read on the hot path.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::plain_json_message as strip_position;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::ingest::{LineProblem, SkipReason};
use crate::money::{Money, FEMTO_PER_USD};
use crate::record::{Call, Usage, DEFAULT_ACCOUNT};

pub type Object = Map<String, Value>;

/// Parses the RFC 3339 texts found in logs (a space for `T` is allowed).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The line as a JSON object.
pub fn parse_object(line: &[u8]) -> Result<Object, LineProblem> {
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(LineProblem::new(
            SkipReason::BadField,
            format!("record: expected a JSON object, found {}", kind(&other)),
        )),
        Err(e) => {
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(i) => &message[..i],
                None => &message,
            };
            let hint = if e.is_eof() {
                " (the line ends early: truncated?)"
            } else {
                ""
            };
            Err(LineProblem::new(
                SkipReason::MalformedJson,
                format!("malformed JSON: {message}{hint}"),
            ))
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value at `keys` below `obj`; JSON `null` reads as absent.
pub fn path<'a>(obj: &'a Object, keys: &[&str]) -> Option<&'a Value> {
    let (first, rest) = keys.split_first()?;
    let mut v = obj.get(*first)?;
    for k in rest {
        v = v.as_object()?.get(*k)?;
    }
    (!v.is_null()).then_some(v)
}

/// An object field that may be absent (or null); anything else there is a
/// bad field named `name`.
pub fn object<'a>(v: Option<&'a Value>, name: &str) -> Result<Option<&'a Object>, LineProblem> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(problem(SkipReason::BadField, name, "expected an object")),
    }
}

/// A label: a non-empty string, a number or a boolean, as text.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn problem(reason: SkipReason, field: &str, message: &str) -> LineProblem {
    LineProblem::new(reason, format!("field \"{field}\": {message}"))
}

pub fn missing(field: &str) -> LineProblem {
    problem(SkipReason::MissingField, field, "missing (required)")
}

/// A token count: a non-negative integer (integer-valued floats and
/// digit strings, as OTLP writes 64-bit integers, are accepted).
/// Absent or null is `None`.
pub fn count(v: Option<&Value>, field: &str) -> Result<Option<u64>, LineProblem> {
    let bad = |shown: String| {
        problem(
            SkipReason::BadTokenCount,
            field,
            &format!("{shown} is not a non-negative integer"),
        )
    };
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                return Ok(Some(u));
            }
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&f) => {
                    Ok(Some(f as u64))
                }
                _ => Err(bad(n.to_string())),
            }
        }
        Some(Value::String(s)) => s
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| bad(format!("{s:?}"))),
        Some(other) => Err(bad(other.to_string())),
    }
}

/// A model name: required, not empty.
pub fn model(v: Option<&Value>, field: &str) -> Result<String, LineProblem> {
    match v {
        None | Some(Value::Null) => Err(missing(field)),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(problem(SkipReason::BadField, field, "empty"))
        }
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(other) => Err(problem(
            SkipReason::BadField,
            field,
            &format!("expected a string, found {}", kind(other)),
        )),
    }
}

/// A time: RFC 3339 text (a space for `T`, a `+00` offset, or no offset
/// at all, read as UTC, are allowed), or a Unix epoch number in seconds,
/// milliseconds, microseconds or nanoseconds (told apart by size).
pub fn time(v: &Value, field: &str) -> Result<DateTime<Utc>, LineProblem> {
    let parsed = match v {
        Value::String(s) => time_text(s),
        Value::Number(n) => match n.as_u64() {
            Some(u) => epoch(u as u128),
            None => n.as_f64().and_then(epoch_float),
        },
        _ => None,
    };
    parsed.ok_or_else(|| {
        problem(
            SkipReason::BadTimestamp,
            field,
            &format!(
                "{v} is not a time (expected RFC 3339 such as \"2026-03-01T12:00:00Z\" or Unix epoch seconds/milliseconds/nanoseconds)"
            ),
        )
    })
}

/// A time given in nanoseconds since the epoch (OTLP `…UnixNano`), as a
/// number or a digit string.
pub fn time_nanos(v: &Value, field: &str) -> Result<DateTime<Utc>, LineProblem> {
    let nanos = match v {
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    match nanos {
        Some(n) if n > 0 => Ok(Utc.timestamp_nanos(n)),
        _ => Err(problem(
            SkipReason::BadTimestamp,
            field,
            &format!("{v} is not a time in nanoseconds since the Unix epoch"),
        )),
    }
}

pub fn time_text(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(t) = parse_timestamp(s) {
        return Some(t);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u128>().ok().and_then(epoch);
    }
    // Postgres writes `+00` for UTC.
    let b = s.as_bytes();
    if b.len() > 3
        && matches!(b[b.len() - 3], b'+' | b'-')
        && b[b.len() - 2..].iter().all(u8::is_ascii_digit)
    {
        if let Some(t) = parse_timestamp(&format!("{s}:00")) {
            return Some(t);
        }
    }
    // No offset: UTC (what LiteLLM and database exports write).
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    None
}

/// An integer epoch in seconds, ms, µs or ns, by magnitude.
fn epoch(v: u128) -> Option<DateTime<Utc>> {
    let nanos: u128 = if v < 100_000_000_000 {
        v * 1_000_000_000
    } else if v < 100_000_000_000_000 {
        v * 1_000_000
    } else if v < 100_000_000_000_000_000 {
        v * 1_000
    } else {
        v
    };
    i64::try_from(nanos).ok().map(|n| Utc.timestamp_nanos(n))
}

fn epoch_float(v: f64) -> Option<DateTime<Utc>> {
    if !(v.is_finite() && v >= 0.0) {
        return None;
    }
    let scale = if v < 1e11 {
        1e9
    } else if v < 1e14 {
        1e6
    } else if v < 1e17 {
        1e3
    } else {
        1.0
    };
    let nanos = v * scale;
    (nanos < 9.2e18).then(|| Utc.timestamp_nanos(nanos.round() as i64))
}

/// Milliseconds from `start` to `end`, when `end` is not before it.
pub fn latency_ms(start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> Option<u64> {
    let ms = (end? - start).num_milliseconds();
    u64::try_from(ms).ok()
}

/// An amount in US dollars (a JSON number or a decimal text), exact to
/// the femto-dollar: the number's shortest decimal form, rounded half up
/// at 15 decimals. Absent or null is `None`.
pub fn money(v: Option<&Value>, field: &str) -> Result<Option<Money>, LineProblem> {
    let value = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    let shown = v.map(Value::to_string).unwrap_or_default();
    match value {
        Some(f) if f.is_finite() && f >= 0.0 => dollars(f).map(Some).ok_or_else(|| {
            problem(
                SkipReason::BadField,
                field,
                &format!("{shown} is too large"),
            )
        }),
        Some(_) => Err(problem(
            SkipReason::BadField,
            field,
            &format!("{shown} is not a non-negative amount of dollars"),
        )),
        None => Err(problem(
            SkipReason::BadField,
            field,
            &format!("{shown} is not an amount of dollars"),
        )),
    }
}

/// Dollars to femto-dollars through the float's shortest decimal text
/// (Rust prints floats without exponents), so 0.00472 is exactly
/// 4,720,000,000,000 femto-dollars.
fn dollars(f: f64) -> Option<Money> {
    let text = format!("{f}");
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let whole: i128 = whole.parse().ok()?;
    let mut digits: Vec<u8> = frac.bytes().map(|b| b - b'0').collect();
    let round_up = digits.len() > 15 && digits[15] >= 5;
    digits.resize(15, 0);
    let mut femto: i128 = digits.iter().fold(0, |acc, d| acc * 10 + *d as i128);
    if round_up {
        femto += 1;
    }
    whole
        .checked_mul(FEMTO_PER_USD)
        .and_then(|w| w.checked_add(femto))
        .map(Money)
}

/// What an envelope (or the format's own metadata) adds to an API
/// object: time, grouping fields and flags.
#[derive(Debug, Default)]
pub struct Envelope {
    pub ts: Option<DateTime<Utc>>,
    pub session: Option<String>,
    pub account: Option<String>,
    pub step: Option<u64>,
    pub latency_ms: Option<u64>,
    pub success: Option<bool>,
    pub tags: BTreeMap<String, String>,
    pub batch: bool,
    /// Path of the API object inside the line, for messages
    /// (`response.`, `response.body.`).
    pub prefix: String,
}

/// Keys an envelope may carry its time in, in order of preference.
pub const TIME_KEYS: [&str; 3] = ["timestamp", "ts", "time"];

/// The envelope's own time, if it has one.
pub fn envelope_time(obj: &Object, prefix: &str) -> Result<Option<DateTime<Utc>>, LineProblem> {
    for key in TIME_KEYS {
        if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
            return time(v, &format!("{prefix}{key}")).map(Some);
        }
    }
    Ok(None)
}

impl Envelope {
    /// Takes the time and metadata of an envelope object. What was set
    /// by an outer envelope is kept.
    pub fn absorb(&mut self, obj: &Object) -> Result<(), LineProblem> {
        let prefix = self.prefix.clone();
        if self.ts.is_none() {
            self.ts = envelope_time(obj, &prefix)?;
        }
        self.absorb_fields(obj, &prefix, false)?;
        if let Some(meta) = obj.get("metadata") {
            match meta {
                Value::Object(m) => self.absorb_fields(m, &format!("{prefix}metadata."), true)?,
                Value::Null => {}
                _ => {
                    return Err(problem(
                        SkipReason::BadField,
                        &format!("{prefix}metadata"),
                        "expected an object",
                    ))
                }
            }
        }
        Ok(())
    }

    /// Reads session, account, step, latency, tags; with `rest_as_tags`
    /// every other scalar becomes a tag.
    fn absorb_fields(
        &mut self,
        obj: &Object,
        prefix: &str,
        rest_as_tags: bool,
    ) -> Result<(), LineProblem> {
        for (key, value) in obj {
            match key.as_str() {
                "session" | "session_id" => {
                    self.session = self.session.take().or_else(|| text(Some(value)));
                }
                "account" => {
                    self.account = self.account.take().or_else(|| text(Some(value)));
                }
                "step" => {
                    let step = count(Some(value), &format!("{prefix}{key}"))?;
                    self.step = self.step.or(step);
                }
                "latency_ms" => {
                    let latency = count(Some(value), &format!("{prefix}{key}"))?;
                    self.latency_ms = self.latency_ms.or(latency);
                }
                "tags" => match value {
                    Value::Object(tags) => {
                        for (k, v) in tags {
                            if let Some(v) = text(Some(v)) {
                                self.tags.entry(k.clone()).or_insert(v);
                            }
                        }
                    }
                    Value::Null => {}
                    _ => {
                        return Err(problem(
                            SkipReason::BadField,
                            &format!("{prefix}tags"),
                            "expected an object of labels",
                        ))
                    }
                },
                _ if rest_as_tags => {
                    if let Some(v) = text(Some(value)) {
                        self.tags.entry(key.clone()).or_insert(v);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The canonical call.
    pub fn call(
        &self,
        ts: DateTime<Utc>,
        provider: &str,
        model: String,
        usage: Usage,
        id: Option<String>,
    ) -> Call {
        Call {
            provider: Some(provider.to_string()),
            account: self
                .account
                .clone()
                .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string()),
            session: self.session.clone(),
            step: self.step,
            tags: self.tags.clone(),
            batch: self.batch,
            success: self.success,
            latency_ms: self.latency_ms,
            id,
            ..Call::new(ts, model, usage)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_exact() {
        assert_eq!(dollars(0.00472), Some(Money(4_720_000_000_000)));
        assert_eq!(dollars(0.1 + 0.2), Some(Money(300_000_000_000_000)));
        assert_eq!(dollars(12.5), Some(Money(12_500_000_000_000_000)));
        assert_eq!(dollars(0.0), Some(Money(0)));
        let m = money(Some(&Value::from("0.01824")), "spend").unwrap();
        assert_eq!(m, Some(Money(18_240_000_000_000)));
        assert!(money(Some(&Value::from(-1.0)), "spend").is_err());
    }

    #[test]
    fn times_in_many_spellings() {
        let want = parse_timestamp("2026-03-02T09:00:00Z").unwrap();
        for v in [
            Value::from("2026-03-02T09:00:00Z"),
            Value::from("2026-03-02 09:00:00"),
            Value::from("2026-03-02T09:00:00.000000"),
            Value::from("2026-03-02 09:00:00+00"),
            Value::from(1_772_442_000u64),
            Value::from(1_772_442_000_000u64),
            Value::from(1_772_442_000_000_000_000u64),
            Value::from("1772442000"),
            Value::from(1_772_442_000.0),
        ] {
            assert_eq!(time(&v, "t").unwrap(), want, "{v}");
        }
        assert_eq!(
            time(&Value::from("yesterday"), "t").unwrap_err().reason,
            SkipReason::BadTimestamp
        );
    }

    #[test]
    fn counts_are_checked() {
        assert_eq!(count(Some(&Value::from(12)), "x").unwrap(), Some(12));
        assert_eq!(count(Some(&Value::from("12")), "x").unwrap(), Some(12));
        assert_eq!(count(Some(&Value::from(12.0)), "x").unwrap(), Some(12));
        assert_eq!(count(Some(&Value::Null), "x").unwrap(), None);
        let e = count(Some(&Value::from(-3)), "usage.x").unwrap_err();
        assert_eq!(e.reason, SkipReason::BadTokenCount);
        assert!(e.message.contains("\"usage.x\""), "{}", e.message);
        assert!(count(Some(&Value::from(1.5)), "x").is_err());
    }
}

/// A non-negative integer token count (integer-valued floats accepted).
#[derive(Clone, Copy)]
pub(crate) struct Count(pub(crate) u64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a non-negative integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                u64::try_from(v)
                    .map(Count)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                if v.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&v) {
                    Ok(Count(v as u64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads `bytes` as `T`; on failure says which field is wrong, with its
/// path prefixed by `prefix` (the field the bytes were found in).
pub(crate) fn read_json<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    prefix: &str,
) -> Result<T, LineProblem> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(_) => Err(explain::<T>(bytes, prefix)),
    }
}

/// Re-reads a line that failed, tracking the path to the bad field.
fn explain<'a, T: Deserialize<'a>>(bytes: &'a [u8], prefix: &str) -> LineProblem {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let err = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => {
            return LineProblem::new(
                SkipReason::MalformedJson,
                "malformed JSON: trailing characters after the record".to_string(),
            )
        }
        Err(e) => e,
    };
    let inner_path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        let cut = if inner.is_eof() {
            " (the line is cut short)"
        } else {
            ""
        };
        return LineProblem::new(
            SkipReason::MalformedJson,
            format!(
                "malformed JSON{cut}: {}",
                strip_position(&inner.to_string())
            ),
        );
    }
    let path = match (prefix, inner_path.as_str()) {
        ("", ".") | ("", "") => String::new(),
        (p, ".") | (p, "") => p.to_string(),
        ("", inner) => inner.to_string(),
        (p, inner) => format!("{p}.{inner}"),
    };
    let message = strip_position(&inner.to_string());
    if path.is_empty() {
        return LineProblem::new(SkipReason::BadField, format!("record: {message}"));
    }
    let reason = if path.contains("usage") {
        SkipReason::BadTokenCount
    } else if path == "timestamp" {
        SkipReason::BadTimestamp
    } else {
        SkipReason::BadField
    };
    LineProblem::new(reason, format!("field \"{path}\": {message}"))
}

/// The line's time, required on calls.
pub(crate) fn timestamp(
    text: Option<&str>,
    field: &str,
) -> Result<chrono::DateTime<chrono::Utc>, LineProblem> {
    let text = text.ok_or_else(|| missing(field))?;
    parse_timestamp(text).ok_or_else(|| {
        LineProblem::new(
            SkipReason::BadTimestamp,
            format!("field \"{field}\": `{text}` is not an RFC 3339 timestamp"),
        )
    })
}

/// The last component of a working directory (either separator).
pub(crate) fn last_component(dir: &str) -> Option<String> {
    dir.trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}
