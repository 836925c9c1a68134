//! Reading untrusted documents in a child process with limits.
//!
//! The PDF libraries DoxIn uses recurse without a depth limit, and a stack overflow aborts the
//! whole process (`catch_unwind` cannot stop it); a tiny file can ask for gigabytes or minutes.
//! So page counting at intake, extraction in the worker and page rendering run in a child: the
//! same binary started with a hidden subcommand (`doxin sandbox-child`, see [`child_main`]),
//! which limits its own address space, CPU seconds and stack before it reads the document. A
//! crash or a budget overrun ends the child only, and the parent turns how it ended into a typed
//! error: [`ExtractError::TooComplex`] (`document_too_complex`: over the memory, CPU, stack or
//! time budget) or [`ExtractError::Crashed`] (`extraction_crashed`: killed by any other signal).
//! Both are permanent, so a job is never retried into the same crash.
//!
//! [`Isolation::InProcess`] runs the same work on a blocking thread instead (tests of the
//! library crates, `SANDBOX=off`); the structural checks of `doxin_extract::pdf::budget` apply
//! either way.

mod child;
pub mod protocol;

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use doxin_extract::pipeline::{ExtractOptions, Extraction};
use doxin_extract::{DocumentLimits, ExtractError};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

pub use child::child_main;
use protocol::{Budget, Request, RequestHeader, Response};

/// Where documents are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// On a blocking thread of this process (no crash isolation).
    InProcess,
    /// In a child process: `program args… ` must run [`child_main`].
    Child { program: PathBuf, args: Vec<String> },
}

/// The sandbox's settings.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub isolation: Isolation,
    /// Address-space limit of the child (`SANDBOX_MEMORY_MB`).
    pub memory_bytes: u64,
    /// CPU seconds of the child itself (`SANDBOX_CPU_SECONDS`); OCR runs in Tesseract, which
    /// gets the same limit of its own.
    pub cpu_seconds: u64,
    /// Wall time of one document, OCR included (`SANDBOX_TIMEOUT_SECS`); then the child and
    /// everything it started are killed.
    pub timeout: Duration,
    /// Stack of the reading thread.
    pub stack_bytes: u64,
    /// Children alive at once per process; more requests wait.
    pub max_children: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            isolation: Isolation::InProcess,
            memory_bytes: 1024 * 1024 * 1024,
            cpu_seconds: 60,
            timeout: Duration::from_secs(300),
            stack_bytes: 16 * 1024 * 1024,
            max_children: std::thread::available_parallelism()
                .map_or(2, |n| n.get() * 2)
                .max(2),
        }
    }
}

impl SandboxConfig {
    /// Children of the running executable, started as `<exe> sandbox-child`.
    pub fn current_exe() -> std::io::Result<Self> {
        Ok(SandboxConfig {
            isolation: Isolation::Child {
                program: std::env::current_exe()?,
                args: vec!["sandbox-child".into()],
            },
            ..SandboxConfig::default()
        })
    }
}

/// Largest answer read from a child (a rendered page or an extraction's JSON).
const MAX_RESPONSE_BYTES: u64 = 512 * 1024 * 1024;
/// How much of a child's stderr is kept to explain how it ended.
const MAX_STDERR_BYTES: u64 = 16 * 1024;
/// Environment a child keeps: enough to find and run Tesseract, nothing secret (database URLs,
/// API keys and signing keys stay in the parent).
const CHILD_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "TESSDATA_PREFIX",
    "OMP_THREAD_LIMIT",
    "OMP_NUM_THREADS",
];

