//! The confirmation popup of a destructive action: the plan's counts and qmail-send's state, in
//! the danger colour; while it runs, a progress gauge. Also the "planning…" box shown while the
//! worker builds the plan.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Gauge, Paragraph, Widget};

use super::{human_bytes, thousands, Theme};
use crate::actions::Direction;
use crate::tui::state::{Confirm, NotInPlan, PlanStep, SendState};

/// Width of the popups when what they say fits in it.
const WIDTH: u16 = 64;
/// Columns left of the screen beside a popup grown to what it says (a few each side, so it still
/// reads as a box over the panes).
const MARGIN: u16 = 4;
/// Width of the key column (`chosen`, `messages`, ...).
const KEY: usize = 12;

/// What forcing a move past a running qmail-send risks (`--force`'s warning, in short).
const FORCE_RISK: &str = "F forces it: qmail-send keeps the ids in memory, may still deliver a \
moved message, and logs 'trouble opening' on each retry until it is restored. Stop qmail-send \
if you can.";
/// What forcing a restore past a running qmail-send risks: not the yank's (walk65 read the
/// yank's words on a restore). qmail-send reads `info/` only when it starts, and a put-back
/// `todo` may be read before its `mess` is back (`warning: unable to stat`).
const FORCE_RESTORE_RISK: &str = "F forces it: qmail-send reads the queue when it starts, so \
what is put back waits for its restart (one it still retries from a forced yank goes out); one \
not yet preprocessed it may read before its message file is back, logging 'unable to stat' \
and retrying. Stop qmail-send if you can.";
/// What forcing an expire past a running qmail-send risks: it moves nothing, and qmail-send
/// reads the age at each delivery attempt (walk66 read the yank's words on it).
const FORCE_EXPIRE_RISK: &str = "F forces it: qmail-send reads a message's age at each \
delivery attempt and bounces these at their next one, perhaps within seconds: an undo cannot \
take back a bounce sent. Stop qmail-send if you can.";
/// The expire warning: qmail-send bounces what is expired (lines fit the popup).
pub const BACKSCATTER: [&str; 3] = [
    "qmail-send BOUNCES expired messages to their envelope senders.",
    "In a spam flood those are forged: the bounces are backscatter",
    "and can get this server blacklisted. Prefer y (yank).",
];

/// What qmail-send's line in the popup says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendLine {
    /// The action does not touch the queue (purge).
    NotInvolved,
    /// Running: Enter refuses, F forces.
    Blocks,
    /// Stopped.
    Stopped,
    /// Not known; checked again when run.
    Unknown,
}

impl SendLine {
    /// The line for `c` when the last check said `send`.
    pub fn of(c: &Confirm, blocks: bool, send: SendState) -> SendLine {
        if !c.plan.needs_send_stopped() {
            SendLine::NotInvolved
        } else if blocks {
            SendLine::Blocks
        } else if c.plan.mta.is_some() || send == SendState::Stopped {
            SendLine::Stopped
        } else {
            SendLine::Unknown
        }
    }
}

/// The popup over a plan.
pub struct ConfirmPopup<'a> {
    /// The plan shown (and, on Enter, executed).
    pub confirm: &'a Confirm,
    /// `Some(done)` while it runs.
    pub running: Option<u64>,
    /// What the worker is at once the messages are moved (reading them again, analysing).
    pub step: Option<&'a PlanStep>,
    /// qmail-send's line.
    pub send: SendLine,
    /// Rows scrolled (the popup scrolls when the screen cannot hold it).
    pub scroll: u16,
    /// Styles.
    pub theme: Theme,
}

/// A popup's width for lines `natural` columns wide (borders included): [`WIDTH`], or wider
/// up to the screen less [`MARGIN`], so a long line is wrapped only when the screen is narrow.
fn popup_width(area: Rect, natural: usize) -> u16 {
    let natural = u16::try_from(natural).unwrap_or(u16::MAX);
    let room = area.width.saturating_sub(MARGIN).max(WIDTH.min(area.width));
    natural.max(WIDTH).min(room)
}

