//! What the keymap says to people: key labels, the status line's hints, the help screen and
//! docs/tui.md's table, all from [`super::BINDINGS`].

use crossterm::event::KeyCode as K;
use crossterm::event::KeyCode;

use super::{contexts, Binding, Command, Context, BINDINGS};
use crate::tui::state::AppState;

/// A key's label: `j`, `Enter`, `PgDn`, `Space`.
pub fn key_label(k: KeyCode) -> String {
    match k {
        K::Char(' ') => "Space".into(),
        K::Char(c) => c.to_string(),
        K::Enter => "Enter".into(),
        K::Esc => "Esc".into(),
        K::Tab => "Tab".into(),
        K::Up => "↑".into(),
        K::Down => "↓".into(),
        K::Left => "←".into(),
        K::Right => "→".into(),
        K::PageUp => "PgUp".into(),
        K::PageDown => "PgDn".into(),
        K::Home => "Home".into(),
        K::End => "End".into(),
        K::Backspace => "Backspace".into(),
        K::Delete => "Del".into(),
        other => format!("{other:?}"),
    }
}

/// The labels of a binding's keys joined with `/`.
pub fn keys_label(b: &Binding) -> String {
    b.keys
        .iter()
        .map(|k| key_label(*k))
        .collect::<Vec<_>>()
        .join("/")
}

/// The label of the first key bound to `command` in `context` (`None` when it is unbound), so
/// a view's own hints name the keys the keymap actually has.
pub fn key_for(context: Context, command: Command) -> Option<String> {
    BINDINGS
        .iter()
        .find(|b| b.context == context && b.command == command)
        .map(|b| key_label(b.keys[0]))
}

/// Enter's hint in a confirmation while qmail-send runs.
const ONCE_STOPPED: &str = "refused until qmail-send stops";

/// Status-bar hints for `state`: `key label` pairs from the bindings marked as hints.
pub fn hints(state: &AppState) -> Vec<(String, &'static str)> {
    // `F force` only while there is something to force: the popup's action is refused while
    // qmail-send runs (a purge never is), by the same judgement that refuses Enter.
    let (forcing, in_confirm) = match &state.popup {
        crate::tui::state::Popup::Confirm(c) => (crate::tui::plan::send_blocks(state, c), true),
        _ => (true, false),
    };
    // A key a more specific context takes is not hinted again for a wider one: `/` picks back
    // in the yank area, where "/ filter" would tell the operator what it does not do.
    let mut taken = Vec::new();
    let mut out = Vec::new();
    for b in
        (contexts(state).iter()).flat_map(|ctx| BINDINGS.iter().filter(move |b| b.context == *ctx))
    {
        let first = b.keys[0];
        if taken.contains(&first) {
            continue;
        }
        // Every key of it: the inspector's `Esc/q back` takes `q` from `q quit`.
        taken.extend_from_slice(b.keys);
        // As the popup says it: while qmail-send runs Enter only checks again (newuser56: the
        // bar said `Enter do it` under the popup's `Enter do it once qmail-send stops`).
        // A plan that takes nothing has nothing to mark: `Enter mark all` offered a refusal
        // (newuser60).
        let nothing_to_mark = matches!(&state.popup,
            crate::tui::state::Popup::Cleanup(c) if c.ids.is_empty() || c.incomplete.is_some());
        let hint = match b.command {
            Command::Force if !forcing => None,
            Command::MarkPlan if nothing_to_mark => None,
            Command::Confirm if forcing && in_confirm => Some(ONCE_STOPPED),
            _ => b.hint,
        };
        if let Some(hint) = hint {
            out.push((key_label(first), hint));
        }
    }
    out
}

/// The help text: one section per context, one line per binding.
pub fn help_lines() -> Vec<(Option<&'static str>, String, &'static str)> {
    let mut out = Vec::new();
    let order = [
        Context::Anywhere,
        Context::Clusters,
        Context::Messages,
        Context::Detail,
        Context::Yanked,
        Context::FilterBar,
        Context::Confirm,
    ];
    for ctx in order {
        out.push((Some(ctx.title()), String::new(), ""));
        for b in BINDINGS.iter().filter(|b| b.context == ctx) {
            out.push((None, keys_label(b), b.help));
        }
    }
    // Not keys, but where an operator looks for what a heading means: `now/m~` was
    // explained nowhere on the screen.
    out.push((Some(COLUMNS_TITLE), String::new(), ""));
    out.extend(
        COLUMNS
            .iter()
            .map(|(c, help)| (None, (*c).to_string(), *help)),
    );
    out
}

/// The heading of the clusters pane's columns in the help.
const COLUMNS_TITLE: &str = "Clusters pane columns";

/// The clusters pane's column headings and what they count (clusters.rs draws them); as short
/// as the keys' descriptions, so a help column holds each whole.
const COLUMNS: [(&str, &str); 6] = [
    ("msgs", "messages of the cluster in the queue"),
    ("share", "its share of the queue, as a bar"),
    ("/min", "per minute over the last hour (the scan)"),
    ("now/m", "growth per minute now (the watcher)"),
    ("now/m~", "now/m from seconds, not yet a minute"),
    ("score", "40+ culprit, 20-39 suspect, else legit"),
];

/// The keymap as a Markdown table (docs/tui.md embeds it; a test keeps them equal).
pub fn markdown_table() -> String {
    let mut s = String::from("| where | keys | does |\n| --- | --- | --- |\n");
    for (title, keys, help) in help_lines() {
        if let Some(t) = title {
            s.push_str(&format!("| **{t}** | | |\n"));
        } else {
            s.push_str(&format!("| | `{}` | {help} |\n", keys.replace('|', "\\|")));
        }
    }
    s
}
