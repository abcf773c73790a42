//! Before a restore picks messages back as real mail: which of them are culprits' in the
//! ranking of the queue and the yank area together, as `qtriage plan` and `report` judge them.
//!
//! A pick is the operator's verdict that the mail is real: `plan` and `report` leave it from
//! then on. One mistyped query (`restore 'auth:contact@example.com'`, a culprit at 77.6) hid
//! spam from both with no word of it (newuser50b); `yank` warns of the opposite mistake.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use super::clusters::ContextFlags;
use super::GlobalArgs;
use crate::analysis::evidence::from_any_logs;
use crate::analysis::plan::is_bounce_cluster;
use crate::analysis::rank::{Verdict, OF_QUEUE};
use crate::analysis::setup::{Setup, SetupOptions};
use crate::analysis::{rank_culprits, TOP_LIMIT};
use crate::queue::{Interner, MessageId, Queue, ScanOptions};
use crate::report::compose::with_yank_area;
use crate::sanitize::sanitize_str;
use crate::size::thousands;

/// Culprits a warning names before "N more".
const SHOWN: usize = 3;

/// Of the messages `picks` (in the yank area), those each culprit of the ranking holds: the
/// culprit's kind and value in words, and how many, most first. Empty when the queue cannot be
/// read (the warning is then not given; the restore itself does not need it).
pub fn culprits_picked(
    global: &GlobalArgs,
    queue: &Queue,
    yank_dir: &Path,
    flags: ContextFlags<'_>,
    picks: &HashSet<MessageId>,
) -> Vec<(String, usize)> {
    let strings = Interner::new();
    let Ok(evidence) = global.load_logs() else {
        return Vec::new();
    };
    let Ok(mut s) = super::scanning::scan(queue, &strings, ScanOptions::default()) else {
        return Vec::new();
    };
    let logs = from_any_logs(&mut s.records, &strings, evidence.as_ref());
    let all = with_yank_area(s.records, logs, yank_dir, &strings, |yanked| {
        Ok(from_any_logs(yanked, &strings, evidence.as_ref()))
    });
    let Ok(now) = super::clusters::now() else {
        return Vec::new();
    };
    let ctx = Setup::context(&SetupOptions {
        queue_root: queue.root().to_path_buf(),
        local_domains: flags.local_domain.to_vec(),
        default_domain: flags.default_domain.map(str::to_string),
        passwd: flags.passwd.map(Path::to_path_buf),
        vpopmail: flags.vpopmail.map(Path::to_path_buf),
        now,
        ..SetupOptions::default()
    })
    .ctx;
    let ranking = rank_culprits(&all.records, &strings, &ctx, &all.logs, TOP_LIMIT, OF_QUEUE);
    let mut seen: HashSet<MessageId> = HashSet::new();
    let mut out: Vec<(String, usize)> = Vec::new();
    for c in ranking.iter().filter(|c| c.verdict() == Verdict::Culprit) {
        if is_bounce_cluster(c, &all.records, &strings) {
            continue;
        }
        let n = (c.members.iter())
            .filter(|&&i| i as usize >= all.in_queue)
            .filter_map(|&i| all.records.get(i as usize))
            .filter(|r| picks.contains(&r.id) && seen.insert(r.id))
            .count();
        if n > 0 {
            let value = c.value.map(|v| v.text(&strings)).unwrap_or_default();
            let name = format!("{} {}", c.key.name(), sanitize_str(&value));
            out.push((name, n));
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// The dry run's warning for `culprits` ([`culprits_picked`]), if any.
pub fn print_warning(out: &mut dyn Write, culprits: &[(String, usize)]) -> std::io::Result<()> {
    let total: usize = culprits.iter().map(|c| c.1).sum();
    if total == 0 {
        return Ok(());
    }
    let mut named: Vec<String> = (culprits.iter().take(SHOWN))
        .map(|(name, n)| format!("{name} {}", thousands(*n)))
        .collect();
    if culprits.len() > SHOWN {
        named.push(format!("{} more", thousands(culprits.len() - SHOWN)));
    }
    writeln!(
        out,
        "careful: {} of these {} culprits' in qtriage's ranking ({}): picked back as real \
         mail, qtriage plan and report leave them from now on (restore --batch ID is an undo \
         and picks nothing)",
        thousands(total),
        if total == 1 { "is a" } else { "are" },
        named.join(", ")
    )
}
