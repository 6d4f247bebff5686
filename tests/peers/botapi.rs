//! In-process fake of the Telegram Bot API HTTP server.
//!
//! It speaks the real Bot API wire format (`{base}/bot{TOKEN}/{Method}`,
//! `{"ok":true,"result":..}` / `{"ok":false,"error_code":..,"description":..}`)
//! so the daemon's real Telegram client (teloxide) can be pointed at it with
//! `Bot::set_api_url`. Tests build a scenario (chats, members, the bot's own
//! membership), push updates as if users had written, inject faults, and then
//! inspect what the bot did. Every request is validated against Telegram's
//! documented limits so that a bug which real Telegram would reject fails here
//! too.
//!
//! Error descriptions are Telegram's own, so teloxide maps them as it would in
//! production; some of them teloxide does not recognise and reports as
//! `ApiError::Unknown(description)`: "Forbidden: bot was kicked from the group
//! chat" (teloxide's `BotKicked` expects an obsolete "Unauthorized: ..." text),
//! "... or query ID is invalid" (teloxide expects lowercase "id"), the
//! getUpdates-while-webhook 409 and invite-link rights errors. Note also that
//! teloxide sleeps 10 s before returning any 5xx answer, so a `Fault::Status`
//! with a 5xx code costs a teloxide caller 10 s.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::serve::{IncomingStream, Listener};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// The fake bot's `@username`, as returned by `getMe`.
pub const BOT_USERNAME: &str = "VoisinageTestBot";
const BOT_FIRST_NAME: &str = "Voisinage";
/// Telegram's limit on a message text, counted after entity parsing.
pub const MAX_TEXT_LEN: usize = 4096;
/// Telegram's limit on a media caption, counted after entity parsing.
pub const MAX_CAPTION_LEN: usize = 1024;
/// Emoji accepted by `setMessageReaction` (Bot API `ReactionTypeEmoji`); any
/// other emoji is rejected with `REACTION_INVALID`, like real Telegram.
#[rustfmt::skip]
pub const ALLOWED_REACTIONS: &[&str] = &[
    "👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮", "💩",
    "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤‍🔥", "🌚", "🌭", "💯", "🤣", "⚡", "🍌",
    "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻", "👨‍💻", "👀",
    "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅", "🤪", "🗿", "🆒", "💘",
    "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷‍♂", "🤷", "🤷‍♀", "😡",
];
#[rustfmt::skip]
const METHODS: &[&str] = &[
    "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "sendMessage",
    "sendPhoto", "sendDocument", "sendVideo", "sendMediaGroup", "getFile", "editMessageCaption", "editMessageText", "editMessageReplyMarkup", "deleteMessage", "setMessageReaction", "getChatMember",
    "createChatInviteLink", "exportChatInviteLink", "answerCallbackQuery", "getChat",
    "sendChatAction", "setMyCommands", "deleteMyCommands", "getMyCommands",
    "getChatAdministrators", "banChatMember", "unbanChatMember", "sendPoll", "stopPoll",
];
const STATUSES: &[&str] = &["creator", "administrator", "member", "restricted", "left", "kicked"];

/// One request as received by the fake, in arrival order.
#[derive(Clone, Debug)]
pub struct Call {
    /// Canonical method name (`sendMessage`), or the name as sent if unknown.
    pub method: String,
    pub chat_id: Option<i64>,
    /// Query string, form and JSON body merged; form values stay strings.
    pub params: Value,
    /// HTTP status answered; 0 while in flight or when dropped by [`Fault::Drop`].
    pub status: u16,
    pub at: Instant,
}

/// A message of a chat as Telegram would store it.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeMessage {
    pub message_id: i64,
    pub from_bot: bool,
    pub from_id: i64,
    pub from_first_name: String,
    /// Unix time in seconds.
    pub date: i64,
    /// Visible text (or caption): tags removed, entities decoded.
    pub text: String,
    /// Text exactly as sent.
    pub raw_text: String,
    pub parse_mode: Option<String>,
    pub reply_to: Option<i64>,
    pub reply_markup: Option<Value>,
    /// `photo` as sent (URL, file_id or `attach:` name) for photo messages.
    pub photo: Option<String>,
    /// The bytes of the photo, for photos uploaded by the bot (multipart) or given by a test
    /// (`user_photo_file`): what `getFile` and the file download serve.
    pub photo_bytes: Option<Arc<Vec<u8>>>,
    /// A document or a video (sent by a user, or uploaded by the bot with sendDocument /
    /// sendVideo).
    pub file: Option<FakeFile>,
    /// The album (media group) a user's photo is part of.
    pub media_group_id: Option<String>,
    pub location: Option<(f64, f64)>,
    /// `None` until the bot sets a reaction; `Some(vec![])` once removed.
    pub reaction: Option<Vec<String>>,
    pub edit_count: u32,
    pub deleted: bool,
    /// The Bot API `Poll` of a poll the bot sent (`sendPoll`), closed by `stopPoll`.
    pub poll: Option<Value>,
}

/// A document or a video of a message, as Telegram describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeFile {
    /// "document" or "video": the field of the message that holds it.
    pub kind: &'static str,
    pub file_id: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub bytes: Arc<Vec<u8>>,
}

impl FakeMessage {
    fn new(message_id: i64, from_bot: bool, from_id: i64, from_first_name: &str) -> Self {
        FakeMessage {
            message_id,
            from_bot,
            from_id,
            from_first_name: from_first_name.to_owned(),
            date: now_secs(),
            text: String::new(),
            raw_text: String::new(),
            parse_mode: None,
            reply_to: None,
            reply_markup: None,
            photo: None,
            photo_bytes: None,
            file: None,
            media_group_id: None,
            location: None,
            reaction: None,
            edit_count: 0,
            deleted: false,
            poll: None,
        }
    }

    fn set_text(&mut self, text: &str) {
        self.text = text.to_owned();
        self.raw_text = text.to_owned();
    }
}

/// What an injected fault does to a matching request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 "Too Many Requests: retry after S" with `parameters.retry_after`.
    RetryAfter { secs: u32 },
    /// Any error status, e.g. 500 "Internal Server Error" or 502 "Bad Gateway".
    Status { code: u16, description: String },
    /// Answer normally, but only after this delay.
    Delay(Duration),
    /// Close the connection without sending a response.
    Drop,
}

/// A [`Fault`] with its matcher: optional method (case-insensitive) and chat,
/// applied to the next `count` matching requests.
#[derive(Clone, Debug)]
pub struct FaultRule {
    pub method: Option<String>,
    pub chat_id: Option<i64>,
    pub count: usize,
    pub fault: Fault,
}

impl Fault {
    /// Restrict to one method; e.g. `Fault::RetryAfter{secs:3}.on("sendMessage").times(2)`.
    pub fn on(self, method: &str) -> FaultRule {
        FaultRule::from(self).on(method)
    }
    pub fn chat(self, chat_id: i64) -> FaultRule {
        FaultRule::from(self).chat(chat_id)
    }
    pub fn times(self, count: usize) -> FaultRule {
        FaultRule::from(self).times(count)
    }
}

impl FaultRule {
    pub fn on(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }
    pub fn chat(mut self, chat_id: i64) -> Self {
        self.chat_id = Some(chat_id);
        self
    }
    pub fn times(mut self, count: usize) -> Self {
        self.count = count;
        self
    }
}

impl From<Fault> for FaultRule {
    /// A bare fault hits the next request, whatever its method or chat.
    fn from(fault: Fault) -> Self {
        FaultRule {
            method: None,
            chat_id: None,
            count: 1,
            fault,
        }
    }
}

/// Handle on a running fake server; cheap to clone.
#[derive(Clone)]
pub struct FakeBotApi {
    inner: Arc<Inner>,
}

struct Inner {
    token: String,
    bot_id: i64,
    addr: SocketAddr,
    state: Mutex<St>,
    /// Wakes long-polling `getUpdates` when an update is pushed or another
    /// poller arrives.
    wake: Notify,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Private,
    Group,
    Supergroup,
}

struct ChatState {
    kind: Kind,
    name: String,
    bot_status: String,
    /// user id -> (first name, status)
    members: HashMap<i64, (String, String)>,
    messages: Vec<FakeMessage>,
    next_message_id: i64,
}

#[derive(Default)]
struct St {
    chats: HashMap<i64, ChatState>,
    blocked_by: HashSet<i64>,
    /// Pending updates: (slot id used for confirmation, JSON as delivered).
    updates: VecDeque<(i64, Value)>,
    next_update_id: i64,
    offsets: Vec<i64>,
    poll_generation: u64,
    webhook_url: String,
    webhook_secret: Option<String>,
    faults: Vec<FaultRule>,
    calls: Vec<Call>,
    callback_ids: HashSet<String>,
    seq: u64,
    /// Files `getFile` knows: file_id → (file_path, bytes).
    files: HashMap<String, (String, Arc<Vec<u8>>)>,
    /// Files of multipart requests, by their `attach:` name, until the method takes them.
    uploads: HashMap<String, Arc<Vec<u8>>>,
}

