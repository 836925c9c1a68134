//! Comparing extracted `fields` with truth `fields`.

use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::matching::max_weight_matching;

/// Keys in truth files that describe the truth rather than the invoice.
const META_KEYS: &[&str] = &["issue_date_raw", "description_from", "note_only_lines"];

/// How one truth value fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FieldOutcome {
    Correct,
    Wrong { expected: String, got: String },
    Missing { expected: String },
}

/// The outcome for one field of one document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldResult {
    /// The path with line indices removed (`lines[].quantity`), for aggregation.
    pub field: String,
    /// The concrete path (`lines[3].quantity`).
    pub path: String,
    #[serde(flatten)]
    pub outcome: FieldOutcome,
    /// The extractor's confidence in its value, when it gave one.
    pub confidence: Option<f32>,
}

impl FieldResult {
    pub fn is_correct(&self) -> bool {
        self.outcome == FieldOutcome::Correct
    }
}

/// Line-item counts of one document.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineCounts {
    pub truth: usize,
    pub extracted: usize,
    /// Extracted lines paired with a truth line whose description and amount agree.
    pub correct: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DocumentScore {
    pub fields: Vec<FieldResult>,
    /// `None` when the truth has no line items.
    pub lines: Option<LineCounts>,
}

/// Decimal text such as `"1,234.50"` is not accepted: truth and output both use plain decimals.
fn as_decimal(v: &Value) -> Option<Decimal> {
    match v {
        // Receipt truths sometimes keep the currency ("RM41.45", "RM 13.30").
        Value::String(s) => Decimal::from_str(
            s.trim()
                .trim_start_matches(|c: char| c.is_alphabetic() || "$€£¥₹ ".contains(c))
                .trim_end_matches(|c: char| c.is_alphabetic() || "$€£¥₹ ".contains(c)),
        )
        .ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

/// Trimmed, white space collapsed, case folded.
pub fn normalize_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Legal forms written out, and the abbreviation the law gives each: a company is the same
/// whichever of the two its invoice prints ("ORLEN S.A." is "ORLEN spółka akcyjna").
const LEGAL_FORMS: &[(&str, &str)] = &[
    ("gesellschaft mit beschränkter haftung", "gmbh"),
    ("aktiengesellschaft", "ag"),
    ("spółka z ograniczoną odpowiedzialnością", "sp zoo"),
    ("spółka akcyjna", "sa"),
    ("société anonyme", "sa"),
    ("sociedad anónima", "sa"),
    ("société à responsabilité limitée", "sarl"),
    ("sociedad limitada", "sl"),
    ("sendirian berhad", "sdn bhd"),
    ("private limited", "pvt ltd"),
    ("public limited company", "plc"),
    ("limited", "ltd"),
    ("incorporated", "inc"),
    ("corporation", "corp"),
];

/// Names compare without punctuation ("SDN. BHD." is "SDN BHD", "{SP}" is "(SP)"), with
/// initials run together ("S.A." is "SA") and legal forms abbreviated.
fn normalize_name(s: &str) -> String {
    let spaced: String = s
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let text = normalize_text(&spaced);
    let mut words: Vec<String> = Vec::new();
    let mut prev_single = false;
    for w in text.split(' ').filter(|w| !w.is_empty()) {
        let single = w.chars().count() == 1;
        match words.last_mut() {
            Some(last) if single && prev_single => last.push_str(w),
            _ => words.push(w.to_string()),
        }
        prev_single = single;
    }
    let mut name = format!(" {} ", words.join(" "));
    for (long, short) in LEGAL_FORMS {
        name = name.replace(&format!(" {long} "), &format!(" {short} "));
    }
    name.trim().to_string()
}

/// The words of an address, in capitals, without punctuation, in any order: a receipt's
/// truth keeps its address as one printed string ("NO 21, JLN BUNGA KANTAN ... 53000 KUALA
/// LUMPUR"), DoxIn keeps its parts (street lines, postal code, city), whose printed order
/// differs by country.
fn address_words(s: &str) -> Vec<String> {
    let mut words: Vec<String> = s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect();
    words.sort();
    words
}

/// An extracted party's address as one text, for truths that keep it so: street lines,
/// postal code, city and subdivision. The country is a code, and a country printed in the
/// truth's text stays unmatched.
fn address_text(address: &Value) -> Option<Value> {
    let parts: Vec<&str> = [
        "line1",
        "line2",
        "line3",
        "postal_code",
        "city",
        "country_subdivision",
    ]
    .iter()
    .filter_map(|k| address.get(*k).and_then(Value::as_str))
    .collect();
    (!parts.is_empty()).then(|| Value::String(parts.join(", ")))
}

/// Whether the value at `path` agrees with the truth; names ignore punctuation.
pub fn field_agrees(path: &str, expected: &Value, got: &Value) -> bool {
    if path.ends_with(".address_text")
        && let (Value::String(a), Value::String(b)) = (expected, got)
    {
        return address_words(a) == address_words(b);
    }
    let is_name = path.ends_with(".name") || path.ends_with(".trading_name");
    match (is_name, expected, got) {
        (true, Value::String(a), Value::String(b)) => normalize_name(a) == normalize_name(b),
        // "#" is the number sign, not part of the number: "# BLR_1" is "#BLR_1" is "BLR_1".
        (false, Value::String(a), Value::String(b)) if path == "invoice_id" => {
            let id = |s: &str| s.trim().trim_start_matches('#').trim().to_string();
            id(a) == id(b)
        }
        _ => values_agree(expected, got),
    }
}

/// Whether two leaf values agree: numerically when both are numbers, else as normalised text.
pub fn values_agree(expected: &Value, got: &Value) -> bool {
    if let (Some(a), Some(b)) = (as_decimal(expected), as_decimal(got)) {
        return a == b;
    }
    match (expected, got) {
        (Value::String(a), Value::String(b)) => normalize_text(a) == normalize_text(b),
        (a, b) => a == b,
    }
}

/// Leaf values of a JSON object with their dotted paths (arrays indexed as `[i]`).
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if META_KEYS.contains(&k.as_str()) {
                    continue;
                }
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, child, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), child, out);
            }
        }
        Value::Null => {}
        leaf => out.push((prefix.to_string(), leaf.clone())),
    }
}

