//! The template-free rules on hand-written plain-text invoices and receipts (laid on a
//! character grid, so column alignment is kept as printed). Each test pins one rule.

use doxin_extract::layout::Layout;
use doxin_extract::rules::extract_invoice;
use doxin_model::{Decimal, Invoice};

fn read(text: &str) -> Invoice {
    extract_invoice(&Layout::from_text(text))
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn gross(inv: &Invoice) -> Option<Decimal> {
    inv.totals.tax_inclusive_amount.as_ref().map(|e| e.value)
}

fn net(inv: &Invoice) -> Option<Decimal> {
    inv.totals.tax_exclusive_amount.as_ref().map(|e| e.value)
}

fn tax(inv: &Invoice) -> Option<Decimal> {
    inv.totals.tax_amount.as_ref().map(|e| e.value)
}

/// Each line's description, in order.
fn descriptions(inv: &Invoice) -> Vec<Option<&str>> {
    inv.lines
        .iter()
        .map(|l| l.description.as_ref().map(|d| d.value.as_str()))
        .collect()
}

/// A text field's value.
fn value_of(f: &Option<doxin_model::Extracted<String>>) -> Option<String> {
    f.as_ref().map(|x| x.value.clone())
}

/// One decimal field of every line, in order.
fn per_line(
    inv: &Invoice,
    field: impl Fn(&doxin_model::InvoiceLine) -> &doxin_model::Field<Decimal>,
) -> Vec<Option<Decimal>> {
    inv.lines
        .iter()
        .map(|l| field(l).as_ref().map(|e| e.value))
        .collect()
}

fn seller(inv: &Invoice) -> Option<&str> {
    inv.seller.name.as_ref().map(|e| e.value.as_str())
}

#[test]
fn currency_codes_count_only_in_capitals() {
    let inv = read(
        r"Bright Gadgets Pvt. Ltd.
Invoice No: 7781              Invoice Date: 02-03-2024

We try hard to deliver on time; please try again if a parcel is late.
Discount of Rs -10.00 applied
Grand Total                         Rs 499.00
",
    );
    assert_eq!(inv.currency.as_ref().map(|c| c.value.as_str()), Some("INR"));
}

#[test]
fn a_whole_total_written_with_its_currency_is_an_amount() {
    let inv = read(
        r"                 PAYMENT RECEIPT

Guest Name: Alex                                   Date: 31/12/2017

DESCRIPTION                                 RATE            AMOUNT
Room Charges                   Rs 1200 x 1 Night          Rs 1200

Grand Total                                               Rs 1200
",
    );
    assert_eq!(gross(&inv), Some(dec("1200")));
}

#[test]
fn a_total_row_gives_net_tax_and_gross_from_its_columns() {
    let inv = read(
        r"Faktura nr: F 12/2021                         Data wystawienia: 2021-01-01
Sprzedawca: Przykładowa Firma S.A.

Lp Nazwa towaru        Jm  Ilość    Wartość netto   VAT [%]  Kwota VAT   Wartość brutto
1  Olej napędowy        l  10,000        100,00        23       23,00        123,00

                             Razem:       100,00                 23,00        123,00
",
    );
    assert_eq!(gross(&inv), Some(dec("123.00")));
    assert_eq!(net(&inv), Some(dec("100.00")));
    assert_eq!(tax(&inv), Some(dec("23.00")));
}

#[test]
fn to_colon_names_the_buyer_so_the_letterhead_is_the_seller() {
    let inv = read(
        r"Tax Invoice
Gadgetworks
ABN: 11 222 333 444                                    PO Box 100
To:     Clientco Ltd                                   Order date: 28 Jan 15
                                                       Invoice No. 5550123

Invoice Total: $101.00
",
    );
    assert_eq!(seller(&inv), Some("Gadgetworks"));
    assert_eq!(
        inv.buyer.name.as_ref().map(|n| n.value.as_str()),
        Some("Clientco Ltd")
    );
    // "To be paid …" is a sentence, not a buyer label.
    let inv = read("Northwind Traders Ltd\nTo be paid within 14 days\nTotal 10.00\n");
    assert_eq!(seller(&inv), Some("Northwind Traders Ltd"));
}

#[test]
fn the_account_holder_is_the_seller_when_nothing_better_names_it() {
    let inv = read(
        r"                                                   JEAN DUPONT
                                                   27 rue des Lilas
                                                   69100 Villeurbanne

                      Facture n° 2022000123
           Date : 28/11/2022

                                             Total TTC :     56,02 €

Virement   BANQUE EXEMPLE – Titulaire du compte : ANNONCEPRESSE
           IBAN : FR76 3000 6000 0112 3456 7890 189
",
    );
    assert_eq!(seller(&inv), Some("ANNONCEPRESSE"));
}

#[test]
fn the_party_a_receipt_says_received_the_payment_is_the_seller() {
    let inv = read(
        r"                     PAYMENT RECEIPT

Guest Name: Priya                                             Date: 14/02/2024

 Hotel Details                                  Check In        Check Out
 Lakeview Residency 12 Marine Drive,            14/02/2024      15/02/2024
 Kochi

  Room Charges                        Rs 2450 x 1 Night            Rs 2450

  Grand Total                                                      Rs 2450

  Payment received by Staywell              Paid by card           Rs 2450
",
    );
    assert_eq!(seller(&inv), Some("Staywell"));
}

#[test]
fn a_salesperson_by_staff_code_is_not_the_seller() {
    let inv = read(
        r"          Tokoden Malaysia (308282-A)
          Lot 26, Subang Parade
          47500 Subang Jaya, Selangor
          GST Reg. No. 001348481728

01/05/16 2:51            Slip: 0020018018
Sold by: QX204 AHMAD RAZAK

Model     Price    Qty    Amount
240201    89.00    1      89.00

Total RM                  89.00
",
    );
    assert_eq!(seller(&inv), Some("Tokoden Malaysia"));
}

#[test]
fn the_company_owning_a_shop_is_the_seller_and_the_shop_its_trading_name() {
    let inv = read(
        r"               Kopi Lane
  Dimiliki: kopi lane sdn bhd 1110644-W
  No. 1 Jalan Puteri 7/10
  47100 Puchong, Selangor

  Latte                              12.00
  Total                              12.00
",
    );
    assert_eq!(seller(&inv), Some("kopi lane sdn bhd"));
    assert_eq!(
        inv.seller.trading_name.as_ref().map(|n| n.value.as_str()),
        Some("Kopi Lane")
    );
}

#[test]
fn a_service_provider_label_names_the_seller_and_bill_to_address_the_buyer() {
    let inv = read(
        r"                                   Example Cloud Invoice
Bill to Address:
ATTN: Tiny Labs Limited
93 Harbour Road

Total for this invoice                                       $4.11

* May include estimated sales tax              Service Provider:
                                               (Not to be used for payment remittance)
                                               Example Cloud Services, Inc.
                                               410 Terry Ave North
",
    );
    assert_eq!(seller(&inv), Some("Example Cloud Services, Inc."));
    assert_eq!(
        inv.buyer.name.as_ref().map(|n| n.value.as_str()),
        Some("Tiny Labs Limited")
    );
}

#[test]
fn an_indented_service_summary_is_read_as_items() {
    let inv = read(
        r"Invoice Number: 4711                       Invoice Date: August 3 , 2014

 Summary
    Cloud Service Charges                                      $4.11
       Charges                                                    $4.11
       Credits                                                    $0.00
       Tax *                                                      $0.00

 Total for this invoice                                        $4.11

 Detail
    Data Transfer                                              $0.01
       Charges                                                    $0.01
       VAT **                                                     $0.00

    Compute Cloud                                              $1.87
       Charges                                                    $1.87
       VAT **                                                     $0.00

    Archive Storage                                            $2.23
       Charges                                                    $2.23
       VAT **                                                     $0.00
",
    );
    let items: Vec<(String, Option<Decimal>, Option<Decimal>)> = inv
        .lines
        .iter()
        .map(|l| {
            (
                l.description
                    .as_ref()
                    .map_or(String::new(), |d| d.value.clone()),
                l.line_amount.as_ref().map(|a| a.value),
                l.unit_price.as_ref().map(|a| a.value),
            )
        })
        .collect();
    assert_eq!(
        items,
        [
            ("Data Transfer".into(), Some(dec("0.01")), Some(dec("0.01"))),
            ("Compute Cloud".into(), Some(dec("1.87")), Some(dec("1.87"))),
            (
                "Archive Storage".into(),
                Some(dec("2.23")),
                Some(dec("2.23"))
            ),
        ]
    );
    assert_eq!(
        inv.issue_date.as_ref().map(|d| d.value.to_string()),
        Some("2014-08-03".into())
    );
}

#[test]
fn a_booking_code_numbers_a_receipt_without_an_invoice_number() {
    let text = r"                 PAYMENT RECEIPT
Guest Name: Alex                                   Date: 31/12/2017
Hotel Details                         Check In          Check Out
Seaside Inn 12, Harbour Road          31/12/2017        01/01/2018
                                      Booking ID        Payment Mode
                                      QXZA1234          Cash at Hotel
Grand Total                                               Rs 1200
";
    let inv = read(text);
    assert_eq!(
        inv.invoice_number.as_ref().map(|n| n.value.as_str()),
        Some("QXZA1234")
    );
    // A printed invoice number wins over the booking code.
    let inv = read(&format!("Invoice No: INV-42\n{text}"));
    assert_eq!(
        inv.invoice_number.as_ref().map(|n| n.value.as_str()),
        Some("INV-42")
    );
}

#[test]
fn cash_minus_change_picks_the_receipt_total() {
    // The labelled total is misread (a digit off); cash minus change names the right one.
    let inv = read(
        r"KEDAI RUNCIT MAJU SDN BHD
TOTAL:                     RM 87.80
SUBTOTAL                   RM 57.80
CASH                       RM 100.00
CHANGE                     RM 42.20
",
    );
    assert_eq!(gross(&inv), Some(dec("57.80")));
    // Agreeing evidence keeps the labelled total.
    let inv = read("KEDAI MAJU SDN BHD\nTOTAL: 57.80\nCASH 60.00\nCHANGE 2.20\n");
    assert_eq!(gross(&inv), Some(dec("57.80")));
}

#[test]
fn a_total_on_the_line_below_its_label_and_a_subtotal_alone() {
    let inv = read(
        r"JAPANESE DINING SDN BHD
1 Green Tea                     10.00
Total:
                               105.00
Thank you
",
    );
    assert_eq!(gross(&inv), Some(dec("105.00")));
    let inv = read("MINI MART\nBread 3.20\nSUBTOTAL 3.20\nThank you\n");
    assert_eq!(gross(&inv), Some(dec("3.20")));
}

#[test]
fn cash_minus_change_is_the_total_when_no_printed_total_is_there() {
    let inv = read("MINI MART\nBread 3.20\nMilk 4.80\nCASH 10.00\nCHANGE 2.00\n");
    assert_eq!(gross(&inv), Some(dec("8.00")));
}

#[test]
fn a_company_after_a_key_is_named_without_the_key() {
    let inv = read("OWN BY: CHEF LEE SDN BHD\nNO 12 JALAN MAJU\nTOTAL 10.00\n");
    assert_eq!(seller(&inv), Some("CHEF LEE SDN BHD"));
}

#[test]
fn total_gst_is_the_tax_not_the_total() {
    let inv = read("KEDAI SDN BHD\nGross Amount : 40.00\nTotal GST Amt : 2.40\nTotal : 42.40\n");
    assert_eq!(tax(&inv), Some(dec("2.40")));
    assert_eq!(gross(&inv), Some(dec("42.40")));
}

#[test]
fn with_no_currency_printed_the_country_of_an_address_hints_it() {
    let inv = read(
        "Bright Gadgets Pvt. Ltd.\nWarehouse: Hosur Road, Bangalore, India 560067\nTotal 319.00\n",
    );
    assert_eq!(inv.currency.as_ref().map(|c| c.value.as_str()), Some("INR"));
    assert!(inv.currency.as_ref().is_some_and(|c| c.confidence < 0.6));
}

#[test]
fn a_tax_registration_label_does_not_stop_a_subtotal_from_being_the_total() {
    let inv = read(
        "PERSONAL CARE STORES SDN BHD\nGST Reg No. 000947339264\nSUBTOTAL (QTY 4) RM41.45\nThank you\n",
    );
    assert_eq!(gross(&inv), Some(dec("41.45")));
}

#[test]
fn a_subtotal_that_includes_the_tax_is_the_total_when_the_arithmetic_says_so() {
    // Malaysian receipts: "Gross Amount" is before tax and "Sub Total" after it; the
    // printed total is unreadable.
    let inv = read(
        "WAHIN HARDWARE SDN BHD\nGross Amount : 40.00\nTotal GST Amt : 2.40\n\
         Sub Total : 42.40\nTotal (RM): Cea)\nThank you\n",
    );
    assert_eq!(gross(&inv), Some(dec("42.40")));
    assert_eq!(net(&inv), Some(dec("40.00")));
    assert_eq!(tax(&inv), Some(dec("2.40")));
}

#[test]
fn a_label_read_in_the_other_role_needs_a_tax_that_is_not_zero() {
    // 8.10 + 0.00 is "near" 8.11, but a zero tax proves nothing: the later, rounded total
    // stays the total.
    let inv = read("MR DIY SDN BHD\nTotal RM 8.11\nRounded Total RM 8.10\nGST 0.00\n");
    assert_eq!(gross(&inv), Some(dec("8.10")));
}

#[test]
fn tendered_minus_change_confirms_the_cash_line() {
    // The total's decimal point was lost ("RM 8 60"); cash 8.60 is confirmed by
    // 9.00 tendered minus 0.40 change.
    let inv = read(
        "TEALIVE SHELL KEPONG\nTotal Sales Incl GST@6% RM 8 60\nCash 8.60\n\
         Tendered 9.00\nChange 0.40\n",
    );
    assert_eq!(gross(&inv), Some(dec("8.60")));
}

#[test]
fn a_misread_payment_word_above_the_change_still_counts() {
    // "Net Total" misread 85.20 as 65.20; "sash" is "CASH".
    let inv =
        read("GHEE HIANG SDN BHD\nSubTotal 85.20\nNet Total 65.20\nsash 100.20\nCHANGE 15.00\n");
    assert_eq!(gross(&inv), Some(dec("85.20")));
    // A total right above the change is not cash handed over.
    let inv = read("KEDAI SDN BHD\nSubTotal 20.00\nTOTAL 20.00\nCHANGE 5.00\n");
    assert_eq!(gross(&inv), Some(dec("20.00")));
}

#[test]
fn a_taxable_base_is_not_the_tax() {
    let inv = read(
        "OCEAN PACKAGING\nSUBTOTAL RM152.00\nGST TAXABLE RM152.00\nGST 0% RM0.00\nCASH RM152.00\n",
    );
    assert_eq!(gross(&inv), Some(dec("152.00")));
    assert_eq!(tax(&inv), Some(dec("0.00")));
}

#[test]
fn one_amount_claimed_by_two_labels_or_a_zero_tax_proves_nothing() {
    // "TOTAL QUANTITY" finds the subtotal below it; the real total's line is smudged
    // (". IOIAL 63.35%": no label, a percent sign glued to the amount).
    // Cash minus change, and the GST that makes the subtotal add up to it, decide.
    let inv = read(
        "YONG CEN ENTERPRISE\nTOTAL QUANTITY 26\nSUB-TOTAL 59.99\nDISC 0.00\nGST 3.36\n\
         TAX 0.00\n. IOIAL 63.35%\nCASH 63.35\nCHANGE 0.00\n",
    );
    assert_eq!(gross(&inv), Some(dec("63.35")));
    assert_eq!(tax(&inv), Some(dec("3.36")));
}

/// A receipt as OCR reads it: every word at 0.93 confidence except those in `doubtful`.
fn read_ocr(text: &str, doubtful: &[(&str, f32)]) -> Invoice {
    let mut layout = Layout::from_text(text);
    layout.source = doxin_model::Source::Ocr;
    for w in layout
        .pages
        .iter_mut()
        .flat_map(|p| p.lines.iter_mut())
        .flat_map(|l| l.words.iter_mut())
    {
        w.confidence = doubtful
            .iter()
            .find(|(t, _)| *t == w.text)
            .map_or(0.93, |(_, c)| *c);
    }
    extract_invoice(&layout)
}

#[test]
fn cash_and_change_read_surely_outweigh_a_doubtful_total() {
    // Dot-matrix print: "35.80" lost its first digit in both total lines, at low confidence.
    let text = "THE STORE SDN BHD\nTOTAL SALES INCLUSIVE GST      5.50\n\
                TOTAL PAYABLE AMOUNT           5.90\nCASH                          50.00\n\
                CHANGE                        14.20\n";
    let inv = read_ocr(text, &[("5.50", 0.51), ("5.90", 0.73)]);
    assert_eq!(gross(&inv), Some(dec("35.80")));
    // Read as surely as cash and change, the labelled total stands.
    let inv = read_ocr(text, &[]);
    assert_eq!(gross(&inv), Some(dec("5.90")));
}

#[test]
fn a_centred_legal_form_line_continues_the_name_above_it() {
    let inv = read(
        "   PASARAYA BORONG PINTAR\n          SDN BHD\nBR No.: (124525-H)\nNO 19-G JALAN TASIK UTAMA 4\nTOTAL 12.00\n",
    );
    assert_eq!(seller(&inv), Some("PASARAYA BORONG PINTAR SDN BHD"));
}

#[test]
fn a_name_read_with_one_doubtful_word_and_a_smudged_registration_is_still_the_seller() {
    let inv = read_ocr(
        "YONG SOON FATT S/B (81497-F}\nLOT 1504, BATU @ 1/2, JALAN KLANG LAMA,\n\
         44000 PETALING JAYA, SELANGOR.\nTOTAL 10.00\n",
        &[("SOON", 0.44), ("(81497-F}", 0.13)],
    );
    assert_eq!(seller(&inv), Some("YONG SOON FATT S/B"));
}

#[test]
fn a_misprinted_total_is_read_as_printed_when_the_stated_rate_confirms_the_tax() {
    // Net 55.90 at 20 % is 11.18, as printed; the printed total (72.67) is wrong. Deriving the
    // tax from the total (16.77) would hide the misprint behind a tax nobody printed.
    let inv = read(
        r"Bureautique Girard SAS
61 boulevard Voltaire, 31000 Toulouse

Facture n° 310269                                   Date: 07/04/2025

Désignation                               Quantité    Prix unitaire      Montant HT
Chaise de conférence empilable                   1            55,90           55,90

                                                  Total HT:              55,90 EUR
                                                  TVA 20 %:              11,18 EUR
                                                  Total TTC:             72,67 EUR
",
    );
    assert_eq!(tax(&inv), Some(dec("11.18")));
    assert_eq!(gross(&inv), Some(dec("72.67")));
    assert_eq!(net(&inv), Some(dec("55.90")));
}

#[test]
fn the_lines_rates_confirm_a_printed_tax_beside_a_misprinted_total() {
    // No rate beside the tax label; the lines' 21 % predicts the printed 92.87.
    let inv = read(
        r"Distribuciones Romero S.L.
Calle Mayor 101, 46002 Valencia

Factura n.º A24/7597                              Fecha: 13/09/2024

Descripción                          Cantidad   Precio unitario   IVA %      Importe
Teclado y ratón inalámbricos                2             82,90    21 %       165,80
Contrato de mantenimiento                   1            269,55    21 %       269,55
Papel A4                                    1              6,90    21 %         6,90

                                               Base imponible                442,25
                                               IVA                            92,87
                                               Total                         579,34
",
    );
    assert_eq!(tax(&inv), Some(dec("92.87")));
    assert_eq!(gross(&inv), Some(dec("579.34")));
}

#[test]
fn a_position_number_left_of_the_descriptions_is_not_the_quantity() {
    // The position column's header is in no vocabulary; the quantity is the number that,
    // times the price, gives the amount.
    let inv = read(
        r"Servicios García S.L.
Factura n.º FAC-2026/568                          Fecha: 10/07/2026

N.º   Descripción                         Cantidad    Precio unitario      Importe
1     Instalación in situ                     7,75              55,60       430,90
2     Envío y transporte                         6             143,10       858,60

                                          Base imponible:                1.289,50
                                          IVA 21 %:                        270,80
                                          Total:                         1.560,30
",
    );
    let q: Vec<_> = inv
        .lines
        .iter()
        .map(|l| l.quantity.as_ref().map(|q| q.value))
        .collect();
    assert_eq!(q, vec![Some(dec("7.75")), Some(dec("6"))]);
    let d: Vec<_> = inv
        .lines
        .iter()
        .map(|l| l.description.as_ref().map(|d| d.value.as_str()))
        .collect();
    assert_eq!(
        d,
        vec![Some("Instalación in situ"), Some("Envío y transporte")]
    );
}

#[test]
fn below_the_subtotal_only_rows_whose_arithmetic_holds_are_items() {
    let inv = read(
        r"Distribuciones Romero S.L.
Factura n.º A24/7597                              Fecha: 13/09/2024

Descripción                          Cantidad   Precio unitario   IVA %      Importe
Teclado y ratón inalámbricos                2             82,90    21 %       165,80

Datos bancarios                                Base imponible                165,80
IBAN: ES46 2100 6033 2136 4759 5664            IVA 21 %                       34,82
                                               Total                         200,62
",
    );
    assert_eq!(inv.lines.len(), 1, "{:?}", inv.lines);
    assert_eq!(tax(&inv), Some(dec("34.82")));
}

#[test]
fn a_letterhead_company_named_again_in_the_footer_is_a_surer_seller() {
    let text = |footer: &str| {
        format!(
            r"Mobilier Girard SARL
25 boulevard Voltaire, 75002 Paris

Facture n° 310269                                   Date: 07/04/2025

Total TTC:             72,67 EUR

{footer}
"
        )
    };
    let again = read(&text("Mobilier Girard SARL · RCS Paris 438 379 828"));
    let once = read(&text("Merci pour votre confiance."));
    let conf = |inv: &Invoice| inv.seller.name.as_ref().map_or(0.0, |n| n.confidence);
    assert_eq!(seller(&again), Some("Mobilier Girard SARL"));
    assert!(conf(&again) >= 0.9, "{}", conf(&again));
    assert!(conf(&once) < 0.8, "{}", conf(&once));
}

#[test]
fn a_street_number_beside_a_bare_title_is_not_the_invoice_number() {
    let inv = read(
        r"                                                      Technologies Lakeside LLC
INVOICE                                                        1000 Main Street
                                                            New York, NY 10001

Invoice #            Invoice date            Payment due
448291               May 29, 2024            June 28, 2024

Total                                                            810.79 USD
",
    );
    assert_eq!(
        inv.invoice_number.as_ref().map(|n| n.value.as_str()),
        Some("448291")
    );
}

fn amounts_and_descriptions(inv: &Invoice) -> Vec<(Option<Decimal>, String)> {
    inv.lines
        .iter()
        .map(|l| {
            (
                l.line_amount.as_ref().map(|a| a.value),
                l.description
                    .as_ref()
                    .map_or(String::new(), |d| d.value.clone()),
            )
        })
        .collect()
}

fn quantities(inv: &Invoice) -> Vec<Option<Decimal>> {
    inv.lines
        .iter()
        .map(|l| l.quantity.as_ref().map(|q| q.value))
        .collect()
}

#[test]
fn the_address_in_the_envelope_window_is_the_buyer_when_the_footer_names_the_seller() {
    let inv = read(HOSTING_INVOICE);
    assert_eq!(seller(&inv), Some("CloudHost GmbH"));
    assert_eq!(buyer(&inv), Some("Kunde Handels GmbH"));
    assert_eq!(
        inv.buyer.address.city.as_ref().map(|c| c.value.as_str()),
        Some("Berlin")
    );
}

#[test]
fn a_return_address_line_over_the_window_names_the_seller() {
    let text = HOSTING_INVOICE
        .replace(
            "\n\nKunde Handels GmbH",
            "\nNetzwerk Meier e.K. · Serverweg 1 · 80331 München\nKunde Handels GmbH",
        )
        .replace("CloudHost GmbH", "              ");
    let inv = read(&text);
    assert_eq!(seller(&inv), Some("Netzwerk Meier e.K."));
    assert_eq!(buyer(&inv), Some("Kunde Handels GmbH"));
}

#[test]
fn an_address_in_the_window_with_nothing_else_naming_the_seller_is_a_doubt() {
    // Take the provider's name out of the footer: the only company on the page is the one in
    // the window. Whoever it is, the reading says so and does not approve itself.
    let text = HOSTING_INVOICE.replace("CloudHost GmbH", "              ");
    let reading = doxin_extract::rules::read(&Layout::from_text(&text));
    let name = reading.invoice.seller.name.as_ref();
    assert!(name.is_none_or(|n| n.confidence <= 0.5), "{name:?}");
    assert!(
        reading.warnings.iter().any(|w| w.contains("window")),
        "{:?}",
        reading.warnings
    );
    // With the footer, the roles are clear and nothing is said.
    let reading = doxin_extract::rules::read(&Layout::from_text(HOSTING_INVOICE));
    assert!(reading.warnings.is_empty(), "{:?}", reading.warnings);
}

#[test]
fn a_price_that_only_adds_up_through_an_impossible_rate_is_not_the_tax() {
    // A tax-free export with shipping. One item's description starts with "Tax", so its
    // price stands where a tax label's amount would, and subtotal + that price = total.
    // 10.00 on 50.00 is 20 %, more than a German seller can charge: not the tax.
    let inv = read(
        r"Werkzeug Schulz GmbH
Hafenstraße 2
D-20457 Hamburg

Invoice No: WS-7781                                 Date: 12.02.2024

Description                                                Amount
Drill set                                                   40.00
Tax-free export handling                                    10.00

Subtotal                                                    50.00
Shipping                                                    10.00
Total                                                       60.00
",
    );
    assert_eq!(gross(&inv), Some(dec("60.00")));
    assert_ne!(tax(&inv), Some(dec("10.00")));
}

#[test]
fn net_and_tax_read_the_wrong_way_round_are_put_back_by_the_rate() {
    // A receipt whose labels swap the roles: the "GST" label's line holds the amount before
    // tax and "Total Excl" the tax (a 1,662 % rate read literally).
    let inv = read(
        "SYARIKAT MAJU SDN BHD\nTotal Excl GST : 3.18\nGST @6% : 52.86\nTotal Incl GST : 56.04\n",
    );
    assert_eq!(gross(&inv), Some(dec("56.04")));
    assert_eq!(net(&inv), Some(dec("52.86")));
    assert_eq!(tax(&inv), Some(dec("3.18")));
}

#[test]
fn a_key_whose_colon_stands_apart_is_not_the_sellers_name() {
    // A stylesheet's party block: "Nummer      : 549910" is a key and its value, the
    // name comes after it.
    let inv = read(
        r"Rechnung Nr. 471102 vom 05.03.2020

Verkäufer:
Nummer        : 549910
Globale Nummer: 4333741000005 (GTIN)
MUSTERLIEFERANT GMBH
BAHNHOFSTRASSE 99
DE 99199 MUSTERHAUSEN

Käufer:
Nummer        : 009420
MUSTER-KUNDE GMBH
KUNDENWEG 88
DE 40235 DUESSELDORF
",
    );
    assert_eq!(seller(&inv), Some("MUSTERLIEFERANT GMBH"));
    assert_eq!(buyer(&inv), Some("MUSTER-KUNDE GMBH"));
}

#[test]
fn a_from_heading_over_the_senders_block_is_not_part_of_its_name() {
    let inv = read(
        r"                                 INVOICE

From                                      Bill to
Consulting Ashford PLC                    Harbour Supplies Ltd
12 King Street                            4 Dock Road
Manchester M2 4WU                         Liverpool L3 4BB

Invoice No: INV-2024-0042                 Date: 04/03/2024
Total                                                  120.00
",
    );
    assert_eq!(seller(&inv), Some("Consulting Ashford PLC"));
    assert_eq!(buyer(&inv), Some("Harbour Supplies Ltd"));
}

#[test]
fn a_column_heading_over_per_rate_rows_takes_their_sum_row() {
    // A credit note's totals table: one row per rate, then the sum row.
    let inv = read(
        r"Gutschrift Nr. 471102                                   Datum: 05.09.2013
MUSTERLIEFERANT GMBH

   Warenwert    Nettobetrag    MwSt-Betrag    MwSt-%    Endbetrag
       -5,00          -4,85          -0,92      19,0        -5,77
       -2,90          -2,82          -0,20       7,0        -3,02

       -7,90          -7,67          -1,12       EUR        -8,79
",
    );
    assert_eq!(net(&inv), Some(dec("-7.67")));
    assert_eq!(tax(&inv), Some(dec("-1.12")));
    assert_eq!(gross(&inv), Some(dec("-8.79")));
}

#[test]
fn a_tax_of_the_other_sign_than_its_net_is_no_tax_of_it() {
    // The minus sign of the tax wrapped onto the line above: read literally, -8.79 + 1.12 =
    // -7.67 would make the gross the net. A positive tax on a negative net is no rate's tax.
    let inv = read(
        r"Rechnungskorrektur Nr. RK21012345                        Datum: 16.09.2018
MUSTERLIEFERANT GMBH
DE 99199 MUSTERHAUSEN

                          Rechnungssumme ohne USt.          -7,67
                                                      EUR   -
                          Steuerbetrag in
                                                             1,12
                          Bruttosumme                       -8,79
",
    );
    assert_eq!(net(&inv), Some(dec("-7.67")));
    assert_eq!(gross(&inv), Some(dec("-8.79")));
    assert_eq!(tax(&inv), Some(dec("-1.12")));
}

#[test]
fn an_amount_after_another_key_label_on_the_line_is_that_labels() {
    // "Te betalen" (to be paid) opens a sentence of payment terms; the amount on its line
    // belongs to "Subtotaal:".
    let inv = read(
        r"Logistiek Bakker B.V.
Factuurnummer: 2024-0815                                   Factuurdatum: 04-03-2024

Te betalen binnen 14 dagen na factuurdatum.          Subtotaal:       5.103,43 EUR
Bedankt voor uw opdracht.                            BTW 21%:         1.071,72 EUR
                                                     Totaal:          6.175,15 EUR
",
    );
    assert_eq!(
        inv.totals.payable_amount.as_ref().map(|p| p.value),
        Some(dec("6175.15"))
    );
}

#[test]
fn a_vat_id_under_the_buyers_address_is_the_buyers() {
    // Both ids are valid; the buyer's comes first in reading order, under its address in
    // the window, the seller's in the footer.
    let mut text =
        HOSTING_INVOICE.replace("10115 Berlin\n", "10115 Berlin\nUSt-IdNr.: DE136695976\n");
    text = text.replace("IBAN DE89 3704 0044 0532 0130 00", "USt-IdNr. DE129273398");
    let inv = read(&text);
    let id = |p: &doxin_model::Party| p.vat_id.as_ref().map(|v| v.value.clone());
    assert_eq!(id(&inv.buyer).as_deref(), Some("DE136695976"));
    assert_eq!(id(&inv.seller).as_deref(), Some("DE129273398"));
}

#[test]
fn a_payable_amount_beside_a_prepayment_is_not_sure() {
    // "Bereits bezahlt" without a readable open amount: payable = gross is a guess.
    let inv = read(
        r"Lieferant GmbH
Rechnung Nr. 4711                                          Datum: 05.03.2024
Rechnungssumme Netto                                             100,00
Summe Umsatzsteuer 19 %                                           19,00
Rechnungssumme Brutto                                            119,00
Bereits bezahlt                                                   50,00
",
    );
    let payable = inv.totals.payable_amount.as_ref();
    assert!(payable.is_some_and(|p| p.confidence < 0.9), "{payable:?}");
}

#[test]
fn without_a_company_form_the_name_with_an_address_under_it_is_the_seller() {
    // A logo's text stands alone at the top right; the sender's block is the first name
    // with an address under it. A number with a date inside it is still the number.
    let inv = read(
        r"                                                               Global Wholesaler
Azure Interior
4557 De Silva St
Fremont CA 94538
United States
                                                   YourCompany, Mitchell Admin
                                                   215 Vine St
                                                   Scranton PA 18503
                                                   United States
Invoice INV/2023/03/0008
Invoice Date:            Due Date:
03/20/2023               04/04/2023
                                                   Total               $ 279.84
",
    );
    assert_eq!(seller(&inv), Some("Azure Interior"));
    assert_eq!(
        inv.invoice_number.as_ref().map(|n| n.value.as_str()),
        Some("INV/2023/03/0008")
    );
}

#[test]
fn a_tax_summary_row_under_a_total_label_is_net_and_tax() {
    // "Total : 10.94 0.66" sums the GST summary (amount, tax); the receipt's own total line
    // is smudged. 0.66 is no total: the net and tax add up to it.
    let inv = read(
        "KEDAI MAKAN SDN BHD\nGST Summary Amount(RM) Tax(RM)\nSR @6% 10.94 0.66\n\
         Total : 10.94 0.66\nTOTAL AMT 11.6.\n",
    );
    assert_eq!(gross(&inv), Some(dec("11.60")));
    assert_eq!(net(&inv), Some(dec("10.94")));
    assert_eq!(tax(&inv), Some(dec("0.66")));
}

#[test]
fn an_amount_centred_in_a_tall_row_joins_the_numbers_on_the_line_above() {
    // The code column stacks three lines per item; the amount, centred, lands on the second.
    let inv = read(
        r"Lieferant GmbH
Rechnung Nr. 471102                                   Datum: 05.03.2018

Pos   Art-Nr          Beschreibung          Nettopreis    Menge   Steuersatz   Nettobetrag
1     TB100A4         Trennblätter A4           9,9000   20 Stk        19 %
      4012345001235                                                                 198,00
      (GTIN)
2     GTRWA5          Mineralwasser Medium      5,4900   20 Stk         7 %
      4000001234561   12 x 1,0l PET                                                 109,80
      (GTIN)
",
    );
    assert_eq!(
        amounts_and_descriptions(&inv),
        vec![
            (Some(dec("198.00")), "Trennblätter A4".to_string()),
            (
                Some(dec("109.80")),
                "Mineralwasser Medium\n12 x 1,0l PET".to_string()
            ),
        ]
    );
    assert_eq!(quantities(&inv), vec![Some(dec("20")), Some(dec("20"))]);
}

#[test]
fn a_table_goes_on_over_a_page_break_and_a_heading_ends_it() {
    // The first item's name goes on at the top of page 2; the second prints its name under
    // its numbers; a tax note in the description column is no total; the payment terms'
    // heading ends the table, so their amount is no item.
    let inv = read(
        "Versicherung AG
Rechnung Nr. 2018-17                                  Datum: 05.03.2018

Pos   Beschreibung      Nettopreis     Menge    Steuersatz    Nettobetrag
1     Kfz-                 67,2244     1 Stk           0 %          80,00
      Haftpflicht
\u{c}      SF25 Regio R9
      Enthält 19% Versicherungssteuer = 12,7726 €
2                         117,6471     1 Stk           0 %         140,00
      Vollkasko
      SF25 Regio R4


Zahlungsbedingungen:
Zahlbar sofort                                                     220,00
",
    );
    assert_eq!(
        amounts_and_descriptions(&inv),
        vec![
            (
                Some(dec("80.00")),
                "Kfz-Haftpflicht\nSF25 Regio R9".to_string()
            ),
            (Some(dec("140.00")), "Vollkasko\nSF25 Regio R4".to_string()),
        ]
    );
}

#[test]
fn with_no_amount_header_the_rows_amounts_show_the_amount_column() {
    // "Entgelt" is in no vocabulary; without the amounts' column the note's 12,77 would pass
    // for an amount and its tax word for the table's total.
    let inv = read(
        r"Versicherung AG
Rechnung Nr. 2018-17                                  Datum: 05.03.2018

Pos   Beschreibung      Nettopreis     Menge     Steuer            Entgelt
1     Kfz-Haftpflicht      67,22       1 Stk      0 %                80,00
      Bruttopreis : 80,00
      Enthält 19% Versicherungssteuer = 12,77 €
2     Vollkasko           117,65       1 Stk      0 %               140,00
",
    );
    assert_eq!(
        amounts_and_descriptions(&inv),
        vec![
            (Some(dec("80.00")), "Kfz-Haftpflicht".to_string()),
            (Some(dec("140.00")), "Vollkasko".to_string()),
        ]
    );
}

#[test]
fn a_number_under_a_code_header_is_not_the_quantity() {
    let inv = read(
        r"Musterlieferant GmbH
Gutschrift 471102                                     Datum: 13.09.2013

GTIN            Art-Nr-Lieferant   Menge          VKE/Geb   Nettopreis   MwSt-%   Nettowert
Art-Nr-Kunde    Artikelbezeichnung
4123456000014   ZS997              -5,0000 Stk.   1         1,0000       19,0     -5,00
                Zitronensäure 100ml
4123456000021   GZ250              -2,0000 Stk.   1         1,4500        7,0     -2,90
                Gelierzucker Extra 250g
",
    );
    assert_eq!(quantities(&inv), vec![Some(dec("-5")), Some(dec("-2"))]);
}

#[test]
fn a_sentence_with_a_column_word_under_a_heading_is_no_header() {
    // "Der Betrag wird …" names the amount column by its vocabulary, but it is a sentence: the
    // totals below are no items.
    let inv = read(
        r"Lieferant GmbH
Gutschrift Nr. 471102                                 Datum: 05.03.2018

Pos   Beschreibung          Nettopreis    Menge    Nettobetrag
1     Joghurt Banane            5,5000       50         275,00


Zahlungsbedingungen:
Beschreibung                          Fälligkeit      Teilzahlung
Der Betrag wird Ihrem Kundenkonto gutgeschrieben.

Positionssumme                                            275,00
Gesamtbetrag der Zuschläge                                  0,00
",
    );
    assert_eq!(
        amounts_and_descriptions(&inv),
        vec![(Some(dec("275.00")), "Joghurt Banane".to_string())]
    );
}

#[test]
fn notes_under_an_item_are_not_its_name() {
    // A bulleted order reference and a key in the code column end the item's name; a dash set
    // apart by a space stays apart from the next word.
    let inv = read(
        r"Autohaus GmbH
Rechnung Nr. 4711                                     Datum: 05.03.2018

Pos   Art-Nr             Beschreibung                       Menge   Einzelpreis   Gesamtpreis
1                        Navigationssystem -                    2          5,04         10,08
                         Garantie
                         • Bestellung Nr. ORDER84359 Zeile 1
2                        Physiotherapie                        10         26,00        260,00
      Art-Nr-Lieferant:
                         Behandlungen laut Verordnung
",
    );
    assert_eq!(
        amounts_and_descriptions(&inv),
        vec![
            (
                Some(dec("10.08")),
                "Navigationssystem -\nGarantie".to_string()
            ),
            (Some(dec("260.00")), "Physiotherapie".to_string()),
        ]
    );
}

fn buyer(inv: &Invoice) -> Option<&str> {
    inv.buyer.name.as_ref().map(|e| e.value.as_str())
}

/// A hosting invoice as many are printed: a logo (no text) for a letterhead, the customer's
/// address where the envelope window shows it, the provider's name only in the footer.
const HOSTING_INVOICE: &str = r"                                                            INVOICE



Kunde Handels GmbH
Einkauf
Marktstraße 5
10115 Berlin



Invoice No: H-2024-118                              Date: 05.03.2024


Description                                                  Amount
Webhosting M, March 2024                                      40.00
Domain kunde-handel.de                                        10.00

Net amount                                                    50.00
VAT 19 %                                                       9.50
Total                                                         59.50

















CloudHost GmbH           Serverweg 1, D-80331 München        IBAN DE89 3704 0044 0532 0130 00
";

/// A British letter: the letterhead's address on one line between middle dots, the return
/// address over the window with a postcode, the addressee's city over its postcode.
const BRITISH_INVOICE: &str = r"Harbour Joinery Ltd
12 Quay Street · Bristol · BS1 4DJ · United Kingdom
Tel. +44 117 496 0123 · accounts@harbour-joinery.co.uk

Harbour Joinery Ltd · 12 Quay Street · Bristol · BS1 4DJ
Ashby Kitchens Limited                                    Invoice No.:       HJ-7781
41 Mill Lane                                              Invoice date:  20/02/2026
Leeds
LS1 4DY
United Kingdom


Description                                                  Amount
Oak worktop, fitted                                          400.00

Net amount                                                   400.00
VAT 20 %                                                      80.00
Total                                                        480.00










";

#[test]
fn british_addresses_read_with_their_postcodes_and_the_return_line_names_the_sender() {
    let inv = read(BRITISH_INVOICE);
    assert_eq!(seller(&inv), Some("Harbour Joinery Ltd"));
    assert_eq!(buyer(&inv), Some("Ashby Kitchens Limited"));
    let (s, b) = (&inv.seller.address, &inv.buyer.address);
    assert_eq!(
        [
            value_of(&s.line1),
            value_of(&s.city),
            value_of(&s.postal_code),
            value_of(&s.country)
        ],
        [
            Some("12 Quay Street".into()),
            Some("Bristol".into()),
            Some("BS1 4DJ".into()),
            Some("GB".into())
        ]
    );
    assert_eq!(
        [
            value_of(&b.line1),
            value_of(&b.city),
            value_of(&b.postal_code)
        ],
        [
            Some("41 Mill Lane".into()),
            Some("Leeds".into()),
            Some("LS1 4DY".into())
        ]
    );
}

/// The rest of a short invoice under a letterhead.
const JOINERY_BODY: &str = r"
Invoice No.: HJ-7781                                    Invoice date: 20/02/2026

Description                                                  Amount
Oak worktop, fitted                                          400.00

Total                                                        400.00
";

#[test]
fn a_letterhead_set_flush_right_or_centred_keeps_its_address() {
    let right = r"                                                               Harbour Joinery Ltd
INVOICE                                                              12 Quay Street
                                                                            Bristol
                                                                            BS1 4DJ
                                                                     United Kingdom
";
    let centred = r"                         Harbour Joinery Ltd
                           12 Quay Street
                              Bristol
                              BS1 4DJ
                          United Kingdom
";
    for head in [right, centred] {
        let text = format!("{head}{JOINERY_BODY}");
        let inv = read(&text);
        let a = &inv.seller.address;
        assert_eq!(
            [
                value_of(&a.line1),
                value_of(&a.city),
                value_of(&a.postal_code),
                value_of(&a.country)
            ],
            [
                Some("12 Quay Street".into()),
                Some("Bristol".into()),
                Some("BS1 4DJ".into()),
                Some("GB".into())
            ],
            "{text}"
        );
    }
}

#[test]
fn the_sellers_register_number_is_read_from_the_footer() {
    let footers = [
        ("Registered in England and Wales No. 12240135", "12240135"),
        ("KvK 22189276 · IBAN NL91 ABNA 0417 1643 00", "22189276"),
        (
            "Amtsgericht Hamburg HRB 190878 · Geschäftsführer: J. Petersen",
            "HRB 190878",
        ),
        (
            "SAS au capital de 10 000 € · RCS Lyon 709 478 408",
            "709478408",
        ),
        (
            "TVA : FR11999999998 - SIRET : 99999999800010 - APE : 4778C",
            "99999999800010",
        ),
    ];
    for (footer, want) in footers {
        let text = format!("{JOINERY_BODY}\n\n\nHarbour Joinery Ltd    {footer}\n");
        let inv = read(&text);
        assert_eq!(
            inv.seller
                .legal_registration_id
                .as_ref()
                .map(|x| x.value.as_str()),
            Some(want),
            "{footer}"
        );
    }
    // A VAT id or a telephone number is no register number.
    let inv = read(&format!(
        "{JOINERY_BODY}\n\nHarbour Joinery Ltd    VAT No. GB286114555    Tel. 0117 496 0123\n"
    ));
    assert!(inv.seller.legal_registration_id.is_none());
}

#[test]
fn an_american_address_gives_city_state_and_country() {
    let inv = read(
        r"Summit Furniture Corp.
850 Lake Shore Drive
Austin, TX 78701

Invoice No.: SF-1207                                    Invoice date: 03/02/2026

Description                                                  Amount
Standing desk                                                640.00

Total                                                        640.00
",
    );
    let a = &inv.seller.address;
    assert_eq!(
        [
            value_of(&a.line1),
            value_of(&a.city),
            value_of(&a.country_subdivision),
            value_of(&a.postal_code),
            value_of(&a.country)
        ],
        [
            Some("850 Lake Shore Drive".into()),
            Some("Austin".into()),
            Some("TX".into()),
            Some("78701".into()),
            Some("US".into())
        ]
    );
}

#[test]
fn a_quantity_written_as_money_beside_a_whole_price_is_the_other_way_round() {
    // The price column comes before the quantity's: 3 × 155.33 = 155.33 × 3, so only the
    // way the numbers are written tells which is the count.
    let inv = read(
        r"Rechnung Nr. 2024-77                                   Datum: 04.03.2024
Lieferant GmbH

Pos  Beschreibung                     Menge      Einzelpreis        Betrag
1    Caisson mobile                  155.33        3               465.99

Summe netto                                                        465.99
",
    );
    let line = inv.lines.first().expect("one line");
    assert_eq!(line.quantity.as_ref().map(|q| q.value), Some(dec("3")));
    assert_eq!(
        line.unit_price.as_ref().map(|p| p.value),
        Some(dec("155.33"))
    );
}

fn line_parts(inv: &Invoice) -> Vec<[Option<String>; 4]> {
    inv.lines
        .iter()
        .map(|l| {
            [
                l.id.as_ref().map(|x| x.value.clone()),
                l.seller_item_id.as_ref().map(|x| x.value.clone()),
                l.description.as_ref().map(|x| x.value.clone()),
                l.unit_code.as_ref().map(|x| x.value.clone()),
            ]
        })
        .collect()
}

fn some(parts: [&str; 4]) -> [Option<String>; 4] {
    parts.map(|p| Some(p.to_string()))
}

#[test]
fn item_and_article_number_columns_left_of_the_description_are_position_and_code() {
    let inv = read(
        r"INVOICE 230081                                   Date 20 February 2026

Item    Art. No.            Description                                Qty     Unit      Unit price    VAT %     Amount

1       505208              Swivel office chair with armrests            1      pcs          396.70      20%      396.70
2       942175              Ballpoint pens, blue (box of 50)            12      pcs           22.60      20%      271.20

                                                                        Subtotal:                              667.90
",
    );
    assert_eq!(
        line_parts(&inv),
        vec![
            some(["1", "505208", "Swivel office chair with armrests", "H87"]),
            some(["2", "942175", "Ballpoint pens, blue (box of 50)", "H87"]),
        ]
    );
}

#[test]
fn a_key_and_value_right_above_the_header_is_not_part_of_it() {
    let inv = read(
        r"INVOICE 230081                                   Date 20 February 2026

Bill to
Thornbury Consulting Limited
VAT No.: GB839613991
Description                                Qty      Unit price      VAT %      Amount
Swivel office chair with armrests            1          396.70        20%      396.70
Ballpoint pens, blue (box of 50)            12           22.60        20%      271.20

                                                          Subtotal:            667.90
",
    );
    let names = descriptions(&inv);
    assert_eq!(
        names,
        vec![
            Some("Swivel office chair with armrests"),
            Some("Ballpoint pens, blue (box of 50)")
        ]
    );
}

#[test]
fn a_number_inside_the_description_is_no_price_and_a_discount_no_rate() {
    let inv = read(
        r"Facture n° 230081                     Date 20/02/2026

Réf.     Désignation                                 Prix   Quantité   Remise    TVA %    Montant

1        Caisson mobile 3 tiroirs                  213,84          4     10 %     20 %     769,82
2        Papier A4 80 g                              4,25          2              20 %       8,50

                                                                          Total HT                  778,32
",
    );
    let parts: Vec<(Option<String>, Option<String>, Option<String>)> = inv
        .lines
        .iter()
        .map(|l| {
            (
                l.unit_price.as_ref().map(|x| x.value.to_string()),
                l.quantity.as_ref().map(|x| x.value.to_string()),
                l.vat_rate.as_ref().map(|x| x.value.to_string()),
            )
        })
        .collect();
    let some = |p: &str, q: &str, r: &str| (Some(p.into()), Some(q.into()), Some(r.into()));
    assert_eq!(
        parts,
        vec![some("213.84", "4", "20"), some("4.25", "2", "20")]
    );
}

#[test]
fn reference_columns_are_read_as_position_and_article_number() {
    let inv = read(
        r"Facture n° 230081                     Date 20/02/2026

Réf.     Réf. article        Désignation                                   Quantité     Unité        Prix unitaire HT          TVA %     Montant HT

1        165655              Caisson mobile 3 tiroirs                            4      pce                    213,84           20 %          855,36
2        281466              Chaise de conférence empilable                      9      pce                     54,80           20 %          493,20

                                                                          Total HT                  1 348,56
",
    );
    assert_eq!(
        line_parts(&inv),
        vec![
            some(["1", "165655", "Caisson mobile 3 tiroirs", "H87"]),
            some(["2", "281466", "Chaise de conférence empilable", "H87"]),
        ]
    );
    // "Artikelnr." names a code column however it is compounded.
    let inv = read(
        r"Factuur 2026-118                        Datum 20-02-2026

Nr.      Artikelnr.               Omschrijving                          Aantal     Eenheid     Prijs per stuk   BTW %          Bedrag

1        622870                   Boek: Ergonomie op de werkplek             1      st.                  46,00    21%             46,00

                                                                      Totaal excl. BTW                           46,00
",
    );
    assert_eq!(
        line_parts(&inv),
        vec![some([
            "1",
            "622870",
            "Boek: Ergonomie op de werkplek",
            "H87"
        ])]
    );
}

#[test]
fn a_line_set_in_under_an_item_is_its_longer_description_not_its_name() {
    let inv = read(
        r"INVOICE 230081                                   Date 20 February 2026

Item      Description                                           Qty        Unit price      Amount

1         Swivel office chair with armrests                        1            396.70      396.70
2         Ballpoint pens, blue (box of 50)                        12             22.60      271.20
            Serial no. QY-22483 – QY-22494
3         Copy paper A4 80 g (500 sheets),                         2              4.25        8.50
          white
                                                                                 Subtotal:   676.40
",
    );
    let names = descriptions(&inv);
    assert_eq!(
        names,
        vec![
            Some("Swivel office chair with armrests"),
            Some("Ballpoint pens, blue (box of 50)"),
            Some("Copy paper A4 80 g (500 sheets),\nwhite"),
        ]
    );
    assert_eq!(
        inv.lines[1]
            .item_description
            .as_ref()
            .map(|d| d.value.as_str()),
        Some("Serial no. QY-22483 – QY-22494")
    );
    assert!(inv.lines[0].item_description.is_none() && inv.lines[2].item_description.is_none());
}

fn issue_date(inv: &Invoice) -> Option<String> {
    inv.issue_date.as_ref().map(|d| d.value.to_string())
}

#[test]
fn without_an_issue_date_label_the_end_of_a_period_dates_the_receipt() {
    // A parking ticket: entry and payment, no "Date" label; the receipt is the payment's.
    let ticket = read(
        r"        CITY CAR PARK SDN BHD
        Ticket No: 0420913

Entry Time     30/01/17 (Mon)  20:22
Paid Time      30/04/17 (Sun)  21:51

Parking Fee                      5.00
Total                         RM 5.00
",
    );
    assert_eq!(issue_date(&ticket).as_deref(), Some("2017-04-30"));
    // A hotel bill in German: arrival, then departure.
    let hotel = read(
        r"Hotel Seeblick GmbH
Seestrasse 4, 82319 Starnberg

Ankunft: 01.05.2024          Abreise: 03.05.2024

Übernachtung 2 x 95,00        190,00
Gesamtbetrag EUR              190,00
",
    );
    assert_eq!(issue_date(&hotel).as_deref(), Some("2024-05-03"));
    // A start date alone is still the only date there is.
    let entry_only = read(
        r"CITY CAR PARK SDN BHD
Entry Time     30/01/17 20:22
Total                         RM 5.00
",
    );
    assert_eq!(issue_date(&entry_only).as_deref(), Some("2017-01-30"));
}

#[test]
fn a_name_set_on_two_lines_is_one_name_and_its_registration_number_no_address() {
    // A receipt's letterhead: the name on two lines, closed by the registration number.
    let two_lines = read(
        r"        RESTAURANT JIAWEI
           JIAWEI HOUSE
            002693074-K
       13, JLN TASIK UTAMA 8
      57000 KUALA LUMPUR
Date: 25/03/2018
Total                  RM 12.00
",
    );
    assert_eq!(
        value_of(&two_lines.seller.name).as_deref(),
        Some("RESTAURANT JIAWEI JIAWEI HOUSE")
    );
    assert_eq!(
        value_of(&two_lines.seller.address.line1).as_deref(),
        Some("13, JLN TASIK UTAMA 8")
    );
    // A line of letters with the address under it is the address's first line.
    let street_first = read(
        r"        FUYI MINI MARKET
          TAMAN SEJATI
       45600 BESTARI JAYA
Date: 25/01/2018
Total                  RM 91.00
",
    );
    assert_eq!(
        value_of(&street_first.seller.name).as_deref(),
        Some("FUYI MINI MARKET")
    );
    assert_eq!(
        value_of(&street_first.seller.address.line1).as_deref(),
        Some("TAMAN SEJATI")
    );
}

#[test]
fn a_receipts_address_keeps_its_street_before_the_postal_code_and_its_region_after() {
    // The area before the postal code on one line, shop numbers after the address.
    let split = read(
        r"                   WAHIN HARDWARE SDN BHD
                          148481-U
                     425, JALAN PAHANG,
                SETAPAK, 53000 KUALA LUMPUR.
              STORE: 40225409 FAX : 603-40217507.
Date: 25/03/2018
Total                                         RM 12.00
",
    );
    let address = &split.seller.address;
    assert_eq!(
        value_of(&address.line1).as_deref(),
        Some("425, JALAN PAHANG,")
    );
    assert_eq!(value_of(&address.line2).as_deref(), Some("SETAPAK"));
    assert_eq!(value_of(&address.postal_code).as_deref(), Some("53000"));
    assert_eq!(value_of(&address.line3), None);
    // The state under the postal code and city is the region; what follows it is not.
    let region = read(
        r"                   SAM SAM TRADING SDN BHD
                     67,JLN MEWAH 25/63,
                      40400 SHAH ALAM,
                         SELANGOR.
                           CASH
Date: 25/03/2018
Total                                         RM 12.00
",
    );
    assert_eq!(
        value_of(&region.seller.address.country_subdivision).as_deref(),
        Some("SELANGOR")
    );
}

#[test]
fn a_name_key_after_the_party_label_is_no_part_of_the_name() {
    // "CUSTOMER NAME:" is one key: the buyer is what follows its colon.
    let inv = read(
        r"CONTOSO LTD.                                                        INVOICE
Contoso Headquarters                                       INVOICE: INV-100
123 456th St                                      INVOICE DATE: 11/15/2019
New York, NY, 10001                                  DUE DATE: 12/15/2019
                                      CUSTOMER NAME: MICROSOFT CORPORATION
SUBTOTAL                                                            $100.00
SALES TAX                                                            $10.00
TOTAL                                                               $110.00
",
    );
    assert_eq!(
        value_of(&inv.buyer.name).as_deref(),
        Some("MICROSOFT CORPORATION")
    );
    assert_eq!(seller(&inv), Some("CONTOSO LTD."));
}

#[test]
fn the_title_says_whether_a_document_is_an_invoice_or_a_credit_note() {
    let body = "
Northwind Traders Ltd
77 Harbour Road, Bristol BS1 5TT
Date: 14/03/2026
Net                                                                 100.00
VAT 20%                                                              20.00
Total                                                               120.00
";
    let credit = read(&format!("CREDIT NOTE No. CN-0042{body}"));
    assert_eq!(credit.document_type, doxin_model::DocumentType::CreditNote);
    assert_eq!(value_of(&credit.type_code).as_deref(), Some("381"));
    let invoice = read(&format!("INVOICE No. 2026-0042{body}"));
    assert_eq!(invoice.document_type, doxin_model::DocumentType::Invoice);
    assert_eq!(value_of(&invoice.type_code).as_deref(), Some("380"));
    let stated = read(&format!("Rechnungskorrektur (384) Nr. RK21012345{body}"));
    assert_eq!(value_of(&stated.type_code).as_deref(), Some("384"));
}

#[test]
fn a_line_taxed_above_zero_is_standard_rated_and_a_zero_rate_stays_open() {
    let inv = read(
        r"Northwind Traders Ltd                                      INVOICE No. 7
Description                 Qty        Price      VAT %          Amount
Consulting                    2        50.00         20          100.00
Export crate                  1        10.00          0           10.00
Net                                                              110.00
VAT                                                               20.00
Total                                                            130.00
",
    );
    let category = |description: &str| {
        inv.lines
            .iter()
            .find(|l| value_of(&l.description).as_deref() == Some(description))
            .map(|l| value_of(&l.vat_category))
    };
    assert_eq!(category("Consulting"), Some(Some("S".to_string())));
    assert_eq!(category("Export crate"), Some(None));
}

#[test]
fn due_dates_are_read_under_their_labels_in_each_language() {
    let due = |text: &str| read(text).due_date.map(|d| d.value.to_string());
    assert_eq!(
        due("Fattura N. 749069\nData fattura: 25/11/2025\nData di scadenza: 25/12/2025\n")
            .as_deref(),
        Some("2025-12-25")
    );
    assert_eq!(
        due("FACTUUR\nFactuurnr.: 2024-6935\nFactuurdatum: 18-12-2024\nTe betalen voor: 16-02-2025\n")
            .as_deref(),
        Some("2025-02-16")
    );
    // The heading of a payment-terms table, the date under it.
    assert_eq!(
        due(r"Rechnung Nr. 471102 vom 05.02.2019
Zahlungsbedingungen
Beschreibung                 Fälligkeit                 Teilzahlung
                             05.03.2019
")
        .as_deref(),
        Some("2019-03-05")
    );
}

#[test]
fn a_prepayment_printed_as_a_deduction_is_the_amount_paid() {
    let inv = read(
        r"Lieferant GmbH
Rechnung Nr. 4711                                          Datum: 05.03.2024
Rechnungssumme Netto                                             100,00
Summe Umsatzsteuer 19 %                                           19,00
Bruttosumme                                                      119,00
Erhaltene Anzahlungen                                            -50,00
Zahlbetrag                                                        69,00
",
    );
    let prepaid = inv.totals.prepaid_amount.as_ref().map(|p| p.value);
    assert_eq!(prepaid, Some(dec("50.00")));
    assert_eq!(
        inv.totals.payable_amount.as_ref().map(|p| p.value),
        Some(dec("69.00"))
    );
}

#[test]
fn the_buyers_reference_is_read_as_printed() {
    let inv = read(
        r"Lieferant GmbH
Rechnung Nr. 4711                                          Datum: 05.03.2024
Leitweg-ID:                                                04011000-12345-34
Referenz des Käufers:                                      05 158 004 - 11023 - 45
",
    );
    assert_eq!(
        value_of(&inv.buyer_reference).as_deref(),
        Some("04011000-12345-34")
    );
    let inv = read("Rechnung Nr. 4711\nReferenz des Käufers:   05 158 004 - 11023 - 45\n");
    assert_eq!(
        value_of(&inv.buyer_reference).as_deref(),
        Some("05 158 004 - 11023 - 45")
    );
    // A name is a reference too; the line under it is another label's.
    let inv = read(
        r"Rechnung Nr. 4711
Referenz des Käufers:        Liselotte Müller-Lüdenscheidt
Buchungsreferenz:            420
",
    );
    assert_eq!(
        value_of(&inv.buyer_reference).as_deref(),
        Some("Liselotte Müller-Lüdenscheidt")
    );
    // The colon set apart in the value's column.
    let inv = read("Rechnung Nr. 4711\nLeitweg-ID          : 04011000-12345-34\n");
    assert_eq!(
        value_of(&inv.buyer_reference).as_deref(),
        Some("04011000-12345-34")
    );
}

#[test]
fn a_whole_amount_with_its_currency_symbol_joined_is_money() {
    // An unseen statement prints whole dollars beside a total with cents, and the tax as a
    // rate only.
    let inv = read(
        r"Contoso, Ltd.                                          Project Statement
                                                           Date: 9/10/2020
                                                   Receipt # No.: 9876
Training Date   Description          Price      Discount     Line Total
12/5/2020       Manager Training     $3,500     -            $3,500
12/11/2020      Leadership Training  $4,500     25%          $3,375

                                            Subtotal            $6,875
                                            Sales Tax           3%
                                            Total               $7,081.25
",
    );
    assert_eq!(net(&inv), Some(dec("6875")));
    assert_eq!(gross(&inv), Some(dec("7081.25")));
    assert_eq!(tax(&inv), Some(dec("206.25")));
    let amounts = per_line(&inv, |l| &l.line_amount);
    assert_eq!(amounts, vec![Some(dec("3500")), Some(dec("3375"))]);
}

#[test]
fn an_amount_whose_thousands_a_space_groups_is_one_line_amount() {
    let inv = read(
        r"Mobilier Durand SARL                                               FACTURE N° F-2026-118
Date : 14/03/2026
Pos.  Désignation                          Qté     Prix unitaire     TVA        Montant HT
1     Bureau réglable en hauteur 160x80      6            635,54     20 %         3 813,24
2     Chaise de bureau Ergo Plus             5            401,17     20 %         2 005,85
                                                        Total HT                  5 819,09
                                                        TVA 20 %                  1 163,82
                                                        Total TTC                 6 982,91
",
    );
    let amounts = per_line(&inv, |l| &l.line_amount);
    assert_eq!(amounts, vec![Some(dec("3813.24")), Some(dec("2005.85"))]);
    let quantities = per_line(&inv, |l| &l.quantity);
    assert_eq!(quantities, vec![Some(dec("6")), Some(dec("5"))]);
    assert_eq!(gross(&inv), Some(dec("6982.91")));
}

#[test]
fn a_position_number_equal_to_the_quantity_stays_the_position() {
    let inv = read(
        r"Mobilier Durand SARL                                               FACTURE N° F-2026-119
Date : 14/03/2026
Pos.  Désignation                                 Prix unitaire        Montant HT
4     Chaise de bureau Ergo Plus             4            491,90          1 967,60
                                                        Total HT          1 967,60
                                                        TVA 20 %            393,52
                                                        Total TTC         2 361,12
",
    );
    let line = inv.lines.first().expect("a line");
    assert_eq!(value_of(&line.id).as_deref(), Some("4"));
    let quantity = line.quantity.as_ref().expect("a quantity");
    assert_eq!(quantity.value, dec("4"));
    // No column names the quantity; of the two numbers that make 4 × 491,90 = 1 967,60,
    // the one beside the price is the quantity.
    assert!(quantity.bbox.is_some_and(|b| b.x0 > 200.0), "{quantity:?}");
}

#[test]
fn two_vat_ids_on_one_line_belong_to_the_blocks_above_them() {
    // Seller and buyer side by side, each block closing with its VAT id on the same line.
    let inv = read(
        r"Factuur
Van                                                 Factuur aan
De Vries Kantoorinrichting B.V.                     Advies Van der Berg N.V.
Marktplein 14                                       Kerkstraat 24
2511 BT Den Haag                                    1015 CJ Amsterdam
Nederland                                           Nederland
Btw-nummer: NL333793961B01                          Btw-nummer: NL807146845B01
Factuurnummer:    2026-9176                         Factuurdatum:      13-01-2026
Subtotaal:                                                                  46,00
BTW 21%:                                                                     9,66
Totaal:                                                                     55,66
",
    );
    let id = |p: &doxin_model::Party| p.vat_id.as_ref().map(|v| v.value.clone());
    assert_eq!(id(&inv.seller).as_deref(), Some("NL333793961B01"));
    assert_eq!(id(&inv.buyer).as_deref(), Some("NL807146845B01"));
}

#[test]
fn a_discount_column_in_dutch_is_no_vat_rate() {
    let inv = read(
        r"De Vries Kantoorinrichting B.V.                                      FACTUUR
Factuurnummer: 2023-118                                        Datum: 10-05-2023
Nr.  Omschrijving                        Aantal  Prijs per stuk  Korting  BTW %    Bedrag
1    Levering en vracht                       1           58,50       2%    21%     57,33
2    Onderhoudscontract (maandelijks)         1          179,61      10%    21%    161,65
                                                               Subtotaal:         218,98
                                                               BTW 21%:            45,99
                                                               Totaal:            264,97
",
    );
    let rates = per_line(&inv, |l| &l.vat_rate);
    assert_eq!(rates, vec![Some(dec("21")), Some(dec("21"))]);
}

#[test]
fn a_gross_price_noted_under_an_item_is_its_gross_unit_price() {
    let inv = read(
        r"Lieferant GmbH                                           Rechnung Nr. 471102
Pos   Beschreibung          Nettopreis     Menge       Steuer        Entgelt
1     Trennblätter                9,90    20 Stk         19 %         198,00
  TB100A4             A4
  4012345001235
  (GLN)
                     Bruttopreis : 10,50
2     Joghurt                     5,50    50 Stk          7 %         275,00
                     Bruttopreis : 5,50
                                         Rechnungssumme ohne USt.      473,00
                                         Steuerbetrag                   56,87
                                         Bruttosumme                   529,87
",
    );
    let gross = per_line(&inv, |l| &l.gross_unit_price);
    assert_eq!(gross, vec![Some(dec("10.50")), Some(dec("5.50"))]);
    let amounts = per_line(&inv, |l| &l.line_amount);
    assert_eq!(amounts, vec![Some(dec("198.00")), Some(dec("275.00"))]);
}

#[test]
fn units_count_the_items_and_a_column_with_the_tax_in_is_no_line_amount() {
    // A generator's table: "Units" holds the count with its unit, "Total price" is the net
    // amount of the line, "Total price with tax" the gross beside it.
    let inv = read(
        r"Nordwerk Maschinenbau GmbH
Invoice num.: 20260004                                Date: 2026-08-19

Description               Units    Price per one    Total price    Tax    Total price with tax
Ergonomic office chair    4 pcs         1,934.68       7,738.72   20 %                9,286.46
Consulting services      20.50 h          557.59      11,430.60   20 %               13,716.72

                                                     Total with tax: 23,003.18
",
    );
    assert_eq!(
        per_line(&inv, |l| &l.quantity),
        vec![Some(dec("4")), Some(dec("20.50"))]
    );
    assert_eq!(
        per_line(&inv, |l| &l.line_amount),
        vec![Some(dec("7738.72")), Some(dec("11430.60"))]
    );
    assert_eq!(
        descriptions(&inv),
        vec![Some("Ergonomic office chair"), Some("Consulting services")]
    );
    assert_eq!(
        per_line(&inv, |l| &l.vat_rate),
        vec![Some(dec("20")), Some(dec("20"))]
    );
    // "Total price" heads a column: the first row's amount under it is no total.
    assert_eq!(gross(&inv), Some(dec("23003.18")));
    assert_eq!(net(&inv), Some(dec("19169.32")));
}

#[test]
fn a_unit_price_heading_of_two_words_is_one_column() {
    let inv = read(
        r"Azure Interior                                             INVOICE INV/2024/0007
Invoice Date: 03/05/2024

Description                      Quantity      Unit Price      Taxes       Amount
Office chair                       3.00           42.00          15%       126.00
Desk lamp                          2.00           70.00          15%       140.00

                                                      Untaxed Amount       266.00
                                                      Total                305.90
",
    );
    assert_eq!(
        per_line(&inv, |l| &l.unit_price),
        vec![Some(dec("42.00")), Some(dec("70.00"))]
    );
}

#[test]
fn a_form_names_each_part_of_an_address_with_its_own_key() {
    let inv = read(
        r"                                                                 Invoice
                                       Invoice id:         INV-35295
                                       Invoice date:       2026-10-08 14:11
                                       Invoice due date:   2026-11-07 14:11
Service Provider                        Client
Name:        Brightline Analytics Ltd   Name:        Bäckerei Sonnenschein KG
Street:      14 Harbour Road            Street:      Lindenallee 5
City:        Bristol                    City:        Köln
Country:     GB                         Country:     DE
Post code:   BS1 5TY                    Post code:   50667
",
    );
    let address = |p: &doxin_model::Party| {
        (
            value_of(&p.address.line1),
            value_of(&p.address.city),
            value_of(&p.address.postal_code),
            value_of(&p.address.country),
        )
    };
    assert_eq!(seller(&inv), Some("Brightline Analytics Ltd"));
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        address(&inv.seller),
        (
            some("14 Harbour Road"),
            some("Bristol"),
            some("BS1 5TY"),
            some("GB")
        )
    );
    assert_eq!(
        address(&inv.buyer),
        (
            some("Lindenallee 5"),
            some("Köln"),
            some("50667"),
            some("DE")
        )
    );
    assert_eq!(
        inv.due_date.as_ref().map(|d| d.value.to_string()),
        Some("2026-11-07".to_string())
    );
}

#[test]
fn a_heading_in_larger_type_over_a_name_is_no_part_of_it() {
    use doxin_extract::layout::{LayoutLine, LayoutPage, LayoutWord};
    use doxin_model::BBox;
    // Words at (x, top, size in points): a 12-point heading a word the vocabulary does not
    // know, over a letterhead in 8 points; a two-line name would be set in one size.
    let line = |words: &[(f32, f32, f32, &str)]| LayoutLine {
        words: words
            .iter()
            .map(|&(x, y, size, text)| LayoutWord {
                text: text.to_string(),
                bbox: BBox::new(x, y, x + 0.5 * size * text.chars().count() as f32, y + size),
                confidence: 1.0,
            })
            .collect(),
    };
    let layout = Layout {
        pages: vec![LayoutPage {
            number: 1,
            width: 612.0,
            height: 792.0,
            lines: vec![
                line(&[
                    (312.0, 40.0, 10.0, "Invoice"),
                    (352.0, 40.0, 10.0, "20260004"),
                ]),
                line(&[(63.0, 70.0, 12.0, "Contractor")]),
                line(&[
                    (63.0, 85.0, 8.0, "Nordwerk"),
                    (100.0, 85.0, 8.0, "Maschinenbau"),
                    (152.0, 85.0, 8.0, "GmbH"),
                ]),
                line(&[
                    (63.0, 95.0, 8.0, "Industriestraße"),
                    (125.0, 95.0, 8.0, "42"),
                ]),
                line(&[(63.0, 105.0, 8.0, "70565"), (88.0, 105.0, 8.0, "Stuttgart")]),
            ],
        }],
        source: doxin_model::Source::Text,
    };
    let inv = extract_invoice(&layout);
    assert_eq!(seller(&inv), Some("Nordwerk Maschinenbau GmbH"));
}

#[test]
fn a_description_cell_centred_on_its_row_describes_the_named_item() {
    // "Name | Description": the description cell wraps over three lines centred on the row's
    // numbers, so its first line stands above the row. The second row's price and amount
    // are whole and printed without decimals.
    let inv = read(
        r"Pinecrest Software Inc.                                            Invoice id: INV-82491
Detail
          Name               Description            Units              Unit Price            Amount
                           Priority support
   Support hours           by phone and               33               2456.32              81058.56
                                e-mail
                           Software licence,
         Licence                annual                28                   800                 22400
                             subscription
                                                                            Subtotal        103458.56
                                                                       Vat/Tax (7%)          7242.10
                                                                                 Total      110700.66
",
    );
    assert_eq!(
        descriptions(&inv),
        vec![Some("Support hours"), Some("Licence")]
    );
    let details: Vec<Option<String>> = inv
        .lines
        .iter()
        .map(|l| value_of(&l.item_description))
        .collect();
    assert_eq!(
        details,
        vec![
            Some("Priority support\nby phone and\ne-mail".to_string()),
            Some("Software licence,\nannual\nsubscription".to_string()),
        ]
    );
    assert_eq!(
        per_line(&inv, |l| &l.line_amount),
        vec![Some(dec("81058.56")), Some(dec("22400"))]
    );
    assert_eq!(net(&inv), Some(dec("103458.56")));
}

#[test]
fn a_quantity_with_its_unit_joined_is_a_quantity() {
    // OCR and some tables join the unit to the count: "14h", "25pcs".
    let inv = read(
        r"Nordwerk Maschinenbau GmbH                             Invoice num.: 20240001

Description                      Units    Price per one    Total price
Consulting services                14h         1,904.27      26,659.78
Freight Rotterdam - Hamburg      25pcs         1,801.07      45,026.75

                                                  Total: 71,686.53
",
    );
    assert_eq!(
        per_line(&inv, |l| &l.quantity),
        vec![Some(dec("14")), Some(dec("25"))]
    );
    let units: Vec<Option<String>> = inv.lines.iter().map(|l| value_of(&l.unit_code)).collect();
    assert_eq!(
        units,
        vec![Some("HUR".to_string()), Some("H87".to_string())]
    );
    assert_eq!(
        descriptions(&inv),
        vec![
            Some("Consulting services"),
            Some("Freight Rotterdam - Hamburg")
        ]
    );
}

/// The header fields, parties and totals a reader checks first.
fn summary(inv: &Invoice) -> Vec<Option<String>> {
    let date = |f: &doxin_model::Field<chrono::NaiveDate>| f.as_ref().map(|d| d.value.to_string());
    vec![
        value_of(&inv.invoice_number),
        date(&inv.issue_date),
        date(&inv.due_date),
        value_of(&inv.currency),
        seller(inv).map(str::to_string),
        value_of(&inv.buyer.name),
        value_of(&inv.seller.vat_id),
    ]
}

#[test]
fn a_czech_invoice_is_read_in_its_own_words() {
    let inv = read(
        r"FAKTURA - DAŇOVÝ DOKLAD č. 2026-0117

Dodavatel:                              Odběratel:
Truhlářství Dvořák s.r.o.               Kavárna U Mostu s.r.o.
Husova 12                               Karlova 3
602 00 Brno                             110 00 Praha 1
DIČ: CZ25596641                         DIČ: CZ27082440

Datum vystavení: 3. 11. 2026
Datum zdanitelného plnění: 3. 11. 2026
Datum splatnosti: 17. 11. 2026

Popis                          Množství  MJ     Cena za MJ      Celkem
Dubový stůl                        2     ks      9 500,00     19 000,00
Židle                              6     ks      1 800,00     10 800,00

                                        Celkem bez DPH:    29 800,00 Kč
                                        DPH 21 %:           6 258,00 Kč
                                        Celkem k úhradě:   36 058,- Kč
",
    );
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        summary(&inv),
        vec![
            some("2026-0117"),
            some("2026-11-03"),
            some("2026-11-17"),
            some("CZK"),
            some("Truhlářství Dvořák s.r.o."),
            some("Kavárna U Mostu s.r.o."),
            some("CZ25596641"),
        ]
    );
    assert_eq!(
        (gross(&inv), net(&inv), tax(&inv)),
        (
            Some(dec("36058")),
            Some(dec("29800.00")),
            Some(dec("6258.00"))
        )
    );
    assert_eq!(
        per_line(&inv, |l| &l.unit_price),
        vec![Some(dec("9500.00")), Some(dec("1800.00"))]
    );
    assert_eq!(
        per_line(&inv, |l| &l.line_amount),
        vec![Some(dec("19000.00")), Some(dec("10800.00"))]
    );
}

