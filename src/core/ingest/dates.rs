//! Date parsing for transaction files.
//!
//! Slash dates such as `3/4/2010` are ambiguous, so a slash date is parsed under both readings
//! (month first and day first) and the caller keeps both until the whole file has been seen:
//! a reading that any row contradicts is ruled out, and only when neither is ruled out is the
//! file called ambiguous. That makes the decision exact without a second pass.
//!
//! A time may carry a UTC designator or offset (`2010-12-01T08:26:00Z`, `+01:00`, `+0100`): it
//! is dropped and the wall-clock time is kept as written, so each purchase falls on the calendar
//! day the file shows (converting to UTC would move late-evening purchases to the next day).
//!
//! A bare number between 20,000 and 80,000 (1954-2119), with or without a fraction, is an Excel
//! serial day number: what a workbook holds in a date column whose cells lost their date format,
//! and what a CSV saved from such a sheet shows. Each value is read on its own, so a column may
//! mix shapes (typed workbook dates next to text dates); only slash dates need the whole file.
//!
//! Over 400 lines because a third is tests over the date layouts found in real exports.

use serde::{Deserialize, Serialize};

/// How one date is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateShape {
    /// `YYYY-MM-DD`, `YYYY/MM/DD`, optionally with `HH:MM[:SS]` after a space or `T`.
    Iso,
    /// `YYYYMMDD` (CDNOW).
    Compact,
    /// `A/B/YYYY` or `A.B.YYYY` with an optional time: month-first or day-first.
    DayMonth,
    /// A month name: `04-Jan-2010`, `4 Jan 2010`, `Jan 4, 2010`, optionally with a time.
    MonthName,
    /// An Excel serial day number (`40179.5` is 2010-01-01 12:00).
    ExcelSerial,
}

impl DateShape {
    pub fn describe(self) -> &'static str {
        match self {
            DateShape::Iso => "YYYY-MM-DD",
            DateShape::Compact => "YYYYMMDD",
            DateShape::DayMonth => "M/D/YYYY or D/M/YYYY",
            DateShape::MonthName => "D Mon YYYY",
            DateShape::ExcelSerial => "Excel serial day number",
        }
    }
}

/// Which reading of slash dates to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// Decide from the data; when the data cannot tell, month first, flagged as ambiguous.
    #[default]
    Auto,
    /// Month first (`M/D/YYYY`).
    Mdy,
    /// Day first (`D/M/YYYY`).
    Dmy,
}

/// Seconds since 1970-01-01 00:00:00 under both readings, `None` where a reading is invalid.
/// Index 0 is month-first (and the only reading of unambiguous shapes), index 1 day-first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDate {
    pub shape: DateShape,
    pub readings: [Option<i64>; 2],
}

pub const MONTH_FIRST: usize = 0;
pub const DAY_FIRST: usize = 1;

pub const SECONDS_PER_DAY: i64 = 86_400;

/// Parses one date field; `None` when it is no date in any supported shape.
pub fn parse_date(text: &[u8]) -> Option<ParsedDate> {
    let text = text.trim_ascii();
    // Three letters in a row can only be a month name (times have at most `AM`/`PM`, `T`, `Z`);
    // checked first because `OCT` holds the `T` that separates an ISO time.
    if text
        .windows(3)
        .any(|letters| letters.iter().all(u8::is_ascii_alphabetic))
    {
        return parse_month_name_date(text);
    }
    if let Some(stamp) = excel_serial(text) {
        return Some(ParsedDate {
            shape: DateShape::ExcelSerial,
            readings: [Some(stamp); 2],
        });
    }
    let (date, time) = match text.iter().position(|&b| b == b' ' || b == b'T') {
        Some(split) => (&text[..split], Some(text[split + 1..].trim_ascii())),
        None => (text, None),
    };
    let seconds_of_day = match time {
        Some(time) => parse_time(time)?,
        None => 0,
    };
    let at = |year, month, day| {
        days_from_civil(year, month, day).map(|days| days * SECONDS_PER_DAY + seconds_of_day)
    };
    if date.len() == 8 && date.iter().all(u8::is_ascii_digit) {
        let stamp = at(
            number(&date[..4])?,
            number(&date[4..6])?,
            number(&date[6..])?,
        )?;
        return Some(ParsedDate {
            shape: DateShape::Compact,
            readings: [Some(stamp); 2],
        });
    }
    let separator = *date.iter().find(|b| matches!(b, b'-' | b'/' | b'.'))?;
    let mut parts = date.split(|&b| b == separator);
    let (first, second, third) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    if first.len() == 4 {
        let stamp = at(number(first)?, number(second)?, number(third)?)?;
        return Some(ParsedDate {
            shape: DateShape::Iso,
            readings: [Some(stamp); 2],
        });
    }
    if separator == b'-' || third.len() != 4 || first.len() > 2 || second.len() > 2 {
        return None;
    }
    let (a, b, year) = (number(first)?, number(second)?, number(third)?);
    let readings = [at(year, a, b), at(year, b, a)];
    readings.iter().any(Option::is_some).then_some(ParsedDate {
        shape: DateShape::DayMonth,
        readings,
    })
}

