//! The quartier report (issue 18, item 4) on a known data set said through the core on every
//! channel: exact figures, and an attacker reading every view (the page of the commune and of
//! each area, the printable page, the CSV) for a count from fewer than k people, for a hidden
//! cell that a total minus the shown cells gives away, and for a month that moves.
//!
//! Rows get `created_at = now()`, so the data set is said now and the report of this month is
//! asked "from" the next month (the report shows closed months only).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use voisinage::core::model::{ChannelKind, Inbound};
use voisinage::municipal::report::page::{Asked, Refused, ReportQuery, ask, page_html, print_html};
use voisinage::municipal::report::{Month, answered_share, render};
use voisinage::municipal::{CommuneSettings, MuniState, Settings};
use voisinage::store::link_room;
use voisinage::store::loans::{LoanEvent, LoanState, NewLoan};

use crate::helpers::{TestDb, core, root};

const K: i64 = 5;

fn settings() -> Settings {
    let commune = |name: &str| CommuneSettings {
        name: name.into(),
        slug: voisinage::municipal::commune_slug(name),
        staff: Vec::new(),
        contact_email: None,
    };
    Settings {
        communes: vec![commune("Saint-Malo"), commune("Dinard")],
        report_k: K as u32,
    }
}

fn said(channel: ChannelKind, chat: &str, sender: &str, text: &str) -> Inbound {
    Inbound {
        channel,
        chat: chat.to_owned(),
        native_id: format!("{sender}-1"),
        sender: sender.to_owned(),
        sender_name: sender.to_uppercase(),
        text: text.to_owned(),
        sent_at: Utc::now(),
        ..Default::default()
    }
}

/// Says `text` as each of `senders` in `chat`.
async fn say_all(state: &MuniState, channel: ChannelKind, chat: &str, senders: &[&str], text: &str) {
    for s in senders {
        state.core.ingest(&said(channel, chat, s, text)).await.unwrap();
    }
}

const DRILL_OFFER: &str = "Je prête ma perceuse";
const DRILL_REQUEST: &str = "Quelqu'un aurait une perceuse à me prêter ?";
const MOWER_REQUEST: &str = "Je cherche une tondeuse à gazon";
const CAT_REQUEST: &str = "Qui pourrait garder mon chat ce week-end ?";
const BOOKS_OFFER: &str = "Je donne des livres pour enfants";

/// Paramé: 6 drill offers on Telegram; on Matrix 5 drill requests (3 matches each) and 5
/// requests to mind a cat; 2 mower requests by email. Rocabey: 5 gifts of children's books and
/// 1 drill on Telegram, 5 mower requests on Matrix. Dinard (another commune): 7 drill offers.
/// Then 5 loans in Paramé (P1..P5 lend to M1..M5), 2 of them returned.
async fn data_set(state: &MuniState) {
    let pool = &state.core.pool;
    for (channel, chat, area) in [
        (ChannelKind::Telegram, "tg-parame", "parame"),
        (ChannelKind::Matrix, "!parame:example.org", "parame"),
        (ChannelKind::Telegram, "tg-rocabey", "rocabey"),
        (ChannelKind::Matrix, "!rocabey:example.org", "rocabey"),
        (ChannelKind::Telegram, "tg-dinard", "dinard"),
    ] {
        link_room(pool, channel, chat, area).await.unwrap();
    }
    let list = voisinage::store::chats::ensure_list(pool, "parame").await.unwrap();
    let (tg, mx, mail) = (ChannelKind::Telegram, ChannelKind::Matrix, ChannelKind::Email);
    let said: [(ChannelKind, &str, &[&str], &str); 8] = [
        (tg, "tg-parame", &["p1", "p2", "p3", "p4", "p5", "p6"], DRILL_OFFER),
        (
            mx,
            "!parame:example.org",
            &["@m1:x", "@m2:x", "@m3:x", "@m4:x", "@m5:x"],
            DRILL_REQUEST,
        ),
        (
            mx,
            "!parame:example.org",
            &["@m6:x", "@m7:x", "@m8:x", "@m9:x", "@m10:x"],
            CAT_REQUEST,
        ),
        (mail, &list, &["e1@example.org", "e2@example.org"], MOWER_REQUEST),
        (tg, "tg-rocabey", &["r1", "r2", "r3", "r4", "r5"], BOOKS_OFFER),
        (tg, "tg-rocabey", &["r6"], DRILL_OFFER),
        (
            mx,
            "!rocabey:example.org",
            &["@r7:x", "@r8:x", "@r9:x", "@r10:x", "@r11:x"],
            MOWER_REQUEST,
        ),
        (
            tg,
            "tg-dinard",
            &["d1", "d2", "d3", "d4", "d5", "d6", "d7"],
            DRILL_OFFER,
        ),
    ];
    for (channel, chat, senders, text) in said {
        say_all(state, channel, chat, senders, text).await;
    }
    for i in 1..=5 {
        lend(state, &format!("p{i}-1"), &format!("@m{i}:x-1"), i <= 2).await;
    }
}

