//! Municipal polls on the web (issue 18): the editor's form that creates a poll, the public
//! results page (a server-side SVG bar chart and a table of the same figures, overall and per
//! area, with turnout), the list of a commune's polls, and the signed email vote links.
//!
//! Results are public: a municipal poll is a public consultation, and the page shows only
//! counts (no person, no channel, no time of vote), so nothing in it needs a sign-in.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::auth::Staff;
use super::page::{self, layout};
use super::{CommuneSettings, MuniState};
use crate::core::polls::{Figures, PollDraft, VoteOutcome, percent};
use crate::i18n::{Lang, escape_html};
use crate::store::polls::{self, Poll};

type Page = (StatusCode, Html<String>);

/// The poll routes, for the lead to merge into the app.
pub fn router() -> Router<MuniState> {
    Router::new()
        .route("/communes/{commune}/sondages", get(list_page))
        .route("/communes/{commune}/sondages/{id}", get(results_page))
        .route("/sondage/vote", get(vote_page).post(vote_post))
        .route("/mairie/{commune}/sondages/nouveau", get(new_page).post(new_post))
}

async fn list_page(State(st): State<MuniState>, Path(commune): Path<String>) -> Page {
    let Some(c) = st.settings.commune(&commune) else {
        return page::not_found();
    };
    let list = match polls::of_commune(&st.core.pool, &c.name).await {
        Ok(l) => l,
        Err(e) => return page::failed(&e, "a poll"),
    };
    let mut body = String::from("<ul>");
    for p in &list {
        let state = if p.closed_at.is_some() { "clos" } else { "en cours" };
        body.push_str(&format!(
            "<li><a href=\"/communes/{}/sondages/{}\">{}</a> ({state})</li>",
            c.slug,
            p.id,
            escape_html(&p.spec.question)
        ));
    }
    body.push_str("</ul>");
    if list.is_empty() {
        body = "<p>Aucun sondage pour l'instant.</p>".into();
    }
    layout(StatusCode::OK, Lang::Fr, &format!("Sondages de {}", c.name), &body)
}

async fn results_page(State(st): State<MuniState>, Path((commune, id)): Path<(String, i64)>) -> Page {
    let Some(c) = st.settings.commune(&commune) else {
        return page::not_found();
    };
    match results_html(&st, c, id).await {
        Ok(Some((title, body))) => layout(StatusCode::OK, Lang::Fr, &title, &body),
        Ok(None) => page::not_found(),
        Err(e) => page::failed(&e, "a poll"),
    }
}

/// The results page's title and body, or None when the poll is not this commune's.
pub async fn results_html(st: &MuniState, c: &CommuneSettings, id: i64) -> anyhow::Result<Option<(String, String)>> {
    let Some(poll) = polls::get(&st.core.pool, id)
        .await?
        .filter(|p| p.spec.commune == c.name)
    else {
        return Ok(None);
    };
    let rows = polls::counts(&st.core.pool, id).await?;
    let reach: HashMap<String, i64> = polls::reachable(&st.core.pool, &poll.spec.areas)
        .await?
        .into_iter()
        .collect();
    let n = poll.spec.options.len();
    let overall = Figures::from_counts(n, &rows);
    let mut body = format!(
        "<p>{}</p><p><a href=\"/communes/{}/sondages\">Tous les sondages de {}</a></p>",
        state_line(&poll),
        c.slug,
        escape_html(&c.name)
    );
    let reached: i64 = reach.values().sum();
    body.push_str(&section("Ensemble des quartiers", &poll, &overall, reached, "all"));
    for area in &poll.spec.areas {
        let name = st.core.areas.get(area).map_or(area.as_str(), |a| a.name.as_str());
        let f = Figures::of_area(n, &rows, area);
        body.push_str(&section(name, &poll, &f, reach.get(area).copied().unwrap_or(0), area));
    }
    Ok(Some((format!("Sondage : {}", poll.spec.question), body)))
}

fn state_line(p: &Poll) -> String {
    let paris = |t: DateTime<Utc>| {
        t.with_timezone(&chrono_tz::Europe::Paris)
            .format("%d/%m/%Y à %H:%M")
            .to_string()
    };
    let kind = if p.spec.multiple {
        "plusieurs réponses possibles"
    } else {
        "une réponse par personne"
    };
    match p.closed_at {
        Some(t) => format!("Sondage clos le {} ({kind}).", paris(t)),
        None => format!(
            "Sondage ouvert jusqu'au {} ({kind}) : résultats provisoires.",
            paris(p.spec.closes_at)
        ),
    }
}

