//! Render a ReportInput as markdown for the operator's records and delisting requests.
//!
//! Values that came from messages or files are already sanitized (no control characters); here
//! they are also put in code spans, and a table cell's `|` escaped, so a hostile subject or user
//! name can neither format the document nor break a table.

use std::fmt::Write;

use super::{Beyond, Counted, ReportInput};
use crate::queue::date::rfc3339;
use crate::sanitize::sanitize_bytes;
use crate::size::{counted, thousands};

/// A value as an inline code span that survives any content (GFM: a fence longer than any run
/// of backticks inside). In a table, [`cell`] escapes its `|`.
pub fn code(value: &str) -> String {
    if value.is_empty() {
        return "` `".into();
    }
    let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{value}{pad}{fence}")
}

/// A table cell's markdown with every `|` escaped: GFM splits a row at each unescaped one, code
/// spans included, and takes `\|` back to `|` only in a table's cells. Outside a table a code
/// span showed the backslash: the recommended fix named a login `x\|y` that does not exist
/// (hostile53).
fn cell(markdown: &str) -> String {
    markdown.replace('|', "\\|")
}

/// Prose that may quote message values (the ranking's reasons, notes) with the characters that
/// make links, HTML, entities, emphasis, headings and table cells backslash-escaped (GFM escapes
/// any ASCII punctuation), so a HELO such as `[delist here](http://evil)` or `<img ...>` stays
/// text in a delisting ticket; parentheses stay as they are, for readability. A word GFM would
/// turn into a link by itself (`www.evil.example`, `http://...`, an address: its autolinks need
/// no brackets, review52) is put in a code span, which nothing links.
pub fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    words_into(&mut out, text);
    out
}

/// A note of ours as [`prose`], except that what it puts between backticks (`qtriage list
/// problem:any`) is a code span, as meant: escaped, it showed its backticks (newuser52). The
/// ranking's reasons quote values whole, so they are [`prose`]: there a hostile value's
/// backticks would make spans of its own (inert, but no longer its exact text); a path or error
/// quoted in a note may do that, and nothing in a span is live. An unpaired one is escaped.
pub fn note(text: &str) -> String {
    let pieces: Vec<&str> = text.split('`').collect();
    let paired = pieces.len() - 1 - (pieces.len() - 1) % 2;
    let mut out = String::with_capacity(text.len() + 8);
    for (i, piece) in pieces.iter().enumerate() {
        match i % 2 == 1 && i <= paired {
            true if !piece.is_empty() => out.push_str(&code(piece)),
            true => out.push_str("\\`\\`"),
            false => {
                if i > paired {
                    out.push_str("\\`");
                }
                words_into(&mut out, piece);
            }
        }
    }
    out
}

/// [`prose`] of text without backticks, word by word.
fn words_into(out: &mut String, text: &str) {
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if links_by_itself(word) {
            // The sentence's own punctuation stays outside the span: a copied login must not
            // carry the colon after it (review52b: `sales@example.com:`).
            let before_trail =
                word.trim_end_matches(['.', ',', ':', ';', '!', '?', ')', '"', '\'']);
            let core = before_trail.trim_start_matches(['(', '"', '\'']);
            let lead = &word[..before_trail.len() - core.len()];
            escape_into(out, lead);
            out.push_str(&code(core));
            escape_into(out, &word[before_trail.len()..]);
            continue;
        }
        escape_into(out, word);
    }
}

/// `text` with markdown's punctuation backslash-escaped (see [`prose`]).
fn escape_into(out: &mut String, text: &str) {
    for ch in text.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '|' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
}

/// Would GFM's extended autolinks make a link of (part of) `word`: `www.`, a scheme's `://`,
/// `mailto:`, an address (`@` then a dot), or GitHub a mention (`@` then a name: it links them
/// in the rendered HTML, where a `\@` escape is gone, review53b)?
fn links_by_itself(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    w.contains("www.")
        || w.contains("://")
        || w.contains("mailto:")
        || w.contains("xmpp:")
        || w.find('@').is_some_and(|at| w[at..].contains('.'))
        // Any `@` before a name, not only the first (review53c: `@@octocat`, `@-@octocat`).
        || (w.match_indices('@')).any(|(at, _)| w[at + 1..].starts_with(char::is_alphanumeric))
}