/// `key` in the key column, then `value` wrapped to `width` at `sep`, its continuation lines
/// under the value's start.
fn keyed(key: &str, value: &str, sep: &str, width: usize, t: Theme) -> Vec<Line<'static>> {
    let parts = super::wrap(value, sep, width.saturating_sub(KEY));
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let k = if i == 0 { key } else { "" };
            Line::from(vec![
                Span::styled(format!("{k:<KEY$}"), t.dim()),
                Span::raw(part),
            ])
        })
        .collect()
}

/// A centered rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

impl ConfirmPopup<'_> {
    fn verb(&self) -> String {
        let p = &self.confirm.plan;
        let times_only = p.messages.iter().all(|m| m.files.is_empty());
        verb(
            p.direction,
            self.running.is_some(),
            p.message_count() as u64,
            times_only,
        )
    }

    /// The plan's figures, each wrapped to `width`.
    fn counts(&self, width: usize) -> Vec<Line<'static>> {
        let c = self.confirm;
        let p = &c.plan;
        let t = self.theme;
        let mut v = Vec::new();
        // First, in the danger colour: the marks take mail the analysis calls no culprit's. On
        // a screen too short for the box it is on its first page (review49: at 40x12 it began
        // on the last row, and Enter was live with the rest below the fold).
        if let Some(words) = c.not_in_plan.as_ref().and_then(not_in_plan_words) {
            let lines = keyed("not in plan", &words, " ", width, t);
            v.extend(lines.into_iter().map(|l| l.style(t.danger())));
        }
        // A pick-back of a culprit's spam hides it from the plan and the report.
        if let Some(words) = &c.pick_warning {
            // The row's key says it: `careful     careful: ...` twice (newuser53).
            let words = words.strip_prefix("careful: ").unwrap_or(words);
            let lines = keyed("careful", words, " ", width, t);
            v.extend(lines.into_iter().map(|l| l.style(t.danger())));
        }
        // Not knowing what was picked back is not knowing whether this takes it again.
        if let Some(words) = &c.picks_unknown {
            let words = format!("{words}: these marks may take it again");
            let lines = keyed("picked back", &words, " ", width, t);
            v.extend(lines.into_iter().map(|l| l.style(t.danger())));
        }
        let mut row = |k: &str, value: String, sep: &str| v.extend(keyed(k, &value, sep, width, t));
        // The chosen line carries the warnings (`not one of this session`): wrapped, not cut.
        row("chosen", c.what.clone(), " ");
        row("messages", thousands(p.message_count() as u64), " ");
        if p.direction != Direction::Purge {
            row("recipients", thousands(p.recipients()), " ");
        }
        row("bytes", human_bytes(p.bytes()), " ");
        // What an undo puts back, as mail: its first messages' senders and subjects.
        for (i, line) in c.sample.iter().enumerate() {
            row(if i == 0 { "sample" } else { "" }, line.clone(), " ");
        }
        if let Some(hit) = &c.clusters_hit {
            // As the CLI's dry run: the values, not only how many (`(none)` is one).
            let mut words: Vec<String> = (hit.largest.iter())
                .map(|(value, n)| format!("{value} {}", thousands(*n as u64)))
                .collect();
            if hit.count > hit.largest.len() {
                words.push(format!("+{} more", hit.count - hit.largest.len()));
            }
            // Broken between whole `value count` items, so no count is parted from its value.
            let text = format!("{}: {}", thousands(hit.count as u64), words.join(" · "));
            row("clusters", text, " · ");
        }
        if let Some(r) = p.refused.first() {
            let text = format!("{} (#{}: {})", p.refused.len(), r.id, r.reason);
            row(
                "refused",
                crate::sanitize::sanitize_str(&text).into_owned(),
                " ",
            );
        }
        v
    }

    /// The popup's lines, wrapped to `width` (`usize::MAX`: each whole, to measure them).
    fn lines(&self, width: usize) -> Vec<Line<'static>> {
        let t = self.theme;
        let mut v: Vec<Line<'static>> = super::wrap(&self.verb(), " ", width)
            .into_iter()
            .map(|l| Line::styled(l, t.danger()))
            .collect();
        v.push(Line::raw(""));
        v.extend(self.counts(width));
        let (send, style) = match self.send {
            SendLine::NotInvolved => ("not involved (yank area only)", t.ok()),
            SendLine::Blocks => ("RUNNING: refused unless forced (F)", t.danger()),
            SendLine::Stopped => ("stopped", t.ok()),
            SendLine::Unknown => ("unknown (checked again when run)", t.dim()),
        };
        // Wrapped as the other rows (it was cut at 40 columns: `RUNNING: refused unless f…`).
        for mut l in keyed("qmail-send", send, " ", width, t) {
            if let Some(value) = l.spans.get_mut(1) {
                value.style = style;
            }
            v.push(l);
        }
        // What F risks, before it is pressed: the CLI's --force prints it, and a forced TUI
        // yank left 3,523 `trouble opening` lines in qmail-send's log with no word of it here
        // (crash50). Wrapped to the box the other lines make: measured whole it made the box
        // the screen's width.
        if self.send == SendLine::Blocks && width != usize::MAX {
            let risk = match self.confirm.plan.direction {
                Direction::Restore => FORCE_RESTORE_RISK,
                Direction::Expire => FORCE_EXPIRE_RISK,
                _ => FORCE_RISK,
            };
            v.extend(
                super::wrap(risk, " ", width)
                    .into_iter()
                    .map(|l| Line::styled(l, t.danger())),
            );
        }
        match self.confirm.plan.direction {
            Direction::Expire => {
                v.push(Line::raw(""));
                v.extend(
                    BACKSCATTER
                        .iter()
                        .flat_map(|l| super::wrap(l, " ", width))
                        .map(|l| Line::styled(l, t.danger())),
                );
            }
            Direction::Purge => {
                v.push(Line::raw(""));
                // The runbook says to write the report before purging: its evidence of what
                // was yanked is the yank area (newuser60).
                let texts = [
                    "The files are deleted: this cannot be undone.",
                    "The incident report reads them: write it first (W).",
                ];
                v.extend(
                    (texts.iter())
                        .flat_map(|text| super::wrap(text, " ", width))
                        .map(|l| Line::styled(l, t.danger())),
                );
            }
            // An undo and a pick-back both restore: which one this is decides what the report
            // counts them as (newuser60 could not tell).
            // Putting back an expire's queue times is neither.
            Direction::Restore
                if self
                    .confirm
                    .plan
                    .messages
                    .iter()
                    .all(|m| m.files.is_empty()) => {}
            Direction::Restore => {
                v.push(Line::raw(""));
                let text = match self.confirm.plan.verdict {
                    true => "Picked back as real mail: the report counts them as kept, not spam.",
                    false => {
                        "An undo, no verdict on them: `/` in the yank area picks messages \
                              back as real mail instead."
                    }
                };
                v.extend(super::wrap(text, " ", width).into_iter().map(Line::raw));
            }
            Direction::Yank => {}
        }
        v
    }

    /// The keys, on the bottom border so that they show however far the popup is scrolled
    /// (at 40x12 they were cut off with the warnings above them); in short words when the
    /// long ones do not fit `room` columns. `more`: where the popup is scrolled, of how far.
    fn keys(&self, more: Option<(u16, u16)>, room: u16) -> Line<'static> {
        let t = self.theme;
        // `tight`: arrows alone say there is more (40x12 while qmail-send runs cut the short
        // line at `… ↓ j┘`, newuser60).
        let line = |short: bool, tight: bool| {
            let gap = if short { " " } else { "   " };
            // While qmail-send runs Enter only checks again (newuser55: `Enter do it` beside
            // `refused unless forced`; newuser58: `do it once qmail-send stops` read as queued
            // until then).
            let enter = match (self.send == SendLine::Blocks, short) {
                (true, true) => " refused",
                (true, false) => " refused until qmail-send stops",
                (false, _) => " do it",
            };
            let mut keys = vec![Span::styled(" Enter", t.danger()), Span::raw(enter)];
            if self.send == SendLine::Blocks {
                keys.extend([Span::raw(gap), Span::styled("F", t.danger())]);
                keys.push(Span::raw(" force"));
            }
            keys.extend([Span::raw(gap), Span::styled("Esc", t.accent())]);
            keys.push(Span::raw(" cancel "));
            match more {
                Some(more) if tight => {
                    let arrows = super::scroll_hint(more, "", t).content.replace(" j/k", "");
                    keys.push(Span::styled(arrows, t.accent()));
                }
                Some(more) => {
                    let words = if short { "" } else { " more" };
                    keys.push(super::scroll_hint(more, words, t));
                }
                None => {}
            }
            Line::from(keys)
        };
        let fitted = super::long_or_short(|short| line(short, false), room);
        match fitted.width() > usize::from(room) {
            true => line(true, true),
            false => fitted,
        }
    }

    /// The popup's box in `area`, its lines (wrapped, each fitted to the box) and how far
    /// they may scroll.
    fn layout(&self, area: Rect) -> (Rect, Vec<Line<'static>>, u16) {
        let natural = self.lines(usize::MAX).iter().map(Line::width).max();
        let w = popup_width(area, natural.unwrap_or(0) + 2);
        let lines = self.lines(usize::from(w.saturating_sub(2)));
        let gauge = u16::from(self.running.is_some());
        let rows = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        let rect = centered(area, w, rows.saturating_add(2 + gauge));
        let shown = rect.height.saturating_sub(2 + gauge);
        // Wrapped already; a line still wider (a screen narrower than the key column) ends in
        // `…`, not cut where the border falls.
        let width = usize::from(w.saturating_sub(2));
        let lines = lines
            .into_iter()
            .map(|l| Line {
                spans: super::fit_spans(l.spans, width),
                ..l
            })
            .collect();
        (rect, lines, rows.saturating_sub(shown))
    }
}