/// A Bot API error answer.
struct ApiErr {
    code: u16,
    description: String,
    retry_after: Option<u32>,
}

type ApiResult = Result<Value, ApiErr>;

fn err(code: u16, description: impl Into<String>) -> ApiErr {
    ApiErr {
        code,
        description: description.into(),
        retry_after: None,
    }
}

fn bad(description: &str) -> ApiErr {
    err(400, format!("Bad Request: {description}"))
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl FakeBotApi {
    /// Binds 127.0.0.1 on a free port and serves on a spawned tokio task.
    pub async fn start(token: &str) -> FakeBotApi {
        let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind fake Bot API");
        let addr = tcp.local_addr().expect("local addr");
        // Real bot ids are the numeric prefix of the token.
        let bot_id = token
            .split(':')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(7_000_000_001);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let state = St {
            next_update_id: 700_000 + i64::from(nanos % 100_000),
            ..St::default()
        };
        let api = FakeBotApi {
            inner: Arc::new(Inner {
                token: token.to_owned(),
                bot_id,
                addr,
                state: Mutex::new(state),
                wake: Notify::new(),
            }),
        };
        let app = Router::new()
            .route("/{token}/{method}", any(handle))
            .route("/file/{token}/{*path}", axum::routing::get(download))
            .fallback(|| async { reply(Err(err(404, "Not Found"))) })
            .with_state(api.clone());
        let service = app.into_make_service_with_connect_info::<KillSwitch>();
        tokio::spawn(async move {
            let _ = axum::serve(KillableListener(tcp), service).await;
        });
        api
    }

    /// `http://127.0.0.1:PORT`, to pass to `Bot::set_api_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    pub fn bot_id(&self) -> i64 {
        self.inner.bot_id
    }

    pub fn token(&self) -> &str {
        &self.inner.token
    }

    fn st(&self) -> MutexGuard<'_, St> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---------------------------------------------------------------- scenario

    /// Declares a chat. `kind` is "private" (then `chat_id` is the user id and
    /// the name is the user's first name), "group" or "supergroup". The bot is
    /// a plain member until [`set_bot_status`](Self::set_bot_status).
    pub fn add_chat(&self, chat_id: i64, kind: &str, title_or_first_name: &str) {
        let kind = match kind {
            "private" => Kind::Private,
            "group" => Kind::Group,
            "supergroup" => Kind::Supergroup,
            other => panic!("unknown chat kind {other:?}"),
        };
        let mut st = self.st();
        let chat = st.chats.entry(chat_id).or_insert_with(|| new_chat(kind, ""));
        chat.kind = kind;
        chat.name = title_or_first_name.to_owned();
        if kind == Kind::Private {
            chat.members
                .insert(chat_id, (title_or_first_name.to_owned(), "member".into()));
        }
    }

    /// Sets a user's membership status (creator|administrator|member|restricted|left|kicked).
    pub fn set_member(&self, chat_id: i64, user_id: i64, first_name: &str, status: &str) {
        assert!(STATUSES.contains(&status), "unknown status {status:?}");
        let mut st = self.st();
        let chat = st.chat_or_create(chat_id);
        chat.members.insert(user_id, (first_name.to_owned(), status.to_owned()));
    }

    /// Sets the bot's own status in a chat; "kicked"/"left" make sends fail
    /// with 403, and only "administrator"/"creator" may manage invite links.
    pub fn set_bot_status(&self, chat_id: i64, status: &str) {
        assert!(STATUSES.contains(&status), "unknown status {status:?}");
        self.st().chat_or_create(chat_id).bot_status = status.to_owned();
    }

    /// The user blocked the bot: sends to their private chat get 403.
    /// A member's status in a chat ("member", "administrator", "kicked"…), if known.
    pub fn member_status(&self, chat_id: i64, user_id: i64) -> Option<String> {
        self.st()
            .chats
            .get(&chat_id)?
            .members
            .get(&user_id)
            .map(|(_, s)| s.clone())
    }

    pub fn block_bot(&self, user_id: i64) {
        self.st().blocked_by.insert(user_id);
    }

    pub fn unblock_bot(&self, user_id: i64) {
        self.st().blocked_by.remove(&user_id);
    }

    /// Queues an update, assigning `update_id` when absent; wakes long-pollers.
    pub fn push_update(&self, mut value: Value) -> i64 {
        let id = {
            let mut st = self.st();
            let id = match value.get("update_id").and_then(Value::as_i64) {
                Some(id) => id,
                None => st.next_update_id,
            };
            if let Some(obj) = value.as_object_mut() {
                obj.insert("update_id".into(), json!(id));
            }
            st.next_update_id = st.next_update_id.max(id + 1);
            st.updates.push_back((id, value));
            id
        };
        self.inner.wake.notify_waiters();
        id
    }

    /// Queues a value exactly as given (for malformed-update tests). It still
    /// occupies an update slot so a later offset confirms it; returns that slot.
    pub fn push_raw_update(&self, value: Value) -> i64 {
        let id = {
            let mut st = self.st();
            let id = value
                .get("update_id")
                .and_then(Value::as_i64)
                .unwrap_or(st.next_update_id);
            st.next_update_id = st.next_update_id.max(id + 1);
            st.updates.push_back((id, value));
            id
        };
        self.inner.wake.notify_waiters();
        id
    }

    /// The polls the bot sent to a chat (the Bot API `Poll` objects), in order.
    pub fn polls(&self, chat_id: i64) -> Vec<Value> {
        self.bot_sent(chat_id).into_iter().filter_map(|m| m.poll).collect()
    }

    /// A user answers a poll (`option_ids` empty: takes the vote back), as the `poll_answer`
    /// update of a non-anonymous poll. Telegram sends none for anonymous polls, nor for a
    /// closed one: here too.
    pub fn poll_answer(&self, poll_id: &str, user_id: i64, first_name: &str, option_ids: &[u32]) -> Option<i64> {
        let open = self.st().chats.values().any(|c| {
            c.messages.iter().any(|m| {
                m.poll.as_ref().is_some_and(|p| {
                    p["id"] == poll_id && p["is_closed"] == json!(false) && p["is_anonymous"] == json!(false)
                })
            })
        });
        open.then(|| {
            self.push_update(
                json!({"poll_answer": {"poll_id": poll_id, "user": user_json(user_id, first_name),
                                                    "option_ids": option_ids}}),
            )
        })
    }

    /// A user writes `text` in a chat (created on the fly if unknown: negative
    /// ids become supergroups, positive ones private chats).
    pub fn user_message(&self, chat_id: i64, user_id: i64, first_name: &str, text: &str) -> (i64, i64) {
        self.user_post(chat_id, user_id, first_name, |m| m.set_text(text))
    }

    /// A user replies to `reply_to_message_id`; the update embeds that message.
    pub fn user_reply(&self, chat_id: i64, user_id: i64, name: &str, text: &str, reply_to: i64) -> (i64, i64) {
        self.user_post(chat_id, user_id, name, |m| {
            m.set_text(text);
            m.reply_to = Some(reply_to);
        })
    }

    /// A user shares a location.
    pub fn user_location(&self, chat_id: i64, user_id: i64, first_name: &str, lat: f64, lon: f64) -> (i64, i64) {
        self.user_post(chat_id, user_id, first_name, |m| m.location = Some((lat, lon)))
    }

    /// A user posts a photo (three PhotoSize variants) with a caption ("" for none).
    pub fn user_photo(&self, chat_id: i64, user_id: i64, first_name: &str, caption: &str) -> (i64, i64) {
        self.user_post(chat_id, user_id, first_name, |m| {
            m.set_text(caption);
            m.photo = Some(format!("AgACAgQAAxkBAAI{}x{}", chat_id.unsigned_abs(), m.message_id));
        })
    }

    /// A user posts a photo whose largest size is `bytes` (what `getFile` and the download
    /// serve), with a caption ("" for none).
    pub fn user_photo_file(&self, chat_id: i64, user_id: i64, name: &str, caption: &str, bytes: Vec<u8>) -> (i64, i64) {
        self.user_post(chat_id, user_id, name, |m| {
            m.set_text(caption);
            m.photo = Some(format!("AgACAgQAAxkBAAI{}x{}", chat_id.unsigned_abs(), m.message_id));
            m.photo_bytes = Some(Arc::new(bytes));
        })
    }

    /// A user sends a file as a document (`kind` "document") or a video ("video"), with a
    /// caption ("" for none).
    #[allow(clippy::too_many_arguments)]
    pub fn user_file(
        &self,
        chat_id: i64,
        user_id: i64,
        name: &str,
        kind: &'static str,
        caption: &str,
        (file_name, mime): (&str, &str),
        bytes: Vec<u8>,
    ) -> (i64, i64) {
        self.user_post(chat_id, user_id, name, |m| {
            m.set_text(caption);
            m.file = Some(FakeFile {
                kind,
                file_id: format!("BQACAgQAAxkBAAI{}x{}", chat_id.unsigned_abs(), m.message_id),
                file_name: Some(file_name.to_owned()),
                mime_type: Some(mime.to_owned()),
                bytes: Arc::new(bytes),
            });
        })
    }

    /// The document or video of message `message_id` (as uploaded by the bot).
    pub fn file_of(&self, chat_id: i64, message_id: i64) -> Option<FakeFile> {
        self.read_message(chat_id, message_id, |m| m.file.clone())
    }

    /// Reads message `message_id` of chat `chat_id`, if there is one.
    fn read_message<T>(
        &self,
        chat_id: i64,
        message_id: i64,
        read: impl FnOnce(&FakeMessage) -> Option<T>,
    ) -> Option<T> {
        let st = self.st();
        let m = st
            .chats
            .get(&chat_id)?
            .messages
            .iter()
            .find(|m| m.message_id == message_id)?;
        read(m)
    }

    /// A user posts one photo of an album (`group`, Telegram's media_group_id): each photo of
    /// an album is a message and an update of its own; usually only the first has a caption.
    pub fn user_album_photo(
        &self,
        chat_id: i64,
        user_id: i64,
        name: &str,
        group: &str,
        caption: &str,
        bytes: Vec<u8>,
    ) -> (i64, i64) {
        self.user_post(chat_id, user_id, name, |m| {
            m.set_text(caption);
            m.photo = Some(format!("AgACAgQAAxkBAAI{}x{}", chat_id.unsigned_abs(), m.message_id));
            m.photo_bytes = Some(Arc::new(bytes));
            m.media_group_id = Some(group.to_owned());
        })
    }

    /// The bytes of the photo of message `message_id` (as uploaded by the bot).
    pub fn photo_bytes(&self, chat_id: i64, message_id: i64) -> Option<Vec<u8>> {
        self.read_message(chat_id, message_id, |m| m.photo_bytes.as_ref().map(|b| b.to_vec()))
    }

    /// Stores a new user message (next id of the chat) and queues its update.
    fn user_post(&self, chat_id: i64, user_id: i64, name: &str, fill: impl FnOnce(&mut FakeMessage)) -> (i64, i64) {
        let (message_id, message) = {
            let mut st = self.st();
            let chat = st.chat_or_create(chat_id);
            chat.members
                .entry(user_id)
                .or_insert_with(|| (name.to_owned(), "member".into()));
            let mut m = FakeMessage::new(chat.next_message_id, false, user_id, name);
            chat.next_message_id += 1;
            fill(&mut m);
            let message_id = m.message_id;
            let file = m.photo.clone().zip(m.photo_bytes.clone());
            let document = m.file.clone();
            chat.messages.push(m);
            if let Some((photo, bytes)) = file {
                st.register_file(&photo_file_id(&photo, 2), bytes);
            }
            if let Some(d) = document {
                st.register_file(&d.file_id, d.bytes);
            }
            (
                message_id,
                st.message_json(self.bot_id(), chat_id, message_id)
                    .expect("just stored"),
            )
        };
        (self.push_update(json!({ "message": message })), message_id)
    }

    /// A user edits their message: an `edited_message` update with `edit_date`.
    pub fn user_edit(&self, chat_id: i64, message_id: i64, user_id: i64, first_name: &str, new_text: &str) -> i64 {
        let message = {
            let mut st = self.st();
            let chat = st.chat_or_create(chat_id);
            if !chat.messages.iter().any(|m| m.message_id == message_id) {
                // Unknown to the fake: treat it as an older message of this user.
                chat.messages
                    .push(FakeMessage::new(message_id, false, user_id, first_name));
                chat.next_message_id = chat.next_message_id.max(message_id + 1);
            }
            let m = chat.messages.iter_mut().find(|m| m.message_id == message_id);
            let m = m.expect("present");
            m.set_text(new_text);
            m.edit_count += 1;
            st.message_json(self.bot_id(), chat_id, message_id)
                .expect("just stored")
        };
        self.push_update(json!({ "edited_message": message }))
    }

    /// Someone (`by_user_id`) changed the bot's membership: a `my_chat_member`
    /// update with old and new ChatMember; also updates the bot's status.
    pub fn bot_added(&self, chat_id: i64, by_user_id: i64, new_status: &str) -> i64 {
        assert!(STATUSES.contains(&new_status), "unknown status {new_status:?}");
        let update = {
            let mut st = self.st();
            let bot = bot_user(self.bot_id());
            let chat = st.chat_or_create(chat_id);
            let old_status = std::mem::replace(&mut chat.bot_status, new_status.to_owned());
            let by_name = chat
                .members
                .get(&by_user_id)
                .map_or(format!("User{by_user_id}"), |m| m.0.clone());
            json!({ "my_chat_member": {
                "chat": chat.json(chat_id),
                "from": user_json(by_user_id, &by_name),
                "date": now_secs(),
                "old_chat_member": member_json(bot.clone(), &old_status),
                "new_chat_member": member_json(bot, new_status),
            }})
        };
        self.push_update(update)
    }

    /// A user presses an inline button of `message_id`; the callback id must
    /// then be answered with `answerCallbackQuery` (once).
    pub fn callback(&self, chat_id: i64, user_id: i64, first_name: &str, data: &str, message_id: i64) -> i64 {
        let update = {
            let mut st = self.st();
            st.seq += 1;
            let id = format!("{}{:06}", user_id.unsigned_abs(), st.seq);
            st.callback_ids.insert(id.clone());
            let message = st.message_json(self.bot_id(), chat_id, message_id).unwrap_or_else(|| {
                // Telegram sends an InaccessibleMessage (date 0) for old or deleted messages.
                let chat = st.chat_or_create(chat_id).json(chat_id);
                json!({ "chat": chat, "message_id": message_id, "date": 0 })
            });
            json!({ "callback_query": {
                "id": id,
                "from": user_json(user_id, first_name),
                "message": message,
                "chat_instance": format!("{}", chat_id.unsigned_abs() * 31 + 7),
                "data": data,
            }})
        };
        self.push_update(update)
    }

    /// Injects a fault; accepts a bare [`Fault`] (next request) or a [`FaultRule`].
    pub fn fail(&self, rule: impl Into<FaultRule>) {
        self.st().faults.push(rule.into());
    }

    // -------------------------------------------------------------- inspection

    pub fn calls(&self) -> Vec<Call> {
        self.st().calls.clone()
    }

    /// Calls of one method (case-insensitive).
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.st()
            .calls
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .cloned()
            .collect()
    }

    /// Live (not deleted) messages of the chat, users' and bot's, in order.
    pub fn chat_messages(&self, chat_id: i64) -> Vec<FakeMessage> {
        let st = self.st();
        let msgs = st
            .chats
            .get(&chat_id)
            .map(|c| c.messages.as_slice())
            .unwrap_or_default();
        msgs.iter().filter(|m| !m.deleted).cloned().collect()
    }

    /// Every message of the chat including deleted ones.
    pub fn all_chat_messages(&self, chat_id: i64) -> Vec<FakeMessage> {
        self.st()
            .chats
            .get(&chat_id)
            .map(|c| c.messages.clone())
            .unwrap_or_default()
    }

    pub fn deleted_ids(&self, chat_id: i64) -> Vec<i64> {
        self.all_chat_messages(chat_id)
            .into_iter()
            .filter(|m| m.deleted)
            .map(|m| m.message_id)
            .collect()
    }

    /// The bot's live messages in the chat.
    pub fn bot_sent(&self, chat_id: i64) -> Vec<FakeMessage> {
        self.chat_messages(chat_id).into_iter().filter(|m| m.from_bot).collect()
    }

    /// Every `offset` passed to `getUpdates`, in order.
    pub fn get_updates_offsets(&self) -> Vec<i64> {
        self.st().offsets.clone()
    }

    /// Updates not yet confirmed by an offset.
    pub fn pending_updates(&self) -> usize {
        self.st().updates.len()
    }

    /// `(url, secret_token)` of the current webhook; url is "" when none.
    pub fn webhook(&self) -> (String, Option<String>) {
        let st = self.st();
        (st.webhook_url.clone(), st.webhook_secret.clone())
    }

    /// Polls `f` every 10 ms until it holds or `timeout` elapses.
    pub async fn wait_until(&self, timeout: Duration, mut f: impl FnMut(&FakeBotApi) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if f(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    // ---------------------------------------------------------------- methods

    /// `getUpdates`: confirms (forgets) updates below `offset`, then returns up
    /// to `limit` pending updates, long-polling up to `timeout` seconds. A newer
    /// `getUpdates` terminates an older pending one with 409, and an active
    /// webhook forbids polling, as on Telegram.
    async fn get_updates(&self, p: &Value) -> ApiResult {
        let limit = param_i64(p, "limit").unwrap_or(100).clamp(1, 100) as usize;
        let timeout = Duration::from_secs(param_i64(p, "timeout").unwrap_or(0).clamp(0, 3600) as u64);
        let generation = {
            let mut st = self.st();
            if !st.webhook_url.is_empty() {
                return Err(err(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                ));
            }
            if let Some(offset) = param_i64(p, "offset") {
                st.offsets.push(offset);
                if offset < 0 {
                    let keep = offset.unsigned_abs() as usize;
                    while st.updates.len() > keep {
                        st.updates.pop_front();
                    }
                } else {
                    st.updates.retain(|(id, _)| *id >= offset);
                }
            }
            st.poll_generation += 1;
            st.poll_generation
        };
        self.inner.wake.notify_waiters();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let st = self.st();
                if st.poll_generation != generation {
                    return Err(err(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    ));
                }
                if !st.updates.is_empty() || tokio::time::Instant::now() >= deadline {
                    return Ok(st.updates.iter().take(limit).map(|(_, u)| u.clone()).collect());
                }
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    fn dispatch_sync(&self, method: &str, p: &Value) -> ApiResult {
        let bot_id = self.bot_id();
        let mut st = self.st();
        match method {
            "getMe" => Ok(json!({
                "id": bot_id, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME,
                "can_join_groups": true, "can_read_all_group_messages": false,
                "supports_inline_queries": false, "can_connect_to_business": false,
                "has_main_web_app": false,
            })),
            "setWebhook" => {
                st.webhook_url = param_str(p, "url").unwrap_or_default();
                st.webhook_secret = param_str(p, "secret_token");
                if param_bool(p, "drop_pending_updates") {
                    st.updates.clear();
                }
                Ok(json!(true))
            }
            "deleteWebhook" => {
                st.webhook_url.clear();
                st.webhook_secret = None;
                if param_bool(p, "drop_pending_updates") {
                    st.updates.clear();
                }
                Ok(json!(true))
            }
            "getWebhookInfo" => Ok(json!({
                "url": st.webhook_url, "has_custom_certificate": false,
                "pending_update_count": st.updates.len(),
            })),
            "sendMessage" | "sendPhoto" => st.send(bot_id, method == "sendPhoto", p),
            "sendDocument" => st.send_file(bot_id, "document", p),
            "sendVideo" => st.send_file(bot_id, "video", p),
            "sendMediaGroup" => st.send_media_group(bot_id, p),
            "sendPoll" => st.send_poll(bot_id, p),
            "stopPoll" => st.stop_poll(p),
            "editMessageText" => st.edit_text(bot_id, p),
            "editMessageCaption" => st.edit_caption(bot_id, p),
            "getFile" => st.get_file(p),
            "editMessageReplyMarkup" => {
                let chat_id = st.known_chat(p)?;
                let markup = param_json(p, "reply_markup");
                let chat = st.chats.get_mut(&chat_id).expect("known");
                let m = chat
                    .live_message(param_i64(p, "message_id"))
                    .ok_or_else(|| bad("message to edit not found"))?;
                if !m.from_bot {
                    return Err(bad("message can't be edited"));
                }
                if m.reply_markup == markup {
                    return Err(bad(
                        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
                    ));
                }
                m.reply_markup = markup;
                m.edit_count += 1;
                let id = m.message_id;
                Ok(st.message_json(bot_id, chat_id, id).expect("just edited"))
            }
            "deleteMessage" => {
                let (chat_id, message_id) = (st.known_chat(p)?, param_i64(p, "message_id"));
                let chat = st.chats.get_mut(&chat_id).expect("known");
                let admin = matches!(chat.bot_status.as_str(), "administrator" | "creator");
                let kind = chat.kind;
                let m = chat
                    .live_message(message_id)
                    .ok_or_else(|| bad("message to delete not found"))?;
                if !m.from_bot && kind != Kind::Private && !admin {
                    return Err(bad("message can't be deleted"));
                }
                m.deleted = true;
                Ok(json!(true))
            }
            "setMessageReaction" => {
                let chat_id = st.known_chat(p)?;
                let mut emoji = Vec::new();
                for r in param_json(p, "reaction")
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default()
                {
                    match (r["type"].as_str(), r["emoji"].as_str(), r["custom_emoji_id"].as_str()) {
                        (Some("emoji"), Some(e), _) if ALLOWED_REACTIONS.contains(&e) => emoji.push(e.to_owned()),
                        (Some("custom_emoji"), _, Some(id)) => emoji.push(id.to_owned()),
                        _ => return Err(bad("REACTION_INVALID")),
                    }
                }
                let chat = st.chats.get_mut(&chat_id).expect("known");
                let m = chat
                    .live_message(param_i64(p, "message_id"))
                    .ok_or_else(|| bad("message to react not found"))?;
                m.reaction = Some(emoji);
                Ok(json!(true))
            }
            "getChatMember" => {
                let chat_id = st.known_chat(p)?;
                let user_id = param_i64(p, "user_id").ok_or_else(|| bad("invalid user_id specified"))?;
                let chat = &st.chats[&chat_id];
                if user_id == bot_id {
                    return Ok(member_json(bot_user(bot_id), &chat.bot_status));
                }
                let (name, status) = chat
                    .members
                    .get(&user_id)
                    .cloned()
                    .unwrap_or((format!("User{user_id}"), "member".into()));
                Ok(member_json(user_json(user_id, &name), &status))
            }
            // Moderation (issue 14): administrators, bans.
            "getChatAdministrators" => {
                let chat_id = st.known_chat(p)?;
                let chat = &st.chats[&chat_id];
                if chat.kind == Kind::Private {
                    return Err(bad("there are no administrators in the private chat"));
                }
                let mut admins: Vec<Value> = chat
                    .members
                    .iter()
                    .filter(|(_, (_, s))| matches!(s.as_str(), "administrator" | "creator"))
                    .map(|(id, (name, s))| member_json(user_json(*id, name), s))
                    .collect();
                if matches!(chat.bot_status.as_str(), "administrator" | "creator") {
                    admins.push(member_json(bot_user(bot_id), &chat.bot_status));
                }
                Ok(json!(admins))
            }
            "banChatMember" | "unbanChatMember" => {
                let chat_id = st.known_chat(p)?;
                let user_id = param_i64(p, "user_id").ok_or_else(|| bad("invalid user_id specified"))?;
                let chat = st.chats.get_mut(&chat_id).expect("known");
                if !matches!(chat.bot_status.as_str(), "administrator" | "creator") {
                    return Err(bad("not enough rights to restrict/unrestrict chat member"));
                }
                let entry = chat
                    .members
                    .entry(user_id)
                    .or_insert_with(|| (format!("User{user_id}"), "left".into()));
                if matches!(entry.1.as_str(), "administrator" | "creator") {
                    return Err(bad("user is an administrator of the chat"));
                }
                if method == "banChatMember" {
                    entry.1 = "kicked".into();
                } else if entry.1 == "kicked" || !param_bool(p, "only_if_banned") {
                    entry.1 = "left".into();
                }
                Ok(json!(true))
            }
            "createChatInviteLink" | "exportChatInviteLink" => {
                let chat_id = st.known_chat(p)?;
                if !matches!(st.chats[&chat_id].bot_status.as_str(), "administrator" | "creator") {
                    return Err(bad("not enough rights to manage chat invite links"));
                }
                st.seq += 1;
                let link = invite_link(chat_id, st.seq);
                if method == "exportChatInviteLink" {
                    // Real Telegram returns the new primary link as a bare string.
                    return Ok(json!(link));
                }
                let mut result = json!({
                    "invite_link": link, "creator": bot_user(bot_id),
                    "creates_join_request": param_bool(p, "creates_join_request"),
                    "is_primary": false, "is_revoked": false,
                });
                for key in ["name", "expire_date", "member_limit"] {
                    if let Some(v) = p.get(key) {
                        result[key] = v.clone();
                    }
                }
                Ok(result)
            }
            "answerCallbackQuery" => {
                let id = param_str(p, "callback_query_id").unwrap_or_default();
                if !st.callback_ids.remove(&id) {
                    return Err(bad(
                        "query is too old and response timeout expired or query ID is invalid",
                    ));
                }
                Ok(json!(true))
            }
            "getChat" => {
                let chat_id = st.known_chat(p)?;
                let mut chat = st.chats[&chat_id].json(chat_id);
                chat["accepted_gift_types"] = json!({
                    "unlimited_gifts": false, "limited_gifts": false, "unique_gifts": false,
                    "premium_subscription": false,
                });
                chat["max_reaction_count"] = json!(11);
                Ok(chat)
            }
            "sendChatAction" => st.known_chat(p).map(|_| json!(true)),
            "setMyCommands" | "deleteMyCommands" => Ok(json!(true)),
            "getMyCommands" => Ok(json!([])),
            _ => Err(err(404, "Not Found: method not found")),
        }
    }
}

impl St {
    fn chat_or_create(&mut self, chat_id: i64) -> &mut ChatState {
        self.chats.entry(chat_id).or_insert_with(|| {
            if chat_id > 0 {
                new_chat(Kind::Private, &format!("User{chat_id}"))
            } else {
                new_chat(Kind::Supergroup, &format!("Chat {chat_id}"))
            }
        })
    }

    /// Resolves `chat_id` (integer or numeric string) to a known chat, else
    /// "chat not found" like Telegram (including `@username` strings).
    fn known_chat(&self, p: &Value) -> Result<i64, ApiErr> {
        if p.get("chat_id").is_none_or(|v| v.is_null() || v == "") {
            return Err(bad("chat_id is empty"));
        }
        param_i64(p, "chat_id")
            .filter(|id| self.chats.contains_key(id))
            .ok_or_else(|| bad("chat not found"))
    }

    /// Checks the bot may post in the chat: 403 when kicked, not a member, or
    /// blocked by the private-chat user (teloxide-recognised descriptions).
    fn writable_chat(&self, p: &Value) -> Result<i64, ApiErr> {
        let chat_id = self.known_chat(p)?;
        let chat = &self.chats[&chat_id];
        let kind = if chat.kind == Kind::Supergroup {
            "supergroup"
        } else {
            "group"
        };
        match (chat.kind, chat.bot_status.as_str()) {
            (Kind::Private, _) if self.blocked_by.contains(&chat_id) => {
                Err(err(403, "Forbidden: bot was blocked by the user"))
            }
            (Kind::Private, _) => Ok(chat_id),
            (_, "kicked") => Err(err(403, format!("Forbidden: bot was kicked from the {kind} chat"))),
            (_, "left") => Err(err(403, format!("Forbidden: bot is not a member of the {kind} chat"))),
            _ => Ok(chat_id),
        }
    }

    /// `sendMessage` / `sendPhoto`: validates everything before storing.
    fn send(&mut self, bot_id: i64, photo: bool, p: &Value) -> ApiResult {
        let chat_id = self.writable_chat(p)?;
        let parse_mode = param_str(p, "parse_mode");
        let (raw, visible, photo) = if photo {
            let file = param_str(p, "photo")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad("there is no photo in the request"))?;
            let raw = param_str(p, "caption").unwrap_or_default();
            let visible = render(&raw, parse_mode.as_deref())?;
            if visible.chars().count() > MAX_CAPTION_LEN {
                return Err(bad("message caption is too long"));
            }
            (raw, visible, Some(file))
        } else {
            let raw = param_str(p, "text").unwrap_or_default();
            (raw.clone(), checked_text(&raw, parse_mode.as_deref())?, None)
        };
        let reply = param_json(p, "reply_parameters");
        let reply_to = reply
            .as_ref()
            .and_then(|r| param_i64(r, "message_id"))
            .or_else(|| param_i64(p, "reply_to_message_id"));
        let chat = self.chats.get_mut(&chat_id).expect("known");
        if let Some(id) = reply_to {
            let lenient = reply
                .as_ref()
                .is_some_and(|r| param_bool(r, "allow_sending_without_reply"))
                || param_bool(p, "allow_sending_without_reply");
            if chat.live_message(Some(id)).is_none() && !lenient {
                return Err(bad("message to be replied not found"));
            }
        }
        let message_id = chat.next_message_id;
        chat.next_message_id += 1;
        let mut m = FakeMessage::new(message_id, true, bot_id, BOT_FIRST_NAME);
        (m.text, m.raw_text, m.parse_mode, m.reply_to, m.photo) = (visible, raw, parse_mode, reply_to, photo);
        m.reply_markup = param_json(p, "reply_markup");
        // An uploaded photo: Telegram keeps it and gives it file_ids, as for users' photos.
        let uploaded = m.photo.as_deref().and_then(|f| self.uploads.get(f).cloned());
        if let (Some(bytes), Some(photo)) = (uploaded, m.photo.clone()) {
            m.photo_bytes = Some(bytes.clone());
            chat.messages.push(m);
            self.register_file(&photo_file_id(&photo, 2), bytes);
        } else {
            chat.messages.push(m);
        }
        Ok(self.message_json(bot_id, chat_id, message_id).expect("just stored"))
    }

    /// `sendPoll`, checked as Telegram does: a question of 1–300 characters, 2–10 options of
    /// 1–100 characters. The poll's id is made of the chat and the message.
    fn send_poll(&mut self, bot_id: i64, p: &Value) -> ApiResult {
        let chat_id = self.writable_chat(p)?;
        let question = param_str(p, "question").unwrap_or_default();
        if question.is_empty() || question.chars().count() > 300 {
            return Err(bad("poll question length must not exceed 300"));
        }
        let options: Vec<String> = param_json(p, "options")
            .and_then(|o| o.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|o| o.get("text").unwrap_or(o).as_str().unwrap_or_default().to_owned())
            .collect();
        if !(2..=10).contains(&options.len()) {
            return Err(bad("poll must have at least 2 option"));
        }
        if options.iter().any(|o| o.is_empty() || o.chars().count() > 100) {
            return Err(bad("poll options length must not exceed 100"));
        }
        let chat = self.chats.get_mut(&chat_id).expect("known");
        let message_id = chat.next_message_id;
        chat.next_message_id += 1;
        let mut m = FakeMessage::new(message_id, true, bot_id, BOT_FIRST_NAME);
        m.text = question.clone();
        m.raw_text = question.clone();
        m.poll = Some(json!({
            "id": format!("{}{:06}", chat_id.unsigned_abs(), message_id),
            "question": question,
            "options": options.iter().map(|o| json!({"text": o, "voter_count": 0})).collect::<Vec<_>>(),
            "total_voter_count": 0,
            "is_closed": false,
            "is_anonymous": p.get("is_anonymous").is_none_or(|v| v == &json!(true) || v == &json!("true")),
            "type": "regular",
            "allows_multiple_answers": param_bool(p, "allows_multiple_answers"),
        }));
        chat.messages.push(m);
        Ok(self.message_json(bot_id, chat_id, message_id).expect("just stored"))
    }

    /// `stopPoll`: closes a poll the bot sent; a closed one is refused as Telegram does.
    fn stop_poll(&mut self, p: &Value) -> ApiResult {
        let chat_id = self.known_chat(p)?;
        let message_id = param_i64(p, "message_id");
        let chat = self.chats.get_mut(&chat_id).expect("known");
        let m = chat
            .live_message(message_id)
            .ok_or_else(|| bad("message to stop poll not found"))?;
        let poll = m
            .poll
            .as_mut()
            .ok_or_else(|| bad("message with poll to stop not found"))?;
        if poll["is_closed"] == json!(true) {
            return Err(bad("poll has already been closed"));
        }
        poll["is_closed"] = json!(true);
        Ok(poll.clone())
    }

    /// `sendDocument` / `sendVideo`: the file is an upload (multipart, `attach:NAME`) or a
    /// known file_id; Telegram reads its type from the file name, as here.
    fn send_file(&mut self, bot_id: i64, kind: &'static str, p: &Value) -> ApiResult {
        let chat_id = self.writable_chat(p)?;
        let given = param_str(p, kind)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad(&format!("there is no {kind} in the request")))?;
        let bytes = match self.uploads.get(&given) {
            Some(b) => b.clone(),
            None => self
                .files
                .get(&given)
                .map(|(_, b)| b.clone())
                .ok_or_else(|| bad("wrong file identifier/HTTP URL specified"))?,
        };
        let file_name = given.strip_prefix("attach:").map(str::to_owned);
        let mime = file_name.as_deref().and_then(|n| n.rsplit_once('.')).map(|(_, ext)| {
            match ext.to_ascii_lowercase().as_str() {
                "pdf" => "application/pdf",
                "mp4" => "video/mp4",
                "webm" => "video/webm",
                "jpg" | "jpeg" => "image/jpeg",
                _ => "application/octet-stream",
            }
            .to_owned()
        });
        let parse_mode = param_str(p, "parse_mode");
        let raw = param_str(p, "caption").unwrap_or_default();
        let visible = render(&raw, parse_mode.as_deref())?;
        if visible.chars().count() > MAX_CAPTION_LEN {
            return Err(bad("message caption is too long"));
        }
        let reply_to = param_json(p, "reply_parameters")
            .as_ref()
            .and_then(|r| param_i64(r, "message_id"))
            .or_else(|| param_i64(p, "reply_to_message_id"));
        self.seq += 1;
        let file_id = format!("BQACAgQAAxkDAAI{}", self.seq);
        let chat = self.chats.get_mut(&chat_id).expect("known");
        let message_id = chat.next_message_id;
        chat.next_message_id += 1;
        let mut m = FakeMessage::new(message_id, true, bot_id, BOT_FIRST_NAME);
        (m.text, m.raw_text, m.parse_mode, m.reply_to) = (visible, raw, parse_mode, reply_to);
        m.file = Some(FakeFile {
            kind,
            file_id: file_id.clone(),
            file_name,
            mime_type: mime,
            bytes: bytes.clone(),
        });
        chat.messages.push(m);
        self.register_file(&file_id, bytes);
        Ok(self.message_json(bot_id, chat_id, message_id).expect("just stored"))
    }

    /// `sendMediaGroup`: 2 to 10 photos (multipart uploads named in the `media` JSON as
    /// `attach://NAME`), stored as one message each; the answer is their array.
    fn send_media_group(&mut self, bot_id: i64, p: &Value) -> ApiResult {
        let chat_id = self.writable_chat(p)?;
        let media = param_json(p, "media").ok_or_else(|| bad("media group is empty"))?;
        let items = media.as_array().ok_or_else(|| bad("can't parse media JSON object"))?;
        if !(2..=10).contains(&items.len()) {
            return Err(bad("wrong number of messages in the media group"));
        }
        let mut photos = Vec::new();
        for item in items {
            if item["type"] != "photo" {
                return Err(bad("unsupported media type in the group"));
            }
            let file = item["media"].as_str().unwrap_or_default().to_owned();
            let bytes = self
                .uploads
                .get(&file)
                .cloned()
                .ok_or_else(|| bad("wrong file identifier/HTTP URL specified"))?;
            let parse_mode = item["parse_mode"].as_str().map(str::to_owned);
            let raw = item["caption"].as_str().unwrap_or_default().to_owned();
            let visible = render(&raw, parse_mode.as_deref())?;
            if visible.chars().count() > MAX_CAPTION_LEN {
                return Err(bad("message caption is too long"));
            }
            photos.push((file, bytes, raw, visible, parse_mode));
        }
        let reply_to = param_json(p, "reply_parameters")
            .as_ref()
            .and_then(|r| param_i64(r, "message_id"))
            .or_else(|| param_i64(p, "reply_to_message_id"));
        self.seq += 1;
        let group = format!("{}", 13_000_000_000_000_000u64 + self.seq);
        let mut ids = Vec::new();
        for (file, bytes, raw, visible, parse_mode) in photos {
            let chat = self.chats.get_mut(&chat_id).expect("known");
            let message_id = chat.next_message_id;
            chat.next_message_id += 1;
            let mut m = FakeMessage::new(message_id, true, bot_id, BOT_FIRST_NAME);
            (m.text, m.raw_text, m.parse_mode, m.reply_to) = (visible, raw, parse_mode, reply_to);
            m.photo = Some(file.clone());
            m.photo_bytes = Some(bytes.clone());
            m.media_group_id = Some(group.clone());
            chat.messages.push(m);
            self.register_file(&photo_file_id(&file, 2), bytes);
            ids.push(message_id);
        }
        Ok(Value::Array(
            ids.into_iter()
                .map(|id| self.message_json(bot_id, chat_id, id).expect("just stored"))
                .collect(),
        ))
    }

    /// Makes `file_id` known to `getFile` and the download.
    fn register_file(&mut self, file_id: &str, bytes: Arc<Vec<u8>>) {
        self.seq += 1;
        let path = format!("photos/file_{}.jpg", self.seq);
        self.files.insert(file_id.to_owned(), (path, bytes));
    }

    /// `getFile`: the file's path for the download URL, as Telegram gives it (valid an hour).
    fn get_file(&self, p: &Value) -> ApiResult {
        let id = param_str(p, "file_id").unwrap_or_default();
        let (path, bytes) = self.files.get(&id).ok_or_else(|| bad("invalid file_id"))?;
        Ok(
            json!({ "file_id": id, "file_unique_id": format!("AQAD{}", bytes.len()), "file_size": bytes.len(), "file_path": path }),
        )
    }

    /// `editMessageCaption`: the caption of the bot's own photo.
    fn edit_caption(&mut self, bot_id: i64, p: &Value) -> ApiResult {
        let chat_id = self.known_chat(p)?;
        let raw = param_str(p, "caption").unwrap_or_default();
        let parse_mode = param_str(p, "parse_mode");
        let visible = render(&raw, parse_mode.as_deref())?;
        if visible.chars().count() > MAX_CAPTION_LEN {
            return Err(bad("message caption is too long"));
        }
        let chat = self.chats.get_mut(&chat_id).expect("known");
        let m = chat
            .live_message(param_i64(p, "message_id"))
            .ok_or_else(|| bad("message to edit not found"))?;
        if !m.from_bot {
            return Err(bad("message can't be edited"));
        }
        if m.photo.is_none() && m.file.is_none() {
            return Err(bad("there is no caption in the message to edit"));
        }
        if m.raw_text == raw && m.parse_mode == parse_mode {
            return Err(bad(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            ));
        }
        (m.text, m.raw_text, m.parse_mode) = (visible, raw, parse_mode);
        m.edit_count += 1;
        let id = m.message_id;
        Ok(self.message_json(bot_id, chat_id, id).expect("just edited"))
    }

    /// `editMessageText`: only the bot's own live messages, and only when the
    /// content or markup actually changes.
    fn edit_text(&mut self, bot_id: i64, p: &Value) -> ApiResult {
        let chat_id = self.known_chat(p)?;
        let raw = param_str(p, "text").unwrap_or_default();
        let parse_mode = param_str(p, "parse_mode");
        let visible = checked_text(&raw, parse_mode.as_deref())?;
        let markup = param_json(p, "reply_markup");
        let chat = self.chats.get_mut(&chat_id).expect("known");
        let m = chat
            .live_message(param_i64(p, "message_id"))
            .ok_or_else(|| bad("message to edit not found"))?;
        if !m.from_bot {
            return Err(bad("message can't be edited"));
        }
        if m.photo.is_some() {
            return Err(bad("there is no text in the message to edit"));
        }
        if m.raw_text == raw && m.parse_mode == parse_mode && m.reply_markup == markup {
            return Err(bad(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            ));
        }
        m.text = visible;
        m.raw_text = raw;
        m.parse_mode = parse_mode;
        m.reply_markup = markup;
        m.edit_count += 1;
        let id = m.message_id;
        Ok(self.message_json(bot_id, chat_id, id).expect("just edited"))
    }

    /// The Bot API `Message` object for a stored message (one level of
    /// `reply_to_message`, like Telegram), or None if unknown.
    fn message_json(&self, bot_id: i64, chat_id: i64, message_id: i64) -> Option<Value> {
        let chat = self.chats.get(&chat_id)?;
        let m = chat.messages.iter().find(|m| m.message_id == message_id)?;
        let mut v = message_body(chat, chat_id, m, bot_id);
        if let Some(parent) = m
            .reply_to
            .and_then(|id| chat.messages.iter().find(|x| x.message_id == id))
        {
            v["reply_to_message"] = message_body(chat, chat_id, parent, bot_id);
        }
        Some(v)
    }
}

