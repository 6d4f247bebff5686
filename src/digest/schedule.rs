//! When digests are due: cron expressions read in each area's time zone. A digest belongs to
//! one occurrence of its expression (its "slot"); the slot due at a moment is the latest
//! occurrence at or before it, if that is recent enough to be worth sending.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use cron::Schedule;

use crate::config::DigestSettings;

/// A digest's rhythm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Day,
    Week,
}

impl Period {
    pub const ALL: [Period; 2] = [Period::Day, Period::Week];

    /// As stored in `digests.period`.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
        }
    }

    /// The subscription rhythm that receives it (`email_subscriptions.rhythm`).
    pub fn rhythm(self) -> &'static str {
        match self {
            Period::Day => "daily",
            Period::Week => "weekly",
        }
    }

    /// The nominal length, used when an area has no earlier digest to start from.
    pub fn length(self) -> Duration {
        match self {
            Period::Day => Duration::days(1),
            Period::Week => Duration::days(7),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Period, String> {
        match s.trim().to_lowercase().as_str() {
            "day" | "daily" | "jour" | "quotidien" => Ok(Period::Day),
            "week" | "weekly" | "semaine" | "hebdo" => Ok(Period::Week),
            other => Err(format!("`{other}` is not a period (day or week)")),
        }
    }
}

/// The digest times of every area.
#[derive(Debug, Clone)]
pub struct Schedules {
    daily: Schedule,
    weekly: Schedule,
    areas: HashMap<String, (Option<Schedule>, Option<Schedule>)>,
    fresh_day: Duration,
    fresh_week: Duration,
}

fn cron(key: &str, expr: &str) -> anyhow::Result<Schedule> {
    Schedule::from_str(expr).map_err(|e| anyhow::anyhow!("{key} `{expr}` is not a cron expression: {e}"))
}

impl Schedules {
    /// The schedules of the settings (expressions were checked when the settings loaded).
    pub fn from_settings(s: &DigestSettings) -> anyhow::Result<Schedules> {
        let mut areas = HashMap::new();
        for (slug, a) in &s.areas {
            let daily = a
                .daily
                .as_deref()
                .map(|e| cron(&format!("digest.areas.{slug}.daily"), e));
            let weekly = a
                .weekly
                .as_deref()
                .map(|e| cron(&format!("digest.areas.{slug}.weekly"), e));
            areas.insert(slug.clone(), (daily.transpose()?, weekly.transpose()?));
        }
        Ok(Schedules {
            daily: cron("digest.daily", &s.daily)?,
            weekly: cron("digest.weekly", &s.weekly)?,
            areas,
            fresh_day: Duration::hours(s.daily_fresh_hours.into()),
            fresh_week: Duration::hours(s.weekly_fresh_hours.into()),
        })
    }

    /// The area slugs given their own times (checked against the areas at start-up).
    pub fn area_slugs(&self) -> impl Iterator<Item = &str> {
        self.areas.keys().map(String::as_str)
    }

    fn of(&self, area: &str, period: Period) -> &Schedule {
        let own = self.areas.get(area).and_then(|(d, w)| match period {
            Period::Day => d.as_ref(),
            Period::Week => w.as_ref(),
        });
        own.unwrap_or(match period {
            Period::Day => &self.daily,
            Period::Week => &self.weekly,
        })
    }

    fn freshness(&self, period: Period) -> Duration {
        match period {
            Period::Day => self.fresh_day,
            Period::Week => self.fresh_week,
        }
    }

    /// The slot of `area`'s `period` digest due at `now`: the latest occurrence at or before
    /// `now`, when it is no older than the period's freshness.
    pub fn due(&self, area: &str, tz: Tz, period: Period, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let slot = latest_at_or_before(self.of(area, period), tz, now)?;
        (now - slot <= self.freshness(period)).then_some(slot)
    }

    /// The occurrence before `slot`: where a first digest's period starts.
    pub fn previous(&self, area: &str, tz: Tz, period: Period, slot: DateTime<Utc>) -> Option<DateTime<Utc>> {
        latest_at_or_before(self.of(area, period), tz, slot - Duration::seconds(1))
    }

    /// The next occurrence after `now`, over all areas and periods (for logs).
    pub fn next_after(&self, area: &str, tz: Tz, period: Period, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.of(area, period)
            .after(&now.with_timezone(&tz))
            .next()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// The latest occurrence of `s` (read in `tz`) at or before `now`.
fn latest_at_or_before(s: &Schedule, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut earlier = s.after(&(now + Duration::seconds(1)).with_timezone(&tz));
    // At most two steps: the iterator may or may not include its starting second.
    for _ in 0..3 {
        let t = earlier.next_back()?.with_timezone(&Utc);
        if t <= now {
            return Some(t);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AreaSchedule;

    fn settings() -> DigestSettings {
        DigestSettings {
            enabled: true,
            daily: "0 0 18 * * *".into(),
            weekly: "0 0 9 * * Sat".into(),
            daily_fresh_hours: 6,
            weekly_fresh_hours: 48,
            tick_secs: 30,
            rooms: crate::config::RoomDigests::Week,
            areas: HashMap::from([(
                "saint-servan".to_owned(),
                AreaSchedule {
                    daily: None,
                    weekly: Some("0 30 10 * * Sun".into()),
                },
            )]),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const PARIS: Tz = chrono_tz::Europe::Paris;

    #[test]
    fn weekly_slot_is_in_local_time() {
        let s = Schedules::from_settings(&settings()).unwrap();
        // Saturday 28 November 2026, 09:00 in Paris is 08:00 UTC (winter time).
        assert_eq!(s.due("dinard", PARIS, Period::Week, utc("2026-11-28T07:59:59Z")), None);
        assert_eq!(
            s.due("dinard", PARIS, Period::Week, utc("2026-11-28T08:00:00Z")),
            Some(utc("2026-11-28T08:00:00Z"))
        );
        assert_eq!(
            s.due("dinard", PARIS, Period::Week, utc("2026-11-29T20:00:00Z")),
            Some(utc("2026-11-28T08:00:00Z"))
        );
        // Two days and more late: stale, skipped.
        assert_eq!(s.due("dinard", PARIS, Period::Week, utc("2026-11-30T08:00:01Z")), None);
        // Summer time: 09:00 in Paris is 07:00 UTC.
        assert_eq!(
            s.due("dinard", PARIS, Period::Week, utc("2026-06-06T07:30:00Z")),
            Some(utc("2026-06-06T07:00:00Z"))
        );
    }

    #[test]
    fn an_area_has_its_own_times() {
        let s = Schedules::from_settings(&settings()).unwrap();
        assert_eq!(
            s.due("saint-servan", PARIS, Period::Week, utc("2026-11-29T09:45:00Z")),
            Some(utc("2026-11-29T09:30:00Z"))
        );
        // Its daily digest keeps the default.
        assert_eq!(
            s.due("saint-servan", PARIS, Period::Day, utc("2026-11-26T17:10:00Z")),
            Some(utc("2026-11-26T17:00:00Z"))
        );
        assert_eq!(
            s.previous("saint-servan", PARIS, Period::Week, utc("2026-11-29T09:30:00Z")),
            Some(utc("2026-11-22T09:30:00Z"))
        );
        let other_tz: Tz = "America/Cayenne".parse().unwrap();
        assert_eq!(
            s.due("cayenne", other_tz, Period::Day, utc("2026-11-26T21:30:00Z")),
            Some(utc("2026-11-26T21:00:00Z"))
        );
    }

    #[test]
    fn periods_read_in_french_and_english() {
        assert_eq!("week".parse::<Period>(), Ok(Period::Week));
        assert_eq!("hebdo".parse::<Period>(), Ok(Period::Week));
        assert_eq!("daily".parse::<Period>(), Ok(Period::Day));
        assert!("month".parse::<Period>().is_err());
    }
}
