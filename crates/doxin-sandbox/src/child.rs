//! The child's side: read one request frame from stdin, put limits on this process, do the work
//! on a thread with a bounded stack, write one response frame to stdout, exit.
//!
//! Whatever goes wrong inside a parser (a stack overflow, an allocation over the memory limit,
//! a CPU loop) ends this process only; the parent reads how it ended and names the cause.

use std::io::{Read, Write};
use std::process::ExitCode;

use doxin_extract::{ExtractError, pdf, pipeline, render};
use nix::sys::resource::{Resource, setrlimit};

use crate::protocol::{Budget, Request, RequestHeader, Response, decode, encode};

/// Exit status when the request could not be read (not the document's fault).
const EXIT_BAD_REQUEST: u8 = 3;

/// Entry point of the hidden `doxin sandbox-child` subcommand.
pub fn child_main() -> ExitCode {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut input) {
        eprintln!("doxin sandbox: cannot read the request: {e}");
        return ExitCode::from(EXIT_BAD_REQUEST);
    }
    let (header, offset) = match decode::<RequestHeader>(&input) {
        Ok((h, payload)) => {
            let offset = input.len() - payload.len();
            (h, offset)
        }
        Err(e) => {
            eprintln!("doxin sandbox: {e}");
            return ExitCode::from(EXIT_BAD_REQUEST);
        }
    };
    if let Err(e) = apply_budget(&header.budget) {
        eprintln!("doxin sandbox: cannot set limits: {e}");
        return ExitCode::from(EXIT_BAD_REQUEST);
    }
    let stack = usize::try_from(header.budget.stack_bytes).unwrap_or(usize::MAX);
    let request = header.request;
    let budget = header.budget;
    let worker = std::thread::Builder::new()
        .name("sandboxed-reader".into())
        .stack_size(stack)
        .spawn(move || run_in_process(request, &input[offset..]));
    let (response, payload) = match worker.map(|h| h.join()) {
        Ok(Ok(answer)) => answer,
        // Parser panics are typed errors inside doxin-extract already; one that escapes is
        // either the memory limit met where the standard library panics instead of aborting
        // (a thread or a process that cannot be started) or a bug on this document.
        Ok(Err(payload)) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if is_out_of_memory(&msg) {
                error(&ExtractError::TooComplex(format!(
                    "reading it needs more than {} MB of memory (SANDBOX_MEMORY_MB)",
                    budget.memory_bytes / (1024 * 1024)
                )))
            } else {
                error(&ExtractError::Crashed(format!(
                    "the reader panicked: {msg}"
                )))
            }
        }
        Err(e) => error(&ExtractError::Crashed(format!(
            "cannot start the reader thread: {e}"
        ))),
    };
    let frame = match encode(&response, &payload) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("doxin sandbox: cannot encode the answer: {e}");
            return ExitCode::from(EXIT_BAD_REQUEST);
        }
    };
    let mut out = std::io::stdout().lock();
    if out.write_all(&frame).and_then(|()| out.flush()).is_err() {
        return ExitCode::from(EXIT_BAD_REQUEST);
    }
    ExitCode::SUCCESS
}

/// Whether a panic message is the address-space limit showing (ENOMEM from mmap, clone or
/// fork, or a refused reservation).
fn is_out_of_memory(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("os error 12")
        || m.contains("cannot allocate memory")
        || m.contains("out of memory")
        || m.contains("memory allocation")
        || m.contains("capacity overflow")
}

/// Address space, CPU seconds (SIGXCPU at the soft limit; SIGKILL a second later if that
/// signal is ignored), and no core files. OCR's Tesseract, started from here, inherits them.
fn apply_budget(b: &Budget) -> nix::Result<()> {
    setrlimit(Resource::RLIMIT_AS, b.memory_bytes, b.memory_bytes)?;
    setrlimit(
        Resource::RLIMIT_CPU,
        b.cpu_seconds,
        b.cpu_seconds.saturating_add(1),
    )?;
    setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
    Ok(())
}

fn error(e: &ExtractError) -> (Response, Vec<u8>) {
    (
        Response::Error {
            code: e.code().to_string(),
            message: e.to_string(),
            retryable: e.is_retryable(),
        },
        Vec::new(),
    )
}

/// The work itself, also used by the in-process mode.
pub(crate) fn run_in_process(request: Request, document: &[u8]) -> (Response, Vec<u8>) {
    match request {
        Request::PageCount { limits } => match pdf::page_count_within(document, &limits) {
            Ok(pages) => (Response::PageCount { pages }, Vec::new()),
            Err(e) => error(&e),
        },
        Request::Extract { options } => match pipeline::extract(document, &options) {
            Ok(extraction) => (
                Response::Extraction {
                    extraction: Box::new(extraction),
                },
                Vec::new(),
            ),
            Err(e) => error(&e),
        },
        Request::RenderPage { page, dpi } => match render::render_page_png(document, page, dpi) {
            Ok(png) => (Response::Png, png),
            Err(e) => error(&e),
        },
    }
}