fn new_chat(kind: Kind, name: &str) -> ChatState {
    ChatState {
        kind,
        name: name.to_owned(),
        bot_status: "member".into(),
        members: HashMap::new(),
        messages: Vec::new(),
        next_message_id: 1,
    }
}

impl ChatState {
    /// The Bot API `Chat` object.
    fn json(&self, chat_id: i64) -> Value {
        match self.kind {
            Kind::Private => json!({ "id": chat_id, "type": "private", "first_name": self.name }),
            Kind::Group => json!({ "id": chat_id, "type": "group", "title": self.name }),
            Kind::Supergroup => json!({ "id": chat_id, "type": "supergroup", "title": self.name }),
        }
    }

    fn live_message(&mut self, message_id: Option<i64>) -> Option<&mut FakeMessage> {
        self.messages
            .iter_mut()
            .find(|m| Some(m.message_id) == message_id && !m.deleted)
    }
}

fn message_body(chat: &ChatState, chat_id: i64, m: &FakeMessage, bot_id: i64) -> Value {
    let from = if m.from_bot {
        bot_user(bot_id)
    } else {
        user_json(m.from_id, &m.from_first_name)
    };
    let mut v = json!({ "message_id": m.message_id, "from": from, "chat": chat.json(chat_id), "date": m.date });
    if let Some(poll) = &m.poll {
        v["poll"] = poll.clone();
    } else if let Some((lat, lon)) = m.location {
        v["location"] = json!({ "latitude": lat, "longitude": lon });
    } else if let Some(f) = &m.file {
        v[f.kind] = json!({ "file_id": f.file_id, "file_unique_id": format!("AgAD{}", m.message_id),
                            "file_name": f.file_name, "mime_type": f.mime_type, "file_size": f.bytes.len() });
        if !m.text.is_empty() {
            v["caption"] = json!(m.text);
        }
    } else if let Some(file) = &m.photo {
        let real = m.photo_bytes.as_ref().map(|b| b.len());
        v["photo"] = json!([[90, 67], [320, 240], [1280, 960]]
            .iter()
            .enumerate()
            .map(|(i, [w, h])| {
                let size = real.filter(|_| i == 2).unwrap_or(w * h / 8);
                json!({ "file_id": photo_file_id(file, i), "file_unique_id": format!("AQAD{}{i}", m.message_id), "width": w, "height": h, "file_size": size })
            })
            .collect::<Vec<_>>());
        if !m.text.is_empty() {
            v["caption"] = json!(m.text);
        }
    } else {
        v["text"] = json!(m.text);
        // Telegram marks a leading /command with a bot_command entity (UTF-16 length).
        if !m.from_bot && m.text.starts_with('/') {
            let command = m.text.split_whitespace().next().unwrap_or_default();
            v["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": command.encode_utf16().count() }]);
        }
    }
    if let Some(group) = &m.media_group_id {
        v["media_group_id"] = json!(group);
    }
    if m.edit_count > 0 {
        v["edit_date"] = json!(now_secs());
    }
    // Only inline keyboards are echoed back in Message.reply_markup.
    if let Some(markup) = m.reply_markup.as_ref().filter(|k| k.get("inline_keyboard").is_some()) {
        v["reply_markup"] = markup.clone();
    }
    v
}

