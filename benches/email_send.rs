//! Email sending bench: one neighbour's message to an area with many every-message
//! subscribers, queued by ingest and sent by the outbox (production settings: two workers,
//! batches of 64) through the email channel (rendering both parts, the unsubscribe link and
//! headers) to an SMTP sink (aiosmtpd, tests/peers/smtp.sh); beside bare SMTP blasts of
//! ready-made emails to the same sink with the same concurrency, in the same run: a byte-for-byte
//! copy of one email the daemon sent (the sink's work per email is then the same), and a short
//! plain-text one. Prints the rates, the ratios, the CPU each process used per email, and the
//! bench process's peak memory.
//!
//! Run: `cargo bench --bench email_send` (`-- --quick`: fewer emails, as `cargo test` does).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use voisinage::areas::Areas;
use voisinage::channels::email::Email;
use voisinage::config::{EmailSettings, EmailTransport, SmtpSecurity};
use voisinage::core::Channel;
use voisinage::core::Core;
use voisinage::core::model::{ChannelKind, Inbound};
use voisinage::core::outbox::{Outbox, OutboxConfig};
use voisinage::i18n::Texts;

fn smtp(args: &[&str]) -> anyhow::Result<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("tests/peers/smtp.sh"))
        .args(args)
        .env("SMTP_WATCH_PID", std::process::id().to_string())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "smtp.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let n: usize = if common::quick() { 200 } else { 3000 };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join(format!("target/peers/bench-smtp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    smtp(&["start", dir.to_str().unwrap(), &port.to_string(), "bench", "bench-pass"])?;

    let pool = common::fresh_db("voisinage_bench_email").await?;
    let areas = Arc::new(Areas::example());
    voisinage::store::sync_areas(&pool, &areas).await?;
    voisinage::store::link_room(&pool, ChannelKind::Console, "console:parame", "parame").await?;
    sqlx::query(
        "INSERT INTO email_subscriptions (address, area_slug, rhythm)
         SELECT 'voisin' || g || '@exemple.fr', 'parame', 'each' FROM generate_series(1, $1) g",
    )
    .bind(n as i64)
    .execute(&pool)
    .await?;
    let core = Arc::new(Core::with_defaults(pool.clone(), areas));
    let settings = EmailSettings {
        enabled: true,
        from: "Voisinage <voisinage@voisinage.test>".into(),
        transport: EmailTransport::Smtp,
        files_dir: "mail".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_security: SmtpSecurity::None,
        smtp_user: Some("bench".into()),
        smtp_password: Some(SecretString::from("bench-pass".to_owned())),
        // The daemon's SMTP connections kept open (`VOISINAGE_BENCH_SMTP_POOL` to compare).
        smtp_pool: std::env::var("VOISINAGE_BENCH_SMTP_POOL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(8),
        imap_enabled: false,
        imap_host: String::new(),
        imap_port: 0,
        imap_security: SmtpSecurity::None,
        imap_user: None,
        imap_password: None,
        imap_mailbox: "INBOX".into(),
        imap_poll_secs: 30,
        authserv_id: None,
        sender_check: Default::default(),
    };
    let email = Email::new(&settings, &root, pool.clone(), core.links.clone(), Texts::embedded())?;
    let channels: Vec<Arc<dyn Channel>> = vec![email];
    let outbox = Arc::new(
        Outbox::new(pool.clone(), channels, OutboxConfig::default(), core.metrics.clone())
            .wake_on(core.outbox_wake.clone()),
    );

    // The daemon: one message, n every-message subscribers.
    let sink_pid = common::pid_in(&dir.join("smtp.pid"));
    let meter = common::CpuMeter::start(sink_pid);
    let start = Instant::now();
    core.ingest(&Inbound {
        channel: ChannelKind::Console,
        chat: "console:parame".into(),
        native_id: "1".into(),
        sender: "paul".into(),
        sender_name: "Paul".into(),
        text: "Je prête ma tondeuse samedi, et une remorque si besoin. Passez me voir au 12 rue des Lilas !".into(),
        sent_at: chrono::Utc::now(),
        ..Default::default()
    })
    .await?;
    let shutdown = CancellationToken::new();
    let workers: Vec<_> = (0..2)
        .map(|_| tokio::spawn(outbox.clone().run(shutdown.clone())))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let sent: i64 =
            sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE channel = 'email' AND status = 'sent'")
                .fetch_one(&pool)
                .await?;
        if sent as usize >= n {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "only {sent} of {n} emails sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let daemon = n as f64 / start.elapsed().as_secs_f64();
    let daemon_peak = common::peak_mib();
    let daemon_cpu = meter.per_item_ms(n);
    shutdown.cancel();
    for w in workers {
        let _ = w.await;
    }

    // The bare blasts: the same number of ready-made emails, 64 at a time, through lettre's
    // pool of 8 connections: a short plain-text email, and a byte-for-byte copy of one the
    // daemon sent (same size and parts, so the sink's work per email is the same).
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .credentials(Credentials::new("bench".into(), "bench-pass".into()))
        .pool_config(PoolConfig::new().max_size(8))
        .build();
    let short = Message::builder()
        .from("Voisinage <voisinage@voisinage.test>".parse()?)
        .to("voisin@exemple.fr".parse()?)
        .subject("Paul — voisins de Paramé")
        .body("Paul (console) : Je prête ma tondeuse samedi, et une remorque si besoin.".to_owned())?;
    let envelope = short.envelope().clone();
    let copy = sent_email(&dir)?;
    let mut blasts = Vec::new();
    for raw in [short.formatted().as_slice(), copy.as_slice()] {
        let meter = common::CpuMeter::start(sink_pid);
        let start = Instant::now();
        let results: Vec<_> = futures::stream::iter(0..n)
            .map(|_| {
                let (mailer, envelope) = (mailer.clone(), envelope.clone());
                async move { mailer.send_raw(&envelope, raw).await }
            })
            .buffer_unordered(64)
            .collect()
            .await;
        anyhow::ensure!(results.iter().all(|r| r.is_ok()), "the bare blast failed");
        blasts.push((n as f64 / start.elapsed().as_secs_f64(), meter.per_item_ms(n)));
    }
    let [(short_rate, short_cpu), (copy_rate, copy_cpu)] = [blasts[0], blasts[1]];
    println!(
        "email send: {n} emails rendered (text + HTML, unsubscribe link and headers, {} bytes each) and handed to \
         the SMTP sink at {daemon:.0} emails/s through the daemon's outbox; a bare SMTP blast of the same email: \
         {copy_rate:.0} emails/s, ratio {:.2}; of a short plain-text email: {short_rate:.0} emails/s, ratio {:.2}; \
         peak memory of the bench process after the daemon's part: {daemon_peak:.0} MiB",
        copy.len(),
        daemon / copy_rate,
        daemon / short_rate
    );
    println!(
        "email send CPU per email (ms; this process, PostgreSQL, the sink): daemon {}; bare blast of the same \
         email {}; of the short one {}",
        common::cpu_ms(daemon_cpu),
        common::cpu_ms(copy_cpu),
        common::cpu_ms(short_cpu)
    );
    pool.close().await;
    let _ = smtp(&["stop", dir.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One email as the daemon handed it to the sink (its maildir), without the sink's envelope
/// lines.
fn sent_email(dir: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let new = dir.join("maildir/new");
    let first = std::fs::read_dir(&new)?
        .next()
        .ok_or_else(|| anyhow::anyhow!("no email in {}", new.display()))??;
    let raw = std::fs::read(first.path())?;
    let mut body = raw.as_slice();
    while body.starts_with(b"X-Envelope-") {
        let end = body.windows(2).position(|w| w == b"\r\n").map_or(body.len(), |p| p + 2);
        body = &body[end..];
    }
    Ok(body.to_vec())
}
