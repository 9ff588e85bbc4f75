//! Cell values as a spreadsheet shows them. The number formats people use
//! are understood (decimals, thousands, percentages, currency and other
//! literal text, a section of their own for negatives) and date and time
//! formats; anything else is shown as the General format shows it.

use calamine::{Data, ExcelDateTime};

pub(crate) fn display(value: &Data, format: Option<&str>) -> String {
    let format = format.filter(|format| !format.eq_ignore_ascii_case("general") && *format != "@");
    match value {
        Data::Empty => String::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Bool(true) => "TRUE".into(),
        Data::Bool(false) => "FALSE".into(),
        Data::Error(error) => error.to_string(),
        Data::Int(number) => self::number(*number as f64, format),
        Data::Float(number) => self::number(*number, format),
        Data::DateTime(moment) => date(moment, format),
    }
}

fn number(value: f64, format: Option<&str>) -> String {
    let Some(format) = format else { return general(value) };
    let sections = sections(format);
    // A negatives' section shows the sign its own way, e.g. in brackets.
    let (section, value, sign) = match sections.get(1) {
        Some(negative) if value < 0.0 => (*negative, -value, ""),
        _ => (sections[0], value.abs(), if value < 0.0 { "-" } else { "" }),
    };
    match Pattern::parse(section) {
        Some(pattern) => pattern.apply(value, sign),
        None => general(if sign.is_empty() { value } else { -value }),
    }
}

