//! The canonical invoice as an OASIS UBL 2.1 `Invoice` or `CreditNote` (EN 16931 binding).
//!
//! [`to_ubl`] writes every value the model holds that UBL has a place for, in the element order
//! the UBL 2.1 schemas prescribe, so that DoxIn's own UBL reader (`doxin_extract::einvoice`)
//! reads back the same values: export, then re-import, is the contract the tests check.
//! The document is CIUS-neutral: the invoice's own specification identifier (BT-24) is kept
//! when it has one, else it claims plain EN 16931 (`urn:cen.eu:en16931:2017`); nothing
//! Peppol- or XRechnung-specific is added.
//!
//! Amounts are written exactly as stored (the decimal's own digits and scale, never through a
//! float), every amount with the invoice currency as `currencyID`. Credit notes
//! ([`DocumentType::CreditNote`]) become a `CreditNote` document, whose lines are
//! `CreditNoteLine`s with a `CreditedQuantity` and whose due date goes to
//! `PaymentMeans/PaymentDueDate` (a UBL 2.1 credit note has no `DueDate`).
//!
//! What UBL cannot carry is left out rather than invented: the fields of the earlier system
//! ([`doxin_model::LegacyFields`]), text-only lines of ZUGFeRD 1.0, CII line hierarchy codes,
//! and ship-to details beyond name, location id and address. Where UBL requires a code the
//! model does not hold, a neutral one is written: type code 380/381, payment means code 30
//! (credit transfer) with an account and 1 (not defined) without one, tax scheme `VAT`.

use chrono::NaiveDate;
use doxin_model::invoice::TaxTotal;
use doxin_model::{
    Address, AllowanceCharge, BankAccount, Decimal, DocumentType, Field, Invoice, InvoiceLine,
    Party, VatBreakdown,
};

use crate::xml::Node;

/// The specification identifier written when the invoice does not carry its own (BT-24).
pub const EN16931_CUSTOMIZATION_ID: &str = "urn:cen.eu:en16931:2017";

const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
const INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";

/// Why an invoice could not be written as UBL.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// UBL states the currency on every amount (`currencyID` is mandatory) and EN 16931 needs
    /// the invoice currency (BT-5); guessing one would silently change what the amounts mean.
    #[error("the invoice has no currency (BT-5); UBL needs one for every amount")]
    MissingCurrency,
    /// Serialising failed. Writing into memory does not fail in practice; the variant exists
    /// so that the writer's `io::Result` is passed on rather than unwrapped.
    #[error("writing the UBL document failed: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes the invoice as a UBL 2.1 `Invoice` (or `CreditNote` for credit notes), UTF-8 encoded.
///
/// Values absent from the model are absent from the document; optional groups whose values
/// are all absent are omitted. Text is escaped and stripped of characters XML 1.0 forbids, so
/// the output is well-formed whatever the extracted text contained.
pub fn to_ubl(invoice: &Invoice) -> Result<String, ExportError> {
    let bytes = to_ubl_bytes(invoice)?;
    // The tree holds only `String`s and ASCII markup, so the bytes are UTF-8; the lossy
    // conversion is a no-op that avoids a panic path.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// [`to_ubl`] as bytes, for callers that store or send the document as is.
pub fn to_ubl_bytes(invoice: &Invoice) -> Result<Vec<u8>, ExportError> {
    let currency = invoice
        .currency
        .as_ref()
        .map(|c| c.value.trim())
        .filter(|c| !c.is_empty())
        .ok_or(ExportError::MissingCurrency)?;
    let root = Ubl::new(invoice, currency).document();
    Ok(root.to_document()?)
}

/// The document being written: the invoice, its currency and the names that differ between
/// `Invoice` and `CreditNote`.
struct Ubl<'a> {
    inv: &'a Invoice,
    currency: &'a str,
    credit_note: bool,
}

impl<'a> Ubl<'a> {
    fn new(inv: &'a Invoice, currency: &'a str) -> Self {
        Ubl {
            inv,
            currency,
            credit_note: inv.document_type == DocumentType::CreditNote,
        }
    }

