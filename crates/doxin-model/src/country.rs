//! ISO 3166-1 alpha-2 country codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted for binary search.
static ASSIGNED: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// User-assigned codes in established trade use, accepted beside the assigned ones: `XI`
/// (Northern Ireland, used by the EU for VAT since 2021 and in the EN 16931 code lists) and `XK`
/// (Kosovo, used by the IBAN registry and most banks). Rejecting them would flag real invoices.
static USER_ASSIGNED: [&str; 2] = ["XI", "XK"];

/// Why a text is not a country code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryCodeError {
    #[error("a country code is two letters (ISO 3166-1 alpha-2), got {0:?}")]
    Malformed(String),
    #[error("{0} is not an assigned ISO 3166-1 alpha-2 country code")]
    Unassigned(String),
}

/// An ISO 3166-1 alpha-2 country code, such as `DE`, stored in upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(&'static str);

impl CountryCode {
    /// Parses a code, ignoring surrounding whitespace and letter case.
    pub fn parse(input: &str) -> Result<Self, CountryCodeError> {
        let trimmed = input.trim();
        if trimmed.len() != 2 || !trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(CountryCodeError::Malformed(input.to_string()));
        }
        let upper = trimmed.to_ascii_uppercase();
        lookup(&ASSIGNED, &upper)
            .or_else(|| lookup(&USER_ASSIGNED, &upper))
            .map(CountryCode)
            .ok_or(CountryCodeError::Unassigned(upper))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// `false` for the user-assigned codes `XI` and `XK`, which ISO itself does not assign.
    pub fn is_iso_assigned(&self) -> bool {
        lookup(&ASSIGNED, self.0).is_some()
    }
}

fn lookup(table: &'static [&'static str], code: &str) -> Option<&'static str> {
    table.binary_search(&code).ok().map(|i| table[i])
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl AsRef<str> for CountryCode {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl FromStr for CountryCode {
    type Err = CountryCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CountryCode::parse(s)
    }
}

impl Serialize for CountryCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CountryCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_complete() {
        assert!(ASSIGNED.windows(2).all(|w| w[0] < w[1]));
        assert!(USER_ASSIGNED.windows(2).all(|w| w[0] < w[1]));
        for code in ["DE", "FR", "GB", "US", "CW", "SX", "BQ", "SS", "AX", "ZW"] {
            assert!(ASSIGNED.contains(&code), "{code}");
        }
    }

    #[test]
    fn parses_lower_case_and_stores_upper() {
        let de = CountryCode::parse(" de").expect("DE");
        assert_eq!(de.as_str(), "DE");
        assert_eq!(de.to_string(), "DE");
        assert!(de.is_iso_assigned());
        assert_eq!("nl".parse::<CountryCode>().expect("NL").as_ref(), "NL");
    }

    #[test]
    fn rejects_malformed_and_unassigned() {
        assert!(matches!(
            CountryCode::parse("D"),
            Err(CountryCodeError::Malformed(_))
        ));
        assert!(matches!(
            CountryCode::parse("DEU"),
            Err(CountryCodeError::Malformed(_))
        ));
        assert!(matches!(
            CountryCode::parse("D1"),
            Err(CountryCodeError::Malformed(_))
        ));
        assert!(matches!(
            CountryCode::parse("Ü"),
            Err(CountryCodeError::Malformed(_))
        ));
        // Exceptionally reserved codes are not countries of an address.
        assert_eq!(
            CountryCode::parse("uk"),
            Err(CountryCodeError::Unassigned("UK".into()))
        );
        assert!(CountryCode::parse("EL").is_err());
        assert!(CountryCode::parse("ZZ").is_err());
        // Withdrawn: Netherlands Antilles.
        assert!(CountryCode::parse("AN").is_err());
    }

    #[test]
    fn user_assigned_codes_in_trade_use_are_accepted() {
        for code in ["XI", "XK"] {
            let c = CountryCode::parse(code).expect(code);
            assert!(!c.is_iso_assigned());
        }
    }

    #[test]
    fn serde_is_a_validated_string() {
        let at = CountryCode::parse("AT").expect("AT");
        assert_eq!(serde_json::to_string(&at).expect("ser"), "\"AT\"");
        let back: CountryCode = serde_json::from_str("\"at\"").expect("de");
        assert_eq!(back, at);
        assert!(serde_json::from_str::<CountryCode>("\"QQ\"").is_err());
    }
}
