//! UBL 2.x `Invoice` / `CreditNote` / `DebitNote` to the canonical invoice.
//!
//! Paths are local names, so namespace prefixes do not matter; Peppol BIS, XRechnung UBL and
//! the national flavours (DIAN, SUNAT, UBL 2.0 OASIS samples) share this mapping.

use doxin_model::invoice::TaxTotal;
use doxin_model::{
    Address, AllowanceCharge, BankAccount, Contact, Decimal, DocumentType, Extracted, Invoice,
    InvoiceLine, Party, VatBreakdown,
};

use super::tree::El;
use super::values::{attr, decimal, iso_date, looks_like_iban, text};

/// Maps a UBL document whose root local name is `kind`.
pub fn map(root: El<'_>, kind: &str) -> Invoice {
    let mut inv = Invoice {
        customization_id: text(root.child("CustomizationID")),
        profile_id: text(root.child("ProfileID")),
        invoice_number: text(root.child("ID")),
        type_code: text(
            root.child("InvoiceTypeCode")
                .or_else(|| root.child("CreditNoteTypeCode"))
                .or_else(|| root.child("DebitNoteTypeCode")),
        ),
        issue_date: iso_date(root.child("IssueDate")),
        due_date: iso_date(root.child("DueDate"))
            .or_else(|| iso_date(root.path(&["PaymentMeans", "PaymentDueDate"]))),
        currency: text(root.child("DocumentCurrencyCode")),
        tax_currency: text(root.child("TaxCurrencyCode")),
        buyer_reference: text(root.child("BuyerReference")),
        purchase_order_ref: text(root.path(&["OrderReference", "ID"])),
        sales_order_ref: text(root.path(&["OrderReference", "SalesOrderID"])),
        despatch_ref: text(root.path(&["DespatchDocumentReference", "ID"])),
        contract_ref: text(root.path(&["ContractDocumentReference", "ID"])),
        delivery_date: iso_date(root.path(&["Delivery", "ActualDeliveryDate"])),
        service_period_start: iso_date(root.path(&["InvoicePeriod", "StartDate"])),
        service_period_end: iso_date(root.path(&["InvoicePeriod", "EndDate"])),
        payment_terms: text(root.path(&["PaymentTerms", "Note"])),
        payment_reference: text(root.path(&["PaymentMeans", "PaymentID"])),
        seller: root
            .path(&["AccountingSupplierParty", "Party"])
            .map(party)
            .unwrap_or_default(),
        buyer: root
            .path(&["AccountingCustomerParty", "Party"])
            .map(party)
            .unwrap_or_default(),
        payee: root
            .child("PayeeParty")
            .map(party)
            .filter(|p| !p.is_empty()),
        ship_to: ship_to(root),
        notes: root
            .children_named("Note")
            .filter_map(|n| n.text().map(str::to_string))
            .collect(),
        ..Invoice::default()
    };
    inv.document_type = document_type(kind, inv.type_code.as_ref().map(|t| t.value.as_str()));
    inv.customer_number = inv.buyer.identifier.clone();

    totals(root, &mut inv);
    inv.allowances_charges = root
        .children_named("AllowanceCharge")
        .map(allowance_charge)
        .collect();
    inv.bank_accounts = root
        .children_named("PaymentMeans")
        .flat_map(|pm| pm.children_named("PayeeFinancialAccount"))
        .map(bank_account)
        .filter(|b| b != &BankAccount::default())
        .collect();

    let line_name = format!("{kind}Line");
    inv.lines = root
        .children_named(&line_name)
        .map(|l| line(l, kind))
        .collect();
    inv
}

/// Invoice or credit note, from the root element and the type code (UNTDID 1001).
pub fn document_type(kind: &str, type_code: Option<&str>) -> DocumentType {
    if kind == "CreditNote" || type_code.is_some_and(is_credit_note_code) {
        DocumentType::CreditNote
    } else {
        DocumentType::Invoice
    }
}

