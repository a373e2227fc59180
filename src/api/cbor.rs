//! The part of CBOR (RFC 8949) that Access Manager tokens use: unsigned and negative
//! integers, byte and text strings, arrays, maps, booleans, null and floats, all of
//! definite length. Encoding is the shortest form (what PubNub's tokens hold);
//! decoding also takes the longer forms and half/single floats.

/// One CBOR data item.
#[derive(Clone, Debug, PartialEq)]
pub enum Cbor {
    /// Major types 0 and 1: an integer in `-2^64 ..= 2^64-1`.
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    /// Entries in the order they were written (tokens are signed over their bytes).
    Map(Vec<(Cbor, Cbor)>),
    Bool(bool),
    Null,
    Float(f64),
}

/// Why bytes are not the CBOR this module reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    #[error("the data ends in the middle of an item")]
    Truncated,
    #[error("unsupported CBOR item (initial byte {0:#04x})")]
    Unsupported(u8),
    #[error("a text string is not UTF-8")]
    Utf8,
    #[error("{0} bytes are left after the item")]
    Trailing(usize),
    #[error("items nest deeper than {MAX_DEPTH}")]
    TooDeep,
}

/// Deepest nesting [`decode`] follows (a token is 3 deep; meta may add a little).
pub const MAX_DEPTH: usize = 32;

impl Cbor {
    /// The text of a text string, or of a byte string that is UTF-8 (tokens write
    /// their own keys as byte strings).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cbor::Text(s) => Some(s),
            Cbor::Bytes(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    /// The value, when it is a non-negative integer that fits in a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Cbor::Int(i) => u64::try_from(*i).ok(),
            _ => None,
        }
    }

    /// The value of the map entry whose key reads as `key`.
    pub fn get(&self, key: &str) -> Option<&Cbor> {
        match self {
            Cbor::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Appends the head of an item: major type and argument, in the shortest form.
pub fn write_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    match arg {
        0..=23 => out.push(m | arg as u8),
        24..=0xff => out.extend([m | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((arg as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(arg.to_be_bytes());
        }
    }
}

/// Appends the encoding of `item`.
pub fn encode_into(out: &mut Vec<u8>, item: &Cbor) {
    match item {
        Cbor::Int(i) if *i >= 0 => write_head(out, 0, *i as u64),
        Cbor::Int(i) => write_head(out, 1, (-1 - *i) as u64),
        Cbor::Bytes(b) => {
            write_head(out, 2, b.len() as u64);
            out.extend(b);
        }
        Cbor::Text(s) => {
            write_head(out, 3, s.len() as u64);
            out.extend(s.as_bytes());
        }
        Cbor::Array(items) => {
            write_head(out, 4, items.len() as u64);
            for i in items {
                encode_into(out, i);
            }
        }
        Cbor::Map(entries) => {
            write_head(out, 5, entries.len() as u64);
            for (k, v) in entries {
                encode_into(out, k);
                encode_into(out, v);
            }
        }
        Cbor::Bool(false) => out.push(0xf4),
        Cbor::Bool(true) => out.push(0xf5),
        Cbor::Null => out.push(0xf6),
        Cbor::Float(f) => {
            out.push(0xfb);
            out.extend(f.to_be_bytes());
        }
    }
}

/// The encoding of `item`.
pub fn encode(item: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(&mut out, item);
    out
}

/// Decodes exactly one item that fills `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Cbor, CborError> {
    let mut r = Reader { bytes, pos: 0 };
    let item = r.item(0)?;
    match bytes.len() - r.pos {
        0 => Ok(item),
        n => Err(CborError::Trailing(n)),
    }
}

/// A cursor over bytes being decoded; [`Reader::pos`] lets a caller note where an
/// item starts (the token's signature covers the bytes before its `sig` entry).
pub struct Reader<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CborError> {
        let end = self.pos.checked_add(n).ok_or(CborError::Truncated)?;
        let s = self.bytes.get(self.pos..end).ok_or(CborError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    /// Reads a head: (major type, additional info, argument).
    pub fn head(&mut self) -> Result<(u8, u8, u64), CborError> {
        let b = self.take(1)?[0];
        let (major, info) = (b >> 5, b & 0x1f);
        let arg = match info {
            0..=23 => info as u64,
            24 => self.take(1)?[0] as u64,
            25 => u16::from_be_bytes(self.take(2)?.try_into().unwrap_or_default()) as u64,
            26 => u32::from_be_bytes(self.take(4)?.try_into().unwrap_or_default()) as u64,
            27 => u64::from_be_bytes(self.take(8)?.try_into().unwrap_or_default()),
            _ => return Err(CborError::Unsupported(b)),
        };
        Ok((major, info, arg))
    }

    /// Reads one whole item.
    pub fn item(&mut self, depth: usize) -> Result<Cbor, CborError> {
        if depth > MAX_DEPTH {
            return Err(CborError::TooDeep);
        }
        let start = self.pos;
        let (major, info, arg) = self.head()?;
        let len = |arg: u64| usize::try_from(arg).map_err(|_| CborError::Truncated);
        Ok(match major {
            0 => Cbor::Int(arg as i128),
            1 => Cbor::Int(-1 - arg as i128),
            2 => Cbor::Bytes(self.take(len(arg)?)?.to_vec()),
            3 => Cbor::Text(
                String::from_utf8(self.take(len(arg)?)?.to_vec()).map_err(|_| CborError::Utf8)?,
            ),
            4 => {
                let n = len(arg)?;
                // Each item takes at least one byte: a huge count cannot be honest.
                if n > self.bytes.len() - self.pos {
                    return Err(CborError::Truncated);
                }
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Cbor::Array(items)
            }
            5 => {
                let n = len(arg)?;
                if n > self.bytes.len() - self.pos {
                    return Err(CborError::Truncated);
                }
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.item(depth + 1)?;
                    let v = self.item(depth + 1)?;
                    entries.push((k, v));
                }
                Cbor::Map(entries)
            }
            7 => match (info, arg) {
                (20, _) => Cbor::Bool(false),
                (21, _) => Cbor::Bool(true),
                (22, _) => Cbor::Null,
                (25, a) => Cbor::Float(half_to_f64(a as u16)),
                (26, a) => Cbor::Float(f32::from_bits(a as u32) as f64),
                (27, a) => Cbor::Float(f64::from_bits(a)),
                _ => return Err(CborError::Unsupported(self.bytes[start])),
            },
            _ => return Err(CborError::Unsupported(self.bytes[start])),
        })
    }
}

fn half_to_f64(h: u16) -> f64 {
    let exp = ((h >> 10) & 0x1f) as i32;
    let mant = (h & 0x3ff) as f64;
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + mant / 1024.0) * 2f64.powi(e - 15),
    };
    if h & 0x8000 != 0 {
        -v
    } else {
        v
    }
}

/// JSON (a grant's `meta`) as CBOR: integers as integers, other numbers as floats.
pub fn from_json(v: &serde_json::Value) -> Cbor {
    use serde_json::Value as J;
    match v {
        J::Null => Cbor::Null,
        J::Bool(b) => Cbor::Bool(*b),
        J::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Cbor::Int(u as i128),
            (_, Some(i)) => Cbor::Int(i as i128),
            _ => Cbor::Float(n.as_f64().unwrap_or_default()),
        },
        J::String(s) => Cbor::Text(s.clone()),
        J::Array(a) => Cbor::Array(a.iter().map(from_json).collect()),
        J::Object(o) => Cbor::Map(
            o.iter()
                .map(|(k, v)| (Cbor::Text(k.clone()), from_json(v)))
                .collect(),
        ),
    }
}

