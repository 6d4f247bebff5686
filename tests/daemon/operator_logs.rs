//! What operators read in the logs (issue 14, defect 11): an outage is one line when it
//! starts and one when it ends, not one per retry; no colours when the output is not a terminal
//! (daemon_cli.rs checks the binary's piped output).

use std::sync::{Arc, Mutex};

use crate::email::{CONSOLE_ROOM, World};
use crate::helpers::inbound;

/// A log writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn an_smtp_outage_logs_one_line_when_it_starts_and_one_when_it_ends() {
    let w = World::new("outage-logs").await;
    sqlx::query("INSERT INTO email_subscriptions (address, area_slug, rhythm) VALUES ('rose@exemple.fr', 'saint-servan', 'each')")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            voisinage::telemetry::default_filter("info"),
        ))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests of this binary log through the same call sites with no subscriber: make sure
    // no "never" interest cached by them hides this test's lines.
    tracing::callsite::rebuild_interest_cache();
    w.sink.refuse();
    for n in 1..=3 {
        w.core
            .ingest(&inbound(
                CONSOLE_ROOM,
                &format!("m{n}"),
                "Paul",
                &format!("message {n}"),
            ))
            .await
            .unwrap();
    }
    for _ in 0..5 {
        w.outbox.run_once().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    }
    w.sink.accept();
    w.drain().await;
    assert_eq!(w.sink.messages().len(), 3);
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let about_email: Vec<&str> = text.lines().filter(|l| l.contains("channel=email")).collect();
    assert_eq!(about_email.len(), 2, "one line at the start, one at the end:\n{text}");
    assert!(
        about_email[0].contains("WARN") && about_email[0].contains("sends failing"),
        "{text}"
    );
    assert!(
        about_email[1].contains("INFO") && about_email[1].contains("sends working again"),
        "{text}"
    );
    assert!(!text.contains("will retry"), "no line per retry:\n{text}");
    w.finish().await;
}
