//! Labels, number, date and currency formats per language and country.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::rng::Rng;
use crate::{Country, Language};

/// The words printed on an invoice in one language.
pub(crate) struct Labels {
    pub title: &'static str,
    pub number: &'static [&'static str],
    pub date: &'static [&'static str],
    pub due: &'static [&'static str],
    pub customer_no: &'static str,
    pub order: &'static str,
    pub bill_to: &'static str,
    pub pos: &'static str,
    pub description: &'static str,
    pub qty: &'static str,
    pub unit_price: &'static str,
    pub amount: &'static str,
    pub subtotal: &'static str,
    pub vat: &'static str,
    pub total: &'static str,
    /// `{}` of `{}`.
    pub page: (&'static str, &'static str),
    pub vat_id: &'static str,
    pub bank: &'static str,
    pub payment: &'static str,
    /// Payment terms with `{}` for the number of days.
    pub terms: &'static str,
    pub intro: &'static str,
    pub thanks: &'static str,
    pub continued: &'static str,
    pub months: [&'static str; 12],
}

pub(crate) fn labels(language: Language) -> &'static Labels {
    match language {
        Language::En => &EN,
        Language::De => &DE,
        Language::Fr => &FR,
        Language::Nl => &NL,
        Language::Es => &ES,
        Language::It => &IT,
    }
}

