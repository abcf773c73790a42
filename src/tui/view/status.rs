//! The header bar (counts, live growth and sparkline, qmail-send, yanked, marked, queue), the
//! scan line and the status line (watch mode, notice, key hints).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{fit_end, fit_spans, thousands, Theme};
use crate::queue::ProgressSnapshot;
use crate::size::counted;
use crate::tui::keys;
use crate::tui::state::{AppState, Notice, ScanPhase, SendState, WatchStatus};
use crate::watch::WatchMode;

/// Samples the header's sparkline shows (the newest).
pub const SPARK: usize = 8;
/// The sparkline's levels, lowest first.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// What the header shows.
pub struct Header<'a> {
    queue_path: &'a str,
    /// (records, records with a mess file), once scanned.
    messages: Option<(usize, u64)>,
    watch: &'a WatchStatus,
    send: SendState,
    yanked: Option<usize>,
    marked: usize,
    theme: Theme,
}

/// `+1,204/min`, `-12/min`, `+0/min`.
pub fn growth_text(per_min: f64) -> String {
    let n = per_min.round();
    let sign = if n < 0.0 { "-" } else { "+" };
    format!("{sign}{}/min", thousands(n.abs() as u64))
}

/// The last [`SPARK`] samples as block characters, scaled between their minimum and maximum.
pub fn sparkline(history: &std::collections::VecDeque<u64>) -> String {
    let tail: Vec<u64> = history.iter().rev().take(SPARK).rev().copied().collect();
    let (Some(lo), Some(hi)) = (tail.iter().min(), tail.iter().max()) else {
        return String::new();
    };
    // At least a hundredth of the queue: scaled to its own range, one message more drew as a
    // jump from the floor to the top (newuser51: `▁▁▁▁▁▁██` for +1 of 100,000).
    let span = (hi - lo).max(hi / 100).max(1) as f64;
    tail.iter()
        .map(|v| {
            let level = ((v - lo) as f64 / span * (LEVELS.len() - 1) as f64).round() as usize;
            LEVELS[level.min(LEVELS.len() - 1)]
        })
        .collect()
}

impl<'a> Header<'a> {
    /// The header of `s`.
    pub fn new(s: &'a AppState, theme: Theme) -> Header<'a> {
        Header {
            queue_path: &s.status.queue_path,
            messages: s
                .data
                .as_ref()
                .map(|d| (d.snapshot.records.len(), d.snapshot.with_mess)),
            watch: &s.status.watch,
            send: s.status.send,
            yanked: s.yank_area.listing.as_ref().map(|l| l.messages),
            marked: s.marks.ids.len(),
            theme,
        }
    }
}

impl Header<'_> {
    /// `37 msgs`, or `37 msgs (52 now)` when the watcher counts otherwise: the lists show the
    /// scan's records, the watcher's count moves on between scans. The watcher counts mess
    /// files, so it is compared with the scanned records that have one.
    fn messages_text(&self) -> String {
        let Some((n, with_mess)) = self.messages else {
            return "… msgs".into();
        };
        match self.watch.queue_size {
            Some(now) if now != with_mess => {
                format!("{} msgs ({} now)", thousands(n as u64), thousands(now))
            }
            _ => format!("{} msgs", thousands(n as u64)),
        }
    }

