//! The filter bar's keys: start editing, type, move the caret, delete, apply; the text is
//! parsed as it changes so that its error shows while typing.

use super::{lists, AppState, Command, Effect, Focus};
use crate::query::Query;

pub(super) fn start_filter(state: &mut AppState) {
    let q = &mut state.query;
    q.editing = true;
    q.cursor = q.text.len();
    // The last query's count does not describe the one being typed.
    if state
        .status
        .notice
        .as_ref()
        .is_some_and(|n| n.text.starts_with("query matched"))
    {
        state.status.notice = None;
    }
}

/// `/` in the yank area: the filter bar, empty, for a query whose yanked messages go back as
/// real mail. Empty: the list's filter in it was one Enter from picking a culprit's spam back
/// (newuser52); Esc or the pick puts that filter's text back.
pub(super) fn start_pick(state: &mut AppState) {
    start_filter(state);
    let q = &mut state.query;
    (q.picking, q.cursor, q.error) = (true, 0, None);
    q.text.clear();
    state.status.notice = None;
}

pub(super) fn type_char(state: &mut AppState, c: char) {
    let q = &mut state.query;
    q.text.insert(q.cursor, c);
    q.cursor += c.len_utf8();
    q.error = Query::parse(&q.text).err();
}

/// Text pasted into the filter bar, inserted at the caret as one edit. A line break is a
/// space (a query is one line: pasted, it must not apply itself); any other control, bidi or
/// invisible character is written as `\u{HEX}`, which the query reads back as that character,
/// so the bar shows what was pasted and a Ctrl-A byte does not move the caret (newuser51).
/// A backslash right before such a character is a backslash itself: it is doubled, or it would
/// escape the `\` of `\u{HEX}` (review51b: `a\` then Ctrl-A read as `a\` then `u{1}`).
pub(super) fn paste(state: &mut AppState, text: &str) {
    let q = &mut state.query;
    let mut clean = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\t' => clean.push(' '),
            c => {
                let mut probe = String::new();
                crate::query::push_char(&mut probe, c);
                if probe.len() > c.len_utf8() && escapes_next(&q.text[..q.cursor], &clean) {
                    clean.push('\\');
                }
                clean.push_str(&probe);
            }
        }
    }
    q.text.insert_str(q.cursor, &clean);
    q.cursor += clean.len();
    q.error = Query::parse(&q.text).err();
}

/// Does `before` then `pasted` end in an unescaped backslash (an odd run of them), which would
/// escape whatever comes next?
fn escapes_next(before: &str, pasted: &str) -> bool {
    let run = |s: &str| s.bytes().rev().take_while(|&b| b == b'\\').count();
    let n = if pasted.bytes().all(|b| b == b'\\') {
        pasted.len() + run(before)
    } else {
        run(pasted)
    };
    n % 2 == 1
}

/// Caret moves and deletion in the filter bar; the error is re-parsed as the text changes.
pub(super) fn edit_query(state: &mut AppState, c: Command) {
    let q = &mut state.query;
    match c {
        Command::CaretLeft => {
            q.cursor = q.text[..q.cursor]
                .char_indices()
                .last()
                .map_or(0, |(i, _)| i);
        }
        Command::CaretRight => {
            let next = q.text[q.cursor..].chars().next();
            q.cursor = next.map_or(q.cursor, |ch| q.cursor + ch.len_utf8());
        }
        Command::CaretHome => q.cursor = 0,
        Command::CaretEnd => q.cursor = q.text.len(),
        Command::ClearBack => {
            q.text.replace_range(..q.cursor, "");
            q.cursor = 0;
            q.error = Query::parse(&q.text).err();
        }
        Command::DeleteForward => {
            if q.cursor < q.text.len() {
                q.text.remove(q.cursor);
            }
            q.error = Query::parse(&q.text).err();
        }
        _ => {
            if let Some((i, _)) = q.text[..q.cursor].char_indices().last() {
                q.text.remove(i);
                q.cursor = i;
            }
            q.error = Query::parse(&q.text).err();
        }
    }
}

/// Enter: apply the text when it parses (an empty query clears the filter), else show its error.
pub(super) fn apply_query(state: &mut AppState) -> Option<Effect> {
    let q = &mut state.query;
    match Query::parse(&q.text) {
        Err(e) => {
            q.error = Some(e);
            None
        }
        Ok(query) if q.picking => {
            // The filter in force stays as it was, as Esc leaves it.
            q.editing = false;
            q.picking = false;
            q.error = None;
            q.text = q
                .applied
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default();
            crate::tui::plan::request_pick(state, query)
        }
        Ok(query) => {
            q.editing = false;
            q.error = None;
            q.applied = (!query.is_empty()).then_some(query);
            // The filter selects messages: its list gets the keys (`M` marking what it
            // selected), not the clusters pane it was typed over.
            if q.applied.is_some() && state.ui.focus == Focus::Clusters {
                state.ui.focus = Focus::Messages;
            }
            let q = &mut state.query;
            if q.applied.is_none() {
                if let Some(d) = &mut state.data {
                    d.selection = None;
                }
                lists::rebuild_rows(state);
            }
            Some(Effect::Select(state.query.applied.clone()))
        }
    }
}
