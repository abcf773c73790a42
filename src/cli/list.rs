//! `qtriage list QUERY`: the messages a query selects, one line each, one JSON object each, or
//! just how many.

use std::io::Write;

use super::exit::ExitCode;
use super::print::json::write_line;
use super::print::list_json::ListJson;
use super::read::{sort_records, SortKey};
use super::GlobalArgs;
use crate::query::{render_error, select, Query, QueryContext};
use crate::queue::date::rfc3339;
use crate::queue::{Interner, MessageRecord, OriginKind, ScanOptions, Sym};
use crate::sanitize::sanitize_bytes;

/// Arguments of `list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The query (docs/query.md). Several words are joined with spaces; quote the whole query
    /// when it holds quotes or parentheses. No query lists every message.
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,
    /// One JSON object per message: the `read --json` fields plus origin, subject and from.
    #[arg(long)]
    pub json: bool,
    /// Print only the number of matching messages.
    #[arg(long, conflicts_with = "json")]
    pub count: bool,
    /// Stop after N messages (after sorting).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Order messages (default: queue order, split directory then id).
    #[arg(long, value_enum)]
    pub sort: Option<SortKey>,
    /// What the server calls its own, as `plan` was given it: a query's `cluster:` terms are
    /// valued as `plan` values its clusters; `--passwd` also names `--json`'s `user`.
    #[command(flatten)]
    pub context: super::clusters::ContextArgs,
    /// vpopmail's directory, for its default domain, as `plan --vpopmail` reads it.
    #[arg(long, value_name = "DIR", env = "QTRIAGE_VPOPMAIL")]
    pub vpopmail: Option<std::path::PathBuf>,
    /// List the yank area's messages, not the queue's: those `restore QUERY` would put back,
    /// to judge what to pick back (text or `--count`).
    #[arg(long, conflicts_with = "json")]
    pub yanked: bool,
    /// The yank area `--yanked` reads [default: <queue>/yanked].
    #[arg(long, value_name = "DIR", requires = "yanked")]
    pub yank_dir: Option<std::path::PathBuf>,
}

/// Parse the query text of a command, printing the caret rendering on stderr when it is bad.
pub fn parse_query(words: &[String]) -> Result<Query, ExitCode> {
    let text = words.join(" ");
    Query::parse(&text).map_err(|e| {
        warnln!("qtriage: {}", render_error(&text, &e));
        ExitCode::Error
    })
}

/// Run `list`. Exits 1 when nothing matches.
pub fn run(global: &GlobalArgs, args: &ListArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let query = match parse_query(&args.query) {
        Ok(q) => q,
        Err(code) => return Ok(code),
    };
    // `age:` counts from QTRIAGE_NOW as `clusters --where` does (and rejects a bad one).
    let now = super::clusters::now()?;
    let queue = global.open_queue()?;
    if args.yanked {
        return list_yanked(args, &query, &queue, out);
    }
    let restored = super::restored::restored_for(&query, &queue)?;
    if args.count && !query.needs_tables() && !global.has_logs() {
        return count_streaming(&query, (&queue, &restored), now, args.limit, out);
    }
    // Before the scan: a mistyped `--log` is said at once, not after reading the queue.
    let evidence = global.load_logs()?;
    let strings = Interner::new();
    let mut scanned = super::scanning::scan(&queue, &strings, ScanOptions::default())?;
    super::print::problems::warn_unlisted_dirs(&scanned.report);
    crate::analysis::evidence::from_any_logs(&mut scanned.records, &strings, evidence.as_ref());
    let ctx = QueryContext {
        queue: &queue,
        strings: &strings,
        now,
        restored: &restored,
    };
    // `cluster:` terms valued under the flags `plan` was given, so its query lists what it
    // counted (newuser49b: 7,075 of 10,794 under vpopmail's default domain).
    let flags = args.context.flags(args.vpopmail.as_deref());
    let tables = match query.needs_tables() {
        true => Some(super::act::tables_for(
            &queue,
            flags,
            &scanned.records,
            &strings,
        )?),
        false => None,
    };
    let tables = tables.as_ref().map(|t| t.borrow());
    let picked = crate::query::select_with(&query, &ctx, &scanned.records, None, tables);
    let mut records: Vec<MessageRecord> = picked
        .into_iter()
        .map(|i| scanned.records[i].clone())
        .collect();
    // The exit status says whether anything matched, `--limit 0` or not (review51: exit 1
    // beside 1,134 matches).
    let matched = found(&records);
    ordered(&mut records, args);
    if args.count {
        writeln!(out, "{}", records.len())?;
    } else if args.json {
        let flags = super::clusters::ContextFlags {
            passwd: args.context.passwd.as_deref(),
            ..Default::default()
        };
        let users = super::clusters::analysis_context(queue.root(), flags, ctx.now).users;
        // Each message's recipients are read from its envelope files as it is printed.
        let envelopes = crate::queue::RecipientReader::new(&queue);
        let mut buf = Vec::new();
        for r in &records {
            let rcpts = envelopes.read(r, &mut buf);
            write_line(out, &ListJson::new(r, &rcpts, &strings, &users))?;
        }
    } else {
        write_lines(out, &records, &strings)?;
    }
    Ok(matched)
}

/// `records` in `--sort`'s order, cut to `--limit`.
fn ordered(records: &mut Vec<MessageRecord>, args: &ListArgs) {
    sort_records(records, args.sort);
    if let Some(n) = args.limit {
        records.truncate(n);
    }
}

