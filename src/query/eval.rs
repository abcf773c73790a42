//! Evaluate a query over records: record fields first (memoized per interned string), then,
//! only for the messages still undecided, the terms that read the message file, in parallel.
//!
//! Record-only evaluation uses three-valued logic: a file term is `Unknown`, so
//! `auth:test and body:/x/` never opens the files of messages that are not from `test`.
//! `rcpt:` is decided from the record when it can be (no recipient, the first one matches, or it
//! is the only one) and is otherwise `Unknown` until the message's envelope files are read: the
//! record keeps only its first recipient ([`crate::queue::RecipientSummary`]).

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::files::{MessReader, Stop};
use super::parser::Expr;
use super::term::{mask, IpMatch, Term};
use super::value::Matcher;
use super::QueryContext;
use crate::analysis::backscatter::{is_bounce, quoted, quoted_value};
use crate::analysis::key::{KeyExtractor, KeyValue};
use crate::analysis::patterns::domain;
use crate::analysis::patterns::SenderPatterns;
use crate::analysis::signals::remote_mailbox_count;
use crate::analysis::KeyTables;
use crate::queue::headers::{fields, header_end, trim, HEADER_CAP};
use crate::queue::{MessageRecord, RecipientList, RecipientReader, Sym};

/// The most body bytes `body:` searches.
pub const BODY_CAP: usize = 1 << 20;
/// The most message bytes `text:` searches (it also stops at the first NUL, as qmail-remove).
pub const TEXT_CAP: usize = 16 << 20;

/// A truth value that may wait for the message file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Yes,
    No,
    Unknown,
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b {
            Tri::Yes
        } else {
            Tri::No
        }
    }
}

/// The expression with each term replaced by its index in `leaves`, so each term has a cache.
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Leaf(usize),
}

fn compile<'q>(e: &'q Expr, leaves: &mut Vec<&'q Term>) -> Node {
    match e {
        Expr::And(items) => Node::And(items.iter().map(|e| compile(e, leaves)).collect()),
        Expr::Or(items) => Node::Or(items.iter().map(|e| compile(e, leaves)).collect()),
        Expr::Not(e) => Node::Not(Box::new(compile(e, leaves))),
        Expr::Term(t) => {
            leaves.push(t);
            Node::Leaf(leaves.len() - 1)
        }
    }
}

/// A compiled query: the node tree and its terms.
pub(crate) struct Program<'q> {
    node: Node,
    leaves: Vec<&'q Term>,
    read: Option<(usize, Stop)>,
    /// An `rcpt:` term may need the envelope files.
    envelopes: bool,
}

impl<'q> Program<'q> {
    pub fn new(e: &'q Expr) -> Program<'q> {
        let mut leaves = Vec::new();
        let node = compile(e, &mut leaves);
        let whole = leaves
            .iter()
            .any(|t| matches!(t, Term::Body(_) | Term::Text(_) | Term::BounceOf { .. }));
        let header = leaves.iter().any(|t| matches!(t, Term::Header { .. }));
        let read = if whole {
            Some((TEXT_CAP.max(HEADER_CAP + BODY_CAP), Stop::Cap))
        } else if header {
            Some((HEADER_CAP, Stop::HeaderEnd))
        } else {
            None
        };
        let envelopes = leaves.iter().any(|t| matches!(t, Term::Rcpt(_)));
        Program {
            node,
            leaves,
            read,
            envelopes,
        }
    }

    /// Has it a term valued with an analysis' tables (`cluster:`, `bounce-of:`, which takes
    /// the quoted login as its account too, `remote-rcpts:`)?
    pub fn needs_tables(&self) -> bool {
        self.leaves.iter().any(|t| t.needs_tables())
    }

    /// Has it a term valued with the whole queue's tables (a sender pattern)?
    pub fn needs_queue_tables(&self) -> bool {
        self.leaves.iter().any(|t| t.needs_queue_tables())
    }
}

/// A `cluster:` term's key extractor and its verdict per key value.
type ClusterCache<'c> = (KeyExtractor<'c>, FxHashMap<Option<KeyValue>, bool>);

