//! UN/CEFACT Cross Industry Invoice (D16B: Factur-X, ZUGFeRD 2.x, XRechnung CII) and its
//! predecessor ZUGFeRD 1.0 (`CrossIndustryDocument`) to the canonical invoice.
//!
//! The two differ mostly in the names of the containers (`ExchangedDocument` vs
//! `HeaderExchangedDocument`, `ApplicableHeaderTradeSettlement` vs
//! `ApplicableSupplyChainTradeSettlement`, …); [`Names`] holds them so one mapping reads both.

use doxin_model::{
    Address, AllowanceCharge, BankAccount, Contact, Decimal, Extracted, Field, Invoice,
    InvoiceLine, Party, VatBreakdown,
};

use super::tree::El;
use super::ubl::document_type;
use super::values::{attr, cii_date, decimal, looks_like_iban, text};

/// Which CII generation a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// CII D16B (`CrossIndustryInvoice`).
    D16b,
    /// ZUGFeRD 1.0 (`CrossIndustryDocument`).
    Zugferd1,
}

/// Container names that differ between the flavours.
struct Names {
    context: &'static str,
    document: &'static str,
    transaction: &'static str,
    agreement: &'static str,
    delivery: &'static str,
    settlement: &'static str,
    summation: &'static str,
    line_agreement: &'static str,
    line_delivery: &'static str,
    line_settlement: &'static str,
    line_summation: &'static str,
    /// The identifier of a referenced document.
    ref_id: &'static str,
    /// The percentage of a tax.
    rate: &'static str,
}

const D16B: Names = Names {
    context: "ExchangedDocumentContext",
    document: "ExchangedDocument",
    transaction: "SupplyChainTradeTransaction",
    agreement: "ApplicableHeaderTradeAgreement",
    delivery: "ApplicableHeaderTradeDelivery",
    settlement: "ApplicableHeaderTradeSettlement",
    summation: "SpecifiedTradeSettlementHeaderMonetarySummation",
    line_agreement: "SpecifiedLineTradeAgreement",
    line_delivery: "SpecifiedLineTradeDelivery",
    line_settlement: "SpecifiedLineTradeSettlement",
    line_summation: "SpecifiedTradeSettlementLineMonetarySummation",
    ref_id: "IssuerAssignedID",
    rate: "RateApplicablePercent",
};

const ZUGFERD1: Names = Names {
    context: "SpecifiedExchangedDocumentContext",
    document: "HeaderExchangedDocument",
    transaction: "SpecifiedSupplyChainTradeTransaction",
    agreement: "ApplicableSupplyChainTradeAgreement",
    delivery: "ApplicableSupplyChainTradeDelivery",
    settlement: "ApplicableSupplyChainTradeSettlement",
    summation: "SpecifiedTradeSettlementMonetarySummation",
    line_agreement: "SpecifiedSupplyChainTradeAgreement",
    line_delivery: "SpecifiedSupplyChainTradeDelivery",
    line_settlement: "SpecifiedSupplyChainTradeSettlement",
    line_summation: "SpecifiedTradeSettlementMonetarySummation",
    ref_id: "ID",
    rate: "ApplicablePercent",
};

