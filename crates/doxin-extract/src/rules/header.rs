//! Header fields: invoice number, dates, currency, references, bank account.

use chrono::NaiveDate;
use doxin_model::{BankAccount, Iban, Invoice};

use super::labels::{LabelKind, norm};
use super::{Ctx, Hit, dates};

/// A value candidate for a label: where its text is and how much its position says.
pub(crate) struct Candidate {
    pub seg: usize,
    pub text: String,
    pub weight: f32,
}

/// Where a label's value may be: after it in the same segment, in the next column, or below.
pub(crate) fn candidates(ctx: &Ctx<'_>, hit: &Hit) -> Vec<Candidate> {
    let specificity = if hit.label.tokens >= 2 { 1.0 } else { 0.85 };
    let mut out = Vec::new();
    if !hit.label.rest.is_empty() {
        out.push(Candidate {
            seg: hit.at,
            text: hit.label.rest.clone(),
            weight: 1.0 * specificity,
        });
    }
    if let Some(r) = ctx.right_of(hit.at) {
        out.push(Candidate {
            seg: r,
            text: ctx.segs[r].seg.text.clone(),
            weight: 0.92 * specificity,
        });
    }
    let below = ctx.below(hit.at, 2);
    for (k, &b) in below.iter().take(2).enumerate() {
        out.push(Candidate {
            seg: b,
            text: ctx.segs[b].seg.text.clone(),
            weight: (0.85 - 0.1 * k as f32) * specificity,
        });
    }
    // A value right-aligned far to the right on the next line (a label column beside a
    // value column, as in many German layouts).
    if let Some(r) = ctx.next_line_right(hit.at)
        && !below.contains(&r)
    {
        out.push(Candidate {
            seg: r,
            text: ctx.segs[r].seg.text.clone(),
            weight: 0.7 * specificity,
        });
    }
    out
}

/// Words that make a segment's `Nr.`/`No.` an invoice number ("Handelsrechnung (380) Nr. 4711
/// vom 05.03.2018").
const INVOICE_STEMS: &[&str] = &[
    "rechnung",
    "invoice",
    "facture",
    "factuur",
    "factura",
    "fattura",
    "fatura",
    "faktura",
    "gutschrift",
    "credit",
    "korrektur",
];

/// `… Rechnung … Nr. X [vom DATE]` anywhere in a segment.
pub(crate) fn number_phrase(text: &str) -> Option<(String, Option<usize>)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let is_stem = |w: &str| {
        let n = norm(w);
        INVOICE_STEMS.iter().any(|s| n.contains(s))
    };
    let is_nr = |w: &str| {
        matches!(
            norm(w).as_str(),
            "nr" | "no" | "nº" | "n" | "number" | "nummer" | "num"
        )
    };
    let nr_at = (0..words.len())
        .find(|&i| is_nr(words[i]) && words[i.saturating_sub(6)..i].iter().any(|w| is_stem(w)))?;
    let id = words
        .get(nr_at + 1)
        .map(|w| w.trim_end_matches([',', ';', ':']))?;
    if !id.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((id.to_string(), Some(nr_at + 2)))
}

/// Whether a candidate text is itself a label (then it is not a value).
fn is_label(ctx: &Ctx<'_>, seg: usize, text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    ctx.hits
        .iter()
        .any(|h| h.at == seg && h.label.rest.is_empty())
        || super::labels::match_label(&words).is_some_and(|m| m.rest.is_empty())
}

/// The identifier in a value text: the first word with a digit (after `Nr.`, `No.`, `#`).
fn identifier(text: &str) -> Option<String> {
    const PREFIXES: &[&str] = &["nr", "no", "n", "nº", "n°", "number", "num", "#", "id"];
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().copied().enumerate().take(4) {
        let t = w.trim_matches(|c: char| matches!(c, ':' | ',' | ';' | '(' | ')' | '.'));
        if t.is_empty() || PREFIXES.contains(&norm(t).as_str()) || t == "#" {
            continue;
        }
        let has_digit = t.chars().any(|c| c.is_ascii_digit());
        let plausible = t.len() >= 2 && t.len() <= 40;
        if has_digit && plausible && !t.chars().all(|c| c == '.' || c == '/' || c == '-') {
            // A bare number followed by two words is a phrase, not an identifier: a street
            // address ("1000 Main Street") beside a title, a count ("12 items shipped").
            let worded = |k: usize| {
                words
                    .get(k)
                    .is_some_and(|w| w.chars().count() >= 2 && w.chars().all(char::is_alphabetic))
            };
            if t.chars().all(|c| c.is_ascii_digit()) && worded(i + 1) && worded(i + 2) {
                return None;
            }
            return Some(t.to_string());
        }
        // The first real word is not an identifier: the label's value is something else.
        if t.chars().all(char::is_alphabetic) && t.len() > 3 {
            return None;
        }
    }
    None
}

