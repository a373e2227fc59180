//! `LIKE` patterns: normalisation and wildcard matching (`*` matches any run
//! of characters, including none).

use super::{Pattern, PatternPart};

/// One matchable unit of a pattern.
#[derive(Clone, Copy, PartialEq)]
enum Elem {
    Char(char),
    Star,
}

impl Pattern {
    /// Builds a normalised pattern: adjacent literals merged, empty literals
    /// dropped, runs of wildcards collapsed into one.
    pub fn new<I>(parts: I) -> Pattern
    where
        I: IntoIterator<Item = PatternPart>,
    {
        let mut out: Vec<PatternPart> = Vec::new();
        for part in parts {
            match part {
                PatternPart::Literal(s) if s.is_empty() => {}
                PatternPart::Literal(s) => match out.last_mut() {
                    Some(PatternPart::Literal(prev)) => prev.push_str(&s),
                    _ => out.push(PatternPart::Literal(s)),
                },
                PatternPart::Wildcard => {
                    if out.last() != Some(&PatternPart::Wildcard) {
                        out.push(PatternPart::Wildcard);
                    }
                }
            }
        }
        Pattern(out)
    }

    /// The parts of the pattern.
    pub fn parts(&self) -> &[PatternPart] {
        &self.0
    }

    /// Whether `s` matches the whole pattern. With `case_insensitive`, both
    /// sides are compared lower-cased.
    pub fn matches(&self, s: &str, case_insensitive: bool) -> bool {
        let fold = |text: &str| -> Vec<char> {
            if case_insensitive {
                text.to_lowercase().chars().collect()
            } else {
                text.chars().collect()
            }
        };
        let mut pat = Vec::new();
        for part in &self.0 {
            match part {
                PatternPart::Literal(lit) => pat.extend(fold(lit).into_iter().map(Elem::Char)),
                PatternPart::Wildcard => pat.push(Elem::Star),
            }
        }
        glob(&pat, &fold(s))
    }

    /// The leading literal, if the pattern starts with one (`"Jo*"` gives `"Jo"`).
    pub fn literal_prefix(&self) -> Option<&str> {
        match self.0.first() {
            Some(PatternPart::Literal(s)) => Some(s),
            _ => None,
        }
    }

    /// The whole pattern as plain text if it has no wildcard (the empty
    /// pattern gives `""`).
    pub fn as_literal(&self) -> Option<&str> {
        match self.0.as_slice() {
            [] => Some(""),
            [PatternPart::Literal(s)] => Some(s),
            _ => None,
        }
    }

    /// Whether the pattern contains at least one wildcard.
    pub fn has_wildcard(&self) -> bool {
        self.0.contains(&PatternPart::Wildcard)
    }

    /// Whether the pattern is normalised (see [`Pattern::new`]).
    pub fn is_normalised(&self) -> bool {
        self.0.windows(2).all(|w| {
            !matches!(
                w,
                [PatternPart::Literal(_), PatternPart::Literal(_)]
                    | [PatternPart::Wildcard, PatternPart::Wildcard]
            )
        }) && !self
            .0
            .iter()
            .any(|p| matches!(p, PatternPart::Literal(s) if s.is_empty()))
    }
}

/// Iterative wildcard match with single-star backtracking (O(len(p) * len(s))).
fn glob(pat: &[Elem], s: &[char]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match pat.get(pi) {
            Some(Elem::Star) => {
                star = Some((pi, si));
                pi += 1;
                continue;
            }
            Some(Elem::Char(c)) if *c == s[si] => {
                pi += 1;
                si += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    pat[pi..].iter().all(|e| *e == Elem::Star)
}
