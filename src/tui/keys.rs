//! The one keymap: which key does what where. Help, status hints and docs/tui.md come from it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::state::{AppState, Focus, Popup};

/// What a key asks for; `action::update` decides what it means in the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Leave qtriage (with messages marked, only when pressed twice in a row).
    Quit,
    /// Leave qtriage at once, marks or not (Ctrl-C).
    QuitNow,
    /// Close the popup or go back one pane.
    Back,
    /// Show the keys.
    Help,
    /// Show the cleanup plan (`qtriage plan`).
    ShowPlan,
    /// Show the selected cluster's reasons whole (a small screen cuts them in the pane).
    Why,
    /// Cleanup plan: mark every planned message.
    MarkPlan,
    /// Cursor up.
    Up,
    /// Cursor down.
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// First row.
    Home,
    /// Last row.
    End,
    /// Open what is under the cursor (cluster → messages → inspector; batch → restore).
    Open,
    /// Switch between clusters and messages.
    NextPane,
    /// Group by the next cluster key.
    CycleKey,
    /// Group by the previous cluster key (`subject` was 11 presses of `c` away: newuser50b).
    CycleKeyBack,
    /// Next sort order of the focused list.
    CycleSort,
    /// Clusters pane: show or hide qshape's age matrix.
    ToggleAges,
    /// Edit the filter query.
    Filter,
    /// Mark or unmark the message under the cursor.
    Mark,
    /// Mark every message of the selected cluster.
    MarkCluster,
    /// Mark every message in the list (cluster and query).
    MarkSelection,
    /// Unmark everything.
    ClearMarks,
    /// Yank the marked messages (asks first).
    Yank,
    /// Expire the marked messages: qmail-send bounces them (asks first).
    Expire,
    /// Restore the last yanked batch (asks first).
    Undo,
    /// Yank area: delete the batch for good (asks first).
    Purge,
    /// Yank area: type a query whose yanked messages go back as real mail (asks first).
    Pick,
    /// Show the yank area.
    YankArea,
    /// Show the vpopmail accounts at risk.
    Accounts,
    /// Write the incident report to a file.
    WriteReport,
    /// Scan the queue again.
    Rescan,
    /// Popup: do it.
    Confirm,
    /// Popup: do it even though qmail-send is running.
    Force,
    /// Filter bar: apply the query.
    Apply,
    /// Filter bar: caret left.
    CaretLeft,
    /// Filter bar: caret right.
    CaretRight,
    /// Filter bar: delete before the caret.
    DeleteBack,
    /// Filter bar: delete at the caret.
    DeleteForward,
    /// Filter bar: caret to the start (Home, Ctrl-A).
    CaretHome,
    /// Filter bar: caret to the end (End, Ctrl-E).
    CaretEnd,
    /// Filter bar: delete everything before the caret (Ctrl-U, as in a shell).
    ClearBack,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Every pane (not popups or the filter bar).
    Anywhere,
    /// The clusters pane.
    Clusters,
    /// The message list.
    Messages,
    /// The inspector.
    Detail,
    /// The yank-area view.
    Yanked,
    /// The confirmation popup.
    Confirm,
    /// The cleanup plan popup.
    Cleanup,
    /// The popup of a cluster's reasons.
    Why,
    /// The filter bar while editing.
    FilterBar,
}

impl Context {
    /// Its heading in help and docs.
    pub fn title(self) -> &'static str {
        match self {
            Context::Anywhere => "Anywhere",
            Context::Clusters => "Clusters",
            Context::Messages => "Messages",
            Context::Detail => "Inspector",
            Context::Yanked => "Yank area",
            Context::Confirm => "Confirmation",
            Context::Cleanup => "Cleanup plan",
            Context::Why => "Reasons",
            Context::FilterBar => "Filter bar",
        }
    }
}

/// One key binding.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The keys, any of which triggers it.
    pub keys: &'static [KeyCode],
    /// Where.
    pub context: Context,
    /// What.
    pub command: Command,
    /// What it does, for help.
    pub help: &'static str,
    /// Its short label in the status-bar hints (`None`: not hinted).
    pub hint: Option<&'static str>,
}

const fn b(
    keys: &'static [KeyCode],
    context: Context,
    command: Command,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        keys,
        context,
        command,
        help,
        hint,
    }
}

use Command as C;
use Context as X;
use KeyCode as K;

