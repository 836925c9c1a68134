//! Seller and buyer: names, addresses, VAT ids and tax numbers, told apart by labels and
//! position.

use doxin_model::{Invoice, Party, VatId};

use super::labels::{LabelKind, match_label, norm};
use super::name_repair::repair_ocr_name;
use super::{Ctx, Hit};

/// Legal-form words: a line holding one is very likely a company name.
const LEGAL_FORMS: &[&str] = &[
    "gmbh",
    "bhd",
    "sdn",
    "enterprise",
    "trading",
    "ag",
    "kg",
    "ohg",
    "ug",
    "ek",
    "mbh",
    "ltd",
    "limited",
    "inc",
    "llc",
    "llp",
    "plc",
    "corp",
    "corporation",
    "sa",
    "sas",
    "sarl",
    "eurl",
    "bv",
    "nv",
    "vof",
    "sl",
    "slu",
    "spa",
    "srl",
    "snc",
    "sp",
    "oy",
    "ab",
    "as",
    "aps",
    "pvt",
    "gbr",
    "co",
    // "S/B": Sendirian Berhad as Malaysian receipts abbreviate it.
    "sb",
];

/// Words that title a document rather than name a party.
const TITLE_WORDS: &[&str] = &[
    "invoice",
    "tax invoice",
    "rechnung",
    "facture",
    "factuur",
    "factura",
    "fattura",
    "receipt",
    "credit note",
    "gutschrift",
    "page",
    "seite",
    "original",
    "copy",
    "kopie",
    "duplicate",
];

const COUNTRIES: &[(&str, &str)] = &[
    ("deutschland", "DE"),
    ("germany", "DE"),
    ("allemagne", "DE"),
    ("france", "FR"),
    ("frankreich", "FR"),
    ("nederland", "NL"),
    ("netherlands", "NL"),
    ("the netherlands", "NL"),
    ("niederlande", "NL"),
    ("españa", "ES"),
    ("spain", "ES"),
    ("spanien", "ES"),
    ("italia", "IT"),
    ("italy", "IT"),
    ("italien", "IT"),
    ("österreich", "AT"),
    ("austria", "AT"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("switzerland", "CH"),
    ("belgique", "BE"),
    ("belgië", "BE"),
    ("belgium", "BE"),
    ("belgien", "BE"),
    ("polska", "PL"),
    ("poland", "PL"),
    ("united states", "US"),
    ("united states of america", "US"),
    ("usa", "US"),
    ("united kingdom", "GB"),
    ("uk", "GB"),
    ("great britain", "GB"),
    ("india", "IN"),
    ("luxembourg", "LU"),
    ("luxemburg", "LU"),
    ("denmark", "DK"),
    ("danmark", "DK"),
    ("sweden", "SE"),
    ("sverige", "SE"),
    ("norway", "NO"),
    ("norge", "NO"),
    ("ireland", "IE"),
    ("portugal", "PT"),
    ("czech republic", "CZ"),
    ("malaysia", "MY"),
    ("singapore", "SG"),
];

pub(crate) fn country_code(text: &str) -> Option<&'static str> {
    let n = norm(text);
    COUNTRIES
        .iter()
        .find(|(name, _)| *name == n)
        .map(|(_, c)| *c)
}

fn has_legal_form(text: &str) -> bool {
    // Dots join ("G.m.b.H." is "gmbh", "S.A." is "sa"). The form ends a company name
    // ("Stuhlwerk GmbH", "SUN WONG KUT SDN BHD"); "Amt Inc. GST" in a table header is not one.
    let joined: String = strip_registration(text)
        .chars()
        .filter(|c| !matches!(c, '.' | '/'))
        .collect();
    let n = norm(&joined);
    let words: Vec<&str> = n.split(' ').filter(|w| !w.is_empty()).collect();
    words.len() >= 2 && words.last().is_some_and(|w| LEGAL_FORMS.contains(w))
}

/// A company name without a trailing registration number: "AMANO MALAYSIA SDN BHD
/// (682288-V)" names "AMANO MALAYSIA SDN BHD".
pub(crate) fn strip_registration(text: &str) -> &str {
    let t = text.trim().trim_end_matches([',', ';']);
    if let Some(open) = t.rfind('(')
        && t[open..].chars().filter(char::is_ascii_digit).count() >= 4
    {
        return t[..open].trim_end();
    }
    t
}

/// Words that make a line something other than a party's name.
const NOT_NAME_WORDS: &[&str] = &[
    "invoice", "receipt", "rechnung", "facture", "factura", "fattura", "factuur", "welcome",
    "thank", "order", "bill", "table", "cashier", "page", "seite",
];

fn is_not_name(text: &str) -> bool {
    norm(text).split(' ').any(|w| NOT_NAME_WORDS.contains(&w))
}

fn is_title(text: &str) -> bool {
    let n = norm(text);
    TITLE_WORDS
        .iter()
        .any(|t| n == *t || n.starts_with(&format!("{t} ")))
}

/// Key words of "key: value" lines inside party blocks.
const NAME_KEYS: &[&str] = &[
    "name",
    "firma",
    "company",
    "company name",
    "raison sociale",
    "naam",
    "nombre",
    "nome",
    "attn",
    "attention",
    "z hd",
];
const ADDRESS_KEYS: &[&str] = &[
    "anschrift",
    "address",
    "adresse",
    "adres",
    "dirección",
    "indirizzo",
    "adress",
    "straße",
    "street",
];

/// A part of an address a form names with its own key ("City: Bristol", "Post code:
/// BS1 5TY", "Country: GB").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressPart {
    City,
    PostalCode,
    Country,
    Subdivision,
}

const PART_KEYS: &[(&str, AddressPart)] = &[
    ("city", AddressPart::City),
    ("town", AddressPart::City),
    ("ort", AddressPart::City),
    ("stadt", AddressPart::City),
    ("ville", AddressPart::City),
    ("plaats", AddressPart::City),
    ("woonplaats", AddressPart::City),
    ("ciudad", AddressPart::City),
    ("localidad", AddressPart::City),
    ("città", AddressPart::City),
    ("miejscowość", AddressPart::City),
    ("post code", AddressPart::PostalCode),
    ("postcode", AddressPart::PostalCode),
    ("postal code", AddressPart::PostalCode),
    ("zip", AddressPart::PostalCode),
    ("zip code", AddressPart::PostalCode),
    ("zipcode", AddressPart::PostalCode),
    ("plz", AddressPart::PostalCode),
    ("postleitzahl", AddressPart::PostalCode),
    ("code postal", AddressPart::PostalCode),
    ("código postal", AddressPart::PostalCode),
    ("cap", AddressPart::PostalCode),
    ("kod pocztowy", AddressPart::PostalCode),
    ("country", AddressPart::Country),
    ("land", AddressPart::Country),
    ("pays", AddressPart::Country),
    ("país", AddressPart::Country),
    ("paese", AddressPart::Country),
    ("kraj", AddressPart::Country),
    ("state", AddressPart::Subdivision),
    ("province", AddressPart::Subdivision),
    ("county", AddressPart::Subdivision),
    ("region", AddressPart::Subdivision),
    ("bundesland", AddressPart::Subdivision),
    ("provincia", AddressPart::Subdivision),
];

fn part_key(key: &str) -> Option<AddressPart> {
    PART_KEYS.iter().find(|(k, _)| *k == key).map(|(_, p)| *p)
}

/// A party's block: its lines as a person reads them (name first, then address lines), and
/// the address parts a form gives under keys of their own.
#[derive(Debug, Default)]
struct PartyBlock {
    lines: Vec<(usize, String)>,
    parts: Vec<(AddressPart, usize, String)>,
}