    /// `+12/min ▁▂▃▅█`: growth over the last minute and the queue size's sparkline; after a
    /// yank, `+600/min -1,200/min yanked`: messages yanked are not mail delivered (a flood
    /// still arriving reads as growth); after an undo, `+0/min ↩300/min`: messages put back
    /// are not mail arriving; in the watch's first minute, `-6,185/min (first 11s)`; a flood
    /// delivered as fast as it arrives, `+0/min (15 in, 15 out)`.
    fn growth(&self, cut: Cut) -> Vec<Span<'static>> {
        let t = self.theme;
        let growth = match (self.watch.growth_per_min, &self.watch.failed) {
            (_, Some(_)) => Span::styled("watch off", t.dim()),
            (None, None) => Span::styled("+…/min", t.dim()),
            (Some(g), None) if g > 0.0 => Span::styled(growth_text(g), t.danger()),
            (Some(g), None) => Span::styled(growth_text(g), t.ok()),
        };
        let mut spans = vec![growth];
        if let (Some(secs), None) = (self.watch.young_secs, &self.watch.failed) {
            let first = if cut >= Cut::First { "" } else { "first " };
            spans.push(Span::styled(format!(" ({first}{secs}s)"), t.dim()));
        }
        // Yanks are the operator's doing, not delivery: out of the growth, said apart. Cut with
        // the yank rate: the restore rate alone told of a restore and hid the yanks beside it
        // (newuser51b: `↩1,829/min` while another shell yanked 3,368 a minute).
        let w = &self.watch;
        let counted = (w.young_secs).map(|_| (w.last_minute.yanked, w.last_minute.restored));
        let (yanked, restored, per) = match counted {
            Some((y, r)) => (y, r, ""),
            None => (
                w.yanked_per_min.round() as u64,
                w.restored_per_min.round() as u64,
                "/min",
            ),
        };
        if w.failed.is_none() && cut < Cut::YankRate {
            // qmail-send delivering a flood as fast as it comes reads `+0/min` (newuser59).
            let (arrived, delivered) = w.arrived_delivered;
            if arrived > 0 && 2 * delivered > arrived {
                let text = format!(" ({} in, {} out)", thousands(arrived), thousands(delivered));
                spans.push(Span::styled(text, t.dim()));
            }
            if yanked > 0 {
                let text = format!(" -{}{per} yanked", thousands(yanked));
                spans.push(Span::styled(text, t.dim()));
            }
            if restored > 0 {
                let text = format!(" ↩{}{per}", thousands(restored));
                spans.push(Span::styled(text, t.dim()));
            }
        }
        if cut < Cut::Sparkline && !self.watch.history.is_empty() {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(sparkline(&self.watch.history), t.accent()));
        }
        spans
    }
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let (send, send_style) = match self.send {
            SendState::Running => ("RUNNING", t.danger()),
            SendState::Stopped => ("stopped", t.ok()),
            SendState::Unknown => ("?", t.dim()),
        };
        let sep = Span::styled(" │ ", t.dim());
        let marked = format!("marked {}", thousands(self.marked as u64));
        let marked_style = if self.marked > 0 {
            t.marked()
        } else {
            Style::new()
        };
        let yanked = self
            .yanked
            .map_or_else(|| "…".to_string(), |n| thousands(n as u64));
        // Most important first: at 80 columns the end (yanked, path) may be cut, so the name,
        // `marked 0`, the word `first` and the sparkline go, one at a time, before that.
        let send_spans = [
            Span::raw("qmail-send "),
            Span::styled(send, send_style),
            sep.clone(),
        ];
        let line = |cut: Cut| {
            let mut spans = Vec::new();
            if cut >= Cut::SendFirst {
                spans.extend(send_spans.iter().cloned());
            }
            if cut < Cut::Name {
                spans.extend([Span::styled("qtriage", t.accent()), sep.clone()]);
            }
            spans.extend([Span::raw(self.messages_text()), sep.clone()]);
            if cut < Cut::MarkedZero || self.marked > 0 {
                spans.extend([Span::styled(marked.clone(), marked_style), sep.clone()]);
            }
            if cut < Cut::SendFirst {
                spans.extend(send_spans.iter().cloned());
            }
            spans.extend(self.growth(cut));
            spans.extend([
                sep.clone(),
                Span::raw(format!("yanked {yanked}")),
                sep.clone(),
            ]);
            spans
        };
        let width = usize::from(area.width);
        // The path keeps a few columns (`…/queue`) unless nothing else fits.
        let path_room = Span::raw(self.queue_path).width().min(PATH_ROOM);
        let fits =
            |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>() + path_room <= width;
        let mut spans = line(Cut::Nothing);
        for cut in [
            Cut::Name,
            Cut::MarkedZero,
            Cut::First,
            Cut::Sparkline,
            Cut::YankRate,
        ] {
            if fits(&spans) {
                break;
            }
            spans = line(cut);
        }
        let shown: String = (fit_spans(spans.clone(), width).iter())
            .map(|s| s.content.as_ref())
            .collect();
        if !shown.contains(&format!("qmail-send {send}")) {
            spans = line(Cut::SendFirst);
        }
        let used: usize = spans.iter().map(Span::width).sum();
        let room = width.saturating_sub(used);
        if room >= path_room {
            spans.push(Span::styled(fit_end(self.queue_path, room), t.dim()));
        } else {
            // A path cut to `…e` names no queue (newuser60): none, and no separator waiting
            // for it, rather than a stub.
            spans.pop();
        }
        // Narrower than the figures themselves (40 columns): cut visibly, not mid-word, the
        // qmail-send state first so it is not what is cut.
        Line::from(fit_spans(spans, width)).render(area, buf);
    }
}

/// Columns the header keeps for the queue path's end while it drops other parts.
const PATH_ROOM: usize = 8;

/// What a header too wide for the screen leaves out, in this order, each with those before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cut {
    Nothing,
    /// The program's name.
    Name,
    /// `marked 0` (a count of marks above zero stays).
    MarkedZero,
    /// `first` in `(first 11s)`.
    First,
    /// The sparkline.
    Sparkline,
    /// The yank and restore rates beside the growth (`-5,000/min yanked ↩300/min`): the yank
    /// area's count at the end says a yank happened, and neither is growth (80 columns once
    /// cut that count).
    YankRate,
    /// The order: qmail-send's state moves to the front. It decides whether an action is
    /// refused, so on a narrow terminal (40 columns) it wins over the counts cut after it.
    SendFirst,
}

