//! Settings: config/voisinage.toml (every setting documented there, with its default), then
//! `VOISINAGE__SECTION__KEY` environment variables. Bad settings stop start-up with the file,
//! the key and what is wrong. Secrets are `SecretString`: their Debug output is redacted.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

/// The documented default file, embedded so the daemon runs without one.
pub const DEFAULT_TOML: &str = include_str!("../config/voisinage.toml");
/// Prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "VOISINAGE__";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub general: General,
    pub database: Database,
    pub http: Http,
    pub areas: AreasSettings,
    pub parser: ParserSettings,
    pub outbox: OutboxSettings,
    pub acknowledge: AcknowledgeSettings,
    pub channels: Channels,
    pub digest: DigestSettings,
    pub posts: PostsSettings,
    pub partners: PartnersSettings,
    #[serde(default)]
    pub questions: QuestionsSettings,
    /// Area moderators (issue 14).
    #[serde(default)]
    pub moderation: ModerationSettings,
    /// Data retention and erasure (issue 14).
    #[serde(default)]
    pub privacy: PrivacySettings,
    /// Loans between neighbours (issue 16).
    #[serde(default)]
    pub loans: LoansSettings,
    /// Photos and files (issue 15).
    #[serde(default)]
    pub media: MediaSettings,
    /// What municipalities get (issue 18): staff, their sign-in, the report's threshold.
    #[serde(default)]
    pub municipal: MunicipalSettings,
}

/// The `[municipal]` section: the report's small-cell threshold and each commune's staff.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MunicipalSettings {
    /// A figure from fewer than this many people is shown as "< k" in the quartier report.
    pub report_k: u32,
    /// `[[municipal.commune]]` tables.
    pub commune: Vec<CommuneConfig>,
}

impl Default for MunicipalSettings {
    fn default() -> Self {
        MunicipalSettings {
            report_k: 5,
            commune: Vec::new(),
        }
    }
}

/// One `[[municipal.commune]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommuneConfig {
    /// Exactly an area's `commune` property in the areas file ("Saint-Malo").
    pub name: String,
    /// Where residents' `/mairie …` messages go; none closes the private line.
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub staff: Vec<StaffConfig>,
}

/// One staff member: `{ email = "…", role = "editor" }` (or "viewer").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffConfig {
    pub email: String,
    pub role: String,
}

impl MunicipalSettings {
    /// The first problem of the section: the key and what is wrong (values are named: staff
    /// addresses are no secret to the operator who wrote them).
    pub fn check(&self) -> Option<(String, String)> {
        if self.report_k == 0 {
            return Some(("municipal.report_k".into(), "must be at least 1".into()));
        }
        let is_address = |a: &str| crate::core::subscriptions::normalize_address(a).is_some();
        for (i, c) in self.commune.iter().enumerate() {
            let key = format!("municipal.commune[{i}]");
            if c.name.trim().is_empty() {
                return Some((
                    format!("{key}.name"),
                    "missing: the commune's name as the areas file writes it".into(),
                ));
            }
            if let Some(e) = &c.contact_email
                && !is_address(e)
            {
                return Some((
                    format!("{key}.contact_email"),
                    format!("\"{e}\" is not an email address"),
                ));
            }
            for (j, s) in c.staff.iter().enumerate() {
                if !is_address(&s.email) {
                    return Some((
                        format!("{key}.staff[{j}].email"),
                        format!("\"{}\" is not an email address", s.email),
                    ));
                }
                if s.role != "editor" && s.role != "viewer" {
                    return Some((
                        format!("{key}.staff[{j}].role"),
                        format!("\"{}\": use \"editor\" or \"viewer\"", s.role),
                    ));
                }
            }
            if self.commune[..i].iter().any(|o| o.name == c.name) {
                return Some((format!("{key}.name"), format!("\"{}\" is listed twice", c.name)));
            }
        }
        None
    }
}

/// Loans: their default length and their reminders (see core/loan_reminders.rs).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoansSettings {
    /// A loan lasts this many days when neither the command nor the posts say.
    pub default_days: u32,
    /// The borrower is reminded this many days before the due date (0: only on the day).
    pub remind_before_days: u32,
    /// Days /prolonger gives when nobody says how many.
    pub extend_days: u32,
    /// The first overdue reminder goes this many days after the due date; the interval then
    /// doubles, up to `overdue_cap_days`.
    pub overdue_first_days: u32,
    pub overdue_cap_days: u32,
    /// At most this many overdue reminders.
    pub overdue_max: u32,
}

impl Default for LoansSettings {
    fn default() -> Self {
        let p = crate::core::loan_reminders::LoanPolicy::default();
        LoansSettings {
            default_days: p.default_days,
            remind_before_days: p.remind_before_days,
            extend_days: p.extend_days,
            overdue_first_days: p.overdue_first_days,
            overdue_cap_days: p.overdue_cap_days,
            overdue_max: p.overdue_max,
        }
    }
}

/// Photos and files: where they are kept and what is taken in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaSettings {
    /// Where files are kept; relative to general.data_dir unless absolute.
    pub dir: PathBuf,
    /// The largest file taken in, in megabytes (Telegram's bots can fetch at most 20).
    pub max_mb: u64,
    /// The longest side of a stored image, in pixels.
    pub max_side: u32,
    /// The longest side of a digest thumbnail, in pixels.
    pub thumb_side: u32,
    /// At most this many files per member and day (0: no limit).
    pub per_member_day: u32,
    /// The types taken in ("image/*" for every image the daemon reads).
    pub types: Vec<String>,
    /// How long a digest's photo links (`/m/TOKEN`) stay valid, in days.
    pub link_days: u32,
    /// A photo sent alone this many seconds at most after its author's words belongs to them.
    pub join_secs: u32,
}