    /// The root element with its children in UBL 2.1 schema order.
    fn document(&self) -> Node {
        let inv = self.inv;
        let (root_name, ns) = if self.credit_note {
            ("CreditNote", CREDIT_NOTE_NS)
        } else {
            ("Invoice", INVOICE_NS)
        };
        let mut root = Node::new(root_name);
        root.attr("xmlns", ns)
            .attr("xmlns:cac", CAC)
            .attr("xmlns:cbc", CBC);

        let customization = value(&inv.customization_id).unwrap_or(EN16931_CUSTOMIZATION_ID);
        root.leaf("cbc:CustomizationID", customization);
        text(&mut root, "cbc:ProfileID", &inv.profile_id);
        text(&mut root, "cbc:ID", &inv.invoice_number);
        date(&mut root, "cbc:IssueDate", &inv.issue_date);
        let default_type = if self.credit_note { "381" } else { "380" };
        let type_code = value(&inv.type_code).unwrap_or(default_type);
        if self.credit_note {
            root.leaf("cbc:CreditNoteTypeCode", type_code);
        } else {
            date(&mut root, "cbc:DueDate", &inv.due_date);
            root.leaf("cbc:InvoiceTypeCode", type_code);
        }
        for note in &inv.notes {
            root.leaf("cbc:Note", note);
        }
        root.leaf("cbc:DocumentCurrencyCode", self.currency);
        text(&mut root, "cbc:TaxCurrencyCode", &inv.tax_currency);
        text(&mut root, "cbc:BuyerReference", &inv.buyer_reference);
        root.group("cac:InvoicePeriod", |p| {
            date(p, "cbc:StartDate", &inv.service_period_start);
            date(p, "cbc:EndDate", &inv.service_period_end);
        });
        root.group("cac:OrderReference", |o| {
            text(o, "cbc:ID", &inv.purchase_order_ref);
            text(o, "cbc:SalesOrderID", &inv.sales_order_ref);
        });
        root.group("cac:DespatchDocumentReference", |d| {
            text(d, "cbc:ID", &inv.despatch_ref);
        });
        root.group("cac:ContractDocumentReference", |c| {
            text(c, "cbc:ID", &inv.contract_ref);
        });
        root.group("cac:AccountingSupplierParty", |s| {
            s.push(party(&inv.seller, None));
        });
        root.group("cac:AccountingCustomerParty", |c| {
            c.push(party(
                &inv.buyer,
                inv.customer_number.as_ref().map(|n| n.value.as_str()),
            ));
        });
        if let Some(payee) = &inv.payee {
            let mut p = party(payee, None);
            p.rename("cac:PayeeParty");
            root.push(p);
        }
        root.group("cac:Delivery", |d| {
            date(d, "cbc:ActualDeliveryDate", &inv.delivery_date);
            if let Some(ship_to) = &inv.ship_to {
                d.group("cac:DeliveryLocation", |l| {
                    text(l, "cbc:ID", &ship_to.identifier);
                    l.push(address(&ship_to.address, "cac:Address"));
                });
                d.group("cac:DeliveryParty", |p| {
                    p.group("cac:PartyName", |n| text(n, "cbc:Name", &ship_to.name));
                });
            }
        });
        self.payment_means(&mut root);
        root.group("cac:PaymentTerms", |t| {
            text(t, "cbc:Note", &inv.payment_terms);
        });
        for ac in &inv.allowances_charges {
            root.push(self.allowance_charge(ac));
        }
        self.tax_totals(&mut root);
        self.monetary_total(&mut root);
        for line in &inv.lines {
            root.push(self.line(line, self.line_name(false)));
        }
        root
    }

