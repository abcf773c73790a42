//! Unit tests of `crate::cli::watch`.
use std::sync::Arc;

use super::*;
use crate::watch::{ClusterRate, LastMinute, PollReason, Rate, Window};

fn update(growth_in: f64, out: f64) -> WatchUpdate {
    let rate = Rate {
        in_per_min: growth_in,
        out_per_min: out,
        yanked_per_min: 0.0,
        restored_per_min: 0.0,
    };
    WatchUpdate {
        at_ms: 1_795_428_000_000,
        queue_size: 48_211,
        todo: 12,
        in_per_min: growth_in,
        out_per_min: out,
        yanked_per_min: 0.0,
        restored_per_min: 0.0,
        windows: Window::ALL.map(|w| (w, rate)),
        counts_15m: (0, 0, 0),
        last_minute: LastMinute::default(),
        yank_area_moves: 0,
        history: vec![],
        clusters: vec![
            ClusterRate {
                key: ClusterKey::AuthUser,
                value: Arc::from(&b"test@example.com"[..]),
                rate: Rate {
                    in_per_min: 1190.0,
                    out_per_min: 0.0,
                    yanked_per_min: 0.0,
                    restored_per_min: 0.0,
                },
                queued: None,
            },
            ClusterRate {
                key: ClusterKey::OriginIp,
                value: Arc::from(&b"86.107.221.138"[..]),
                rate: Rate {
                    in_per_min: 600.4,
                    out_per_min: 0.0,
                    yanked_per_min: 0.0,
                    restored_per_min: 0.0,
                },
                queued: None,
            },
        ],
        still_arriving: vec![],
        mode: WatchMode::Notify,
        watched_ms: 15 * 60_000,
    }
}

#[test]
fn the_line_is_the_issue_example() {
    let u = update(1300.0, 96.0);
    assert_eq!(
        text_line(&u, "10:42:00"),
        "10:42:00 queue 48,211 (+1,204/min) todo 12 | auth test@example.com +1,190/min | ip 86.107.221.138 +600/min"
    );
}

/// The guessed login still sending after its yank is named on the line (walk65: its net
/// figure, 40 in less 900 yanked, had dropped it), after the clusters and as a note (it does
/// not end in "/min"); the JSON carries it apart from `clusters`, with the yanks set aside.
#[test]
fn a_cluster_still_arriving_after_its_yank_is_a_note() {
    let mut u = update(40.0, 900.0);
    u.yanked_per_min = 900.0;
    u.clusters.clear();
    u.still_arriving = vec![ClusterRate {
        key: ClusterKey::AuthUser,
        value: Arc::from(&b"test@example.com"[..]),
        rate: Rate {
            in_per_min: 40.0,
            out_per_min: 900.0,
            yanked_per_min: 900.0,
            restored_per_min: 0.0,
        },
        queued: None,
    }];
    let line = text_line(&u, "10:42:00");
    assert_eq!(
        line,
        "10:42:00 queue 48,211 (-860/min) todo 12 | auth test@example.com +40/min still \
         arriving after its yank | 40 arrived, 0 delivered or bounced in the last minute | \
         yanked 900 into the yank area in the last minute"
    );
    let json = serde_json::to_value(WatchJson::new(&u)).expect("json");
    assert_eq!(json["clusters"], serde_json::json!([]));
    let c = &json["still_arriving"][0];
    assert_eq!(c["value"], "test@example.com");
    assert_eq!(
        (
            &c["per_min"],
            &c["per_min_without_yanks"],
            &c["yanked_per_min"]
        ),
        (
            &serde_json::json!(-860.0),
            &serde_json::json!(40.0),
            &serde_json::json!(900.0)
        )
    );
}

#[test]
fn polling_is_said_and_values_are_sanitized_wherever_output_goes() {
    let mut u = update(0.0, 37.0);
    u.mode = WatchMode::Polling(PollReason::EventsLost);
    u.clusters.truncate(1);
    u.clusters[0].value = Arc::from(&b"evil\x1b[2J\nuser"[..]);
    let line = text_line(&u, "10:42:00");
    assert_eq!(line, "10:42:00 queue 48,211 (-37/min) todo 12 | auth evil\\e[2J\\nuser +1,190/min | polling: file events lost, rescanning changed directories");
    assert_eq!(line.lines().count(), 1);
}

/// A watch 11.2 s old that saw 1,134 messages yanked reads -6,075/min: the line says the rate
/// spans its first 11 seconds, so one burst is not taken for a steady flow. The text and the
/// JSON say the same number, the one the rates were divided by.
#[test]
fn a_young_watch_says_how_long_its_rates_span() {
    let mut u = update(0.0, 6075.0);
    u.clusters.clear();
    u.watched_ms = 11_200;
    assert_eq!(
        text_line(&u, "10:42:00"),
        "10:42:00 queue 48,211 (-6,075/min) todo 12 | rates over the first 11s"
    );
    let v = serde_json::to_value(WatchJson::new(&u)).expect("json");
    assert_eq!(v["watched_secs"], 11);
    // A line comes a few milliseconds after its interval: 5 s, not 6.
    u.watched_ms = 5_003;
    assert_eq!(u.young_secs(), Some(5));
    // Under a second, the rates were divided by one: so is the figure, never by zero.
    u.watched_ms = 200;
    assert_eq!(u.young_secs(), Some(1));
    assert_eq!(u.watched_secs(), 1);
    u.watched_ms = 59_999;
    assert_eq!(u.young_secs(), Some(60));
    u.watched_ms = 60_000;
    assert_eq!(u.young_secs(), None);
    assert!(!text_line(&u, "10:42:00").contains("first"));
    let v = serde_json::to_value(WatchJson::new(&u)).expect("json");
    assert_eq!(v["watched_secs"], 60);
}

