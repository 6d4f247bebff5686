//! The areas' rooms: created once by the bot under their alias (or adopted when the alias
//! exists), and who counts as a room administrator for `!relier`.

use anyhow::Context;
use matrix_sdk::ruma::api::client::alias::get_alias;
use matrix_sdk::ruma::api::client::membership::join_room_by_id_or_alias;
use matrix_sdk::ruma::api::client::room::{Visibility, create_room};
use matrix_sdk::ruma::api::client::state::get_state_events;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedRoomAliasId, OwnedRoomId, OwnedRoomOrAliasId};
use serde_json::{Value, json};
use tracing::info;

use super::Matrix;
use crate::core::Core;
use crate::core::model::ChannelKind;
use crate::i18n::Arg;
use crate::store::{chats, link_room};

impl Matrix {
    /// Makes sure every area has its room, idempotently: a room already linked is kept (and
    /// joined), an existing alias is adopted, otherwise the bot creates the room.
    pub async fn ensure_area_rooms(&self, core: &Core) -> anyhow::Result<()> {
        let client = self.connect().await?;
        for area in core.areas.all() {
            let slug = area.slug.as_str();
            if let Some(room) = chats::room_of_area(&core.pool, ChannelKind::Matrix, slug).await? {
                let id = OwnedRoomOrAliasId::try_from(room.as_str())?;
                if let Err(e) = client.send(join_room_by_id_or_alias::v3::Request::new(id)).await {
                    info!(area = slug, room, error = %e, "cannot rejoin the area's Matrix room");
                }
                continue;
            }
            let alias = OwnedRoomAliasId::try_from(self.alias_of(slug))?;
            let room_id = match client.send(get_alias::v3::Request::new(alias.clone())).await {
                Ok(found) => {
                    let id = OwnedRoomOrAliasId::from(alias.clone());
                    client
                        .send(join_room_by_id_or_alias::v3::Request::new(id))
                        .await
                        .with_context(|| format!("joining the existing room {alias}"))?;
                    info!(area = slug, %alias, room = %found.room_id, "adopted the existing Matrix room");
                    found.room_id
                }
                Err(e) if matches!(e.client_api_error_kind(), Some(ErrorKind::NotFound)) => {
                    self.create_area_room(core, slug, &area.name, &alias).await?
                }
                Err(e) => return Err(anyhow::anyhow!("resolving {alias}: {e}")),
            };
            link_room(&core.pool, ChannelKind::Matrix, room_id.as_str(), slug).await?;
            chats::set_invite_link(
                &core.pool,
                ChannelKind::Matrix,
                room_id.as_str(),
                &format!("https://matrix.to/#/{alias}"),
            )
            .await?;
        }
        Ok(())
    }

    async fn create_area_room(
        &self,
        core: &Core,
        slug: &str,
        name: &str,
        alias: &OwnedRoomAliasId,
    ) -> anyhow::Result<OwnedRoomId> {
        let client = self.connect().await?;
        let t = core.texts;
        let mut req = create_room::v3::Request::new();
        req.room_alias_name = Some(alias.alias().to_owned());
        let lang = core.areas.lang(slug);
        req.name = Some(t.get(lang, "matrix-room-name", &[("area", Arg::from(name))]));
        req.topic = Some(t.get(lang, "matrix-room-topic", &[("area", Arg::from(name))]));
        // Anyone may join through the alias; the room is not published in the directory
        // (many homeservers refuse that to ordinary users). History is visible to members.
        req.preset = Some(create_room::v3::RoomPreset::PublicChat);
        req.visibility = Visibility::Private;
        req.initial_state = vec![Raw::from_json(serde_json::value::to_raw_value(&json!({
            "type": "m.room.history_visibility",
            "state_key": "",
            "content": {"history_visibility": "shared"}
        }))?)];
        match client.send(req).await {
            Ok(r) => {
                info!(area = slug, %alias, room = %r.room_id, "created the area's Matrix room");
                Ok(r.room_id)
            }
            // Another daemon created it a moment ago: adopt it.
            Err(e) if matches!(e.client_api_error_kind(), Some(ErrorKind::RoomInUse)) => {
                let found = client.send(get_alias::v3::Request::new(alias.clone())).await?;
                Ok(found.room_id)
            }
            Err(e) => Err(anyhow::anyhow!("creating the room {alias}: {e}")),
        }
    }

    /// The power of each user of `room` that has one: the power levels' users, and from
    /// room version 12 on the creators (who have no entry: their power is infinite, here
    /// `i64::MAX`); before version 12 a room without power levels gives its creator 100.
    /// Returns the levels and the default level.
    async fn powers(&self, room: &str) -> anyhow::Result<(Vec<(String, i64)>, i64)> {
        let client = self.connect().await?;
        let room_id = OwnedRoomId::try_from(room)?;
        let state = client.send(get_state_events::v3::Request::new(room_id)).await?;
        let events: Vec<Value> = state
            .room_state
            .iter()
            .filter_map(|raw| serde_json::from_str(raw.json().get()).ok())
            .collect();
        let of_type = |t: &str| events.iter().find(|e| e["type"] == t && e["state_key"] == "");
        let mut levels = Vec::new();
        let pl = of_type("m.room.power_levels");
        if let Some(create) = of_type("m.room.create") {
            let version = create["content"]["room_version"].as_str().unwrap_or("1");
            let privileged_creators = version.parse::<u32>().is_ok_and(|v| v >= 12);
            let creators = std::iter::once(&create["sender"]).chain(
                create["content"]["additional_creators"]
                    .as_array()
                    .into_iter()
                    .flatten(),
            );
            if privileged_creators {
                levels.extend(creators.filter_map(Value::as_str).map(|c| (c.to_owned(), i64::MAX)));
            } else if pl.is_none()
                && let Some(c) = create["sender"].as_str()
            {
                levels.push((c.to_owned(), 100));
            }
        }
        let Some(pl) = pl else {
            return Ok((levels, 0));
        };
        if let Some(users) = pl["content"]["users"].as_object() {
            for (u, l) in users {
                if !levels.iter().any(|(x, _)| x == u) {
                    levels.push((u.clone(), l.as_i64().unwrap_or(0)));
                }
            }
        }
        Ok((levels, pl["content"]["users_default"].as_i64().unwrap_or(0)))
    }

    /// Whether `user` administers `room`: power level 100, or, from room version 12 on, one
    /// of the room's creators (who have no entry in the power levels: their power is infinite).
    pub async fn is_room_admin(&self, room: &str, user: &str) -> anyhow::Result<bool> {
        let (levels, default) = self.powers(room).await?;
        let level = levels.iter().find(|(u, _)| u == user).map_or(default, |(_, l)| *l);
        Ok(level >= 100)
    }

    /// The room's moderators: users with power level 50 or more (the bot excepted).
    pub async fn room_moderators(&self, room: &str) -> anyhow::Result<Vec<String>> {
        let (levels, _) = self.powers(room).await?;
        Ok(levels
            .into_iter()
            .filter(|(u, l)| *l >= 50 && u != self.user_id())
            .map(|(u, _)| u)
            .collect())
    }
}
