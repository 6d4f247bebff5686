//! The loop every singleton reader runs (Telegram getUpdates, Matrix sync, IMAP): rounds
//! while this daemon holds the reader's lock, a look at the lock now and then while another
//! daemon holds it (taking over when that daemon dies), a growing pause while the service or
//! the database fails, and the lock let go on shutdown so another daemon takes over at once.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::core::model::ChannelKind;
use crate::store::locks::ReaderLock;
use crate::telemetry::{ChannelState, Metrics};

/// What a round did, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// It read what there was.
    Done,
    /// Another daemon holds the lock: this one stands by.
    Standby,
}

/// How a reader paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// The pause after a first failure; it doubles with each failure in a row.
    pub retry: Duration,
    /// The longest pause between failures.
    pub max_retry: Duration,
    /// How often a daemon standing by looks whether the lock is free.
    pub standby: Duration,
}

impl Default for Pace {
    /// For chat services: back within a minute once they are.
    fn default() -> Pace {
        Pace {
            retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(60),
            standby: Duration::from_secs(10),
        }
    }
}

/// A singleton reader, driven by [`run_reader`].
pub trait Reader: Send {
    /// What it does, for logs ("Telegram polling").
    const NAME: &'static str;
    /// The channel whose error count a failed round adds to.
    const CHANNEL: ChannelKind;

    /// Its pace; [`Pace::default`] unless it says otherwise.
    fn pace(&self) -> Pace {
        Pace::default()
    }

    /// Takes or checks the lock, then reads once (a long poll waits for news inside).
    fn round(&mut self) -> impl Future<Output = anyhow::Result<Round>> + Send;

    /// Waits for news after a round that read, for readers whose round does not wait.
    fn wait(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// Where failed rounds are counted.
    fn metrics(&self) -> &Metrics;

    /// The lock the rounds take, let go on shutdown.
    fn reader_lock(&mut self) -> &mut ReaderLock;
}

/// Runs rounds of `reader` until `shutdown`, then lets its lock go.
pub async fn run_reader<R: Reader>(mut reader: R, shutdown: CancellationToken) {
    let pace = reader.pace();
    let mut backoff = Backoff::new(pace);
    let mut log = StateLog::default();
    reader.metrics().set_channel_state(R::CHANNEL, ChannelState::Waiting);
    loop {
        let outcome = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = reader.round() => r,
        };
        let state = match &outcome {
            Ok(Round::Done) => ChannelState::Connected,
            Ok(Round::Standby) => ChannelState::Waiting,
            Err(_) => ChannelState::Failing,
        };
        reader.metrics().set_channel_state(R::CHANNEL, state);
        if let Some(line) = log.round(state, outcome.as_ref().err()) {
            line.log(R::NAME);
        }
        let pause = match outcome {
            Ok(round) => {
                backoff.succeeded();
                if round == Round::Standby {
                    pace.standby
                } else {
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = reader.wait() => continue,
                    }
                }
            }
            Err(e) => {
                let pause = backoff.failed();
                debug!(error = %format!("{e:#}"), retry_in = ?pause, "{} failed again", R::NAME);
                reader.metrics().channel_error(R::CHANNEL);
                pause
            }
        };
        if shut_down_during(&shutdown, pause).await {
            break;
        }
    }
    reader.reader_lock().release().await;
}

/// What operators read about a reader: one line when its state changes (connected, standing
/// by, failing, working again), never one per round or per retry.
#[derive(Debug, Default)]
struct StateLog {
    last: Option<ChannelState>,
    /// When the current run of failures began, and how many rounds failed in it.
    outage: Option<(std::time::Instant, u32)>,
}

/// A line for the operators' log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LogLine {
    Connected,
    StandingBy,
    Failing(String),
    WorkingAgain { failed_rounds: u32 },
}

impl StateLog {
    /// The line a round in `state` logs, if any.
    fn round(&mut self, state: ChannelState, error: Option<&anyhow::Error>) -> Option<LogLine> {
        if let Some((_, n)) = &mut self.outage
            && state == ChannelState::Failing
        {
            *n += 1;
            return None;
        }
        if self.last == Some(state) {
            return None;
        }
        self.last = Some(state);
        Some(match (state, self.outage.take()) {
            (ChannelState::Failing, _) => {
                self.outage = Some((std::time::Instant::now(), 1));
                LogLine::Failing(error.map(|e| format!("{e:#}")).unwrap_or_default())
            }
            (_, Some((since, failed))) => {
                debug!(lasted = ?since.elapsed(), "outage over");
                LogLine::WorkingAgain { failed_rounds: failed }
            }
            (ChannelState::Connected, None) => LogLine::Connected,
            (ChannelState::Waiting, None) => LogLine::StandingBy,
        })
    }
}