/// Per-thread caches: one per term.
pub(crate) struct State<'c> {
    ctx: QueryContext<'c>,
    /// The tables `cluster:` and `bounce-of:` values are taken with (accounts, patterns).
    tables: Option<KeyTables<'c>>,
    syms: Vec<FxHashMap<u32, bool>>,
    clusters: Vec<Option<ClusterCache<'c>>>,
}

impl<'c> State<'c> {
    pub fn new(
        ctx: &QueryContext<'c>,
        p: &Program<'_>,
        tables: Option<KeyTables<'c>>,
    ) -> State<'c> {
        let clusters = p
            .leaves
            .iter()
            .map(|t| match t {
                Term::Cluster { key, .. } => {
                    let ex = match tables {
                        Some(t) => t.extractor(*key, ctx.strings),
                        None => KeyExtractor::new(*key, ctx.strings),
                    };
                    Some((ex, FxHashMap::default()))
                }
                // The login as the clusters show it (`info` is `info@example.com` under the
                // default domain): `auth:` matches either spelling (walk66 copied the pane's
                // `info@example.com` and matched nothing).
                Term::Auth(_) => tables.map(|t| {
                    let ex = t.extractor(crate::analysis::key::ClusterKey::AuthUser, ctx.strings);
                    (ex, FxHashMap::default())
                }),
                _ => None,
            })
            .collect();
        State {
            ctx: *ctx,
            tables,
            syms: vec![FxHashMap::default(); p.leaves.len()],
            clusters,
        }
    }

    /// `m` against the string `sym`, once per distinct symbol.
    fn sym(&mut self, i: usize, sym: Option<Sym>, f: impl FnOnce(&[u8]) -> bool) -> bool {
        let Some(sym) = sym else { return false };
        let strings = self.ctx.strings;
        *self.syms[i]
            .entry(sym.as_u32())
            .or_insert_with(|| f(&strings.resolve(sym)))
    }

    fn record_term(&mut self, i: usize, t: &Term, r: &MessageRecord) -> bool {
        let o = &r.origin;
        match t {
            Term::Id(m) => m.is_match(r.id.0.to_string().as_bytes()),
            Term::Ip(IpMatch::Net { addr, prefix }) => {
                self.sym(i, o.ip, |ip| in_net(ip, *addr, *prefix))
            }
            Term::Ip(IpMatch::Text(m)) => self.sym(i, o.ip, |v| m.is_match(v)),
            Term::Auth(m) => {
                o.auth_user.is_some()
                    && (self.sym(i, o.auth_user, |v| m.is_match(v)) || self.cluster(i, m, r))
            }
            Term::Uid(m) => match o.uid() {
                Some(uid) => *self.syms[i]
                    .entry(uid)
                    .or_insert_with(|| m.is_match(uid.to_string().as_bytes())),
                None => false,
            },
            Term::Script(m) => self.sym(i, o.script, |v| m.is_match(v)),
            Term::Helo(m) => self.sym(i, o.helo, |v| m.is_match(v)),
            Term::Origin(k) => o.kind == *k,
            Term::Sender(m) => self.sym(i, r.sender, |v| m.is_match(v)),
            Term::From(m) => self.sym(i, r.headers.from, |v| m.is_match(v)),
            Term::SenderDomain(m) => {
                self.sym(i, r.sender, |v| domain(v).is_some_and(|d| m.is_match(&d)))
            }
            // Only when the record decides it (see `rcpt`).
            Term::Rcpt(m) => self.rcpt(i, m, r, None) == Tri::Yes,
            // The record keeps every distinct recipient domain (lowercased, as `domain`).
            Term::RcptDomain(m) => r
                .recipients
                .domains(self.ctx.strings)
                .iter()
                .any(|rd| self.sym(i, rd.domain, |d| m.is_match(d))),
            Term::Subject(m) => self.sym(i, r.headers.subject, |v| m.is_match(v)),
            Term::State(s) => r.state == *s,
            Term::Bouncing(b) => r.is_bouncing() == *b,
            Term::ReplyElsewhere(b) => r.headers.reply_elsewhere == *b,
            Term::Restored(b) => self.ctx.restored.contains(r.id) == *b,
            Term::Problem(None) => !r.problems.is_empty(),
            Term::Problem(Some(k)) => r.has_problem(*k),
            Term::Age(c) => c.holds(self.ctx.now.saturating_sub(r.queued()).max(0) as u64),
            Term::Size(c) => c.holds(u64::from(r.size)),
            Term::Rcpts(c) => c.holds(r.recipients.len() as u64),
            Term::RemoteRcpts(c) => {
                let none = crate::analysis::context::AnalysisContext::default();
                let ctx = self.tables.map_or(&none, |t| t.ctx);
                c.holds(u64::from(remote_mailbox_count(r, self.ctx.strings, ctx)))
            }
            Term::Cluster { value, .. } => self.cluster(i, value, r),
            Term::Header { .. } | Term::Body(_) | Term::Text(_) | Term::BounceOf { .. } => false,
        }
    }

    /// `rcpt:`: any recipient address matches. From the record alone when it decides (no
    /// recipient, the first matches, or there is only one), else from `rcpts`, the list read
    /// from the envelope files, else `Unknown`.
    fn rcpt(
        &mut self,
        i: usize,
        m: &Matcher,
        r: &MessageRecord,
        rcpts: Option<&RecipientList>,
    ) -> Tri {
        let first = r.recipients.first();
        if first.is_none() {
            return Tri::No;
        }
        if self.sym(i, first, |v| m.is_match(v)) {
            return Tri::Yes;
        }
        if r.recipients.len() <= 1 {
            return Tri::No;
        }
        match rcpts {
            Some(list) => list.iter().any(|rc| m.is_match(rc.address)).into(),
            None => Tri::Unknown,
        }
    }

    fn cluster(&mut self, i: usize, m: &Matcher, r: &MessageRecord) -> bool {
        let strings = self.ctx.strings;
        let Some((ex, memo)) = self.clusters[i].as_mut() else {
            return false;
        };
        let v = ex.value(r);
        *memo.entry(v).or_insert_with(|| match v {
            Some(kv) => kv.with_bytes(strings, |b| m.is_match(b)),
            None => m.matches_missing(),
        })
    }

    fn eval(
        &mut self,
        p: &Program<'_>,
        node: &Node,
        r: &MessageRecord,
        file: Option<&MessFile>,
    ) -> Tri {
        match node {
            Node::Leaf(i) => {
                let t = p.leaves[*i];
                if let Term::Rcpt(m) = t {
                    return self.rcpt(*i, m, r, file.and_then(|f| f.rcpts.as_ref()));
                }
                match (t.needs_file(), file) {
                    (false, _) => self.record_term(*i, t, r).into(),
                    // Only a bounce quotes a message: no file read for the others.
                    (true, _)
                        if matches!(t, Term::BounceOf { .. })
                            && !is_bounce(r, self.ctx.strings) =>
                    {
                        Tri::No
                    }
                    // A file that could not be read says nothing either way: `not body:x`
                    // must not select it, or `yank auth:test and not body:invoice` would
                    // take the messages whose body it never saw.
                    (true, Some(f)) if !f.readable => Tri::Unknown,
                    (true, Some(f)) => file_term(t, f, self.ctx.strings, self.tables).into(),
                    (true, None) => Tri::Unknown,
                }
            }
            Node::Not(n) => match self.eval(p, n, r, file) {
                Tri::Yes => Tri::No,
                Tri::No => Tri::Yes,
                Tri::Unknown => Tri::Unknown,
            },
            Node::And(items) => {
                let mut out = Tri::Yes;
                for n in items {
                    match self.eval(p, n, r, file) {
                        Tri::No => return Tri::No,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::Yes => {}
                    }
                }
                out
            }
            Node::Or(items) => {
                let mut out = Tri::No;
                for n in items {
                    match self.eval(p, n, r, file) {
                        Tri::Yes => return Tri::Yes,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::No => {}
                    }
                }
                out
            }
        }
    }
}

