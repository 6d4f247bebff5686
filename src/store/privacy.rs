//! Export, erasure and retention (issue 14): the owner of `erasure_requests` and `erasures`.
//! Unlike the other store files, the export and the erasure read and change every table that
//! holds something about one person: they are kept together here so that a new table is added
//! to both in one place (the erasure test reads every text column of every table and fails
//! when one is missed).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;

use super::Tx;

/// What replaces erased text.
pub const ERASED: &str = "[effacé]";

/// Records `/oublier` (again: the time is renewed).
pub async fn ask_erasure(tx: &mut Tx<'_>, member: i64, at: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO erasure_requests (member_id, asked_at) VALUES ($1, $2)
         ON CONFLICT (member_id) DO UPDATE SET asked_at = $2",
    )
    .bind(member)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// When `member` last asked to be forgotten, if they did.
pub async fn erasure_asked(tx: &mut Tx<'_>, member: i64) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(
        sqlx::query_scalar("SELECT asked_at FROM erasure_requests WHERE member_id = $1")
            .bind(member)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// Everything held about `member`, across their identities, as one JSON document.
pub async fn export(db: impl PgExecutor<'_>, member: i64) -> anyhow::Result<Value> {
    Ok(sqlx::query_scalar(
        "WITH me AS (SELECT id, display_name, area_slug, lang, created_at FROM members WHERE id = $1),
              ids AS (SELECT channel, external_id, display_name, created_at FROM identities WHERE member_id = $1),
              msgs AS (SELECT id, channel, chat_external_id, native_id, area_slug, body, sent_at, deleted_at
                       FROM messages WHERE member_id = $1),
              places AS (SELECT external_id AS target FROM ids
                         UNION SELECT address FROM email_subscriptions WHERE member_id = $1
                         UNION SELECT c.external_id FROM chats c JOIN messages m ON m.chat_id = c.id
                               WHERE m.member_id = $1 AND c.kind = 'direct')
         SELECT jsonb_build_object(
           'member', (SELECT to_jsonb(me) FROM me),
           'identities', coalesce((SELECT jsonb_agg(to_jsonb(ids)) FROM ids), '[]'),
           'messages', coalesce((SELECT jsonb_agg(to_jsonb(msgs) ORDER BY msgs.id) FROM msgs), '[]'),
           'message_edits', coalesce((SELECT jsonb_agg(jsonb_build_object('message_id', e.message_id,
                 'previous_body', e.previous_body, 'body', e.body, 'edited_at', e.edited_at) ORDER BY e.id)
               FROM message_edits e WHERE e.message_id IN (SELECT id FROM msgs)), '[]'),
           'posts', coalesce((SELECT jsonb_agg(jsonb_build_object('id', p.id, 'area', p.area_slug,
                 'direction', p.direction, 'kind', p.kind, 'mode', p.mode, 'item', p.item, 'category', p.category,
                 'when_from', p.when_from, 'when_to', p.when_to, 'price_cents', p.price_cents,
                 'source_text', p.source_text, 'status', p.status, 'closed_reason', p.closed_reason,
                 'created_at', p.created_at) ORDER BY p.id) FROM posts p WHERE p.member_id = $1), '[]'),
           'subscriptions', coalesce((SELECT jsonb_agg(jsonb_build_object('address', s.address,
                 'area', s.area_slug, 'rhythm', s.rhythm, 'status', s.status, 'lang', s.lang,
                 'confirmed_at', s.confirmed_at) ORDER BY s.id)
               FROM email_subscriptions s WHERE s.member_id = $1
                  OR s.address IN (SELECT external_id FROM ids WHERE channel = 'email')), '[]'),
           'deliveries_to_you', coalesce((SELECT jsonb_agg(jsonb_build_object('channel', d.channel,
                 'to', d.target, 'text', d.payload->>'text', 'status', d.status, 'sent_at', d.sent_at) ORDER BY d.id)
               FROM deliveries d WHERE d.target IN (SELECT target FROM places)
                 AND d.payload->'op' IS NULL AND d.payload->>'text' <> ''), '[]'),
           'moderation', coalesce((SELECT jsonb_agg(jsonb_build_object('area', l.area_slug,
                 'action', l.action, 'by_you', l.actor_id = $1, 'message_id', l.message_id,
                 'at', l.created_at) ORDER BY l.id)
               FROM moderation_log l WHERE l.subject_id = $1 OR l.actor_id = $1), '[]'),
           'bans', coalesce((SELECT jsonb_agg(jsonb_build_object('area', b.area_slug, 'since', b.banned_at))
               FROM bans b WHERE b.member_id = $1), '[]'),
           'pending_subscriptions', coalesce((SELECT jsonb_agg(jsonb_build_object('address', p.address,
                 'area', p.area_slug, 'rhythm', p.rhythm, 'asked_at', p.created_at) ORDER BY p.id)
               FROM pending_subscriptions p WHERE p.member_id = $1), '[]'),
           'held_mails', coalesce((SELECT jsonb_agg(jsonb_build_object('address', h.address,
                 'subject', h.mail->>'subject', 'text', h.mail->>'text', 'reason', h.reason,
                 'held_at', h.held_at, 'status', h.status) ORDER BY h.id)
               FROM held_mails h WHERE h.address IN (SELECT target FROM places)), '[]'),
           'answers_and_corrections', coalesce((SELECT jsonb_agg(jsonb_build_object('message_id', c.message_id,
                 'kind', c.kind, 'text', c.text, 'read_as', c.expect, 'at', c.created_at) ORDER BY c.id)
               FROM corrections c WHERE c.by_member = $1), '[]'),
           'loans', coalesce((SELECT jsonb_agg(jsonb_build_object('id', l.id, 'offer_id', l.offer_id,
                 'role', CASE WHEN l.lender_id = $1 THEN 'lender' ELSE 'borrower' END,
                 'state', l.state, 'due_on', l.due_on, 'started_at', l.started_at, 'ended_at', l.ended_at,
                 'thanked_at', l.thanked_at) ORDER BY l.id)
               FROM loans l WHERE l.lender_id = $1 OR l.borrower_id = $1), '[]'),
           'loan_waiting_lists', coalesce((SELECT jsonb_agg(jsonb_build_object('offer_id', w.offer_id,
                 'since', w.created_at, 'told_at', w.told_at) ORDER BY w.id)
               FROM loan_waiters w WHERE w.member_id = $1), '[]'),
           'poll_votes', coalesce((SELECT jsonb_agg(jsonb_build_object('poll_id', v.poll_id,
                 'commune', p.commune, 'question', p.question,
                 'choices', (SELECT jsonb_agg(p.options[c + 1] ORDER BY c) FROM unnest(v.choices) c),
                 'area', v.area_slug, 'channel', v.channel, 'voted_at', v.voted_at) ORDER BY v.poll_id)
               FROM poll_votes v JOIN polls p ON p.id = v.poll_id WHERE v.member_id = $1), '[]'))",
    )
    .bind(member)
    .fetch_one(db)
    .await?)
}

/// Where `member`'s own messages were said and are copied, before the erasure changes them:
/// (message id, channel, chat, native id, chat kind).
pub async fn messages_of(
    tx: &mut Tx<'_>,
    member: i64,
) -> anyhow::Result<Vec<(i64, crate::core::model::ChannelKind, String, String, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.channel, m.chat_external_id, m.native_id, c.kind FROM messages m
           LEFT JOIN chats c ON c.id = m.chat_id
         WHERE m.member_id = $1 AND m.deleted_at IS NULL ORDER BY m.id",
    )
    .bind(member)
    .fetch_all(&mut **tx)
    .await?)
}

