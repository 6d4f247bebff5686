//! Holidays for the date finder: the French school-holiday calendar, read from
//! `config/school-holidays.toml`, and single-day feasts (Pâques, la Chandeleur...).
//!
//! The calendar is embedded at build time so that the parser stays pure (no IO), and is parsed
//! and validated once, on first use. The community team edits it by hand each year, so the
//! validation is strict and its messages name the period at fault.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::{Hit, HolidayZone, P, add, day_hit, hit, ymd};

/// The embedded calendar.
const SOURCE: &str = include_str!("../../config/school-holidays.toml");

/// Which holiday period of the school year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolidayKind {
    Toussaint,
    Noel,
    Hiver,
    Printemps,
    /// The "pont de l'Ascension": Ascension Thursday to the following Sunday.
    Ascension,
    Ete,
}

impl HolidayKind {
    /// Every kind, in school-year order.
    pub const ALL: [HolidayKind; 6] = [
        HolidayKind::Toussaint,
        HolidayKind::Noel,
        HolidayKind::Hiver,
        HolidayKind::Printemps,
        HolidayKind::Ascension,
        HolidayKind::Ete,
    ];

    /// The name used in the data file.
    pub fn name(self) -> &'static str {
        match self {
            HolidayKind::Toussaint => "toussaint",
            HolidayKind::Noel => "noel",
            HolidayKind::Hiver => "hiver",
            HolidayKind::Printemps => "printemps",
            HolidayKind::Ascension => "ascension",
            HolidayKind::Ete => "ete",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// One validated holiday period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayPeriod {
    pub kind: HolidayKind,
    /// First calendar year of the school year ("2025-2026" → 2025).
    pub school_year: i32,
    /// Zones A, B, C in that order.
    pub zones: [bool; 3],
    /// First day without school, inclusive.
    pub from: NaiveDate,
    /// Last day of holiday, inclusive.
    pub to: NaiveDate,
}

impl HolidayPeriod {
    /// Whether this period applies to `zone`.
    pub fn has_zone(&self, zone: HolidayZone) -> bool {
        self.zones[zone_index(zone)]
    }
}

fn zone_index(zone: HolidayZone) -> usize {
    match zone {
        HolidayZone::A => 0,
        HolidayZone::B => 1,
        HolidayZone::C => 2,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    period: Vec<RawPeriod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    name: String,
    school_year: String,
    zones: Vec<String>,
    from: toml::value::Datetime,
    to: toml::value::Datetime,
}

/// Longest plausible period: the summer holidays are about nine weeks.
const MAX_DAYS: i64 = 75;

/// Parses and checks a school-holiday calendar in the format of `config/school-holidays.toml`.
///
/// Rejects unknown names, zones or keys, dates with a time or offset, `from` after `to`, dates
/// outside their school year, implausibly long periods, and two periods of one zone that overlap
/// or repeat a name within one school year: each of these is a typing mistake that would make
/// "vacances de ..." resolve to a wrong range without anyone noticing.
pub fn validate_holidays(src: &str) -> Result<Vec<HolidayPeriod>, String> {
    let raw: RawFile = toml::from_str(src).map_err(|e| format!("school holidays: invalid TOML: {e}"))?;
    let mut out = Vec::with_capacity(raw.period.len());
    for (n, p) in raw.period.iter().enumerate() {
        let at = || format!("school holidays: period #{} ({} {})", n + 1, p.name, p.school_year);
        let kind = HolidayKind::from_name(&p.name).ok_or_else(|| {
            format!(
                "{}: unknown name {:?}, expected one of toussaint, noel, hiver, printemps, ascension, ete",
                at(),
                p.name
            )
        })?;
        let school_year = parse_school_year(&p.school_year).ok_or_else(|| {
            format!(
                "{}: school_year must look like \"2025-2026\" (two consecutive years)",
                at()
            )
        })?;
        let mut zones = [false; 3];
        if p.zones.is_empty() {
            return Err(format!("{}: zones is empty", at()));
        }
        for z in &p.zones {
            if z.eq_ignore_ascii_case("all") {
                zones = [true; 3];
                continue;
            }
            let zone: HolidayZone = z.parse().map_err(|e| format!("{}: {e}", at()))?;
            let i = zone_index(zone);
            if zones[i] {
                return Err(format!("{}: zone {z} listed twice", at()));
            }
            zones[i] = true;
        }
        let from =
            local_date(&p.from).ok_or_else(|| format!("{}: `from` must be a plain date such as 2025-10-18", at()))?;
        let to = local_date(&p.to).ok_or_else(|| format!("{}: `to` must be a plain date such as 2025-11-02", at()))?;
        if from > to {
            return Err(format!("{}: from {from} is after to {to}", at()));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(format!("{}: {from}..{to} is longer than {MAX_DAYS} days", at()));
        }
        let year_start = NaiveDate::from_ymd_opt(school_year, 8, 1);
        let year_end = NaiveDate::from_ymd_opt(school_year + 1, 9, 30);
        if year_start.is_none_or(|s| from < s) || year_end.is_none_or(|e| to > e) {
            return Err(format!(
                "{}: {from}..{to} is outside school year {}",
                at(),
                p.school_year
            ));
        }
        out.push(HolidayPeriod {
            kind,
            school_year,
            zones,
            from,
            to,
        });
    }
    for (i, a) in out.iter().enumerate() {
        for b in &out[i + 1..] {
            let shared = (0..3).find(|&z| a.zones[z] && b.zones[z]);
            let Some(z) = shared else { continue };
            let zone = ["A", "B", "C"][z];
            if a.kind == b.kind && a.school_year == b.school_year {
                return Err(format!(
                    "school holidays: zone {zone} has two {} periods in {}-{} ({}..{} and {}..{})",
                    a.kind.name(),
                    a.school_year,
                    a.school_year + 1,
                    a.from,
                    a.to,
                    b.from,
                    b.to
                ));
            }
            if a.from <= b.to && b.from <= a.to {
                return Err(format!(
                    "school holidays: zone {zone}: {} {}..{} overlaps {} {}..{}",
                    a.kind.name(),
                    a.from,
                    a.to,
                    b.kind.name(),
                    b.from,
                    b.to
                ));
            }
        }
    }
    out.sort_by_key(|p| p.from);
    Ok(out)
}

fn parse_school_year(s: &str) -> Option<i32> {
    let (a, b) = s.split_once('-')?;
    if a.len() != 4 || b.len() != 4 {
        return None;
    }
    let (a, b): (i32, i32) = (a.parse().ok()?, b.parse().ok()?);
    (b == a + 1).then_some(a)
}

fn local_date(dt: &toml::value::Datetime) -> Option<NaiveDate> {
    if dt.time.is_some() || dt.offset.is_some() {
        return None;
    }
    let d = dt.date?;
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
}

/// The embedded calendar, sorted by start date. The unit tests validate the embedded file, so the
/// empty fallback (which only disables holiday expressions) cannot ship; it exists because the
/// parser promises never to panic.
static PERIODS: LazyLock<Vec<HolidayPeriod>> = LazyLock::new(|| validate_holidays(SOURCE).unwrap_or_default());

/// All periods of the embedded calendar, sorted by start date.
pub fn school_holidays() -> &'static [HolidayPeriod] {
    &PERIODS
}

/// The next period of `kind` for `zone` that is not over on `today`.
pub(crate) fn next_holiday(kind: HolidayKind, zone: HolidayZone, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    school_holidays()
        .iter()
        .find(|p| p.kind == kind && p.has_zone(zone) && p.to >= today)
        .map(|p| (p.from, p.to))
}

// ---------------------------------------------------------------- phrases

/// Easter Sunday (anonymous Gregorian algorithm).
fn easter(y: i32) -> Option<NaiveDate> {
    let (a, b, c) = (y.rem_euclid(19), y.div_euclid(100), y.rem_euclid(100));
    let (d, e) = (b.div_euclid(4), b.rem_euclid(4));
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c.div_euclid(4), c.rem_euclid(4));
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    ymd(y, u32::try_from(n / 31).ok()?, u32::try_from(n % 31 + 1).ok()?)
}