impl Default for MediaSettings {
    fn default() -> Self {
        let d = crate::media::MediaLimits::default();
        MediaSettings {
            dir: PathBuf::from("media"),
            max_mb: d.max_bytes / (1024 * 1024),
            max_side: d.max_side,
            thumb_side: d.thumb_side,
            per_member_day: d.per_member_day,
            types: d.types,
            link_days: d.link_days,
            join_secs: d.join_secs,
        }
    }
}

impl LoansSettings {
    /// The policy the core reads.
    pub fn policy(&self) -> crate::core::loan_reminders::LoanPolicy {
        crate::core::loan_reminders::LoanPolicy {
            default_days: self.default_days,
            remind_before_days: self.remind_before_days,
            extend_days: self.extend_days,
            overdue_first_days: self.overdue_first_days,
            overdue_cap_days: self.overdue_cap_days,
            overdue_max: self.overdue_max,
        }
    }

    /// The first bad setting, as (key, why).
    fn check(&self) -> Option<(&'static str, &'static str)> {
        let l = self;
        if !(1..=365).contains(&l.default_days) {
            return Some(("loans.default_days", "must be between 1 and 365"));
        }
        if l.remind_before_days >= l.default_days {
            return Some(("loans.remind_before_days", "must be smaller than loans.default_days"));
        }
        if !(1..=365).contains(&l.extend_days) {
            return Some(("loans.extend_days", "must be between 1 and 365"));
        }
        if l.overdue_first_days == 0 {
            return Some(("loans.overdue_first_days", "must be at least 1"));
        }
        if l.overdue_cap_days < l.overdue_first_days {
            return Some(("loans.overdue_cap_days", "must be at least loans.overdue_first_days"));
        }
        if l.overdue_max > 52 {
            return Some(("loans.overdue_max", "must be at most 52"));
        }
        None
    }
}

impl Settings {
    /// The media store these settings describe (files under `data_dir/media` by default).
    pub fn media_store(&self) -> crate::media::MediaStore {
        let m = &self.media;
        crate::media::MediaStore::on_disk(
            self.general.data_dir.join(&m.dir),
            crate::media::MediaLimits {
                max_bytes: m.max_mb * 1024 * 1024,
                max_side: m.max_side,
                thumb_side: m.thumb_side,
                per_member_day: m.per_member_day,
                types: m.types.clone(),
                link_days: m.link_days,
                join_secs: m.join_secs,
            },
        )
    }
}

/// Area moderators: the rooms' administrators, and those named here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModerationSettings {
    /// How long a room's list of administrators is kept before it is asked again, in seconds.
    pub admin_cache_secs: u64,
    /// Per area (slug): moderator identities (email addresses, "telegram:USER_ID", Matrix ids).
    pub moderators: std::collections::HashMap<String, Vec<String>>,
}

impl Default for ModerationSettings {
    fn default() -> Self {
        ModerationSettings {
            admin_cache_secs: 300,
            moderators: Default::default(),
        }
    }
}

/// How long personal data is kept, and how erasure is confirmed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySettings {
    /// Messages older than this many days lose their text (0: never).
    pub retention_days: u32,
    /// `/oublier confirmer` must follow `/oublier` within this many minutes.
    pub forget_confirm_minutes: u32,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        let d = crate::core::model::TrustPolicy::default();
        PrivacySettings {
            retention_days: d.retention_days,
            forget_confirm_minutes: d.forget_confirm_minutes,
        }
    }
}

/// When digests are sent (cron expressions in each area's local time).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    pub enabled: bool,
    /// Cron expression (sec min hour day-of-month month day-of-week [year]) of the daily digest.
    pub daily: String,
    /// Cron expression of the weekly digest.
    pub weekly: String,
    /// A digest missed (daemon down) is still sent within this many hours of its time.
    pub daily_fresh_hours: u32,
    pub weekly_fresh_hours: u32,
    /// How often the scheduler looks at the clock, in seconds.
    pub tick_secs: u64,
    /// Which digests also post a short summary in the area's rooms.
    pub rooms: RoomDigests,
    /// Per area (slug): its own `daily` and/or `weekly` expression.
    #[serde(default)]
    pub areas: std::collections::HashMap<String, AreaSchedule>,
}

/// Which digests post a summary in the rooms (email subscribers get theirs in any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomDigests {
    Week,
    Day,
    Both,
    None,
}

/// An area's own digest times.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaSchedule {
    pub daily: Option<String>,
    pub weekly: Option<String>,
}

/// How long posts stay open.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostsSettings {
    /// An open post closes this many days after it was made (or kept with /garder).
    pub expire_after_days: u32,
    /// Its author is reminded this many days before.
    pub remind_before_days: u32,
}

impl PostsSettings {
    pub fn life(&self) -> crate::core::model::PostLife {
        crate::core::model::PostLife {
            after_days: self.expire_after_days,
            remind_before_days: self.remind_before_days,
        }
    }
}

