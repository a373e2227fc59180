//! Recursive-descent parser for the filter language: builds an [`Expr`] from
//! tokens, flattening `||`/`&&` chains, enforcing the length and nesting
//! limits, and recording each field's column for later validation.

use super::lexer::{plain_text, Lexer, Tok, Token};
use super::{CmpOp, Expr, Field, FilterError, Pattern, Value, MAX_DEPTH, MAX_LEN};

const OPERATORS: &str = "(==, !=, <, >, <=, >=, LIKE)";

/// Parses `text`, returning the expression and every field with its column.
pub(crate) fn parse_with_fields(text: &str) -> Result<(Expr, Vec<(Field, usize)>), FilterError> {
    let mut p = Parser::new(text)?;
    if p.peek()?.tok == Tok::Eof {
        return Err(FilterError::new("empty filter", p.peek()?.col));
    }
    let expr = p.or(0)?;
    let tok = p.next()?;
    match &tok.tok {
        Tok::Eof => Ok((expr, p.fields)),
        Tok::RParen => Err(FilterError::new(
            "unexpected ')' (no matching '(')",
            tok.col,
        )),
        other => Err(FilterError::new(
            format!(
                "expected '&&', '||' or end of filter, found {}{}",
                other.describe(),
                connective_hint(other)
            ),
            tok.col,
        )),
    }
}

/// Parses a property path on its own.
pub(crate) fn parse_field(text: &str) -> Result<Field, FilterError> {
    let mut p = Parser::new(text)?;
    let (field, _) = p.property()?;
    let tok = p.next()?;
    if tok.tok != Tok::Eof {
        return Err(FilterError::new(
            format!("expected end of field name, found {}", tok.tok.describe()),
            tok.col,
        ));
    }
    Ok(field)
}

/// Suggests `&&`/`||` when someone writes `and`/`or`.
fn connective_hint(tok: &Tok) -> &'static str {
    match tok {
        Tok::Ident(s) if s.eq_ignore_ascii_case("and") => " (use '&&' for AND)",
        Tok::Ident(s) if s.eq_ignore_ascii_case("or") => " (use '||' for OR)",
        _ => "",
    }
}

struct Parser {
    lexer: Lexer,
    peeked: Option<Token>,
    fields: Vec<(Field, usize)>,
}

impl Parser {
    fn new(text: &str) -> Result<Parser, FilterError> {
        let lexer = Lexer::new(text);
        if lexer.len() > MAX_LEN {
            return Err(FilterError::new(
                format!(
                    "filter is too long ({} characters, at most {MAX_LEN} allowed)",
                    lexer.len()
                ),
                MAX_LEN + 1,
            ));
        }
        Ok(Parser {
            lexer,
            peeked: None,
            fields: Vec::new(),
        })
    }

    fn peek(&mut self) -> Result<&Token, FilterError> {
        let tok = match self.peeked.take() {
            Some(tok) => tok,
            None => self.lexer.next_token()?,
        };
        Ok(self.peeked.insert(tok))
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        match self.peeked.take() {
            Some(tok) => Ok(tok),
            None => self.lexer.next_token(),
        }
    }

    /// `or := and ( "||" and )*`
    fn or(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let first = self.and(depth)?;
        if self.peek()?.tok != Tok::OrOr {
            return Ok(first);
        }
        let mut children = vec![first];
        while self.peek()?.tok == Tok::OrOr {
            self.next()?;
            children.push(self.and(depth)?);
        }
        Ok(Expr::Or(children))
    }

    /// `and := unary ( "&&" unary )*`
    fn and(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let first = self.unary(depth)?;
        if self.peek()?.tok != Tok::AndAnd {
            return Ok(first);
        }
        let mut children = vec![first];
        while self.peek()?.tok == Tok::AndAnd {
            self.next()?;
            children.push(self.unary(depth)?);
        }
        Ok(Expr::And(children))
    }

    fn check_depth(depth: usize, col: usize) -> Result<(), FilterError> {
        if depth >= MAX_DEPTH {
            return Err(FilterError::new(
                format!("filter is nested too deeply (at most {MAX_DEPTH} levels of '(' and '!')"),
                col,
            ));
        }
        Ok(())
    }

    /// `unary := "!" unary | "(" expr ")" | relation`
    fn unary(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let tok = self.peek()?.clone();
        match tok.tok {
            Tok::Bang => {
                Self::check_depth(depth, tok.col)?;
                self.next()?;
                Ok(Expr::Not(Box::new(self.unary(depth + 1)?)))
            }
            Tok::LParen => {
                Self::check_depth(depth, tok.col)?;
                self.next()?;
                let inner = self.or(depth + 1)?;
                let close = self.next()?;
                match close.tok {
                    Tok::RParen => Ok(inner),
                    Tok::Eof => Err(FilterError::new(
                        format!(
                            "unexpected end of filter, expected ')' to close '(' at column {}",
                            tok.col
                        ),
                        close.col,
                    )),
                    other => Err(FilterError::new(
                        format!(
                            "expected '&&', '||' or ')' to close '(' at column {}, found {}{}",
                            tok.col,
                            other.describe(),
                            connective_hint(&other)
                        ),
                        close.col,
                    )),
                }
            }
            Tok::Ident(_) | Tok::LBracket => self.relation(),
            Tok::RParen => Err(FilterError::new(
                "unexpected ')', expected a condition",
                tok.col,
            )),
            Tok::Eof => Err(FilterError::new(
                "unexpected end of filter, expected a condition (a field name, '!' or '(')",
                tok.col,
            )),
            other => Err(FilterError::new(
                format!(
                    "expected a condition (a field name, '!' or '('), found {}",
                    other.describe()
                ),
                tok.col,
            )),
        }
    }

