//! The time zone a report's calendar follows (`--timezone`): where days,
//! weeks and months are cut, what a bare date in `--since` means, and the
//! times the header prints. Timestamps themselves stay UTC everywhere.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// An IANA time zone (`Europe/Berlin`); UTC unless asked otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Zone(Option<Tz>);

#[derive(Debug, thiserror::Error)]
#[error("--timezone: `{name}` is not an IANA time zone name (such as UTC, Europe/Berlin or America/New_York){hint}")]
pub struct ZoneError {
    name: String,
    hint: String,
}

impl Zone {
    pub const UTC: Zone = Zone(None);

    /// A zone by its IANA name, in any letter case (`europe/berlin`).
    pub fn parse(name: &str) -> Result<Zone, ZoneError> {
        let wanted = name.trim();
        if let Some(tz) = chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(wanted))
        {
            return Ok(if tz.name() == "UTC" {
                Zone::UTC
            } else {
                Zone(Some(*tz))
            });
        }
        let lower = wanted.to_ascii_lowercase();
        let mut close: Vec<(f64, &str)> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| {
                let n = tz.name();
                // The city alone counts as much as the whole name: `berlin`.
                let city = n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
                let score = strsim::jaro_winkler(&lower, &n.to_ascii_lowercase())
                    .max(strsim::jaro_winkler(&lower, &city));
                (score, n)
            })
            .filter(|(score, _)| *score > 0.85)
            .collect();
        close.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let names: Vec<&str> = close.iter().take(3).map(|(_, n)| *n).collect();
        Err(ZoneError {
            name: name.to_string(),
            hint: if names.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", names.join(", "))
            },
        })
    }

    pub fn is_utc(&self) -> bool {
        self.0.is_none()
    }

    pub fn name(&self) -> &'static str {
        self.0.map_or("UTC", |tz| tz.name())
    }

    /// The wall-clock time in this zone at `ts`.
    pub fn local(&self, ts: DateTime<Utc>) -> NaiveDateTime {
        match self.0 {
            None => ts.naive_utc(),
            Some(tz) => ts.with_timezone(&tz).naive_local(),
        }
    }

    /// The offset from UTC at `ts`, in seconds.
    pub fn offset_seconds(&self, ts: DateTime<Utc>) -> i64 {
        match self.0 {
            None => 0,
            Some(tz) => tz
                .offset_from_utc_datetime(&ts.naive_utc())
                .fix()
                .local_minus_utc() as i64,
        }
    }

    /// Hours since 1970-01-01 00:00 on this zone's wall clock: the hour
    /// buckets of charts, so that 24 of them make a local day. (The hour
    /// repeated when clocks go back holds both real hours.)
    pub fn local_hour(&self, ts: DateTime<Utc>) -> i64 {
        (ts.timestamp() + self.offset_seconds(ts)).div_euclid(3600)
    }

    /// The day in this zone at `ts`.
    pub fn date(&self, ts: DateTime<Utc>) -> NaiveDate {
        self.local(ts).date()
    }

    /// The first instant of `date` in this zone: local midnight, or where a
    /// zone skips midnight (clocks going forward at 00:00), the first
    /// instant the day has.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        let Some(tz) = self.0 else {
            return midnight.and_utc();
        };
        // A gap is at most a few hours: the first whole minute after it.
        (0..=24 * 60)
            .find_map(|minutes| {
                tz.from_local_datetime(&(midnight + chrono::TimeDelta::minutes(minutes)))
                    .earliest()
            })
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// `YYYY-MM-DD`, ISO `YYYY-Www` and `YYYY-MM` keys of `ts`'s day.
    pub fn day_key(&self, ts: DateTime<Utc>) -> String {
        self.date(ts).format("%Y-%m-%d").to_string()
    }

    pub fn week_key(&self, ts: DateTime<Utc>) -> String {
        let w = self.date(ts).iso_week();
        format!("{}-W{:02}", w.year(), w.week())
    }

    pub fn month_key(&self, ts: DateTime<Utc>) -> String {
        self.date(ts).format("%Y-%m").to_string()
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn names_are_found_in_any_case_and_near_misses_get_suggestions() {
        assert_eq!(
            Zone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(
            Zone::parse("europe/berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert!(Zone::parse("utc").unwrap().is_utc());
        let e = Zone::parse("Europe/Berln").unwrap_err().to_string();
        assert!(e.contains("did you mean Europe/Berlin"), "{e}");
        let e = Zone::parse("Berlin").unwrap_err().to_string();
        assert!(e.contains("Europe/Berlin"), "{e}");
        assert!(!Zone::parse("+02:00")
            .unwrap_err()
            .to_string()
            .contains("did you mean"));
    }

    #[test]
    fn days_are_cut_at_local_midnight() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        // 23:30 UTC on 1 March is 00:30 on 2 March in Berlin (UTC+1 in winter).
        let ts = at("2026-03-01T23:30:00Z");
        assert_eq!(Zone::UTC.day_key(ts), "2026-03-01");
        assert_eq!(berlin.day_key(ts), "2026-03-02");
        assert_eq!(berlin.month_key(at("2026-03-31T22:30:00Z")), "2026-04");
        // Sunday 23:30 UTC is Monday in Berlin: the next ISO week.
        assert_eq!(Zone::UTC.week_key(at("2026-03-08T23:30:00Z")), "2026-W10");
        assert_eq!(berlin.week_key(at("2026-03-08T23:30:00Z")), "2026-W11");
        // Summer time: UTC+2.
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(berlin.start_of(day), at("2026-06-30T22:00:00Z"));
        assert_eq!(Zone::UTC.start_of(day), at("2026-07-01T00:00:00Z"));
    }

    #[test]
    fn a_day_without_midnight_starts_when_its_clock_does() {
        // Chile's clocks went from 23:59:59 to 01:00 on 2024-09-08.
        let santiago = Zone::parse("America/Santiago").unwrap();
        let day = NaiveDate::from_ymd_opt(2024, 9, 8).unwrap();
        assert_eq!(santiago.start_of(day), at("2024-09-08T04:00:00Z"));
        assert_eq!(santiago.day_key(at("2024-09-08T04:00:00Z")), "2024-09-08");
        assert_eq!(santiago.day_key(at("2024-09-08T03:59:59Z")), "2024-09-07");
    }

    #[test]
    fn local_hours_follow_offsets_that_are_not_whole_hours() {
        // Chatham: UTC+12:45 in winter (June). 11:15 UTC is 00:00 the next day.
        let chatham = Zone::parse("Pacific/Chatham").unwrap();
        let ts = at("2026-06-01T11:15:00Z");
        assert_eq!(chatham.local_hour(ts) % 24, 0);
        assert_eq!(
            chatham.local_hour(ts) - chatham.local_hour(at("2026-06-01T11:14:59Z")),
            1
        );
        assert_eq!(Zone::UTC.local_hour(ts), ts.timestamp() / 3600);
    }
}