/// The offer of the message `lender_msg` lent to the author of `borrower_msg` (through the
/// store's loan machine), and returned when `returned`.
async fn lend(state: &MuniState, lender_msg: &str, borrower_msg: &str, returned: bool) {
    let pool = &state.core.pool;
    let (offer, lender, lender_message): (i64, i64, i64) = sqlx::query_as(
        "SELECT p.id, p.member_id, p.message_id FROM posts p JOIN messages m ON m.id = p.message_id
         WHERE m.native_id = $1",
    )
    .bind(lender_msg)
    .fetch_one(pool)
    .await
    .unwrap();
    let (borrower, borrower_message): (i64, i64) =
        sqlx::query_as("SELECT member_id, id FROM messages WHERE native_id = $1")
            .bind(borrower_msg)
            .fetch_one(pool)
            .await
            .unwrap();
    let now = Utc::now();
    let mut tx = pool.begin().await.unwrap();
    let new = NewLoan {
        area: "parame",
        offer_id: offer,
        lender_id: lender,
        borrower_id: borrower,
        lender_message_id: lender_message,
        borrower_message_id: borrower_message,
        proposed_by: "borrower",
        due_on: now.date_naive() + Duration::days(14),
        due_asked: false,
        now,
    };
    let id = voisinage::store::loans::propose(&mut tx, new).await.unwrap().unwrap();
    let confirm = LoanState::Proposed.apply(LoanEvent::Confirm).unwrap();
    assert!(
        voisinage::store::loans::transition(&mut tx, id, confirm, now)
            .await
            .unwrap()
    );
    if returned {
        let back = LoanState::Active.apply(LoanEvent::Return).unwrap();
        assert!(
            voisinage::store::loans::transition(&mut tx, id, back, now)
                .await
                .unwrap()
        );
    }
    tx.commit().await.unwrap();
}

/// The month the data set was said in, and an instant of the next month to ask from.
fn this_month() -> (Month, DateTime<Utc>) {
    let month = Month::of(Utc::now(), chrono_tz::Europe::Paris);
    (month, month.next().start(chrono_tz::Europe::Paris) + Duration::days(1))
}

async fn view(state: &MuniState, mois: Option<String>, quartier: Option<&str>, now: DateTime<Utc>) -> Asked {
    let q = ReportQuery {
        mois,
        quartier: quartier.map(Into::into),
    };
    ask(state, "saint-malo", &q, now).await.unwrap()
}

async fn world() -> (TestDb, MuniState) {
    let db = TestDb::new().await;
    let state = MuniState {
        core: core(&db.pool),
        settings: Arc::new(settings()),
    };
    data_set(&state).await;
    (db, state)
}

