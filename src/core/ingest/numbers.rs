//! Numbers as exports write them: `1,200.50` or `1.200,50`, with or without a currency symbol.
//!
//! Which of `.` and `,` separates the decimals is a property of the column, not of one value:
//! `1,200` is 1200 beside `3.75` and 1.2 beside `3,75`. So each number column's separator is
//! decided from the values of the rows read ahead ([`NumberColumns::decide`]): a value with
//! both separators, a separator repeated, or one not followed by exactly three digits tells;
//! `1,200` and `1.200` alone cannot, and the report says so. Values read afterwards that only
//! make sense with the other separator are unreadable lines, and the first is reported.

use serde::{Deserialize, Serialize};

/// The character between the whole part and the decimals; the other one groups thousands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalSeparator {
    /// `1,234.56`
    Dot,
    /// `1.234,56`
    Comma,
}

impl DecimalSeparator {
    /// What a delimited file most likely uses when its values cannot tell: a semicolon
    /// delimiter is what spreadsheets write where the comma is the decimal separator.
    pub fn default_for(delimiter: u8) -> Self {
        if delimiter == b';' {
            DecimalSeparator::Comma
        } else {
            DecimalSeparator::Dot
        }
    }

    fn characters(self) -> (u8, u8) {
        match self {
            DecimalSeparator::Dot => (b'.', b','),
            DecimalSeparator::Comma => (b',', b'.'),
        }
    }

    fn other(self) -> Self {
        match self {
            DecimalSeparator::Dot => DecimalSeparator::Comma,
            DecimalSeparator::Comma => DecimalSeparator::Dot,
        }
    }
}

/// How one number column was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberFormatReport {
    pub column: String,
    pub decimal: DecimalSeparator,
    /// True when the rows read ahead could not tell (only values like `1,200` or `1.200`, or
    /// both separators used as decimals): the separator was assumed, see `evidence`.
    pub ambiguous: bool,
    /// The value that decided, or why the separator was assumed; `None` when the column holds
    /// whole numbers only.
    pub evidence: Option<String>,
    /// The first later value that only reads with the other separator (its line is dropped).
    pub contradicted: Option<String>,
}

/// What one value says about its column's decimal separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// No separator, or a number in exponent form.
    None,
    Decides(DecimalSeparator),
    /// One separator followed by exactly three digits: `1,200` or `1.200`.
    Either,
}

/// What `text` says about the decimal separator; see the module doc.
pub fn evidence(text: &[u8]) -> Evidence {
    let body = without_currency(text.trim_ascii()).unwrap_or_else(|| text.trim_ascii().to_vec());
    let body = body.strip_prefix(b"-").unwrap_or(&body);
    if body.iter().any(|b| matches!(b, b'e' | b'E')) {
        return Evidence::None;
    }
    let last = body.iter().rposition(|&b| b == b'.' || b == b',');
    let Some(last) = last else {
        return Evidence::None;
    };
    let separator = |byte: u8| {
        if byte == b'.' {
            DecimalSeparator::Dot
        } else {
            DecimalSeparator::Comma
        }
    };
    let count = |byte: u8| body.iter().filter(|&&b| b == byte).count();
    let (dots, commas) = (count(b'.'), count(b','));
    if dots > 0 && commas > 0 {
        return Evidence::Decides(separator(body[last]));
    }
    if dots + commas > 1 {
        // Repeated, so it groups thousands: the decimal separator is the other one.
        return Evidence::Decides(separator(body[last]).other());
    }
    let whole = &body[..last];
    let decimals = &body[last + 1..];
    if decimals.len() == 3 && (1..=3).contains(&whole.len()) && whole != b"0" {
        Evidence::Either
    } else {
        Evidence::Decides(separator(body[last]))
    }
}

/// A finite number written with `decimal` (thousands grouped by the other separator, in groups
/// of three), with or without a currency symbol (`£2.55`, `2,55 €`, `-$3`).
pub fn parse_number(text: &[u8], decimal: DecimalSeparator) -> Option<f64> {
    let text = text.trim_ascii();
    let parsed =
        plain_number(text, decimal).or_else(|| plain_number(&without_currency(text)?, decimal))?;
    parsed.is_finite().then_some(parsed)
}