/// The party block under (or beside) a party label, as the lines a person would read as that
/// party: name first, then address lines. Understands plain address blocks and "Name: …",
/// "Anschrift: …", "City: …" forms whose values stand in a column to the right.
fn party_lines(ctx: &Ctx<'_>, hit: &Hit) -> PartyBlock {
    let head = &ctx.segs[hit.at];
    let x0 = head.seg.bbox.x0;
    let line_h = (head.seg.bbox.y1 - head.seg.bbox.y0).max(6.0);
    let mut name: Option<(usize, String)> = None;
    let mut plain: Vec<(usize, String)> = Vec::new();
    let mut address: Vec<(usize, String)> = Vec::new();
    let mut parts: Vec<(AddressPart, usize, String)> = Vec::new();
    let is_label_seg = |j: usize| ctx.hits.iter().any(|h| h.at == j);
    // "Bill to Address:" — the rest of the label is a form word, not the party.
    let rest_is_key = {
        let n = norm(&hit.label.rest);
        ADDRESS_KEYS.contains(&n.as_str()) || NAME_KEYS.contains(&n.as_str())
    };
    if !hit.label.rest.is_empty() && !rest_is_key {
        plain.push((hit.at, hit.label.rest.clone()));
    } else if let Some(r) = ctx.right_of(hit.at)
        && !is_label_seg(r)
        && ctx.segs[r].seg.bbox.x0 - head.seg.bbox.x1 < 120.0
    {
        plain.push((r, ctx.segs[r].seg.text.clone()));
    }
    // The value column of the last address key line.
    let mut value_x: Option<f32> = None;
    // A lone value-column line waiting for the key line below it.
    let mut pending: Option<(usize, (f32, String))> = None;
    let mut last_y = head.seg.bbox.y1;
    let mut j = hit.at + 1;
    while j < ctx.segs.len() {
        let s = &ctx.segs[j];
        if s.page != head.page
            || s.seg.bbox.y0 - last_y > 2.6 * line_h
            || plain.len() + address.len() > 7
        {
            break;
        }
        if s.line == head.line {
            j += 1;
            continue;
        }
        // All segments of this line.
        let line_end = (j..ctx.segs.len())
            .take_while(|&k| ctx.segs[k].page == s.page && ctx.segs[k].line == s.line)
            .last()
            .unwrap_or(j);
        let line: Vec<usize> = (j..=line_end).collect();
        j = line_end + 1;
        let in_column = line
            .iter()
            .copied()
            .find(|&k| (-15.0..=60.0).contains(&(ctx.segs[k].seg.bbox.x0 - x0)));
        match in_column {
            Some(k) => {
                let words: Vec<&str> = ctx.segs[k].words.iter().map(String::as_str).collect();
                if match_label(&words)
                    .is_some_and(|m| matches!(m.kind, LabelKind::Seller | LabelKind::Buyer))
                {
                    break;
                }
                // "Nummer      : 549910": a key whose colon stands apart, in the next column.
                let text = match ctx.right_of(k) {
                    Some(r) if ctx.segs[r].seg.text.starts_with(':') => {
                        format!("{} {}", ctx.segs[k].seg.text.trim(), ctx.segs[r].seg.text)
                    }
                    _ => ctx.segs[k].seg.text.trim().to_string(),
                };
                if let Some((key, inline)) = text.split_once(':') {
                    let key = norm(key);
                    let value = if inline.trim().is_empty() {
                        line.iter()
                            .copied()
                            .find(|&v| v > k)
                            .map(|v| (v, without_next_key(&ctx.segs[v].seg.text).to_string()))
                    } else {
                        Some((k, without_next_key(inline.trim()).to_string()))
                    };
                    value_x = None;
                    let above = pending.take();
                    if let Some((v, text)) = value {
                        if NAME_KEYS.contains(&key.as_str()) {
                            // A long name wraps around its key: the value-column line right
                            // above belongs to it.
                            let text = match above {
                                Some((_, a)) if (ctx.segs[v].seg.bbox.x0 - a.0).abs() < 15.0 => {
                                    format!("{}\n{text}", a.1)
                                }
                                _ => text,
                            };
                            name = Some((v, text));
                        } else if ADDRESS_KEYS.contains(&key.as_str()) {
                            value_x = Some(ctx.segs[v].seg.bbox.x0);
                            address.push((v, text));
                        } else if let Some(part) = part_key(&key) {
                            parts.push((part, v, text));
                        }
                    }
                } else {
                    value_x = None;
                    plain.push((k, text));
                }
                last_y = ctx.segs[k].seg.bbox.y1;
            }
            None => {
                if line.len() == 1 {
                    let only = &ctx.segs[line[0]];
                    pending = Some((line[0], (only.seg.bbox.x0, only.seg.text.clone())));
                }
                // A continuation of the address value in its column.
                if let Some(vx) = value_x
                    && let Some(&k) = line
                        .iter()
                        .find(|&&k| (ctx.segs[k].seg.bbox.x0 - vx).abs() < 15.0)
                {
                    address.push((k, ctx.segs[k].seg.text.clone()));
                    last_y = ctx.segs[k].seg.bbox.y1;
                }
            }
        }
    }
    let lines = match name {
        Some(n) => std::iter::once(n).chain(address).collect(),
        None => plain.into_iter().chain(address).collect(),
    };
    PartyBlock { lines, parts }
}

/// A value without the key of the next column run into it ("Brightline Analytics Ltd
/// Name:" where the other party's form starts close by).
fn without_next_key(value: &str) -> &str {
    let Some(head) = value.strip_suffix(':') else {
        return value;
    };
    let words: Vec<&str> = head.split_whitespace().collect();
    for n in (1..=2.min(words.len().saturating_sub(1))).rev() {
        let key = norm(&words[words.len() - n..].join(" "));
        let is_key = NAME_KEYS.contains(&key.as_str())
            || ADDRESS_KEYS.contains(&key.as_str())
            || part_key(&key).is_some();
        if is_key && let Some(at) = head.rfind(words[words.len() - n]) {
            return head[..at].trim_end();
        }
    }
    value
}

/// Sets the address parts a form gave under their own keys, over what the lines suggested.
fn fill_parts(
    ctx: &Ctx<'_>,
    parts: &[(AddressPart, usize, String)],
    party: &mut Party,
    confidence: f32,
) {
    for (part, seg, text) in parts {
        let text = text.trim().trim_end_matches([',', '.']).trim();
        if text.is_empty() {
            continue;
        }
        let value = |v: String| Some(ctx.value(v, text, *seg, confidence * 0.9));
        match part {
            AddressPart::City => party.address.city = value(text.to_string()),
            AddressPart::PostalCode => party.address.postal_code = value(text.to_string()),
            AddressPart::Subdivision => {
                party.address.country_subdivision = value(text.to_string());
            }
            AddressPart::Country => {
                let code = country_code(text).map(str::to_string).or_else(|| {
                    doxin_model::CountryCode::parse(text)
                        .ok()
                        .map(|c| c.as_str().to_string())
                });
                if let Some(code) = code {
                    party.address.country = value(code);
                }
            }
        }
    }
}

/// Fills name and address from block lines.
fn fill_party(ctx: &Ctx<'_>, lines: &[(usize, String)], party: &mut Party, confidence: f32) {
    // A remark in brackets under the label ("(Not to be used for payment remittance)") is
    // not the party's name.
    let mut iter = lines.iter().filter(|(_, t)| {
        let t = t.trim();
        let bracketed = t.starts_with('(') && t.ends_with(')');
        !(t.is_empty() || bracketed)
    });
    let Some((seg, name)) = iter.next() else {
        return;
    };
    // A letterhead with name and address on one line ("Au bon moulin SARL - 1242 chemin de
    // l'olive - 84340 Malaucène - France"): the first part is the name, the rest address.
    let (first, inline_address) = match sender_parts(name) {
        Some(mut parts) => {
            let rest = parts.split_off(1);
            (parts.pop().unwrap_or_default(), rest)
        }
        None => (name.clone(), Vec::new()),
    };
    let mut clean = strip_registration(&first).to_string();
    if ctx.source == doxin_model::Source::Ocr {
        clean = repair_ocr_name(&clean);
    }
    party.name = Some(ctx.value(clean, name, *seg, confidence));
    let mut street_lines: Vec<(usize, String)> = Vec::new();
    let name_seg = *seg;
    // A letterhead's address on one line, its parts set apart by middle dots, bars or bullets
    // ("9 Station Road · Edinburgh · EH1 1YZ · United Kingdom"), is read part by part.
    let parts: Vec<(usize, String)> = inline_address
        .into_iter()
        .map(|p| (name_seg, p))
        .chain(iter.cloned())
        .flat_map(|(seg, text)| {
            let split: Vec<String> = if text.contains(['·', '|', '•']) {
                text.split(['·', '|', '•'])
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect()
            } else {
                vec![text]
            };
            split.into_iter().map(move |p| (seg, p))
        })
        .collect();
    // A street part before the postal code on the same line is a street line of its own.
    let parts: Vec<(usize, String)> = parts
        .into_iter()
        .flat_map(|(seg, text)| match postal_tail(&text) {
            Some((head, tail)) if postal_city(&text).is_none() => {
                vec![(seg, head.to_string()), (seg, tail.to_string())]
            }
            _ => vec![(seg, text)],
        })
        .collect();
    let mut just_after_postal = false;
    for (seg, text) in &parts {
        let t = text.trim();
        if let Some(code) = country_code(t) {
            party.address.country = Some(ctx.value(code.to_string(), t, *seg, confidence * 0.95));
            break;
        }
        if let Some((country, postal, mut city)) = postal_city(t) {
            let mut city_seg = *seg;
            // "Leeds" over "LS1 4DY": the line above the code is the city.
            if city.is_empty() {
                match street_lines.pop() {
                    Some((s, above)) if !above.chars().any(|c| c.is_ascii_digit()) => {
                        city = above;
                        city_seg = s;
                    }
                    Some(other) => street_lines.push(other),
                    None => {}
                }
            }
            if let Some(c) = country {
                party.address.country = Some(ctx.value(c, t, *seg, confidence * 0.9));
            }
            if let Some(state) = us_state(t) {
                party.address.country_subdivision =
                    Some(ctx.value(state, t, *seg, confidence * 0.9));
            }
            party.address.postal_code = Some(ctx.value(postal, t, *seg, confidence * 0.95));
            just_after_postal = true;
            if !city.is_empty() {
                let raw = ctx.segs[city_seg].seg.text.clone();
                party.address.city = Some(ctx.value(city, &raw, city_seg, confidence * 0.9));
            }
            continue;
        }
        // "Dimiliki: BANH MI CAFE SDN BHD": the owning company's line is no address line.
        let normalised = norm(t);
        let owner_line = OWNER_PHRASES.iter().any(|p| normalised.contains(p));
        let address_line = !is_identifier_line(t) && !is_registration_line(t) && !owner_line;
        // The region under the postal code and city ("SELANGOR D.E.", "KUALA LUMPUR."): a
        // line of words only, where the country would stand, set in capitals as the address
        // lines of a receipt are (a letterhead's "Amtsgericht München" under the city is no
        // region).
        if party.address.city.is_some() {
            let after_postal = std::mem::take(&mut just_after_postal);
            let words_only = t
                .chars()
                .all(|c| c.is_uppercase() || matches!(c, ' ' | '.' | ',' | '-'));
            if after_postal
                && address_line
                && words_only
                && t.split_whitespace().count() <= 4
                && party.address.country_subdivision.is_none()
            {
                let region = t.trim_end_matches([',', '.', ' ']).to_string();
                party.address.country_subdivision =
                    Some(ctx.value(region, t, *seg, confidence * 0.8));
            }
            continue;
        }
        // A registration number under a letterhead's name, an identifier line (VAT, phone,
        // web) and the owner's line are no part of its address.
        if street_lines.len() < 5 && address_line {
            street_lines.push((*seg, t.to_string()));
        }
    }
    // The model has three street lines: a fourth and fifth are kept on the third.
    if street_lines.len() > 3 {
        let rest: Vec<(usize, String)> = street_lines.split_off(2);
        let text = rest
            .iter()
            .map(|(_, t)| t.trim().trim_end_matches(',').to_string())
            .collect::<Vec<_>>()
            .join(", ");
        street_lines.push((rest[0].0, text));
    }
    let slots = [
        &mut party.address.line1,
        &mut party.address.line2,
        &mut party.address.line3,
    ];
    for ((seg, text), slot) in street_lines.into_iter().zip(slots) {
        *slot = Some(ctx.value(text.clone(), &text, seg, confidence * 0.85));
    }
}