/// `lines[3].quantity` → `lines[].quantity`.
fn generic(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            c => out.push(c),
        }
    }
    out
}

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        let (key, idx) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        cur = cur.get(key)?;
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    (!cur.is_null()).then_some(cur)
}

fn score_leaf(
    path: String,
    expected: &Value,
    got: Option<&Value>,
    confidence: Option<f32>,
) -> FieldResult {
    let outcome = match got {
        Some(g) if field_agrees(&path, expected, g) => FieldOutcome::Correct,
        Some(g) => FieldOutcome::Wrong {
            expected: display(expected),
            got: display(g),
        },
        None => FieldOutcome::Missing {
            expected: display(expected),
        },
    };
    FieldResult {
        field: generic(&path),
        path,
        outcome,
        confidence,
    }
}

/// The ISO dates a printed date can mean: day-month and month-day orders, two- and four-digit
/// years, and month names in English.
pub fn raw_date_readings(raw: &str) -> Vec<String> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = raw.to_lowercase();
    let month_word = MONTHS
        .iter()
        .position(|m| lower.contains(m))
        .map(|i| i as u32 + 1);
    let nums: Vec<u32> = lower
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .filter_map(|t| t.parse().ok())
        .collect();
    let year = |y: u32| if y < 100 { 2000 + y } else { y };
    let mut out = Vec::new();
    let mut push = |y: u32, m: u32, d: u32| {
        if (1..=12).contains(&m) && (1..=31).contains(&d) && (1900..=2100).contains(&y) {
            out.push(format!("{y:04}-{m:02}-{d:02}"));
        }
    };
    // Compact forms: "20180304" (year first) or "25032018" (day first).
    if let [n] = nums.as_slice()
        && (10_000_000..=99_999_999).contains(n)
    {
        let (a, b, c) = (n / 10_000, n / 100 % 100, n % 100);
        push(a, b, c);
        push(n % 10_000, n / 10_000 % 100, n / 1_000_000);
        return out;
    }
    match (month_word, nums.as_slice()) {
        (Some(m), [d, y, ..]) => push(year(*y), m, *d),
        (None, [a, b, c, ..]) if *a > 31 => push(*a, *b, *c),
        (None, [a, b, c, ..]) => {
            push(year(*c), *b, *a);
            push(year(*c), *a, *b);
        }
        _ => {}
    }
    out
}

