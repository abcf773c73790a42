//! Long text lines cut between words to fit the operator's terminal, only when stdout is one.
//!
//! A summary of `top` or a culprit line of `plan` runs to 200 columns; over SSH in an 80-column
//! terminal the terminal's own wrap put the next words at column 0, under the list's indent, and
//! the blocks ran together. A pipe or a file keeps one line per item, as scripts and `grep` read
//! it. Words are never cut: an address, an IP or a query term must stay whole to be copied.
//! Lines an operator pastes (`query:`, `next:`) are not given to this.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

/// Terminals narrower than this are not wrapped for: the indents would leave too little.
const NARROWEST: usize = 40;

/// How wide text lines may be: a terminal's width, or unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wrap(Option<usize>);

impl Wrap {
    /// The width of the terminal stdout is, or unbounded when stdout is a pipe or a file (or a
    /// terminal too narrow to wrap for).
    pub fn of_stdout() -> Wrap {
        let width = terminal_size::terminal_size_of(io::stdout()).map(|(w, _)| w.0 as usize);
        Wrap(width.filter(|&w| w >= NARROWEST))
    }

    /// Lines at most `width` columns wide (tests, and a caller that knows its width).
    pub fn at(width: usize) -> Wrap {
        Wrap(Some(width.max(NARROWEST)))
    }

    /// Write `text` (already sanitized) as one line starting with `indent`, or when wider than the
    /// terminal as several, each one after the first starting with `hang`.
    pub fn line(
        &self,
        out: &mut dyn Write,
        indent: &str,
        hang: &str,
        text: &str,
    ) -> io::Result<()> {
        let Some(width) = self.0 else {
            return writeln!(out, "{indent}{text}");
        };
        for line in crate::text::wrap_words(text, width, indent, hang) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// Write `parts` (already sanitized) joined by `sep` as one line, or when wider than the
    /// terminal as several, each starting with `hang`, cutting only between parts: `watch`'s
    /// `auth-user test +900/min` read apart from its rate would be misread.
    pub fn parts(
        &self,
        out: &mut dyn Write,
        hang: &str,
        sep: &str,
        parts: &[String],
    ) -> io::Result<()> {
        let Some(width) = self.0 else {
            return writeln!(out, "{}", parts.join(sep));
        };
        let mut line = String::new();
        for part in parts {
            if !line.is_empty() && (line.as_str().width() + sep.width() + part.width() > width) {
                writeln!(out, "{line}")?;
                line = hang.to_string();
            } else if !line.is_empty() {
                line.push_str(sep);
            }
            line.push_str(part);
        }
        writeln!(out, "{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(wrap: Wrap, indent: &str, hang: &str, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        wrap.line(&mut out, indent, hang, text).expect("write");
        let out = String::from_utf8(out).expect("utf-8");
        out.lines().map(str::to_string).collect()
    }

    const SUMMARY: &str = "AUTH user test: 1,134 messages (38% of queue) from 4 IPs \
        (82.128.32.42 292, 197.242.99.12 285, 86.107.221.138 285, 1 more), 1-49 remote \
        recipients each, sender addresses not its own: likely a guessed password";

    #[test]
    fn unbounded_is_one_line_as_before() {
        assert_eq!(
            lines(Wrap::default(), "    ", "      ", SUMMARY),
            [format!("    {SUMMARY}")]
        );
    }

    #[test]
    fn a_long_line_fits_the_width_under_its_hang_and_keeps_every_word() {
        let got = lines(Wrap::at(80), "    ", "      ", SUMMARY);
        assert!(got.len() > 2, "{got:#?}");
        assert!(got.iter().all(|l| l.width() <= 80), "{got:#?}");
        assert!(got[0].starts_with("    AUTH user test:"), "{got:#?}");
        assert!(got[1..]
            .iter()
            .all(|l| l.starts_with("      ") && !l.starts_with("       ")));
        let words: Vec<&str> = got.iter().flat_map(|l| l.split_whitespace()).collect();
        assert_eq!(words, SUMMARY.split_whitespace().collect::<Vec<_>>());
        // Each line is as full as the next word allows.
        for pair in got.windows(2) {
            let next = pair[1].split_whitespace().next().expect("a word");
            assert!(pair[0].width() + 1 + next.width() > 80, "{got:#?}");
        }
    }

    #[test]
    fn runs_of_spaces_are_kept_within_a_line_and_dropped_at_a_break() {
        let text =
            "culprit  score  56.4  script wp-content/uploads/2019/07/mailer.php  (108 messages)";
        assert_eq!(
            lines(Wrap::at(100), " 2. ", "    ", text),
            [format!(" 2. {text}")]
        );
        assert_eq!(
            lines(Wrap::at(70), " 2. ", "    ", text),
            [
                " 2. culprit  score  56.4  script wp-content/uploads/2019/07/mailer.php",
                "    (108 messages)"
            ]
        );
    }

    #[test]
    fn a_word_wider_than_the_terminal_stays_whole_on_its_own_line() {
        let long = "x".repeat(100);
        let got = lines(Wrap::at(40), "  ", "    ", &format!("a {long} b"));
        assert_eq!(
            got,
            ["  a".to_string(), format!("    {long}"), "    b".into()]
        );
    }

    #[test]
    fn parts_are_cut_only_between_parts() {
        let parts: Vec<String> = [
            "10:42:00 queue 12,345 (+1,200/min) todo 3",
            "auth-user test +900/min",
        ]
        .into_iter()
        .map(String::from)
        .chain((0..4).map(|i| format!("ip 86.107.221.{i} +300/min")))
        .collect();
        let mut out = Vec::new();
        Wrap::default()
            .parts(&mut out, "  ", " | ", &parts)
            .expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            parts.join(" | ") + "\n"
        );
        let mut out = Vec::new();
        Wrap::at(80)
            .parts(&mut out, "         ", " | ", &parts)
            .expect("write");
        let out = String::from_utf8(out).expect("utf-8");
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(
            got,
            [
                "10:42:00 queue 12,345 (+1,200/min) todo 3 | auth-user test +900/min",
                "         ip 86.107.221.0 +300/min | ip 86.107.221.1 +300/min",
                "         ip 86.107.221.2 +300/min | ip 86.107.221.3 +300/min",
            ]
        );
    }

    #[test]
    fn wide_characters_count_as_two_columns() {
        // 20 CJK characters are 40 columns: with the indent they do not fit beside "word".
        let cjk = "件".repeat(20);
        let got = lines(Wrap::at(44), "  ", "  ", &format!("word {cjk}"));
        assert_eq!(got, ["  word".to_string(), format!("  {cjk}")]);
    }
}
