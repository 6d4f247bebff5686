//! Date expressions: finds "ce week-end", "samedi soir", "du 3 au 10 août", "vacances de la
//! Toussaint"... in a tokenized message and resolves each to an inclusive range of local dates.
//!
//! Everything resolves against `DateCtx::today`, the local date the message was sent, so the
//! finder is pure and replayable. It scans left to right; at each token it tries a handful of
//! small recognisers, each with a bounded look-ahead, and keeps the longest result, so the cost is
//! linear in the number of tokens. A recogniser may also return a "skip": a phrase that looks
//! like a date but is habitual or past ("le mercredi", "tous les samedis", "le week-end dernier");
//! skipping the whole phrase keeps its parts from being read as dates on their own.

use std::str::FromStr;
use std::sync::LazyLock;

use rustc_hash::FxHashSet;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use crate::parse::token::{TokClass, Token};

#[path = "holidays.rs"]
mod holidays;
pub use holidays::{HolidayKind, HolidayPeriod, school_holidays, validate_holidays};

/// French school-holiday zone; decides which winter and spring holidays "vacances d'hiver" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HolidayZone {
    A,
    #[default]
    B,
    C,
}

impl FromStr for HolidayZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "A" | "a" => Ok(HolidayZone::A),
            "B" | "b" => Ok(HolidayZone::B),
            "C" | "c" => Ok(HolidayZone::C),
            _ => Err(format!("unknown school-holiday zone {s:?}: expected A, B or C")),
        }
    }
}

/// What relative expressions resolve against.
#[derive(Debug, Clone, Copy)]
pub struct DateCtx {
    /// Local date (Europe/Paris) on which the message was sent.
    pub today: NaiveDate,
    /// School-holiday zone of the neighbourhood.
    pub zone: HolidayZone,
}

/// One date expression: tokens `start..end` (end exclusive) mean the dates `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WhenMatch {
    /// Index of the first token.
    pub start: usize,
    /// Index after the last token.
    pub end: usize,
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
}

/// All date expressions in `tokens`, left to right, non-overlapping (longest first).
///
/// Expressions joined by "et"/"ou"/"and"/"or" ("lundi et mardi", "lundi, mardi et jeudi") merge
/// into one match from the earliest to the latest date: people list the days of one
/// availability that way. A comma alone does not join ("demain, samedi sinon").
pub fn find_when(tokens: &[Token], ctx: &DateCtx) -> Vec<WhenMatch> {
    let p = P::new(tokens, ctx);
    let mut found: Vec<WhenMatch> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some(h) = p.parse_at(i, true, true).filter(|h| h.end > i) else {
            i += 1;
            continue;
        };
        // "à récupérer avant samedi", "before Friday": a deadline, not when the post is for
        // (a time of day, "avant 20h", is no date and never gets here).
        let deadline = i > 0 && tokens[i - 1].is_word() && matches!(tokens[i - 1].norm.as_str(), "avant" | "before");
        // "à partir de lundi et jusqu'au vendredi 20 mars": "until" right after a date ends
        // the span that date starts.
        let until = tokens[i].is_word() && matches!(tokens[i].norm.as_str(), "jusqu" | "jusque" | "until" | "till");
        if until
            && let Some((_, to)) = h.range
            && let Some(prev) = found.last_mut()
            && (prev.end == i || (prev.end + 1 == i && tokens[prev.end].is_word() && tokens[prev.end].norm == "et"))
            && prev.from <= to
        {
            (prev.end, prev.to) = (h.end, to);
            i = h.end;
            continue;
        }
        if let Some((from, to)) = h.range.filter(|_| !deadline) {
            found.push(WhenMatch {
                start: i,
                end: h.end,
                from,
                to,
            });
        }
        i = h.end;
    }
    merge_lists(tokens, found)
}

#[derive(PartialEq, Eq)]
enum Link {
    Word,
    Comma,
}

fn link(tokens: &[Token], a: &WhenMatch, b: &WhenMatch) -> Option<Link> {
    let t = tokens.get(a.end).filter(|_| a.end + 1 == b.start)?;
    if t.is_punct(',') {
        Some(Link::Comma)
    } else if t.is_punct('&') || (t.is_word() && matches!(t.norm.as_str(), "et" | "ou" | "and" | "or")) {
        Some(Link::Word)
    } else {
        None
    }
}

/// Merges each chain `A (, B)* (et C)+` into one match. Linear: a chain is scanned once to find
/// its last word link, and what follows that link (commas only) is emitted on the next pass.
fn merge_lists(tokens: &[Token], found: Vec<WhenMatch>) -> Vec<WhenMatch> {
    let mut out = Vec::with_capacity(found.len());
    let mut i = 0;
    while i < found.len() {
        let (mut j, mut last_word) = (i, i);
        while let Some(l) = found.get(j + 1).and_then(|b| link(tokens, &found[j], b)) {
            j += 1;
            if l == Link::Word {
                last_word = j;
            }
        }
        if last_word == i {
            out.extend_from_slice(&found[i..=j]);
            i = j + 1;
            continue;
        }
        let mut m = found[i];
        for b in &found[i + 1..=last_word] {
            (m.end, m.from, m.to) = (b.end, m.from.min(b.from), m.to.max(b.to));
        }
        out.push(m);
        i = last_word + 1;
    }
    out
}

type Range = (NaiveDate, NaiveDate);

/// A recogniser's result: tokens up to `end`, and the dates, or `None` for a phrase that is
/// recognised only to be ignored (habitual or past).
struct Hit {
    end: usize,
    range: Option<Range>,
}

fn hit(end: usize, r: Range) -> Option<Hit> {
    Some(Hit { end, range: Some(r) })
}

fn day_hit(end: usize, d: NaiveDate) -> Option<Hit> {
    hit(end, (d, d))
}

fn skip(end: usize) -> Option<Hit> {
    Some(Hit { end, range: None })
}

// ---------------------------------------------------------------- calendar helpers

