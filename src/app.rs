//! Builds the daemon from its settings and supervises its tasks.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::areas::Areas;
use crate::channels::matrix::{Matrix, Syncer};
use crate::channels::telegram::{Poller, Telegram};
use crate::config::Settings;
use crate::core::Channel;
use crate::core::Core;
use crate::core::outbox::Outbox;
use crate::i18n::Texts;
use crate::parse::Parser;
use crate::readers::{Backoff, Pace, shut_down_during};
use crate::telemetry::Metrics;

/// A built daemon: the core, its outbox and its channels.
pub struct Daemon {
    pub settings: Settings,
    pub core: Arc<Core>,
    pub outbox: Arc<Outbox>,
    /// The Telegram adapter, when enabled.
    pub telegram: Option<Arc<Telegram>>,
    /// The Matrix adapter, when enabled.
    pub matrix: Option<Arc<Matrix>>,
    /// The scheduled digests.
    pub digester: Arc<crate::digest::Digester>,
    /// The partner services suggested when neighbours cannot help.
    pub partners: Arc<crate::partners::Partners>,
    /// The communes' staff and contacts (issue 18).
    pub municipal: Arc<crate::municipal::Settings>,
}

/// The parser the settings ask for (the built-in lexicon, or a directory's).
pub fn parser_for(settings: &Settings) -> anyhow::Result<&'static Parser> {
    Ok(match &settings.parser.lexicon_dir {
        None => Parser::embedded(),
        Some(dir) => Box::leak(Box::new(Parser::load_dir(dir)?)),
    })
}

/// The areas file of the settings (the example areas when it is the default and missing).
pub fn areas_for(settings: &Settings) -> anyhow::Result<Areas> {
    let file = &settings.areas.file;
    if !file.exists() && file == &PathBuf::from("config/areas.geojson") {
        return Ok(Areas::example());
    }
    Ok(Areas::load(file)?)
}

impl Daemon {
    /// Connects, migrates, loads the areas and the texts, and wires the channels. `main` and
    /// the tests both build the daemon here.
    pub async fn build(settings: Settings, mut channels: Vec<Arc<dyn Channel>>) -> anyhow::Result<Daemon> {
        let telegram = if settings.channels.telegram.enabled {
            let tg = Telegram::new(&settings.channels.telegram)?;
            channels.push(tg.clone());
            Some(tg)
        } else {
            None
        };
        let matrix = if settings.channels.matrix.enabled {
            let mx = Matrix::new(&settings.channels.matrix, &settings.general.data_dir)?;
            channels.push(mx.clone());
            Some(mx)
        } else {
            None
        };
        let url = settings.database.url.as_ref().context(
            "no database configured: set VOISINAGE__DATABASE__URL (or database.url), or use `voisinage try`",
        )?;
        let pool = crate::store::connect(url.expose_secret(), settings.database.max_connections).await?;
        crate::store::migrate(&pool).await?;
        let key = match &settings.http.link_key {
            Some(k) => k.expose_secret().as_bytes().to_vec(),
            None => crate::tokens::shared_key(&pool, "link-signing").await?,
        };
        let links = crate::core::links::Links {
            public_url: settings.http.public_url.trim_end_matches('/').to_owned(),
            signer: crate::tokens::Signer::new(&key),
        };
        let mut email_channel = None;
        if settings.channels.email.enabled {
            let email = crate::channels::email::Email::new(
                &settings.channels.email,
                &settings.general.data_dir,
                pool.clone(),
                links.clone(),
                Texts::embedded(),
            )?;
            // Operators see at start whether the SMTP server answers (one line).
            tokio::spawn({
                let email = email.clone();
                async move { email.log_connection().await }
            });
            email_channel = Some(email.clone());
            channels.push(email);
        }
        let areas = Arc::new(areas_for(&settings)?);
        crate::store::sync_areas(&pool, &areas).await?;
        let partners = Arc::new(crate::partners::Partners::for_settings(&settings.partners, &areas)?);
        let municipal = Arc::new(crate::municipal::Settings::from_config(&settings.municipal, &areas)?);
        let metrics = Arc::new(Metrics::default());
        let media = Arc::new(settings.media_store());
        let core = Arc::new(Core {
            pool: pool.clone(),
            parser: parser_for(&settings)?,
            texts: Texts::embedded(),
            areas,
            metrics: metrics.clone(),
            ack: settings.acknowledge.policy(),
            outbox_wake: Default::default(),
            links,
            post_life: settings.posts.life(),
            parse_max_chars: settings.parser.max_chars,
            parse_slots: Core::parse_slots(),
            questions: settings.question_policy(),
            trust: settings.trust_policy(),
            admins: Arc::new(crate::core::Admins::new(std::time::Duration::from_secs(
                settings.moderation.admin_cache_secs,
            ))),
            mail_trust: settings.channels.email.mail_trust(),
            loans: settings.loans.policy(),
            media: media.clone(),
            town_halls: Arc::new(
                municipal
                    .communes
                    .iter()
                    .filter_map(|c| Some((c.name.clone(), c.contact_email.clone()?)))
                    .collect(),
            ),
        });
        let access = crate::channels::MediaAccess {
            store: media,
            pool: pool.clone(),
        };
        if let Some(tg) = &telegram {
            tg.use_media(access.clone());
        }
        if let Some(mx) = &matrix {
            mx.use_media(access.clone());
        }
        if let Some(email) = &email_channel {
            email.use_media(access);
        }
        for c in &channels {
            core.admins.register(c.clone());
        }
        let em = &settings.channels.email;
        if em.enabled && em.imap_enabled && em.sender_check == crate::core::model::SenderCheck::Off {
            tracing::warn!(
                "channels.email.sender_check = \"off\": anyone can write to the rooms under a subscriber's email address; \
                 set authserv_id and sender_check = \"require\" (or \"confirm-every-mail\")"
            );
        }
        let digester = Arc::new(crate::digest::Digester::new(core.clone(), partners.clone(), &settings)?);
        let outbox = Arc::new(
            Outbox::new(pool, channels, settings.outbox_config(), metrics)
                .wake_on(core.outbox_wake.clone())
                .with_texts(core.texts),
        );
        Ok(Daemon {
            settings,
            core,
            outbox,
            telegram,
            matrix,
            digester,
            partners,
            municipal,
        })
    }

