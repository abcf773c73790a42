//! The cleanup plan popup (`p`): `qtriage plan`'s culprits, counts, query and what remains.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::confirm::centered;
use super::Theme;
use crate::sanitize::sanitize_str;
use crate::tui::state::CleanupPlan;

/// Width of the popup.
const WIDTH: u16 = 100;

/// The popup over a cleanup plan.
pub struct CleanupPopup<'a> {
    /// The plan.
    pub cleanup: &'a CleanupPlan,
    /// First row shown (a plan of many culprits is taller than a small terminal).
    pub scroll: u16,
    /// Styles.
    pub theme: Theme,
}

impl CleanupPopup<'_> {
    /// The popup's lines for an inner width of `width` columns: each culprit's line cut between
    /// words under a hanging indent, so the culprits do not run together when they wrap.
    fn lines(&self, width: usize) -> Vec<Line<'static>> {
        let t = self.theme;
        let p = &self.cleanup.plan;
        // Values and reasons quote message bytes: always sanitized.
        let safe = |s: &str| sanitize_str(s).into_owned();
        if p.culprits.is_empty() {
            let mut v = vec![
                Line::styled("No culprit: nothing to yank.", t.accent()),
                Line::raw(safe(&p.remaining_words())),
            ];
            v.extend(self.held(width));
            v.extend(self.notes());
            return v;
        }
        let mut v = Vec::new();
        // Read in part: said first, as `qtriage plan` says it (and Enter marks nothing).
        if let Some(words) = &self.cleanup.incomplete {
            v.push(Line::styled(safe(words), t.danger()));
        }
        v.push(Line::styled(format!("Yank {}:", p.headline()), t.danger()));
        for c in p.listed_culprits() {
            let head = format!(" {} {}", c.key.name(), safe(&c.value));
            let text = format!(
                "{} ({}) {}",
                head.trim_start(),
                c.counts_words(),
                safe(&c.reason)
            );
            for (i, row) in crate::text::wrap_words(&text, width, " ", "    ")
                .into_iter()
                .enumerate()
            {
                v.push(match row.strip_prefix(head.as_str()) {
                    // The culprit's name stands out on its first row.
                    Some(rest) if i == 0 => Line::from(vec![
                        Span::styled(head.clone(), t.accent()),
                        Span::raw(rest.to_string()),
                    ]),
                    _ if i == 0 => Line::styled(row, t.accent()),
                    _ => Line::raw(row),
                });
            }
            let left = [
                c.owner_left.as_ref().map(|l| l.words()),
                c.local_left.as_ref().map(|l| l.words()),
                c.undiverted_left.as_ref().map(|l| l.words()),
                c.own_domain_left.as_ref().map(|l| l.words()),
            ];
            for words in left.into_iter().flatten() {
                let rows = crate::text::wrap_words(&safe(&words), width, "    ", "      ");
                v.extend(rows.into_iter().map(|r| Line::styled(r, t.ok())));
            }
        }
        if let Some(words) = p.within_words() {
            v.extend(
                (crate::text::wrap_words(&safe(&words), width, " ", "    "))
                    .into_iter()
                    .map(Line::raw),
            );
        }
        if let Some(words) = p.left_out_words() {
            v.push(Line::styled(format!(" {words}"), t.danger()));
        }
        v.push(Line::from(vec![
            Span::styled("query ", t.dim()),
            Span::raw(safe(&p.query)),
        ]));
        v.push(Line::raw(safe(&p.remaining_words())));
        v.extend(self.held(width));
        v.extend(self.notes());
        v
    }

    /// The held suspects naming loud script voices, as `qtriage plan` says them: the plan
    /// takes none of them (newuser56: the popup said only "No culprit").
    fn held(&self, width: usize) -> Vec<Line<'static>> {
        let held = &self.cleanup.plan.held_loud;
        let mut v = Vec::new();
        for h in held.iter().take(2) {
            let text = sanitize_str(&h.words()).into_owned();
            let rows = crate::text::wrap_words(&text, width, "", "    ");
            v.extend(
                rows.into_iter()
                    .map(|r| Line::styled(r, self.theme.accent())),
            );
        }
        if held.len() > 2 {
            let more = held.len() - 2;
            v.push(Line::raw(format!(
                "held, not taken: {more} more (qtriage top)"
            )));
        }
        // With no culprit, the strongest suspects, as `plan` names them (mix61).
        let suspects = self.cleanup.plan.suspects.iter().map(|s| s.suspect_words());
        // A culprit a yank took part of: its queued rest, not taken (newuser58).
        let partly = self.cleanup.plan.partly_yanked.iter().map(|y| y.words());
        // A culprit of bounces quoting no culprit: named, not taken (mix62).
        let bounces = self
            .cleanup
            .plan
            .bounce_culprits
            .iter()
            .map(|b| b.bounce_words());
        for words in suspects.chain(partly).chain(bounces) {
            let text = sanitize_str(&words).into_owned();
            let rows = crate::text::wrap_words(&text, width, "", "    ");
            v.extend(
                rows.into_iter()
                    .map(|r| Line::styled(r, self.theme.accent())),
            );
        }
        v
    }

    /// The keys, on the bottom border so that they show however far the plan is scrolled; in
    /// `room` columns, in short words when the long ones do not fit (at 40 columns the scroll
    /// hint, last, was cut off a plan taller than the screen).
    fn keys(&self, more: Option<(u16, u16)>, room: u16) -> Line<'static> {
        let t = self.theme;
        let line = |short: bool| {
            let mut keys = Vec::new();
            if !self.cleanup.plan.culprits.is_empty() {
                keys.push(Span::styled(" Enter", t.danger()));
                keys.push(Span::raw(match short {
                    false => " mark them all (then y yanks)  ",
                    true => " mark all ",
                }));
            }
            keys.push(Span::styled(" Esc", t.accent()));
            keys.push(Span::raw(" close "));
            if let Some(more) = more {
                let words = if short { "" } else { " scroll" };
                keys.push(super::scroll_hint(more, words, t));
            }
            Line::from(keys)
        };
        super::long_or_short(line, room)
    }

    /// The popup's box in `area`, its paragraph and how far that may scroll.
    fn layout(&self, area: Rect) -> (Rect, Paragraph<'static>, u16) {
        let width = WIDTH.min(area.width);
        let inner = width.saturating_sub(2).max(1);
        let paragraph = Paragraph::new(self.lines(usize::from(inner))).wrap(Wrap { trim: false });
        let rows = paragraph.line_count(inner);
        let rows = u16::try_from(rows).unwrap_or(u16::MAX);
        let rect = centered(area, width, rows.saturating_add(2));
        let shown = rect.height.saturating_sub(2);
        let max = rows.saturating_sub(shown);
        (rect, paragraph, max)
    }
}

