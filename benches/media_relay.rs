//! Photo relay bench (issue 15): a 4 MB photo taken in (decoded, scaled to 1600 px,
//! re-encoded without EXIF, thumbnail), then relayed to the area's Matrix room (a real Synapse
//! started here by tests/peers/synapse.sh: one upload and one m.image) and to its every-message
//! email subscribers (an SMTP sink, tests/peers/smtp.sh: the photo inline in each mail), by the
//! outbox with production settings. Run twice in one process, with a tenth of the subscribers
//! then all of them, so the bench process's peak memory after each says whether memory grows
//! with the number of recipients. Prints times and peaks.
//!
//! Run: `cargo bench --bench media_relay` (`-- --quick`: 100 subscribers instead of 1,000).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use voisinage::areas::Areas;
use voisinage::channels::MediaAccess;
use voisinage::channels::email::Email;
use voisinage::channels::matrix::{Matrix, Syncer};
use voisinage::config::{EmailSettings, EmailTransport, MatrixSettings, SmtpSecurity};
use voisinage::core::model::{ChannelKind, Inbound};
use voisinage::core::outbox::{Outbox, OutboxConfig};
use voisinage::core::{Channel, Core};
use voisinage::i18n::Texts;
use voisinage::media::{MediaLimits, MediaStore};

const PASSWORD: &str = "bench-password-123";

fn peer(script: &str, args: &[&str]) -> anyhow::Result<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("tests/peers").join(script))
        .args(args)
        .env("SMTP_WATCH_PID", std::process::id().to_string())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{script} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A camera-like JPEG of about 4 MB (3,000 × 2,250, fine noise over a gradient, quality 84).
fn photo_4mb() -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = RgbImage::from_fn(3000, 2250, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (seed & 0x3f) as u8;
        Rgb([(x / 12) as u8 ^ n, (y / 9) as u8 ^ n, 120 ^ n])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 84)
        .encode_image(&img)
        .expect("encodes");
    out
}

fn email_settings(port: u16) -> EmailSettings {
    EmailSettings {
        enabled: true,
        from: "Voisinage <voisinage@voisinage.test>".into(),
        transport: EmailTransport::Smtp,
        files_dir: "mail".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_security: SmtpSecurity::None,
        smtp_user: Some("bench".into()),
        smtp_password: Some(SecretString::from("bench-pass".to_owned())),
        smtp_pool: 8,
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
    }
}

/// Takes the photo in and relays it to `area` (its Matrix room and its subscribers); returns
/// (time to take it in, time until every copy was sent).
async fn relay(
    core: &Arc<Core>,
    pool: &sqlx::PgPool,
    area: &str,
    photo: &[u8],
    copies: i64,
) -> anyhow::Result<(Duration, Duration)> {
    let start = Instant::now();
    let media = core
        .take_media(ChannelKind::Console, "paul", Some("image/jpeg"), photo.to_vec())
        .await?
        .map_err(|why| anyhow::anyhow!("the photo was refused: {why:?}"))?;
    let taken = start.elapsed();
    core.ingest(&Inbound {
        channel: ChannelKind::Console,
        chat: format!("console:{area}"),
        native_id: format!("photo-{area}"),
        sender: "paul".into(),
        sender_name: "Paul".into(),
        text: "Je donne ce fauteuil, à prendre samedi".into(),
        sent_at: chrono::Utc::now(),
        media: Some(media),
        ..Default::default()
    })
    .await?;
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let sent: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.cause_message_id
              WHERE m.native_id = $1 AND d.status = 'sent' AND d.payload->>'kind' = 'relay'",
        )
        .bind(format!("photo-{area}"))
        .fetch_one(pool)
        .await?;
        if sent >= copies {
            return Ok((taken, start.elapsed()));
        }
        anyhow::ensure!(Instant::now() < deadline, "only {sent} of {copies} copies sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn subscribe(pool: &sqlx::PgPool, area: &str, n: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO email_subscriptions (address, area_slug, rhythm)
         SELECT $1 || g || '@exemple.fr', $1, 'each' FROM generate_series(1, $2) g",
    )
    .bind(area)
    .bind(n)
    .execute(pool)
    .await?;
    Ok(())
}