    /// Runs the outbox workers and the HTTP server until `shutdown`; if a task ends on its own,
    /// says which and why, and stops the others.
    pub async fn run(&self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut tasks: JoinSet<(String, anyhow::Result<()>)> = JoinSet::new();
        for n in 0..self.settings.outbox.workers {
            let ob = self.outbox.clone();
            let sd = shutdown.clone();
            tasks.spawn(async move { (format!("outbox worker {n}"), ob.run(sd).await) });
        }
        {
            let (pool, wake, sd) = (self.core.pool.clone(), self.core.outbox_wake.clone(), shutdown.clone());
            tasks.spawn(async move { ("outbox notifications".to_owned(), Outbox::listen(pool, wake, sd).await) });
        }
        let mut app =
            crate::http::router_with_municipal(self.core.clone(), self.partners.clone(), self.municipal.clone());
        if let Some(tg) = &self.telegram {
            let (tg, core, sd) = (tg.clone(), self.core.clone(), shutdown.clone());
            if tg.uses_webhook() {
                app = app.merge(crate::channels::telegram::webhook_router(tg.clone(), core.clone()));
                tasks.spawn(async move { ("Telegram webhook setup".to_owned(), webhook_setup(tg, sd).await) });
            } else {
                tasks.spawn(async move { ("Telegram poller".to_owned(), Poller::new(tg, core).run(sd).await) });
            }
        }
        let email = &self.settings.channels.email;
        if email.enabled && email.imap_enabled {
            let reader = crate::channels::email::MailReader::new(email, self.core.clone());
            let sd = shutdown.clone();
            tasks.spawn(async move { ("mailbox reader".to_owned(), reader.run(sd).await) });
        }
        if let Some(mx) = &self.matrix {
            let (mx, core, sd) = (mx.clone(), self.core.clone(), shutdown.clone());
            tasks.spawn(async move { ("Matrix sync".to_owned(), Syncer::new(mx, core).run(sd).await) });
        }
        {
            let scheduler = crate::scheduler::Scheduler::new(
                self.core.clone(),
                self.digester.clone(),
                self.partners.clone(),
                &self.settings,
            );
            let sd = shutdown.clone();
            tasks.spawn(async move { ("scheduler".to_owned(), scheduler.run(sd).await) });
        }
        if self.settings.http.enabled {
            let listener = crate::http::bind(self.settings.http.listen).await?;
            info!(addr = %self.settings.http.listen, "HTTP server listening");
            let sd = shutdown.clone();
            tasks.spawn(async move { ("HTTP server".to_owned(), crate::http::serve(listener, app, sd).await) });
        }
        let mut failure = None;
        while let Some(done) = tasks.join_next().await {
            let (name, result) = done.context("a task panicked")?;
            match result {
                Ok(()) if shutdown.is_cancelled() => info!(task = %name, "stopped"),
                Ok(()) => {
                    error!(task = %name, "ended on its own; stopping the daemon");
                    failure.get_or_insert_with(|| anyhow::anyhow!("{name} ended on its own"));
                    shutdown.cancel();
                }
                Err(e) => {
                    error!(task = %name, error = %format!("{e:#}"), "failed; stopping the daemon");
                    failure.get_or_insert(e.context(name));
                    shutdown.cancel();
                }
            }
        }
        failure.map_or(Ok(()), Err)
    }
}

/// Registers the webhook with Telegram (retrying while Telegram is unreachable), then waits
/// for the shutdown like the other tasks.
async fn webhook_setup(tg: Arc<Telegram>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut backoff = Backoff::new(Pace::default());
    while let Err(e) = tg.configure_delivery().await {
        let pause = backoff.failed();
        warn!(error = %format!("{e:#}"), retry_in = ?pause, "cannot register the Telegram webhook");
        if shut_down_during(&shutdown, pause).await {
            return Ok(());
        }
    }
    info!("Telegram webhook registered");
    shutdown.cancelled().await;
    Ok(())
}