/// How far the plan popup can scroll on a screen of `size`: the rows that do not fit.
pub fn max_scroll(cleanup: &CleanupPlan, size: (u16, u16)) -> u16 {
    let popup = CleanupPopup {
        cleanup,
        scroll: 0,
        theme: Theme { colour: false },
    };
    popup.layout(Rect::new(0, 0, size.0, size.1)).2
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
        let (rect, paragraph, max) = self.layout(area);
        let scroll = self.scroll.min(max);
        Clear.render(rect, buf);
        let block = Block::bordered()
            .border_style(t.accent())
            .title(Line::styled(" Cleanup plan ", t.accent()))
            .title_bottom(self.keys(
                (max > 0).then_some((scroll, max)),
                rect.width.saturating_sub(2),
            ));
        paragraph.block(block).scroll((scroll, 0)).render(rect, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::state::Popup;

    /// At 40 columns a plan taller than the screen still says it scrolls: the keys go short.
    #[test]
    fn a_narrow_plan_still_says_it_scrolls() {
        let s = super::super::tests::cleanup_shown((40, 10));
        let Popup::Cleanup(c) = &s.popup else {
            panic!("the cleanup plan is shown: {:?}", s.popup);
        };
        assert!(max_scroll(c, (40, 10)) > 0, "taller than the screen");
        let popup = || CleanupPopup {
            cleanup: c,
            scroll: 0,
            theme: Theme { colour: false },
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 10));
        popup().render(buf.area, &mut buf);
        let bottom = (0..40).map(|x| buf[(x, 9)].symbol()).collect::<String>();
        assert!(
            bottom.contains("↓ j/k") && bottom.contains("Esc"),
            "{bottom}"
        );
        // Wide enough, the keys say it in words.
        let mut buf = Buffer::empty(Rect::new(0, 0, 120, 10));
        popup().render(buf.area, &mut buf);
        let rows: Vec<String> = (0..10)
            .map(|y| (0..120).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let keys = rows.iter().find(|r| r.contains(" Esc")).expect("keys");
        assert!(keys.contains("mark them all (then y yanks)"), "{keys}");
    }

    /// The popup of `c` at 100x30, row by row.
    fn popup_text(c: &CleanupPlan) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, 100, 30));
        CleanupPopup {
            cleanup: c,
            scroll: 0,
            theme: Theme { colour: false },
        }
        .render(buf.area, &mut buf);
        (0..30)
            .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect()
    }

    /// With no culprit, the popup says which held suspect names loud script voices, as `plan`
    /// does (newuser56: it said only "No culprit"), its reason sanitized.
    #[test]
    fn no_culprit_names_the_held_suspect_with_loud_voices() {
        let s = super::super::tests::cleanup_shown((100, 30));
        let Popup::Cleanup(c) = &s.popup else {
            panic!("the cleanup plan is shown: {:?}", s.popup);
        };
        let mut c = (**c).clone();
        c.plan.culprits.clear();
        c.plan.held_loud = vec![crate::analysis::plan::HeldLoud {
            key: crate::analysis::key::ClusterKey::Uid,
            value: "48".into(),
            value_bytes: std::sync::Arc::from(&b"48"[..]),
            messages: 750,
            score: 39.9,
            reason: "loud among them, the fastest first: s@bank.example\x1b[2J through x.php"
                .into(),
        }];
        // And the strongest other suspect, as `plan` names it (mix61).
        let mut other = c.plan.held_loud[0].clone();
        other.key = crate::analysis::key::ClusterKey::AuthUser;
        other.value = "sales@example.com".into();
        other.reason = "an account sending far more than the others".into();
        c.plan.suspects = vec![other];
        let text = popup_text(&c);
        assert!(text.contains("No culprit: nothing to yank."), "{text}");
        assert!(
            text.contains("held, not taken: uid 48 (750 messages, suspect 39.9): loud among"),
            "{text}"
        );
        assert!(
            text.contains("suspect, not taken: auth-user sales@example.com (750 messages,"),
            "{text}"
        );
        assert!(!text.contains('\x1b'), "{text}");
    }

    /// A stolen login's owner's mail the plan leaves is said under its line, as `plan` says it
    /// (mix61), sanitized.
    #[test]
    fn a_culprits_owner_mail_left_is_said_under_it() {
        let s = super::super::tests::cleanup_shown((100, 30));
        let Popup::Cleanup(c) = &s.popup else {
            panic!("the cleanup plan is shown: {:?}", s.popup);
        };
        let mut c = (**c).clone();
        c.plan.culprits[0].owner_left = Some(crate::analysis::plan::OwnerLeft {
            messages: 6,
            ips: vec![(std::sync::Arc::from(&b"91.73.158.184\x1b[2J"[..]), 6)],
        });
        let text = popup_text(&c);
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains("not taken: 6 of its messages, from 1 IP other logins (none suspected)"),
            "{text}"
        );
        assert!(words.contains("likely its owner's own mail"), "{text}");
        assert!(!text.contains('\x1b'), "{text}");
    }
}
