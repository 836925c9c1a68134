//! VAT rates by country, and the seller's country an invoice names: what the plausibility rules
//! (DX-VAT-02 to DX-VAT-04) and the extraction rules' totals check a rate against.

use rust_decimal::Decimal;

use crate::Invoice;
use crate::provenance::value_of;

/// No country charges more VAT than this (Hungary's 27 % is the highest in Europe).
pub const MAX_PLAUSIBLE_RATE: u32 = 30;

/// VAT rates of a country (standard, reduced, zero; current and of the last few years, since
/// invoices are processed after the fact and rates change), in percent.
pub fn country_rates(country: &str) -> Option<&'static [&'static str]> {
    Some(match country {
        "AT" => &["20", "13", "10", "19", "0"],
        "BE" => &["21", "12", "6", "0"],
        "BG" => &["20", "9", "0"],
        "CH" => &["8.1", "7.7", "3.8", "3.7", "2.6", "2.5", "0"],
        "CY" => &["19", "9", "5", "3", "0"],
        "CZ" => &["21", "15", "12", "10", "0"],
        "DE" => &["19", "16", "7", "5", "0"],
        "DK" => &["25", "0"],
        "EE" => &["24", "22", "20", "13", "9", "5", "0"],
        "EL" | "GR" => &["24", "17", "13", "9", "6", "4", "0"],
        "ES" => &["21", "10", "7.5", "5", "4", "2", "0"],
        "FI" => &["25.5", "24", "14", "13.5", "10", "0"],
        "FR" => &["20", "10", "8.5", "5.5", "2.1", "0"],
        "GB" | "UK" => &["20", "5", "12.5", "0"],
        "HR" => &["25", "13", "5", "0"],
        "HU" => &["27", "18", "5", "0"],
        "IE" => &["23", "13.5", "9", "4.8", "0"],
        "IT" => &["22", "10", "5", "4", "0"],
        "LT" => &["21", "12", "9", "5", "0"],
        "LU" => &["17", "16", "14", "13", "8", "7", "3", "0"],
        "LV" => &["21", "12", "5", "0"],
        "MT" => &["18", "12", "7", "5", "0"],
        "NL" => &["21", "9", "0"],
        "NO" => &["25", "15", "12", "11.11", "0"],
        "PL" => &["23", "8", "5", "0"],
        "PT" => &["23", "22", "16", "13", "12", "9", "6", "5", "4", "0"],
        "RO" => &["21", "19", "11", "9", "5", "0"],
        "SE" => &["25", "12", "6", "0"],
        "SI" => &["22", "9.5", "5", "0"],
        "SK" => &["23", "20", "19", "10", "5", "0"],
        _ => return None,
    })
}

/// The seller's country: its address, else its VAT id's prefix.
pub fn seller_country(invoice: &Invoice) -> Option<String> {
    let seller = &invoice.seller;
    value_of(&seller.address.country)
        .map(|s| s.trim().to_uppercase())
        .filter(|s| s.len() == 2)
        .or_else(|| {
            value_of(&seller.vat_id)
                .map(|v| v.trim().to_uppercase())
                .filter(|v| v.len() > 2 && v.chars().take(2).all(|ch| ch.is_ascii_alphabetic()))
                .map(|v| v[..2].to_string())
        })
}

/// A country's rates as numbers, highest first; `None` for a country without a list.
pub fn rates_of(country: &str) -> Option<Vec<Decimal>> {
    let mut rates: Vec<Decimal> = country_rates(country)?
        .iter()
        .filter_map(|r| r.parse::<Decimal>().ok())
        .collect();
    rates.sort_by(|a, b| b.cmp(a));
    Some(rates)
}

/// The highest VAT rate an invoice from this country can carry: its list's highest, else
/// [`MAX_PLAUSIBLE_RATE`].
pub fn highest_rate(country: Option<&str>) -> Decimal {
    country
        .and_then(rates_of)
        .and_then(|r| r.first().copied())
        .unwrap_or(Decimal::from(MAX_PLAUSIBLE_RATE))
}

/// `rate` percent of `net`, rounded to cents; `None` for an amount too large to multiply.
pub fn tax_at(net: Decimal, rate: Decimal) -> Option<Decimal> {
    net.checked_mul(rate)
        .map(|v| (v / Decimal::ONE_HUNDRED).round_dp(2))
}

/// How far a tax may stray from rate × net by rounding per line and per rate: 5 cents, or a
/// tenth of a percent of the net when that is more.
pub fn rounding_slack(net: Decimal) -> Decimal {
    Decimal::new(5, 2).max((net.abs() / Decimal::from(1000)).round_dp(2))
}

/// Whether `tax` is more than the `highest` rate of `net` gives, rounding aside (signs
/// ignored); `None` for amounts too large to compare.
pub fn above_rate(net: Decimal, tax: Decimal, highest: Decimal) -> Option<bool> {
    let ceiling = tax_at(net.abs(), highest)?.checked_add(rounding_slack(net))?;
    Some(tax.abs() > ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_by_country_and_the_ceiling() {
        assert_eq!(highest_rate(Some("DE")), Decimal::from(19));
        assert_eq!(highest_rate(Some("HU")), Decimal::from(27));
        assert_eq!(highest_rate(Some("ZZ")), Decimal::from(30));
        assert_eq!(highest_rate(None), Decimal::from(30));
        let de = rates_of("DE").unwrap_or_default();
        assert!(de.contains(&Decimal::from(7)));
        assert!(rates_of("ZZ").is_none());
    }
}
