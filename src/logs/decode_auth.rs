//! Decode SMTP AUTH LOGIN / AUTH PLAIN exchanges from a transcript (a capture, `<<<`/`>>>` log
//! lines, or everything on one line) into user names, passwords and outcomes.
//!
//! The transcript is read as a stream of words, so line breaks do not matter: `AUTH LOGIN 334
//! VXNlcm5hbWU6 dGVzdA== 334 UGFzc3dvcmQ6 dGVzdA== 235` decodes as well as the same exchange
//! over six lines. Challenges are decoded to tell the user name from the password; when a
//! server's challenge says neither, the first answer is the user and the second the password.
//! Passwords are returned to the caller, which masks them unless asked not to.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Most transcript bytes read.
pub const MAX_TRANSCRIPT_BYTES: usize = 64 * 1024 * 1024;
/// Most exchanges reported.
pub const MAX_EXCHANGES: usize = 100_000;
/// Longest word considered (a base64 AUTH answer is short; longer words are message data).
pub const MAX_WORD_BYTES: usize = 2048;

/// Which mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Mechanism {
    /// AUTH LOGIN: user and password in two base64 answers.
    Login,
    /// AUTH PLAIN: `authzid\0user\0password` in one base64 answer.
    Plain,
}

impl Mechanism {
    /// `LOGIN` / `PLAIN`.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Login => "LOGIN",
            Mechanism::Plain => "PLAIN",
        }
    }
}

/// One AUTH exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthExchange {
    /// Line of the `AUTH` command (1-based).
    pub line: usize,
    /// The mechanism (`None` never escapes [`decode`]).
    pub mechanism: Option<Mechanism>,
    /// Decoded user name bytes.
    pub user: Option<Vec<u8>>,
    /// Decoded password bytes (mask before showing).
    pub password: Option<Vec<u8>>,
    /// The server's final reply code (235 success, 535 failure...), when visible.
    pub reply: Option<u16>,
}

impl AuthExchange {
    /// `Some(true)` for a 2xx reply, `Some(false)` for 4xx/5xx, `None` when not visible.
    pub fn is_success(&self) -> Option<bool> {
        self.reply.map(|c| (200..300).contains(&c))
    }
}

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn b64(word: &str) -> Option<Vec<u8>> {
    LENIENT.decode(word).ok()
}

fn looks_base64(word: &str) -> bool {
    word.len() >= 2
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// A word after `AUTH LOGIN` on the same line that is a client's initial response: base64
/// that decodes to UTF-8 (prose such as `AUTH LOGIN here` does not).
fn is_initial_response(word: &str) -> bool {
    looks_base64(word) && b64(word).is_some_and(|d| std::str::from_utf8(&d).is_ok())
}

fn reply_code(word: &str) -> Option<u16> {
    let digits = word.get(..3)?;
    let rest = &word[3..];
    (digits.bytes().all(|b| b.is_ascii_digit()) && (rest.is_empty() || rest == "-"))
        .then(|| digits.parse().ok())?
}

/// What the next word is: a server challenge, or the client's answer to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Challenge,
    User { is_plain_text: bool },
    Password { is_plain_text: bool },
    PlainResponse,
}

/// The words of a transcript with their line numbers: log markers (`<<<`, `>>>`, `C:`, `S:`)
/// dropped, quotes and commas trimmed.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().flat_map(|(n, line)| {
        line.split_whitespace()
            .map(|w| w.trim_matches(|c| matches!(c, '\'' | '"' | ',' | '`')))
            .filter(|w| !w.is_empty() && w.len() <= MAX_WORD_BYTES)
            .filter(|w| !w.bytes().all(|b| b == b'<' || b == b'>') && !matches!(*w, "C:" | "S:"))
            .map(move |w| (n + 1, w))
    })
}

