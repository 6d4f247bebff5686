//! Signed tokens for links sent by email (confirm a subscription, unsubscribe): the payload in
//! clear, then an HMAC-SHA256 of it, both hex-encoded. Anyone can read a token; nobody without
//! the key can make or alter one.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// A signing key (shared by the daemons through the database).
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([REDACTED])")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

impl Signer {
    pub fn new(key: &[u8]) -> Signer {
        Signer { key: key.to_vec() }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }

    /// The token for `payload`.
    pub fn sign(&self, payload: &str) -> String {
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        format!("{}.{}", hex(payload.as_bytes()), hex(&mac.finalize().into_bytes()))
    }

    /// A short token for a short payload of letters and digits, fit for an email address's
    /// local part ("r123.0a1b…"): the payload in clear, then 80 bits of its MAC.
    pub fn sign_short(&self, payload: &str) -> String {
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        format!("{payload}.{}", hex(&mac.finalize().into_bytes()[..10]))
    }

    /// The payload of a short token this key signed.
    pub fn verify_short(&self, token: &str) -> Option<String> {
        let (payload, sig) = token.trim().rsplit_once('.')?;
        let sig = unhex(&sig.to_lowercase())?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_truncated_left(&sig).ok()?;
        (sig.len() == 10).then(|| payload.to_owned())
    }

    /// The payload of a token this key signed; None for anything else.
    pub fn verify(&self, token: &str) -> Option<String> {
        let (payload, sig) = token.trim().split_once('.')?;
        let payload = unhex(payload)?;
        let sig = unhex(sig)?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&sig).ok()?;
        String::from_utf8(payload).ok()
    }
}

/// The key named `name` in the database, made (random) on first use.
pub async fn shared_key(pool: &sqlx::PgPool, name: &str) -> anyhow::Result<Vec<u8>> {
    use rand::RngCore;
    let mut fresh = vec![0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    crate::store::secrets::shared_key(pool, name, &fresh).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_unaltered_with_the_same_key() {
        let s = Signer::new(b"key one");
        let t = s.sign("u|42");
        assert_eq!(s.verify(&t).as_deref(), Some("u|42"));
        assert_eq!(Signer::new(b"key two").verify(&t), None);
        let forged = t.replacen(&hex(b"u|42"), &hex(b"u|43"), 1);
        assert_eq!(s.verify(&forged), None);
        assert_eq!(s.verify("zz.zz"), None);
        assert_eq!(s.verify(""), None);
        assert_eq!(s.verify("é.é"), None);
        let short = s.sign_short("r123");
        assert!(short.len() < 30, "{short}");
        assert_eq!(s.verify_short(&short).as_deref(), Some("r123"));
        assert_eq!(
            s.verify_short(&short.to_uppercase()).as_deref(),
            None,
            "the payload is case-sensitive"
        );
        assert_eq!(s.verify_short(&short.replace("r123", "r124")), None);
        assert_eq!(Signer::new(b"other").verify_short(&short), None);
    }
}
