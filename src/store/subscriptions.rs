//! Email subscriptions: the owner of `email_subscriptions`.

use super::Tx;
use super::members::lang_from_db;
use crate::i18n::Lang;

/// An active subscriber.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub id: i64,
    pub address: String,
    pub lang: Lang,
}

/// The active subscribers of `area` who want every message, in order.
pub async fn each_message_subscribers(tx: &mut Tx<'_>, area: &str) -> anyhow::Result<Vec<Subscriber>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, address, lang FROM email_subscriptions WHERE area_slug = $1 AND status = 'active' AND rhythm = 'each'
         ORDER BY id",
    )
    .bind(area)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|(id, address, lang)| {
            Ok(Subscriber {
                id,
                address,
                lang: lang_from_db(&lang)?,
            })
        })
        .collect()
}

/// The area of an address's active subscription, if any.
pub async fn active_area(pool: &sqlx::PgPool, address: &str) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT area_slug FROM email_subscriptions WHERE address = $1 AND status = 'active'")
            .bind(address.to_lowercase())
            .fetch_optional(pool)
            .await?,
    )
}
