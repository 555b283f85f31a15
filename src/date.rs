//! Dates, the one place lore turns Unix times into calendar dates and back (UTC), on
//! top of `jiff`.

use jiff::civil::Date;
use jiff::{tz::TimeZone, Timestamp};

/// `YYYY-MM-DD` (UTC) of a Unix time; out-of-range times are clamped to jiff's range.
pub(crate) fn day(seconds: i64) -> String {
    let t = Timestamp::from_second(seconds).unwrap_or(if seconds < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    t.to_zoned(TimeZone::UTC).date().to_string()
}

/// Unix time of a `YYYY-MM-DD` date (UTC midnight), or of a number of seconds.
pub(crate) fn parse_day_or_seconds(text: &str) -> Option<i64> {
    if let Ok(s) = text.parse::<i64>() {
        return Some(s);
    }
    let date: Date = text.parse().ok()?;
    let zoned = date.to_zoned(TimeZone::UTC).ok()?;
    Some(zoned.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_civil_utc() {
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(951_782_400), "2000-02-29");
        assert_eq!(day(1_709_164_800), "2024-02-29");
        assert_eq!(day(-86_400), "1969-12-31");
        assert_eq!(day(i64::MAX).len(), 10);
    }

    #[test]
    fn dates_and_seconds_parse() {
        assert_eq!(parse_day_or_seconds("1970-01-02"), Some(86_400));
        assert_eq!(parse_day_or_seconds("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse_day_or_seconds("12345"), Some(12_345));
        assert_eq!(parse_day_or_seconds("2023-02-30"), None);
        assert_eq!(parse_day_or_seconds("soon"), None);
    }
}
