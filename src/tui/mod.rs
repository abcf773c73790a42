//! The interactive TUI: terminal setup, a panic hook that restores the terminal, the event loop.
//!
//! Shape (docs/architecture.md, "TUI"): one [`event::Event`] channel feeds
//! [`action::update`], which changes the plain-data [`state::AppState`] and may return an
//! [`event::Effect`] for the [`worker::Worker`] thread; after draining the channel the screen is
//! drawn once from the state. Key handling never waits for the disk.

pub mod action;
pub mod event;
pub mod keys;
pub mod lists;
pub mod live;
pub mod marks;
pub mod ops;
pub mod plan;
pub mod state;
#[cfg(test)]
pub(crate) mod testdata;
pub mod view;
pub mod worker;

use std::io::{self, BufWriter, IsTerminal, Stdout};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event as ct;
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::Terminal;

use crate::analysis::key::ClusterKey;
use crate::queue::Queue;
use action::{from_event, update};
use event::{Effect, Event, Report};
use state::AppState;
use worker::{AfterFlood, Worker};

/// How often the clock ticks while nothing else happens.
pub const TICK: Duration = Duration::from_secs(1);
/// The most events applied before a frame is drawn (a burst cannot starve the screen).
pub const MAX_DRAIN: usize = 10_000;
/// Room for a whole frame in the terminal's write buffer: a frame goes out in one write(2), so
/// the terminal (a terminal emulator, an SSH channel, tmux) never holds half a frame for long.
/// Stdout's own line buffer is 1 KiB, which split a frame into many writes with the process
/// free to be descheduled between them.
const FRAME_BUFFER: usize = 1 << 16;
/// The grouping the TUI opens with.
pub const DEFAULT_KEY: ClusterKey = ClusterKey::ALL[0];

/// Unix seconds now (read here and by the worker; render only sees the ticked value).
pub use crate::queue::date::unix_now;

/// Colours are on unless `NO_COLOR` is set to something non-empty (no-color.org).
pub fn colour_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// What the TUI reads and writes besides the queue: the accounts view's vpopmail directory,
/// where "write report" puts its file, and the `--log` files for both.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// The vpopmail directory.
    pub vpopmail: PathBuf,
    /// Where reports are written.
    pub report_dir: PathBuf,
    /// Log files and multilog directories (`--log`).
    pub logs: Vec<PathBuf>,
    /// `--local-domain`, `--default-domain`, `--passwd`, as for `top`.
    pub context: ContextOptions,
    /// A fixed "now" for the analysis (tests); else QTRIAGE_NOW or the clock.
    pub now: Option<i64>,
}

/// What the TUI is told about the server, as `top` is (the rest is read next to the queue).
#[derive(Debug, Clone, Default)]
pub struct ContextOptions {
    /// `--local-domain`.
    pub local_domains: Vec<String>,
    /// `--default-domain`.
    pub default_domain: Option<String>,
    /// `--passwd`.
    pub passwd: Option<PathBuf>,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions {
            vpopmail: std::env::var_os("QTRIAGE_VPOPMAIL")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(crate::accounts::DEFAULT_VPOPMAIL_DIR)),
            report_dir: PathBuf::from("."),
            logs: Vec::new(),
            context: ContextOptions::default(),
            now: None,
        }
    }
}

/// A running TUI without a terminal: state, event channel and worker. The real terminal loop
/// ([`run`]) and the headless latency example drive it the same way.
pub struct Session {
    /// What is shown.
    pub state: AppState,
    events_tx: Sender<Event>,
    events: Receiver<Event>,
    worker: Worker,
}

impl Session {
    /// Start on `queue`: the worker begins scanning at once; the state is usable immediately.
    pub fn start(queue: Queue, now: i64, colour: bool, opts: &TuiOptions) -> io::Result<Session> {
        let (events_tx, events) = mpsc::channel();
        let mut state = AppState::new(queue.root(), now, colour);
        state.clusters.key = Some(DEFAULT_KEY);
        let after = AfterFlood {
            yank_dir: crate::actions::default_yank_dir(queue.root()),
            vpopmail: opts.vpopmail.clone(),
            report_dir: opts.report_dir.clone(),
            setup: crate::analysis::setup::SetupOptions {
                queue_root: queue.root().to_path_buf(),
                local_domains: opts.context.local_domains.clone(),
                default_domain: opts.context.default_domain.clone(),
                passwd: opts.context.passwd.clone(),
                vpopmail: Some(opts.vpopmail.clone()),
                logs: opts.logs.clone(),
                now: 0,
            },
            fixed_now: opts.now,
            queue,
        };
        let worker = Worker::spawn(after, DEFAULT_KEY, events_tx.clone())?;
        worker.send(Effect::Scan);
        Ok(Session {
            state,
            events_tx,
            events,
            worker,
        })
    }

    /// A sender for input and ticks.
    pub fn sender(&self) -> Sender<Event> {
        self.events_tx.clone()
    }

