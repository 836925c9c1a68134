//! International Bank Account Numbers (ISO 13616).
//!
//! Country lengths and BBAN structures follow the SWIFT IBAN registry. The structure check
//! matters beside mod-97: an OCR `O` for `0` inside a German BBAN can still produce a number
//! whose remainder happens to be 1, and the registry says German BBANs are digits only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::country::CountryCode;

/// `(country, total length, BBAN structure)`. The structure is a run-length string of character
/// classes: `n` digits, `a` upper-case letters, `c` letters or digits (`"4a14n"`: four letters,
/// fourteen digits). Sorted by country for binary search.
static REGISTRY: [(&str, usize, &str); 89] = [
    ("AD", 24, "8n12c"),
    ("AE", 23, "19n"),
    ("AL", 28, "8n16c"),
    ("AT", 20, "16n"),
    ("AZ", 28, "4a20c"),
    ("BA", 20, "16n"),
    ("BE", 16, "12n"),
    ("BG", 22, "4a6n8c"),
    ("BH", 22, "4a14c"),
    ("BI", 27, "23n"),
    ("BR", 29, "23n1a1c"),
    ("BY", 28, "4c4n16c"),
    ("CH", 21, "5n12c"),
    ("CR", 22, "18n"),
    ("CY", 28, "8n16c"),
    ("CZ", 24, "20n"),
    ("DE", 22, "18n"),
    ("DJ", 27, "23n"),
    ("DK", 18, "14n"),
    ("DO", 28, "4c20n"),
    ("EE", 20, "16n"),
    ("EG", 29, "25n"),
    ("ES", 24, "20n"),
    ("FI", 18, "14n"),
    ("FK", 18, "2a12n"),
    ("FO", 18, "14n"),
    ("FR", 27, "10n11c2n"),
    ("GB", 22, "4a14n"),
    ("GE", 22, "2a16n"),
    ("GI", 23, "4a15c"),
    ("GL", 18, "14n"),
    ("GR", 27, "7n16c"),
    ("GT", 28, "24c"),
    ("HN", 28, "4a20n"),
    ("HR", 21, "17n"),
    ("HU", 28, "24n"),
    ("IE", 22, "4a14n"),
    ("IL", 23, "19n"),
    ("IQ", 23, "4a15n"),
    ("IS", 26, "22n"),
    ("IT", 27, "1a10n12c"),
    ("JO", 30, "4a4n18c"),
    ("KW", 30, "4a22c"),
    ("KZ", 20, "3n13c"),
    ("LB", 28, "4n20c"),
    ("LC", 32, "4a24c"),
    ("LI", 21, "5n12c"),
    ("LT", 20, "16n"),
    ("LU", 20, "3n13c"),
    ("LV", 21, "4a13c"),
    ("LY", 25, "21n"),
    ("MC", 27, "10n11c2n"),
    ("MD", 24, "20c"),
    ("ME", 22, "18n"),
    ("MK", 19, "3n10c2n"),
    ("MN", 20, "16n"),
    ("MR", 27, "23n"),
    ("MT", 31, "4a5n18c"),
    ("MU", 30, "4a19n3a"),
    ("NI", 28, "4a20n"),
    ("NL", 18, "4a10n"),
    ("NO", 15, "11n"),
    ("OM", 23, "3n16c"),
    ("PK", 24, "4a16c"),
    ("PL", 28, "24n"),
    ("PS", 29, "4a21c"),
    ("PT", 25, "21n"),
    ("QA", 29, "4a21c"),
    ("RO", 24, "4a16c"),
    ("RS", 22, "18n"),
    ("RU", 33, "14n15c"),
    ("SA", 24, "2n18c"),
    ("SC", 31, "4a20n3a"),
    ("SD", 18, "14n"),
    ("SE", 24, "20n"),
    ("SI", 19, "15n"),
    ("SK", 24, "20n"),
    ("SM", 27, "1a10n12c"),
    ("SO", 23, "19n"),
    ("ST", 25, "21n"),
    ("SV", 28, "4a20n"),
    ("TL", 23, "19n"),
    ("TN", 24, "20n"),
    ("TR", 26, "6n16c"),
    ("UA", 29, "6n19c"),
    ("VA", 22, "18n"),
    ("VG", 24, "4a16n"),
    ("XK", 20, "16n"),
    ("YE", 30, "4a4n18c"),
];

