//! Italy's FatturaPA 1.2.x (`FatturaElettronica`, `versione` `FPR12` between businesses and
//! `FPA12` to public administrations) to the canonical invoice.
//!
//! Only the root is namespaced (`p:`, `ns2:`, …); its children are unqualified, and paths are
//! local names here as in the other mappings. What the model has no place for is left out
//! rather than squeezed into a field of another meaning: the withholding tax (`DatiRitenuta`),
//! stamp duty (`DatiBollo`), the document-level `ScontoMaggiorazione` (informative: the discount
//! that changes the VAT base is a line of its own), linked invoices (`DatiFattureCollegate`),
//! `RiferimentoNormativo`, the payment method code (`ModalitaPagamento`) and the tax regime
//! (`RegimeFiscale`).
//!
//! Choices where FatturaPA and EN 16931 differ:
//! - `TipoDocumento` becomes a UNTDID 1001 `type_code` (the `TDxx` kept as its raw text) and the
//!   document kind `Invoice`, `CreditNote` or `DebitNote`.
//! - VAT categories are not stated; they are derived where unambiguous: a positive rate is `S`,
//!   or `B` (split payment) when the summary row says `EsigibilitaIVA` `S`; `Natura` N2.x is `O`,
//!   N3.1 `G`, N3.2 `K`, N4 `E`, N6.x `AE`; other `Natura` codes leave the category out. The
//!   `Natura` code itself is the row's exemption reason.
//! - Net and VAT totals are the sums of the summary rows (FatturaPA states no such totals). The
//!   gross is `ImportoTotaleDocumento` less `Arrotondamento` (which is the rounding, BT-114), so
//!   that gross = net + VAT holds as EN 16931 reads it; the amount due is `ImportoPagamento`.
//! - Line discounts and surcharges (`ScontoMaggiorazione`) apply to the unit price, one after
//!   the other, as the exchange system computes `PrezzoTotale`; their effect on the line becomes
//!   the line's allowance and charge amounts. A pension fund contribution
//!   (`DatiCassaPrevidenziale`), part of the VAT base, is a document-level charge.
//! - A file with several bodies (a batch of invoices to one buyer) yields the first invoice and
//!   a warning.

use doxin_model::{
    Address, AllowanceCharge, BankAccount, Contact, Decimal, Extracted, Field, Invoice,
    InvoiceLine, Party, VatBreakdown,
};

use super::tree::El;
use super::ubl::document_type;
use super::values::{attr, decimal, iso_date, text};

/// The stem of the FatturaPA 1.x namespaces
/// (`http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2` for 1.2.x).
pub const NS_PREFIX: &str = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.";

/// The root element's local name. (The simplified invoice, `FatturaElettronicaSemplificata`,
/// is another format.)
pub const ROOT: &str = "FatturaElettronica";

/// `CodiceDestinatario` values that name no recipient code: delivery by certified mail or to
/// the registered address, and buyers abroad.
const NO_RECIPIENT_CODE: [&str; 2] = ["0000000", "XXXXXXX"];

/// A mapped FatturaPA document.
pub struct Mapped {
    pub invoice: Invoice,
    /// `Invoice`, `CreditNote` or `DebitNote`, from `TipoDocumento`.
    pub kind: String,
    pub warnings: Vec<String>,
}