/// Reads documents under [`SandboxConfig`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Sandbox {
    config: Arc<SandboxConfig>,
    permits: Arc<Semaphore>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new(SandboxConfig::default())
    }
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.max_children.max(1)));
        Sandbox {
            config: Arc::new(config),
            permits,
        }
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Whether documents are read in a child process.
    pub fn isolated(&self) -> bool {
        matches!(self.config.isolation, Isolation::Child { .. })
    }

    /// The page count of a PDF, after the structural checks against `limits`.
    pub async fn page_count(
        &self,
        document: Arc<Vec<u8>>,
        limits: &DocumentLimits,
    ) -> Result<u32, ExtractError> {
        let request = Request::PageCount {
            limits: limits.clone(),
        };
        match self.run(request, document).await? {
            (Response::PageCount { pages }, _) => Ok(pages),
            (other, _) => Err(unexpected(&other)),
        }
    }

    /// Extracts an invoice from a document (`doxin_extract::pipeline::extract`).
    pub async fn extract(
        &self,
        document: Arc<Vec<u8>>,
        options: &ExtractOptions,
    ) -> Result<Extraction, ExtractError> {
        let request = Request::Extract {
            options: Box::new(options.clone()),
        };
        match self.run(request, document).await? {
            (Response::Extraction { extraction }, _) => Ok(*extraction),
            (other, _) => Err(unexpected(&other)),
        }
    }

    /// Renders one page of a PDF to PNG.
    pub async fn render_page_png(
        &self,
        document: Arc<Vec<u8>>,
        page: u32,
        dpi: f32,
    ) -> Result<Vec<u8>, ExtractError> {
        match self
            .run(Request::RenderPage { page, dpi }, document)
            .await?
        {
            (Response::Png, png) => Ok(png),
            (other, _) => Err(unexpected(&other)),
        }
    }

    async fn run(
        &self,
        request: Request,
        document: Arc<Vec<u8>>,
    ) -> Result<(Response, Vec<u8>), ExtractError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ExtractError::Crashed("the sandbox is shut down".into()))?;
        let answer = match &self.config.isolation {
            Isolation::InProcess => {
                tokio::task::spawn_blocking(move || child::run_in_process(request, &document))
                    .await
                    .map_err(|e| ExtractError::Crashed(format!("the reading task failed: {e}")))?
            }
            Isolation::Child { program, args } => {
                self.run_child(program, args, request, &document).await?
            }
        };
        match answer {
            (
                Response::Error {
                    code,
                    message,
                    retryable,
                },
                _,
            ) => Err(ExtractError::reported(&code, message, retryable)),
            ok => Ok(ok),
        }
    }

    async fn run_child(
        &self,
        program: &PathBuf,
        args: &[String],
        request: Request,
        document: &[u8],
    ) -> Result<(Response, Vec<u8>), ExtractError> {
        let cfg = &self.config;
        let header = RequestHeader {
            request,
            budget: Budget {
                memory_bytes: cfg.memory_bytes,
                cpu_seconds: cfg.cpu_seconds,
                stack_bytes: cfg.stack_bytes,
            },
        };
        // The header goes as a frame without payload; the document follows it unchanged.
        let head = protocol::encode(&header, &[])
            .map_err(|e| ExtractError::Crashed(format!("cannot encode the request: {e}")))?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(
                CHILD_ENV
                    .iter()
                    .filter_map(|k| std::env::var_os(k).map(|v| (*k, v))),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group, so a timeout kills Tesseract with it.
            .process_group(0);
        let mut child = cmd.spawn().map_err(|e| {
            // Not the document's fault: worth another try once the machine is fixed.
            ExtractError::reported(
                "extraction_crashed",
                format!(
                    "the sandbox process {} cannot start: {e}",
                    program.display()
                ),
                true,
            )
        })?;
        let pid = child.id().and_then(|p| i32::try_from(p).ok());
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ExtractError::Crashed(
                "the sandbox process has no pipes".into(),
            ));
        };
        let exchange = async {
            let write = async {
                // A child that dies early closes its stdin: how it ended says why.
                let _ = stdin.write_all(&head).await;
                let _ = stdin.write_all(document).await;
                drop(stdin);
            };
            let read = async {
                let mut out = Vec::new();
                let _ = stdout.take(MAX_RESPONSE_BYTES).read_to_end(&mut out).await;
                out
            };
            let read_err = async {
                let mut err = Vec::new();
                let mut stderr = stderr;
                let _ = (&mut stderr)
                    .take(MAX_STDERR_BYTES)
                    .read_to_end(&mut err)
                    .await;
                // Keep draining so a chatty child never blocks on a full pipe.
                let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
                err
            };
            let ((), out, err) = tokio::join!(write, read, read_err);
            let status = child.wait().await;
            (out, err, status)
        };
        let outcome = tokio::time::timeout(cfg.timeout, exchange).await;
        let Ok((out, err, status)) = outcome else {
            kill_group(pid);
            let _ = child.wait().await;
            return Err(ExtractError::TooComplex(format!(
                "reading it took longer than {} s (SANDBOX_TIMEOUT_SECS)",
                cfg.timeout.as_secs()
            )));
        };
        let status = status
            .map_err(|e| ExtractError::Crashed(format!("cannot wait for the sandbox: {e}")))?;
        if status.success() {
            return match protocol::decode::<Response>(&out) {
                Ok((response, payload)) => Ok((response, payload.to_vec())),
                Err(e) => Err(ExtractError::Crashed(format!(
                    "the sandbox answered nonsense: {e}"
                ))),
            };
        }
        // Whatever the child started (Tesseract) goes with it.
        kill_group(pid);
        Err(classify(status, &String::from_utf8_lossy(&err), cfg))
    }
}

fn kill_group(pid: Option<i32>) {
    if let Some(pid) = pid {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// Names how a child that did not answer ended.
fn classify(status: ExitStatus, stderr: &str, cfg: &SandboxConfig) -> ExtractError {
    let mb = cfg.memory_bytes / (1024 * 1024);
    if stderr.contains("memory allocation of") || stderr.contains("out of memory") {
        return ExtractError::TooComplex(format!(
            "reading it needs more than {mb} MB of memory (SANDBOX_MEMORY_MB)"
        ));
    }
    if stderr.contains("overflowed its stack") {
        return ExtractError::TooComplex(
            "its structure nests too deeply to read (the reader ran out of stack)".into(),
        );
    }
    match status.signal() {
        Some(s) if s == Signal::SIGXCPU as i32 => ExtractError::TooComplex(format!(
            "reading it needs more than {} s of CPU (SANDBOX_CPU_SECONDS)",
            cfg.cpu_seconds
        )),
        Some(s) => {
            let name =
                Signal::try_from(s).map_or_else(|_| format!("signal {s}"), |sig| sig.to_string());
            ExtractError::Crashed(format!("the reader process was killed by {name}"))
        }
        None => {
            let last = stderr.lines().last().unwrap_or("").trim();
            ExtractError::Crashed(format!(
                "the reader process exited with status {}{}",
                status.code().unwrap_or(-1),
                if last.is_empty() {
                    String::new()
                } else {
                    format!(": {last}")
                }
            ))
        }
    }
}

fn unexpected(r: &Response) -> ExtractError {
    ExtractError::Crashed(format!("the sandbox answered the wrong thing: {r:?}"))
}
