//! `qtriage decode-auth`: the user names (and, if asked, passwords) of AUTH LOGIN / PLAIN
//! exchanges in an SMTP transcript.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;

use super::{exit::ExitCode, GlobalArgs};
use crate::logs::decode_auth::{decode, AuthExchange, MAX_TRANSCRIPT_BYTES};
use crate::sanitize::sanitize_bytes;

use super::print::actions::{AuthExchangeJson, DecodeAuthJson};

/// What is printed instead of a password.
pub const PASSWORD_MASK: &str = "****";

/// Arguments of `decode-auth`.
#[derive(Debug, clap::Args)]
pub struct DecodeAuthArgs {
    /// The transcript (a capture, `<<<`/`>>>` log lines, or one line); stdin when absent.
    pub file: Option<PathBuf>,
    /// Print decoded passwords instead of `****`.
    #[arg(long)]
    pub show_passwords: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Run `decode-auth`: exit 0 when an exchange was found, 1 when none.
pub fn run(
    _global: &GlobalArgs,
    args: &DecodeAuthArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut bytes = Vec::new();
    let limit = MAX_TRANSCRIPT_BYTES as u64;
    match &args.file {
        Some(p) => std::fs::File::open(p)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .with_context(|| format!("{}", p.display()))?,
        None => std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)
            .context("stdin")?,
    };
    let found = decode(&bytes);
    if args.json {
        let j = DecodeAuthJson {
            exchanges: found
                .iter()
                .map(|ex| AuthExchangeJson::new(ex, args.show_passwords))
                .collect(),
        };
        super::print::json::write_line(out, &j)?;
    }
    for ex in found.iter().filter(|_| !args.json) {
        write_exchange(out, ex, args.show_passwords)?;
    }
    if found.is_empty() {
        // Exit 1 alone told a newcomer nothing: say what was looked for, and in how much.
        let from = args
            .file
            .as_ref()
            .map_or_else(|| "stdin".to_string(), |p| p.display().to_string());
        warnln!(
            "qtriage: no AUTH LOGIN or AUTH PLAIN exchange in {} ({} bytes read)",
            crate::sanitize::sanitize_str(&from),
            bytes.len()
        );
    }
    Ok(if found.is_empty() {
        ExitCode::NoMatch
    } else {
        ExitCode::Success
    })
}

/// `line 6: AUTH LOGIN user=test password=**** reply=235 (success)`.
pub fn write_exchange(
    out: &mut dyn Write,
    ex: &AuthExchange,
    show_passwords: bool,
) -> std::io::Result<()> {
    let user = ex
        .user
        .as_deref()
        .map_or_else(|| "?".into(), |u| sanitize_bytes(u).into_owned());
    let password = match (&ex.password, show_passwords) {
        (None, _) => "?".to_string(),
        (Some(_), false) => PASSWORD_MASK.to_string(),
        (Some(p), true) => sanitize_bytes(p).into_owned(),
    };
    let reply = match (ex.reply, ex.is_success()) {
        (Some(code), Some(true)) => format!("{code} (success)"),
        (Some(code), _) => format!("{code} (failure)"),
        (None, _) => "not seen".to_string(),
    };
    let mech = ex.mechanism.map_or("?", |m| m.name());
    writeln!(
        out,
        "line {}: AUTH {mech} user={user} password={password} reply={reply}",
        ex.line
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(t: &str, show: bool) -> String {
        let mut out = Vec::new();
        for ex in decode(t.as_bytes()) {
            write_exchange(&mut out, &ex, show).expect("write");
        }
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn passwords_are_masked_unless_asked() {
        let t = "AUTH LOGIN 334 VXNlcm5hbWU6 dGVzdA== 334 UGFzc3dvcmQ6 MTIzNDU= 235 ok";
        assert_eq!(
            shown(t, false),
            "line 1: AUTH LOGIN user=test password=**** reply=235 (success)\n"
        );
        assert_eq!(
            shown(t, true),
            "line 1: AUTH LOGIN user=test password=12345 reply=235 (success)\n"
        );
    }

    #[test]
    fn escape_sequences_in_a_decoded_user_are_made_visible_wherever_output_goes() {
        // "\x1b[2Jroot" base64-encoded.
        let t = "AUTH LOGIN G1sySnJvb3Q=\n535 no";
        let s = shown(t, false);
        assert_eq!(
            s,
            "line 1: AUTH LOGIN user=\\e[2Jroot password=? reply=535 (failure)\n"
        );
    }
}
