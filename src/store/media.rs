//! The `media`, `message_media` and `media_remote` tables: what each stored file is, which
//! messages carry it, and what channels already hold of it. The bytes themselves are in the
//! media store (`media::Blobs`), keyed by the same hash.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::Tx;
use crate::core::model::{ChannelKind, Media};

/// Records `m` (taken in again: no longer released). Called before its bytes are written: a
/// purge of the same hash holds the row lock until its file is gone, so this waits for it and
/// the bytes written next are not deleted under it.
pub async fn insert(pool: &PgPool, m: &Media) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO media (hash, mime, size, width, height, thumb_hash, thumb_width, thumb_height)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (hash) DO UPDATE SET released_at = NULL, created_at = now()",
    )
    .bind(&m.hash)
    .bind(&m.mime)
    .bind(m.size)
    .bind(m.width)
    .bind(m.height)
    .bind(&m.thumb_hash)
    .bind(m.thumb_width)
    .bind(m.thumb_height)
    .execute(pool)
    .await?;
    Ok(())
}

/// Message `message_id` carries `hash` (at `position`, for albums).
pub async fn attach(tx: &mut Tx<'_>, message_id: i64, position: i32, hash: &str) -> anyhow::Result<()> {
    sqlx::query(
        "WITH revived AS (UPDATE media SET released_at = NULL WHERE hash = $3 RETURNING hash)
         INSERT INTO message_media (message_id, position, hash) SELECT $1, $2, hash FROM revived
         ON CONFLICT DO NOTHING",
    )
    .bind(message_id)
    .bind(position)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The first file message `message_id` carries.
pub async fn of_message(pool: &PgPool, message_id: i64) -> anyhow::Result<Option<Media>> {
    Ok(sqlx::query_as(
        "SELECT hash, mime, size, width, height, thumb_hash, thumb_width, thumb_height FROM media
          WHERE hash = (SELECT hash FROM message_media WHERE message_id = $1 ORDER BY position LIMIT 1)",
    )
    .bind(message_id)
    .fetch_optional(pool)
    .await?)
}

/// The file stored under `hash`, if it is (still) there and some message still carries it.
pub async fn get(pool: &PgPool, hash: &str) -> anyhow::Result<Option<Media>> {
    Ok(sqlx::query_as(
        "SELECT hash, mime, size, width, height, thumb_hash, thumb_width, thumb_height FROM media
          WHERE hash = $1 AND released_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(pool)
    .await?)
}

/// How many files the account `sender` of `channel` sent since `since` (the daily limit).
pub async fn sent_since(
    pool: &PgPool,
    channel: ChannelKind,
    sender: &str,
    since: DateTime<Utc>,
) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM message_media mm
           JOIN messages m ON m.id = mm.message_id
           JOIN identities i ON i.member_id = m.member_id
          WHERE i.channel = $1 AND i.external_id = $2 AND m.received_at >= $3",
    )
    .bind(channel.as_str())
    .bind(sender)
    .bind(since)
    .fetch_one(pool)
    .await?)
}

/// The messages `message_ids` no longer carry their files (deleted, removed by a moderator,
/// erased, past retention), nor the messages their lone photos joined; a file no other message
/// carries is marked released, for [`purge`]. Returns how many files were released.
pub async fn release(tx: &mut Tx<'_>, message_ids: &[i64]) -> anyhow::Result<u64> {
    if message_ids.is_empty() {
        return Ok(0);
    }
    // The NOT EXISTS reads the rows as they were before the DELETE: it skips those going.
    let r = sqlx::query(
        "WITH gone AS (DELETE FROM message_media WHERE message_id = ANY($1) OR via_message = ANY($1)
                       RETURNING hash)
         UPDATE media SET released_at = now()
          WHERE hash IN (SELECT hash FROM gone)
            AND NOT EXISTS (SELECT 1 FROM message_media mm
                             WHERE mm.hash = media.hash AND mm.message_id <> ALL($1)
                               AND (mm.via_message IS NULL OR mm.via_message <> ALL($1)))",
    )
    .bind(message_ids)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected())
}

