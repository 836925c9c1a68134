//! Label dictionaries in English, German, French, Dutch, Spanish, Italian, Czech and
//! Portuguese (and a few Polish ones), and matching of labels at the start of a run of words.

/// What a label announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelKind {
    InvoiceNumber,
    /// A booking or reservation code: the document's number on receipts that print no
    /// invoice number (hotels, travel), never preferred over one.
    BookingNumber,
    IssueDate,
    DueDate,
    DeliveryDate,
    GrossTotal,
    AmountDue,
    NetTotal,
    TaxTotal,
    Currency,
    Seller,
    Buyer,
    CustomerNumber,
    OrderNumber,
    /// The reference the buyer asks to be quoted (BT-10), such as the German public
    /// sector's routing id.
    BuyerReference,
    VatId,
    TaxNumber,
    Iban,
    Bic,
    Prepaid,
    /// Σ line net amounts (BT-106).
    LineTotal,
    AllowanceTotal,
    ChargeTotal,
}

use LabelKind::*;

impl LabelKind {
    /// Labels of the invoice's totals.
    pub(crate) fn is_total(self) -> bool {
        matches!(
            self,
            GrossTotal | AmountDue | NetTotal | TaxTotal | LineTotal | AllowanceTotal | ChargeTotal
        )
    }
}