fn is_identifier_line(t: &str) -> bool {
    let n = norm(t);
    // Stems ("tel" for "Telefon", "steuer" for "Steuernummer"), then whole words: "TVA"
    // starts a French VAT line, not "Tvardovskogo 12".
    let stem = [
        "gln", "ust", "vat", "tax", "steuer", "tel", "phone", "fax", "email", "e mail", "www",
        "iban", "bic",
    ]
    .iter()
    .any(|k| n.starts_with(k));
    let first_word = n.split(' ').next().unwrap_or_default();
    let word = [
        "gst", "sst", "mobile", "hp", "website", "web", "http", "https", "tva", "siret", "siren",
    ]
    .contains(&first_word);
    let known = stem || word;
    // "STORE: 40225409", "Site: 1046": a short key and a number, whatever the key says.
    // ("NO: 28, JALAN ASTANA 1C" is a street: its value has words.)
    let keyed_number = t.split_once(':').is_some_and(|(key, value)| {
        let letters = value.chars().filter(|c| c.is_alphabetic()).count();
        let digits = value.chars().filter(char::is_ascii_digit).count();
        (1..=3).contains(&key.split_whitespace().count()) && digits >= 4 && letters <= 2
    });
    known || keyed_number
}

/// "SETAPAK, 53000 KUALA LUMPUR.": a line whose end, after a comma, is the postal code and
/// city, split into the street part and that end.
fn postal_tail(t: &str) -> Option<(&str, &str)> {
    t.match_indices(',').find_map(|(at, _)| {
        let (head, tail) = (t[..at].trim(), t[at + 1..].trim());
        (!head.is_empty() && postal_city(tail).is_some()).then_some((head, tail))
    })
}

/// `80333 München`, `DE 80333 München`, `D-80333 München`, `1234 AB Amsterdam`,
/// `Fremont CA 94538`, `09-411 Płock`.
/// A British postcode, outward and inward part: "EH1 1YZ", "LS1 4DY", "SW1A 2AA", "M1 1AE".
fn is_uk_postcode(outward: &str, inward: &str) -> bool {
    let o: Vec<char> = outward.chars().collect();
    let i: Vec<char> = inward.chars().collect();
    let letters = o.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let inward_ok = i.len() == 3
        && i[0].is_ascii_digit()
        && i[1].is_ascii_uppercase()
        && i[2].is_ascii_uppercase();
    let outward_ok = (2..=4).contains(&o.len())
        && (1..=2).contains(&letters)
        && o.get(letters).is_some_and(char::is_ascii_digit)
        && o[letters + 1..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    inward_ok && outward_ok
}

/// The last word of an English street name ("Oak Avenue", "Main St."): a line ending so is a
/// street, whatever number starts it.
const STREET_TYPES: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "drive",
    "dr",
    "lane",
    "ln",
    "boulevard",
    "blvd",
    "way",
    "court",
    "ct",
    "place",
    "pl",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "terrace",
    "circle",
];

/// The first word of a street name in French, Spanish, Italian and Portuguese ("rue de la
/// Paix", "chemin de l'olive", "calle Mayor", "via Roma", "rua das Flores"): a number before
/// it is a house number, not a postal code.
const STREET_FIRST_WORDS: &[&str] = &[
    "rue",
    "chemin",
    "avenue",
    "av",
    "boulevard",
    "bd",
    "allée",
    "impasse",
    "route",
    "quai",
    "place",
    "calle",
    "avenida",
    "avda",
    "paseo",
    "plaza",
    "carrer",
    "via",
    "viale",
    "piazza",
    "corso",
    "strada",
    "rua",
    "travessa",
    "largo",
    "praça",
];

/// Whether `w` is `len` ASCII digits.
fn all_digits(w: &str, len: usize) -> bool {
    w.len() == len && w.chars().all(|c| c.is_ascii_digit())
}

/// The postal code and city of an address line (with the country when the line or the code
/// tells it). A British postcode may stand on its own line under the city: the city is then
/// empty, for the caller to take from the line above.
fn postal_city(t: &str) -> Option<(Option<String>, String, String)> {
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() < 2 {
        return None;
    }
    let n = words.len();
    if is_uk_postcode(words[n - 2], words[n - 1].trim_end_matches(',')) {
        let city = words[..n - 2]
            .join(" ")
            .trim_end_matches(',')
            .trim()
            .to_string();
        let code = format!("{} {}", words[n - 2], words[n - 1].trim_end_matches(','));
        return Some((Some("GB".to_string()), code, city));
    }
    // The postcode before the city, as forms print any code: "WC1N 3AR London".
    if n >= 3
        && is_uk_postcode(words[0], words[1])
        && words[2].chars().next().is_some_and(char::is_alphabetic)
    {
        let code = format!("{} {}", words[0], words[1]);
        return Some((Some("GB".to_string()), code, words[2..].join(" ")));
    }
    let mut i = 0;
    let mut country = None;
    let first = words[0];
    if first.len() == 2 && first.chars().all(|c| c.is_ascii_uppercase()) && words.len() >= 3 {
        country = Some(first.to_string());
        i = 1;
    }
    let mut code = words[i];
    if let Some((prefix, rest)) = code.split_once('-')
        && prefix.len() <= 2
        && prefix.chars().all(|c| c.is_ascii_uppercase())
    {
        if prefix.len() == 2 {
            country = Some(prefix.to_string());
        } else if prefix == "D" {
            country = Some("DE".to_string());
        }
        code = rest;
    }
    let digits = code.chars().filter(char::is_ascii_digit).count();
    // Brazil's CEP: "01310-100".
    let cep = code
        .split_once('-')
        .is_some_and(|(a, b)| all_digits(a, 5) && all_digits(b, 3));
    let code_ok = cep
        || ((4..=6).contains(&digits)
            && code.chars().all(|c| c.is_ascii_digit() || c == '-')
            && code.len() <= 7);
    // Czech, Slovak, Swedish and Greek codes are written in two groups: "602 00 Brno".
    let grouped = all_digits(code, 3)
        && words.get(i + 1).is_some_and(|w| all_digits(w, 2))
        && words.len() > i + 2;
    if (code_ok || grouped) && i + 1 < words.len() {
        // Dutch postcodes: "1234 AB"; two groups of digits.
        let dutch = words
            .get(i + 1)
            .is_some_and(|w| w.len() == 2 && w.chars().all(|c| c.is_ascii_uppercase()))
            && digits == 4
            && words.len() > i + 2;
        let (code, city_start) = if grouped || dutch {
            (format!("{} {}", code, words[i + 1]), i + 2)
        } else {
            (code.to_string(), i + 1)
        };
        let city = words[city_start..].join(" ");
        // "1410 Oak Avenue", "1242 chemin de l'olive": a house number before a street, not a
        // postal code before a city.
        let street = words[city_start..]
            .last()
            .is_some_and(|w| STREET_TYPES.contains(&norm(w).as_str()))
            || words
                .get(city_start)
                .is_some_and(|w| STREET_FIRST_WORDS.contains(&norm(w).as_str()));
        if city.chars().next().is_some_and(char::is_alphabetic) && !street {
            return Some((country, code, city));
        }
    }
    // US: "City, ST 12345" (or "ST 12345" under the city's line); a state code tells the
    // country.
    if let Some(state) = us_state(t) {
        let city = words[..n - 2]
            .join(" ")
            .trim_end_matches(',')
            .trim()
            .to_string();
        let country = US_STATES
            .contains(&state.as_str())
            .then(|| "US".to_string());
        return Some((country, words[n - 1].to_string(), city));
    }
    None
}