fn in_net(ip: &[u8], net: IpAddr, prefix: u8) -> bool {
    let Some(addr) = std::str::from_utf8(ip)
        .ok()
        .and_then(|s| s.trim().parse::<IpAddr>().ok())
    else {
        return false;
    };
    let addr = match addr {
        IpAddr::V6(v6) if net.is_ipv4() => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => return false,
        },
        a => a,
    };
    addr.is_ipv4() == net.is_ipv4() && mask(addr, prefix) == net
}

/// The bytes of one mess file as read for the file terms (empty when unreadable), and the
/// recipient list when an `rcpt:` term needs it.
struct MessFile {
    bytes: Vec<u8>,
    readable: bool,
    rcpts: Option<RecipientList>,
}

impl MessFile {
    fn header(&self) -> &[u8] {
        let end = header_end(&self.bytes).unwrap_or(self.bytes.len());
        &self.bytes[..end.min(HEADER_CAP)]
    }
    fn body(&self) -> &[u8] {
        let Some(end) = header_end(&self.bytes) else {
            return &[];
        };
        let rest = &self.bytes[end..];
        let rest = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
            .unwrap_or(rest);
        &rest[..rest.len().min(BODY_CAP)]
    }
    fn text(&self) -> &[u8] {
        let b = &self.bytes[..self.bytes.len().min(TEXT_CAP)];
        b.iter().position(|&c| c == 0).map_or(b, |nul| &b[..nul])
    }
}

