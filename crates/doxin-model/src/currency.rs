//! ISO 4217 currency codes.
//!
//! The table is embedded rather than looked up at run time because the crate does no I/O and
//! the list changes a few times a decade; a stale entry costs one release.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Active alphabetic codes of ISO 4217 List One (funds and precious-metal codes included, since
/// they are valid in trade documents), sorted so that lookups can binary-search.
static ACTIVE: [&str; 178] = [
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DJF",
    "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP",
    "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR",
    "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
    "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
    "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
    "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
    "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
    "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAD",
    "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF",
    "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG",
];

/// Codes withdrawn since 2008 that still parse: archived invoices (a Croatian invoice from 2022
/// in HRK, a Bulgarian one from 2025 in BGN) are real documents, and calling their currency
/// invalid would send every one of them to review. [`CurrencyCode::is_active`] tells them apart.
static WITHDRAWN: [&str; 16] = [
    "ANG", "BGN", "BYR", "CUC", "CYP", "EEK", "HRK", "LTL", "LVL", "MRO", "MTL", "SKK", "SLL",
    "STD", "VEF", "ZWL",
];

/// Currencies whose minor unit is not the cent. Everything else has two decimals, which is also
/// what we assume for codes without a minor unit (metals, XXX) so tolerances stay sensible.
static MINOR_UNITS: [(&str, u32); 27] = [
    ("BHD", 3),
    ("BIF", 0),
    ("BYR", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

/// Why a text is not a currency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyCodeError {
    #[error("a currency code is three letters (ISO 4217 alpha-3), got {0:?}")]
    Malformed(String),
    #[error("{0} is not an ISO 4217 currency code")]
    Unknown(String),
}

/// An ISO 4217 alphabetic currency code, such as `EUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode(&'static str);

impl CurrencyCode {
    /// Parses a code, ignoring surrounding whitespace and letter case (extractors see `eur` and
    /// ` EUR ` as often as `EUR`).
    pub fn parse(input: &str) -> Result<Self, CurrencyCodeError> {
        let trimmed = input.trim();
        if trimmed.len() != 3 || !trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(CurrencyCodeError::Malformed(input.to_string()));
        }
        let upper = trimmed.to_ascii_uppercase();
        lookup(&ACTIVE, &upper)
            .or_else(|| lookup(&WITHDRAWN, &upper))
            .map(CurrencyCode)
            .ok_or(CurrencyCodeError::Unknown(upper))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// `false` for a withdrawn code that is still accepted for old documents.
    pub fn is_active(&self) -> bool {
        lookup(&ACTIVE, self.0).is_some()
    }

    /// Number of decimals of the currency's minor unit: the precision amounts are rounded to.
    pub fn minor_units(&self) -> u32 {
        MINOR_UNITS
            .binary_search_by(|(code, _)| (*code).cmp(self.0))
            .map(|i| MINOR_UNITS[i].1)
            .unwrap_or(2)
    }
}

fn lookup(table: &'static [&'static str], code: &str) -> Option<&'static str> {
    table.binary_search(&code).ok().map(|i| table[i])
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl AsRef<str> for CurrencyCode {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl FromStr for CurrencyCode {
    type Err = CurrencyCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CurrencyCode::parse(s)
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CurrencyCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_disjoint() {
        assert!(ACTIVE.windows(2).all(|w| w[0] < w[1]));
        assert!(WITHDRAWN.windows(2).all(|w| w[0] < w[1]));
        assert!(MINOR_UNITS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(WITHDRAWN.iter().all(|c| !ACTIVE.contains(c)));
        let known = |c: &&str| ACTIVE.contains(c) || WITHDRAWN.contains(c);
        assert!(MINOR_UNITS.iter().all(|(c, _)| known(c)));
    }

    #[test]
    fn parses_and_normalises() {
        let eur = CurrencyCode::parse(" eur ").expect("EUR");
        assert_eq!(eur.as_str(), "EUR");
        assert_eq!(eur.to_string(), "EUR");
        assert!(eur.is_active());
        assert_eq!("chf".parse::<CurrencyCode>().expect("CHF").as_ref(), "CHF");
    }

    #[test]
    fn rejects_malformed_and_unknown() {
        assert!(matches!(
            CurrencyCode::parse("EU"),
            Err(CurrencyCodeError::Malformed(_))
        ));
        assert!(matches!(
            CurrencyCode::parse("EURO"),
            Err(CurrencyCodeError::Malformed(_))
        ));
        assert!(matches!(
            CurrencyCode::parse("€"),
            Err(CurrencyCodeError::Malformed(_))
        ));
        assert!(matches!(
            CurrencyCode::parse("E1R"),
            Err(CurrencyCodeError::Malformed(_))
        ));
        assert_eq!(
            CurrencyCode::parse("abc"),
            Err(CurrencyCodeError::Unknown("ABC".into()))
        );
        // Pre-euro national currencies are long gone and not accepted.
        assert!(CurrencyCode::parse("DEM").is_err());
    }

    #[test]
    fn withdrawn_codes_parse_but_are_not_active() {
        let hrk = CurrencyCode::parse("HRK").expect("HRK");
        assert!(!hrk.is_active());
        assert_eq!(hrk.minor_units(), 2);
    }

    #[test]
    fn minor_units() {
        let units = |c: &str| CurrencyCode::parse(c).expect(c).minor_units();
        assert_eq!(units("EUR"), 2);
        assert_eq!(units("USD"), 2);
        assert_eq!(units("JPY"), 0);
        assert_eq!(units("KRW"), 0);
        assert_eq!(units("CLP"), 0);
        assert_eq!(units("ISK"), 0);
        assert_eq!(units("VND"), 0);
        assert_eq!(units("BHD"), 3);
        assert_eq!(units("KWD"), 3);
        assert_eq!(units("OMR"), 3);
        assert_eq!(units("JOD"), 3);
        assert_eq!(units("TND"), 3);
        assert_eq!(units("LYD"), 3);
        assert_eq!(units("IQD"), 3);
        assert_eq!(units("CLF"), 4);
        assert_eq!(units("XAU"), 2);
    }

    #[test]
    fn serde_is_a_validated_string() {
        let eur = CurrencyCode::parse("EUR").expect("EUR");
        assert_eq!(serde_json::to_string(&eur).expect("ser"), "\"EUR\"");
        let back: CurrencyCode = serde_json::from_str("\"usd\"").expect("de");
        assert_eq!(back.as_str(), "USD");
        assert!(serde_json::from_str::<CurrencyCode>("\"XYZ\"").is_err());
    }
}