#[derive(Clone, Copy)]
enum Feast {
    Fixed(u32, u32),
    /// Days after Easter Sunday.
    Easter(i64),
}

/// The next occurrence of a feast on or after `today`.
fn next_feast(today: NaiveDate, f: Feast) -> Option<NaiveDate> {
    let on = |y: i32| match f {
        Feast::Fixed(m, d) => ymd(y, m, d),
        Feast::Easter(n) => add(easter(y)?, n),
    };
    match on(today.year()) {
        Some(d) if d >= today => Some(d),
        _ => on(today.year() + 1),
    }
}

impl P<'_> {
    /// School holidays from the calendar file: "vacances de la Toussaint", "pont de l'Ascension",
    /// "Christmas holidays". Summer holidays are deliberately not matched: two months is no date.
    pub(super) fn school(&self, i: usize) -> Option<Hit> {
        let (kind, end) = match self.w(i) {
            "vacances" | "vacs" | "conges" => {
                let k = if self.w(i + 1) == "scolaires" { i + 2 } else { i + 1 };
                let k = self.of(k)?;
                let k = if self.w(k) == "la" { k + 1 } else { self.elided(k) };
                match self.w(k) {
                    "toussaint" => (HolidayKind::Toussaint, k + 1),
                    "noel" => (HolidayKind::Noel, k + 1),
                    "fin" if self.of(k + 1).is_some_and(|j| self.w(j) == "annee") => (HolidayKind::Noel, k + 4),
                    "hiver" | "fevrier" | "ski" => (HolidayKind::Hiver, k + 1),
                    "printemps" | "paques" | "avril" => (HolidayKind::Printemps, k + 1),
                    "ascension" => (HolidayKind::Ascension, k + 1),
                    _ => return None,
                }
            }
            "pont" => {
                let k = self.elided(self.of(i + 1)?);
                (self.w(k) == "ascension").then_some((HolidayKind::Ascension, k + 1))?
            }
            w @ ("christmas" | "xmas" | "easter" | "winter" | "spring") => {
                if !matches!(self.w(i + 1), "holidays" | "holiday" | "break" | "vacation" | "hols") {
                    return None;
                }
                let kind = match w {
                    "christmas" | "xmas" => HolidayKind::Noel,
                    "winter" => HolidayKind::Hiver,
                    _ => HolidayKind::Printemps,
                };
                (kind, i + 2)
            }
            _ => return None,
        };
        hit(end, next_holiday(kind, self.zone, self.today)?)
    }

    /// Single-day feasts: la Chandeleur, Pâques, la Pentecôte, Halloween... Not "Noël", which is
    /// mostly about gifts ("une poupée pour Noël").
    pub(super) fn feast(&self, i: usize) -> Option<Hit> {
        let (f, end) = match self.w(i) {
            "chandeleur" => (Feast::Fixed(2, 2), i + 1),
            "halloween" => (Feast::Fixed(10, 31), i + 1),
            "jour" if matches!(self.w(i + 1), "de" | "du") && self.w(self.elided(i + 2)) == "an" => {
                (Feast::Fixed(1, 1), self.elided(i + 2) + 1)
            }
            "new"
                if self.w(i + 1) == "year"
                    && self.punct(i + 2, '\'')
                    && self.w(i + 3) == "s"
                    && self.w(i + 4) == "day" =>
            {
                (Feast::Fixed(1, 1), i + 5)
            }
            "saint" | "st" => {
                let k = if self.punct(i + 1, '-') { i + 2 } else { i + 1 };
                (self.w(k) == "valentin").then_some((Feast::Fixed(2, 14), k + 1))?
            }
            "valentine" | "valentines" => {
                let k = if self.punct(i + 1, '\'') && self.w(i + 2) == "s" {
                    i + 3
                } else {
                    i + 1
                };
                (self.w(k) == "day").then_some((Feast::Fixed(2, 14), k + 1))?
            }
            "fete" if self.w(i + 1) == "de" && self.w(i + 2) == "la" && self.w(i + 3) == "musique" => {
                (Feast::Fixed(6, 21), i + 4)
            }
            "paques" => (Feast::Easter(0), i + 1),
            "easter" => match self.w(i + 1) {
                "monday" => (Feast::Easter(1), i + 2),
                "sunday" => (Feast::Easter(0), i + 2),
                _ => (Feast::Easter(0), i + 1),
            },
            "ascension" => (Feast::Easter(39), i + 1),
            "pentecote" => (Feast::Easter(49), i + 1),
            "lundi" | "jeudi" => {
                let k = self.elided(self.of(i + 1)?);
                let k = if self.w(k) == "la" { k + 1 } else { k };
                match (self.w(i), self.w(k)) {
                    ("lundi", "paques") => (Feast::Easter(1), k + 1),
                    ("lundi", "pentecote") => (Feast::Easter(50), k + 1),
                    ("jeudi", "ascension") => (Feast::Easter(39), k + 1),
                    _ => return None,
                }
            }
            _ => return None,
        };
        day_hit(end, next_feast(self.today, f)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_file_validates() {
        let periods = validate_holidays(SOURCE).unwrap();
        assert!(periods.len() >= 30);
        assert_eq!(periods.len(), school_holidays().len());
    }

    #[test]
    fn every_zone_has_every_period() {
        for year in [2025, 2026] {
            for zone in [HolidayZone::A, HolidayZone::B, HolidayZone::C] {
                for kind in HolidayKind::ALL {
                    let n = school_holidays()
                        .iter()
                        .filter(|p| p.school_year == year && p.kind == kind && p.has_zone(zone))
                        .count();
                    assert_eq!(n, 1, "{year} {zone:?} {}", kind.name());
                }
            }
        }
    }

    #[test]
    fn periods_start_on_saturday_or_ascension_thursday() {
        for p in school_holidays() {
            let wd = p.from.weekday();
            match p.kind {
                HolidayKind::Ascension => assert_eq!(wd, chrono::Weekday::Thu, "{p:?}"),
                _ => assert_eq!(wd, chrono::Weekday::Sat, "{p:?}"),
            }
            // Holidays end on a Sunday, or on Easter Monday when classes resume on the Tuesday.
            if p.kind != HolidayKind::Ete {
                let easter_monday = p.to.weekday() == chrono::Weekday::Mon
                    && easter(p.to.year()).and_then(|e| e.succ_opt()) == Some(p.to);
                assert!(p.to.weekday() == chrono::Weekday::Sun || easter_monday, "{p:?}");
            }
        }
    }

    const ONE: &str = "[[period]]\nname = \"hiver\"\nschool_year = \"2025-2026\"\nzones = [\"A\"]\nfrom = 2026-02-07\nto = 2026-02-22\n";

    #[test]
    fn rejects_bad_files() {
        let ok = validate_holidays(ONE).unwrap();
        assert_eq!(ok[0].zones, [true, false, false]);
        let cases = [
            (ONE.replace("hiver", "ski"), "unknown name"),
            (ONE.replace("[\"A\"]", "[\"D\"]"), "zone"),
            (ONE.replace("[\"A\"]", "[]"), "empty"),
            (ONE.replace("2026-02-22", "2026-02-01"), "after"),
            (ONE.replace("2025-2026", "2025-2027"), "school_year"),
            (ONE.replace("2026-02-07", "2026-02-07T10:00:00"), "plain date"),
            (ONE.replace("2026-02-22", "2026-06-22"), "longer"),
            (
                ONE.replace("2026-02-07", "2025-02-07")
                    .replace("2026-02-22", "2025-02-22"),
                "outside",
            ),
            (format!("{ONE}{}", ONE.replace("2026-02-07", "2026-02-14")), "two hiver"),
            (
                format!(
                    "{ONE}{}",
                    ONE.replace("hiver", "printemps").replace("2026-02-07", "2026-02-20")
                ),
                "overlaps",
            ),
            (format!("{ONE}colour = 1\n"), "invalid TOML"),
        ];
        for (src, want) in cases {
            let err = validate_holidays(&src).unwrap_err();
            assert!(err.contains(want), "{want:?} not in {err:?}");
        }
    }

    #[test]
    fn easter_dates() {
        for (y, m, d) in [(2024, 3, 31), (2025, 4, 20), (2026, 4, 5), (2027, 3, 28), (2038, 4, 25)] {
            assert_eq!(easter(y), ymd(y, m, d));
        }
    }

    #[test]
    fn next_holiday_picks_the_current_or_coming_period() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let got = next_holiday(HolidayKind::Toussaint, HolidayZone::B, d(2026, 10, 6));
        assert_eq!(got, Some((d(2026, 10, 17), d(2026, 11, 1))));
        let got = next_holiday(HolidayKind::Hiver, HolidayZone::C, d(2026, 3, 2));
        assert_eq!(got, Some((d(2026, 2, 21), d(2026, 3, 8))));
        let got = next_holiday(HolidayKind::Hiver, HolidayZone::A, d(2026, 3, 2));
        assert_eq!(got, Some((d(2027, 2, 13), d(2027, 2, 28))));
        assert_eq!(next_holiday(HolidayKind::Noel, HolidayZone::A, d(2090, 1, 1)), None);
    }
}