    /// Wait up to `timeout` for an event, then apply it and everything already queued (up to
    /// [`MAX_DRAIN`]). Returns whether anything was applied, i.e. whether to redraw.
    pub fn pump(&mut self, timeout: Duration) -> bool {
        let Ok(first) = self.events.recv_timeout(timeout) else {
            return false;
        };
        self.apply(first);
        for _ in 0..MAX_DRAIN {
            match self.events.try_recv() {
                Ok(e) => self.apply(e),
                Err(_) => break,
            }
        }
        true
    }

    /// Apply one event.
    pub fn apply(&mut self, event: Event) {
        if let Some(action) = from_event(&self.state, event) {
            if let Some(effect) = update(&mut self.state, action) {
                self.worker.send(effect);
            }
            // Whatever moved the cursor or brought a clustering: the reasons it did not write.
            if let Some(effect) = lists::explain_selected(&mut self.state) {
                self.worker.send(effect);
            }
        }
    }

    /// Draw the state.
    pub fn draw<B: Backend>(&self, terminal: &mut Terminal<B>) -> io::Result<()> {
        terminal
            .draw(|f| f.render_widget(&self.state, f.area()))
            .map(|_| ())
    }
}

/// Put the terminal back: cooked mode, main screen, cursor shown. Safe to call twice.
fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        crossterm::event::DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped: every return path, `?` included.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Restore the terminal before a panic message is printed, so it is readable. Only the UI
/// thread's panics do this: the worker catches its own and reports them as events.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            restore_terminal();
        }
        previous(info);
    }));
}

/// The TUI's terminal: ratatui flushes the buffer once a frame is drawn.
type Screen = Terminal<CrosstermBackend<FrameOut>>;

/// Stdout with room for a whole frame. On a panic the unwritten rest of a frame is dropped,
/// not flushed: the panic hook has already left the alternate screen, and half a frame's
/// cursor moves would land on the operator's shell over the panic message.
struct FrameOut(Option<BufWriter<Stdout>>);

impl io::Write for FrameOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Some(w) => w.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.as_mut().map_or(Ok(()), io::Write::flush)
    }
}

impl Drop for FrameOut {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(w) = self.0.take() {
                let _ = w.into_parts();
            }
        }
    }
}

fn enter_terminal() -> anyhow::Result<(TerminalGuard, Screen)> {
    terminal::enable_raw_mode().context("cannot put the terminal in raw mode")?;
    let guard = TerminalGuard;
    // A paste arrives as one event, not as keys: unbracketed, its newline applied the query
    // and the rest ran as commands (newuser51: `q` quit, `x` cleared 37,980 marks).
    crossterm::execute!(
        io::stdout(),
        EnterAlternateScreen,
        crossterm::event::EnableBracketedPaste
    )
    .context("cannot open the screen")?;
    let out = FrameOut(Some(BufWriter::with_capacity(FRAME_BUFFER, io::stdout())));
    let terminal = Terminal::new(CrosstermBackend::new(out))?;
    Ok((guard, terminal))
}

/// Read keys and resizes; send a tick when nothing happened for [`TICK`]. Ends when the UI is
/// gone (the send fails) or the terminal cannot be read.
fn input_loop(tx: Sender<Event>, fixed_now: Option<i64>) {
    loop {
        let event = match ct::poll(TICK) {
            Ok(true) => match ct::read() {
                Ok(ct::Event::Key(k)) => Event::Key(k),
                Ok(ct::Event::Resize(w, h)) => Event::Resize(w, h),
                Ok(ct::Event::Paste(text)) => Event::Paste(text),
                Ok(_) => continue,
                Err(e) => Event::Worker(Report::Error(format!("reading the terminal: {e}"))),
            },
            Ok(false) => Event::Tick(fixed_now.unwrap_or_else(unix_now)),
            Err(e) => Event::Worker(Report::Error(format!("reading the terminal: {e}"))),
        };
        let failed = matches!(event, Event::Worker(Report::Error(_)));
        if tx.send(event).is_err() || failed {
            return;
        }
    }
}

/// `qtriage tui` (and `qtriage` on a terminal): run on `queue` until `q`. The CLI builds the
/// options from its flags; the TUI knows nothing of them.
pub fn run(queue: Queue, opts: &TuiOptions) -> anyhow::Result<()> {
    if !io::stdout().is_terminal() {
        anyhow::bail!("the TUI needs a terminal on stdout (use a subcommand in scripts)");
    }
    install_panic_hook();
    let (guard, mut terminal) = enter_terminal()?;
    // Ages (the message list's, qshape's matrix) from the analysis' "now" when it is fixed
    // (`QTRIAGE_NOW`, given as `opts.now`), as the CLI's and the filter's `age:` count; else
    // from the clock.
    let fixed_now = opts.now;
    let now = fixed_now.unwrap_or_else(unix_now);
    let mut session = Session::start(queue, now, colour_wanted(), opts)?;
    let size = terminal.size()?;
    session.state.ui.size = (size.width, size.height);
    let tx = session.sender();
    std::thread::Builder::new()
        .name("qtriage-input".into())
        .spawn(move || input_loop(tx, fixed_now))?;
    loop {
        session.draw(&mut terminal)?;
        if session.state.ui.quit {
            break;
        }
        session.pump(TICK);
    }
    drop(guard);
    Ok(())
}
