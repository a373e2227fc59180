//! Parser and canonical-printing tests for well-formed filters.

use super::*;
use crate::filter::PatternPart::Wildcard;

#[test]
fn simple_comparison() {
    assert_eq!(ok(r#"name == "Alice""#), eq(&["name"], s("Alice")));
    assert_eq!(ok("name=='Alice'"), eq(&["name"], s("Alice")));
    assert_eq!(ok("   name   ==   'Alice'   "), eq(&["name"], s("Alice")));
}

#[test]
fn all_operators() {
    for (text, op) in [
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
    ] {
        assert_eq!(
            ok(&format!("updated {text} 5")),
            cmp(&["updated"], op, Value::Number(5.0))
        );
        assert_eq!(
            ok(&format!("updated{text}5")),
            cmp(&["updated"], op, Value::Number(5.0))
        );
        canon(
            &format!("updated{text}'x'"),
            &format!("updated {text} \"x\""),
        );
    }
}

#[test]
fn both_quote_styles() {
    assert_eq!(ok(r#"name == "it's""#), eq(&["name"], s("it's")));
    assert_eq!(ok(r#"name == 'say "hi"'"#), eq(&["name"], s("say \"hi\"")));
    assert_eq!(ok(r#"name == 'it\'s'"#), eq(&["name"], s("it's")));
    assert_eq!(
        ok(r#"name == "say \"hi\"""#),
        eq(&["name"], s("say \"hi\""))
    );
    canon(r#"name == 'say "hi"'"#, r#"name == "say \"hi\"""#);
    canon("name == 'it\\'s'", "name == \"it's\"");
}

#[test]
fn escapes() {
    assert_eq!(ok(r#"name == "a\\b""#), eq(&["name"], s("a\\b")));
    assert_eq!(ok(r#"name == "a\nb\tc""#), eq(&["name"], s("a\nb\tc")));
    assert_eq!(ok(r#"name == "a\/b""#), eq(&["name"], s("a/b")));
    assert_eq!(ok(r#"name == "\u00e9\u0041""#), eq(&["name"], s("éA")));
    assert_eq!(ok(r#"name == "\uD83D\uDE00""#), eq(&["name"], s("😀")));
    assert_eq!(ok(r#"name == "\r\b\f""#), eq(&["name"], s("\r\u{8}\u{c}")));
    assert_eq!(ok(r#"name == "\*""#), eq(&["name"], s("*")));
    assert_eq!(ok(r#"name == "*""#), eq(&["name"], s("*")));
    canon(r#"name == "a\/b\u0001\r""#, r#"name == "a/b\u0001\u000D""#);
    canon(r#"name == "tab\there""#, r#"name == "tab\there""#);
    canon(r#"name == "x\*y""#, r#"name == "x*y""#);
    canon("name == 'ünïcødé 😀'", "name == \"ünïcødé 😀\"");
}

#[test]
fn raw_control_characters_and_unicode_in_strings() {
    assert_eq!(ok("name == \"a\nb\""), eq(&["name"], s("a\nb")));
    canon("name == \"a\u{7f}b\"", r#"name == "a\u007Fb""#);
}

#[test]
fn numbers() {
    let n = |text: &str| match ok(&format!("x == {text}")) {
        Expr::Compare {
            value: Value::Number(v),
            ..
        } => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(n("0"), 0.0);
    assert_eq!(n("42"), 42.0);
    assert_eq!(n("-42"), -42.0);
    assert_eq!(n("3.25"), 3.25);
    assert_eq!(n("-0.5"), -0.5);
    assert_eq!(n("1e3"), 1000.0);
    assert_eq!(n("1E3"), 1000.0);
    assert_eq!(n("2.5e-3"), 0.0025);
    assert_eq!(n("-2.5E+3"), -2500.0);
    assert_eq!(n("007"), 7.0);
    assert_eq!(n("1e-400"), 0.0);
    canon("x==1.50", "x == 1.5");
    canon("x == 1e300", "x == 1e300");
    canon("x == -1e-300", "x == -1e-300");
    canon("x == 123456789", "x == 123456789");
    canon("x == 0.1", "x == 0.1");
    canon("x == 5e-324", "x == 5e-324");
    canon("x == 1.7976931348623157e308", "x == 1.7976931348623157e308");
}

#[test]
fn keywords_true_false_null() {
    assert_eq!(ok("x == true"), eq(&["x"], Value::Bool(true)));
    assert_eq!(
        ok("x != false"),
        eq(&["x"], Value::Bool(false)).with_op(CmpOp::Ne)
    );
    assert_eq!(ok("x == null"), eq(&["x"], Value::Null));
    canon("x==null", "x == null");
    canon("x==true&&y==false", "x == true && y == false");
    // Keywords are only special in value position.
    assert_eq!(ok("true == 1"), eq(&["true"], Value::Number(1.0)));
    assert_eq!(
        ok("custom.null == null"),
        eq(&["custom", "null"], Value::Null)
    );
}

#[test]
fn precedence_and_binds_tighter_than_or() {
    let a = || eq(&["a"], Value::Number(1.0));
    let b = || eq(&["b"], Value::Number(2.0));
    let c = || eq(&["c"], Value::Number(3.0));
    assert_eq!(
        ok("a==1 || b==2 && c==3"),
        Expr::Or(vec![a(), Expr::And(vec![b(), c()])])
    );
    assert_eq!(
        ok("a==1 && b==2 || c==3"),
        Expr::Or(vec![Expr::And(vec![a(), b()]), c()])
    );
    assert_eq!(
        ok("(a==1 || b==2) && c==3"),
        Expr::And(vec![Expr::Or(vec![a(), b()]), c()])
    );
    canon("a==1 || b==2 && c==3", "a == 1 || b == 2 && c == 3");
    canon("(a==1 || b==2) && c==3", "(a == 1 || b == 2) && c == 3");
}

#[test]
fn chains_are_flattened() {
    let e = ok("a==1 || a==2 || a==3 || a==4");
    match &e {
        Expr::Or(children) => assert_eq!(children.len(), 4),
        other => panic!("{other:?}"),
    }
    let e = ok("a==1 && a==2 && a==3");
    match &e {
        Expr::And(children) => assert_eq!(children.len(), 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn parentheses_keep_nesting() {
    let a = || eq(&["a"], Value::Number(1.0));
    let b = || eq(&["b"], Value::Number(2.0));
    let c = || eq(&["c"], Value::Number(3.0));
    assert_eq!(
        ok("a==1 && (b==2 && c==3)"),
        Expr::And(vec![a(), Expr::And(vec![b(), c()])])
    );
    assert_eq!(
        ok("(a==1 || b==2) || c==3"),
        Expr::Or(vec![Expr::Or(vec![a(), b()]), c()])
    );
    assert_eq!(ok("((((a==1))))"), a());
    canon("a==1 && (b==2 && c==3)", "a == 1 && (b == 2 && c == 3)");
    canon("(a==1 || b==2) || c==3", "(a == 1 || b == 2) || c == 3");
    canon("((a == 1))", "a == 1");
}

#[test]
fn not_operator() {
    let a = || eq(&["a"], Value::Number(1.0));
    let b = || eq(&["b"], Value::Number(2.0));
    assert_eq!(ok("!a==1"), not(a()));
    assert_eq!(ok("!(a==1)"), not(a()));
    assert_eq!(ok("!!a==1"), not(not(a())));
    assert_eq!(ok("! ( a==1 && b==2 )"), not(Expr::And(vec![a(), b()])));
    assert_eq!(ok("!a==1 && b==2"), Expr::And(vec![not(a()), b()]));
    assert_eq!(ok("a!=1"), cmp(&["a"], CmpOp::Ne, Value::Number(1.0)));
    canon("!a==1", "!(a == 1)");
    canon("!!a==1", "!!(a == 1)");
    canon("!(a==1||b==2)", "!(a == 1 || b == 2)");
    canon("!a==1 && b==2", "!(a == 1) && b == 2");
}

#[test]
fn fields_with_dots_and_brackets() {
    assert_eq!(ok("channel.name == 'x'"), eq(&["channel", "name"], s("x")));
    assert_eq!(ok("custom.tier == 'x'"), eq(&["custom", "tier"], s("x")));
    assert_eq!(
        ok(r#"custom["employment-status"] == 'x'"#),
        eq(&["custom", "employment-status"], s("x"))
    );
    assert_eq!(ok("custom['tier'] == 'x'"), eq(&["custom", "tier"], s("x")));
    assert_eq!(
        ok(r#"uuid.custom["a b"] == 1"#),
        eq(&["uuid", "custom", "a b"], Value::Number(1.0))
    );
    assert_eq!(ok(r#"["name"] == 1"#), eq(&["name"], Value::Number(1.0)));
    assert_eq!(
        ok(r#"custom["a*b"] == 1"#),
        eq(&["custom", "a*b"], Value::Number(1.0))
    );
    assert_eq!(ok("$x_1.Y$ == 1"), eq(&["$x_1", "Y$"], Value::Number(1.0)));
    assert_eq!(
        ok("custom . tier == 1"),
        eq(&["custom", "tier"], Value::Number(1.0))
    );
    canon("custom['tier'] == 1", "custom.tier == 1");
    canon(
        r#"custom["employment-status"]=='x'"#,
        r#"custom["employment-status"] == "x""#,
    );
    canon(r#"["a\"b"]["c"]['1x'] == 1"#, r#"["a\"b"].c["1x"] == 1"#);
    canon(r#"custom[""] == 1"#, r#"custom[""] == 1"#);
}

#[test]
fn like_patterns() {
    assert_eq!(
        ok("name LIKE 'Jo*'"),
        like(&["name"], vec![lit("Jo"), Wildcard])
    );
    assert_eq!(
        ok("name like \"*son\""),
        like(&["name"], vec![Wildcard, lit("son")])
    );
    assert_eq!(
        ok("name Like '*a*'"),
        like(&["name"], vec![Wildcard, lit("a"), Wildcard])
    );
    assert_eq!(ok("name lIkE 'a'"), like(&["name"], vec![lit("a")]));
    assert_eq!(ok(r#"name LIKE 'a\*b'"#), like(&["name"], vec![lit("a*b")]));
    assert_eq!(
        ok(r#"name LIKE 'a\**'"#),
        like(&["name"], vec![lit("a*"), Wildcard])
    );
    assert_eq!(
        ok("name LIKE '**a***'"),
        like(&["name"], vec![Wildcard, lit("a"), Wildcard])
    );
    assert_eq!(ok("name LIKE ''"), like(&["name"], vec![]));
    assert_eq!(
        ok("custom.like LIKE 'x'"),
        like(&["custom", "like"], vec![lit("x")])
    );
    canon("name like 'Jo*'", r#"name LIKE "Jo*""#);
    canon(r#"name LIKE 'a\*b*'"#, r#"name LIKE "a\*b*""#);
    canon(r#"name LIKE '**'"#, r#"name LIKE "*""#);
    canon(r#"name LIKE 'say "\*"'"#, r#"name LIKE "say \"\*\"""#);
}

#[test]
fn like_pattern_is_normalised() {
    match ok(r#"name LIKE 'a\*\*b**c'"#) {
        Expr::Like { pattern, .. } => {
            assert!(pattern.is_normalised());
            assert_eq!(pattern.0, vec![lit("a**b"), Wildcard, lit("c")]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn injection_looking_inputs_are_plain_strings() {
    assert_eq!(
        ok(r#"name == "x' OR 1=1 --""#),
        eq(&["name"], s("x' OR 1=1 --"))
    );
    assert_eq!(
        ok(r#"name == "a\"; DROP TABLE users; --""#),
        eq(&["name"], s("a\"; DROP TABLE users; --"))
    );
    assert_eq!(
        ok(r#"name == 'Robert"); --'"#),
        eq(&["name"], s("Robert\"); --"))
    );
    assert_eq!(
        ok(r#"name LIKE "%_'--""#),
        like(&["name"], vec![lit("%_'--")])
    );
    canon(
        r#"name == "a\"; DROP TABLE users; --""#,
        r#"name == "a\"; DROP TABLE users; --""#,
    );
    // Outside quotes the same text is rejected, not interpreted.
    assert!(parse("name == x OR 1=1").is_err());
    assert!(parse("name == 'x'; DROP TABLE users").is_err());
}

#[test]
fn realistic_filters() {
    canon(
        r#"name LIKE 'Jo*' && (custom["employment-status"] == "active" || updated > "2024-01-01")"#,
        r#"name LIKE "Jo*" && (custom["employment-status"] == "active" || updated > "2024-01-01")"#,
    );
    canon(
        "channel.name LIKE 'team-*' && status == 'active' && !(custom.muted == true)",
        r#"channel.name LIKE "team-*" && status == "active" && !(custom.muted == true)"#,
    );
}

#[test]
fn expr_fields_in_order() {
    let e = ok("a == 1 || !(b.c LIKE 'x' && custom['d e'] == null)");
    let names: Vec<String> = e.fields().iter().map(|f| f.to_string()).collect();
    assert_eq!(names, ["a", "b.c", r#"custom["d e"]"#]);
}

#[test]
fn field_parse_and_helpers() {
    assert_eq!(
        Field::parse(r#"custom["a-b"]"#),
        Ok(field(&["custom", "a-b"]))
    );
    assert_eq!(
        Field::parse("channel.custom.x").map(|f| f.custom_key().map(str::to_string)),
        Ok(Some("x".into()))
    );
    assert_eq!(field(&["name"]).custom_key(), None);
    assert_eq!(
        field(&["uuid", "custom", "k"]).segments(),
        ["uuid", "custom", "k"]
    );
    assert!(Field::parse("a ==").is_err());
    assert!(Field::parse("").is_err());
}

#[test]
fn limits_allow_reasonable_input() {
    let deep = format!("{}a == 1{}", "(".repeat(63), ")".repeat(63));
    assert_eq!(ok(&deep), eq(&["a"], Value::Number(1.0)));
    let long = vec!["a == 1"; 400].join(" || ");
    assert!(long.chars().count() <= crate::filter::MAX_LEN);
    assert!(matches!(ok(&long), Expr::Or(c) if c.len() == 400));
}

impl Expr {
    /// Test helper: the same comparison with another operator.
    fn with_op(self, new: CmpOp) -> Expr {
        match self {
            Expr::Compare { field, value, .. } => Expr::Compare {
                field,
                op: new,
                value,
            },
            other => other,
        }
    }
}

#[test]
fn from_str_is_parse() {
    let e: Expr = "a == 1".parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e, eq(&["a"], Value::Number(1.0)));
    assert!("a ==".parse::<Expr>().is_err());
}