/// How far the confirmation popup of `state` can scroll at its screen size: the rows that do
/// not fit (0 when no confirmation is shown).
pub fn max_scroll(state: &crate::tui::state::AppState) -> u16 {
    let crate::tui::state::Popup::Confirm(c) = &state.popup else {
        return 0;
    };
    let popup = ConfirmPopup {
        confirm: c,
        running: None,
        step: None,
        send: SendLine::of(
            c,
            crate::tui::plan::send_blocks(state, c),
            state.status.send,
        ),
        scroll: 0,
        theme: Theme { colour: false },
    };
    let (w, h) = state.ui.size;
    // Drawn above the status line (`view::mod`).
    popup.layout(Rect::new(0, 0, w, h.saturating_sub(1))).2
}

impl Widget for ConfirmPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let (rect, lines, max) = self.layout(area);
        let scroll = self.scroll.min(max);
        Clear.render(rect, buf);
        let title = if self.running.is_some() {
            " Running "
        } else {
            " Confirm "
        };
        let mut block = Block::bordered()
            .border_style(t.danger())
            .title(Line::styled(title, t.danger()));
        if self.running.is_none() {
            let more = (max > 0).then_some((scroll, max));
            block = block.title_bottom(self.keys(more, rect.width.saturating_sub(2)));
        }
        let inner = block.inner(rect);
        block.render(rect, buf);
        let [text, gauge] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(u16::from(self.running.is_some())),
        ])
        .areas(inner);
        Paragraph::new(lines).scroll((scroll, 0)).render(text, buf);
        if let Some(done) = self.running {
            let total = self.confirm.plan.message_count().max(1) as u64;
            let (ratio, label) = match self.step {
                // The moves are done; what follows (reading the messages again, analysing)
                // has its own count, or fills the gauge when it has none.
                Some(step) if step.total > 0 => {
                    (step.done as f64 / step.total as f64, step_words(step))
                }
                Some(step) => (1.0, step_words(step)),
                // Before the first move the batch checks files and writes its journal:
                // seconds at 100,000 messages, where a bare `0 / 75,960` read as hung.
                None if done == 0 => (
                    0.0,
                    format!(
                        "0 / {} · {}",
                        thousands(total),
                        crate::actions::BEFORE_THE_FIRST_MOVE
                    ),
                ),
                None => (
                    done as f64 / total as f64,
                    format!("{} / {}", thousands(done), thousands(total)),
                ),
            };
            let ratio = ratio.clamp(0.0, 1.0);
            Gauge::default()
                .gauge_style(t.accent())
                .ratio(ratio)
                .label(label)
                .render(gauge, buf);
        }
    }
}

