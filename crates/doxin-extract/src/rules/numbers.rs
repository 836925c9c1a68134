//! Amounts as invoices print them: `1,234.56`, `1.234,56`, `1 234,56`, `1'234.56`, with or
//! without currency signs, negative as `-12.00`, `12.00-` or `(12.00)`, whole as `34 782,-`. Which mark is the
//! decimal separator is decided by evidence from the whole document, since `1.234` alone is
//! ambiguous.

use std::str::FromStr;

use rust_decimal::Decimal;

/// The decimal separator a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMark {
    Point,
    Comma,
}

impl DecimalMark {
    /// The character itself.
    pub fn char(self) -> char {
        match self {
            DecimalMark::Point => '.',
            DecimalMark::Comma => ',',
        }
    }
}

/// Currency symbols that may be written against the number ("$10,375", "1.200 €").
pub const CURRENCY_SYMBOLS: &[char] = &['$', '€', '£', '₹'];

/// Whether a word is a whole number with its currency symbol joined ("$3,500", "€25").
pub fn symbol_joined(word: &str) -> bool {
    let number = word
        .trim_start_matches(CURRENCY_SYMBOLS)
        .trim_end_matches(CURRENCY_SYMBOLS);
    number.len() < word.len()
        && number.starts_with(|c: char| c.is_ascii_digit())
        && number
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
}

/// Ways of writing a whole amount with a dash for its cents ("34 782,-", "50.--").
const DASH_CENTS: &[&str] = &[",--", ",-", ",–", ",—", ".--", ".-", ".–", ".—"];

/// The amount without its dash cents ("449,-" → "449"), if it has them after a digit.
fn strip_dash_cents(raw: &str) -> Option<&str> {
    DASH_CENTS
        .iter()
        .find_map(|dash| raw.strip_suffix(dash))
        .filter(|rest| rest.ends_with(|c: char| c.is_ascii_digit()))
}

/// `head` and `tail` as one amount when a space groups thousands ("3" and "813,24", the
/// French way): `head` one to three digits, `tail` three digits with decimals (or a dash for
/// them: "4" and "939,-").
pub fn space_grouped(head: &str, tail: &str, mark: DecimalMark) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(int) = strip_dash_cents(tail) {
        return ((1..=3).contains(&head.len()) && digits(head) && int.len() == 3 && digits(int))
            .then(|| format!("{head}{int}"));
    }
    let (int, frac) = tail.split_once(mark.char())?;
    ((1..=3).contains(&head.len())
        && digits(head)
        && int.len() == 3
        && digits(int)
        && (1..=2).contains(&frac.len())
        && digits(frac))
    .then(|| format!("{head}{tail}"))
}

/// Votes over all number-like tokens of a document: a separator followed by exactly two
/// digits at the end is a decimal mark; one followed by groups of three is a grouping mark.
pub fn detect_decimal_mark<'a>(tokens: impl IntoIterator<Item = &'a str>) -> DecimalMark {
    let (mut point, mut comma) = (0i32, 0i32);
    let tokens: Vec<&str> = tokens.into_iter().collect();
    let is_currency = |t: &str| {
        let u = t.to_uppercase();
        CURRENCY_AFFIXES.iter().any(|a| a.to_uppercase() == u)
    };
    for (i, raw) in tokens.iter().enumerate() {
        // An amount printed with its currency ("50,00 €", "EUR 12.50", "9,50€") is surely an
        // amount, unlike clock times ("08.30 - 12.30 Uhr") or reference numbers: its vote
        // counts double.
        let with_currency = raw.contains(['€', '$', '£'])
            || tokens.get(i + 1).is_some_and(|n| is_currency(n))
            || i.checked_sub(1)
                .and_then(|p| tokens.get(p))
                .is_some_and(|p| is_currency(p));
        let weight = if with_currency { 2 } else { 1 };
        let t = raw.trim_matches(|c: char| !c.is_ascii_digit() && c != '.' && c != ',');
        if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let last_sep = t.rfind(['.', ',']);
        let Some(pos) = last_sep else { continue };
        let after = &t[pos + 1..];
        let sep = t.as_bytes()[pos];
        let digits_after = after.len();
        if !after.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // Dates like 05.03.2013 are not amounts.
        if t.matches(['.', ',']).count() >= 2
            && t.split(['.', ',']).all(|g| g.len() <= 2 || g.len() == 4)
            && t.split(['.', ',']).any(|g| g.len() == 4)
        {
            continue;
        }
        let has_both = t.contains('.') && t.contains(',');
        match (sep, digits_after, has_both) {
            (b'.', 1 | 2, _) => point += 2 * weight,
            (b',', 1 | 2, _) => comma += 2 * weight,
            (b'.', 3, true) => comma += 2 * weight,
            (b',', 3, true) => point += 2 * weight,
            (b'.', 4..=6, false) => point += weight,
            (b',', 4..=6, false) => comma += weight,
            _ => {}
        }
    }
    if comma > point {
        DecimalMark::Comma
    } else {
        DecimalMark::Point
    }
}