static EN: Labels = Labels {
    title: "Invoice",
    number: &["Invoice number", "Invoice No.", "Invoice #"],
    date: &["Date", "Invoice date", "Issue date"],
    due: &["Due date", "Payment due"],
    customer_no: "Customer No.",
    order: "Your order",
    bill_to: "Bill to",
    pos: "Item",
    description: "Description",
    qty: "Qty",
    unit_price: "Unit price",
    amount: "Amount",
    subtotal: "Subtotal",
    vat: "VAT",
    total: "Total",
    page: ("Page", "of"),
    vat_id: "VAT No.",
    bank: "Bank",
    payment: "Payment details",
    terms: "Payment due within {} days of the invoice date.",
    intro: "We are pleased to invoice you for the following items:",
    thanks: "Thank you for your business.",
    continued: "continued",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

static DE: Labels = Labels {
    title: "Rechnung",
    number: &["Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr."],
    date: &["Datum", "Rechnungsdatum"],
    due: &["Fällig am", "Fälligkeitsdatum", "Zahlbar bis"],
    customer_no: "Kundennummer",
    order: "Ihre Bestellung",
    bill_to: "Rechnungsempfänger",
    pos: "Pos.",
    description: "Beschreibung",
    qty: "Menge",
    unit_price: "Einzelpreis",
    amount: "Betrag",
    subtotal: "Nettobetrag",
    vat: "USt.",
    total: "Gesamtbetrag",
    page: ("Seite", "von"),
    vat_id: "USt-IdNr.",
    bank: "Bank",
    payment: "Bankverbindung",
    terms: "Zahlbar innerhalb von {} Tagen ohne Abzug.",
    intro: "Wir erlauben uns, Ihnen folgende Leistungen in Rechnung zu stellen:",
    thanks: "Vielen Dank für Ihren Auftrag.",
    continued: "Fortsetzung",
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
};

static FR: Labels = Labels {
    title: "Facture",
    number: &["Numéro de facture", "Facture n°", "N° de facture"],
    date: &["Date", "Date de facture", "Date d'émission"],
    due: &["Date d'échéance", "Échéance"],
    customer_no: "N° client",
    order: "Votre commande",
    bill_to: "Facturé à",
    pos: "Réf.",
    description: "Désignation",
    qty: "Quantité",
    unit_price: "Prix unitaire HT",
    amount: "Montant HT",
    subtotal: "Total HT",
    vat: "TVA",
    total: "Total TTC",
    page: ("Page", "sur"),
    vat_id: "N° TVA intracommunautaire",
    bank: "Banque",
    payment: "Coordonnées bancaires",
    terms: "Paiement à {} jours à compter de la date de facture.",
    intro: "Veuillez trouver ci-dessous le détail de notre facturation :",
    thanks: "Merci pour votre confiance.",
    continued: "suite",
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
};

static NL: Labels = Labels {
    title: "Factuur",
    number: &["Factuurnummer", "Factuurnr."],
    date: &["Datum", "Factuurdatum"],
    due: &["Vervaldatum", "Te betalen voor"],
    customer_no: "Klantnummer",
    order: "Uw referentie",
    bill_to: "Factuur aan",
    pos: "Nr.",
    description: "Omschrijving",
    qty: "Aantal",
    unit_price: "Prijs per stuk",
    amount: "Bedrag",
    subtotal: "Subtotaal",
    vat: "BTW",
    total: "Totaal",
    page: ("Pagina", "van"),
    vat_id: "Btw-nummer",
    bank: "Bank",
    payment: "Betaalgegevens",
    terms: "Te betalen binnen {} dagen na factuurdatum.",
    intro: "Hierbij brengen wij u het volgende in rekening:",
    thanks: "Bedankt voor uw opdracht.",
    continued: "vervolg",
    months: [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
};

static ES: Labels = Labels {
    title: "Factura",
    number: &["Número de factura", "Factura n.º", "N.º factura"],
    date: &["Fecha", "Fecha de emisión", "Fecha de factura"],
    due: &["Fecha de vencimiento", "Vencimiento"],
    customer_no: "N.º cliente",
    order: "Su pedido",
    bill_to: "Facturar a",
    pos: "N.º",
    description: "Descripción",
    qty: "Cantidad",
    unit_price: "Precio unitario",
    amount: "Importe",
    subtotal: "Base imponible",
    vat: "IVA",
    total: "Total",
    page: ("Página", "de"),
    vat_id: "NIF",
    bank: "Banco",
    payment: "Datos bancarios",
    terms: "Pago a {} días desde la fecha de factura.",
    intro: "Le facturamos los siguientes conceptos:",
    thanks: "Gracias por su confianza.",
    continued: "continuación",
    months: [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
};

static IT: Labels = Labels {
    title: "Fattura",
    number: &["Numero fattura", "Fattura n.", "N. fattura"],
    date: &["Data", "Data fattura", "Data emissione"],
    due: &["Scadenza", "Data di scadenza"],
    customer_no: "Codice cliente",
    order: "Vs. ordine",
    bill_to: "Fatturato a",
    pos: "Pos.",
    description: "Descrizione",
    qty: "Quantità",
    unit_price: "Prezzo unitario",
    amount: "Importo",
    subtotal: "Imponibile",
    vat: "IVA",
    total: "Totale",
    page: ("Pagina", "di"),
    vat_id: "P.IVA",
    bank: "Banca",
    payment: "Coordinate bancarie",
    terms: "Pagamento a {} giorni data fattura.",
    intro: "Vi addebitiamo quanto segue:",
    thanks: "Grazie per la fiducia accordataci.",
    continued: "segue",
    months: [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
};

/// The further words the layouts added for evaluation print (`LayoutKind::UNSEEN`): kept apart
/// from [`Labels`] so the original layouts' vocabulary stays what it was.
pub(crate) struct MoreLabels {
    /// Heading of the seller's block beside the buyer's.
    pub from: &'static str,
    /// Heading of the per-line discount column.
    pub discount: &'static str,
    /// A discount printed under its line, `{}` for the rate.
    pub discount_row: &'static str,
    pub serial: &'static str,
    /// Service period printed under a line.
    pub period: &'static str,
    /// Heading of the article-number column.
    pub article: &'static str,
    pub unit: &'static str,
    /// Unit words for pieces and hours.
    pub piece: &'static str,
    pub hour: &'static str,
}

pub(crate) fn more_labels(language: Language) -> &'static MoreLabels {
    match language {
        Language::En => &MoreLabels {
            from: "From",
            discount: "Disc.",
            discount_row: "less {} discount",
            serial: "Serial no.",
            period: "Period",
            article: "Art. No.",
            unit: "Unit",
            piece: "pcs",
            hour: "h",
        },
        Language::De => &MoreLabels {
            from: "Rechnungssteller",
            discount: "Rabatt",
            discount_row: "abzgl. {} Rabatt",
            serial: "Seriennr.",
            period: "Leistungszeitraum",
            article: "Art.-Nr.",
            unit: "Einheit",
            piece: "Stk.",
            hour: "Std.",
        },
        Language::Fr => &MoreLabels {
            from: "Émetteur",
            discount: "Remise",
            discount_row: "remise de {} déduite",
            serial: "N° de série",
            period: "Période",
            article: "Réf. article",
            unit: "Unité",
            piece: "pce",
            hour: "h",
        },
        Language::Nl => &MoreLabels {
            from: "Van",
            discount: "Korting",
            discount_row: "{} korting verrekend",
            serial: "Serienummer",
            period: "Periode",
            article: "Artikelnr.",
            unit: "Eenheid",
            piece: "st.",
            hour: "uur",
        },
        Language::Es => &MoreLabels {
            from: "Emisor",
            discount: "Dto.",
            discount_row: "descuento del {} aplicado",
            serial: "N.º de serie",
            period: "Periodo",
            article: "Ref.",
            unit: "Unidad",
            piece: "ud.",
            hour: "h",
        },
        Language::It => &MoreLabels {
            from: "Fornitore",
            discount: "Sconto",
            discount_row: "sconto {} applicato",
            serial: "Matricola",
            period: "Periodo",
            article: "Cod. art.",
            unit: "U.M.",
            piece: "pz.",
            hour: "ore",
        },
    }
}

/// How numbers are written: thousands separator (if any) and decimal mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NumberStyle {
    pub group: Option<char>,
    pub decimal: char,
}

impl NumberStyle {
    /// `1234.5` with two decimals: `1,234.50`, `1.234,50`, `1 234,50`, `1'234.50`.
    pub fn amount(&self, value: Decimal) -> String {
        let value = value.round_dp(2);
        let negative = value.is_sign_negative() && !value.is_zero();
        let text = format!("{:.2}", value.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
        let mut out = String::new();
        if negative {
            out.push('-');
        }
        out.push_str(&self.group_digits(int));
        out.push(self.decimal);
        out.push_str(frac);
        out
    }

    fn group_digits(&self, int: &str) -> String {
        let Some(sep) = self.group else {
            return int.to_string();
        };
        let mut out = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// A quantity or rate as written: no trailing zeros, no grouping below 10 000.
    pub fn plain(&self, value: Decimal) -> String {
        let text = value.normalize().to_string();
        match text.split_once('.') {
            Some((int, frac)) => format!("{int}{}{frac}", self.decimal),
            None => text,
        }
    }
}

pub(crate) fn number_style(country: Country) -> NumberStyle {
    let style = |group, decimal| NumberStyle { group, decimal };
    match country {
        Country::Gb | Country::Us => style(Some(','), '.'),
        Country::Ch => style(Some('\''), '.'),
        Country::Fr => style(Some(' '), ','),
        Country::De | Country::Nl | Country::Es | Country::It => style(Some('.'), ','),
    }
}

/// How an amount with its currency is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CurrencyStyle {
    /// `€ 1.234,56`, `£1,234.56`.
    SymbolBefore { space: bool },
    /// `1.234,56 €`.
    SymbolAfter,
    /// `1.234,56 EUR`.
    CodeAfter,
    /// `CHF 1'234.56`.
    CodeBefore,
}

pub(crate) fn currency_code(country: Country) -> &'static str {
    match country {
        Country::Gb => "GBP",
        Country::Us => "USD",
        Country::Ch => "CHF",
        _ => "EUR",
    }
}

fn currency_symbol(country: Country) -> &'static str {
    match country {
        Country::Gb => "£",
        Country::Us => "$",
        Country::Ch => "CHF",
        _ => "€",
    }
}

pub(crate) fn currency_style(country: Country, rng: &mut Rng) -> CurrencyStyle {
    use CurrencyStyle::*;
    match country {
        Country::Gb | Country::Us => *rng.pick(&[SymbolBefore { space: false }, CodeAfter]),
        Country::Ch => CodeBefore,
        Country::Nl => *rng.pick(&[SymbolBefore { space: true }, CodeAfter]),
        Country::It => *rng.pick(&[SymbolBefore { space: true }, SymbolAfter, CodeAfter]),
        Country::De | Country::Fr | Country::Es => *rng.pick(&[SymbolAfter, CodeAfter]),
    }
}

pub(crate) fn with_currency(country: Country, style: CurrencyStyle, amount: &str) -> String {
    let code = currency_code(country);
    match style {
        CurrencyStyle::SymbolBefore { space: true } => {
            format!("{} {amount}", currency_symbol(country))
        }
        CurrencyStyle::SymbolBefore { space: false } => {
            format!("{}{amount}", currency_symbol(country))
        }
        CurrencyStyle::SymbolAfter => format!("{amount} {}", currency_symbol(country)),
        CurrencyStyle::CodeAfter => format!("{amount} {code}"),
        CurrencyStyle::CodeBefore => format!("{code} {amount}"),
    }
}

/// How dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateStyle {
    /// Day, month, year with a separator: `12.03.2026`, `12/03/2026`, `12-03-2026`.
    Dmy(char),
    /// `03/12/2026` (United States).
    Mdy,
    /// `2026-03-12`.
    Iso,
    /// The month's name: `12 March 2026`, `March 12, 2026`, `12. März 2026`,
    /// `12 de marzo de 2026`.
    Written,
}