/// The text lines of `records`.
fn write_lines(
    out: &mut dyn Write,
    records: &[MessageRecord],
    strings: &Interner,
) -> std::io::Result<()> {
    for r in records {
        out.write_all(line(r, strings).as_bytes())?;
    }
    Ok(())
}

/// Exit 1 when nothing was listed.
fn found(records: &[MessageRecord]) -> ExitCode {
    match records.is_empty() {
        true => ExitCode::NoMatch,
        false => ExitCode::Success,
    }
}

/// `list --yanked`: the yank area's messages that `restore QUERY` would put back (the same
/// selection: [`super::restore::select_yanked`]), one text line each, or how many.
fn list_yanked(
    args: &ListArgs,
    query: &Query,
    queue: &crate::queue::Queue,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let yank_dir = match &args.yank_dir {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => queue.root().join(d),
        None => crate::actions::default_yank_dir(queue.root()),
    };
    let strings = Interner::new();
    let flags = args.context.flags(args.vpopmail.as_deref());
    let mut records = super::restore::select_yanked(query, queue, (&yank_dir, flags), &strings)?;
    let matched = found(&records);
    ordered(&mut records, args);
    match args.count {
        true => writeln!(out, "{}", records.len())?,
        false => write_lines(out, &records, &strings)?,
    }
    Ok(matched)
}

/// `who` of the text line: `smtp-auth:test@86.107.221.138`, `smtp:209.85.220.41`,
/// `local:48:/var/www/mailer.php`, `bounce`...
pub fn origin_label(r: &MessageRecord, strings: &Interner) -> Vec<u8> {
    let o = &r.origin;
    let mut s = o.kind.name().as_bytes().to_vec();
    let push = |s: &mut Vec<u8>, sym: Option<Sym>| {
        if let Some(sym) = sym {
            s.extend_from_slice(&strings.resolve(sym));
        }
    };
    match o.kind {
        OriginKind::SmtpAuth | OriginKind::Smtp if o.ip.is_some() || o.auth_user.is_some() => {
            s.push(b':');
            if o.auth_user.is_some() {
                push(&mut s, o.auth_user);
                s.push(b'@');
            }
            push(&mut s, o.ip);
        }
        OriginKind::Local if o.uid().is_some() => {
            s.extend_from_slice(format!(":{}", o.uid().unwrap_or_default()).as_bytes());
            if o.script.is_some() {
                s.push(b':');
                push(&mut s, o.script);
            }
        }
        _ => {}
    }
    s
}

/// `list --count` for a query that needs no analysis (no `cluster:` or `bounce-of:` term, no
/// `--log`): each message is judged from its own record (and files), so the queue is read in
/// chunks that are counted and dropped, in constant memory, instead of whole.
fn count_streaming(
    query: &Query,
    (queue, restored): (&crate::queue::Queue, &crate::actions::Restored),
    now: i64,
    limit: Option<usize>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut report = crate::queue::ScanReport::default();
    let mut n = 0usize;
    crate::queue::scan::stream_messages(
        queue,
        ScanOptions::default(),
        &mut report,
        &mut |records, strings| {
            let ctx = QueryContext {
                queue,
                strings,
                now,
                restored,
            };
            n += select(query, &ctx, records, None).len();
            Ok(())
        },
    )?;
    super::print::problems::warn_unlisted_dirs(&report);
    writeln!(out, "{}", limit.map_or(n, |l| n.min(l)))?;
    Ok(if n == 0 {
        ExitCode::NoMatch
    } else {
        ExitCode::Success
    })
}

/// One text line: queued time, id, size, origin, sender, first recipient (+ how many more),
/// subject; everything from the message sanitized, wherever the line goes (a pipe into `less
/// -R`, `tee` or a file that is `cat`ed later reaches a terminal too).
pub fn line(r: &MessageRecord, strings: &Interner) -> String {
    let field = |bytes: &[u8]| sanitize_bytes(bytes).into_owned();
    let sender = match r.sender {
        Some(s) => format!("<{}>", field(&strings.resolve(s))),
        None => "-".to_string(),
    };
    let rcpt = match r.recipients.first() {
        Some(first) if r.recipients.len() > 1 => {
            format!(
                "{} +{}",
                field(&strings.resolve(first)),
                r.recipients.len() - 1
            )
        }
        Some(first) => field(&strings.resolve(first)),
        None => "-".to_string(),
    };
    let subject = r
        .headers
        .subject
        .map_or_else(|| "-".to_string(), |s| field(&strings.resolve(s)));
    format!(
        "{}  #{}  {}  {}  {}  {}  {}\n",
        r.birth().map_or_else(|| "-".to_string(), rfc3339),
        r.id,
        r.size,
        field(&origin_label(r, strings)),
        sender,
        rcpt,
        subject
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::record::{record, with_recipients};
    use crate::queue::Channel;

    #[test]
    fn text_line_is_sanitized_wherever_it_goes() {
        let s = Interner::new();
        let mut r = record(7);
        r.set_queued(1_795_428_000);
        r.size = 99;
        r.sender = Some(s.intern(b"evil\x1b[2J@spam.example"));
        with_recipients(&mut r, &s, Channel::Remote, &["a@b.example"]);
        r.origin.kind = OriginKind::Smtp;
        r.origin.ip = Some(s.intern(b"192.0.2.1"));
        r.headers.subject = Some(s.intern("pay\u{202e}lapyap".as_bytes()));
        assert_eq!(
            line(&r, &s),
            "2026-11-23T10:00:00Z  #7  99  smtp:192.0.2.1  <evil\\e[2J@spam.example>  a@b.example  pay\\u{202e}lapyap\n"
        );
    }
}
