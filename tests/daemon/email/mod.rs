//! The email channel against a real SMTP server (aiosmtpd, tests/peers/smtp.sh) and the
//! daemon's HTTP pages: double opt-in, every-message subscribers, one-click unsubscribe, SMTP
//! down then back.

pub mod receive;
mod subscribe;
mod town_hall;
mod trust;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use voisinage::channels::email::Email;
use voisinage::config::{EmailSettings, EmailTransport, SmtpSecurity};
use voisinage::core::Channel;
use voisinage::core::Core;
use voisinage::core::model::ChannelKind;
use voisinage::core::outbox::Outbox;
use voisinage::i18n::Texts;

use crate::helpers::{Recorder, TestDb, core, drain, outbox, root};

pub const CONSOLE_ROOM: &str = "console:saint-servan";

/// An SMTP sink that keeps every message as a file.
pub struct Sink {
    pub dir: PathBuf,
    pub port: u16,
}

fn smtp(args: &[&str]) -> String {
    let out = Command::new(root().join("tests/peers/smtp.sh"))
        .args(args)
        .env("SMTP_WATCH_PID", std::process::id().to_string())
        .output()
        .expect("tests/peers/smtp.sh runs");
    assert!(
        out.status.success(),
        "smtp.sh {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Sink {
    pub fn start(name: &str) -> Sink {
        let dir = root().join(format!("target/peers/smtp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        smtp(&[
            "start",
            dir.to_str().unwrap(),
            &port.to_string(),
            "voisinage",
            "smtp-pass",
        ]);
        Sink { dir, port }
    }

    /// The messages received, oldest first, raw.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("maildir/new"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        // Maildir names are "<secs>.M<usecs>P<pid>Q<n>.<host>": order by time, numerically.
        let key = |p: &PathBuf| -> (u64, u64) {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let (secs, rest) = name.split_once(".M").unwrap_or(("0", "0"));
            let usecs = rest.split('P').next().unwrap_or("0");
            (secs.parse().unwrap_or(0), usecs.parse().unwrap_or(0))
        };
        files.sort_by_key(key);
        files.into_iter().map(|f| std::fs::read(f).unwrap()).collect()
    }

    /// Refuses mail (451) until `accept`.
    pub fn refuse(&self) {
        std::fs::write(self.dir.join("refuse"), "").unwrap();
    }

    pub fn accept(&self) {
        let _ = std::fs::remove_file(self.dir.join("refuse"));
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = Command::new(root().join("tests/peers/smtp.sh"))
            .args(["stop", self.dir.to_str().unwrap()])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The email channel's settings for the sink (SMTP with AUTH, no TLS, no IMAP).
pub fn smtp_settings(sink: &Sink) -> EmailSettings {
    EmailSettings {
        enabled: true,
        from: "Voisinage <voisinage@voisinage.test>".into(),
        transport: EmailTransport::Smtp,
        files_dir: "mail".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: sink.port,
        smtp_security: SmtpSecurity::None,
        smtp_user: Some("voisinage".into()),
        smtp_password: Some(SecretString::from("smtp-pass".to_owned())),
        smtp_pool: 2,
        imap_enabled: false,
        imap_host: "127.0.0.1".into(),
        imap_port: 993,
        imap_security: SmtpSecurity::Tls,
        imap_user: None,
        imap_password: None,
        imap_mailbox: "INBOX".into(),
        imap_poll_secs: 30,
        authserv_id: None,
        sender_check: Default::default(),
    }
}

/// A test database, the core, the email channel on a sink, a console room for Saint-Servan, the
/// outbox over both, and the daemon's HTTP server.
pub struct World {
    pub sink: Sink,
    pub db: TestDb,
    pub core: Arc<Core>,
    pub console: Arc<Recorder>,
    pub outbox: Outbox,
    pub http: String,
}

impl World {
    pub async fn new(name: &str) -> World {
        World::with_trust(
            name,
            voisinage::core::model::MailTrust {
                check: voisinage::core::model::SenderCheck::Off,
                authserv_id: None,
            },
        )
        .await
    }

    /// The same with this sender check.
    pub async fn with_trust(name: &str, trust: voisinage::core::model::MailTrust) -> World {
        World::with(name, trust, |_| {}).await
    }

    /// The same with this sender check, and the core adjusted first.
    pub async fn with(name: &str, trust: voisinage::core::model::MailTrust, adjust: impl FnOnce(&mut Core)) -> World {
        let sink = Sink::start(name);
        let db = TestDb::new().await;
        voisinage::store::link_room(&db.pool, ChannelKind::Console, CONSOLE_ROOM, "saint-servan")
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http = format!("http://{}", listener.local_addr().unwrap());
        let mut core = core(&db.pool);
        Arc::get_mut(&mut core).unwrap().links.public_url = http.clone();
        Arc::get_mut(&mut core).unwrap().mail_trust = trust;
        adjust(Arc::get_mut(&mut core).unwrap());
        let settings = smtp_settings(&sink);
        let email = Email::new(
            &settings,
            &root(),
            db.pool.clone(),
            core.links.clone(),
            Texts::embedded(),
        )
        .unwrap();
        let console = Recorder::new(ChannelKind::Console);
        let channels: Vec<Arc<dyn Channel>> = vec![email, console.clone()];
        let outbox = outbox(&db.pool, channels);
        let app = voisinage::http::router(core.clone(), Arc::new(voisinage::partners::Partners::example()));
        tokio::spawn(async move { axum::serve(listener, app).await });
        World {
            sink,
            db,
            core,
            console,
            outbox,
            http,
        }
    }

    pub async fn drain(&self) {
        drain(&self.db.pool, &self.outbox, Duration::from_secs(30)).await;
    }

    pub async fn finish(self) {
        self.db.finish().await;
    }
}