fn read_number(ctx: &Ctx<'_>, inv: &mut Invoice) {
    if read_number_by(ctx, inv, LabelKind::InvoiceNumber, 1.0) {
        return;
    }
    for (i, s) in ctx.segs.iter().enumerate() {
        if let Some((id, _)) = number_phrase(&s.seg.text) {
            inv.invoice_number = Some(ctx.value(id.clone(), &id, i, 0.85));
            return;
        }
    }
    // No invoice number printed: a booking code is the document's reference.
    read_number_by(ctx, inv, LabelKind::BookingNumber, 0.8);
}

/// The best identifier after labels of `kind`; whether one was found.
fn read_number_by(ctx: &Ctx<'_>, inv: &mut Invoice, kind: LabelKind, trust: f32) -> bool {
    let mut best: Option<(f32, usize, String)> = None;
    for hit in ctx.hits_of(kind) {
        for c in candidates(ctx, hit) {
            if c.seg != hit.at && is_label(ctx, c.seg, &c.text) {
                continue;
            }
            let Some(id) = identifier(&c.text) else {
                continue;
            };
            // A date is no number, but a number may hold one ("INV/2023/03/0008"): only an
            // identifier whose letters are none or a month's name is a date.
            let letters: String = id.chars().filter(|c| c.is_alphabetic()).collect();
            if dates::find_date(&id, ctx.order).is_some()
                && (letters.is_empty() || dates::month_number(&letters).is_some())
            {
                continue;
            }
            // Earlier pages and higher positions are likelier for the document's number.
            let s = &ctx.segs[c.seg];
            let pos = if s.page == 1 { 1.0 } else { 0.9 };
            let score = c.weight * pos;
            if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                best = Some((score, c.seg, id));
            }
        }
    }
    match best {
        Some((score, seg, id)) => {
            let conf = (0.55 + 0.4 * score).min(0.97) * trust;
            inv.invoice_number = Some(ctx.value(id.clone(), &id, seg, conf));
            true
        }
        None => false,
    }
}

fn best_date(ctx: &Ctx<'_>, kind: LabelKind) -> Option<(f32, usize, NaiveDate, String)> {
    let mut best: Option<(f32, usize, NaiveDate, String)> = None;
    for hit in ctx.hits_of(kind) {
        for c in candidates(ctx, hit) {
            let Some((date, range)) = dates::find_date(&c.text, ctx.order) else {
                continue;
            };
            let raw = c.text[range].to_string();
            let score = c.weight;
            if best.as_ref().is_none_or(|(b, ..)| score > *b) {
                best = Some((score, c.seg, date, raw));
            }
        }
    }
    best
}