/// The serial days Excel's 1900 date system writes for 1954-09-29 .. 2119-01-10: five digits,
/// which no other date shape is. Day 0 is 1899-12-30 for every serial past 60 (Excel counts a
/// 29 February 1900 that never was).
const EXCEL_SERIALS: std::ops::Range<u32> = 20_000..80_000;

/// Seconds since 1970 of an Excel serial day number with an optional fraction of a day, to the
/// nearest second.
fn excel_serial(text: &[u8]) -> Option<i64> {
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    if whole.len() != 5 || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let day = number(whole)?;
    if !EXCEL_SERIALS.contains(&day) {
        return None;
    }
    // At most 9 digits of the fraction matter at second resolution.
    let digits = &fraction[..fraction.len().min(9)];
    let seconds = match number(digits) {
        Some(part) => (f64::from(part) / 10f64.powi(digits.len() as i32) * SECONDS_PER_DAY as f64)
            .round() as i64,
        None => 0,
    };
    let epoch = days_from_civil(1899, 12, 30)?;
    Some((epoch + i64::from(day)) * SECONDS_PER_DAY + seconds)
}

/// `04-Jan-2010`, `4 Jan 2010`, `Jan 4, 2010`, `4 January 2010`, each with an optional time.
fn parse_month_name_date(text: &[u8]) -> Option<ParsedDate> {
    let (first, rest) = next_date_part(text)?;
    let (second, rest) = next_date_part(rest)?;
    let (year, rest) = next_date_part(rest)?;
    let (day, month) = match month_number(first) {
        Some(month) => (second, month),
        None => (first, month_number(second)?),
    };
    if year.len() != 4 || day.len() > 2 {
        return None;
    }
    let rest = rest.trim_ascii();
    let seconds_of_day = if rest.is_empty() {
        0
    } else {
        parse_time(rest)?
    };
    let stamp =
        days_from_civil(number(year)?, month, number(day)?)? * SECONDS_PER_DAY + seconds_of_day;
    Some(ParsedDate {
        shape: DateShape::MonthName,
        readings: [Some(stamp); 2],
    })
}

/// The next part of a month-name date and what follows it; parts are separated by spaces,
/// dashes, slashes, commas or dots.
fn next_date_part(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let is_separator = |b: &u8| matches!(b, b' ' | b'-' | b'/' | b',' | b'.');
    let start = text.iter().position(|b| !is_separator(b))?;
    let text = &text[start..];
    let end = text.iter().position(is_separator).unwrap_or(text.len());
    Some(text.split_at(end))
}

/// 1-12 for an English month name or its abbreviation of at least three letters (`Sep`, `Sept`).
fn month_number(word: &[u8]) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.to_ascii_lowercase();
    if word.len() < 3 {
        return None;
    }
    let index = MONTHS
        .iter()
        .position(|name| name.as_bytes().starts_with(&word))?;
    Some(index as u32 + 1)
}

