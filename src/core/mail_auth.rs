//! Is an email's sender genuine? Read from the `Authentication-Results` headers (RFC 8601)
//! that the bot's own mail server wrote: pure functions, no IO.
//!
//! Anyone can write an `Authentication-Results` header into a mail they send, naming any
//! server. Only the configured server's id (`authserv_id`) is read, and of its headers only
//! the topmost: a receiving server prepends its header, so one it wrote sits above anything the
//! sender wrote, including a forged header with the same id further down. Trusted means DMARC
//! pass, or SPF pass for an envelope sender aligned with the From domain, or DKIM pass for a
//! signing domain aligned with it (relaxed alignment: the same organisational domain).

/// One `Authentication-Results` header, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResults {
    /// Who wrote it (lower-cased).
    pub authserv_id: String,
    pub results: Vec<MethodResult>,
}

/// One `method=result` of a header, with its properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    /// "spf", "dkim", "dmarc"… (lower-cased, without a "/version").
    pub method: String,
    /// "pass", "fail", "none"… (lower-cased).
    pub result: String,
    /// `ptype.property` (lower-cased) and value: ("header.from", "exemple.fr"),
    /// ("smtp.mailfrom", "marie@exemple.fr"), ("header.d", "exemple.fr")…
    pub props: Vec<(String, String)>,
}

impl MethodResult {
    /// The value of property `name` ("header.d"), if present.
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.props.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What the headers say about a mail's From.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Authenticated, by this method ("dmarc", "spf", "dkim").
    Pass(&'static str),
    /// Not authenticated, and why (for the logs and the held mail).
    Fail(String),
}

/// A token of a header once its comments are gone.
#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Eq,
    Semi,
}

/// The header's tokens: words (a quoted string is one word, unquoted), `=` and `;`. Comments
/// (nested parentheses, with `\` escapes) are dropped; a `.` or `/` joins what surrounds it
/// ("header . d" is "header.d").
fn tokens(value: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = value.chars().peekable();
    let flush = |word: &mut String, out: &mut Vec<Tok>| {
        if !word.is_empty() {
            out.push(Tok::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                let mut depth = 1;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                flush(&mut word, &mut out);
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => word.extend(chars.next()),
                        '"' => break,
                        c => word.push(c),
                    }
                }
            }
            '=' | ';' => {
                flush(&mut word, &mut out);
                out.push(if c == '=' { Tok::Eq } else { Tok::Semi });
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    // "header . d", "dkim / 1": one word.
    let mut joined: Vec<Tok> = Vec::with_capacity(out.len());
    for t in out {
        if let (Some(Tok::Word(prev)), Tok::Word(w)) = (joined.last_mut(), &t)
            && (prev.ends_with(['.', '/']) || w.starts_with(['.', '/']))
        {
            prev.push_str(w);
            continue;
        }
        joined.push(t);
    }
    joined
}

/// Reads one `Authentication-Results` header value (without the field name). None when it
/// has no authserv-id. A `resinfo` that cannot be read is skipped, not the header.
pub fn parse(value: &str) -> Option<AuthResults> {
    let toks = tokens(value);
    let mut parts = toks.split(|t| *t == Tok::Semi);
    let head = parts.next()?;
    let Some(Tok::Word(id)) = head.first() else {
        return None;
    };
    let mut results = Vec::new();
    for part in parts {
        // method = result, then name = value pairs ("reason", "ptype.property").
        let mut pairs = Vec::new();
        let mut i = 0;
        while i + 3 <= part.len() {
            match (&part[i], part.get(i + 1), part.get(i + 2)) {
                (Tok::Word(k), Some(Tok::Eq), Some(Tok::Word(v))) => {
                    pairs.push((k.to_ascii_lowercase(), v.clone()));
                    i += 3;
                }
                _ => i += 1,
            }
        }
        let mut pairs = pairs.into_iter();
        let Some((method, result)) = pairs.next() else {
            continue;
        };
        let method = method.split('/').next().unwrap_or("").to_owned();
        let props = pairs.filter(|(k, _)| k.contains('.')).collect();
        results.push(MethodResult {
            method,
            result: result.to_ascii_lowercase(),
            props,
        });
    }
    Some(AuthResults {
        authserv_id: id.to_ascii_lowercase(),
        results,
    })
}

/// Second-level names under which people register their own domains: "exemple.co.uk" is an
/// organisation, "co.uk" is not. A short list (no public-suffix list is shipped): a name missing
/// here only makes alignment stricter for that country, never looser than two labels.
const PUBLIC_SECOND_LEVEL: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "gouv.fr", "asso.fr", "nom.fr", "com.fr",
    "tm.fr", "co.jp", "ne.jp", "or.jp", "com.au", "net.au", "org.au", "co.nz", "com.br", "com.mx", "co.za", "com.tr",
    "com.cn", "co.in", "co.il", "com.ar", "com.es", "co.kr", "com.pl",
];

