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
    let worker = std::thread::Builder::new()
        .name("sandboxed-reader".into())
        .stack_size(stack)
        .spawn(move || run_in_process(request, &input[offset..]));
    let (response, payload) = match worker.map(|h| h.join()) {
        Ok(Ok(answer)) => answer,
        // A panic is already a typed error inside doxin-extract; one that escapes is a bug on
        // this document, reported as a crash.
        Ok(Err(_)) => error(&ExtractError::Crashed("the reader panicked".into())),
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
