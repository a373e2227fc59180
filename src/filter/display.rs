//! Canonical text for filter ASTs: `Display` impls whose output parses back
//! to an equal value (double-quoted strings, `field == value`, `field LIKE
//! "pat"`, parentheses only where the structure needs them).

use std::fmt::{self, Display, Formatter, Write};

use super::lexer::is_identifier;
use super::{CmpOp, Expr, Field, Pattern, PatternPart, Value};

/// Writes `s` as a double-quoted string; with `escape_star`, `*` becomes `\*`.
fn write_quoted(f: &mut Formatter<'_>, s: &str, escape_star: bool) -> fmt::Result {
    f.write_char('"')?;
    write_escaped(f, s, escape_star)?;
    f.write_char('"')
}

fn write_escaped(f: &mut Formatter<'_>, s: &str, escape_star: bool) -> fmt::Result {
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '*' if escape_star => f.write_str("\\*")?,
            c if c.is_control() => write!(f, "\\u{:04X}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

/// Formats a finite number so that it parses back to the same `f64`:
/// plain decimal when short, otherwise exponent form (`1e300`).
pub(crate) fn format_number(n: f64) -> String {
    let plain = format!("{n}");
    if plain.len() <= 24 {
        plain
    } else {
        format!("{n:e}")
    }
}

impl Display for CmpOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Field {
    /// `name`, `channel.name`, `custom["employment-status"]`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            if is_identifier(seg) {
                if i > 0 {
                    f.write_char('.')?;
                }
                f.write_str(seg)?;
            } else {
                f.write_char('[')?;
                write_quoted(f, seg, false)?;
                f.write_char(']')?;
            }
        }
        Ok(())
    }
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write_quoted(f, s, false),
            Value::Number(n) => f.write_str(&format_number(*n)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
        }
    }
}

impl Display for Pattern {
    /// The quoted pattern, with literal `*` written as `\*`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for part in &self.0 {
            match part {
                PatternPart::Literal(s) => write_escaped(f, s, true)?,
                PatternPart::Wildcard => f.write_char('*')?,
            }
        }
        f.write_char('"')
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(children) => write_joined(f, children, " || ", |c| matches!(c, Expr::Or(_))),
            Expr::And(children) => write_joined(f, children, " && ", |c| {
                matches!(c, Expr::Or(_) | Expr::And(_))
            }),
            Expr::Not(inner) => match inner.as_ref() {
                Expr::Not(_) => write!(f, "!{inner}"),
                _ => write!(f, "!({inner})"),
            },
            Expr::Compare { field, op, value } => write!(f, "{field} {op} {value}"),
            Expr::Like { field, pattern } => write!(f, "{field} LIKE {pattern}"),
        }
    }
}

/// Writes children separated by `sep`, parenthesising those for which
/// `needs_parens` holds (so nesting survives a round trip).
fn write_joined(
    f: &mut Formatter<'_>,
    children: &[Expr],
    sep: &str,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        if needs_parens(child) {
            write!(f, "({child})")?;
        } else {
            write!(f, "{child}")?;
        }
    }
    Ok(())
}