pub(crate) fn date_style(country: Country, rng: &mut Rng) -> DateStyle {
    use DateStyle::*;
    match country {
        Country::Us => *rng.pick(&[Mdy, Mdy, Written]),
        Country::Gb => *rng.pick(&[Dmy('/'), Dmy('/'), Written, Iso]),
        Country::De | Country::Ch => *rng.pick(&[Dmy('.'), Dmy('.'), Written, Iso]),
        Country::Nl => *rng.pick(&[Dmy('-'), Dmy('-'), Written]),
        Country::Fr | Country::Es | Country::It => *rng.pick(&[Dmy('/'), Dmy('/'), Written]),
    }
}

pub(crate) fn format_date(
    date: NaiveDate,
    style: DateStyle,
    language: Language,
    country: Country,
) -> String {
    let (d, m, y) = (date.day(), date.month(), date.year());
    let month = labels(language).months[(m - 1) as usize];
    match style {
        DateStyle::Dmy(sep) => format!("{d:02}{sep}{m:02}{sep}{y}"),
        DateStyle::Mdy => format!("{m:02}/{d:02}/{y}"),
        DateStyle::Iso => format!("{y}-{m:02}-{d:02}"),
        DateStyle::Written => match (language, country) {
            (Language::En, Country::Us) => format!("{month} {d}, {y}"),
            (Language::De, _) => format!("{d}. {month} {y}"),
            (Language::Es, _) => format!("{d} de {month} de {y}"),
            _ => format!("{d} {month} {y}"),
        },
    }
}