fn read_dates(ctx: &Ctx<'_>, inv: &mut Invoice) {
    if let Some((score, seg, date, raw)) = best_date(ctx, LabelKind::IssueDate) {
        inv.issue_date = Some(ctx.value(date, &raw, seg, (0.55 + 0.4 * score).min(0.96)));
    } else {
        // "Rechnung Nr. 471102 vom 05.03.2020" / "Invoice 12 dated ..." or the first date on
        // the first page.
        let phrase = ctx.segs.iter().enumerate().find_map(|(i, s)| {
            let (_, after) = number_phrase(&s.seg.text)?;
            let words: Vec<&str> = s.seg.text.split_whitespace().collect();
            let rest = words.get(after.unwrap_or(0)..)?.join(" ");
            let n = norm(&rest);
            (n.starts_with("vom")
                || n.starts_with("dated")
                || n.starts_with("du")
                || n.starts_with("from")
                || n.starts_with("van")
                || n.starts_with("del"))
            .then(|| dates::find_date(&rest, ctx.order))
            .flatten()
            .map(|(d, r)| (i, d, rest[r].to_string()))
        });
        if let Some((seg, date, raw)) = phrase {
            inv.issue_date = Some(ctx.value(date, &raw, seg, 0.85));
            return read_other_dates(ctx, inv);
        }
        // The first date on the first page, unless it starts a period ("Entry Time",
        // "Check-in") and a later date does not: a receipt is written when the stay or the
        // parking ends.
        let mut first = None;
        let chosen = ctx
            .segs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.page == 1)
            .flat_map(|(i, s)| {
                // Every date of the segment: "Entry 30/01/17 Exit 30/04/17" may be one.
                let text = s.seg.text.as_str();
                let mut label_from = 0;
                dates::find_dates(text, ctx.order).map(move |(date, r)| {
                    let before = &text[label_from..r.start];
                    label_from = r.end;
                    (i, date, &text[r], before)
                })
            })
            .find(|&(seg, date, raw, before)| {
                first.get_or_insert((seg, date, raw));
                !starts_a_period(ctx, seg, before)
            })
            .map(|(seg, date, raw, _)| (seg, date, raw));
        if let Some((seg, date, raw)) = chosen.or(first) {
            inv.issue_date = Some(ctx.value(date, raw, seg, 0.6));
        }
    }
    read_other_dates(ctx, inv);
}

/// Words naming the start of a stay or a parking period, in the languages of the labels
/// (Malay "masuk" on parking tickets too), after [`norm`].
const PERIOD_START_WORDS: &[&str] = &[
    "entry", "entrance", "arrival", "check in", "checkin", "time in", "einfahrt", "ankunft",
    "anreise", "arrivée", "entrée", "llegada", "entrada", "arrivo", "ingresso", "aankomst",
    "masuk",
];

/// Whether the date in segment `seg`, preceded there by `before`, is labelled as the start of
/// a period: by a start word in `before`, or, when the date opens its segment, in the nearest
/// segment left of it on its line (a label in a column of its own).
fn starts_a_period(ctx: &Ctx<'_>, seg: usize, before: &str) -> bool {
    let s = &ctx.segs[seg];
    let label = if before.trim().is_empty() {
        let left = ctx
            .segs
            .iter()
            .filter(|o| o.page == s.page && o.line == s.line && o.seg.bbox.x1 <= s.seg.bbox.x0)
            .max_by(|a, b| a.seg.bbox.x1.total_cmp(&b.seg.bbox.x1));
        match left {
            // A segment holding a date of its own is that date's, not a label for this one.
            Some(o) if dates::find_date(&o.seg.text, ctx.order).is_none() => o.seg.text.as_str(),
            _ => return false,
        }
    } else {
        before
    };
    let words = format!(" {} ", norm(label));
    PERIOD_START_WORDS
        .iter()
        .any(|w| words.contains(&format!(" {w} ")))
}

fn read_other_dates(ctx: &Ctx<'_>, inv: &mut Invoice) {
    if let Some((score, seg, date, raw)) = best_date(ctx, LabelKind::DueDate) {
        inv.due_date = Some(ctx.value(date, &raw, seg, (0.5 + 0.4 * score).min(0.95)));
    } else {
        // German payment terms: "zahlbar ... bis 04.04.2013".
        for (i, s) in ctx.segs.iter().enumerate() {
            let lower = s.seg.text.to_lowercase();
            if let Some(pos) = lower.find(" bis ")
                && (lower.contains("zahlbar") || lower.contains("netto"))
                && let Some((date, r)) = dates::find_date(&s.seg.text[pos..], ctx.order)
            {
                let raw = s.seg.text[pos..][r].to_string();
                inv.due_date = Some(ctx.value(date, &raw, i, 0.7));
                break;
            }
        }
    }
    if let Some((score, seg, date, raw)) = best_date(ctx, LabelKind::DeliveryDate) {
        inv.delivery_date = Some(ctx.value(date, &raw, seg, (0.5 + 0.4 * score).min(0.95)));
    }
    // A due date before the issue date is a misread.
    if let (Some(i), Some(d)) = (&inv.issue_date, &inv.due_date)
        && d.value < i.value
    {
        inv.due_date = None;
    }
}

