//! The quartier report (issue 18, item 4): figures per commune and area for one closed calendar
//! month, private by construction. The counts come from store::report (counts only, each with
//! the distinct people behind it); [`table::Table`] hides what fewer than k people made and
//! protects it against differences; the pages (page.rs), the CSV and the printable page all
//! render the same protected [`Report`].

pub mod page;
pub mod render;
pub mod svg;
pub mod table;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::CommuneSettings;
use crate::core::Core;
use crate::parse::model::Category;
use crate::store::report::{self as counts, Scope};
use table::Table;

pub use page::router;

/// A calendar month ("2026-11").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// "YYYY-MM", as the `mois` parameter carries it.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Month { year, month })
    }

    /// The month `now` falls in, in `tz`.
    pub fn of(now: DateTime<Utc>, tz: Tz) -> Month {
        let d = now.with_timezone(&tz).date_naive();
        Month {
            year: d.year(),
            month: d.month(),
        }
    }

    pub fn previous(self) -> Month {
        match self.month {
            1 => Month {
                year: self.year - 1,
                month: 12,
            },
            m => Month {
                year: self.year,
                month: m - 1,
            },
        }
    }

    pub fn next(self) -> Month {
        match self.month {
            12 => Month {
                year: self.year + 1,
                month: 1,
            },
            m => Month {
                year: self.year,
                month: m + 1,
            },
        }
    }

    /// Its first instant in `tz`.
    pub fn start(self, tz: Tz) -> DateTime<Utc> {
        let midnight = NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .expect("a valid month")
            .and_hms_opt(0, 0, 0)
            .expect("midnight");
        // Midnight exists in every time zone the areas use on the first of a month; `earliest`
        // still picks one if a zone ever skipped it.
        tz.from_local_datetime(&midnight)
            .earliest()
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight).with_timezone(&tz))
            .to_utc()
    }

    /// French name ("novembre 2026").
    pub fn label(self) -> String {
        format!(
            "{} {}",
            crate::i18n::month_name(crate::i18n::Lang::Fr, self.month),
            self.year
        )
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The channels a member can be on, in the report's order.
pub const CHANNELS: [&str; 3] = ["telegram", "matrix", "email"];
/// Kinds of exchanges (store::report::exchanges), in the report's order.
pub const EXCHANGES: [&str; 4] = ["matches", "loans-started", "loans-returned", "partner-suggestions"];
pub const DIGESTS: [&str; 2] = ["digests", "digest-emails"];
pub const ANSWERS: [&str; 2] = ["answered", "unanswered"];
/// Poll turnout (store::report::poll_turnout).
pub const POLLS: [&str; 2] = ["voters", "reachable"];

/// One commune's report for one month: only protected tables, nothing else.
#[derive(Clone, Debug)]
pub struct Report {
    pub commune: String,
    pub slug: String,
    pub month: Month,
    pub k: u32,
    /// (slug, name) of the commune's areas, in the areas file's order: the tables' rows.
    pub areas: Vec<(String, String)>,
    /// Members who wrote in the month, by channel.
    pub active: Table,
    pub new_members: Table,
    pub offers: Table,
    pub requests: Table,
    /// Requests answered by a neighbour or not (row totals shared with `requests`).
    pub answered: Table,
    pub exchanges: Table,
    pub digests: Table,
    /// Poll turnout, when polls exist (see [`poll_turnout`]).
    pub polls: Option<Table>,
}

/// The time zone of a commune: its first area's (Europe/Paris without areas).
pub fn commune_tz(core: &Core, commune: &CommuneSettings) -> Tz {
    core.areas
        .all()
        .iter()
        .find(|a| a.commune == commune.name)
        .map_or(chrono_tz::Europe::Paris, |a| a.timezone)
}

/// The latest month whose report can be read at `now`: the last one that is over (a month
/// still running would change from one day to the next, and two days' difference would show
/// what fewer than k people did that day).
pub fn last_closed(now: DateTime<Utc>, tz: Tz) -> Month {
    Month::of(now, tz).previous()
}

/// The report of `commune` for `month` (which the caller has checked is closed).
pub async fn build(core: &Core, commune: &CommuneSettings, month: Month, k: u32) -> anyhow::Result<Report> {
    let tz = commune_tz(core, commune);
    let areas: Vec<(String, String)> = core
        .areas
        .all()
        .iter()
        .filter(|a| a.commune == commune.name)
        .map(|a| (a.slug.as_str().to_owned(), a.name.clone()))
        .collect();
    let slugs: Vec<String> = areas.iter().map(|(s, _)| s.clone()).collect();
    let scope = Scope {
        areas: &slugs,
        from: month.start(tz),
        to: month.next().start(tz),
    };
    let pool = &core.pool;
    let categories: Vec<String> = Category::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    let list = |keys: &[&str]| keys.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let table = |counts: &[counts::CountRow], cols: Vec<String>, totals: bool| {
        Table::build(slugs.clone(), cols, counts, totals, k)
    };
    let active = table(&counts::active_members(pool, scope).await?, list(&CHANNELS), true);
    let new_members = table(&counts::new_members(pool, scope).await?, list(&["new"]), false);
    let offers = table(
        &counts::posts_by_category(pool, scope, "offer").await?,
        categories.clone(),
        true,
    );
    let mut requests = table(
        &counts::posts_by_category(pool, scope, "request").await?,
        categories,
        true,
    );
    let mut answered = table(&counts::requests_answered(pool, scope).await?, list(&ANSWERS), true);
    Table::share_row_totals(&mut requests, &mut answered);
    let exchanges = table(&counts::exchanges(pool, scope).await?, list(&EXCHANGES), false);
    let digests = table(&counts::digests(pool, scope).await?, list(&DIGESTS), false);
    let polls = poll_turnout(core, scope, k).await?;
    Ok(Report {
        commune: commune.name.clone(),
        slug: commune.slug.clone(),
        month,
        k,
        areas,
        active,
        new_members,
        offers,
        requests,
        answered,
        exchanges,
        digests,
        polls,
    })
}

/// Poll turnout per area for the polls that closed in the month (store::report::poll_turnout):
/// "voters" and "reachable", each a count of people, suppressed like every figure; None when
/// no vote of a poll closed in the month counted (the pages then say there was no poll).
pub async fn poll_turnout(core: &Core, scope: Scope<'_>, k: u32) -> anyhow::Result<Option<Table>> {
    let rows = counts::poll_turnout(&core.pool, scope).await?;
    if rows.iter().all(|r| r.area.is_none()) {
        return Ok(None);
    }
    let cols = POLLS.iter().map(|s| s.to_string()).collect();
    Ok(Some(Table::build(scope.areas.to_vec(), cols, &rows, false, k)))
}

/// The turnout of row `row` (None: the commune) in whole percent, when both the voters and the
/// people reachable are shown (at most 100: someone may vote from an area they do not live in).
pub fn turnout_share(report: &Report, row: Option<usize>) -> Option<i64> {
    let t = report.polls.as_ref()?;
    let (voters, reach) = match row {
        Some(r) => (t.cell(r, 0), t.cell(r, 1)),
        None => (t.col_total(0), t.col_total(1)),
    };
    let (voters, reach) = (voters.shown()?, reach.shown()?);
    (reach > 0).then(|| ((voters * 100 + reach / 2) / reach).min(100))
}

/// The share of requests answered in row `row` (None: the commune), in whole percent, when
/// both the answered and the unanswered requests are shown (else the share would reveal the
/// hidden one through the total of requests).
pub fn answered_share(report: &Report, row: Option<usize>) -> Option<i64> {
    let (yes, no) = match row {
        Some(r) => (report.answered.cell(r, 0), report.answered.cell(r, 1)),
        None => (report.answered.col_total(0), report.answered.col_total(1)),
    };
    let (yes, no) = (yes.shown()?, no.shown()?);
    (yes + no > 0).then(|| (yes * 100 + (yes + no) / 2) / (yes + no))
}
