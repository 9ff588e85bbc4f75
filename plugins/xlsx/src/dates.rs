//! Dates and times as Excel stores them: serial day numbers in the 1900 date
//! system, where 1900-01-01 is day 1 and the fictitious 1900-02-29 is day 60.

/// A calendar date with an optional time of day, as written in a spec.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Moment {
    pub(crate) year: u16,
    pub(crate) month: u8,
    pub(crate) day: u8,
    pub(crate) hour: u8,
    pub(crate) minute: u8,
    pub(crate) second: f64,
}

impl Moment {
    /// Excel's serial number for this moment.
    pub(crate) fn serial(&self) -> f64 {
        let days = days_from_civil(i64::from(self.year), self.month, self.day)
            - days_from_civil(1899, 12, 31);
        // Excel counts 1900 as a leap year.
        let days = if days >= 60 { days + 1 } else { days };
        days as f64 + time_fraction(self.hour, self.minute, self.second)
    }
}

fn time_fraction(hour: u8, minute: u8, second: f64) -> f64 {
    (f64::from(hour) * 3600.0 + f64::from(minute) * 60.0 + second) / 86_400.0
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

fn number<T: std::str::FromStr>(text: &str, width: usize) -> Option<T> {
    (text.len() == width && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Parses `YYYY-MM-DD` (years 1900 to 9999, Excel's range).
pub(crate) fn parse_date(text: &str) -> Result<Moment, String> {
    let err = || {
        format!("`{text}` is not a date of the form YYYY-MM-DD between 1900-01-01 and 9999-12-31")
    };
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(err());
    };
    let (year, month, day): (u16, u8, u8) = (
        number(y, 4).ok_or_else(err)?,
        number(m, 2).ok_or_else(err)?,
        number(d, 2).ok_or_else(err)?,
    );
    if !(1900..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
    {
        return Err(err());
    }
    Ok(Moment { year, month, day, hour: 0, minute: 0, second: 0.0 })
}

/// Parses `HH:MM` or `HH:MM:SS` (seconds may have a fraction).
pub(crate) fn parse_time(text: &str) -> Result<(u8, u8, f64), String> {
    let err =
        || format!("`{text}` is not a time of the form HH:MM or HH:MM:SS (00:00 to 23:59:59)");
    let mut parts = text.split(':');
    let (Some(h), Some(m), s, None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(err());
    };
    let hour: u8 = number(h, 2).ok_or_else(err)?;
    let minute: u8 = number(m, 2).ok_or_else(err)?;
    let second: f64 = match s {
        None => 0.0,
        Some(s) => {
            let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
            number::<u8>(whole, 2).ok_or_else(err)?;
            if !frac.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && frac.is_empty()) {
                return Err(err());
            }
            s.parse::<f64>().map_err(|_| err())?
        }
    };
    if hour > 23 || minute > 59 || second >= 60.0 {
        return Err(err());
    }
    Ok((hour, minute, second))
}

/// Parses `YYYY-MM-DDTHH:MM[:SS]` (a space may replace `T`; a trailing `Z`
/// is allowed and ignored, as Excel has no time zones).
pub(crate) fn parse_datetime(text: &str) -> Result<Moment, String> {
    let err = || {
        format!("`{text}` is not a date-time of the form YYYY-MM-DDTHH:MM:SS between 1900 and 9999")
    };
    let body = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = body.split_once(['T', ' ']).ok_or_else(err)?;
    let mut moment = parse_date(date).map_err(|_| err())?;
    let (hour, minute, second) = parse_time(time).map_err(|_| err())?;
    moment.hour = hour;
    moment.minute = minute;
    moment.second = second;
    Ok(moment)
}

/// A date or a date-time, for document properties.
pub(crate) fn parse_date_or_datetime(text: &str) -> Result<Moment, String> {
    if text.len() == 10 { parse_date(text) } else { parse_datetime(text) }
}

/// Serial number of a time of day (a fraction of one day).
pub(crate) fn time_serial(hour: u8, minute: u8, second: f64) -> f64 {
    time_fraction(hour, minute, second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_match_excel_including_the_1900_leap_bug() {
        let serial = |t: &str| parse_date(t).unwrap().serial();
        assert_eq!(serial("1900-01-01"), 1.0);
        assert_eq!(serial("1900-02-28"), 59.0);
        assert_eq!(serial("1900-03-01"), 61.0);
        assert_eq!(serial("2000-01-01"), 36_526.0);
        assert_eq!(serial("2026-01-31"), 46_053.0);
        assert_eq!(serial("9999-12-31"), 2_958_465.0);
    }

    #[test]
    fn datetimes_add_the_time_of_day() {
        let m = parse_datetime("2000-01-01T12:00:00Z").unwrap();
        assert_eq!(m.serial(), 36_526.5);
        assert_eq!(parse_datetime("2000-01-01 06:00").unwrap().serial(), 36_526.25);
        assert_eq!(time_serial(18, 0, 0.0), 0.75);
    }

    #[test]
    fn impossible_dates_and_times_are_refused() {
        for bad in ["2026-02-29", "1899-12-31", "2026-1-5", "2026-13-01", "20260101", "2026-01-01x"]
        {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        for bad in ["24:00", "12:60", "12", "1:30", "12:30:60", "12:30:5."] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert!(parse_time("12:30:05.5").is_ok());
        assert!(parse_datetime("2026-01-31").is_err());
        assert!(parse_datetime("2026-01-31T10:00+02:00").is_err());
    }
}