#[test]
fn a_portuguese_invoice_is_read_in_its_own_words() {
    let inv = read(
        r"Papelaria Central, Lda.
Rua Augusta 101
1100-048 Lisboa
NIF: PT503004642
                                   FATURA N.º FT2026/88
                                   Data de emissão: 14 de out. de 2026
                                   Data de vencimento: 13/11/2026
Cliente:
Oficina Mecânica Silva
Avenida da Liberdade 200
4000-322 Porto

Descrição                    Quantidade   Preço unitário    IVA     Valor
Resma de papel A4                 10             4,50 €     23%     45,00 €
Tinteiro preto                     2            18,90 €     23%     37,80 €

                                            Total sem IVA       82,80 €
                                            IVA 23%             19,04 €
                                            Total com IVA      101,84 €
",
    );
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        summary(&inv),
        vec![
            some("FT2026/88"),
            some("2026-10-14"),
            some("2026-11-13"),
            some("EUR"),
            some("Papelaria Central, Lda."),
            some("Oficina Mecânica Silva"),
            some("PT503004642"),
        ]
    );
    assert_eq!(
        (gross(&inv), net(&inv), tax(&inv)),
        (Some(dec("101.84")), Some(dec("82.80")), Some(dec("19.04")))
    );
    assert_eq!(
        per_line(&inv, |l| &l.unit_price),
        vec![Some(dec("4.50")), Some(dec("18.90"))]
    );
    assert_eq!(
        descriptions(&inv),
        vec![Some("Resma de papel A4"), Some("Tinteiro preto")]
    );
}