/// The scan progress line: messages read, rate, ETA.
pub struct ProgressLine {
    phase: ScanPhase,
    progress: Option<ProgressSnapshot>,
    ms: u64,
    /// The messages of the batches being completed and the seconds it has taken.
    recovering: Option<(u64, i64)>,
    theme: Theme,
}

impl ProgressLine {
    /// The progress line of `s`.
    pub fn new(s: &AppState, theme: Theme) -> ProgressLine {
        ProgressLine {
            phase: s.status.phase,
            progress: s.status.progress,
            ms: s.status.scan_ms,
            recovering: (s.status.recovering).map(|(n, since)| (n, s.status.now - since)),
            theme,
        }
    }

    fn text(&self) -> String {
        if let Some((n, secs)) = self.recovering {
            return format!(
                "completing an interrupted batch first ({}, as qtriage recover does)… {} s",
                counted(n, "message", "messages"),
                secs.max(0)
            );
        }
        if self.phase == ScanPhase::Failed {
            return "scan failed (r retries)".into();
        }
        if self.phase == ScanPhase::Analysing {
            let n = self.progress.map_or(0, |p| p.read);
            return format!(
                "analysing {} messages (senders, recipients, logs)…",
                thousands(n)
            );
        }
        // The header pass is shown meanwhile: say what is still missing from it.
        let (what, missing) = match self.phase {
            // The header pass ranks without envelopes: its scores are not the verdict yet
            // (newuser51: `sales@` first at 48.0, `test` a suspect at 31.4, until they came).
            ScanPhase::Envelopes => (
                "reading envelopes",
                "  (senders, recipients and the final scores follow)",
            ),
            _ => ("scanning", ""),
        };
        let Some(p) = self.progress else {
            return format!("{what}: listing the queue…{missing}");
        };
        if p.listed == 0 {
            // The scan counts the listed entries only once the listing ends (over a minute
            // at a million messages under load): the time at least shows it is going.
            let secs = self.ms / 1000;
            return format!("{what}: listing the queue… {secs} s{missing}");
        }
        let secs = (self.ms as f64 / 1000.0).max(0.001);
        let rate = p.read as f64 / secs;
        let eta = if rate > 0.0 {
            format!("{:.0}s", p.listed.saturating_sub(p.read) as f64 / rate)
        } else {
            "?".into()
        };
        format!(
            "{what}: {} / {} messages read  {}/s  ETA {eta}{missing}",
            thousands(p.read),
            thousands(p.listed),
            thousands(rate as u64)
        )
    }
}

impl Widget for ProgressLine {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let style = if self.phase == ScanPhase::Failed {
            self.theme.danger()
        } else {
            self.theme.accent()
        };
        Line::styled(self.text(), style).render(area, buf);
    }
}

/// The bottom line: the watcher's mode when it polls, the last notice, key hints from the keymap.
pub struct StatusLine<'a> {
    mode: Option<WatchMode>,
    notice: Option<&'a Notice>,
    hints: Vec<(String, &'static str)>,
    theme: Theme,
}

impl<'a> StatusLine<'a> {
    /// The status line of `s`.
    pub fn new(s: &'a AppState, theme: Theme) -> StatusLine<'a> {
        StatusLine {
            mode: s.status.watch.mode,
            notice: s.status.notice.as_ref(),
            hints: keys::hints(s),
            theme,
        }
    }
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut spans = Vec::new();
        if let Some(WatchMode::Polling(why)) = self.mode {
            spans.push(Span::styled(
                format!("polling ({}) ", why.name()),
                t.danger(),
            ));
        }
        let width = usize::from(area.width);
        let mut area = area;
        if let Some(n) = self.notice {
            let style = if n.is_error { t.danger() } else { t.ok() };
            let mut text = n.text.clone();
            // Given two rows (layout.rs): the notice's first words on the first, the rest with
            // the hints on the second.
            if area.height >= 2 {
                let mut lines = super::wrap(&text, " ", width).into_iter();
                let first = lines.next().unwrap_or_default();
                Line::styled(first, style).render(area, buf);
                text = lines.collect::<Vec<_>>().join(" ");
                area = Rect {
                    y: area.y + 1,
                    height: 1,
                    ..area
                };
            }
            spans.push(Span::styled(text, style));
            spans.push(Span::raw("  "));
        }
        // The notice first, cut with `…` if it must be; then the key hints that fit whole.
        let mut used: usize = spans.iter().map(Span::width).sum();
        for (n, (key, help)) in self.hints.into_iter().enumerate() {
            let gap = if n == 0 { "" } else { "  " };
            let hint = [
                Span::raw(gap),
                Span::styled(key, t.accent()),
                Span::styled(format!(" {help}"), t.dim()),
            ];
            let w: usize = hint.iter().map(Span::width).sum();
            if used + w > width {
                break;
            }
            used += w;
            spans.extend(hint);
        }
        Line::from(fit_spans(spans, width)).render(area, buf);
    }
}

#[cfg(test)]
mod tests;