/// The file_id of size `i` of a photo (the largest is the one whose bytes are served).
fn photo_file_id(photo: &str, i: usize) -> String {
    let base = photo.strip_prefix("attach:").unwrap_or(photo);
    format!("{base}_{i}")
}

fn user_json(id: i64, first_name: &str) -> Value {
    json!({ "id": id, "is_bot": false, "first_name": first_name })
}

fn bot_user(bot_id: i64) -> Value {
    json!({ "id": bot_id, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME })
}

const ADMIN_RIGHTS: &str = "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members \
    can_promote_members can_change_info can_invite_users can_pin_messages can_post_stories can_edit_stories \
    can_delete_stories can_manage_topics";
const RESTRICTED_RIGHTS: &str = "can_send_messages can_send_audios can_send_documents can_send_photos \
    can_send_videos can_send_video_notes can_send_voice_notes can_send_other_messages can_add_web_page_previews \
    can_change_info can_invite_users can_pin_messages can_manage_topics can_send_polls";

/// A `ChatMember` with the fields Telegram sends (and teloxide requires) for
/// each status: administrators get every right, restricted users none.
fn member_json(user: Value, status: &str) -> Value {
    let mut v = json!({ "user": user, "status": status });
    let (rights, granted) = match status {
        "administrator" => (ADMIN_RIGHTS, true),
        "restricted" => (RESTRICTED_RIGHTS, false),
        _ => ("", false),
    };
    for right in rights.split_whitespace() {
        v[right] = json!(granted);
    }
    match status {
        "creator" => v["is_anonymous"] = json!(false),
        "administrator" => (v["can_be_edited"], v["is_anonymous"]) = (json!(false), json!(false)),
        "restricted" => (v["is_member"], v["until_date"]) = (json!(true), json!(0)),
        "kicked" => v["until_date"] = json!(0),
        _ => {}
    }
    v
}