#[test]
fn a_dollar_sign_after_letters_names_that_dollar() {
    // "R$" is the Brazilian real, "A$" the Australian dollar: not US dollars.
    for (sign, code) in [("R$", "BRL"), ("A$", "AUD"), ("US$", "USD")] {
        let inv = read(&format!(
            r"Cooperativa Vale Verde                      Fatura n.º 2026/7

Descrição                 Quantidade     Preço unitário       Valor
Consultoria                        2        {sign} 150,00    {sign} 300,00

                                        Total:   {sign} 300,00
"
        ));
        assert_eq!(value_of(&inv.currency).as_deref(), Some(code), "{sign}");
    }
}

#[test]
fn a_one_line_letterhead_gives_the_name_and_the_address_and_the_residual_is_due() {
    // The letterhead's parts on one line, set apart by dashes; a payment already made and
    // the residual under the total; a sentence that starts "Invoice to pay by …".
    let inv = read(
        r"     Au bon moulin SARL - 1242 chemin de l'olive - 84340 Malaucène - France
     TVA : FR11999999998 - SIRET : 99999999800010

Invoice FA-2017-0008

Invoice Date       11/03/2017

Description                       Quantity     Unit Price          Amount
Huile d'olive à l'ancienne       100 Liter(s)     19.80 €      1,980.00 €
                                                       Total      1,980.00 €
Payment        Date          Amount
SEPA           11/17/2017    623.00 €                  Residual   1,357.00 €

Invoice to pay by wire transfer to the following bank account:
",
    );
    assert_eq!(seller(&inv), Some("Au bon moulin SARL"));
    let a = &inv.seller.address;
    assert_eq!(
        (
            value_of(&a.line1),
            value_of(&a.postal_code),
            value_of(&a.city),
            value_of(&a.country)
        ),
        (
            Some("1242 chemin de l'olive".to_string()),
            Some("84340".to_string()),
            Some("Malaucène".to_string()),
            Some("FR".to_string())
        )
    );
    assert_eq!(value_of(&inv.buyer.name), None, "a sentence names no buyer");
    assert_eq!(gross(&inv), Some(dec("1980.00")));
    assert_eq!(
        inv.totals.payable_amount.as_ref().map(|e| e.value),
        Some(dec("1357.00"))
    );
}