/// The warning of a plan taking messages the cleanup plan would keep: `250 of these the
/// cleanup plan (p) keeps, no culprit's: 200 inbound mail ... · 50 from 1 AUTH user ...`;
/// `None` when it keeps none of them.
pub fn not_in_plan_words(n: &NotInPlan) -> Option<String> {
    if n.messages == 0 {
        return None;
    }
    let kinds: Vec<String> = (n.kinds.iter())
        .map(|k| format!("{} {}", thousands(k.messages as u64), k.words))
        .collect();
    let whose = match n.culprits {
        0 => "the analysis names no culprit in the queue",
        _ => "no culprit's",
    };
    Some(format!(
        "{} of these the cleanup plan (p) keeps, {whose}: {}",
        thousands(n.messages as u64),
        kinds.join(" · ")
    ))
}

/// The box shown while the worker builds a plan.
pub struct PlanningPopup<'a> {
    /// What is being planned.
    pub what: &'a str,
    /// What the worker is at, once it has taken a moment.
    pub step: Option<&'a PlanStep>,
    /// Styles.
    pub theme: Theme,
}

impl Widget for PlanningPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let what = format!("{}…", self.what);
        let step = self.step.map(step_words);
        let widest = (Span::raw(what.as_str()).width()).max(step.as_deref().map_or(0, str::len));
        let w = popup_width(area, widest + 2);
        let inner = usize::from(w.saturating_sub(2));
        let mut lines: Vec<Line<'static>> = super::wrap(&what, " ", inner)
            .into_iter()
            .map(Line::raw)
            .collect();
        if let Some(step) = &step {
            let wrapped = super::wrap(step, " ", inner).into_iter();
            lines.extend(wrapped.map(|l| Line::styled(l, t.dim())));
        }
        lines.push(Line::from(vec![
            Span::styled("Esc", t.accent()),
            Span::raw(" cancel"),
        ]));
        let rect = centered(area, w, lines.len() as u16 + 2);
        Clear.render(rect, buf);
        let block = Block::bordered()
            .border_style(t.accent())
            .title(Line::styled(" Planning ", t.accent()));
        Paragraph::new(lines).block(block).render(rect, buf);
    }
}

