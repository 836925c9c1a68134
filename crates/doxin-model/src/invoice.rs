//! The canonical invoice: EN 16931 semantics (business terms BT-n noted on the fields), plus
//! the fields of the earlier system ([`LegacyFields`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::provenance::{Extracted, Field};

/// Invoice or credit note (BT-3, reduced to what changes the meaning of the amounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    #[default]
    Invoice,
    CreditNote,
}

/// The e-invoice syntax a document was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Syntax {
    /// OASIS UBL 2.x (`Invoice`, `CreditNote`), including Peppol BIS, XRechnung UBL and national
    /// flavours such as DIAN (Colombia) and SUNAT (Peru).
    #[serde(rename = "UBL")]
    Ubl,
    /// UN/CEFACT Cross Industry Invoice D16B (Factur-X, ZUGFeRD 2.x, XRechnung CII).
    #[serde(rename = "CII")]
    Cii,
    /// ZUGFeRD 1.0 (`CrossIndustryDocument`, a CII predecessor).
    #[serde(rename = "ZUGFeRD-1.0-CII")]
    Zugferd1,
    /// Italy's FatturaPA 1.2.x (`FatturaElettronica`, `FPR12` business-to-business and `FPA12`
    /// public administration), the format of the national exchange system (SdI).
    #[serde(rename = "FatturaPA")]
    FatturaPa,
}

impl Syntax {
    /// The label used in evaluation truth files and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Syntax::Ubl => "UBL",
            Syntax::Cii => "CII",
            Syntax::Zugferd1 => "ZUGFeRD-1.0-CII",
            Syntax::FatturaPa => "FatturaPA",
        }
    }
}

impl std::fmt::Display for Syntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A postal address (BG-5 and siblings). `country` is an ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line1: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line2: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line3: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_subdivision: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Field<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        self == &Address::default()
    }
}

/// A contact point (BG-6 / BG-9).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Field<String>,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        self == &Contact::default()
    }
}

/// Seller, buyer, payee or ship-to party.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Party {
    /// Legal (registration) name; falls back to the trading name when only that is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trading_name: Field<String>,
    #[serde(skip_serializing_if = "Address::is_empty")]
    pub address: Address,
    /// VAT identifier (BT-31 / BT-48), with its country prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_id: Field<String>,
    /// Tax registration number other than VAT (BT-32), such as a German Steuernummer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_registration_id: Field<String>,
    /// Legal registration identifier (BT-30 / BT-47), such as a company register number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_registration_id: Field<String>,
    /// Identifier assigned by the other party (seller id BT-29, buyer id BT-46).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Field<String>,
    #[serde(skip_serializing_if = "Contact::is_empty")]
    pub contact: Contact,
    /// Electronic address (BT-34 / BT-49), e.g. a Peppol participant id or an e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub electronic_address: Field<String>,
}

impl Party {
    pub fn is_empty(&self) -> bool {
        self == &Party::default()
    }
}

/// Document totals (BG-22). Each is optional because extraction may not find it; validation
/// says which rules could not be checked.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Totals {
    /// Σ invoice line net amounts (BT-106).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_extension_amount: Field<Decimal>,
    /// Σ document-level allowances (BT-107).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowance_total_amount: Field<Decimal>,
    /// Σ document-level charges (BT-108).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_total_amount: Field<Decimal>,
    /// Total without VAT, the net (BT-109).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_exclusive_amount: Field<Decimal>,
    /// Total VAT in the invoice currency (BT-110).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_amount: Field<Decimal>,
    /// Total with VAT, the gross (BT-112).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_inclusive_amount: Field<Decimal>,
    /// Paid amount (BT-113).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepaid_amount: Field<Decimal>,
    /// Rounding amount (BT-114).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounding_amount: Field<Decimal>,
    /// Amount due for payment (BT-115).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payable_amount: Field<Decimal>,
    /// Total VAT in the tax accounting currency (BT-111), when that differs from the invoice
    /// currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_amount_in_tax_currency: Field<Decimal>,
    /// Tax totals per tax type, for national flavours (Colombian DIAN, Peruvian SUNAT) that
    /// state one total per tax (IVA, INC, ICA, ISC, …) in the invoice currency instead of one
    /// VAT total. When present, `tax_amount` is usually absent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tax_totals: Vec<TaxTotal>,
}

/// The total of one tax type (one UBL `TaxTotal` of a national flavour).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TaxTotal {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Field<Decimal>,
    /// The currency the amount is stated in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Field<String>,
    /// The tax scheme identifiers the total covers (e.g. DIAN `01` IVA, SUNAT `1000` IGV), in
    /// document order, without repetition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tax_schemes: Vec<Extracted<String>>,
}

/// One row of the VAT breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VatBreakdown {
    /// UNCL 5305 category code: S, Z, E, AE, K, G, O, L, M (BT-118), and B, Italian split
    /// payment (the buyer pays this VAT to the state, not to the seller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Field<String>,
    /// Rate in percent (BT-119).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Field<Decimal>,
    /// Taxable amount of this category (BT-116).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxable_amount: Field<Decimal>,
    /// Tax amount of this category (BT-117).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_amount: Field<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption_reason: Field<String>,
}

/// A document-level allowance (BG-20) or charge (BG-21).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AllowanceCharge {
    /// `true` for a charge, `false` for an allowance.
    pub is_charge: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Field<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_amount: Field<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Field<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_category: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_rate: Field<Decimal>,
}

/// Payment account (BG-17).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BankAccount {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bic: Field<String>,
    /// A non-IBAN account number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Field<String>,
}