/// The postal abbreviations of the states of the United States (and DC).
const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
];

/// The state of a US address line ending "ST 12345" or "ST 12345-6789".
fn us_state(t: &str) -> Option<String> {
    let words: Vec<&str> = t.split_whitespace().collect();
    let n = words.len();
    // A ZIP code is five digits, or ZIP+4 with its dash: "DE 636405252" is a German VAT id
    // read with a space, not Delaware.
    let zip = |w: &str| match w.split_once('-') {
        Some((five, four)) => all_digits(five, 5) && all_digits(four, 4),
        None => all_digits(w, 5),
    };
    (n >= 2
        && zip(words[n - 1])
        && words[n - 2].len() == 2
        && words[n - 2].chars().all(|c| c.is_ascii_uppercase()))
    .then(|| words[n - 2].to_string())
}

/// VAT ids anywhere, checksum-validated; returns (segment, id) in reading order.
fn vat_ids(ctx: &Ctx<'_>) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, s) in ctx.segs.iter().enumerate() {
        for start in 0..s.words.len() {
            let mut compact = String::new();
            for w in s.words[start..].iter().take(4) {
                compact.push_str(w.trim_matches(|c: char| matches!(c, ',' | ';' | ')' | '(')));
                if compact.len() >= 8
                    && compact
                        .get(..2)
                        .is_some_and(|p| p.chars().all(|c| c.is_ascii_uppercase()))
                    && let Ok(v) = VatId::parse(&compact)
                {
                    if !out.iter().any(|(_, x)| x == v.as_str()) {
                        out.push((i, v.as_str().to_string()));
                    }
                    break;
                }
            }
        }
    }
    out
}

fn in_block(block: &[usize], seg: usize) -> bool {
    block.contains(&seg)
}

pub(crate) fn read_parties(ctx: &Ctx<'_>, inv: &mut Invoice, warnings: &mut Vec<String>) {
    // On a receipt "Sold by: BDL187 MUHAMMAD SHAFIK" names the salesperson by staff code,
    // not the shop: such a label names no seller.
    let seller_hit = ctx.hits_of(LabelKind::Seller).find(|h| {
        ctx.segs[h.at].page == 1
            && party_lines(ctx, h)
                .lines
                .first()
                .is_none_or(|(_, name)| !is_staff_member(name))
    });
    let buyer_hit = ctx
        .hits_of(LabelKind::Buyer)
        .find(|h| ctx.segs[h.at].page == 1 && h.label.tokens >= 1);
    let mut buyer_block = Vec::new();
    if let Some(hit) = buyer_hit {
        let block = party_lines(ctx, hit);
        buyer_block = block.lines.iter().map(|(j, _)| *j).collect();
        buyer_block.extend(block.parts.iter().map(|(_, j, _)| *j));
        fill_party(ctx, &block.lines, &mut inv.buyer, 0.8);
        fill_parts(ctx, &block.parts, &mut inv.buyer, 0.8);
    }
    // An address block where an envelope window shows the addressee. It is the addressee
    // when something else names the sender: a seller label, the return-address line over
    // the window, or a company named outside it (the letterhead, the footer's legal
    // details). With nothing else, which party it is stays open.
    // A labelled buyer is the addressee already; the window zone is then someone else's.
    let window = buyer_hit.is_none().then(|| window_block(ctx)).flatten();
    let mut sender: Option<(usize, String)> = None;
    let mut window_is_uncertain = false;
    if let Some(block) = &window {
        sender = sender_line(ctx, block[0]);
        let named_elsewhere =
            seller_hit.is_some() || sender.is_some() || company_outside(ctx, block, &buyer_block);
        if named_elsewhere {
            let lines: Vec<(usize, String)> = block
                .iter()
                .map(|&j| (j, ctx.segs[j].seg.text.clone()))
                .collect();
            fill_party(ctx, &lines, &mut inv.buyer, 0.75);
            buyer_block.extend(block.iter().copied());
        } else {
            window_is_uncertain = true;
        }
    }
    if let Some(hit) = seller_hit {
        let block = party_lines(ctx, hit);
        fill_party(ctx, &block.lines, &mut inv.seller, 0.85);
        fill_parts(ctx, &block.parts, &mut inv.seller, 0.85);
    }
    if inv.seller.name.is_none() {
        guess_seller_name(ctx, inv, &buyer_block);
        // The return-address line over the window names the sender in its first part.
        if inv.seller.name.as_ref().is_none_or(|n| n.confidence < 0.75)
            && let Some((seg, name)) = &sender
        {
            inv.seller = Party::default();
            fill_party(ctx, &[(*seg, name.clone())], &mut inv.seller, 0.85);
        }
        // A weak guess (no label, no legal form) gives way to the named payee.
        if inv.seller.name.as_ref().is_none_or(|n| n.confidence < 0.75)
            && let Some((seg, name)) = payee_name(ctx)
            && !in_block(&buyer_block, seg)
        {
            inv.seller = Party::default();
            fill_party(ctx, &[(seg, name)], &mut inv.seller, 0.7);
        }
    }
    // The company owning the shop is the seller; the shop's name on top its trading name.
    if inv
        .seller
        .name
        .as_ref()
        .is_none_or(|n| !has_legal_form(&n.value))
        && let Some((seg, owner)) = owner_name(ctx)
        && !in_block(&buyer_block, seg)
        && inv
            .seller
            .name
            .as_ref()
            .is_none_or(|n| norm(&n.value) != norm(&owner))
    {
        let raw = ctx.segs[seg].seg.text.clone();
        inv.seller.trading_name = inv.seller.name.take();
        inv.seller.name = Some(ctx.value(owner, &raw, seg, 0.8));
    }
    let taken_from_window = window_is_uncertain
        && window.as_ref().is_some_and(|b| {
            inv.seller
                .name
                .as_ref()
                .and_then(|n| n.bbox)
                .is_some_and(|bbox| b.iter().any(|&j| ctx.segs[j].seg.bbox == bbox))
        });
    let same_name = match (&inv.seller.name, &inv.buyer.name) {
        (Some(s), Some(b)) => norm(&s.value) == norm(&b.value),
        _ => false,
    };
    if taken_from_window || same_name {
        if let Some(n) = inv.seller.name.as_mut() {
            n.confidence = n.confidence.min(0.5);
        }
        let name = inv.seller.name.as_ref().map_or("", |n| n.value.as_str());
        warnings.push(if same_name {
            format!("seller and buyer were both read as {name:?}: check which party is which")
        } else {
            format!(
                "the seller {name:?} was read from the address block where a window envelope shows the addressee, and nothing else on the page names the seller: check seller and buyer"
            )
        });
    }
    // The seller's entry in a company register, printed in the letterhead or the footer.
    if inv.seller.legal_registration_id.is_none()
        && let Some((seg, id)) = registration_id(ctx, &buyer_block)
    {
        let raw = ctx.segs[seg].seg.text.clone();
        inv.seller.legal_registration_id = Some(ctx.value(id, &raw, seg, 0.75));
    }
    // VAT ids: an id under a party's block is that party's; the others go to the seller in
    // reading order, outside the buyer's block.
    let seller_block = block_of(ctx, &inv.seller);
    let ids = vat_ids(ctx);
    for (seg, id) in &ids {
        let owner = owner_of(ctx, *seg, &seller_block, &buyer_block);
        let target = match owner {
            Some(Role::Buyer) => &mut inv.buyer,
            Some(Role::Seller) => &mut inv.seller,
            None if in_block(&buyer_block, *seg) => &mut inv.buyer,
            None => &mut inv.seller,
        };
        if target.vat_id.is_none() {
            target.vat_id = Some(ctx.value(id.clone(), id, *seg, 0.93));
        }
    }
    if inv.seller.vat_id.is_none() {
        for hit in ctx.hits_of(LabelKind::VatId) {
            if in_block(&buyer_block, hit.at)
                || owner_of(ctx, hit.at, &seller_block, &buyer_block) == Some(Role::Buyer)
            {
                continue;
            }
            let text = if hit.label.rest.is_empty() {
                ctx.right_of(hit.at).map(|r| ctx.segs[r].seg.text.clone())
            } else {
                Some(hit.label.rest.clone())
            };
            if let Some(t) = text {
                let compact: String = t.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                if compact.len() >= 8 && compact.chars().filter(char::is_ascii_digit).count() >= 7 {
                    inv.seller.vat_id = Some(ctx.value(compact, &t, hit.at, 0.75));
                    break;
                }
            }
        }
    }
    for hit in ctx.hits_of(LabelKind::TaxNumber) {
        if in_block(&buyer_block, hit.at) {
            continue;
        }
        let text = if hit.label.rest.is_empty() {
            ctx.right_of(hit.at).map(|r| ctx.segs[r].seg.text.clone())
        } else {
            Some(hit.label.rest.clone())
        };
        if let Some(t) = text.filter(|t| t.chars().filter(char::is_ascii_digit).count() >= 6) {
            inv.seller.tax_registration_id = Some(ctx.value(t.trim().to_string(), &t, hit.at, 0.8));
            break;
        }
    }
}

