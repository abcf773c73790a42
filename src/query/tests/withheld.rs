//! A query as a document sent outside shows it: the values of terms under a `not` withheld,
//! for they name the real mail the operator kept; the rest as canonical text.

use crate::query::Query;

fn published(text: &str) -> Option<String> {
    Query::parse(text).expect("a query").withholding_negated()
}

#[test]
fn the_values_under_a_not_are_withheld() {
    let cases = [
        (
            "auth:test not from:boss@customer.example",
            "auth:test not from:(withheld)",
        ),
        (
            "uid:48 !(from:anna@shop.example or subject:\"Ihre Bestellung\")",
            "uid:48 not (from:(withheld) or subject:(withheld))",
        ),
        (
            "script:x.php not header:X-Mailer:Outlook",
            "script:x.php not header:x-mailer:(withheld)",
        ),
        (
            "not cluster:auth-user=alice@example.com",
            "not cluster:auth-user=(withheld)",
        ),
        (
            "ip:127.0.0.1 not ip:10.0.0.7",
            "ip:127.0.0.1 not ip:(withheld)",
        ),
        // Under two `not`s as under one: the operator's grouping is no verdict on a value.
        ("not not rcpt:carol@example.com", "not not rcpt:(withheld)"),
        // A term naming no one keeps its value beside one withheld.
        (
            "not (age:>1h from:x@y.example) origin:smtp",
            "not (age:>1h from:(withheld)) origin:smtp",
        ),
    ];
    for (typed, shown) in cases {
        assert_eq!(published(typed).as_deref(), Some(shown), "{typed}");
    }
}

#[test]
fn a_query_with_nothing_to_withhold_is_left_as_typed() {
    for typed in [
        "",
        "auth:test",
        "script:x.php from:service@paypal.example",
        "auth:a or auth:b",
        "auth:test not age:>1h not origin:smtp not header:X-Spam",
        "uid:48 not restored:yes not bouncing:yes not id:123",
    ] {
        assert_eq!(published(typed), None, "{typed}");
    }
}
