//! Tesseract's own library (`libtesseract.so.5`, part of Debian's `tesseract-ocr`), loaded when
//! first needed, with each language set's models loaded once per process and kept.
//!
//! The command-line program loads its models on every run: 0.17–0.26 s for `eng` and another
//! 0.18 s for `deu`, a third of a receipt's recognition with `eng+deu`. A worker (and each
//! pooled sandbox child, which serves up to 200 documents) pays that once here: a receipt read
//! with `eng+deu` went from 1.67× to 1.38× the CPU time of `tesseract -l eng` on one thread
//! (docs/benchmarks.md). The words are the same: the image is decoded by the same Leptonica
//! call (`pixReadMem`) the program uses for its standard input, and recognised with the same
//! settings; the TSV is byte for byte what the program prints (checked by a test, and
//! `doxin eval` read the same values from the 50 SROIE receipts with either engine).
//!
//! Crash isolation is the sandbox's: a Tesseract crash ends the sandbox child like a PDF
//! parser's would. Tesseract's own deadline bounds recognition; the sandbox's wall time bounds
//! everything. With `SANDBOX=false` there is no crash isolation, as for the PDF parsers.
//! Nothing is linked at build time: without the library (another Tesseract major version,
//! another system), [`recognize`] answers `None` and the program runs instead.
//!
//! The one module of the workspace that allows `unsafe`: calling C needs it. Each call's
//! preconditions are written beside it.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::ExtractError;

/// The TSV's header line, which the program prints and the library does not.
const TSV_HEADER: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n";

/// Loaded engines kept between documents; more are made when several threads read at once,
/// and the surplus is dropped when they come back.
const MAX_IDLE_ENGINES: usize = 4;

type Handle = *mut c_void;

/// The C functions used, from Tesseract's `capi.h` and Leptonica's `pixReadMem`/`pixDestroy`
/// (found through Tesseract's own dependency on Leptonica).
struct Api {
    create: unsafe extern "C" fn() -> Handle,
    delete: unsafe extern "C" fn(Handle),
    init3: unsafe extern "C" fn(Handle, *const c_char, *const c_char) -> c_int,
    set_variable: unsafe extern "C" fn(Handle, *const c_char, *const c_char) -> c_int,
    set_page_seg_mode: unsafe extern "C" fn(Handle, c_int),
    set_image2: unsafe extern "C" fn(Handle, *mut c_void),
    recognize: unsafe extern "C" fn(Handle, *mut c_void) -> c_int,
    get_tsv_text: unsafe extern "C" fn(Handle, c_int) -> *mut c_char,
    delete_text: unsafe extern "C" fn(*const c_char),
    clear: unsafe extern "C" fn(Handle),
    monitor_create: unsafe extern "C" fn() -> *mut c_void,
    monitor_delete: unsafe extern "C" fn(*mut c_void),
    monitor_set_deadline: unsafe extern "C" fn(*mut c_void, c_int),
    pix_read_mem: unsafe extern "C" fn(*const u8, usize) -> *mut c_void,
    pix_destroy: unsafe extern "C" fn(*mut *mut c_void),
    /// OpenMP's (libgomp, which Debian's Tesseract is built with); absent from a build without
    /// OpenMP, and not used when the operator set `OMP_THREAD_LIMIT`, which OpenMP obeys.
    omp_set_max_active_levels: Option<unsafe extern "C" fn(c_int)>,
    /// Kept loaded for the life of the process: the function pointers above point into it.
    _library: libloading::Library,
}

/// The library, loaded on first use; `None` when it is not on this system.
fn api() -> Option<&'static Api> {
    static API: OnceLock<Option<Api>> = OnceLock::new();
    API.get_or_init(|| match load() {
        Ok(api) => Some(api),
        Err(e) => {
            tracing::debug!(error = %e, "Tesseract's library is not loadable; running the program");
            None
        }
    })
    .as_ref()
}

