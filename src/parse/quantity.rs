//! Small readings for loans (issue 16): how many copies an offer has ("2 perceuses", "j'en ai
//! deux", "perceuse x2"), and until when a loan runs ("dimanche", "le 12", "3 jours", "une
//! semaine"), the answer to the bot's "jusqu'à quand ?". Dates go through the date finder
//! ([`super::when::find_when`]); this file only adds counts and lengths.

use chrono::{Datelike, Days, NaiveDate};

use super::token::{TokClass, Token, tokenize};
use super::when::{DateCtx, HolidayZone, find_when};

/// The most copies an offer may have (the `posts.copies` CHECK says the same).
pub const MAX_COPIES: u32 = 20;

/// The longest loan an answer may give.
const MAX_DAYS: u64 = 365;

/// A number written in digits or in French / English words ("deux", "trois", "two").
fn number(t: &Token) -> Option<u32> {
    match t.class {
        TokClass::Number => t.norm.parse().ok(),
        TokClass::Word => Some(match t.norm.as_str() {
            "un" | "une" | "one" => 1,
            "deux" | "two" | "couple" => 2,
            "trois" | "three" => 3,
            "quatre" | "four" => 4,
            "cinq" | "five" => 5,
            "six" => 6,
            "sept" | "seven" => 7,
            "huit" | "eight" => 8,
            "neuf" | "nine" => 9,
            "dix" | "ten" => 10,
            "quinze" | "fifteen" => 15,
            _ => return None,
        }),
        _ => None,
    }
}

/// The singular stem of a folded word ("perceuses" → "perceuse", "marteaux" → "marteau").
fn stem(w: &str) -> &str {
    w.strip_suffix('s').or_else(|| w.strip_suffix('x')).unwrap_or(w)
}

/// How many copies of `item` the offer `text` says it has: a count before the item ("2
/// perceuses", "deux grandes tables"), and, when the message offers only this one thing
/// (`alone`), "j'en ai deux", "2 exemplaires" or "x2". One when it says none; at most
/// [`MAX_COPIES`] (a bigger number is no count of things lent, "500 vis" is one box).
pub fn copies(text: &str, item: &str, alone: bool) -> u32 {
    copies_in(&counting_tokens(tokenize(text).iter()), item, alone)
}

/// The tokens `copies_in` reads: apostrophes left out ("j'en ai deux").
pub fn counting_tokens<'a>(toks: impl Iterator<Item = &'a Token>) -> Vec<&'a Token> {
    toks.filter(|t| t.class != TokClass::Punct('\'')).collect()
}

/// [`copies`] on tokens already read (the parser's stream, tokenised once per message).
pub fn copies_in(toks: &[&Token], item: &str, alone: bool) -> u32 {
    let folded = super::token::fold(item);
    let Some(head) = folded.split_whitespace().next().map(stem) else {
        return 1;
    };
    let found = (0..toks.len()).find_map(|i| {
        let t = toks[i];
        let is_item = t.is_word() && stem(&t.norm) == head;
        let before = |k: usize| i.checked_sub(k).and_then(|j| number(toks[j]));
        // "2 perceuses", or one adjective between ("deux grandes tables").
        let counted = is_item
            .then(|| before(1).or_else(|| before(2).filter(|_| toks[i - 1].is_word())))
            .flatten();
        counted
            .or_else(|| alone.then(|| said_count(toks, i)).flatten())
            .filter(|n| *n >= 2)
    });
    match found {
        Some(n) if (2..=MAX_COPIES).contains(&n) => n,
        _ => 1,
    }
}

/// "en ai deux", "en prête 2", "2 exemplaires", "x2" starting at token `i`.
fn said_count(toks: &[&Token], i: usize) -> Option<u32> {
    let w = |k: usize| toks.get(i + k).map_or("", |t| t.norm.as_str());
    let t = toks[i];
    if w(0) == "en" && matches!(w(1), "ai" | "a" | "avons" | "prete" | "propose" | "donne") {
        return toks.get(i + 2).and_then(|t| number(t));
    }
    if matches!(w(1), "exemplaires" | "copies") {
        return number(t);
    }
    // "x2", "×2" written together.
    let next = toks.get(i + 1)?;
    let times = (t.is_word() && t.norm == "x") || t.is_punct('×');
    (times && next.class == TokClass::Number && t.end == next.start)
        .then(|| number(next))
        .flatten()
}