/// The country's name as printed in an address in this language.
pub(crate) fn country_name(country: Country, language: Language) -> &'static str {
    let native = language == country.language();
    match country {
        Country::De if native => "Deutschland",
        Country::De => "Germany",
        Country::Ch if native => "Schweiz",
        Country::Ch => "Switzerland",
        Country::Fr => "France",
        Country::Nl if native => "Nederland",
        Country::Nl => "Netherlands",
        Country::Es if native => "España",
        Country::Es => "Spain",
        Country::It if native => "Italia",
        Country::It => "Italy",
        Country::Gb => "United Kingdom",
        Country::Us => "USA",
    }
}

/// The tax label of the country, when it is not the language's (`MWST` in Switzerland,
/// `Sales tax` in the United States).
pub(crate) fn tax_label(country: Country, language: Language) -> &'static str {
    match country {
        Country::Ch => "MWST",
        Country::Us => "Sales tax",
        _ => labels(language).vat,
    }
}

/// Standard and (when used) reduced VAT rates in percent.
pub(crate) fn vat_rates(country: Country) -> (Decimal, Option<Decimal>) {
    match country {
        Country::De => (Decimal::new(19, 0), Some(Decimal::new(7, 0))),
        Country::Ch => (Decimal::new(81, 1), Some(Decimal::new(26, 1))),
        Country::Fr | Country::Gb => (Decimal::new(20, 0), None),
        Country::Nl | Country::Es => (Decimal::new(21, 0), None),
        Country::It => (Decimal::new(22, 0), None),
        Country::Us => (Decimal::new(825, 2), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_every_style() {
        let v = Decimal::new(123_456_789, 2);
        let s = |g, d| NumberStyle {
            group: g,
            decimal: d,
        };
        assert_eq!(s(Some(','), '.').amount(v), "1,234,567.89");
        assert_eq!(s(Some('.'), ',').amount(v), "1.234.567,89");
        assert_eq!(s(Some(' '), ',').amount(v), "1 234 567,89");
        assert_eq!(s(Some('\''), '.').amount(v), "1'234'567.89");
        assert_eq!(s(Some('.'), ',').amount(Decimal::new(5, 1)), "0,50");
        assert_eq!(s(Some('.'), ',').amount(Decimal::new(100, 0)), "100,00");
        assert_eq!(s(Some('.'), ',').plain(Decimal::new(250, 2)), "2,5");
        assert_eq!(s(Some(','), '.').plain(Decimal::new(3, 0)), "3");
    }

    #[test]
    fn dates_in_every_style() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let f = |style, l, c| format_date(d, style, l, c);
        assert_eq!(
            f(DateStyle::Dmy('.'), Language::De, Country::De),
            "02.03.2026"
        );
        assert_eq!(f(DateStyle::Mdy, Language::En, Country::Us), "03/02/2026");
        assert_eq!(f(DateStyle::Iso, Language::Fr, Country::Fr), "2026-03-02");
        assert_eq!(
            f(DateStyle::Written, Language::De, Country::De),
            "2. März 2026"
        );
        assert_eq!(
            f(DateStyle::Written, Language::En, Country::Gb),
            "2 March 2026"
        );
        assert_eq!(
            f(DateStyle::Written, Language::En, Country::Us),
            "March 2, 2026"
        );
        assert_eq!(
            f(DateStyle::Written, Language::Es, Country::Es),
            "2 de marzo de 2026"
        );
    }
}