/// The keymap. Order matters: the first match wins, and help lists them in this order.
pub const BINDINGS: &[Binding] = &[
    b(&[K::Enter], X::Confirm, C::Confirm, "do it", Some("do it")),
    b(
        &[K::Char('F')],
        X::Confirm,
        C::Force,
        "do it while qmail-send runs",
        Some("force"),
    ),
    b(
        &[K::Esc, K::Char('n'), K::Char('q')],
        X::Confirm,
        C::Back,
        "cancel",
        Some("cancel"),
    ),
    b(&[K::Char('k'), K::Up], X::Confirm, C::Up, "scroll up", None),
    b(
        &[K::Char('j'), K::Down],
        X::Confirm,
        C::Down,
        "scroll down",
        None,
    ),
    b(&[K::PageUp], X::Confirm, C::PageUp, "page up", None),
    b(&[K::PageDown], X::Confirm, C::PageDown, "page down", None),
    b(&[K::Char('k'), K::Up], X::Cleanup, C::Up, "scroll up", None),
    b(
        &[K::Char('j'), K::Down],
        X::Cleanup,
        C::Down,
        "scroll down",
        None,
    ),
    b(&[K::PageUp], X::Cleanup, C::PageUp, "page up", None),
    b(&[K::PageDown], X::Cleanup, C::PageDown, "page down", None),
    b(
        &[K::Enter, K::Char('m')],
        X::Cleanup,
        C::MarkPlan,
        "mark every planned message (then y yanks them)",
        Some("mark all"),
    ),
    b(
        &[K::Esc, K::Char('n'), K::Char('q')],
        X::Cleanup,
        C::Back,
        "close",
        Some("close"),
    ),
    b(&[K::Char('k'), K::Up], X::Why, C::Up, "scroll up", None),
    b(
        &[K::Char('j'), K::Down],
        X::Why,
        C::Down,
        "scroll down",
        None,
    ),
    b(&[K::PageUp], X::Why, C::PageUp, "page up", None),
    b(&[K::PageDown], X::Why, C::PageDown, "page down", None),
    b(
        &[K::Esc, K::Char('w'), K::Char('q')],
        X::Why,
        C::Back,
        "close",
        Some("close"),
    ),
    b(
        &[K::Enter],
        X::FilterBar,
        C::Apply,
        "apply the query",
        Some("apply"),
    ),
    b(
        &[K::Esc],
        X::FilterBar,
        C::Back,
        "cancel editing",
        Some("cancel"),
    ),
    b(&[K::Left], X::FilterBar, C::CaretLeft, "caret left", None),
    b(
        &[K::Right],
        X::FilterBar,
        C::CaretRight,
        "caret right",
        None,
    ),
    b(
        &[K::Backspace],
        X::FilterBar,
        C::DeleteBack,
        "delete back (Ctrl-U: to the start)",
        None,
    ),
    b(
        &[K::Delete],
        X::FilterBar,
        C::DeleteForward,
        "delete at the caret",
        None,
    ),
    b(
        &[K::Home],
        X::FilterBar,
        C::CaretHome,
        "caret to the start (Ctrl-A)",
        None,
    ),
    b(
        &[K::End],
        X::FilterBar,
        C::CaretEnd,
        "caret to the end (Ctrl-E)",
        None,
    ),
    b(
        &[K::Enter, K::Char('l'), K::Right],
        X::Clusters,
        C::Open,
        "list the cluster",
        Some("open"),
    ),
    b(
        &[K::Char('c')],
        X::Clusters,
        C::CycleKey,
        "group by the next key",
        Some("group"),
    ),
    b(
        &[K::Char('C')],
        X::Clusters,
        C::CycleKeyBack,
        "group by the previous key",
        None,
    ),
    b(
        &[K::Char('m')],
        X::Clusters,
        C::MarkCluster,
        "mark the whole cluster",
        Some("mark cluster"),
    ),
    b(
        &[K::Char('w')],
        X::Clusters,
        C::Why,
        "why: the cluster's reasons whole, with their points",
        None,
    ),
    b(
        &[K::Enter, K::Char('l'), K::Right],
        X::Messages,
        C::Open,
        "inspect the message",
        Some("inspect"),
    ),
    b(
        &[K::Char(' ')],
        X::Messages,
        C::Mark,
        "mark / unmark the message",
        Some("mark"),
    ),
    b(
        &[K::Char('m')],
        X::Messages,
        C::MarkCluster,
        "mark the whole cluster",
        None,
    ),
    b(
        &[K::Char('M')],
        X::Messages,
        C::MarkSelection,
        "mark every listed message",
        Some("mark all"),
    ),
    b(
        &[K::Char(' ')],
        X::Detail,
        C::Mark,
        "mark / unmark the message",
        Some("mark"),
    ),
    // Everywhere else `q` closes what is open (a popup, the help, a confirmation); in the
    // inspector it quit qtriage at once, and the next start scanned 200,000 messages again
    // (newuser60).
    b(
        &[K::Esc, K::Char('q')],
        X::Detail,
        C::Back,
        "back to the messages",
        Some("back"),
    ),
    b(
        &[K::Enter],
        X::Yanked,
        C::Open,
        "restore the batch (or all)",
        Some("restore"),
    ),
    b(
        &[K::Char('P')],
        X::Yanked,
        C::Purge,
        "delete the batch for good",
        Some("purge"),
    ),
    b(
        &[K::Char('/')],
        X::Yanked,
        C::Pick,
        "pick messages back by a query (as real mail)",
        Some("pick back"),
    ),
    b(&[K::Char('k'), K::Up], X::Anywhere, C::Up, "up", None),
    b(&[K::Char('j'), K::Down], X::Anywhere, C::Down, "down", None),
    b(&[K::PageUp], X::Anywhere, C::PageUp, "page up", None),
    b(&[K::PageDown], X::Anywhere, C::PageDown, "page down", None),
    b(
        &[K::Home, K::Char('g')],
        X::Anywhere,
        C::Home,
        "first row",
        None,
    ),
    b(
        &[K::End, K::Char('G')],
        X::Anywhere,
        C::End,
        "last row",
        None,
    ),
    b(
        &[K::Tab],
        X::Anywhere,
        C::NextPane,
        "clusters <-> messages",
        None,
    ),
    b(
        &[K::Char('s')],
        X::Anywhere,
        C::CycleSort,
        "next sort order",
        Some("sort"),
    ),
    b(
        &[K::Char('A')],
        X::Anywhere,
        C::ToggleAges,
        "clusters: qshape's age matrix on/off",
        None,
    ),
    b(
        &[K::Char('/')],
        X::Anywhere,
        C::Filter,
        "filter with a query",
        Some("filter"),
    ),
    b(
        &[K::Char('p')],
        X::Anywhere,
        C::ShowPlan,
        "the cleanup plan: every culprit, what remains",
        None,
    ),
    b(
        &[K::Char('y')],
        X::Anywhere,
        C::Yank,
        "yank the marked messages",
        Some("yank"),
    ),
    b(
        &[K::Char('E')],
        X::Anywhere,
        C::Expire,
        "expire the marked (bounces!)",
        None,
    ),
    b(
        &[K::Char('u')],
        X::Anywhere,
        C::Undo,
        "undo the last yank / expire",
        Some("undo"),
    ),
    b(
        &[K::Char('Y')],
        X::Anywhere,
        C::YankArea,
        "yank area: restore, purge",
        None,
    ),
    b(
        &[K::Char('a')],
        X::Anywhere,
        C::Accounts,
        "accounts at risk (vpopmail)",
        None,
    ),
    b(
        &[K::Char('W')],
        X::Anywhere,
        C::WriteReport,
        "write the incident report (markdown file)",
        None,
    ),
    b(
        &[K::Char('x')],
        X::Anywhere,
        C::ClearMarks,
        "unmark everything",
        None,
    ),
    b(
        &[K::Char('r')],
        X::Anywhere,
        C::Rescan,
        "scan the queue again",
        None,
    ),
    b(
        &[K::Char('?')],
        X::Anywhere,
        C::Help,
        "this help",
        Some("help"),
    ),
    b(
        &[K::Esc, K::Char('h'), K::Left],
        X::Anywhere,
        C::Back,
        "back / close",
        None,
    ),
    b(
        &[K::Char('q')],
        X::Anywhere,
        C::Quit,
        "quit (twice if marked; Ctrl-C: at once)",
        Some("quit"),
    ),
];

