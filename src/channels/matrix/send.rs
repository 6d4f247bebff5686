//! Sending to Matrix rooms: messages (plain and HTML), replies, reactions, edits (m.replace)
//! and redactions. Every send carries a transaction id derived from the delivery, so a retry
//! after a crash is deduplicated by the homeserver instead of doubling the message.

use std::time::Duration;

use async_trait::async_trait;
use matrix_sdk::HttpError;
use matrix_sdk::ruma::api::client::membership::{ban_user, unban_user};
use matrix_sdk::ruma::api::client::message::{get_message_events, send_message_event};
use matrix_sdk::ruma::api::client::redact::redact_event;
use matrix_sdk::ruma::api::client::state::get_state_event_for_key;
use matrix_sdk::ruma::api::error::{ErrorKind, LimitExceededErrorData, RetryAfter};
use matrix_sdk::ruma::events::MessageLikeEventType;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedTransactionId, OwnedUserId};
use serde_json::{Value, json};

use super::Matrix;
use crate::core::model::{ChannelKind, OutKind, Outgoing, Profile};
use crate::core::{Channel, SendError};
use crate::hash::fnv1a64;

/// The content of a message: neighbours' words as m.text, the bot's own as m.notice.
/// The field of the content of each event the bot sends that names its delivery: a send
/// retried by another daemon (another session, where the transaction id does not dedupe)
/// looks for it in the room first.
const DELIVERY_MARK: &str = "org.voisinage.delivery";

/// How many of the bot's latest events in a room `already_sent` reads: a retry after a crash
/// comes one lease later, and the bot says little in one room meanwhile.
const RECENT_EVENTS: u32 = 100;

/// MSC4144 (per-message profiles, unstable prefix as Beeper and bridges send it): clients that
/// know it show the neighbour as the sender; the body keeps "Jeanne (Telegram) : …" for the
/// others (`has_fallback`).
const PER_MESSAGE_PROFILE: &str = "com.beeper.per_message_profile";

fn per_message_profile(p: &Profile) -> Value {
    json!({ "id": p.id, "displayname": p.name, "has_fallback": true })
}

fn message_content(msg: &Outgoing) -> Value {
    let msgtype = if msg.kind == OutKind::Relay {
        "m.text"
    } else {
        "m.notice"
    };
    let mut c = json!({ "msgtype": msgtype, "body": msg.text });
    if let Some(html) = &msg.html {
        c["format"] = "org.matrix.custom.html".into();
        c["formatted_body"] = html.replace('\n', "<br>").into();
    }
    c
}

/// What the outbox must do about a failed request.
pub(super) fn failure(e: &HttpError) -> SendError {
    match e.client_api_error_kind() {
        Some(ErrorKind::LimitExceeded(LimitExceededErrorData { retry_after, .. })) => {
            let wait = match retry_after {
                Some(RetryAfter::Delay(d)) => *d,
                Some(RetryAfter::DateTime(t)) => t.duration_since(std::time::SystemTime::now()).unwrap_or_default(),
                None => Duration::from_secs(1),
            };
            SendError::RateLimited { retry_after: wait }
        }
        Some(ErrorKind::Forbidden | ErrorKind::NotFound) => SendError::Gone(e.to_string()),
        // The bot's session is gone: wait for the operator (messages keep).
        Some(ErrorKind::UnknownToken(_) | ErrorKind::MissingToken) => SendError::Unavailable(e.to_string()),
        Some(_) => match e.as_client_api_error().map(|x| x.status_code.as_u16()) {
            Some(s) if s >= 500 => SendError::Unavailable(e.to_string()),
            _ => SendError::Permanent(e.to_string()),
        },
        None => match e {
            HttpError::Api(_) => SendError::Unavailable(e.to_string()),
            HttpError::Reqwest(_) => SendError::Unavailable(e.to_string()),
            _ => SendError::Transient(e.to_string()),
        },
    }
}

/// What the outbox must do about a failed send through the SDK's room API.
fn sdk_failure(e: &matrix_sdk::Error) -> SendError {
    match e {
        matrix_sdk::Error::Http(h) => failure(h),
        other => SendError::Transient(other.to_string()),
    }
}

fn room_of(target: &str) -> Result<OwnedRoomId, SendError> {
    OwnedRoomId::try_from(target).map_err(|_| SendError::Permanent(format!("`{target}` is not a Matrix room id")))
}

fn event_of(remote_id: &str) -> Option<OwnedEventId> {
    OwnedEventId::try_from(remote_id).ok()
}

