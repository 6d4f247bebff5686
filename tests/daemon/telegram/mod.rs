//! The Telegram adapter through HTTP against a fake Bot API server (tests/peers/botapi.rs)
//! that speaks the real JSON, validates like Telegram and can fail on demand.

mod daemon;
mod faults;
mod input;
mod onboarding;
mod relay;
mod rooms;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use voisinage::channels::telegram::{Poller, Telegram};
use voisinage::config::{TelegramMode, TelegramSettings};
use voisinage::core::Channel;
use voisinage::core::Core;
use voisinage::core::model::ChannelKind;
use voisinage::core::outbox::Outbox;

use crate::botapi::FakeBotApi;
use crate::helpers::{Recorder, TestDb, core, drain, outbox};

pub const TOKEN: &str = "123456:TEST-token_for-the-fake";
/// The group of Saint-Servan, its administrator and a neighbour.
pub const GROUP: i64 = -1001;
pub const ADMIN: i64 = 11;
pub const PAUL: i64 = 12;
/// The console room of the same area (stands for the area's other channels).
pub const CONSOLE_ROOM: &str = "console:saint-servan";

pub fn settings(fake: &FakeBotApi) -> TelegramSettings {
    TelegramSettings {
        enabled: true,
        token: Some(SecretString::from(TOKEN.to_owned())),
        api_url: fake.base_url(),
        mode: TelegramMode::Polling,
        poll_timeout_secs: 0,
        webhook_url: None,
        webhook_secret: None,
        // The limits have their own unit tests; here they would only slow things down.
        chat_interval_ms: 0,
        group_per_minute: 100_000,
        global_per_second: 100_000,
    }
}

/// A fake Telegram, a test database, the adapter, a console room and the outbox over both.
pub struct World {
    pub fake: FakeBotApi,
    pub db: TestDb,
    pub core: Arc<Core>,
    pub tg: Arc<Telegram>,
    pub console: Arc<Recorder>,
    /// Confirmation mails and other email the bot sends.
    pub email: Arc<Recorder>,
    pub outbox: Outbox,
    pub poller: Poller,
}

impl World {
    pub async fn new() -> World {
        World::with(|_, _| {}).await
    }

    /// A world whose adapter settings and core are adjusted first.
    pub async fn with(adjust: impl FnOnce(&mut TelegramSettings, &mut Core)) -> World {
        let fake = FakeBotApi::start(TOKEN).await;
        let db = TestDb::new().await;
        let mut core = core(&db.pool);
        let mut s = settings(&fake);
        adjust(&mut s, Arc::get_mut(&mut core).expect("a new core"));
        let tg = Telegram::new(&s).unwrap();
        core.admins.register(tg.clone());
        let console = Recorder::new(ChannelKind::Console);
        let email = Recorder::new(ChannelKind::Email);
        let channels: Vec<Arc<dyn Channel>> = vec![tg.clone(), console.clone(), email.clone()];
        let outbox = outbox(&db.pool, channels);
        let poller = Poller::new(tg.clone(), core.clone());
        World {
            fake,
            db,
            core,
            tg,
            console,
            email,
            outbox,
            poller,
        }
    }

    /// The group exists with its administrator and Paul, the bot is an administrator, the
    /// administrator linked it to Saint-Servan, and the area has a console room too.
    pub async fn linked(mut self) -> World {
        self.fake.add_chat(GROUP, "supergroup", "Voisins de Saint-Servan");
        self.fake.set_member(GROUP, ADMIN, "Anne", "administrator");
        self.fake.set_member(GROUP, PAUL, "Paul", "member");
        self.fake.set_bot_status(GROUP, "administrator");
        voisinage::store::link_room(&self.db.pool, ChannelKind::Console, CONSOLE_ROOM, "saint-servan")
            .await
            .unwrap();
        self.fake.user_message(GROUP, ADMIN, "Anne", "/relier saint-servan");
        self.poll().await;
        self.drain().await;
        self
    }

    /// Handles what Telegram has for the bot now.
    pub async fn poll(&mut self) -> usize {
        self.poller.poll_once(0).await.unwrap().handled
    }

    pub async fn drain(&self) {
        drain(&self.db.pool, &self.outbox, Duration::from_secs(30)).await;
    }

    /// The texts the bot sent to a chat, in order.
    pub fn bot_texts(&self, chat: i64) -> Vec<String> {
        self.fake.bot_sent(chat).into_iter().map(|m| m.text).collect()
    }

    pub async fn finish(mut self) {
        self.poller.release().await;
        self.db.finish().await;
    }
}
