//! Dates as invoices print them: numeric (`05.03.2013`, `03/20/2023`, `2023-03-20`,
//! `20-03-23`) and written (`12 March 2026`, `March 12, 2026`, `12. März 2026`, `12 mars 2026`,
//! `12 maart 2026`, `12 de marzo de 2026`, `12 marzo 2026`, `10 de jun. de 2026`,
//! `29. července 2026`, `12-Mar-2026`). Whether `03/04`
//! is March 4 or April 3 is decided by evidence in the document (a day above 12 in either
//! position, or the language).

use chrono::NaiveDate;

/// Day-month order for ambiguous numeric dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayMonth,
    MonthDay,
}

const MONTHS: &[(&str, u32)] = &[
    // English
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    // German
    ("januar", 1),
    ("jänner", 1),
    ("februar", 2),
    ("märz", 3),
    ("maerz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    ("mär", 3),
    ("okt", 10),
    ("dez", 12),
    // French
    ("janvier", 1),
    ("février", 2),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("decembre", 12),
    ("janv", 1),
    ("févr", 2),
    ("fevr", 2),
    ("avr", 4),
    ("juil", 7),
    ("déc", 12),
    // Dutch
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("mei", 5),
    ("augustus", 8),
    ("mrt", 3),
    // Spanish
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("ene", 1),
    ("abr", 4),
    ("ago", 8),
    ("dic", 12),
    // Italian
    ("gennaio", 1),
    ("febbraio", 2),
    ("aprile", 4),
    ("maggio", 5),
    ("giugno", 6),
    ("luglio", 7),
    ("settembre", 9),
    ("ottobre", 10),
    ("dicembre", 12),
    ("gen", 1),
    ("mag", 5),
    ("giu", 6),
    ("lug", 7),
    ("set", 9),
    ("ott", 10),
    // Portuguese ("10 de jun. de 2026"; the rest are spelled as in Spanish or Italian)
    ("janeiro", 1),
    ("fevereiro", 2),
    ("março", 3),
    ("maio", 5),
    ("junho", 6),
    ("julho", 7),
    ("setembro", 9),
    ("outubro", 10),
    ("novembro", 11),
    ("dezembro", 12),
    ("fev", 2),
    ("out", 10),
    // Czech, nominative and genitive ("29. července 2026")
    ("leden", 1),
    ("ledna", 1),
    ("únor", 2),
    ("února", 2),
    ("březen", 3),
    ("března", 3),
    ("duben", 4),
    ("dubna", 4),
    ("květen", 5),
    ("května", 5),
    ("červen", 6),
    ("června", 6),
    ("červenec", 7),
    ("července", 7),
    ("srpen", 8),
    ("srpna", 8),
    ("září", 9),
    ("říjen", 10),
    ("října", 10),
    ("listopad", 11),
    ("listopadu", 11),
    ("prosinec", 12),
    ("prosince", 12),
    // Polish, nominative and genitive
    ("styczeń", 1),
    ("stycznia", 1),
    ("luty", 2),
    ("lutego", 2),
    ("marzec", 3),
    ("marca", 3),
    ("kwiecień", 4),
    ("kwietnia", 4),
    ("maj", 5),
    ("maja", 5),
    ("czerwiec", 6),
    ("czerwca", 6),
    ("lipiec", 7),
    ("lipca", 7),
    ("sierpień", 8),
    ("sierpnia", 8),
    ("wrzesień", 9),
    ("września", 9),
    ("październik", 10),
    ("października", 10),
    ("listopada", 11),
    ("grudzień", 12),
    ("grudnia", 12),
];

pub(crate) fn month_number(word: &str) -> Option<u32> {
    let w = word
        .trim_matches(|c: char| !c.is_alphabetic())
        .to_lowercase();
    MONTHS.iter().find(|(n, _)| *n == w).map(|(_, m)| *m)
}

fn year4(y: u32) -> Option<i32> {
    match y {
        0..=69 => Some(2000 + y as i32),
        70..=99 => Some(1900 + y as i32),
        1900..=2100 => Some(y as i32),
        _ => None,
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Splits `05.03.2013` / `03/20/23` / `2023-03-20` into three numbers, with the year position
/// told by its length.
fn numeric_parts(s: &str) -> Option<(Vec<u32>, Vec<usize>)> {
    let parts: Vec<&str> = s.split(['.', '/', '-']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4) {
        return None;
    }
    if !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let nums = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    Some((nums, parts.iter().map(|p| p.len()).collect()))
}

/// Which order a document's numeric dates use: a first field above 12 means day-month, a
/// second above 12 means month-day; otherwise the language's habit (`us_hint`).
pub fn detect_date_order<'a>(
    tokens: impl IntoIterator<Item = &'a str>,
    us_hint: bool,
) -> DateOrder {
    let (mut dm, mut md) = (0, 0);
    for t in tokens {
        let t = t.trim_matches(|c: char| !c.is_ascii_digit());
        if let Some((n, lens)) = numeric_parts(t)
            && lens[0] <= 2
            && lens[1] <= 2
        {
            if n[0] > 12 && n[1] <= 12 {
                dm += 1;
            } else if n[1] > 12 && n[0] <= 12 {
                md += 1;
            }
        }
    }
    match (dm, md) {
        (d, m) if d > m => DateOrder::DayMonth,
        (d, m) if m > d => DateOrder::MonthDay,
        _ if us_hint => DateOrder::MonthDay,
        _ => DateOrder::DayMonth,
    }
}

/// Parses a numeric date token.
pub fn parse_numeric_date(token: &str, order: DateOrder) -> Option<NaiveDate> {
    let t = token.trim_matches(|c: char| !c.is_ascii_digit());
    let (n, lens) = numeric_parts(t)?;
    if lens[0] == 4 {
        return ymd(n[0] as i32, n[1], n[2]);
    }
    if lens[2] != 4 && lens[2] != 2 {
        return None;
    }
    // Dots are European (day first) whatever the order elsewhere.
    let day_first = t.contains('.') || order == DateOrder::DayMonth;
    let y = year4(n[2])?;
    let (d, m) = if day_first {
        (n[0], n[1])
    } else {
        (n[1], n[0])
    };
    ymd(y, m, d).or_else(|| ymd(y, d, m))
}

/// Finds the first date in a piece of text (numeric or written), returning it with the
/// byte range it came from.
pub fn find_date(text: &str, order: DateOrder) -> Option<(NaiveDate, std::ops::Range<usize>)> {
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|w| {
            let start = w.as_ptr() as usize - text.as_ptr() as usize;
            (start, w)
        })
        .collect();
    for (i, &(start, w)) in words.iter().enumerate() {
        let clean = w.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')'));
        // A label glued to its date by OCR: "Date:07-06-16".
        let clean = clean.rsplit_once(':').map_or(clean, |(_, after)| after);
        if let Some(d) = parse_numeric_date(clean, order) {
            return Some((d, start..start + w.len()));
        }
        // A receipt prints its date beside the time; OCR may lose the separators there
        // ("25032018 13:11:54") or read one as a digit ("10103/2018 5:41:06"). The time is
        // what makes such a run of digits a date rather than a number.
        if words.get(i + 1).is_some_and(|(_, next)| is_time(next))
            && let Some(d) = date_with_misread_separators(clean, order)
        {
            return Some((d, start..start + w.len()));
        }
        // 12-Mar-2026 / 12.Mar.2026; between two numbers a month may be misread ("02/lan/2017").
        let dashed: Vec<&str> = clean.split(['-', '.', '/']).collect();
        if dashed.len() == 3
            && let (Ok(d), Some(m), Ok(y)) = (
                dashed[0].parse::<u32>(),
                month_number(dashed[1]).or_else(|| misread_month(dashed[1])),
                dashed[2].parse::<u32>(),
            )
            && let Some(date) = year4(y).and_then(|y| ymd(y, m, d))
        {
            return Some((date, start..start + w.len()));
        }
        // "29. 7. 2026": day and month each with its dot and a space after it (Czech,
        // Slovak, often German).
        if let [(_, m), (year_start, y), ..] = words[(i + 1).min(words.len())..]
            && let Some(date) = spaced_dotted_date(clean, m, y)
        {
            return Some((date, start..year_start + y.len()));
        }
        let window: Vec<&str> = words[i..words.len().min(i + 5)]
            .iter()
            .map(|(_, w)| *w)
            .collect();
        if let Some((date, used)) = written_date(&window) {
            let (last_start, last) = words[i + used - 1];
            return Some((date, start..last_start + last.len()));
        }
    }
    None
}