impl Matrix {
    /// The client for sends: logged in on first use, so that a daemon whose sync stands by
    /// (another daemon holds the lock) still sends its share of the outbox.
    async fn sending_client(&self) -> Result<&matrix_sdk::Client, SendError> {
        self.connect()
            .await
            .map_err(|e| SendError::Unavailable(format!("cannot log in to the Matrix homeserver: {e:#}")))
    }

    pub(super) async fn put(
        &self,
        room: OwnedRoomId,
        txn: String,
        kind: &str,
        content: Value,
    ) -> Result<String, SendError> {
        let client = self.sending_client().await?;
        if self.syncing()
            && let Some(joined) = client.get_room(&room)
        {
            // The SDK's room knows whether the room is encrypted; if it is, it shares the room
            // key with the members' devices first, then sends the encrypted event under the
            // same transaction id. `m.relates_to` stays in clear in an encrypted event: the
            // delivery's mark is copied there, so `already_sent` finds it without the keys.
            let mut content = content;
            if joined
                .latest_encryption_state()
                .await
                .map_err(|e| sdk_failure(&e))?
                .is_encrypted()
                && let Some(mark) = content.get(DELIVERY_MARK).cloned()
            {
                content["m.relates_to"][DELIVERY_MARK] = mark;
            }
            return joined
                .send_raw(kind, content)
                .with_transaction_id(&OwnedTransactionId::from(txn))
                .await
                .map(|r| r.response.event_id.to_string())
                .map_err(|e| sdk_failure(&e));
        }
        if self.is_encrypted(&room).await? {
            // Only the daemon that syncs holds the room keys (see ARCHITECTURE.md): another
            // daemon leaves this delivery to it.
            return Err(SendError::Unavailable(format!(
                "{room} is encrypted: sent by the daemon that syncs the Matrix account"
            )));
        }
        let raw =
            Raw::from_json(serde_json::value::to_raw_value(&content).map_err(|e| SendError::Permanent(e.to_string()))?);
        let req = send_message_event::v3::Request::new_raw(
            room,
            OwnedTransactionId::from(txn),
            MessageLikeEventType::from(kind),
            raw,
        );
        client
            .send(req)
            .await
            .map(|r| r.event_id.to_string())
            .map_err(|e| failure(&e))
    }

    /// Whether `room` has end-to-end encryption on (its `m.room.encryption` state), asked of
    /// the homeserver.
    async fn is_encrypted(&self, room: &OwnedRoomId) -> Result<bool, SendError> {
        let client = self.sending_client().await?;
        let req =
            get_state_event_for_key::v3::Request::new(room.clone(), StateEventType::RoomEncryption, String::new());
        match client.send(req).await {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.client_api_error_kind(), Some(ErrorKind::NotFound)) => Ok(false),
            Err(e) => Err(failure(&e)),
        }
    }
}

