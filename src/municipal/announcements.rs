//! Municipal announcements on the web (issue 18): the editor's form that publishes one
//! (`core::announcements` relays it), the commune's public archive (newest first, each with its
//! own page) and its Atom feed.
//!
//! The archive is public: an announcement is what the town hall says to everyone.

use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};

use super::auth::Staff;
use super::page::{self, browser_lang, layout, layout_with_head, tr};
use super::{CommuneSettings, MuniState};
use crate::core::announcements::{AnnouncementDraft, MAX_PLACE, MAX_TEXT, MAX_TITLE, long_date};
use crate::i18n::{Lang, escape_html};
use crate::store::announcements::{self, Announcement};

type Page = (StatusCode, Html<String>);

/// How many announcements the archive page and the feed show.
const LISTED: i64 = 100;

/// The announcement routes.
pub fn router() -> Router<MuniState> {
    Router::new()
        .route("/communes/{commune}/annonces", get(archive_page))
        .route("/communes/{commune}/annonces.atom", get(feed))
        .route("/communes/{commune}/annonces/{id}", get(one_page))
        .route("/mairie/{commune}/annonces/nouvelle", get(new_page).post(new_post))
}

fn archive_title(lang: Lang, c: &CommuneSettings) -> String {
    format!(
        "{} {}",
        tr(lang, "Annonces de la mairie de", "Announcements of the town hall of"),
        c.name
    )
}

/// `/communes/{c}/annonces`: the commune's announcements, newest first.
async fn archive_page(State(st): State<MuniState>, headers: HeaderMap, Path(commune): Path<String>) -> Page {
    let lang = browser_lang(&headers);
    let Some(c) = st.settings.commune(&commune) else {
        return page::not_found();
    };
    let list = match announcements::of_commune(&st.core.pool, &c.slug, LISTED).await {
        Ok(l) => l,
        Err(e) => return page::failed(&e, "an announcement"),
    };
    let title = archive_title(lang, c);
    let mut body = format!(
        "<p><a href=\"/communes/{0}/annonces.atom\">{1}</a></p>",
        c.slug,
        tr(
            lang,
            "Suivre ces annonces (flux Atom)",
            "Follow these announcements (Atom feed)"
        )
    );
    if list.is_empty() {
        body.push_str(&format!(
            "<p>{}</p>",
            tr(lang, "Aucune annonce pour l'instant.", "No announcement yet.")
        ));
    }
    for a in &list {
        body.push_str(&article(&st, lang, a, true));
    }
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{}\" href=\"/communes/{}/annonces.atom\">",
        escape_html(&title),
        c.slug
    );
    layout_with_head(StatusCode::OK, lang, &title, &head, &body)
}

/// `/communes/{c}/annonces/{id}`: one announcement's permanent page.
async fn one_page(State(st): State<MuniState>, headers: HeaderMap, Path((commune, id)): Path<(String, i64)>) -> Page {
    let lang = browser_lang(&headers);
    let Some(c) = st.settings.commune(&commune) else {
        return page::not_found();
    };
    let a = match announcements::get(&st.core.pool, &c.slug, id).await {
        Ok(Some(a)) => a,
        Ok(None) => return page::not_found(),
        Err(e) => return page::failed(&e, "an announcement"),
    };
    let body = format!(
        "{}<p><a href=\"/communes/{}/annonces\">{}</a></p>",
        article(&st, lang, &a, false),
        c.slug,
        escape_html(&archive_title(lang, c))
    );
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/communes/{}/annonces.atom\">",
        c.slug
    );
    layout_with_head(StatusCode::OK, lang, &a.spec.title, &head, &body)
}

/// "5 décembre 2026 à 14:30" (Paris time) / "5 December 2026 at 14:30".
fn published(lang: Lang, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&chrono_tz::Europe::Paris);
    format!(
        "{} {} {}",
        long_date(lang, local.date_naive()),
        tr(lang, "à", "at"),
        local.format("%H:%M")
    )
}