fn file_term(
    t: &Term,
    f: &MessFile,
    strings: &crate::queue::Interner,
    tables: Option<KeyTables<'_>>,
) -> bool {
    if !f.readable {
        return false;
    }
    match t {
        Term::Header { name, value } => fields(f.header())
            .filter(|h| h.is(name))
            .any(|h| value.as_ref().is_none_or(|m| m.is_match(trim(&h.value)))),
        Term::Body(m) => m.is_match(f.body()),
        Term::Text(m) => m.is_match(f.text()),
        Term::BounceOf { key, value } => match quoted(&f.bytes, strings) {
            Some(q) => match quoted_value(&q, *key, strings, tables) {
                Some(v) => v.with_bytes(strings, |b| value.is_match(b)),
                None => value.matches_missing(),
            },
            None => false,
        },
        _ => false,
    }
}

/// The files the undecided terms need: the mess file for the file terms, the envelope files
/// for `rcpt:`.
fn read_file(
    (reader, envelopes): (&MessReader<'_>, &RecipientReader<'_>),
    p: &Program<'_>,
    r: &MessageRecord,
    buf: Vec<u8>,
) -> MessFile {
    let mut bytes = buf;
    let readable = match p.read {
        Some((cap, stop)) => reader.read(r.id, cap, stop, &mut bytes).is_ok(),
        None => false,
    };
    let rcpts = p.envelopes.then(|| envelopes.read(r, &mut Vec::new()));
    MessFile {
        bytes,
        readable,
        rcpts,
    }
}