#[async_trait]
impl Channel for Matrix {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Matrix
    }

    fn private_link(&self) -> Option<String> {
        Some(format!("https://matrix.to/#/{}", self.user_id()))
    }

    async fn send(&self, delivery_id: i64, target: &str, msg: &Outgoing) -> Result<String, SendError> {
        let room = room_of(target)?;
        let txn = format!("voisinage-{delivery_id}");
        if let (Some(key), Some(on)) = (&msg.reaction, msg.reply_to.as_deref().and_then(event_of)) {
            let content = json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": on, "key": key},
                                 DELIVERY_MARK: delivery_id});
            return self.put(room, txn, "m.reaction", content).await;
        }
        if let Some(p) = &msg.poll {
            return self
                .send_poll_start(room, txn, p, &msg.text, (DELIVERY_MARK, delivery_id))
                .await;
        }
        let mut content = match &msg.media {
            Some(media) => self.media_content(msg, media).await?,
            None => message_content(msg),
        };
        content[DELIVERY_MARK] = delivery_id.into();
        if let Some(p) = &msg.profile {
            content[PER_MESSAGE_PROFILE] = per_message_profile(p);
        }
        if let Some(on) = msg.reply_to.as_deref().and_then(event_of) {
            content["m.relates_to"] = json!({"m.in_reply_to": {"event_id": on}});
        }
        self.put(room, txn, "m.room.message", content).await
    }

    /// Ready once logged in: the first call starts the login without waiting for it, so no
    /// delivery is claimed (and its lease spent) during a login.
    async fn ready_to_send(&self) -> bool {
        if self.ready().is_some() {
            return true;
        }
        self.log_in_behind();
        false
    }

    async fn already_sent(&self, delivery_id: i64, target: &str) -> Result<Option<String>, SendError> {
        let room = room_of(target)?;
        let client = self.sending_client().await?;
        let mut req = get_message_events::v3::Request::backward(room);
        req.limit = RECENT_EVENTS.into();
        req.filter.senders = Some(vec![self.user_id.clone()]);
        let events = client.send(req).await.map_err(|e| failure(&e))?.chunk;
        Ok(events.iter().find_map(|raw| {
            let ev: Value = serde_json::from_str(raw.json().get()).ok()?;
            // In an encrypted event the mark is in the clear `m.relates_to`.
            let marks = [
                &ev["content"][DELIVERY_MARK],
                &ev["content"]["m.relates_to"][DELIVERY_MARK],
            ];
            marks
                .iter()
                .any(|m| m.as_i64() == Some(delivery_id))
                .then(|| ev["event_id"].as_str().map(str::to_owned))
                .flatten()
        }))
    }

    async fn edit(&self, target: &str, remote_id: &str, msg: &Outgoing) -> Result<String, SendError> {
        let room = room_of(target)?;
        let Some(original) = event_of(remote_id) else {
            return Ok(remote_id.to_owned());
        };
        if msg.poll.is_some() {
            // A poll's text does not change: editing it means ending it.
            self.send_poll_end(room, original.as_str()).await?;
            return Ok(remote_id.to_owned());
        }
        let mut new_content = message_content(msg);
        if let Some(p) = &msg.profile {
            new_content[PER_MESSAGE_PROFILE] = per_message_profile(p);
        }
        let mut content = new_content.clone();
        content["body"] = format!("* {}", msg.text).into();
        if let Some(html) = new_content.get("formatted_body").and_then(Value::as_str) {
            content["formatted_body"] = format!("* {html}").into();
        }
        content["m.new_content"] = new_content;
        content["m.relates_to"] = json!({"rel_type": "m.replace", "event_id": original});
        // The same edit retried is the same transaction.
        let txn = format!(
            "voisinage-edit-{}-{:016x}",
            fnv1a64(remote_id.as_bytes()),
            fnv1a64(msg.text.as_bytes())
        );
        self.put(room, txn, "m.room.message", content).await?;
        // The copy keeps its id: later edits and replies still point at the original event.
        Ok(remote_id.to_owned())
    }

    async fn delete(&self, target: &str, remote_id: &str) -> Result<(), SendError> {
        let room = room_of(target)?;
        let Some(event) = event_of(remote_id) else {
            return Ok(());
        };
        let client = self.sending_client().await?;
        let txn = OwnedTransactionId::from(format!("voisinage-redact-{:016x}", fnv1a64(remote_id.as_bytes())));
        match client.send(redact_event::v3::Request::new(room, event, txn)).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.client_api_error_kind(), Some(ErrorKind::NotFound)) => Ok(()),
            Err(e) => Err(failure(&e)),
        }
    }

    async fn moderators(&self, chat: &str) -> Result<Vec<String>, SendError> {
        room_of(chat)?;
        self.room_moderators(chat)
            .await
            .map_err(|e| match e.downcast_ref::<HttpError>() {
                Some(h) => failure(h),
                None => SendError::Unavailable(format!("{e:#}")),
            })
    }

    async fn ban(&self, chat: &str, user: &str) -> Result<(), SendError> {
        let (room, user) = (room_of(chat)?, user_of(user)?);
        let client = self.sending_client().await?;
        client
            .send(ban_user::v3::Request::new(room, user))
            .await
            .map(|_| ())
            .map_err(|e| refused(&e))
    }

    async fn unban(&self, chat: &str, user: &str) -> Result<(), SendError> {
        let (room, user) = (room_of(chat)?, user_of(user)?);
        let client = self.sending_client().await?;
        client
            .send(unban_user::v3::Request::new(room, user))
            .await
            .map(|_| ())
            .map_err(|e| refused(&e))
    }
}

fn user_of(user: &str) -> Result<OwnedUserId, SendError> {
    OwnedUserId::try_from(user).map_err(|_| SendError::Permanent(format!("`{user}` is not a Matrix user id")))
}

/// A ban the bot may not make (too low a power level) is refused for good, not a gone room.
fn refused(e: &HttpError) -> SendError {
    match e.client_api_error_kind() {
        Some(ErrorKind::Forbidden) => SendError::Permanent(e.to_string()),
        _ => failure(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relays_are_text_and_the_bot_speaks_in_notices() {
        let mut m = Outgoing::new(OutKind::Relay, "Jeanne (Telegram) : a < b");
        m.html = Some("<b>Jeanne</b> (Telegram) : a &lt; b\nfin".into());
        let c = message_content(&m);
        assert_eq!(c["msgtype"], "m.text");
        assert_eq!(c["formatted_body"], "<b>Jeanne</b> (Telegram) : a &lt; b<br>fin");
        assert_eq!(
            message_content(&Outgoing::new(OutKind::Answer, "x"))["msgtype"],
            "m.notice"
        );
    }
}
