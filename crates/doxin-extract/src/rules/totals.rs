//! Totals: amounts next to total, net and tax labels, reconciled. Of all candidate sets the
//! one that satisfies net + tax = gross (and Σ lines = net) wins; a total that does not add
//! up keeps a low confidence.

use doxin_model::vat_rates::{
    above_rate, highest_rate, rates_of, rounding_slack, seller_country, tax_at,
};
use doxin_model::{Decimal, Extracted, Invoice};

use super::labels::{LabelKind, norm};
use super::numbers::{DecimalMark, has_decimals, parse_amount, space_grouped, symbol_joined};
use super::{Ctx, Hit};

#[derive(Debug, Clone)]
struct Amount {
    value: Decimal,
    seg: usize,
    raw: String,
    weight: f32,
    /// (page, line) the amount stands on, to avoid counting one line twice.
    line: (u32, usize),
    /// Labelled for the other role (a subtotal as the gross, a gross as the net): counts
    /// only where it makes net + tax = gross with a tax that is not zero.
    crossed: bool,
}

/// Amounts a label announces: the rightmost amount on its line (after the label), else the
/// first amount right below it.
fn amounts_for(ctx: &Ctx<'_>, hit: &Hit) -> Option<Amount> {
    let specificity = if hit.label.tokens >= 2 { 1.0 } else { 0.8 };
    let lateness = 0.15 * hit.at as f32 / ctx.segs.len().max(1) as f32;
    if let Some(last) = line_amounts(ctx, hit).pop() {
        return Some(last);
    }
    // "Total:" with its amount alone on the next line, right-aligned.
    if let Some(r) = ctx.next_line_right(hit.at)
        && ctx.segs[r].line == ctx.segs[hit.at].line + 1
        && ctx.rest_of_line(r).next().is_none()
        && ctx.segs[r - 1].line != ctx.segs[r].line
    {
        let text = &ctx.segs[r].seg.text;
        let tokens = split_amount_tokens(text, ctx.mark);
        if let [raw] = tokens.as_slice()
            && let Some(v) = parse_amount(raw, ctx.mark).filter(|_| is_money(raw, ctx.mark))
        {
            return Some(Amount {
                value: v,
                seg: r,
                raw: raw.clone(),
                weight: 0.85 * specificity + lateness,
                line: (ctx.segs[r].page, ctx.segs[r].line),
                crossed: false,
            });
        }
    }
    // A column heading over per-rate rows and their sum ("Nettobetrag" over -4,85 / -2,82 /
    // -7,67): the sum row is the total.
    if let Some(sum) = column_sum_below(ctx, hit) {
        return Some(Amount {
            weight: 0.9 * specificity + lateness,
            ..sum
        });
    }
    for b in ctx.below(hit.at, 1) {
        let text = &ctx.segs[b].seg.text;
        for raw in split_amount_tokens(text, ctx.mark) {
            if let Some(v) = parse_amount(&raw, ctx.mark).filter(|_| is_money(&raw, ctx.mark)) {
                return Some(Amount {
                    value: v,
                    seg: b,
                    raw,
                    weight: 0.8 * specificity + lateness,
                    line: (ctx.segs[b].page, ctx.segs[b].line),
                    crossed: false,
                });
            }
        }
    }
    None
}

/// The amount under a column heading that is the sum of the two or more amounts above it in
/// the column (one per line, at most six lines down, up to the next label).
fn column_sum_below(ctx: &Ctx<'_>, hit: &Hit) -> Option<Amount> {
    let mut column: Vec<Amount> = Vec::new();
    let mut last_line = None;
    for b in ctx.below(hit.at, 6) {
        if ctx.hits.iter().any(|h| h.at == b) {
            break;
        }
        let line = (ctx.segs[b].page, ctx.segs[b].line);
        if last_line == Some(line) {
            continue;
        }
        let text = &ctx.segs[b].seg.text;
        let Some((raw, value)) = split_amount_tokens(text, ctx.mark)
            .into_iter()
            .find_map(|raw| {
                parse_amount(&raw, ctx.mark)
                    .filter(|_| is_money(&raw, ctx.mark))
                    .map(|v| (raw, v))
            })
        else {
            continue;
        };
        last_line = Some(line);
        column.push(Amount {
            value,
            seg: b,
            raw,
            weight: 0.0,
            line,
            crossed: false,
        });
    }
    let (last, above) = column.split_last()?;
    let sum: Decimal = above.iter().map(|a| a.value).sum();
    (above.len() >= 2 && last.value != Decimal::ZERO && near(sum, last.value)).then(|| last.clone())
}