/// About ten significant digits, as Excel's General format shows.
fn general(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude == 0.0 {
        return "0".into();
    }
    if !(1e-9..1e11).contains(&magnitude) {
        let scientific = format!("{value:.5E}");
        let (mantissa, exponent) = scientific.split_once('E').unwrap_or((&scientific, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        let exponent: i32 = exponent.parse().unwrap_or(0);
        return format!("{mantissa}E{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.abs());
    }
    let integer_digits = magnitude.log10().floor() as i32 + 1;
    let decimals = (10 - integer_digits.max(1)).clamp(0, 10) as usize;
    let shown = format!("{value:.decimals$}");
    if shown.contains('.') {
        shown.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        shown
    }
}

/// A format's sections, split at `;` outside quotes and escapes.
fn sections(format: &str) -> Vec<&str> {
    let mut sections = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in format.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                sections.push(&format[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    sections.push(&format[start..]);
    sections
}

/// A number format's section, as far as a preview needs it.
#[derive(Debug, Default)]
struct Pattern {
    prefix: String,
    suffix: String,
    /// Digits shown before the point even when zero.
    integer_zeros: usize,
    /// Decimals always shown, and at most.
    decimals: (usize, usize),
    thousands: bool,
    percent: bool,
}

impl Pattern {
    /// `None` for what it does not understand: dates, scientific notation,
    /// fractions.
    fn parse(section: &str) -> Option<Self> {
        let mut pattern = Self::default();
        let (mut digits, mut after_point) = (false, false);
        let mut chars = section.chars().peekable();
        while let Some(c) = chars.next() {
            let literal = match c {
                '"' => chars.by_ref().take_while(|&c| c != '"').collect(),
                '\\' => chars.next().map(String::from).unwrap_or_default(),
                // Padding and fill characters: nothing in a preview.
                '_' | '*' => {
                    chars.next();
                    continue;
                }
                // `[$€-407]` is a currency; colours and conditions are not text.
                '[' => {
                    let inside: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    match inside.strip_prefix('$') {
                        Some(currency) => currency.split('-').next().unwrap_or_default().to_owned(),
                        None => continue,
                    }
                }
                '0' | '#' | '?' => {
                    match (after_point, c) {
                        (true, '0') => {
                            pattern.decimals = (pattern.decimals.0 + 1, pattern.decimals.1 + 1)
                        }
                        (true, _) => pattern.decimals.1 += 1,
                        (false, '0') => pattern.integer_zeros += 1,
                        (false, _) => {}
                    }
                    digits = true;
                    continue;
                }
                '.' if !after_point => {
                    (digits, after_point) = (true, true);
                    continue;
                }
                ',' if digits && !after_point => {
                    pattern.thousands = true;
                    continue;
                }
                '%' => {
                    pattern.percent = true;
                    "%".into()
                }
                '/' | 'E' | 'e' => return None,
                c if "yYmMdDhHsS".contains(c) => return None,
                c => c.into(),
            };
            (if digits { &mut pattern.suffix } else { &mut pattern.prefix }).push_str(&literal);
        }
        digits.then_some(pattern)
    }

    fn apply(&self, value: f64, sign: &str) -> String {
        let value = if self.percent { value * 100.0 } else { value };
        let (least, most) = self.decimals;
        let rounded = format!("{value:.most$}");
        let (integer, fraction) = rounded.split_once('.').unwrap_or((&rounded, ""));
        let mut fraction = fraction.to_owned();
        while fraction.len() > least && fraction.ends_with('0') {
            fraction.pop();
        }
        let integer = integer.trim_start_matches('0');
        let mut integer = format!("{integer:0>width$}", width = self.integer_zeros);
        if self.thousands {
            integer = grouped(&integer);
        }
        // No minus on what rounds to zero.
        let sign = if integer.trim_start_matches('0').is_empty()
            && fraction.trim_matches('0').is_empty()
        {
            ""
        } else {
            sign
        };
        let point = if fraction.is_empty() { "" } else { "." };
        format!("{sign}{}{integer}{point}{fraction}{}", self.prefix, self.suffix)
    }
}

/// `1234567` as `1,234,567`.
fn grouped(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A date, time or duration; with no format, in ISO 8601.
fn date(moment: &ExcelDateTime, format: Option<&str>) -> String {
    let (year, month, day, hour, minute, second, _) = moment.to_ymd_hms_milli();
    if moment.is_duration() {
        let seconds = (moment.as_f64() * 86_400.0).round() as i64;
        let (hours, rest) = (seconds / 3600, seconds.rem_euclid(3600));
        return format!("{hours}:{:02}:{:02}", rest / 60, rest % 60);
    }
    let Some(format) = format else {
        return match (hour, minute, second) {
            (0, 0, 0) => format!("{year:04}-{month:02}-{day:02}"),
            _ => format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"),
        };
    };
    let parts = DatePart::parse(sections(format)[0]);
    let twelve_hours = parts.iter().any(|part| matches!(part, DatePart::AmPm(_)));
    let mut out = String::new();
    for part in &parts {
        match *part {
            DatePart::Literal(ref text) => out.push_str(text),
            DatePart::Year(n) if n <= 2 => out.push_str(&format!("{:02}", year % 100)),
            DatePart::Year(_) => out.push_str(&format!("{year:04}")),
            DatePart::Month(1) => out.push_str(&month.to_string()),
            DatePart::Month(2) => out.push_str(&format!("{month:02}")),
            DatePart::Month(3) => out.push_str(&MONTHS[usize::from(month - 1)][..3]),
            DatePart::Month(5) => out.push_str(&MONTHS[usize::from(month - 1)][..1]),
            DatePart::Month(_) => out.push_str(MONTHS[usize::from(month - 1)]),
            DatePart::Day(1) => out.push_str(&day.to_string()),
            DatePart::Day(2) => out.push_str(&format!("{day:02}")),
            DatePart::Day(3) => out.push_str(&DAYS[weekday(year, month, day)][..3]),
            DatePart::Day(_) => out.push_str(DAYS[weekday(year, month, day)]),
            DatePart::Hour(n) => {
                let hour = if twelve_hours { (hour + 11) % 12 + 1 } else { hour };
                out.push_str(&if n == 1 { hour.to_string() } else { format!("{hour:02}") });
            }
            DatePart::Minute(n) => {
                out.push_str(&if n == 1 { minute.to_string() } else { format!("{minute:02}") });
            }
            DatePart::Second(n) => {
                out.push_str(&if n == 1 { second.to_string() } else { format!("{second:02}") });
            }
            DatePart::AmPm(short) => out.push_str(match (hour < 12, short) {
                (true, false) => "AM",
                (false, false) => "PM",
                (true, true) => "A",
                (false, true) => "P",
            }),
        }
    }
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] =
    ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// 0 for Sunday (Sakamoto's method).
fn weekday(year: u16, month: u8, day: u8) -> usize {
    const OFFSETS: [usize; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let year = usize::from(year) - usize::from(month < 3);
    (year + year / 4 - year / 100 + year / 400 + OFFSETS[usize::from(month - 1)] + usize::from(day))
        % 7
}

/// A piece of a date format; the numbers count the letters.
#[derive(Debug, PartialEq)]
enum DatePart {
    Literal(String),
    Year(usize),
    Month(usize),
    Day(usize),
    Hour(usize),
    Minute(usize),
    Second(usize),
    /// `AM/PM`, or `A/P` when short.
    AmPm(bool),
}

impl DatePart {
    fn parse(section: &str) -> Vec<Self> {
        let mut parts = Vec::new();
        let mut chars = section.chars().peekable();
        while let Some(c) = chars.next() {
            let lower = c.to_ascii_lowercase();
            let part = match lower {
                '"' => Self::Literal(chars.by_ref().take_while(|&c| c != '"').collect()),
                '\\' => Self::Literal(chars.next().map(String::from).unwrap_or_default()),
                '_' | '*' => {
                    chars.next();
                    continue;
                }
                // `[h]` (elapsed hours) shows as hours; colours are not text.
                '[' => {
                    let inside: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    match inside.to_ascii_lowercase().chars().next() {
                        Some('h') => Self::Hour(inside.len()),
                        _ => continue,
                    }
                }
                'a' if section_rest(&mut chars, "m/pm") => Self::AmPm(false),
                'a' if section_rest(&mut chars, "/p") => Self::AmPm(true),
                'y' | 'm' | 'd' | 'h' | 's' => {
                    let mut count = 1;
                    while chars.next_if(|next| next.to_ascii_lowercase() == lower).is_some() {
                        count += 1;
                    }
                    match lower {
                        'y' => Self::Year(count),
                        'm' => Self::Month(count),
                        'd' => Self::Day(count),
                        'h' => Self::Hour(count),
                        _ => Self::Second(count),
                    }
                }
                _ => Self::Literal(c.into()),
            };
            parts.push(part);
        }
        // `m` is minutes after hours or before seconds.
        let fields: Vec<usize> =
            (0..parts.len()).filter(|&i| !matches!(parts[i], Self::Literal(_))).collect();
        for (at, &i) in fields.iter().enumerate() {
            if let Self::Month(count) = parts[i] {
                let after_hours = at > 0 && matches!(parts[fields[at - 1]], Self::Hour(_));
                let before_seconds =
                    fields.get(at + 1).is_some_and(|&next| matches!(parts[next], Self::Second(_)));
                if after_hours || before_seconds {
                    parts[i] = Self::Minute(count);
                }
            }
        }
        parts
    }
}

/// Whether the characters go on with `rest` (any case); if so, takes them.
fn section_rest(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, rest: &str) -> bool {
    let ahead: String = chars.clone().take(rest.len()).collect();
    if ahead.eq_ignore_ascii_case(rest) {
        chars.nth(rest.len() - 1);
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use calamine::ExcelDateTimeType;

    use super::*;

    fn shown(value: f64, format: &str) -> String {
        display(&Data::Float(value), Some(format))
    }

    #[test]
    fn number_formats_show_as_a_spreadsheet_shows_them() {
        for (value, format, expected) in [
            (1234.5, "$#,##0.00", "$1,234.50"),
            (-1234.5, "$#,##0.00", "-$1,234.50"),
            (1234567.0, "$#,##0", "$1,234,567"),
            (0.4, "#,##0", "0"),
            (0.125, "0.00%", "12.50%"),
            (0.5, "0%", "50%"),
            (4.96, "0.0", "5.0"),
            (1234.5, "#,##0.###", "1,234.5"),
            (7.0, "0", "7"),
            (-42.0, "#,##0.00;(#,##0.00)", "(42.00)"),
            (42.0, "#,##0.00;(#,##0.00)", "42.00"),
            (9.99, "[$€-407] #,##0.00", "€ 9.99"),
            (5.0, r#"0 "units""#, "5 units"),
            (5.0, "0_);[Red](0)", "5"),
            (-5.0, "0_);[Red](0)", "(5)"),
            (-0.001, "0.00", "0.00"),
            (0.5, "# ?/?", "0.5"),
        ] {
            assert_eq!(shown(value, format), expected, "{value} as {format}");
        }
    }

    #[test]
    fn general_shows_about_ten_digits() {
        for (value, expected) in [
            (0.0, "0"),
            (42.0, "42"),
            (0.1 + 0.2, "0.3"),
            (-2.5, "-2.5"),
            (1.0 / 3.0, "0.333333333"),
            (123456789012.0, "1.23457E+11"),
            (0.000_000_000_12, "1.2E-10"),
        ] {
            assert_eq!(display(&Data::Float(value), None), expected);
            assert_eq!(shown(value, "General"), expected);
        }
        assert_eq!(display(&Data::Int(-17), None), "-17");
        assert_eq!(display(&Data::Bool(true), Some("0.00")), "TRUE");
        assert_eq!(display(&Data::String("00123".into()), Some("0")), "00123");
    }

    #[test]
    fn dates_and_times_follow_their_format() {
        // 2026-03-31 14:05:09, a Tuesday.
        let moment = ExcelDateTime::new(
            46112.0 + (14.0 * 3600.0 + 5.0 * 60.0 + 9.0) / 86400.0,
            ExcelDateTimeType::DateTime,
            false,
        );
        let at = |format: Option<&str>| display(&Data::DateTime(moment), format);
        assert_eq!(at(None), "2026-03-31 14:05:09");
        assert_eq!(at(Some("yyyy-mm-dd")), "2026-03-31");
        assert_eq!(at(Some("mmm yyyy")), "Mar 2026");
        assert_eq!(at(Some("mmmm d, yyyy")), "March 31, 2026");
        assert_eq!(at(Some("dddd dd/mm/yy")), "Tuesday 31/03/26");
        assert_eq!(at(Some("hh:mm")), "14:05");
        assert_eq!(at(Some("h:mm:ss AM/PM")), "2:05:09 PM");
        assert_eq!(at(Some("mm:ss")), "05:09");
        assert_eq!(at(Some(r#"d "of" mmm"#)), "31 of Mar");
        let span = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(display(&Data::DateTime(span), Some("[h]:mm:ss")), "36:00:00");
    }
}