/// Cells of the CSV: (figure, area, key) → the value, None for "< k".
fn csv_cells(csv: &str) -> HashMap<(String, String, String), Option<i64>> {
    let mut cells = HashMap::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 5, "{line}");
        let value = if f[4] == format!("< {K}") || f[4].is_empty() {
            None
        } else {
            Some(
                f[4].parse::<i64>()
                    .unwrap_or_else(|_| panic!("a count or < {K}: {line}")),
            )
        };
        cells.insert((f[2].to_owned(), f[1].to_owned(), f[3].to_owned()), value);
    }
    cells
}

#[tokio::test]
async fn the_report_counts_a_known_month_exactly_and_hides_what_few_people_did() {
    let (db, state) = world().await;
    let (month, next) = this_month();
    let asked = view(&state, Some(month.to_string()), None, next).await;
    let csv = render::csv(&asked.report);
    let cells = csv_cells(&csv);
    let get = |figure: &str, area: &str, key: &str| {
        *cells
            .get(&(figure.into(), area.into(), key.into()))
            .unwrap_or_else(|| panic!("{figure} {area} {key}"))
    };
    // Members who wrote: Paramé 6 on Telegram, 10 on Matrix, 2 by email; Rocabey 6 and 5.
    // Dinard's 7 are another commune's. Email (2 people) is hidden, and with it Paramé's
    // Telegram (the smallest of its row); the other areas' zeros are hidden, so each column
    // takes one more (Rocabey's Telegram and Matrix: the first smallest in the areas' order),
    // and so do the totals (Telegram's, Rocabey's).
    assert_eq!(get("membres-actifs", "ensemble", "total"), Some(29));
    assert_eq!(get("membres-actifs", "parame", "total"), Some(18));
    assert_eq!(get("membres-actifs", "parame", "matrix"), Some(10));
    assert_eq!(get("membres-actifs", "ensemble", "matrix"), Some(15));
    let hidden = [
        ("parame", "email"),
        ("parame", "telegram"),
        ("rocabey", "telegram"),
        ("rocabey", "matrix"),
        ("rocabey", "total"),
    ];
    for (area, key) in hidden {
        assert_eq!(get("membres-actifs", area, key), None, "{area} {key}");
    }
    assert_eq!(get("membres-actifs", "ensemble", "telegram"), None);
    assert_eq!(get("nouveaux-membres", "parame", "new"), Some(18));
    assert_eq!(get("nouveaux-membres", "ensemble", "new"), Some(29));
    assert_eq!(
        get("nouveaux-membres", "rocabey", "new"),
        None,
        "its column's complement"
    );
    // Offers: 6 + 1 drills, 5 book gifts; requests: 5 drills, 5 cats, 2 + 5 mowers.
    assert_eq!(get("offres", "ensemble", "total"), Some(12));
    assert_eq!(get("offres", "ensemble", "bricolage"), Some(7));
    assert_eq!(get("offres", "parame", "total"), Some(6));
    assert_eq!(get("offres", "rocabey", "total"), None, "the row totals' complement");
    assert_eq!(get("offres", "rocabey", "bricolage"), None, "one person");
    assert_eq!(get("demandes", "ensemble", "total"), Some(17));
    assert_eq!(get("demandes", "parame", "total"), Some(12));
    assert_eq!(get("demandes", "ensemble", "animaux"), Some(5));
    assert_eq!(get("demandes", "ensemble", "jardinage"), Some(7));
    assert_eq!(
        get("demandes", "ensemble", "bricolage"),
        None,
        "the complement of the zeros"
    );
    assert_eq!(get("demandes", "parame", "jardinage"), None, "two people");
    // Answered by a neighbour: the 5 drill requests (matched with Paramé's offers); not the 12
    // others. Paramé's row would give its hidden half away: both halves are hidden.
    assert_eq!(get("demandes-satisfaites", "ensemble", "answered"), Some(5));
    assert_eq!(get("demandes-satisfaites", "ensemble", "unanswered"), Some(12));
    assert_eq!(get("part-demandes-satisfaites", "ensemble", "pourcent"), Some(29));
    assert_eq!(answered_share(&asked.report, Some(0)), None);
    // 3 matches per drill request; 5 loans started (10 people), 2 returned (4 people: hidden).
    assert_eq!(get("echanges", "ensemble", "matches"), Some(15));
    assert_eq!(get("echanges", "ensemble", "loans-started"), Some(5));
    assert_eq!(get("echanges", "ensemble", "loans-returned"), None);
    assert_eq!(get("lettres", "ensemble", "digests"), None, "no digest was sent");
    db.finish().await;
}