/// Maps a CII or ZUGFeRD 1.0 document.
pub fn map(root: El<'_>, flavour: Flavour) -> Invoice {
    let n = match flavour {
        Flavour::D16b => &D16B,
        Flavour::Zugferd1 => &ZUGFERD1,
    };
    let ctx = root.child(n.context);
    let doc = root.child(n.document);
    let tx = root.child(n.transaction);
    let agreement = tx.and_then(|t| t.child(n.agreement));
    let delivery = tx.and_then(|t| t.child(n.delivery));
    let settlement = tx.and_then(|t| t.child(n.settlement));

    let mut inv = Invoice {
        customization_id: text(at(
            ctx,
            &["GuidelineSpecifiedDocumentContextParameter", "ID"],
        )),
        profile_id: text(at(
            ctx,
            &["BusinessProcessSpecifiedDocumentContextParameter", "ID"],
        )),
        invoice_number: text(at(doc, &["ID"])),
        type_code: text(at(doc, &["TypeCode"])),
        issue_date: cii_date(at(doc, &["IssueDateTime", "DateTimeString"])),
        notes: doc
            .map(|d| {
                d.path_all(&["IncludedNote", "Content"])
                    .into_iter()
                    .filter_map(|c| c.text().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        buyer_reference: text(at(agreement, &["BuyerReference"])),
        purchase_order_ref: text(at(agreement, &["BuyerOrderReferencedDocument", n.ref_id])),
        sales_order_ref: text(at(agreement, &["SellerOrderReferencedDocument", n.ref_id])),
        contract_ref: text(at(agreement, &["ContractReferencedDocument", n.ref_id])),
        seller: at(agreement, &["SellerTradeParty"])
            .map(party)
            .unwrap_or_default(),
        buyer: at(agreement, &["BuyerTradeParty"])
            .map(party)
            .unwrap_or_default(),
        ship_to: at(delivery, &["ShipToTradeParty"])
            .map(party)
            .filter(|p| !p.is_empty()),
        despatch_ref: text(at(
            delivery,
            &["DespatchAdviceReferencedDocument", n.ref_id],
        )),
        delivery_date: cii_date(at(
            delivery,
            &[
                "ActualDeliverySupplyChainEvent",
                "OccurrenceDateTime",
                "DateTimeString",
            ],
        )),
        currency: text(at(settlement, &["InvoiceCurrencyCode"])),
        tax_currency: text(at(settlement, &["TaxCurrencyCode"])),
        due_date: cii_date(at(
            settlement,
            &[
                "SpecifiedTradePaymentTerms",
                "DueDateDateTime",
                "DateTimeString",
            ],
        )),
        payment_terms: text(at(
            settlement,
            &["SpecifiedTradePaymentTerms", "Description"],
        )),
        payment_reference: text(at(settlement, &["PaymentReference"])),
        service_period_start: cii_date(at(
            settlement,
            &["BillingSpecifiedPeriod", "StartDateTime", "DateTimeString"],
        )),
        service_period_end: cii_date(at(
            settlement,
            &["BillingSpecifiedPeriod", "EndDateTime", "DateTimeString"],
        )),
        payee: at(settlement, &["PayeeTradeParty"])
            .map(party)
            .filter(|p| !p.is_empty()),
        ..Invoice::default()
    };
    inv.document_type = document_type("Invoice", inv.type_code.as_ref().map(|t| t.value.as_str()));
    inv.customer_number = inv.buyer.identifier.clone();

    if let Some(s) = settlement {
        totals(s, n, &mut inv);
        inv.vat_breakdown = s
            .children_named("ApplicableTradeTax")
            .map(|t| VatBreakdown {
                category: text(t.child("CategoryCode")),
                rate: decimal(t.child(n.rate)),
                taxable_amount: decimal(t.child("BasisAmount")),
                tax_amount: decimal(t.child("CalculatedAmount")),
                exemption_reason: text(t.child("ExemptionReason")),
            })
            .collect();
        inv.allowances_charges = s
            .children_named("SpecifiedTradeAllowanceCharge")
            .map(|ac| allowance_charge(ac, n))
            .collect();
        inv.bank_accounts = s
            .children_named("SpecifiedTradeSettlementPaymentMeans")
            .map(bank_account)
            .filter(|b| b != &BankAccount::default())
            .collect();
    }

    for item in tx
        .into_iter()
        .flat_map(|t| t.children_named("IncludedSupplyChainTradeLineItem"))
    {
        if flavour == Flavour::Zugferd1
            && let Some(notes) = note_only(item, n)
        {
            inv.note_only_lines.extend(notes);
            continue;
        }
        inv.lines.push(line(item, n));
    }
    inv
}

fn at<'t>(el: Option<El<'t>>, path: &[&str]) -> Option<El<'t>> {
    el.and_then(|e| e.path(path))
}

fn currency_of<'t>(e: &El<'t>) -> Option<&'t str> {
    e.attr("currencyID").map(str::trim)
}