/// An invoice line (BG-25).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceLine {
    /// Line identifier / position (BT-126).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Field<String>,
    /// Item name (BT-153).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Field<String>,
    /// Longer item description (BT-154).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_description: Field<String>,
    /// Seller's item identifier / product code (BT-155).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_item_id: Field<String>,
    /// Invoiced quantity (BT-129).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Field<Decimal>,
    /// UN/ECE Recommendation 20 unit code (BT-130).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_code: Field<String>,
    /// Net unit price (BT-146).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Field<Decimal>,
    /// Price base quantity (BT-149): the price is per this many units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_base_quantity: Field<Decimal>,
    /// Gross unit price before the price discount (BT-148).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gross_unit_price: Field<Decimal>,
    /// Σ line-level allowances (BG-27), as a positive amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowance_amount: Field<Decimal>,
    /// Σ line-level charges (BG-28).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_amount: Field<Decimal>,
    /// Line net amount (BT-131).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_amount: Field<Decimal>,
    /// UNCL 5305 category (BT-151).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_category: Field<String>,
    /// VAT rate in percent (BT-152).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_rate: Field<Decimal>,
    /// Where `description` came from when it is not the item name: `"Item/Description"` when a
    /// line without an item name took its item description (which is then not repeated in
    /// `item_description`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_from: Option<String>,
    /// Free-text line note (BT-127).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Field<String>,
    /// The line this one belongs to, in a hierarchy of lines (CII `ParentLineID`, Factur-X
    /// EXTENDED / XRechnung extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_line_id: Field<String>,
    /// Line status reason (CII `LineStatusReasonCode`: `DETAIL`, `GROUP`, `INFORMATION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_status_reason: Field<String>,
    /// Nested sub-lines (UBL `SubInvoiceLine`, XRechnung extension), each a full line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_lines: Vec<InvoiceLine>,
}

/// Fields of the earlier system that EN 16931 does not name; kept so nothing it stored is lost.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LegacyFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_order_id: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_date: Field<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_via: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fob: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub territory: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salesperson: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_status: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_status: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub special_instructions: Field<String>,
}

impl LegacyFields {
    pub fn is_empty(&self) -> bool {
        self == &LegacyFields::default()
    }
}

/// The canonical invoice.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Invoice {
    pub document_type: DocumentType,
    /// The e-invoice syntax the invoice was read from; absent for visual extractions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syntax: Option<Syntax>,
    /// The kind of e-invoice document as its root element names it (`Invoice`, `CreditNote`);
    /// absent for visual extractions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_kind: Option<String>,
    /// Specification identifier (BT-24), e.g. the XRechnung or Peppol BIS customization id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customization_id: Field<String>,
    /// Business process type (BT-23), e.g. the Peppol profile id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_id: Field<String>,
    /// UNTDID 1001 type code as written (380, 381, 384, 389, …), when known (BT-3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_code: Field<String>,
    /// Invoice number (BT-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_date: Field<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Field<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_date: Field<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_period_start: Field<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_period_end: Field<NaiveDate>,
    /// ISO 4217 invoice currency (BT-5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Field<String>,
    /// ISO 4217 tax accounting currency (BT-6), when it differs from the invoice currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_currency: Field<String>,
    /// Purchase order reference (BT-13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_order_ref: Field<String>,
    /// Sales order reference (BT-14).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_order_ref: Field<String>,
    /// Despatch advice reference (BT-16).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub despatch_ref: Field<String>,
    /// Contract reference (BT-12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_ref: Field<String>,
    /// Buyer reference, e.g. the German Leitweg-ID (BT-10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_reference: Field<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_number: Field<String>,
    /// Payment terms as text (BT-20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_terms: Field<String>,
    /// Remittance information (BT-83).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Field<String>,
    #[serde(skip_serializing_if = "Party::is_empty")]
    pub seller: Party,
    #[serde(skip_serializing_if = "Party::is_empty")]
    pub buyer: Party,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_to: Option<Party>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payee: Option<Party>,
    pub totals: Totals,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vat_breakdown: Vec<VatBreakdown>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowances_charges: Vec<AllowanceCharge>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bank_accounts: Vec<BankAccount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Lines that carry only free text (ZUGFeRD 1.0 lines with a note and no item or amount);
    /// kept apart from `lines` so line arithmetic is not disturbed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note_only_lines: Vec<String>,
    #[serde(skip_serializing_if = "LegacyFields::is_empty")]
    pub legacy: LegacyFields,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<InvoiceLine>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::Extracted;
    use rust_decimal_macros::dec;

    #[test]
    fn syntaxes_serialise_as_their_labels() {
        for syntax in [
            Syntax::Ubl,
            Syntax::Cii,
            Syntax::Zugferd1,
            Syntax::FatturaPa,
        ] {
            let json = serde_json::to_string(&syntax).expect("serialise");
            assert_eq!(json, format!("\"{}\"", syntax.as_str()));
            let back: Syntax = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, syntax);
        }
        assert_eq!(Syntax::FatturaPa.to_string(), "FatturaPA");
    }

    #[test]
    fn round_trips_through_json_with_exact_decimals() {
        let mut inv = Invoice {
            invoice_number: Some(Extracted::xml("INV-7".into())),
            currency: Some(Extracted::xml("EUR".into())),
            ..Invoice::default()
        };
        inv.totals.payable_amount = Some(Extracted::xml(dec!(1234.50)));
        inv.lines.push(InvoiceLine {
            quantity: Some(Extracted::xml(dec!(3.000))),
            ..InvoiceLine::default()
        });
        let json = serde_json::to_string(&inv).expect("serialise");
        assert!(
            json.contains("\"1234.50\""),
            "amounts are decimal strings: {json}"
        );
        assert!(!json.contains("buyer"), "empty parties are omitted: {json}");
        let back: Invoice = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, inv);
    }
}
