//! Unit tests of `crate::report::markdown`.
use super::*;

#[test]
fn code_spans_survive_backticks_and_pipes() {
    assert_eq!(code("test"), "`test`");
    assert_eq!(code("a`b"), "``a`b``");
    assert_eq!(code("`x"), "`` `x ``");
    assert_eq!(
        code("a|b"),
        "`a|b`",
        "outside a table the backslash would show"
    );
    assert_eq!(cell(&code("a|b")), "`a\\|b`");
    assert_eq!(code(""), "` `");
}

#[test]
fn prose_cannot_link_or_embed() {
    let evil = "HELO [delist here](http://evil) <img src=x> *x* | a\\b";
    let p = prose(evil);
    assert_eq!(
        p,
        "HELO \\[delist `here](http://evil`) \\<img src=x\\> \\*x\\* \\| a\\\\b"
    );
    // The sentence's punctuation stays outside the span (review52b).
    assert_eq!(
        prose("AUTH user sales@example.com: 300 (see www.x.example)."),
        "AUTH user `sales@example.com`: 300 (see `www.x.example`)."
    );
    // GFM links these with no brackets at all (review52): code spans; an entity stays text.
    assert_eq!(
        prose("see www.evil.example or https://a.example/x &amp; &#64; delist@evil.example"),
        "see `www.evil.example` or `https://a.example/x` \\&amp; \\&\\#64; `delist@evil.example`"
    );
    let r = ReportInput {
        culprits: vec![super::super::Culprit {
            kind: crate::analysis::key::ClusterKey::Helo,
            value: "[x](y)".into(),
            messages: 1,
            recipients: 1,
            yanked: 0,
            reasons: vec![evil.into()],
            accounts: Vec::new(),
        }],
        notes: vec![evil.into()],
        ..Default::default()
    };
    let md = render(&r);
    // Every `[` and `<` of the hostile text is escaped, its URL in a code span: no link, no
    // tag.
    assert!(
        !md.contains(" <img") && !md.contains("[delist here]"),
        "{md}"
    );
    assert!(md.contains("\\[delist `here](http://evil`)"), "{md}");
}

/// A note's own code spans stay code spans (they showed escaped backticks, newuser52); a
/// hostile value's backticks make inert spans, an unpaired one is escaped; `@name` is a
/// code span (no mention); a `|` outside a table shows no backslash, and notes quoting a path are prose
/// (hostile53).
#[test]
fn notes_keep_their_code_spans_and_quote_nothing_live() {
    assert_eq!(
        note("`qtriage list problem:any` lists them"),
        "`qtriage list problem:any` lists them"
    );
    assert_eq!(note("a `<b>` c ` d <e>"), "a `<b>` c \\` d \\<e\\>");
    assert_eq!(prose("ping @octocat."), "ping `@octocat`.");
    assert_eq!(prose("@@octocat @-@org/team"), "`@@octocat` `@-@org/team`");
    // A value quoted in a reason keeps its exact text: its backticks are escaped.
    assert_eq!(prose("AUTH user sal``es"), "AUTH user sal\\`\\`es");
    let r = ReportInput {
        log_note: Some("/tmp/x <img src=http://x.example/p.png> [a](b)".into()),
        journal_note: Some("no journal in <y>".into()),
        culprit_fixes: vec![super::super::fixes::CulpritFix {
            kind: crate::analysis::key::ClusterKey::AuthUser,
            value: "x|y".into(),
            advice: "change its password",
            accounts: Vec::new(),
        }],
        ..Default::default()
    };
    let md = render(&r);
    assert!(
        md.contains("- auth-user `x|y`: change its password"),
        "{md}"
    );
    assert!(md.contains("- log: /tmp/x \\<img `src=http://x.example/p.png>` \\[a\\](b)"));
    assert!(md.contains("no journal in \\<y\\>"), "{md}");
}

/// A capped list says what it leaves out (newuser53 read 10 of ~3,000 IPs as the whole).
#[test]
fn a_capped_table_says_how_many_more() {
    let r = ReportInput {
        origin_ips: vec![Counted {
            value: "192.0.2.1".into(),
            messages: 40,
        }],
        origin_ips_more: Beyond {
            values: 2_990,
            messages: 3_001,
        },
        ..Default::default()
    };
    let md = render(&r);
    assert!(
        md.contains("| `192.0.2.1` | 40 |\n\nand 2,990 more, with 3,001 messages (not listed)\n"),
        "{md}"
    );
    assert_eq!(
        md.matches("more, with").count(),
        1,
        "none under the empty tables"
    );
}

#[test]
fn counts_read_as_the_reasons_beside_them_do() {
    let r = ReportInput {
        culprits: vec![super::super::Culprit {
            kind: crate::analysis::key::ClusterKey::AuthUser,
            value: "test".into(),
            messages: 6600,
            recipients: 112_240,
            yanked: 6600,
            reasons: vec!["AUTH user test: 6,600 messages".into()],
            accounts: Vec::new(),
        }],
        ..Default::default()
    };
    let md = render(&r);
    assert!(
        md.contains("| auth-user | `test` | 6,600 | 6,600 | 112,240 | AUTH user test: 6,600"),
        "{md}"
    );
}