fn party(p: El<'_>) -> Party {
    let mut vat_id = None;
    let mut tax_registration_id = None;
    for reg in p.children_named("SpecifiedTaxRegistration") {
        let id = reg.child("ID");
        match id.and_then(|i| i.attr("schemeID")).map(str::trim) {
            Some("VA") if vat_id.is_none() => vat_id = text(id),
            Some("FC") if tax_registration_id.is_none() => tax_registration_id = text(id),
            _ => {}
        }
    }
    let legal = p.child("SpecifiedLegalOrganization");
    let contact = p.child("DefinedTradeContact");
    Party {
        name: text(p.child("Name")),
        trading_name: text(legal.and_then(|l| l.child("TradingBusinessName"))),
        address: p
            .child("PostalTradeAddress")
            .map(address)
            .unwrap_or_default(),
        vat_id,
        tax_registration_id,
        legal_registration_id: text(legal.and_then(|l| l.child("ID"))),
        identifier: text(p.child("ID")).or_else(|| text(p.child("GlobalID"))),
        contact: contact
            .map(|c| Contact {
                name: text(c.child("PersonName")),
                phone: text(c.path(&["TelephoneUniversalCommunication", "CompleteNumber"])),
                email: text(c.path(&["EmailURIUniversalCommunication", "URIID"])),
            })
            .unwrap_or_default(),
        electronic_address: text(p.path(&["URIUniversalCommunication", "URIID"])),
    }
}

fn address(a: El<'_>) -> Address {
    Address {
        line1: text(a.child("LineOne")),
        line2: text(a.child("LineTwo")),
        line3: text(a.child("LineThree")),
        city: text(a.child("CityName")),
        postal_code: text(a.child("PostcodeCode")),
        country_subdivision: text(a.child("CountrySubDivisionName")),
        country: text(a.child("CountryID")),
    }
}

/// Header monetary summation. `TaxTotalAmount` may appear twice: in the invoice currency
/// (BT-110) and in the tax currency (BT-111), told apart by `currencyID`.
fn totals(settlement: El<'_>, n: &Names, inv: &mut Invoice) {
    let Some(sum) = settlement.child(n.summation) else {
        return;
    };
    let t = &mut inv.totals;
    let m = |name: &str| decimal(sum.child(name));
    t.line_extension_amount = m("LineTotalAmount");
    t.allowance_total_amount = m("AllowanceTotalAmount");
    t.charge_total_amount = m("ChargeTotalAmount");
    t.tax_exclusive_amount = m("TaxBasisTotalAmount");
    t.tax_inclusive_amount = m("GrandTotalAmount");
    t.prepaid_amount = m("TotalPrepaidAmount");
    t.rounding_amount = m("RoundingAmount");
    t.payable_amount = m("DuePayableAmount");

    let currency = inv.currency.as_ref().map(|c| c.value.as_str());
    let tax_currency = inv
        .tax_currency
        .as_ref()
        .map(|c| c.value.as_str())
        .filter(|tc| Some(*tc) != currency);
    let tax_totals: Vec<El<'_>> = sum.children_named("TaxTotalAmount").collect();
    let in_invoice_currency = tax_totals
        .iter()
        .find(|e| currency.is_some() && currency_of(e) == currency)
        .or_else(|| {
            tax_totals
                .iter()
                .find(|e| tax_currency.is_none() || currency_of(e) != tax_currency)
        });
    t.tax_amount = decimal(in_invoice_currency.copied());
    if tax_currency.is_some() {
        t.tax_amount_in_tax_currency = decimal(
            tax_totals
                .iter()
                .find(|e| currency_of(e) == tax_currency && Some(*e) != in_invoice_currency)
                .copied(),
        );
    }
}

fn allowance_charge(ac: El<'_>, n: &Names) -> AllowanceCharge {
    let is_charge = ac
        .text_at(&["ChargeIndicator", "Indicator"])
        .is_some_and(|t| t.eq_ignore_ascii_case("true"));
    AllowanceCharge {
        is_charge,
        amount: decimal(ac.child("ActualAmount")),
        base_amount: decimal(ac.child("BasisAmount")),
        percent: decimal(ac.child("CalculationPercent")),
        reason: text(ac.child("Reason")),
        tax_category: text(ac.path(&["CategoryTradeTax", "CategoryCode"])),
        tax_rate: decimal(ac.path(&["CategoryTradeTax", n.rate])),
    }
}