    fn line_name(&self, sub: bool) -> &'static str {
        match (self.credit_note, sub) {
            (false, false) => "cac:InvoiceLine",
            (false, true) => "cac:SubInvoiceLine",
            (true, false) => "cac:CreditNoteLine",
            (true, true) => "cac:SubCreditNoteLine",
        }
    }

    /// An amount with the invoice currency.
    fn amount(&self, parent: &mut Node, name: &'static str, f: &Field<Decimal>) {
        self.amount_in(parent, name, f.as_ref().map(|e| e.value), self.currency);
    }

    fn amount_in(&self, parent: &mut Node, name: &'static str, d: Option<Decimal>, cur: &str) {
        if let Some(d) = d
            && let Some(el) = parent.leaf(name, &d.to_string())
        {
            el.attr("currencyID", cur);
        }
    }

    /// One `PaymentMeans` per bank account (the first also carries the remittance information
    /// and, for credit notes, the due date); a single one without an account when only those
    /// are known.
    fn payment_means(&self, root: &mut Node) {
        let inv = self.inv;
        let due = if self.credit_note {
            &inv.due_date
        } else {
            &None
        };
        let first = |pm: &mut Node, has_account: bool| {
            pm.leaf("cbc:PaymentMeansCode", if has_account { "30" } else { "1" });
            date(pm, "cbc:PaymentDueDate", due);
            text(pm, "cbc:PaymentID", &inv.payment_reference);
        };
        if inv.bank_accounts.is_empty() {
            let mut pm = Node::new("cac:PaymentMeans");
            first(&mut pm, false);
            // The code alone says nothing: keep the group only for a due date or reference.
            if pm.len() > 1 {
                root.push(pm);
            }
            return;
        }
        for (i, acct) in inv.bank_accounts.iter().enumerate() {
            let mut pm = Node::new("cac:PaymentMeans");
            if i == 0 {
                first(&mut pm, true);
            } else {
                pm.leaf("cbc:PaymentMeansCode", "30");
            }
            pm.push(bank_account(acct));
            root.push(pm);
        }
    }

    fn allowance_charge(&self, ac: &AllowanceCharge) -> Node {
        let mut n = Node::new("cac:AllowanceCharge");
        n.leaf(
            "cbc:ChargeIndicator",
            if ac.is_charge { "true" } else { "false" },
        );
        text(&mut n, "cbc:AllowanceChargeReason", &ac.reason);
        decimal(&mut n, "cbc:MultiplierFactorNumeric", &ac.percent);
        self.amount(&mut n, "cbc:Amount", &ac.amount);
        self.amount(&mut n, "cbc:BaseAmount", &ac.base_amount);
        n.group("cac:TaxCategory", |c| {
            text(c, "cbc:ID", &ac.tax_category);
            decimal(c, "cbc:Percent", &ac.tax_rate);
            if !c.is_empty() {
                vat_scheme(c);
            }
        });
        n
    }

    /// The tax total(s), shaped so the reader tells them apart the way it reads them:
    /// one VAT total with its breakdown (plus, when the tax currency differs, a second total
    /// in that currency, BT-111), or, for national flavours, one total per tax type in one
    /// currency. Two shapes cannot come back as they were, because the reader tells them apart
    /// by count and currency alone: a single per-type total reads as the VAT total, and
    /// per-type totals beside a VAT total are not written (the VAT total wins).
    fn tax_totals(&self, root: &mut Node) {
        let inv = self.inv;
        let t = &inv.totals;
        let has_vat = t.tax_amount.is_some() || !inv.vat_breakdown.is_empty();
        if has_vat || t.tax_totals.is_empty() {
            let mut tt = Node::new("cac:TaxTotal");
            self.amount(&mut tt, "cbc:TaxAmount", &t.tax_amount);
            for row in &inv.vat_breakdown {
                tt.push(self.vat_row(row));
            }
            root.push(tt);
            let tax_currency = value(&inv.tax_currency).filter(|c| *c != self.currency);
            if let (Some(cur), Some(amount)) = (tax_currency, &t.tax_amount_in_tax_currency) {
                let mut tt = Node::new("cac:TaxTotal");
                self.amount_in(&mut tt, "cbc:TaxAmount", Some(amount.value), cur);
                root.push(tt);
            }
        }
        if !has_vat {
            for total in &t.tax_totals {
                root.push(self.per_type_total(total));
            }
        }
    }

    /// A national per-tax-type total. The model keeps the total and the schemes it covers,
    /// not the split between schemes, so a subtotal carries the amount only when there is
    /// exactly one scheme.
    fn per_type_total(&self, total: &TaxTotal) -> Node {
        let cur = value(&total.currency).unwrap_or(self.currency);
        let amount = total.amount.as_ref().map(|a| a.value);
        let mut tt = Node::new("cac:TaxTotal");
        self.amount_in(&mut tt, "cbc:TaxAmount", amount, cur);
        let single = total.tax_schemes.len() == 1;
        for scheme in &total.tax_schemes {
            tt.group("cac:TaxSubtotal", |s| {
                if single {
                    self.amount_in(s, "cbc:TaxAmount", amount, cur);
                }
                s.group("cac:TaxCategory", |c| {
                    c.group("cac:TaxScheme", |ts| {
                        ts.leaf("cbc:ID", &scheme.value);
                    });
                });
            });
        }
        tt
    }

    fn vat_row(&self, row: &VatBreakdown) -> Node {
        let mut s = Node::new("cac:TaxSubtotal");
        self.amount(&mut s, "cbc:TaxableAmount", &row.taxable_amount);
        self.amount(&mut s, "cbc:TaxAmount", &row.tax_amount);
        s.group("cac:TaxCategory", |c| {
            text(c, "cbc:ID", &row.category);
            decimal(c, "cbc:Percent", &row.rate);
            text(c, "cbc:TaxExemptionReason", &row.exemption_reason);
            vat_scheme(c);
        });
        s
    }

    fn monetary_total(&self, root: &mut Node) {
        let t = &self.inv.totals;
        let mut m = Node::new("cac:LegalMonetaryTotal");
        self.amount(&mut m, "cbc:LineExtensionAmount", &t.line_extension_amount);
        self.amount(&mut m, "cbc:TaxExclusiveAmount", &t.tax_exclusive_amount);
        self.amount(&mut m, "cbc:TaxInclusiveAmount", &t.tax_inclusive_amount);
        self.amount(
            &mut m,
            "cbc:AllowanceTotalAmount",
            &t.allowance_total_amount,
        );
        self.amount(&mut m, "cbc:ChargeTotalAmount", &t.charge_total_amount);
        self.amount(&mut m, "cbc:PrepaidAmount", &t.prepaid_amount);
        self.amount(&mut m, "cbc:PayableRoundingAmount", &t.rounding_amount);
        self.amount(&mut m, "cbc:PayableAmount", &t.payable_amount);
        root.push(m);
    }

    /// One line (BG-25) in `InvoiceLine` / `CreditNoteLine` schema order, sub-lines nested.
    fn line(&self, l: &InvoiceLine, name: &'static str) -> Node {
        let mut n = Node::new(name);
        text(&mut n, "cbc:ID", &l.id);
        text(&mut n, "cbc:Note", &l.note);
        let qty_name = if self.credit_note {
            "cbc:CreditedQuantity"
        } else {
            "cbc:InvoicedQuantity"
        };
        if let Some(q) = &l.quantity
            && let Some(el) = n.leaf(qty_name, &q.value.to_string())
            && let Some(unit) = value(&l.unit_code)
        {
            el.attr("unitCode", unit);
        }
        self.amount(&mut n, "cbc:LineExtensionAmount", &l.line_amount);
        for (is_charge, sum) in [(false, &l.allowance_amount), (true, &l.charge_amount)] {
            if sum.is_some() {
                n.group("cac:AllowanceCharge", |ac| {
                    ac.leaf(
                        "cbc:ChargeIndicator",
                        if is_charge { "true" } else { "false" },
                    );
                    self.amount(ac, "cbc:Amount", sum);
                });
            }
        }
        n.group("cac:Item", |item| {
            // An item name is required; a line that only had a description keeps it there.
            let from_description = l.description_from.as_deref() == Some("Item/Description");
            if from_description {
                text(item, "cbc:Description", &l.description);
            } else {
                text(item, "cbc:Description", &l.item_description);
                text(item, "cbc:Name", &l.description);
            }
            item.group("cac:SellersItemIdentification", |s| {
                text(s, "cbc:ID", &l.seller_item_id);
            });
            item.group("cac:ClassifiedTaxCategory", |c| {
                text(c, "cbc:ID", &l.vat_category);
                decimal(c, "cbc:Percent", &l.vat_rate);
                if !c.is_empty() {
                    vat_scheme(c);
                }
            });
        });
        n.group("cac:Price", |p| {
            self.amount(p, "cbc:PriceAmount", &l.unit_price);
            if let Some(q) = &l.price_base_quantity
                && let Some(el) = p.leaf("cbc:BaseQuantity", &q.value.to_string())
                && let Some(unit) = value(&l.unit_code)
            {
                el.attr("unitCode", unit);
            }
            // The gross price (BT-148) is the base of the price discount (BT-147).
            if let (Some(gross), Some(net)) = (&l.gross_unit_price, &l.unit_price) {
                p.group("cac:AllowanceCharge", |ac| {
                    ac.leaf("cbc:ChargeIndicator", "false");
                    let discount = Some(gross.value - net.value);
                    self.amount_in(ac, "cbc:Amount", discount, self.currency);
                    self.amount_in(ac, "cbc:BaseAmount", Some(gross.value), self.currency);
                });
            }
        });
        let sub = self.line_name(true);
        for s in &l.sub_lines {
            n.push(self.line(s, sub));
        }
        n
    }
}

