//! A digest in words: the email (subject, plain text, HTML) from the minijinja templates in
//! bot-scripts/email/digest.{txt,html}.j2, and the short summary for the rooms. The words
//! themselves are Fluent texts (bot-scripts/*/voisinage.ftl), reached from the templates
//! through `t("id", name=value…)`, so the community team edits them in one place. One
//! environment serves every language: `t` reads the language from the view it renders.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, State};
use serde::Serialize;

use super::build::{AnnouncementLine, Digest, Figures, PartnerLine, PostLine};
use crate::core::model::ChannelKind;
use crate::i18n::{Arg, Lang, Texts, format_dates};

const TXT: &str = include_str!("../../bot-scripts/email/digest.txt.j2");
const HTML: &str = include_str!("../../bot-scripts/email/digest.html.j2");

/// The templates, loaded once.
pub struct Renderer {
    env: Environment<'static>,
    texts: &'static Texts,
}

/// A rendered digest email (stored as is: a row of `digest_bodies`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A post as the templates see it.
#[derive(Debug, Serialize)]
struct PostView {
    item: String,
    author: String,
    when: String,
    /// The address that reaches its author (the bot's plus-address), when email is on.
    reply: Option<String>,
    /// Its photo's thumbnail and the photo, as signed expiring links to the daemon.
    thumb: Option<String>,
    photo: Option<String>,
    /// Its document or video, as a signed expiring link to the daemon.
    file: Option<String>,
    /// " · prêté jusqu'au 12 juin" for an offer whose every copy is lent, else empty.
    lent: String,
}

/// A town hall announcement as the templates see it.
#[derive(Debug, Serialize)]
struct AnnouncementView {
    /// "📢 Mairie de Saint-Malo : Travaux rue de la Paix".
    heading: String,
    body: String,
    /// "📅 12 juin 2027", or empty.
    when: String,
    /// "📍 Salle des fêtes", or empty.
    place: String,
    link: String,
}

#[derive(Debug, Serialize)]
struct GroupView {
    label: String,
    posts: Vec<PostView>,
}

/// What the templates get.
#[derive(Debug, Serialize)]
struct View {
    /// The reader's language: `t` says its words in it.
    lang: Lang,
    period: &'static str,
    area_name: String,
    announcements: Vec<AnnouncementView>,
    dates: String,
    offers: Vec<GroupView>,
    requests: Vec<GroupView>,
    unanswered: Vec<PostView>,
    coming: Vec<PostView>,
    figures: Figures,
    partner: Option<PartnerLine>,
    more: usize,
}

fn fluent_args(kwargs: &Kwargs) -> Result<Vec<(String, Arg)>, minijinja::Error> {
    let mut out = Vec::new();
    for name in kwargs.args() {
        let v: Value = kwargs.get(name)?;
        let arg = match i64::try_from(v.clone()) {
            Ok(n) if v.is_number() => Arg::from(n),
            _ => Arg::from(v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())),
        };
        out.push((name.to_owned(), arg));
    }
    Ok(out)
}

impl Renderer {
    /// The built-in templates (a template error is a build-time bug: the tests render them).
    pub fn new(texts: &'static Texts) -> Renderer {
        Renderer::with_templates(texts, TXT, HTML).expect("the built-in digest templates compile")
    }

    /// Templates from elsewhere (tests of a broken template).
    pub fn with_templates(texts: &'static Texts, txt: &'static str, html: &'static str) -> anyhow::Result<Renderer> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_auto_escape_callback(|name| {
            if name.contains(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_function(
            "t",
            move |state: &State, id: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let args = fluent_args(&kwargs)?;
                let borrowed: Vec<(&str, Arg)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                Ok(texts.get(view_lang(state), id, &borrowed))
            },
        );
        env.add_template("digest.txt.j2", txt)?;
        env.add_template("digest.html.j2", html)?;
        Ok(Renderer { env, texts })
    }

    fn post(&self, p: &PostLine, lang: Lang, reply: &dyn Fn(&PostLine) -> Option<String>) -> PostView {
        let when = match (p.when_from, p.when_to) {
            (Some(f), Some(t)) => format_dates(lang, f, t),
            (Some(f), None) => format_dates(lang, f, f),
            _ => String::new(),
        };
        PostView {
            item: p.item.clone(),
            author: p.author.clone(),
            when,
            reply: reply(p),
            thumb: p.photo_links.as_ref().map(|l| l.0.clone()),
            photo: p.photo_links.as_ref().map(|l| l.1.clone()),
            file: p.file_link.clone(),
            lent: self.lent(p, lang),
        }
    }

