//! The binary as a newcomer uses it: `voisinage try` scripted through a pipe, the HTTP
//! server's /healthz and /metrics, the areas commands, and bad configuration.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::TestDb;

fn voisinage() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_voisinage"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("DATABASE_URL");
    c
}

fn run_try(
    url: Option<&str>,
    data_dir: &std::path::Path,
    args: &[&str],
    input: impl AsRef<[u8]>,
) -> (String, String, bool) {
    let mut child = try_command(url, data_dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn try");
    child.stdin.take().unwrap().write_all(input.as_ref()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[tokio::test]
async fn try_is_scriptable_through_a_pipe() {
    let db = TestDb::new().await;
    let dir = tempdir("try-script");
    let (out, err, ok) = run_try(
        Some(&db.url),
        &dir,
        &["--area", "saint-servan", "--name", "Alex"],
        "Je cherche une perceuse pour samedi\n/mes-annonces\n/aide\n",
    );
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains("Jeanne : Je prête ma perceuse"),
        "the seeded neighbours speak first:\n{out}"
    );
    assert!(out.contains("Alex > Je cherche une perceuse"), "{out}");
    assert!(out.contains("perceuse (bricolage)"), "your post is recognised:\n{out}");
    assert!(
        out.contains("Jeanne (console)"),
        "and matched with Jeanne's offer:\n{out}"
    );
    assert!(out.contains("/chercher"), "commands are answered:\n{out}");
    // Run again: the seeds are not doubled.
    let (out2, _, ok) = run_try(Some(&db.url), &dir, &["--area", "saint-servan"], "");
    assert!(ok);
    assert!(!out2.contains("Jeanne : Je prête"), "seeds are ingested once:\n{out2}");
    db.finish().await;
}

#[tokio::test]
async fn try_asks_for_a_postcode_when_no_area_is_given() {
    let db = TestDb::new().await;
    let dir = tempdir("try-postcode");
    let (out, err, ok) = run_try(Some(&db.url), &dir, &[], "99999\n35400\nparame\nbonjour\n");
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("99999"), "an unknown postcode is said so:\n{out}");
    assert!(
        out.contains("Paramé (parame)"),
        "several areas share 35400: they are listed:\n{out}"
    );
    assert!(out.contains("Paramé"), "{out}");
    db.finish().await;
}

/// The embedded default: no database configured, so `try` starts its own PostgreSQL from the
/// system's binaries under the data directory, and stops it at the end.
#[test]
fn try_starts_and_stops_a_private_postgresql() {
    let dir = tempdir("try-private");
    let (out, err, ok) = run_try(None, &dir, &["--area", "rotheneuf"], "je donne un canapé\n");
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("canapé (maison)"), "{out}");
    assert!(dir.join("try-postgres/pgdata/PG_VERSION").is_file());
    assert!(
        !dir.join("try-postgres/pgdata/postmaster.pid").exists(),
        "the cluster is stopped on exit"
    );
}

/// `voisinage try` with its data directory and, when given, its database.
fn try_command(url: Option<&str>, data_dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = voisinage();
    c.arg("try").args(args).env("VOISINAGE__GENERAL__DATA_DIR", data_dir);
    if let Some(u) = url {
        c.env("VOISINAGE__DATABASE__URL", u);
    }
    c
}