/// Every date in a piece of text, left to right, each with the byte range it came from.
pub fn find_dates(
    text: &str,
    order: DateOrder,
) -> impl Iterator<Item = (NaiveDate, std::ops::Range<usize>)> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let (date, r) = find_date(text.get(from..)?, order)?;
        let range = from + r.start..from + r.end;
        from = range.end;
        Some((date, range))
    })
}

/// `29.` `7.` `2026`: a day and a month each ending in its dot, then a four-digit year.
fn spaced_dotted_date(day: &str, month: &str, year: &str) -> Option<NaiveDate> {
    let part = |w: &str| {
        let digits = w.strip_suffix('.')?;
        ((1..=2).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<u32>().ok())
            .flatten()
    };
    let year = year.trim_end_matches([',', ';', ')']);
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ymd(year.parse().ok()?, part(month)?, part(day)?)
}

/// `13:11`, `5:41:06`, `12:56PM`: a clock time.
fn is_time(w: &str) -> bool {
    let w = w.trim_end_matches(|c: char| c.is_ascii_alphabetic() || matches!(c, ',' | ')'));
    let parts: Vec<&str> = w.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts[0].len() <= 2
        && parts[1..].iter().all(|p| p.len() == 2)
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0].parse::<u32>().is_ok_and(|h| h < 24)
        && parts[1..]
            .iter()
            .all(|p| p.parse::<u32>().is_ok_and(|m| m < 60))
}