async fn matrix(hs: &str, data_dir: &Path, core: &Arc<Core>) -> anyhow::Result<Arc<Matrix>> {
    let mx = Matrix::new(
        &MatrixSettings {
            enabled: true,
            homeserver_url: hs.to_owned(),
            user_id: "@benchbot:localhost".into(),
            password: Some(SecretString::from(PASSWORD.to_owned())),
            access_token: None,
            store_passphrase: None,
            recovery_key: None,
            device_name: "bench".into(),
            alias_prefix: "bench-".into(),
            sync_timeout_secs: 5,
        },
        data_dir,
    )?;
    // The area rooms: the syncer's first round creates them.
    let mut syncer = Syncer::new(mx.clone(), core.clone());
    syncer.sync_once(Duration::ZERO).await?;
    syncer.release().await;
    Ok(mx)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let n: i64 = if common::quick() { 100 } else { 1000 };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join(format!("target/peers/bench-media-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let (hs_dir, smtp_dir) = (dir.join("synapse"), dir.join("smtp"));
    let free = || std::net::TcpListener::bind("127.0.0.1:0").map(|l| l.local_addr().map(|a| a.port()));
    let (hs_port, smtp_port) = (free()??, free()??);
    let hs = peer("synapse.sh", &["start", hs_dir.to_str().unwrap(), &hs_port.to_string()])?
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_owned();
    peer(
        "synapse.sh",
        &["register", hs_dir.to_str().unwrap(), "benchbot", PASSWORD],
    )?;
    peer(
        "smtp.sh",
        &[
            "start",
            smtp_dir.to_str().unwrap(),
            &smtp_port.to_string(),
            "bench",
            "bench-pass",
        ],
    )?;
    let stop = || {
        let _ = peer("synapse.sh", &["stop", hs_dir.to_str().unwrap()]);
        let _ = peer("smtp.sh", &["stop", smtp_dir.to_str().unwrap()]);
    };

    let pool = common::fresh_db("voisinage_bench_media").await?;
    let areas = Arc::new(Areas::example());
    voisinage::store::sync_areas(&pool, &areas).await?;
    let (small, large) = ("parame", "saint-servan");
    for area in [small, large] {
        voisinage::store::link_room(&pool, ChannelKind::Console, &format!("console:{area}"), area).await?;
    }
    subscribe(&pool, small, n / 10).await?;
    subscribe(&pool, large, n).await?;
    let mut core = Core::with_defaults(pool.clone(), areas);
    core.media = Arc::new(MediaStore::on_disk(dir.join("media"), MediaLimits::default()));
    let core = Arc::new(core);
    let mx = matrix(&hs, &dir.join("daemon-data"), &core).await?;
    let email = Email::new(
        &email_settings(smtp_port),
        &root,
        pool.clone(),
        core.links.clone(),
        Texts::embedded(),
    )?;
    let access = MediaAccess {
        store: core.media.clone(),
        pool: pool.clone(),
    };
    mx.use_media(access.clone());
    email.use_media(access);
    let channels: Vec<Arc<dyn Channel>> = vec![mx, email];
    let outbox = Arc::new(
        Outbox::new(pool.clone(), channels, OutboxConfig::default(), core.metrics.clone())
            .wake_on(core.outbox_wake.clone()),
    );
    let shutdown = CancellationToken::new();
    let workers: Vec<_> = (0..2)
        .map(|_| tokio::spawn(outbox.clone().run(shutdown.clone())))
        .collect();

    let photo = photo_4mb();
    let before = common::peak_mib();
    let (small_in, small_all) = relay(&core, &pool, small, &photo, n / 10 + 1).await?;
    let small_peak = common::peak_mib();
    let (large_in, large_all) = relay(&core, &pool, large, &photo, n + 1).await?;
    let large_peak = common::peak_mib();
    let stored: i64 = sqlx::query_scalar("SELECT max(size) FROM media")
        .fetch_one(&pool)
        .await?;
    println!(
        "media relay: a {:.1} MB photo ({} KB once re-encoded at 1600 px)\n  \
         to Matrix + {} email subscribers: taken in in {:.2} s, every copy sent in {:.1} s; peak memory {:.0} MiB\n  \
         to Matrix + {n} email subscribers: taken in in {:.2} s, every copy sent in {:.1} s; peak memory {:.0} MiB\n  \
         (peak before relaying: {before:.0} MiB)",
        photo.len() as f64 / 1e6,
        stored / 1000,
        n / 10,
        small_in.as_secs_f64(),
        small_all.as_secs_f64(),
        small_peak,
        large_in.as_secs_f64(),
        large_all.as_secs_f64(),
        large_peak,
    );
    shutdown.cancel();
    for w in workers {
        let _ = w.await;
    }
    pool.close().await;
    stop();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
