//! Element text to extracted values: trimmed strings, exact decimals, dates.

use std::str::FromStr;

use chrono::NaiveDate;
use doxin_model::{Decimal, Extracted, Field};

use super::tree::El;

/// The trimmed text of an element; `raw_text` keeps the untrimmed text when they differ.
pub fn text(el: Option<El<'_>>) -> Field<String> {
    let el = el?;
    let t = el.text()?;
    let e = Extracted::xml(t.to_string());
    Some(if t.len() == el.raw_text().len() {
        e
    } else {
        e.with_raw(el.raw_text())
    })
}

/// The trimmed value of an attribute.
pub fn attr(el: Option<El<'_>>, name: &str) -> Field<String> {
    let raw = el?.attr(name)?;
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    let e = Extracted::xml(t.to_string());
    Some(if t.len() == raw.len() {
        e
    } else {
        e.with_raw(raw)
    })
}

/// An amount, quantity or percentage: the exact decimal of the text (scale kept, so
/// `20.0000` stays `20.0000`), with the text as `raw_text`. Text that is no decimal is
/// dropped (and logged): the model cannot hold it, and guessing is worse than absence.
pub fn decimal(el: Option<El<'_>>) -> Field<Decimal> {
    let el = el?;
    let t = el.text()?;
    match parse_decimal(t) {
        Some(d) => Some(Extracted::xml(d).with_raw(el.raw_text())),
        None => {
            tracing::debug!(element = el.name(), text = t, "not a decimal");
            None
        }
    }
}

fn parse_decimal(t: &str) -> Option<Decimal> {
    let t = t.strip_prefix('+').unwrap_or(t);
    Decimal::from_str(t)
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

/// A UBL date (`xs:date`, `YYYY-MM-DD`, optionally with a time zone).
pub fn iso_date(el: Option<El<'_>>) -> Field<NaiveDate> {
    let el = el?;
    let t = el.text()?;
    let d = parse_iso_date(t)?;
    Some(Extracted::xml(d).with_raw(el.raw_text()))
}

fn parse_iso_date(t: &str) -> Option<NaiveDate> {
    let head = t.get(..10)?;
    let d = NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
    let tail = &t[10..];
    // Allowed after the date: a time zone (`Z`, `+01:00`) or a time (`T12:00:00`).
    let ok = tail.is_empty()
        || tail == "Z"
        || tail.starts_with('+')
        || tail.starts_with('-')
        || tail.starts_with('T');
    ok.then_some(d)
}

/// A CII `DateTimeString` element: format 102 (`YYYYMMDD`, the only one EN 16931 allows),
/// 610 (`YYYYMM`, the first of the month) or 616 (`YYYYWW`, the Monday of the ISO week);
/// without a format, 102 or ISO. `raw_text` keeps the text as written.
pub fn cii_date(el: Option<El<'_>>) -> Field<NaiveDate> {
    let el = el?;
    let t = el.text()?;
    let d = match el.attr("format").map(str::trim) {
        Some("102") => parse_102(t),
        Some("610") => t
            .get(..6)
            .and_then(|ym| NaiveDate::parse_from_str(&format!("{ym}01"), "%Y%m%d").ok()),
        Some("616") => {
            let (y, w) = (
                t.get(..4)?.parse::<i32>().ok()?,
                t.get(4..6)?.parse::<u32>().ok()?,
            );
            NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon)
        }
        _ => parse_102(t).or_else(|| parse_iso_date(t)),
    }?;
    Some(Extracted::xml(d).with_raw(el.raw_text()))
}

fn parse_102(t: &str) -> Option<NaiveDate> {
    if t.len() != 8 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(t, "%Y%m%d").ok()
}

/// Whether an account identifier has the shape of an IBAN (country, check digits, BBAN);
/// the checksum is validation's business, not the parser's.
pub fn looks_like_iban(id: &str) -> bool {
    let compact: Vec<u8> = id.bytes().filter(|b| *b != b' ').collect();
    (15..=34).contains(&compact.len())
        && compact[..2].iter().all(u8::is_ascii_alphabetic)
        && compact[2..4].iter().all(u8::is_ascii_digit)
        && compact[4..].iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale() {
        assert_eq!(parse_decimal("20.0000").unwrap().to_string(), "20.0000");
        assert_eq!(parse_decimal("-7.67").unwrap().to_string(), "-7.67");
        assert_eq!(parse_decimal("+5").unwrap().to_string(), "5");
        assert_eq!(parse_decimal("1e3").unwrap(), Decimal::from(1000));
        assert!(parse_decimal("12,50").is_none());
    }

    #[test]
    fn iso_dates_with_zone() {
        assert_eq!(
            parse_iso_date("2019-05-15+01:00"),
            NaiveDate::from_ymd_opt(2019, 5, 15)
        );
        assert_eq!(parse_iso_date("2019-5-15"), None);
        assert_eq!(parse_102("20130305"), NaiveDate::from_ymd_opt(2013, 3, 5));
        assert_eq!(parse_102("2013035"), None);
    }
}