/// A second `try` in the same data directory says one is running there and leaves the first
/// one's PostgreSQL alone.
#[test]
fn a_second_try_in_the_same_directory_leaves_the_first_alone() {
    use std::io::BufRead;
    let dir = tempdir("try-twice");
    let mut first = try_command(None, &dir, &["--area", "rotheneuf"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the first try");
    let mut stdin = first.stdin.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = first.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let welcomed = std::iter::from_fn(|| rx.recv_timeout(std::time::Duration::from_secs(120)).ok())
        .any(|l| l.contains("Bienvenue"));
    if !welcomed {
        unsafe_kill(first.id());
        let _ = first.wait();
        panic!("the first try did not welcome within two minutes");
    }

    let (out, err, ok) = run_try(None, &dir, &["--area", "rotheneuf"], "je donne un canapé\n");
    let first_pid = first.id().to_string();
    let first_answers = stdin.write_all(b"/annonces\n").and_then(|_| stdin.flush()).is_ok()
        && rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .is_ok_and(|l| l.contains("/annonces"))
        && rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .is_ok_and(|l| l.contains("annonce"));
    drop(stdin);
    let status = first.wait().unwrap();
    let _ = reader.join();
    assert!(!ok, "the second try fails:\n{out}\n{err}");
    assert!(
        err.contains("already running") && err.contains(&first_pid),
        "and says a try (pid {first_pid}) runs there:\n{err}"
    );
    assert!(first_answers, "the first try still answers after the second one failed");
    assert!(status.success(), "the first try ends cleanly");
    assert!(
        !dir.join("try-postgres/pgdata/postmaster.pid").exists(),
        "its cluster is stopped when it ends"
    );
}

/// A line that is not UTF-8 is named by its number and skipped; the next lines are answered.
#[tokio::test]
async fn a_line_that_is_not_utf8_is_skipped_and_named() {
    let db = TestDb::new().await;
    let dir = tempdir("try-not-utf8");
    let (out, err, ok) = run_try(
        Some(&db.url),
        &dir,
        &["--area", "saint-servan", "--name", "Alex"],
        b"je prete ma perceuse\n\xff\xfe bad\n/annonces\n",
    );
    assert!(ok, "exit code 0:\nstdout:\n{out}\nstderr:\n{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("Ligne 2 ignorée"),
        "line 2 is named, and said skipped:\n{all}"
    );
    assert!(out.contains("Alex > /annonces"), "the next line is read:\n{out}");
    assert!(out.contains("annonces en cours"), "and answered:\n{out}");
    db.finish().await;
}

#[test]
fn areas_commands() {
    let out = voisinage()
        .args(["areas", "locate", "48.6493", "-2.0257"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().next(), Some("intra-muros"));
    let out = voisinage().args(["areas", "locate", "45.0", "5.0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("no area"));
    let out = voisinage().args(["areas", "postcode", "35800"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("dinard\t"));
    let out = voisinage().args(["areas", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).lines().count() >= 6);
}

#[test]
fn bad_configuration_stops_with_the_file_the_key_and_the_problem() {
    let dir = tempdir("bad-config");
    let file = dir.join("voisinage.toml");
    let good = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/voisinage.toml")).unwrap();
    std::fs::write(
        &file,
        good.replace("listen = \"127.0.0.1:8080\"", "listen = \"nowhere\""),
    )
    .unwrap();
    let out = voisinage().arg("--config").arg(&file).arg("migrate").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("voisinage.toml") && err.contains("http.listen"), "{err}");
    let out = voisinage()
        .arg("run")
        .env("VOISINAGE__DATABASE__URL", "")
        .env("VOISINAGE__OUTBOX__WORKERS", "zero")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("VOISINAGE__OUTBOX__WORKERS"),
        "{err}"
    );
}

#[tokio::test]
async fn the_daemon_serves_healthz_and_metrics() {
    let db = TestDb::new().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = voisinage()
        .arg("run")
        .env("VOISINAGE__DATABASE__URL", &db.url)
        .env("VOISINAGE__HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut health = None;
    for _ in 0..100 {
        if let Ok(r) = http_get(port, "/healthz").await {
            health = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let health = health.expect("the daemon answers /healthz");
    assert!(
        health.starts_with("HTTP/1.1 200") && health.ends_with("ok\n"),
        "{health}"
    );
    let metrics = http_get(port, "/metrics").await.unwrap();
    assert!(
        metrics.contains("voisinage_deliveries{status=\"pending\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("voisinage_send_seconds_bucket"), "{metrics}");
    assert!(
        metrics.contains("# TYPE voisinage_failure_notices_total counter"),
        "{metrics}"
    );
    for family in [
        "# TYPE voisinage_held_mails gauge",
        "# TYPE voisinage_moderation_actions_total counter",
        "# TYPE voisinage_questions_total counter",
    ] {
        assert!(metrics.contains(family), "{family}: {metrics}");
    }
    // SIGTERM: a clean stop.
    unsafe_kill(child.id());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "stops cleanly on SIGTERM");
    // Its logs went to a pipe, not a terminal: plain lines, no colour codes.
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains("INFO") && logs.contains("HTTP server listening"),
        "{logs}"
    );
    assert!(!logs.contains('\u{1b}'), "no ANSI escape in piped logs:\n{logs:?}");
    db.finish().await;
}

fn unsafe_kill(pid: u32) {
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
}

async fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes())
        .await?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).await?;
    Ok(buf)
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("voisinage-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    // The private cluster runs as the postgres user when the tests run as root.
    let _ = Command::new("chmod").arg("755").arg(&d).status();
    d
}

#[tokio::test]
async fn digest_by_hand_previews_then_queues_once() {
    let db = TestDb::new().await;
    let digest = |args: &[&str]| {
        let out = voisinage()
            .arg("digest")
            .args(args)
            .env("VOISINAGE__DATABASE__URL", &db.url)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code(),
        )
    };
    // An unknown area is refused with the list of areas.
    let (_, err, code) = digest(&["--area", "nulle-part"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no area `nulle-part`") && err.contains("saint-servan"),
        "{err}"
    );
    let (_, err, code) = digest(&["--area", "saint-servan", "--period", "mois"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`mois` is not a period"), "{err}");
    // Nothing happened yet.
    let (out, _, code) = digest(&["--area", "saint-servan", "--dry-run"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Nothing happened in this period"), "{out}");
    // A post and a weekly subscriber: the preview shows the email and the summary, stores nothing.
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('marie@exemple.fr', 'saint-servan', 'weekly')")
        .execute(&db.pool)
        .await
        .unwrap();
    voisinage::store::link_room(
        &db.pool,
        voisinage::core::model::ChannelKind::Console,
        "console:saint-servan",
        "saint-servan",
    )
    .await
    .unwrap();
    let core = crate::helpers::core(&db.pool);
    core.ingest(&crate::helpers::inbound(
        "console:saint-servan",
        "1",
        "Jeanne",
        "Je prête ma perceuse",
    ))
    .await
    .unwrap();
    let (out, _, _) = digest(&["--area", "saint-servan", "--dry-run"]);
    assert!(out.contains("(1 subscriber(s)"), "{out}");
    assert!(
        out.contains("perceuse — Jeanne") && out.contains("## Room summary"),
        "{out}"
    );
    assert_eq!(crate::helpers::count(&db.pool, "digests").await, 0);
    // Sent by hand: queued for the subscriber (and the console room of the post).
    let (out, err, code) = digest(&["--area", "saint-servan"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("queued: 2 delivery(ies)"), "{out}");
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE payload->>'kind' = 'digest'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(queued, 2);
    db.finish().await;
}