/// Characters OCR reads for a thin separator stroke (`/`, `-`) that stands close to digits.
const SEPARATOR_LOOK_ALIKES: &[char] = &['1', 'l', 'I', '|', '7', 'i'];

/// A date whose separators OCR lost or misread: eight digits (`25032018` day-month-year,
/// `20180325` year-month-day), or `dd?mm?yyyy` / `dd?mm?yy` where one separator stands and the
/// other was read as a look-alike (`10103/2018`).
fn date_with_misread_separators(t: &str, order: DateOrder) -> Option<NaiveDate> {
    let chars: Vec<char> = t.chars().collect();
    if chars.len() == 8 && chars.iter().all(char::is_ascii_digit) {
        let n = |r: std::ops::Range<usize>| t[r].parse::<u32>().ok();
        let year_first = n(0..4)
            .filter(|y| (1900..=2100).contains(y))
            .and_then(|y| ymd(y as i32, n(4..6)?, n(6..8)?));
        return year_first.or_else(|| {
            parse_numeric_date(&format!("{}/{}/{}", &t[0..2], &t[2..4], &t[4..8]), order)
        });
    }
    if chars.len() != 8 && chars.len() != 10 {
        return None;
    }
    let is_sep = |c: char| matches!(c, '/' | '-' | '.');
    let (a, b) = (chars[2], chars[5]);
    let sep = match (is_sep(a), is_sep(b)) {
        (true, false) if SEPARATOR_LOOK_ALIKES.contains(&b) => a,
        (false, true) if SEPARATOR_LOOK_ALIKES.contains(&a) => b,
        _ => return None,
    };
    let mut fixed = chars;
    fixed[2] = sep;
    fixed[5] = sep;
    parse_numeric_date(&fixed.into_iter().collect::<String>(), order)
}

/// Letters OCR confuses with each other in month abbreviations.
const LOOK_ALIKE_LETTERS: &[&[char]] = &[
    &['i', 'l', 'j', '1', '|', '!'],
    &['o', '0'],
    &['s', '5'],
    &['b', '8'],
    &['g', '9', 'q'],
    &['u', 'v'],
    &['n', 'h'],
    &['c', 'e'],
];