/// `https://t.me/+` followed by 16 URL-safe characters, unique per call.
fn invite_link(chat_id: i64, seq: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut x = (chat_id as u64) ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let code: String = (0..16)
        .map(|_| {
            // splitmix64 step
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ALPHABET[((z ^ (z >> 31)) % 64) as usize] as char
        })
        .collect();
    format!("https://t.me/+{code}")
}

// ------------------------------------------------------------------ text rules

/// Applies `parse_mode` and returns the visible text.
fn render(raw: &str, parse_mode: Option<&str>) -> Result<String, ApiErr> {
    match parse_mode {
        None | Some("") => Ok(raw.to_owned()),
        Some(m) if m.eq_ignore_ascii_case("html") => {
            parse_html(raw).map_err(|e| bad(&format!("can't parse entities: {e}")))
        }
        // Markdown flavours are accepted without validation.
        Some(m) if m.eq_ignore_ascii_case("markdown") || m.eq_ignore_ascii_case("markdownv2") => Ok(raw.to_owned()),
        Some(_) => Err(bad("unsupported parse_mode")),
    }
}

/// Message text rules: parse entities, then reject empty (after trimming, as
/// Telegram does) and over-long (more than 4096 characters after parsing).
fn checked_text(raw: &str, parse_mode: Option<&str>) -> Result<String, ApiErr> {
    let visible = render(raw, parse_mode)?;
    if visible.trim().is_empty() {
        return Err(bad("message text is empty"));
    }
    if visible.chars().count() > MAX_TEXT_LEN {
        return Err(bad("message is too long"));
    }
    Ok(visible)
}

