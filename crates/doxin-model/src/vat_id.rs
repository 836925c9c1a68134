//! VAT identifiers of the EU member states, Northern Ireland (`XI`), the United Kingdom and
//! Switzerland.
//!
//! Format checks cover every supported country. Check digits are verified only where the
//! algorithm is published and stable, because rejecting a real VAT id is worse than missing a
//! typo: AT, BE, CH, DE, DK, EE, EL, FI, FR (numeric keys), HR, IT, LU, NL (mod 11 and the 2020
//! mod 97 variant for sole proprietors), PL, PT, SE, SI. The others (BG, CY, CZ, ES, GB/XI, HU,
//! IE, LT, LV, MT, RO, SK, and FR's alphabetic keys) have several schemes, exceptions or
//! unpublished rules, and are checked for format only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::country::CountryCode;

/// Why a text is not a VAT identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatIdError {
    #[error("the VAT identifier is empty")]
    Empty,
    #[error("a VAT identifier starts with a two-letter country prefix, got {0:?}")]
    MissingCountryPrefix(String),
    #[error("VAT identifiers with prefix {0} are not supported")]
    UnsupportedCountry(String),
    #[error("{country} VAT identifiers are {expected}, got {value}")]
    InvalidFormat {
        country: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error("{value} fails the {country} VAT check-digit test")]
    InvalidChecksum {
        country: &'static str,
        value: String,
    },
}

/// A VAT identifier with its country prefix, in compact form: upper case, without spaces, dots
/// or dashes (`DE136695976`, `NL004495445B01`, `CHE123456789`). Greek ids use `EL`, as VIES does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VatId {
    compact: String,
    check_digits_verified: bool,
}

/// What one country's identifiers look like.
struct Scheme {
    prefix: &'static str,
    /// Human description of the format, used in error messages.
    expected: &'static str,
    format: fn(&[u8]) -> bool,
    /// `Some(valid)` when the number has a check-digit test, `None` when it has none we trust.
    check: fn(&[u8]) -> Option<bool>,
}

/// Sorted by prefix.
static SCHEMES: [Scheme; 30] = [
    scheme("AT", "U followed by 8 digits", at_format, at_check),
    scheme("BE", "10 digits starting with 0 or 1", be_format, be_check),
    scheme("BG", "9 or 10 digits", |b| digits_between(b, 9, 10), none),
    scheme("CH", "CHE followed by 9 digits", |b| digits(b, 9), ch_check),
    scheme("CY", "8 digits and a letter", cy_format, none),
    scheme("CZ", "8 to 10 digits", |b| digits_between(b, 8, 10), none),
    scheme("DE", "9 digits, not starting with 0", de_format, de_check),
    scheme("DK", "8 digits", |b| digits(b, 8), dk_check),
    scheme("EE", "9 digits", |b| digits(b, 9), ee_check),
    scheme("EL", "9 digits", |b| digits(b, 9), el_check),
    scheme(
        "ES",
        "9 characters: letter or digit, 7 digits, letter or digit",
        es_format,
        none,
    ),
    scheme("FI", "8 digits", |b| digits(b, 8), fi_check),
    scheme(
        "FR",
        "2 key characters and a 9-digit SIREN",
        fr_format,
        fr_check,
    ),
    scheme(
        "GB",
        "9 or 12 digits, or GD/HA and 3 digits",
        gb_format,
        none,
    ),
    scheme("HR", "11 digits", |b| digits(b, 11), hr_check),
    scheme("HU", "8 digits", |b| digits(b, 8), none),
    scheme(
        "IE",
        "7 digits and 1-2 letters, or the old 8-character form",
        ie_format,
        none,
    ),
    scheme("IT", "11 digits", |b| digits(b, 11), it_check),
    scheme("LT", "9 or 12 digits", lt_format, none),
    scheme("LU", "8 digits", |b| digits(b, 8), lu_check),
    scheme("LV", "11 digits", |b| digits(b, 11), none),
    scheme("MT", "8 digits", |b| digits(b, 8), none),
    scheme("NL", "9 digits, B and 2 digits", nl_format, nl_check),
    scheme("PL", "10 digits", |b| digits(b, 10), pl_check),
    scheme("PT", "9 digits", |b| digits(b, 9), pt_check),
    scheme("RO", "2 to 10 digits", |b| digits_between(b, 2, 10), none),
    scheme("SE", "12 digits", |b| digits(b, 12), se_check),
    scheme("SI", "8 digits", |b| digits(b, 8), si_check),
    scheme("SK", "10 digits", |b| digits(b, 10), none),
    scheme(
        "XI",
        "9 or 12 digits, or GD/HA and 3 digits",
        gb_format,
        none,
    ),
];