/// CBOR as JSON, for showing a token's `meta`: byte strings become their text when
/// they are UTF-8 (else an array of numbers), map keys their text.
pub fn to_json(c: &Cbor) -> serde_json::Value {
    use serde_json::Value as J;
    match c {
        Cbor::Int(i) => i64::try_from(*i)
            .map(J::from)
            .or_else(|_| u64::try_from(*i).map(J::from))
            .unwrap_or(J::Null),
        Cbor::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => J::String(s.to_string()),
            Err(_) => J::Array(b.iter().map(|x| J::from(*x)).collect()),
        },
        Cbor::Text(s) => J::String(s.clone()),
        Cbor::Array(a) => J::Array(a.iter().map(to_json).collect()),
        Cbor::Map(m) => J::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match k.as_str() {
                        Some(s) => s.to_string(),
                        None => to_json(k).to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Cbor::Bool(b) => J::Bool(*b),
        Cbor::Null => J::Null,
        Cbor::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_heads_and_round_trip() {
        // RFC 8949 appendix A examples.
        assert_eq!(encode(&Cbor::Int(23)), [0x17]);
        assert_eq!(encode(&Cbor::Int(24)), [0x18, 0x18]);
        assert_eq!(encode(&Cbor::Int(1000)), [0x19, 0x03, 0xe8]);
        assert_eq!(
            encode(&Cbor::Int(1_000_000)),
            [0x1a, 0x00, 0x0f, 0x42, 0x40]
        );
        assert_eq!(encode(&Cbor::Int(-10)), [0x29]);
        assert_eq!(encode(&Cbor::Text("IETF".into())), b"\x64IETF");
        assert_eq!(decode(&[0xf9, 0x3c, 0x00]).unwrap(), Cbor::Float(1.0));
        assert_eq!(
            decode(&[0xfa, 0x47, 0xc3, 0x50, 0x00]).unwrap(),
            Cbor::Float(100000.0)
        );
        let item = Cbor::Map(vec![
            (Cbor::Bytes(b"v".to_vec()), Cbor::Int(2)),
            (
                Cbor::Text("a".into()),
                Cbor::Array(vec![
                    Cbor::Null,
                    Cbor::Bool(true),
                    Cbor::Float(1.5),
                    Cbor::Int(-300),
                ]),
            ),
            (Cbor::Text("big".into()), Cbor::Int(u64::MAX as i128)),
        ]);
        assert_eq!(decode(&encode(&item)).unwrap(), item);
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        assert_eq!(
            decode(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Err(CborError::Truncated)
        );
        assert_eq!(decode(&[0x62, b'a']), Err(CborError::Truncated));
        assert_eq!(decode(&[0x01, 0x02]), Err(CborError::Trailing(1)));
        assert!(matches!(decode(&[0x5f]), Err(CborError::Unsupported(0x5f))));
        assert_eq!(decode(&[0x81; 40]), Err(CborError::TooDeep));
    }
}