/// A three-letter English month with one letter misread as a look-alike (`lan`, `0ct`, `Auq`),
/// when exactly one month reads so. Only used between a day and a year, which vouch for it.
fn misread_month(word: &str) -> Option<u32> {
    let w: Vec<char> = word.to_lowercase().chars().collect();
    if w.len() != 3 {
        return None;
    }
    let alike = |x: char, y: char| {
        x == y
            || LOOK_ALIKE_LETTERS
                .iter()
                .any(|c| c.contains(&x) && c.contains(&y))
    };
    let mut found = MONTHS[..12].iter().filter_map(|(name, m)| {
        let abbr: Vec<char> = name.chars().take(3).collect();
        let differing = abbr.iter().zip(&w).filter(|(a, b)| a != b).count();
        (differing == 1 && abbr.iter().zip(&w).all(|(a, b)| alike(*a, *b))).then_some(*m)
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

fn num(w: &str) -> Option<u32> {
    let digits_end = w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len());
    let (digits, suffix) = w.split_at(digits_end);
    let suffix_ok = matches!(
        suffix.to_lowercase().as_str(),
        "" | "." | "," | "er" | "st" | "nd" | "rd" | "th" | "º" | "°" | "th,"
    );
    (suffix_ok && !digits.is_empty() && digits.len() <= 4)
        .then(|| digits.parse().ok())
        .flatten()
}

/// `12 March 2026`, `12. März 2026`, `12 de marzo de 2026`, `March 12, 2026`; returns the
/// date and how many words it used.
fn written_date(w: &[&str]) -> Option<(NaiveDate, usize)> {
    let skip_de = |i: usize| -> usize {
        if w.get(i)
            .is_some_and(|x| x.eq_ignore_ascii_case("de") || x.eq_ignore_ascii_case("del"))
        {
            i + 1
        } else {
            i
        }
    };
    // day month year
    if let Some(d) = w
        .first()
        .and_then(|x| num(x))
        .filter(|d| (1..=31).contains(d))
    {
        let mi = skip_de(1);
        if let Some(m) = w.get(mi).and_then(|x| month_number(x)) {
            let yi = skip_de(mi + 1);
            if let Some(y) = w.get(yi).and_then(|x| num(x)).and_then(year4) {
                return ymd(y, m, d).map(|date| (date, yi + 1));
            }
        }
    }
    // month day, year — the comma may stand apart ("August 3 , 2014") when a text layer
    // or OCR puts a space before it.
    if let Some(m) = w.first().and_then(|x| month_number(x))
        && let Some(d) = w
            .get(1)
            .and_then(|x| num(x))
            .filter(|d| (1..=31).contains(d))
    {
        let yi = if w.get(2).is_some_and(|x| *x == ",") {
            3
        } else {
            2
        };
        if let Some(y) = w.get(yi).and_then(|x| num(x)).and_then(year4) {
            return ymd(y, m, d).map(|date| (date, yi + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid")
    }

    #[test]
    fn numeric_forms() {
        use DateOrder::*;
        assert_eq!(
            parse_numeric_date("05.03.2013", MonthDay),
            Some(d(2013, 3, 5))
        );
        assert_eq!(
            parse_numeric_date("03/20/2023", MonthDay),
            Some(d(2023, 3, 20))
        );
        assert_eq!(
            parse_numeric_date("2023-03-20", DayMonth),
            Some(d(2023, 3, 20))
        );
        assert_eq!(
            parse_numeric_date("20-03-23", DayMonth),
            Some(d(2023, 3, 20))
        );
        // An impossible reading falls back to the other order.
        assert_eq!(
            parse_numeric_date("03/20/2023", DayMonth),
            Some(d(2023, 3, 20))
        );
        assert_eq!(parse_numeric_date("31/02/2023", DayMonth), None);
        assert_eq!(parse_numeric_date("1234", DayMonth), None);
    }

    #[test]
    fn written_forms_in_nine_languages() {
        let o = DateOrder::DayMonth;
        let cases = [
            ("Date: 12 March 2026", d(2026, 3, 12)),
            ("on March 12, 2026.", d(2026, 3, 12)),
            ("vom 12. März 2026", d(2026, 3, 12)),
            ("le 1er mars 2026", d(2026, 3, 1)),
            ("12 maart 2026", d(2026, 3, 12)),
            ("12 de marzo de 2026", d(2026, 3, 12)),
            ("12 marzo 2026", d(2026, 3, 12)),
            ("Dated 12-Mar-2026", d(2026, 3, 12)),
            ("Jan 3, 2015", d(2015, 1, 3)),
            ("28 Jan 2015", d(2015, 1, 28)),
            ("Invoice Date: August 3 , 2014", d(2014, 8, 3)),
            ("Data de tributação: 25 de fev. de 2026", d(2026, 2, 25)),
            ("10 de outubro de 2026", d(2026, 10, 10)),
            ("V Praze dne 29. července 2026", d(2026, 7, 29)),
            ("Datum vystavení: 29. 7. 2026", d(2026, 7, 29)),
            ("Warszawa, 3 października 2026", d(2026, 10, 3)),
        ];
        for (text, want) in cases {
            assert_eq!(find_date(text, o).map(|(x, _)| x), Some(want), "{text}");
        }
        assert_eq!(find_date("no date here 12 34", o), None);
        assert_eq!(
            find_date("Date:07-06-16 10:21", o).map(|(x, _)| x),
            Some(d(2016, 6, 7))
        );
    }

    #[test]
    fn dates_beside_a_time_survive_misread_separators() {
        let o = DateOrder::DayMonth;
        let date = |t: &str| find_date(t, o).map(|(x, _)| x);
        assert_eq!(date("Date: 10103/2018 5:41:06 PM"), Some(d(2018, 3, 10)));
        assert_eq!(
            date("00440010036 25032018 13:11:54 0003"),
            Some(d(2018, 3, 25))
        );
        assert_eq!(date("20180325 13:11"), Some(d(2018, 3, 25)));
        assert_eq!(date("12-06l16 10:21"), Some(d(2016, 6, 12)));
        // Without a time beside it a run of digits or a numbered document is no date.
        assert_eq!(date("Order 25032018 shipped"), None);
        assert_eq!(date("Faktura 10103/2018"), None);
        // Nor is an impossible reading or a number that is not a time.
        assert_eq!(date("99999999 13:11"), None);
        assert_eq!(date("25032018 1311"), None);
    }

    #[test]
    fn a_misread_month_between_day_and_year_is_read() {
        let o = DateOrder::DayMonth;
        let date = |t: &str| find_date(t, o).map(|(x, _)| x);
        assert_eq!(
            date("CH# : 5927350475 02/lan/2017 10:49:25"),
            Some(d(2017, 1, 2))
        );
        assert_eq!(date("12-0ct-2019"), Some(d(2019, 10, 12)));
        assert_eq!(date("3-Auq-2020"), Some(d(2020, 8, 3)));
        // A word more than one look-alike letter away from every month is none.
        assert_eq!(date("12-xyz-2019"), None);
        assert_eq!(date("12-1an-2O19"), None);
        assert_eq!(misread_month("ma1"), None);
        assert_eq!(misread_month("jan"), None);
    }

    #[test]
    fn order_from_evidence() {
        assert_eq!(
            detect_date_order(["03/20/2023", "04/04/2023"], false),
            DateOrder::MonthDay
        );
        assert_eq!(detect_date_order(["20/03/2023"], true), DateOrder::DayMonth);
        assert_eq!(detect_date_order(["03/04/2023"], true), DateOrder::MonthDay);
        assert_eq!(
            detect_date_order(["03/04/2023"], false),
            DateOrder::DayMonth
        );
    }

    #[test]
    fn range_points_at_the_date() {
        let text = "Rechnungsdatum 05.03.2013 Kunde";
        let (date, r) = find_date(text, DateOrder::DayMonth).expect("date");
        assert_eq!(date, d(2013, 3, 5));
        assert_eq!(&text[r], "05.03.2013");
    }
}