/// `checking the messages to put back: 12,000 of 45,000 · 3 s`, or, not counted,
/// `building the cleanup plan (what of the marks it keeps)… 3 s`.
pub fn step_words(step: &PlanStep) -> String {
    let secs = step.ms / 1000;
    match step.total {
        0 => format!("{}… {secs} s", step.what),
        total => format!(
            "{}: {} of {} · {secs} s",
            step.what,
            thousands(step.done.min(total)),
            thousands(total)
        ),
    }
}

/// The popup's first line: what the plan does to `n` messages (`running`: being done).
fn verb(direction: Direction, running: bool, n: u64, times_only: bool) -> String {
    let n = crate::size::counted(n, "message", "messages");
    match (direction, running) {
        (Direction::Yank, false) => format!("Yank {n} to the yank area?"),
        (Direction::Yank, true) => format!("Yanking {n}…"),
        (Direction::Restore, false) if times_only => format!("Put back the queue times of {n}?"),
        (Direction::Restore, false) => format!("Restore {n} to the queue?"),
        (Direction::Restore, true) => format!("Restoring {n}…"),
        (Direction::Purge, false) => format!("Delete {n} for good?"),
        (Direction::Purge, true) => format!("Deleting {n}…"),
        (Direction::Expire, false) => format!("Expire {n} (they will bounce)?"),
        (Direction::Expire, true) => format!("Expiring {n}…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_message_is_singular() {
        assert_eq!(
            verb(Direction::Yank, false, 1, false),
            "Yank 1 message to the yank area?"
        );
        assert_eq!(
            verb(Direction::Restore, false, 1_134, false),
            "Restore 1,134 messages to the queue?"
        );
        assert_eq!(
            verb(Direction::Purge, true, 1, false),
            "Deleting 1 message…"
        );
    }
}
