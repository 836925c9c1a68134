//! OCR with Tesseract 5: an image in, words with boxes and confidences out as TSV. By default
//! ([`OcrEngine::Library`]) Tesseract's own library reads the page with each language set's
//! models loaded once per process and kept (`library.rs`); otherwise, and for whatever the
//! library does not read, the command-line program gets the image on stdin, one run per page,
//! killed after a timeout. Crash isolation is the sandbox's (`doxin-sandbox`), whose child
//! process runs extraction, OCR included. A missing program, library or language pack is
//! reported as [`ExtractError::OcrUnavailable`], which is retryable: it is fixed by
//! installing, not by changing the document.
//!
//! With several languages listed, Tesseract runs them together by default
//! ([`LanguageChoice::All`]): it retries every word the first model reads poorly with the
//! second and keeps the surer reading. With the program that cost 1.67× the time of `eng`
//! alone on receipts (both loading their models); with the library, models loaded once, it
//! is 1.38× (docs/benchmarks.md). It pays on English receipts too: on the 50 SROIE receipts
//! `eng` alone found 38 totals where `eng+deu` found 46 (docs/benchmarks.md, "OCR time per
//! receipt").
//! [`LanguageChoice::Auto`] reads a page with the first language only and again with
//! another only when that language's words show in the first reading (see
//! [`languages_shown`]): the faster choice where accuracy on poor scans matters less.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use doxin_model::BBox;

use crate::ExtractError;
use crate::layout::{LayoutLine, LayoutPage, LayoutWord};

mod library;

/// Tesseract's program, found on `PATH`.
const DEFAULT_PROGRAM: &str = "tesseract";

/// How OCR runs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OcrOptions {
    /// Tesseract languages joined with `+`, e.g. `eng+deu`.
    pub languages: String,
    /// The program (default `tesseract` from `PATH`). Another program named here is always run
    /// as a program, whatever [`OcrOptions::engine`] says.
    pub program: PathBuf,
    /// A run that takes longer is killed.
    pub timeout: Duration,
    /// Tesseract page segmentation mode for receipts, strips and anything not shaped like a
    /// page. 6 (one uniform block) reads receipts better than automatic layout analysis
    /// (3): the rules rebuild columns from the word boxes themselves, and mode 3 drops short
    /// isolated words such as totals.
    pub page_segmentation: u8,
    /// The mode for an image shaped like a whole page (see [`is_full_page`]). 4 (one column
    /// of text in several sizes) reads lines across the page as mode 6 does, but first finds
    /// the page's blocks: mode 6 drops every line inside a ruled frame (a boxed items table
    /// came out as one garbled word), mode 4 reads them.
    #[serde(default = "full_page_segmentation")]
    pub page_segmentation_full_page: u8,
    /// PNG and JPEG images narrower than this (pixels) are enlarged before recognition:
    /// Tesseract reads text best at a cap height of about 30 px, and receipt photos and
    /// small renderings print their text at half that. 0 turns enlarging off.
    pub upscale_below: u32,
    /// How several listed languages are used.
    #[serde(default)]
    pub language_choice: LanguageChoice,
    /// Tesseract's library with models kept loaded, or the program run per page.
    #[serde(default)]
    pub engine: OcrEngine,
}

/// How Tesseract is run (`OCR_ENGINE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OcrEngine {
    /// Tesseract's library (`libtesseract.so.5`), loaded once per process, each language
    /// set's models once and kept: a PNG, JPEG or prepared image is recognised without
    /// loading models again (see `library.rs`). Multi-page TIFF and WebP, and every image
    /// when the library cannot be loaded, go to the program.
    #[default]
    Library,
    /// The program ([`OcrOptions::program`]) once per page, as Tesseract 5 ships it.
    Program,
}

fn full_page_segmentation() -> u8 {
    4
}

/// Whether an image of `width` × `height` pixels is a whole page scanned or photographed flat:
/// A4 or Letter proportions (portrait 0.65–0.85, landscape 1.2–1.55) at 120 dpi or more (the
/// short side 1,000 px). Receipts are strips (SROIE's run 0.28–0.60) and small renderings are
/// narrower: they keep the one-block reading.
pub fn is_full_page(width: u32, height: u32) -> bool {
    if width == 0 || height == 0 {
        return false;
    }
    let ratio = width as f32 / height as f32;
    let page_shaped = (0.65..=0.85).contains(&ratio) || (1.2..=1.55).contains(&ratio);
    page_shaped && width.min(height) >= 1000
}

/// The page segmentation mode for an image: by its shape when its header tells its size.
fn segmentation_for(image: &[u8], opts: &OcrOptions) -> u8 {
    let format = match crate::sniff(image) {
        Ok(crate::DocumentKind::Png) => image::ImageFormat::Png,
        Ok(crate::DocumentKind::Jpeg) => image::ImageFormat::Jpeg,
        _ => return opts.page_segmentation,
    };
    let size = image::ImageReader::with_format(std::io::Cursor::new(image), format)
        .into_dimensions()
        .ok();
    match size {
        Some((w, h)) if is_full_page(w, h) => opts.page_segmentation_full_page,
        _ => opts.page_segmentation,
    }
}

impl Default for OcrOptions {
    fn default() -> Self {
        OcrOptions {
            languages: "eng+deu".into(),
            program: PathBuf::from(DEFAULT_PROGRAM),
            timeout: Duration::from_secs(120),
            page_segmentation: 6,
            page_segmentation_full_page: full_page_segmentation(),
            upscale_below: 0,
            language_choice: LanguageChoice::All,
            engine: OcrEngine::Library,
        }
    }
}

