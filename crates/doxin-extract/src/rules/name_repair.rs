//! Putting back what OCR is known to break in a company's name.
//!
//! A shop's name is printed large and read once; unlike an amount, nothing else on the page
//! checks it. Three kinds of damage are undone here, each only where exactly one reading
//! remains:
//! - a legal form read as a word that does not exist ("SON BHD" for "SDN BHD");
//! - a letter read as a bracket, bar or digit inside a word ("BHPetro]", "D.1.Y.");
//! - a common trade word one letter off ("KESTAURANT", "HARDWERE"): a word of at least seven
//!   letters that is no trade word but differs from exactly one trade word in exactly one
//!   letter. Names are mostly proper names, which are left alone; the trade words around them
//!   ("restaurant", "pharmacy", "trading") are few and known.

use super::labels::norm;

/// Words of trade that shop and company names are made of, in the languages whose receipts
/// DoxIn reads (English, Malay, German, French, Spanish, Italian, Dutch). Only words of seven
/// letters or more are repaired: a shorter word has too many real neighbours one letter away
/// ("MARKEN" is a word, not "MARKET").
const TRADE_WORDS: &[&str] = &[
    // English
    "restaurant",
    "pharmacy",
    "hardware",
    "trading",
    "enterprise",
    "enterprises",
    "market",
    "supermarket",
    "minimarket",
    "hypermarket",
    "stationery",
    "bakery",
    "bakeries",
    "bookstore",
    "holdings",
    "industries",
    "industrial",
    "services",
    "service",
    "station",
    "petrol",
    "motors",
    "electrical",
    "electronics",
    "furniture",
    "kitchen",
    "noodle",
    "noodles",
    "confectionery",
    "printing",
    "medical",
    "clinic",
    "optical",
    "jewellery",
    "jewelry",
    "textile",
    "textiles",
    "boutique",
    "grocery",
    "travel",
    "transport",
    "logistics",
    "construction",
    "engineering",
    "technology",
    "technologies",
    "solutions",
    "marketing",
    "distribution",
    "distributors",
    "international",
    "corporation",
    "company",
    "management",
    "consulting",
    "garage",
    "automotive",
    "seafood",
    "beverage",
    "catering",
    "laundry",
    "florist",
    "stores",
    "centre",
    "center",
    "gallery",
    "personal",
    "hotel",
    "resort",
    "handicraft",
    "tailoring",
    "general",
    "supplies",
    "supply",
    "products",
    "machinery",
    "computer",
    "computers",
    "hospital",
    "dental",
    "fashion",
    "wholesale",
    "retail",
    "express",
    // Malay
    "restoran",
    "farmasi",
    "kedai",
    "perniagaan",
    "perusahaan",
    "pasaraya",
    "borong",
    "runcit",
    "makanan",
    "perkhidmatan",
    // German
    "apotheke",
    "bäckerei",
    "metzgerei",
    "gaststätte",
    "tankstelle",
    "handel",
    "getränke",
    "baumarkt",
    "buchhandlung",
    // French, Spanish, Italian, Dutch
    "pharmacie",
    "boulangerie",
    "librairie",
    "farmacia",
    "panadería",
    "ferretería",
    "ristorante",
    "trattoria",
    "panetteria",
    "apotheek",
    "bakkerij",
];

/// The name with OCR's known damage undone.
pub(crate) fn repair_ocr_name(name: &str) -> String {
    let words: Vec<String> = name.split_whitespace().map(letters_for_marks).collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(|n| norm(n)).unwrap_or_default();
        out.push(if next == "bhd" {
            malaysian_form(w)
        } else {
            trade_word(w)
        });
    }
    out.join(" ")
}

/// OCR reads "SDN BHD" (Malaysian Sendirian Berhad) as "SON BHD", "SAN BHD" or "SDN. BHD":
/// put back the only spelling that exists.
fn malaysian_form(word: &str) -> String {
    if matches!(norm(word).as_str(), "son" | "sdn" | "sdm" | "scn" | "san") {
        if word.chars().any(char::is_lowercase) {
            "Sdn".into()
        } else {
            "SDN".into()
        }
    } else {
        word.to_string()
    }
}