/// Why a text is not an IBAN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    #[error("an IBAN starts with a two-letter country code and two check digits")]
    Malformed,
    #[error("an IBAN holds only letters and digits, found {found:?} at position {position}")]
    InvalidCharacter { found: char, position: usize },
    #[error("{0} is not a country of the IBAN registry")]
    UnknownCountry(String),
    #[error("an IBAN of {country} has {expected} characters, this one has {actual}")]
    WrongLength {
        country: String,
        expected: usize,
        actual: usize,
    },
    #[error(
        "character {position} does not fit the {country} account structure (expected {expected})"
    )]
    InvalidBban {
        country: String,
        position: usize,
        expected: &'static str,
    },
    #[error("IBAN check digits are 02 to 98, found {0}")]
    CheckDigitsOutOfRange(String),
    #[error("IBAN checksum (mod 97) does not match")]
    Checksum,
}

/// An IBAN in its electronic form: upper case, no spaces (`DE89370400440532013000`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iban(String);

impl Iban {
    /// Parses an IBAN as printed or typed: spaces anywhere, lower case and a leading `IBAN`
    /// label (`IBAN: DE89 3704 …`) are accepted, because that is how IBANs appear on invoices.
    pub fn parse(input: &str) -> Result<Self, IbanError> {
        let mut compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if let Some(rest) = compact.strip_prefix("IBAN") {
            compact = rest.trim_start_matches(':').to_string();
        }
        if let Some((position, found)) = compact
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_alphanumeric())
        {
            return Err(IbanError::InvalidCharacter { found, position });
        }
        let bytes = compact.as_bytes();
        if bytes.len() < 4
            || !bytes[..2].iter().all(u8::is_ascii_uppercase)
            || !bytes[2..4].iter().all(u8::is_ascii_digit)
        {
            return Err(IbanError::Malformed);
        }
        let country = &compact[..2];
        let (_, length, structure) = REGISTRY
            .binary_search_by(|(c, _, _)| (*c).cmp(country))
            .map(|i| REGISTRY[i])
            .map_err(|_| IbanError::UnknownCountry(country.to_string()))?;
        if compact.len() != length {
            return Err(IbanError::WrongLength {
                country: country.to_string(),
                expected: length,
                actual: compact.len(),
            });
        }
        check_structure(country, &bytes[4..], structure)?;
        let check = &compact[2..4];
        if !("02"..="98").contains(&check) {
            return Err(IbanError::CheckDigitsOutOfRange(check.to_string()));
        }
        if mod97(&compact) != 1 {
            return Err(IbanError::Checksum);
        }
        Ok(Iban(compact))
    }

    /// The electronic form, as stored and exchanged.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The paper form of ISO 13616: groups of four separated by spaces, for people to read.
    pub fn formatted(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    /// The two-letter country prefix.
    pub fn country_code(&self) -> &str {
        &self.0[..2]
    }

    /// The country as a [`CountryCode`]; every registry country is one.
    pub fn country(&self) -> Option<CountryCode> {
        CountryCode::parse(self.country_code()).ok()
    }

    pub fn check_digits(&self) -> &str {
        &self.0[2..4]
    }

    /// The national account number (basic bank account number).
    pub fn bban(&self) -> &str {
        &self.0[4..]
    }
}

/// Checks the BBAN against a run-length structure such as `"4a14n"`.
fn check_structure(country: &str, bban: &[u8], structure: &'static str) -> Result<(), IbanError> {
    let mut position = 4;
    let mut count = 0usize;
    let mut rest = bban;
    for ch in structure.bytes() {
        if ch.is_ascii_digit() {
            count = count * 10 + usize::from(ch - b'0');
            continue;
        }
        let (fits, expected): (fn(&u8) -> bool, &'static str) = match ch {
            b'n' => (u8::is_ascii_digit, "a digit"),
            b'a' => (u8::is_ascii_uppercase, "a letter"),
            _ => (u8::is_ascii_alphanumeric, "a letter or digit"),
        };
        let (run, tail) = rest.split_at(count.min(rest.len()));
        if let Some(offset) = run.iter().position(|b| !fits(b)) {
            return Err(IbanError::InvalidBban {
                country: country.to_string(),
                position: position + offset + 1,
                expected,
            });
        }
        position += run.len();
        rest = tail;
        count = 0;
    }
    Ok(())
}