/// How a page is read when [`OcrOptions::languages`] lists more than one language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LanguageChoice {
    /// The first language reads the page; when words of another listed language show in
    /// that reading, the page is read once more with that language first and the first
    /// one after it, and the second reading is kept. A listed language whose words cannot
    /// be told apart (see [`language_markers`]) makes every page read with all of them
    /// together, as [`LanguageChoice::All`]. One run instead of 1.6–1.7× on pages in the
    /// first language, two on pages in another, and fewer words read right on poor scans.
    Auto,
    /// Every page with all listed languages together in one Tesseract run, which retries
    /// the words one model reads poorly with the others.
    #[default]
    All,
}

impl LanguageChoice {
    /// The setting's spelling (`OCR_LANGUAGE_CHOICE`).
    pub fn parse(s: &str) -> Option<LanguageChoice> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(LanguageChoice::Auto),
            "all" => Some(LanguageChoice::All),
            _ => None,
        }
    }
}

/// Recognises an image (PNG, JPEG, TIFF including multi-page, WebP) into layout pages.
/// Box units are image pixels.
pub fn ocr_image(image: &[u8], opts: &OcrOptions) -> Result<Vec<LayoutPage>, ExtractError> {
    let listed: Vec<&str> = opts.languages.split('+').collect();
    if !listed
        .iter()
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(ExtractError::OcrUnavailable(format!(
            "invalid OCR language list {:?}: use Tesseract codes joined by '+', e.g. eng+deu",
            opts.languages
        )));
    }
    // The page's shape chooses how Tesseract segments it, once, before the first reading.
    let opts = &OcrOptions {
        page_segmentation: segmentation_for(image, opts),
        ..opts.clone()
    };
    let (input, scale) = prepare_image(image, opts.upscale_below);
    let mut pages = match first_pass(&listed, opts.language_choice) {
        FirstPass::Alone(first) => {
            let pages = parse_tsv(&run_tesseract(&input, first, opts)?);
            let others: Vec<&str> = listed[1..].to_vec();
            let shown = languages_shown(&pages, &others);
            if shown.is_empty() {
                pages
            } else {
                // The second language leads so that its model reads each word first, and
                // the first one stays as the fallback for what it reads poorly (English
                // words on a German invoice).
                let again = [shown.as_slice(), &[first]].concat().join("+");
                parse_tsv(&run_tesseract(&input, &again, opts)?)
            }
        }
        FirstPass::Together => parse_tsv(&run_tesseract(&input, &opts.languages, opts)?),
    };
    if scale != 1.0 {
        // Back to the pixels of the image as given.
        for page in &mut pages {
            page.width /= scale;
            page.height /= scale;
            for w in page.lines.iter_mut().flat_map(|l| l.words.iter_mut()) {
                w.bbox = BBox::new(
                    w.bbox.x0 / scale,
                    w.bbox.y0 / scale,
                    w.bbox.x1 / scale,
                    w.bbox.y1 / scale,
                );
            }
        }
    }
    Ok(pages)
}

/// How the first (often the only) Tesseract run of a page is made.
#[derive(Debug, PartialEq, Eq)]
enum FirstPass<'a> {
    /// With this language alone; the others only if its reading shows them.
    Alone(&'a str),
    /// With every listed language together.
    Together,
}

fn first_pass<'a>(listed: &[&'a str], choice: LanguageChoice) -> FirstPass<'a> {
    match (choice, listed) {
        (_, [only]) => FirstPass::Alone(only),
        // A language that cannot be recognised in another's reading would never be added,
        // so such a list is read as the operator listed it: all together.
        (LanguageChoice::Auto, [first, others @ ..])
            if others.iter().all(|l| language_markers(l).is_some()) =>
        {
            FirstPass::Alone(first)
        }
        _ => FirstPass::Together,
    }
}

/// Words that show a page is in a language, as another language's model still reads them:
/// labels of invoices and receipts and short words of running text, lower case. Each must be
/// rare in the other languages' receipts (no "total", "bar", "pos", "bis": English and
/// Malay receipts print them). Letters the other model may not know (ä, ö, ü, ß) count too,
/// see [`languages_shown`].
pub fn language_markers(code: &str) -> Option<&'static [&'static str]> {
    const DEU: &[&str] = &[
        "rechnung",
        "rechnungsnummer",
        "rechnungsnr",
        "rechnungsdatum",
        "mwst",
        "ust",
        "ust-idnr",
        "umsatzsteuer",
        "steuernummer",
        "steuer",
        "summe",
        "zwischensumme",
        "gesamt",
        "gesamtbetrag",
        "endbetrag",
        "betrag",
        "netto",
        "brutto",
        "nettobetrag",
        "datum",
        "lieferdatum",
        "leistungsdatum",
        "zahlbar",
        "zahlungsziel",
        "zahlungsbedingungen",
        "bankverbindung",
        "kundennummer",
        "kunde",
        "menge",
        "einzelpreis",
        "gesamtpreis",
        "preis",
        "bezeichnung",
        "beschreibung",
        "rabatt",
        "skonto",
        "gmbh",
        "strasse",
        "str",
        "und",
        "fur",
        "bitte",
        "vielen",
        "dank",
        "kasse",
        "ruckgeld",
        "wechselgeld",
        "gegeben",
        "stuck",
        "stk",
        "anzahl",
        "lieferung",
        "zahlung",
        "uberweisung",
        "innerhalb",
        "tagen",
        "ohne",
        "abzug",
        "inkl",
        "zzgl",
        "seite",
        "bestellung",
        "auftrag",
        "leistung",
        "positionen",
    ];
    const ENG: &[&str] = &[
        "invoice",
        "receipt",
        "subtotal",
        "amount",
        "date",
        "thank",
        "you",
        "tax",
        "qty",
        "quantity",
        "price",
        "payment",
        "due",
        "balance",
        "change",
        "cash",
        "description",
        "please",
        "the",
        "and",
        "of",
        "customer",
    ];
    match code {
        "deu" => Some(DEU),
        "eng" => Some(ENG),
        _ => None,
    }
}

