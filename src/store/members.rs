//! Members and their identities (one account per channel): the owner of `members` and
//! `identities`.

use super::Tx;
use crate::core::model::ChannelKind;
use crate::i18n::Lang;

/// A member as ingest needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub id: i64,
    pub lang: Lang,
}

/// The member behind `sender`'s account on `channel`, created on first contact with `name`,
/// `lang` (the channel's hint, or French) and `area` (the chat's, if any). A known member
/// without an area gets this one.
pub async fn resolve(
    tx: &mut Tx<'_>,
    channel: ChannelKind,
    sender: &str,
    name: &str,
    lang: Lang,
    area: Option<&str>,
) -> anyhow::Result<Member> {
    let known: Option<(i64, Lang)> = sqlx::query_as(
        "UPDATE members m SET area_slug = coalesce(m.area_slug, $3) FROM identities i
         WHERE i.member_id = m.id AND i.channel = $1 AND i.external_id = $2
         RETURNING m.id, m.lang",
    )
    .bind(channel.as_str())
    .bind(sender)
    .bind(area)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((id, lang)) = known {
        return Ok(Member { id, lang });
    }
    let id: i64 =
        sqlx::query_scalar("INSERT INTO members (display_name, area_slug, lang) VALUES ($1, $2, $3) RETURNING id")
            .bind(name)
            .bind(area)
            .bind(lang.as_str())
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query("INSERT INTO identities (member_id, channel, external_id, display_name) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(channel.as_str())
        .bind(sender)
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(Member { id, lang })
}

/// Changes a member's language (`/langue`).
pub async fn set_lang(tx: &mut Tx<'_>, member: i64, lang: Lang) -> anyhow::Result<()> {
    sqlx::query("UPDATE members SET lang = $2 WHERE id = $1")
        .bind(member)
        .bind(lang)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets the area a member lives in (onboarding).
pub async fn set_area(tx: &mut Tx<'_>, member: i64, area: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE members SET area_slug = $2 WHERE id = $1")
        .bind(member)
        .bind(area)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The area a member lives in, if known.
pub async fn area(tx: &mut Tx<'_>, member: i64) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT area_slug FROM members WHERE id = $1")
        .bind(member)
        .fetch_optional(&mut **tx)
        .await?
        .flatten())
}

/// The member behind `external_id`'s account on `channel`, if known.
pub async fn of_identity(tx: &mut Tx<'_>, channel: ChannelKind, external_id: &str) -> anyhow::Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT member_id FROM identities WHERE channel = $1 AND external_id = $2")
            .bind(channel.as_str())
            .bind(external_id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// A member's language.
pub async fn lang(tx: &mut Tx<'_>, member: i64) -> anyhow::Result<Lang> {
    Ok(sqlx::query_scalar("SELECT lang FROM members WHERE id = $1")
        .bind(member)
        .fetch_one(&mut **tx)
        .await?)
}