/// ISO 7064 MOD 97-10 over the IBAN with its first four characters moved to the end and letters
/// replaced by 10..35; computed digit by digit so no big integer is needed.
fn mod97(iban: &str) -> u32 {
    let rotated = iban[4..].bytes().chain(iban[..4].bytes());
    rotated.fold(0u32, |rem, b| {
        if b.is_ascii_digit() {
            (rem * 10 + u32::from(b - b'0')) % 97
        } else {
            (rem * 100 + u32::from(b - b'A') + 10) % 97
        }
    })
}

impl fmt::Display for Iban {
    /// Shows the paper form (groups of four); use [`Iban::as_str`] for the electronic form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl AsRef<str> for Iban {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Iban {
    type Err = IbanError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Iban::parse(s)
    }
}

impl Serialize for Iban {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Iban {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Iban::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID: [&str; 5] = [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "BE68539007547034",
    ];

    #[test]
    fn registry_is_sorted_and_consistent() {
        assert!(REGISTRY.windows(2).all(|w| w[0].0 < w[1].0));
        for (country, length, structure) in REGISTRY {
            let mut total = 0;
            let mut count = 0;
            for ch in structure.bytes() {
                if ch.is_ascii_digit() {
                    count = count * 10 + usize::from(ch - b'0');
                } else {
                    total += count;
                    count = 0;
                }
            }
            assert_eq!(total + 4, length, "{country}");
            assert!(CountryCode::parse(country).is_ok(), "{country}");
        }
    }