/// Currency signs and codes that may stick to an amount.
const CURRENCY_AFFIXES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "INR", "PLN", "SEK", "NOK", "DKK", "CZK", "HUF", "JPY", "CAD",
    "AUD", "RM", "MYR", "SGD", "RS", "RS.", "R$", "€", "$", "£", "¥", "₹", "zł", "ZŁ", "KČ", "FR.",
];

/// Parses one amount token (or a few tokens joined with spaces, like `1 234,56 €`).
/// `None` when the text is not a plain amount.
pub fn parse_amount(raw: &str, mark: DecimalMark) -> Option<Decimal> {
    let mut s = raw.trim().to_string();
    if s.is_empty() {
        return None;
    }
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') {
        negative = true;
        s = s[1..s.len() - 1].trim().to_string();
    }
    // Strip currency affixes (either side), repeatedly: "EUR -12,00", "$12.00".
    loop {
        let before = s.len();
        let upper = s.to_uppercase();
        for a in CURRENCY_AFFIXES {
            let au = a.to_uppercase();
            if upper.starts_with(&au) {
                s = s[a.len()..].trim_start().to_string();
                break;
            }
            if upper.ends_with(&au) && s.len() >= a.len() {
                s = s[..s.len() - a.len()].trim_end().to_string();
                break;
            }
        }
        if s.len() == before {
            break;
        }
    }
    // "34 782,-" and "50.--": a whole amount with a dash for its cents (Czech, German, Swiss
    // prices), not a trailing minus.
    if let Some(rest) = strip_dash_cents(&s) {
        s = rest.trim_end().to_string();
    }
    if let Some(rest) = s.strip_prefix(['-', '−', '–']) {
        negative = !negative;
        s = rest.trim_start().to_string();
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest.trim_start().to_string();
    }
    if let Some(rest) = s.strip_suffix(['-', '−']) {
        negative = !negative;
        s = rest.trim_end().to_string();
    }
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (group, decimal) = match mark {
        DecimalMark::Point => (',', '.'),
        DecimalMark::Comma => ('.', ','),
    };
    let mut int_part = String::new();
    let mut frac_part: Option<String> = None;
    let mut groups: Vec<usize> = Vec::new();
    let mut current = 0usize;
    for c in s.chars() {
        if c.is_ascii_digit() {
            match &mut frac_part {
                Some(f) => f.push(c),
                None => {
                    int_part.push(c);
                    current += 1;
                }
            }
        } else if c == decimal && frac_part.is_none() {
            groups.push(current);
            frac_part = Some(String::new());
        } else if (c == group || c == ' ' || c == '\'' || c == '\u{a0}' || c == '\u{202f}')
            && frac_part.is_none()
        {
            groups.push(current);
            current = 0;
        } else {
            return None;
        }
    }
    if frac_part.is_none() {
        groups.push(current);
    }
    // `groups` holds the lengths of the integer digit runs. Grouping, when present, must be
    // 1-3 digits and then groups of exactly three.
    if groups.len() > 1 {
        let first_ok = (1..=3).contains(&groups[0]);
        let rest_ok = groups[1..].iter().all(|&g| g == 3);
        if !(first_ok && rest_ok) {
            return None;
        }
    }
    if int_part.is_empty()
        || frac_part
            .as_ref()
            .is_some_and(|f| f.is_empty() || f.len() > 6)
    {
        return None;
    }
    let text = match frac_part {
        Some(f) => format!("{int_part}.{f}"),
        None => int_part,
    };
    let value = Decimal::from_str(&text).ok()?;
    Some(if negative { -value } else { value })
}