/// Every number of a view, read as an attacker would: table cells of the HTML.
fn html_numbers(html: &str) -> Vec<i64> {
    html.split("<td>")
        .skip(1)
        .filter_map(|rest| rest.split("</td>").next())
        .filter_map(|cell| cell.parse::<i64>().ok())
        .collect()
}

#[tokio::test]
async fn no_view_shows_or_gives_away_a_figure_from_fewer_than_k_people() {
    let (db, state) = world().await;
    let (month, next) = this_month();
    let commune = view(&state, Some(month.to_string()), None, next).await;
    let mut pages = vec![page_html(&commune), print_html(&commune)];
    for (slug, _) in &commune.report.areas {
        let one = view(&state, Some(month.to_string()), Some(slug), next).await;
        pages.push(page_html(&one));
        pages.push(print_html(&one));
    }
    let mut shown = 0;
    for page in &pages {
        for n in html_numbers(page) {
            assert!(n >= K, "a count below {K} is shown: {n}");
            shown += 1;
        }
    }
    assert!(shown > 20, "the views show figures ({shown})");
    // Every shown figure comes from k people or more (not only its value: 7 posts by 2 people
    // would pass the test above).
    let r = &commune.report;
    for t in [
        &r.active,
        &r.new_members,
        &r.offers,
        &r.requests,
        &r.answered,
        &r.exchanges,
        &r.digests,
    ] {
        for (value, people) in t.shown_with_people() {
            assert!(people >= K, "{value} shown from {people} people");
        }
    }
    let csv = render::csv(r);
    let cells = csv_cells(&csv);
    for ((figure, area, key), v) in &cells {
        if let Some(v) = v {
            assert!(*v >= K || figure.starts_with("part-"), "{figure} {area} {key}: {v}");
        }
    }
    attack_by_differences(&cells, r.areas.iter().map(|(s, _)| s.as_str()).collect());
    // The requests' totals per area are the same in both figures that show them.
    for (slug, _) in &r.areas {
        let area = slug.to_string();
        assert_eq!(
            cells[&("demandes".into(), area.clone(), "total".into())],
            cells[&("demandes-satisfaites".into(), area.clone(), "total".into())],
            "{slug}"
        );
    }
    db.finish().await;
}

/// Commune total minus the shown areas, and area total minus the shown keys: what is left is
/// the sum of the hidden cells, which must be nothing hidden, or at least k (two cells or more).
fn attack_by_differences(cells: &HashMap<(String, String, String), Option<i64>>, areas: Vec<&str>) {
    let figures: std::collections::BTreeSet<&str> = cells.keys().map(|(f, _, _)| f.as_str()).collect();
    for figure in figures.into_iter().filter(|f| !f.starts_with("part-")) {
        let keys: std::collections::BTreeSet<&str> = cells
            .keys()
            .filter(|(f, _, _)| f == figure)
            .map(|(_, _, k)| k.as_str())
            .collect();
        let cell = |area: &str, key: &str| cells[&(figure.to_owned(), area.to_owned(), key.to_owned())];
        let mut lines: Vec<(Option<i64>, Vec<Option<i64>>)> = keys
            .iter()
            .map(|k| (cell("ensemble", k), areas.iter().map(|a| cell(a, k)).collect()))
            .collect();
        if keys.contains("total") {
            for area in areas.iter().copied().chain(["ensemble"]) {
                let inner = keys.iter().filter(|k| **k != "total").map(|k| cell(area, k)).collect();
                lines.push((cell(area, "total"), inner));
            }
        }
        for (total, inner) in lines {
            let Some(total) = total else { continue };
            let hidden = inner.iter().filter(|c| c.is_none()).count();
            let left = total - inner.iter().flatten().sum::<i64>();
            assert!(
                hidden == 0 || (hidden >= 2 && left >= K),
                "{figure}: a total of {total} minus the shown cells gives {left} for {hidden} hidden"
            );
        }
    }
}

