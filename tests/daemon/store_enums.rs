//! Enum columns read back as Rust enums: a value the code does not know is an error naming
//! the column and the value, not a row skipped or a default.

use voisinage::core::links::{Request, Rhythm};
use voisinage::core::model::ChannelKind;
use voisinage::i18n::Lang;
use voisinage::store::{chats, subscriptions};

use crate::helpers::TestDb;

#[tokio::test]
async fn an_unknown_channel_in_the_database_is_an_error_naming_it() {
    let db = TestDb::new().await;
    voisinage::store::link_room(&db.pool, ChannelKind::Telegram, "-100", "saint-servan")
        .await
        .unwrap();
    let rooms = chats::rooms_of(&db.pool, "saint-servan").await.unwrap();
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0].channel, ChannelKind::Telegram);

    // Written by hand, or by a newer daemon: `chats.channel` has no CHECK constraint.
    sqlx::query(
        "INSERT INTO chats (channel, external_id, area_slug, kind) VALUES ('fax', '02 99', 'saint-servan', 'room')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let e = format!("{:#}", chats::rooms_of(&db.pool, "saint-servan").await.unwrap_err());
    assert!(e.contains("\"channel\"") && e.contains("\"fax\""), "{e}");
    db.finish().await;
}

#[tokio::test]
async fn a_confirmed_subscription_keeps_its_language_and_rhythm() {
    let db = TestDb::new().await;
    let mut r = Request {
        address: "rose@exemple.fr".to_owned(),
        area: "saint-servan".to_owned(),
        rhythm: Rhythm::Each,
        member: None,
        lang: Lang::En,
        issued: 0,
    };
    let id = subscriptions::confirm(&db.pool, &r).await.unwrap();
    let each = |pool: sqlx::PgPool| async move {
        let mut tx = pool.begin().await.unwrap();
        subscriptions::each_message_subscribers(&mut tx, "saint-servan")
            .await
            .unwrap()
    };
    let subs = each(db.pool.clone()).await;
    assert_eq!(
        subs,
        vec![subscriptions::Subscriber {
            id,
            address: "rose@exemple.fr".to_owned(),
            lang: Lang::En,
        }]
    );
    // Confirming again at another rhythm and in French moves the same subscription.
    r.rhythm = Rhythm::Weekly;
    r.lang = Lang::Fr;
    assert_eq!(subscriptions::confirm(&db.pool, &r).await.unwrap(), id);
    assert!(each(db.pool.clone()).await.is_empty());
    let (rhythm, lang): (Rhythm, Lang) = sqlx::query_as("SELECT rhythm, lang FROM email_subscriptions WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!((rhythm, lang), (Rhythm::Weekly, Lang::Fr));
    db.finish().await;
}
