//! Edits and deletions of a neighbour's message reach every copy the bridge made of it. A copy
//! still waiting in the outbox is changed (or cancelled) in place; a copy already sent gets an
//! edit (or a deletion) queued behind it, so it reaches the copy in order.

use tracing::instrument;

use super::Core;
use super::model::{Address, ChannelKind, Edit, Op, OutKind, Outgoing};
use crate::i18n::Lang;
use crate::store::deliveries::{self, NewDelivery};
use crate::store::{Tx, messages};

/// What an edit or a deletion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// No such message stored (said before the bot was there, or in no chat it knows).
    Unknown,
    /// Already applied: a redelivery.
    Duplicate,
    /// Applied: `queued` edits or deletions were queued for copies already sent.
    Applied { queued: u64 },
}

impl Core {
    /// Applies an edit made on its channel: the message's body changes (the previous one is
    /// kept) and every copy follows.
    #[instrument(skip_all, fields(channel = %e.channel, chat = %e.chat, native_id = %e.native_id))]
    pub async fn edit(&self, e: &Edit) -> anyhow::Result<Changed> {
        let e = &*e.storable();
        let mut tx = self.pool.begin().await?;
        let Some(found) = messages::lock_for_edit(&mut tx, e.channel, &e.chat, &e.native_id).await? else {
            return Ok(Changed::Unknown);
        };
        let (message_id, previous) = (found.id, found.body);
        // Copies are in the area's language (the words around the neighbour's text).
        let lang = found.area_slug.as_deref().map_or(Lang::Fr, |a| self.areas.lang(a));
        let Some(edit_id) =
            messages::record_edit(&mut tx, message_id, &e.edit_key, &previous, &e.text, e.edited_at).await?
        else {
            return Ok(Changed::Duplicate);
        };
        if previous == e.text {
            tx.commit().await?;
            return Ok(Changed::Applied { queued: 0 });
        }
        let copies = deliveries::relay_copies(&mut tx, message_id).await?;
        let mut queue = Vec::new();
        for c in copies {
            let mut msg = self.relay_text(e.channel, &found.name, &e.text, lang);
            let old: Option<Outgoing> = serde_json::from_value(c.payload).ok();
            // A photo's copy stays a photo: its caption changes.
            msg.media = old.as_ref().and_then(|o| o.media.clone());
            msg.profile = old.as_ref().and_then(|o| o.profile.clone());
            if c.pending {
                // Not sent yet: send the new text instead.
                let old = old.unwrap_or_else(|| msg.clone());
                msg.reply_to = old.reply_to;
                msg.reply_token = old.reply_token;
                msg.subject = old.subject;
                msg.from_name = old.from_name;
                if deliveries::rewrite_pending(&mut tx, c.id, &msg).await? {
                    continue;
                }
            }
            msg.op = Op::Edit { of: c.id };
            queue.push(NewDelivery {
                to: Address {
                    channel: c.channel,
                    target: c.target,
                },
                msg,
                dedupe_key: format!("edit:{edit_id}:{}", c.id),
                cause: Some(message_id),
            });
        }
        self.commit_queue(tx, &queue)
            .await
            .map(|queued| Changed::Applied { queued })
    }

    /// Applies a deletion made on its channel: the message is marked deleted (its body kept),
    /// its open posts are closed, and every copy is deleted.
    #[instrument(skip_all, fields(channel = %channel, chat = %chat, native_id = %native_id))]
    pub async fn delete(&self, channel: ChannelKind, chat: &str, native_id: &str) -> anyhow::Result<Changed> {
        let mut tx = self.pool.begin().await?;
        let message_id = match messages::mark_deleted(&mut tx, channel, chat, native_id).await? {
            None => return Ok(Changed::Unknown),
            Some((_, false)) => return Ok(Changed::Duplicate),
            Some((id, true)) => id,
        };
        let (queue, _) = self.copies_removal(&mut tx, message_id).await?;
        let queued = self.commit_queue(tx, &queue).await?;
        self.purge_media_once(chrono::Utc::now(), 100).await?;
        Ok(Changed::Applied { queued })
    }

    /// What takes every copy of `message` (and of the photos that joined it) away: a copy still
    /// pending is cancelled in place, a copy sent gets a deletion queued behind it (email copies
    /// cannot be unsent: they stay).
    /// Returns the deletions and the places of every copy taken away.
    pub(super) async fn copies_removal(
        &self,
        tx: &mut Tx<'_>,
        message_id: i64,
    ) -> anyhow::Result<(Vec<NewDelivery>, Vec<Address>)> {
        let mut copies = deliveries::relay_copies(tx, message_id).await?;
        // The copies of the photos that joined it (sent alone right after it, the rest of its
        // album) go with it.
        for joined in crate::store::media::joined_to(tx, message_id).await? {
            copies.extend(deliveries::relay_copies(tx, joined).await?);
        }
        // Its photos go with it (the purge deletes a file once no message carries it).
        self.release_media(tx, &[message_id]).await?;
        self.deletions(tx, message_id, copies).await
    }

    /// Deletes what the bot said about `message_id` where it was said (its acknowledgement, a
    /// question): a moderator's removal takes it too. Returns the deletions to queue.
    pub(super) async fn notices_removal(
        &self,
        tx: &mut Tx<'_>,
        message_id: i64,
        channel: ChannelKind,
        chat: &str,
    ) -> anyhow::Result<Vec<NewDelivery>> {
        let said = deliveries::said_about_in(tx, message_id, channel, chat).await?;
        Ok(self.deletions(tx, message_id, said).await?.0)
    }

    /// Deletions of `copies` (sent ones: queued; pending ones: cancelled in place), and the
    /// places they were in; emails cannot be unsent.
    async fn deletions(
        &self,
        tx: &mut Tx<'_>,
        message_id: i64,
        copies: Vec<deliveries::RelayCopy>,
    ) -> anyhow::Result<(Vec<NewDelivery>, Vec<Address>)> {
        let (mut queue, mut places) = (Vec::new(), Vec::new());
        for c in copies {
            let to = Address {
                channel: c.channel,
                target: c.target,
            };
            if c.pending && deliveries::cancel_pending(tx, c.id, "the message was deleted before it was sent").await? {
                places.push(to);
                continue;
            }
            if to.channel == ChannelKind::Email {
                continue;
            }
            let mut msg = Outgoing::new(OutKind::Relay, "");
            msg.op = Op::Delete { of: c.id };
            places.push(to.clone());
            queue.push(NewDelivery {
                to,
                msg,
                dedupe_key: format!("delete:{message_id}:{}", c.id),
                cause: Some(message_id),
            });
        }
        Ok((queue, places))
    }
}