#[tokio::test]
async fn only_closed_months_are_shown_and_they_do_not_move() {
    let (db, state) = world().await;
    let (month, next) = this_month();
    // This month, asked this month: refused (it would change from day to day).
    let q = ReportQuery {
        mois: Some(month.to_string()),
        quartier: None,
    };
    assert_eq!(
        ask(&state, "saint-malo", &q, Utc::now()).await.unwrap_err(),
        Refused::NotClosed(month)
    );
    // By default: the last closed month.
    assert_eq!(view(&state, None, None, next).await.report.month, month);
    // Asked later, the same month reads the same (its figures are about that month only).
    let later = month.next().next().next().start(chrono_tz::Europe::Paris) + Duration::days(3);
    let a = render::csv(&view(&state, Some(month.to_string()), None, next).await.report);
    let b = render::csv(&view(&state, Some(month.to_string()), None, later).await.report);
    assert_eq!(a, b);
    // The month before holds nothing: every figure hidden, nothing to subtract.
    let before = render::csv(
        &view(&state, Some(month.previous().to_string()), None, next)
            .await
            .report,
    );
    assert!(csv_cells(&before).values().all(Option::is_none), "{before}");
    // Bad input gets a clear refusal.
    for (mois, quartier, refused) in [
        (Some("2026-13"), None, Refused::BadMonth("2026-13".into())),
        (Some("novembre"), None, Refused::BadMonth("novembre".into())),
        (None, Some("dinard"), Refused::UnknownArea("dinard".into())),
    ] {
        let q = ReportQuery {
            mois: mois.map(Into::into),
            quartier: quartier.map(Into::into),
        };
        assert_eq!(ask(&state, "saint-malo", &q, next).await.unwrap_err(), refused);
    }
    let q = ReportQuery::default();
    assert_eq!(
        ask(&state, "nowhere", &q, next).await.unwrap_err(),
        Refused::UnknownCommune
    );
    db.finish().await;
}

#[tokio::test]
async fn the_report_page_is_rendered_by_chromium() {
    let (db, state) = world().await;
    let (month, next) = this_month();
    let asked = view(&state, Some(month.to_string()), None, next).await;
    let page = page_html(&asked);
    assert!(page.contains("<html lang=\"fr\"") && page.contains("<label for=\"mois\">"));
    assert!(page.contains("role=\"img\"") && page.contains("<title id=\"c-active\">"));
    let print = print_html(&asked);
    assert!(!print.contains("<form") && !print.contains("<nav") && print.contains("size:A4"));
    let dir = root().join("target");
    // The page's top, the same on a phone, its lower half (the page with its sections before
    // the requests answered cut out), and the printable page at A4's width.
    let main = page.find("<main id=\"main\">").unwrap();
    let main = main + page[main..].find("</style>").unwrap() + "</style>".len();
    let lower = format!(
        "{}{}",
        &page[..main],
        &page[page.find("<h2 id=\"satisfaites\">").unwrap()..]
    );
    for (name, html, width, height) in [
        ("municipal-report", &page, 900, 3000),
        ("municipal-report-phone", &page, 400, 3000),
        ("municipal-report-lower", &lower, 900, 1300),
        ("municipal-report-print", &print, 794, 3000),
    ] {
        let file = dir.join(format!("{name}.html"));
        std::fs::write(&file, html).unwrap();
        screenshot(&file, &dir.join(format!("{name}.png")), (width, height));
    }
    db.finish().await;
}