/// One block of figures: heading, turnout, the chart and the same figures as a table.
fn section(name: &str, poll: &Poll, f: &Figures, reached: i64, id: &str) -> String {
    let turnout = if reached > 0 {
        format!(
            "{} votants sur {reached} personnes jointes ({} %).",
            f.voters,
            percent(f.voters, reached)
        )
    } else {
        format!("{} votants.", f.voters)
    };
    let mut table = String::from(
        "<table><caption class=\"note\">Les mêmes chiffres</caption><thead><tr><th scope=\"col\">Réponse</th>\
         <th scope=\"col\">Voix</th><th scope=\"col\">Part des votants</th></tr></thead><tbody>",
    );
    for (o, n) in poll.spec.options.iter().zip(&f.votes) {
        table.push_str(&format!(
            "<tr><td>{}</td><td>{n}</td><td>{} %</td></tr>",
            escape_html(o),
            percent(*n, f.voters)
        ));
    }
    table.push_str("</tbody></table>");
    format!(
        "<section><h2>{}</h2><p>{turnout}</p>{}{table}</section>",
        escape_html(name),
        bar_chart(name, &poll.spec.options, f, id)
    )
}

/// A horizontal bar chart as inline SVG: a label above each bar, the count and share at its
/// end, a <title> and <desc> for screen readers (the table below says the same).
pub fn bar_chart(name: &str, options: &[String], f: &Figures, id: &str) -> String {
    const ROW: usize = 56;
    const WIDTH: i64 = 420;
    let height = ROW * options.len() + 8;
    let desc: Vec<String> = options
        .iter()
        .zip(&f.votes)
        .map(|(o, n)| format!("{o} : {n} voix ({} %)", percent(*n, f.voters)))
        .collect();
    let mut svg = format!(
        "<svg role=\"img\" aria-labelledby=\"t-{id} d-{id}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" \
         style=\"max-width:{WIDTH}px\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"t-{id}\">Résultats, {}</title><desc id=\"d-{id}\">{}</desc>",
        escape_html(name),
        escape_html(&desc.join(" ; "))
    );
    for (i, (o, n)) in options.iter().zip(&f.votes).enumerate() {
        let y = i * ROW;
        let share = percent(*n, f.voters);
        let w = (share * (WIDTH - 120) / 100).max(2);
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"17\" fill=\"#111\">{}</text>\
             <rect x=\"0\" y=\"{}\" width=\"{w}\" height=\"22\" fill=\"#064\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"17\" fill=\"#111\">{n} ({share} %)</text>",
            y + 18,
            escape_html(o),
            y + 26,
            w + 8,
            y + 43
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    t: String,
}

/// The email vote link: shows the choice (checkboxes for a multiple choice poll) with a button.
async fn vote_page(State(st): State<MuniState>, Query(q): Query<TokenQuery>) -> Page {
    let core = &st.core;
    let (link, poll, lang, title) = match open_link(&st, &q.t).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let option = link.2;
    if !poll.is_open(Utc::now()) {
        return closed(&st, &poll, lang, &title);
    }
    let mut body = format!(
        "<p><strong>{}</strong></p><form method=\"post\" action=\"/sondage/vote?t={}\"><fieldset><legend>{}</legend>",
        escape_html(&poll.spec.question),
        escape_html(&q.t),
        escape_html(&core.texts.get(lang, "poll-vote-your-choice", &[]))
    );
    if poll.spec.multiple {
        body.push_str(&format!(
            "<p class=\"note\">{}</p>",
            escape_html(&core.texts.get(lang, "poll-vote-multiple", &[]))
        ));
        for (i, o) in poll.spec.options.iter().enumerate() {
            let checked = if i == option { " checked" } else { "" };
            body.push_str(&format!(
                "<label><input type=\"checkbox\" name=\"o{i}\" value=\"1\"{checked}> {}</label>",
                escape_html(o)
            ));
        }
    } else {
        body.push_str(&format!(
            "<p>« {} »</p><input type=\"hidden\" name=\"o{option}\" value=\"1\">",
            escape_html(&poll.spec.options[option])
        ));
    }
    body.push_str(&format!(
        "</fieldset><button type=\"submit\">{}</button></form>",
        escape_html(&core.texts.get(lang, "poll-vote-button", &[]))
    ));
    layout(StatusCode::OK, lang, &title, &body)
}

/// The vote itself: the options ticked (`o0`…`o9`); the last vote of a member counts.
async fn vote_post(
    State(st): State<MuniState>,
    Query(q): Query<TokenQuery>,
    Form(form): Form<HashMap<String, String>>,
) -> Page {
    let core = &st.core;
    let ((id, sub, _), poll, lang, title) = match open_link(&st, &q.t).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let choices: Vec<usize> = (0..poll.spec.options.len())
        .filter(|i| form.contains_key(&format!("o{i}")))
        .collect();
    if choices.is_empty() {
        let text = core.texts.get(lang, "poll-vote-none", &[]);
        return layout(
            StatusCode::BAD_REQUEST,
            lang,
            &title,
            &format!("<p>{}</p>", escape_html(&text)),
        );
    }
    match core.poll_vote_by_email(id, sub, &choices, Utc::now()).await {
        Ok(VoteOutcome::Counted) => {
            let chosen: Vec<&str> = choices.iter().map(|&i| poll.spec.options[i].as_str()).collect();
            let closes = poll
                .spec
                .closes_at
                .with_timezone(&chrono_tz::Europe::Paris)
                .format("%d/%m/%Y %H:%M")
                .to_string();
            let text = core.texts.get(
                lang,
                "poll-vote-done",
                &[("choices", chosen.join(", ").into()), ("closes", closes.into())],
            );
            layout(StatusCode::OK, lang, &title, &format!("<p>{}</p>", escape_html(&text)))
        }
        Ok(VoteOutcome::Refused) if !poll.is_open(Utc::now()) => closed(&st, &poll, lang, &title),
        Ok(_) => invalid(&st, lang),
        Err(e) => page::failed(&e, "a poll"),
    }
}

/// What a vote link names, its poll, the subscriber's language and the page title; or the
/// page saying the link is not valid.
async fn open_link(st: &MuniState, token: &str) -> Result<((i64, i64, usize), Poll, Lang, String), Page> {
    let Some(link) = st.core.links.read_poll_vote(token) else {
        return Err(invalid(st, Lang::Fr));
    };
    let (poll, lang) = match poll_and_lang(st, link.0, link.1).await {
        Ok(Some(x)) => x,
        Ok(None) => return Err(invalid(st, Lang::Fr)),
        Err(e) => return Err(page::failed(&e, "a poll")),
    };
    if link.2 >= poll.spec.options.len() {
        return Err(invalid(st, lang));
    }
    let title = st.core.texts.get(
        lang,
        "poll-vote-title",
        &[("commune", poll.spec.commune.as_str().into())],
    );
    Ok((link, poll, lang, title))
}

async fn poll_and_lang(st: &MuniState, id: i64, sub: i64) -> anyhow::Result<Option<(Poll, Lang)>> {
    let Some(poll) = polls::get(&st.core.pool, id).await? else {
        return Ok(None);
    };
    let lang = crate::store::subscriptions::address(&st.core.pool, sub)
        .await?
        .map_or(Lang::Fr, |(_, l)| l);
    Ok(Some((poll, lang)))
}

fn invalid(st: &MuniState, lang: Lang) -> Page {
    let text = st.core.texts.get(lang, "poll-vote-invalid", &[]);
    layout(
        StatusCode::NOT_FOUND,
        lang,
        "Sondage / Poll",
        &format!("<p>{}</p>", escape_html(&text)),
    )
}

fn closed(st: &MuniState, poll: &Poll, lang: Lang, title: &str) -> Page {
    let link = format!(
        "{}/communes/{}/sondages/{}",
        st.core.links.public_url, poll.spec.commune_slug, poll.id
    );
    let text = st
        .core
        .texts
        .get(lang, "poll-vote-closed", &[("link", link.clone().into())]);
    layout(
        StatusCode::GONE,
        lang,
        title,
        &format!(
            "<p>{}</p><p><a href=\"{}\">{}</a></p>",
            escape_html(&text),
            escape_html(&link),
            escape_html(&link)
        ),
    )
}

async fn new_page(State(st): State<MuniState>, staff: Staff) -> Page {
    if let Err(d) = staff.require_editor() {
        return layout(
            d.status,
            Lang::Fr,
            "Sondage",
            &format!("<p>{}</p>", escape_html(d.message)),
        );
    }
    let Some(c) = st.settings.commune(&staff.commune) else {
        return page::not_found();
    };
    layout(
        StatusCode::OK,
        Lang::Fr,
        "Nouveau sondage",
        &new_form(&st, c, &staff, &HashMap::new(), None),
    )
}

async fn new_post(State(st): State<MuniState>, staff: Staff, Form(form): Form<HashMap<String, String>>) -> Page {
    let Some(c) = st.settings.commune(&staff.commune) else {
        return page::not_found();
    };
    let draft = match read_form(&st, c, &staff, &form) {
        Ok(d) => d,
        Err((status, message)) => {
            return layout(
                status,
                Lang::Fr,
                "Nouveau sondage",
                &new_form(&st, c, &staff, &form, Some(&message)),
            );
        }
    };
    let submission = form.get("submission").map(String::as_str).filter(|s| !s.is_empty());
    match st.core.create_poll(&draft, submission, Utc::now()).await {
        Ok(Ok(id)) => layout(
            StatusCode::CREATED,
            Lang::Fr,
            "Sondage envoyé",
            &format!(
                "<p>Le sondage part dans les salons et par courriel.</p>\
                 <p><a href=\"/communes/{}/sondages/{id}\">Voir les résultats</a></p>",
                c.slug
            ),
        ),
        Ok(Err(e)) => layout(
            StatusCode::UNPROCESSABLE_ENTITY,
            Lang::Fr,
            "Nouveau sondage",
            &new_form(&st, c, &staff, &form, Some(&e.to_string())),
        ),
        Err(e) => page::failed(&e, "a poll"),
    }
}

/// Reads the editor's form into a draft: the CSRF token and editor rights first, then the
/// fields (`question`, `options` one per line, `multiple`, `closes` as local date and time,
/// `area-<slug>` checkboxes).
pub fn read_form(
    st: &MuniState,
    c: &CommuneSettings,
    staff: &Staff,
    form: &HashMap<String, String>,
) -> Result<PollDraft, (StatusCode, String)> {
    staff
        .check_csrf(form.get("csrf").map_or("", String::as_str))
        .and_then(|()| staff.require_editor())
        .map_err(|d| (d.status, d.message.to_owned()))?;
    let closes = form
        .get("closes")
        .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").ok())
        .and_then(|t| chrono_tz::Europe::Paris.from_local_datetime(&t).earliest())
        .ok_or((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Date de clôture illisible. / Unreadable closing time.".to_owned(),
        ))?;
    let areas = st
        .core
        .areas
        .all()
        .iter()
        .filter(|a| a.commune == c.name && form.contains_key(&format!("area-{}", a.slug.as_str())))
        .map(|a| a.slug.as_str().to_owned())
        .collect();
    Ok(PollDraft {
        commune: c.name.clone(),
        commune_slug: c.slug.clone(),
        question: form.get("question").cloned().unwrap_or_default(),
        options: form
            .get("options")
            .map(|o| {
                o.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        multiple: form.contains_key("multiple"),
        areas,
        closes_at: closes.with_timezone(&Utc),
        created_by: staff.email.clone(),
    })
}

/// The poll form, filled with what was `typed` (empty for a new form, which gets a fresh
/// one-time token and every area ticked), and the `error` that sent it back.
fn new_form(
    st: &MuniState,
    c: &CommuneSettings,
    staff: &Staff,
    typed: &HashMap<String, String>,
    error: Option<&str>,
) -> String {
    let fresh = typed.is_empty();
    let value = |k: &str| escape_html(typed.get(k).map_or("", String::as_str));
    let checked = |on: bool| if on { " checked" } else { "" };
    let mut areas = String::new();
    for a in st.core.areas.all().iter().filter(|a| a.commune == c.name) {
        let name = format!("area-{}", a.slug.as_str());
        areas.push_str(&format!(
            "<label><input type=\"checkbox\" name=\"{name}\" value=\"1\"{}> {}</label>",
            checked(fresh || typed.contains_key(&name)),
            escape_html(&a.name)
        ));
    }
    let submission = if fresh {
        super::auth::random_hex::<16>()
    } else {
        value("submission")
    };
    let error = error.map_or(String::new(), |e| {
        format!("<p role=\"alert\"><strong>{}</strong></p>", escape_html(e))
    });
    format!(
        "{error}<form method=\"post\" action=\"/mairie/{slug}/sondages/nouveau\">{csrf}\
         <input type=\"hidden\" name=\"submission\" value=\"{submission}\">\
         <label for=\"q\">Question</label><input id=\"q\" name=\"question\" required maxlength=\"250\" value=\"{question}\">\
         <label for=\"o\">Réponses (une par ligne, de 2 à 10)</label>\
         <textarea id=\"o\" name=\"options\" rows=\"5\" required>{options}</textarea>\
         <label><input type=\"checkbox\" name=\"multiple\" value=\"1\"{multiple}> Plusieurs réponses possibles</label>\
         <label for=\"c\">Clôture (heure de Paris)</label><input id=\"c\" type=\"datetime-local\" name=\"closes\" required value=\"{closes}\">\
         <fieldset><legend>Quartiers</legend>{areas}</fieldset>\
         <button type=\"submit\">Envoyer le sondage</button></form>",
        slug = c.slug,
        csrf = staff.csrf_field(),
        question = value("question"),
        options = value("options"),
        multiple = checked(typed.contains_key("multiple")),
        closes = value("closes"),
    )
}