/// Every amount on a label's line after the label, left to right.
fn line_amounts(ctx: &Ctx<'_>, hit: &Hit) -> Vec<Amount> {
    let specificity = if hit.label.tokens >= 2 { 1.0 } else { 0.8 };
    let lateness = 0.15 * hit.at as f32 / ctx.segs.len().max(1) as f32;
    let mut on_line: Vec<(usize, String)> = Vec::new();
    if !hit.label.rest.is_empty() {
        on_line.push((hit.at, hit.label.rest.clone()));
    }
    on_line.extend(
        ctx.rest_of_line(hit.at)
            .map(|j| (j, ctx.segs[j].seg.text.clone())),
    );
    // An amount after another "key:" label on the line is that label's ("Te betalen binnen
    // 14 dagen …   Subtotaal: 5.103,43").
    if let Some(cut) = on_line
        .iter()
        .position(|(seg, _)| *seg != hit.at && is_key_label(ctx, *seg))
    {
        on_line.truncate(cut);
    }
    let mut out = Vec::new();
    for (seg, text) in &on_line {
        for raw in split_amount_tokens(text, ctx.mark) {
            if let Some(v) = parse_amount(&raw, ctx.mark).filter(|_| is_money(&raw, ctx.mark)) {
                out.push(Amount {
                    value: v,
                    seg: *seg,
                    raw,
                    weight: specificity + lateness,
                    line: (ctx.segs[*seg].page, ctx.segs[*seg].line),
                    crossed: false,
                });
            }
        }
    }
    out
}

/// Whether a segment is a label written as a key ("Subtotaal:", "BTW 21%:").
fn is_key_label(ctx: &Ctx<'_>, seg: usize) -> bool {
    ctx.hits.iter().any(|h| h.at == seg) && ctx.segs[seg].seg.text.trim_end().ends_with(':')
}

/// A total row of a table ("Razem: 257,59 59,24 316,83", "Total 1 278.61 40.39 319.00")
/// carries net, tax and gross in its columns: the rightmost amount that is the sum of two
/// amounts before it is the gross, and those two are net and tax (the larger is the net).
fn net_tax_on_total_row(ctx: &Ctx<'_>, hit: &Hit) -> Option<(Amount, Amount)> {
    let row = line_amounts(ctx, hit);
    if row.len() < 3 {
        return None;
    }
    for k in (2..row.len()).rev() {
        let g = row[k].value;
        if g <= Decimal::ZERO {
            continue;
        }
        for i in 0..k {
            for j in i + 1..k {
                let (a, b) = (&row[i], &row[j]);
                if a.value > Decimal::ZERO && b.value > Decimal::ZERO && near(a.value + b.value, g)
                {
                    let (n, t) = if a.value >= b.value { (a, b) } else { (b, a) };
                    return Some((n.clone(), t.clone()));
                }
            }
        }
    }
    None
}

/// Whether a token is money: an amount with decimals, or a whole number written with its
/// currency ("Rs 1939", "€ 25", "25 EUR"). A bare integer is more often a count, a rate or
/// a reference than an amount.
fn is_money(raw: &str, mark: DecimalMark) -> bool {
    if has_decimals(raw, mark) {
        return true;
    }
    let (head, tail) = (
        raw.split_whitespace().next().unwrap_or(""),
        raw.split_whitespace().last().unwrap_or(""),
    );
    let sign =
        |w: &str| CURRENCY_WORDS.contains(&w) || CURRENCY_WORDS.contains(&w.trim_end_matches('.'));
    // "Rs 1939", "€ 25": a currency word beside the number; "$10,375", "1.200€": a symbol
    // joined to it.
    (raw.split_whitespace().count() == 2 && (sign(head) || sign(tail)))
        || (raw.split_whitespace().count() == 1 && symbol_joined(raw.trim()))
}

/// Currency signs and codes that may stand as their own word before an amount.
const CURRENCY_WORDS: &[&str] = &[
    "$", "€", "£", "₹", "EUR", "USD", "GBP", "INR", "Rs", "RM", "MYR", "PLN", "CHF",
];

/// Tokens that may be amounts, with a currency sign joined to the number after it.
fn split_amount_tokens(text: &str, mark: DecimalMark) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending_sign: Option<&str> = None;
    for w in text.split_whitespace() {
        if CURRENCY_WORDS.contains(&w) || CURRENCY_WORDS.contains(&w.trim_end_matches('.')) {
            pending_sign = Some(w);
            continue;
        }
        if w.ends_with('%') {
            // "19 %": the number before a lone percent sign is a rate, not an amount.
            if w == "%"
                && out
                    .last()
                    .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
            {
                out.pop();
            }
            pending_sign = None;
            continue;
        }
        let t = w.trim_matches(|c: char| matches!(c, ':' | '(' | ')' | '*'));
        // "6 760,08": a space groups thousands (French style); join "6" and "760,08".
        if let Some(prev) = out.last_mut()
            && pending_sign.is_none()
            && space_grouped(
                prev.trim_start_matches(|c: char| !c.is_ascii_digit()),
                t,
                mark,
            )
            .is_some()
        {
            prev.push(' ');
            prev.push_str(t);
            continue;
        }
        out.push(match pending_sign.take() {
            Some(s) => format!("{s} {t}"),
            None => t.to_string(),
        });
    }
    out
}

