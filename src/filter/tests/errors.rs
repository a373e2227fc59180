//! Error tests: every malformed filter is rejected with a clear message and
//! the 1-based column of the offending token.

use super::*;
use crate::filter::{MAX_DEPTH, MAX_LEN};

/// Asserts that `text` fails at `column` with a message containing `needle`.
fn fails(text: &str, column: usize, needle: &str) {
    let e = err(text);
    assert_eq!(e.column, column, "column for {text:?}: {e}");
    assert!(
        e.message.contains(needle),
        "message for {text:?} was {:?}, wanted {needle:?}",
        e.message
    );
}

#[test]
fn empty_filter() {
    fails("", 1, "empty filter");
    fails("   ", 4, "empty filter");
}

#[test]
fn missing_operator() {
    fails(
        "name 'x'",
        6,
        "expected an operator (==, !=, <, >, <=, >=, LIKE) after 'name'",
    );
    fails("name", 5, "unexpected end of filter, expected an operator");
    fails(
        "custom.tier likes 'x'",
        13,
        "after 'custom.tier', found 'likes'",
    );
    fails(r#"custom["a b"] 1"#, 15, r#"after 'custom["a b"]'"#);
}

#[test]
fn missing_or_bad_value() {
    fails("name ==", 8, "unexpected end of filter, expected a value");
    fails("name == ", 9, "unexpected end of filter, expected a value");
    fails("name == Alice", 9, "strings must be quoted");
    fails("name == TRUE", 9, "lower-case");
    fails("name == (1)", 9, "expected a value");
    fails("name == == 1", 9, "after '==', found '=='");
}

#[test]
fn like_needs_string() {
    fails("name LIKE 5", 11, "LIKE needs a quoted string pattern");
    fails("name like Jo", 11, "LIKE needs a quoted string pattern");
    fails("name LIKE", 10, "LIKE needs a quoted string pattern");
    fails("name LIKE null", 11, "LIKE needs a quoted string pattern");
}

#[test]
fn unterminated_strings() {
    fails("name == 'abc", 9, "unterminated string");
    fails(r#"name == "abc'"#, 9, "unterminated string");
    fails(r#"name == "abc\"#, 9, "unterminated string");
    fails(r#"custom["abc] == 1"#, 8, "unterminated string");
}

#[test]
fn bad_escapes() {
    fails(r#"name == "a\qb""#, 11, "invalid escape '\\q'");
    fails(r#"name == "\u12""#, 10, "4 hex digits");
    fails(r#"name == "\uD800""#, 10, "high surrogate");
    fails(r#"name == "\uDC00""#, 10, "lone low surrogate");
    fails(r#"name == "\uD800\u0041""#, 16, "expected a low surrogate");
}

#[test]
fn bad_numbers() {
    fails("x == 1.", 6, "invalid number '1.'");
    fails("x == 1e", 6, "exponent");
    fails("x == 12abc", 6, "invalid number '12abc'");
    fails("x == 1.2.3", 6, "invalid number");
    fails("x == -", 6, "a number must follow '-'");
    fails("x == 1e999", 6, "out of range");
    fails("x == .5", 6, "expected a value");
}

#[test]
fn parentheses() {
    fails(")", 1, "unexpected ')'");
    fails("name == 1)", 10, "unexpected ')'");
    fails("(name == 1", 11, "expected ')' to close '(' at column 1");
    fails("((name == 1)", 13, "expected ')' to close '(' at column 1");
    fails("(name == 1 name == 2)", 12, "expected '&&', '||' or ')'");
    fails("()", 2, "unexpected ')'");
    fails("name == 1 && ()", 15, "unexpected ')'");
}

#[test]
fn dangling_connectives() {
    fails(
        "name == 1 &&",
        13,
        "unexpected end of filter, expected a condition",
    );
    fails("name == 1 ||", 13, "unexpected end of filter");
    fails("|| name == 1", 1, "found '||'");
    fails("name == 1 && && x == 2", 14, "found '&&'");
    fails("name == 1 & x == 2", 11, "did you mean '&&'");
    fails("name == 1 | x == 2", 11, "did you mean '||'");
    fails("!", 2, "unexpected end of filter");
}

#[test]
fn trailing_garbage_and_words() {
    fails(
        "a == 1 b == 2",
        8,
        "expected '&&', '||' or end of filter, found 'b'",
    );
    fails("a == 1 and b == 2", 8, "use '&&'");
    fails("a == 1 OR b == 2", 8, "use '||'");
    fails("a = 1", 3, "did you mean '=='");
    fails("a == 1;", 7, "unexpected character ';'");
    fails("a ==> 1", 5, "expected a value");
}

#[test]
fn bad_fields() {
    fails("custom. == 1", 9, "expected a field name after '.'");
    fails(
        "custom.employment-status == 1",
        18,
        "custom[\"employment-status\"]",
    );
    fails("custom.1 == 1", 8, "expected a field name after '.'");
    fails("custom[tier] == 1", 8, "expected a quoted key after '['");
    fails("custom['tier' == 1", 15, "expected ']'");
    fails("5 == 5", 1, "expected a condition");
    fails("'name' == 5", 1, "expected a condition");
    fails("é == 1", 1, "unexpected character 'é'");
}

#[test]
fn columns_count_characters_not_bytes() {
    fails("name == 'ééé' x", 15, "found 'x'");
    fails("name == '😀😀' &&", 16, "unexpected end of filter");
}

#[test]
fn first_error_wins() {
    // The stray ')' comes before the unterminated string.
    fails("name == ) 'abc", 9, "expected a value");
}

#[test]
fn nesting_limit() {
    let ok_depth = format!("{}a == 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(parse(&ok_depth).is_ok());
    let too_deep = format!(
        "{}a == 1{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    fails(&too_deep, MAX_DEPTH + 1, "nested too deeply");
    let nots = format!("{}a == 1", "!".repeat(MAX_DEPTH + 1));
    fails(&nots, MAX_DEPTH + 1, "nested too deeply");
    // Hostile input well past the limit fails fast instead of overflowing the stack.
    fails(&"(".repeat(4000), MAX_DEPTH + 1, "nested too deeply");
    fails(&"!".repeat(4000), MAX_DEPTH + 1, "nested too deeply");
}

#[test]
fn length_limit() {
    let at_limit = format!("name == '{}'", "x".repeat(MAX_LEN - 10));
    assert_eq!(at_limit.chars().count(), MAX_LEN);
    assert!(parse(&at_limit).is_ok());
    let over = format!("name == '{}'", "x".repeat(MAX_LEN - 9));
    fails(&over, MAX_LEN + 1, "too long");
    // Counted in characters: multi-byte characters at the limit are fine.
    let wide = format!("name == '{}'", "é".repeat(MAX_LEN - 10));
    assert!(parse(&wide).is_ok());
}

#[test]
fn error_display_includes_column() {
    let e = err("name");
    assert_eq!(
        e.to_string(),
        "unexpected end of filter, expected an operator (==, !=, <, >, <=, >=, LIKE) after 'name' (at column 5)"
    );
}
