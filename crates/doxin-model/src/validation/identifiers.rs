//! Code lists, identifiers and dates: currency, countries, VAT ids, IBANs, due date, period.

use super::{Checker, Finding, RuleId};
use crate::country::CountryCode;
use crate::currency::CurrencyCode;
use crate::iban::Iban;
use crate::invoice::Party;
use crate::provenance::{Field, value_of};
use crate::vat_id::{VatId, VatIdError};

pub(super) fn run(c: &mut Checker<'_>) {
    currency(c);
    countries(c);
    vat_ids(c);
    ibans(c);
    dates(c);
}

/// A text field's value; blank counts as absent, as extractors produce empty strings.
fn text(field: &Field<String>) -> Option<&str> {
    value_of(field).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// BR-CL-04.
fn currency(c: &mut Checker<'_>) {
    let Some(code) = text(&c.invoice.currency) else {
        return;
    };
    c.checked(RuleId::BrCl04);
    if let Err(error) = CurrencyCode::parse(code) {
        c.fail(
            Finding::new(RuleId::BrCl04, format!("invoice currency (BT-5): {error}"))
                .field("currency")
                .actual(code),
        );
    }
}

fn parties<'a>(c: &Checker<'a>) -> [(&'static str, Option<&'a Party>); 4] {
    let invoice = c.invoice;
    [
        ("seller", Some(&invoice.seller)),
        ("buyer", Some(&invoice.buyer)),
        ("ship_to", invoice.ship_to.as_ref()),
        ("payee", invoice.payee.as_ref()),
    ]
}

/// BR-CL-14, for every address the invoice has.
fn countries(c: &mut Checker<'_>) {
    for (name, party) in parties(c) {
        let Some(code) = party.and_then(|p| text(&p.address.country)) else {
            continue;
        };
        c.checked(RuleId::BrCl14);
        if let Err(error) = CountryCode::parse(code) {
            c.fail(
                Finding::new(RuleId::BrCl14, format!("{name} address country: {error}"))
                    .field(format!("{name}.address.country"))
                    .actual(code),
            );
        }
    }
}

/// BR-CO-09 (prefix), DX-VATID-01 (format) and DX-VATID-02 (check digits) for seller and buyer.
fn vat_ids(c: &mut Checker<'_>) {
    let invoice = c.invoice;
    let ids = [
        ("seller", "seller VAT identifier (BT-31)", &invoice.seller),
        ("buyer", "buyer VAT identifier (BT-48)", &invoice.buyer),
    ];
    for (name, term, party) in ids {
        let Some(raw) = text(&party.vat_id) else {
            continue;
        };
        let field = format!("{name}.vat_id");
        match VatId::parse(raw) {
            Ok(id) => {
                c.checked(RuleId::BrCo09);
                c.checked(RuleId::DxVatId01);
                if id.check_digits_verified() {
                    c.checked(RuleId::DxVatId02);
                }
            }
            Err(VatIdError::Empty) => {}
            Err(VatIdError::MissingCountryPrefix(_)) => c.fail(
                Finding::new(
                    RuleId::BrCo09,
                    format!("{term} {raw} does not start with an ISO 3166-1 country prefix"),
                )
                .field(field)
                .actual(raw),
            ),
            // A country we have no format for (NO, US, …) is fine as far as BR-CO-09 goes; its
            // format stays unchecked.
            Err(VatIdError::UnsupportedCountry(prefix)) => {
                if CountryCode::parse(&prefix).is_ok() {
                    c.checked(RuleId::BrCo09);
                } else {
                    c.fail(
                        Finding::new(
                            RuleId::BrCo09,
                            format!("{term} {raw}: prefix {prefix} is not an ISO 3166-1 country"),
                        )
                        .field(field)
                        .actual(raw),
                    );
                }
            }
            Err(error @ VatIdError::InvalidFormat { expected, .. }) => {
                c.checked(RuleId::BrCo09);
                c.fail(
                    Finding::new(RuleId::DxVatId01, format!("{term}: {error}"))
                        .field(field)
                        .expected(expected)
                        .actual(raw),
                );
            }
            Err(error @ VatIdError::InvalidChecksum { .. }) => {
                c.checked(RuleId::BrCo09);
                c.checked(RuleId::DxVatId01);
                c.fail(
                    Finding::new(RuleId::DxVatId02, format!("{term}: {error}"))
                        .field(field)
                        .actual(raw),
                );
            }
        }
    }
}

/// DX-IBAN-01.
fn ibans(c: &mut Checker<'_>) {
    let invoice = c.invoice;
    for (i, account) in invoice.bank_accounts.iter().enumerate() {
        let Some(raw) = text(&account.iban) else {
            continue;
        };
        c.checked(RuleId::DxIban01);
        if let Err(error) = Iban::parse(raw) {
            c.fail(
                Finding::new(
                    RuleId::DxIban01,
                    format!("payment account IBAN (BT-84) {raw}: {error}"),
                )
                .field(format!("bank_accounts[{i}].iban"))
                .actual(raw),
            );
        }
    }
}

/// DX-DATE-01 and BR-29.
fn dates(c: &mut Checker<'_>) {
    let invoice = c.invoice;
    if let (Some(issue), Some(due)) = (value_of(&invoice.issue_date), value_of(&invoice.due_date)) {
        c.checked(RuleId::DxDate01);
        if due < issue {
            c.fail(
                Finding::new(
                    RuleId::DxDate01,
                    format!("due date {due} is before the issue date {issue}"),
                )
                .field("due_date")
                .actual(due.to_string()),
            );
        }
    }
    if let (Some(start), Some(end)) = (
        value_of(&invoice.service_period_start),
        value_of(&invoice.service_period_end),
    ) {
        c.checked(RuleId::Br29);
        if end < start {
            c.fail(
                Finding::new(
                    RuleId::Br29,
                    format!("invoicing period ends ({end}) before it starts ({start})"),
                )
                .field("service_period_end")
                .actual(end.to_string()),
            );
        }
    }
}