fn collect(ctx: &Ctx<'_>, kinds: &[LabelKind]) -> Vec<Amount> {
    let mut out: Vec<Amount> = Vec::new();
    for hit in ctx.hits.iter().filter(|h| kinds.contains(&h.label.kind)) {
        if let Some(a) = amounts_for(ctx, hit)
            && !out.iter().any(|o| o.line == a.line)
        {
            out.push(a);
        }
    }
    out
}

/// A scored choice of (gross, net, tax) and whether it adds up.
type Choice = (f32, Option<Amount>, Option<Amount>, Option<Amount>, bool);

fn near(a: Decimal, b: Decimal) -> bool {
    (a - b).abs() <= Decimal::new(2, 2)
}

/// How a tax amount sits with a net amount and the seller country's VAT rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RateFit {
    /// The tax is one of the country's rates of the net, to the cent.
    CountryRate,
    /// Within what a mix of rates can give, but not one rate exactly.
    Possible,
    /// More than the highest rate of the net (or a tax on nothing): not a tax of this net.
    Impossible,
}

fn rate_fit(net: Decimal, tax: Decimal, highest: Decimal, rates: &[Decimal]) -> RateFit {
    if tax.is_zero() {
        return RateFit::Possible;
    }
    // A tax on nothing, or of the other sign than its net (a credit note's minus sign lost
    // on one of them): no rate gives it.
    if net.is_zero() || net.is_sign_negative() != tax.is_sign_negative() {
        return RateFit::Impossible;
    }
    let (net, tax) = (net.abs(), tax.abs());
    // Beyond the highest rate (or too large to multiply): nobody's tax.
    if above_rate(net, tax, highest) != Some(false) {
        return RateFit::Impossible;
    }
    let slack = rounding_slack(net);
    let exact = rates
        .iter()
        .any(|r| !r.is_zero() && tax_at(net, *r).is_some_and(|t| (tax - t).abs() <= slack));
    if exact {
        RateFit::CountryRate
    } else {
        RateFit::Possible
    }
}