/// Headless Chromium, as scripts/render-email.sh runs it.
fn screenshot(html: &std::path::Path, png: &std::path::Path, (width, height): (u32, u32)) {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new("which")
                .arg(b)
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("chromium (apt-get install chromium) for the report's screenshot");
    let profile = png.with_extension("profile");
    let status = std::process::Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    assert!(
        std::fs::metadata(png).unwrap().len() > 10_000,
        "a screenshot of {}",
        html.display()
    );
}

#[tokio::test]
async fn poll_turnout_counts_the_voters_of_polls_closed_in_the_month_and_hides_few() {
    let (db, state) = world().await;
    let (month, next) = this_month();
    let asked = view(&state, Some(month.to_string()), None, next).await;
    assert!(asked.report.polls.is_none(), "no poll yet");
    let pool = &state.core.pool;
    let draft = voisinage::core::polls::PollDraft {
        commune: "Saint-Malo".into(),
        commune_slug: "saint-malo".into(),
        question: "Un marché le dimanche ?".into(),
        options: vec!["Oui".into(), "Non".into()],
        multiple: false,
        areas: vec!["parame".into(), "rocabey".into()],
        closes_at: Utc::now() + Duration::seconds(1),
        created_by: "com@ville-saint-malo.test".into(),
    };
    let poll = state.core.create_poll(&draft, None, Utc::now()).await.unwrap().unwrap();
    // 6 of Paramé's members vote there, 2 of Rocabey's there.
    for (area, n) in [("parame", 6), ("rocabey", 2)] {
        let members: Vec<i64> = sqlx::query_scalar("SELECT id FROM members WHERE area_slug = $1 ORDER BY id LIMIT $2")
            .bind(area)
            .bind(n)
            .fetch_all(pool)
            .await
            .unwrap();
        assert_eq!(members.len() as i64, n);
        for m in members {
            sqlx::query(
                "INSERT INTO poll_votes (poll_id, member_id, choices, area_slug, channel)
                 VALUES ($1, $2, '{0}', $3, 'telegram')",
            )
            .bind(poll)
            .bind(m)
            .bind(area)
            .execute(pool)
            .await
            .unwrap();
        }
    }
    // Still open: not in the month's figures.
    let asked = view(&state, Some(month.to_string()), None, next).await;
    assert!(asked.report.polls.is_none(), "an open poll is not counted");
    assert_eq!(
        state
            .core
            .polls_close_once(Utc::now() + Duration::seconds(2))
            .await
            .unwrap(),
        1
    );
    let asked = view(&state, Some(month.to_string()), None, next).await;
    let cells = csv_cells(&render::csv(&asked.report));
    let get = |area: &str, key: &str| {
        *cells
            .get(&("sondages".into(), area.into(), key.into()))
            .unwrap_or_else(|| panic!("sondages {area} {key}"))
    };
    // The commune: 8 voters among its 29 members (28 %). Rocabey's 2 voters are hidden, and
    // so is Paramé's 6, which the total would otherwise turn into Rocabey's (8 - 6).
    assert_eq!(get("ensemble", "voters"), Some(8));
    assert_eq!(get("ensemble", "reachable"), Some(29));
    assert_eq!(get("parame", "reachable"), Some(18));
    assert_eq!(get("rocabey", "voters"), None, "two people");
    assert_eq!(get("parame", "voters"), None, "the total's complement");
    let share = |area: &str| {
        cells
            .get(&("participation-sondages".into(), area.into(), "pourcent".into()))
            .copied()
            .flatten()
    };
    assert_eq!(share("ensemble"), Some(28));
    assert_eq!(share("parame"), None, "no share where a part is hidden");
    let page = page_html(&asked);
    assert!(page.contains("Participation aux sondages"), "{page}");
    assert!(page.contains("28&nbsp;%"), "{page}");
    db.finish().await;
}