/// Distinct marker words (or words with a letter of the language's own, for German
/// ä ö ü ß) a reading must show before a language is taken to be on the page: one can be
/// a name or a misread word, two distinct ones are text in that language.
const MARKERS_NEEDED: usize = 2;

/// The languages of `candidates` whose words show in `pages` (read with another language),
/// in the order given.
pub fn languages_shown<'a>(pages: &[LayoutPage], candidates: &[&'a str]) -> Vec<&'a str> {
    let words: Vec<String> = pages
        .iter()
        .flat_map(|p| p.lines.iter())
        .flat_map(|l| l.words.iter())
        .map(|w| {
            w.text
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    candidates
        .iter()
        .copied()
        .filter(|code| {
            let Some(markers) = language_markers(code) else {
                return false;
            };
            let own_letters: &[char] = if *code == "deu" {
                &['ä', 'ö', 'ü', 'ß']
            } else {
                &[]
            };
            let mut seen: Vec<&str> = Vec::new();
            for w in &words {
                // Umlauts folded, so that "Rückgeld" read right and "Ruckgeld" read by an
                // English model both count.
                let folded = w
                    .replace('ä', "a")
                    .replace('ö', "o")
                    .replace('ü', "u")
                    .replace('ß', "ss");
                let hit = markers.iter().any(|m| *m == folded)
                    || (w.chars().any(|c| own_letters.contains(&c))
                        && w.chars().filter(|c| c.is_alphabetic()).count() >= 3);
                if hit && !seen.contains(&w.as_str()) {
                    seen.push(w);
                    if seen.len() >= MARKERS_NEEDED {
                        return true;
                    }
                }
            }
            false
        })
        .collect()
}

/// Runs Tesseract once on `input` with `languages` and returns its TSV: through the library
/// when it is chosen, loadable and the image is one it reads as the program would (a single
/// page: PNG, JPEG, or the PNM [`prepare_image`] hands over), else the program.
fn run_tesseract(input: &[u8], languages: &str, opts: &OcrOptions) -> Result<String, ExtractError> {
    let single_page = matches!(
        crate::sniff(input),
        Ok(crate::DocumentKind::Png | crate::DocumentKind::Jpeg)
    ) || is_pnm(input);
    if opts.engine == OcrEngine::Library
        && opts.program == std::path::Path::new(DEFAULT_PROGRAM)
        && single_page
        && let Some(result) =
            library::recognize(input, languages, opts.page_segmentation, opts.timeout)
    {
        return result;
    }
    run_program(input, languages, opts)
}

/// Whether `bytes` start like the binary PNM [`prepare_image`] writes (`P5` grey, `P6` colour).
fn is_pnm(bytes: &[u8]) -> bool {
    matches!(bytes, [b'P', b'5' | b'6', c, ..] if c.is_ascii_whitespace())
}

/// Tesseract's settings for every reading, by the program (`-c name=value`) and the library.
pub(crate) const TESSERACT_VARIABLES: &[(&str, &str)] = &[
    // Tesseract 5 reads every line it is unsure of a second time inverted, for white text on
    // dark bars. On receipts that is most lines: 6 % of the CPU time (eng+deu, SROIE) for
    // the same totals, dates and companies, so it is off.
    ("tessedit_do_invert", "0"),
    // Reading a page as one block (`--psm 6`), Tesseract sets aside characters more than
    // 1.3 times the block's usual size as "large blobs" and a line made of them only is
    // never read: a letterhead's name in large type ("CONTOSO LTD." over a 12-point
    // address), a receipt's "TOTAL: 9.50" in double height. At 3 times, those lines are read
    // with the rest; logos larger still stay out. Costs nothing measurable.
    ("textord_excess_blobsize", "3"),
];

/// Runs the Tesseract program once on `input` with `languages` and returns its TSV.
fn run_program(input: &[u8], languages: &str, opts: &OcrOptions) -> Result<String, ExtractError> {
    let psm = opts.page_segmentation.min(13).to_string();
    let mut command = Command::new(&opts.program);
    command.args(["stdin", "stdout", "-l", languages, "--psm", &psm]);
    for (name, value) in TESSERACT_VARIABLES {
        command.arg("-c").arg(format!("{name}={value}"));
    }
    command
        .arg("tsv")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Tesseract's OpenMP threads busy-wait for each other: on a machine whose cores are
    // taken (several workers and sandbox children), one receipt took 2.5–4× the CPU time
    // and longer wall time with them than with one thread, and the words are the same. An
    // operator's own OMP_THREAD_LIMIT is kept.
    if std::env::var_os("OMP_THREAD_LIMIT").is_none() {
        command.env("OMP_THREAD_LIMIT", "1");
    }
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ExtractError::OcrUnavailable(format!(
            "the OCR program {} is not installed (Debian: apt install tesseract-ocr \
             tesseract-ocr-eng tesseract-ocr-deu)",
            opts.program.display()
        )),
        _ => ExtractError::OcrFailed(format!("cannot start {}: {e}", opts.program.display())),
    })?;
    // Feed stdin and drain stdout/stderr on threads so a full pipe cannot deadlock.
    let mut stdin = child.stdin.take();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            let _ = s.write_all(&input);
        }
    });
    // Tesseract closes stdout when it exits: waiting for the reader wakes up as soon as it
    // is done, where polling the child would add up to a poll interval per page.
    let (done, finished) = mpsc::channel();
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_string(&mut out);
        }
        let _ = done.send(());
        out
    });
    let mut stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut out = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_string(&mut out);
        }
        out
    });
    let started = Instant::now();
    let timed_out = || {
        ExtractError::OcrFailed(format!(
            "OCR took longer than {:?} and was stopped",
            opts.timeout
        ))
    };
    if finished.recv_timeout(opts.timeout).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        return Err(timed_out());
    }
    // Output closed: the process is ending (or closed its output and hangs, which the
    // remaining time still bounds).
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > opts.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(timed_out());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(ExtractError::OcrFailed(e.to_string())),
        }
    };
    let _ = writer.join();
    let tsv = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if !status.success() {
        if stderr.contains("Failed loading language") || stderr.contains("Error opening data file")
        {
            return Err(ExtractError::OcrUnavailable(format!(
                "Tesseract lacks a language of {languages:?} (Debian: apt install tesseract-ocr-<lang>): {}",
                stderr.lines().next().unwrap_or("").trim()
            )));
        }
        if stderr.contains("Error in pixReadMem") || stderr.contains("Unsupported image type") {
            return Err(ExtractError::Corrupt(format!(
                "the image cannot be read: {}",
                stderr.lines().next().unwrap_or("").trim()
            )));
        }
        return Err(ExtractError::OcrFailed(format!(
            "Tesseract exited with {status}: {}",
            stderr.lines().take(3).collect::<Vec<_>>().join(" ")
        )));
    }
    Ok(tsv)
}

