//! The kind of document (UNTDID 1001 type code, invoice or credit note) from its title.
//!
//! An e-invoice states its type code; a printed one says what it is in its title: "Rechnung
//! Nr. 4711", "CREDIT NOTE", "Rechnungskorrektur (384) Nr. RK21012345". Before this the
//! visual path left the code empty and read every credit note as an invoice.

use doxin_model::Invoice;

use super::Ctx;
use super::labels::norm;

/// Title phrases and the code they name, longest first where one starts another. A phrase
/// matches whole words at the start of the title.
const TITLES: &[(&str, &str)] = &[
    // Self-billed: the buyer writes the invoice (German law calls it "Gutschrift"; a plain
    // "Gutschrift" is also what many still call a credit note, so it alone names no kind).
    ("gutschrift selbst ausgestellte rechnung", "389"),
    ("self billed invoice", "389"),
    ("self billing invoice", "389"),
    ("autofacture", "389"),
    // Corrections of an earlier invoice.
    ("rechnungskorrektur", "384"),
    ("korrekturrechnung", "384"),
    ("corrected invoice", "384"),
    ("corrective invoice", "384"),
    ("facture rectificative", "384"),
    ("factura rectificativa", "384"),
    ("faktura korygująca", "384"),
    // Credit notes.
    ("credit note", "381"),
    ("credit memo", "381"),
    ("creditnote", "381"),
    ("stornorechnung", "381"),
    ("facture d avoir", "381"),
    ("avoir", "381"),
    ("nota de crédito", "381"),
    ("nota di credito", "381"),
    ("creditnota", "381"),
    ("creditfactuur", "381"),
    // Prepayment invoices.
    ("anzahlungsrechnung", "386"),
    ("vorauszahlungsrechnung", "386"),
    ("prepayment invoice", "386"),
    ("facture d acompte", "386"),
    // An insurer's invoice, and information for accounting that is no invoice.
    ("rechnung des versicherers", "575"),
    ("buchungshilfe", "751"),
    // Commercial invoices.
    ("commercial invoice", "380"),
    ("handelsrechnung", "380"),
    ("tax invoice", "380"),
    ("invoice", "380"),
    ("rechnung", "380"),
    ("facture", "380"),
    ("factura", "380"),
    ("fattura", "380"),
    ("factuur", "380"),
    ("faktura", "380"),
];

/// Type codes a title may state in brackets ("Rechnungskorrektur (384)"): those of invoices,
/// credit notes and their corrections in EN 16931's code list.
const STATED_CODES: &[&str] = &[
    "71", "80", "81", "82", "83", "84", "102", "130", "202", "203", "204", "211", "218", "219",
    "261", "262", "295", "296", "308", "325", "326", "331", "380", "381", "382", "383", "384",
    "385", "386", "387", "388", "389", "390", "393", "394", "395", "396", "420", "456", "457",
    "458", "527", "532", "553", "575", "623", "633", "751", "780", "817", "870", "875", "876",
    "877", "935",
];

/// Words that may follow a title: its number, a code in brackets, a date. Anything else
/// makes the phrase part of a sentence or another label ("Invoice date", "Rechnung gemäß
/// Bestellung").
fn title_tail(rest: &str) -> bool {
    let mut words = rest.split(' ');
    let first = words.next().unwrap_or("");
    let starts_with_digit = |w: &str| w.chars().next().is_some_and(|c| c.is_ascii_digit());
    rest.is_empty()
        || starts_with_digit(first)
        || matches!(
            first,
            "nr" | "no" | "n" | "nº" | "number" | "nummer" | "num" | "numéro" | "numero" | "núm"
        )
        // A number with a short prefix ("Facture FA-2017-0009", "Invoice INV-100").
        || (first.chars().count() <= 3 && words.next().is_some_and(starts_with_digit))
}