const fn scheme(
    prefix: &'static str,
    expected: &'static str,
    format: fn(&[u8]) -> bool,
    check: fn(&[u8]) -> Option<bool>,
) -> Scheme {
    Scheme {
        prefix,
        expected,
        format,
        check,
    }
}

/// Language suffixes of Swiss VAT numbers (`CHE-123.456.789 MWST`): they name the language of
/// the invoice, not a different number, so the compact form drops them.
const CH_SUFFIXES: [&str; 4] = ["MWST", "TVA", "IVA", "TPV"];

impl VatId {
    /// Normalises and checks format and, where trusted, check digits. Accepts `GR` for Greece
    /// (normalised to `EL`) and 9-digit Belgian numbers (the pre-2005 form, normalised with a
    /// leading 0).
    pub fn parse(input: &str) -> Result<Self, VatIdError> {
        let mut compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '/' | ':' | ',' | '_'))
            .collect::<String>()
            .to_uppercase();
        if compact.is_empty() {
            return Err(VatIdError::Empty);
        }
        let prefix_ok =
            compact.len() >= 2 && compact.as_bytes()[..2].iter().all(u8::is_ascii_uppercase);
        if !prefix_ok {
            return Err(VatIdError::MissingCountryPrefix(input.trim().to_string()));
        }
        if compact.starts_with("GR") {
            compact.replace_range(..2, "EL");
        }
        let prefix = &compact[..2];
        let scheme = SCHEMES
            .binary_search_by(|s| s.prefix.cmp(prefix))
            .map(|i| &SCHEMES[i])
            .map_err(|_| VatIdError::UnsupportedCountry(prefix.to_string()))?;
        let body = match scheme.prefix {
            "CH" => swiss_body(&compact),
            "BE" if compact.len() == 11 && compact[2..].bytes().all(|b| b.is_ascii_digit()) => {
                format!("0{}", &compact[2..])
            }
            _ => compact[2..].to_string(),
        };
        if !(scheme.format)(body.as_bytes()) {
            return Err(VatIdError::InvalidFormat {
                country: scheme.prefix,
                expected: scheme.expected,
                value: compact,
            });
        }
        let compact = match scheme.prefix {
            "CH" => format!("CHE{body}"),
            prefix => format!("{prefix}{body}"),
        };
        let check_digits_verified = match (scheme.check)(body.as_bytes()) {
            Some(true) => true,
            Some(false) => {
                return Err(VatIdError::InvalidChecksum {
                    country: scheme.prefix,
                    value: compact,
                });
            }
            None => false,
        };
        Ok(VatId {
            compact,
            check_digits_verified,
        })
    }

    /// The compact form, prefix included.
    pub fn as_str(&self) -> &str {
        &self.compact
    }

    /// The two-letter prefix as written in VAT ids: `EL` for Greece, `XI` for Northern Ireland.
    pub fn country_prefix(&self) -> &str {
        &self.compact[..2]
    }

    /// The country of issue as ISO 3166-1 (`EL` becomes `GR`; `XI` stays, see [`CountryCode`]).
    pub fn country(&self) -> Option<CountryCode> {
        match self.country_prefix() {
            "EL" => CountryCode::parse("GR").ok(),
            prefix => CountryCode::parse(prefix).ok(),
        }
    }

    /// The national number without the prefix (`CHE` included for Swiss ids).
    pub fn number(&self) -> &str {
        if self.compact.starts_with("CHE") {
            &self.compact[3..]
        } else {
            &self.compact[2..]
        }
    }

    /// Whether check digits were verified, rather than the format alone. Callers scoring
    /// confidence can trust a verified id more.
    pub fn check_digits_verified(&self) -> bool {
        self.check_digits_verified
    }
}