/// Partner services suggested when neighbours cannot help.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnersSettings {
    pub enabled: bool,
    /// The partners: config/partners.toml.
    pub file: PathBuf,
    /// A request without any neighbour's offer after this many hours gets a suggestion.
    pub delay_hours: u32,
    /// At most this many suggestions per member per day.
    pub daily_cap: u32,
}

/// How the bot acknowledges posts in rooms.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeSettings {
    pub default: crate::core::model::Acknowledge,
    pub emoji: String,
    /// Per area (slug): "reply" or "reaction".
    #[serde(default)]
    pub areas: std::collections::HashMap<String, crate::core::model::Acknowledge>,
}

impl AcknowledgeSettings {
    pub fn policy(&self) -> crate::core::model::AckPolicy {
        crate::core::model::AckPolicy {
            default: self.default,
            areas: self.areas.clone(),
            emoji: self.emoji.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct General {
    pub data_dir: PathBuf,
    pub log_level: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// Empty: `voisinage try` starts a private cluster; `run` refuses.
    #[serde(default)]
    pub url: Option<SecretString>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    pub enabled: bool,
    pub listen: SocketAddr,
    /// Where people reach this server (links in emails), without a trailing slash.
    pub public_url: String,
    /// The key signing those links; unset: one made at first start and kept in the database.
    #[serde(default)]
    pub link_key: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreasSettings {
    pub file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParserSettings {
    /// Empty: the lexicon built into the binary.
    #[serde(default)]
    pub lexicon_dir: Option<PathBuf>,
    /// Only the first `max_chars` characters of a message are read for posts (the message is
    /// still stored and relayed whole): a neighbour's post fits in far less, and a huge paste
    /// must not cost seconds of parsing.
    #[serde(default = "default_parse_max_chars")]
    pub max_chars: usize,
    /// Posts read with at least this confidence (0..1) are announced and matched at once;
    /// below it, the author is asked first (issue 13: ask when unsure).
    #[serde(default = "default_sure_threshold")]
    pub sure_threshold: f32,
}

fn default_sure_threshold() -> f32 {
    crate::core::questions::DEFAULT_SURE_THRESHOLD
}

/// Questions asked of authors whose message was read unsure (issue 13).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionsSettings {
    /// An unanswered question expires after this many hours, without a post.
    #[serde(default = "default_question_hours")]
    pub expire_hours: u32,
}

impl Default for QuestionsSettings {
    fn default() -> Self {
        QuestionsSettings {
            expire_hours: default_question_hours(),
        }
    }
}

fn default_question_hours() -> u32 {
    crate::core::questions::DEFAULT_QUESTION_HOURS
}

impl Settings {
    /// When the core asks authors about their posts, and for how long.
    pub fn question_policy(&self) -> crate::core::questions::QuestionPolicy {
        crate::core::questions::QuestionPolicy {
            sure_threshold: self.parser.sure_threshold,
            expire_after: chrono::Duration::hours(self.questions.expire_hours.into()),
        }
    }
}

fn default_parse_max_chars() -> usize {
    crate::core::DEFAULT_PARSE_MAX_CHARS
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    pub workers: usize,
    pub batch: i64,
    pub lease_secs: u64,
    pub backoff_base_ms: u64,
    pub backoff_max_secs: u64,
    pub max_attempts: i32,
    pub idle_ms: u64,
    pub unavailable_pause_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channels {
    pub console: ConsoleSettings,
    pub telegram: TelegramSettings,
    pub matrix: MatrixSettings,
    pub email: EmailSettings,
}

/// How email leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransport {
    /// Through an SMTP server.
    Smtp,
    /// As .eml files in `files_dir` (for `voisinage try` and tests).
    Files,
}

/// The SMTP connection's security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    Starttls,
    Tls,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    pub enabled: bool,
    /// The bot's address, "Voisinage <voisinage@example.org>".
    pub from: String,
    pub transport: EmailTransport,
    /// Relative to general.data_dir unless absolute.
    pub files_dir: PathBuf,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    #[serde(default)]
    pub smtp_user: Option<String>,
    #[serde(default)]
    pub smtp_password: Option<SecretString>,
    /// SMTP connections kept open.
    pub smtp_pool: u32,
    /// Read the bot's mailbox over IMAP.
    pub imap_enabled: bool,
    pub imap_host: String,
    pub imap_port: u16,
    /// "tls" (port 993) or "none" (a local server only).
    pub imap_security: SmtpSecurity,
    #[serde(default)]
    pub imap_user: Option<String>,
    #[serde(default)]
    pub imap_password: Option<SecretString>,
    pub imap_mailbox: String,
    pub imap_poll_secs: u64,
    // Authenticated email (issue 14): whose mail is relayed under a subscriber's name.
    /// The authserv-id the mail server writes in `Authentication-Results` ("mx.example.org").
    #[serde(default)]
    pub authserv_id: Option<String>,
    /// "require" (default), "confirm-every-mail" or "off".
    #[serde(default)]
    pub sender_check: crate::core::model::SenderCheck,
}

impl EmailSettings {
    /// The core's view of the sender check.
    pub fn mail_trust(&self) -> crate::core::model::MailTrust {
        crate::core::model::MailTrust {
            check: self.sender_check,
            authserv_id: self
                .authserv_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixSettings {
    pub enabled: bool,
    pub homeserver_url: String,
    /// The bot's account, "@voisinage:example.org".
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub password: Option<SecretString>,
    #[serde(default)]
    pub access_token: Option<SecretString>,
    /// Encrypts the SDK's stores in the data directory; when none is given, one is made up
    /// and kept beside the session file (mode 600).
    #[serde(default)]
    pub store_passphrase: Option<SecretString>,
    /// The account's recovery key (key backup and cross-signing secrets), when the operator
    /// set one up elsewhere; otherwise the bot sets up recovery itself.
    #[serde(default)]
    pub recovery_key: Option<SecretString>,
    pub device_name: String,
    /// Rooms are `#{alias_prefix}{slug}:{server}`.
    pub alias_prefix: String,
    pub sync_timeout_secs: u64,
}

/// How updates reach the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    Polling,
    Webhook,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    pub enabled: bool,
    #[serde(default)]
    pub token: Option<SecretString>,
    pub api_url: String,
    pub mode: TelegramMode,
    pub poll_timeout_secs: u64,
    #[serde(default)]
    pub webhook_url: Option<String>,
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
    pub chat_interval_ms: u64,
    pub group_per_minute: u32,
    pub global_per_second: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    pub enabled: bool,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}{env}: key `{key}`: {message}")]
    Invalid {
        file: String,
        env: String,
        key: String,
        message: String,
    },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

impl Settings {
    /// Loads `path` (or the embedded defaults when None), then the environment.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        match path {
            Some(p) => {
                let src = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    file: p.display().to_string(),
                    source,
                })?;
                Settings::from_parts(&p.display().to_string(), &src, &env)
            }
            None => Settings::from_parts("config/voisinage.toml (built-in)", DEFAULT_TOML, &env),
        }
    }

    /// Parses `src` (named `file` in errors) with the overrides found in `env`.
    ///
    /// No error quotes a setting's value, since it may be a secret: errors name the file, the
    /// key (and the variable that set it) and the problem.
    pub fn from_parts(file: &str, src: &str, env: &[(String, String)]) -> Result<Settings, ConfigError> {
        let mut table: toml::Table = src.parse().map_err(|e: toml::de::Error| ConfigError::Syntax {
            file: file.to_owned(),
            message: syntax_message(src, &e),
        })?;
        let applied = apply_env(&mut table, env)?;
        let s: Settings = serde_path_to_error::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
            let key = e.path().to_string();
            let env_hint = applied
                .iter()
                .find(|v| {
                    v[ENV_PREFIX.len()..]
                        .to_lowercase()
                        .replace("__", ".")
                        .starts_with(&key)
                })
                .map(|v| format!(" (set by {v})"))
                .unwrap_or_default();
            let message = without_value(&e.inner().to_string(), lookup(&table, &key));
            ConfigError::Invalid {
                file: file.to_owned(),
                env: env_hint,
                key,
                message,
            }
        })?;
        s.validate(file)?;
        Ok(s)
    }

    fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, message: &str| ConfigError::Invalid {
            file: file.to_owned(),
            env: String::new(),
            key: key.to_owned(),
            message: message.to_owned(),
        };
        if self.outbox.workers == 0 {
            return Err(bad("outbox.workers", "must be at least 1"));
        }
        if self.outbox.batch < 1 {
            return Err(bad("outbox.batch", "must be at least 1"));
        }
        if self.outbox.max_attempts < 1 {
            return Err(bad("outbox.max_attempts", "must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.parser.sure_threshold) {
            return Err(bad("parser.sure_threshold", "must be between 0 and 1"));
        }
        if self.questions.expire_hours == 0 {
            return Err(bad("questions.expire_hours", "must be at least 1"));
        }
        if self.database.max_connections < 2 {
            return Err(bad(
                "database.max_connections",
                "must be at least 2 (ingest and the outbox run side by side)",
            ));
        }
        for slug in self.moderation.moderators.keys() {
            if crate::areas::AreaSlug::parse(slug).is_err() {
                return Err(bad(&format!("moderation.moderators.{slug}"), "not an area slug"));
            }
        }
        if self.privacy.forget_confirm_minutes == 0 {
            return Err(bad("privacy.forget_confirm_minutes", "must be at least 1"));
        }
        for slug in self.acknowledge.areas.keys() {
            if crate::areas::AreaSlug::parse(slug).is_err() {
                return Err(bad(&format!("acknowledge.areas.{slug}"), "not an area slug"));
            }
        }
        let tg = &self.channels.telegram;
        if tg.enabled {
            use secrecy::ExposeSecret;
            let token_ok = tg.token.as_ref().is_some_and(|t| {
                let t = t.expose_secret();
                t.split_once(':').is_some_and(|(id, rest)| {
                    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty()
                })
            });
            if !token_ok {
                return Err(bad(
                    "channels.telegram.token",
                    "missing or not a bot token (123456:ABC…): set VOISINAGE__CHANNELS__TELEGRAM__TOKEN to the token BotFather gave",
                ));
            }
            if reqwest::Url::parse(&tg.api_url).is_err() {
                return Err(bad("channels.telegram.api_url", "not a URL"));
            }
            if tg.mode == TelegramMode::Webhook {
                if !tg
                    .webhook_url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://"))
                {
                    return Err(bad(
                        "channels.telegram.webhook_url",
                        "webhook mode needs the public https:// URL Telegram posts to (…/telegram/webhook)",
                    ));
                }
                let secret_ok = tg.webhook_secret.as_ref().is_some_and(|s| {
                    let s = s.expose_secret();
                    (1..=256).contains(&s.len())
                        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                });
                if !secret_ok {
                    return Err(bad(
                        "channels.telegram.webhook_secret",
                        "webhook mode needs a secret of 1-256 letters, digits, _ or -: set VOISINAGE__CHANNELS__TELEGRAM__WEBHOOK_SECRET",
                    ));
                }
                if !self.http.enabled {
                    return Err(bad("http.enabled", "webhook mode needs the HTTP server"));
                }
            }
            if tg.global_per_second == 0 || tg.group_per_minute == 0 || tg.poll_timeout_secs > 50 {
                return Err(bad(
                    "channels.telegram",
                    "global_per_second and group_per_minute must be at least 1, poll_timeout_secs at most 50",
                ));
            }
        }
        if !self.http.public_url.starts_with("http://") && !self.http.public_url.starts_with("https://") {
            return Err(bad("http.public_url", "not an http(s) URL"));
        }
        let em = &self.channels.email;
        if em.enabled {
            if !em.from.contains('@') {
                return Err(bad(
                    "channels.email.from",
                    "the bot's address, like Voisinage <voisinage@example.org>",
                ));
            }
            if em.imap_enabled && (em.imap_user.is_none() || em.imap_password.is_none()) {
                return Err(bad(
                    "channels.email.imap_password",
                    "reading the mailbox needs imap_user and VOISINAGE__CHANNELS__EMAIL__IMAP_PASSWORD",
                ));
            }
            if em.imap_enabled && em.imap_security == SmtpSecurity::Starttls {
                return Err(bad(
                    "channels.email.imap_security",
                    "use \"tls\" (port 993) or \"none\"",
                ));
            }
            if em.imap_enabled
                && em.sender_check == crate::core::model::SenderCheck::Require
                && em.mail_trust().authserv_id.is_none()
            {
                return Err(bad(
                    "channels.email.authserv_id",
                    "sender_check = \"require\" relays a subscriber's email only when your mail server authenticated it: \
                     set authserv_id to the id your server writes first in Authentication-Results (e.g. \"mx.example.org\"; \
                     VOISINAGE__CHANNELS__EMAIL__AUTHSERV_ID). If it writes none, choose sender_check = \"confirm-every-mail\" \
                     (every mail confirmed by its owner) or \"off\" (anyone can write under a subscriber's address)",
                ));
            }
            if em.transport == EmailTransport::Smtp && em.smtp_user.is_some() && em.smtp_password.is_none() {
                return Err(bad(
                    "channels.email.smtp_password",
                    "missing: set VOISINAGE__CHANNELS__EMAIL__SMTP_PASSWORD (smtp_user is set)",
                ));
            }
        }
        let mx = &self.channels.matrix;
        if mx.enabled {
            if !mx.homeserver_url.starts_with("http://") && !mx.homeserver_url.starts_with("https://") {
                return Err(bad("channels.matrix.homeserver_url", "not an http(s) URL"));
            }
            let user_ok = mx.user_id.starts_with('@')
                && mx
                    .user_id
                    .split_once(':')
                    .is_some_and(|(l, s)| l.len() > 1 && !s.is_empty());
            if !user_ok {
                return Err(bad(
                    "channels.matrix.user_id",
                    "the bot's Matrix account, like @voisinage:example.org (VOISINAGE__CHANNELS__MATRIX__USER_ID)",
                ));
            }
            if mx.password.is_none() && mx.access_token.is_none() {
                return Err(bad(
                    "channels.matrix.password",
                    "missing: set VOISINAGE__CHANNELS__MATRIX__PASSWORD (or VOISINAGE__CHANNELS__MATRIX__ACCESS_TOKEN)",
                ));
            }
            if mx.alias_prefix.is_empty()
                || !mx
                    .alias_prefix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.')
            {
                return Err(bad(
                    "channels.matrix.alias_prefix",
                    "use lower-case letters, digits, - _ .",
                ));
            }
        }
        let cron_ok = |key: &str, expr: &str| {
            expr.parse::<cron::Schedule>().map(|_| ()).map_err(|e| {
                bad(
                    key,
                    &format!("not a cron expression (sec min hour day month weekday): {e}"),
                )
            })
        };
        cron_ok("digest.daily", &self.digest.daily)?;
        cron_ok("digest.weekly", &self.digest.weekly)?;
        for (slug, a) in &self.digest.areas {
            if let Some(e) = &a.daily {
                cron_ok(&format!("digest.areas.{slug}.daily"), e)?;
            }
            if let Some(e) = &a.weekly {
                cron_ok(&format!("digest.areas.{slug}.weekly"), e)?;
            }
        }
        if self.digest.tick_secs == 0 {
            return Err(bad("digest.tick_secs", "must be at least 1"));
        }
        if self.posts.expire_after_days == 0 {
            return Err(bad("posts.expire_after_days", "must be at least 1"));
        }
        if self.posts.remind_before_days >= self.posts.expire_after_days {
            return Err(bad(
                "posts.remind_before_days",
                "must be smaller than posts.expire_after_days",
            ));
        }
        if let Some((key, why)) = self.loans.check() {
            return Err(bad(key, why));
        }
        if let Some((key, why)) = self.municipal.check() {
            return Err(bad(&key, &why));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.general.log_level).is_err() {
            return Err(bad(
                "general.log_level",
                "not a log level (error, warn, info, debug, trace)",
            ));
        }
        Ok(())
    }

    /// The outbox's settings.
    /// The moderation and privacy settings the core reads.
    pub fn trust_policy(&self) -> crate::core::model::TrustPolicy {
        crate::core::model::TrustPolicy {
            moderators: self.moderation.moderators.clone(),
            retention_days: self.privacy.retention_days,
            forget_confirm_minutes: self.privacy.forget_confirm_minutes,
        }
    }

    pub fn outbox_config(&self) -> crate::core::outbox::OutboxConfig {
        use std::time::Duration;
        let o = &self.outbox;
        crate::core::outbox::OutboxConfig {
            batch: o.batch,
            lease: Duration::from_secs(o.lease_secs),
            backoff_base: Duration::from_millis(o.backoff_base_ms),
            backoff_max: Duration::from_secs(o.backoff_max_secs),
            max_attempts: o.max_attempts,
            idle: Duration::from_millis(o.idle_ms),
            unavailable_pause: Duration::from_millis(o.unavailable_pause_ms),
        }
    }
}

