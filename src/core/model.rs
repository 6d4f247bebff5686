//! The types adapters and the core exchange.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The chat tools voisinage speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// The terminal of `voisinage try`.
    Console,
    Telegram,
    Matrix,
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Console,
        ChannelKind::Telegram,
        ChannelKind::Matrix,
        ChannelKind::Email,
    ];

    /// The identifier stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Console => "console",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Matrix => "matrix",
            ChannelKind::Email => "email",
        }
    }

    /// The id of its display name in bot-scripts ("courriel", "Telegram"…).
    pub fn text_id(self) -> &'static str {
        match self {
            ChannelKind::Console => "channel-console",
            ChannelKind::Telegram => "channel-telegram",
            ChannelKind::Matrix => "channel-matrix",
            ChannelKind::Email => "channel-email",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel `{s}` (console, telegram, matrix, email)"))
    }
}

/// A message received on a channel, translated by its adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub channel: ChannelKind,
    /// The chat it was said in (group id, room id, list address).
    pub chat: String,
    /// The channel's id of the message, unique within the chat: a redelivery has the same.
    pub native_id: String,
    /// The sender's account on the channel.
    pub sender: String,
    pub sender_name: String,
    pub text: String,
    pub sent_at: DateTime<Utc>,
    /// The native id of the message it replies to, when it is a reply.
    pub reply_to: Option<String>,
}

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutKind {
    /// A copy of a neighbour's message in the area's other rooms.
    Relay,
    /// "Offer recorded", said where the post was made.
    Notice,
    /// The answer to a command.
    Answer,
    /// A request met an offer.
    Match,
}

/// A message to send: the payload of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    pub kind: OutKind,
    pub text: String,
    /// The remote id (on the target channel) of the message this one answers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

/// Where a delivery goes: a chat on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    pub channel: ChannelKind,
    pub target: String,
}
