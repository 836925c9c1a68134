//! Reading untrusted documents in a child process with limits.
//!
//! The PDF libraries DoxIn uses recurse without a depth limit, and a stack overflow aborts the
//! whole process (`catch_unwind` cannot stop it); a tiny file can ask for gigabytes or minutes.
//! So page counting at intake, extraction in the worker and page rendering run in a child: the
//! same binary started with a hidden subcommand (`doxin sandbox-child`, see [`child_main`]),
//! which limits its own address space, CPU seconds and stack before it reads a document.
//! Children are kept in a small pool and serve one document at a time, so a document pays for a
//! pipe round trip, not a process start (measured in `benches/sandbox_overhead.rs` of the
//! `doxin` crate); a child is replaced after a crash and after 200 documents. A crash or a
//! budget overrun ends the child only, and the parent turns how it ended into a typed
//! error: [`ExtractError::TooComplex`] (`document_too_complex`: over the memory, CPU, stack or
//! time budget) or [`ExtractError::Crashed`] (`extraction_crashed`: killed by any other signal).
//! Both are permanent, so a job is never retried into the same crash.
//!
//! [`Isolation::InProcess`] runs the same work on a blocking thread instead (tests of the
//! library crates, `SANDBOX=off`); the structural checks of `doxin_extract::pdf::budget` apply
//! either way.
#![forbid(unsafe_code)]

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
const MAX_STDERR_BYTES: usize = 16 * 1024;
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
#[derive(Clone)]
pub struct Sandbox {
    config: Arc<SandboxConfig>,
    permits: Arc<Semaphore>,
    /// Children waiting for their next document (a pool: starting one costs milliseconds).
    idle: Arc<std::sync::Mutex<Vec<ChildProcess>>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.config)
            .finish()
    }
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
            idle: Arc::new(std::sync::Mutex::new(Vec::new())),
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
        let frame = protocol::encode(&header, document)
            .map_err(|e| ExtractError::Crashed(format!("cannot encode the request: {e}")))?;
        let mut child = match self.idle_child() {
            Some(c) => c,
            None => ChildProcess::spawn(program, args)?,
        };
        let outcome = tokio::time::timeout(cfg.timeout, child.exchange(&frame)).await;
        match outcome {
            Ok(Ok(answer)) => {
                child.served += 1;
                if child.served < MAX_REQUESTS_PER_CHILD {
                    self.give_back(child);
                }
                match protocol::decode::<Response>(&answer) {
                    Ok((response, payload)) => Ok((response, payload.to_vec())),
                    Err(e) => Err(ExtractError::Crashed(format!(
                        "the sandbox answered nonsense: {e}"
                    ))),
                }
            }
            Ok(Err(_)) => {
                // The child died on this document (or its pipe broke): how it ended says why.
                let (status, stderr) = child.finish().await;
                Err(match status {
                    Some(status) => classify(status, &stderr, cfg),
                    None => ExtractError::Crashed("the reader process vanished".into()),
                })
            }
            Err(_) => {
                child.kill().await;
                Err(ExtractError::TooComplex(format!(
                    "reading it took longer than {} s (SANDBOX_TIMEOUT_SECS)",
                    cfg.timeout.as_secs()
                )))
            }
        }
    }

    /// An idle child that is alive and not about to time out, if any. The others are dropped
    /// (killed and reaped by tokio).
    fn idle_child(&self) -> Option<ChildProcess> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(mut c) = idle.pop() {
            // One killed while idle (an operator, the OOM killer) is not handed a document.
            if c.idle_since.elapsed() < MAX_IDLE && matches!(c.child.try_wait(), Ok(None)) {
                return Some(c);
            }
        }
        None
    }

    fn give_back(&self, mut child: ChildProcess) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        // Children idle too long have exited or are about to: let them go.
        idle.retain(|c| c.idle_since.elapsed() < MAX_IDLE);
        if idle.len() < self.config.max_children {
            child.idle_since = std::time::Instant::now();
            idle.push(child);
        }
    }
}

/// Idle children exit after 60 s (the child's `CHILD_IDLE_EXIT`), so an idle server holds no
/// sandbox memory; the parent uses none idle for longer than this, well inside that.
const MAX_IDLE: Duration = Duration::from_secs(45);

/// After this many documents a child is replaced, so whatever one document left behind in
/// its allocator (fragmentation, a leak in a parser) does not accumulate.
const MAX_REQUESTS_PER_CHILD: u32 = 200;

/// A running `sandbox-child`: its pipes, the tail of its stderr, how many documents it read.
struct ChildProcess {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::process::ChildStdout,
    stderr_tail: Arc<std::sync::Mutex<Vec<u8>>>,
    stderr_task: tokio::task::JoinHandle<()>,
    pid: Option<i32>,
    served: u32,
    idle_since: std::time::Instant,
}

impl ChildProcess {
    fn spawn(program: &PathBuf, args: &[String]) -> Result<ChildProcess, ExtractError> {
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
            // Dropped mid-document (a cancelled request): the child goes too.
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
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ExtractError::Crashed(
                "the sandbox process has no pipes".into(),
            ));
        };
        // Drained all the time (a chatty child must never block on a full pipe); the tail is
        // kept to explain a crash.
        let stderr_tail = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tail = stderr_tail.clone();
        let stderr_task = tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                t.extend_from_slice(&buf[..n]);
                let excess = t.len().saturating_sub(MAX_STDERR_BYTES);
                t.drain(..excess);
            }
        });
        Ok(ChildProcess {
            child,
            stdin,
            stdout,
            stderr_tail,
            stderr_task,
            pid,
            served: 0,
            idle_since: std::time::Instant::now(),
        })
    }

    /// Sends one request frame and reads one answer frame.
    async fn exchange(&mut self, frame: &[u8]) -> std::io::Result<Vec<u8>> {
        // The child reads the whole request before it answers, so writing first cannot
        // deadlock.
        self.stdin.write_all(frame).await?;
        self.stdin.flush().await?;
        let mut prefix = [0u8; 12];
        self.stdout.read_exact(&mut prefix).await?;
        let (len, payload_len) = protocol::lengths(&prefix);
        let total = (len as u64).saturating_add(payload_len);
        if total > MAX_RESPONSE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the answer is over the size limit",
            ));
        }
        let mut answer = Vec::with_capacity(12 + total as usize);
        answer.extend_from_slice(&prefix);
        (&mut self.stdout)
            .take(total)
            .read_to_end(&mut answer)
            .await?;
        if answer.len() as u64 != 12 + total {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(answer)
    }

    /// Waits for a child that stopped answering; returns how it ended and the end of its
    /// stderr. Whatever it started (Tesseract) is killed with it.
    async fn finish(mut self) -> (Option<ExitStatus>, String) {
        let status = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        kill_group(self.pid);
        let status = match status {
            Ok(Ok(s)) => Some(s),
            _ => {
                let _ = self.child.kill().await;
                self.child.wait().await.ok()
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.stderr_task).await;
        let tail = self
            .stderr_tail
            .lock()
            .map(|t| String::from_utf8_lossy(&t).into_owned())
            .unwrap_or_default();
        (status, tail)
    }

    async fn kill(mut self) {
        kill_group(self.pid);
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
        self.stderr_task.abort();
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