fn add(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn wd_index(d: NaiveDate) -> i64 {
    i64::from(d.weekday().num_days_from_monday())
}

/// The next `wd` strictly after `today`: on a Tuesday, "mardi" means next week's.
fn next_weekday(today: NaiveDate, wd: Weekday) -> Option<NaiveDate> {
    let diff = (i64::from(wd.num_days_from_monday()) - wd_index(today)).rem_euclid(7);
    add(today, if diff == 0 { 7 } else { diff })
}

/// "Ce week-end": the coming Saturday and Sunday, or what is left of the current one.
fn coming_weekend(today: NaiveDate) -> Option<Range> {
    match today.weekday() {
        Weekday::Sun => Some((today, today)),
        Weekday::Sat => Some((today, add(today, 1)?)),
        _ => weekend_of(today),
    }
}

/// The weekend a date belongs to, or the one after it for a weekday.
fn weekend_of(d: NaiveDate) -> Option<Range> {
    match d.weekday() {
        Weekday::Sat => Some((d, add(d, 1)?)),
        Weekday::Sun => Some((add(d, -1)?, d)),
        _ => {
            let sat = next_weekday(d, Weekday::Sat)?;
            Some((sat, add(sat, 1)?))
        }
    }
}

fn month_range(y: i32, m: u32) -> Option<Range> {
    let first = ymd(y, m, 1)?;
    Some((first, first.checked_add_months(Months::new(1))?.pred_opt()?))
}

/// A month named without a year: this year's, unless it is already over.
fn month_year(today: NaiveDate, m: u32) -> i32 {
    if m >= today.month() {
        today.year()
    } else {
        today.year() + 1
    }
}

/// A day and month without a year: this year's, unless that is more than about two months ago
/// (a message of 1 December saying "3 janvier" means next January; one saying "14 octobre" is
/// about the past, which the caller may ignore).
fn resolve_dm(today: NaiveDate, d: u32, m: u32) -> Option<NaiveDate> {
    let limit = add(today, -60).unwrap_or(NaiveDate::MIN);
    match ymd(today.year(), m, d) {
        Some(date) if date >= limit => Some(date),
        _ => ymd(today.year() + 1, m, d),
    }
}

// ---------------------------------------------------------------- lexicon

fn weekday_of(w: &str) -> Option<Weekday> {
    Some(match w {
        "lundi" | "monday" => Weekday::Mon,
        "mardi" | "tuesday" => Weekday::Tue,
        "mercredi" | "wednesday" => Weekday::Wed,
        "jeudi" | "thursday" => Weekday::Thu,
        "vendredi" | "friday" => Weekday::Fri,
        "samedi" | "saturday" => Weekday::Sat,
        "dimanche" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// Month names; only ever read next to a day number, a year or a cue word ("en", "mois de"),
/// which is what keeps "mars" the planet and "sept" the number out.
fn month_of(w: &str) -> Option<u32> {
    Some(match w {
        "janvier" | "janv" | "january" | "jan" => 1,
        "fevrier" | "fev" | "fevr" | "february" | "feb" => 2,
        "mars" | "march" | "mar" => 3,
        "avril" | "avr" | "april" | "apr" => 4,
        "mai" | "may" => 5,
        "juin" | "june" | "jun" => 6,
        "juillet" | "juil" | "july" | "jul" => 7,
        "aout" | "august" | "aug" => 8,
        "septembre" | "sept" | "september" | "sep" => 9,
        "octobre" | "october" | "oct" => 10,
        "novembre" | "november" | "nov" => 11,
        "decembre" | "december" | "dec" => 12,
        _ => return None,
    })
}

/// Months that may come before the day ("July 14"): English only, since French never writes it
/// and "sept 2" or "mai 3" would be misreadings.
fn month_first(w: &str) -> Option<u32> {
    match w {
        "january" | "february" | "march" | "april" | "may" | "june" | "july" | "august" | "september" | "october"
        | "november" | "december" | "jan" | "feb" | "apr" | "jun" | "jul" | "aug" | "sep" | "oct" | "nov" | "dec" => {
            month_of(w)
        }
        _ => None,
    }
}

/// Words after a number that make it a quantity or a time, not a day.
static UNITS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    sorted_words(
        "h heure heures hr hrs min mn minutes pm am ans an years year yo mois months jours jour j \
         days semaines sem weeks kg g gr m cm mm km l cl ml litres metres euros euro eur balles \
         places personnes pers people enfants fois x pouces pouce inch inches w v go gb mo pieces \
         etages etage",
    )
});

/// First words of the recognisers, besides weekday and month names. Looked up for every word of
/// every message, hence a binary search; tests check that this filter never changes a result.
static STARTERS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    sorted_words(
        "du entre from between le les the on des ce cet cette this next last pour for over during \
         weekend week we w aujourd aujourdhui today tonight tonite demain tomorrow apres day \
         semaine mois month en in courant throughout tout toute all debut fin mi early mid late end \
         beginning vacances vacs conges pont christmas xmas easter winter spring chandeleur \
         halloween jour saint st valentine valentines fete paques ascension pentecote new jusqu \
         jusque until till til ici",
    )
});

