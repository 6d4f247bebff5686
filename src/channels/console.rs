//! The console channel of `voisinage try`: one neighbour at a terminal, in one area's room.
//! What the bot says to that room is printed; what the neighbour types becomes an `Inbound`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use crate::core::model::{ChannelKind, Outgoing};
use crate::core::{Channel, SendError};

/// Prints what the bot says; keeps a copy for tests and scripts.
pub struct Console {
    printed: Mutex<Vec<(String, String)>>,
    next: AtomicU64,
    echo: bool,
}

impl Console {
    /// A console that prints to stdout (`echo`) or only records (tests).
    pub fn new(echo: bool) -> Self {
        Console {
            printed: Mutex::new(Vec::new()),
            next: AtomicU64::new(1),
            echo,
        }
    }

    /// Everything sent so far, as (target, text).
    pub fn printed(&self) -> Vec<(String, String)> {
        self.printed.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Channel for Console {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Console
    }

    async fn send(&self, _delivery_id: i64, target: &str, msg: &Outgoing) -> Result<String, SendError> {
        if self.echo {
            println!("🤖 {}", msg.text.replace('\n', "\n   "));
        }
        if let Ok(mut p) = self.printed.lock() {
            p.push((target.to_owned(), msg.text.clone()));
        }
        Ok(format!("console-{}", self.next.fetch_add(1, Ordering::Relaxed)))
    }

    async fn edit(&self, target: &str, remote_id: &str, msg: &Outgoing) -> Result<String, SendError> {
        let text = format!("✏️ ({remote_id}) {}", msg.text);
        if self.echo {
            println!("🤖 {}", text.replace('\n', "\n   "));
        }
        if let Ok(mut p) = self.printed.lock() {
            p.push((target.to_owned(), text));
        }
        Ok(remote_id.to_owned())
    }

    async fn delete(&self, target: &str, remote_id: &str) -> Result<(), SendError> {
        let text = format!("🗑️ ({remote_id})");
        if self.echo {
            println!("🤖 {text}");
        }
        if let Ok(mut p) = self.printed.lock() {
            p.push((target.to_owned(), text));
        }
        Ok(())
    }
}