impl LogLine {
    fn log(&self, name: &str) {
        match self {
            LogLine::Connected => info!("{name}: connected"),
            LogLine::StandingBy => info!("{name}: standing by (another daemon holds this channel)"),
            LogLine::Failing(error) => {
                warn!(%error, "{name}: failing; retrying with backoff (one line when it works again)")
            }
            LogLine::WorkingAgain { failed_rounds } => info!(failed_rounds, "{name}: working again"),
        }
    }
}

/// Sleeps `pause`; true when `shutdown` came first.
pub async fn shut_down_during(shutdown: &CancellationToken, pause: Duration) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => true,
        _ = tokio::time::sleep(pause) => false,
    }
}

/// Exponential backoff: each failure in a row doubles the pause, up to a cap.
#[derive(Debug, Clone)]
pub struct Backoff {
    pace: Pace,
    next: Duration,
    failing: bool,
}

impl Backoff {
    /// From `pace.retry` up to `pace.max_retry`.
    pub fn new(pace: Pace) -> Backoff {
        Backoff {
            pace,
            next: pace.retry,
            failing: false,
        }
    }

    /// Another failure: the pause before the next try.
    pub fn failed(&mut self) -> Duration {
        let pause = self.next;
        self.next = (pause * 2).min(self.pace.max_retry);
        self.failing = true;
        pause
    }

    /// A success: starts over. True when it ends a run of failures.
    pub fn succeeded(&mut self) -> bool {
        self.next = self.pace.retry;
        std::mem::take(&mut self.failing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_starts_over() {
        let mut b = Backoff::new(Pace {
            retry: Duration::from_secs(5),
            max_retry: Duration::from_secs(30),
            standby: Duration::ZERO,
        });
        assert!(!b.succeeded());
        let pauses: Vec<u64> = (0..5).map(|_| b.failed().as_secs()).collect();
        assert_eq!(pauses, [5, 10, 20, 30, 30]);
        assert!(b.succeeded());
        assert!(!b.succeeded());
        assert_eq!(b.failed(), Duration::from_secs(5));
    }

    /// What a scripted reader saw before each round.
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<Option<ChannelState>>>>;

    /// A reader whose rounds follow a script, recording its channel's state before each round.
    struct Scripted {
        rounds: Vec<anyhow::Result<Round>>,
        seen: Seen,
        metrics: Metrics,
        lock: ReaderLock,
        shutdown: CancellationToken,
    }

    impl Reader for Scripted {
        const NAME: &'static str = "scripted";
        const CHANNEL: ChannelKind = ChannelKind::Matrix;

        fn pace(&self) -> Pace {
            Pace {
                retry: Duration::from_millis(1),
                max_retry: Duration::from_millis(1),
                standby: Duration::from_millis(1),
            }
        }

        fn round(&mut self) -> impl Future<Output = anyhow::Result<Round>> + Send {
            let state = self.metrics.channel_states().first().map(|(_, s)| *s);
            self.seen.lock().unwrap().push(state);
            let next = if self.rounds.is_empty() {
                self.shutdown.cancel();
                Ok(Round::Standby)
            } else {
                self.rounds.remove(0)
            };
            async move { next }
        }

        fn metrics(&self) -> &Metrics {
            &self.metrics
        }

        fn reader_lock(&mut self) -> &mut ReaderLock {
            &mut self.lock
        }
    }

    #[tokio::test]
    async fn the_loop_reports_waiting_failing_and_connected() {
        let shutdown = CancellationToken::new();
        let seen = Seen::default();
        let reader = Scripted {
            rounds: vec![
                Err(anyhow::anyhow!("homeserver down")),
                Ok(Round::Standby),
                Ok(Round::Done),
            ],
            seen: seen.clone(),
            metrics: Metrics::default(),
            lock: ReaderLock::new("test"),
            shutdown: shutdown.clone(),
        };
        run_reader(reader, shutdown).await;
        use ChannelState::*;
        assert_eq!(
            *seen.lock().unwrap(),
            [Some(Waiting), Some(Failing), Some(Waiting), Some(Connected)]
        );
    }

    #[test]
    fn an_outage_logs_one_line_when_it_starts_and_one_when_it_ends() {
        use ChannelState::*;
        let mut log = StateLog::default();
        let down = anyhow::anyhow!("homeserver down");
        let rounds = [
            Waiting, Waiting, Connected, Connected, Failing, Failing, Failing, Failing, Connected, Connected, Waiting,
        ];
        let lines: Vec<LogLine> = rounds
            .into_iter()
            .filter_map(|s| log.round(s, (s == Failing).then_some(&down)))
            .collect();
        assert_eq!(
            lines,
            [
                LogLine::StandingBy,
                LogLine::Connected,
                LogLine::Failing("homeserver down".into()),
                LogLine::WorkingAgain { failed_rounds: 4 },
                LogLine::StandingBy,
            ]
        );
    }
}