/// Currency signs and the codes they usually mean.
const SYMBOLS: &[(&str, &str)] = &[
    ("€", "EUR"),
    ("£", "GBP"),
    ("₹", "INR"),
    ("zł", "PLN"),
    ("kč", "CZK"),
    ("¥", "JPY"),
    ("$", "USD"),
    ("rs.", "INR"),
    ("rm", "MYR"),
];
/// Dollars (and reais) named by the letters before the sign: "R$ 1.196,50" is Brazilian,
/// not American.
const DOLLAR_PREFIXES: &[(&str, &str)] = &[
    ("r", "BRL"),
    ("us", "USD"),
    ("a", "AUD"),
    ("au", "AUD"),
    ("c", "CAD"),
    ("ca", "CAD"),
    ("nz", "NZD"),
    ("s", "SGD"),
    ("hk", "HKD"),
    ("mx", "MXN"),
];
const CODES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "INR", "PLN", "SEK", "NOK", "DKK", "CZK", "HUF", "JPY", "CAD",
    "AUD", "MYR", "SGD", "CNY", "RON", "BGN", "HRK", "TRY", "ZAR", "NZD", "MXN", "BRL", "HKD",
];

fn read_currency(ctx: &Ctx<'_>, inv: &mut Invoice) {
    for hit in ctx.hits_of(LabelKind::Currency) {
        for c in candidates(ctx, hit) {
            if let Some(code) = c
                .text
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|ch: char| !ch.is_alphabetic())
                        .to_uppercase()
                })
                .find(|w| CODES.contains(&w.as_str()))
            {
                inv.currency = Some(ctx.value(code.clone(), &code, c.seg, 0.97));
                return;
            }
        }
    }
    // Count codes and symbols over the document; codes are stronger evidence.
    let mut votes: Vec<(String, f32, usize)> = Vec::new();
    let mut vote = |code: &str, w: f32, seg: usize| match votes.iter_mut().find(|v| v.0 == code) {
        Some(v) => v.1 += w,
        None => votes.push((code.to_string(), w, seg)),
    };
    for (i, s) in ctx.segs.iter().enumerate() {
        for (j, w) in s.words.iter().enumerate() {
            let clean = w.trim_matches(|c: char| !c.is_alphanumeric() && !"€£₹$¥".contains(c));
            let upper = clean.to_uppercase();
            // Codes are written in capitals; "try" or "aud" in running text are words.
            if CODES.contains(&upper.as_str()) && clean.len() == 3 && clean == upper {
                vote(&upper, 2.0, i);
            }
            let lower = w.to_lowercase();
            if let Some(code) = dollar_prefix(&lower) {
                vote(code, 1.0, i);
                continue;
            }
            let after_number = j
                .checked_sub(1)
                .and_then(|p| s.words.get(p))
                .is_some_and(|p| p.ends_with(|c: char| c.is_ascii_digit() || c == '-'));
            for (sym, code) in SYMBOLS {
                // Signs count anywhere in a word; letter abbreviations ("zł", "RM", "Kč")
                // only against a number: joined before it, or a word of their own after it
                // ("95 410,18 Kč").
                let sign = sym.chars().all(|c| !c.is_alphabetic()) && w.contains(sym);
                let prefix = lower.starts_with(sym)
                    && lower
                        .get(sym.len()..)
                        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
                let suffix = after_number && lower.trim_end_matches(['.', ',', ':']) == *sym;
                if sign || prefix || suffix {
                    vote(code, 1.0, i);
                }
            }
            // "Rs. 319" / "Rs 319"
            if norm(w) == "rs" {
                vote("INR", 1.0, i);
            }
        }
    }
    votes.sort_by(|a, b| b.1.total_cmp(&a.1));
    if let Some((code, w, seg)) = votes.first() {
        let total: f32 = votes.iter().map(|v| v.1).sum();
        let share = w / total;
        inv.currency = Some(ctx.value(code.clone(), code, *seg, (0.5 + 0.45 * share).min(0.93)));
        return;
    }
    // No sign or code printed (or none read): the country an address names is a weak hint.
    for (i, s) in ctx.segs.iter().enumerate() {
        for part in s.seg.text.split([',', '-', '(', ')']) {
            if let Some(code) = super::parties::country_code(part.trim()).and_then(country_currency)
            {
                inv.currency = Some(ctx.value(code.to_string(), part, i, 0.5));
                return;
            }
        }
        for w in &s.words {
            if let Some(code) = super::parties::country_code(w).and_then(country_currency) {
                inv.currency = Some(ctx.value(code.to_string(), w, i, 0.5));
                return;
            }
        }
    }
}