/// A PNG or JPEG prepared for recognition: a faded one gets its grey range stretched (see
/// [`stretch_faded`]), and one narrower than `below` pixels is enlarged twice in grey
/// (Catmull-Rom keeps strokes sharp). A changed image is handed over as PNM, which needs no
/// compression; with the factor it was enlarged by. Anything else (TIFF with its several
/// pages, WebP, what does not decode) and an image that needs neither goes to Tesseract as
/// it is, which reports what it cannot read.
/// Public for the image-decoding fuzz target (`fuzz/fuzz_targets/image_decode.rs`).
pub fn prepare_image(bytes: &[u8], below: u32) -> (Vec<u8>, f32) {
    const FACTOR: u32 = 2;
    let as_is = || (bytes.to_vec(), 1.0);
    let format = match crate::sniff(bytes) {
        Ok(crate::DocumentKind::Png) => image::ImageFormat::Png,
        Ok(crate::DocumentKind::Jpeg) => image::ImageFormat::Jpeg,
        _ => return as_is(),
    };
    let Ok(decoded) = image::load_from_memory_with_format(bytes, format) else {
        return as_is();
    };
    if decoded.width() == 0 || decoded.height() == 0 {
        return as_is();
    }
    let mut grey = decoded.to_luma8();
    let stretched = stretch_faded(&mut grey);
    let enlarge = below > 0 && grey.width() < below;
    if !stretched && !enlarge {
        return as_is();
    }
    let (grey, scale) = if enlarge {
        let big = image::imageops::resize(
            &grey,
            grey.width() * FACTOR,
            grey.height() * FACTOR,
            image::imageops::FilterType::CatmullRom,
        );
        (big, FACTOR as f32)
    } else {
        (grey, 1.0)
    };
    let mut out = std::io::Cursor::new(Vec::with_capacity(grey.len() + 32));
    match grey.write_to(&mut out, image::ImageFormat::Pnm) {
        Ok(()) => (out.into_inner(), scale),
        Err(_) => as_is(),
    }
}