/// The last day of a loan said in `text` on `today`: a date ("dimanche", "le 12", "jusqu'au
/// 20 juin", "ce week-end": its last day) or a length from today ("3 jours", "une semaine",
/// "15j", "2 semaines", "un mois"). None when it says neither, or a day not after today or
/// more than a year away.
pub fn until(text: &str, today: NaiveDate, zone: HolidayZone) -> Option<NaiveDate> {
    let toks = tokenize(text);
    let day = length(&toks)
        .and_then(|days| today.checked_add_days(Days::new(days)))
        .or_else(|| {
            let ctx = DateCtx { today, zone };
            find_when(&toks, &ctx).first().map(|m| m.to)
        })
        .or_else(|| day_of_month(&toks, today))?;
    let latest = today.checked_add_days(Days::new(MAX_DAYS))?;
    (day > today && day <= latest).then_some(day)
}

/// "le 12", "au 12", "jusqu'au 12": the next 12th (this month's when still to come, else the
/// next month's). The date finder leaves a day without its month alone (in a post, "le 12"
/// is often no date); as the answer to "jusqu'à quand ?", it is one.
fn day_of_month(toks: &[Token], today: NaiveDate) -> Option<NaiveDate> {
    let n = toks.windows(2).find_map(|w| {
        let intro = w[0].is_word() && matches!(w[0].norm.as_str(), "le" | "au" | "the");
        (intro && w[1].class == TokClass::Number).then(|| w[1].norm.parse::<u32>().ok())?
    })?;
    let this_month = today.with_day(n).filter(|d| *d > today);
    this_month.or_else(|| {
        let next = today.checked_add_months(chrono::Months::new(1))?;
        next.with_day(n)
    })
}

/// A number of days said as "3 jours", "15j", "une semaine", "2 semaines", "un mois".
fn length(toks: &[Token]) -> Option<u64> {
    toks.windows(2).find_map(|w| {
        let n = u64::from(number(&w[0])?);
        let unit = match w[1].norm.as_str() {
            "j" | "jour" | "jours" | "day" | "days" | "nuit" | "nuits" => 1,
            "semaine" | "semaines" | "sem" | "week" | "weeks" => 7,
            "mois" | "month" | "months" => 30,
            _ => return None,
        };
        Some(n * unit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    #[test]
    fn copies_are_read_before_the_item_or_said_of_it() {
        assert_eq!(copies("J'ai 2 perceuses à prêter", "perceuse", true), 2);
        assert_eq!(copies("Je prête deux grandes tables", "table", true), 2);
        assert_eq!(copies("Je prête ma perceuse, j'en ai deux", "perceuse", true), 2);
        assert_eq!(copies("Je prête ma perceuse, j’en ai 3", "perceuse", true), 3);
        assert_eq!(copies("Perceuse x2 à prêter", "perceuse", true), 2);
        assert_eq!(
            copies("Je prête une scie sauteuse (3 exemplaires)", "scie sauteuse", true),
            3
        );
        // None said, or not of this thing, or no count of things.
        assert_eq!(copies("Je prête ma perceuse", "perceuse", true), 1);
        assert_eq!(copies("Je prête ma perceuse 18 V", "perceuse", true), 1);
        assert_eq!(copies("Je prête 500 vis", "vis", true), 1);
        assert_eq!(
            copies("Je prête ma perceuse et une échelle, j'en ai deux", "perceuse", false),
            1
        );
        assert_eq!(copies("Je prête ma perceuse et 2 échelles", "perceuse", false), 1);
        assert_eq!(copies("Je prête ma perceuse et 2 échelles", "échelle", false), 2);
    }

    #[test]
    fn until_reads_dates_and_lengths() {
        // Wednesday 10 June 2026.
        let today = day("2026-06-10");
        let z = HolidayZone::B;
        assert_eq!(until("dimanche", today, z), Some(day("2026-06-14")));
        assert_eq!(until("jusqu'à dimanche", today, z), Some(day("2026-06-14")));
        assert_eq!(until("le 20", today, z), Some(day("2026-06-20")));
        assert_eq!(until("jusqu'au 2 juillet", today, z), Some(day("2026-07-02")));
        assert_eq!(until("ce week-end", today, z), Some(day("2026-06-14")));
        assert_eq!(until("3 jours", today, z), Some(day("2026-06-13")));
        assert_eq!(until("15j", today, z), Some(day("2026-06-25")));
        assert_eq!(until("une semaine", today, z), Some(day("2026-06-17")));
        assert_eq!(until("2 semaines", today, z), Some(day("2026-06-24")));
        // Not a day to come, or nothing of a date.
        assert_eq!(until("aujourd'hui", today, z), None);
        assert_eq!(until("0 jour", today, z), None);
        assert_eq!(until("merci !", today, z), None);
        assert_eq!(until("400 jours", today, z), None);
    }
}
