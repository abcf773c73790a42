//! The header bar (queue, counts, qmail-send, yanked, marked), the scan line and the status line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{thousands, Theme};
use crate::queue::ProgressSnapshot;
use crate::tui::keys;
use crate::tui::state::{AppState, Notice, ScanPhase, SendState};

/// What the header shows.
pub struct Header<'a> {
    queue_path: &'a str,
    messages: Option<usize>,
    send: SendState,
    yanked: usize,
    marked: usize,
    theme: Theme,
}

impl<'a> Header<'a> {
    /// The header of `s`.
    pub fn new(s: &'a AppState, theme: Theme) -> Header<'a> {
        Header {
            queue_path: &s.status.queue_path,
            messages: s.data.as_ref().map(|d| d.snapshot.records.len()),
            send: s.status.send,
            yanked: s.status.yanked_on_disk.len(),
            marked: s.marks.ids.len(),
            theme,
        }
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
        let msgs = self
            .messages
            .map_or_else(|| "…".to_string(), |n| thousands(n as u64));
        let sep = Span::styled(" │ ", t.dim());
        let mut spans = vec![
            Span::styled("qtriage", t.accent()),
            sep.clone(),
            Span::raw(format!("{msgs} msgs")),
            sep.clone(),
            Span::raw("qmail-send "),
            Span::styled(send, send_style),
            sep.clone(),
            Span::raw(format!("yanked {}", thousands(self.yanked as u64))),
            sep.clone(),
        ];
        let marked = format!("marked {}", thousands(self.marked as u64));
        spans.push(if self.marked > 0 {
            Span::styled(marked, t.marked())
        } else {
            Span::raw(marked)
        });
        spans.push(sep);
        spans.push(Span::styled(self.queue_path, t.dim()));
        Line::from(spans).render(area, buf);
    }
}

/// The scan progress line: messages read, rate, ETA.
pub struct ProgressLine {
    phase: ScanPhase,
    progress: Option<ProgressSnapshot>,
    ms: u64,
    theme: Theme,
}

impl ProgressLine {
    /// The progress line of `s`.
    pub fn new(s: &AppState, theme: Theme) -> ProgressLine {
        ProgressLine {
            phase: s.status.phase,
            progress: s.status.progress,
            ms: s.status.scan_ms,
            theme,
        }
    }

    fn text(&self) -> String {
        if self.phase == ScanPhase::Failed {
            return "scan failed (r retries)".into();
        }
        let Some(p) = self.progress else {
            return "scanning: listing the queue…".into();
        };
        if p.listed == 0 {
            return "scanning: listing the queue…".into();
        }
        let secs = (self.ms as f64 / 1000.0).max(0.001);
        let rate = p.read as f64 / secs;
        let eta = if rate > 0.0 {
            format!("{:.0}s", p.listed.saturating_sub(p.read) as f64 / rate)
        } else {
            "?".into()
        };
        format!(
            "scanning: {} / {} messages read  {}/s  ETA {eta}",
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

/// The bottom line: the last notice, else key hints from the keymap.
pub struct StatusLine<'a> {
    notice: Option<&'a Notice>,
    hints: Vec<(String, &'static str)>,
    theme: Theme,
}

impl<'a> StatusLine<'a> {
    /// The status line of `s`.
    pub fn new(s: &'a AppState, theme: Theme) -> StatusLine<'a> {
        StatusLine {
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
        if let Some(n) = self.notice {
            let style = if n.is_error { t.danger() } else { t.ok() };
            spans.push(Span::styled(n.text.clone(), style));
            spans.push(Span::raw("  "));
        }
        for (key, help) in self.hints {
            spans.push(Span::styled(key, t.accent()));
            spans.push(Span::styled(format!(" {help}  "), t.dim()));
        }
        Line::from(spans).render(area, buf);
    }
}