/// Faded thermal paper and pale scans print their text in light grey: fewer than 1 % of
/// the pixels are darker than [`FADED_BELOW`] (150 of 255; at 100, receipts with grey
/// but readable print got worse). Tesseract's global threshold then drops
/// strokes or whole lines (a faded SROIE receipt gave two words instead of 114), so the
/// range between the 1st and the 99th percentile is stretched to black and white first.
/// Images with real dark ink are left alone: stretching them changes nothing useful and
/// costs a re-encode. Returns whether the image was changed.
fn stretch_faded(grey: &mut image::GrayImage) -> bool {
    let mut histogram = [0u64; 256];
    for p in grey.pixels() {
        histogram[usize::from(p.0[0])] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let percentile = |q: u64| -> u8 {
        let target = total * q / 100;
        let mut seen = 0;
        for (value, count) in histogram.iter().enumerate() {
            seen += count;
            if seen > target {
                return value as u8;
            }
        }
        255
    };
    let (low, high) = (percentile(1), percentile(99));
    if low < FADED_BELOW || high <= low {
        return false;
    }
    let span = f32::from(high - low);
    let mut table = [0u8; 256];
    for (value, out) in table.iter_mut().enumerate() {
        let v = (value as f32 - f32::from(low)) * 255.0 / span;
        *out = v.clamp(0.0, 255.0).round() as u8;
    }
    for p in grey.pixels_mut() {
        p.0[0] = table[usize::from(p.0[0])];
    }
    true
}

/// The grey level (0 black, 255 white) that the darkest 1 % of a page reaches when it has
/// real ink; pages whose darkest 1 % stays lighter are faded.
const FADED_BELOW: u8 = 150;

/// Parses Tesseract's TSV (level 5 rows are words) into pages of lines.
pub fn parse_tsv(tsv: &str) -> Vec<LayoutPage> {
    // (page, block, paragraph, line) -> words
    let mut pages: Vec<LayoutPage> = Vec::new();
    let mut current_key: Option<(u32, u32, u32, u32)> = None;
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().unwrap_or(-1);
        let (level, page) = (num(0), num(1).max(1) as u32);
        if level == 1 {
            pages.push(LayoutPage {
                number: page,
                width: num(8).max(1) as f32,
                height: num(9).max(1) as f32,
                lines: Vec::new(),
            });
            current_key = None;
            continue;
        }
        if level != 5 {
            continue;
        }
        let text = cols[11..].join("\t").trim().to_string();
        if text.is_empty() {
            continue;
        }
        let conf = cols[10]
            .trim()
            .parse::<f32>()
            .unwrap_or(0.0)
            .clamp(0.0, 100.0)
            / 100.0;
        let (l, t, w, h) = (num(6) as f32, num(7) as f32, num(8) as f32, num(9) as f32);
        let key = (page, num(2) as u32, num(3) as u32, num(4) as u32);
        if pages.last().is_none_or(|p| p.number != page) {
            pages.push(LayoutPage {
                number: page,
                width: 1.0,
                height: 1.0,
                lines: Vec::new(),
            });
        }
        let Some(p) = pages.last_mut() else { continue };
        let word = LayoutWord {
            text,
            bbox: BBox::new(l, t, l + w, t + h),
            confidence: conf,
        };
        if current_key == Some(key)
            && let Some(line) = p.lines.last_mut()
        {
            line.words.push(word);
        } else {
            p.lines.push(LayoutLine { words: vec![word] });
            current_key = Some(key);
        }
    }
    for p in &mut pages {
        merge_visual_lines(p);
        for line in &mut p.lines {
            join_split_numbers(line);
            for w in &mut line.words {
                if let Some(fixed) = repair_amount(&w.text).or_else(|| repair_total(&w.text)) {
                    w.text = fixed;
                }
            }
        }
    }
    pages.retain(|p| !p.lines.is_empty());
    pages
}

/// Tesseract splits a visual line into several when columns are far apart (a label on the
/// left, its amount on the right). Rules need them on one line, so lines whose vertical
/// extents mostly overlap are merged and sorted top to bottom.
fn merge_visual_lines(page: &mut LayoutPage) {
    let mut lines = std::mem::take(&mut page.lines);
    lines.sort_by(|a, b| a.bbox().y0.total_cmp(&b.bbox().y0));
    let mut out: Vec<LayoutLine> = Vec::new();
    for line in lines {
        let b = line.bbox();
        let h = b.y1 - b.y0;
        if let Some(last) = out.last_mut() {
            let lb = last.bbox();
            let overlap = b.y1.min(lb.y1) - b.y0.max(lb.y0);
            let min_h = h.min(lb.y1 - lb.y0).max(1.0);
            let centre_gap = ((b.y0 + b.y1) - (lb.y0 + lb.y1)).abs() / 2.0;
            if overlap > 0.5 * min_h && centre_gap < 0.5 * min_h {
                last.words.extend(line.words);
                last.words.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
                continue;
            }
        }
        out.push(line);
    }
    page.lines = out;
}

/// Letters OCR puts for digits in amounts printed on receipts ("RMA1.45", "RMIO,05",
/// "1S.90"), only inside a token shaped like an amount: an optional currency prefix, then
/// digits or look-alikes, a decimal mark, and exactly two more. At least one real digit must
/// be there and at most two look-alikes, so words are never turned into numbers. Returns the
/// repaired token when something changed.
pub fn repair_amount(word: &str) -> Option<String> {
    const PREFIXES: &[&str] = &["RM", "RH", "RN", "Rm", "rm", "$", "€", "£"];
    let (prefix, body) = PREFIXES
        .iter()
        .find_map(|p| word.strip_prefix(p).map(|b| (*p, b)))
        .unwrap_or(("", word));
    // A trailing tax code glued on ("11.60SR") stays as it is: only the amount is looked at.
    let chars: Vec<char> = body.chars().collect();
    let n = chars.len();
    if !(4..=10).contains(&n) || !matches!(chars[n - 3], '.' | ',') {
        return None;
    }
    let digit = |c: char| -> Option<(char, bool)> {
        match c {
            '0'..='9' => Some((c, false)),
            'O' | 'o' | 'D' | 'Q' => Some(('0', true)),
            'I' | 'l' | '|' | 'i' => Some(('1', true)),
            'S' | 's' | '§' => Some(('5', true)),
            'B' => Some(('8', true)),
            'Z' | 'z' => Some(('2', true)),
            'A' => Some(('4', true)),
            _ => None,
        }
    };
    let mut out = String::with_capacity(word.len());
    let (mut real, mut fixed) = (0, 0);
    for (i, &c) in chars.iter().enumerate() {
        if i == n - 3 {
            // The mark stays as printed: which one is decimal is the document's choice.
            out.push(c);
            continue;
        }
        let (d, was_letter) = digit(c)?;
        out.push(d);
        if was_letter {
            fixed += 1;
        } else {
            real += 1;
        }
    }
    // "RH152.00", "RN152.00": the currency itself misread.
    let prefix_fixed = matches!(prefix, "RH" | "RN");
    if real == 0 || fixed > 2 || (fixed == 0 && !prefix_fixed) {
        return None;
    }
    // A leading look-alike with no currency prefix is as likely a word ("S.00" in a code).
    if prefix.is_empty() && digit(chars[0]).is_some_and(|(_, l)| l) {
        return None;
    }
    let prefix = if prefix.starts_with('R') || prefix.starts_with('r') {
        "RM"
    } else {
        prefix
    };
    Some(format!("{prefix}{out}"))
}