/// The 9 digits of a Swiss id from its compact form (`CHE123456789MWST`); anything else is
/// returned as-is so the format check reports it.
fn swiss_body(compact: &str) -> String {
    let rest = compact.strip_prefix("CHE").unwrap_or(&compact[2..]);
    let rest = CH_SUFFIXES
        .iter()
        .find_map(|suffix| rest.strip_suffix(suffix))
        .unwrap_or(rest);
    rest.to_string()
}

// ---- formats ----

fn digits(b: &[u8], len: usize) -> bool {
    b.len() == len && b.iter().all(u8::is_ascii_digit)
}

fn digits_between(b: &[u8], min: usize, max: usize) -> bool {
    (min..=max).contains(&b.len()) && b.iter().all(u8::is_ascii_digit)
}

fn at_format(b: &[u8]) -> bool {
    b.len() == 9 && b[0] == b'U' && digits(&b[1..], 8)
}

fn be_format(b: &[u8]) -> bool {
    digits(b, 10) && matches!(b[0], b'0' | b'1')
}

fn cy_format(b: &[u8]) -> bool {
    b.len() == 9 && digits(&b[..8], 8) && b[8].is_ascii_uppercase()
}

fn de_format(b: &[u8]) -> bool {
    digits(b, 9) && b[0] != b'0'
}

/// DNI (8 digits + letter), NIE (X/Y/Z + 7 digits + letter) and CIF (letter + 7 digits + digit
/// or letter) all have a letter at one end at least.
fn es_format(b: &[u8]) -> bool {
    let end = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    b.len() == 9
        && end(&b[0])
        && end(&b[8])
        && b[1..8].iter().all(u8::is_ascii_digit)
        && (b[0].is_ascii_uppercase() || b[8].is_ascii_uppercase())
}

/// The key alphabet omits I and O.
fn fr_format(b: &[u8]) -> bool {
    let key = |c: &u8| c.is_ascii_digit() || (c.is_ascii_uppercase() && !matches!(c, b'I' | b'O'));
    b.len() == 11 && key(&b[0]) && key(&b[1]) && b[2..].iter().all(u8::is_ascii_digit)
}

fn gb_format(b: &[u8]) -> bool {
    digits(b, 9)
        || digits(b, 12)
        || (b.len() == 5 && (b.starts_with(b"GD") || b.starts_with(b"HA")) && digits(&b[2..], 3))
}

fn ie_format(b: &[u8]) -> bool {
    let new_form = (b.len() == 8 || b.len() == 9)
        && b[..7].iter().all(u8::is_ascii_digit)
        && b[7..].iter().all(u8::is_ascii_uppercase);
    let old_form = b.len() == 8
        && b[0].is_ascii_digit()
        && (b[1].is_ascii_uppercase() || matches!(b[1], b'+' | b'*'))
        && b[2..7].iter().all(u8::is_ascii_digit)
        && b[7].is_ascii_uppercase();
    new_form || old_form
}

fn lt_format(b: &[u8]) -> bool {
    digits(b, 9) || digits(b, 12)
}

fn nl_format(b: &[u8]) -> bool {
    b.len() == 12 && digits(&b[..9], 9) && b[9] == b'B' && digits(&b[10..], 2)
}

// ---- check digits ----

fn none(_: &[u8]) -> Option<bool> {
    None
}

fn d(b: u8) -> u32 {
    u32::from(b - b'0')
}

fn weighted(b: &[u8], weights: &[u32]) -> u32 {
    b.iter().zip(weights).map(|(&c, w)| d(c) * w).sum()
}

fn number(b: &[u8]) -> u64 {
    b.iter().fold(0, |n, &c| n * 10 + u64::from(c - b'0'))
}

/// Luhn sum with the rightmost digit undoubled; a number is Luhn-valid when this is ≡ 0 mod 10.
fn luhn_sum(b: &[u8]) -> u32 {
    b.iter()
        .rev()
        .enumerate()
        .map(|(i, &c)| {
            let v = d(c);
            if i % 2 == 1 {
                let doubled = v * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                v
            }
        })
        .sum()
}