/// What an erasure did, without saying whose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    pub messages: i64,
    pub posts: i64,
    pub identities: i64,
    pub subscriptions: i64,
}

/// Erases `member` (after the copies' deletions were queued): the texts of their messages,
/// edits and posts, what was sent about or to them, their subscriptions, direct chats and
/// identities; the member row stays, anonymous, for the figures.
pub async fn erase(tx: &mut Tx<'_>, member: i64, copies: i64, at: DateTime<Utc>) -> anyhow::Result<Erased> {
    let addresses: Vec<String> = sqlx::query_scalar(
        "SELECT external_id FROM identities WHERE member_id = $1
         UNION SELECT address FROM email_subscriptions WHERE member_id = $1
         UNION SELECT c.external_id FROM chats c JOIN messages m ON m.chat_id = c.id
               WHERE m.member_id = $1 AND c.kind = 'direct'",
    )
    .bind(member)
    .fetch_all(&mut **tx)
    .await?;
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT body FROM messages WHERE member_id = $1 AND erased_at IS NULL")
            .bind(member)
            .fetch_all(&mut **tx)
            .await?;
    erase_sent(tx, member, &addresses).await?;
    erase_traces(tx, &addresses, &bodies).await?;
    let posts = sqlx::query(
        "UPDATE posts SET source_text = $2, item = $2, status = 'closed',
           closed_at = coalesce(closed_at, $3), closed_reason = coalesce(closed_reason, 'erased')
         WHERE member_id = $1",
    )
    .bind(member)
    .bind(ERASED)
    .bind(at)
    .execute(&mut **tx)
    .await?
    .rows_affected() as i64;
    let messages = erase_messages(tx, member, at).await?;
    let (identities, subscriptions) = erase_member(tx, member, &addresses, at).await?;
    let done = Erased {
        messages,
        posts,
        identities,
        subscriptions,
    };
    sqlx::query(
        "INSERT INTO erasures (erased_at, messages, copies, posts, identities, subscriptions)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at)
    .bind(messages as i32)
    .bind(copies as i32)
    .bind(posts as i32)
    .bind(identities as i32)
    .bind(subscriptions as i32)
    .execute(&mut **tx)
    .await?;
    Ok(done)
}

/// What was queued or sent because of their messages, or to them: pending ones are
/// cancelled, and none keeps its text, its address or a ban naming them.
async fn erase_sent(tx: &mut Tx<'_>, member: i64, addresses: &[String]) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE deliveries SET
           status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END,
           last_error = CASE WHEN status IN ('pending', 'sending') THEN 'erased' ELSE NULL END,
           target = CASE WHEN target = ANY($2) THEN 'erased' ELSE target END,
           payload = (payload - 'html' - 'subject' - 'op') || jsonb_build_object('text', $3::text)
         WHERE (cause_message_id IN (SELECT id FROM messages WHERE member_id = $1) AND payload->'op' IS NULL)
            OR target = ANY($2)
            OR payload->'op'->'ban'->>'user' = ANY($2) OR payload->'op'->'unban'->>'user' = ANY($2)",
    )
    .bind(member)
    .bind(addresses)
    .bind(ERASED)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Their words in digests already made, and unreadable updates that carried their address or
/// words.
async fn erase_traces(tx: &mut Tx<'_>, addresses: &[String], bodies: &[String]) -> anyhow::Result<()> {
    let bodies: Vec<String> = bodies.iter().filter(|b| b.chars().count() >= 4).cloned().collect();
    let escaped: Vec<String> = bodies
        .iter()
        .map(|b| b.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
        .collect();
    let found: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT digest_id, lang, body_text, body_html FROM digest_bodies d
         WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) n WHERE strpos(d.body_text, n) > 0 OR strpos(d.body_html, n) > 0)",
    )
    .bind(bodies.iter().chain(&escaped).collect::<Vec<_>>())
    .fetch_all(&mut **tx)
    .await?;
    for (digest, lang, mut text, mut html) in found {
        for (b, e) in bodies.iter().zip(&escaped) {
            text = text.replace(b.as_str(), ERASED);
            html = html.replace(e.as_str(), ERASED).replace(b.as_str(), ERASED);
        }
        sqlx::query("UPDATE digest_bodies SET body_text = $3, body_html = $4 WHERE digest_id = $1 AND lang = $2")
            .bind(digest)
            .bind(lang)
            .bind(text)
            .bind(html)
            .execute(&mut **tx)
            .await?;
    }
    let needles: Vec<&String> = addresses
        .iter()
        .filter(|a| !a.bytes().all(|b| b.is_ascii_digit()))
        .chain(&bodies)
        .collect();
    sqlx::query(
        "DELETE FROM dead_letters d WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) n WHERE strpos(d.raw, n) > 0)",
    )
    .bind(&needles)
    .execute(&mut **tx)
    .await?;
    // Encrypted events of theirs still waiting for a key are theirs too.
    sqlx::query("DELETE FROM matrix_undecrypted WHERE sender = ANY($1)")
        .bind(&needles)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Their messages and edits lose their text; those said in a direct chat lose the chat.
