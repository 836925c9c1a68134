//! Cell values as both file kinds deliver them (typed XLSX cells, CSV text), and their
//! conversion to identifiers, text, decimals and dates, each with a message a person can act
//! on when it fails.

use std::str::FromStr;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A spreadsheet date: days since 1899-12-30 (the 1900 date system).
    Date(f64),
    /// A cell error such as `#N/A`.
    Error(String),
}

impl Cell {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// How the cell looks, for messages.
    fn shown(&self) -> String {
        match self {
            Cell::Empty => "an empty cell".into(),
            Cell::Text(t) => format!("{:?}", t.chars().take(40).collect::<String>()),
            Cell::Number(n) | Cell::Date(n) => n.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Error(e) => e.clone(),
        }
    }

    /// Trimmed text of any non-empty cell (numbers as written: `12`, not `12.0`).
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Cell::Empty | Cell::Error(_) => None,
            Cell::Text(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
            Cell::Number(n) | Cell::Date(n) => Some(number_text(*n)),
            Cell::Bool(b) => Some(b.to_string()),
        }
    }

    /// An identifier: text or a whole number.
    pub(crate) fn id(&self) -> Result<Option<String>, String> {
        match self {
            Cell::Number(n) if n.fract() != 0.0 => {
                Err(format!("{} is not an identifier", self.shown()))
            }
            Cell::Error(e) => Err(format!("the cell holds the error {e}")),
            _ => Ok(self.text()),
        }
    }

    pub(crate) fn decimal(&self) -> Result<Option<Decimal>, String> {
        match self {
            Cell::Empty => Ok(None),
            Cell::Number(n) if n.is_finite() => parse_decimal(&number_text(*n))
                .map(Some)
                .ok_or_else(|| format!("{} is out of range", self.shown())),
            Cell::Text(t) if t.trim().is_empty() => Ok(None),
            Cell::Text(t) => parse_decimal(t)
                .map(Some)
                .ok_or_else(|| format!("{} is not a number", self.shown())),
            _ => Err(format!("{} is not a number", self.shown())),
        }
    }

    pub(crate) fn date(&self) -> Result<Option<NaiveDate>, String> {
        match self {
            Cell::Empty => Ok(None),
            Cell::Date(n) | Cell::Number(n) => serial_date(*n)
                .map(Some)
                .ok_or_else(|| format!("{} is not a date", self.shown())),
            Cell::Text(t) if t.trim().is_empty() => Ok(None),
            Cell::Text(t) => parse_date(t)
                .map(Some)
                .ok_or_else(|| format!("{} is not a date (use YYYY-MM-DD)", self.shown())),
            _ => Err(format!("{} is not a date", self.shown())),
        }
    }
}

/// A number as a person would write it: no `.0` on whole numbers, no exponent.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A decimal from text: `1234.5`, `1,234.50`, `-3`, `(3.00)` is not accepted (ambiguous).
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim().replace([',', '_', ' '], "");
    if t.is_empty() {
        return None;
    }
    Decimal::from_str(&t)
        .or_else(|_| Decimal::from_scientific(&t))
        .ok()
}

/// A date from text in the formats spreadsheets and exports write.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    // An ISO date-time: the date part.
    let t = t.split(['T', ' ']).next().unwrap_or(t);
    ["%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
}

/// The date of a spreadsheet serial number (1900 system), for serials of real dates
/// (1900-03-01 to 9999-12-31).
pub(crate) fn serial_date(serial: f64) -> Option<NaiveDate> {
    if !(61.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(serial.floor() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_whole_numbers_or_text() {
        assert_eq!(Cell::Number(43659.0).id(), Ok(Some("43659".into())));
        assert_eq!(Cell::Text(" SO-1 ".into()).id(), Ok(Some("SO-1".into())));
        assert!(Cell::Number(1.5).id().is_err());
        assert_eq!(Cell::Empty.id(), Ok(None));
    }

    #[test]
    fn decimals_keep_what_was_written() {
        assert_eq!(
            Cell::Number(3578.27).decimal(),
            Ok(Some(Decimal::new(357827, 2)))
        );
        assert_eq!(
            Cell::Text("1,234.50".into()).decimal(),
            Ok(Some(Decimal::new(123450, 2)))
        );
        assert!(Cell::Text("twelve".into()).decimal().is_err());
    }

    #[test]
    fn dates_from_serials_and_text() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 15);
        assert_eq!(Cell::Date(45366.0).date(), Ok(d));
        assert_eq!(Cell::Text("2024-03-15".into()).date(), Ok(d));
        assert_eq!(Cell::Text("2024-03-15T00:00:00".into()).date(), Ok(d));
        assert_eq!(Cell::Text("15.03.2024".into()).date(), Ok(d));
        assert!(Cell::Text("2024-13-45".into()).date().is_err());
        assert!(Cell::Number(-4.0).date().is_err());
    }
}
