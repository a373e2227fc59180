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

/// A LIKE pattern prepared once for matching many values (the server runs it per row):
/// literals lowered once, then a left-to-right search for each literal.
#[derive(Debug, Clone)]
pub struct Matcher {
    literals: Vec<String>,
    starts_open: bool,
    ends_open: bool,
    case_insensitive: bool,
}

impl Matcher {
    /// Prepares `pattern`.
    pub fn new(pattern: &Pattern, case_insensitive: bool) -> Matcher {
        let fold = |s: &str| {
            if case_insensitive {
                s.to_lowercase()
            } else {
                s.to_string()
            }
        };
        let literals = pattern
            .0
            .iter()
            .filter_map(|p| match p {
                PatternPart::Literal(l) => Some(fold(l)),
                PatternPart::Wildcard => None,
            })
            .collect();
        Matcher {
            literals,
            starts_open: matches!(pattern.0.first(), Some(PatternPart::Wildcard)),
            ends_open: matches!(pattern.0.last(), Some(PatternPart::Wildcard)),
            case_insensitive,
        }
    }

    /// Whether `s` matches (same answers as [`Pattern::matches`]). Case-insensitive
    /// matching of ASCII text compares in place; only a non-ASCII value with
    /// upper-case letters is lower-cased into a copy.
    pub fn matches(&self, s: &str) -> bool {
        if !self.case_insensitive || !s.chars().any(|c| c.to_lowercase().next() != Some(c)) {
            return self.run(
                s.len(),
                |at, lit| s.get(at..).is_some_and(|r| r.starts_with(lit)),
                |at, lit| s.get(at..).and_then(|r| r.find(lit)).map(|i| at + i),
            );
        }
        if s.is_ascii() && self.literals.iter().all(|l| l.is_ascii()) {
            let b = s.as_bytes();
            let eq_at = |at: usize, lit: &str| {
                b.len() - at >= lit.len()
                    && b[at..at + lit.len()].eq_ignore_ascii_case(lit.as_bytes())
            };
            return self.run(b.len(), eq_at, |at, lit| {
                (at..=b.len().saturating_sub(lit.len())).find(|&i| eq_at(i, lit))
            });
        }
        let lowered = s.to_lowercase();
        self.run(
            lowered.len(),
            |at, lit| lowered.get(at..).is_some_and(|r| r.starts_with(lit)),
            |at, lit| lowered.get(at..).and_then(|r| r.find(lit)).map(|i| at + i),
        )
    }

    /// The matching walk over a value of `len` bytes: `starts_at(at, lit)` says
    /// whether `lit` is at byte `at`, `find(at, lit)` where it next starts from `at`.
    fn run(
        &self,
        len: usize,
        starts_at: impl Fn(usize, &str) -> bool,
        find: impl Fn(usize, &str) -> Option<usize>,
    ) -> bool {
        let n = self.literals.len();
        if n == 0 {
            // "" matches only ""; "*" matches anything.
            return self.starts_open || len == 0;
        }
        let mut at = 0;
        for (i, lit) in self.literals.iter().enumerate() {
            let first = i == 0;
            let last = i == n - 1;
            if first && !self.starts_open {
                if !starts_at(at, lit) {
                    return false;
                }
                at += lit.len();
                if last && !self.ends_open {
                    return at == len;
                }
                continue;
            }
            if last && !self.ends_open {
                return len - at >= lit.len() && starts_at(len - lit.len(), lit);
            }
            match find(at, lit) {
                Some(found) => at = found + lit.len(),
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod matcher_tests {
    use super::*;

    fn pat(parts: &[Option<&str>]) -> Pattern {
        Pattern(
            parts
                .iter()
                .map(|p| match p {
                    Some(l) => PatternPart::Literal(l.to_string()),
                    None => PatternPart::Wildcard,
                })
                .collect(),
        )
    }

    #[test]
    fn matcher_agrees_with_pattern_matches() {
        let patterns = [
            pat(&[]),
            pat(&[None]),
            pat(&[Some("a")]),
            pat(&[Some("a"), None]),
            pat(&[None, Some("a")]),
            pat(&[None, Some("an"), None]),
            pat(&[Some("a"), None, Some("a")]),
            pat(&[Some("ab"), None, Some("b"), None, Some("c")]),
            pat(&[None, Some("Ö"), None, Some("ß")]),
            pat(&[Some("aa"), None, Some("aa")]),
        ];
        let values = [
            "", "a", "A", "aa", "aaa", "ab", "abc", "abbc", "Anna", "xana", "öß", "ÖxSS", "aba",
            "abXbYc", "aXa", "AB", "ABXBYC", "AaA", "xAN", "ANNA", "ÖXSS",
        ];
        for p in &patterns {
            for ci in [true, false] {
                let m = Matcher::new(p, ci);
                for v in values {
                    assert_eq!(m.matches(v), p.matches(v, ci), "{p:?} {v:?} ci={ci}");
                }
            }
        }
    }
}
