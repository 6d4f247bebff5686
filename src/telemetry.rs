//! Logs (tracing) and the figures /metrics exposes in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::core::model::ChannelKind;
use crate::parse::{Category, Direction};
use crate::store::deliveries::DeliveryStatus;

/// Starts logging to stderr at `level` (overridden by RUST_LOG), in colour only when stderr
/// is a terminal: a journal, a pipe or a file gets plain lines.
pub fn init(level: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter(level)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// The log filter when RUST_LOG says nothing. matrix-sdk logs every failed request at ERROR
/// (an alias not found yet at first start, each retry during an outage); the Matrix adapter
/// reports the failures that matter itself (readers.rs: one line when an outage starts and
/// one when it ends), so those lines are left out.
pub fn default_filter(level: &str) -> String {
    format!("{level},sqlx=warn,matrix_sdk::http_client=off")
}

/// Upper bounds of the send-latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Where a channel's receiving side stands, as /healthz reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelState {
    /// Its last round read (or it holds the lock and waits for news).
    Connected,
    /// Not started yet, or another daemon reads this channel (standby).
    Waiting,
    /// Its last round failed (an outage): it retries with backoff.
    Failing,
}

impl ChannelState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelState::Connected => "connected",
            ChannelState::Waiting => "waiting",
            ChannelState::Failing => "failing",
        }
    }
}

/// In-process counters.
#[derive(Debug, Default)]
pub struct Metrics {
    channel_states: Mutex<BTreeMap<&'static str, ChannelState>>,
    messages_in: Mutex<BTreeMap<&'static str, u64>>,
    channel_errors: Mutex<BTreeMap<&'static str, u64>>,
    posts: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    sends_ok: AtomicU64,
    sends_failed: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
}

impl Metrics {
    pub fn message_in(&self, c: ChannelKind) {
        if let Ok(mut m) = self.messages_in.lock() {
            *m.entry(c.as_str()).or_default() += 1;
        }
    }

    /// A channel's receiving side failed (Telegram polling, later Matrix sync, IMAP) and
    /// will retry.
    pub fn channel_error(&self, c: ChannelKind) {
        if let Ok(mut m) = self.channel_errors.lock() {
            *m.entry(c.as_str()).or_default() += 1;
        }
    }

    /// Records where a channel's receiving side stands.
    pub fn set_channel_state(&self, c: ChannelKind, state: ChannelState) {
        if let Ok(mut m) = self.channel_states.lock() {
            m.insert(c.as_str(), state);
        }
    }

    /// Each channel's receiving side that reported a state, by name.
    pub fn channel_states(&self) -> Vec<(&'static str, ChannelState)> {
        self.channel_states
            .lock()
            .map(|m| m.iter().map(|(c, s)| (*c, *s)).collect())
            .unwrap_or_default()
    }

    pub fn post(&self, d: Direction, c: Category) {
        let d = match d {
            Direction::Offer => "offer",
            Direction::Request => "request",
        };
        if let Ok(mut m) = self.posts.lock() {
            *m.entry((d, c.as_str())).or_default() += 1;
        }
    }

    pub fn sent(&self, ok: bool) {
        if ok { &self.sends_ok } else { &self.sends_failed }.fetch_add(1, Ordering::Relaxed);
    }

    pub fn send_latency(&self, d: Duration) {
        let s = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition; `deliveries` are the outbox counts by status.
    pub fn render(&self, deliveries: &[(DeliveryStatus, i64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP voisinage_messages_in_total Inbound messages stored, by channel."
        );
        let _ = writeln!(out, "# TYPE voisinage_messages_in_total counter");
        if let Ok(m) = self.messages_in.lock() {
            for (c, n) in m.iter() {
                let _ = writeln!(out, "voisinage_messages_in_total{{channel=\"{c}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP voisinage_channel_errors_total Failures of a channel's receiving side (retried with backoff)."
        );
        let _ = writeln!(out, "# TYPE voisinage_channel_errors_total counter");
        if let Ok(m) = self.channel_errors.lock() {
            for (c, n) in m.iter() {
                let _ = writeln!(out, "voisinage_channel_errors_total{{channel=\"{c}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP voisinage_posts_total Posts recognised, by direction and category."
        );
        let _ = writeln!(out, "# TYPE voisinage_posts_total counter");
        if let Ok(m) = self.posts.lock() {
            for ((d, c), n) in m.iter() {
                let _ = writeln!(out, "voisinage_posts_total{{direction=\"{d}\",category=\"{c}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP voisinage_deliveries Outbox rows by status (all daemons on this database)."
        );
        let _ = writeln!(out, "# TYPE voisinage_deliveries gauge");
        for status in DeliveryStatus::ALL {
            let n = deliveries.iter().find(|(s, _)| *s == status).map(|x| x.1).unwrap_or(0);
            let _ = writeln!(out, "voisinage_deliveries{{status=\"{}\"}} {n}", status.as_str());
        }
        let _ = writeln!(out, "# HELP voisinage_sends_total Sends by this daemon, by outcome.");
        let _ = writeln!(out, "# TYPE voisinage_sends_total counter");
        let _ = writeln!(
            out,
            "voisinage_sends_total{{outcome=\"ok\"}} {}",
            self.sends_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "voisinage_sends_total{{outcome=\"failed\"}} {}",
            self.sends_failed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP voisinage_send_seconds Time a channel took to send one message."
        );
        let _ = writeln!(out, "# TYPE voisinage_send_seconds histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let n = self.latency_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "voisinage_send_seconds_bucket{{le=\"{b}\"}} {n}");
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "voisinage_send_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "voisinage_send_seconds_sum {sum}");
        let _ = writeln!(out, "voisinage_send_seconds_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_filter_drops_matrix_sdk_request_errors_only() {
        #[derive(Clone, Default)]
        struct Captured(std::sync::Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(default_filter("info")))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(target: "matrix_sdk::http_client", "Error while sending request: M_NOT_FOUND");
            tracing::error!(target: "voisinage::channels::matrix", "a real failure");
            tracing::info!(target: "voisinage::readers", "Matrix sync: connected");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("M_NOT_FOUND"), "{text}");
        assert!(
            text.contains("a real failure") && text.contains("Matrix sync: connected"),
            "{text}"
        );
    }
}