async fn erase_messages(tx: &mut Tx<'_>, member: i64, at: DateTime<Utc>) -> anyhow::Result<i64> {
    sqlx::query(
        "UPDATE message_edits SET previous_body = $2, body = $2
         WHERE message_id IN (SELECT id FROM messages WHERE member_id = $1)",
    )
    .bind(member)
    .bind(ERASED)
    .execute(&mut **tx)
    .await?;
    let direct: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT c.id FROM chats c JOIN messages m ON m.chat_id = c.id WHERE m.member_id = $1 AND c.kind = 'direct'",
    )
    .bind(member)
    .fetch_all(&mut **tx)
    .await?;
    let n = sqlx::query(
        "UPDATE messages SET body = $2, erased_at = coalesce(erased_at, $3), deleted_at = coalesce(deleted_at, $3),
           chat_id = CASE WHEN chat_id = ANY($4) THEN NULL ELSE chat_id END,
           chat_external_id = CASE WHEN chat_id = ANY($4) THEN 'erased:' || id ELSE chat_external_id END
         WHERE member_id = $1",
    )
    .bind(member)
    .bind(ERASED)
    .bind(at)
    .bind(&direct)
    .execute(&mut **tx)
    .await?
    .rows_affected() as i64;
    sqlx::query(
        "DELETE FROM chats WHERE id = ANY($1) AND NOT EXISTS (SELECT 1 FROM messages WHERE chat_id = chats.id)",
    )
    .bind(&direct)
    .execute(&mut **tx)
    .await?;
    Ok(n)
}