fn plain_number(text: &[u8], decimal: DecimalSeparator) -> Option<f64> {
    let (point, grouping) = decimal.characters();
    let (whole, fraction) = match text.iter().position(|&b| b == point) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mut plain = Vec::with_capacity(text.len());
    if whole.contains(&grouping) {
        let (sign, digits) = match whole {
            [sign @ (b'-' | b'+'), digits @ ..] => (Some(*sign), digits),
            _ => (None, whole),
        };
        let mut groups = digits.split(|&b| b == grouping);
        let lead = groups.next()?;
        let digits_only = |group: &[u8]| group.iter().all(u8::is_ascii_digit);
        if lead.is_empty() || lead.len() > 3 || !digits_only(lead) {
            return None;
        }
        plain.extend(sign);
        plain.extend_from_slice(lead);
        for group in groups {
            if group.len() != 3 || !digits_only(group) {
                return None;
            }
            plain.extend_from_slice(group);
        }
    } else {
        plain.extend_from_slice(whole);
    }
    if let Some(fraction) = fraction {
        plain.push(b'.');
        plain.extend_from_slice(fraction);
    }
    // f64's parser also takes "inf" and "NaN"; only digits, signs, a point and an exponent
    // are numbers here.
    if !plain
        .iter()
        .all(|&b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    std::str::from_utf8(&plain).ok()?.parse::<f64>().ok()
}

/// Currency symbols in UTF-8, then in Windows-1252 (a lone byte that is invalid UTF-8, so the
/// two forms never match the same text): £, $, €, ¥.
const CURRENCY_SYMBOLS: [&[u8]; 7] = [
    "£".as_bytes(),
    b"$",
    "€".as_bytes(),
    "¥".as_bytes(),
    b"\xA3",
    b"\x80",
    b"\xA5",
];

/// The number with a leading or trailing currency symbol (and the space after or before it)
/// removed, the sign kept; `None` when there is no symbol.
fn without_currency(text: &[u8]) -> Option<Vec<u8>> {
    let (sign, body) = match text {
        [sign @ (b'-' | b'+'), body @ ..] => (Some(*sign), body.trim_ascii_start()),
        _ => (None, text),
    };
    let number = CURRENCY_SYMBOLS.iter().find_map(|symbol| {
        body.strip_prefix(*symbol)
            .or_else(|| body.strip_suffix(*symbol))
    })?;
    Some(
        sign.into_iter()
            .chain(number.trim_ascii().iter().copied())
            .collect(),
    )
}

/// Where a value was read, and its text, for the report.
pub type Sighting = (String, String);

/// The decimal separator of each number column, decided from the rows read ahead.
pub struct NumberColumns {
    /// Per header column; only the number columns' entries are used.
    separators: Vec<DecimalSeparator>,
    reports: Vec<(usize, NumberFormatReport)>,
}

impl NumberColumns {
    /// Decides each of `columns` (positions in `names`) from its values in `rows` (each with
    /// where it was read); `delimiter` picks the separator assumed when they cannot tell.
    pub fn decide<'r>(
        names: &[String],
        columns: &[usize],
        rows: impl Iterator<Item = (&'r csv::ByteRecord, String)> + Clone,
        delimiter: u8,
    ) -> Self {
        let default = DecimalSeparator::default_for(delimiter);
        let mut separators = vec![default; names.len()];
        let mut reports = Vec::new();
        for &column in columns {
            let mut first: [Option<Sighting>; 2] = [None, None];
            let mut either: Option<Sighting> = None;
            let mut counts = [0usize; 2];
            for (record, at) in rows.clone() {
                let Some(text) = record.get(column) else {
                    continue;
                };
                let sighting = || {
                    (
                        at.clone(),
                        String::from_utf8_lossy(text.trim_ascii()).into(),
                    )
                };
                match evidence(text) {
                    Evidence::None => {}
                    Evidence::Either => {
                        either.get_or_insert_with(sighting);
                    }
                    Evidence::Decides(separator) => {
                        let slot = separator as usize;
                        counts[slot] += 1;
                        first[slot].get_or_insert_with(sighting);
                    }
                }
            }
            let name = |separator| match separator {
                DecimalSeparator::Dot => "decimal point",
                DecimalSeparator::Comma => "decimal comma",
            };
            let (decimal, ambiguous, evidence) = match (&first, &either) {
                ([Some((at, value)), None], _) | ([None, Some((at, value))], _) => {
                    let decimal = if first[0].is_some() {
                        DecimalSeparator::Dot
                    } else {
                        DecimalSeparator::Comma
                    };
                    let reason = format!("{at}: \"{value}\" has a {}", name(decimal));
                    (decimal, false, Some(reason))
                }
                ([Some((dot_at, dot)), Some((comma_at, comma))], _) => {
                    let decimal = if counts[1] > counts[0] {
                        DecimalSeparator::Comma
                    } else {
                        DecimalSeparator::Dot
                    };
                    let reason = format!(
                        "mixed: {dot_at} has \"{dot}\" ({}), {comma_at} \"{comma}\" ({}); the \
                         more frequent ({}) is used",
                        name(DecimalSeparator::Dot),
                        name(DecimalSeparator::Comma),
                        name(decimal)
                    );
                    (decimal, true, Some(reason))
                }
                ([None, None], Some((at, value))) => {
                    let reason = format!(
                        "{at}: \"{value}\" could be either; no value in the first rows tells, \
                         so the delimiter's usual {} is assumed",
                        name(default)
                    );
                    (default, true, Some(reason))
                }
                ([None, None], None) => (default, false, None),
            };
            separators[column] = decimal;
            reports.push((
                column,
                NumberFormatReport {
                    column: names[column].clone(),
                    decimal,
                    ambiguous,
                    evidence,
                    contradicted: None,
                },
            ));
        }
        NumberColumns {
            separators,
            reports,
        }
    }

    /// A number-column value under the column's separator. A value that only reads with the
    /// other separator is `None` and, the first time, noted in the column's report.
    pub fn parse(&mut self, column: usize, text: &[u8], at: &dyn Fn() -> String) -> Option<f64> {
        let decimal = self.separators[column];
        let parsed = parse_number(text, decimal);
        if parsed.is_none()
            && evidence(text) == Evidence::Decides(decimal.other())
            && let Some((_, report)) = self.reports.iter_mut().find(|(c, _)| *c == column)
            && report.contradicted.is_none()
        {
            let value = String::from_utf8_lossy(text.trim_ascii());
            report.contradicted = Some(format!("{}: \"{value}\"", at()));
        }
        parsed
    }

    pub fn into_reports(self) -> Vec<NumberFormatReport> {
        self.reports.into_iter().map(|(_, report)| report).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecimalSeparator::{Comma, Dot};

    #[test]
    fn numbers_read_with_the_columns_separator() {
        assert_eq!(parse_number(b"2.55", Dot), Some(2.55));
        assert_eq!(parse_number(b"2,55", Comma), Some(2.55));
        assert_eq!(parse_number(b"2,55", Dot), None);
        assert_eq!(parse_number(b"2.55", Comma), None);
        assert_eq!(parse_number(b"1,200", Dot), Some(1200.0));
        assert_eq!(parse_number(b"1.200", Comma), Some(1200.0));
        assert_eq!(parse_number(b"1,200", Comma), Some(1.2));
        assert_eq!(parse_number(b"-1,234,567.5", Dot), Some(-1_234_567.5));
        assert_eq!(parse_number(b"1.234.567,5", Comma), Some(1_234_567.5));
        assert_eq!(parse_number(b"1,000.5", Comma), None);
        assert_eq!(parse_number(b"12,34.5", Dot), None);
        assert_eq!(parse_number(b"1e200", Dot), Some(1e200));
        assert_eq!(parse_number(b"1e400", Dot), None);
        for text in ["inf", "NaN", "infinity", "abc", ""] {
            assert_eq!(parse_number(text.as_bytes(), Dot), None, "{text}");
        }
    }

    #[test]
    fn each_value_tells_what_it_can() {
        for (text, expected) in [
            ("12", Evidence::None),
            ("1e5", Evidence::None),
            ("2.55", Evidence::Decides(Dot)),
            ("2,5", Evidence::Decides(Comma)),
            ("0,500", Evidence::Decides(Comma)),
            ("1234.567", Evidence::Decides(Dot)),
            ("1,200", Evidence::Either),
            ("£1.200", Evidence::Either),
            ("1,200.50", Evidence::Decides(Dot)),
            ("1.200,50", Evidence::Decides(Comma)),
            ("1,200,000", Evidence::Decides(Dot)),
            ("1.200.000", Evidence::Decides(Comma)),
        ] {
            assert_eq!(evidence(text.as_bytes()), expected, "{text}");
        }
    }

    #[test]
    fn currency_symbols_before_or_after_are_stripped_in_utf8_and_windows_1252() {
        for (text, value) in [
            ("£2.55", 2.55),
            ("$ 3", 3.0),
            ("2.55 €", 2.55),
            ("¥300", 300.0),
            ("-£1.50", -1.5),
            ("- $1.50", -1.5),
            ("£-1.50", -1.5),
            ("$1,200.50", 1200.5),
        ] {
            assert_eq!(parse_number(text.as_bytes(), Dot), Some(value), "{text}");
        }
        assert_eq!(parse_number("2,55 €".as_bytes(), Comma), Some(2.55));
        assert_eq!(parse_number(b"\xA32.55", Dot), Some(2.55));
        assert_eq!(parse_number(b"2.55\x80", Dot), Some(2.55));
        assert_eq!(parse_number("£".as_bytes(), Dot), None);
        assert_eq!(parse_number("2£5".as_bytes(), Dot), None);
        assert_eq!(parse_number("££5".as_bytes(), Dot), None);
    }
}