/// `(label, kind)`; labels are normalised (see [`norm`]). Longer labels win over shorter ones.
const LABELS: &[(&str, LabelKind)] = &[
    // invoice number
    ("invoice number", InvoiceNumber),
    ("invoice no", InvoiceNumber),
    ("invoice nr", InvoiceNumber),
    ("invoice num", InvoiceNumber),
    ("invoice id", InvoiceNumber),
    ("invoice", InvoiceNumber),
    ("inv no", InvoiceNumber),
    ("bill no", InvoiceNumber),
    ("receipt no", InvoiceNumber),
    ("receipt number", InvoiceNumber),
    ("document no", InvoiceNumber),
    ("credit note no", InvoiceNumber),
    ("tax invoice no", InvoiceNumber),
    ("order id invoice no", InvoiceNumber),
    ("rechnungsnummer", InvoiceNumber),
    ("rechnungs nr", InvoiceNumber),
    ("rechnung nr", InvoiceNumber),
    ("rechnungsnr", InvoiceNumber),
    ("rechnung", InvoiceNumber),
    ("belegnummer", InvoiceNumber),
    ("beleg nr", InvoiceNumber),
    ("gutschrift nr", InvoiceNumber),
    ("gutschriftsnummer", InvoiceNumber),
    ("numéro de facture", InvoiceNumber),
    ("n de facture", InvoiceNumber),
    ("no de facture", InvoiceNumber),
    ("facture n", InvoiceNumber),
    ("facture no", InvoiceNumber),
    ("facture", InvoiceNumber),
    ("factuurnummer", InvoiceNumber),
    ("factuur nr", InvoiceNumber),
    ("factuurnr", InvoiceNumber),
    ("factuur", InvoiceNumber),
    ("número de factura", InvoiceNumber),
    ("numero de factura", InvoiceNumber),
    ("factura n", InvoiceNumber),
    ("nº factura", InvoiceNumber),
    // "N.º factura": the ordinal sign is a letter of its own once the dot splits it off.
    ("n º factura", InvoiceNumber),
    ("n factura", InvoiceNumber),
    ("factura", InvoiceNumber),
    ("numero fattura", InvoiceNumber),
    ("fattura n", InvoiceNumber),
    ("n fattura", InvoiceNumber),
    ("fattura", InvoiceNumber),
    ("faktura nr", InvoiceNumber),
    ("booking id", BookingNumber),
    ("booking no", BookingNumber),
    ("booking number", BookingNumber),
    ("booking reference", BookingNumber),
    ("reservation number", BookingNumber),
    ("reservation no", BookingNumber),
    ("confirmation number", BookingNumber),
    ("buchungsnummer", BookingNumber),
    ("numéro de réservation", BookingNumber),
    // issue date
    ("invoice date", IssueDate),
    ("date of issue", IssueDate),
    ("issue date", IssueDate),
    ("date issued", IssueDate),
    ("billing date", IssueDate),
    ("invoice dt", IssueDate),
    ("date", IssueDate),
    ("dated", IssueDate),
    ("rechnungsdatum", IssueDate),
    ("belegdatum", IssueDate),
    ("ausstellungsdatum", IssueDate),
    ("datum", IssueDate),
    ("date de facture", IssueDate),
    ("date de facturation", IssueDate),
    ("date d émission", IssueDate),
    ("date facture", IssueDate),
    ("factuurdatum", IssueDate),
    ("fecha de factura", IssueDate),
    ("fecha de emisión", IssueDate),
    ("fecha", IssueDate),
    ("data fattura", IssueDate),
    ("data documento", IssueDate),
    ("data", IssueDate),
    ("data wystawienia", IssueDate),
    // due date
    ("due date", DueDate),
    ("invoice due date", DueDate),
    ("payment due date", DueDate),
    ("payment due", DueDate),
    ("date due", DueDate),
    ("pay by", DueDate),
    ("due by", DueDate),
    ("fälligkeitsdatum", DueDate),
    ("fällig am", DueDate),
    ("fällig", DueDate),
    // The column heading of a payment-terms table ("Fälligkeit" over "05.03.2019").
    ("fälligkeit", DueDate),
    ("fälligkeitstermin", DueDate),
    ("zahlbar bis", DueDate),
    ("zahlungsziel", DueDate),
    ("date d échéance", DueDate),
    ("échéance", DueDate),
    ("vervaldatum", DueDate),
    ("vervaldag", DueDate),
    ("te betalen voor", DueDate),
    ("uiterste betaaldatum", DueDate),
    ("date limite de paiement", DueDate),
    ("à payer avant le", DueDate),
    ("fecha límite de pago", DueDate),
    ("fecha de vencimiento", DueDate),
    ("vencimiento", DueDate),
    ("data scadenza", DueDate),
    ("data di scadenza", DueDate),
    ("scadenza pagamento", DueDate),
    ("scadenza", DueDate),
    ("termin płatności", DueDate),
    // delivery date
    ("delivery date", DeliveryDate),
    ("leistungsdatum", DeliveryDate),
    ("lieferdatum", DeliveryDate),
    ("liefer und leistungsdatum", DeliveryDate),
    ("date de livraison", DeliveryDate),
    ("leverdatum", DeliveryDate),
    ("fecha de entrega", DeliveryDate),
    ("data consegna", DeliveryDate),
    // totals
    ("grand total", GrossTotal),
    ("total amount", GrossTotal),
    ("invoice total", GrossTotal),
    ("total incl", GrossTotal),
    ("total including", GrossTotal),
    ("total inc", GrossTotal),
    ("total gross", GrossTotal),
    ("gross total", GrossTotal),
    ("gross amount", GrossTotal),
    ("total", GrossTotal),
    ("gesamtbetrag", GrossTotal),
    ("rechnungsbetrag", GrossTotal),
    ("endbetrag", GrossTotal),
    ("summe brutto", GrossTotal),
    ("bruttobetrag", GrossTotal),
    ("rechnungssumme brutto", GrossTotal),
    ("gesamtsumme", GrossTotal),
    ("brutto", GrossTotal),
    ("gesamt", GrossTotal),
    ("summe", GrossTotal),
    ("total ttc", GrossTotal),
    ("montant ttc", GrossTotal),
    ("total toutes taxes", GrossTotal),
    ("totaal", GrossTotal),
    ("totaal incl", GrossTotal),
    ("totaalbedrag", GrossTotal),
    ("importe total", GrossTotal),
    ("total factura", GrossTotal),
    ("totale fattura", GrossTotal),
    ("totale documento", GrossTotal),
    ("totale", GrossTotal),
    ("razem", GrossTotal),
    ("należność ogółem", GrossTotal),
    ("jumlah", GrossTotal),
    ("total sales", GrossTotal),
    ("nett total", GrossTotal),
    ("net total incl", GrossTotal),
    ("total payable", AmountDue),
    // What is left to pay after a payment the invoice lists ("Residual 1,453.76").
    ("residual", AmountDue),
    ("residual amount", AmountDue),
    ("restbetrag", AmountDue),
    ("total amount payable", AmountDue),
    ("rounded total", GrossTotal),
    ("total rounded", GrossTotal),
    ("amount due", AmountDue),
    ("balance due", AmountDue),
    ("total due", AmountDue),
    ("amount payable", AmountDue),
    ("zahlbetrag", AmountDue),
    ("offener betrag", AmountDue),
    ("zu zahlen", AmountDue),
    ("fälliger betrag", AmountDue),
    ("net à payer", AmountDue),
    ("solde à payer", AmountDue),
    ("reste à payer", AmountDue),
    ("montant dû", AmountDue),
    ("te betalen", AmountDue),
    ("total a pagar", AmountDue),
    ("importe a pagar", AmountDue),
    ("totale da pagare", AmountDue),
    ("da pagare", AmountDue),
    ("netto a pagare", AmountDue),
    ("subtotal", NetTotal),
    // Odoo's net total.
    ("untaxed amount", NetTotal),
    ("sub total", NetTotal),
    ("net amount", NetTotal),
    ("net total", NetTotal),
    ("total excl", NetTotal),
    ("total excluding", NetTotal),
    ("total net", NetTotal),
    ("total before tax", NetTotal),
    ("amount before tax", NetTotal),
    ("total exclusive", NetTotal),
    ("nettobetrag", NetTotal),
    ("summe netto", NetTotal),
    ("rechnungssumme netto", NetTotal),
    ("gesamt netto", NetTotal),
    ("netto", NetTotal),
    ("zwischensumme", NetTotal),
    ("total ht", NetTotal),
    ("montant ht", NetTotal),
    ("sous total", NetTotal),
    ("totaal excl", NetTotal),
    ("subtotaal", NetTotal),
    ("base imponible", NetTotal),
    ("imponibile", NetTotal),
    ("totale imponibile", NetTotal),
    ("wartość netto", NetTotal),
    ("vat", TaxTotal),
    ("tax", TaxTotal),
    ("total tax", TaxTotal),
    ("tax amount", TaxTotal),
    ("total vat", TaxTotal),
    ("vat amount", TaxTotal),
    ("sales tax", TaxTotal),
    ("gst", TaxTotal),
    ("total gst", TaxTotal),
    ("gst amount", TaxTotal),
    ("gst amt", TaxTotal),
    // The base the tax is computed on, not the tax ("GST TAXABLE RM152.00").
    ("gst taxable", NetTotal),
    ("vat taxable", NetTotal),
    ("taxable amount", NetTotal),
    ("total taxable", NetTotal),
    ("mwst", TaxTotal),
    ("ust", TaxTotal),
    ("umsatzsteuer", TaxTotal),
    ("mehrwertsteuer", TaxTotal),
    ("zzgl ust", TaxTotal),
    ("zzgl mwst", TaxTotal),
    ("tva", TaxTotal),
    ("montant tva", TaxTotal),
    ("total tva", TaxTotal),
    ("btw", TaxTotal),
    ("iva", TaxTotal),
    ("kwota vat", TaxTotal),
    ("rechnungssumme ohne ust", NetTotal),
    ("summe ohne ust", NetTotal),
    ("bruttosumme", GrossTotal),
    ("positionssumme", LineTotal),
    ("summe positionen", LineTotal),
    ("total lines", LineTotal),
    ("line total", LineTotal),
    ("gesamtbetrag der zuschläge", ChargeTotal),
    ("gesamtbetrag der abschläge", AllowanceTotal),
    ("summe zuschläge", ChargeTotal),
    ("summe abschläge", AllowanceTotal),
    ("total charges", ChargeTotal),
    ("total allowances", AllowanceTotal),
    ("total discount", AllowanceTotal),
    ("steuerbetrag", TaxTotal),
    ("gesamtbeitrag", NetTotal),
    ("versicherungsteuer", TaxTotal),
    ("versicherungssteuer", TaxTotal),
    ("rechnungsbeitrag", GrossTotal),
    ("steuerbasisbetrag", TaxTotal),
    ("zzgl", TaxTotal),
    ("paid", Prepaid),
    ("amount paid", Prepaid),
    ("prepaid", Prepaid),
    ("bereits gezahlt", Prepaid),
    ("bereits bezahlt", Prepaid),
    ("anzahlung", Prepaid),
    ("erhaltene anzahlungen", Prepaid),
    ("déjà payé", Prepaid),
    ("acompte", Prepaid),
    // currency
    ("currency", Currency),
    ("währung", Currency),
    ("beträge in", Currency),
    ("devise", Currency),
    ("valuta", Currency),
    ("moneda", Currency),
    ("divisa", Currency),
    // parties
    ("seller", Seller),
    ("supplier", Seller),
    ("vendor", Seller),
    ("seller name", Seller),
    ("supplier name", Seller),
    ("vendor name", Seller),
    ("bill from", Seller),
    // Block headings over the sender's address ("From", "Van", "Émetteur"): a label only
    // alone on its line or with a colon, like "To" (see `Ctx::new`).
    ("from", Seller),
    ("van", Seller),
    ("émetteur", Seller),
    ("emetteur", Seller),
    ("sold by", Seller),
    ("service provider", Seller),
    ("provider", Seller),
    ("issued by", Seller),
    ("verkauft von", Seller),
    ("vendu par", Seller),
    ("verkäufer", Seller),
    ("lieferant", Seller),
    ("rechnungsersteller", Seller),
    ("rechnungssteller", Seller),
    ("fournisseur", Seller),
    ("vendeur", Seller),
    ("leverancier", Seller),
    ("verkoper", Seller),
    ("proveedor", Seller),
    ("emisor", Seller),
    ("fornitore", Seller),
    ("cedente", Seller),
    ("sprzedawca", Seller),
    ("bill to", Buyer),
    ("billed to", Buyer),
    ("invoice to", Buyer),
    ("invoiced to", Buyer),
    ("sold to", Buyer),
    // Only as "To:" (see `Ctx::new`): "to" opens many sentences.
    ("to", Buyer),
    ("customer", Buyer),
    // "Customer name: Microsoft Corporation": the key is both words, not "customer" with a
    // value starting "Name:".
    ("customer name", Buyer),
    ("client name", Buyer),
    ("buyer name", Buyer),
    ("kundenname", Buyer),
    ("nom du client", Buyer),
    ("buyer", Buyer),
    ("client", Buyer),
    ("rechnungsempfänger", Buyer),
    ("käufer", Buyer),
    ("käufer leistungsempfänger", Buyer),
    ("leistungsempfänger", Buyer),
    ("kunde", Buyer),
    ("empfänger", Buyer),
    ("facturé à", Buyer),
    ("facturer à", Buyer),
    ("adresse de facturation", Buyer),
    ("billing address", Buyer),
    ("invoice address", Buyer),
    ("rechnung an", Buyer),
    ("rechnungsadresse", Buyer),
    ("factuur aan", Buyer),
    ("gefactureerd aan", Buyer),
    ("factuuradres", Buyer),
    ("facturar a", Buyer),
    ("facturado a", Buyer),
    ("dirección de facturación", Buyer),
    ("fatturato a", Buyer),
    ("fatturare a", Buyer),
    ("indirizzo di fatturazione", Buyer),
    ("acheteur", Buyer),
    ("klant", Buyer),
    ("afnemer", Buyer),
    ("cliente", Buyer),
    ("comprador", Buyer),
    ("destinatario", Buyer),
    ("committente", Buyer),
    ("nabywca", Buyer),
    // references
    ("customer number", CustomerNumber),
    ("customer no", CustomerNumber),
    ("customer id", CustomerNumber),
    ("account number", CustomerNumber),
    ("kundennummer", CustomerNumber),
    ("kunden nr", CustomerNumber),
    ("kundennr", CustomerNumber),
    ("n client", CustomerNumber),
    ("numéro client", CustomerNumber),
    ("klantnummer", CustomerNumber),
    ("número de cliente", CustomerNumber),
    ("codice cliente", CustomerNumber),
    ("leitweg id", BuyerReference),
    ("leitwege id", BuyerReference),
    ("referenz des käufers", BuyerReference),
    ("käuferreferenz", BuyerReference),
    ("buyer reference", BuyerReference),
    ("buyer s reference", BuyerReference),
    ("référence acheteur", BuyerReference),
    ("order number", OrderNumber),
    // "Your order: 343085" — the buyer's order the invoice answers.
    ("your order", OrderNumber),
    ("ihre bestellung", OrderNumber),
    ("votre commande", OrderNumber),
    ("uw bestelling", OrderNumber),
    ("su pedido", OrderNumber),
    ("vs ordine", OrderNumber),
    ("vostro ordine", OrderNumber),
    ("order no", OrderNumber),
    ("po number", OrderNumber),
    ("purchase order", OrderNumber),
    ("po", OrderNumber),
    ("bestellnummer", OrderNumber),
    ("bestellung", OrderNumber),
    ("auftragsnummer", OrderNumber),
    ("commande", OrderNumber),
    ("bestelnummer", OrderNumber),
    ("pedido", OrderNumber),
    ("ordine", OrderNumber),
    // identifiers
    ("vat id", VatId),
    ("vat no", VatId),
    ("vat number", VatId),
    ("vat reg no", VatId),
    ("vat registration number", VatId),
    ("vat reg", VatId),
    ("ust id", VatId),
    ("ust idnr", VatId),
    ("ust id nr", VatId),
    ("ust identnr", VatId),
    ("umsatzsteuer id", VatId),
    ("umsatzsteuer identifikationsnummer", VatId),
    ("n tva", VatId),
    ("tva intracommunautaire", VatId),
    ("n tva intracommunautaire", VatId),
    ("btw nummer", VatId),
    ("btw nr", VatId),
    ("nif", VatId),
    ("cif", VatId),
    ("partita iva", VatId),
    ("p iva", VatId),
    ("nip", VatId),
    ("gstin", VatId),
    ("gst reg no", VatId),
    ("gst id", VatId),
    ("steuernummer", TaxNumber),
    ("steuer nr", TaxNumber),
    ("st nr", TaxNumber),
    ("tax id", TaxNumber),
    ("iban", Iban),
    ("iban nr", Iban),
    ("bic", Bic),
    ("swift", Bic),
    ("bic swift", Bic),
    // Czech
    ("faktura č", InvoiceNumber),
    ("faktura číslo", InvoiceNumber),
    ("číslo faktury", InvoiceNumber),
    ("daňový doklad", InvoiceNumber),
    ("daňový doklad č", InvoiceNumber),
    ("faktura daňový doklad", InvoiceNumber),
    ("faktura daňový doklad č", InvoiceNumber),
    ("faktura", InvoiceNumber),
    ("datum vystavení", IssueDate),
    ("vystaveno", IssueDate),
    ("datum splatnosti", DueDate),
    ("splatnost", DueDate),
    ("splatno", DueDate),
    // The date of the taxable supply ("DUZP"), printed on every Czech tax document beside
    // the date of issue.
    ("datum zdanitelného plnění", DeliveryDate),
    ("datum uskutečnění zdanitelného plnění", DeliveryDate),
    ("duzp", DeliveryDate),
    ("datum plnění", DeliveryDate),
    ("celkem", GrossTotal),
    ("celkem s dph", GrossTotal),
    ("celkem k úhradě", AmountDue),
    ("k úhradě", AmountDue),
    ("zbývá uhradit", AmountDue),
    ("celkem bez dph", NetTotal),
    ("základ daně", NetTotal),
    ("dph", TaxTotal),
    ("celkem dph", TaxTotal),
    ("zaplaceno", Prepaid),
    ("zaplaceno zálohou", Prepaid),
    ("měna", Currency),
    ("dodavatel", Seller),
    ("poskytovatel", Seller),
    ("prodávající", Seller),
    ("odběratel", Buyer),
    ("příjemce", Buyer),
    ("kupující", Buyer),
    ("objednatel", Buyer),
    ("číslo zákazníka", CustomerNumber),
    ("číslo objednávky", OrderNumber),
    ("objednávka", OrderNumber),
    ("dič", VatId),
    // Portuguese (Portugal and Brazil)
    ("fatura", InvoiceNumber),
    ("fatura n", InvoiceNumber),
    ("fatura nº", InvoiceNumber),
    ("fatura n º", InvoiceNumber),
    ("n º fatura", InvoiceNumber),
    ("nº fatura", InvoiceNumber),
    ("número da fatura", InvoiceNumber),
    ("numero da fatura", InvoiceNumber),
    ("fatura recibo", InvoiceNumber),
    ("nota fiscal", InvoiceNumber),
    ("data de emissão", IssueDate),
    ("data emissão", IssueDate),
    ("data da fatura", IssueDate),
    ("data de faturação", IssueDate),
    ("data de faturamento", IssueDate),
    ("data de vencimento", DueDate),
    ("vencimento", DueDate),
    ("data limite de pagamento", DueDate),
    ("pagar até", DueDate),
    // The date a document (its payment slip) is valid until: on an invoice, the day to pay by.
    ("data de validade", DueDate),
    ("data de entrega", DeliveryDate),
    ("valor total", GrossTotal),
    ("total da fatura", GrossTotal),
    ("total geral", GrossTotal),
    ("total com iva", GrossTotal),
    ("total com imposto", GrossTotal),
    ("total com impostos", GrossTotal),
    ("valor a pagar", AmountDue),
    ("total sem iva", NetTotal),
    ("total sem imposto", NetTotal),
    ("total sem impostos", NetTotal),
    ("base tributável", NetTotal),
    ("total do iva", TaxTotal),
    ("valor do iva", TaxTotal),
    ("total de impostos", TaxTotal),
    ("impostos", TaxTotal),
    ("moeda", Currency),
    ("fornecedor", Seller),
    ("prestador", Seller),
    ("prestador de serviços", Seller),
    ("emitente", Seller),
    ("vendedor", Seller),
    ("adquirente", Buyer),
    ("tomador", Buyer),
    ("tomador de serviços", Buyer),
    ("destinatário", Buyer),
    ("faturar a", Buyer),
    ("faturado a", Buyer),
    ("código do cliente", CustomerNumber),
    ("n º cliente", CustomerNumber),
    ("encomenda", OrderNumber),
    ("n º encomenda", OrderNumber),
    ("nipc", VatId),
    ("n º contribuinte", VatId),
    ("contribuinte", VatId),
];

