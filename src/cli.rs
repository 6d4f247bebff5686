//! The command line: `voisinage parse` (and, as they land, the daemon's other commands).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset, Utc};
use clap::{Parser as ClapParser, Subcommand};
use serde::{Deserialize, Serialize};

use crate::parse::{HolidayZone, ParseInput, Parser, Post};

#[derive(Debug, ClapParser)]
#[command(
    name = "voisinage",
    version,
    about = "Neighbourhood mutual-aid daemon / réseau d'entraide entre voisins"
)]
pub struct Cli {
    /// The configuration file (default: config/voisinage.toml when present, else built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Try voisinage in a terminal: a private PostgreSQL, the example areas, and a console where
    /// you chat as a neighbour (also reads lines from a pipe).
    Try {
        /// The area to join (its slug); asked by postcode when absent.
        #[arg(long, value_name = "SLUG")]
        area: Option<String>,
        /// Your name in the chat.
        #[arg(long, default_value = "Camille")]
        name: String,
    },
    /// Run the daemon with the channels enabled in the configuration.
    Run,
    /// Apply the database migrations and exit.
    Migrate,
    /// The areas (quartiers) of the configuration.
    Areas {
        #[command(subcommand)]
        command: AreasCommand,
    },
    /// Read JSON lines {"id"?, "text", "sent_at"?} on stdin and write the posts found in each,
    /// one JSON line per input line (no database, no network).
    Parse(ParseArgs),
    /// Measure ingest and matching against a database (figures for README.md).
    Bench(crate::bench::BenchArgs),
    /// Make an area's digest now, by hand: queue it for its subscribers and rooms (a running
    /// daemon sends it), or with --dry-run print it without storing or sending anything.
    Digest(DigestArgs),
    /// The labelled examples from authors' answers and corrections (issue 13).
    Corpus {
        #[command(subcommand)]
        command: CorpusCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Write the corrections in the corpus format (../shared/corpus/SCHEMA.md), anonymised:
    /// names, phone numbers, street addresses and emails replaced by placeholders.
    Export {
        /// The file to write (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct DigestArgs {
    /// The area (its slug).
    #[arg(long, value_name = "SLUG")]
    pub area: String,
    /// day or week.
    #[arg(long, default_value = "week")]
    pub period: String,
    /// Print the email and the room summary; store and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum AreasCommand {
    /// One line per area: slug, name, commune, postcodes.
    List,
    /// The area containing a point (first line: its slug, or "no area" with exit status 1).
    Locate {
        #[arg(allow_negative_numbers = true)]
        lat: f64,
        #[arg(allow_negative_numbers = true)]
        lon: f64,
    },
    /// The areas of a postcode (exit status 1 when none).
    Postcode { code: String },
}

#[derive(Debug, clap::Args)]
pub struct ParseArgs {
    /// Explain, for a person, what is found in this text and which words decided it.
    #[arg(long, value_name = "TEXT")]
    pub explain: Option<String>,
    /// With --explain: the sending time (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339")]
    pub sent_at: Option<String>,
    /// Every post the rules propose, even those the learned confidence drops, each with the
    /// factors of its confidence ("why"): what scripts/learn-confidence.py learns from.
    #[arg(long)]
    pub why: bool,
    /// The rules' posts (without the second reader), and what the second reader weighs in
    /// each message with the things it could post: what scripts/learn-recall.py learns from.
    #[arg(long, conflicts_with = "why")]
    pub features: bool,
    /// A directory with items.toml and grammar.toml (and optionally confidence.toml) to use
    /// instead of the built-in lexicon.
    #[arg(long, value_name = "DIR")]
    pub lexicon: Option<PathBuf>,
    /// The area's time zone.
    #[arg(long, default_value = "Europe/Paris")]
    pub tz: String,
    /// The area's school-holiday zone (A, B or C).
    #[arg(long, default_value = "B")]
    pub zone: String,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Parse(args) => run_parse(args),
        other => run_with_settings(cli.config.as_deref(), other),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("voisinage: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn settings(path: Option<&std::path::Path>) -> anyhow::Result<crate::config::Settings> {
    let default = std::path::Path::new("config/voisinage.toml");
    let path = path.or(if default.is_file() { Some(default) } else { None });
    Ok(crate::config::Settings::load(path)?)
}

fn run_with_settings(config: Option<&std::path::Path>, cmd: &Command) -> anyhow::Result<ExitCode> {
    let settings = settings(config)?;
    if let Command::Areas { command } = cmd {
        return areas_command(&settings, command);
    }
    crate::telemetry::init(if matches!(cmd, Command::Try { .. }) {
        "warn"
    } else {
        &settings.general.log_level
    });
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        match cmd {
            Command::Try { area, name } => {
                crate::tryout::run(
                    settings,
                    crate::tryout::TryOptions {
                        area: area.clone(),
                        name: name.clone(),
                    },
                )
                .await?
            }
            Command::Run => {
                let daemon = crate::app::Daemon::build(settings, Vec::new()).await?;
                let shutdown = tokio_util::sync::CancellationToken::new();
                let sd = shutdown.clone();
                tokio::spawn(async move {
                    shutdown_signal().await;
                    tracing::info!("shutting down");
                    sd.cancel();
                });
                daemon.run(shutdown).await?
            }
            Command::Migrate => {
                use secrecy::ExposeSecret;
                let url = settings
                    .database
                    .url
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("no database configured: set VOISINAGE__DATABASE__URL"))?;
                let pool = crate::store::connect(url.expose_secret(), 2).await?;
                crate::store::migrate(&pool).await?;
                println!("migrations applied");
            }
            Command::Bench(args) => crate::bench::run(settings, args).await?,
            Command::Digest(args) => return digest_command(settings, args).await,
            Command::Corpus {
                command: CorpusCommand::Export { out },
            } => corpus_export(settings, out.as_deref()).await?,
            Command::Parse(_) | Command::Areas { .. } => unreachable!("handled above"),
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `voisinage corpus export [--out FILE]`.
async fn corpus_export(settings: crate::config::Settings, out: Option<&std::path::Path>) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;
    let url = settings
        .database
        .url
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no database configured: set VOISINAGE__DATABASE__URL"))?;
    let pool = crate::store::connect(url.expose_secret(), 2).await?;
    crate::store::migrate(&pool).await?;
    let mut sink: Box<dyn std::io::Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let n = crate::corpus::export(&pool, &mut *sink).await?;
    eprintln!("{n} labelled example(s) exported");
    Ok(())
}

async fn digest_command(settings: crate::config::Settings, args: &DigestArgs) -> anyhow::Result<ExitCode> {
    let period: crate::digest::Period = args.period.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let areas = crate::app::areas_for(&settings)?;
    if areas.get(&args.area).is_none() {
        let known: Vec<&str> = areas.all().iter().map(|a| a.slug.as_str()).collect();
        anyhow::bail!("no area `{}`; the areas are: {}", args.area, known.join(", "));
    }
    let daemon = crate::app::Daemon::build(settings, Vec::new()).await?;
    let now = chrono::Utc::now();
    if args.dry_run {
        let p = daemon.digester.preview(&args.area, period, now).await?;
        println!(
            "# {} digest of {} for {} → {} ({} subscriber(s), {} room(s)); dry run: nothing stored or sent",
            period, args.area, p.since, p.until, p.subscribers, p.rooms
        );
        match p.summary {
            Some(summary) => {
                for (lang, email) in p.emails {
                    println!(
                        "\n## Subject ({lang})\n{}\n\n## Email ({lang})\n{}",
                        email.subject, email.text
                    );
                }
                println!("\n## Room summary\n{summary}");
            }
            None => println!("\nNothing happened in this period: no digest would be sent."),
        }
        return Ok(ExitCode::SUCCESS);
    }
    match daemon.digester.send_now(&args.area, period, now).await? {
        crate::digest::Made::Queued { id, deliveries } => {
            println!("digest {id} queued: {deliveries} delivery(ies); a running daemon (`voisinage run`) sends them")
        }
        crate::digest::Made::Empty { id } => println!("digest {id}: nothing happened in this period, nothing sent"),
        crate::digest::Made::Done => println!("this digest was already made"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn areas_command(settings: &crate::config::Settings, cmd: &AreasCommand) -> anyhow::Result<ExitCode> {
    let areas = crate::app::areas_for(settings)?;
    Ok(match cmd {
        AreasCommand::List => {
            for a in areas.all() {
                println!("{}", a.summary());
            }
            ExitCode::SUCCESS
        }
        AreasCommand::Locate { lat, lon } => match areas.locate(*lat, *lon) {
            Some(a) => {
                println!("{}", a.slug);
                println!("{}", a.summary());
                ExitCode::SUCCESS
            }
            None => {
                println!("no area at {lat}, {lon} / aucun quartier à cet endroit");
                ExitCode::from(1)
            }
        },
        AreasCommand::Postcode { code } => {
            let found = areas.by_postcode(code);
            if found.is_empty() {
                println!("no area for postcode {code} / aucun quartier pour ce code postal");
                ExitCode::from(1)
            } else {
                for a in found {
                    println!("{}", a.summary());
                }
                ExitCode::SUCCESS
            }
        }
    })
}

#[derive(Debug, Deserialize)]
struct InLine {
    #[serde(default)]
    id: Option<serde_json::Value>,
    text: String,
    #[serde(default)]
    sent_at: Option<String>,
}

#[derive(Debug, Serialize)]
struct OutWhen {
    from: String,
    to: String,
}

#[derive(Debug, Serialize)]
struct OutPost<'a> {
    direction: crate::parse::Direction,
    kind: crate::parse::Kind,
    mode: Option<crate::parse::Mode>,
    item: &'a str,
    category: crate::parse::Category,
    when: Option<OutWhen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_eur: Option<f64>,
    confidence: f32,
    span: [usize; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<Vec<&'static str>>,
}

#[derive(Debug, Serialize)]
struct OutLine<'a> {
    id: serde_json::Value,
    posts: Vec<OutPost<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    features: Option<Vec<String>>,
    /// With --features: the things the second reader could post (null: it may not speak).
    #[serde(skip_serializing_if = "Option::is_none")]
    things: Option<Option<Vec<String>>>,
}

fn out_post(p: &Post, why: bool) -> OutPost<'_> {
    OutPost {
        direction: p.direction,
        kind: p.kind,
        mode: p.mode,
        item: &p.item,
        category: p.category,
        when: p.when.map(|w| OutWhen {
            from: w.from.to_string(),
            to: w.to.to_string(),
        }),
        price_eur: p.price.map(|x| x.cents as f64 / 100.0),
        confidence: (p.confidence * 100.0).round() / 100.0,
        span: [p.span.start, p.span.end],
        why: why.then(|| p.confidence_why.iter().map(|f| f.why).collect()),
    }
}

fn parse_time(s: Option<&str>) -> Result<DateTime<FixedOffset>, String> {
    match s {
        None => Ok(Utc::now().fixed_offset()),
        Some(s) => DateTime::parse_from_rfc3339(s.trim())
            .map_err(|e| format!("sent_at `{s}` is not an RFC 3339 time (like 2026-06-10T18:30:00+02:00): {e}")),
    }
}

fn run_parse(args: &ParseArgs) -> anyhow::Result<ExitCode> {
    let owned;
    let parser: &Parser = match &args.lexicon {
        Some(dir) => {
            owned = Parser::load_dir(dir)?;
            &owned
        }
        None => Parser::embedded(),
    };
    let tz: chrono_tz::Tz = args
        .tz
        .parse()
        .map_err(|_| anyhow::anyhow!("--tz `{}` is not an IANA time zone (like Europe/Paris)", args.tz))?;
    let zone: HolidayZone = args.zone.parse().map_err(|e| anyhow::anyhow!("--zone: {e}"))?;

    if let Some(text) = &args.explain {
        let sent_at = parse_time(args.sent_at.as_deref()).map_err(anyhow::Error::msg)?;
        let input = ParseInput {
            text,
            sent_at,
            tz,
            zone,
        };
        print!("{}", crate::parse::explain::explain(parser, &input));
        return Ok(ExitCode::SUCCESS);
    }

    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failures = 0usize;
    let mut buf = Vec::new();
    let mut reader = stdin.lock();
    let mut n = 0usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        n += 1;
        let line = String::from_utf8_lossy(&buf);
        if line.trim().is_empty() {
            continue;
        }
        let result = serde_json::from_str::<InLine>(&line)
            .map_err(|e| format!("line {n}: not a JSON object with a \"text\" string: {e}"))
            .and_then(|l| {
                parse_time(l.sent_at.as_deref())
                    .map(|t| (l, t))
                    .map_err(|e| format!("line {n}: {e}"))
            });
        let written = match result {
            Ok((l, sent_at)) => {
                let input = ParseInput {
                    text: &l.text,
                    sent_at,
                    tz,
                    zone,
                };
                let posts = if args.why {
                    parser.candidates(&input)
                } else if args.features {
                    parser.parse_rules(&input)
                } else {
                    parser.parse(&input)
                };
                let (features, things) = match args.features {
                    true => {
                        let (f, t) = parser.recall_inputs(&input);
                        (Some(f), Some(t))
                    }
                    false => (None, None),
                };
                let o = OutLine {
                    id: l.id.unwrap_or(serde_json::Value::Null),
                    posts: posts.iter().map(|p| out_post(p, args.why)).collect(),
                    error: None,
                    features,
                    things,
                };
                serde_json::to_writer(&mut out, &o)
            }
            Err(e) => {
                failures += 1;
                eprintln!("voisinage parse: {e}");
                let id = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .unwrap_or(serde_json::Value::Null);
                serde_json::to_writer(
                    &mut out,
                    &OutLine {
                        id,
                        posts: Vec::new(),
                        error: Some(e),
                        features: None,
                        things: None,
                    },
                )
            }
        };
        written?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