/// Token-overlap similarity of two descriptions (0..1), for pairing lines.
fn text_similarity(a: &str, b: &str) -> f64 {
    let ta: Vec<String> = normalize_text(a).split(' ').map(str::to_string).collect();
    let tb: Vec<String> = normalize_text(b).split(' ').map(str::to_string).collect();
    if ta.is_empty() || tb.is_empty() {
        return 0.0;
    }
    let common = ta.iter().filter(|t| tb.contains(t)).count();
    (2 * common) as f64 / (ta.len() + tb.len()) as f64
}

fn line_weight(truth: &Value, got: &Value) -> f64 {
    let Some(map) = truth.as_object() else {
        return 0.0;
    };
    map.iter()
        .filter(|(k, _)| !META_KEYS.contains(&k.as_str()))
        .map(|(k, tv)| match (k.as_str(), got.get(k)) {
            ("description" | "item_description", Some(Value::String(g))) => {
                tv.as_str().map_or(0.0, |t| text_similarity(t, g))
            }
            (_, Some(g)) if values_agree(tv, g) => 1.0,
            _ => 0.0,
        })
        .sum()
}

/// Token similarity at which two descriptions name the same item: most words shared, so a
/// description with an extra line ("Bruttopreis: 9,90") or a missing code still counts.
pub const DESCRIPTION_MATCH: f64 = 0.5;

/// A line is found when its amount agrees exactly and its description mostly (where the truth
/// has them). Each field is also scored on its own, exactly, in the per-field table.
fn line_correct(truth: &Value, got: &Value) -> bool {
    let amount_ok = match truth.get("line_amount") {
        None | Some(Value::Null) => true,
        Some(t) => got.get("line_amount").is_some_and(|g| values_agree(t, g)),
    };
    let description_ok = match truth.get("description").and_then(Value::as_str) {
        None => true,
        Some(t) => got
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|g| text_similarity(t, g) >= DESCRIPTION_MATCH),
    };
    amount_ok && description_ok
}