/// ISO 7064 MOD 11,10 (German USt-IdNr, Croatian OIB): valid when the final state is 1.
fn mod_11_10(b: &[u8]) -> bool {
    let state = b.iter().fold(5, |state, &c| {
        let product = (if state == 0 { 10 } else { state } * 2) % 11;
        (product + d(c)) % 10
    });
    state == 1
}

/// Austria: Luhn over digits 1-7, shifted by the constant 4 the BMF publishes.
fn at_check(b: &[u8]) -> Option<bool> {
    let digits = &b[1..];
    let check = (10 + 6 - luhn_sum(&digits[..7]) % 10) % 10;
    Some(check == d(digits[7]))
}

/// Belgium: the last two digits are 97 − (first eight mod 97).
fn be_check(b: &[u8]) -> Option<bool> {
    Some((number(&b[..8]) + number(&b[8..])).is_multiple_of(97))
}

/// Switzerland (UID): mod 11 with weights 5 4 3 2 7 6 5 4; a remainder giving 10 is never issued.
fn ch_check(b: &[u8]) -> Option<bool> {
    let sum = weighted(&b[..8], &[5, 4, 3, 2, 7, 6, 5, 4]);
    let check = (11 - sum % 11) % 11;
    Some(check != 10 && check == d(b[8]))
}

fn de_check(b: &[u8]) -> Option<bool> {
    Some(mod_11_10(b))
}

fn dk_check(b: &[u8]) -> Option<bool> {
    Some(weighted(b, &[2, 7, 6, 5, 4, 3, 2, 1]).is_multiple_of(11))
}

fn ee_check(b: &[u8]) -> Option<bool> {
    Some(weighted(b, &[3, 7, 1, 3, 7, 1, 3, 7, 1]).is_multiple_of(10))
}

/// Greece: Σ dᵢ·2^(8−i) mod 11 mod 10 over the first eight digits.
fn el_check(b: &[u8]) -> Option<bool> {
    let sum = b[..8].iter().fold(0, |acc, &c| acc * 2 + d(c)) * 2;
    Some(sum % 11 % 10 == d(b[8]))
}

fn fi_check(b: &[u8]) -> Option<bool> {
    Some(weighted(b, &[7, 9, 10, 5, 8, 4, 2, 1]).is_multiple_of(11))
}

/// France: a numeric key is (12 + 3·(SIREN mod 97)) mod 97. Alphabetic keys (issued since the
/// numeric ones ran out) use a scheme we do not verify.
fn fr_check(b: &[u8]) -> Option<bool> {
    if !b[..2].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let key = number(&b[..2]);
    Some(key == (number(&b[2..]) * 100 + 12) % 97)
}

fn hr_check(b: &[u8]) -> Option<bool> {
    Some(mod_11_10(b))
}

fn it_check(b: &[u8]) -> Option<bool> {
    Some(luhn_sum(b).is_multiple_of(10))
}

/// Luxembourg: the last two digits are the first six mod 89.
fn lu_check(b: &[u8]) -> Option<bool> {
    Some(number(&b[..6]) % 89 == number(&b[6..]))
}

/// Netherlands: the RSIN/BSN "11-proof" (weights 9..2 and −1), or, for sole proprietors' ids
/// issued since 2020, ISO 7064 MOD 97-10 over `NL` + the whole number.
fn nl_check(b: &[u8]) -> Option<bool> {
    let sum = weighted(&b[..8], &[9, 8, 7, 6, 5, 4, 3, 2]);
    let eleven_proof = (sum + 11 * 9 - d(b[8])).is_multiple_of(11);
    let mod97 = b"NL".iter().chain(b).fold(0u32, |rem, &c| {
        if c.is_ascii_digit() {
            (rem * 10 + d(c)) % 97
        } else {
            (rem * 100 + u32::from(c - b'A') + 10) % 97
        }
    }) == 1;
    Some(eleven_proof || mod97)
}