/// The dollar a word's letters before its "$" name ("R$", "US$", "A$1,200"), if any.
fn dollar_prefix(lower: &str) -> Option<&'static str> {
    let (letters, _) = lower.split_once('$')?;
    DOLLAR_PREFIXES
        .iter()
        .find(|(p, _)| *p == letters)
        .map(|(_, code)| *code)
}

/// The currency of a country (ISO 3166 alpha-2), for the countries the rules name.
fn country_currency(country: &str) -> Option<&'static str> {
    Some(match country {
        "DE" | "FR" | "NL" | "ES" | "IT" | "AT" | "BE" | "LU" | "IE" | "PT" => "EUR",
        "CH" => "CHF",
        "PL" => "PLN",
        "US" => "USD",
        "GB" => "GBP",
        "IN" => "INR",
        "DK" => "DKK",
        "SE" => "SEK",
        "NO" => "NOK",
        "CZ" => "CZK",
        "MY" => "MYR",
        "SG" => "SGD",
        _ => return None,
    })
}

fn read_references(ctx: &Ctx<'_>, inv: &mut Invoice) {
    for (kind, slot) in [
        (LabelKind::CustomerNumber, &mut inv.customer_number),
        (LabelKind::OrderNumber, &mut inv.purchase_order_ref),
        (LabelKind::BuyerReference, &mut inv.buyer_reference),
    ] {
        'hits: for hit in ctx.hits_of(kind) {
            for c in candidates(ctx, hit) {
                if c.seg != hit.at && is_label(ctx, c.seg, &c.text) {
                    continue;
                }
                // A buyer's reference is quoted as printed, spaces and all ("05 158 004 -
                // 11023 - 45"), and may be a name ("Liselotte Müller"); the other
                // references are one identifier.
                let value = if kind == LabelKind::BuyerReference {
                    let t = c.text.trim_start_matches([':', '#', ' ']).trim();
                    (!t.is_empty() && t.chars().count() <= 60).then(|| t.to_string())
                } else {
                    identifier(&c.text)
                };
                if let Some(id) = value {
                    *slot = Some(ctx.value(id.clone(), &id, c.seg, 0.5 + 0.4 * c.weight));
                    break 'hits;
                }
            }
        }
    }
}

/// IBANs anywhere in the document, checksum-validated (spaces inside allowed).
fn read_bank(ctx: &Ctx<'_>, inv: &mut Invoice) {
    for (i, s) in ctx.segs.iter().enumerate() {
        let words = &s.words;
        for start in 0..words.len() {
            let first = &words[start];
            if !first
                .get(..2)
                .is_some_and(|p| p.chars().all(|c| c.is_ascii_uppercase()))
            {
                continue;
            }
            let mut compact = String::new();
            for (k, w) in words[start..].iter().enumerate().take(9) {
                compact.push_str(w);
                if compact.len() >= 15
                    && let Ok(iban) = Iban::parse(&compact)
                {
                    let raw = words[start..start + k + 1].join(" ");
                    if !inv
                        .bank_accounts
                        .iter()
                        .any(|b| b.iban.as_ref().is_some_and(|x| x.value == iban.as_str()))
                    {
                        inv.bank_accounts.push(BankAccount {
                            iban: Some(ctx.value(iban.as_str().to_string(), &raw, i, 0.97)),
                            ..BankAccount::default()
                        });
                    }
                    break;
                }
            }
        }
    }
}

pub(crate) fn read_header(ctx: &Ctx<'_>, inv: &mut Invoice) {
    read_number(ctx, inv);
    read_dates(ctx, inv);
    read_currency(ctx, inv);
    read_references(ctx, inv);
    read_bank(ctx, inv);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_skip_number_words() {
        assert_eq!(
            identifier("Nr. 471102 vom 05.03.2020").as_deref(),
            Some("471102")
        );
        assert_eq!(
            identifier("# BLR_WFLD20151000982590").as_deref(),
            Some("BLR_WFLD20151000982590")
        );
        assert_eq!(
            identifier("INV/2023/03/0008").as_deref(),
            Some("INV/2023/03/0008")
        );
        assert_eq!(identifier("Date"), None);
        assert_eq!(identifier("gemäß Bestellung 12"), None);
    }
}