/// Writes the `VOISINAGE__SECTION__KEY` variables (and `DATABASE_URL`) into `table`; returns
/// the variables applied.
fn apply_env(table: &mut toml::Table, env: &[(String, String)]) -> Result<Vec<String>, ConfigError> {
    let defaults: toml::Table = DEFAULT_TOML.parse().unwrap_or_default();
    let mut applied = Vec::new();
    for (var, value) in env {
        let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let env_err = |message: String| ConfigError::Env {
            var: var.clone(),
            message,
        };
        let path: Vec<String> = rest.split("__").map(|s| s.to_lowercase()).collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(env_err("empty section or key in the name".into()));
        }
        let key = path.join(".");
        // The type the setting has in the built-in defaults (else in the file) decides: a
        // digit-only password must stay a string, `WORKERS=4` must be a number.
        let expected = lookup(&defaults, &key).or_else(|| lookup(table, &key));
        let typed = typed_env_value(value, expected).map_err(|m| env_err(format!("key `{key}`: {m}")))?;
        set_path(table, &path, typed).map_err(env_err)?;
        applied.push(var.clone());
    }
    // The conventional variable, for tools and tests that already set it.
    if let Some((_, url)) = env.iter().find(|(k, _)| k == "DATABASE_URL")
        && !applied.iter().any(|v| v == "VOISINAGE__DATABASE__URL")
    {
        set_path(
            table,
            &["database".into(), "url".into()],
            toml::Value::String(url.clone()),
        )
        .map_err(|message| ConfigError::Env {
            var: "DATABASE_URL".into(),
            message,
        })?;
    }
    Ok(applied)
}

