//! Dates, the one place lore turns Unix times into calendar dates and back (UTC), on
//! top of `jiff`.

use jiff::civil::Date;
use jiff::{tz::TimeZone, Timestamp};

/// Environment variable that fixes "now" (`YYYY-MM-DD` or Unix seconds; expressions
/// also take an RFC 3339 date-time), for tests and reproducible reports.
pub(crate) const NOW_VAR: &str = "LORE_NOW";

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

/// The calendar date (UTC) of a `YYYY-MM-DD` date or an RFC 3339 date-time.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    // A date-time with an offset is a moment, whose UTC date may differ from its own.
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t.to_zoned(TimeZone::UTC).date());
    }
    text.parse::<Date>().ok()
}

/// A calendar period that facts are bucketed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Per {
    /// Calendar days, `2025-03-04`.
    Day,
    /// ISO 8601 weeks, Monday to Sunday, `2025-W10`.
    Week,
    /// Calendar months, `2025-03`.
    Month,
    /// Calendar quarters, `2025-Q1`.
    Quarter,
}

impl Per {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Per::Day => "day",
            Per::Week => "week",
            Per::Month => "month",
            Per::Quarter => "quarter",
        }
    }

    /// The first day of the period holding `d`.
    pub(crate) fn start(self, d: Date) -> Date {
        match self {
            Per::Day => d,
            Per::Week => {
                let back = i64::from(d.weekday().to_monday_zero_offset());
                d.checked_sub(jiff::Span::new().days(back)).unwrap_or(d)
            }
            Per::Month => d.first_of_month(),
            Per::Quarter => {
                let month = (d.month() - 1) / 3 * 3 + 1;
                Date::new(d.year(), month, 1).unwrap_or(d)
            }
        }
    }

    /// The first day of the period after the one starting on `start`, unless past the
    /// calendar's end.
    pub(crate) fn next(self, start: Date) -> Option<Date> {
        let step = match self {
            Per::Day => jiff::Span::new().days(1),
            Per::Week => jiff::Span::new().weeks(1),
            Per::Month => jiff::Span::new().months(1),
            Per::Quarter => jiff::Span::new().months(3),
        };
        start.checked_add(step).ok()
    }

    /// The period's name: `2025-03-04`, `2025-W10` (ISO year and week), `2025-03`,
    /// `2025-Q1`.
    pub(crate) fn label(self, start: Date) -> String {
        match self {
            Per::Day => start.to_string(),
            Per::Week => {
                let w = start.iso_week_date();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
            Per::Month => format!("{:04}-{:02}", start.year(), start.month()),
            Per::Quarter => format!("{:04}-Q{}", start.year(), (start.month() - 1) / 3 + 1),
        }
    }
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
    fn periods_are_iso_weeks_months_and_quarters() {
        let d = |s: &str| parse_date(s).unwrap();
        // 2025-03-09 is a Sunday: ISO week 10 runs Monday 03-03 to Sunday 03-09.
        assert_eq!(Per::Week.start(d("2025-03-09")), d("2025-03-03"));
        assert_eq!(Per::Week.label(d("2025-03-03")), "2025-W10");
        // 2024-12-30 (a Monday) is in ISO week 1 of 2025; 2021-01-03 in week 53 of 2020.
        assert_eq!(
            Per::Week.label(Per::Week.start(d("2025-01-01"))),
            "2025-W01"
        );
        assert_eq!(
            Per::Week.label(Per::Week.start(d("2021-01-03"))),
            "2020-W53"
        );
        assert_eq!(
            Per::Month.label(Per::Month.start(d("2025-03-31"))),
            "2025-03"
        );
        assert_eq!(
            Per::Quarter.label(Per::Quarter.start(d("2025-06-30"))),
            "2025-Q2"
        );
        assert_eq!(Per::Quarter.next(d("2025-10-01")), Some(d("2026-01-01")));
        assert_eq!(Per::Day.next(d("2024-02-28")), Some(d("2024-02-29")));
        assert_eq!(d("2025-03-04T23:30:00Z"), d("2025-03-04"));
        assert_eq!(d("2025-03-04T23:30:00-02:00"), d("2025-03-05"), "UTC");
        assert_eq!(parse_date("March"), None);
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