    fn announcement(&self, a: &AnnouncementLine, lang: Lang) -> AnnouncementView {
        let t = |id: &str, name: &str, value: String| self.texts.get(lang, id, &[(name, Arg::from(value))]);
        AnnouncementView {
            heading: self.texts.get(
                lang,
                "announcement-heading",
                &[
                    ("commune", Arg::from(a.commune.as_str())),
                    ("title", Arg::from(a.title.as_str())),
                ],
            ),
            body: a.body.clone(),
            when: a
                .happens_on
                .map(|d| {
                    t(
                        "announcement-date",
                        "date",
                        crate::core::announcements::long_date(lang, d),
                    )
                })
                .unwrap_or_default(),
            place: a
                .place
                .clone()
                .map(|p| t("announcement-place", "place", p))
                .unwrap_or_default(),
            link: a.link.clone(),
        }
    }

    /// " · prêté jusqu'au 12 juin" (the words of /annonces) for a lent offer, else empty.
    fn lent(&self, p: &PostLine, lang: Lang) -> String {
        p.lent_until
            .map(|d| {
                self.texts.get(
                    lang,
                    "posts-line-lent",
                    &[("date", Arg::from(format_dates(lang, d, d)))],
                )
            })
            .unwrap_or_default()
    }

    fn category(&self, c: &str, lang: Lang) -> String {
        let label = self.texts.get(lang, &format!("category-{c}"), &[]);
        let mut chars = label.chars();
        chars
            .next()
            .map(|f| f.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }

    /// The digest email in `lang`; `reply` gives the address that reaches a post's author.
    pub fn email(
        &self,
        d: &Digest,
        lang: Lang,
        tz: Tz,
        reply: &dyn Fn(&PostLine) -> Option<String>,
    ) -> anyhow::Result<Email> {
        let groups = |gs: &[super::build::Group]| -> Vec<GroupView> {
            gs.iter()
                .map(|g| GroupView {
                    label: self.category(&g.category, lang),
                    posts: g.posts.iter().map(|p| self.post(p, lang, reply)).collect(),
                })
                .collect()
        };
        let view = View {
            lang,
            period: d.period,
            area_name: d.area_name.clone(),
            announcements: d.announcements.iter().map(|a| self.announcement(a, lang)).collect(),
            dates: local_dates(lang, d.since, d.until, tz),
            offers: groups(&d.offers),
            requests: groups(&d.requests),
            unanswered: d.unanswered.iter().map(|p| self.post(p, lang, reply)).collect(),
            coming: d.coming.iter().map(|p| self.post(p, lang, reply)).collect(),
            figures: d.figures,
            partner: d.partner.clone(),
            more: d.more,
        };
        let text = self.env.get_template("digest.txt.j2")?.render(&view)?;
        let html = self.env.get_template("digest.html.j2")?.render(&view)?;
        let subject = self.texts.get(
            lang,
            "digest-subject",
            &[
                ("period", Arg::from(d.period)),
                ("area", Arg::from(d.area_name.as_str())),
                ("date", Arg::from(local_dates(lang, d.until, d.until, tz))),
            ],
        );
        Ok(Email {
            subject,
            text: tidy(&text),
            html,
        })
    }

    /// The short summary posted in a room of `channel`, in the room's language `lang`: the
    /// figures, a few new items, and the command that lists everything.
    pub fn summary(&self, d: &Digest, lang: Lang, channel: ChannelKind) -> (String, String) {
        const SHOWN: usize = 5;
        // A lent thing says until when, as in /annonces ("perceuse · prêté jusqu'au 12 juin").
        let lent: Vec<String> = d
            .new_posts()
            .take(SHOWN)
            .map(|p| format!("{}{}", p.item, self.lent(p, lang)))
            .collect();
        let mut items: Vec<&str> = lent.iter().map(String::as_str).collect();
        items.dedup();
        let total = d.new_items().count();
        let mut list = items.join(", ");
        if total > SHOWN {
            list.push_str(", …");
        }
        let prefix = if channel == ChannelKind::Matrix { "!" } else { "/" };
        let args = [
            ("period", Arg::from(d.period)),
            ("area", Arg::from(d.area_name.as_str())),
            ("offers", Arg::from(d.figures.offers)),
            ("requests", Arg::from(d.figures.requests)),
            ("matches", Arg::from(d.figures.matches)),
            ("items", Arg::from(list)),
            ("command", Arg::from(format!("{prefix}annonces"))),
        ];
        let text = self.texts.get(lang, "digest-room-summary", &args);
        let html = self
            .texts
            .get_html(lang, "digest-room-summary", &args, &["area", "items"], &["area"]);
        (text, html)
    }
}

/// The language of the view being rendered (French if it says none: a template rendered
/// outside [`Renderer::email`]).
fn view_lang(state: &State) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or_default()
}

/// "du 21 au 28 novembre" (or "from 21 to 28 November") in the area's time zone.
fn local_dates(lang: Lang, since: DateTime<Utc>, until: DateTime<Utc>, tz: Tz) -> String {
    format_dates(
        lang,
        since.with_timezone(&tz).date_naive(),
        until.with_timezone(&tz).date_naive(),
    )
}

/// At most one blank line in a row, no trailing spaces.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests;
