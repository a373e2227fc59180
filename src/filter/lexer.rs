//! Tokenizer for the filter language: turns filter text into tokens, each
//! tagged with its 1-based character column. Tokens are produced on demand so
//! that the first error in the text is the one reported.

use super::{CmpOp, FilterError, PatternPart};

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// `[A-Za-z$_][A-Za-z0-9$_]*` (keywords such as `LIKE` and `true` are
    /// recognised by the parser from context).
    Ident(String),
    /// A quoted string, split at unescaped `*` (which become `Wildcard`s);
    /// `\*` is kept as a literal `*`.
    Str(Vec<PatternPart>),
    Number(f64),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    Bang,
    AndAnd,
    OrOr,
    Op(CmpOp),
    Eof,
}

impl Tok {
    /// Describes the token for "found ..." in error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Str(_) => "a quoted string".to_string(),
            Tok::Number(_) => "a number".to_string(),
            Tok::LParen => "'('".to_string(),
            Tok::RParen => "')'".to_string(),
            Tok::LBracket => "'['".to_string(),
            Tok::RBracket => "']'".to_string(),
            Tok::Dot => "'.'".to_string(),
            Tok::Bang => "'!'".to_string(),
            Tok::AndAnd => "'&&'".to_string(),
            Tok::OrOr => "'||'".to_string(),
            Tok::Op(op) => format!("'{}'", op.as_str()),
            Tok::Eof => "end of filter".to_string(),
        }
    }
}

/// Joins string parts back into plain text, turning wildcards into `*`.
pub(crate) fn plain_text(parts: &[PatternPart]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            PatternPart::Literal(s) => out.push_str(s),
            PatternPart::Wildcard => out.push('*'),
        }
    }
    out
}

/// A token and the 1-based column where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub col: usize,
}

/// On-demand tokenizer over the characters of a filter.
pub(crate) struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Whether `s` can be written as a bare identifier.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_ident_start(c) => chars.all(is_ident_char),
        _ => false,
    }
}

