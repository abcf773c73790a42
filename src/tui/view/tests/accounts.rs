//! The accounts view: its table, culprits in red, its keys, errors and the report it writes.

use super::*;

fn accounts_listing() -> AccountsListing {
    let row = |account: &str, domain: &str, rules: &str, advice: &str, culprit: bool| AccountRow {
        account: account.into(),
        domain: domain.into(),
        rules: rules.into(),
        last_auth: "-".into(),
        advice: advice.into(),
        culprit,
    };
    AccountsListing {
        rows: vec![
            row(
                "test",
                "example.com",
                "password-is-login,role-account,culprit-top",
                "change the password now",
                true,
            ),
            // The worker hands rows over sanitized: escapes arrive as text.
            row(
                "mal\\e[2J\\e]0;owned\\x07",
                "example.com",
                "password-short",
                "change the password: it is guessable",
                false,
            ),
            row(
                "postmaster",
                "example.com",
                "role-account",
                "keep the address but make it an alias",
                false,
            ),
        ],
        summary: "3 of 9 accounts in 2 domains".into(),
        error: None,
    }
}

#[test]
fn accounts() {
    snap_both("accounts", |size| {
        let mut s = ready(size);
        let effect = update(&mut s, Action::Cmd(Command::Accounts));
        assert_eq!(effect, Some(Effect::CheckAccounts));
        assert_eq!(s.ui.focus, Focus::Accounts);
        let listing = Box::new(accounts_listing());
        update(&mut s, Action::Worker(Report::Accounts(listing)));
        s
    });
}

/// Culprit rows are drawn in the danger colour, the others not.
#[test]
fn accounts_culprits_are_red() {
    let mut s = ready((80, 24));
    update(&mut s, Action::Cmd(Command::Accounts));
    let listing = Box::new(accounts_listing());
    update(&mut s, Action::Worker(Report::Accounts(listing)));
    let t = render(&s);
    let buf = t.backend().buffer();
    // Rows 2 and 3 of the screen: `! test` (culprit) and the hostile login (not one).
    let fg = |y: u16| buf[(3, y)].fg;
    assert_eq!(fg(2), Color::Red);
    assert_ne!(fg(3), Color::Red);
}

#[test]
fn accounts_keys_errors_and_write_report() {
    let mut s = ready((80, 24));
    assert!(screen_text(render(&s).backend().buffer()).contains("Clusters"));
    update(&mut s, Action::Cmd(Command::Accounts));
    let text = screen_text(render(&s).backend().buffer());
    assert!(text.contains("checking the accounts"), "{text}");
    let listing = Box::new(accounts_listing());
    update(&mut s, Action::Worker(Report::Accounts(listing)));
    cmd(&mut s, Command::Down);
    cmd(&mut s, Command::Down);
    cmd(&mut s, Command::Down);
    assert_eq!(
        s.accounts.pos.selected, 2,
        "the cursor stops at the last row"
    );
    cmd(&mut s, Command::Back);
    assert_eq!(s.ui.focus, Focus::Clusters);

    // No vpopmail directory: the view says why instead of listing nothing.
    update(&mut s, Action::Cmd(Command::Accounts));
    let failed = AccountsListing {
        error: Some("/home/vpopmail: not a vpopmail directory".into()),
        ..AccountsListing::default()
    };
    update(&mut s, Action::Worker(Report::Accounts(Box::new(failed))));
    let text = screen_text(render(&s).backend().buffer());
    // The title has no summary then, and no separator left dangling.
    assert!(text.contains("┌ Accounts at risk ─"), "{text}");
    assert!(
        text.contains("accounts not checked: /home/vpopmail"),
        "{text}"
    );

    // Write report: asks the worker, says so, then shows where the file went.
    assert_eq!(
        update(&mut s, Action::Cmd(Command::WriteReport)),
        Some(Effect::WriteReport)
    );
    let written = "report written: ./qtriage-report-20261123T100000Z.md (1 culprit, 30 spam)";
    let report = Report::ReportWritten {
        text: written.into(),
        is_error: false,
    };
    update(&mut s, Action::Worker(report));
    assert_eq!(
        s.status.notice.as_ref().map(|n| n.text.as_str()),
        Some(written)
    );
    // A failure is shown as an error.
    let failed = Report::ReportWritten {
        text: "report not written to /ro: Permission denied".into(),
        is_error: true,
    };
    update(&mut s, Action::Worker(failed));
    assert!(s.status.notice.as_ref().is_some_and(|n| n.is_error));
}