/// "TOTAL" as OCR misreads it on receipts ("IOTAL", "TOTAI", "OTAL", "TotalRM", "NETTOTAL"):
/// one letter off, or glued to the currency or to "NETT", is read as the label.
pub fn repair_total(word: &str) -> Option<String> {
    let trimmed = word.trim_end_matches(':');
    let colon = &word[trimmed.len()..];
    let lower = trimmed.to_lowercase();
    if lower == "total" {
        return None;
    }
    let upper = trimmed.chars().all(|c| !c.is_lowercase());
    let total = if upper { "TOTAL" } else { "Total" };
    if let Some(rest) = lower.strip_suffix("rm")
        && rest == "total"
    {
        return Some(format!("{total} RM{colon}"));
    }
    if lower == "nettotal" {
        return Some(format!(
            "{} {total}{colon}",
            if upper { "NETT" } else { "Nett" }
        ));
    }
    let near = match lower.len() {
        // One letter substituted ("iotal", "totai", "tota1").
        5 => {
            lower
                .chars()
                .zip("total".chars())
                .filter(|(a, b)| a != b)
                .count()
                == 1
                && lower.chars().filter(|c| c.is_alphabetic()).count() >= 4
        }
        // The first letter lost ("otal").
        4 => lower == "otal",
        _ => false,
    };
    near.then(|| format!("{total}{colon}"))
}

/// OCR often splits an amount at its decimal mark ("68. 87", "68 .87") or reads a space into
/// it; adjacent fragments that together form `digits[.,]digits` become one word again.
fn join_split_numbers(line: &mut LayoutLine) {
    let is_num = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let mut out: Vec<LayoutWord> = Vec::with_capacity(line.words.len());
    for w in line.words.drain(..) {
        if let Some(prev) = out.last_mut() {
            let gap = w.bbox.x0 - prev.bbox.x1;
            let height = (prev.bbox.y1 - prev.bbox.y0).max(1.0);
            let p = prev.text.as_str();
            // Two decimals after a dangling mark ("RM96. 20") belong to it even a little
            // further away; other fragments only when close.
            let close =
                gap < 0.8 * height || (gap < 2.5 * height && w.text.len() == 2 && is_num(&w.text));
            let ends_with_mark = p.len() >= 2
                && (p.ends_with('.') || p.ends_with(','))
                && p[..p.len() - 1]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_digit());
            let starts_with_mark = (w.text.starts_with('.') || w.text.starts_with(','))
                && is_num(&w.text[1..])
                && p.chars().last().is_some_and(|c| c.is_ascii_digit());
            let frac = w.text.trim_end_matches(|c: char| !c.is_ascii_digit());
            if close
                && ((ends_with_mark && is_num(frac) && frac.len() <= 2)
                    || (starts_with_mark && w.text.len() <= 3))
            {
                prev.text.push_str(&w.text);
                prev.bbox = prev.bbox.union(w.bbox);
                prev.confidence = prev.confidence.min(w.confidence);
                continue;
            }
        }
        out.push(w);
    }
    line.words = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t600\t800\t-1\t