/// Words whose presence in a title's first word makes a code in brackets its type code
/// ("Schlussrechnung Bau (877) Nr. …").
const TITLE_STEMS: &[&str] = &[
    "rechnung",
    "invoice",
    "facture",
    "factura",
    "fattura",
    "factuur",
    "faktura",
    "gutschrift",
    "credit",
    "avoir",
    "buchungshilfe",
];

/// The code a segment's text names as a title, and whether the title stated it.
fn title_code(text: &str) -> Option<(&'static str, bool)> {
    let n = norm(text);
    let first = n.split(' ').next().unwrap_or("");
    // "Rechnungskorrektur (384) Nr. …": a code in brackets in a title.
    if TITLE_STEMS.iter().any(|s| first.contains(s))
        && let Some(stated) = text
            .split('(')
            .skip(1)
            .filter_map(|after| after.split(')').next())
            .find_map(|c| STATED_CODES.iter().find(|s| **s == c.trim()))
    {
        return Some((stated, true));
    }
    let (phrase, code) = TITLES
        .iter()
        .find(|(t, _)| n == *t || n.starts_with(&format!("{t} ")))?;
    if title_tail(n[phrase.len()..].trim_start()) {
        return Some((code, false));
    }
    // "Gutschrift (Selbst ausgestellte Rechnung) Nr. …": words in brackets belong to the
    // title when its number follows them.
    text.split_once(')')
        .map(|(_, after)| norm(after))
        .filter(|after| title_tail(after))
        .map(|_| (*code, false))
}

/// Sets the type code and the document type from the first title on the first page.
pub(crate) fn read_kind(ctx: &Ctx<'_>, inv: &mut Invoice) {
    let Some(first_page) = ctx.segs.first().map(|s| s.page) else {
        return;
    };
    let found = ctx
        .segs
        .iter()
        .enumerate()
        .take_while(|(_, s)| s.page == first_page)
        .find_map(|(i, s)| title_code(&s.seg.text).map(|(code, stated)| (i, code, stated)));
    let Some((i, code, stated)) = found else {
        return;
    };
    let confidence = if stated { 0.95 } else { 0.8 };
    let text = &ctx.segs[i].seg.text;
    inv.type_code = Some(ctx.value(code.to_string(), text, i, confidence));
    inv.document_type = crate::einvoice::document_type("Invoice", Some(code));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_their_kind() {
        let code = |t: &str| title_code(t).map(|(c, _)| c);
        assert_eq!(code("Rechnung Nr. 4711 vom 05.03.2018"), Some("380"));
        assert_eq!(code("INVOICE"), Some("380"));
        assert_eq!(code("Tax Invoice"), Some("380"));
        assert_eq!(code("CREDIT NOTE No. CN-0042"), Some("381"));
        assert_eq!(code("Facture d'avoir"), Some("381"));
        assert_eq!(code("Rechnungskorrektur Nr. RK21012345"), Some("384"));
        assert_eq!(code("Facture FA-2017-0009"), Some("380"));
        assert_eq!(
            title_code("Handelsrechnung (380) Nr. 4711"),
            Some(("380", true))
        );
        assert_eq!(
            title_code("Schlussrechnung Bau (877) Nr. 181301674"),
            Some(("877", true))
        );
        assert_eq!(title_code("Art der Referenz: Referenzpapier (916)"), None);
        assert_eq!(
            code("Gutschrift (Selbst ausgestellte Rechnung) Nr. 471102"),
            Some("389")
        );
        // A plain "Gutschrift" may be a credit note or a self-billed invoice.
        assert_eq!(code("Gutschrift Nr. 5"), None);
        // Labels and sentences that start with a title word are no titles.
        assert_eq!(code("Invoice date: 11/15/2019"), None);
        assert_eq!(code("Rechnung gemäß Bestellung vom 01.03.2018"), None);
        assert_eq!(code("Rechnungsstandard: Factur-x 1.0"), None);
    }
}