/// Does `r` match? Reads the message file only when the record alone cannot decide.
///
/// A single record has no corpus, so `cluster:sender-pattern=` compares against the sender's
/// literal pattern here; [`select`] over a whole queue uses the corpus table.
pub(crate) fn matches(p: &Program<'_>, ctx: &QueryContext<'_>, r: &MessageRecord) -> bool {
    let mut st = State::new(ctx, p, None);
    match st.eval(p, &p.node, r, None) {
        Tri::Yes => true,
        Tri::No => false,
        Tri::Unknown => {
            let readers = (
                &MessReader::new(ctx.queue),
                &RecipientReader::new(ctx.queue),
            );
            let f = read_file(readers, p, r, Vec::new());
            st.eval(p, &p.node, r, Some(&f)) == Tri::Yes
        }
    }
}

/// Indices of the records `p` selects, in record order. `cluster:` terms take their values
/// with `tables` (an analysis' own, so they select exactly its clusters); without them, with
/// the tables an analysis of these records under the queue's context would have.
/// The tables `cluster:` and `bounce-of:` terms are valued with when no analysis lends its
/// own: the queue's control files plus `options`' flags (`--default-domain`, ...).
/// `cluster:sender-pattern=` must mean what `qtriage clusters` printed: patterns depend on the
/// whole selection (how many random local parts a domain has), so the same table is built the
/// same way (`analysis::key_tables`), and only when a term needs it. `None` without such terms.
pub(crate) fn owned_tables(
    p: &Program<'_>,
    ctx: &QueryContext<'_>,
    records: &[MessageRecord],
    options: crate::analysis::setup::SetupOptions,
) -> Option<crate::analysis::Tables> {
    if !p.needs_tables() {
        return None;
    }
    let setup = crate::analysis::setup::Setup::context(&crate::analysis::setup::SetupOptions {
        queue_root: ctx.queue.root().to_path_buf(),
        now: ctx.now,
        ..options
    });
    let (ctx, sender_patterns) = match p.needs_queue_tables() {
        true => crate::analysis::key_tables(records, ctx.strings, &setup.ctx),
        false => (setup.ctx, SenderPatterns::default()),
    };
    Some(crate::analysis::Tables {
        ctx,
        sender_patterns,
    })
}

pub(crate) fn select(
    p: &Program<'_>,
    ctx: &QueryContext<'_>,
    records: &[MessageRecord],
    progress: Option<&AtomicU64>,
    tables: Option<KeyTables<'_>>,
) -> Vec<usize> {
    let count = |n: usize| {
        if let Some(c) = progress {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
    };
    let owned = match tables {
        Some(_) => None,
        None => owned_tables(p, ctx, records, Default::default()),
    };
    let tables = tables.or(owned.as_ref().map(crate::analysis::Tables::borrow));
    // Phase 1: record fields only. Chunks keep each thread's caches warm for many records.
    let first: Vec<Tri> = records
        .par_iter()
        .with_min_len(4096)
        .map_init(
            || State::new(ctx, p, tables),
            |st, r| st.eval(p, &p.node, r, None),
        )
        .collect();
    let undecided: Vec<usize> = (0..records.len())
        .filter(|&i| first[i] == Tri::Unknown)
        .collect();
    count(records.len() - undecided.len());
    // Phase 2: read the files of the undecided messages, in parallel.
    let reader = MessReader::new(ctx.queue);
    let envelopes = RecipientReader::new(ctx.queue);
    let second: Vec<bool> = undecided
        .par_iter()
        .map_init(
            || (State::new(ctx, p, tables), Vec::new()),
            |(st, buf), &i| {
                let f = read_file((&reader, &envelopes), p, &records[i], std::mem::take(buf));
                let yes = st.eval(p, &p.node, &records[i], Some(&f)) == Tri::Yes;
                *buf = f.bytes;
                count(1);
                yes
            },
        )
        .collect();
    let mut out: Vec<usize> = (0..records.len())
        .filter(|&i| first[i] == Tri::Yes)
        .collect();
    out.extend(
        undecided
            .iter()
            .zip(second)
            .filter(|(_, yes)| *yes)
            .map(|(i, _)| *i),
    );
    out.sort_unstable();
    out
}