#[test]
fn signed_rates_and_durations() {
    assert_eq!(signed(0.2), "+0");
    assert_eq!(signed(-1204.4), "-1,204");
    assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
    for bad in ["", "s", "5x", "-1s", "0s", "1.5s", "99999999999999999999h"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}

#[test]
fn json_fields_are_the_contract() {
    let v = serde_json::to_value(WatchJson::new(&update(1300.0, 96.0))).expect("json");
    for field in [
        "time",
        "queue",
        "todo",
        "in_per_min",
        "out_per_min",
        "yanked_per_min",
        "restored_per_min",
        "growth_per_min",
        "windows",
        "clusters",
        "mode",
        "mode_reason",
        "watched_secs",
    ] {
        assert!(v.get(field).is_some(), "{field}");
    }
    assert_eq!(v["time"], "2026-11-23T10:00:00Z");
    assert_eq!(v["growth_per_min"], 1204.0);
    assert_eq!(v["clusters"][0]["by"], "auth-user");
    assert_eq!(v["clusters"][0]["value"], "test@example.com");
    assert_eq!(v["clusters"][1]["per_min"], 600.4);
    assert_eq!(v["mode"], "notify");
    assert!(v["mode_reason"].is_null());
    assert_eq!(v["windows"][2]["window"], "15m");
}

fn args(extra: &[&str]) -> WatchArgs {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct A {
        #[command(flatten)]
        w: WatchArgs,
    }
    let mut argv = vec!["watch"];
    argv.extend_from_slice(extra);
    A::parse_from(argv).w
}

#[test]
fn stop_rules() {
    let mut s = Stop::default();
    let a = args(&["--alert-above", "100"]);
    let aged = |ms: i64, inflow: f64, arrived: u64| WatchUpdate {
        watched_ms: ms,
        last_minute: LastMinute {
            arrived,
            ..LastMinute::default()
        },
        ..update(inflow, 0.0)
    };
    assert_eq!(s.check(&a, &aged(60_000, 100.0, 100)), None);
    assert_eq!(
        s.check(&a, &aged(60_000, 101.0, 101)),
        Some(ExitCode::NoMatch)
    );
    // Young, the rate is a few seconds scaled to a minute: 7 messages in 3 s (140/min) are
    // not more than 100 in a minute; 102 in 30 s are.
    assert_eq!(s.check(&a, &aged(3000, 140.0, 7)), None);
    assert_eq!(
        s.check(&a, &aged(30_000, 204.0, 102)),
        Some(ExitCode::NoMatch)
    );
    let said = s.words(&a, ExitCode::NoMatch).unwrap_or_default();
    assert!(said.contains("more than 100 messages"), "{said}");

    let a = args(&["--until-stable", "10s"]);
    let mut s = Stop::default();
    let at = |ms: i64, g: f64| WatchUpdate {
        at_ms: 1_795_428_000_000 + ms,
        ..update(g, 0.0)
    };
    assert_eq!(s.check(&a, &at(0, 0.0)), None);
    assert_eq!(s.check(&a, &at(5000, 3.0)), None);
    assert_eq!(s.check(&a, &at(6000, -1.0)), None);
    assert_eq!(s.check(&a, &at(15_000, 0.0)), None);
    assert_eq!(s.check(&a, &at(16_000, 0.0)), Some(ExitCode::Success));
    assert_eq!(
        s.words(&a, ExitCode::Success).as_deref(),
        Some("qtriage: stable: the queue did not grow for 10s (--until-stable)")
    );
    // Mail still arriving at 600/min while a yank takes 1,200/min: -600/min in all, but the
    // queue grows of itself.
    let a = args(&["--until-stable", "10s"]);
    let mut s = Stop::default();
    let yanking = |ms: i64| {
        let mut u = at(ms, 600.0);
        (u.out_per_min, u.yanked_per_min) = (1_200.0, 1_200.0);
        u
    };
    assert_eq!(yanking(0).growth_per_min(), -600.0);
    assert_eq!(s.check(&a, &yanking(0)), None);
    assert_eq!(s.check(&a, &yanking(11_000)), None);
    assert_eq!(s.check(&a, &yanking(22_000)), None);
    let ms = args(&["--until-stable", "1500ms"]);
    let said = s.words(&ms, ExitCode::Success).unwrap_or_default();
    assert!(said.contains("for 1500ms"), "{said}");

    // The third line of `--until-stable 2s --interval 1s`, a few milliseconds early, ends it.
    let a = args(&["--until-stable", "2s", "--interval", "1s"]);
    let mut s = Stop::default();
    assert_eq!(s.check(&a, &at(3, 0.0)), None);
    assert_eq!(s.check(&a, &at(1001, 0.0)), None);
    assert_eq!(s.check(&a, &at(1996, 0.0)), Some(ExitCode::Success));

    let a = args(&["--max-intervals", "2"]);
    let mut s = Stop::default();
    assert_eq!(s.check(&a, &update(5.0, 0.0)), None);
    assert_eq!(s.check(&a, &update(5.0, 0.0)), Some(ExitCode::Success));
    assert_eq!(s.words(&a, ExitCode::Success), None);
}

/// In its first 34 seconds a watch saw 9,000 messages yanked and 300 of them put back: the line
/// says those counts, not the rates scaled up from them (newuser54: "15,882 a minute" for a
/// yank of 9,000), and says so no longer once the rates cover a minute.
#[test]
fn a_young_watch_counts_its_yanks_and_restores() {
    let mut u = update(0.0, 0.0);
    u.clusters.clear();
    u.watched_ms = 34_000;
    u.yanked_per_min = 15_882.4;
    u.restored_per_min = 529.4;
    (u.last_minute.yanked, u.last_minute.restored) = (9_000, 300);
    assert_eq!(
        text_line(&u, "10:42:00"),
        "10:42:00 queue 48,211 (+0/min) todo 12 | yanked 9,000 into the yank area \
         | restored 300 back from the yank area | rates over the first 34s"
    );
    u.watched_ms = 60_000;
    u.yanked_per_min = 9_000.0;
    u.restored_per_min = 300.0;
    assert_eq!(
        text_line(&u, "10:42:00"),
        "10:42:00 queue 48,211 (+0/min) todo 12 | yanked 9,000 into the yank area in the last \
         minute | restored 300 back from the yank area in the last minute"
    );
}

/// A restore put 23,400 messages back: the queue grows by them at "+0/min" (a restore is not
/// arrival), and the line says where they came from; a yank says where they went. Notes, not
/// clusters: they do not end in "/min".
#[test]
fn yanks_and_restores_are_said_apart_from_growth() {
    let mut u = update(0.0, 0.0);
    u.clusters.clear();
    u.restored_per_min = 23_400.2;
    assert_eq!(
        text_line(&u, "10:42:00"),
        "10:42:00 queue 48,211 (+0/min) todo 12 | restored 23,400 back from the yank area in the \
         last minute"
    );
    u.restored_per_min = 0.0;
    u.yanked_per_min = 1_134.0;
    u.out_per_min = 1_134.0;
    let line = text_line(&u, "10:42:00");
    assert!(
        line.ends_with(" | yanked 1,134 into the yank area in the last minute"),
        "{line}"
    );
    assert!(!line.ends_with("/min"), "{line}");
}

/// qmail-send delivering a flood as fast as it arrives: `+0/min` alone read as the flood having
/// stopped (newuser59: 15 in and 15 out). The line says what arrived and what was delivered or
/// bounced when the growth shows under half of the arrivals, counts in a young watch, and not
/// the yanks (said apart) nor a flow the growth already shows.
#[test]
fn a_flood_delivered_as_fast_as_it_arrives_is_said() {
    let mut u = update(15.0, 15.0);
    u.clusters.clear();
    assert_eq!(
        text_line(&u, "10:42:00"),
        "10:42:00 queue 48,211 (+0/min) todo 12 | 15 arrived, 15 delivered or bounced in the \
         last minute"
    );
    // Yanks are not deliveries: 600 in, 1,200 out of which 1,100 yanked.
    (u.in_per_min, u.out_per_min, u.yanked_per_min) = (600.0, 1_200.0, 1_100.0);
    let line = text_line(&u, "10:42:00");
    assert!(
        line.contains(" | 600 arrived, 100 delivered or bounced in the last minute | yanked 1,100"),
        "{line}"
    );
    // Young: the counts since the start, as the yank notes.
    u.watched_ms = 20_000;
    u.last_minute.arrived = 7;
    u.last_minute.left = 9;
    u.last_minute.yanked = 3;
    let line = text_line(&u, "10:42:00");
    assert!(
        line.contains(" | 7 arrived, 6 delivered or bounced | "),
        "{line}"
    );
    // The growth shows it: 1,300 in, 96 out is "+1,204/min" alone (the issue's line).
    let u = update(1_300.0, 96.0);
    assert!(!text_line(&u, "10:42:00").contains("arrived"));
    // Nothing arrived: "-40/min" says it all.
    let u = update(0.0, 40.0);
    assert!(!text_line(&u, "10:42:00").contains("delivered"));
    // Arrivals the yanks hide: 600 in, 900 yanked, nothing delivered.
    let mut u = update(600.0, 900.0);
    u.yanked_per_min = 900.0;
    let line = text_line(&u, "10:42:00");
    assert!(
        line.contains(" | 600 arrived, 0 delivered or bounced in the last minute | yanked 900"),
        "{line}"
    );
}
