//! The cleanup plan popup (`p`): `qtriage plan`'s culprits, counts, query and what remains.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::confirm::centered;
use super::{human_bytes, thousands, Theme};
use crate::analysis::rank::percent;
use crate::sanitize::sanitize_str;
use crate::tui::state::CleanupPlan;

/// Width of the popup.
const WIDTH: u16 = 100;

/// The popup over a cleanup plan.
pub struct CleanupPopup<'a> {
    /// The plan.
    pub cleanup: &'a CleanupPlan,
    /// Styles.
    pub theme: Theme,
}

impl CleanupPopup<'_> {
    fn lines(&self) -> Vec<Line<'static>> {
        let t = self.theme;
        let p = &self.cleanup.plan;
        // Values and reasons quote message bytes: always sanitized.
        let safe = |s: &str| sanitize_str(s).into_owned();
        if p.culprits.is_empty() {
            let mut v = vec![
                Line::styled("No culprit: nothing to yank.", t.accent()),
                Line::raw(safe(&p.remaining_words())),
            ];
            v.extend(self.notes());
            v.push(Line::raw(""));
            v.push(Line::from(vec![
                Span::styled("Esc", t.accent()),
                Span::raw(" close"),
            ]));
            return v;
        }
        let mut v = vec![Line::styled(
            format!(
                "Yank {} messages ({} of queue), {} recipients, {}, from {} culprit{}:",
                thousands(p.messages() as u64),
                percent(p.share),
                thousands(p.recipients as u64),
                human_bytes(p.bytes),
                p.culprits.len(),
                if p.culprits.len() == 1 { "" } else { "s" }
            ),
            t.danger(),
        )];
        for c in &p.culprits {
            let bounces = match c.backscatter {
                0 => String::new(),
                n => format!(" + {} bounces", thousands(n as u64)),
            };
            v.push(Line::from(vec![
                Span::styled(format!(" {} {}", c.key.name(), safe(&c.value)), t.accent()),
                Span::raw(format!(
                    " ({}{bounces}) {}",
                    thousands(c.messages as u64),
                    safe(&c.reason)
                )),
            ]));
        }
        v.push(Line::from(vec![
            Span::styled("query ", t.dim()),
            Span::raw(safe(&p.query)),
        ]));
        v.push(Line::raw(safe(&p.remaining_words())));
        v.extend(self.notes());
        v.push(Line::raw(""));
        v.push(Line::from(vec![
            Span::styled("Enter", t.danger()),
            Span::raw(" mark them all (then y yanks)   "),
            Span::styled("Esc", t.accent()),
            Span::raw(" close"),
        ]));
        v
    }
}

impl CleanupPopup<'_> {
    /// What the analysis read, dimmed under the plan: it explains the plan's groupings.
    fn notes(&self) -> Vec<Line<'static>> {
        let t = self.theme;
        self.cleanup
            .notes
            .iter()
            .map(|n| Line::styled(format!("note: {}", sanitize_str(n)), t.dim()))
            .collect()
    }
}

impl Widget for CleanupPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let lines = self.lines();
        let width = WIDTH.min(area.width);
        // Wrapped lines take more rows: estimate from each line's width.
        let inner = width.saturating_sub(2).max(1) as usize;
        let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
        let rect = centered(area, width, rows as u16 + 2);
        Clear.render(rect, buf);
        let block = Block::bordered()
            .border_style(t.accent())
            .title(Line::styled(" Cleanup plan ", t.accent()));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block)
            .render(rect, buf);
    }
}