/// UNTDID 1001 codes of credit notes.
pub fn is_credit_note_code(code: &str) -> bool {
    matches!(
        code,
        "81" | "83" | "261" | "262" | "296" | "308" | "381" | "396" | "420" | "458" | "532"
    )
}

fn party(p: El<'_>) -> Party {
    let trading_name = text(p.path(&["PartyName", "Name"]));
    let name =
        text(p.path(&["PartyLegalEntity", "RegistrationName"])).or_else(|| trading_name.clone());
    let mut vat_id = None;
    let mut tax_registration_id = None;
    for scheme in p.children_named("PartyTaxScheme") {
        let company_id = text(scheme.child("CompanyID"));
        if company_id.is_none() {
            continue;
        }
        let is_vat = scheme
            .text_at(&["TaxScheme", "ID"])
            .is_some_and(|id| id.eq_ignore_ascii_case("VAT"));
        if is_vat {
            if vat_id.is_none() {
                vat_id = company_id;
            }
        } else if tax_registration_id.is_none() {
            tax_registration_id = company_id;
        }
    }
    Party {
        name,
        trading_name,
        address: p.child("PostalAddress").map(address).unwrap_or_default(),
        vat_id,
        tax_registration_id,
        legal_registration_id: text(p.path(&["PartyLegalEntity", "CompanyID"])),
        identifier: text(p.path(&["PartyIdentification", "ID"])),
        contact: p
            .child("Contact")
            .map(|c| Contact {
                name: text(c.child("Name")),
                phone: text(c.child("Telephone")),
                email: text(c.child("ElectronicMail")),
            })
            .unwrap_or_default(),
        electronic_address: text(p.child("EndpointID")),
    }
}

fn address(a: El<'_>) -> Address {
    Address {
        line1: text(a.child("StreetName")),
        line2: text(a.child("AdditionalStreetName")),
        line3: text(a.path(&["AddressLine", "Line"])),
        city: text(a.child("CityName")),
        postal_code: text(a.child("PostalZone")),
        country_subdivision: text(a.child("CountrySubentity")),
        country: text(a.path(&["Country", "IdentificationCode"])),
    }
}

fn ship_to(root: El<'_>) -> Option<Party> {
    let delivery = root.child("Delivery")?;
    let party = Party {
        name: text(delivery.path(&["DeliveryParty", "PartyName", "Name"])),
        address: delivery
            .path(&["DeliveryLocation", "Address"])
            .map(address)
            .unwrap_or_default(),
        identifier: text(delivery.path(&["DeliveryLocation", "ID"])),
        ..Party::default()
    };
    (!party.is_empty()).then_some(party)
}

/// Monetary totals, the tax total(s) and the VAT breakdown.
///
/// One `TaxTotal` is the VAT total. Two in different currencies are the total in the invoice
/// currency (BT-110) and in the tax currency (BT-111). Several in one currency are national
/// per-tax-type totals (DIAN, SUNAT): they go to `tax_totals`, not to `tax_amount`.
fn totals(root: El<'_>, inv: &mut Invoice) {
    let lmt = root.child("LegalMonetaryTotal");
    let t = &mut inv.totals;
    let m = |name: &str| decimal(lmt.and_then(|l| l.child(name)));
    t.line_extension_amount = m("LineExtensionAmount");
    t.allowance_total_amount = m("AllowanceTotalAmount");
    t.charge_total_amount = m("ChargeTotalAmount");
    t.tax_exclusive_amount = m("TaxExclusiveAmount");
    t.tax_inclusive_amount = m("TaxInclusiveAmount");
    t.prepaid_amount = m("PrepaidAmount");
    t.rounding_amount = m("PayableRoundingAmount");
    t.payable_amount = m("PayableAmount");

    let tax_totals: Vec<El<'_>> = root.children_named("TaxTotal").collect();
    let doc_currency = inv.currency.as_ref().map(|c| c.value.as_str());
    let tax_currency = inv.tax_currency.as_ref().map(|c| c.value.as_str());

    let mut vat_total: Option<El<'_>> = None;
    match tax_totals.as_slice() {
        [] => {}
        [only] => vat_total = Some(*only),
        many => {
            let first_currency = currency_of(&many[0]);
            let one_currency = many.iter().all(|tt| currency_of(tt) == first_currency);
            if one_currency {
                t.tax_totals = many.iter().map(|tt| per_type_total(*tt)).collect();
            } else {
                vat_total = many
                    .iter()
                    .find(|tt| doc_currency.is_some() && currency_of(tt) == doc_currency)
                    .or_else(|| many.first())
                    .copied();
                let in_tax_currency = many.iter().find(|tt| {
                    tax_currency.is_some()
                        && currency_of(tt) == tax_currency
                        && Some(**tt) != vat_total
                });
                t.tax_amount_in_tax_currency =
                    in_tax_currency.and_then(|tt| decimal(tt.child("TaxAmount")));
            }
        }
    }
    if let Some(vt) = vat_total {
        t.tax_amount = decimal(vt.child("TaxAmount"));
        inv.vat_breakdown = vt.children_named("TaxSubtotal").map(vat_row).collect();
    }
}