/// Where an envelope window shows the addressee, as fractions of the page height: DIN 5008
/// puts the window 27 or 45 mm from the top of an A4 sheet, and US #10 envelopes about two
/// inches down; the letterhead is above it.
const WINDOW_TOP: f32 = 0.09;
const WINDOW_BOTTOM: f32 = 0.40;

/// The address block in the envelope-window zone of page 1: a name line in the left half
/// that starts its column (nothing aligned right above it but a return-address line), the
/// lines aligned under it, and among them a postal code with a city or a country. The
/// segments of the block, name first.
fn window_block(ctx: &Ctx<'_>) -> Option<Vec<usize>> {
    let page = ctx.layout.pages.first()?;
    let (w, h) = (page.width, page.height);
    // A receipt's long strip of paper has no envelope window.
    if w < 0.5 * h {
        return None;
    }
    (0..ctx.segs.len()).find_map(|j| {
        let s = &ctx.segs[j];
        let b = s.seg.bbox;
        let in_zone = s.page == 1
            && b.y0 >= WINDOW_TOP * h
            && b.y0 <= WINDOW_BOTTOM * h
            && b.x0 < 0.45 * w
            && looks_like_a_name(&s.seg.text, s.seg.confidence)
            && !is_title(&s.seg.text)
            && !is_not_name(&s.seg.text)
            && !ctx.hits.iter().any(|hit| hit.at == j)
            // The return-address line over the window names the sender, not the addressee.
            && sender_parts(&s.seg.text).is_none();
        if !in_zone {
            return None;
        }
        let line_h = (b.y1 - b.y0).max(6.0);
        let aligned = |t: &super::Seg| t.page == 1 && (t.seg.bbox.x0 - b.x0).abs() < 6.0;
        // The line right above in the same column: then this is not the block's first line.
        let above = ctx.segs[..j].iter().enumerate().rev().find(|(_, t)| {
            aligned(t) && t.seg.bbox.y1 <= b.y0 && b.y0 - t.seg.bbox.y1 < 1.2 * line_h
        });
        if let Some((k, _)) = above
            && sender_parts(&ctx.segs[k].seg.text).is_none()
        {
            return None;
        }
        let mut block = vec![j];
        let mut last_y = b.y1;
        for (k, t) in ctx.segs.iter().enumerate().skip(j + 1) {
            if t.page != 1 || t.seg.bbox.y0 - last_y > 2.2 * line_h || block.len() >= 7 {
                break;
            }
            if aligned(t) && t.line != s.line {
                if ctx.hits.iter().any(|hit| hit.at == k) {
                    break;
                }
                block.push(k);
                last_y = t.seg.bbox.y1;
            }
        }
        let addressed = block.iter().skip(1).any(|&k| {
            let t = ctx.segs[k].seg.text.trim();
            postal_city(t).is_some() || country_code(t).is_some()
        });
        (block.len() >= 2 && addressed).then_some(block)
    })
}

/// A return-address line ("Muster GmbH · Hauptstr. 1 · 80333 München"): a name and an address
/// on one line, split by middle dots, bars, bullets, dashes or commas, one of the parts a
/// postal code with its city. Returns the parts.
fn sender_parts(text: &str) -> Option<Vec<String>> {
    // OCR reads the small middle dots and dashes between the parts as whatever mark is
    // nearest ("Mobilier Bonnet SAS . 35 rue des Lilas + 44000 Nantes"): a lone mark between
    // spaces separates parts too.
    let mut marked = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let lone_mark = word.chars().count() == 1
            && word
                .chars()
                .all(|c| !c.is_alphanumeric() && !matches!(c, '&' | '/' | '#'));
        marked.push_str(if lone_mark { "|" } else { word });
        marked.push(' ');
    }
    let parts: Vec<String> = marked
        .split(['·', '|', '•', '–', ','])
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    (parts.len() >= 3 && parts.iter().skip(1).any(|p| postal_city(p).is_some())).then_some(parts)
}

/// The return-address line right above the window block's first line: its first part names
/// the sender.
fn sender_line(ctx: &Ctx<'_>, first: usize) -> Option<(usize, String)> {
    let b = ctx.segs[first].seg.bbox;
    let line_h = (b.y1 - b.y0).max(6.0);
    let (k, above) = ctx.segs[..first].iter().enumerate().rev().find(|(_, t)| {
        t.page == 1 && t.seg.bbox.y1 <= b.y0 && b.y0 - t.seg.bbox.y1 < 2.5 * line_h
    })?;
    if (above.seg.bbox.x0 - b.x0).abs() > 20.0 {
        return None;
    }
    let name = sender_parts(&above.seg.text)?.into_iter().next()?;
    looks_like_a_name(&name, above.seg.confidence).then_some((k, name))
}