/// Every AUTH LOGIN / PLAIN exchange in `transcript` (at most [`MAX_TRANSCRIPT_BYTES`] read).
pub fn decode(transcript: &[u8]) -> Vec<AuthExchange> {
    let cut = &transcript[..transcript.len().min(MAX_TRANSCRIPT_BYTES)];
    let text = String::from_utf8_lossy(cut);
    let mut d = Decoder::default();
    let mut it = words(&text).peekable();
    while let Some((line, w)) = it.next() {
        if d.out.len() >= MAX_EXCHANGES {
            break;
        }
        if !w.eq_ignore_ascii_case("AUTH") {
            d.word(w);
            continue;
        }
        let mech = match it.peek().map(|(_, m)| m.to_ascii_uppercase()) {
            Some(m) if m == "LOGIN" => Mechanism::Login,
            Some(m) if m == "PLAIN" => Mechanism::Plain,
            _ => continue,
        };
        it.next();
        // An initial response on the AUTH line itself.
        let initial = it
            .next_if(|(l, r)| *l == line && reply_code(r).is_none() && is_initial_response(r))
            .map(|(_, r)| r);
        d.start(line, mech, initial);
    }
    d.out.extend(d.cur.take());
    // `AUTH LOGIN` mentioned in prose, with nothing after it, is no exchange.
    d.out
        .retain(|e| e.user.is_some() || e.password.is_some() || e.reply.is_some());
    d.out.truncate(MAX_EXCHANGES);
    d.out
}

/// The exchange being read and the ones finished.
#[derive(Debug, Default)]
struct Decoder {
    out: Vec<AuthExchange>,
    cur: Option<AuthExchange>,
    pending: Option<Pending>,
    challenges: u32,
}

impl Decoder {
    fn start(&mut self, line: usize, mech: Mechanism, initial: Option<&str>) {
        self.out.extend(self.cur.take());
        let mut ex = AuthExchange {
            line,
            mechanism: Some(mech),
            ..AuthExchange::default()
        };
        (self.pending, self.challenges) = (None, 0);
        if let Some(r) = initial {
            let what = match mech {
                Mechanism::Plain => Pending::PlainResponse,
                Mechanism::Login => Pending::User {
                    is_plain_text: false,
                },
            };
            answer(&mut ex, what, r);
        }
        self.cur = Some(ex);
    }

    /// One word inside (or outside, then ignored) an exchange.
    fn word(&mut self, w: &str) {
        let Some(ex) = self.cur.as_mut() else { return };
        if self.pending == Some(Pending::Challenge) {
            self.challenges += 1;
            self.pending = Some(challenge(w, self.challenges));
            return;
        }
        let reply = match (reply_code(w), w) {
            (Some(334), _) => {
                self.pending = Some(match ex.mechanism {
                    Some(Mechanism::Plain) => Pending::PlainResponse,
                    _ => Pending::Challenge,
                });
                return;
            }
            (Some(code @ (200..=299 | 400..=599)), _) => code,
            (Some(_), _) => return,
            // The client cancels with `*`.
            (None, "*") => 501,
            (None, _) => {
                if let Some(p) = self.pending.take() {
                    answer(ex, p, w);
                }
                return;
            }
        };
        ex.reply = Some(reply);
        self.out.extend(self.cur.take());
    }
}

/// What a LOGIN challenge asks for: decoded `Username:`/`Password:`, the same in clear text
/// (then the answer is clear text too), else by position.
fn challenge(word: &str, nth: u32) -> Pending {
    let clear = word.to_ascii_lowercase();
    if clear.starts_with("username") {
        return Pending::User {
            is_plain_text: true,
        };
    }
    if clear.starts_with("password") {
        return Pending::Password {
            is_plain_text: true,
        };
    }
    let decoded = b64(word)
        .map(|d| String::from_utf8_lossy(&d).to_ascii_lowercase())
        .unwrap_or_default();
    if decoded.starts_with("user") {
        Pending::User {
            is_plain_text: false,
        }
    } else if decoded.starts_with("pass") {
        Pending::Password {
            is_plain_text: false,
        }
    } else if nth == 1 {
        Pending::User {
            is_plain_text: false,
        }
    } else {
        Pending::Password {
            is_plain_text: false,
        }
    }
}

fn answer(ex: &mut AuthExchange, pending: Pending, word: &str) {
    let value = |is_plain_text: bool| {
        if is_plain_text {
            Some(word.as_bytes().to_vec())
        } else {
            b64(word)
        }
    };
    match pending {
        Pending::User { is_plain_text } => ex.user = value(is_plain_text),
        Pending::Password { is_plain_text } => ex.password = value(is_plain_text),
        Pending::PlainResponse => {
            if let Some(d) = b64(word) {
                let mut parts = d.split(|&b| b == 0);
                let (_authzid, user, pass) = (parts.next(), parts.next(), parts.next());
                ex.user = user.map(<[u8]>::to_vec);
                ex.password = pass.map(<[u8]>::to_vec);
            }
        }
        Pending::Challenge => {}
    }
}

#[cfg(test)]
mod tests;