/// Maps a `FatturaElettronica` document: the header's parties and the first body.
pub fn map(root: El<'_>) -> Mapped {
    let header = root.child("FatturaElettronicaHeader");
    let bodies: Vec<El<'_>> = root.children_named("FatturaElettronicaBody").collect();
    let body = bodies.first().copied();
    let general = body.and_then(|b| b.child("DatiGenerali"));
    let doc = general.and_then(|g| g.child("DatiGeneraliDocumento"));

    let tipo = text(doc.and_then(|d| d.child("TipoDocumento")));
    let (code, kind) = tipo.as_ref().map_or((None, "Invoice"), |t| {
        let (code, kind) = untdid_type(&t.value);
        (Some(code), kind)
    });
    let type_code = tipo.zip(code).map(|(t, code)| {
        let raw = t.raw_text.unwrap_or(t.value);
        Extracted::xml(code.to_string()).with_raw(raw)
    });

    let mut buyer = header
        .and_then(|h| h.child("CessionarioCommittente"))
        .map(party)
        .unwrap_or_default();
    buyer.electronic_address = recipient_address(header);

    let mut inv = Invoice {
        customization_id: attr(Some(root), "versione"),
        type_code,
        invoice_number: text(doc.and_then(|d| d.child("Numero"))),
        issue_date: iso_date(doc.and_then(|d| d.child("Data"))),
        currency: text(doc.and_then(|d| d.child("Divisa"))),
        purchase_order_ref: text(
            general.and_then(|g| g.path(&["DatiOrdineAcquisto", "IdDocumento"])),
        ),
        contract_ref: text(general.and_then(|g| g.path(&["DatiContratto", "IdDocumento"]))),
        despatch_ref: text(general.and_then(|g| g.path(&["DatiDDT", "NumeroDDT"]))),
        seller: header
            .and_then(|h| h.child("CedentePrestatore"))
            .map(party)
            .unwrap_or_default(),
        buyer,
        notes: doc
            .map(|d| {
                d.children_named("Causale")
                    .filter_map(|c| c.text().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        ..Invoice::default()
    };
    inv.document_type = document_type(kind, code);

    let Some(body) = body else {
        return Mapped {
            invoice: inv,
            kind: kind.to_string(),
            warnings: Vec::new(),
        };
    };
    let summary = body.path_all(&["DatiBeniServizi", "DatiRiepilogo"]);
    // Split payment is stated per summary row; lines and contributions at a split-payment rate
    // share the row's category.
    let split_rates: Vec<Decimal> = summary
        .iter()
        .filter(|r| is_split_payment(**r))
        .filter_map(|r| decimal(r.child("AliquotaIVA")).map(|d| d.value))
        .collect();
    let category = |rate: &Field<Decimal>, natura: &Field<String>| {
        let rate = rate.as_ref().map(|r| r.value);
        let split = rate.is_some_and(|r| split_rates.contains(&r));
        vat_category(rate, natura.as_ref().map(|n| n.value.as_str()), split)
    };

    inv.vat_breakdown = summary.iter().map(|r| vat_row(*r)).collect();
    inv.lines = body
        .path_all(&["DatiBeniServizi", "DettaglioLinee"])
        .into_iter()
        .map(|l| {
            let mut mapped = line(l);
            mapped.vat_category = category(&mapped.vat_rate, &text(l.child("Natura")));
            mapped
        })
        .collect();
    inv.allowances_charges = doc
        .into_iter()
        .flat_map(|d| d.children_named("DatiCassaPrevidenziale"))
        .map(|c| {
            let mut charge = pension_fund_contribution(c);
            charge.tax_category = category(&charge.tax_rate, &text(c.child("Natura")));
            charge
        })
        .collect();
    payment(body, &mut inv);
    totals(doc, &mut inv);

    let mut warnings = Vec::new();
    if bodies.len() > 1 {
        let number = inv
            .invoice_number
            .as_ref()
            .map_or("without a number", |n| n.value.as_str());
        warnings.push(format!(
            "the FatturaPA file holds {} invoices; only the first ({number}) was read",
            bodies.len()
        ));
    }
    Mapped {
        invoice: inv,
        kind: kind.to_string(),
        warnings,
    }
}

/// `TipoDocumento` to the UNTDID 1001 type code and the document kind.
fn untdid_type(tipo: &str) -> (&'static str, &'static str) {
    match tipo {
        // Credit notes, and the simplified one.
        "TD04" | "TD08" => ("381", "CreditNote"),
        // Debit notes, and the simplified one.
        "TD05" | "TD09" => ("383", "DebitNote"),
        // Advance payment on an invoice or on a fee note.
        "TD02" | "TD03" => ("386", "Invoice"),
        // Documents the buyer issues for the seller: reverse-charge integrations and
        // self-invoices (TD16–TD21), goods for own use or given away (TD27).
        "TD16" | "TD17" | "TD18" | "TD19" | "TD20" | "TD21" | "TD27" => ("389", "Invoice"),
        // TD01 invoice, TD06 fee note, TD24/TD25 deferred invoices, TD22/TD23 (VAT warehouse),
        // TD26 (depreciable goods), TD28 and codes added later: commercial invoices.
        _ => ("380", "Invoice"),
    }
}

/// The UNCL 5305 category of a FatturaPA rate and `Natura`, where the meaning is unambiguous.
fn vat_category(rate: Option<Decimal>, natura: Option<&str>, split_payment: bool) -> Field<String> {
    let code = match natura.map(str::trim) {
        // Before 2021 the codes had no sub-codes (N2, N3, N6): the prefixes cover both.
        Some(n) if n.starts_with("N2") => Some("O"),
        Some("N3.1") => Some("G"),
        Some("N3.2") => Some("K"),
        Some("N4") => Some("E"),
        Some(n) if n.starts_with("N6") => Some("AE"),
        // N1 (excluded from the base), other N3 (non-taxable), N5 (margin scheme), N7 (VAT of
        // another member state): no UNCL 5305 code says the same.
        Some(_) => None,
        None => match rate {
            Some(r) if r > Decimal::ZERO && split_payment => Some("B"),
            Some(r) if r > Decimal::ZERO => Some("S"),
            // A zero rate needs a `Natura`; without one the category is unknown.
            _ => None,
        },
    };
    code.map(|c| Extracted::xml(c.to_string()))
}

fn is_split_payment(row: El<'_>) -> bool {
    row.text_at(&["EsigibilitaIVA"]) == Some("S")
}

/// Texts of several elements joined by a space (name and surname, street and number); the one
/// text present keeps its own raw text.
fn joined(parts: &[Option<El<'_>>]) -> Field<String> {
    let present: Vec<El<'_>> = parts
        .iter()
        .flatten()
        .filter(|e| e.text().is_some())
        .copied()
        .collect();
    match present.as_slice() {
        [] => None,
        [one] => text(Some(*one)),
        many => {
            let texts: Vec<&str> = many.iter().filter_map(|e| e.text()).collect();
            Some(Extracted::xml(texts.join(" ")))
        }
    }
}

/// `CedentePrestatore` or `CessionarioCommittente`.
fn party(p: El<'_>) -> Party {
    let data = p.child("DatiAnagrafici");
    let registry = data.and_then(|d| d.child("Anagrafica"));
    let name = text(registry.and_then(|a| a.child("Denominazione"))).or_else(|| {
        joined(&[
            registry.and_then(|a| a.child("Nome")),
            registry.and_then(|a| a.child("Cognome")),
        ])
    });
    let rea = p.child("IscrizioneREA");
    Party {
        name,
        address: p.child("Sede").map(address).unwrap_or_default(),
        vat_id: vat_id(data.and_then(|d| d.child("IdFiscaleIVA"))),
        // The codice fiscale is the Italian tax code: a company's is often its VAT number
        // without prefix, a person's is the 16-character personal code.
        tax_registration_id: text(data.and_then(|d| d.child("CodiceFiscale"))),
        // The company register (REA) entry: the chamber of commerce's province and number.
        legal_registration_id: rea
            .and_then(|r| joined(&[r.child("Ufficio"), r.child("NumeroREA")])),
        contact: p
            .child("Contatti")
            .map(|c| Contact {
                name: None,
                phone: text(c.child("Telefono")),
                email: text(c.child("Email")),
            })
            .unwrap_or_default(),
        ..Party::default()
    }
}

/// `IdPaese` + `IdCodice` (`IT` + `01234567890`), the VAT identifier with its country prefix.
/// Without a country the code alone is kept, so validation can say the prefix is missing.
fn vat_id(id: Option<El<'_>>) -> Field<String> {
    let id = id?;
    let code = id.child("IdCodice");
    match (id.text_at(&["IdPaese"]), code.and_then(|c| c.text())) {
        (Some(country), Some(number)) => Some(Extracted::xml(format!("{country}{number}"))),
        (None, Some(_)) => text(code),
        _ => None,
    }
}

fn address(sede: El<'_>) -> Address {
    Address {
        line1: joined(&[sede.child("Indirizzo"), sede.child("NumeroCivico")]),
        city: text(sede.child("Comune")),
        postal_code: text(sede.child("CAP")),
        // The province's two-letter code (MI, RM, TO).
        country_subdivision: text(sede.child("Provincia")),
        country: text(sede.child("Nazione")),
        ..Address::default()
    }
}

/// The buyer's address in the exchange system: its recipient code (an office code of a public
/// administration, or an intermediary's channel), else its certified e-mail address.
fn recipient_address(header: Option<El<'_>>) -> Field<String> {
    let transmission = header.and_then(|h| h.child("DatiTrasmissione"))?;
    text(transmission.child("CodiceDestinatario"))
        .filter(|c| !NO_RECIPIENT_CODE.contains(&c.value.as_str()))
        .or_else(|| text(transmission.child("PECDestinatario")))
}

fn vat_row(row: El<'_>) -> VatBreakdown {
    let rate = decimal(row.child("AliquotaIVA"));
    let natura = text(row.child("Natura"));
    VatBreakdown {
        category: vat_category(
            rate.as_ref().map(|r| r.value),
            natura.as_ref().map(|n| n.value.as_str()),
            is_split_payment(row),
        ),
        rate,
        taxable_amount: decimal(row.child("ImponibileImporto")),
        tax_amount: decimal(row.child("Imposta")),
        exemption_reason: natura,
    }
}

/// One `DettaglioLinee`; the caller sets the VAT category, which depends on the summary.
fn line(l: El<'_>) -> InvoiceLine {
    // A line without a quantity is priced as a whole: one unit. (A quantity that is written
    // but unreadable stays absent.)
    let quantity = match l.child("Quantita").and_then(|q| q.text()) {
        Some(_) => decimal(l.child("Quantita")),
        None => Some(Extracted::xml(Decimal::ONE)),
    };
    let unit_price = decimal(l.child("PrezzoUnitario"));
    let (allowance, charge) = price_adjustments(
        l,
        quantity.as_ref().map(|q| q.value),
        unit_price.as_ref().map(|p| p.value),
    )
    .unwrap_or_default();
    InvoiceLine {
        id: text(l.child("NumeroLinea")),
        description: text(l.child("Descrizione")),
        seller_item_id: text(l.path(&["CodiceArticolo", "CodiceValore"])),
        quantity,
        // Free text in FatturaPA ("pz", "ore", "kg"), not a UN/ECE Recommendation 20 code.
        unit_code: text(l.child("UnitaMisura")),
        unit_price,
        allowance_amount: allowance.map(Extracted::xml),
        charge_amount: charge.map(Extracted::xml),
        line_amount: decimal(l.child("PrezzoTotale")),
        vat_rate: decimal(l.child("AliquotaIVA")),
        ..InvoiceLine::default()
    }
}

/// The line's `ScontoMaggiorazione` as Σ allowances and Σ charges over the whole quantity.
///
/// Each discount (`SC`) or surcharge (`MG`) changes the unit price, in document order, by its
/// `Importo` per unit or its `Percentuale` of the price reached so far; `PrezzoTotale` is the
/// quantity times the final price. `None` when arithmetic overflows (absurd input).
fn price_adjustments(
    l: El<'_>,
    quantity: Option<Decimal>,
    unit_price: Option<Decimal>,
) -> Option<(Option<Decimal>, Option<Decimal>)> {
    let (Some(quantity), Some(mut price)) = (quantity, unit_price) else {
        return Some((None, None));
    };
    let (mut allowance, mut charge) = (None::<Decimal>, None::<Decimal>);
    for adjustment in l.children_named("ScontoMaggiorazione") {
        let is_charge = match adjustment.text_at(&["Tipo"]) {
            Some("SC") => false,
            Some("MG") => true,
            _ => continue,
        };
        // The amount is stated; the percentage only derives one, so the amount wins.
        let per_unit = match (
            decimal(adjustment.child("Importo")),
            decimal(adjustment.child("Percentuale")),
        ) {
            (Some(amount), _) => amount.value.abs(),
            (None, Some(percent)) => price
                .checked_mul(percent.value.abs())?
                .checked_div(Decimal::ONE_HUNDRED)?,
            (None, None) => continue,
        };
        let total = per_unit.checked_mul(quantity)?.normalize();
        let slot = if is_charge {
            price = price.checked_add(per_unit)?;
            &mut charge
        } else {
            price = price.checked_sub(per_unit)?;
            &mut allowance
        };
        *slot = Some(slot.unwrap_or_default().checked_add(total)?);
    }
    Some((allowance, charge))
}

/// A `DatiCassaPrevidenziale`: a professional's pension fund contribution, charged to the buyer
/// and part of the VAT base. The caller sets the VAT category.
fn pension_fund_contribution(c: El<'_>) -> AllowanceCharge {
    AllowanceCharge {
        is_charge: true,
        amount: decimal(c.child("ImportoContributoCassa")),
        base_amount: decimal(c.child("ImponibileCassa")),
        percent: decimal(c.child("AlCassa")),
        // The fund's code (TC01 … TC22).
        reason: text(c.child("TipoCassa")),
        tax_category: None,
        tax_rate: decimal(c.child("AliquotaIVA")),
    }
}

/// Due date, amount due, accounts and payment code from `DatiPagamento`.
fn payment(body: El<'_>, inv: &mut Invoice) {
    let blocks: Vec<El<'_>> = body.children_named("DatiPagamento").collect();
    let details: Vec<El<'_>> = blocks
        .iter()
        .flat_map(|b| b.children_named("DettaglioPagamento"))
        .collect();
    inv.due_date = details
        .iter()
        .find_map(|d| iso_date(d.child("DataScadenzaPagamento")));
    inv.payment_reference = details
        .iter()
        .find_map(|d| text(d.child("CodicePagamento")));
    for d in &details {
        let account = BankAccount {
            iban: text(d.child("IBAN")),
            bic: text(d.child("BIC")),
            account_number: None,
            account_name: text(d.child("Beneficiario")),
        };
        // Instalments repeat the account: list it once.
        let known = inv
            .bank_accounts
            .iter()
            .any(|b| b.iban.as_ref().map(|i| &i.value) == account.iban.as_ref().map(|i| &i.value));
        if account.iban.is_some() && !known {
            inv.bank_accounts.push(account);
        }
    }
    inv.totals.payable_amount = blocks.first().and_then(|b| amount_due(*b));
}

/// The amount due of the first `DatiPagamento`: the sum of its instalments (`TP01`), else its
/// first detail's amount (further details of a full payment are alternative ways to pay it).
fn amount_due(block: El<'_>) -> Field<Decimal> {
    let details: Vec<El<'_>> = block.children_named("DettaglioPagamento").collect();
    if block.text_at(&["CondizioniPagamento"]) == Some("TP01") && details.len() > 1 {
        let mut total = Decimal::ZERO;
        for d in &details {
            total = total.checked_add(decimal(d.child("ImportoPagamento"))?.value)?;
        }
        return Some(Extracted::xml(total));
    }
    decimal(details.first()?.child("ImportoPagamento"))
}

fn sum_of(mut values: impl Iterator<Item = Option<Decimal>>) -> Option<Decimal> {
    values.try_fold(Decimal::ZERO, |acc, v| acc.checked_add(v?))
}

/// Net, VAT, gross and rounding; the amount due under split payment when no payment says it.
fn totals(doc: Option<El<'_>>, inv: &mut Invoice) {
    let rows = &inv.vat_breakdown;
    let (net, tax) = if rows.is_empty() {
        (None, None)
    } else {
        (
            sum_of(
                rows.iter()
                    .map(|r| r.taxable_amount.as_ref().map(|a| a.value)),
            ),
            sum_of(rows.iter().map(|r| r.tax_amount.as_ref().map(|a| a.value))),
        )
    };
    let split_vat = sum_of(
        rows.iter()
            .filter(|r| r.category.as_ref().is_some_and(|c| c.value == "B"))
            .map(|r| r.tax_amount.as_ref().map(|a| a.value)),
    )
    .filter(|v| !v.is_zero());

    let stated_total = decimal(doc.and_then(|d| d.child("ImportoTotaleDocumento")));
    let rounding = decimal(doc.and_then(|d| d.child("Arrotondamento")));
    let t = &mut inv.totals;
    t.tax_exclusive_amount = net.map(Extracted::xml);
    t.tax_amount = tax.map(Extracted::xml);
    // ImportoTotaleDocumento includes the rounding; EN 16931's gross does not (BT-115 adds it).
    t.tax_inclusive_amount = match (stated_total, rounding.as_ref()) {
        (Some(total), Some(r)) if !r.value.is_zero() => {
            total.value.checked_sub(r.value).map(Extracted::xml)
        }
        (Some(total), _) => Some(total),
        (None, _) => net
            .zip(tax)
            .and_then(|(n, t)| n.checked_add(t))
            .map(Extracted::xml),
    };
    t.rounding_amount = rounding;
    // Split payment: the buyer pays the VAT to the state, so the seller is owed the rest.
    if t.payable_amount.is_none()
        && let (Some(vat), Some(gross)) = (split_vat, t.tax_inclusive_amount.as_ref())
    {
        let rounding = t
            .rounding_amount
            .as_ref()
            .map_or(Decimal::ZERO, |r| r.value);
        t.payable_amount = gross
            .value
            .checked_add(rounding)
            .and_then(|g| g.checked_sub(vat))
            .map(Extracted::xml);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::einvoice::tree::{Limits, build};

    #[test]
    fn document_types_map_to_untdid_1001() {
        let cases = [
            ("TD01", "380", "Invoice"),
            ("TD02", "386", "Invoice"),
            ("TD04", "381", "CreditNote"),
            ("TD05", "383", "DebitNote"),
            ("TD06", "380", "Invoice"),
            ("TD08", "381", "CreditNote"),
            ("TD17", "389", "Invoice"),
            ("TD24", "380", "Invoice"),
            ("TD25", "380", "Invoice"),
            ("TD99", "380", "Invoice"),
        ];
        for (tipo, code, kind) in cases {
            assert_eq!(untdid_type(tipo), (code, kind), "{tipo}");
        }
    }

    #[test]
    fn categories_only_where_unambiguous() {
        let category = |rate: &str, natura: Option<&str>, split: bool| {
            let rate = rate.parse::<Decimal>().ok();
            vat_category(rate, natura, split).map(|c| c.value)
        };
        assert_eq!(category("22.00", None, false).as_deref(), Some("S"));
        assert_eq!(category("22.00", None, true).as_deref(), Some("B"));
        assert_eq!(category("0.00", Some("N2.2"), false).as_deref(), Some("O"));
        assert_eq!(category("0.00", Some("N2"), false).as_deref(), Some("O"));
        assert_eq!(category("0.00", Some("N3.1"), false).as_deref(), Some("G"));
        assert_eq!(category("0.00", Some("N3.2"), false).as_deref(), Some("K"));
        assert_eq!(category("0.00", Some("N4"), false).as_deref(), Some("E"));
        assert_eq!(category("0.00", Some("N6.3"), false).as_deref(), Some("AE"));
        for unclear in ["N1", "N3.5", "N5", "N7"] {
            assert_eq!(category("0.00", Some(unclear), false), None, "{unclear}");
        }
        assert_eq!(category("0.00", None, false), None);
    }

    #[test]
    fn discounts_and_surcharges_apply_one_after_the_other_to_the_unit_price() {
        // 10 × 100.00: −10 % (90.00), −5.00 (85.00), +20 % (102.00) = 1020.00.
        let xml = r#"<DettaglioLinee>
            <ScontoMaggiorazione><Tipo>SC</Tipo><Percentuale>10.00</Percentuale></ScontoMaggiorazione>
            <ScontoMaggiorazione><Tipo>SC</Tipo><Importo>5.00</Importo></ScontoMaggiorazione>
            <ScontoMaggiorazione><Tipo>MG</Tipo><Percentuale>20.00</Percentuale></ScontoMaggiorazione>
            <ScontoMaggiorazione><Tipo>XX</Tipo><Importo>1.00</Importo></ScontoMaggiorazione>
        </DettaglioLinee>"#;
        let tree = build(xml, Limits::default()).expect("tree");
        let (allowance, charge) = price_adjustments(
            tree.root(),
            Some(Decimal::from(10)),
            Some(Decimal::new(10000, 2)),
        )
        .expect("no overflow");
        assert_eq!(allowance, Some(Decimal::from(150)));
        assert_eq!(charge, Some(Decimal::from(170)));
        // 10 × 100.00 − 150 + 170 = 1020.00.
        let (none, nothing) =
            price_adjustments(tree.root(), None, Some(Decimal::ONE)).expect("no overflow");
        assert_eq!((none, nothing), (None, None));
    }
}