/// One announcement as an `<article>` with a permanent anchor (`#annonce-ID`); `listed`: in
/// the archive (its title links to its own page, one heading level below the page's).
fn article(st: &MuniState, lang: Lang, a: &Announcement, listed: bool) -> String {
    let s = &a.spec;
    let heading = if listed {
        format!(
            "<h2><a href=\"/communes/{}/annonces/{}\">{}</a></h2>",
            s.commune_slug,
            a.id,
            escape_html(&s.title)
        )
    } else {
        String::new()
    };
    let urgent = if s.urgent {
        format!("<span class=\"urgent\">{}</span> ", tr(lang, "Urgent", "Urgent"))
    } else {
        String::new()
    };
    let areas: Vec<String> = s
        .areas
        .iter()
        .map(|slug| st.core.areas.get(slug).map_or(slug.clone(), |a| a.name.clone()))
        .collect();
    let mut details = String::new();
    if let Some(d) = s.happens_on {
        details.push_str(&format!(
            "<li><strong>{}</strong> {}</li>",
            tr(lang, "Date :", "Date:"),
            escape_html(&long_date(lang, d))
        ));
    }
    if let Some(p) = &s.place {
        details.push_str(&format!(
            "<li><strong>{}</strong> {}</li>",
            tr(lang, "Lieu :", "Place:"),
            escape_html(p)
        ));
    }
    details.push_str(&format!(
        "<li><strong>{}</strong> {}</li>",
        tr(lang, "Quartiers :", "Areas:"),
        escape_html(&areas.join(", "))
    ));
    format!(
        "<article id=\"annonce-{id}\">{heading}<p class=\"note\">{urgent}{} <time datetime=\"{}\">{}</time></p>\
         <p class=\"text\">{}</p><ul>{details}</ul></article>",
        tr(lang, "Publiée le", "Published on"),
        a.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        escape_html(&published(lang, a.created_at)),
        escape_html(&s.body),
        id = a.id,
    )
}

/// Text fit for XML 1.0: escaped, without the control characters it forbids.
fn xml(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|&c| c == '\t' || c == '\n' || c == '\r' || c >= ' ')
        .collect();
    escape_html(&kept)
}

/// `/communes/{c}/annonces.atom`: the same announcements as an Atom feed (RFC 4287).
async fn feed(State(st): State<MuniState>, Path(commune): Path<String>) -> Response {
    let Some(c) = st.settings.commune(&commune) else {
        return page::not_found().into_response();
    };
    let list = match announcements::of_commune(&st.core.pool, &c.slug, LISTED).await {
        Ok(l) => l,
        Err(e) => return page::failed(&e, "an announcement").into_response(),
    };
    let base = format!("{}/communes/{}/annonces", st.core.links.public_url, c.slug);
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // A feed's `updated` is its newest entry's (an empty feed: the Unix epoch, stable).
    let updated = list.first().map_or(DateTime::<Utc>::UNIX_EPOCH, |a| a.created_at);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fr\">\
         <id>{base}</id><title>{}</title><updated>{}</updated>\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}.atom\"/>\
         <link rel=\"alternate\" type=\"text/html\" href=\"{base}\"/><author><name>{}</name></author>",
        xml(&archive_title(Lang::Fr, c)),
        stamp(updated),
        xml(&format!("Mairie de {}", c.name)),
        base = xml(&base),
    );
    for a in &list {
        let url = st.core.announcement_url(&c.slug, a.id);
        let text = st.core.announcement_text(&a.spec, Lang::Fr, &url);
        out.push_str(&format!(
            "\n<entry><id>{url}</id><title>{}</title><updated>{t}</updated><published>{t}</published>\
             <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/><content type=\"text\">{}</content></entry>",
            xml(&a.spec.title),
            xml(&text),
            url = xml(&url),
            t = stamp(a.created_at),
        ));
    }
    out.push_str("\n</feed>\n");
    ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], out).into_response()
}

/// What the editor typed, kept to show the form again as it was.
#[derive(Debug, Default)]
struct Typed {
    title: String,
    text: String,
    date: String,
    place: String,
    /// "all" areas, or only those ticked.
    all: bool,
    chosen: HashSet<String>,
    urgent: bool,
    /// The form's one-time token (the same form sent twice publishes once).
    submission: String,
}

impl Typed {
    fn fresh() -> Typed {
        Typed {
            all: true,
            submission: super::auth::random_hex::<16>(),
            ..Typed::default()
        }
    }

    fn read(form: &HashMap<String, String>) -> Typed {
        let field = |k: &str| form.get(k).cloned().unwrap_or_default();
        Typed {
            title: field("title"),
            text: field("text"),
            date: field("date").trim().to_owned(),
            place: field("place"),
            all: form.get("scope").is_none_or(|s| s != "choice"),
            chosen: form
                .keys()
                .filter_map(|k| k.strip_prefix("area-"))
                .map(str::to_owned)
                .collect(),
            urgent: form.contains_key("urgent"),
            submission: field("submission"),
        }
    }
}

