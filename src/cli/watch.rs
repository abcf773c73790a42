//! `qtriage watch`: one line (or JSON object) per interval: queue size, growth, todo, and the
//! clusters that grow fastest; exits for scripts when the queue is stable or inflow too high.

pub use super::wire::watch::{ClusterJson, WatchJson, WindowJson};
use std::io::Write;
use std::time::Duration;

use super::print::json::{write_line, Text};
use super::{exit::ExitCode, GlobalArgs};
use crate::analysis::key::ClusterKey;
use crate::sanitize::sanitize_bytes;
use crate::size::thousands;
use crate::watch::{spawn, ClusterRate, MonitorConfig, WatchMode, WatchUpdate};

/// Arguments of `watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Per-cluster rates by this key (origin-ip is shown as well).
    #[arg(
        long = "by",
        value_enum,
        default_value = "auth-user",
        value_name = "KEY"
    )]
    pub by: ClusterKey,
    /// Time between lines: `500ms`, `30s`, `5m`, `2h` (a bare number is seconds).
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DUR")]
    pub interval: Duration,
    /// One JSON object per interval instead of a text line.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 once growth has stayed at or below zero for DUR.
    #[arg(long, value_parser = parse_duration, value_name = "DUR")]
    pub until_stable: Option<Duration>,
    /// Exit 1 as soon as more than N messages per minute arrive (last minute).
    #[arg(long, value_name = "N")]
    pub alert_above: Option<f64>,
    /// Stop after N intervals (exit 0); also spelled --max-intervals.
    #[arg(long, visible_alias = "max-intervals", value_name = "N")]
    pub count: Option<u64>,
    /// Poll directory mtimes instead of using inotify.
    #[arg(long)]
    pub poll: bool,
    /// What the server calls its own, as `top` has it.
    #[command(flatten)]
    pub context: super::clusters::ContextArgs,
    /// vpopmail's directory, for its default domain, as `top --vpopmail` reads it
    /// [default: /home/vpopmail when the queue is this host's].
    #[arg(long, value_name = "DIR", env = "QTRIAGE_VPOPMAIL")]
    pub vpopmail: Option<std::path::PathBuf>,
}

/// Parse `500ms`, `30s`, `5m`, `2h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a number and a unit (30s, 5m, 2h)"))?;
    let ms = match unit {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s, m or h)")),
    };
    match ms {
        Some(0) => Err(format!("{s:?}: must be more than zero")),
        Some(ms) => Ok(Duration::from_millis(ms)),
        None => Err(format!("{s:?}: too long")),
    }
}

/// The short label of a key on the text line.
pub fn label(key: ClusterKey) -> &'static str {
    match key {
        ClusterKey::AuthUser => "auth",
        ClusterKey::OriginIp => "ip",
        ClusterKey::OriginNet => "net",
        k => k.name(),
    }
}

/// A rate rounded to whole messages with its sign: `+1,204`, `-37`, `+0`.
pub fn signed(rate: f64) -> String {
    let r = rate.round();
    let sign = if r < 0.0 { '-' } else { '+' };
    format!("{sign}{}", thousands(r.abs() as u64))
}

/// The text line for one update, without the newline.
pub fn text_line(u: &WatchUpdate, clock: &str) -> String {
    text_parts(u, clock).join(PART_SEP)
}

/// What separates the parts of an update's line.
const PART_SEP: &str = " | ";

