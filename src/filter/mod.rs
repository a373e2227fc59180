//! The PubNub App Context filter language: parse filter text into an [`Expr`],
//! validate its fields for a [`Target`], print it back in canonical form and
//! match `LIKE` patterns.
//!
//! ```
//! use appctx::filter::{parse, parse_for, Target};
//!
//! let e = parse(r#"name LIKE 'Jo*' && (custom["employment-status"] == "active" || updated > "2024")"#).unwrap();
//! assert_eq!(
//!     e.to_string(),
//!     r#"name LIKE "Jo*" && (custom["employment-status"] == "active" || updated > "2024")"#
//! );
//! assert!(parse_for("channel.name == 'x'", Target::Memberships).is_ok());
//! assert!(parse_for("channel.name == 'x'", Target::Users).is_err());
//! ```
//!
//! Grammar (`&&` binds tighter than `||`):
//!
//! ```text
//! expr      := or
//! or        := and ( "||" and )*
//! and       := unary ( "&&" unary )*
//! unary     := "!" unary | "(" expr ")" | relation
//! relation  := property OP value
//! OP        := "==" | "!=" | "<" | ">" | "<=" | ">=" | LIKE   (LIKE is case-insensitive)
//! property  := segment ( "." identifier | "[" string "]" )*
//! segment   := identifier | "[" string "]"
//! value     := string | number | true | false | null
//! ```

mod display;
mod fields;
mod lexer;
mod parser;
mod pattern;
#[cfg(test)]
mod tests;

pub use fields::{field_names, resolve_field, FieldRef, Target};
pub use pattern::Matcher;

/// Maximum nesting of `(` and `!` accepted by the parser.
pub const MAX_DEPTH: usize = 64;

/// Maximum length of a filter, in characters.
pub const MAX_LEN: usize = 4096;

/// A parsed filter expression.
///
/// Invariants of ASTs produced by [`parse`] (and required for [`Expr`]'s
/// `Display` to round-trip): `Or`/`And` have at least two children, a chain
/// `a || b || c` is a single `Or` (nesting only comes from parentheses),
/// fields have at least one segment and numbers are finite. `Display`
/// prints canonical text; an AST nested deeper than [`MAX_DEPTH`] prints fine
/// but will not parse back.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Any child matches (`a || b || ...`).
    Or(Vec<Expr>),
    /// All children match (`a && b && ...`).
    And(Vec<Expr>),
    /// Negation (`!a`).
    Not(Box<Expr>),
    /// `field OP value` with a comparison operator.
    Compare {
        /// The property being compared.
        field: Field,
        /// The comparison operator.
        op: CmpOp,
        /// The literal on the right-hand side.
        value: Value,
    },
    /// `field LIKE "pattern"`.
    Like {
        /// The property being matched.
        field: Field,
        /// The wildcard pattern.
        pattern: Pattern,
    },
}

impl Expr {
    /// Every field referenced by the expression, in source order.
    pub fn fields(&self) -> Vec<&Field> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a Field>) {
        match self {
            Expr::Or(children) | Expr::And(children) => {
                for child in children {
                    child.collect_fields(out);
                }
            }
            Expr::Not(inner) => inner.collect_fields(out),
            Expr::Compare { field, .. } | Expr::Like { field, .. } => out.push(field),
        }
    }
}

impl std::str::FromStr for Expr {
    type Err = FilterError;

    /// Same as [`parse`].
    fn from_str(text: &str) -> Result<Expr, FilterError> {
        parse(text)
    }
}

/// A property path such as `name`, `custom.tier` or `channel.custom["a b"]`,
/// stored as its segments (`["channel", "custom", "a b"]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field(pub Vec<String>);

impl Field {
    /// Builds a field from its path segments.
    pub fn new<I, S>(segments: I) -> Field
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Field(segments.into_iter().map(Into::into).collect())
    }

    /// The path segments.
    pub fn segments(&self) -> &[String] {
        &self.0
    }

    /// Parses a property path on its own, e.g. `custom["employment-status"]`.
    pub fn parse(text: &str) -> Result<Field, FilterError> {
        parser::parse_field(text)
    }

    /// The custom key if this is `custom.<key>` or `<entity>.custom.<key>`.
    pub fn custom_key(&self) -> Option<&str> {
        match self.0.as_slice() {
            [c, key] if c == "custom" => Some(key),
            [_, c, key] if c == "custom" => Some(key),
            _ => None,
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator's text, e.g. `"<="`.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
        }
    }
}

/// A literal on the right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A quoted string (escapes resolved; `*` is an ordinary character here).
    String(String),
    /// A finite number.
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A `LIKE` pattern: literals and `*` wildcards.
///
/// Normalised (as built by [`Pattern::new`] and the parser): adjacent
/// literals merged, no empty literal, no two adjacent wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern(pub Vec<PatternPart>);

/// One piece of a [`Pattern`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PatternPart {
    /// Text matched exactly (possibly containing a literal `*`, written `\*`).
    Literal(String),
    /// `*`: any run of characters, including none.
    Wildcard,
}

/// A filter syntax or validation error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (at column {column})")]
pub struct FilterError {
    /// What went wrong and what was expected.
    pub message: String,
    /// 1-based column, in characters, of the offending token
    /// (the length of the input plus one for "end of filter").
    pub column: usize,
}

impl FilterError {
    pub(crate) fn new(message: impl Into<String>, column: usize) -> FilterError {
        FilterError {
            message: message.into(),
            column,
        }
    }
}

/// Parses filter text into an [`Expr`] without checking field names.
pub fn parse(text: &str) -> Result<Expr, FilterError> {
    parser::parse_with_fields(text).map(|(expr, _)| expr)
}

/// Parses filter text and checks that every field is filterable for `target`.
///
/// An unknown field yields a [`FilterError`] at the field's column.
pub fn parse_for(text: &str, target: Target) -> Result<Expr, FilterError> {
    let (expr, fields) = parser::parse_with_fields(text)?;
    for (field, column) in &fields {
        resolve_field(field, target).map_err(|message| FilterError::new(message, *column))?;
    }
    Ok(expr)
}