/// A party (BG-4, BG-7, BG-10) in UBL `Party` order. `customer_number` stands in for the
/// buyer's identifier (BT-46) when the party has none: the reader takes the customer number
/// from there.
fn party(p: &Party, customer_number: Option<&str>) -> Node {
    let mut n = Node::new("cac:Party");
    text(&mut n, "cbc:EndpointID", &p.electronic_address);
    n.group("cac:PartyIdentification", |i| match value(&p.identifier) {
        Some(id) => {
            i.leaf("cbc:ID", id);
        }
        None => {
            if let Some(number) = customer_number {
                i.leaf("cbc:ID", number);
            }
        }
    });
    n.group("cac:PartyName", |pn| text(pn, "cbc:Name", &p.trading_name));
    n.push(address(&p.address, "cac:PostalAddress"));
    for (id, scheme) in [(&p.vat_id, "VAT"), (&p.tax_registration_id, "FC")] {
        if value(id).is_some() {
            n.group("cac:PartyTaxScheme", |s| {
                text(s, "cbc:CompanyID", id);
                s.group("cac:TaxScheme", |ts| {
                    ts.leaf("cbc:ID", scheme);
                });
            });
        }
    }
    n.group("cac:PartyLegalEntity", |l| {
        text(l, "cbc:RegistrationName", &p.name);
        text(l, "cbc:CompanyID", &p.legal_registration_id);
    });
    n.group("cac:Contact", |c| {
        text(c, "cbc:Name", &p.contact.name);
        text(c, "cbc:Telephone", &p.contact.phone);
        text(c, "cbc:ElectronicMail", &p.contact.email);
    });
    n
}

