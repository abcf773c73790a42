//! The CLI's text in a real 80-column terminal: `top` and `plan` wrap their long lines between
//! words under their indent, lose no word, and keep the lines an operator pastes whole; a pipe
//! gets one line per item as before (`watch` wraps between its parts: `print/wrap.rs`' tests).

use qtriage::fixture::flood::{write_flood, FloodSpec};

use crate::tmux_harness::{quote, Tmux};
use crate::util::TestQueue;

/// A fixed clock for the queue and for qtriage: nothing here depends on today's date.
const NOW: i64 = 1_780_000_000;

/// The lines an operator copies as one: never wrapped, whatever their width.
fn pasted(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("query: ") || l.starts_with("next: ")
}

#[test]
fn top_and_plan_fit_an_80_column_terminal() {
    if !Tmux::available() {
        return;
    }
    let t = TestQueue::new(23);
    write_flood(&t.q, &FloodSpec::new(600, 3, NOW)).expect("flood");
    let run = |args: &[&str]| {
        let out = t
            .command()
            .env("QTRIAGE_NOW", NOW.to_string())
            .args(args)
            .output()
            .expect("run qtriage");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let commands: [&[&str]; 2] = [&["top"], &["plan"]];
    let piped: Vec<String> = commands.iter().map(|c| run(c)).collect();
    // Piped, a summary is one line far wider than 80 columns: there is something to wrap.
    assert!(piped[0].lines().any(|l| l.len() > 120), "{}", piped[0]);

    let tmux = Tmux::server();
    let bin = quote(env!("CARGO_BIN_EXE_qtriage"));
    let queue = quote(&t.root().to_string_lossy());
    let script = commands
        .iter()
        .map(|c| {
            format!(
                "QTRIAGE_NOW={NOW} {bin} --queue {queue} {} 2>/dev/null; echo END-OF-COMMAND\n",
                c.join(" ")
            )
        })
        .collect::<String>()
        + "echo END-OF-RUN; exec cat\n";
    tmux.open_sized("cli", &script, (80, 24));
    tmux.wait("cli", "the commands' end", &|t| {
        t.capture("cli", &["-S", "-"]).contains("END-OF-RUN")
    });
    // Joined: a line the terminal wrapped itself is one line again, so a line over 80 columns
    // is one qtriage did not wrap.
    let joined = tmux.capture("cli", &["-J", "-S", "-"]);
    let runs: Vec<&str> = joined.split("END-OF-COMMAND\n").collect();
    assert_eq!(runs.len(), commands.len() + 1, "{joined}");
    for (i, (shown, piped)) in runs.iter().zip(&piped).enumerate() {
        let shown = shown.trim_end_matches('\n');
        for line in shown.lines().filter(|l| !pasted(l)) {
            assert!(line.chars().count() <= 80, "{:?}: {line:?}", commands[i]);
        }
        // Every word arrives, in order: wrapping only moved line breaks.
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(shown), words(piped), "{:?}:\n{shown}", commands[i]);
        // The pasted lines are the piped ones, whole.
        let whole = |s: &str| {
            s.lines()
                .filter(|l| pasted(l))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(whole(shown), whole(piped), "{:?}", commands[i]);
        assert!(
            shown.lines().count() > piped.lines().count(),
            "{:?} not wrapped:\n{shown}",
            commands[i]
        );
    }
}
