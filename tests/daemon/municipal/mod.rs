//! The municipal pages (issue 18) against a real database, the email channel on an SMTP sink
//! (aiosmtpd) and the daemon's HTTP server: staff sign-in, the report, the poll and
//! announcement forms (announcements also reach Telegram and Matrix rooms).

mod announcements;
mod polls;
mod report_pages;
mod signin;

use std::sync::Arc;
use std::time::Duration;

use voisinage::channels::email::Email;
use voisinage::core::Channel;
use voisinage::core::Core;
use voisinage::core::outbox::Outbox;
use voisinage::i18n::Texts;
use voisinage::municipal::{CommuneSettings, Role, Settings, StaffEntry, commune_slug};

use crate::email::{Sink, smtp_settings};
use crate::helpers::{TestDb, core, drain, outbox, root};

pub const EDITOR: &str = "com@ville-saint-malo.test";
pub const VIEWER: &str = "elu@ville-saint-malo.test";
pub const DINARD: &str = "accueil@dinard.test";
pub const CONTACT: &str = "ccas@ville-saint-malo.test";

/// Saint-Malo (an editor, a viewer, a contact) and Dinard (one editor, no contact).
pub fn settings() -> Settings {
    let commune = |name: &str, staff: Vec<(&str, Role)>, contact: Option<&str>| CommuneSettings {
        name: name.to_owned(),
        slug: commune_slug(name),
        staff: staff
            .into_iter()
            .map(|(email, role)| StaffEntry {
                email: email.to_owned(),
                role,
            })
            .collect(),
        contact_email: contact.map(str::to_owned),
    };
    Settings {
        communes: vec![
            commune(
                "Saint-Malo",
                vec![(EDITOR, Role::Editor), (VIEWER, Role::Viewer)],
                Some(CONTACT),
            ),
            commune("Dinard", vec![(DINARD, Role::Editor)], None),
        ],
        report_k: 5,
    }
}

/// A database, the core, the email channel on a sink, the outbox, the HTTP server with the
/// municipal pages, and a browser that keeps its cookies by hand (no redirects followed).
pub struct World {
    pub sink: Sink,
    pub db: TestDb,
    #[allow(dead_code)]
    pub core: Arc<Core>,
    pub outbox: Outbox,
    pub http: String,
    pub client: reqwest::Client,
}

impl World {
    pub async fn new(name: &str) -> World {
        World::with_channels(name, Vec::new()).await
    }

    /// [`World::new`] with more channels than email (Telegram, Matrix) in its outbox.
    pub async fn with_channels(name: &str, more: Vec<Arc<dyn Channel>>) -> World {
        let sink = Sink::start(name);
        let db = TestDb::new().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http = format!("http://{}", listener.local_addr().unwrap());
        let mut core = core(&db.pool);
        Arc::get_mut(&mut core).unwrap().links.public_url = http.clone();
        let email = Email::new(
            &smtp_settings(&sink),
            &root(),
            db.pool.clone(),
            core.links.clone(),
            Texts::embedded(),
        )
        .unwrap();
        let mut channels: Vec<Arc<dyn Channel>> = vec![email];
        channels.extend(more);
        let outbox = outbox(&db.pool, channels);
        let app = voisinage::http::router_with_municipal(
            core.clone(),
            Arc::new(voisinage::partners::Partners::example()),
            Arc::new(settings()),
        );
        let sd = tokio_util::sync::CancellationToken::new();
        tokio::spawn(voisinage::http::serve(listener, app, sd));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        World {
            sink,
            db,
            core,
            outbox,
            http,
            client,
        }
    }

    pub async fn drain(&self) {
        drain(&self.db.pool, &self.outbox, Duration::from_secs(30)).await;
    }

    pub async fn finish(self) {
        self.db.finish().await;
    }
}

/// A browser's cookie jar, by hand: what Set-Cookie said, sent back as one Cookie header.
#[derive(Default, Clone, Debug)]
pub struct Jar(pub Vec<(String, String)>);

impl Jar {
    pub fn take(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all(reqwest::header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.0.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The value of the hidden `csrf` field of a page.
pub fn csrf_in(page: &str) -> String {
    value_of(page, "csrf")
}

/// The value of the form's field `name` in `page`.
pub fn value_of(page: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = page.find(&needle).unwrap_or_else(|| panic!("{name} in {page}")) + needle.len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// The status and the redirection's target (or the page) of a response; its cookies go to `jar`.
async fn answer(jar: &mut Jar, r: reqwest::Response) -> (u16, String) {
    jar.take(&r);
    let status = r.status().as_u16();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    let body = r.text().await.unwrap();
    (status, location.unwrap_or(body))
}

impl World {
    pub async fn get(&self, jar: &mut Jar, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.http))
            .header("cookie", jar.header())
            .header("accept-language", "fr-FR,fr;q=0.9")
            .send()
            .await
            .unwrap();
        answer(jar, r).await
    }

    pub async fn post(&self, jar: &mut Jar, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        self.post_from(jar, path, form, "192.0.2.10").await
    }

    /// A POST from client `ip` (the test server is on loopback: X-Forwarded-For names the client).
    pub async fn post_from(&self, jar: &mut Jar, path: &str, form: &[(&str, &str)], ip: &str) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.http))
            .header("cookie", jar.header())
            .header("x-forwarded-for", ip)
            .form(form)
            .send()
            .await
            .unwrap();
        answer(jar, r).await
    }

    /// Signs `email` in: asks for a link, takes it from the mail, uses it. The jar then holds
    /// the session.
    pub async fn sign_in(&self, email: &str) -> Jar {
        let mut jar = Jar::default();
        let link = self.ask_link(&mut jar, email).await;
        let (status, page) = self.get(&mut jar, &link).await;
        assert_eq!(status, 200, "{page}");
        let t = link.split("t=").nth(1).unwrap();
        let (status, to) = self
            .post(
                &mut jar,
                "/mairie/connexion/lien",
                &[("t", t), ("csrf", &csrf_in(&page))],
            )
            .await;
        assert_eq!((status, to.as_str()), (303, "/mairie"));
        jar
    }

    /// Asks for a sign-in link for `email` and returns its path (from the mail sent).
    pub async fn ask_link(&self, jar: &mut Jar, email: &str) -> String {
        let before = self.mails_to(email).len();
        let (_, form) = self.get(jar, "/mairie/connexion").await;
        let (status, page) = self
            .post(jar, "/mairie/connexion", &[("email", email), ("csrf", &csrf_in(&form))])
            .await;
        assert_eq!(status, 200, "{page}");
        self.drain().await;
        let mails = self.mails_to(email);
        assert_eq!(mails.len(), before + 1, "one sign-in mail to {email}");
        let text = mails.last().unwrap().clone();
        let at = text.find("/mairie/connexion/lien?t=").expect("a sign-in link");
        let link: String = text[at..].split(|c: char| c.is_whitespace()).next().unwrap().to_owned();
        link
    }

    /// The text bodies of the mails received for `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        self.sink
            .messages()
            .iter()
            .filter_map(|raw| {
                let m = mail_parser::MessageParser::default().parse(raw)?;
                let addressed = m
                    .to()
                    .and_then(|t| t.first())
                    .and_then(|a| a.address())
                    .is_some_and(|a| a.eq_ignore_ascii_case(to));
                addressed.then(|| m.body_text(0).unwrap_or_default().into_owned())
            })
            .collect()
    }
}