/// Accounts a fix line names before "and N more".
const ACCOUNTS_SHOWN: usize = 100;

/// `secs` in the largest whole unit that keeps two figures of it: `9 seconds`, `14 minutes`,
/// `5 hours`, `3 days`.
fn span_words(secs: i64) -> String {
    let secs = secs.max(0);
    let (n, unit) = match secs {
        0..120 => (secs, "second"),
        120..7_200 => (secs / 60, "minute"),
        7_200..172_800 => (secs / 3_600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    crate::size::counted(n as u64, unit, &format!("{unit}s"))
}

fn time_or_none(t: Option<i64>) -> String {
    t.map(rfc3339).unwrap_or_else(|| "none".into())
}

/// A table of `rows`, then how many it leaves out (`more`): the list is capped, and newuser53
/// read 10 of about 3,000 IPs as the whole.
fn counted_table(out: &mut String, title: &str, head: &str, rows: &[Counted], more: Beyond) {
    let _ = writeln!(out, "\n## {title}\n");
    if rows.is_empty() {
        let _ = writeln!(out, "none");
        return;
    }
    let _ = writeln!(out, "| {head} | messages |\n| --- | ---: |");
    for r in rows {
        let value = cell(&code(&r.value));
        let _ = writeln!(out, "| {value} | {} |", thousands(r.messages));
    }
    if more.values > 0 {
        let _ = writeln!(
            out,
            "\nand {} more, with {} (not listed)",
            thousands(more.values),
            counted(more.messages, "message", "messages")
        );
    }
}

fn header_and_timeline(out: &mut String, r: &ReportInput) {
    let _ = writeln!(out, "# Incident report\n");
    // The listed IP is the operator's to add: nothing in the queue says which address the
    // server sends from.
    let _ = match &r.server {
        Some(me) => writeln!(
            out,
            "Server: {} (qmail's control/me; its outbound IP is not in the queue).",
            code(me)
        ),
        None => writeln!(
            out,
            "Server: unknown (qmail's control/me could not be read; nor is its outbound IP in \
             the queue)."
        ),
    };
    let _ = writeln!(out, "Written {}.", rfc3339(r.now));
    match r.since {
        Some(s) => {
            let _ = writeln!(out, "Window: messages queued since {}.", rfc3339(s));
        }
        None => {
            let _ = writeln!(out, "Window: every message in the queue and the yank area.");
        }
    }
    let t = &r.timeline;
    let _ = writeln!(out, "\n## Timeline\n");
    let _ = writeln!(
        out,
        "- First spam queued: {}",
        time_or_none(t.first_spam_queued)
    );
    // How long before the report: "9 s before" and "2 hours before" answer the reader's
    // first question, whether it is still going on (newuser55), with no claim qtriage cannot
    // make (that the source is closed).
    let last = match t.last_spam_queued {
        Some(at) => format!(
            "{} ({} before this report was written)",
            rfc3339(at),
            span_words(r.now.saturating_sub(at))
        ),
        None => time_or_none(None),
    };
    let _ = writeln!(out, "- Last spam queued: {last}");
    let _ = writeln!(
        out,
        "- Peak rate: {} messages per minute (minute starting {})",
        thousands(t.peak_per_minute),
        time_or_none(t.peak_minute)
    );
    let _ = writeln!(
        out,
        // Said on the line, not only in the notes: beside `plan`'s count, which takes the
        // bounces too, the bare figure read as spam missed (newuser54: 13,000 against 13,800).
        "- Spam messages (the culprits' own, their bounces aside): {} of {} messages in the window",
        thousands(t.spam_messages),
        thousands(t.messages)
    );
    // The operator's verdict, beside the ranking's: on a shared host the ranking holds a
    // plugin's flood as a suspect, and a reader saw only "0 spam messages" (newuser56).
    if let Some(j) = &r.operator_judged {
        let _ = writeln!(
            out,
            "- Yanked as spam by the operator (no culprit accounts for them): {}, queued {} to {} \
             ({} before this report was written)",
            counted(j.messages, "message", "messages"),
            time_or_none(j.first_queued),
            time_or_none(j.last_queued),
            span_words(r.now.saturating_sub(j.last_queued.unwrap_or(r.now)))
        );
    }
}

fn culprits(out: &mut String, r: &ReportInput) {
    let _ = writeln!(out, "\n## Culprits\n");
    let yanked = (r.yanked_no_culprit > 0).then(|| yanked_apart_line(r));
    if r.culprits.is_empty() {
        let _ = writeln!(out, "none found");
        if let Some(line) = yanked {
            let _ = writeln!(out, "\n{line}");
        }
        return;
    }
    let _ = writeln!(
        out,
        "| kind | value | messages | of them yanked | recipients | reasons |\n\
         | --- | --- | ---: | ---: | ---: | --- |"
    );
    for c in &r.culprits {
        let reasons: Vec<String> = c.reasons.iter().map(|x| prose(x)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            c.kind.name(),
            cell(&code(&c.value)),
            thousands(c.messages),
            thousands(c.yanked),
            thousands(c.recipients),
            cell(&reasons.join("; "))
        );
    }
    if let Some(line) = yanked {
        let _ = writeln!(out, "\n{line}");
    }
}

/// The line naming what the operator yanked that no culprit accounts for, by batch: not
/// counted as spam, since the ranking calls none of it spam.
fn yanked_apart_line(r: &ReportInput) -> String {
    let n = counted(r.yanked_no_culprit, "message", "messages");
    let by = match yank_batches(r) {
        batches if batches.is_empty() => String::new(),
        batches => format!(": {}", batches.join("; ")),
    };
    format!(
        "Also yanked by the operator, not counted as spam (no culprit accounts for them): {n}{by}. \
         {JUDGED_POINTER}"
    )
}

/// The batches that yanked what no culprit accounts for: `N in batch `ID` (`QUERY`)`, and
/// `N in no batch`.
fn yank_batches(r: &ReportInput) -> Vec<String> {
    (r.yanked_no_culprit_batches.iter())
        .map(|b| match (&b.batch, &b.selection) {
            (Some(batch), Some(selection)) => format!(
                "{} in batch {} ({})",
                thousands(b.messages),
                code(batch),
                code(selection)
            ),
            _ => format!("{} in no batch", thousands(b.messages)),
        })
        .collect()
}

/// The title of the section on the operator's yanks no culprit accounts for.
const JUDGED_TITLE: &str = "Yanked as spam by the operator";

/// Where the Culprits section sends the reader for them.
const JUDGED_POINTER: &str = "They are described under Yanked as spam by the operator.";

/// `rows` as `` `a` (3), `b` (2) and 4 more (9 messages)``.
fn counted_words(rows: &[Counted], more: Beyond) -> String {
    let listed: Vec<String> = (rows.iter())
        .map(|r| format!("{} ({})", code(&r.value), thousands(r.messages)))
        .collect();
    let more = match more.values {
        0 => String::new(),
        n => format!(
            " and {} more ({})",
            thousands(n),
            counted(more.messages, "message", "messages")
        ),
    };
    format!("{}{more}", listed.join(", "))
}

/// The operator's yanks no culprit accounts for, described: their verdict, kept apart from
/// the culprits' sections and counts.
fn operator_judged(out: &mut String, r: &ReportInput) {
    let Some(j) = &r.operator_judged else {
        return;
    };
    let _ = writeln!(out, "\n## {JUDGED_TITLE}\n");
    let _ = writeln!(
        out,
        "The operator judged these messages spam and yanked them; qtriage's ranking names no \
         culprit for them, so they are not among the culprits, their origin IPs, scripts, \
         subjects or spam counts above. Named here is only what the operator's own selections \
         name (a script, a uid, a login, a From address, an internal client) of the mail this \
         server sent.\n"
    );
    let peak = match j.peak_minute {
        Some(at) => format!(
            ", at most {} a minute (minute starting {})",
            thousands(j.peak_per_minute),
            rfc3339(at)
        ),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "- Messages: {} to {}, queued {} to {}{peak}",
        thousands(j.messages),
        counted(j.recipients, "recipient", "recipients"),
        time_or_none(j.first_queued),
        time_or_none(j.last_queued)
    );
    if j.from_elsewhere > 0 {
        let _ = writeln!(
            out,
            "- Of them, came in from other servers: {} (not described: mail this server did \
             not send; if it is real mail, restore it)",
            thousands(j.from_elsewhere)
        );
    }
    // Only what a selection stated is named (docs/cli.md): the lines with nothing are left.
    let lists = [
        ("Scripts that sent them", &j.scripts, j.scripts_more),
        ("Uids that queued them", &j.uids, Beyond::default()),
        (
            "AUTH logins that sent them",
            &j.auth_users,
            Beyond::default(),
        ),
        ("From addresses", &j.from, Beyond::default()),
        (
            "Internal clients that handed them to qmail-smtpd",
            &j.internal_clients,
            Beyond::default(),
        ),
    ];
    for (title, rows, more) in lists.into_iter().filter(|l| !l.1.is_empty()) {
        let _ = writeln!(out, "- {title}: {}", counted_words(rows, more));
    }
    if !j.subjects.is_empty() {
        let _ = writeln!(
            out,
            "- Subjects on {} of them or more: {}",
            super::judged::SUBJECT_NAMED_AT,
            counted_words(&j.subjects, Beyond::default())
        );
    }
}

fn evidence_and_actions(out: &mut String, r: &ReportInput) {
    let _ = writeln!(out, "\n## Evidence\n");
    if r.evidence.is_empty() {
        let _ = writeln!(out, "none");
    }
    for e in &r.evidence {
        let source = match e.source {
            super::EvidenceSource::Headers => "headers",
            super::EvidenceSource::Log => "log",
        };
        let _ = writeln!(out, "- {source}: {}", code(&e.text));
    }
    // The notes hold paths and errors (the operator's, but quoted from files): escaped, as
    // every other line (hostile53: a path named `<img src=...>` was an image).
    if let Some(n) = &r.log_note {
        let _ = writeln!(out, "- log: {}", note(n));
    }
    let _ = writeln!(out, "\n## What was done\n");
    if let Some(n) = &r.journal_note {
        let _ = writeln!(out, "{}", note(n));
    }
    if !r.actions_done.is_empty() {
        let _ = writeln!(
            out,
            "| batch | action | messages | time | selection |\n| --- | --- | ---: | --- | --- |"
        );
        for a in &r.actions_done {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&code(&a.batch)),
                cell(&a.action_words(code)),
                thousands(a.messages),
                rfc3339(a.time),
                cell(&code(&a.selection))
            );
        }
    }
}