fn pl_check(b: &[u8]) -> Option<bool> {
    let check = weighted(&b[..9], &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
    Some(check == d(b[9]))
}

fn pt_check(b: &[u8]) -> Option<bool> {
    let sum = weighted(&b[..8], &[9, 8, 7, 6, 5, 4, 3, 2]);
    Some((11 - sum % 11) % 11 % 10 == d(b[8]))
}

/// Sweden: the first ten digits are the Luhn-checked organisation number.
fn se_check(b: &[u8]) -> Option<bool> {
    Some(luhn_sum(&b[..10]).is_multiple_of(10))
}

/// Slovenia: 11 − (Σ weights 8..2 mod 11); 10 becomes 0 and 11 is never issued.
fn si_check(b: &[u8]) -> Option<bool> {
    let check = 11 - weighted(&b[..7], &[8, 7, 6, 5, 4, 3, 2]) % 11;
    let check = match check {
        10 => 0,
        11 => return Some(false),
        c => c,
    };
    Some(check == d(b[7]))
}

impl fmt::Display for VatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.compact)
    }
}

impl AsRef<str> for VatId {
    fn as_ref(&self) -> &str {
        &self.compact
    }
}

impl FromStr for VatId {
    type Err = VatIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VatId::parse(s)
    }
}

impl Serialize for VatId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.compact)
    }
}