/// Field name → what is wrong with it.
type FieldErrors = Vec<(&'static str, String)>;

async fn new_page(State(st): State<MuniState>, headers: HeaderMap, staff: Staff) -> Response {
    let lang = browser_lang(&headers);
    if let Err(d) = staff.require_editor() {
        return d.into_response();
    }
    let Some(c) = st.settings.commune(&staff.commune) else {
        return page::not_found().into_response();
    };
    form_page(&st, c, &staff, lang, StatusCode::OK, &Typed::fresh(), &[]).into_response()
}

async fn new_post(
    State(st): State<MuniState>,
    headers: HeaderMap,
    staff: Staff,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let lang = browser_lang(&headers);
    if let Err(d) = staff
        .check_csrf(form.get("csrf").map_or("", String::as_str))
        .and_then(|()| staff.require_editor())
    {
        return d.into_response();
    }
    let Some(c) = st.settings.commune(&staff.commune) else {
        return page::not_found().into_response();
    };
    let typed = Typed::read(&form);
    let draft = match draft_of(&st, c, &staff, &typed) {
        Ok(d) => d,
        Err(errors) => {
            return form_page(&st, c, &staff, lang, StatusCode::UNPROCESSABLE_ENTITY, &typed, &errors).into_response();
        }
    };
    let submission = Some(typed.submission.as_str()).filter(|s| !s.is_empty());
    match st.core.publish_announcement(&draft, submission, Utc::now()).await {
        Ok(Ok(id)) => Redirect::to(&format!("/communes/{}/annonces/{id}", c.slug)).into_response(),
        Ok(Err(errors)) => {
            let errors: FieldErrors = errors.iter().map(|e| (e.field(), e.to_string())).collect();
            form_page(&st, c, &staff, lang, StatusCode::UNPROCESSABLE_ENTITY, &typed, &errors).into_response()
        }
        Err(e) => page::failed(&e, "an announcement").into_response(),
    }
}

/// The draft the form asks for, or the errors of the fields only the form can judge (the
/// date); the core judges the rest.
fn draft_of(st: &MuniState, c: &CommuneSettings, staff: &Staff, t: &Typed) -> Result<AnnouncementDraft, FieldErrors> {
    let happens_on = if t.date.is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(&t.date, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                return Err(vec![(
                    "date",
                    "Date illisible : choisissez-la dans le calendrier (AAAA-MM-JJ). / Unreadable date.".to_owned(),
                )]);
            }
        }
    };
    let areas = st
        .core
        .areas
        .all()
        .iter()
        .filter(|a| a.commune == c.name && (t.all || t.chosen.contains(a.slug.as_str())))
        .map(|a| a.slug.as_str().to_owned())
        .collect();
    Ok(AnnouncementDraft {
        commune: c.name.clone(),
        commune_slug: c.slug.clone(),
        title: t.title.clone(),
        body: t.text.clone(),
        happens_on,
        place: Some(t.place.clone()),
        areas,
        urgent: t.urgent,
        created_by: staff.email.clone(),
    })
}

