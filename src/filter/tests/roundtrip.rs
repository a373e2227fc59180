//! Property tests: random normalised ASTs print to text that parses back to
//! the identical AST, and arbitrary input never panics.

use proptest::prelude::*;

use super::*;
use crate::filter::PatternPart::Wildcard;

/// Strings mixing identifier-ish text with quotes, backslashes, stars,
/// control characters and unicode.
fn weird_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_$][a-zA-Z0-9_$]{0,8}",
        "[ -~]{0,10}",
        r#"[\\"'*\n\t\r/ a-é😀\u{0}\u{1f}\u{7f}\u{2028}]{0,10}"#,
        any::<String>(),
    ]
}

fn arb_field() -> impl Strategy<Value = Field> {
    prop::collection::vec(weird_string(), 1..4).prop_map(Field)
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        weird_string().prop_map(Value::String),
        any::<f64>()
            .prop_filter("finite", |n| n.is_finite())
            .prop_map(Value::Number),
        (-1000i32..1000).prop_map(|n| Value::Number(f64::from(n))),
        (-1000.0f64..1000.0).prop_map(Value::Number),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

fn arb_op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Ne),
        Just(CmpOp::Lt),
        Just(CmpOp::Gt),
        Just(CmpOp::Le),
        Just(CmpOp::Ge),
    ]
}

fn arb_pattern() -> impl Strategy<Value = Pattern> {
    let part = prop_oneof![
        weird_string().prop_map(PatternPart::Literal),
        Just(Wildcard)
    ];
    prop::collection::vec(part, 0..6).prop_map(Pattern::new)
}

fn arb_leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        (arb_field(), arb_op(), arb_value()).prop_map(|(field, op, value)| Expr::Compare {
            field,
            op,
            value
        }),
        (arb_field(), arb_pattern()).prop_map(|(field, pattern)| Expr::Like { field, pattern }),
    ]
}

/// Random ASTs of bounded depth. `And`/`Or` always have >= 2 children; a
/// child of the same variant is allowed (it stands for a parenthesised group,
/// which the parser keeps as a nested node).
fn arb_expr() -> impl Strategy<Value = Expr> {
    arb_leaf().prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            prop::collection::vec(inner.clone(), 2..5).prop_map(Expr::And),
            prop::collection::vec(inner, 2..5).prop_map(Expr::Or),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_round_trips(e in arb_expr()) {
        let text = e.to_string();
        prop_assert_eq!(parse(&text), Ok(e), "text: {}", text);
    }

    #[test]
    fn field_display_round_trips(f in arb_field()) {
        prop_assert_eq!(Field::parse(&f.to_string()), Ok(f));
    }

    #[test]
    fn canonical_text_is_a_fixed_point(e in arb_expr()) {
        let once = e.to_string();
        let again = ok(&once).to_string();
        prop_assert_eq!(once, again);
    }

    #[test]
    fn arbitrary_input_never_panics(text in any::<String>()) {
        if let Err(e) = parse(&text) {
            prop_assert!(e.column >= 1 && e.column <= text.chars().count() + 1);
        }
    }

    #[test]
    fn filter_like_input_never_panics(text in r#"[a-z.\[\]"'\\*()!=<>&| 0-9eE+-]{0,40}"#) {
        match parse(&text) {
            Ok(e) => prop_assert_eq!(parse(&e.to_string()), Ok(e)),
            Err(e) => prop_assert!(e.column >= 1 && e.column <= text.chars().count() + 1),
        }
    }

    #[test]
    fn literal_pattern_matches_itself(s in weird_string()) {
        let p = Pattern::new(vec![PatternPart::Literal(s.clone())]);
        prop_assert!(p.matches(&s, false));
        prop_assert!(p.matches(&s, true));
        let star = Pattern::new(vec![Wildcard, PatternPart::Literal(s.clone()), Wildcard]);
        let padded = format!("x{s}y");
        prop_assert!(star.matches(&padded, false));
    }
}