/// Lower case; anything not a letter or digit becomes a space; spaces collapsed.
pub fn norm(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    out.trim_end().to_string()
}

/// A label found at the start of a run of words.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMatch {
    pub kind: LabelKind,
    /// How many of the words the label used (the rest may hold the value).
    pub words_used: usize,
    /// The remaining words as they were written.
    pub rest: String,
    /// Tokens the label has: longer labels are more specific evidence.
    pub tokens: usize,
}

/// The longest label at the start of `words`.
pub fn match_label(words: &[&str]) -> Option<LabelMatch> {
    // Tokens of each word, remembering which word they came from.
    let mut tokens: Vec<(String, usize)> = Vec::new();
    for (i, w) in words.iter().enumerate().take(8) {
        for t in norm(w).split(' ').filter(|t| !t.is_empty()) {
            tokens.push((t.to_string(), i));
        }
    }
    if tokens.is_empty() {
        return None;
    }
    let mut best: Option<(usize, LabelKind)> = None;
    for (label, kind) in LABELS {
        let lt: Vec<&str> = label.split(' ').collect();
        if lt.len() <= tokens.len()
            && lt.iter().zip(&tokens).all(|(a, (b, _))| a == b)
            && best.is_none_or(|(n, _)| lt.len() > n)
        {
            best = Some((lt.len(), *kind));
        }
    }
    let (n, kind) = best?;
    let last_word = tokens[n - 1].1;
    // If the last label token ends inside a word that has more tokens ("Nr.:471102"), the
    // rest of that word belongs to the value.
    let word_tokens_after = tokens[n..].iter().filter(|(_, w)| *w == last_word).count();
    let (words_used, rest) = if word_tokens_after > 0 {
        // Keep the original spelling of the value: cut the word after the label's part.
        let word = words[last_word];
        let wanted = tokens[..n]
            .iter()
            .filter(|(_, w)| *w == last_word)
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let cut = word
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(word.len()))
            .find(|&i| norm(&word[..i]) == wanted)
            .unwrap_or(word.len());
        let later = words[last_word + 1..].join(" ");
        (
            last_word + 1,
            format!("{} {later}", &word[cut..]).trim().to_string(),
        )
    } else {
        (last_word + 1, words[last_word + 1..].join(" "))
    };
    let rest = rest
        .trim_start_matches([':', '#', '.', '-', '/', ' '])
        .trim()
        .to_string();
    Some(LabelMatch {
        kind,
        words_used,
        rest,
        tokens: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Option<LabelMatch> {
        let words: Vec<&str> = s.split_whitespace().collect();
        match_label(&words)
    }

    #[test]
    fn labels_in_six_languages() {
        let cases = [
            ("Invoice No: 12345", InvoiceNumber, "12345"),
            ("Rechnungsnummer", InvoiceNumber, ""),
            ("Rechnungs-Nr.: R-7", InvoiceNumber, "R-7"),
            ("Facture n° F2026-1", InvoiceNumber, "F2026-1"),
            ("Factuurnummer 99", InvoiceNumber, "99"),
            ("Número de factura: A/12", InvoiceNumber, "A/12"),
            ("Numero fattura 3", InvoiceNumber, "3"),
            ("Invoice Date: 03/20/2023", IssueDate, "03/20/2023"),
            ("Rechnungsdatum 05.03.2013", IssueDate, "05.03.2013"),
            ("Due Date:", DueDate, ""),
            (
                "Rechnungssumme Brutto (inkl. USt.)",
                GrossTotal,
                "(inkl. USt.)",
            ),
            ("Total TTC 12,00", GrossTotal, "12,00"),
            ("Subtotal $ 262.90", NetTotal, "$ 262.90"),
            ("USt.-Identnr.: DE123456789", VatId, "DE123456789"),
            ("IBAN-Nr.: DE08", Iban, "DE08"),
            ("Bill To", Buyer, ""),
            ("Facturar a", Buyer, ""),
            ("Fatturato a", Buyer, ""),
            ("Factuur aan", Buyer, ""),
            ("Rechnungsadresse:", Buyer, ""),
            ("Your order: 343085", OrderNumber, "343085"),
            ("Votre commande B-2024-723", OrderNumber, "B-2024-723"),
            ("Vs. ordine: 88", OrderNumber, "88"),
        ];
        for (text, kind, rest) in cases {
            let got = m(text).unwrap_or_else(|| panic!("no label in {text:?}"));
            assert_eq!((got.kind, got.rest.as_str()), (kind, rest), "{text}");
        }
        assert_eq!(m("Office chair 2 x 149,50"), None);
    }

    #[test]
    fn labels_in_czech_and_portuguese() {
        let cases = [
            ("Faktura č.: 20260014", InvoiceNumber, "20260014"),
            (
                "FAKTURA - DAŇOVÝ DOKLAD č. 2024-17",
                InvoiceNumber,
                "2024-17",
            ),
            ("Datum vystavení: 29. 7. 2026", IssueDate, "29. 7. 2026"),
            ("Splatnost: 28. 8. 2026", DueDate, "28. 8. 2026"),
            ("DUZP: 29. 7. 2026", DeliveryDate, "29. 7. 2026"),
            ("Celkem k úhradě: 95 410,18 Kč", AmountDue, "95 410,18 Kč"),
            ("Celkem bez DPH 1 000,00", NetTotal, "1 000,00"),
            ("Odběratel", Buyer, ""),
            ("Poskytovatel", Seller, ""),
            ("DIČ: CZ12345678", VatId, "CZ12345678"),
            ("Fatura n.º FT 2026/17", InvoiceNumber, "FT 2026/17"),
            ("Data de emissão: 10/06/2026", IssueDate, "10/06/2026"),
            (
                "Data de vencimento: 10 de jul. de 2026",
                DueDate,
                "10 de jul. de 2026",
            ),
            (
                "Total com imposto: R$ 49.929,94",
                GrossTotal,
                "R$ 49.929,94",
            ),
            ("Total sem IVA 100,00", NetTotal, "100,00"),
            ("Fornecedor", Seller, ""),
            ("Tomador de serviços", Buyer, ""),
        ];
        for (text, kind, rest) in cases {
            let got = m(text).unwrap_or_else(|| panic!("no label in {text:?}"));
            assert_eq!((got.kind, got.rest.as_str()), (kind, rest), "{text}");
        }
    }

    #[test]
    fn longer_labels_win() {
        assert_eq!(m("Total excl. VAT 100.00").map(|x| x.kind), Some(NetTotal));
        assert_eq!(m("Amount due 10.00").map(|x| x.kind), Some(AmountDue));
        assert_eq!(m("Invoice Date 1.1.2020").map(|x| x.kind), Some(IssueDate));
    }

    #[test]
    fn value_glued_to_the_label() {
        let got = m("Nr.:471102").map(|x| x.rest);
        assert_eq!(got, None, "Nr alone is not a label");
        let got = m("Invoice#INV-9").expect("label");
        assert_eq!((got.kind, got.rest.as_str()), (InvoiceNumber, "INV-9"));
    }
}