/// The error said next to `field`, and the attributes that tie it to its control.
fn error_of(errors: &[(&'static str, String)], field: &str) -> (String, String) {
    match errors.iter().find(|(f, _)| *f == field) {
        Some((_, message)) => (
            format!("<p class=\"error\" id=\"{field}-error\">{}</p>", escape_html(message)),
            format!(" aria-invalid=\"true\" aria-describedby=\"{field}-error\""),
        ),
        None => (String::new(), String::new()),
    }
}

fn form_page(
    st: &MuniState,
    c: &CommuneSettings,
    staff: &Staff,
    lang: Lang,
    status: StatusCode,
    t: &Typed,
    errors: &[(&'static str, String)],
) -> Page {
    let title = tr(lang, "Nouvelle annonce", "New announcement");
    layout(status, lang, title, &form_html(st, c, staff, lang, t, errors))
}

fn form_html(
    st: &MuniState,
    c: &CommuneSettings,
    staff: &Staff,
    lang: Lang,
    t: &Typed,
    errors: &[(&'static str, String)],
) -> String {
    let summary = if errors.is_empty() {
        String::new()
    } else {
        format!(
            "<p role=\"alert\" class=\"error\">{}</p>",
            tr(
                lang,
                "L'annonce n'est pas partie : corrigez ce qui est signalé ci-dessous.",
                "The announcement was not sent: correct what is shown below."
            )
        )
    };
    let (title_err, title_attr) = error_of(errors, "title");
    let (text_err, text_attr) = error_of(errors, "text");
    let (date_err, date_attr) = error_of(errors, "date");
    let (place_err, place_attr) = error_of(errors, "place");
    let (areas_err, _) = error_of(errors, "areas");
    let checked = |on: bool| if on { " checked" } else { "" };
    let mut areas = String::new();
    for a in st.core.areas.all().iter().filter(|a| a.commune == c.name) {
        let slug = a.slug.as_str();
        areas.push_str(&format!(
            "<label><input type=\"checkbox\" name=\"area-{slug}\" value=\"1\"{}> {}</label>",
            checked(t.chosen.contains(slug)),
            escape_html(&a.name)
        ));
    }
    format!(
        "{summary}<p><a href=\"/communes/{slug}/annonces\">{archive}</a></p>\
         <form method=\"post\" action=\"/mairie/{slug}/annonces/nouvelle\" novalidate>{csrf}\
         <input type=\"hidden\" name=\"submission\" value=\"{submission}\">\
         <label for=\"title\">{l_title}</label>{title_err}\
         <input id=\"title\" name=\"title\" maxlength=\"{MAX_TITLE}\" value=\"{v_title}\"{title_attr}>\
         <label for=\"text\">{l_text}</label>{text_err}\
         <textarea id=\"text\" name=\"text\" rows=\"8\" maxlength=\"{MAX_TEXT}\"{text_attr}>{v_text}</textarea>\
         <label for=\"date\">{l_date}</label>{date_err}\
         <input id=\"date\" type=\"{date_type}\" name=\"date\" value=\"{v_date}\"{date_attr}>\
         <label for=\"place\">{l_place}</label>{place_err}\
         <input id=\"place\" name=\"place\" maxlength=\"{MAX_PLACE}\" value=\"{v_place}\"{place_attr}>\
         <fieldset><legend>{l_areas}</legend>{areas_err}\
         <label><input type=\"radio\" name=\"scope\" value=\"all\"{all}> {l_all}</label>\
         <label><input type=\"radio\" name=\"scope\" value=\"choice\"{choice}> {l_choice}</label>\
         <fieldset><legend class=\"note\">{l_which}</legend>{areas}</fieldset></fieldset>\
         <fieldset><legend>{l_urgency}</legend>\
         <label><input type=\"checkbox\" name=\"urgent\" value=\"1\"{urgent}> {l_urgent}</label>\
         <p class=\"note\">{l_urgent_note}</p></fieldset>\
         <button type=\"submit\">{l_send}</button></form>",
        slug = c.slug,
        csrf = staff.csrf_field(),
        submission = escape_html(&t.submission),
        archive = tr(lang, "Les annonces déjà publiées", "Announcements already published"),
        l_title = tr(lang, "Titre", "Title"),
        v_title = escape_html(&t.title),
        l_text = tr(lang, "Texte", "Text"),
        v_text = escape_html(&t.text),
        l_date = tr(lang, "Date (facultatif)", "Date (optional)"),
        v_date = escape_html(&t.date),
        // A date picker cannot show what it cannot read: an unreadable date comes back as text.
        date_type = if date_err.is_empty() { "date" } else { "text" },
        l_place = tr(lang, "Lieu (facultatif)", "Place (optional)"),
        v_place = escape_html(&t.place),
        l_areas = tr(lang, "Quartiers", "Areas"),
        all = checked(t.all),
        l_all = tr(lang, "Tous les quartiers de la commune", "All the commune's areas"),
        choice = checked(!t.all),
        l_choice = tr(lang, "Seulement les quartiers cochés :", "Only the areas ticked:"),
        l_which = tr(lang, "Quartiers choisis", "Chosen areas"),
        l_urgency = tr(lang, "Urgence", "Urgency"),
        urgent = checked(t.urgent),
        l_urgent = tr(lang, "Urgent", "Urgent"),
        l_urgent_note = tr(
            lang,
            "Urgent : un courriel part tout de suite à chaque abonné des quartiers. Sinon, l'annonce \
             paraît dans leur prochain résumé. Dans les deux cas, elle est publiée dans les salons.",
            "Urgent: an email goes at once to every subscriber of the areas. Otherwise it appears in \
             their next digest. Either way it is posted in the rooms."
        ),
        l_send = tr(lang, "Publier l'annonce", "Publish the announcement"),
    )
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn feed_text_is_escaped_and_free_of_forbidden_characters() {
        assert_eq!(xml("a<b> & \"c\"\u{0}\u{7}\n"), "a&lt;b&gt; &amp; &quot;c&quot;\n");
    }

    #[test]
    fn the_core_errors_name_their_field() {
        use crate::core::announcements::AnnouncementError as E;
        assert_eq!(E::NoTitle.field(), "title");
        assert_eq!(E::TextTooLong(5000).field(), "text");
        assert_eq!(E::ForeignArea("x".into()).field(), "areas");
        assert_eq!(E::PlaceTooLong.field(), "place");
    }
}
