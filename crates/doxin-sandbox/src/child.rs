//! The child's side: serve request frames from stdin, one at a time, each on a fresh thread with
//! a bounded stack, under an address-space limit set once and a CPU limit renewed per request;
//! answer each with one frame on stdout; exit at the end of input.
//!
//! Whatever goes wrong inside a parser (a stack overflow, an allocation over the memory limit,
//! a CPU loop) ends this process only; the parent reads how it ended, names the cause, fails
//! that one document and starts a fresh child for the next.

use std::io::Write;
use std::process::ExitCode;

use doxin_extract::{ExtractError, pdf, pipeline, render};
use nix::sys::resource::{Resource, UsageWho, getrlimit, getrusage, setrlimit};

use crate::protocol::{Budget, Request, RequestHeader, Response, decode, encode, read_frame};

/// Exit status when a request could not be read (not the document's fault).
const EXIT_BAD_REQUEST: u8 = 3;
/// Largest request frame (the upload limit is far below).
const MAX_REQUEST_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Entry point of the hidden `doxin sandbox-child` subcommand.
pub fn child_main() -> ExitCode {
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut memory_limited = false;
    loop {
        // An idle child goes away by itself; the parent stops handing documents to children
        // idle for less time than this (`MAX_IDLE` in lib.rs), so none is lost to the race.
        if !input_within(&stdin, CHILD_IDLE_EXIT) {
            return ExitCode::SUCCESS;
        }
        let frame = match read_frame(&mut stdin, MAX_REQUEST_BYTES) {
            Ok(Some(f)) => f,
            Ok(None) => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("doxin sandbox: cannot read a request: {e}");
                return ExitCode::from(EXIT_BAD_REQUEST);
            }
        };
        let (header, offset) = match decode::<RequestHeader>(&frame) {
            Ok((h, payload)) => (h, frame.len() - payload.len()),
            Err(e) => {
                eprintln!("doxin sandbox: {e}");
                return ExitCode::from(EXIT_BAD_REQUEST);
            }
        };
        let budget = header.budget;
        if let Err(e) = apply_budget(&budget, !memory_limited) {
            eprintln!("doxin sandbox: cannot set limits: {e}");
            return ExitCode::from(EXIT_BAD_REQUEST);
        }
        memory_limited = true;
        let (response, payload) = serve(header.request, frame, offset, &budget);
        let answer = match encode(&response, &payload) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("doxin sandbox: cannot encode the answer: {e}");
                return ExitCode::from(EXIT_BAD_REQUEST);
            }
        };
        if stdout
            .write_all(&answer)
            .and_then(|()| stdout.flush())
            .is_err()
        {
            // The parent went away.
            return ExitCode::SUCCESS;
        }
    }
}

/// How long a child waits for its next document before it exits.
const CHILD_IDLE_EXIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether input (or its end) arrives on stdin within `wait`.
fn input_within(stdin: &std::io::StdinLock<'_>, wait: std::time::Duration) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
    let timeout = PollTimeout::try_from(wait).unwrap_or(PollTimeout::MAX);
    loop {
        match poll(&mut fds, timeout) {
            Ok(0) => return false,
            Ok(_) => return true,
            Err(nix::errno::Errno::EINTR) => continue,
            // Let the read report whatever is wrong.
            Err(_) => return true,
        }
    }
}

/// Runs one request on its own thread so its stack is bounded and a panic is contained.
fn serve(request: Request, frame: Vec<u8>, offset: usize, budget: &Budget) -> (Response, Vec<u8>) {
    let stack = usize::try_from(budget.stack_bytes).unwrap_or(usize::MAX);
    let worker = std::thread::Builder::new()
        .name("sandboxed-reader".into())
        .stack_size(stack)
        .spawn(move || run_in_process(request, &frame[offset..]));
    match worker.map(|h| h.join()) {
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
                error(&out_of_memory(budget))
            } else {
                error(&ExtractError::Crashed(format!(
                    "the reader panicked: {msg}"
                )))
            }
        }
        Err(e) if is_out_of_memory(&e.to_string()) => error(&out_of_memory(budget)),
        Err(e) => error(&ExtractError::Crashed(format!(
            "cannot start the reader thread: {e}"
        ))),
    }
}

fn out_of_memory(budget: &Budget) -> ExtractError {
    ExtractError::TooComplex(format!(
        "reading it needs more than {} MB of memory (SANDBOX_MEMORY_MB)",
        budget.memory_bytes / (1024 * 1024)
    ))
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

/// The address-space limit and no core files, once (the hard limits cannot be raised again by
/// an unprivileged process); and the CPU limit for this request: the seconds used so far plus
/// the request's budget, as a soft limit (SIGXCPU), below an unchanged hard limit. Tesseract,
/// started from here, inherits them.
fn apply_budget(b: &Budget, first: bool) -> nix::Result<()> {
    if first {
        setrlimit(Resource::RLIMIT_AS, b.memory_bytes, b.memory_bytes)?;
        setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
    }
    let usage = getrusage(UsageWho::RUSAGE_SELF)?;
    let used = usage.user_time().tv_sec() + usage.system_time().tv_sec() + 1;
    let (_, hard) = getrlimit(Resource::RLIMIT_CPU)?;
    let soft = (u64::try_from(used).unwrap_or(0))
        .saturating_add(b.cpu_seconds)
        .min(hard);
    setrlimit(Resource::RLIMIT_CPU, soft, hard)
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