/// Marks read for letters inside a word: in lower case, a bracket, bar or exclamation mark
/// after a letter is the "l" it looks like ("BHPetro]" → "BHPetrol", "Cafe Ro|and"); in
/// initials ("D.1.Y.") a digit is the letter it looks like. In capitals a bar could be "I",
/// "L" or "J", so it is left as read.
fn letters_for_marks(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let letters = chars.iter().filter(|c| c.is_alphabetic()).count();
    // Initials: single characters each followed by a dot, at least two of them letters.
    let initials = chars.len() >= 4
        && chars.len().is_multiple_of(2)
        && chars
            .chunks(2)
            .all(|p| p[1] == '.' && p[0].is_alphanumeric())
        && letters >= 2;
    if initials {
        return chars
            .iter()
            .map(|&c| match c {
                '1' => 'I',
                '0' => 'O',
                '5' => 'S',
                '8' => 'B',
                c => c,
            })
            .collect();
    }
    if letters < 3 || chars.iter().any(char::is_ascii_digit) {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len());
    for (i, &c) in chars.iter().enumerate() {
        let thin = matches!(c, ']' | '[' | '|' | '!');
        let before = i.checked_sub(1).and_then(|k| chars.get(k)).copied();
        let after = chars.get(i + 1).copied();
        // A bracket that opens or closes a word in the name ("(M)", "[Outlet]") stays one.
        let paired = match c {
            ']' => chars[..i].contains(&'['),
            '[' => chars[i..].contains(&']'),
            _ => false,
        };
        let in_lower_case = before.is_some_and(char::is_lowercase)
            && after.is_none_or(|a| a.is_alphabetic() && !a.is_uppercase());
        out.push(if thin && in_lower_case && !paired {
            'l'
        } else {
            c
        });
    }
    out
}

/// A word one letter off exactly one trade word is that word, in the word's own case.
fn trade_word(word: &str) -> String {
    let lower = word.to_lowercase();
    let core: Vec<char> = lower.chars().collect();
    if core.len() < 7 || !core.iter().all(|c| c.is_alphabetic()) {
        return word.to_string();
    }
    if TRADE_WORDS.contains(&lower.as_str()) {
        return word.to_string();
    }
    let mut near = TRADE_WORDS.iter().filter(|t| {
        let t: Vec<char> = t.chars().collect();
        t.len() == core.len() && t.iter().zip(&core).filter(|(a, b)| a != b).count() == 1
    });
    let (Some(fix), None) = (near.next(), near.next()) else {
        return word.to_string();
    };
    in_case_of(fix, word)
}

/// `text` written in the case style of `like`: all capitals, capitalised, or lower case.
fn in_case_of(text: &str, like: &str) -> String {
    let letters: Vec<char> = like.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.iter().all(|c| c.is_uppercase()) {
        text.to_uppercase()
    } else if letters.first().is_some_and(|c| c.is_uppercase()) {
        let mut cs = text.chars();
        cs.next()
            .map(|f| f.to_uppercase().chain(cs).collect())
            .unwrap_or_default()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::repair_ocr_name;

    #[test]
    fn a_trade_word_one_letter_off_is_put_back() {
        assert_eq!(repair_ocr_name("KESTAURANT JIAWEI"), "RESTAURANT JIAWEI");
        assert_eq!(
            repair_ocr_name("Tan Hardwere Trading"),
            "Tan Hardware Trading"
        );
        // The name itself is left alone, and so is a word near two trade words or none.
        assert_eq!(repair_ocr_name("JIAWEI HOUSE"), "JIAWEI HOUSE");
        assert_eq!(repair_ocr_name("Mustermann Handel"), "Mustermann Handel");
        assert_eq!(repair_ocr_name("MARKEN"), "MARKEN");
        assert_eq!(repair_ocr_name("Stores Ltd"), "Stores Ltd");
    }

    #[test]
    fn marks_inside_a_word_are_the_letters_they_look_like() {
        assert_eq!(repair_ocr_name("BHPetro] Subang"), "BHPetrol Subang");
        assert_eq!(
            repair_ocr_name("MR. D.1.Y. (M) SDN BHD"),
            "MR. D.I.Y. (M) SDN BHD"
        );
        // Brackets around a word, numbers and prices stay as printed.
        assert_eq!(repair_ocr_name("Shop [Outlet 12]"), "Shop [Outlet 12]");
        assert_eq!(repair_ocr_name("Café |"), "Café |");
        assert_eq!(repair_ocr_name("Cafe Ro|and"), "Cafe Roland");
        assert_eq!(repair_ocr_name("SHEL] STATION"), "SHEL] STATION");
        assert_eq!(repair_ocr_name("7-Eleven 1.5."), "7-Eleven 1.5.");
    }

    #[test]
    fn a_misread_malaysian_form_is_spelt_out() {
        assert_eq!(repair_ocr_name("SUN WONG SON BHD"), "SUN WONG SDN BHD");
        assert_eq!(
            repair_ocr_name("Watson Personal San Bhd"),
            "Watson Personal Sdn Bhd"
        );
        assert_eq!(repair_ocr_name("SON OF MINE"), "SON OF MINE");
    }
}
