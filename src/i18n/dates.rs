//! Dates for people, in the reader's language: "13 juin" / "13 June", "du 3 au 10 août" /
//! "from 3 to 10 August". Here rather than in core or the digest because both print dates.

use chrono::{Datelike, NaiveDate};

use super::Lang;

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The name of the month numbered `month` (1 to 12) in `lang`: "novembre", "November".
pub fn month_name(lang: Lang, month: u32) -> &'static str {
    let months = match lang {
        Lang::Fr => &MONTHS_FR,
        Lang::En => &MONTHS_EN,
    };
    months[(month.clamp(1, 12) - 1) as usize]
}

/// One day, or the days from `from` to `to`, without the year: "1er mai", "du 19 décembre au
/// 3 janvier"; in English "1 May", "from 19 December to 3 January" (British order, as the
/// English catalogue writes "neighbour").
pub fn format_dates(lang: Lang, from: NaiveDate, to: NaiveDate) -> String {
    let (months, first, between) = match lang {
        Lang::Fr => (&MONTHS_FR, "1er", ["du", "au"]),
        Lang::En => (&MONTHS_EN, "1", ["from", "to"]),
    };
    let day = |d: NaiveDate| match d.day() {
        1 => first.to_owned(),
        n => n.to_string(),
    };
    let month = |d: NaiveDate| months[d.month0() as usize];
    let [start, end] = between;
    if from == to {
        format!("{} {}", day(from), month(from))
    } else if from.month() == to.month() && from.year() == to.year() {
        format!("{start} {} {end} {} {}", day(from), day(to), month(to))
    } else {
        format!("{start} {} {} {end} {} {}", day(from), month(from), day(to), month(to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn french_dates_read_as_before() {
        assert_eq!(format_dates(Lang::Fr, d(6, 13), d(6, 13)), "13 juin");
        assert_eq!(format_dates(Lang::Fr, d(8, 1), d(8, 10)), "du 1er au 10 août");
        assert_eq!(
            format_dates(Lang::Fr, d(11, 30), d(12, 2)),
            "du 30 novembre au 2 décembre"
        );
    }

    #[test]
    fn english_dates() {
        assert_eq!(format_dates(Lang::En, d(6, 13), d(6, 13)), "13 June");
        assert_eq!(format_dates(Lang::En, d(8, 1), d(8, 10)), "from 1 to 10 August");
        assert_eq!(
            format_dates(Lang::En, d(11, 30), d(12, 2)),
            "from 30 November to 2 December"
        );
        // Across a new year, still without it.
        let next = NaiveDate::from_ymd_opt(2027, 1, 3).unwrap();
        assert_eq!(format_dates(Lang::En, d(12, 19), next), "from 19 December to 3 January");
    }
}
