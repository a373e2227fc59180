//! Stored records and the small pure helpers around them: timestamps, eTags, sort keys.
//!
//! Users and channels share one table (`objects`, told apart by [`Kind`]); memberships and
//! members are one table of relations, read from either side.

use base64::Engine;
use md5::{Digest, Md5};
use sha2::Sha256;

use crate::api::types::Custom;

/// Which kind of App Context object a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    User = 0,
    Channel = 1,
}

impl Kind {
    /// The word PubNub uses in 412 messages and we use in errors.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Channel => "Channel",
        }
    }
}

/// A user or channel as stored. Fields a kind does not have stay `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectRow {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub profile_url: Option<String>,
    pub email: Option<String>,
    pub kind_field: Option<String>,
    pub status: Option<String>,
    pub custom: Option<Custom>,
    pub updated: i64,
    pub etag: String,
}

impl ObjectRow {
    /// True when two rows hold the same data (ignoring `updated` and `eTag`).
    pub fn same_content(&self, other: &ObjectRow) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.description == other.description
            && self.external_id == other.external_id
            && self.profile_url == other.profile_url
            && self.email == other.email
            && self.kind_field == other.kind_field
            && self.status == other.status
            && self.custom == other.custom
    }

    /// The object eTag: 32 lower-case hex digits over the content and `updated`, so a
    /// record that changes and changes back still gets a new eTag (no ABA on If-Match).
    pub fn compute_etag(&self, kind: Kind) -> String {
        let mut h = Md5::new();
        // A tuple serializes as the JSON array of its fields, written straight into
        // the hash (no copy of the record as JSON values).
        let fields = (
            kind as u8,
            &self.id,
            &self.name,
            &self.description,
            &self.external_id,
            &self.profile_url,
            &self.email,
            &self.kind_field,
            &self.status,
            &self.custom,
            self.updated,
        );
        let _ = serde_json::to_writer(Hashing(&mut h), &fields);
        hex(&h.finalize())
    }
}

/// A membership/member relation as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RelationRow {
    pub user_id: String,
    pub channel_id: String,
    pub kind_field: Option<String>,
    pub status: Option<String>,
    pub custom: Option<Custom>,
    pub updated: i64,
    pub etag: String,
}

impl RelationRow {
    /// Relation eTags depend only on content (custom/status/type), like PubNub's: 14
    /// characters of base64 over a digest of the content.
    pub fn compute_etag(&self) -> String {
        let mut h = Sha256::new();
        let _ = serde_json::to_writer(
            Hashing(&mut h),
            &(&self.kind_field, &self.status, &self.custom),
        );
        let digest = h.finalize();
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&digest[..10])
    }
}

/// Bytes written into a hash.
struct Hashing<'a, D>(&'a mut D);

impl<D: Digest> std::io::Write for Hashing<'_, D> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first-level collation key PubNub's ordering behaves like: case-insensitive,
/// punctuation ignored. Ties are broken by the raw string.
pub fn sort_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    d.as_micros() as i64
}

/// Seconds of 10000-01-01T00:00:00Z: from there on [`format_updated_slow`] decides.
const YEAR_10000: i64 = 253_402_300_800;

/// `updated` as PubNub prints it: RFC 3339 UTC, microseconds with trailing zeros trimmed.
/// Written digit by digit (it is written for every row of every page, and every
/// event); dates before 1970 or after 9999 take the general path.
pub fn format_updated(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    if !(0..YEAR_10000).contains(&secs) {
        return format_updated_slow(micros);
    }
    let (year, month, day) = civil_from_days(secs / 86_400);
    let day_secs = secs % 86_400;
    let mut out = Vec::with_capacity(28);
    let two = |out: &mut Vec<u8>, n: i64| {
        out.push(b'0' + (n / 10) as u8);
        out.push(b'0' + (n % 10) as u8);
    };
    two(&mut out, year / 100);
    two(&mut out, year % 100);
    out.push(b'-');
    two(&mut out, month);
    out.push(b'-');
    two(&mut out, day);
    out.push(b'T');
    two(&mut out, day_secs / 3600);
    out.push(b':');
    two(&mut out, day_secs / 60 % 60);
    out.push(b':');
    two(&mut out, day_secs % 60);
    let frac = micros.rem_euclid(1_000_000);
    if frac != 0 {
        out.push(b'.');
        let digits = [
            frac / 100_000,
            frac / 10_000 % 10,
            frac / 1000 % 10,
            frac / 100 % 10,
            frac / 10 % 10,
            frac % 10,
        ];
        // The fraction without its trailing zeros.
        let last = digits.iter().rposition(|d| *d != 0).unwrap_or(0);
        out.extend(digits[..=last].iter().map(|d| b'0' + *d as u8));
    }
    out.push(b'Z');
    // Only ASCII digits and separators were written.
    String::from_utf8(out).unwrap_or_default()
}

/// The (year, month, day) of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), for days from 0 on.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// [`format_updated`] through the `time` crate, for any timestamp.
fn format_updated_slow(micros: i64) -> String {
    use std::fmt::Write as _;
    let secs = micros.div_euclid(1_000_000);
    let mut frac = micros.rem_euclid(1_000_000);
    let dt =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    // One buffer for the whole text (it is written for every row of every page).
    let mut out = String::with_capacity(32);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if frac != 0 {
        // The fraction without its trailing zeros.
        let mut width = 6;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        let _ = write!(out, ".{frac:0width$}");
    }
    out.push('Z');
    out
}