/// A postal address in UBL `Address` order.
fn address(a: &Address, name: &'static str) -> Node {
    let mut n = Node::new(name);
    text(&mut n, "cbc:StreetName", &a.line1);
    text(&mut n, "cbc:AdditionalStreetName", &a.line2);
    text(&mut n, "cbc:CityName", &a.city);
    text(&mut n, "cbc:PostalZone", &a.postal_code);
    text(&mut n, "cbc:CountrySubentity", &a.country_subdivision);
    n.group("cac:AddressLine", |l| text(l, "cbc:Line", &a.line3));
    n.group("cac:Country", |c| {
        text(c, "cbc:IdentificationCode", &a.country);
    });
    n
}

/// The payee's account (BG-17): the IBAN when there is one, else the account number (UBL
/// has one account identifier; an account with both keeps the IBAN).
fn bank_account(acct: &BankAccount) -> Node {
    let mut n = Node::new("cac:PayeeFinancialAccount");
    match value(&acct.iban) {
        Some(iban) => {
            n.leaf("cbc:ID", iban);
        }
        None => text(&mut n, "cbc:ID", &acct.account_number),
    }
    text(&mut n, "cbc:Name", &acct.account_name);
    n.group("cac:FinancialInstitutionBranch", |b| {
        text(b, "cbc:ID", &acct.bic);
    });
    n
}

fn vat_scheme(parent: &mut Node) {
    parent.group("cac:TaxScheme", |ts| {
        ts.leaf("cbc:ID", "VAT");
    });
}

/// The trimmed value of a text field, if it has one.
fn value(f: &Field<String>) -> Option<&str> {
    f.as_ref().map(|e| e.value.trim()).filter(|v| !v.is_empty())
}

fn text(parent: &mut Node, name: &'static str, f: &Field<String>) {
    if let Some(e) = f {
        parent.leaf(name, &e.value);
    }
}

/// A decimal that is not an amount (a percentage, a factor): no currency.
fn decimal(parent: &mut Node, name: &'static str, f: &Field<Decimal>) {
    if let Some(e) = f {
        parent.leaf(name, &e.value.to_string());
    }
}

/// An `xs:date` (`YYYY-MM-DD`).
fn date(parent: &mut Node, name: &'static str, f: &Field<NaiveDate>) {
    if let Some(e) = f {
        parent.leaf(name, &e.value.format("%Y-%m-%d").to_string());
    }
}