/// Whether a company (a line ending in a legal form) is named on page 1 outside the window
/// block and the buyer's block: the letterhead or the footer's legal details.
fn company_outside(ctx: &Ctx<'_>, block: &[usize], buyer_block: &[usize]) -> bool {
    ctx.segs.iter().enumerate().any(|(j, s)| {
        s.page == 1
            && !block.contains(&j)
            && !in_block(buyer_block, j)
            && has_legal_form(&s.seg.text)
            && !ctx.hits.iter().any(|h| h.at == j)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Seller,
    Buyer,
}

/// The segments a party's name and address were read from.
fn block_of(ctx: &Ctx<'_>, party: &Party) -> Vec<usize> {
    let a = &party.address;
    let placed: Vec<(u32, doxin_model::BBox)> = [
        &party.name,
        &a.line1,
        &a.line2,
        &a.line3,
        &a.city,
        &a.postal_code,
        &a.country,
    ]
    .into_iter()
    .filter_map(|f| f.as_ref().and_then(|e| Some((e.page?, e.bbox?))))
    .collect();
    (0..ctx.segs.len())
        .filter(|&j| {
            let s = &ctx.segs[j];
            placed.iter().any(|(p, b)| *p == s.page && *b == s.seg.bbox)
        })
        .collect()
}

/// The party whose block an identifier's line stands under: walking up at most six lines
/// from it, the first line with a segment of either block aligned with one of the
/// identifier line's segments, or a party label, decides. ("USt.-Id.-Nr.: DE…" under the
/// buyer's address is the buyer's, whatever comes first in reading order.)
fn owner_of(ctx: &Ctx<'_>, seg: usize, seller: &[usize], buyer: &[usize]) -> Option<Role> {
    let s = &ctx.segs[seg];
    // The identifier's own segment, and its label when that stands alone in the column to
    // its left ("USt-IdNr.:      DE…"). Not the whole line: beside a buyer's block the
    // seller's id may stand on the same line, under the seller's block.
    let mut anchors = vec![s.seg.bbox.x0];
    if let Some(left) = (0..ctx.segs.len())
        .filter(|&k| {
            let o = &ctx.segs[k];
            o.page == s.page && o.line == s.line && o.seg.bbox.x1 <= s.seg.bbox.x0
        })
        .max_by(|&a, &b| ctx.segs[a].seg.bbox.x1.total_cmp(&ctx.segs[b].seg.bbox.x1))
        && ctx
            .hits
            .iter()
            .any(|h| h.at == left && h.label.kind == LabelKind::VatId && h.label.rest.is_empty())
    {
        anchors.push(ctx.segs[left].seg.bbox.x0);
    }
    let aligned = |k: usize| {
        anchors
            .iter()
            .any(|x| (ctx.segs[k].seg.bbox.x0 - x).abs() < 25.0)
    };
    for up in 1..=6 {
        let Some(line) = s.line.checked_sub(up) else {
            break;
        };
        let on_line = (0..seg).filter(|&k| ctx.segs[k].page == s.page && ctx.segs[k].line == line);
        for k in on_line {
            if !aligned(k) {
                continue;
            }
            if buyer.contains(&k) {
                return Some(Role::Buyer);
            }
            if seller.contains(&k) {
                return Some(Role::Seller);
            }
            match ctx.hits.iter().find(|h| h.at == k).map(|h| h.label.kind) {
                Some(LabelKind::Buyer) => return Some(Role::Buyer),
                Some(LabelKind::Seller) => return Some(Role::Seller),
                _ => {}
            }
        }
    }
    None
}

/// No seller label: the first company-like line on page 1 outside the buyer's block, else the
/// topmost text line.
fn guess_seller_name(ctx: &Ctx<'_>, inv: &mut Invoice, buyer_block: &[usize]) {
    let candidates: Vec<usize> = ctx
        .segs
        .iter()
        .enumerate()
        .filter(|(j, s)| {
            s.page == 1
                && !in_block(buyer_block, *j)
                // "YONG SOON FATT S/B (81497-F)": judged without its registration number.
                && looks_like_a_name(strip_registration(&s.seg.text), name_confidence(ctx, *j))
                && !is_title(&s.seg.text)
                && !is_not_name(&s.seg.text)
                && !is_key(ctx, *j)
                && !ctx.hits.iter().any(|h| h.at == *j)
        })
        .map(|(j, _)| j)
        .collect();
    // A company line near the top is the letterhead; one in the footer may be anybody's.
    let page_h = ctx.layout.pages.first().map_or(f32::MAX, |p| p.height);
    let top = |j: usize| ctx.segs[j].seg.bbox.y0 < 0.4 * page_h;
    let legal = candidates
        .iter()
        .copied()
        .filter(|&j| has_legal_form(&ctx.segs[j].seg.text));
    let best = legal
        .clone()
        .find(|&j| top(j))
        .or_else(|| legal.clone().next());
    if let Some(j) = best {
        let mut t = ctx.segs[j].seg.text.trim().to_string();
        // "Own by: CHEF LEE SDN BHD": the company is the value after the key.
        if let Some((_, after)) = t.rsplit_once(':')
            && has_legal_form(after)
        {
            t = after.trim().to_string();
        }
        if let Some(above) = line_above(ctx, j) {
            t = format!("{above} {t}");
        }
        let mut lines = vec![(j, t)];
        lines.extend(following_lines(ctx, j));
        // The letterhead's company named again elsewhere (the sender line over the address
        // window, the footer with the legal details) is two placements agreeing on who sent it.
        let confidence = if named_again(ctx, j, buyer_block) {
            0.9
        } else {
            0.75
        };
        fill_party(ctx, &lines, &mut inv.seller, confidence);
        return;
    }
    // No company form anywhere: the first name line, unless it stands alone (a logo's text, a
    // slogan) and a name with an address under it follows.
    // (A street line has digits and an address under it too: names have none.)
    let addressed = |j: usize| {
        !ctx.segs[j].seg.text.chars().any(|c| c.is_ascii_digit())
            && following_lines(ctx, j).iter().any(|(_, t)| {
                let t = t.trim();
                postal_city(t).is_some() || country_code(t).is_some()
            })
    };
    // Alone: nothing on the next two lines under it (a centred receipt header has its
    // address lines under it, however they are aligned).
    let lone = |j: usize| ctx.below(j, 2).is_empty();
    let pick = match candidates.first() {
        Some(&first) if lone(first) => candidates
            .iter()
            .copied()
            .find(|&j| addressed(j))
            .or(Some(first)),
        first => first.copied(),
    };
    if let Some(j) = pick {
        let mut t = ctx.segs[j].seg.text.trim().to_string();
        let mut below = following_lines(ctx, j);
        if let Some(more) = name_continued(&t, &below) {
            t = format!("{t} {more}");
            below.remove(0);
        }
        let mut lines = vec![(j, t)];
        lines.extend(below);
        fill_party(ctx, &lines, &mut inv.seller, 0.5);
    }
}

/// The second line of a name set on two lines ("RESTAURANT JIAWEI" over "JIAWEI HOUSE",
/// "TSH POWER HARDWARE" over "TRADING"): a short line of letters in the name's case right
/// under it, followed by the registration number that closes a letterhead's name block. An
/// address line without digits ("TAMAN SEJATI,") has the address, not a number, under it.
fn name_continued(name: &str, below: &[(usize, String)]) -> Option<String> {
    let [(_, next), (_, after), ..] = below else {
        return None;
    };
    // OCR adds a stray colon to a word standing alone ("TRADING :").
    let next = next.trim().trim_end_matches([':', ' ']);
    // Set in capitals, or not: by most of the letters, as OCR lowers one now and then.
    let capitals = |s: &str| {
        let (upper, all) = s
            .chars()
            .filter(|c| c.is_alphabetic())
            .fold((0, 0), |(u, a), c| {
                (u + usize::from(c.is_uppercase()), a + 1)
            });
        upper * 5 >= all * 4
    };
    let ok = (1..=3).contains(&next.split_whitespace().count())
        && next.chars().filter(|c| c.is_alphabetic()).count() >= 3
        && next
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '&' | '-' | '\''))
        && capitals(next) == capitals(name)
        // "FACE TO FACE NOODLE HOUSE" over "FTOF NOODLE HOUSE": a line ending as the name
        // does is the name again in another form, not its second half.
        && next.split_whitespace().last().map(str::to_lowercase)
            != name.split_whitespace().last().map(str::to_lowercase)
        && !is_title(next)
        && !is_not_name(next)
        && !is_identifier_line(next)
        && postal_city(next).is_none()
        && country_code(next).is_none()
        && is_registration_line(after);
    ok.then(|| next.to_string())
}

/// A line that is only a company's registration number: "002693074-K", "(124525-H)",
/// "Co-REG:860571-D", "BR No.: 0195932-X", "Company No. 12240135".
fn is_registration_line(t: &str) -> bool {
    let inner = t.trim().trim_matches(['(', ')', '[', ']', ' ']);
    let digits = inner.chars().filter(char::is_ascii_digit).count();
    let letters = inner.chars().filter(|c| c.is_alphabetic()).count();
    // "002693074-K", "JM0325956-V": one token of digits with a letter or few.
    if digits >= 5 && letters * 2 <= digits && !inner.contains(' ') || digits >= 5 && letters <= 2 {
        return true;
    }
    let n = norm(inner);
    digits >= 4
        && (REGISTER_PHRASES.iter().any(|p| n.starts_with(p))
            || ["co reg", "co no", "br no", "reg no", "roc no", "ssm"]
                .iter()
                .any(|p| n.starts_with(p)))
}

/// Whether a segment is the key of a "key: value" line ("Nummer      : 549910"), its colon
/// at its end or starting the next column.
fn is_key(ctx: &Ctx<'_>, j: usize) -> bool {
    ctx.segs[j].seg.text.trim_end().ends_with(':')
        || ctx
            .right_of(j)
            .is_some_and(|r| ctx.segs[r].seg.text.starts_with(':'))
}

/// Whether the company name of segment `j` appears in another segment outside the buyer's
/// block (as a whole word sequence, case and spacing aside).
fn named_again(ctx: &Ctx<'_>, j: usize, buyer_block: &[usize]) -> bool {
    let name = norm(strip_registration(&ctx.segs[j].seg.text));
    if name.chars().filter(|c| c.is_alphanumeric()).count() < 4 {
        return false;
    }
    ctx.segs.iter().enumerate().any(|(k, s)| {
        k != j
            && !in_block(buyer_block, k)
            && format!(" {} ", norm(&s.seg.text)).contains(&format!(" {name} "))
    })
}

/// Phrases a company's register number follows ("Registered in England and Wales No.
/// 12240135", "Company No. SC123456", "KvK 22189276", "SIRET : 99999999800010").
const REGISTER_PHRASES: &[&str] = &[
    "registered in england and wales no",
    "registered in england and wales",
    "registered in scotland no",
    "company registration number",
    "company registration no",
    "company reg no",
    "company number",
    "company no",
    "registration number",
    "registration no",
    "handelsregisternummer",
    "registernummer",
    "kvk nummer",
    "kvk nr",
    "kvk",
    "siret",
    "siren",
];