/// The contexts that apply in `state`, most specific first.
pub fn contexts(state: &AppState) -> &'static [Context] {
    if matches!(state.popup, Popup::Confirm(_)) {
        return &[Context::Confirm];
    }
    if matches!(state.popup, Popup::Cleanup(_)) {
        return &[Context::Cleanup];
    }
    if matches!(state.popup, Popup::Why) {
        return &[Context::Why];
    }
    if state.query.editing {
        return &[Context::FilterBar];
    }
    match state.ui.focus {
        Focus::Clusters => &[Context::Clusters, Context::Anywhere],
        Focus::Messages => &[Context::Messages, Context::Anywhere],
        Focus::Detail => &[Context::Detail, Context::Anywhere],
        Focus::Yanked => &[Context::Yanked, Context::Anywhere],
        Focus::Accounts => &[Context::Anywhere],
    }
}

/// The command a key means in `state`, if any. Ctrl-C always quits; the filter bar takes a
/// shell's Ctrl-U, Ctrl-A and Ctrl-E.
pub fn command_for(state: &AppState, key: KeyEvent) -> Option<Command> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match (key.code, state.query.editing) {
            (K::Char('c'), _) => Some(C::QuitNow),
            (K::Char('u'), true) => Some(C::ClearBack),
            (K::Char('a'), true) => Some(C::CaretHome),
            (K::Char('e'), true) => Some(C::CaretEnd),
            _ => None,
        };
    }
    // A terminal sends Alt-k as ESC k, so an Esc typed just before a key (over SSH, in tmux)
    // can arrive as that key with Alt. In a confirmation that Esc was a cancel: Esc then Enter
    // must not run the action.
    if key.modifiers.contains(KeyModifiers::ALT) && matches!(state.popup, Popup::Confirm(_)) {
        return Some(C::Back);
    }
    contexts(state).iter().find_map(|ctx| {
        BINDINGS
            .iter()
            .find(|b| b.context == *ctx && b.keys.contains(&key.code))
            .map(|b| b.command)
    })
}

mod labels;
pub use labels::{help_lines, hints, key_for, key_label, keys_label, markdown_table};

#[cfg(test)]
mod tests;