impl Lexer {
    pub(crate) fn new(text: &str) -> Lexer {
        Lexer {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    /// Number of characters in the input.
    pub(crate) fn len(&self) -> usize {
        self.chars.len()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn err<T>(&self, message: impl Into<String>, pos: usize) -> Result<T, FilterError> {
        Err(FilterError::new(message, pos + 1))
    }

    /// Produces the next token (`Eof` at the end, repeatedly).
    pub(crate) fn next_token(&mut self) -> Result<Token, FilterError> {
        while self.peek_at(0).is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
        let start = self.pos;
        let col = start + 1;
        let Some(c) = self.peek_at(0) else {
            return Ok(Token { tok: Tok::Eof, col });
        };
        let next = self.peek_at(1);
        let (tok, width) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            '.' => (Tok::Dot, 1),
            '!' if next == Some('=') => (Tok::Op(CmpOp::Ne), 2),
            '!' => (Tok::Bang, 1),
            '=' if next == Some('=') => (Tok::Op(CmpOp::Eq), 2),
            '=' => return self.err("unexpected '=', did you mean '=='?", start),
            '<' if next == Some('=') => (Tok::Op(CmpOp::Le), 2),
            '<' => (Tok::Op(CmpOp::Lt), 1),
            '>' if next == Some('=') => (Tok::Op(CmpOp::Ge), 2),
            '>' => (Tok::Op(CmpOp::Gt), 1),
            '&' if next == Some('&') => (Tok::AndAnd, 2),
            '&' => return self.err("unexpected '&', did you mean '&&'?", start),
            '|' if next == Some('|') => (Tok::OrOr, 2),
            '|' => return self.err("unexpected '|', did you mean '||'?", start),
            '"' | '\'' => return self.string(c),
            '-' | '0'..='9' => return self.number(),
            c if is_ident_start(c) => {
                while self.peek_at(0).is_some_and(is_ident_char) {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                return Ok(Token {
                    tok: Tok::Ident(text),
                    col,
                });
            }
            other => return self.err(format!("unexpected character '{other}'"), start),
        };
        self.pos += width;
        Ok(Token { tok, col })
    }

    /// Lexes a quoted string starting at the opening `quote`.
    fn string(&mut self, quote: char) -> Result<Token, FilterError> {
        let start = self.pos;
        self.pos += 1;
        let mut parts = Vec::new();
        let mut lit = String::new();
        loop {
            let Some(c) = self.peek_at(0) else {
                return self.err(
                    format!("unterminated string (missing closing {quote})"),
                    start,
                );
            };
            self.pos += 1;
            match c {
                c if c == quote => break,
                '\\' => self.escape(&mut lit, quote, start)?,
                '*' => {
                    if !lit.is_empty() {
                        parts.push(PatternPart::Literal(std::mem::take(&mut lit)));
                    }
                    parts.push(PatternPart::Wildcard);
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(PatternPart::Literal(lit));
        }
        Ok(Token {
            tok: Tok::Str(parts),
            col: start + 1,
        })
    }

    /// Handles the escape after a backslash (already consumed).
    fn escape(&mut self, lit: &mut String, quote: char, start: usize) -> Result<(), FilterError> {
        let backslash = self.pos - 1;
        let Some(c) = self.peek_at(0) else {
            return self.err(
                format!("unterminated string (missing closing {quote})"),
                start,
            );
        };
        self.pos += 1;
        let resolved = match c {
            '"' | '\'' | '\\' | '/' | '*' => c,
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'u' => self.unicode_escape(backslash)?,
            other => {
                return self.err(
                    format!(
                        "invalid escape '\\{other}' in string (valid: \\\" \\' \\\\ \\/ \\n \\t \\r \\b \\f \\* \\uXXXX)"
                    ),
                    backslash,
                )
            }
        };
        lit.push(resolved);
        Ok(())
    }

    /// Reads the `XXXX` of `\uXXXX` (and a following low surrogate if needed).
    fn unicode_escape(&mut self, backslash: usize) -> Result<char, FilterError> {
        let high = self.hex4(backslash)?;
        if !(0xD800..0xDC00).contains(&high) {
            return match char::from_u32(high) {
                Some(c) => Ok(c),
                None => self.err(
                    format!("invalid \\u escape: lone low surrogate {high:04X}"),
                    backslash,
                ),
            };
        }
        if self.peek_at(0) != Some('\\') || self.peek_at(1) != Some('u') {
            return self.err(
                format!("invalid \\u escape: high surrogate {high:04X} must be followed by a \\u low surrogate"),
                backslash,
            );
        }
        let second = self.pos;
        self.pos += 2;
        let low = self.hex4(second)?;
        if !(0xDC00..0xE000).contains(&low) {
            return self.err(
                format!("invalid \\u escape: expected a low surrogate after {high:04X}, found {low:04X}"),
                second,
            );
        }
        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.err("invalid \\u escape", backslash),
        }
    }

    fn hex4(&mut self, backslash: usize) -> Result<u32, FilterError> {
        let mut value = 0u32;
        for _ in 0..4 {
            match self.peek_at(0).and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    value = value * 16 + d;
                    self.pos += 1;
                }
                None => {
                    return self.err(
                        "invalid \\u escape: expected 4 hex digits after \\u",
                        backslash,
                    )
                }
            }
        }
        Ok(value)
    }

    fn skip_digits(&mut self) -> usize {
        let from = self.pos;
        while self.peek_at(0).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - from
    }

    /// Lexes `-?digits(.digits)?([eE][+-]?digits)?`.
    fn number(&mut self) -> Result<Token, FilterError> {
        let start = self.pos;
        if self.peek_at(0) == Some('-') {
            self.pos += 1;
            if !self.peek_at(0).is_some_and(|c| c.is_ascii_digit()) {
                return self.err(
                    "unexpected '-': a number must follow '-' (quote field keys containing '-', e.g. custom[\"employment-status\"])",
                    start,
                );
            }
        }
        self.skip_digits();
        if self.peek_at(0) == Some('.') {
            self.pos += 1;
            if self.skip_digits() == 0 {
                return self.bad_number(start, "expected digits after '.'");
            }
        }
        if matches!(self.peek_at(0), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek_at(0), Some('+' | '-')) {
                self.pos += 1;
            }
            if self.skip_digits() == 0 {
                return self.bad_number(start, "expected digits in the exponent");
            }
        }
        if self
            .peek_at(0)
            .is_some_and(|c| is_ident_char(c) || c == '.')
        {
            return self.bad_number(start, "a number must not run into other characters");
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Token {
                tok: Tok::Number(n),
                col: start + 1,
            }),
            _ => self.err(format!("number '{text}' is out of range"), start),
        }
    }

    fn bad_number<T>(&mut self, start: usize, why: &str) -> Result<T, FilterError> {
        while self
            .peek_at(0)
            .is_some_and(|c| is_ident_char(c) || matches!(c, '.' | '+' | '-'))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        self.err(format!("invalid number '{text}': {why}"), start)
    }
}