fn load() -> Result<Api, libloading::Error> {
    // SAFETY: libtesseract's initialisers (and Leptonica's and libgomp's) only set up their
    // own statics.
    let library = unsafe { libloading::Library::new("libtesseract.so.5")? };
    // SAFETY: each symbol is declared with the signature of Tesseract 5's capi.h and
    // Leptonica's pix.h; the library stays loaded as long as the pointers are used.
    unsafe {
        macro_rules! symbol {
            ($name:literal) => {
                *library.get(concat!($name, "\0").as_bytes())?
            };
        }
        Ok(Api {
            create: symbol!("TessBaseAPICreate"),
            delete: symbol!("TessBaseAPIDelete"),
            init3: symbol!("TessBaseAPIInit3"),
            set_variable: symbol!("TessBaseAPISetVariable"),
            set_page_seg_mode: symbol!("TessBaseAPISetPageSegMode"),
            set_image2: symbol!("TessBaseAPISetImage2"),
            recognize: symbol!("TessBaseAPIRecognize"),
            get_tsv_text: symbol!("TessBaseAPIGetTsvText"),
            delete_text: symbol!("TessDeleteText"),
            clear: symbol!("TessBaseAPIClear"),
            monitor_create: symbol!("TessMonitorCreate"),
            monitor_delete: symbol!("TessMonitorDelete"),
            monitor_set_deadline: symbol!("TessMonitorSetDeadlineMSecs"),
            pix_read_mem: symbol!("pixReadMem"),
            pix_destroy: symbol!("pixDestroy"),
            omp_set_max_active_levels: match std::env::var_os("OMP_THREAD_LIMIT") {
                Some(_) => None,
                None => library.get(b"omp_set_max_active_levels\0").ok().map(|f| *f),
            },
            _library: library,
        })
    }
}

/// One initialised Tesseract (`TessBaseAPI`) with its languages' models loaded.
struct Engine {
    handle: Handle,
    languages: String,
}

// SAFETY: a TessBaseAPI may move between threads; the pool hands each to one thread at a time.
unsafe impl Send for Engine {}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(api) = api() {
            // SAFETY: the handle came from `create` and is dropped once.
            unsafe { (api.delete)(self.handle) }
        }
    }
}

static IDLE: Mutex<Vec<Engine>> = Mutex::new(Vec::new());

/// An idle engine for these languages, or a new one. (The page segmentation mode is set for
/// each reading: a receipt and a page share one engine and its loaded models.)
fn engine(api: &Api, languages: &str) -> Result<Engine, ExtractError> {
    if let Ok(mut idle) = IDLE.lock()
        && let Some(i) = idle.iter().position(|e| e.languages == languages)
    {
        return Ok(idle.swap_remove(i));
    }
    let c_languages = CString::new(languages).map_err(|_| {
        ExtractError::OcrUnavailable(format!("invalid OCR languages {languages:?}"))
    })?;
    // SAFETY: create has no preconditions; the engine owns the handle from here on.
    let engine = Engine {
        handle: unsafe { (api.create)() },
        languages: languages.to_owned(),
    };
    let set = |name: &CStr, value: &CStr| {
        // SAFETY: a live handle and two NUL-terminated strings.
        unsafe { (api.set_variable)(engine.handle, name.as_ptr(), value.as_ptr()) }
    };
    // Tesseract's messages ("Estimating resolution as 386", a model's warnings) would go to
    // the worker's standard error unasked; the program's went to a pipe nobody read either.
    set(c"debug_file", c"/dev/null");
    // SAFETY: a live handle; a null data path means Tesseract's own (TESSDATA_PREFIX or the
    // compiled-in directory), as for the program.
    let failed = unsafe { (api.init3)(engine.handle, std::ptr::null(), c_languages.as_ptr()) };
    if failed != 0 {
        return Err(ExtractError::OcrUnavailable(format!(
            "Tesseract lacks a language of {languages:?} (Debian: apt install tesseract-ocr-<lang>)"
        )));
    }
    // The same as the program's `-c name=value` (see `run_program`).
    for (name, value) in super::TESSERACT_VARIABLES {
        let (Ok(name), Ok(value)) = (CString::new(*name), CString::new(*value)) else {
            continue;
        };
        set(&name, &value);
    }
    Ok(engine)
}