/// Parses an RFC 3339 timestamp (any offset, any fraction length) to microseconds.
pub fn parse_updated(text: &str) -> Option<i64> {
    let dt =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    let nanos = dt.unix_timestamp_nanos();
    i64::try_from(nanos.div_euclid(1000)).ok()
}

#[cfg(test)]
mod tests {
    /// The digit-by-digit `updated` is the `time` crate's, across leap years, the
    /// ends of months and years, every fraction length, and the range's edges.
    #[test]
    fn updated_is_written_as_the_general_path_writes_it() {
        use super::*;
        let mut samples = vec![
            0,
            1,
            999_999,
            1_000_000,
            951_782_400_000_000,   // 2000-02-29
            4_107_542_399_999_990, // 2100-02-28T23:59:59.99999
            1_700_000_000_120_000,
            (YEAR_10000 - 1) * 1_000_000 + 999_999,
            YEAR_10000 * 1_000_000,
            -1,
            -86_400_000_001,
            i64::MAX,
            i64::MIN,
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            samples.push((x % (YEAR_10000 as u64 * 1_000_000)) as i64);
            samples.push((x % 4_000_000_000_000_000) as i64 / 1000 * 1000);
        }
        for micros in samples {
            assert_eq!(
                format_updated(micros),
                format_updated_slow(micros),
                "{micros}"
            );
        }
    }

    /// eTags are what hashing the fields as a JSON array of values gives (the form
    /// stored eTags were made with), for odd text, numbers and an empty record.
    #[test]
    fn etags_hash_the_fields_as_a_json_array() {
        use super::*;
        let mut custom = Custom::new();
        custom.insert("z \"q\" é".into(), serde_json::json!(0.1));
        custom.insert("a".into(), serde_json::json!(u64::MAX));
        custom.insert("b".into(), serde_json::json!("\u{85}\u{1}"));
        let full = ObjectRow {
            id: "u\\1".into(),
            name: Some("Zoë".into()),
            email: Some("z@x".into()),
            kind_field: Some("t".into()),
            custom: Some(custom.clone()),
            updated: 1_600_000_000_000_001,
            ..Default::default()
        };
        for row in [full, ObjectRow::default()] {
            for kind in [Kind::User, Kind::Channel] {
                let text = serde_json::json!([
                    kind as u8,
                    row.id,
                    row.name,
                    row.description,
                    row.external_id,
                    row.profile_url,
                    row.email,
                    row.kind_field,
                    row.status,
                    row.custom,
                    row.updated
                ]);
                let mut h = Md5::new();
                h.update(text.to_string().as_bytes());
                assert_eq!(row.compute_etag(kind), hex(&h.finalize()));
            }
        }
        for custom in [Some(custom), None] {
            let r = RelationRow {
                status: Some("active".into()),
                custom,
                ..Default::default()
            };
            let text = serde_json::json!([r.kind_field, r.status, r.custom]).to_string();
            let digest = Sha256::digest(text.as_bytes());
            let want = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&digest[..10]);
            assert_eq!(r.compute_etag(), want);
        }
    }

    use super::*;

    #[test]
    fn updated_is_printed_like_pubnub() {
        assert_eq!(
            format_updated(1_709_801_213_266_820),
            "2024-03-07T08:46:53.26682Z"
        );
        assert_eq!(
            format_updated(1_737_232_261_897_188),
            "2025-01-18T20:31:01.897188Z"
        );
        assert_eq!(
            format_updated(1_700_000_000_000_000),
            "2023-11-14T22:13:20Z"
        );
        // Leading zeros of the fraction stay, trailing ones go.
        assert_eq!(
            format_updated(1_700_000_000_000_050),
            "2023-11-14T22:13:20.00005Z"
        );
        assert_eq!(
            format_updated(1_700_000_000_100_000),
            "2023-11-14T22:13:20.1Z"
        );
        assert_eq!(format_updated(-1), "1969-12-31T23:59:59.999999Z");
    }

    #[test]
    fn updated_parses_back_and_accepts_short_fractions() {
        assert_eq!(
            parse_updated("2024-03-07T08:46:53.26682Z"),
            Some(1_709_801_213_266_820)
        );
        assert_eq!(
            parse_updated("2025-09-12T23:20:36.276Z"),
            Some(1_757_719_236_276_000)
        );
        assert_eq!(parse_updated("yesterday"), None);
    }

    #[test]
    fn sort_key_ignores_case_and_punctuation() {
        let mut ids = vec!["2EEGYCPiuser", "2aQC4L", "2aiuiG"];
        ids.sort_by_key(|s| (sort_key(s), s.to_string()));
        assert_eq!(ids, vec!["2aiuiG", "2aQC4L", "2EEGYCPiuser"]);
        let mut chans = vec!["somechannel_with_custom", "somechannelid", "somechannel"];
        chans.sort_by_key(|s| (sort_key(s), s.to_string()));
        assert_eq!(
            chans,
            vec!["somechannel", "somechannelid", "somechannel_with_custom"]
        );
    }

    #[test]
    fn relation_etag_depends_only_on_content() {
        let a = RelationRow {
            user_id: "a".into(),
            channel_id: "x".into(),
            ..Default::default()
        };
        let b = RelationRow {
            user_id: "b".into(),
            channel_id: "y".into(),
            updated: 5,
            ..Default::default()
        };
        assert_eq!(a.compute_etag(), b.compute_etag());
        assert_eq!(a.compute_etag().len(), 14);
        let c = RelationRow {
            status: Some("active".into()),
            ..a.clone()
        };
        assert_ne!(a.compute_etag(), c.compute_etag());
    }
}