/// Drops a trailing UTC designator or offset (`Z`, `+00:00`, `+0100`, `-05`); see the module doc.
fn without_zone(time: &[u8]) -> &[u8] {
    if let Some(clock) = time.strip_suffix(b"Z").or_else(|| time.strip_suffix(b"z")) {
        return clock.trim_ascii_end();
    }
    let Some(sign) = time.iter().rposition(|&b| b == b'+' || b == b'-') else {
        return time;
    };
    let offset = &time[sign + 1..];
    let (hours, minutes) = match offset.len() {
        2 => (offset, &offset[2..]),
        4 => offset.split_at(2),
        5 if offset[2] == b':' => (&offset[..2], &offset[3..]),
        _ => return time,
    };
    if hours.iter().chain(minutes).all(u8::is_ascii_digit) {
        time[..sign].trim_ascii_end()
    } else {
        time
    }
}

/// `H:MM`, `HH:MM:SS`, optionally with a fraction of a second, `AM`/`PM` and a UTC offset.
fn parse_time(time: &[u8]) -> Option<i64> {
    let time = without_zone(time);
    let (clock, meridiem) = match time.len().checked_sub(2).map(|cut| time.split_at(cut)) {
        Some((clock, suffix)) if suffix.eq_ignore_ascii_case(b"AM") => {
            (clock.trim_ascii(), Some(false))
        }
        Some((clock, suffix)) if suffix.eq_ignore_ascii_case(b"PM") => {
            (clock.trim_ascii(), Some(true))
        }
        _ => (time, None),
    };
    let clock = match clock.iter().position(|&b| b == b'.') {
        Some(dot) if clock[dot + 1..].iter().all(u8::is_ascii_digit) => &clock[..dot],
        _ => clock,
    };
    let mut parts = clock.split(|&b| b == b':');
    let hour = number(parts.next()?)?;
    let minute = number(parts.next()?)?;
    let second = parts.next().map(number).unwrap_or(Some(0))?;
    if parts.next().is_some() || minute > 59 || second > 60 {
        return None;
    }
    let hour = match meridiem {
        None if hour <= 23 => hour,
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        _ => return None,
    };
    Some(i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
}

fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Days since 1970-01-01 of a valid civil date (H. Hinnant's algorithm), `None` if invalid.
/// Years have four digits, as in every spreadsheet, so every day fits a [`day_number`].
pub fn days_from_civil(year: u32, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || !(1000..=9999).contains(&year)
    {
        return None;
    }
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The calendar day of a timestamp (seconds since 1970).
pub fn day_of(stamp: i64) -> i64 {
    stamp.div_euclid(SECONDS_PER_DAY)
}

/// [`day_of`] in 32 bits, which hold the days of every readable date (years 1000 to 9999):
/// the reader keeps one per customer and purchase day.
pub fn day_number(stamp: i64) -> i32 {
    day_of(stamp) as i32
}

pub fn to_naive_date_time(stamp: i64) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::from_timestamp(stamp, 0).map(|utc| utc.naive_utc())
}

pub fn to_naive_date(day: i64) -> Option<chrono::NaiveDate> {
    to_naive_date_time(day * SECONDS_PER_DAY).map(|at| at.date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};

    fn stamp(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, s)
            .unwrap()
            .and_utc()
            .timestamp()
    }

    #[test]
    fn iso_with_and_without_seconds_match_chrono() {
        let with = parse_date(b"2009-12-01 07:45:00").unwrap();
        assert_eq!(with.readings, [Some(stamp(2009, 12, 1, 7, 45, 0)); 2]);
        let without = parse_date(b"2011-02-28T23:59").unwrap();
        assert_eq!(without.readings[0], Some(stamp(2011, 2, 28, 23, 59, 0)));
        assert_eq!(
            parse_date(b"1997-01-12").unwrap().readings[0],
            Some(stamp(1997, 1, 12, 0, 0, 0))
        );
        assert_eq!(parse_date(b"19970112").unwrap().shape, DateShape::Compact);
    }

    #[test]
    fn slash_dates_keep_both_readings_until_one_is_impossible() {
        let ambiguous = parse_date(b"3/4/2010 8:26").unwrap();
        assert_eq!(
            ambiguous.readings[MONTH_FIRST],
            Some(stamp(2010, 3, 4, 8, 26, 0))
        );
        assert_eq!(
            ambiguous.readings[DAY_FIRST],
            Some(stamp(2010, 4, 3, 8, 26, 0))
        );
        let day_first = parse_date(b"13/1/2010 08:26").unwrap();
        assert_eq!(
            day_first.readings,
            [None, Some(stamp(2010, 1, 13, 8, 26, 0))]
        );
        assert_eq!(
            parse_date(b"12/1/2010 1:05:09 PM").unwrap().readings[0],
            Some(stamp(2010, 12, 1, 13, 5, 9))
        );
    }

    #[test]
    fn utc_designators_and_offsets_keep_the_wall_clock_time() {
        let written = Some(stamp(2010, 12, 1, 23, 30, 0));
        for text in [
            "2010-12-01T23:30:00Z",
            "2010-12-01T23:30:00.250Z",
            "2010-12-01T23:30:00+00:00",
            "2010-12-01 23:30:00+0100",
            "2010-12-01T23:30-05:00",
            "2010-12-01 23:30:00 +01",
        ] {
            let date = parse_date(text.as_bytes()).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(
                (date.shape, date.readings[0]),
                (DateShape::Iso, written),
                "{text}"
            );
        }
    }

    #[test]
    fn month_names_are_read_in_either_position() {
        let day = Some(stamp(2010, 1, 4, 0, 0, 0));
        for text in [
            "04-Jan-2010",
            "4 Jan 2010",
            "Jan 4, 2010",
            "4 JANUARY 2010",
            "04/jan/2010",
        ] {
            let date = parse_date(text.as_bytes()).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(date.readings, [day; 2], "{text}");
            assert_eq!(date.shape, DateShape::MonthName);
        }
        assert_eq!(
            parse_date(b"04-Oct-2010 08:26").unwrap().readings[0],
            Some(stamp(2010, 10, 4, 8, 26, 0))
        );
        assert_eq!(
            parse_date(b"Sept 30, 2010 1:05 PM").unwrap().readings[0],
            Some(stamp(2010, 9, 30, 13, 5, 0))
        );
    }

    #[test]
    fn excel_serials_match_excel() {
        // =DATE(2010,1,1) is 40179 in Excel's 1900 system; =DATE(2011,12,9)+TIME(12,50,0) is
        // 40886.5347222...
        let new_year = parse_date(b"40179").unwrap();
        assert_eq!(new_year.shape, DateShape::ExcelSerial);
        assert_eq!(new_year.readings, [Some(stamp(2010, 1, 1, 0, 0, 0)); 2]);
        let afternoon = parse_date(b"40886.534722222").unwrap();
        assert_eq!(afternoon.readings[0], Some(stamp(2011, 12, 9, 12, 50, 0)));
        assert_eq!(
            parse_date(b"40179.").unwrap().readings[0],
            Some(stamp(2010, 1, 1, 0, 0, 0))
        );
        for not_serial in [
            &b"19999"[..],
            b"80000",
            b"4017",
            b"40179.5x",
            b"-40179",
            b"401790",
        ] {
            assert!(
                parse_date(not_serial).is_none_or(|d| d.shape != DateShape::ExcelSerial),
                "{}",
                String::from_utf8_lossy(not_serial)
            );
        }
    }

    #[test]
    fn invalid_dates_are_rejected() {
        for text in [
            "13/13/2010",
            "2010-02-30",
            "yesterday",
            "",
            "1/2/10",
            "2010-01-01 25:00",
            "12-1-2010",
            "0000-00-00",
            "0000-00-00 00:00:00",
            "31-Feb-2010",
            "4 Jux 2010",
            "Jan 4, 10",
            "Grand Total",
            "2010-12-01T08:26:00+1",
        ] {
            assert_eq!(parse_date(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn civil_days_agree_with_chrono_over_centuries() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let mut date = NaiveDate::from_ymd_opt(1899, 12, 25).unwrap();
        while date.year() < 2101 {
            let days = days_from_civil(date.year() as u32, date.month(), date.day()).unwrap();
            assert_eq!(days, (date - epoch).num_days());
            assert_eq!(to_naive_date(days), Some(date));
            date = date.succ_opt().unwrap();
        }
    }
}
