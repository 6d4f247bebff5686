//! The daemon's signed links: email confirmations and unsubscriptions (see `tokens`). A
//! confirmation carries what was asked and expires after a week; an unsubscribe link names the
//! subscription and does not expire.

use crate::i18n::Lang;
use crate::tokens::Signer;

/// How often a subscriber hears from the area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rhythm {
    /// Every message, as it comes.
    Each,
    Daily,
    Weekly,
}

impl Rhythm {
    pub fn as_str(self) -> &'static str {
        match self {
            Rhythm::Each => "each",
            Rhythm::Daily => "daily",
            Rhythm::Weekly => "weekly",
        }
    }

    /// Reads the stored form or what people write ("chaque", "quotidien", "hebdo"…).
    pub fn parse(s: &str) -> Option<Rhythm> {
        match s.trim().to_lowercase().as_str() {
            "each" | "chaque" | "chaque-message" | "tout" | "tous" | "direct" | "immediat" | "immédiat" => {
                Some(Rhythm::Each)
            }
            "daily" | "quotidien" | "jour" | "journalier" | "chaque-jour" => Some(Rhythm::Daily),
            "weekly" | "hebdo" | "hebdomadaire" | "semaine" | "chaque-semaine" => Some(Rhythm::Weekly),
            _ => None,
        }
    }
}

/// How long a confirmation link stays valid.
const CONFIRM_VALID_SECS: i64 = 7 * 24 * 3600;

/// How long a held mail waits for its owner (and its link stays valid).
pub const HELD_VALID_SECS: i64 = 7 * 24 * 3600;

/// The daemon's public address and the key that signs its links.
#[derive(Debug, Clone)]
pub struct Links {
    /// Where the daemon's HTTP server is reached from outside, without a trailing slash.
    pub public_url: String,
    pub signer: Signer,
}

/// What a confirmation link asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub address: String,
    pub area: String,
    pub rhythm: Rhythm,
    pub member: Option<i64>,
    /// The language the subscriber reads (their emails and digests).
    pub lang: Lang,
    pub issued: i64,
}

/// What a confirmation link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// A row of `pending_subscriptions` (links issued now: opaque).
    Pending(i64),
    /// The request itself, carried in clear (links issued before, valid for their week).
    Inline(Request),
}

/// The first letter of a reply token: "r" and the message id, signed short, in the bot's
/// plus-address (the town hall's answers have their own, `town_hall::TOKEN_PREFIX`).
pub const REPLY_TOKEN_PREFIX: char = 'r';

impl Links {
    /// The token that makes an email answering it reach `message_id`'s author.
    pub fn reply_token(&self, message_id: i64) -> String {
        self.signer.sign_short(&format!("{REPLY_TOKEN_PREFIX}{message_id}"))
    }

    pub fn confirm_url(&self, r: &Request) -> String {
        let payload = format!(
            "c2|{}|{}|{}|{}|{}|{}",
            r.issued,
            r.area,
            r.rhythm.as_str(),
            r.member.map(|m| m.to_string()).unwrap_or_default(),
            r.lang,
            r.address
        );
        format!("{}/email/confirm?t={}", self.public_url, self.signer.sign(&payload))
    }

    /// The confirmation link of the pending request `id` issued at `issued`: opaque (only the
    /// id and the time are signed; the request is in `pending_subscriptions`).
    pub fn confirm_url_of(&self, id: i64, issued: i64) -> String {
        format!(
            "{}/email/confirm?t={}",
            self.public_url,
            self.signer.sign(&format!("c3|{issued}|{id}"))
        )
    }

    /// What a confirmation link names, if it is genuine and less than a week old: a pending
    /// request's id, or (links issued before) the request itself.
    pub fn read_confirmation(&self, token: &str, now: i64) -> Option<Confirmation> {
        let payload = self.signer.verify(token)?;
        if let Some(rest) = payload.strip_prefix("c3|") {
            let (issued, id) = rest.split_once('|')?;
            let (issued, id): (i64, i64) = (issued.parse().ok()?, id.parse().ok()?);
            return (now - issued <= CONFIRM_VALID_SECS && issued <= now + 300).then_some(Confirmation::Pending(id));
        }
        self.read_confirm(token, now).map(Confirmation::Inline)
    }