5\t1\t1\t1\t1\t1\t10\t10\t50\t12\t96.5\tTOTAL
5\t1\t2\t1\t1\t1\t400\t11\t40\t12\t91\t9.00
5\t1\t1\t1\t2\t1\t10\t40\t60\t12\t88\tThank
5\t1\t1\t1\t2\t2\t75\t40\t30\t12\t80\tyou
";

    #[test]
    fn words_become_lines_and_far_columns_rejoin() {
        let pages = parse_tsv(TSV);
        assert_eq!(pages.len(), 1);
        assert_eq!((pages[0].width, pages[0].height), (600.0, 800.0));
        let lines: Vec<String> = pages[0].lines.iter().map(LayoutLine::text).collect();
        assert_eq!(lines, ["TOTAL 9.00", "Thank you"]);
        let w = &pages[0].lines[0].words[0];
        assert!((w.confidence - 0.965).abs() < 1e-6);
    }

    #[test]
    fn amounts_split_at_the_decimal_mark_are_joined() {
        let word = |t: &str, x0: f32| LayoutWord {
            text: t.into(),
            bbox: BBox::new(x0, 0.0, x0 + 6.0 * t.len() as f32, 12.0),
            confidence: 0.9,
        };
        let mut line = LayoutLine {
            words: vec![
                word("RM", 0.0),
                word("68.", 20.0),
                word("87", 42.0),
                word("Qty", 80.0),
            ],
        };
        join_split_numbers(&mut line);
        assert_eq!(line.text(), "RM 68.87 Qty");
        let mut spaced = LayoutLine {
            words: vec![word("RM100.", 0.0), word("00", 60.0)],
        };
        join_split_numbers(&mut spaced);
        assert_eq!(
            spaced.text(),
            "RM100.00",
            "two decimals after a dangling mark"
        );
        let mut far = LayoutLine {
            words: vec![word("68.", 0.0), word("87", 200.0)],
        };
        join_split_numbers(&mut far);
        assert_eq!(far.words.len(), 2, "far apart words stay apart");
    }

    fn encode_png(img: &image::GrayImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("encode png");
        out.into_inner()
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        encode_png(&image::GrayImage::from_fn(width, height, |x, _| {
            image::Luma([(x % 256) as u8])
        }))
    }

    #[test]
    fn small_images_are_enlarged_twice_and_large_ones_left_alone() {
        let (bytes, scale) = prepare_image(&png(300, 40), 1500);
        assert_eq!(scale, 2.0);
        let big = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!((big.width(), big.height()), (600, 80));
        let wide = png(1600, 10);
        assert_eq!(prepare_image(&wide, 1500), (wide.clone(), 1.0));
        assert_eq!(prepare_image(&png(300, 40), 0).1, 1.0, "0 turns it off");
        // Multi-page TIFFs and undecodable images go to Tesseract untouched.
        let tiff = b"II*\0rest".to_vec();
        assert_eq!(prepare_image(&tiff, 1500), (tiff.clone(), 1.0));
        let broken = b"\xFF\xD8\xFFnot really a jpeg".to_vec();
        assert_eq!(prepare_image(&broken, 1500), (broken.clone(), 1.0));
    }

    #[test]
    fn faded_images_are_stretched_to_black_and_white_and_inked_ones_left_alone() {
        // Pale paper (240) with faint grey text (175) on 5 % of the pixels.
        let faded = image::GrayImage::from_fn(200, 100, |x, y| {
            image::Luma([if (x + y) % 20 == 0 { 175 } else { 240 }])
        });
        let (bytes, scale) = prepare_image(&encode_png(&faded), 0);
        assert_eq!(scale, 1.0);
        let out = image::load_from_memory(&bytes).expect("decodes").to_luma8();
        let darkest = out.pixels().map(|p| p.0[0]).min();
        let lightest = out.pixels().map(|p| p.0[0]).max();
        assert_eq!((darkest, lightest), (Some(0), Some(255)));
        // Black ink on white: handed over byte for byte.
        let inked = image::GrayImage::from_fn(200, 100, |x, y| {
            image::Luma([if (x + y) % 20 == 0 { 10 } else { 240 }])
        });
        let original = encode_png(&inked);
        assert_eq!(prepare_image(&original, 0), (original.clone(), 1.0));
    }

    #[test]
    fn look_alike_letters_in_amounts_become_digits() {
        assert_eq!(repair_amount("RMA1.45").as_deref(), Some("RM41.45"));
        assert_eq!(repair_amount("RMIO,05").as_deref(), Some("RM10,05"));
        assert_eq!(repair_amount("1S.90").as_deref(), Some("15.90"));
        // The decimal mark is the document's: "301,73" of "6 301,73" stays.
        assert_eq!(repair_amount("301,73"), None);
        assert_eq!(repair_amount("RN152.00").as_deref(), Some("RM152.00"));
        // Already right, or not an amount at all.
        assert_eq!(repair_amount("41.45"), None);
        assert_eq!(repair_amount("SALMON"), None);
        assert_eq!(repair_amount("SO.OO"), None, "needs a real digit");
        assert_eq!(
            repair_amount("S.00"),
            None,
            "a leading letter needs a currency"
        );
        assert_eq!(repair_amount("1,234,56"), None);
        assert_eq!(repair_amount("BOB.AB"), None);
    }

    #[test]
    fn misread_total_labels_are_read_as_total() {
        assert_eq!(repair_total("IOTAL").as_deref(), Some("TOTAL"));
        assert_eq!(repair_total("TOTAI:").as_deref(), Some("TOTAL:"));
        assert_eq!(repair_total("OTAL").as_deref(), Some("TOTAL"));
        assert_eq!(repair_total("TotalRM").as_deref(), Some("Total RM"));
        assert_eq!(repair_total("NETTOTAL:").as_deref(), Some("NETT TOTAL:"));
        assert_eq!(repair_total("TOTAL"), None);
        assert_eq!(repair_total("TOTE"), None);
        assert_eq!(repair_total("metal"), None);
        assert_eq!(repair_total("Royal"), None);
    }

    #[test]
    fn a_missing_program_is_reported_as_unavailable() {
        let opts = OcrOptions {
            program: PathBuf::from("/nonexistent/tesseract"),
            ..OcrOptions::default()
        };
        let err = ocr_image(b"\x89PNG", &opts).err();
        assert!(
            matches!(&err, Some(ExtractError::OcrUnavailable(m)) if m.contains("not installed")),
            "{err:?}"
        );
        assert!(err.is_some_and(|e| e.is_retryable()));
    }

    fn pages_of(text: &str) -> Vec<LayoutPage> {
        crate::layout::Layout::from_text(text).pages
    }

    #[test]
    fn german_words_in_an_english_reading_show_german() {
        let german = pages_of(
            "Muster GmbH\nRechnung Nr. 2024-17\nMenge Einzelpreis Betrag\nSumme 119,00 EUR\nMwSt 19 %",
        );
        assert_eq!(languages_shown(&german, &["deu"]), ["deu"]);
        // Read right by a German model, or with the umlaut lost by an English one.
        assert_eq!(
            languages_shown(&pages_of("Rückgeld 1,00\nZahlung bar"), &["deu"]),
            ["deu"]
        );
        assert_eq!(
            languages_shown(&pages_of("Ruckgeld 1,00\nZahlung bar"), &["deu"]),
            ["deu"]
        );
        assert_eq!(
            languages_shown(&pages_of("Müller Straße 5"), &["deu"]),
            ["deu"]
        );
    }

    #[test]
    fn english_and_malay_receipts_show_no_german() {
        let receipt = pages_of(
            "KEDAI RUNCIT SDN BHD\nJALAN BAHRU 12, KUALA LUMPUR\nGST REG NO 0012\nTOTAL RM 9.00\n\
             CASH 10.00 CHANGE 1.00\nTHANK YOU PLEASE COME AGAIN\nBIS BAR POS",
        );
        assert!(languages_shown(&receipt, &["deu"]).is_empty());
        // One German-looking word (a name) is not enough.
        let one = pages_of("KUNDE TRADING\nTOTAL 9.00");
        assert!(languages_shown(&one, &["deu"]).is_empty());
        // Languages without markers are never shown.
        assert!(languages_shown(&receipt, &["xyz"]).is_empty());
    }

    #[test]
    fn the_first_language_reads_alone_only_when_the_others_can_be_told() {
        use LanguageChoice::{All, Auto};
        assert_eq!(first_pass(&["eng", "deu"], Auto), FirstPass::Alone("eng"));
        assert_eq!(first_pass(&["deu", "eng"], Auto), FirstPass::Alone("deu"));
        assert_eq!(first_pass(&["eng"], All), FirstPass::Alone("eng"));
        assert_eq!(first_pass(&["eng", "deu"], All), FirstPass::Together);
        // No markers for French: it would never be added, so all together as listed.
        assert_eq!(first_pass(&["eng", "fra"], Auto), FirstPass::Together);
        assert_eq!(LanguageChoice::parse(" Auto "), Some(Auto));
        assert_eq!(LanguageChoice::parse("all"), Some(All));
        assert_eq!(LanguageChoice::parse("both"), None);
    }

    /// A stand-in for Tesseract that logs the languages of each run and answers with the
    /// TSV in `answer`.
    #[cfg(unix)]
    fn fake_tesseract(dir: &std::path::Path, answer: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let tsv = dir.join("answer.tsv");
        std::fs::write(&tsv, answer).expect("write answer");
        let program = dir.join("tesseract");
        let script = format!(
            "#!/bin/sh\ncat >/dev/null\necho \"$4 $OMP_THREAD_LIMIT\" >> {log}\ncat {tsv}\n",
            log = dir.join("runs.log").display(),
            tsv = tsv.display()
        );
        std::fs::write(&program, script).expect("write program");
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755))
            .expect("make executable");
        program
    }

    #[cfg(unix)]
    fn runs(answer: &str, choice: LanguageChoice) -> Vec<String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = OcrOptions {
            program: fake_tesseract(dir.path(), answer),
            language_choice: choice,
            ..OcrOptions::default()
        };
        let pages = ocr_image(b"not an image, handed over as it is", &opts).expect("ocr");
        assert!(!pages.is_empty());
        std::fs::read_to_string(dir.path().join("runs.log"))
            .expect("log")
            .lines()
            .map(|l| l.split(' ').next().unwrap_or("").to_string())
            .collect()
    }

    #[cfg(unix)]
    #[test]
    fn an_english_page_is_read_once_with_one_language_and_a_german_one_again() {
        assert_eq!(runs(TSV, LanguageChoice::Auto), ["eng"]);
        let german = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t600\t800\t-1\t
5\t1\t1\t1\t1\t1\t10\t10\t80\t12\t90\tRechnung
5\t1\t1\t1\t2\t1\t10\t40\t60\t12\t90\tSumme
5\t1\t1\t1\t2\t2\t400\t40\t40\t12\t90\t9,00
";
        assert_eq!(runs(german, LanguageChoice::Auto), ["eng", "deu+eng"]);
        assert_eq!(runs(german, LanguageChoice::All), ["eng+deu"]);
    }

    #[cfg(unix)]
    #[test]
    fn tesseract_runs_on_one_thread_unless_the_operator_says_otherwise() {
        if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = OcrOptions {
            program: fake_tesseract(dir.path(), TSV),
            ..OcrOptions::default()
        };
        ocr_image(b"x", &opts).expect("ocr");
        let log = std::fs::read_to_string(dir.path().join("runs.log")).expect("log");
        assert_eq!(log.trim(), "eng+deu 1");
    }

    #[test]
    fn language_lists_are_checked_before_running() {
        let opts = OcrOptions {
            languages: "eng;rm -rf".into(),
            ..OcrOptions::default()
        };
        assert!(matches!(
            ocr_image(b"x", &opts),
            Err(ExtractError::OcrUnavailable(_))
        ));
    }

    #[test]
    fn pages_are_told_from_receipts_by_their_shape() {
        // A4 and Letter scans at 150-300 dpi, portrait and landscape.
        assert!(is_full_page(1654, 2339));
        assert!(is_full_page(1700, 2200));
        assert!(is_full_page(2339, 1654));
        // Receipt strips (SROIE's narrowest and widest), a small rendering, a square photo.
        assert!(!is_full_page(812, 2864));
        assert!(!is_full_page(744, 1244));
        assert!(!is_full_page(789, 557));
        assert!(!is_full_page(746, 768));
        assert!(!is_full_page(0, 0));
    }
}