    /// `relation := property OP value`
    fn relation(&mut self) -> Result<Expr, FilterError> {
        let (field, field_col) = self.property()?;
        self.fields.push((field.clone(), field_col));
        let op = self.next()?;
        match op.tok {
            Tok::Op(cmp) => {
                let value = self.value(cmp)?;
                Ok(Expr::Compare {
                    field,
                    op: cmp,
                    value,
                })
            }
            Tok::Ident(ref kw) if kw.eq_ignore_ascii_case("like") => {
                let pat = self.next()?;
                match pat.tok {
                    Tok::Str(parts) => Ok(Expr::Like {
                        field,
                        pattern: Pattern::new(parts),
                    }),
                    Tok::Eof => Err(FilterError::new(
                        "unexpected end of filter, LIKE needs a quoted string pattern",
                        pat.col,
                    )),
                    other => Err(FilterError::new(
                        format!(
                            "LIKE needs a quoted string pattern, found {}",
                            other.describe()
                        ),
                        pat.col,
                    )),
                }
            }
            Tok::Eof => Err(FilterError::new(
                format!(
                    "unexpected end of filter, expected an operator {OPERATORS} after '{field}'"
                ),
                op.col,
            )),
            other => Err(FilterError::new(
                format!(
                    "expected an operator {OPERATORS} after '{field}', found {}",
                    other.describe()
                ),
                op.col,
            )),
        }
    }

    /// `value := string | number | true | false | null`
    fn value(&mut self, op: CmpOp) -> Result<Value, FilterError> {
        let tok = self.next()?;
        match tok.tok {
            Tok::Str(parts) => Ok(Value::String(plain_text(&parts))),
            Tok::Number(n) => Ok(Value::Number(n)),
            Tok::Ident(ref s) if s == "true" => Ok(Value::Bool(true)),
            Tok::Ident(ref s) if s == "false" => Ok(Value::Bool(false)),
            Tok::Ident(ref s) if s == "null" => Ok(Value::Null),
            Tok::Eof => Err(FilterError::new(
                "unexpected end of filter, expected a value",
                tok.col,
            )),
            other => {
                let hint = match &other {
                    Tok::Ident(s)
                        if ["true", "false", "null"].contains(&s.to_ascii_lowercase().as_str()) =>
                    {
                        " (true, false and null are lower-case)"
                    }
                    Tok::Ident(_) => " (strings must be quoted)",
                    _ => "",
                };
                Err(FilterError::new(
                    format!(
                        "expected a value (a quoted string, number, true, false or null) after '{}', found {}{hint}",
                        op.as_str(),
                        other.describe()
                    ),
                    tok.col,
                ))
            }
        }
    }

    /// `property := segment ( "." identifier | "[" string "]" )*`
    fn property(&mut self) -> Result<(Field, usize), FilterError> {
        let first = self.next()?;
        let col = first.col;
        let mut segments = Vec::new();
        match first.tok {
            Tok::Ident(name) => segments.push(name),
            Tok::LBracket => segments.push(self.bracket_rest()?),
            Tok::Eof => {
                return Err(FilterError::new(
                    "unexpected end of filter, expected a field name",
                    first.col,
                ))
            }
            other => {
                return Err(FilterError::new(
                    format!("expected a field name, found {}", other.describe()),
                    first.col,
                ))
            }
        }
        loop {
            match self.peek()?.tok {
                Tok::Dot => {
                    self.next()?;
                    let seg = self.next()?;
                    match seg.tok {
                        Tok::Ident(name) => segments.push(name),
                        other => {
                            return Err(FilterError::new(
                                format!(
                                    "expected a field name after '.', found {} (use [\"...\"] for keys that are not identifiers)",
                                    other.describe()
                                ),
                                seg.col,
                            ))
                        }
                    }
                }
                Tok::LBracket => {
                    self.next()?;
                    segments.push(self.bracket_rest()?);
                }
                _ => return Ok((Field(segments), col)),
            }
        }
    }

    /// The `string "]"` after a `[`.
    fn bracket_rest(&mut self) -> Result<String, FilterError> {
        let key = self.next()?;
        let Tok::Str(parts) = key.tok else {
            return Err(FilterError::new(
                format!(
                    "expected a quoted key after '[', found {}",
                    key.tok.describe()
                ),
                key.col,
            ));
        };
        let close = self.next()?;
        if close.tok != Tok::RBracket {
            return Err(FilterError::new(
                format!("expected ']' after the key, found {}", close.tok.describe()),
                close.col,
            ));
        }
        Ok(plain_text(&parts))
    }
}
