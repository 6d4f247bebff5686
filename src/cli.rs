//! The command line: `voisinage parse` (and, as they land, the daemon's other commands).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset, Utc};
use clap::{Parser as ClapParser, Subcommand};
use serde::{Deserialize, Serialize};

use crate::parse::lexicon::Lexicon;
use crate::parse::{HolidayZone, ParseInput, Parser, Post};

#[derive(Debug, ClapParser)]
#[command(
    name = "voisinage",
    version,
    about = "Neighbourhood mutual-aid daemon / réseau d'entraide entre voisins"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read JSON lines {"id"?, "text", "sent_at"?} on stdin and write the posts found in each,
    /// one JSON line per input line (no database, no network).
    Parse(ParseArgs),
}

#[derive(Debug, clap::Args)]
pub struct ParseArgs {
    /// Explain, for a person, what is found in this text and which words decided it.
    #[arg(long, value_name = "TEXT")]
    pub explain: Option<String>,
    /// With --explain: the sending time (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339")]
    pub sent_at: Option<String>,
    /// A directory with items.toml and grammar.toml to use instead of the built-in lexicon.
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
    match cli.command {
        Command::Parse(args) => match run_parse(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("voisinage parse: {e:#}");
                ExitCode::from(2)
            }
        },
    }
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
}

#[derive(Debug, Serialize)]
struct OutLine<'a> {
    id: serde_json::Value,
    posts: Vec<OutPost<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn out_post(p: &Post) -> OutPost<'_> {
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
            owned = Parser::new(Lexicon::load_dir(dir)?);
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
                let posts = parser.parse(&ParseInput {
                    text: &l.text,
                    sent_at,
                    tz,
                    zone,
                });
                let o = OutLine {
                    id: l.id.unwrap_or(serde_json::Value::Null),
                    posts: posts.iter().map(out_post).collect(),
                    error: None,
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