fn give_back(engine: Engine) {
    if let Ok(mut idle) = IDLE.lock()
        && idle.len() < MAX_IDLE_ENGINES
    {
        idle.push(engine);
    }
}

/// Recognises one single-page image (PNG, JPEG or PNM bytes) and returns Tesseract's TSV, as
/// the program would print it; `None` when the library is not available.
pub(super) fn recognize(
    image: &[u8],
    languages: &str,
    page_segmentation: u8,
    timeout: Duration,
) -> Option<Result<String, ExtractError>> {
    let api = api()?;
    Some(recognize_with(
        api,
        image,
        languages,
        page_segmentation,
        timeout,
    ))
}

fn recognize_with(
    api: &Api,
    image: &[u8],
    languages: &str,
    page_segmentation: u8,
    timeout: Duration,
) -> Result<String, ExtractError> {
    let engine = engine(api, languages)?;
    // The program's `--psm N`. SAFETY: a live, initialised handle.
    unsafe { (api.set_page_seg_mode)(engine.handle, c_int::from(page_segmentation.min(13))) };
    // SAFETY: Leptonica reads `image.len()` bytes from a live slice and returns an owned Pix
    // or null.
    let mut pix = unsafe { (api.pix_read_mem)(image.as_ptr(), image.len()) };
    if pix.is_null() {
        give_back(engine);
        return Err(ExtractError::Corrupt(
            "the image cannot be read (Leptonica's pixReadMem refused it)".into(),
        ));
    }
    let started = Instant::now();
    let deadline = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
    // SAFETY: a live handle and Pix; the monitor lives until after `recognize`; the text is
    // copied before it is freed with Tesseract's own function; `clear` drops the handle's
    // reference to the image before the Pix is destroyed.
    let (status, tsv) = unsafe {
        if let Some(set_max_active_levels) = api.omp_set_max_active_levels {
            // No parallel regions on this thread: Tesseract's OpenMP threads busy-wait for
            // each other, and on two busy cores four of them took 2.8× the CPU of one for the
            // same words (docs/benchmarks.md). The program gets `OMP_THREAD_LIMIT=1` for the
            // same reason; the library cannot, as OpenMP read the environment when it loaded.
            set_max_active_levels(0);
        }
        (api.set_image2)(engine.handle, pix);
        let monitor = (api.monitor_create)();
        (api.monitor_set_deadline)(monitor, deadline);
        let status = (api.recognize)(engine.handle, monitor);
        (api.monitor_delete)(monitor);
        let text = (api.get_tsv_text)(engine.handle, 0);
        let tsv = if text.is_null() {
            String::new()
        } else {
            let owned = CStr::from_ptr(text).to_string_lossy().into_owned();
            (api.delete_text)(text);
            owned
        };
        (api.clear)(engine.handle);
        (api.pix_destroy)(&mut pix);
        (status, tsv)
    };
    if started.elapsed() >= timeout {
        // Recognition stopped at the deadline: what came back is partial.
        give_back(engine);
        return Err(ExtractError::OcrFailed(format!(
            "OCR took longer than {timeout:?} and was stopped"
        )));
    }
    if status != 0 {
        // An engine that failed is not trusted with the next document.
        return Err(ExtractError::OcrFailed(
            "Tesseract could not recognise the image".into(),
        ));
    }
    give_back(engine);
    Ok(format!("{TSV_HEADER}{tsv}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic scanned invoice page (150 dpi, a few lines).
    fn page() -> Vec<u8> {
        let spec = doxin_synth::Spec {
            lines: 1..=3,
            scan_dpi: 150.0,
            ..doxin_synth::Spec::default()
        };
        doxin_synth::scanned_png(7, &spec).0
    }

    /// The library, or `None` on a system without Tesseract at all. Where Debian's program is
    /// installed its library is too (`tesseract-ocr` depends on `libtesseract5`), so a
    /// library that does not load there is a failure, not a skip.
    fn loaded() -> Option<&'static Api> {
        let api = api();
        if api.is_none() {
            let program = std::process::Command::new(crate::ocr::DEFAULT_PROGRAM)
                .arg("--version")
                .output();
            assert!(
                program.is_err(),
                "the tesseract program is installed but libtesseract.so.5 does not load"
            );
            eprintln!("skipped: Tesseract is not installed");
        }
        api
    }

    /// The library's words are the program's, and a second document reuses the loaded models.
    #[test]
    fn the_library_reads_what_the_program_reads() {
        let Some(api) = loaded() else { return };
        let image = page();
        let opts = crate::ocr::OcrOptions::default();
        let program =
            crate::ocr::run_program(&image, "eng", &opts).expect("the program beside its library");
        let first = recognize_with(api, &image, "eng", opts.page_segmentation, opts.timeout)
            .expect("the library reads the receipt");
        assert_eq!(
            first, program,
            "the same TSV as `tesseract stdin stdout … tsv`"
        );
        let words = crate::ocr::parse_tsv(&first)
            .iter()
            .flat_map(|p| p.lines.iter())
            .map(|l| l.words.len())
            .sum::<usize>();
        assert!(words > 30, "a page of words: {first}");
        let second = recognize_with(api, &image, "eng", opts.page_segmentation, opts.timeout)
            .expect("and again with the engine kept");
        assert_eq!(second, first);
    }

    /// OpenMP's threads stay out: they took 2.8× the CPU for the same words on busy cores.
    /// libgomp keeps the threads of a parallel region alive, so any would still be counted.
    #[test]
    fn recognition_runs_on_the_calling_thread_alone() {
        let Some(api) = loaded() else { return };
        if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
            eprintln!("skipped: the operator's OMP_THREAD_LIMIT decides");
            return;
        }
        let threads = || std::fs::read_dir("/proc/self/task").map(|d| d.count()).ok();
        let image = page();
        let before = threads();
        recognize_with(api, &image, "eng", 6, Duration::from_secs(60)).expect("read");
        assert_eq!(threads(), before, "no OpenMP threads were started");
    }

    #[test]
    fn recognition_past_its_deadline_is_stopped_and_reported() {
        let Some(api) = loaded() else { return };
        let image = page();
        let err = recognize_with(api, &image, "eng", 6, Duration::from_millis(1))
            .expect_err("a page takes longer than a millisecond");
        assert!(
            matches!(&err, ExtractError::OcrFailed(m) if m.contains("longer than")),
            "{err:?}"
        );
        // The engine came back intact and reads the next page whole.
        let tsv = recognize_with(api, &image, "eng", 6, Duration::from_secs(60)).expect("read");
        assert!(tsv.lines().count() > 30, "{tsv}");
    }

    #[test]
    fn an_image_leptonica_cannot_read_is_a_corrupt_document() {
        let Some(api) = loaded() else { return };
        let mut png = page();
        png.truncate(60);
        let err = recognize_with(api, &png, "eng", 6, Duration::from_secs(30))
            .expect_err("a cut-off PNG is refused");
        assert!(matches!(err, ExtractError::Corrupt(_)), "{err:?}");
    }

    #[test]
    fn a_language_not_installed_is_reported_as_ocr_unavailable() {
        let Some(api) = loaded() else { return };
        let png = page();
        let err = recognize_with(api, &png, "xyzzy", 6, Duration::from_secs(30))
            .expect_err("no such language");
        assert!(matches!(err, ExtractError::OcrUnavailable(_)), "{err:?}");
    }
}