/// The message a lone photo (message `photo_message`, by `member` in chat `chat` of
/// `channel`, sent at `sent_at`) joins: the author's latest earlier message there, sent at
/// most `window_secs` before, when it is words (or a lone photo that itself joined words:
/// then those words). Returns (message id, native id, body).
pub async fn joinable(
    tx: &mut Tx<'_>,
    channel: ChannelKind,
    chat: &str,
    member: i64,
    photo_message: i64,
    sent_at: DateTime<Utc>,
    window_secs: u32,
) -> anyhow::Result<Option<(i64, String, String)>> {
    Ok(sqlx::query_as(
        "WITH last AS (
           SELECT id, native_id, body FROM messages
            WHERE channel = $1 AND chat_external_id = $2 AND member_id = $3 AND id < $4
              AND sent_at >= $5 - make_interval(secs => $6::double precision) AND sent_at <= $5
            ORDER BY sent_at DESC, id DESC LIMIT 1)
         SELECT m.id, m.native_id, m.body FROM last
           JOIN message_media mm ON mm.via_message = last.id
           JOIN messages m ON m.id = mm.message_id
         UNION ALL
         SELECT id, native_id, body FROM last WHERE btrim(body) <> '📷'
         LIMIT 1",
    )
    .bind(channel.as_str())
    .bind(chat)
    .bind(member)
    .bind(photo_message)
    .bind(sent_at)
    .bind(f64::from(window_secs))
    .fetch_optional(&mut **tx)
    .await?)
}

/// The first message of album `album` in `chat` of `channel`, said before `message`, by the
/// same member: (message id, native id).
pub async fn album_first(
    tx: &mut Tx<'_>,
    channel: ChannelKind,
    chat: &str,
    album: &str,
    member: i64,
    message: i64,
) -> anyhow::Result<Option<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, native_id FROM messages
          WHERE channel = $1 AND chat_external_id = $2 AND media_group = $3 AND member_id = $4 AND id < $5
          ORDER BY id LIMIT 1",
    )
    .bind(channel.as_str())
    .bind(chat)
    .bind(album)
    .bind(member)
    .bind(message)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The messages whose photos joined message `message_id` (sent alone after it, or later parts
/// of its album).
pub async fn joined_to(tx: &mut Tx<'_>, message_id: i64) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT via_message FROM message_media WHERE message_id = $1 AND via_message IS NOT NULL ORDER BY position",
    )
    .bind(message_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// Message `message_id` carries `hash` too, after its other files, because lone photo
/// message `via` joined it.
pub async fn join(tx: &mut Tx<'_>, message_id: i64, via: i64, hash: &str) -> anyhow::Result<()> {
    sqlx::query(
        "WITH revived AS (UPDATE media SET released_at = NULL WHERE hash = $3 RETURNING hash)
         INSERT INTO message_media (message_id, position, hash, via_message)
         SELECT $1, coalesce((SELECT max(position) + 1 FROM message_media WHERE message_id = $1), 0),
                hash, $2 FROM revived
         ON CONFLICT DO NOTHING",
    )
    .bind(message_id)
    .bind(via)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes, in `tx`, up to `limit` rows of files no message carries: released ones, and
/// those taken in before `stale` that no message came to carry (a crash between taking a file
/// and storing its message). Returns the keys whose bytes are to be deleted before `tx`
/// commits (the row locks keep a concurrent take of the same file waiting until then).
pub async fn purge(tx: &mut Tx<'_>, stale: DateTime<Utc>, limit: i64) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "DELETE FROM media WHERE hash IN (
           SELECT hash FROM media m
            WHERE (released_at IS NOT NULL OR created_at < $1)
              AND NOT EXISTS (SELECT 1 FROM message_media mm WHERE mm.hash = m.hash)
            LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING hash, thumb_hash",
    )
    .bind(stale)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .flat_map(|(h, t)| std::iter::once(h).chain(t))
        .collect())
}

/// What `place` (a channel, "matrix", or a part of it, "matrix:thumb") already holds of file
/// `hash` (a Matrix mxc:// URI).
pub async fn remote(pool: &PgPool, hash: &str, place: &str) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT remote FROM media_remote WHERE hash = $1 AND channel = $2")
            .bind(hash)
            .bind(place)
            .fetch_optional(pool)
            .await?,
    )
}

/// Remembers that `place` holds file `hash` as `remote`.
pub async fn set_remote(pool: &PgPool, hash: &str, place: &str, remote: &str) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO media_remote (hash, channel, remote) SELECT $1, $2, $3 WHERE EXISTS
           (SELECT 1 FROM media WHERE hash = $1)
         ON CONFLICT (hash, channel) DO UPDATE SET remote = $3",
    )
    .bind(hash)
    .bind(place)
    .bind(remote)
    .execute(pool)
    .await?;
    Ok(())
}