fn bank_account(pm: El<'_>) -> BankAccount {
    let acct = pm.child("PayeePartyCreditorFinancialAccount");
    let iban = text(acct.and_then(|a| a.child("IBANID")));
    let proprietary = text(acct.and_then(|a| a.child("ProprietaryID")));
    let (iban, account_number) = match (iban, proprietary) {
        (Some(i), p) => (Some(i), p),
        (None, Some(p)) if looks_like_iban(&p.value) => (Some(p), None),
        (None, p) => (None, p),
    };
    BankAccount {
        iban,
        bic: text(pm.path(&["PayeeSpecifiedCreditorFinancialInstitution", "BICID"])),
        account_number,
        account_name: text(acct.and_then(|a| a.child("AccountName"))),
    }
}

/// A ZUGFeRD 1.0 line that holds only free text: no product, no quantity, no amount.
fn note_only(item: El<'_>, n: &Names) -> Option<Vec<String>> {
    let has_product = item.child("SpecifiedTradeProduct").is_some();
    let has_quantity = item.path(&[n.line_delivery, "BilledQuantity"]).is_some();
    let has_amount = item
        .path(&[n.line_settlement, n.line_summation, "LineTotalAmount"])
        .is_some();
    if has_product || has_quantity || has_amount {
        return None;
    }
    let notes: Vec<String> = item
        .path_all(&["AssociatedDocumentLineDocument", "IncludedNote", "Content"])
        .into_iter()
        .filter_map(|c| c.text().map(str::to_string))
        .collect();
    (!notes.is_empty()).then_some(notes)
}

fn line(item: El<'_>, n: &Names) -> InvoiceLine {
    let doc = item.child("AssociatedDocumentLineDocument");
    let product = item.child("SpecifiedTradeProduct");
    let agreement = item.child(n.line_agreement);
    let settlement = item.child(n.line_settlement);
    let quantity_el = item.path(&[n.line_delivery, "BilledQuantity"]);
    let net = agreement.and_then(|a| a.child("NetPriceProductTradePrice"));
    let gross = agreement.and_then(|a| a.child("GrossPriceProductTradePrice"));
    let tax = settlement.and_then(|s| s.child("ApplicableTradeTax"));

    let name = text(product.and_then(|p| p.child("Name")));
    let product_description = text(product.and_then(|p| p.child("Description")));
    let (description, item_description, description_from) = match name {
        Some(n) => (Some(n), product_description, None),
        None if product_description.is_some() => (
            product_description,
            None,
            Some("SpecifiedTradeProduct/Description".to_string()),
        ),
        None => (None, None, None),
    };

    let (mut allowance, mut charge) = (None::<Decimal>, None::<Decimal>);
    for ac in settlement
        .into_iter()
        .flat_map(|s| s.children_named("SpecifiedTradeAllowanceCharge"))
    {
        let ac = allowance_charge(ac, n);
        let Some(amount) = ac.amount else { continue };
        let slot = if ac.is_charge {
            &mut charge
        } else {
            &mut allowance
        };
        *slot = Some(slot.unwrap_or_default() + amount.value);
    }
    let sum_field = |d: Option<Decimal>| -> Field<Decimal> { d.map(Extracted::xml) };

    InvoiceLine {
        id: text(doc.and_then(|d| d.child("LineID"))),
        parent_line_id: text(doc.and_then(|d| d.child("ParentLineID"))),
        line_status_reason: text(doc.and_then(|d| d.child("LineStatusReasonCode"))),
        note: text(doc.and_then(|d| d.path(&["IncludedNote", "Content"]))),
        description,
        item_description,
        description_from,
        seller_item_id: text(product.and_then(|p| p.child("SellerAssignedID"))),
        quantity: decimal(quantity_el),
        unit_code: attr(quantity_el, "unitCode"),
        unit_price: decimal(net.and_then(|p| p.child("ChargeAmount"))),
        price_base_quantity: decimal(net.and_then(|p| p.child("BasisQuantity"))),
        gross_unit_price: decimal(gross.and_then(|p| p.child("ChargeAmount"))),
        allowance_amount: sum_field(allowance),
        charge_amount: sum_field(charge),
        line_amount: decimal(
            settlement.and_then(|s| s.path(&[n.line_summation, "LineTotalAmount"])),
        ),
        vat_category: text(tax.and_then(|t| t.child("CategoryCode"))),
        vat_rate: decimal(tax.and_then(|t| t.child(n.rate))),
        ..InvoiceLine::default()
    }
}
