//! Unit and property tests for the filter language, with small helpers
//! shared by the test submodules.

mod errors;
mod fields;
mod parse;
mod pattern;
mod roundtrip;

use super::{parse, CmpOp, Expr, Field, FilterError, Pattern, PatternPart, Value};

/// Parses `text`, panicking with the error if it fails.
fn ok(text: &str) -> Expr {
    match parse(text) {
        Ok(e) => e,
        Err(e) => panic!("{text:?} failed to parse: {e}"),
    }
}

/// Parses `text`, panicking if it succeeds.
fn err(text: &str) -> FilterError {
    match parse(text) {
        Ok(e) => panic!("{text:?} unexpectedly parsed as {e:?}"),
        Err(e) => e,
    }
}

/// Asserts that `text` parses, prints canonically as `canonical`, and that
/// the canonical text parses back to the same AST.
fn canon(text: &str, canonical: &str) {
    let e = ok(text);
    assert_eq!(e.to_string(), canonical, "canonical form of {text:?}");
    assert_eq!(ok(canonical), e, "round trip of {text:?}");
}

fn field(segs: &[&str]) -> Field {
    Field::new(segs.iter().copied())
}

fn cmp(segs: &[&str], op: CmpOp, value: Value) -> Expr {
    Expr::Compare {
        field: field(segs),
        op,
        value,
    }
}

fn eq(segs: &[&str], value: Value) -> Expr {
    cmp(segs, CmpOp::Eq, value)
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

fn lit(text: &str) -> PatternPart {
    PatternPart::Literal(text.to_string())
}

fn like(segs: &[&str], parts: Vec<PatternPart>) -> Expr {
    Expr::Like {
        field: field(segs),
        pattern: Pattern::new(parts),
    }
}

fn not(e: Expr) -> Expr {
    Expr::Not(Box::new(e))
}
