//! The command line. Settings come from the environment; flags override a few of them.

use clap::{Parser, Subcommand};
use doxin_config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "doxin",
    version,
    about = "DoxIn turns invoices into checked, searchable accounting data"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (migrating the database first).
    Serve {
        /// Port to listen on (overrides PORT).
        #[arg(long)]
        port: Option<u16>,
        /// Address to bind (overrides HOST).
        #[arg(long)]
        host: Option<std::net::IpAddr>,
        /// Serve the API only; jobs are left to `doxin worker` processes.
        #[arg(long)]
        no_worker: bool,
    },
    /// Process queued jobs (any number of workers may share a database and a Redis).
    Worker {
        /// Jobs run at once (overrides WORKER_CONCURRENCY).
        #[arg(long)]
        concurrency: Option<usize>,
        /// Serve this worker's Prometheus metrics at /metrics on this port (overrides
        /// WORKER_METRICS_PORT; 0: none).
        #[arg(long)]
        metrics_port: Option<u16>,
        /// Exit 0 if a live worker of this deployment sent a heartbeat recently, 1 if none did
        /// (the compose health check); processes nothing.
        #[arg(long)]
        ping: bool,
    },
    /// Serve the worker monitor (the role Flower played): a page and a JSON API for
    /// administrators with workers, queues, throughput, recent jobs, and retry / cancel /
    /// requeue-dead-letters actions.
    Monitor {
        /// Port to listen on (overrides MONITOR_PORT; default 5555).
        #[arg(long, env = "MONITOR_PORT", default_value_t = 5555)]
        port: u16,
        /// Address to bind (overrides HOST).
        #[arg(long)]
        host: Option<std::net::IpAddr>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Extract invoices from files and print them (JSON, corpus fields or CSV).
    Extract {
        /// Files to read (PDF, PNG, JPEG, TIFF, WebP, UBL/CII/FatturaPA XML, text).
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        #[arg(long, value_enum, default_value = "json")]
        format: crate::extract_cmd::Format,
        #[command(flatten)]
        extraction: ExtractionArgs,
        #[command(flatten)]
        llm: crate::extract_cmd::LlmArgs,
    },
    /// Measure extraction on a corpus with ground truth (`<stem>.expected.json` files).
    Eval {
        /// The corpus directory, e.g. ../shared/eval.
        dir: std::path::PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// How many wrong or missing values to list.
        #[arg(long, default_value_t = 0)]
        misses: usize,
        #[command(flatten)]
        extraction: ExtractionArgs,
    },
    /// Manage accounts (the first administrator, API tokens for scripts).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Demo data: vendors, customers and invoices for dashboards, reports and benchmarks.
    Demo {
        #[command(subcommand)]
        action: DemoAction,
    },
    /// Import data from files: the earlier system's reference workbook, invoices from CSV.
    Import {
        #[command(subcommand)]
        action: ImportAction,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

/// Options shared by `extract` and `eval`.
#[derive(Debug, clap::Args)]
pub struct ExtractionArgs {
    /// Ignore e-invoices embedded in PDFs and read the visible page instead.
    #[arg(long)]
    pub no_embedded_xml: bool,
    /// OCR languages (Tesseract codes joined by '+'; overrides OCR_LANGUAGES).
    #[arg(long)]
    pub ocr_lang: Option<String>,
    /// Images narrower than this many pixels are enlarged twice before OCR (0: never;
    /// overrides OCR_UPSCALE_BELOW).
    #[arg(long)]
    pub ocr_upscale_below: Option<u32>,
}

impl ExtractionArgs {
    /// Extraction options: OCR as `settings` configure it, with this command's flags applied.
    pub fn options(&self, settings: &Settings) -> doxin_extract::pipeline::ExtractOptions {
        let mut o = doxin_extract::pipeline::ExtractOptions {
            use_embedded_xml: !self.no_embedded_xml,
            ocr: crate::jobs_setup::ocr_options(settings),
            ..Default::default()
        };
        if let Some(langs) = &self.ocr_lang {
            o.ocr.languages = langs.clone();
        }
        if let Some(px) = self.ocr_upscale_below {
            o.ocr.upscale_below = px;
        }
        o
    }
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create a user. The password is read from DOXIN_USER_PASSWORD, else from the first line
    /// of standard input (never from a flag, which would land in shell history).
    Create {
        #[arg(long)]
        email: String,
        /// Display name (defaults to the part of the address before '@').
        #[arg(long)]
        name: Option<String>,
        /// Make the user an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Create a personal API token for a user and print it (shown once).
    Token {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "nightly import".
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// Where an import goes and what it reports.
#[derive(Debug, clap::Args)]
pub struct ImportTarget {
    /// The owner's e-mail address (default: the first active administrator).
    #[arg(long)]
    pub owner: Option<String>,
    /// The workspace (default: the owner's first).
    #[arg(long)]
    pub workspace: Option<uuid::Uuid>,
    /// Write every rejected row (sheet, row, reason) to this file as JSON.
    #[arg(long)]
    pub rejections: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ImportAction {
    /// The earlier system's AdventureWorks-shaped workbook (.xlsx, nine sheets: ProductCategory,
    /// ProductSubcategory, Product, SalesTerritory, SalesPerson, ShipMethod, Company,
    /// SalesOrderHeader, SalesOrderDetail). Reference data, companies (as customers) and sales
    /// orders (as invoices with their lines) are created or updated by their ids in the
    /// workbook: importing the same file again changes nothing.
    Reference {
        file: std::path::PathBuf,
        #[command(flatten)]
        target: ImportTarget,
        /// The seller on the sales orders (default: the workspace's name).
        #[arg(long)]
        seller: Option<String>,
        /// The currency of orders without a CurrencyCode, and of product costs and prices.
        #[arg(long, default_value = "USD")]
        currency: String,
    },
    /// Invoices from CSV: a header row naming canonical fields (invoice_number, issue_date,
    /// currency, seller_name, gross_amount, ...; line_description, line_quantity, ... for
    /// lines), one row per invoice or per line. Created or updated by seller and number.
    Invoices {
        file: std::path::PathBuf,
        #[command(flatten)]
        target: ImportTarget,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoAction {
    /// Insert a deterministic set of invoices (with their vendors and customers) over the two
    /// years before today. The same seed gives the same invoices; a second run skips those
    /// already there.
    Seed {
        /// How many invoices (1 to 1,000,000).
        #[arg(long)]
        invoices: u64,
        /// The seed: the same seed, the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The owner's e-mail address (default: the first administrator; on an installation
        /// without users a demo@example.com administrator is created).
        #[arg(long)]
        owner: Option<String>,
        /// The workspace (default: the owner's first, or a new "Demo" workspace).
        #[arg(long)]
        workspace: Option<uuid::Uuid>,
        /// The day the two years end (YYYY-MM-DD; default: today).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Write a reference workbook of the shape `doxin import reference` reads (made-up
    /// companies, products and sales orders with one to seven lines each). No database needed.
    Workbook {
        /// The .xlsx file to write.
        #[arg(long)]
        out: std::path::PathBuf,
        /// How many sales orders (1 to 1,000,000; four lines each on average).
        #[arg(long, default_value_t = 1000)]
        orders: u32,
        /// The seed: the same seed, the same workbook.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Put one bad row of each kind in (a line naming a missing product, a negative
        /// quantity, an order date that does not exist), to see how an import reports them.
        #[arg(long)]
        flawed: bool,
    },
    /// Write generated invoice PDFs to a folder (for uploading by hand or from a browser
    /// test), with `manifest.json` describing each: number, seller, printed and consistent
    /// gross totals, whether its printed total disagrees with its lines. No database needed.
    Files {
        /// The folder (created if missing).
        #[arg(long)]
        out: std::path::PathBuf,
        /// How many invoices.
        #[arg(long, default_value_t = 3)]
        count: u32,
        /// How many of them (the last ones) print a gross total that does not add up, so
        /// validation raises a finding and they wait for review.
        #[arg(long, default_value_t = 0)]
        misprinted: u32,
        /// The seed of the first invoice (the others follow): the same seed, the same files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the effective configuration (secrets masked) and where each value came from.
    Check,
}

impl Cli {
    pub fn apply_overrides(&self, mut s: Settings) -> Settings {
        if let Command::Worker {
            concurrency: Some(n),
            ..
        } = &self.command
        {
            s.worker_concurrency = (*n).max(1);
        }
        if let Command::Worker {
            metrics_port: Some(port),
            ..
        } = &self.command
        {
            s.worker_metrics_port = *port;
        }
        if let Command::Serve { port, host, .. } = &self.command {
            s.override_listen(*host, *port);
        }
        s
    }
}