/// Scores one document: every truth leaf outside `lines` by path; lines after pairing.
/// `confidences` maps concrete paths of `got` (`totals.payable_amount`, `lines[2].quantity`)
/// to the extractor's confidence.
pub fn compare_document(
    truth: &Value,
    got: &Value,
    confidences: &HashMap<String, f32>,
) -> DocumentScore {
    let mut score = DocumentScore::default();
    let mut header = truth.clone();
    let truth_lines = header
        .as_object_mut()
        .and_then(|m| m.remove("lines"))
        .and_then(|l| l.as_array().cloned())
        .unwrap_or_default();
    let mut leaves = Vec::new();
    flatten("", &header, &mut leaves);
    // Receipts' truth keeps the date as printed ("25/12/2018"): score the extracted ISO date
    // against every reading of it.
    if header.get("issue_date").is_none()
        && let Some(raw) = header.get("issue_date_raw").and_then(Value::as_str)
    {
        let got_date = lookup(got, "issue_date").and_then(Value::as_str);
        let outcome = match got_date {
            Some(g) if raw_date_readings(raw).iter().any(|r| r == g) => FieldOutcome::Correct,
            Some(g) => FieldOutcome::Wrong {
                expected: raw.to_string(),
                got: g.to_string(),
            },
            None => FieldOutcome::Missing {
                expected: raw.to_string(),
            },
        };
        score.fields.push(FieldResult {
            field: "issue_date".into(),
            path: "issue_date".into(),
            outcome,
            confidence: confidences.get("issue_date").copied(),
        });
    }
    for (path, expected) in leaves {
        let conf = confidences.get(&path).copied();
        // "seller.address_text": the seller's address parts read as one text.
        let derived = path
            .strip_suffix(".address_text")
            .and_then(|party| lookup(got, &format!("{party}.address")))
            .and_then(address_text);
        let got_value = match &derived {
            Some(text) => Some(text),
            None => lookup(got, &path),
        };
        score
            .fields
            .push(score_leaf(path.clone(), &expected, got_value, conf));
    }
    if truth_lines.is_empty() {
        return score;
    }
    let got_lines = got
        .get("lines")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let weights: Vec<Vec<f64>> = truth_lines
        .iter()
        .map(|t| got_lines.iter().map(|g| line_weight(t, g)).collect())
        .collect();
    let pairs = max_weight_matching(&weights);
    let partner: HashMap<usize, usize> = pairs.iter().copied().collect();
    let mut counts = LineCounts {
        truth: truth_lines.len(),
        extracted: got_lines.len(),
        correct: 0,
    };
    for (ti, t) in truth_lines.iter().enumerate() {
        let g = partner.get(&ti).map(|&gi| (gi, &got_lines[gi]));
        if let Some((_, g)) = g
            && line_correct(t, g)
        {
            counts.correct += 1;
        }
        let mut leaves = Vec::new();
        flatten("", t, &mut leaves);
        for (key, expected) in leaves {
            let path = format!("lines[{ti}].{key}");
            let got_v = g.and_then(|(_, g)| lookup(g, &key));
            let conf =
                g.and_then(|(gi, _)| confidences.get(&format!("lines[{gi}].{key}")).copied());
            score.fields.push(score_leaf(path, &expected, got_v, conf));
        }
    }
    score.lines = Some(counts);
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_numerically_and_text_after_normalisation() {
        assert!(values_agree(&json!("20.0000"), &json!("20")));
        assert!(values_agree(&json!("-7.67"), &json!(-7.67)));
        assert!(values_agree(&json!("RM 13.30"), &json!("13.3")));
        assert!(values_agree(&json!("RM41.45"), &json!("41.45")));
        assert!(!values_agree(&json!("7.67"), &json!("7.68")));
        assert!(values_agree(&json!("ACME  GmbH\n"), &json!("acme gmbh")));
        assert!(!values_agree(&json!("2026-01-02"), &json!("2026-02-01")));
    }

    #[test]
    fn printed_dates_match_their_iso_reading() {
        assert!(raw_date_readings("25/12/2018").contains(&"2018-12-25".to_string()));
        assert!(raw_date_readings("12-01-19").contains(&"2019-01-12".to_string()));
        assert!(raw_date_readings("03 Jan 2018").contains(&"2018-01-03".to_string()));
        assert!(raw_date_readings("2018-06-01").contains(&"2018-06-01".to_string()));
        assert!(raw_date_readings("20180304").contains(&"2018-03-04".to_string()));
        assert!(raw_date_readings("25032018").contains(&"2018-03-25".to_string()));
        assert!(raw_date_readings("(06/12/2016)").contains(&"2016-12-06".to_string()));
        let truth = json!({"issue_date_raw": "25/12/2018"});
        let s = compare_document(
            &truth,
            &json!({"issue_date": "2018-12-25"}),
            &HashMap::new(),
        );
        assert!(s.fields[0].is_correct());
        let s = compare_document(
            &truth,
            &json!({"issue_date": "2018-11-25"}),
            &HashMap::new(),
        );
        assert!(!s.fields[0].is_correct());
    }

    #[test]
    fn invoice_numbers_ignore_a_leading_number_sign() {
        assert!(field_agrees(
            "invoice_id",
            &json!("#BLR_7"),
            &json!("BLR_7")
        ));
        assert!(field_agrees(
            "invoice_id",
            &json!("# BLR_7"),
            &json!("#BLR_7")
        ));
        assert!(!field_agrees(
            "invoice_id",
            &json!("BLR_7"),
            &json!("BLR_8")
        ));
        assert!(!field_agrees("invoice_id", &json!("A#1"), &json!("A1")));
    }

    #[test]
    fn names_ignore_punctuation_but_other_fields_do_not() {
        assert!(field_agrees(
            "seller.name",
            &json!("BEMED (SP) SDN BHD"),
            &json!("BEMED {SP} SDN. BHD.")
        ));
        assert!(!field_agrees(
            "seller.name",
            &json!("BEMED SDN BHD"),
            &json!("BEMEX SDN BHD")
        ));
        assert!(!field_agrees(
            "invoice_id",
            &json!("INV/2023/1"),
            &json!("INV 2023 1")
        ));
    }

    #[test]
    fn a_legal_form_written_out_is_its_abbreviation() {
        let same = |a: &str, b: &str| field_agrees("seller.name", &json!(a), &json!(b));
        assert!(same(
            "Polski Koncern Naftowy ORLEN spółka akcyjna",
            "Polski Koncern Naftowy ORLEN S.A."
        ));
        assert!(same(
            "Muster Gesellschaft mit beschränkter Haftung",
            "Muster GmbH"
        ));
        assert!(same("ACME Limited", "ACME LTD."));
        assert!(same(
            "Kowalski spółka z ograniczoną odpowiedzialnością",
            "Kowalski Sp. z o.o."
        ));
        assert!(same("MR. D.I.Y. (M) SDN BHD", "MR D I Y (M) Sdn. Bhd."));
        // A different company, or another legal form, stays different.
        assert!(!same("Muster GmbH", "Muster AG"));
        assert!(!same("ORLEN S.A.", "ORLEN Sp. z o.o."));
    }

    #[test]
    fn an_address_printed_as_one_text_is_scored_against_the_address_parts() {
        let truth =
            json!({"seller": {"address_text": "NO 21, JLN BUNGA KANTAN, 53000 KUALA LUMPUR."}});
        let parts = |line1: &str| {
            json!({"seller": {"address": {"line1": line1, "postal_code": "53000",
                "city": "KUALA LUMPUR"}}})
        };
        let score = compare_document(&truth, &parts("NO 21 JLN BUNGA KANTAN"), &HashMap::new());
        assert!(score.fields[0].is_correct(), "{:?}", score.fields);
        // One word more or less is another address.
        let score = compare_document(&truth, &parts("NO 21 JLN BUNGA"), &HashMap::new());
        assert!(!score.fields[0].is_correct());
        let score = compare_document(&truth, &json!({"seller": {}}), &HashMap::new());
        assert!(matches!(
            score.fields[0].outcome,
            FieldOutcome::Missing { .. }
        ));
    }

    #[test]
    fn header_fields_are_scored_by_path() {
        let truth = json!({"invoice_id": "7", "seller": {"name": "A", "vat_id": "DE1"},
                           "issue_date_raw": "1.1.26", "totals": {"payable_amount": "10.00"}});
        let got =
            json!({"invoice_id": "7", "seller": {"name": "B"}, "totals": {"payable_amount": "10"}});
        let conf = HashMap::from([("invoice_id".to_string(), 0.9_f32)]);
        let s = compare_document(&truth, &got, &conf);
        let by: HashMap<_, _> = s.fields.iter().map(|f| (f.path.as_str(), f)).collect();
        assert_eq!(
            by.len(),
            5,
            "issue_date_raw is scored as issue_date: {by:?}"
        );
        assert!(matches!(
            by["issue_date"].outcome,
            FieldOutcome::Missing { .. }
        ));
        assert!(by["invoice_id"].is_correct());
        assert_eq!(by["invoice_id"].confidence, Some(0.9));
        assert!(matches!(
            by["seller.name"].outcome,
            FieldOutcome::Wrong { .. }
        ));
        assert!(matches!(
            by["seller.vat_id"].outcome,
            FieldOutcome::Missing { .. }
        ));
        assert!(by["totals.payable_amount"].is_correct());
        assert!(s.lines.is_none());
    }

    #[test]
    fn a_line_is_found_by_amount_and_most_of_its_description() {
        let truth = json!({"lines": [{"description": "Trennblätter A4", "line_amount": "198.00"}]});
        let close = json!({"lines": [{"description": "Trennblätter A4\nBruttopreis :9,9000", "line_amount": "198"}]});
        let s = compare_document(&truth, &close, &HashMap::new());
        assert_eq!(s.lines.as_ref().map(|l| l.correct), Some(1));
        let wrong_amount =
            json!({"lines": [{"description": "Trennblätter A4", "line_amount": "19.80"}]});
        let s = compare_document(&truth, &wrong_amount, &HashMap::new());
        assert_eq!(s.lines.as_ref().map(|l| l.correct), Some(0));
        let other_item =
            json!({"lines": [{"description": "Joghurt Banane", "line_amount": "198.00"}]});
        let s = compare_document(&truth, &other_item, &HashMap::new());
        assert_eq!(s.lines.as_ref().map(|l| l.correct), Some(0));
    }

    #[test]
    fn lines_are_paired_by_content_not_position() {
        let truth = json!({"lines": [
            {"description": "Chair", "line_amount": "10"},
            {"description": "Desk", "line_amount": "20"},
            {"description": "Lamp", "line_amount": "5"}]});
        let got = json!({"lines": [
            {"description": "Lamp", "line_amount": "5"},
            {"description": "Chair", "line_amount": "10"}]});
        let s = compare_document(&truth, &got, &HashMap::new());
        assert_eq!(
            s.lines,
            Some(LineCounts {
                truth: 3,
                extracted: 2,
                correct: 2
            })
        );
        let desk: Vec<_> = s
            .fields
            .iter()
            .filter(|f| f.path.starts_with("lines[1]"))
            .collect();
        assert!(
            desk.iter()
                .all(|f| matches!(f.outcome, FieldOutcome::Missing { .. }))
        );
        assert!(
            s.fields
                .iter()
                .filter(|f| f.field == "lines[].line_amount")
                .count()
                == 3
        );
    }
}
