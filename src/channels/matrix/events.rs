//! One timeline event, read leniently from its JSON: messages (text, notices, emotes,
//! positions, files), edits (m.replace), redactions, and the bot's own membership. Anything
//! else is skipped; nothing here panics on input.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tracing::{debug, info};

use super::Matrix;
use crate::core::Core;
use crate::core::command::Command;
use crate::core::model::{ChannelKind, Edit, FailureCause, Inbound};
use crate::store::chats;

/// The longest body read from one event (a Matrix event is at most 64 KiB, JSON included).
const MAX_BODY: usize = 64 * 1024;

fn time(ev: &Value) -> DateTime<Utc> {
    ev["origin_server_ts"]
        .as_i64()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_else(Utc::now)
}

/// "geo:48.64,-2.01;u=10" → (48.64, -2.01).
pub fn parse_geo_uri(uri: &str) -> Option<(f64, f64)> {
    let rest = uri.trim().strip_prefix("geo:")?;
    let coords = rest.split(';').next()?;
    let mut parts = coords.split(',');
    let lat: f64 = parts.next()?.trim().parse().ok()?;
    let lon: f64 = parts.next()?.trim().parse().ok()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// Removes the quoted fallback older clients put before a reply ("> <@x> …" lines).
fn strip_reply_fallback(body: &str) -> &str {
    if !body.starts_with("> ") {
        return body;
    }
    match body.find("\n\n") {
        Some(i) if body[..i].lines().all(|l| l.starts_with('>')) => &body[i + 2..],
        _ => body,
    }
}

/// What a message content says, and the position it shares if any.
fn said(content: &Value) -> Option<(String, Option<(f64, f64)>)> {
    let body = content["body"].as_str().unwrap_or("");
    let body: String = if body.len() > MAX_BODY {
        let mut end = MAX_BODY;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body[..end].to_owned()
    } else {
        body.to_owned()
    };
    match content["msgtype"].as_str().unwrap_or("") {
        "m.location" => {
            let geo = content["geo_uri"].as_str().and_then(parse_geo_uri);
            Some(("📍".to_owned(), geo))
        }
        // The photo travels with its caption (or alone, "📷"); other files are named.
        "m.image" => Some((super::media::caption(content).unwrap_or("📷").to_owned(), None)),
        // A document or a video travels too, with its caption or named.
        "m.file" | "m.video" => Some((
            match super::media::caption(content) {
                Some(c) => c.to_owned(),
                None => format!("📎 {}", content["filename"].as_str().unwrap_or(&body)),
            },
            None,
        )),
        "m.audio" => Some((format!("📎 {body}"), None)),
        _ if body.trim().is_empty() => None,
        _ => Some((body, None)),
    }
}

impl Matrix {
    /// Handles one event of a joined room. Errors are for what is worth retrying.
    pub(super) async fn handle_event(&self, core: &Core, room: &str, ev: &Value) -> anyhow::Result<()> {
        let sender = ev["sender"].as_str().unwrap_or("");
        let event_id = ev["event_id"].as_str().unwrap_or("");
        match ev["type"].as_str().unwrap_or("") {
            "m.room.member" if ev["state_key"] == self.user_id() => {
                match ev["content"]["membership"].as_str() {
                    Some("leave" | "ban") => {
                        info!(room, "the bot left or was removed from the room");
                        let failed = chats::mark_gone(
                            &core.pool,
                            ChannelKind::Matrix,
                            room,
                            "the bot left or was removed from the room",
                        )
                        .await?;
                        core.copies_failed(&failed, FailureCause::Gone).await?;
                    }
                    Some("join") => chats::clear_gone(&core.pool, ChannelKind::Matrix, room).await?,
                    _ => {}
                }
                Ok(())
            }
            // Never relay the bridge's own words back.
            _ if sender == self.user_id() || sender.is_empty() || event_id.is_empty() => Ok(()),
            "m.room.redaction" => {
                let target = ev["content"]["redacts"].as_str().or_else(|| ev["redacts"].as_str());
                if let Some(target) = target {
                    core.delete(ChannelKind::Matrix, room, target).await?;
                }
                Ok(())
            }
            "m.room.message" => self.on_message(core, room, sender, event_id, ev).await,
            // 👍 / 👎 on the bot's question about an unsure reading answers it.
            "m.reaction" => {
                let relates = &ev["content"]["m.relates_to"];
                if let (Some("m.annotation"), Some(on), Some(key)) = (
                    relates["rel_type"].as_str(),
                    relates["event_id"].as_str(),
                    relates["key"].as_str(),
                ) && let Some(a) = core.answer_reaction(ChannelKind::Matrix, room, on, sender, key).await?
                {
                    debug!(room, answer = %a.text, "question answered by a reaction");
                }
                Ok(())
            }
            other => {
                debug!(room, kind = other, "event not used: skipped");
                Ok(())
            }
        }
    }

    async fn on_message(
        &self,
        core: &Core,
        room: &str,
        sender: &str,
        event_id: &str,
        ev: &Value,
    ) -> anyhow::Result<()> {
        let content = &ev["content"];
        let relates = &content["m.relates_to"];
        if relates["rel_type"] == "m.replace" {
            let (Some(target), Some((text, _))) = (relates["event_id"].as_str(), said(&content["m.new_content"]))
            else {
                return Ok(());
            };
            let edit = Edit {
                channel: ChannelKind::Matrix,
                chat: room.to_owned(),
                native_id: target.to_owned(),
                edit_key: event_id.to_owned(),
                text,
                edited_at: time(ev),
            };
            core.edit(&edit).await?;
            return Ok(());
        }
        let Some((text, location)) = said(content) else {
            debug!(room, event_id, "message without text: skipped");
            return Ok(());
        };
        let reply_to = relates["m.in_reply_to"]["event_id"].as_str().map(str::to_owned);
        let text = if reply_to.is_some() {
            strip_reply_fallback(&text).to_owned()
        } else {
            text
        };
        let direct = chats::is_direct(&core.pool, ChannelKind::Matrix, room).await?;
        let cmd = Command::parse(&text, ChannelKind::Matrix);
        let sender_is_admin = if !direct && cmd.as_ref().is_some_and(Command::is_room_command) {
            self.is_room_admin(room, sender).await?
        } else {
            false
        };
        // Files said in a direct chat stay there (nothing is relayed from it).
        // Images, documents and videos travel (the core decides what it takes in); sounds are
        // named only.
        let msgtype = content["msgtype"].as_str().unwrap_or_default();
        let carries_file = matches!(msgtype, "m.image" | "m.file" | "m.video");
        let (media, media_refused) = if carries_file && !direct && cmd.is_none() {
            self.take_file(core, sender, content).await?
        } else {
            (None, None)
        };
        let is_image = msgtype == "m.image"
            || content["info"]["mimetype"]
                .as_str()
                .is_some_and(|m| m.starts_with("image/"));
        let refused_file = media_refused.is_some() && !is_image;
        let inbound = Inbound {
            channel: ChannelKind::Matrix,
            chat: room.to_owned(),
            native_id: event_id.to_owned(),
            sender: sender.to_owned(),
            sender_name: self.display_name(room, sender).await,
            text,
            sent_at: time(ev),
            reply_to,
            direct,
            location,
            sender_is_admin,
            // Matrix events carry no language: French until the member says /langue.
            lang_hint: None,
            subject: None,
            media,
            media_refused,
            refused_file,
            // Matrix has one file per event: no albums.
            album: None,
            more_media: Vec::new(),
        };
        core.ingest(&inbound).await?;
        Ok(())
    }

    /// The sender's display name in the room (their user id's local part if none).
    pub(super) async fn display_name(&self, room: &str, user: &str) -> String {
        let fallback = || {
            user.trim_start_matches('@')
                .split(':')
                .next()
                .unwrap_or(user)
                .to_owned()
        };
        let Some(client) = self.ready() else {
            return fallback();
        };
        let (Ok(room_id), Ok(user_id)) = (
            matrix_sdk::ruma::OwnedRoomId::try_from(room),
            matrix_sdk::ruma::OwnedUserId::try_from(user),
        ) else {
            return fallback();
        };
        match client.get_room(&room_id) {
            Some(r) => match r.get_member_no_sync(&user_id).await {
                Ok(Some(m)) => m.display_name().map(str::to_owned).unwrap_or_else(fallback),
                _ => fallback(),
            },
            None => fallback(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_geo_uris() {
        assert_eq!(parse_geo_uri("geo:48.64,-2.01;u=10"), Some((48.64, -2.01)));
        assert_eq!(parse_geo_uri("geo:48.64,-2.01"), Some((48.64, -2.01)));
        assert_eq!(parse_geo_uri("geo:200,0"), None);
        assert_eq!(parse_geo_uri("http://x"), None);
    }

    #[test]
    fn strips_old_reply_fallbacks_only() {
        assert_eq!(strip_reply_fallback("> <@a:b> bonjour\n\nmerci !"), "merci !");
        assert_eq!(strip_reply_fallback("> citation seule"), "> citation seule");
        assert_eq!(strip_reply_fallback("merci"), "merci");
    }

    #[test]
    fn reads_message_kinds() {
        let (t, loc) =
            said(&serde_json::json!({"msgtype": "m.location", "body": "ici", "geo_uri": "geo:1,2"})).unwrap();
        assert_eq!((t.as_str(), loc), ("📍", Some((1.0, 2.0))));
        assert_eq!(said(&serde_json::json!({"msgtype": "m.text", "body": "  "})), None);
        assert_eq!(said(&serde_json::json!({"body": 5})), None);
        let big = "é".repeat(40_000);
        let (t, _) = said(&serde_json::json!({"msgtype": "m.text", "body": big})).unwrap();
        assert!(t.len() <= MAX_BODY);
    }
}