/// Validates Telegram's HTML subset and returns the visible text. Only the
/// tags Telegram supports are accepted, tags must nest properly, and `<` or
/// `&` must be part of a tag or entity (`&lt; &gt; &amp; &quot; &#N; &#xH;`).
pub fn parse_html(s: &str) -> Result<String, String> {
    const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-spoiler",
        "span",
        "tg-emoji",
    ];
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match bytes[i] {
            b'&' => {
                let (ch, len) = decode_entity(&s[i..])
                    .ok_or_else(|| format!("Unsupported HTML entity or bare '&' at byte offset {i}"))?;
                out.push(ch);
                i += len;
            }
            b'<' if bytes.get(i + 1) == Some(&b'/') => {
                let end = s[i..]
                    .find('>')
                    .ok_or_else(|| format!("Unclosed end tag at byte offset {i}"))?;
                let name = s[i + 2..i + end].trim().to_ascii_lowercase();
                match open.pop() {
                    None => return Err(format!("Unexpected end tag at byte offset {i}")),
                    Some(top) if top != name => {
                        return Err(format!(
                            "Unmatched end tag at byte offset {i}, expected \"</{top}>\", found \"</{name}>\""
                        ));
                    }
                    Some(_) => {}
                }
                i += end + 1;
            }
            b'<' => {
                let start = i;
                i += 1;
                let name_len = s[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .unwrap_or(s.len() - i);
                let name = s[i..i + name_len].to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return Err(format!("Unsupported start tag \"{name}\" at byte offset {start}"));
                }
                i += name_len;
                let mut attrs = HashMap::new();
                loop {
                    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
                        i += 1;
                    }
                    match bytes.get(i) {
                        None => return Err(format!("Unclosed start tag at byte offset {start}")),
                        Some(b'>') => break,
                        Some(_) => {}
                    }
                    let attr_len = s[i..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                        .unwrap_or(s.len() - i);
                    if attr_len == 0 {
                        return Err(format!(
                            "Expected equal sign in declaration of an attribute of the start tag at byte offset {start}"
                        ));
                    }
                    let attr = s[i..i + attr_len].to_ascii_lowercase();
                    i += attr_len;
                    let mut value = String::new();
                    if bytes.get(i) == Some(&b'=') {
                        i += 1;
                        let raw = match bytes.get(i) {
                            Some(q @ (b'"' | b'\'')) => {
                                let close = s[i + 1..]
                                    .find(*q as char)
                                    .ok_or_else(|| format!("Unclosed start tag at byte offset {start}"))?;
                                let raw = &s[i + 1..i + 1 + close];
                                i += close + 2;
                                raw
                            }
                            _ => {
                                let len = s[i..]
                                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                                    .unwrap_or(s.len() - i);
                                let raw = &s[i..i + len];
                                i += len;
                                raw
                            }
                        };
                        value = parse_html(raw)
                            .map_err(|_| format!("Invalid attribute value in the start tag at byte offset {start}"))?;
                    }
                    attrs.insert(attr, value);
                }
                i += 1; // '>'
                if name == "span" && attrs.get("class").map(String::as_str) != Some("tg-spoiler") {
                    return Err(format!(
                        "Tag \"span\" must have class \"tg-spoiler\" at byte offset {start}"
                    ));
                }
                open.push(name);
            }
            _ => {
                let ch = s[i..].chars().next().expect("in bounds");
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    match open.pop() {
        Some(top) => Err(format!("Can't find end tag corresponding to start tag \"{top}\"")),
        None => Ok(out),
    }
}

/// Decodes one HTML entity at the start of `s`: (character, byte length).
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let semi = s.find(';').filter(|&n| n <= 12)?;
    let body = &s[1..semi];
    let ch = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let num = body.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((ch, semi + 1))
}

