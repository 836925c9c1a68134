//! VAT identifiers and IBANs with correct check digits, and their printed forms.

use crate::Country;
use crate::rng::Rng;

fn digits(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.digit()).collect()
}

fn text(ds: &[u8]) -> String {
    ds.iter().map(|d| char::from(b'0' + d)).collect()
}

fn number(ds: &[u8]) -> u64 {
    ds.iter().fold(0, |n, &d| n * 10 + u64::from(d))
}

/// The Luhn check digit that makes `ds` + digit Luhn-valid.
fn luhn_digit(ds: &[u8]) -> u8 {
    // With the check digit appended, the digits of `ds` counted from the right start doubled.
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// ISO 7064 MOD 11,10 check digit (German USt-IdNr).
fn mod_11_10_digit(ds: &[u8]) -> u8 {
    let mut product = 10u32;
    for &d in ds {
        let mut sum = (u32::from(d) + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let check = 11 - product;
    if check == 10 { 0 } else { check as u8 }
}

/// A VAT identifier: the compact form (the truth) and the form printed on the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VatNumber {
    pub compact: String,
    pub printed: String,
}

/// A valid VAT identifier of `country`; `None` for the United States (no VAT).
pub(crate) fn vat_id(country: Country, rng: &mut Rng) -> Option<VatNumber> {
    let spaced = rng.chance(0.3);
    let (compact, printed) = match country {
        Country::De => {
            let mut ds = vec![rng.int(1..=9) as u8];
            ds.extend(digits(rng, 7));
            ds.push(mod_11_10_digit(&ds));
            let n = text(&ds);
            let printed = if spaced {
                format!("DE {} {} {}", &n[..3], &n[3..6], &n[6..])
            } else {
                format!("DE{n}")
            };
            (format!("DE{n}"), printed)
        }
        Country::Fr => {
            let mut siren = vec![rng.int(3..=9) as u8];
            siren.extend(digits(rng, 7));
            siren.push(luhn_digit(&siren));
            let key = (12 + 3 * (number(&siren) % 97)) % 97;
            let n = text(&siren);
            let printed = if spaced {
                format!("FR {key:02} {} {} {}", &n[..3], &n[3..6], &n[6..])
            } else {
                format!("FR{key:02}{n}")
            };
            (format!("FR{key:02}{n}"), printed)
        }
        Country::Nl => loop {
            let ds = digits(rng, 8);
            let sum: u32 = ds
                .iter()
                .zip([9u32, 8, 7, 6, 5, 4, 3, 2])
                .map(|(&d, w)| u32::from(d) * w)
                .sum();
            let check = sum % 11;
            if check < 10 && ds[0] != 0 {
                let n = format!("{}{check}", text(&ds));
                break (format!("NL{n}B01"), format!("NL{n}B01"));
            }
        },
        Country::Es => {
            // CIF of a limited company: letter B (S.L.) or A (S.A.), 7 digits, numeric control.
            let letter = if rng.chance(0.7) { 'B' } else { 'A' };
            let ds = digits(rng, 7);
            let sum: u32 = ds
                .iter()
                .enumerate()
                .map(|(i, &d)| {
                    let d = u32::from(d);
                    if i % 2 == 0 {
                        let x = d * 2;
                        x / 10 + x % 10
                    } else {
                        d
                    }
                })
                .sum();
            let control = (10 - sum % 10) % 10;
            let n = format!("{letter}{}{control}", text(&ds));
            let printed = if spaced {
                format!("ES-{n}")
            } else {
                format!("ES{n}")
            };
            (format!("ES{n}"), printed)
        }
        Country::It => {
            let mut ds = digits(rng, 7);
            // Office code: a province (001-100).
            let office = rng.int(1..=100) as u8;
            ds.extend([office / 100, office / 10 % 10, office % 10]);
            ds.push(luhn_digit(&ds));
            let n = text(&ds);
            (format!("IT{n}"), format!("IT{n}"))
        }
        Country::Gb => loop {
            // Weights 8..2 on seven digits; the last two make the sum ≡ 0 (mod 97).
            let ds = digits(rng, 7);
            if ds[0] == 0 {
                continue;
            }
            let sum: u64 = ds
                .iter()
                .zip([8u64, 7, 6, 5, 4, 3, 2])
                .map(|(&d, w)| u64::from(d) * w)
                .sum();
            let check = (97 - sum % 97) % 97;
            let n = format!("{}{check:02}", text(&ds));
            let printed = if spaced {
                format!("GB {} {} {}", &n[..3], &n[3..7], &n[7..])
            } else {
                format!("GB{n}")
            };
            break (format!("GB{n}"), printed);
        },
        Country::Ch => loop {
            let ds = digits(rng, 8);
            let sum: u32 = ds
                .iter()
                .zip([5u32, 4, 3, 2, 7, 6, 5, 4])
                .map(|(&d, w)| u32::from(d) * w)
                .sum();
            let check = (11 - sum % 11) % 11;
            if check < 10 && ds[0] != 0 {
                let n = format!("{}{check}", text(&ds));
                let printed = format!("CHE-{}.{}.{} MWST", &n[..3], &n[3..6], &n[6..]);
                break (format!("CHE{n}"), printed);
            }
        },
        Country::Us => return None,
    };
    Some(VatNumber { compact, printed })
}

/// A bank account: IBAN (compact) and BIC, or a US account and routing number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub bank: &'static str,
    /// US only.
    pub account_number: Option<String>,
    pub routing_number: Option<String>,
}

impl Account {
    /// The IBAN in groups of four, as printed.
    pub fn iban_printed(&self) -> Option<String> {
        self.iban.as_ref().map(|iban| {
            iban.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}

/// ISO 7064 MOD 97-10 check digits of an IBAN with this country and BBAN.
fn iban_check(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let rem = rearranged.chars().fold(0u32, |rem, c| {
        if let Some(d) = c.to_digit(10) {
            (rem * 10 + d) % 97
        } else {
            let v = u32::from(c as u8 - b'A') + 10;
            (rem * 100 + v) % 97
        }
    });
    format!("{:02}", 98 - rem)
}

fn iban(country: &str, bban: &str) -> String {
    format!("{country}{}{bban}", iban_check(country, bban))
}

/// French RIB key: 97 − ((89·bank + 15·branch + 3·account) mod 97), numeric accounts.
fn rib_key(bank: &str, branch: &str, account: &str) -> u64 {
    let n = |s: &str| s.parse::<u64>().unwrap_or(0);
    97 - ((89 * n(bank) + 15 * n(branch) + 3 * n(account)) % 97)
}

/// Spanish "dígitos de control": one over 00 + bank + branch, one over the account.
fn es_control(bank_branch: &str, account: &str) -> String {
    const W: [u32; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    let digit = |s: &str| {
        let sum: u32 = s
            .chars()
            .zip(W)
            .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
            .sum();
        match 11 - sum % 11 {
            11 => 0,
            10 => 1,
            d => d,
        }
    };
    format!("{}{}", digit(&format!("00{bank_branch}")), digit(account))
}

/// Italian CIN: a letter computed over ABI + CAB + account with the odd/even tables.
fn it_cin(rest: &str) -> char {
    const ODD: [u32; 10] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
    let sum: u32 = rest
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let v = c.to_digit(10).unwrap_or(0) as usize;
            // Positions are counted from 1: odd positions use the odd table.
            if i % 2 == 0 { ODD[v] } else { v as u32 }
        })
        .sum();
    char::from(b'A' + (sum % 26) as u8)
}

pub(crate) fn account(country: Country, rng: &mut Rng) -> Account {
    let d = |rng: &mut Rng, n| text(&digits(rng, n));
    match country {
        Country::De => {
            let (blz, bic, bank) = *rng.pick(&[
                ("10070000", "DEUTDEBBXXX", "Deutsche Bank"),
                ("20040000", "COBADEFFXXX", "Commerzbank"),
                ("37050198", "COLSDE33XXX", "Sparkasse KölnBonn"),
                ("70150000", "SSKMDEMMXXX", "Stadtsparkasse München"),
                ("50010517", "INGDDEFFXXX", "ING-DiBa"),
            ]);
            let bban = format!("{blz}{}", d(rng, 10));
            eu(iban("DE", &bban), bic, bank)
        }
        Country::Ch => {
            let (clearing, bic, bank) = *rng.pick(&[
                ("00230", "UBSWCHZH80A", "UBS Switzerland AG"),
                ("00700", "ZKBKCHZZ80A", "Zürcher Kantonalbank"),
                ("04835", "CRESCHZZ80A", "Credit Suisse"),
            ]);
            let bban = format!("{clearing}{}", d(rng, 12));
            eu(iban("CH", &bban), bic, bank)
        }
        Country::Fr => {
            let (bank_code, bic, bank) = *rng.pick(&[
                ("30004", "BNPAFRPPXXX", "BNP Paribas"),
                ("30003", "SOGEFRPPXXX", "Société Générale"),
                ("30002", "CRLYFRPPXXX", "LCL"),
                ("10278", "CMCIFR2AXXX", "Crédit Mutuel"),
            ]);
            let branch = d(rng, 5);
            let acct = d(rng, 11);
            let key = rib_key(bank_code, &branch, &acct);
            let bban = format!("{bank_code}{branch}{acct}{key:02}");
            eu(iban("FR", &bban), bic, bank)
        }
        Country::Nl => {
            let (code, bic, bank) = *rng.pick(&[
                ("ABNA", "ABNANL2A", "ABN AMRO"),
                ("INGB", "INGBNL2A", "ING Bank"),
                ("RABO", "RABONL2U", "Rabobank"),
                ("TRIO", "TRIONL2U", "Triodos Bank"),
            ]);
            let bban = format!("{code}{}", d(rng, 10));
            eu(iban("NL", &bban), bic, bank)
        }
        Country::Es => {
            let (entity, bic, bank) = *rng.pick(&[
                ("2100", "CAIXESBBXXX", "CaixaBank"),
                ("0182", "BBVAESMMXXX", "BBVA"),
                ("0049", "BSCHESMMXXX", "Banco Santander"),
                ("0081", "BSABESBBXXX", "Banco Sabadell"),
            ]);
            let office = d(rng, 4);
            let acct = d(rng, 10);
            let dc = es_control(&format!("{entity}{office}"), &acct);
            let bban = format!("{entity}{office}{dc}{acct}");
            eu(iban("ES", &bban), bic, bank)
        }
        Country::It => {
            let (abi, bic, bank) = *rng.pick(&[
                ("03069", "BCITITMMXXX", "Intesa Sanpaolo"),
                ("02008", "UNCRITMMXXX", "UniCredit"),
                ("05034", "BAPPIT21XXX", "Banco BPM"),
            ]);
            let cab = d(rng, 5);
            let acct = format!("{:0>12}", d(rng, 10));
            let rest = format!("{abi}{cab}{acct}");
            let bban = format!("{}{rest}", it_cin(&rest));
            eu(iban("IT", &bban), bic, bank)
        }
        Country::Gb => {
            let (code, bic, bank) = *rng.pick(&[
                ("NWBK", "NWBKGB2L", "NatWest"),
                ("BARC", "BARCGB22", "Barclays"),
                ("LOYD", "LOYDGB2L", "Lloyds Bank"),
                ("HBUK", "HBUKGB4B", "HSBC UK"),
            ]);
            let bban = format!("{code}{}{}", d(rng, 6), d(rng, 8));
            eu(iban("GB", &bban), bic, bank)
        }
        Country::Us => {
            let (routing, bank) = *rng.pick(&[
                ("021000021", "JPMorgan Chase Bank"),
                ("026009593", "Bank of America"),
                ("121000248", "Wells Fargo Bank"),
            ]);
            Account {
                iban: None,
                bic: None,
                bank,
                account_number: Some(format!("{}{}", rng.int(1..=9), d(rng, 9))),
                routing_number: Some(routing.to_string()),
            }
        }
    }
}

fn eu(iban: String, bic: &str, bank: &'static str) -> Account {
    Account {
        iban: Some(iban),
        bic: Some(bic.to_string()),
        bank,
        account_number: None,
        routing_number: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doxin_model::{Iban, VatId};

    #[test]
    fn check_digit_helpers_match_known_numbers() {
        // DE136695976 and IT00743110157 are published valid ids.
        assert_eq!(mod_11_10_digit(&[1, 3, 6, 6, 9, 5, 9, 7]), 6);
        assert_eq!(luhn_digit(&[0, 0, 7, 4, 3, 1, 1, 0, 1, 5]), 7);
        assert_eq!(iban_check("DE", "370400440532013000"), "89");
        // FR76 3000 6000 0112 3456 7890 189, a published example.
        assert_eq!(rib_key("30006", "00001", "12345678901"), 89);
        assert_eq!(
            iban_check("FR", "3000600001123456789018 9".replace(' ', "").as_str()),
            "76"
        );
    }

    #[test]
    fn every_country_yields_valid_vat_ids_and_ibans() {
        let mut rng = Rng::new(42);
        for country in Country::ALL {
            for _ in 0..200 {
                if let Some(v) = vat_id(country, &mut rng) {
                    let parsed = VatId::parse(&v.printed)
                        .unwrap_or_else(|e| panic!("{} ({:?}): {e}", v.printed, country));
                    assert_eq!(parsed.as_str(), v.compact, "{country:?}");
                }
                let a = account(country, &mut rng);
                if let Some(iban) = &a.iban {
                    let parsed = Iban::parse(iban).unwrap_or_else(|e| panic!("{iban}: {e}"));
                    assert_eq!(parsed.as_str(), iban);
                    let printed = a.iban_printed().unwrap_or_default();
                    assert!(Iban::parse(&printed).is_ok(), "{printed}");
                }
            }
        }
    }

    #[test]
    fn es_and_it_national_checks() {
        // Known valid Spanish CCC 2085 0103 92 0300731702 and Italian CIN X for the
        // published example IT60X0542811101000000123456.
        assert_eq!(es_control("20850103", "0300731702"), "92");
        assert_eq!(it_cin("0542811101000000123456"), 'X');
    }
}