fn currency_of<'t>(tax_total: &El<'t>) -> Option<&'t str> {
    tax_total
        .child("TaxAmount")
        .and_then(|a| a.attr("currencyID"))
        .map(str::trim)
}

fn per_type_total(tt: El<'_>) -> TaxTotal {
    let amount_el = tt.child("TaxAmount");
    let mut schemes: Vec<Extracted<String>> = Vec::new();
    for sub in tt.children_named("TaxSubtotal") {
        if let Some(id) = text(sub.path(&["TaxCategory", "TaxScheme", "ID"]))
            && !schemes.iter().any(|s| s.value == id.value)
        {
            schemes.push(id);
        }
    }
    TaxTotal {
        amount: decimal(amount_el),
        currency: attr(amount_el, "currencyID"),
        tax_schemes: schemes,
    }
}

fn vat_row(sub: El<'_>) -> VatBreakdown {
    let cat = sub.child("TaxCategory");
    VatBreakdown {
        category: text(cat.and_then(|c| c.child("ID"))),
        rate: decimal(
            cat.and_then(|c| c.child("Percent"))
                .or_else(|| sub.child("Percent")),
        ),
        taxable_amount: decimal(sub.child("TaxableAmount")),
        tax_amount: decimal(sub.child("TaxAmount")),
        exemption_reason: text(cat.and_then(|c| c.child("TaxExemptionReason"))),
    }
}

fn allowance_charge(ac: El<'_>) -> AllowanceCharge {
    let is_charge = ac
        .text_at(&["ChargeIndicator"])
        .is_some_and(|t| t.eq_ignore_ascii_case("true"));
    AllowanceCharge {
        is_charge,
        amount: decimal(ac.child("Amount")),
        base_amount: decimal(ac.child("BaseAmount")),
        percent: decimal(ac.child("MultiplierFactorNumeric")),
        reason: text(ac.child("AllowanceChargeReason")),
        tax_category: text(ac.path(&["TaxCategory", "ID"])),
        tax_rate: decimal(ac.path(&["TaxCategory", "Percent"])),
    }
}

fn bank_account(acct: El<'_>) -> BankAccount {
    let id = text(acct.child("ID"));
    let (iban, account_number) = match id {
        Some(id) if looks_like_iban(&id.value) => (Some(id), None),
        other => (None, other),
    };
    BankAccount {
        iban,
        bic: text(acct.path(&["FinancialInstitutionBranch", "ID"])).or_else(|| {
            text(acct.path(&["FinancialInstitutionBranch", "FinancialInstitution", "ID"]))
        }),
        account_number,
        account_name: text(acct.child("Name")),
    }
}

