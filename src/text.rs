//! Text cut between words to a width, each line after the first under a hanging indent: what
//! `top` and `plan` print on a terminal and what the TUI's plan popup shows.

use unicode_width::UnicodeWidthStr;

/// `text` (already sanitized) as lines at most `width` columns wide where its words allow, the
/// first starting with `indent`, the others with `hang`. Words are never cut (an address, an IP
/// or a query term must stay whole to be copied): one wider than the line has a line of its
/// own. Runs of spaces are kept within a line and dropped where it breaks.
pub fn wrap_words(text: &str, width: usize, indent: &str, hang: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from(indent);
    let mut used = indent.width();
    let mut empty = true;
    // The spaces owed before the next word.
    let mut gap = 0;
    for (i, word) in text.split(' ').enumerate() {
        gap += usize::from(i > 0);
        if word.is_empty() {
            continue;
        }
        let w = word.width();
        if !empty && used + gap + w > width {
            lines.push(std::mem::replace(&mut line, hang.to_string()));
            used = hang.width();
            empty = true;
        }
        if !empty {
            line.extend(std::iter::repeat_n(' ', gap));
            used += gap;
        }
        line.push_str(word);
        used += w;
        empty = false;
        gap = 0;
    }
    lines.push(line);
    lines
}