pub(crate) fn read_totals(ctx: &Ctx<'_>, inv: &mut Invoice) {
    let mut gross = collect(ctx, &[LabelKind::GrossTotal, LabelKind::AmountDue]);
    let mut labelled_gross = gross.clone();
    let due = collect(ctx, &[LabelKind::AmountDue]);
    let net = collect(ctx, &[LabelKind::NetTotal]);
    let mut net = net;
    let mut tax = collect(ctx, &[LabelKind::TaxTotal]);
    // A tax summary row under a total label ("Total : 10.94 0.66"): a larger amount then a
    // smaller one that is a rate's share of it are the net and the tax, and the smaller one
    // is no total.
    let mut summary_rows: Vec<(u32, usize)> = Vec::new();
    for hit in ctx.hits_of(LabelKind::GrossTotal) {
        let found = net_tax_on_total_row(ctx, hit).or_else(|| {
            let row = line_amounts(ctx, hit);
            let [first, second] = row.as_slice() else {
                return None;
            };
            let share = rate_fit(first.value, second.value, Decimal::from(30), &[]);
            (second.value > Decimal::ZERO
                && second.value < first.value
                && share != RateFit::Impossible)
                .then(|| {
                    summary_rows.push(second.line);
                    (first.clone(), second.clone())
                })
        });
        if let Some((n, t)) = found {
            if !net.iter().any(|o| o.line == n.line && o.value == n.value) {
                net.push(n);
            }
            if !tax.iter().any(|o| o.line == t.line && o.value == t.value) {
                tax.push(t);
            }
        }
    }
    gross.retain(|g| !summary_rows.contains(&g.line));
    labelled_gross.retain(|g| !summary_rows.contains(&g.line));
    // Labels do not always mean what they say: "Sub Total" on many receipts already
    // includes the tax, and "Gross Amount" can be the amount before it. Each labelled
    // amount is also a (weaker) candidate for the other role; the arithmetic decides.
    let as_other = |from: &[Amount]| -> Vec<Amount> {
        from.iter()
            .map(|a| Amount {
                weight: a.weight * 0.5,
                crossed: true,
                ..a.clone()
            })
            .collect()
    };
    let (gross_as_net, net_as_gross) = (as_other(&gross), as_other(&net));
    let gross: Vec<Amount> = gross.iter().cloned().chain(net_as_gross).collect();
    // Net and tax labels swapped by a misread or an odd layout: the rate check below keeps
    // only the reading whose tax is a share of the net that some rate can give.
    let (tax_as_net, net_as_tax) = (as_other(&tax), as_other(&net));
    let net: Vec<Amount> = net
        .into_iter()
        .chain(gross_as_net)
        .chain(tax_as_net)
        .collect();
    let prepaid = collect(ctx, &[LabelKind::Prepaid]);
    let line_total = collect(ctx, &[LabelKind::LineTotal]);
    let allowances = collect(ctx, &[LabelKind::AllowanceTotal]);
    let charges = collect(ctx, &[LabelKind::ChargeTotal]);
    // Per-rate tax lines that prove themselves ("zzgl. Umsatzsteuer 7 % von 129,37 9,06": the
    // rate times the base on the line is the amount): their sum is the tax, a strong candidate
    // even where the lines around them carry the same label for other things ("zzgl.
    // Versandkosten 5,80").
    let mut per_rate: Vec<(u32, usize, Decimal)> = Vec::new();
    for hit in ctx.hits_of(LabelKind::TaxTotal) {
        let (Some(rate), amounts) = (stated_rate(ctx, hit), line_amounts(ctx, hit)) else {
            continue;
        };
        let Some((last, bases)) = amounts.split_last() else {
            continue;
        };
        let proves = bases.iter().any(|b| {
            b.value != Decimal::ZERO
                && near(
                    (b.value * rate / Decimal::ONE_HUNDRED).round_dp(2),
                    last.value,
                )
        });
        if proves && !per_rate.iter().any(|(p, l, _)| (*p, *l) == last.line) {
            per_rate.push((last.line.0, last.line.1, last.value));
        }
    }
    if per_rate.len() >= 2
        && let Some(first) = tax.first().cloned()
    {
        let sum: Decimal = per_rate.iter().map(|(_, _, v)| *v).sum();
        tax.push(Amount {
            value: sum,
            raw: format!("{sum}"),
            weight: 1.0,
            ..first
        });
    }
    // Several VAT rates: their sum is a candidate too (a summary repeating the same amount is
    // not a second rate).
    let mut distinct: Vec<Decimal> = tax.iter().map(|t| t.value).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() >= 2 {
        let sum: Decimal = distinct.iter().sum();
        let first = tax[0].clone();
        tax.push(Amount {
            value: sum,
            raw: format!("{sum}"),
            weight: 0.9,
            ..first
        });
    }
    let items_sum: Option<Decimal> =
        (!inv.lines.is_empty() && inv.lines.iter().all(|l| l.line_amount.is_some())).then(|| {
            inv.lines
                .iter()
                .filter_map(|l| l.line_amount.as_ref().map(|a| a.value))
                .sum()
        });
    // "VAT 20 %: 11.18": the rate a tax label states, by the line of its amount.
    let stated: Vec<((u32, usize), Decimal)> = ctx
        .hits_of(LabelKind::TaxTotal)
        .filter_map(|h| Some((amounts_for(ctx, h)?.line, stated_rate(ctx, h)?)))
        .collect();
    let rates_tax = (allowances.is_empty() && charges.is_empty())
        .then(|| tax_from_line_rates(&inv.lines))
        .flatten();
    // Net expected from the lines: Σ lines − allowances + charges.
    let adjust = charges.first().map_or(Decimal::ZERO, |c| c.value.abs())
        - allowances.first().map_or(Decimal::ZERO, |a| a.value.abs());
    let lines_sum = line_total
        .first()
        .map(|l| l.value)
        .or(items_sum)
        .map(|s| s + adjust);

    // The seller's country's rates: a tax that is more than the highest rate of its net is an
    // amount in the wrong role, and one that is exactly a rate of the net is the tax a person
    // would read.
    let country = seller_country(inv);
    let highest = highest_rate(country.as_deref());
    let country_rates = country.as_deref().and_then(rates_of).unwrap_or_default();
    let opt = |v: &[Amount]| -> Vec<Option<Amount>> {
        std::iter::once(None)
            .chain(v.iter().cloned().map(Some))
            .collect()
    };
    let mut best: Option<Choice> = None;
    let tax_choices: Vec<Amount> = tax.iter().cloned().chain(net_as_tax).collect();
    let (gs, ns, ts) = (opt(&gross), opt(&net), opt(&tax_choices));
    for g in &gs {
        for n in &ns {
            for t in &ts {
                // One printed amount claimed by two labels is not two amounts that agree.
                if let (Some(g), Some(n)) = (g, n)
                    && g.line == n.line
                    && g.value == n.value
                {
                    continue;
                }
                let w = |a: &Option<Amount>| a.as_ref().map_or(0.0, |a| a.weight);
                let mut score = w(g) + w(n) + w(t);
                let mut reconciled = false;
                if let (Some(g), Some(n), Some(t)) = (g, n, t) {
                    if near(n.value + t.value, g.value) {
                        score += 3.0;
                        reconciled = true;
                    } else {
                        score -= 1.0;
                    }
                }
                let crossed = [g, n, t]
                    .iter()
                    .any(|a| a.as_ref().is_some_and(|a| a.crossed));
                let taxed = t.as_ref().is_some_and(|t| t.value != Decimal::ZERO);
                if crossed && !(reconciled && taxed) {
                    continue;
                }
                if let (Some(n), Some(t)) = (n, t) {
                    match rate_fit(n.value, t.value, highest, &country_rates) {
                        // Reconciled only through a rate no country charges: rejected.
                        RateFit::Impossible => continue,
                        RateFit::CountryRate if reconciled => score += 0.5,
                        _ => {}
                    }
                }
                if let (Some(g), Some(n)) = (g, n)
                    && n.value.abs() > g.value.abs()
                {
                    score -= 2.0;
                }
                if let (Some(s), Some(n)) = (lines_sum, n)
                    && near(s, n.value)
                {
                    score += 1.0;
                }
                if let (Some(s), Some(g), None) = (lines_sum, g, n)
                    && near(s, g.value)
                {
                    score += 0.5;
                }
                // A printed tax that the lines' own rates predict is read as printed, and so is
                // the printed total beside it, even where they do not add up: deriving either
                // from the others would hide a misprinted total behind an amount nobody
                // printed. (The validation then reports the disagreement.)
                if let (Some(t), Some(_)) = (t, g)
                    && !t.crossed
                    && t.value != Decimal::ZERO
                {
                    let by_lines = rates_tax.is_some_and(|r| near(r, t.value));
                    let by_label = n.as_ref().is_some_and(|n| {
                        stated.iter().any(|(line, rate)| {
                            *line == t.line
                                && near(
                                    (n.value * rate / Decimal::ONE_HUNDRED).round_dp(2),
                                    t.value,
                                )
                        })
                    });
                    if by_lines || by_label {
                        score += 1.0;
                    }
                }
                if best.as_ref().is_none_or(|b| score > b.0) {
                    best = Some((score, g.clone(), n.clone(), t.clone(), reconciled));
                }
            }
        }
    }
    tracing::trace!(?gross, ?net, ?tax, ?best, "totals candidates");
    let Some((_, mut g, mut n, mut t, mut reconciled)) = best else {
        return;
    };
    if g.is_none() && n.is_none() && t.is_none() {
        // No labelled total at all (a receipt with a misread "TOTAL"): the largest amount in
        // the lower part of the document that is not cash given or change, with low confidence.
        g = largest_amount_below(ctx, 0.35);
    }
    // Net and tax found but no labelled gross (a misread "TOTAL"): an amount elsewhere that
    // equals their sum is the gross.
    // (A zero tax makes that sum the net itself, found again on its own line: no evidence.)
    if g.is_none()
        && let (Some(n), Some(t)) = (&n, &t)
        && t.value != Decimal::ZERO
        && let Some(found) = any_amount_equal(ctx, n.value + t.value)
    {
        g = Some(found);
        reconciled = true;
    }
    // Cash handed over minus the change given back is what was owed: on a receipt it
    // confirms the total, or picks the right one where OCR misread a digit of it.
    // What was paid is never less than the subtotal: then cash or change was misread.
    if let Some(Paid {
        value: paid,
        confidence: paid_confidence,
    }) = paid_total(ctx).filter(|p| n.as_ref().is_none_or(|n| p.value >= n.value))
    {
        // A labelled total read with clearly less certainty than both cash and change.
        let doubtful = |a: &Amount| {
            ctx.source == doxin_model::Source::Ocr
                && ctx.segs[a.seg].seg.confidence + DOUBT_MARGIN < paid_confidence
        };
        if g.as_ref().is_some_and(|a| near(a.value, paid)) {
            reconciled = true;
        } else if !reconciled
            && let Some(found) = labelled_gross
                .iter()
                .find(|c| near(c.value, paid))
                .cloned()
                .or_else(|| any_amount_equal(ctx, paid))
        {
            g = Some(found);
            reconciled = true;
            if let (Some(nv), Some(tv)) = (&n, &t)
                && !near(nv.value + tv.value, paid)
            {
                // Another tax reading may be the one that adds up ("GST 3.36" rather than
                // "TAX 0.00"); else the pair is dropped rather than contradict the total.
                match tax.iter().find(|c| near(nv.value + c.value, paid)) {
                    Some(fits) => t = Some(fits.clone()),
                    None => {
                        n = None;
                        t = None;
                    }
                }
            }
        } else if !reconciled && g.as_ref().is_none_or(|a| a.weight < 0.5 || doubtful(a)) {
            // No labelled total, only a guess, or one read with clearly less certainty than
            // cash and change: what was paid is the total, with the evidence of the cash
            // line. A labelled total read as surely as they were is kept: cash and change
            // are two readings that can be wrong as often as its one.
            if let Some(cash) = amounts_on_lines_with(ctx, CASH_WORDS, &["change"]).first() {
                g = Some(Amount {
                    value: paid,
                    raw: format!("{paid}"),
                    weight: 0.4,
                    ..cash.clone()
                });
            }
        }
    }
    // A subtotal and no total or tax amount at all: on a receipt without tax they are the
    // same. (A "GST Reg No" label announces no tax amount.)
    if g.is_none()
        && t.is_none()
        && tax.is_empty()
        && let Some(nv) = &n
    {
        g = Some(Amount {
            weight: 0.4,
            ..nv.clone()
        });
    }
    let conf = if reconciled {
        0.96
    } else if g.as_ref().is_some_and(|g| g.weight < 0.5) {
        0.45
    } else {
        0.7
    };
    let wrap = |a: &Amount, c: f32| ctx.value(a.value, &a.raw, a.seg, c);
    let mut gross_v = g.as_ref().map(|a| wrap(a, conf));
    let mut net_v = n.as_ref().map(|a| wrap(a, conf));
    let mut tax_v = t.as_ref().map(|a| wrap(a, conf));
    // A total with the tax in and neither net nor tax printed ("Total with tax: 23,003.18"
    // under a table of net lines with their rates): the lines are the net when their sum
    // and the tax their rates give add up to the total.
    if let (Some(g), None, None, Some(s), Some(r)) =
        (&gross_v, &net_v, &tax_v, lines_sum, rates_tax)
        && r != Decimal::ZERO
        && near(s + r, g.value)
    {
        net_v = Some(derived(s, g, 0.75));
        tax_v = Some(derived(r, g, 0.75));
    }
    // Derive the one missing member of the triple.
    match (&gross_v, &net_v, &tax_v) {
        // The difference is a tax only at a rate the seller can charge (else a charge or a
        // misread sits between them, and the reviewer fills the tax in).
        (Some(g), Some(n), None)
            if g.value.abs() >= n.value.abs()
                && rate_fit(n.value, g.value - n.value, highest, &country_rates)
                    != RateFit::Impossible =>
        {
            tax_v = Some(derived(g.value - n.value, g, 0.75));
        }
        (Some(g), None, Some(t)) => net_v = Some(derived(g.value - t.value, g, 0.7)),
        (None, Some(n), Some(t)) => gross_v = Some(derived(n.value + t.value, n, 0.7)),
        (Some(g), None, None) if ctx.hits_of(LabelKind::TaxTotal).next().is_none() => {
            // No tax anywhere: net equals gross (receipts, tax-exempt sellers).
            net_v = Some(derived(g.value, g, 0.55));
        }
        _ => {}
    }
    if let Some(l) = line_total.first() {
        let ok = net_v
            .as_ref()
            .is_some_and(|n| near(l.value + adjust, n.value));
        inv.totals.line_extension_amount = Some(wrap(l, if ok { 0.95 } else { 0.7 }));
    } else if let (Some(s), Some(n)) = (lines_sum, &net_v)
        && near(s, n.value)
    {
        let mut l = n.clone();
        l.confidence = (l.confidence + 0.02).min(0.98);
        inv.totals.line_extension_amount = Some(l);
    } else if let Some(n) = &net_v
        && inv.allowances_charges.is_empty()
    {
        inv.totals.line_extension_amount = Some(derived(n.value, n, n.confidence * 0.8));
    }
    let payable = due
        .iter()
        .filter(|d| {
            gross_v
                .as_ref()
                .is_none_or(|g| d.value.abs() <= g.value.abs())
        })
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
        .map(|d| wrap(d, conf))
        .or_else(|| {
            // Payable is the gross unless something was paid or is owed besides: a printed
            // prepayment or a due amount that could not be placed makes that a guess.
            let other = !due.is_empty() || !prepaid.is_empty();
            gross_v.as_ref().map(|g| {
                let c = g.confidence * 0.95;
                derived(g.value, g, if other { c.min(0.6) } else { c })
            })
        });
    for (found, slot) in [
        (&allowances, &mut inv.totals.allowance_total_amount),
        (&charges, &mut inv.totals.charge_total_amount),
    ] {
        if let Some(a) = found.first() {
            let mut v = wrap(a, 0.85);
            v.value = v.value.abs();
            *slot = Some(v);
        }
    }
    if let Some(p) = prepaid.first() {
        let mut v = wrap(p, 0.7);
        // A prepayment is printed as what it does to the sum ("Erhaltene Anzahlungen
        // -50,00" above "Zahlbetrag 147,65") but is the amount paid (BT-113): payable =
        // gross - prepaid. The arithmetic tells which sign the printed amount stands for.
        if let (Some(g), Some(d)) = (&gross_v, &payable) {
            let paid = p.value.abs();
            if near(g.value - paid, d.value) {
                v.value = paid;
                v.confidence = (v.confidence + 0.2).min(conf);
            } else if near(g.value + paid, d.value) {
                v.value = -paid;
                v.confidence = (v.confidence + 0.2).min(conf);
            }
        }
        inv.totals.prepaid_amount = Some(v);
    }
    inv.totals.tax_inclusive_amount = gross_v;
    inv.totals.tax_exclusive_amount = net_v;
    inv.totals.tax_amount = tax_v;
    inv.totals.payable_amount = payable;
}