fn sorted_words(s: &'static str) -> Vec<&'static str> {
    let mut v: Vec<&str> = s.split_whitespace().collect();
    v.sort_unstable();
    v
}

fn is_unit(w: &str) -> bool {
    UNITS.binary_search(&w).is_ok()
}

/// Weekday and month names, as [`weekday_of`] and [`month_of`] read them (a test checks that
/// both lists agree with those functions).
const WEEKDAY_AND_MONTH_WORDS: &str = "lundi monday mardi tuesday mercredi wednesday jeudi thursday vendredi friday \
     samedi saturday dimanche sunday janvier janv january jan fevrier fev fevr february feb mars march mar avril \
     avr april apr mai may juin june jun juillet juil july jul aout august aug septembre sept september sep \
     octobre october oct novembre november nov decembre december dec";

/// Every word [`is_starter`] accepts, hashed: it is asked for every word of every message,
/// and a binary search over the list cost a string comparison per step.
static STARTER_SET: LazyLock<FxHashSet<&str>> = LazyLock::new(|| {
    STARTERS
        .iter()
        .copied()
        .chain(WEEKDAY_AND_MONTH_WORDS.split_whitespace())
        .collect()
});

fn is_starter(w: &str) -> bool {
    STARTER_SET.contains(w)
}

// ---------------------------------------------------------------- recognisers

/// One date of a list or range: "samedi 5 septembre", "1er", "15/08/2026", "July 14th".
#[derive(Clone, Copy, Default)]
struct Item {
    day: u32,
    month: Option<u32>,
    year: Option<i32>,
    end: usize,
    /// The month came first ("August 3 to 10"), so later bare days borrow it.
    month_first: bool,
    /// Preceded by "le"/"the" after a separator ("le 3 et le 5 août").
    article: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sep {
    Range,
    List,
    Comma,
}

#[derive(Clone, Copy)]
enum Part {
    Whole,
    Early,
    Mid,
    Late,
}

struct P<'a> {
    t: &'a [Token],
    /// The folded word of each token, "" for anything else: the recognisers ask for the
    /// same words many times.
    words: Vec<&'a str>,
    today: NaiveDate,
    zone: HolidayZone,
    /// `coming_weekend(today)`, worked out once (the week-end recogniser runs at many words).
    coming: Option<Range>,
}

impl<'a> P<'a> {
    fn new(t: &'a [Token], ctx: &DateCtx) -> P<'a> {
        P {
            t,
            words: t
                .iter()
                .map(|t| if t.class == TokClass::Word { t.norm.as_str() } else { "" })
                .collect(),
            today: ctx.today,
            zone: ctx.zone,
            coming: coming_weekend(ctx.today),
        }
    }

    /// The folded word at `i`, or "" for anything else (so that `match` arms stay simple).
    fn w(&self, i: usize) -> &'a str {
        self.words.get(i).copied().unwrap_or("")
    }

    fn before(&self, i: usize, n: usize) -> &'a str {
        i.checked_sub(n).map_or("", |j| self.w(j))
    }

    fn punct(&self, i: usize, c: char) -> bool {
        self.t.get(i).is_some_and(|t| t.class == TokClass::Punct(c))
    }

    /// Number at `i` with its digit count (leading zeros matter for "15/08" vs "8/10").
    fn num(&self, i: usize) -> Option<(u32, usize)> {
        let t = self
            .t
            .get(i)
            .filter(|t| t.class == TokClass::Number && t.norm.len() <= 4)?;
        Some((t.norm.parse().ok()?, t.norm.len()))
    }

    /// Token `i` touches token `i - 1` (no space between them).
    fn glued(&self, i: usize) -> bool {
        i > 0 && i < self.t.len() && self.t[i].start == self.t[i - 1].end
    }

    /// The longest expression starting at `i`; `until` is off for the target of "jusqu'au", so
    /// that recursion stops at depth one; `filter` is off only in tests, to check `is_starter`.
    fn parse_at(&self, i: usize, until: bool, filter: bool) -> Option<Hit> {
        let tok = self.t.get(i)?;
        match tok.class {
            TokClass::Number => self.dates(i),
            TokClass::Word if !filter || is_starter(self.w(i)) => {
                // "fin juin", "début mai": the corpora read part of a month as vague (no dates
                // of a post), except as the end of a span ("jusqu'à fin mai", read by `until`).
                let month = match self.month_expr(i) {
                    Some(h)
                        if until
                            && matches!(
                                self.w(i),
                                "debut" | "fin" | "mi" | "early" | "mid" | "late" | "end" | "beginning"
                            ) =>
                    {
                        Some(Hit {
                            end: h.end,
                            range: None,
                        })
                    }
                    m => m,
                };
                let found = [
                    self.dates(i),
                    self.weekday(i),
                    self.weekend(i),
                    self.relative(i),
                    month,
                    self.school(i),
                    self.feast(i),
                    if until { self.until(i) } else { None },
                ];
                let mut best: Option<Hit> = None;
                for h in found.into_iter().flatten() {
                    let better = best
                        .as_ref()
                        .is_none_or(|b| h.end > b.end || (h.end == b.end && b.range.is_none() && h.range.is_some()));
                    if better {
                        best = Some(h);
                    }
                }
                best
            }
            _ => None,
        }
    }

    /// "soir", "matin", "après-midi", "night"...: how many tokens, 0 if none.
    fn time_of_day(&self, k: usize) -> usize {
        match self.w(k) {
            "matin" | "soir" | "midi" | "soiree" | "matinee" | "aprem" | "nuit" | "morning" | "evening"
            | "afternoon" | "night" => 1,
            "apres" if self.punct(k + 1, '-') && self.w(k + 2) == "midi" => 3,
            "apres" if self.w(k + 1) == "midi" => 2,
            _ => 0,
        }
    }

    /// "de" or "d'" (or "of"): index after it.
    fn of(&self, k: usize) -> Option<usize> {
        match self.w(k) {
            "de" | "of" => Some(k + 1),
            "d" if self.punct(k + 1, '\'') => Some(k + 2),
            _ => None,
        }
    }

    /// Skips an elided "l'" ("l'Ascension").
    fn elided(&self, k: usize) -> usize {
        if self.w(k) == "l" && self.punct(k + 1, '\'') {
            k + 2
        } else {
            k
        }
    }

    /// May a bare number ending before `k` be a day? Not in "14h", "3 ans", "25 €", "3,5".
    fn bare_ok(&self, k: usize) -> bool {
        let Some(t) = self.t.get(k) else { return true };
        match t.class {
            TokClass::Word => !is_unit(&t.norm),
            TokClass::Punct(c) => {
                let decimal = matches!(c, '.' | ',') && self.glued(k) && self.glued(k + 1);
                let decimal = decimal && self.num(k + 1).is_some();
                !decimal && !matches!(c, '€' | '$' | '£' | '%' | ':' | '°' | '\'' | '"')
            }
            _ => true,
        }
    }

    /// Day of month 1..=31 with an optional glued ordinal suffix ("1er", "3rd").
    fn day(&self, k: usize) -> Option<(u32, usize)> {
        let (v, len) = self.num(k)?;
        if len > 2 || v == 0 || v > 31 {
            return None;
        }
        let suffix = matches!(self.w(k + 1), "er" | "ere" | "e" | "eme" | "st" | "nd" | "rd" | "th");
        Some((v, if suffix && self.glued(k + 1) { k + 2 } else { k + 1 }))
    }

    /// A four-digit year at `k`, optionally after a comma ("July 14, 2026").
    fn year_after(&self, k: usize, comma: bool) -> (Option<i32>, usize) {
        let j = if comma && self.punct(k, ',') { k + 1 } else { k };
        match self.num(j) {
            Some((y, 4)) if y >= 1000 => (i32::try_from(y).ok(), j + 1),
            _ => (None, k),
        }
    }

    fn item(&self, i: usize) -> Option<Item> {
        let mut j = i;
        if weekday_of(self.w(j)).is_some() {
            j += 1;
            if self.punct(j, ',') {
                j += 1;
            }
        }
        if let Some(it) = self.numeric(j) {
            return Some(it);
        }
        if let Some(m) = month_first(self.w(j)) {
            let (d, k) = self.day(j + 1)?;
            let (year, k) = self.year_after(k, true);
            return self.bare_ok(k).then_some(Item {
                day: d,
                month: Some(m),
                year,
                end: k,
                month_first: true,
                article: false,
            });
        }
        let (d, mut k) = self.day(j)?;
        if self.w(k) == "of" && month_of(self.w(k + 1)).is_some() {
            k += 1;
        }
        if let Some(m) = month_of(self.w(k)) {
            let (year, k) = self.year_after(k + 1, false);
            return Some(Item {
                day: d,
                month: Some(m),
                year,
                end: k,
                ..Item::default()
            });
        }
        self.bare_ok(k).then_some(Item {
            day: d,
            end: k,
            ..Item::default()
        })
    }

    /// "15/08", "3/08/26", "15.08.2026", "2026-08-15": all parts glued together.
    fn numeric(&self, j: usize) -> Option<Item> {
        let (a, la) = self.num(j)?;
        let sep = ['/', '.', '-'].into_iter().find(|&c| self.punct(j + 1, c))?;
        let (b, lb) = self.num(j + 2).filter(|_| self.glued(j + 1) && self.glued(j + 2))?;
        let (day, month, mut year, mut k) = if la == 4 && sep == '-' {
            // ISO 8601: year-month-day.
            let (c, _) = self
                .num(j + 4)
                .filter(|_| self.punct(j + 3, '-') && self.glued(j + 3) && self.glued(j + 4))?;
            (c, b, i32::try_from(a).ok(), j + 5)
        } else {
            (a, b, None, j + 3)
        };
        let plausible = match sep {
            '/' => la == 2 || lb == 2,
            '.' => la == 2 && lb == 2,
            _ => year.is_some(),
        };
        if !plausible || !(1..=31).contains(&day) || !(1..=12).contains(&month) || (a, b) == (24, 7) {
            return None;
        }
        if year.is_none() && self.punct(k, sep) && self.glued(k) && self.glued(k + 1) {
            match self.num(k + 1) {
                Some((y, 2)) => year = i32::try_from(2000 + y).ok(),
                Some((y, 4)) => year = i32::try_from(y).ok(),
                _ => return None,
            }
            k += 2;
        }
        // Phone numbers and versions go on ("06.12.34.56"); marks out of ten need a date cue.
        let more = ['.', '/', ':'].into_iter().any(|c| self.punct(k, c)) && self.glued(k) && self.num(k + 1).is_some();
        let cue = matches!(
            self.before(j, 1),
            "le" | "du" | "au" | "a" | "et" | "on" | "from" | "entre"
        ) || weekday_of(self.before(j, 1)).is_some();
        if more || (sep == '/' && b == 10 && year.is_none() && !cue) || !self.bare_ok(k) {
            return None;
        }
        Some(Item {
            day,
            month: Some(month),
            year,
            end: k,
            ..Item::default()
        })
    }

    fn sep(&self, k: usize) -> Option<(Sep, usize)> {
        let t = self.t.get(k)?;
        match t.class {
            TokClass::Punct('-' | '–' | '—') => Some((Sep::Range, k + 1)),
            TokClass::Punct('&') => Some((Sep::List, k + 1)),
            TokClass::Punct(',') => Some((Sep::Comma, k + 1)),
            TokClass::Word => match t.norm.as_str() {
                "au" | "a" | "to" | "till" | "until" | "through" | "thru" => Some((Sep::Range, k + 1)),
                "jusqu" if self.punct(k + 1, '\'') && matches!(self.w(k + 2), "au" | "a") => Some((Sep::Range, k + 3)),
                "et" | "ou" | "and" | "or" => Some((Sep::List, k + 1)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Dates, lists and ranges of dates: "le 14 juillet", "du 19 décembre au 3 janvier",
    /// "entre le 3 et le 10 août", "3-10 August", "from August 3 to 10", "les 3, 4 et 5 mai".
    fn dates(&self, i: usize) -> Option<Hit> {
        const MAX: usize = 6;
        let intro = self.w(i);
        let mut cur = i;
        if matches!(
            intro,
            "du" | "entre" | "from" | "between" | "le" | "les" | "the" | "on" | "des"
        ) {
            cur += 1;
            if matches!(self.w(cur), "le" | "the") && !matches!(intro, "le" | "les" | "the" | "du") {
                cur += 1;
            }
        }
        let mut items = [Item::default(); MAX];
        let mut seps = [Sep::Range; MAX];
        let (mut n, mut sep, mut article) = (0, Sep::Range, false);
        while n < MAX {
            let Some(mut it) = self.item(cur) else { break };
            it.article = article;
            (items[n], seps[n]) = (it, sep);
            n += 1;
            let Some((s, mut k)) = self.sep(it.end) else {
                break;
            };
            article = matches!(self.w(k), "le" | "the");
            if article {
                k += 1;
            }
            (sep, cur) = (s, k);
        }
        // As between expressions, a comma alone does not join full dates ("le 3 août, le 10
        // septembre" are two); it does join a bare day to the month after it ("les 3, 4 août").
        let last_link = (1..n).rev().find(|&k| seps[k] != Sep::Comma).unwrap_or(0);
        if let Some(k) = (last_link + 1..n).find(|&k| items[k - 1].month.is_some()) {
            n = k;
        }
        if n == 0 {
            return None;
        }
        if items[..n].iter().all(|it| it.month.is_none()) {
            if let [day] = &items[..n] {
                return self.bare_day(i, intro, day);
            }
            return self.bare_days(intro, &items[..n], &seps[..n]);
        }
        // "du 3 au 10 août": earlier days take the month of a later one ("du 28 au 3 août": the
        // month before); later bare days take the previous month when clearly part of the phrase.
        for k in (0..n - 1).rev() {
            if let (None, Some(m)) = (items[k].month, items[k + 1].month) {
                let back = items[k].day > items[k + 1].day && seps[k + 1] == Sep::Range;
                items[k].month = Some(if !back {
                    m
                } else if m == 1 {
                    12
                } else {
                    m - 1
                });
            }
        }
        for k in 1..n {
            if items[k].month.is_none() {
                let word_after = self.t.get(items[k].end).is_some_and(|t| t.is_word());
                let ok = match seps[k] {
                    Sep::Range => true,
                    Sep::Comma if k >= last_link => false,
                    _ => items[k].article || items[k - 1].month_first || !word_after,
                };
                if !ok {
                    n = k;
                    break;
                }
                items[k].month = items[k - 1].month;
            }
        }
        let items = &items[..n];
        let mut dates = [NaiveDate::MIN; MAX];
        let dm = |it: &Item| (it.day, it.month.unwrap_or(1));
        let first_year = items.iter().position(|it| it.year.is_some()).unwrap_or(n);
        if first_year == n {
            let (d, m) = dm(&items[0]);
            dates[0] = resolve_dm(self.today, d, m)?;
        } else {
            let (d, m) = dm(&items[first_year]);
            dates[first_year] = ymd(items[first_year].year?, m, d)?;
            for k in (0..first_year).rev() {
                let (d, m) = dm(&items[k]);
                let y = dates[k + 1].year();
                dates[k] = ymd(y, m, d)
                    .filter(|c| *c <= dates[k + 1])
                    .or_else(|| ymd(y - 1, m, d))?;
            }
        }
        for k in if first_year == n { 1 } else { first_year + 1 }..n {
            let (d, m) = dm(&items[k]);
            let y = items[k].year.unwrap_or(dates[k - 1].year());
            dates[k] = ymd(y, m, d)
                .filter(|c| *c >= dates[k - 1] || items[k].year.is_some())
                .or_else(|| ymd(y + 1, m, d))?;
        }
        let from = *dates[..n].iter().min()?;
        let to = *dates[..n].iter().max()?;
        if (to - from).num_days() > 366 {
            return None;
        }
        hit(items[n - 1].end, (from, to))
    }

    /// "pour aller à Bordeaux le 19": one day after "le" with no month is the next such day
    /// (this month, or the next one if it is over); "devant le 12" and "le 12 rue…" are addresses.
    fn bare_day(&self, i: usize, intro: &str, day: &Item) -> Option<Hit> {
        let place = matches!(
            self.before(i, 1),
            "devant"
                | "derriere"
                | "pres"
                | "vers"
                | "dans"
                | "sur"
                | "face"
                | "habite"
                | "numero"
                | "au"
                | "du"
                | "en"
        );
        let then_ok = match self.t.get(day.end) {
            Some(t) if t.is_word() => matches!(
                t.norm.as_str(),
                "au" | "a"
                    | "matin"
                    | "soir"
                    | "midi"
                    | "apres"
                    | "aprem"
                    | "et"
                    | "ou"
                    | "pour"
                    | "je"
                    | "j"
                    | "on"
                    | "si"
                    | "svp"
                    | "merci"
                    | "vers"
                    | "dans"
                    | "entre"
                    | "de"
                    | "avant"
                    | "des"
            ),
            _ => true,
        };
        // "pour le réveillon du 31"
        let party = intro == "du" && matches!(self.before(i, 1), "reveillon" | "fete" | "soiree" | "nuit");
        if !(intro == "le" || party) || place || !then_ok {
            return None;
        }
        let mut first = ymd(self.today.year(), self.today.month(), 1)?;
        if day.day < self.today.day() {
            first = first.checked_add_months(Months::new(1))?;
        }
        let date = first.with_day(day.day)?;
        hit(day.end, (date, date))
    }

    /// "du 3 au 10" with no month at all: this month, or the next one if that range is over;
    /// "le 12 ou le 13", "le 12 et 13": either day, the same span.
    fn bare_days(&self, intro: &str, items: &[Item], seps: &[Sep]) -> Option<Hit> {
        let [a, b] = items else { return None };
        let range = intro == "du" && seps[1] == Sep::Range;
        let either = intro == "le" && seps[1] == Sep::List;
        if !(range || either) || a.day >= b.day {
            return None;
        }
        let mut first = ymd(self.today.year(), self.today.month(), 1)?;
        if b.day < self.today.day() {
            first = first.checked_add_months(Months::new(1))?;
        }
        hit(b.end, (first.with_day(a.day)?, first.with_day(b.day)?))
    }

    /// "samedi", "ce samedi", "samedi soir", "lundi prochain", "samedi en huit", "next Monday",
    /// "samedi 5"; "le samedi", "chaque samedi", "every Friday", "samedi dernier" are skipped.
    fn weekday(&self, i: usize) -> Option<Hit> {
        let mut j = i;
        if weekday_of(self.w(i)).is_none() {
            if !matches!(self.w(i), "ce" | "this" | "next" | "on") {
                return None;
            }
            j += 1;
        }
        let wd = weekday_of(self.w(j))?;
        let before = self.before(j, 1);
        j += 1;
        // "Saturday the 28th"
        let the = usize::from(self.w(j) == "the");
        if let Some((d, k)) = self.day(j + the)
            && self.bare_ok(k)
            && month_of(self.w(k)).is_none()
        {
            return day_hit(k, self.day_with_weekday(d, wd)?);
        }
        let habitual = match before {
            // "un samedi en mars" is some Saturday, not the next one.
            "chaque" | "every" | "each" | "les" | "tous" | "last" | "un" => true,
            "le" => !matches!(self.before(j - 1, 2), "pour" | "for"),
            // "la distribution du jeudi soir" is a habit.
            "du" => true,
            // "du lundi au vendredi" is opening hours far more often than one week.
            "de" | "from" => {
                matches!(self.w(j), "au" | "a" | "to" | "till" | "until") && weekday_of(self.w(j + 1)).is_some()
            }
            // "on Wednesday afternoons" is every Wednesday.
            _ => matches!(self.w(j), "mornings" | "afternoons" | "evenings" | "nights"),
        };
        if habitual {
            let end = if matches!(before, "du" | "de" | "from") {
                j + 2
            } else {
                j + self.time_of_day(j)
            };
            return skip(end);
        }
        if matches!(self.w(j), "dernier" | "passe") {
            return skip(j + 1);
        }
        let mut date = next_weekday(self.today, wd)?;
        j += self.time_of_day(j);
        if matches!(self.w(j), "prochain" | "prochaine") {
            j += 1;
        }
        if self.w(j) == "en" {
            let weeks = match (self.w(j + 1), self.num(j + 1)) {
                ("huit", _) | (_, Some((8, _))) => 1,
                ("quinze", _) | (_, Some((15, _))) => 2,
                _ => 0,
            };
            if weeks > 0 {
                date = add(date, 7 * weeks)?;
                j += 2;
            }
        }
        day_hit(j + self.time_of_day(j), date)
    }

    /// "samedi 5": the next day 5 (from today) falling on a Saturday, else simply the next 5th.
    fn day_with_weekday(&self, d: u32, wd: Weekday) -> Option<NaiveDate> {
        let first = ymd(self.today.year(), self.today.month(), 1)?;
        let nth = |k: u32| {
            first
                .checked_add_months(Months::new(k))?
                .with_day(d)
                .filter(|x| *x >= self.today)
        };
        (0..13)
            .find_map(|k| nth(k).filter(|x| x.weekday() == wd))
            .or_else(|| (0..3).find_map(nth))
    }

    fn weekend_word(&self, k: usize) -> Option<usize> {
        match self.w(k) {
            "weekend" | "we" => Some(k + 1),
            "week" if self.punct(k + 1, '-') && self.w(k + 2) == "end" => Some(k + 3),
            "week" if self.w(k + 1) == "end" => Some(k + 2),
            "w" if (self.punct(k + 1, '-') || self.punct(k + 1, '.')) && self.w(k + 2) == "e" => Some(k + 3),
            _ => None,
        }
    }

    /// "ce week-end", "pour le week-end", "over the weekend", "le week-end du 15 août",
    /// "le week-end prochain"; bare "le week-end" is habitual and skipped.
    fn weekend(&self, i: usize) -> Option<Hit> {
        let coming = self.coming?;
        let (k, default) = match self.w(i) {
            "ce" | "cet" | "this" | "next" => (self.weekend_word(i + 1)?, Some(coming)),
            "pour" | "for" | "over" | "during" if matches!(self.w(i + 1), "le" | "the") => {
                (self.weekend_word(i + 2)?, Some(coming))
            }
            "le" | "the" if self.w(i + 1) == "prochain" => (self.weekend_word(i + 2)?, Some(coming)),
            "le" | "the" => (self.weekend_word(i + 1)?, None),
            "last" => return skip(self.weekend_word(i + 1)?),
            "we" => return None,
            // Bare "week-end" only with what follows: "week-end du 15 août", "week-end prochain".
            _ => return self.weekend_tail(self.weekend_word(i)?, coming),
        };
        self.weekend_tail(k, coming).or_else(|| match default {
            Some(r) => hit(k, r),
            None => skip(k),
        })
    }

    /// What may follow a weekend word: "prochain", "dernier", "du 15 août", "de Pâques".
    fn weekend_tail(&self, k: usize, coming: Range) -> Option<Hit> {
        match self.w(k) {
            "prochain" => hit(k + 1, coming),
            "dernier" | "passe" => skip(k + 1),
            "du" | "des" | "of" => {
                let h = self.dates(if self.w(k) == "of" { k + 1 } else { k })?;
                hit(h.end, weekend_of(h.range?.0)?)
            }
            _ => {
                let j = self.elided(self.of(k)?);
                let h = self.feast(if self.w(j) == "la" { j + 1 } else { j })?;
                let d = h.range?.0;
                // The Ascension weekend is the four-day bridge from the Thursday.
                let r = if d.weekday() == Weekday::Thu {
                    (d, add(d, 3)?)
                } else {
                    weekend_of(d)?
                };
                hit(h.end, r)
            }
        }
    }

    /// Today, tomorrow and the current or next week or month.
    fn relative(&self, i: usize) -> Option<Hit> {
        let today = self.today;
        let next_week = || {
            let monday = add(today, 7 - wd_index(today))?;
            Some((monday, add(monday, 6)?))
        };
        match self.w(i) {
            "aujourd" if self.punct(i + 1, '\'') && self.w(i + 2) == "hui" => day_hit(i + 3, today),
            "aujourd" if self.w(i + 1) == "hui" => day_hit(i + 2, today),
            "aujourdhui" | "today" | "tonight" | "tonite" => day_hit(i + 1, today),
            "ce" | "cet" | "cette" | "this" => {
                let n = self.time_of_day(i + 1);
                match self.w(i + 1) {
                    _ if n > 0 => day_hit(i + 1 + n, today),
                    "semaine" | "week" => hit(i + 2, (today, add(today, 6 - wd_index(today))?)),
                    "mois" | "month" => {
                        // "ce mois de juillet" names a month: `month_expr` reads it from "mois".
                        if self.of(i + 2).is_some_and(|k| month_of(self.w(k)).is_some()) {
                            return None;
                        }
                        let ci = self.punct(i + 2, '-') && self.w(i + 3) == "ci";
                        let end_of_month = month_range(today.year(), today.month())?.1;
                        hit(if ci { i + 4 } else { i + 2 }, (today, end_of_month))
                    }
                    _ => None,
                }
            }
            "demain" | "tomorrow" => day_hit(i + 1 + self.time_of_day(i + 1), add(today, 1)?),
            "apres" => {
                let k = if self.punct(i + 1, '-') { i + 2 } else { i + 1 };
                (self.w(k) == "demain").then_some(())?;
                day_hit(k + 1 + self.time_of_day(k + 1), add(today, 2)?)
            }
            "the" | "day" => {
                let k = if self.w(i) == "the" { i + 1 } else { i };
                (self.w(k) == "day" && self.w(k + 1) == "after" && self.w(k + 2) == "tomorrow").then_some(())?;
                day_hit(k + 3, add(today, 2)?)
            }
            "semaine" => match self.w(i + 1) {
                "prochaine" => hit(i + 2, next_week()?),
                "derniere" | "passee" => skip(i + 2),
                "du" => {
                    let h = self.dates(i + 1)?;
                    let (from, to) = h.range?;
                    if from != to {
                        return hit(h.end, (from, to));
                    }
                    let monday = add(from, -wd_index(from))?;
                    hit(h.end, (monday, add(monday, 6)?))
                }
                _ => None,
            },
            "next" if self.w(i + 1) == "week" => hit(i + 2, next_week()?),
            "last" if matches!(self.w(i + 1), "week" | "month" | "night") => skip(i + 2),
            _ => None,
        }
    }

    /// "en août", "tout le mois de mars", "in August", "all of March", "début juillet",
    /// "le mois prochain", "juillet 2026".
    fn month_expr(&self, i: usize) -> Option<Hit> {
        let mut part = Part::Whole;
        let k = match self.w(i) {
            "en" | "in" | "during" | "courant" | "throughout" => i + 1,
            "tout" | "toute" if self.w(i + 1) == "le" && self.w(i + 2) == "mois" => self.of(i + 3)?,
            "tout" | "toute" => i + 1,
            "all" if self.w(i + 1) == "of" => i + 2,
            "all" => i + 1,
            "mois" | "month" if self.w(i + 1) == "prochain" => return self.next_month(i + 2),
            "next" if self.w(i + 1) == "month" => return self.next_month(i + 2),
            "mois" | "month" if self.w(i + 1) == "dernier" => return skip(i + 2),
            "mois" | "month" => self.of(i + 1)?,
            w @ ("debut" | "fin" | "mi" | "early" | "mid" | "late" | "end" | "beginning") => {
                part = match w {
                    "debut" | "early" | "beginning" => Part::Early,
                    "mi" | "mid" => Part::Mid,
                    _ => Part::Late,
                };
                let mut k = if self.punct(i + 1, '-') { i + 2 } else { i + 1 };
                if self.w(k) == "du" && self.w(k + 1) == "mois" {
                    k += 2;
                }
                self.of(k).unwrap_or(k)
            }
            _ => i,
        };
        let m = month_of(self.w(k))?;
        let (year, end) = self.year_after(k + 1, false);
        if k == i && year.is_none() {
            return None;
        }
        // "un samedi en mars", "notre bébé arrive en mars", "à planter en avril": a month said
        // with "en"/"in" is a vague time, not the dates of a post ("tout le mois de mars" is).
        if matches!(self.w(i), "en" | "in") && year.is_none() {
            return skip(end);
        }
        let y = year.unwrap_or_else(|| month_year(self.today, m));
        let (first, last) = month_range(y, m)?;
        let r = match part {
            Part::Whole => (first, last),
            Part::Early => (first, add(first, 9)?),
            Part::Mid => (add(first, 10)?, add(first, 19)?),
            Part::Late => (add(first, 20)?, last),
        };
        hit(end, r)
    }

    fn next_month(&self, end: usize) -> Option<Hit> {
        let first = ymd(self.today.year(), self.today.month(), 1)?;
        let first = first.checked_add_months(Months::new(1))?;
        hit(end, month_range(first.year(), first.month())?)
    }

    /// "jusqu'au 20 mai", "jusqu'à samedi", "until Friday", "d'ici dimanche": today..that date.
    fn until(&self, i: usize) -> Option<Hit> {
        let k = match self.w(i) {
            "jusqu" | "jusque" => {
                let k = if self.punct(i + 1, '\'') { i + 2 } else { i + 1 };
                matches!(self.w(k), "au" | "a").then_some(k + 1)?
            }
            "until" | "till" | "til" => i + 1,
            "ici" if self.punct(i.wrapping_sub(1), '\'') && self.before(i, 2) == "d" => i + 1,
            _ => return None,
        };
        let (end, to) = match self.parse_at(k, false, true) {
            Some(Hit {
                end,
                range: Some((_, to)),
            }) => (end, to),
            _ => (self.weekend_word(k)?, self.coming?.1),
        };
        (to >= self.today).then_some(())?;
        hit(end, (self.today, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::token::tokenize;

    /// `sent [zone] | text | expected`: the expected ranges are `from..to` separated by ", ",
    /// or "-" for no match at all. The zone is B unless given.
    const CASES: &str = "
# The examples of the specification, verbatim.
2026-01-14 | ce week-end | 2026-01-17..2026-01-18
2026-01-20 | pour samedi | 2026-01-24..2026-01-24
2026-07-18 | du 3 au 10 août | 2026-08-03..2026-08-10
2026-03-12 | ce soir | 2026-03-12..2026-03-12
2026-02-18 | mardi prochain | 2026-02-24..2026-02-24
2026-01-07 | samedi soir | 2026-01-10..2026-01-10
2026-02-26 | tout le mois de mars | 2026-03-01..2026-03-31
2026-06-30 | du 11 au 25 juillet | 2026-07-11..2026-07-25
2026-06-05 | demain matin | 2026-06-06..2026-06-06
2026-04-15 | ce week-end | 2026-04-18..2026-04-19
2026-09-16 | samedi | 2026-09-19..2026-09-19
2026-10-28 | du 5 au 20 novembre | 2026-11-05..2026-11-20
2026-11-24 | vendredi soir | 2026-11-27..2026-11-27
2026-06-24 | ce samedi | 2026-06-27..2026-06-27
2026-02-02 | du 14 au 21 février | 2026-02-14..2026-02-21
2026-10-06 | vacances de la Toussaint | 2026-10-17..2026-11-01
2026-11-03 | ce soir | 2026-11-03..2026-11-03
2026-01-29 | pour la Chandeleur | 2026-02-02..2026-02-02
2026-04-29 | ce week-end | 2026-05-02..2026-05-03
2026-06-11 | mardi tôt le matin | 2026-06-16..2026-06-16
2026-03-04 | samedi | 2026-03-07..2026-03-07
2026-12-01 | du 19 décembre au 3 janvier | 2026-12-19..2027-01-03
2026-10-07 | this Saturday | 2026-10-10..2026-10-10
2026-05-27 | on Sunday | 2026-05-31..2026-05-31
2026-02-20 | tomorrow morning | 2026-02-21..2026-02-21
2026-09-23 | this weekend | 2026-09-26..2026-09-27
2026-02-11 | for Friday night | 2026-02-13..2026-02-13
2026-07-29 | (lundi et mardi) | 2026-08-03..2026-08-04
2026-12-09 | demain et après-demain | 2026-12-10..2026-12-11
2026-07-16 | Je prête ma tente samedi, ou alors pour le week-end | 2026-07-18..2026-07-18, 2026-07-18..2026-07-19
2026-08-06 | le week-end du 15 août | 2026-08-15..2026-08-16
2026-08-31 | samedi 5 septembre, départ vers 9h | 2026-09-05..2026-09-05
2026-10-04 | la semaine du 12 au 16 octobre | 2026-10-12..2026-10-16
2026-07-15 | en août | -
2026-07-15 | tout le mois d'août | 2026-08-01..2026-08-31
2026-07-15 | du 1er au 31 août | 2026-08-01..2026-08-31
2026-05-07 | pendant le pont de l'Ascension (du 14 au 17 mai) | 2026-05-14..2026-05-17, 2026-05-14..2026-05-17
2026-02-25 | la semaine prochaine | 2026-03-02..2026-03-08
2026-06-23 | tout le mois de juillet | 2026-07-01..2026-07-31
2026-06-26 | ce soir avant 20h | 2026-06-26..2026-06-26
2026-10-21 | samedi matin | 2026-10-24..2026-10-24
2026-01-06 | demain matin | 2026-01-07..2026-01-07
2026-06-09 | samedi 20 juin | 2026-06-20..2026-06-20
2026-03-05 | à démonter le 12 ou le 13 | 2026-03-12..2026-03-13
2026-03-15 | le 12 et 13 | 2026-04-12..2026-04-13
# No match: habitual, past, vague, or not a date at all.
2026-06-10 | le mercredi après-midi | -
2026-06-10 | tous les samedis matin | -
2026-06-10 | le mercredi à 14h | -
2026-06-10 | à partir de septembre | -
2026-06-10 | hier soir | -
2026-06-10 | cet été | -
2026-06-10 | ce printemps | -
2026-06-10 | pendant les fêtes | -
2026-06-10 | for the summer holidays | -
2026-06-10 | pour Noël | -
2026-06-10 | pendant vos vacances | -
2026-06-10 | last weekend | -
2026-06-10 | 3m | -
2026-06-10 | 25€ | -
2026-06-10 | 16 pouces | -
2026-06-10 | 20 inch | -
2026-06-10 | 1 fois par mois | -
2026-06-10 | 7h du mat | -
2026-06-10 | 2 places, 4 ans | -
2026-06-10 | je prête le week-end | -
2026-06-10 | les samedis, chaque lundi, every Friday, on Sundays | -
2026-06-10 | le samedi matin | -
2026-06-10 | en semaine | -
2026-06-10 | vacances d'été, les grandes vacances, summer holidays, les vacances | -
2026-06-10 | Christmas | -
2026-06-10 | la semaine dernière, samedi dernier, le week-end dernier | -
2026-06-10 | ouvert du lundi au vendredi | -
2026-06-10 | open from Monday to Friday | -
2026-06-10 | 19h-minuit, vers 9h | -
2026-06-10 | note 8/10, 10/10 je recommande, dispo 24/7 | -
2026-06-10 | tél 06.12.34.56.78 | -
2026-06-10 | 3/4 de litre, enfants 10/12 ans, 15.50 €, 2-3 personnes | -
2026-06-10 | la planète Mars, sept personnes, I may come | -
2026-06-10 | du 36 au 40 | -
2026-06-10 | le 31 juin | -
2026-06-10 | le 3 | 2026-07-03..2026-07-03
2026-06-10 | le 12, à Lyon le 19 au soir | 2026-06-12..2026-06-12, 2026-06-19..2026-06-19
2026-06-10 | devant le 12, le 12 rue des Lilas, au 3 | -
2026-06-10 | mois de | -
2026-06-10 | on the weekend | -
2026-06-10 |  | -
# Same day, tomorrow, the day after.
2026-06-10 | aujourd'hui | 2026-06-10..2026-06-10
2026-06-10 | aujourd’hui, ce matin, ce midi, cet après-midi, cette nuit | 2026-06-10..2026-06-10, 2026-06-10..2026-06-10, 2026-06-10..2026-06-10, 2026-06-10..2026-06-10, 2026-06-10..2026-06-10
2026-06-10 | tonight | 2026-06-10..2026-06-10
2026-06-10 | this evening | 2026-06-10..2026-06-10
2026-06-10 | this afternoon | 2026-06-10..2026-06-10
2026-06-10 | demain soir | 2026-06-11..2026-06-11
2026-06-10 | demain après-midi | 2026-06-11..2026-06-11
2026-06-10 | tomorrow night | 2026-06-11..2026-06-11
2026-06-10 | apres demain | 2026-06-12..2026-06-12
2026-06-10 | the day after tomorrow | 2026-06-12..2026-06-12
# Weekends (2026-01-14 is a Wednesday, 01-17 a Saturday; 2026-08-16 a Sunday, 08-12 a Wednesday).
2026-01-14 | ce we | 2026-01-17..2026-01-18
2026-01-14 | ce weekend | 2026-01-17..2026-01-18
2026-01-14 | ce week end | 2026-01-17..2026-01-18
2026-01-14 | this week-end | 2026-01-17..2026-01-18
2026-01-14 | over the weekend | 2026-01-17..2026-01-18
2026-01-14 | le week-end prochain | 2026-01-17..2026-01-18
2026-01-14 | next weekend | 2026-01-17..2026-01-18
2026-01-17 | ce week-end | 2026-01-17..2026-01-18
2026-01-18 | ce week-end | 2026-01-18..2026-01-18
2026-08-06 | le week-end du 16 août | 2026-08-15..2026-08-16
2026-08-06 | le week-end du 12 août | 2026-08-15..2026-08-16
2026-06-01 | le week-end des 13 et 14 juin | 2026-06-13..2026-06-14
2026-03-01 | le week-end de Pâques | 2026-04-04..2026-04-05
2026-03-01 | le week-end de la Pentecôte | 2026-05-23..2026-05-24
2026-06-10 | week-end du 14 juillet | 2026-07-18..2026-07-19
# Weekdays (2026-06-10 is a Wednesday).
2026-06-10 | mercredi | 2026-06-17..2026-06-17
2026-06-10 | jeudi | 2026-06-11..2026-06-11
2026-06-10 | next Monday | 2026-06-15..2026-06-15
2026-06-10 | samedi en huit | 2026-06-20..2026-06-20
2026-06-10 | le pique-nique de dimanche | 2026-06-14..2026-06-14
2026-06-10 | à rendre pour le lundi | 2026-06-15..2026-06-15
2026-06-10 | Friday night | 2026-06-12..2026-06-12
2026-06-10 | dimanche 14 juin | 2026-06-14..2026-06-14
2026-06-10 | le samedi 13 | 2026-06-13..2026-06-13
2026-06-10 | samedi 14h | 2026-06-13..2026-06-13
2026-06-10 | Saturday, July 4 | 2026-07-04..2026-07-04
2026-06-10 | le mardi 16 juin au soir | 2026-06-16..2026-06-16
# Days and months.
2026-06-10 | le 14 juillet | 2026-07-14..2026-07-14
2026-06-10 | 14/07 | 2026-07-14..2026-07-14
2026-06-10 | 14/07/2026 | 2026-07-14..2026-07-14
2026-06-10 | 14/07/26 | 2026-07-14..2026-07-14
2026-06-10 | 14.07 | 2026-07-14..2026-07-14
2026-06-10 | les 14/07, 15/07 | 2026-07-14..2026-07-14, 2026-07-15..2026-07-15
2026-06-10 | le 3 août, le 10 septembre | 2026-08-03..2026-08-03, 2026-09-10..2026-09-10
2026-06-10 | les 3, 4 août | 2026-08-03..2026-08-04
2026-06-10 | le 3 août, le 4 et le 5 | 2026-08-03..2026-08-05
2026-06-10 | 14 July | 2026-07-14..2026-07-14
2026-06-10 | July 14th | 2026-07-14..2026-07-14
2026-06-10 | on the 14th of July | 2026-07-14..2026-07-14
2026-06-10 | 2026-07-14 | 2026-07-14..2026-07-14
2026-06-10 | Jul 14, 2026 | 2026-07-14..2026-07-14
2026-06-10 | le 1er mai | 2026-05-01..2026-05-01
2026-06-10 | le 1er avril | 2027-04-01..2027-04-01
2026-12-01 | 3 janvier | 2027-01-03..2027-01-03
2026-12-01 | 14 octobre | 2026-10-14..2026-10-14
2026-06-10 | le 5 mars 2027 | 2027-03-05..2027-03-05
2026-06-10 | le 14 juillet 1789 | 1789-07-14..1789-07-14
2026-06-10 | Vente le 21/06 de 9h à 18h | 2026-06-21..2026-06-21
2026-06-10 | le 10/10 | 2026-10-10..2026-10-10
# Ranges and lists.
2026-07-18 | du 3/08 au 10/08 | 2026-08-03..2026-08-10
2026-07-18 | entre le 3 et le 10 août | 2026-08-03..2026-08-10
2026-07-18 | from 3 to 10 August | 2026-08-03..2026-08-10
2026-07-18 | 3-10 August | 2026-08-03..2026-08-10
2026-07-18 | from August 3 to 10 | 2026-08-03..2026-08-10
2026-07-18 | August 3-10 | 2026-08-03..2026-08-10
2026-07-18 | du lundi 3 au lundi 10 août | 2026-08-03..2026-08-10
2026-07-18 | 3 au 10 août 2026 | 2026-08-03..2026-08-10
2026-07-18 | du 3 jusqu'au 10 août | 2026-08-03..2026-08-10
2026-03-11 | à partir de lundi et jusqu'au vendredi 20 mars | 2026-03-16..2026-03-20
2026-07-18 | les 3, 4 et 5 août | 2026-08-03..2026-08-05
2026-07-18 | le 3 et le 5 août | 2026-08-03..2026-08-05
2026-07-18 | le 3 août et le 5 | 2026-08-03..2026-08-05
2026-03-18 | on Saturday the 28th | 2026-03-28..2026-03-28
2026-10-13 | on Wednesday afternoons | -
2026-07-18 | du 28 au 3 août | 2026-07-28..2026-08-03
2026-12-01 | du 28 au 3 janvier | 2026-12-28..2027-01-03
2026-12-01 | du 19 décembre au 3 janvier 2027 | 2026-12-19..2027-01-03
2026-07-18 | le 3 août, 5 enfants | 2026-08-03..2026-08-03
2026-07-18 | le 3 août et 4 enfants | 2026-08-03..2026-08-03
2026-07-18 | du 20 au 25 | 2026-07-20..2026-07-25
2026-07-18 | du 3 au 10 | 2026-08-03..2026-08-10
2026-07-18 | du 3 au 10 ans | -
2026-06-10 | Samedi 13 et dimanche 14 juin | 2026-06-13..2026-06-14
2026-06-10 | le 14/07 et le 15/07 | 2026-07-14..2026-07-15
# Until, from.
2026-05-07 | jusqu'au 20 mai | 2026-05-07..2026-05-20
2026-05-07 | jusqu'à samedi | 2026-05-07..2026-05-09
2026-05-07 | until Friday | 2026-05-07..2026-05-08
2026-05-07 | d'ici dimanche | 2026-05-07..2026-05-10
2026-05-07 | jusqu'à fin mai | 2026-05-07..2026-05-31
2026-05-07 | jusqu'au week-end | 2026-05-07..2026-05-10
2026-05-07 | à partir du 5 juin | 2026-06-05..2026-06-05
2026-05-07 | dès le 5 juin | 2026-06-05..2026-06-05
# Months and weeks (2026-07-15 is a Wednesday).
2026-07-15 | in August | -
2026-07-15 | all of August | 2026-08-01..2026-08-31
2026-07-15 | all of August | 2026-08-01..2026-08-31
2026-07-15 | the month of August | 2026-08-01..2026-08-31
2026-07-15 | tout août | 2026-08-01..2026-08-31
2026-07-15 | le mois d'août | 2026-08-01..2026-08-31
2026-07-15 | au mois d'août | 2026-08-01..2026-08-31
2026-07-15 | août 2026 | 2026-08-01..2026-08-31
2026-07-15 | en juillet | -
2026-07-15 | en mars | -
2026-07-15 | début août | -
2026-07-15 | mi-août | -
2026-07-15 | fin août | -
2026-07-15 | end of August | -
2026-07-15 | le mois prochain | 2026-08-01..2026-08-31
2026-07-15 | next month | 2026-08-01..2026-08-31
2026-12-15 | le mois prochain | 2027-01-01..2027-01-31
2026-07-15 | ce mois-ci | 2026-07-15..2026-07-31
2026-07-15 | this month | 2026-07-15..2026-07-31
2026-06-10 | ce mois de juillet | 2026-07-01..2026-07-31
2026-07-15 | cette semaine | 2026-07-15..2026-07-19
2026-07-15 | this week | 2026-07-15..2026-07-19
2026-07-15 | next week | 2026-07-20..2026-07-26
2026-07-15 | la semaine du 3 août | 2026-08-03..2026-08-09
# School holidays, by zone.
2026-01-10 A | vacances d'hiver | 2026-02-07..2026-02-22
2026-01-10 B | vacances d'hiver | 2026-02-14..2026-03-01
2026-01-10 C | vacances d'hiver | 2026-02-21..2026-03-08
2026-01-10 C | vacances de printemps | 2026-04-18..2026-05-03
2026-10-06 | vacances de Noël | 2026-12-19..2027-01-03
2026-10-06 | les vacances de fin d'année | 2026-12-19..2027-01-03
2026-10-06 | Christmas holidays | 2026-12-19..2027-01-03
2026-10-06 | vacances de février | 2027-02-20..2027-03-07
2026-10-06 | winter holidays | 2027-02-20..2027-03-07
2026-10-06 | vacances de Pâques | 2027-04-17..2027-05-02
2026-10-06 | vacances d'avril | 2027-04-17..2027-05-02
2026-10-06 | Easter holidays | 2027-04-17..2027-05-02
2026-10-06 | vacances scolaires de printemps | 2027-04-17..2027-05-02
2026-05-07 | le pont de l'Ascension | 2026-05-14..2026-05-17
2026-10-25 | vacances de la Toussaint | 2026-10-17..2026-11-01
2090-01-01 | vacances de Noël | -
# Feasts.
2026-01-29 | jour de l'an | 2027-01-01..2027-01-01
2026-01-29 | Halloween | 2026-10-31..2026-10-31
2026-01-29 | la Saint-Valentin | 2026-02-14..2026-02-14
2026-01-29 | Valentine's Day | 2026-02-14..2026-02-14
2026-01-29 | fête de la musique | 2026-06-21..2026-06-21
2026-01-29 | Pâques | 2026-04-05..2026-04-05
2026-01-29 | Easter | 2026-04-05..2026-04-05
2026-01-29 | le lundi de Pâques | 2026-04-06..2026-04-06
2026-01-29 | l'Ascension | 2026-05-14..2026-05-14
2026-01-29 | la Pentecôte | 2026-05-24..2026-05-24
2026-01-29 | lundi de Pentecôte | 2026-05-25..2026-05-25
2026-04-06 | Pâques | 2027-03-28..2027-03-28
# Joining and adjacency.
2026-06-10 | samedi dimanche | 2026-06-13..2026-06-13, 2026-06-14..2026-06-14
2026-06-10 | samedi ou dimanche | 2026-06-13..2026-06-14
2026-06-10 | Tomorrow or Sunday | 2026-06-11..2026-06-14
2026-06-10 | ce soir ou demain | 2026-06-10..2026-06-11
2026-06-10 | lundi, mardi et mercredi | 2026-06-15..2026-06-17
2026-06-10 | samedi, dimanche ou lundi | 2026-06-13..2026-06-15
2026-06-10 | demain, samedi sinon | 2026-06-11..2026-06-11, 2026-06-13..2026-06-13
2026-06-10 | demain, samedi et dimanche, lundi | 2026-06-11..2026-06-14, 2026-06-15..2026-06-15
2026-06-10 | demain. Samedi | 2026-06-11..2026-06-11, 2026-06-13..2026-06-13
2026-06-10 | Fin juin ou début juillet | -
";

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn found(ctx: &DateCtx, text: &str) -> String {
        let toks = tokenize(text);
        let got = find_when(&toks, ctx);
        // The starter filter is an optimisation only: it must never change a result.
        let p = P::new(&toks, ctx);
        for i in 0..toks.len() {
            let fast = p.parse_at(i, true, true).map(|h| (h.end, h.range));
            let slow = p.parse_at(i, true, false).map(|h| (h.end, h.range));
            assert_eq!(fast, slow, "starter filter changes {text:?} at token {i}");
        }
        let got: Vec<String> = got.iter().map(|m| format!("{}..{}", m.from, m.to)).collect();
        if got.is_empty() { "-".into() } else { got.join(", ") }
    }

    #[test]
    fn starter_set_holds_exactly_the_weekdays_and_months() {
        for w in WEEKDAY_AND_MONTH_WORDS.split_whitespace() {
            assert!(weekday_of(w).is_some() || month_of(w).is_some(), "{w}");
        }
        let n = WEEKDAY_AND_MONTH_WORDS.split_whitespace().count();
        // 7 weekdays × 2 languages, and the month spellings `month_of` lists.
        assert_eq!(n, 14 + 4 + 5 + 3 + 4 + 2 + 3 + 4 + 3 + 4 + 3 + 3 + 3);
    }

    #[test]
    fn table() {
        let mut failures = Vec::new();
        for line in CASES.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let [sent, text, want] = line.split(" | ").collect::<Vec<_>>()[..] else {
                panic!("bad test line {line:?}");
            };
            let mut sent = sent.split(' ');
            let today = date(sent.next().unwrap());
            let zone = sent.next().map_or(HolidayZone::B, |z| z.parse().unwrap());
            let got = found(&DateCtx { today, zone }, text);
            if got != want {
                failures.push(format!("{line}\n    got {got}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn spans_are_token_indices() {
        let toks = tokenize("Je prête ma perceuse ce week-end, et samedi 5 septembre");
        let ctx = DateCtx {
            today: date("2026-08-31"),
            zone: HolidayZone::B,
        };
        let got = find_when(&toks, &ctx);
        let spans: Vec<_> = got.iter().map(|m| (m.start, m.end)).collect();
        assert_eq!(spans, [(4, 8), (10, 13)]);
    }

    #[test]
    fn zones_parse() {
        assert_eq!("a".parse(), Ok(HolidayZone::A));
        assert_eq!(" C".parse(), Ok(HolidayZone::C));
        assert!("D".parse::<HolidayZone>().unwrap_err().contains("expected A, B or C"));
        assert_eq!(HolidayZone::default(), HolidayZone::B);
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        let texts = "ce week-end|du 19 décembre au 3 janvier|le mois prochain|Pâques|samedi 31|\
                     semaine prochaine|jusqu'au 3 mai|vacances de Noël|du 3 au 10|en huit";
        for today in [NaiveDate::MIN, NaiveDate::MAX, date("2026-12-31"), date("2028-02-29")] {
            let ctx = DateCtx {
                today,
                zone: HolidayZone::A,
            };
            for text in texts.split('|') {
                find_when(&tokenize(text), &ctx);
            }
        }
    }

    /// 10,000 random sequences of date-ish words, numbers and punctuation: no panic, matches
    /// sorted, non-overlapping, within bounds, and the starter filter changes nothing.
    #[test]
    fn random_token_soup() {
        let vocab: Vec<&str> = "du au et ou le la les de d' l' ce cet cette this next the on pour \
            samedi dimanche lundi sunday août mars mai July sept week-end week end we - / . , ( ) ' \
            1er 3rd 14h € vacances Toussaint hiver pont Ascension Pâques jusqu'au jusqu'à à partir \
            mois semaine prochain prochaine dernier tout en fin début mi demain après aujourd'hui \
            soir matin midi huit entre from to \n 2026 hier Christmas holidays d'ici"
            .split(' ')
            .collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut text = String::new();
        for round in 0..10_000 {
            text.clear();
            for _ in 0..next(30) {
                match next(3) {
                    0 => text.push_str(&next(40).to_string()),
                    _ => text.push_str(vocab[next(vocab.len())]),
                }
                if next(4) != 0 {
                    text.push(' ');
                }
            }
            let toks = tokenize(&text);
            let today = add(date("2024-01-01"), (round % 1500) as i64).unwrap();
            let zone = [HolidayZone::A, HolidayZone::B, HolidayZone::C][round % 3];
            let ctx = DateCtx { today, zone };
            let got = find_when(&toks, &ctx);
            let mut prev_end = 0;
            for m in &got {
                assert!(
                    m.start >= prev_end && m.start < m.end && m.end <= toks.len(),
                    "{text:?}"
                );
                assert!(m.from <= m.to, "{text:?}: {m:?}");
                prev_end = m.end;
            }
            if round % 10 == 0 {
                found(&ctx, &text);
            }
        }
    }

    #[test]
    fn long_input_is_linear() {
        let text = "du 3 au 10 août, samedi soir et le 1er mai ; 25€ 14h ".repeat(20_000);
        let ctx = DateCtx {
            today: date("2026-07-01"),
            zone: HolidayZone::B,
        };
        let start = std::time::Instant::now();
        let got = find_when(&tokenize(&text), &ctx);
        // Each repetition is one list; "1er mai" is 61 days back, so next year's.
        assert_eq!(got.len(), 20_000);
        assert_eq!((got[0].from, got[0].to), (date("2026-07-04"), date("2027-05-01")));
        // A comma-only chain is the merge pass's worst case.
        let got = find_when(&tokenize(&"samedi, ".repeat(100_000)), &ctx);
        assert_eq!(got.len(), 100_000);
        assert!(start.elapsed().as_secs() < 5);
    }
}