/// Subscriptions and identities go; the member row stays without a name.
async fn erase_member(
    tx: &mut Tx<'_>,
    member: i64,
    addresses: &[String],
    at: DateTime<Utc>,
) -> anyhow::Result<(i64, i64)> {
    let subscriptions = sqlx::query("DELETE FROM email_subscriptions WHERE member_id = $1 OR address = ANY($2)")
        .bind(member)
        .bind(addresses)
        .execute(&mut **tx)
        .await?
        .rows_affected() as i64;
    let identities = sqlx::query("DELETE FROM identities WHERE member_id = $1")
        .bind(member)
        .execute(&mut **tx)
        .await?
        .rows_affected() as i64;
    // What else names them: unconfirmed subscriptions, mails held under their address, and
    // their answers and corrections kept as labelled examples (texts).
    sqlx::query("DELETE FROM pending_subscriptions WHERE member_id = $1 OR address = ANY($2)")
        .bind(member)
        .bind(addresses)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM held_mails WHERE address = ANY($1)")
        .bind(addresses)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "DELETE FROM corrections WHERE by_member = $1 OR message_id IN (SELECT id FROM messages WHERE member_id = $1)",
    )
    .bind(member)
    .execute(&mut **tx)
    .await?;
    // Loans stay (the lender's count of thanks, the area's figures), nameless with the member;
    // an erased member waits for nothing.
    sqlx::query("DELETE FROM loan_waiters WHERE member_id = $1")
        .bind(member)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM erasure_requests WHERE member_id = $1")
        .bind(member)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE members SET display_name = $2, erased_at = $3 WHERE id = $1")
        .bind(member)
        .bind(ERASED)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok((identities, subscriptions))
}

/// Retention: up to `limit` messages sent before `before` lose their text (with their edits,
/// their posts' source text and the text of their copies); figures stay. Returns how many.
pub async fn expire_texts(
    tx: &mut Tx<'_>,
    before: DateTime<Utc>,
    at: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<u64> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE erased_at IS NULL AND sent_at < $1 ORDER BY sent_at LIMIT $2
         FOR UPDATE SKIP LOCKED",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    sqlx::query("UPDATE messages SET body = $2, erased_at = $3 WHERE id = ANY($1)")
        .bind(&ids)
        .bind(ERASED)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE message_edits SET previous_body = $2, body = $2 WHERE message_id = ANY($1)")
        .bind(&ids)
        .bind(ERASED)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE posts SET source_text = $2 WHERE message_id = ANY($1)")
        .bind(&ids)
        .bind(ERASED)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE deliveries SET payload = (payload - 'html') || jsonb_build_object('text', $2::text)
         WHERE cause_message_id = ANY($1) AND status IN ('sent', 'failed') AND payload->'op' IS NULL
           AND payload->>'kind' = 'relay'",
    )
    .bind(&ids)
    .bind(ERASED)
    .execute(&mut **tx)
    .await?;
    // The labelled examples made from them hold their text too.
    sqlx::query("DELETE FROM corrections WHERE message_id = ANY($1)")
        .bind(&ids)
        .execute(&mut **tx)
        .await?;
    // And their photos go (the purge deletes the files no other message carries).
    super::media::release(tx, &ids).await?;
    Ok(ids.len() as u64)
}
