//! `Pattern` tests: normalisation, wildcard matching and prefixes.

use super::*;
use crate::filter::PatternPart::Wildcard;

fn pat(text: &str) -> Pattern {
    match ok(&format!("x LIKE {text}")) {
        Expr::Like { pattern, .. } => pattern,
        other => panic!("{other:?}"),
    }
}

#[test]
fn new_normalises() {
    let p = Pattern::new(vec![
        lit(""),
        lit("a"),
        lit("b"),
        Wildcard,
        Wildcard,
        lit(""),
        Wildcard,
        lit("c"),
    ]);
    assert_eq!(p.0, vec![lit("ab"), Wildcard, lit("c")]);
    assert!(p.is_normalised());
    assert!(!Pattern(vec![lit("a"), lit("b")]).is_normalised());
    assert!(!Pattern(vec![Wildcard, Wildcard]).is_normalised());
    assert!(!Pattern(vec![lit("")]).is_normalised());
    assert_eq!(Pattern::new(vec![]).0, vec![]);
}

#[test]
fn exact_match() {
    let p = pat("'abc'");
    assert!(p.matches("abc", false));
    assert!(!p.matches("abcd", false));
    assert!(!p.matches("ab", false));
    assert!(!p.matches("ABC", false));
    assert!(p.matches("ABC", true));
}

#[test]
fn wildcards() {
    assert!(pat("'Jo*'").matches("John", false));
    assert!(pat("'Jo*'").matches("Jo", false));
    assert!(!pat("'Jo*'").matches("jo", false));
    assert!(pat("'Jo*'").matches("jOHN", true));
    assert!(pat("'*son'").matches("Jackson", false));
    assert!(!pat("'*son'").matches("Jacksons", false));
    assert!(pat("'*a*'").matches("banana", false));
    assert!(pat("'*a*'").matches("a", false));
    assert!(!pat("'*a*'").matches("xyz", false));
    assert!(pat("'a*b*c'").matches("aXXbYYc", false));
    assert!(pat("'a*b*c'").matches("abc", false));
    assert!(!pat("'a*b*c'").matches("aXXcYYb", false));
    assert!(pat("'*'").matches("", false));
    assert!(pat("'*'").matches("anything at all", false));
    assert!(pat("'a*a'").matches("aaa", false));
    assert!(!pat("'a*a'").matches("a", false));
    assert!(pat("'*ab*ab'").matches("xxabyyabab", false));
}

#[test]
fn escaped_star_is_literal() {
    let p = pat(r"'a\*b'");
    assert!(p.matches("a*b", false));
    assert!(!p.matches("aXb", false));
    assert!(!p.matches("ab", false));
    let p = pat(r"'\**'");
    assert!(p.matches("*", false));
    assert!(p.matches("*rated", false));
    assert!(!p.matches("rated", false));
}

#[test]
fn empty_pattern_matches_only_empty() {
    let p = pat("''");
    assert!(p.matches("", false));
    assert!(!p.matches("a", false));
}

#[test]
fn unicode_and_case_folding() {
    assert!(pat("'é*'").matches("éclair", false));
    assert!(pat("'É*'").matches("éclair", true));
    assert!(!pat("'É*'").matches("éclair", false));
    assert!(pat("'*😀'").matches("hi 😀", false));
    assert!(pat("'?'").matches("?", false));
    assert!(!pat("'?'").matches("x", false));
    assert!(pat("'%_'").matches("%_", false));
    assert!(!pat("'%_'").matches("ab", false));
}

#[test]
fn literal_prefix_and_helpers() {
    assert_eq!(pat("'Jo*'").literal_prefix(), Some("Jo"));
    assert_eq!(pat("'Jo*n*'").literal_prefix(), Some("Jo"));
    assert_eq!(pat("'exact'").literal_prefix(), Some("exact"));
    assert_eq!(pat("'*son'").literal_prefix(), None);
    assert_eq!(pat("''").literal_prefix(), None);
    assert_eq!(pat(r"'a\*b*'").literal_prefix(), Some("a*b"));
    assert_eq!(pat("'exact'").as_literal(), Some("exact"));
    assert_eq!(pat("''").as_literal(), Some(""));
    assert_eq!(pat("'a*'").as_literal(), None);
    assert!(pat("'a*'").has_wildcard());
    assert!(!pat(r"'a\*'").has_wildcard());
    assert_eq!(pat("'a*'").parts(), [lit("a"), Wildcard]);
}

#[test]
fn pathological_pattern_is_fast() {
    let p = pat(&format!("'{}b'", "*a".repeat(50)));
    let s = "a".repeat(2000);
    assert!(!p.matches(&s, false));
    assert!(p.matches(&format!("{s}b"), false));
}
