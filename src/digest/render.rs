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

use super::build::{Digest, Figures, PartnerLine, PostLine};
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
        }
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
        let mut items: Vec<&str> = d.new_items().take(SHOWN).collect();
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
mod tests {
    use super::*;
    use crate::digest::build::tests::input;
    use crate::digest::build::{DigestInput, build};
    use chrono::NaiveDate;

    /// A post of the build tests, by `author`, made in message 100 + id.
    fn post(id: i64, direction: &str, item: &str, category: &str, author: &str) -> PostLine {
        PostLine {
            author: author.into(),
            message_id: 100 + id,
            ..crate::digest::build::tests::post(id, direction, item, category)
        }
    }

    fn digest() -> Digest {
        let mut dated = post(5, "offer", "tente", "loisirs", "Léa");
        dated.when_from = NaiveDate::from_ymd_opt(2026, 11, 30);
        dated.when_to = NaiveDate::from_ymd_opt(2026, 12, 2);
        build(
            DigestInput {
                unanswered: vec![post(3, "request", "échelle", "bricolage", "Marc")],
                coming: vec![dated],
                figures: Figures {
                    new_members: 2,
                    offers: 1,
                    requests: 1,
                    matches: 0,
                },
                partner: Some(PartnerLine {
                    name: "Exemple — Outilthèque".into(),
                    description: "des outils à emprunter".into(),
                    link: "https://v.example/p/exemple-outiltheque/abc".into(),
                    paid: true,
                    for_item: "échelle".into(),
                }),
                ..input(vec![
                    post(1, "offer", "perceuse", "bricolage", "Jeanne"),
                    post(2, "request", "<script>alert(1)</script>", "bricolage", "Paul & fils"),
                ])
            },
            15,
        )
        .unwrap()
    }

    /// The test digest's email in `lang`, with reply addresses.
    fn email_in(lang: Lang) -> Email {
        let reply = |p: &PostLine| Some(format!("voisinage+r{}.x@example.org", p.message_id));
        let r = Renderer::new(Texts::embedded());
        r.email(&digest(), lang, chrono_tz::Europe::Paris, &reply).unwrap()
    }

    #[test]
    fn the_email_lists_everything_with_reply_addresses() {
        let e = email_in(Lang::Fr);
        assert_eq!(e.subject, "Voisinage Dinard : la semaine jusqu'au 28 novembre");
        for needle in [
            "Voici la semaine du quartier Dinard (du 21 au 28 novembre)",
            "Proposé par vos voisins",
            "Bricolage :",
            "• perceuse — Jeanne",
            "Pour répondre : écrivez à voisinage+r101.x@example.org",
            "Toujours sans réponse",
            "• échelle — Marc",
            "Dans les prochains jours",
            "• du 30 novembre au 2 décembre : tente — Léa",
            "2 nouveaux voisins, 1 offre(s), 1 demande(s), 0 mise(s) en relation",
            "https://v.example/p/exemple-outiltheque/abc (lien partenaire rémunéré)",
        ] {
            assert!(e.text.contains(needle), "missing {needle:?} in:\n{}", e.text);
        }
        assert!(!e.text.contains("\n\n\n"), "{}", e.text);
        // HTML: names and items escaped, each post with its mailto link.
        assert!(e.html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;") || e.html.contains("&lt;script&gt;"));
        assert!(!e.html.contains("<script>"));
        assert!(e.html.contains("Paul &amp; fils"));
        assert!(e.html.contains("<a href=\"mailto:voisinage+r101.x@example.org\">"));
        assert!(e.html.contains("Exemple — Outilthèque</a>"));
    }

    #[test]
    fn without_email_there_are_no_reply_lines() {
        let r = Renderer::new(Texts::embedded());
        let e = r
            .email(&digest(), Lang::Fr, chrono_tz::Europe::Paris, &|_| None)
            .unwrap();
        assert!(!e.text.contains("Pour répondre"));
        assert!(!e.html.contains("mailto:"));
    }

    #[test]
    fn the_room_summary_is_short_and_channel_aware() {
        let r = Renderer::new(Texts::embedded());
        let (text, html) = r.summary(&digest(), Lang::Fr, ChannelKind::Matrix);
        assert!(
            text.starts_with("📰 Cette semaine à Dinard : 1 offre(s), 1 demande(s)"),
            "{text}"
        );
        assert!(
            text.contains("Nouveau : perceuse, <script>alert(1)</script>."),
            "{text}"
        );
        assert!(text.ends_with("!annonces"), "{text}");
        assert!(html.contains("<b>Dinard</b>") && !html.contains("<script>"), "{html}");
        let (tg, _) = r.summary(&digest(), Lang::Fr, ChannelKind::Telegram);
        assert!(tg.ends_with("/annonces"));
        assert!(tg.chars().count() < 400);
    }

    #[test]
    fn in_english_every_fixed_word_is_english() {
        let e = email_in(Lang::En);
        assert_eq!(e.subject, "Voisinage Dinard: the week to 28 November");
        for needle in [
            "Here is the week in the Dinard neighbourhood (from 21 to 28 November)",
            "Offered by your neighbours",
            "DIY:",
            "• from 30 November to 2 December: tente — Léa",
            "To answer: write to voisinage+r101.x@example.org",
            "2 new neighbours, 1 offer(s), 1 request(s), 0 match(es)",
            "(paid partner link)",
        ] {
            assert!(e.text.contains(needle), "missing {needle:?} in:\n{}", e.text);
        }
        assert!(e.html.contains("Reply to this neighbour") && e.html.contains("30 November to 2 December:"));
        for french in ["Bonjour", "voisins", "Bricolage", " :", "novembre", "Répondre"] {
            assert!(
                !e.text.contains(french) && !e.html.contains(french),
                "{french:?} in:\n{}",
                e.text
            );
        }
        let r = Renderer::new(Texts::embedded());
        let (text, _) = r.summary(&digest(), Lang::En, ChannelKind::Telegram);
        assert!(
            text.starts_with("📰 This week in Dinard: 1 offer(s), 1 request(s)"),
            "{text}"
        );
    }

    #[test]
    fn a_broken_template_is_an_error_not_a_panic() {
        let bad = Renderer::with_templates(Texts::embedded(), "{% for %}", "");
        assert!(bad.is_err());
        let undefined = Renderer::with_templates(Texts::embedded(), "{{ nothing.here }}", "").unwrap();
        assert!(
            undefined
                .email(&digest(), Lang::Fr, chrono_tz::Europe::Paris, &|_| None)
                .is_err()
        );
    }
}
