//! The confirmation popup of a destructive action: the plan's counts and qmail-send's state, in
//! the danger colour; while it runs, a progress gauge.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Gauge, Paragraph, Widget};

use super::{human_bytes, thousands, Theme};
use crate::tui::state::{Plan, PlanKind, SendState};

/// The popup over a plan.
pub struct ConfirmPopup<'a> {
    /// The plan shown (and, on Enter, executed).
    pub plan: &'a Plan,
    /// `Some(done)` while it runs.
    pub running: Option<usize>,
    /// qmail-send's state now.
    pub send: SendState,
    /// Styles.
    pub theme: Theme,
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
        let n = thousands(self.plan.targets.len() as u64);
        match (&self.plan.kind, self.running.is_some()) {
            (PlanKind::Yank, false) => format!("Yank {n} messages to the yank area?"),
            (PlanKind::Yank, true) => format!("Yanking {n} messages…"),
            (PlanKind::Restore { what, .. }, false) => {
                format!("Restore {n} messages ({what}) to the queue?")
            }
            (PlanKind::Restore { what, .. }, true) => format!("Restoring {n} messages ({what})…"),
        }
    }

    fn lines(&self) -> Vec<Line<'static>> {
        let t = self.theme;
        let p = self.plan;
        let row = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("{k:<12}"), t.dim()),
                Span::raw(v),
            ])
        };
        let mut v = vec![Line::styled(self.verb(), t.danger()), Line::raw("")];
        v.push(row("messages", thousands(p.targets.len() as u64)));
        if p.kind == PlanKind::Yank {
            v.push(row("recipients", thousands(p.recipients as u64)));
            v.push(row("bytes", human_bytes(p.bytes)));
            v.push(row("clusters", thousands(p.clusters_hit as u64)));
        }
        let send = match self.send {
            SendState::Running => Span::styled("RUNNING: refused unless forced (F)", t.danger()),
            SendState::Stopped => Span::styled("stopped", t.ok()),
            SendState::Unknown => Span::styled("unknown (checked again when run)", t.dim()),
        };
        v.push(Line::from(vec![
            Span::styled(format!("{:<12}", "qmail-send"), t.dim()),
            send,
        ]));
        v.push(Line::raw(""));
        if self.running.is_none() {
            let mut keys = vec![Span::styled("Enter", t.danger()), Span::raw(" do it   ")];
            if self.send == SendState::Running {
                keys.extend([Span::styled("F", t.danger()), Span::raw(" force   ")]);
            }
            keys.extend([Span::styled("Esc", t.accent()), Span::raw(" cancel")]);
            v.push(Line::from(keys));
        }
        v
    }
}

impl Widget for ConfirmPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let lines = self.lines();
        let h = lines.len() as u16 + 2 + u16::from(self.running.is_some());
        let rect = centered(area, 62, h);
        Clear.render(rect, buf);
        let title = if self.running.is_some() {
            " Running "
        } else {
            " Confirm "
        };
        let block = Block::bordered()
            .border_style(t.danger())
            .title(Line::styled(title, t.danger()));
        let inner = block.inner(rect);
        block.render(rect, buf);
        let [text, gauge] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(u16::from(self.running.is_some())),
        ])
        .areas(inner);
        Paragraph::new(lines).render(text, buf);
        if let Some(done) = self.running {
            let total = self.plan.targets.len().max(1);
            let ratio = (done as f64 / total as f64).clamp(0.0, 1.0);
            let label = format!("{} / {}", thousands(done as u64), thousands(total as u64));
            Gauge::default()
                .gauge_style(t.accent())
                .ratio(ratio)
                .label(label)
                .render(gauge, buf);
        }
    }
}