// ------------------------------------------------------------------- parameters

fn param_i64(p: &Value, key: &str) -> Option<i64> {
    match p.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn param_str(p: &Value, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn param_bool(p: &Value, key: &str) -> bool {
    matches!(p.get(key), Some(Value::Bool(true))) || matches!(p.get(key), Some(Value::String(s)) if s == "true")
}

/// A JSON-typed parameter, which form and query encodings send as a JSON string.
fn param_json(p: &Value, key: &str) -> Option<Value> {
    match p.get(key)? {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        v => Some(v.clone()),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_form(s: &str, into: &mut Map<String, Value>) {
    for pair in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        into.insert(percent_decode(k), Value::String(percent_decode(v)));
    }
}

/// Minimal multipart/form-data reader (teloxide uses it for uploads): text
/// fields become strings; a file part is referenced by another field as
/// `attach://<part>` and is recorded there as `attach:<filename>`.
fn parse_multipart(body: &[u8], boundary: &str, into: &mut Map<String, Value>) {
    let body = String::from_utf8_lossy(body);
    let mut files = HashMap::new();
    for part in body.split(&format!("--{boundary}")) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let quoted = |key: &str| {
            head.split(key)
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(str::to_owned)
        };
        match (quoted("; name=\""), quoted("; filename=\"")) {
            (Some(name), Some(file)) => {
                files.insert(format!("attach://{name}"), format!("attach:{file}"));
                into.insert(name, Value::String(format!("attach:{file}")));
            }
            (Some(name), None) => {
                into.insert(name, json!(content.strip_suffix("\r\n").unwrap_or(content)));
            }
            _ => {}
        }
    }
    for value in into.values_mut() {
        if let Some(file) = value.as_str().and_then(|v| files.get(v)) {
            *value = json!(file);
        } else if let Some(v) = value.as_str().filter(|v| v.contains("\"attach://")) {
            // A media group names its files inside its JSON.
            let mut v = v.to_owned();
            for (name, file) in &files {
                v = v.replace(&format!("\"{name}\""), &format!("\"{file}\""));
            }
            *value = json!(v);
        }
    }
}

/// The files of a multipart body, by the `attach:FILENAME` name parse_multipart gives them,
/// read as bytes (the text parse loses binary content).
fn multipart_files(headers: &HeaderMap, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some((_, boundary)) = content_type.split_once("boundary=") else {
        return Vec::new();
    };
    let delimiter = format!("--{}", boundary.trim_matches('"'));
    let d = delimiter.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + d.len() <= body.len() {
        if &body[i..i + d.len()] == d {
            starts.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for pair in starts.windows(2) {
        let part = &body[pair[0] + d.len()..pair[1]];
        let Some(split) = part.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]);
        let Some(file) = head.split("; filename=\"").nth(1).and_then(|r| r.split('"').next()) else {
            continue;
        };
        let content = &part[split + 4..];
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        out.push((format!("attach:{file}"), content.to_vec()));
    }
    out
}

/// `GET /file/bot{TOKEN}/{file_path}`: the bytes of a file `getFile` named.
async fn download(State(api): State<FakeBotApi>, Path((token, path)): Path<(String, String)>) -> Response {
    if token.strip_prefix("bot") != Some(api.token()) {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    let st = api.st();
    match st.files.values().find(|(p, _)| *p == path) {
        Some((_, bytes)) => (StatusCode::OK, bytes.to_vec()).into_response(),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

fn parse_params(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiErr> {
    let mut map = Map::new();
    if let Some(q) = query {
        parse_form(q, &mut map);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let lower = content_type.to_ascii_lowercase();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(map));
    }
    if lower.starts_with("application/x-www-form-urlencoded") {
        parse_form(&String::from_utf8_lossy(body), &mut map);
    } else if lower.starts_with("multipart/") {
        let boundary = content_type
            .split_once("boundary=")
            .map_or("", |(_, b)| b.trim_matches('"'));
        parse_multipart(body, boundary, &mut map);
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(obj)) => map.extend(obj),
            _ => return Err(bad("can't parse request JSON object")),
        }
    }
    Ok(Value::Object(map))
}

// ---------------------------------------------------------------- HTTP plumbing

fn reply(result: ApiResult) -> Response {
    match result {
        Ok(result) => (StatusCode::OK, axum::Json(json!({ "ok": true, "result": result }))).into_response(),
        Err(e) => {
            let mut body = json!({ "ok": false, "error_code": e.code, "description": e.description });
            if let Some(secs) = e.retry_after {
                body["parameters"] = json!({ "retry_after": secs });
            }
            let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(body)).into_response()
        }
    }
}

async fn handle(
    State(api): State<FakeBotApi>,
    ConnectInfo(kill): ConnectInfo<KillSwitch>,
    Path((token, method)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let method = METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(&method))
        .map_or(method, |m| (*m).to_owned());
    let parsed = parse_params(query.as_deref(), &headers, &body);
    for (name, bytes) in multipart_files(&headers, &body) {
        api.st().uploads.insert(name, Arc::new(bytes));
    }
    let params = parsed.as_ref().map_or(Value::Null, Clone::clone);
    let chat_id = param_i64(&params, "chat_id");
    let (index, fault) = {
        let mut st = api.st();
        st.calls.push(Call {
            method: method.clone(),
            chat_id,
            params: params.clone(),
            status: 0,
            at,
        });
        let index = st.calls.len() - 1;
        let fault = if token.strip_prefix("bot") == Some(api.token()) {
            take_fault(&mut st, &method, chat_id)
        } else {
            None
        };
        (index, fault)
    };
    let result = if token.strip_prefix("bot") != Some(api.token()) {
        Err(err(401, "Unauthorized"))
    } else {
        match fault {
            Some(Fault::RetryAfter { secs }) => Err(ApiErr {
                code: 429,
                description: format!("Too Many Requests: retry after {secs}"),
                retry_after: Some(secs),
            }),
            Some(Fault::Status { code, description }) => Err(err(code, description)),
            Some(Fault::Drop) => {
                // Never delivered: the connection fails as soon as hyper writes.
                kill.0.store(true, Ordering::SeqCst);
                Err(err(0, "connection dropped"))
            }
            Some(Fault::Delay(d)) => {
                tokio::time::sleep(d).await;
                api.run(&method, parsed).await
            }
            None => api.run(&method, parsed).await,
        }
    };
    let status = match &result {
        Ok(_) => 200,
        Err(e) => e.code,
    };
    api.st().calls[index].status = status;
    reply(result)
}

impl FakeBotApi {
    async fn run(&self, method: &str, params: Result<Value, ApiErr>) -> ApiResult {
        let params = params?;
        if method == "getUpdates" {
            self.get_updates(&params).await
        } else {
            self.dispatch_sync(method, &params)
        }
    }
}

/// Consumes one use of the first rule matching the request, if any.
fn take_fault(st: &mut St, method: &str, chat_id: Option<i64>) -> Option<Fault> {
    let pos = st.faults.iter().position(|r| {
        r.count > 0
            && r.method.as_ref().is_none_or(|m| m.eq_ignore_ascii_case(method))
            && r.chat_id.is_none_or(|c| Some(c) == chat_id)
    })?;
    let rule = &mut st.faults[pos];
    rule.count -= 1;
    let fault = rule.fault.clone();
    if rule.count == 0 {
        st.faults.remove(pos);
    }
    Some(fault)
}

/// Per-connection switch used by [`Fault::Drop`]: once set, the connection
/// reads EOF and fails writes, so the client sees it closed without an answer.
#[derive(Clone)]
struct KillSwitch(Arc<AtomicBool>);

struct KillableListener(TcpListener);

struct KillableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (KillableStream, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((inner, addr)) => {
                    let _ = inner.set_nodelay(true);
                    return (
                        KillableStream {
                            inner,
                            killed: Arc::default(),
                        },
                        addr,
                    );
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for KillSwitch {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        KillSwitch(stream.io().killed.clone())
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