    pub fn unsubscribe_url(&self, subscription: i64) -> String {
        format!(
            "{}/email/unsubscribe?t={}",
            self.public_url,
            self.signer.sign(&format!("u|{subscription}"))
        )
    }

    /// The request behind a confirmation token, if it is genuine and fresh.
    pub fn read_confirm(&self, token: &str, now: i64) -> Option<Request> {
        let payload = self.signer.verify(token)?;
        // "c|…" links (before languages) are still honoured for their week: in French.
        let (with_lang, rest) = match payload.split_once('|')? {
            ("c2", rest) => (true, rest),
            ("c", rest) => (false, rest),
            _ => return None,
        };
        let mut f = rest.splitn(if with_lang { 6 } else { 5 }, '|');
        let issued: i64 = f.next()?.parse().ok()?;
        let area = f.next()?.to_owned();
        let rhythm = Rhythm::parse(f.next()?)?;
        let member = f.next()?.parse().ok();
        let lang = if with_lang { Lang::parse(f.next()?)? } else { Lang::Fr };
        let address = f.next()?.to_owned();
        (now - issued <= CONFIRM_VALID_SECS && issued <= now + 300).then_some(Request {
            address,
            area,
            rhythm,
            member,
            lang,
            issued,
        })
    }

    /// The "was this you?" link of held mail `id`, issued at `issued` (seconds).
    pub fn held_url(&self, id: i64, issued: i64) -> String {
        format!(
            "{}/email/held?t={}",
            self.public_url,
            self.signer.sign(&format!("h|{id}|{issued}"))
        )
    }

    /// The held mail behind a "was this you?" token, if it is genuine and fresh (as long as a
    /// held mail is kept: `HELD_VALID_SECS`).
    pub fn read_held(&self, token: &str, now: i64) -> Option<i64> {
        let payload = self.signer.verify(token)?;
        let (id, issued) = payload.strip_prefix("h|")?.split_once('|')?;
        let issued: i64 = issued.parse().ok()?;
        (now - issued <= HELD_VALID_SECS && issued <= now + 300).then_some(id.parse().ok()?)
    }

    /// The link by which subscription `subscription` votes `option` (0-based) in poll `poll`
    /// (issue 18). It does not expire: the poll's closing ends it, and the page says so.
    pub fn poll_vote_url(&self, poll: i64, subscription: i64, option: usize) -> String {
        format!(
            "{}/sondage/vote?t={}",
            self.public_url,
            self.signer.sign(&format!("pv|{poll}|{subscription}|{option}"))
        )
    }

    /// (poll, subscription, option) of a genuine poll vote token.
    pub fn read_poll_vote(&self, token: &str) -> Option<(i64, i64, usize)> {
        let payload = self.signer.verify(token)?;
        let mut f = payload.strip_prefix("pv|")?.split('|');
        let poll = f.next()?.parse().ok()?;
        let subscription = f.next()?.parse().ok()?;
        let option = f.next()?.parse().ok()?;
        f.next().is_none().then_some((poll, subscription, option))
    }

    /// The signed link to a stored photo (`size`) valid until `expires` (seconds): digests
    /// show thumbnails through it instead of carrying the files.
    pub fn media_url(&self, hash: &str, size: MediaSize, expires: i64) -> String {
        let s = match size {
            MediaSize::Thumb => "t",
            MediaSize::Full => "f",
        };
        format!(
            "{}/m/{}",
            self.public_url,
            self.signer.sign(&format!("m|{s}|{hash}|{expires}"))
        )
    }

    /// The photo behind a `/m/TOKEN` link: Ok((key, size)) while it is valid, Err(true) once
    /// expired, Err(false) for a token this daemon did not sign.
    pub fn read_media(&self, token: &str, now: i64) -> Result<(String, MediaSize), bool> {
        let payload = self.signer.verify(token).ok_or(false)?;
        let mut parts = payload.strip_prefix("m|").ok_or(false)?.split('|');
        let size = match parts.next() {
            Some("t") => MediaSize::Thumb,
            Some("f") => MediaSize::Full,
            _ => return Err(false),
        };
        let hash = parts.next().ok_or(false)?.to_owned();
        let expires: i64 = parts.next().and_then(|e| e.parse().ok()).ok_or(false)?;
        if now > expires {
            return Err(true);
        }
        Ok((hash, size))
    }