/// The rate a tax label states on its line ("MwSt. 19 %", "TVA 20%:", "IVA (21%)"): a number
/// followed by a percent sign, between 0 and 100 exclusive.
fn stated_rate(ctx: &Ctx<'_>, hit: &Hit) -> Option<Decimal> {
    let mut text = ctx.segs[hit.at].seg.text.clone();
    for j in ctx.rest_of_line(hit.at) {
        text.push(' ');
        text.push_str(&ctx.segs[j].seg.text);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    words.iter().enumerate().find_map(|(i, w)| {
        let w = w.trim_start_matches('(').trim_end_matches([')', ':']);
        let number = match w.strip_suffix('%') {
            Some(n) => n,
            None if words.get(i + 1).is_some_and(|n| n.starts_with('%')) => w,
            None => return None,
        };
        parse_amount(number, ctx.mark).filter(|r| *r > Decimal::ZERO && *r < Decimal::ONE_HUNDRED)
    })
}

/// The tax the lines' own VAT rates predict: per rate, the sum of its line amounts times the
/// rate, rounded to cents; only when every line has an amount and a rate. (The caller leaves
/// it out where a document-level allowance or charge moves the bases.)
fn tax_from_line_rates(lines: &[doxin_model::InvoiceLine]) -> Option<Decimal> {
    if lines.is_empty() {
        return None;
    }
    let mut bases: Vec<(Decimal, Decimal)> = Vec::new();
    for l in lines {
        let (a, r) = (l.line_amount.as_ref()?.value, l.vat_rate.as_ref()?.value);
        match bases.iter_mut().find(|(rate, _)| *rate == r) {
            Some((_, base)) => *base += a,
            None => bases.push((r, a)),
        }
    }
    Some(
        bases
            .iter()
            .map(|(rate, base)| (base * rate / Decimal::ONE_HUNDRED).round_dp(2))
            .sum(),
    )
}

/// How much less sure (OCR word confidence, 0..1) a labelled total must be than the cash
/// and change readings before what was paid replaces it.
const DOUBT_MARGIN: f32 = 0.1;

/// Words on lines that show money handed over rather than owed.
const PAYMENT_WORDS: &[&str] = &[
    "cash",
    "change",
    "tendered",
    "tender",
    "paid",
    "card",
    "visa",
    "mastercard",
    "rounding",
];

/// The rightmost amount on each line whose words include one of `words` (and none of
/// `not`), in reading order.
fn amounts_on_lines_with(ctx: &Ctx<'_>, words: &[&str], not: &[&str]) -> Vec<Amount> {
    let mut out: Vec<Amount> = Vec::new();
    let mut i = 0;
    while i < ctx.segs.len() {
        let (page, line) = (ctx.segs[i].page, ctx.segs[i].line);
        let end = (i..ctx.segs.len())
            .take_while(|&j| ctx.segs[j].page == page && ctx.segs[j].line == line)
            .last()
            .unwrap_or(i);
        let text: String = (i..=end)
            .map(|j| ctx.segs[j].seg.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let n = norm(&text);
        let tokens: Vec<&str> = n.split(' ').collect();
        if tokens.iter().any(|t| words.contains(t)) && !tokens.iter().any(|t| not.contains(t)) {
            out.extend(rightmost_amount(ctx, i..=end, 0.5));
        }
        i = end + 1;
    }
    out
}

/// Words of lines that give the money handed over.
const CASH_WORDS: &[&str] = &["cash", "tendered", "tender", "paid", "received", "payment"];

/// What a receipt says was paid: cash handed over minus the change given back, with the
/// OCR confidence of the weaker of the two readings.
struct Paid {
    value: Decimal,
    confidence: f32,
}

/// Cash tendered minus change, when a receipt prints both.
fn paid_total(ctx: &Ctx<'_>) -> Option<Paid> {
    let change = amounts_on_lines_with(ctx, &["change"], &[])
        .into_iter()
        .next()?;
    let mut cash = amounts_on_lines_with(ctx, CASH_WORDS, &["change"]);
    if cash.is_empty() {
        // "sash 100.20", "Fayment! 130.00": the payment word misread. What stands right
        // above the change line is what was handed over.
        cash.extend(amount_on_line_above(ctx, &change));
    }
    let confidence = |a: &Amount| ctx.segs[a.seg].seg.confidence;
    // "Cash 8.60 / Tendered 9.00 / Change 0.40": one payment line minus the change is
    // another payment line, which is then what was paid.
    for c in &cash {
        if let Some(handed) = cash
            .iter()
            .find(|o| o.line != c.line && near(o.value - change.value, c.value))
        {
            return (c.value > Decimal::ZERO).then(|| Paid {
                value: c.value,
                confidence: confidence(c).max(confidence(handed).min(confidence(&change))),
            });
        }
    }
    let first = cash.first()?;
    let paid = first.value - change.value;
    (change.value >= Decimal::ZERO && paid > Decimal::ZERO).then(|| Paid {
        value: paid,
        confidence: confidence(first).min(confidence(&change)),
    })
}

/// The rightmost amount on the line right above `below`, unless that line is a total.
fn amount_on_line_above(ctx: &Ctx<'_>, below: &Amount) -> Option<Amount> {
    let (page, line) = below.line;
    let above: Vec<usize> = (0..ctx.segs.len())
        .filter(|&j| ctx.segs[j].page == page && ctx.segs[j].line + 1 == line)
        .collect();
    let text: String = above
        .iter()
        .map(|&j| ctx.segs[j].seg.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if norm(&text)
        .split(' ')
        .any(|w| w == "total" || w == "subtotal")
    {
        return None;
    }
    rightmost_amount(ctx, above.iter().copied(), 0.4)
}

/// The rightmost money amount in the segments `segs` (one line, left to right).
fn rightmost_amount(
    ctx: &Ctx<'_>,
    segs: impl DoubleEndedIterator<Item = usize>,
    weight: f32,
) -> Option<Amount> {
    segs.rev().find_map(|j| {
        split_amount_tokens(&ctx.segs[j].seg.text, ctx.mark)
            .into_iter()
            .rev()
            .find_map(|raw| {
                parse_amount(&raw, ctx.mark)
                    .filter(|_| is_money(&raw, ctx.mark))
                    .map(|value| Amount {
                        value,
                        seg: j,
                        raw,
                        weight,
                        line: (ctx.segs[j].page, ctx.segs[j].line),
                        crossed: false,
                    })
            })
    })
}

/// The largest decimal amount below `from` (a fraction of the page height) on the first page.
fn largest_amount_below(ctx: &Ctx<'_>, from: f32) -> Option<Amount> {
    let page = ctx.layout.pages.first()?;
    let limit = page.height * from;
    let mut best: Option<Amount> = None;
    for (i, s) in ctx.segs.iter().enumerate() {
        if s.page != page.number || s.seg.bbox.y0 < limit {
            continue;
        }
        // Skip amounts on payment lines.
        let line_text: String = ctx
            .segs
            .iter()
            .filter(|t| t.page == s.page && t.line == s.line)
            .map(|t| t.seg.text.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        if PAYMENT_WORDS.iter().any(|w| line_text.contains(w)) {
            continue;
        }
        for raw in split_amount_tokens(&s.seg.text, ctx.mark) {
            if let Some(v) = parse_amount(&raw, ctx.mark).filter(|_| has_decimals(&raw, ctx.mark))
                && v > Decimal::ZERO
                && best.as_ref().is_none_or(|b| v > b.value)
            {
                best = Some(Amount {
                    value: v,
                    seg: i,
                    raw,
                    weight: 0.3,
                    line: (s.page, s.line),
                    crossed: false,
                });
            }
        }
    }
    best
}

/// The last amount anywhere in the document equal to `value`.
fn any_amount_equal(ctx: &Ctx<'_>, value: Decimal) -> Option<Amount> {
    ctx.segs.iter().enumerate().rev().find_map(|(i, s)| {
        split_amount_tokens(&s.seg.text, ctx.mark)
            .into_iter()
            .find_map(|raw| {
                parse_amount(&raw, ctx.mark)
                    .filter(|v| has_decimals(&raw, ctx.mark) && near(*v, value))
                    .map(|v| Amount {
                        value: v,
                        seg: i,
                        raw,
                        weight: 0.5,
                        line: (s.page, s.line),
                        crossed: false,
                    })
            })
    })
}

/// A value computed from another, pointing at the evidence it came from.
fn derived(value: Decimal, from: &Extracted<Decimal>, confidence: f32) -> Extracted<Decimal> {
    Extracted {
        value,
        raw_text: None,
        confidence,
        page: from.page,
        bbox: from.bbox,
        source: from.source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_grouped_thousands_are_one_amount() {
        let t = split_amount_tokens("Total TTC 6 760,08 €", DecimalMark::Comma);
        assert!(t.contains(&"6 760,08".to_string()), "{t:?}");
        assert_eq!(
            parse_amount("6 760,08", DecimalMark::Comma),
            Some(Decimal::new(676008, 2))
        );
        // A rate before an amount is not a thousands group.
        let t = split_amount_tokens("USt. 19 % 166,31", DecimalMark::Comma);
        assert!(t.contains(&"166,31".to_string()), "{t:?}");
        // Under a decimal point, "1 234,56" is not grouped.
        let t = split_amount_tokens("Total 1 234,56", DecimalMark::Point);
        assert!(t.contains(&"234,56".to_string()), "{t:?}");
    }
}