#[test]
fn the_sellers_article_number_under_its_key_is_the_items_id() {
    // Keys in a references column: the value beside its key or on the line below it; the
    // buyer's article number is not the seller's.
    let inv = read(
        r"Lieferant GmbH                                          Rechnung Nr. 471102

Pos  Referenzen          Beschreibung        Nettopreis   Menge      Nettobetrag
1    Art-Nr-Kunde: K-77  Trennblätter A4         9,9000   20 Stk          198,00
     Art-Nr-Lieferant:
     TB100A4
2                        Joghurt Banane          5,5000   50 Stk          275,00
     Art-Nr-Lieferant: ARNR2

                                                     Gesamtbetrag         473,00
",
    );
    let ids: Vec<Option<String>> = inv
        .lines
        .iter()
        .map(|l| value_of(&l.seller_item_id))
        .collect();
    assert_eq!(
        ids,
        vec![Some("TB100A4".to_string()), Some("ARNR2".to_string())]
    );
    assert_eq!(
        descriptions(&inv),
        vec![Some("Trennblätter A4"), Some("Joghurt Banane")]
    );
}

#[test]
fn a_code_column_with_stacked_headings_gives_the_sellers_number_by_its_place() {
    // The headings of the code column stacked over each other; each row's cell stacks its
    // codes the same way, the empty ones (here the buyer's number on row 1) left out at the
    // top.
    let inv = read(
        r"Pos  Art-Nr-Kunde                                               Positions-
     Art-Nr-Lief.                                                  betrag
     Art-Nr        Beschreibung   Nettopreis    Menge   USt.      ohne USt.
     (Art)
1                  Trennblätter       9,9000   20 Stk   19 %         198,00
     TB100A4       A4
     4012345001235
     (GLN)
2                  Joghurt            5,5000   50 Stk    7 %         275,00
     K-1
     ARNR2         Banane
     4000050986428
     (GLN)

                                            Gesamtbetrag             473,00
",
    );
    let ids: Vec<Option<String>> = inv
        .lines
        .iter()
        .map(|l| value_of(&l.seller_item_id))
        .collect();
    assert_eq!(
        ids,
        vec![Some("TB100A4".to_string()), Some("ARNR2".to_string())]
    );
}