/// The organisational domain of `domain` (RFC 7489 §3.2, approximated): its last two labels,
/// or three under a public second level ("exemple.co.uk").
pub fn org_domain(domain: &str) -> String {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    let keep = if labels.len() >= 3 && PUBLIC_SECOND_LEVEL.contains(&labels[labels.len() - 2..].join(".").as_str()) {
        3
    } else {
        2
    };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

/// The domain of an address or domain property value ("marie@exemple.fr", "@exemple.fr",
/// "exemple.fr"), lower-cased.
fn domain_of(value: &str) -> String {
    value
        .rsplit('@')
        .next()
        .unwrap_or("")
        .trim_matches(['<', '>'])
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Whether two domains belong to the same organisation (relaxed alignment).
pub fn aligned(a: &str, b: &str) -> bool {
    let (a, b) = (domain_of(a), domain_of(b));
    !a.is_empty() && !b.is_empty() && org_domain(&a) == org_domain(&b)
}

/// What the `Authentication-Results` headers of a mail (their values, top to bottom) written by
/// `authserv_id` say about its From address `from`.
pub fn verdict(headers: &[String], authserv_id: &str, from: &str) -> Verdict {
    let from_domain = domain_of(from);
    // The topmost header of our server: what it wrote on receiving the mail. Any other one with
    // its id was below it, so written before it arrived, by someone else.
    let Some(ours) = headers
        .iter()
        .filter_map(|h| parse(h))
        .find(|r| r.authserv_id.eq_ignore_ascii_case(authserv_id.trim()))
    else {
        return Verdict::Fail(format!("no Authentication-Results from {authserv_id}"));
    };
    let mut seen = Vec::new();
    for r in &ours.results {
        seen.push(format!("{}={}", r.method, r.result));
        if r.result != "pass" {
            continue;
        }
        match r.method.as_str() {
            // DMARC evaluated the From domain; when the header names it, it must be this one.
            "dmarc" if r.prop("header.from").is_none_or(|d| domain_of(d) == from_domain) => {
                return Verdict::Pass("dmarc");
            }
            "spf" if r.prop("smtp.mailfrom").is_some_and(|d| aligned(d, &from_domain)) => {
                return Verdict::Pass("spf");
            }
            "dkim"
                if r.prop("header.d")
                    .or_else(|| r.prop("header.i"))
                    .is_some_and(|d| aligned(d, &from_domain)) =>
            {
                return Verdict::Pass("dkim");
            }
            // A pass for another domain: say which.
            _ => {
                if let (Some(p), Some(last)) = (r.props.first(), seen.last_mut()) {
                    *last = format!("{}=pass ({}={}, not {from_domain})", r.method, p.0, p.1);
                }
            }
        }
    }
    if seen.is_empty() {
        Verdict::Fail(format!("{authserv_id} found no result"))
    } else {
        Verdict::Fail(seen.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(headers: &[&str], from: &str) -> Verdict {
        let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        verdict(&h, "mx.voisinage.test", from)
    }

    #[test]
    fn reads_the_rfc_8601_examples() {
        // RFC 8601 appendix B.3.
        let r = parse("example.com;\r\n          spf=pass smtp.mailfrom=example.net").unwrap();
        assert_eq!(r.authserv_id, "example.com");
        assert_eq!(r.results.len(), 1);
        assert_eq!(r.results[0].method, "spf");
        assert_eq!(r.results[0].result, "pass");
        assert_eq!(r.results[0].prop("smtp.mailfrom"), Some("example.net"));
        // B.4: several methods, a version, comments everywhere.
        let r = parse(
            "example.com 1;\r\n auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n spf=pass smtp.mailfrom=example.net (comment; with = signs)",
        )
        .unwrap();
        assert_eq!(r.authserv_id, "example.com");
        let methods: Vec<_> = r
            .results
            .iter()
            .map(|m| (m.method.as_str(), m.result.as_str()))
            .collect();
        assert_eq!(methods, [("auth", "pass"), ("spf", "pass")]);
        assert_eq!(r.results[0].prop("smtp.auth"), Some("sender@example.net"));
        // B.6: DKIM with a reason and a quoted value.
        let r = parse(
            "mail-router.example.net;\r\n dkim=pass (good signature) header.d=newyork.example.com header.b=oINEO8hg;\r\n dkim=fail (bad signature) reason=\"key; revoked\" header.d=newyork.example.com",
        )
        .unwrap();
        assert_eq!(r.results.len(), 2);
        assert_eq!(r.results[0].prop("header.d"), Some("newyork.example.com"));
        assert_eq!(r.results[1].result, "fail");
        assert_eq!(r.results[1].prop("header.d"), Some("newyork.example.com"));
        // "none": no result at all.
        let r = parse("example.org 1; none").unwrap();
        assert!(r.results.is_empty(), "{r:?}");
    }

    #[test]
    fn reads_what_real_servers_write() {
        // OpenDMARC, with its comment; Gmail's one header; spaces around = and a method version.
        let r = parse("mx.voisinage.test; dmarc=pass (p=reject dis=none) header.from=exemple.fr").unwrap();
        assert_eq!(r.results[0].method, "dmarc");
        assert_eq!(r.results[0].prop("header.from"), Some("exemple.fr"));
        let r = parse(
            "mx.google.com;\r\n       dkim=pass header.i=@exemple.fr header.s=s1 header.b=abc;\r\n       spf=pass (google.com: domain of marie@exemple.fr designates 1.2.3.4 as permitted sender) smtp.mailfrom=marie@exemple.fr;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=exemple.fr",
        )
        .unwrap();
        let methods: Vec<_> = r.results.iter().map(|m| m.method.as_str()).collect();
        assert_eq!(methods, ["dkim", "spf", "dmarc"]);
        assert_eq!(r.results[1].prop("smtp.mailfrom"), Some("marie@exemple.fr"));
        let r = parse("MX.Voisinage.Test ; DKIM/1 = Pass header . d = exemple.fr").unwrap();
        assert_eq!(r.authserv_id, "mx.voisinage.test");
        assert_eq!(r.results[0].method, "dkim");
        assert_eq!(r.results[0].result, "pass");
        assert_eq!(r.results[0].prop("header.d"), Some("exemple.fr"));
        // A quoted authserv-id, nested comments.
        let r = parse("\"mx.voisinage.test\" (a (nested) comment); spf=fail smtp.mailfrom=x.example").unwrap();
        assert_eq!(r.authserv_id, "mx.voisinage.test");
        assert_eq!(r.results[0].result, "fail");
        // Garbage is not a header; a broken resinfo is skipped, not the header.
        assert_eq!(parse(""), None);
        assert_eq!(parse("; spf=pass"), None);
        let r = parse("mx.voisinage.test; =pass; spf=pass smtp.mailfrom=exemple.fr").unwrap();
        assert_eq!(r.results.len(), 1, "{r:?}");
    }

    #[test]
    fn organisational_domains_and_alignment() {
        assert_eq!(org_domain("mail.exemple.fr"), "exemple.fr");
        assert_eq!(org_domain("exemple.fr"), "exemple.fr");
        assert_eq!(org_domain("bounces.exemple.co.uk"), "exemple.co.uk");
        assert_eq!(org_domain("fr"), "fr");
        assert!(aligned("bounce@mail.exemple.fr", "exemple.fr"));
        assert!(aligned("@Exemple.FR", "marie@exemple.fr"));
        assert!(!aligned("exemple.fr.evil.example", "exemple.fr"));
        assert!(!aligned("a.co.uk", "b.co.uk"));
        assert!(!aligned("", "exemple.fr"));
    }

    #[test]
    fn trusts_only_aligned_passes_from_our_server() {
        let from = "marie@exemple.fr";
        assert_eq!(
            v(&["mx.voisinage.test; dmarc=pass header.from=exemple.fr"], from),
            Verdict::Pass("dmarc")
        );
        assert_eq!(
            v(
                &["mx.voisinage.test; spf=pass smtp.mailfrom=bounce@news.exemple.fr"],
                from
            ),
            Verdict::Pass("spf")
        );
        assert_eq!(
            v(
                &["mx.voisinage.test; dkim=pass header.d=exemple.fr header.s=2026"],
                from
            ),
            Verdict::Pass("dkim")
        );
        assert_eq!(
            v(&["mx.voisinage.test; dkim=pass header.i=@exemple.fr"], from),
            Verdict::Pass("dkim")
        );
        // Passes for another domain prove nothing about this From.
        let Verdict::Fail(why) = v(
            &["mx.voisinage.test; spf=pass smtp.mailfrom=pirate@ailleurs.example; dkim=pass header.d=ailleurs.example"],
            from,
        ) else {
            panic!("not aligned")
        };
        assert!(
            why.contains("spf=pass (smtp.mailfrom=pirate@ailleurs.example, not exemple.fr)"),
            "{why}"
        );
        assert!(matches!(
            v(&["mx.voisinage.test; dmarc=pass header.from=ailleurs.example"], from),
            Verdict::Fail(_)
        ));
        assert_eq!(
            v(
                &["mx.voisinage.test; dmarc=fail header.from=exemple.fr; spf=softfail smtp.mailfrom=exemple.fr"],
                from
            ),
            Verdict::Fail("dmarc=fail, spf=softfail".into())
        );
        assert_eq!(
            v(&["mx.voisinage.test; none"], from),
            Verdict::Fail("mx.voisinage.test found no result".into())
        );
        assert_eq!(
            v(&[], from),
            Verdict::Fail("no Authentication-Results from mx.voisinage.test".into())
        );
    }

    #[test]
    fn headers_from_anyone_else_are_ignored_above_and_below() {
        let from = "marie@exemple.fr";
        // A forger's "pass" under another id, above or below ours, changes nothing.
        let other = "mx.ailleurs.example; dmarc=pass header.from=exemple.fr";
        let ours_fail = "mx.voisinage.test; dmarc=fail header.from=exemple.fr";
        assert!(matches!(v(&[other, ours_fail], from), Verdict::Fail(_)));
        assert!(matches!(v(&[ours_fail, other], from), Verdict::Fail(_)));
        assert!(matches!(v(&[other], from), Verdict::Fail(_)));
        // A forged header with our id sits below the one our server prepended: ignored.
        let forged_ours = "mx.voisinage.test; dmarc=pass header.from=exemple.fr";
        assert!(matches!(v(&[ours_fail, forged_ours], from), Verdict::Fail(_)));
        // The genuine pass is read whatever others wrote around it.
        let ours_pass = "mx.voisinage.test; dkim=pass header.d=exemple.fr";
        let other_fail = "mx.ailleurs.example; dmarc=fail header.from=exemple.fr";
        assert_eq!(v(&[other_fail, ours_pass, ours_fail], from), Verdict::Pass("dkim"));
        // A server id that merely contains ours is another server.
        assert!(matches!(
            v(
                &["mx.voisinage.test.evil.example; dmarc=pass header.from=exemple.fr"],
                from
            ),
            Verdict::Fail(_)
        ));
    }
}