#[test]
fn empty_report_says_what_is_missing() {
    let r = ReportInput {
        journal_note: Some(super::super::NO_JOURNAL.into()),
        ..Default::default()
    };
    let md = render(&r);
    assert!(md.starts_with("# Incident report\n"));
    assert!(
        md.contains("\n## What was done\n\nno journal found\n"),
        "{md}"
    );
    assert!(md.contains("## Culprits\n\nnone found"));
    assert!(md.contains("no account at risk found"));
}

/// A queue qmail-send has not preprocessed has nothing in remote/ or local/ yet: the counts
/// of those say so rather than `0; 0` beside the recipients of todo/ (mix61).
#[test]
fn recipients_by_channel_say_they_count_the_preprocessed_only() {
    let mut r = ReportInput::default();
    r.remaining.messages = 9_180;
    r.remaining.unpreprocessed = 9_180;
    let md = render(&r);
    assert!(
        md.contains(
            "- With remote recipients: 0; with local recipients: 0 (of the preprocessed; the \
             9,180 not yet preprocessed are not counted)\n"
        ),
        "{md}"
    );
    r.remaining.unpreprocessed = 0;
    let md = render(&r);
    assert!(
        md.contains("- With remote recipients: 0; with local recipients: 0\n"),
        "{md}"
    );
}

#[test]
fn accounts_not_read_are_not_called_safe() {
    let r = ReportInput {
        accounts_note: Some("accounts not checked: no account found in /x; check them".into()),
        notes: vec!["accounts not checked: no account found in /x".into()],
        ..Default::default()
    };
    let md = render(&r);
    assert!(
        md.contains("## Recommended fixes\n\n- accounts not checked: no account found in /x"),
        "{md}"
    );
    assert!(!md.contains("no account at risk"), "{md}");
    assert_eq!(
        md.matches("accounts not checked").count(),
        1,
        "said once: {md}"
    );
}

#[test]
fn a_span_is_said_in_its_largest_unit_with_two_figures() {
    let said: Vec<String> = [0, 1, 9, 119, 120, 3_005, 7_199, 7_200, 172_799, 172_800, -4]
        .into_iter()
        .map(span_words)
        .collect();
    assert_eq!(
        said,
        [
            "0 seconds",
            "1 second",
            "9 seconds",
            "119 seconds",
            "2 minutes",
            "50 minutes",
            "119 minutes",
            "2 hours",
            "47 hours",
            "2 days",
            "0 seconds"
        ]
    );
}

#[test]
fn the_operators_yanks_are_a_section_of_their_own_with_hostile_values_inert() {
    use crate::report::judged::OperatorJudged;
    let counted = |value: &str, messages| Counted {
        value: value.into(),
        messages,
    };
    let r = ReportInput {
        now: 1_795_435_200,
        yanked_no_culprit: 750,
        yanked_no_culprit_batches: vec![crate::report::YankedApart {
            batch: Some("20261123-110000-abcd".into()),
            selection: Some("script:class-loader.php".into()),
            messages: 750,
        }],
        operator_judged: Some(OperatorJudged {
            messages: 750,
            recipients: 1_500,
            first_queued: Some(1_795_424_400),
            last_queued: Some(1_795_435_140),
            peak_per_minute: 15,
            peak_minute: Some(1_795_435_080),
            from_elsewhere: 12,
            scripts: vec![counted("class-`loader`.php", 750)],
            scripts_more: Beyond {
                values: 2,
                messages: 9,
            },
            uids: vec![counted("48", 750)],
            from: vec![counted("[x](http://evil)@bank.example", 750)],
            ..Default::default()
        }),
        ..Default::default()
    };
    let md = render(&r);
    let want = [
        "- Yanked as spam by the operator (no culprit accounts for them): 750 messages, queued \
         2026-11-23T09:00:00Z to 2026-11-23T11:59:00Z (60 seconds before this report was written)\n",
        "## Culprits\n\nnone found\n\nAlso yanked by the operator, not counted as spam (no culprit \
         accounts for them): 750 messages: 750 in batch `20261123-110000-abcd` \
         (`script:class-loader.php`). They are described under Yanked as spam by the operator.\n",
        "\n## Yanked as spam by the operator\n\nThe operator judged these messages spam",
        "- Messages: 750 to 1,500 recipients, queued 2026-11-23T09:00:00Z to \
         2026-11-23T11:59:00Z, at most 15 a minute (minute starting 2026-11-23T11:58:00Z)\n",
        "- Of them, came in from other servers: 12 (not described: mail this server did not \
         send; if it is real mail, restore it)\n",
        "- Scripts that sent them: ``class-`loader`.php`` (750) and 2 more (9 messages)\n",
        "- Uids that queued them: `48` (750)\n- From addresses: \
         `[x](http://evil)@bank.example` (750)\n\n## Evidence",
    ];
    for line in want {
        assert!(md.contains(line), "{line:?} in\n{md}");
    }
    // What no selection named has no line (not `none`, which would say there was none).
    for absent in ["AUTH logins that sent them", "Subjects on", "Yanked with"] {
        assert!(!md.contains(absent), "{absent:?} in\n{md}");
    }
}