/// An environment value as the TOML type of `expected` (the setting's current value): a
/// boolean or a number only where the setting is one, a string everywhere else. Errors never
/// quote the value (it may be a secret).
fn typed_env_value(v: &str, expected: Option<&toml::Value>) -> Result<toml::Value, String> {
    match expected {
        Some(toml::Value::Boolean(_)) => v
            .trim()
            .parse::<bool>()
            .map(toml::Value::Boolean)
            .map_err(|_| "expects true or false".to_owned()),
        Some(toml::Value::Integer(_)) => v
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| "expects a whole number".to_owned()),
        Some(toml::Value::Float(_)) => v
            .trim()
            .parse::<f64>()
            .map(toml::Value::Float)
            .map_err(|_| "expects a number".to_owned()),
        Some(toml::Value::Table(_)) => Err("is a section, not a setting".to_owned()),
        Some(toml::Value::Array(_)) => Err("is a list: set it in the file".to_owned()),
        Some(toml::Value::String(_) | toml::Value::Datetime(_)) | None => Ok(toml::Value::String(v.to_owned())),
    }
}

/// The value at a dotted `key` (as serde_path_to_error writes paths), if any.
fn lookup<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let mut value = table.get(parts.next()?)?;
    for p in parts {
        value = match value {
            toml::Value::Table(t) => t.get(p)?,
            toml::Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A serde message with the offending value taken out: "invalid type: integer `42`, expected
/// a string" becomes "invalid type: integer (value not shown), expected a string".
fn without_value(message: &str, value: Option<&toml::Value>) -> String {
    // serde_path_to_error repeats the path on a second line; the key is given separately.
    let mut out = message.lines().next().unwrap_or_default().to_owned();
    let mut shown = Vec::new();
    let mut collect = |v: &toml::Value| match v {
        toml::Value::String(s) => {
            shown.push(format!("{s:?}"));
            shown.push(format!("`{s}`"));
        }
        other => shown.push(format!("`{other}`")),
    };
    match value {
        Some(toml::Value::Array(items)) => items.iter().for_each(&mut collect),
        Some(v) => collect(v),
        None => {}
    }
    for s in shown {
        out = out.replace(&s, "(value not shown)");
    }
    out
}

/// A TOML syntax error as "line L, column C: problem", without the quoted source line (it may
/// hold a secret).
fn syntax_message(src: &str, e: &toml::de::Error) -> String {
    let problem = e.message().trim_end();
    match e.span() {
        Some(span) => {
            let before = &src[..span.start.min(src.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {problem}")
        }
        None => problem.to_owned(),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("no key")?;
    let mut t = table;
    for p in parents {
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{p}` is a setting, not a section"))?;
    }
    t.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn the_documented_defaults_load() {
        let s = Settings::from_parts("voisinage.toml", DEFAULT_TOML, &[]).unwrap();
        assert!(s.database.url.is_none());
        assert_eq!(s.outbox.workers, 2);
    }

    #[test]
    fn digest_times_and_post_life_are_checked() {
        let bad = |key: &str, value: &str| {
            let env = vec![(key.to_owned(), value.to_owned())];
            Settings::from_parts("my.toml", DEFAULT_TOML, &env)
                .unwrap_err()
                .to_string()
        };
        let e = bad("VOISINAGE__DIGEST__WEEKLY", "every saturday");
        assert!(
            e.contains("digest.weekly") && e.contains("not a cron expression"),
            "{e}"
        );
        let e = bad("VOISINAGE__DIGEST__ROOMS", "sometimes");
        assert!(e.contains("digest.rooms"), "{e}");
        let e = bad("VOISINAGE__POSTS__REMIND_BEFORE_DAYS", "30");
        assert!(e.contains("posts.remind_before_days"), "{e}");
        let e = bad("VOISINAGE__LOANS__DEFAULT_DAYS", "0");
        assert!(e.contains("loans.default_days"), "{e}");
        let e = bad("VOISINAGE__LOANS__REMIND_BEFORE_DAYS", "20");
        assert!(e.contains("loans.remind_before_days"), "{e}");
        let e = bad("VOISINAGE__LOANS__OVERDUE_CAP_DAYS", "0");
        assert!(e.contains("loans.overdue_cap_days"), "{e}");
        let area = DEFAULT_TOML.replace(
            "[digest.areas]\n",
            "[digest.areas]\nsaint-servan = { weekly = \"0 61 9 * * Sun\" }\n",
        );
        let e = Settings::from_parts("my.toml", &area, &[]).unwrap_err().to_string();
        assert!(e.contains("digest.areas.saint-servan.weekly"), "{e}");
        let ok = DEFAULT_TOML.replace(
            "[digest.areas]\n",
            "[digest.areas]\nsaint-servan = { weekly = \"0 30 10 * * Sun\" }\n",
        );
        let s = Settings::from_parts("my.toml", &ok, &[]).unwrap();
        assert_eq!(
            s.digest.areas["saint-servan"].weekly.as_deref(),
            Some("0 30 10 * * Sun")
        );
        assert_eq!(s.digest.rooms, RoomDigests::Week);
    }

    #[test]
    fn reading_mail_without_an_authserv_id_asks_the_operator_to_choose() {
        let env = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
            [
                ("VOISINAGE__CHANNELS__EMAIL__ENABLED", "true"),
                ("VOISINAGE__CHANNELS__EMAIL__IMAP_ENABLED", "true"),
                ("VOISINAGE__CHANNELS__EMAIL__IMAP_USER", "bot@example.org"),
                ("VOISINAGE__CHANNELS__EMAIL__IMAP_PASSWORD", "pw"),
            ]
            .iter()
            .chain(extra)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        let e = Settings::from_parts("v.toml", DEFAULT_TOML, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("channels.email.authserv_id") && e.contains("confirm-every-mail") && e.contains("\"off\""),
            "{e}"
        );
        let s = Settings::from_parts(
            "v.toml",
            DEFAULT_TOML,
            &env(&[("VOISINAGE__CHANNELS__EMAIL__AUTHSERV_ID", " mx.example.org ")]),
        )
        .unwrap();
        let trust = s.channels.email.mail_trust();
        assert_eq!(trust.authserv_id.as_deref(), Some("mx.example.org"));
        assert_eq!(trust.check, crate::core::model::SenderCheck::Require);
        let s = Settings::from_parts(
            "v.toml",
            DEFAULT_TOML,
            &env(&[("VOISINAGE__CHANNELS__EMAIL__SENDER_CHECK", "confirm-every-mail")]),
        )
        .unwrap();
        assert_eq!(
            s.channels.email.sender_check,
            crate::core::model::SenderCheck::ConfirmEveryMail
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let env = vec![
            ("VOISINAGE__OUTBOX__WORKERS".to_owned(), "5".to_owned()),
            (
                "VOISINAGE__DATABASE__URL".to_owned(),
                "postgres://u:secret@h/db".to_owned(),
            ),
        ];
        let s = Settings::from_parts("voisinage.toml", DEFAULT_TOML, &env).unwrap();
        assert_eq!(s.outbox.workers, 5);
        assert_eq!(
            s.database.url.as_ref().unwrap().expose_secret(),
            "postgres://u:secret@h/db"
        );
        assert!(
            !format!("{s:?}").contains("secret@"),
            "secrets never appear in Debug output"
        );
    }

    /// Env values take the type the setting has: secrets stay strings whatever they look like.
    #[test]
    fn digit_only_and_boolean_looking_secrets_stay_strings() {
        let env = vec![
            ("VOISINAGE__HTTP__LINK_KEY".to_owned(), "271828182845".to_owned()),
            (
                "VOISINAGE__CHANNELS__MATRIX__PASSWORD".to_owned(),
                "31415926".to_owned(),
            ),
            (
                "VOISINAGE__CHANNELS__EMAIL__SMTP_PASSWORD".to_owned(),
                "true".to_owned(),
            ),
            ("VOISINAGE__CHANNELS__EMAIL__IMAP_PASSWORD".to_owned(), "1.5".to_owned()),
            (
                "VOISINAGE__CHANNELS__TELEGRAM__WEBHOOK_SECRET".to_owned(),
                "0042".to_owned(),
            ),
            ("VOISINAGE__OUTBOX__WORKERS".to_owned(), "3".to_owned()),
            ("VOISINAGE__DIGEST__ENABLED".to_owned(), "false".to_owned()),
        ];
        let s = Settings::from_parts("voisinage.toml", DEFAULT_TOML, &env).unwrap();
        let secret = |v: &Option<SecretString>| v.as_ref().unwrap().expose_secret().to_owned();
        assert_eq!(secret(&s.http.link_key), "271828182845");
        assert_eq!(secret(&s.channels.matrix.password), "31415926");
        assert_eq!(secret(&s.channels.email.smtp_password), "true");
        assert_eq!(secret(&s.channels.email.imap_password), "1.5");
        assert_eq!(secret(&s.channels.telegram.webhook_secret), "0042");
        assert_eq!(s.outbox.workers, 3);
        assert!(!s.digest.enabled);
    }

    /// A wrong number names the variable and the key; no config error shows a secret's value.
    #[test]
    fn config_errors_name_the_key_and_never_show_a_secret() {
        let err = |src: &str, env: &[(&str, &str)]| {
            let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            Settings::from_parts("my.toml", src, &env).unwrap_err().to_string()
        };
        let e = err(DEFAULT_TOML, &[("VOISINAGE__OUTBOX__WORKERS", "four")]);
        assert!(
            e.contains("VOISINAGE__OUTBOX__WORKERS") && e.contains("outbox.workers") && e.contains("whole number"),
            "{e}"
        );
        let e = err(
            DEFAULT_TOML,
            &[
                ("VOISINAGE__CHANNELS__EMAIL__SMTP_PASSWORD", "hunter2-s3cr3t"),
                ("VOISINAGE__OUTBOX__WORKERS", "-1"),
            ],
        );
        assert!(e.contains("outbox.workers") && !e.contains("hunter2"), "{e}");
        // A secret of the wrong type in the file: the key, not the value.
        let file = DEFAULT_TOML.replace("# link_key = \"\"", "link_key = 271828182845");
        let e = err(&file, &[]);
        assert!(e.contains("http.link_key") && !e.contains("271828182845"), "{e}");
        let file = DEFAULT_TOML.replace("# password = \"\"", "password = [\"hunter2-s3cr3t\"]");
        let e = err(&file, &[]);
        assert!(e.contains("channels.matrix.password") && !e.contains("hunter2"), "{e}");
        // A syntax error on a secret's line says where, without quoting the line.
        let file = DEFAULT_TOML.replace("# password = \"\"", "password = \"hunter2-s3cr3t");
        let e = err(&file, &[]);
        assert!(
            e.contains("my.toml") && e.contains("line") && !e.contains("hunter2"),
            "{e}"
        );
        // A secret set where a section is expected, and a value of an unknown variant.
        let e = err(DEFAULT_TOML, &[("VOISINAGE__HTTP", "hunter2-s3cr3t")]);
        assert!(!e.contains("hunter2"), "{e}");
        let e = err(DEFAULT_TOML, &[("VOISINAGE__DIGEST__ROOMS", "hunter2-s3cr3t")]);
        assert!(e.contains("digest.rooms") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn errors_name_the_file_the_key_and_the_problem() {
        let bad = DEFAULT_TOML.replace("workers = 2", "workers = \"two\"");
        let e = Settings::from_parts("my.toml", &bad, &[]).unwrap_err().to_string();
        assert!(
            e.contains("my.toml") && e.contains("outbox.workers") && e.contains("invalid type"),
            "{e}"
        );

        let env = vec![("VOISINAGE__HTTP__LISTEN".to_owned(), "not an address".to_owned())];
        let e = Settings::from_parts("my.toml", DEFAULT_TOML, &env)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("http.listen") && e.contains("VOISINAGE__HTTP__LISTEN"),
            "{e}"
        );

        let env = vec![("VOISINAGE__OUTBOX__WORKRS".to_owned(), "3".to_owned())];
        let e = Settings::from_parts("my.toml", DEFAULT_TOML, &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("workrs") && e.contains("unknown field"), "{e}");

        let e = Settings::from_parts("my.toml", "[general\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("my.toml"), "{e}");

        let env = vec![("VOISINAGE__CHANNELS__TELEGRAM__ENABLED".to_owned(), "true".to_owned())];
        let e = Settings::from_parts("my.toml", DEFAULT_TOML, &env)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("channels.telegram.token") && e.contains("VOISINAGE__CHANNELS__TELEGRAM__TOKEN"),
            "{e}"
        );
        let env = vec![
            ("VOISINAGE__CHANNELS__TELEGRAM__ENABLED".to_owned(), "true".to_owned()),
            ("VOISINAGE__CHANNELS__TELEGRAM__TOKEN".to_owned(), "123:abc".to_owned()),
            ("VOISINAGE__CHANNELS__TELEGRAM__MODE".to_owned(), "webhook".to_owned()),
        ];
        let e = Settings::from_parts("my.toml", DEFAULT_TOML, &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("webhook_url"), "{e}");

        let zero = DEFAULT_TOML.replace("workers = 2", "workers = 0");
        let e = Settings::from_parts("my.toml", &zero, &[]).unwrap_err().to_string();
        assert!(e.contains("outbox.workers") && e.contains("at least 1"), "{e}");
    }
}