#[test]
fn a_czech_price_with_tax_is_the_gross_column_beside_the_net_one() {
    // "Celková cena s daní": the total price with the tax, set aside beside "Celková cena";
    // one row, so no arithmetic across rows tells the columns apart.
    let inv = read(
        r"Faktura č.: 20250039

Popis                   Jednotek  Cena za jednotku  Celková cena   DPH  Celková cena s daní
Website maintenance         15 h       315,59 Kč     4 733,85 Kč  19 %          5 633,28 Kč

                                                          Celkem: 5 633,28 Kč
",
    );
    assert_eq!(
        per_line(&inv, |l| &l.line_amount),
        vec![Some(dec("4733.85"))]
    );
    // Whole prices with a dash for the cents are amounts of a row like any other.
    let inv = read(
        r"Faktura č.: 20250003

Popis                   Jednotek  Cena za jednotku  Celková cena   DPH  Celková cena s daní
Steel bracket 40 mm         11 pcs       449,- Kč      4 939,- Kč  12 %          5 531,68 Kč

                                                          Celkem: 5 531,68 Kč
",
    );
    assert_eq!(
        (
            per_line(&inv, |l| &l.unit_price),
            per_line(&inv, |l| &l.line_amount)
        ),
        (vec![Some(dec("449"))], vec![Some(dec("4939"))])
    );
}

#[test]
fn two_party_headings_run_together_each_head_their_block() {
    // "Service Provider" and "Client" set so close that they read as one segment.
    let inv = read(
        r"                                                                 Invoice
                                       Invoice id:         INV-72936
Service Provider Client
Name:    Pinecrest Inc.   Name:    Harlow LLP
Street:  2200 Market St   Street:  3 Queen Square
City:    San Francisco    City:    London
",
    );
    assert_eq!(seller(&inv), Some("Pinecrest Inc."));
    assert_eq!(value_of(&inv.buyer.name).as_deref(), Some("Harlow LLP"));
}