fn remaining_and_fixes(out: &mut String, r: &ReportInput) {
    let m = &r.remaining;
    let _ = writeln!(out, "\n## What remains in the queue\n");
    let _ = writeln!(out, "- Messages in queue: {}", thousands(m.messages));
    let _ = writeln!(
        out,
        "- Not yet preprocessed: {}",
        thousands(m.unpreprocessed)
    );
    // Counted from remote/ and local/, which qmail-send writes when it preprocesses: a queue
    // still all in todo/ said `0; 0` beside its 13,000 recipients (mix61).
    let pending = match m.unpreprocessed {
        0 => String::new(),
        n => format!(
            " (of the preprocessed; the {} not yet preprocessed are not counted)",
            thousands(n)
        ),
    };
    let _ = writeln!(
        out,
        "- With remote recipients: {}; with local recipients: {}{pending}",
        thousands(m.remote),
        thousands(m.local)
    );
    let _ = writeln!(out, "- Bouncing: {}", thousands(m.bouncing));
    let _ = writeln!(
        out,
        "- Spam still queued (the culprits' own, their bounces aside): {}",
        thousands(m.spam_messages)
    );
    let _ = writeln!(out, "\n## Recommended fixes\n");
    // What the culprits name needs no account database: said whether one was read or not.
    let judged = (r.operator_fixes.iter()).map(|f| (f, " (sent what the operator yanked as spam)"));
    for (f, whose) in (r.culprit_fixes.iter()).map(|f| (f, "")).chain(judged) {
        let _ = writeln!(
            out,
            "- {} {}{whose}: {}",
            f.kind.name(),
            code(&f.value),
            f.advice
        );
        if !f.accounts.is_empty() {
            let shown: Vec<String> = (f.accounts.iter().take(ACCOUNTS_SHOWN))
                .map(|a| code(a))
                .collect();
            let more = match f.accounts.len().saturating_sub(ACCOUNTS_SHOWN) {
                0 => String::new(),
                n => format!(
                    ", and {} more (the JSON's `culprit_fixes` lists all)",
                    thousands(n as u64)
                ),
            };
            let n = thousands(f.accounts.len() as u64);
            let _ = writeln!(out, "  - {n} accounts: {}{more}", shown.join(", "));
        }
    }
    if !r.culprit_fixes.is_empty() || !r.operator_fixes.is_empty() {
        let _ = writeln!(out);
    }
    if let Some(n) = &r.accounts_note {
        // No account database was read: "none at risk" would be a claim nobody checked. A
        // bullet, as the fixes above it (newuser52: it sat apart).
        let _ = writeln!(out, "- {}", note(n));
        if r.fixes.is_empty() {
            return;
        }
    }
    if r.accounts_unlisted > 0 {
        let _ = writeln!(
            out,
            "- {} at risk (a guessable password, a role account) and no culprit's: not named \
             in a report that goes to third parties; `qtriage accounts` lists them",
            crate::size::counted(r.accounts_unlisted, "other account", "other accounts")
        );
        if !r.fixes.is_empty() {
            // A table right under a list item would be read as part of it.
            let _ = writeln!(out);
        }
    }
    if r.accounts_note.is_none() && r.fixes.is_empty() {
        if r.accounts_unlisted == 0 {
            let _ = writeln!(out, "no account at risk found");
        }
        return;
    }
    let _ = writeln!(
        out,
        "| account | domain | rules | advice |\n| --- | --- | --- | --- |"
    );
    for f in &r.fixes {
        let rules: Vec<&str> = f.rules.iter().map(|x| x.name()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&code(&sanitize_bytes(&f.account))),
            cell(&code(&sanitize_bytes(&f.domain))),
            rules.join(", "),
            cell(&f.advice)
        );
    }
}

/// The whole report as markdown.
pub fn render(r: &ReportInput) -> String {
    let mut out = String::new();
    header_and_timeline(&mut out, r);
    culprits(&mut out, r);
    counted_table(
        &mut out,
        "Origin IPs",
        "IP",
        &r.origin_ips,
        r.origin_ips_more,
    );
    counted_table(&mut out, "Scripts", "script", &r.scripts, r.scripts_more);
    let samples = Beyond::default();
    counted_table(
        &mut out,
        "Subjects (samples)",
        "subject",
        &r.subjects,
        samples,
    );
    operator_judged(&mut out, r);
    evidence_and_actions(&mut out, r);
    remaining_and_fixes(&mut out, r);
    if !r.notes.is_empty() {
        let _ = writeln!(out, "\n## Notes\n");
        // Recommended fixes said it already, with how to check (e2e52: said twice).
        let said = |n: &&String| r.accounts_note.is_some() && n.starts_with("accounts not checked");
        for n in r.notes.iter().filter(|n| !said(n)) {
            let _ = writeln!(out, "- {}", note(n));
        }
    }
    out
}

#[cfg(test)]
mod tests;
