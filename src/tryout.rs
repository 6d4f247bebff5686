//! `voisinage try`: the embedded default. A private PostgreSQL cluster when none is
//! configured, the example areas, a few neighbours' posts seeded through the same ingest, and
//! a console where you chat as a neighbour. Reads line by line, so it can be scripted.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context;
use chrono::{Duration as ChronoDuration, Utc};
use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt, BufReader, Stdin};

use crate::app::Daemon;
use crate::channels::console::Console;
use crate::config::Settings;
use crate::core::ingest::Ingested;
use crate::core::model::{ChannelKind, Inbound};
use crate::i18n::{Arg, Lang, Texts};
use crate::pgcluster::PrivateCluster;

/// Options of `voisinage try`.
#[derive(Debug, Clone, Default)]
pub struct TryOptions {
    pub area: Option<String>,
    pub name: String,
}

/// What the neighbours already said when you arrive.
const SEEDS: &[(&str, &str, i64)] = &[
    (
        "Jeanne",
        "Je prête ma perceuse et mon escabeau ce week-end, demandez-moi 🙂",
        30,
    ),
    ("Karim", "Qqn aurait une tondeuse à me prêter samedi ?", 20),
    ("Lucie", "À donner : lit parapluie et poussette, à venir chercher", 12),
    (
        "Marc",
        "Je cherche quelqu'un pour arroser mes plantes du 3 au 10 août, merci !",
        3,
    ),
];

/// The console room of an area.
pub fn console_chat(area: &str) -> String {
    format!("console:{area}")
}

/// Runs `voisinage try` until end of input or Ctrl-C.
pub async fn run(mut settings: Settings, opts: TryOptions) -> anyhow::Result<()> {
    let cluster = if settings.database.url.is_none() {
        let dir = settings.general.data_dir.join("try-postgres");
        eprintln!("Starting a private PostgreSQL under {} …", dir.display());
        let c = PrivateCluster::start(&dir, "voisinage try")?;
        c.ensure_database().await?;
        settings.database.url = Some(SecretString::from(c.url.clone()));
        Some(c)
    } else {
        None
    };
    let result = session(settings, opts).await;
    if let Some(c) = cluster {
        c.stop();
    }
    result
}

async fn session(settings: Settings, opts: TryOptions) -> anyhow::Result<()> {
    let console = Arc::new(Console::new(true));
    let daemon = Daemon::build(settings, vec![console.clone()]).await?;
    let core = daemon.core.clone();
    let texts = core.texts;
    let lang = Lang::Fr;
    let interactive = std::io::stdin().is_terminal();
    let mut lines = Input::new(texts, lang);

    let area = match opts.area {
        Some(slug) => {
            core.areas
                .get(&slug)
                .with_context(|| texts.get(lang, "area-unknown", &[("slug", Arg::from(slug.as_str()))]))?;
            slug
        }
        None => loop {
            println!("🤖 {}", texts.get(lang, "ask-postcode", &[]));
            let Some(line) = lines.next_line().await? else {
                return Ok(());
            };
            let code = line.trim();
            if let Some(a) = core.areas.get(code) {
                break a.slug.as_str().to_owned();
            }
            let found = core.areas.by_postcode(code);
            match found.as_slice() {
                [] => println!(
                    "🤖 {}",
                    texts.get(lang, "postcode-unknown", &[("code", Arg::from(code))])
                ),
                [one] => break one.slug.as_str().to_owned(),
                several => {
                    let list: Vec<String> = several.iter().map(|a| format!("{} ({})", a.name, a.slug)).collect();
                    println!(
                        "🤖 {}",
                        texts.get(
                            lang,
                            "postcode-several",
                            &[("code", Arg::from(code)), ("areas", Arg::from(list.join(", ")))]
                        )
                    );
                }
            }
        },
    };
    let chat = console_chat(&area);
    crate::store::link_room(&core.pool, ChannelKind::Console, &chat, &area).await?;
    let area_name = core
        .areas
        .get(&area)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| area.clone());

    // The neighbours' posts go through the same ingest as yours (idempotent: same native ids).
    let now = Utc::now();
    for (n, (who, text, hours)) in SEEDS.iter().enumerate() {
        let m = Inbound {
            channel: ChannelKind::Console,
            chat: chat.clone(),
            native_id: format!("seed-{n}"),
            sender: format!("seed-{}", who.to_lowercase()),
            sender_name: (*who).to_owned(),
            text: (*text).to_owned(),
            sent_at: now - ChronoDuration::hours(*hours),
            reply_to: None,
            ..Default::default()
        };
        if core.ingest(&m).await? != Ingested::Duplicate {
            println!("👤 {who} : {text}");
        }
    }
    flush(&daemon).await?;
    println!(
        "🤖 {}",
        texts.get(lang, "welcome", &[("area", Arg::from(area_name.as_str()))])
    );

    let session = now.timestamp_millis();
    let mut n = 0u64;
    loop {
        if interactive {
            use std::io::Write;
            print!("{} > ", opts.name);
            let _ = std::io::stdout().flush();
        }
        let line = tokio::select! {
            l = lines.next_line() => l?,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(line) = line else { break };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if matches!(text, "/quitter" | "/quit" | "/exit") {
            break;
        }
        if !interactive {
            println!("{} > {text}", opts.name);
        }
        n += 1;
        let m = Inbound {
            channel: ChannelKind::Console,
            chat: chat.clone(),
            native_id: format!("{session}-{n}"),
            sender: "console-user".to_owned(),
            sender_name: opts.name.clone(),
            text: text.to_owned(),
            sent_at: Utc::now(),
            reply_to: None,
            ..Default::default()
        };
        if let Err(e) = core.ingest(&m).await {
            eprintln!("{}: {e:#}", texts.get(lang, "error-internal", &[]));
        }
        flush(&daemon).await?;
    }
    Ok(())
}

/// Standard input, line by line. A line that is not UTF-8 (a file saved in Latin-1, a stray
/// byte) is named by its number and skipped, instead of ending the whole session.
struct Input {
    reader: BufReader<Stdin>,
    /// Lines read so far, the skipped ones included, so numbers match the input file's.
    number: usize,
    texts: &'static Texts,
    lang: Lang,
}

impl Input {
    fn new(texts: &'static Texts, lang: Lang) -> Input {
        Input {
            reader: BufReader::new(tokio::io::stdin()),
            number: 0,
            texts,
            lang,
        }
    }

    /// The next UTF-8 line without its line ending; None at end of input.
    async fn next_line(&mut self) -> std::io::Result<Option<String>> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if self.reader.read_until(b'\n', &mut buf).await? == 0 {
                return Ok(None);
            }
            self.number += 1;
            let end = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let end = end.strip_suffix(b"\r").unwrap_or(end);
            match std::str::from_utf8(end) {
                Ok(line) => return Ok(Some(line.to_owned())),
                Err(_) => eprintln!(
                    "⚠️ {}",
                    self.texts
                        .get(self.lang, "try-line-not-utf8", &[("line", Arg::from(self.number))])
                ),
            }
        }
    }
}

/// Sends everything due now, so answers appear right after each line.
async fn flush(daemon: &Daemon) -> anyhow::Result<()> {
    for _ in 0..1000 {
        if daemon.outbox.run_once().await?.claimed == 0 {
            break;
        }
    }
    Ok(())
}