/// The seller's register number outside the buyer's block: after a register phrase, the
/// German court register's "HRB 190878", or the French "RCS Lyon 709 478 408" (digit groups
/// joined).
fn registration_id(ctx: &Ctx<'_>, buyer_block: &[usize]) -> Option<(usize, String)> {
    let digits = |w: &str| w.chars().filter(char::is_ascii_digit).count();
    for (i, s) in ctx.segs.iter().enumerate() {
        if in_block(buyer_block, i) {
            continue;
        }
        let words: Vec<&str> = s
            .seg
            .text
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')')))
            .filter(|w| !w.is_empty())
            .collect();
        let lower: Vec<String> = words.iter().map(|w| norm(w)).collect();
        for k in 0..words.len() {
            // "HRB 190878", "HRA 4711 B".
            if matches!(lower[k].as_str(), "hrb" | "hra")
                && let Some(n) = words.get(k + 1).filter(|w| digits(w) >= 3)
            {
                return Some((i, format!("{} {n}", words[k].to_uppercase())));
            }
            // "RCS Lyon 709 478 408": the city, then nine digits, maybe in groups.
            if lower[k] == "rcs" {
                let number: String = words[k + 1..]
                    .iter()
                    .skip_while(|w| digits(w) == 0)
                    .take_while(|w| w.chars().all(|c| c.is_ascii_digit()))
                    .copied()
                    .collect();
                if number.len() == 9 {
                    return Some((i, number));
                }
            }
            for phrase in REGISTER_PHRASES {
                let len = phrase.split(' ').count();
                if k + len > words.len() || lower[k..k + len].join(" ") != *phrase {
                    continue;
                }
                // Skip "No.", "Nr.", "number" and a colon; the number may come in digit groups.
                let rest: Vec<&str> = words[k + len..]
                    .iter()
                    .skip_while(|w| matches!(norm(w).as_str(), "no" | "nr" | "number" | ""))
                    .copied()
                    .collect();
                let Some(first) = rest.first().filter(|w| digits(w) >= 2) else {
                    continue;
                };
                let mut id = first.to_string();
                if first.chars().all(|c| c.is_ascii_digit()) {
                    for w in &rest[1..] {
                        if !w.chars().all(|c| c.is_ascii_digit()) || id.len() >= 14 {
                            break;
                        }
                        id.push_str(w);
                    }
                }
                if digits(&id) >= 5 {
                    return Some((i, id));
                }
            }
        }
    }
    None
}

/// A person named after a staff code ("BDL187 MUHAMMAD SHAFIK", "S1023 Lee"): the first word
/// mixes letters with at least two digits, a name follows, and no company form ends it.
fn is_staff_member(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some(code) = words
        .first()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
    else {
        return false;
    };
    let digits = code.chars().filter(char::is_ascii_digit).count();
    let letters = code.chars().filter(|c| c.is_alphabetic()).count();
    code.len() >= 4
        && digits >= 2
        && letters >= 1
        && words[1..]
            .iter()
            .any(|w| w.chars().all(char::is_alphabetic))
        && !has_legal_form(text)
}

/// Phrases naming the company behind a shop or brand ("Dimiliki: … SDN BHD" on a Malaysian
/// receipt): with a company form, that company is the seller and the shop its trading name.
const OWNER_PHRASES: &[&str] = &[
    "owned by",
    "operated by",
    "a brand of",
    "a division of",
    "dimiliki oleh",
    "dimiliki",
    "betrieben von",
    "eine marke der",
    "exploité par",
    "operado por",
    "gestito da",
];

/// Phrases naming who is to be paid: the bank account's holder or the payee is the seller.
const PAYEE_PHRASES: &[&str] = &[
    "account holder",
    "account name",
    "beneficiary",
    "payable to",
    "payment received by",
    "paid to",
    "in favor of",
    "in favour of",
    "kontoinhaber",
    "zahlungsempfänger",
    "titulaire du compte",
    "rekeninghouder",
    "ten name van",
    "titular de la cuenta",
    "beneficiario",
    "intestatario",
    "intestato a",
];

/// The payee named after a payee phrase.
fn payee_name(ctx: &Ctx<'_>) -> Option<(usize, String)> {
    named_after(ctx, PAYEE_PHRASES, |t| {
        looks_like_a_name(t, 1.0) && !t.chars().any(|c| c.is_ascii_digit())
    })
}

/// The company an owner phrase names, without its registration number, when it carries a
/// company form.
fn owner_name(ctx: &Ctx<'_>) -> Option<(usize, String)> {
    let company = |t: &str| -> Option<String> {
        let mut name = strip_registration(t).to_string();
        // "… SDN BHD 1110644-W": a registration number may also follow without brackets.
        if let Some((head, last)) = name.rsplit_once(' ')
            && last.chars().filter(char::is_ascii_digit).count() >= 4
        {
            name = head.trim_end().to_string();
        }
        if ctx.source == doxin_model::Source::Ocr {
            name = repair_ocr_name(&name);
        }
        (looks_like_a_name(&name, 1.0) && has_legal_form(&name)).then_some(name)
    };
    named_after(ctx, OWNER_PHRASES, |t| company(t).is_some())
        .and_then(|(seg, t)| Some((seg, company(&t)?)))
}

/// The name after one of `phrases`: the rest of its segment up to the next separator, else
/// the next column, else the line below — the first of them that is `plausible`.
fn named_after(
    ctx: &Ctx<'_>,
    phrases: &[&str],
    plausible: impl Fn(&str) -> bool,
) -> Option<(usize, String)> {
    for (i, s) in ctx.segs.iter().enumerate() {
        let n = norm(&s.seg.text);
        let Some(phrase) = phrases
            .iter()
            .find(|p| n == **p || n.ends_with(&format!(" {p}")) || n.contains(&format!("{p} ")))
        else {
            continue;
        };
        // The rest of the segment after the phrase, in its original spelling.
        let words: Vec<&str> = s.seg.text.split_whitespace().collect();
        let after = (0..words.len()).find_map(|k| {
            let upto = norm(&words[..=k].join(" "));
            (upto == *phrase || upto.ends_with(&format!(" {phrase}")))
                .then(|| words[k + 1..].join(" "))
        });
        let cut = |t: &str| -> String {
            let t = t.trim_start_matches([':', '-', ' ']);
            let end = [" – ", " - ", " | ", " / ", ",", ";"]
                .iter()
                .filter_map(|sep| t.find(sep))
                .min()
                .unwrap_or(t.len());
            t[..end].trim().to_string()
        };
        if let Some(a) = after.map(|a| cut(&a)).filter(|a| plausible(a)) {
            return Some((i, a));
        }
        if let Some(r) = ctx.right_of(i) {
            let t = cut(&ctx.segs[r].seg.text);
            if plausible(&t) {
                return Some((r, t));
            }
        }
        if let Some(&b) = ctx.below(i, 1).first() {
            let t = cut(&ctx.segs[b].seg.text);
            if plausible(&t) {
                return Some((b, t));
            }
        }
    }
    None
}

/// How surely a segment's name was read: the mean confidence of its words (one doubtful
/// word does not make a line noise), leaving out a registration number after the name (OCR
/// reads "(81497-F)" badly, the name well).
fn name_confidence(ctx: &Ctx<'_>, j: usize) -> f32 {
    let s = &ctx.segs[j];
    let kept = strip_registration(&s.seg.text).split_whitespace().count();
    ctx.layout
        .pages
        .iter()
        .find(|p| p.number == s.page)
        .and_then(|p| p.lines.get(s.line))
        .and_then(|l| l.words.get(s.seg.words.clone()))
        .map_or(s.seg.confidence, |words| {
            let kept = &words[..kept.clamp(1, words.len().max(1)).min(words.len())];
            if kept.is_empty() {
                return s.seg.confidence;
            }
            kept.iter().map(|w| w.confidence).sum::<f32>() / kept.len() as f32
        })
}

/// Whether a line can be a name: mostly letters (OCR noise is not), read with some confidence.
fn looks_like_a_name(text: &str, confidence: f32) -> bool {
    let visible: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let letters = visible.iter().filter(|c| c.is_alphabetic()).count();
    letters >= 4 && letters * 10 >= visible.len() * 6 && confidence >= 0.45
}