    #[test]
    fn accepts_known_valid_ibans() {
        for text in VALID {
            let iban = Iban::parse(text).expect(text);
            assert_eq!(iban.as_str(), text);
        }
        let more = [
            "CH9300762011623852957",
            "AT611904300234573201",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "NO9386011117947",
            "MT84MALT011000012345MTLCAST001S",
        ];
        for text in more {
            assert!(Iban::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn normalises_paper_form_and_label() {
        let iban = Iban::parse("iban: de89 3704 0044 0532 0130 00").expect("paper form");
        assert_eq!(iban.as_str(), "DE89370400440532013000");
        assert_eq!(iban.formatted(), "DE89 3704 0044 0532 0130 00");
        assert_eq!(iban.to_string(), "DE89 3704 0044 0532 0130 00");
        assert_eq!(iban.country_code(), "DE");
        assert_eq!(iban.check_digits(), "89");
        assert_eq!(iban.bban(), "370400440532013000");
        assert_eq!(iban.country().map(|c| c.as_str()), Some("DE"));
        // Non-breaking spaces from PDF text layers count as spaces.
        assert!(Iban::parse("DE89\u{a0}3704\u{a0}0044\u{a0}0532\u{a0}0130\u{a0}00").is_ok());
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(
            Iban::parse("DE8937040044053201300"),
            Err(IbanError::WrongLength {
                country: "DE".into(),
                expected: 22,
                actual: 21
            })
        );
        assert!(matches!(
            Iban::parse("DE893704004405320130000"),
            Err(IbanError::WrongLength { .. })
        ));
    }

    #[test]
    fn rejects_wrong_checksum() {
        assert_eq!(
            Iban::parse("DE89370400440532013001"),
            Err(IbanError::Checksum)
        );
        assert_eq!(
            Iban::parse("GB82WEST12345698765433"),
            Err(IbanError::Checksum)
        );
        // Swapped adjacent digits.
        assert_eq!(
            Iban::parse("DE89370400440532010300"),
            Err(IbanError::Checksum)
        );
    }

    #[test]
    fn rejects_bad_characters_and_structure() {
        assert!(matches!(
            Iban::parse("DE89-3704-0044-0532-0130-00"),
            Err(IbanError::InvalidCharacter { found: '-', .. })
        ));
        assert!(matches!(
            Iban::parse("DE89370400440532013ÖÖ0"),
            Err(IbanError::InvalidCharacter { .. })
        ));
        // A letter where the German registry says digits only.
        assert!(matches!(
            Iban::parse("DE8937040044O532013000"),
            Err(IbanError::InvalidBban { position: 13, .. })
        ));
        assert_eq!(Iban::parse("D"), Err(IbanError::Malformed));
        assert_eq!(Iban::parse(""), Err(IbanError::Malformed));
        assert_eq!(Iban::parse("1234567890"), Err(IbanError::Malformed));
        assert_eq!(
            Iban::parse("US12345678901234"),
            Err(IbanError::UnknownCountry("US".into()))
        );
    }

    #[test]
    fn rejects_check_digits_outside_02_to_98() {
        // 99 ≡ 2 (mod 97), so mod-97 alone would accept 99 in place of 02.
        let valid = (0u64..)
            .map(|n| with_check_digits("DE", &format!("{n:018}")))
            .find(|iban| iban.starts_with("DE02"))
            .expect("some BBAN has check digits 02");
        assert!(Iban::parse(&valid).is_ok());
        let bad = format!("DE99{}", &valid[4..]);
        assert_eq!(mod97(&bad), 1);
        assert_eq!(
            Iban::parse(&bad),
            Err(IbanError::CheckDigitsOutOfRange("99".into()))
        );
        assert!(matches!(
            Iban::parse("DE00370400440532013000"),
            Err(IbanError::CheckDigitsOutOfRange(_))
        ));
    }

    #[test]
    fn serde_is_the_electronic_form() {
        let iban = Iban::parse("NL91 ABNA 0417 1643 00").expect("NL");
        assert_eq!(
            serde_json::to_string(&iban).expect("ser"),
            "\"NL91ABNA0417164300\""
        );
        let back: Iban = serde_json::from_str("\"nl91abna0417164300\"").expect("de");
        assert_eq!(back, iban);
        assert!(serde_json::from_str::<Iban>("\"NL91ABNA0417164301\"").is_err());
    }

    /// Computes the check digits for a BBAN, the way a bank issues an IBAN.
    fn with_check_digits(country: &str, bban: &str) -> String {
        let rem = mod97(&format!("{country}00{bban}"));
        format!("{country}{:02}{bban}", 98 - rem)
    }

    /// A regular expression for random BBANs following a registry structure.
    fn bban_regex(structure: &'static str) -> String {
        let mut parts = Vec::new();
        let mut count = 0usize;
        for ch in structure.bytes() {
            if ch.is_ascii_digit() {
                count = count * 10 + usize::from(ch - b'0');
                continue;
            }
            let class = match ch {
                b'n' => "[0-9]",
                b'a' => "[A-Z]",
                _ => "[A-Z0-9]",
            };
            parts.push(format!("{class}{{{count}}}"));
            count = 0;
        }
        parts.concat()
    }

    fn valid_iban() -> impl Strategy<Value = String> {
        proptest::sample::select(REGISTRY.to_vec()).prop_flat_map(|(country, _, structure)| {
            proptest::string::string_regex(&bban_regex(structure))
                .expect("regex")
                .prop_map(move |bban| with_check_digits(country, &bban))
        })
    }

    proptest! {
        #[test]
        fn generated_ibans_are_valid(iban in valid_iban()) {
            prop_assert!(Iban::parse(&iban).is_ok(), "{iban}");
        }

        #[test]
        fn changing_one_digit_breaks_the_iban(
            iban in valid_iban(),
            pick in any::<proptest::sample::Index>(),
            delta in 1u8..10,
        ) {
            let digits: Vec<usize> = iban
                .bytes()
                .enumerate()
                .filter(|(i, b)| *i >= 2 && b.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            let at = digits[pick.index(digits.len())];
            let mut bytes = iban.clone().into_bytes();
            bytes[at] = b'0' + (bytes[at] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assert!(Iban::parse(&changed).is_err(), "{iban} -> {changed}");
        }
    }
}