impl<'de> Deserialize<'de> for VatId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        VatId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Public example numbers (company registers, VIES documentation, python-stdnum doctests),
    /// all verified against the check-digit algorithms above.
    const VERIFIED: [&str; 25] = [
        "ATU13585627",
        "BE0403170701",
        "BE0428759497",
        "CHE100155212",
        "DE136695976",
        "DK13585628",
        "EE100931558",
        "EE100594102",
        "EL094259216",
        "FI20774740",
        "FR40303265045",
        "FR23334175221",
        "HR33392005961",
        "IT00743110157",
        "LU15027442",
        "NL004495445B01",
        "NL000099998B57",
        "NL002455799B11",
        "PL5260250995",
        "PT501964843",
        "SE556188840401",
        "SE123456789701",
        "SI50223054",
        "DE129273398",
        "FI09853608",
    ];

    #[test]
    fn schemes_are_sorted() {
        assert!(SCHEMES.windows(2).all(|w| w[0].prefix < w[1].prefix));
    }

    #[test]
    fn accepts_known_valid_ids_and_verifies_their_check_digits() {
        for text in VERIFIED {
            let id = VatId::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(id.as_str(), text);
            assert!(id.check_digits_verified(), "{text}");
        }
    }

    #[test]
    fn one_changed_digit_fails_the_check() {
        for text in VERIFIED {
            // Change the check digit. NL and SE end in a suffix the check does not cover
            // (`B01`, `01`), so change the digit before it there.
            let at = match &text[..2] {
                "NL" => 10,
                "SE" => 11,
                _ => text.len() - 1,
            };
            let mut bytes = text.as_bytes().to_vec();
            bytes[at] = b'0' + (bytes[at] - b'0' + 1) % 10;
            let changed = String::from_utf8(bytes).expect("ascii");
            assert!(
                matches!(
                    VatId::parse(&changed),
                    Err(VatIdError::InvalidChecksum { .. })
                ),
                "{changed} should fail its check digits"
            );
        }
        // And a change in the middle.
        for (changed, country) in [
            ("DE136695966", "DE"),
            ("ATU13586627", "AT"),
            ("BE0403171701", "BE"),
            ("IT00743120157", "IT"),
            ("FR40303266045", "FR"),
            ("NL004495455B01", "NL"),
            ("PL5260251995", "PL"),
        ] {
            assert_eq!(
                VatId::parse(changed),
                Err(VatIdError::InvalidChecksum {
                    country,
                    value: changed.to_string()
                })
            );
        }
    }

    #[test]
    fn normalises_separators_and_case() {
        let cases = [
            ("de 136 695 976", "DE136695976"),
            ("DE-136.695.976", "DE136695976"),
            ("ATU 1358 5627", "ATU13585627"),
            ("BE 0403.170.701", "BE0403170701"),
            ("BE403170701", "BE0403170701"),
            ("GR094259216", "EL094259216"),
            ("nl 0044.95.445.B.01", "NL004495445B01"),
            ("CHE-100.155.212 MWST", "CHE100155212"),
            ("CHE-100.155.212 TVA", "CHE100155212"),
            ("che100155212iva", "CHE100155212"),
            ("FR 40 303 265 045", "FR40303265045"),
            ("DE\u{a0}136695976", "DE136695976"),
        ];
        for (input, compact) in cases {
            let id = VatId::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(id.as_str(), compact, "{input}");
        }
    }

    #[test]
    fn accessors() {
        let id = VatId::parse("GR 094259216").expect("EL");
        assert_eq!(id.country_prefix(), "EL");
        assert_eq!(id.number(), "094259216");
        assert_eq!(id.country().map(|c| c.as_str()), Some("GR"));
        let ch = VatId::parse("CHE-100.155.212 MWST").expect("CH");
        assert_eq!(ch.country_prefix(), "CH");
        assert_eq!(ch.number(), "100155212");
        assert_eq!(ch.to_string(), "CHE100155212");
        let xi = VatId::parse("XI 980780684").expect("XI");
        assert_eq!(xi.country().map(|c| c.as_str()), Some("XI"));
    }

    #[test]
    fn format_only_countries_accept_well_formed_ids() {
        for text in [
            "BG175074752",
            "BG1750747521",
            "CY10259033P",
            "CZ25123891",
            "CZ7103192745",
            "ESA28015865",
            "ESX1234567L",
            "ES12345678Z",
            "GB980780684",
            "GB980780684001",
            "GBGD001",
            "GBHA500",
            "XI980780684",
            "HU12892312",
            "IE6433435F",
            "IE6433435OA",
            "IE8D79739I",
            "LT119511515",
            "LT100001919017",
            "LV40003521600",
            "MT11679112",
            "RO18547290",
            "RO99",
            "SK2022749619",
            "FRK7399859412",
        ] {
            let id = VatId::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(!id.check_digits_verified(), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_ids() {
        let format_errors = [
            "DE13669597",     // 8 digits
            "DE036695976",    // leading zero
            "AT13585627",     // missing U
            "BE2403170701",   // must start with 0 or 1
            "NL004495445C01", // C instead of B
            "ES123456789",    // no letter
            "FRIO303265045",  // I and O are not key characters
            "CHE10015521",    // 8 digits
            "IT0074311015A",
            "GBGD0012",
            "CY102590331",
        ];
        for text in format_errors {
            assert!(
                matches!(VatId::parse(text), Err(VatIdError::InvalidFormat { .. })),
                "{text}: {:?}",
                VatId::parse(text)
            );
        }
        assert_eq!(VatId::parse("  "), Err(VatIdError::Empty));
        assert_eq!(
            VatId::parse("136695976"),
            Err(VatIdError::MissingCountryPrefix("136695976".into()))
        );
        assert_eq!(
            VatId::parse("US123456789"),
            Err(VatIdError::UnsupportedCountry("US".into()))
        );
        assert_eq!(
            VatId::parse("NO999999999MVA"),
            Err(VatIdError::UnsupportedCountry("NO".into()))
        );
    }

    #[test]
    fn swiss_check_digit_of_ten_is_never_valid() {
        // Weights 5 4 3 2 7 6 5 4 over 00000001 give 4 and 11 − 4 = 7: …7 is valid, …0 is not.
        assert!(VatId::parse("CHE000000017").is_ok());
        assert!(VatId::parse("CHE000000010").is_err());
        // A prefix whose weighted sum is ≡ 1 (mod 11) would need check digit 10: no id exists.
        let ten = (0u32..)
            .map(|n| format!("{n:08}"))
            .find(|p| weighted(p.as_bytes(), &[5, 4, 3, 2, 7, 6, 5, 4]) % 11 == 1)
            .expect("some prefix has remainder 1");
        for last in 0..10 {
            assert!(VatId::parse(&format!("CHE{ten}{last}")).is_err());
        }
    }

    #[test]
    fn serde_is_a_validated_string() {
        let id = VatId::parse("DE 136 695 976").expect("DE");
        assert_eq!(serde_json::to_string(&id).expect("ser"), "\"DE136695976\"");
        let back: VatId = serde_json::from_str("\"DE136695976\"").expect("de");
        assert_eq!(back, id);
        assert!(serde_json::from_str::<VatId>("\"DE136695977\"").is_err());
    }
}