/// The name line right above a company line ("MVM Musterhafter" over "Versicherungsverein
/// Musterstadt a.G."): same column, adjacent, letters only, not a label or title.
fn line_above(ctx: &Ctx<'_>, j: usize) -> Option<String> {
    let s = &ctx.segs[j];
    let h = (s.seg.bbox.y1 - s.seg.bbox.y0).max(6.0);
    // A line that is nothing but the legal form ("SDN BHD" under "PASARAYA BORONG PINTAR")
    // continues the name above it; on receipts both are centred, so only the centre lines up.
    let form_only = norm(&s.seg.text)
        .split(' ')
        .all(|w| LEGAL_FORMS.contains(&w));
    let centre = (s.seg.bbox.x0 + s.seg.bbox.x1) / 2.0;
    let (k, above) = ctx.segs.iter().enumerate().take(j).rev().find(|(_, t)| {
        t.page == s.page
            && t.line + 1 == s.line
            && ((t.seg.bbox.x0 - s.seg.bbox.x0).abs() < 8.0
                || (form_only && t.seg.bbox.x0 < centre && centre < t.seg.bbox.x1))
    })?;
    // A name set on two lines is set in one size: a heading over it ("Provider" in 12 points
    // over an 8-point name) is no part of it.
    let above_h = (above.seg.bbox.y1 - above.seg.bbox.y0).max(1.0);
    let ok = s.seg.bbox.y0 - above.seg.bbox.y1 < 0.8 * h
        && (0.75..=1.33).contains(&(above_h / (s.seg.bbox.y1 - s.seg.bbox.y0).max(1.0)))
        && !above.seg.text.chars().any(|c| c.is_ascii_digit())
        // "Note : payment to be made in favour of" is a sentence, not the first name line.
        && !above.seg.text.contains(':')
        && !ctx.hits.iter().any(|hit| hit.at == k)
        && !is_title(&above.seg.text)
        && !has_legal_form(&above.seg.text);
    ok.then(|| above.seg.text.trim().to_string())
}

/// Address lines under a name found without a label.
fn following_lines(ctx: &Ctx<'_>, j: usize) -> Vec<(usize, String)> {
    let head = &ctx.segs[j];
    let h = head.seg.bbox;
    // A letterhead may be set flush left, flush right or centred: a line below belongs to
    // the block when it shares the name's left edge, or (with the name not at the left
    // margin of the page, where every line starts) its right edge or its centre.
    let page_w = ctx
        .layout
        .pages
        .iter()
        .find(|p| p.number == head.page)
        .map_or(f32::MAX, |p| p.width);
    // A receipt's name is centred and may be nearly as wide as the paper: centred, it is
    // set apart from the margin as an indented one is.
    let centred = ((h.x0 + h.x1) / 2.0 - page_w / 2.0).abs() < 0.1 * page_w && h.x0 > 0.05 * page_w;
    let indented = h.x0 > 0.2 * page_w || centred;
    let aligned = |b: doxin_model::BBox| {
        (b.x0 - h.x0).abs() <= 15.0
            || (indented
                && ((b.x1 - h.x1).abs() <= 15.0
                    || ((b.x0 + b.x1) / 2.0 - (h.x0 + h.x1) / 2.0).abs() <= 15.0))
    };
    let mut out = Vec::new();
    let mut last = head.line;
    for (k, s) in ctx.segs.iter().enumerate().skip(j + 1) {
        if s.page != head.page || s.line > last + 1 || out.len() >= 5 {
            break;
        }
        if s.line == head.line || !aligned(s.seg.bbox) {
            continue;
        }
        out.push((k, s.seg.text.clone()));
        last = s.line;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_codes_and_cities() {
        assert_eq!(
            postal_city("80333 München"),
            Some((None, "80333".into(), "München".into()))
        );
        assert_eq!(
            postal_city("DE 80333 München"),
            Some((Some("DE".into()), "80333".into(), "München".into()))
        );
        assert_eq!(
            postal_city("D-80333 München"),
            Some((Some("DE".into()), "80333".into(), "München".into()))
        );
        assert_eq!(
            postal_city("1234 AB Amsterdam"),
            Some((None, "1234 AB".into(), "Amsterdam".into()))
        );
        assert_eq!(
            postal_city("Fremont CA 94538"),
            Some((Some("US".into()), "94538".into(), "Fremont".into()))
        );
        assert_eq!(
            postal_city("Chicago, IL 60601-1234"),
            Some((Some("US".into()), "60601-1234".into(), "Chicago".into()))
        );
        // The state and ZIP code alone, under the city's line.
        assert_eq!(
            postal_city("TX 78701"),
            Some((Some("US".into()), "78701".into(), String::new()))
        );
        assert_eq!(postal_city("Lieferantenstraße 20"), None);
        // An American house number is no postal code.
        assert_eq!(postal_city("1410 Oak Avenue"), None);
        assert_eq!(postal_city("2500 Main St."), None);
    }

    #[test]
    fn identifier_lines_are_no_street_lines() {
        for line in [
            "TVA : FR11999999998 - SIRET : 99999999800010",
            "http://www.aubonmoulin.fr",
            "GST Reg No : 000154042368",
            "STORE: 40225409",
            "Site: 1046",
        ] {
            assert!(is_identifier_line(line), "{line}");
        }
        assert!(!is_identifier_line("NO: 28, JALAN ASTANA 1C"));
        assert!(!is_identifier_line("Tvardovskogo 12"));
        assert!(is_registration_line("002693074-K"));
        assert!(is_registration_line("JM0325956-V"));
        assert!(!is_registration_line("13, JLN TASIK UTAMA 8"));
    }

    #[test]
    fn legal_forms_and_titles() {
        assert!(has_legal_form("Lieferant GmbH"));
        assert!(has_legal_form("ACME S.A."));
        assert!(has_legal_form("Amazon Web Services, Inc."));
        assert!(!has_legal_form("Office chairs"));
        assert!(is_title("INVOICE"));
        assert!(is_title("Tax Invoice"));
        assert!(!is_title("Invoiced goods ltd"));
        assert!(!has_legal_form("UNITAmt Exc. Amt Inc. GST"));
        assert!(has_legal_form("AMANO MALAYSIA SDN BHD (682288-V )"));
        assert_eq!(
            strip_registration("AMANO MALAYSIA SDN BHD (682288-V )"),
            "AMANO MALAYSIA SDN BHD"
        );
        assert_eq!(
            strip_registration("BEMED (SP) SDN BHD"),
            "BEMED (SP) SDN BHD"
        );
    }

    #[test]
    fn british_postcodes_with_or_without_their_city() {
        let read = postal_city;
        let gb = Some("GB".to_string());
        assert_eq!(
            read("Leeds LS1 4DY"),
            Some((gb.clone(), "LS1 4DY".into(), "Leeds".into()))
        );
        assert_eq!(
            read("SW1A 2AA"),
            Some((gb.clone(), "SW1A 2AA".into(), String::new()))
        );
        assert_eq!(
            read("Manchester M1 1AE"),
            Some((gb.clone(), "M1 1AE".into(), "Manchester".into()))
        );
        // A postcode before the city, as forms print every code.
        assert_eq!(
            read("WC1N 3AR London"),
            Some((gb, "WC1N 3AR".into(), "London".into()))
        );
        // Not postcodes: an inward part of digits, a reference, a German code stays German.
        assert_eq!(read("Order AB12 345"), None);
        assert_eq!(read("Ref 1AB 2CD"), None);
        assert_eq!(
            read("10115 Berlin"),
            Some((None, "10115".into(), "Berlin".into()))
        );
    }

    #[test]
    fn postal_codes_in_two_groups_and_brazilian_ceps_come_before_the_city() {
        let read = |t: &str| postal_city(t).map(|(_, code, city)| (code, city));
        assert_eq!(read("602 00 Brno"), Some(("602 00".into(), "Brno".into())));
        assert_eq!(
            read("114 55 Stockholm"),
            Some(("114 55".into(), "Stockholm".into()))
        );
        assert_eq!(
            read("01310-100 São Paulo"),
            Some(("01310-100".into(), "São Paulo".into()))
        );
        // A house number and a flat number before a street are no code.
        assert_eq!(read("221 12 Baker Street"), None);
    }

    #[test]
    fn a_state_needs_a_zip_code_of_five_digits_or_zip_plus_four() {
        assert_eq!(us_state("Austin, TX 78701"), Some("TX".to_string()));
        assert_eq!(us_state("Dover, DE 19901-1234"), Some("DE".to_string()));
        assert_eq!(us_state("DE 636405252"), None);
    }

    #[test]
    fn a_return_line_splits_at_the_marks_ocr_makes_of_its_dots() {
        assert_eq!(
            sender_parts("Mobilier Bonnet SAS . 35 rue des Lilas + 44000 Nantes"),
            Some(vec![
                "Mobilier Bonnet SAS".to_string(),
                "35 rue des Lilas".to_string(),
                "44000 Nantes".to_string()
            ])
        );
        // "&" joins a name; a name alone is no return line.
        assert_eq!(sender_parts("Smith & Sons Ltd"), None);
    }

    #[test]
    fn the_next_columns_key_run_into_a_value_is_no_part_of_it() {
        assert_eq!(
            without_next_key("Brightline Analytics Ltd Name:"),
            "Brightline Analytics Ltd"
        );
        assert_eq!(
            without_next_key("14 Harbour Road Post code:"),
            "14 Harbour Road"
        );
        assert_eq!(without_next_key("Ratio:"), "Ratio:");
        assert_eq!(without_next_key("Name:"), "Name:");
    }
}