/// The parts of an update's line: the queue, then each cluster, then how the rates are taken.
fn text_parts(u: &WatchUpdate, clock: &str) -> Vec<String> {
    let mut parts = vec![format!(
        "{clock} queue {} ({}/min) todo {}",
        thousands(u.queue_size),
        signed(u.growth_per_min()),
        thousands(u.todo)
    )];
    for c in &u.clusters {
        let value = sanitize_bytes(&c.value);
        parts.push(format!(
            "{} {value} {}/min",
            label(c.key),
            signed(c.per_min())
        ));
    }
    // A note, not a cluster (it does not end in "/min"): the yank outweighs what still
    // arrives, so the net figure hid the guessed login still sending (walk65).
    for c in &u.still_arriving {
        let value = sanitize_bytes(&c.value);
        parts.push(format!(
            "{} {value} {}/min still arriving after its yank",
            label(c.key),
            signed(c.per_min_without_yanks())
        ));
    }
    // Notes, not clusters: they do not end in "/min". Counts, of the last minute: a yank of
    // 9,000 in a watch's first 34 seconds is not "15,882 a minute" (newuser54), and one yank
    // read "461 a minute" as a flow for a minute after (newuser55).
    let per = match u.young_secs() {
        Some(_) => "",
        None => " in the last minute",
    };
    // A flood qmail-send delivers as fast as it arrives reads "+0/min": what arrived and what
    // was delivered or bounced say it goes on (newuser59: `+0/min` with 15 in and 15 out).
    // Said when the growth shows under half of the arrivals, deliveries or yanks hiding them;
    // the line (1,300 in, 96 out: +1,204) says it well enough alone.
    let (arrived, delivered, yanked) = u.flow();
    if arrived > 0 && 2 * (delivered + yanked) > arrived {
        parts.push(format!(
            "{} arrived, {} delivered or bounced{per}",
            thousands(arrived),
            thousands(delivered)
        ));
    }
    // The yank area's traffic is not growth: without it a restore read as the queue jumping
    // back up at "+0/min".
    let (yanked, restored) = match u.young_counts() {
        Some(c) => (c.yanked, c.restored),
        None => (
            u.yanked_per_min.round() as u64,
            u.restored_per_min.round() as u64,
        ),
    };
    for (verb, n, way) in [
        ("yanked", yanked, "into"),
        ("restored", restored, "back from"),
    ] {
        if n > 0 {
            let n = thousands(n);
            parts.push(format!("{verb} {n} {way} the yank area{per}"));
        }
    }
    // Before the polling reason, which ends the line as documented.
    if let Some(secs) = u.young_secs() {
        parts.push(format!("rates over the first {secs}s"));
    }
    if let WatchMode::Polling(reason) = u.mode {
        parts.push(format!("polling: {}", reason.describe()));
    }
    parts
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl WatchJson {
    /// Build from an update.
    pub fn new(u: &WatchUpdate) -> WatchJson {
        WatchJson {
            time: crate::queue::date::rfc3339(u.at_ms.div_euclid(1000)),
            queue: u.queue_size,
            todo: u.todo,
            in_per_min: round1(u.in_per_min),
            out_per_min: round1(u.out_per_min),
            yanked_per_min: round1(u.yanked_per_min),
            restored_per_min: round1(u.restored_per_min),
            growth_per_min: round1(u.growth_per_min()),
            windows: u
                .windows
                .iter()
                .map(|(w, r)| WindowJson {
                    window: w.name(),
                    in_per_min: round1(r.in_per_min),
                    out_per_min: round1(r.out_per_min),
                    yanked_per_min: round1(r.yanked_per_min),
                    restored_per_min: round1(r.restored_per_min),
                    growth_per_min: round1(r.growth_per_min()),
                })
                .collect(),
            clusters: u.clusters.iter().map(ClusterJson::new).collect(),
            still_arriving: u.still_arriving.iter().map(ClusterJson::new).collect(),
            watched_secs: u.watched_secs(),
            mode: u.mode.name(),
            mode_reason: match u.mode {
                WatchMode::Notify => None,
                WatchMode::Polling(r) => Some(r.name()),
            },
        }
    }
}

impl ClusterJson {
    /// Build from one of an update's clusters.
    pub fn new(c: &ClusterRate) -> ClusterJson {
        ClusterJson {
            by: c.key.name(),
            value: Text(c.value.clone()),
            per_min: round1(c.per_min()),
            in_per_min: round1(c.rate.in_per_min),
            out_per_min: round1(c.rate.out_per_min),
            yanked_per_min: round1(c.rate.yanked_per_min),
            per_min_without_yanks: round1(c.per_min_without_yanks()),
        }
    }
}

/// Local wall-clock time of day for the text line.
fn clock(at_ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(at_ms) {
        Ok(ts) => ts
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%H:%M:%S")
            .to_string(),
        Err(_) => "??:??:??".into(),
    }
}

/// When to stop, judged after each line.
#[derive(Debug, Default)]
struct Stop {
    lines: u64,
    stable_since_ms: Option<i64>,
}

impl Stop {
    /// Why the watch ended with `code`, in words for stderr: an exit status alone left the
    /// operator who ran `--until-stable` wondering whether the flood stopped or qtriage did
    /// (newuser50). `None` after `--count` lines: nothing to tell.
    fn words(&self, args: &WatchArgs, code: ExitCode) -> Option<String> {
        match code {
            ExitCode::NoMatch => Some(format!(
                "qtriage: alert: more than {} messages arrived in the last minute \
                 (--alert-above)",
                args.alert_above.map_or(String::new(), |n| n.to_string())
            )),
            _ if args.count.is_some_and(|n| self.lines >= n) => None,
            _ => args.until_stable.map(|d| {
                format!(
                    "qtriage: stable: the queue did not grow for {} (--until-stable)",
                    humantime_secs(d)
                )
            }),
        }
    }
}

/// `90s` as `1m 30s`, `10s` as `10s`, `500ms` as `500ms`: a duration as the flags take it.
fn humantime_secs(d: Duration) -> String {
    let secs = d.as_secs();
    // 1500ms read "1s" (review50b): a duration that is no whole number of seconds as given.
    if d.subsec_millis() != 0 {
        return format!("{}ms", d.as_millis());
    }
    match (secs / 60, secs % 60) {
        (0, 0) => format!("{}ms", d.as_millis()),
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m {s}s"),
    }
}

impl Stop {
    fn check(&mut self, args: &WatchArgs, u: &WatchUpdate) -> Option<ExitCode> {
        self.lines += 1;
        if args
            .alert_above
            // Counted, not the rate: in a young watch that is a few seconds scaled to a minute
            // (7 messages in 3 s, 140/min, are not more than 100 messages in a minute).
            .is_some_and(|n| u.last_minute.arrived as f64 > n)
        {
            return Some(ExitCode::NoMatch);
        }
        if let Some(dur) = args.until_stable {
            // Without the yanks: an operator's yank in another shell is not the queue
            // draining (newuser55: "stable" while 150 messages arrived in 16 s, a yank of 1,780
            // counted as delivery).
            if u.growth_without_yanks_per_min() <= 0.0 {
                let since = *self.stable_since_ms.get_or_insert(u.at_ms);
                // Lines come an interval apart give or take milliseconds: the line at 2 s of
                // `--until-stable 2s --interval 1s` came at 1.996 s and a fourth was waited for.
                let slack = (args.interval / 10).as_millis() as i64;
                if u.at_ms - since + slack >= dur.as_millis() as i64 {
                    return Some(ExitCode::Success);
                }
            } else {
                self.stable_since_ms = None;
            }
        }
        if args.count.is_some_and(|n| self.lines >= n) {
            return Some(ExitCode::Success);
        }
        None
    }
}

/// Queue directories named on stderr before a count of the rest.
const MAX_DIRS_SAID: usize = 32;

/// Run `watch`.
pub fn run(global: &GlobalArgs, args: &WatchArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let queue = global.open_queue()?;
    if !crate::logs::given_paths(&global.logs).is_empty() {
        warnln!(
            "qtriage: note: watch does not read the logs (--log): a login only the smtpd log \
             names is counted under its client IP (--by origin-ip shows them)"
        );
    }
    // Said as the commands that read the queue say it; the watcher sees no change there.
    let unopenable = crate::queue::listing::unopenable_dirs(&queue);
    for (path, why) in unopenable.iter().take(MAX_DIRS_SAID) {
        warnln!(
            "qtriage: warning: {}: not watched ({why}); changes in it are not seen",
            path.display()
        );
    }
    if unopenable.len() > MAX_DIRS_SAID {
        let more = unopenable.len() - MAX_DIRS_SAID;
        warnln!("qtriage: warning: {more} more queue directories not watched");
    }
    let mut config = MonitorConfig::new(args.by, args.interval);
    config.watch.force_polling = args.poll;
    config.watch.tick = args.interval.min(Duration::from_millis(250));
    // Per-cluster values as `top` has them with the same flags (accounts, sender patterns,
    // daemon uids).
    let now = super::clusters::now()?;
    let flags = args.context.flags(args.vpopmail.as_deref());
    config.context = Some(super::clusters::analysis_context(queue.root(), flags, now));
    let (updates, _handle) = spawn(queue, config)?;
    let mut stop = Stop::default();
    for update in updates {
        let u = update?;
        if args.json {
            write_line(out, &WatchJson::new(&u))?;
        } else {
            // On a terminal the line wraps between its parts, under the clock.
            let clock = clock(u.at_ms);
            let hang = " ".repeat(clock.len() + 1);
            global
                .wrap
                .parts(out, &hang, PART_SEP, &text_parts(&u, &clock))?;
        }
        // Each line is flushed so `watch | tee` and cron see it at once.
        out.flush()?;
        if let Some(code) = stop.check(args, &u) {
            if let Some(words) = stop.words(args, code) {
                warnln!("{words}");
            }
            return Ok(code);
        }
    }
    Err(anyhow::anyhow!("the watcher stopped unexpectedly"))
}

#[cfg(test)]
mod tests;