/// One `InvoiceLine` / `CreditNoteLine` (or, recursively, `SubInvoiceLine`).
fn line(l: El<'_>, kind: &str) -> InvoiceLine {
    let item = l.child("Item");
    let name = text(item.and_then(|i| i.child("Name")));
    let item_description = text(item.and_then(|i| i.child("Description")));
    let (description, item_description, description_from) = match name {
        Some(n) => (Some(n), item_description, None),
        None if item_description.is_some() => {
            (item_description, None, Some("Item/Description".to_string()))
        }
        None => (None, None, None),
    };
    let quantity_el = l
        .child("InvoicedQuantity")
        .or_else(|| l.child("CreditedQuantity"))
        .or_else(|| l.child("DebitedQuantity"));
    let price = l.child("Price");
    let tax = item.and_then(|i| i.child("ClassifiedTaxCategory"));
    let (mut allowance, mut charge) = (None::<Decimal>, None::<Decimal>);
    for ac in l.children_named("AllowanceCharge") {
        let Some(amount) = decimal(ac.child("Amount")) else {
            continue;
        };
        let is_charge = ac
            .text_at(&["ChargeIndicator"])
            .is_some_and(|t| t.eq_ignore_ascii_case("true"));
        let slot = if is_charge {
            &mut charge
        } else {
            &mut allowance
        };
        *slot = Some(slot.unwrap_or_default() + amount.value);
    }
    let sub_line_name = format!("Sub{kind}Line");
    InvoiceLine {
        id: text(l.child("ID")),
        description,
        item_description,
        description_from,
        seller_item_id: text(item.and_then(|i| i.path(&["SellersItemIdentification", "ID"]))),
        quantity: decimal(quantity_el),
        unit_code: attr(quantity_el, "unitCode"),
        unit_price: decimal(price.and_then(|p| p.child("PriceAmount"))),
        price_base_quantity: decimal(price.and_then(|p| p.child("BaseQuantity"))),
        // BT-148: the gross price is the base of the price discount (BT-147).
        gross_unit_price: decimal(price.and_then(|p| p.path(&["AllowanceCharge", "BaseAmount"]))),
        allowance_amount: allowance.map(Extracted::xml),
        charge_amount: charge.map(Extracted::xml),
        line_amount: decimal(l.child("LineExtensionAmount")),
        vat_category: text(tax.and_then(|t| t.child("ID"))),
        vat_rate: decimal(tax.and_then(|t| t.child("Percent"))),
        note: text(l.child("Note")),
        sub_lines: l
            .children_named(&sub_line_name)
            .map(|s| line(s, kind))
            .collect(),
        ..InvoiceLine::default()
    }
}

#[cfg(test)]
mod tests {
    use crate::einvoice::parse;

    #[test]
    fn gross_price_is_the_base_of_the_price_discount() {
        let xml = r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
            xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
            xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
          <cbc:ID>1</cbc:ID>
          <cac:InvoiceLine><cbc:ID>1</cbc:ID>
            <cac:Price><cbc:PriceAmount currencyID="EUR">9.00</cbc:PriceAmount>
              <cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator>
                <cbc:Amount currencyID="EUR">1.00</cbc:Amount>
                <cbc:BaseAmount currencyID="EUR">10.00</cbc:BaseAmount></cac:AllowanceCharge>
            </cac:Price></cac:InvoiceLine>
          <cac:InvoiceLine><cbc:ID>2</cbc:ID>
            <cac:Price><cbc:PriceAmount currencyID="EUR">5</cbc:PriceAmount></cac:Price>
          </cac:InvoiceLine>
        </Invoice>"#;
        let inv = parse(xml.as_bytes()).expect("parse").invoice;
        let gross = |i: usize| {
            inv.lines[i]
                .gross_unit_price
                .as_ref()
                .map(|g| g.value.to_string())
        };
        assert_eq!(gross(0).as_deref(), Some("10.00"));
        assert_eq!(gross(1), None);
    }
}