    /// The subscription behind an unsubscribe token.
    pub fn read_unsubscribe(&self, token: &str) -> Option<i64> {
        self.signer.verify(token)?.strip_prefix("u|")?.parse().ok()
    }
}

/// Which file of a stored photo a link gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaSize {
    Thumb,
    Full,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_links_are_signed_and_expire() {
        let l = Links {
            public_url: "https://v.test".into(),
            signer: crate::tokens::Signer::new(b"k"),
        };
        let url = l.media_url("ab12", MediaSize::Thumb, 1_000);
        let token = url.strip_prefix("https://v.test/m/").unwrap();
        assert_eq!(l.read_media(token, 999), Ok(("ab12".to_owned(), MediaSize::Thumb)));
        assert_eq!(l.read_media(token, 1_001), Err(true));
        let other = l.media_url("ab13", MediaSize::Thumb, 1_000);
        let (payload, _) = other
            .strip_prefix("https://v.test/m/")
            .unwrap()
            .split_once('.')
            .unwrap();
        let (_, mac) = token.split_once('.').unwrap();
        assert_eq!(l.read_media(&format!("{payload}.{mac}"), 999), Err(false));
    }

    fn links() -> Links {
        Links {
            public_url: "https://v.example".into(),
            signer: Signer::new(b"k"),
        }
    }

    #[test]
    fn confirmation_links_carry_the_request_and_expire() {
        let l = links();
        let r = Request {
            address: "jeanne+x@exemple.fr".into(),
            area: "saint-servan".into(),
            rhythm: Rhythm::Each,
            member: Some(7),
            lang: Lang::En,
            issued: 1_000_000,
        };
        let url = l.confirm_url(&r);
        let token = url.split("t=").nth(1).unwrap();
        assert_eq!(l.read_confirm(token, 1_000_100), Some(r.clone()));
        assert_eq!(l.read_confirm(token, 1_000_000 + CONFIRM_VALID_SECS + 1), None);
        // Links issued now carry an id only: no address, no area.
        let opaque = l.confirm_url_of(17, 1_000_000);
        assert!(!opaque.contains("jeanne") && !opaque.contains("servan"), "{opaque}");
        let token = opaque.split("t=").nth(1).unwrap();
        assert_eq!(l.read_confirmation(token, 1_000_100), Some(Confirmation::Pending(17)));
        assert_eq!(l.read_confirmation(token, 1_000_000 + CONFIRM_VALID_SECS + 1), None);
        assert_eq!(l.read_confirm(token, 1_000_100), None);
        let unsub = l.unsubscribe_url(42);
        let token = unsub.split("t=").nth(1).unwrap();
        assert_eq!(l.read_unsubscribe(token), Some(42));
        assert_eq!(
            l.read_confirm(token, 1_000_000),
            None,
            "an unsubscribe token confirms nothing"
        );
    }

    #[test]
    fn held_mail_links_name_the_mail_and_expire() {
        let l = links();
        let url = l.held_url(12, 1_000_000);
        let token = url.split("t=").nth(1).unwrap();
        assert!(url.starts_with("https://v.example/email/held?t="), "{url}");
        assert_eq!(l.read_held(token, 1_000_100), Some(12));
        assert_eq!(l.read_held(token, 1_000_000 + HELD_VALID_SECS + 1), None);
        assert_eq!(l.read_held(token, 999_000), None, "issued in the future");
        let other = Links {
            signer: Signer::new(b"other"),
            ..l.clone()
        };
        assert_eq!(other.read_held(token, 1_000_100), None);
        let unsub = l.unsubscribe_url(12);
        assert_eq!(l.read_held(unsub.split("t=").nth(1).unwrap(), 1_000_100), None);
    }

    #[test]
    fn rhythms_are_read_leniently() {
        assert_eq!(Rhythm::parse("Quotidien"), Some(Rhythm::Daily));
        assert_eq!(Rhythm::parse("hebdo"), Some(Rhythm::Weekly));
        assert_eq!(Rhythm::parse("chaque"), Some(Rhythm::Each));
        assert_eq!(Rhythm::parse("jamais"), None);
    }
}