/// Whether a token looks like a money amount with decimals (`12,50`, `1.234,00`), which is
/// stronger evidence than a bare integer.
pub fn has_decimals(raw: &str, mark: DecimalMark) -> bool {
    if strip_dash_cents(raw.trim_end()).is_some() {
        return true;
    }
    raw.trim_end_matches(|c: char| !c.is_ascii_digit())
        .rsplit_once(mark.char())
        .is_some_and(|(_, f)| (1..=4).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_four_formats() {
        assert_eq!(
            parse_amount("1,234.56", DecimalMark::Point),
            Some(dec!(1234.56))
        );
        assert_eq!(
            parse_amount("1.234,56", DecimalMark::Comma),
            Some(dec!(1234.56))
        );
        assert_eq!(
            parse_amount("1 234,56", DecimalMark::Comma),
            Some(dec!(1234.56))
        );
        assert_eq!(
            parse_amount("1'234.56", DecimalMark::Point),
            Some(dec!(1234.56))
        );
        assert_eq!(
            parse_amount("12.345.678,9", DecimalMark::Comma),
            Some(dec!(12345678.9))
        );
    }

    #[test]
    fn a_dash_for_the_cents_is_a_whole_amount() {
        assert_eq!(
            parse_amount("34 782,- Kč", DecimalMark::Comma),
            Some(dec!(34782))
        );
        assert_eq!(parse_amount("50.--", DecimalMark::Point), Some(dec!(50)));
        assert!(
            has_decimals("449,-", DecimalMark::Comma),
            "money, like 449,00"
        );
        assert_eq!(
            space_grouped("4", "939,-", DecimalMark::Comma).as_deref(),
            Some("4939")
        );
        assert_eq!(
            parse_amount("12,00-", DecimalMark::Comma),
            Some(dec!(-12.00)),
            "a minus after the cents still makes it negative"
        );
    }

    #[test]
    fn signs_and_currencies() {
        assert_eq!(
            parse_amount("€ 12,50", DecimalMark::Comma),
            Some(dec!(12.50))
        );
        assert_eq!(
            parse_amount("12,50 EUR", DecimalMark::Comma),
            Some(dec!(12.50))
        );
        assert_eq!(
            parse_amount("$ 42.00", DecimalMark::Point),
            Some(dec!(42.00))
        );
        assert_eq!(parse_amount("-7.67", DecimalMark::Point), Some(dec!(-7.67)));
        assert_eq!(parse_amount("7,67-", DecimalMark::Comma), Some(dec!(-7.67)));
        assert_eq!(
            parse_amount("(7.67)", DecimalMark::Point),
            Some(dec!(-7.67))
        );
        assert_eq!(parse_amount("RM9.00", DecimalMark::Point), Some(dec!(9.00)));
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        assert_eq!(parse_amount("12,34,56", DecimalMark::Point), None);
        assert_eq!(parse_amount("1,2345.00", DecimalMark::Point), None);
        assert_eq!(parse_amount("INV-123", DecimalMark::Point), None);
        assert_eq!(parse_amount("", DecimalMark::Point), None);
        assert_eq!(parse_amount("12.50.1", DecimalMark::Point), None);
        assert_eq!(parse_amount("abc", DecimalMark::Comma), None);
    }

    #[test]
    fn the_wrong_mark_misreads_so_detection_matters() {
        assert_eq!(parse_amount("1.234", DecimalMark::Comma), Some(dec!(1234)));
        assert_eq!(parse_amount("1.234", DecimalMark::Point), Some(dec!(1.234)));
    }

    #[test]
    fn detection_by_evidence() {
        let de = ["473,00", "19,25", "1.234,56", "05.03.2013", "20"];
        assert_eq!(detect_decimal_mark(de), DecimalMark::Comma);
        let en = ["473.00", "1,234.56", "03/20/2023", "$ 42.00"];
        assert_eq!(detect_decimal_mark(en), DecimalMark::Point);
        // Dates do not vote.
        assert_eq!(
            detect_decimal_mark(["05.03.2013", "12,5"]),
            DecimalMark::Comma
        );
    }

    #[test]
    fn amounts_printed_with_their_currency_outvote_clock_times() {
        // Opening hours on an insurer's letter: six times with a point, five amounts with a
        // comma and the euro sign.
        let words = [
            "08.30",
            "-",
            "12.30",
            "14.00",
            "-",
            "17.00",
            "8.00-20.00",
            "8.00-14.00",
            "50,00",
            "€",
            "0,00",
            "€",
            "50,00",
            "€",
            "9,50",
            "€",
            "59,50",
            "€",
            "01.234.567.8",
        ];
        assert_eq!(detect_decimal_mark(words), DecimalMark::Comma);
    }

    #[test]
    fn decimals_are_evidence() {
        assert!(has_decimals("12,50", DecimalMark::Comma));
        assert!(!has_decimals("1250", DecimalMark::Comma));
        assert!(has_decimals("1,234.5", DecimalMark::Point));
    }

    #[test]
    fn thousands_a_space_groups_join_only_as_a_group_of_three() {
        assert_eq!(
            space_grouped("3", "813,24", DecimalMark::Comma).as_deref(),
            Some("3813,24")
        );
        assert_eq!(space_grouped("12", "5,85", DecimalMark::Comma), None);
        assert_eq!(space_grouped("1234", "500,00", DecimalMark::Comma), None);
        assert_eq!(
            space_grouped("1", "250.00", DecimalMark::Point).as_deref(),
            Some("1250.00")
        );
    }
}
