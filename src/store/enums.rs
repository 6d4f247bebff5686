//! The text columns that hold one of a few values (a channel, a direction, a status…) are read
//! and written as Rust enums. Reading a value the code does not know is an error naming the
//! column and the value: skipping the row or taking a default would hide a bad row or a
//! migration the code missed.

use std::fmt;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

use crate::core::links::Rhythm;
use crate::core::model::{ChannelKind, FailureCause};
use crate::i18n::Lang;
use crate::parse::Direction;

use super::loans::LoanState;

/// A stored value that no variant of the enum reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// The column (or kind of column) it was read from: "posts.status", "channel"…
    pub column: &'static str,
    pub value: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value {:?} in {}", self.value, self.column)
    }
}

impl std::error::Error for UnknownValue {}

/// An enum stored as text: each variant has one stored form.
pub trait TextEnum: Sized + Copy + 'static {
    /// The column it lives in, for errors.
    const COLUMN: &'static str;
    /// Every variant.
    const VARIANTS: &'static [Self];

    /// The stored form.
    fn stored(self) -> &'static str;

    /// The variant stored as `s`; an error for anything else (stored forms only, no synonyms).
    fn from_stored(s: &str) -> Result<Self, UnknownValue> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|v| v.stored() == s)
            .ok_or_else(|| UnknownValue {
                column: Self::COLUMN,
                value: s.to_owned(),
            })
    }
}

/// Implements [`TextEnum`] and the sqlx traits for `$ty`, whose `as_str` gives the stored form.
/// By hand rather than derived: most of these types live outside the store (and parse/ must not
/// depend on sqlx), and delegating to `str` keeps them plain `text` for PostgreSQL.
macro_rules! text_enum {
    ($ty:ty, $column:literal, $variants:expr) => {
        impl TextEnum for $ty {
            const COLUMN: &'static str = $column;
            const VARIANTS: &'static [Self] = &$variants;
            fn stored(self) -> &'static str {
                self.as_str()
            }
        }

        impl Type<Postgres> for $ty {
            fn type_info() -> PgTypeInfo {
                <str as Type<Postgres>>::type_info()
            }
            fn compatible(ty: &PgTypeInfo) -> bool {
                <str as Type<Postgres>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, Postgres> for $ty {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                let s = <&str as Decode<Postgres>>::decode(value)?;
                Ok(<$ty as TextEnum>::from_stored(s)?)
            }
        }

        impl Encode<'_, Postgres> for $ty {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<Postgres>>::encode(self.as_str(), buf)
            }
        }
    };
}

text_enum!(ChannelKind, "channel", ChannelKind::ALL);
text_enum!(Direction, "posts.direction", Direction::ALL);
text_enum!(Lang, "lang", Lang::ALL);
text_enum!(
    Rhythm,
    "email_subscriptions.rhythm",
    [Rhythm::Each, Rhythm::Daily, Rhythm::Weekly]
);
text_enum!(FailureCause, "failure_notices.cause", FailureCause::ALL);
text_enum!(LoanState, "loans.state", LoanState::ALL);
text_enum!(
    PostStatus,
    "posts.status",
    [PostStatus::Open, PostStatus::Closed, PostStatus::Pending]
);
text_enum!(
    DeliveryStatus,
    "deliveries.status",
    [
        DeliveryStatus::Pending,
        DeliveryStatus::Sending,
        DeliveryStatus::Sent,
        DeliveryStatus::Failed
    ]
);
text_enum!(
    SubscriptionStatus,
    "email_subscriptions.status",
    [
        SubscriptionStatus::Active,
        SubscriptionStatus::Unsubscribed,
        SubscriptionStatus::Suspended
    ]
);

/// Whether a post still stands (`posts.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostStatus {
    Open,
    Closed,
    /// An unsure reading waiting for its author's answer (core/questions.rs).
    Pending,
}

impl PostStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Open => "open",
            PostStatus::Closed => "closed",
            PostStatus::Pending => "pending",
        }
    }
}

/// Where a delivery is in the outbox (`deliveries.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Queued, not sent yet.
    Pending,
    /// Claimed by a daemon, being sent.
    Sending,
    Sent,
    /// Given up on.
    Failed,
}

impl DeliveryStatus {
    /// Every status, in the order /metrics lists them.
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sending,
        DeliveryStatus::Sent,
        DeliveryStatus::Failed,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// Whether an email subscription receives mail (`email_subscriptions.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionStatus {
    Active,
    Unsubscribed,
    /// Stopped by the bot: the address bounced.
    Suspended,
}

impl SubscriptionStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Unsubscribed => "unsubscribed",
            SubscriptionStatus::Suspended => "suspended",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_read_back() {
        for c in ChannelKind::ALL {
            assert_eq!(ChannelKind::from_stored(c.as_str()), Ok(c));
        }
        assert_eq!(Direction::from_stored("request"), Ok(Direction::Request));
        assert_eq!(Rhythm::from_stored("daily"), Ok(Rhythm::Daily));
        assert_eq!(Lang::from_stored("en"), Ok(Lang::En));
        assert_eq!(PostStatus::from_stored("closed"), Ok(PostStatus::Closed));
        assert_eq!(DeliveryStatus::from_stored("sending"), Ok(DeliveryStatus::Sending));
        assert_eq!(
            SubscriptionStatus::from_stored("suspended"),
            Ok(SubscriptionStatus::Suspended)
        );
    }

    #[test]
    fn an_unknown_value_is_an_error_naming_column_and_value() {
        let e = ChannelKind::from_stored("fax").unwrap_err();
        assert_eq!(e.to_string(), "unknown value \"fax\" in channel");
        let e = PostStatus::from_stored("Open").unwrap_err();
        assert_eq!(e.to_string(), "unknown value \"Open\" in posts.status");
        // What people write is not a stored form.
        assert!(Rhythm::from_stored("hebdo").is_err());
        assert!(Lang::from_stored("en-GB").is_err());
    }
}
