//! Where OCR time goes, per image: Tesseract alone with one language (as it comes, and on
//! one OpenMP thread), Tesseract with `eng+deu`, `ocr::ocr_image` with the Tesseract program
//! (`OCR_ENGINE=program`, the engine before the library) and `ocr::ocr_image` as the pipeline
//! runs it by default (the library, models loaded once: the first image's loading is timed
//! apart, as a worker pays it once), interleaved so that machine load falls on all alike;
//! then DoxIn's own steps apart (decoding, the faded check, the PNM hand-over, TSV parsing,
//! the rules).
//!
//! ```text
//! cargo run --release -p doxin-extract --example ocr_timing -- [--rounds N] [--lang eng] IMAGE|DIR…
//! ```
//!
//! Times are wall seconds and CPU seconds (user + system, this process and its waited-for
//! children, from /proc/self/stat; 10 ms resolution). CPU time is the steadier figure on a
//! shared machine. Tesseract alone runs as `tesseract IMG - -l LANG --psm 6 tsv` with the
//! environment as it is (set OMP_THREAD_LIMIT to compare like with like).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use doxin_extract::layout::Layout;
use doxin_extract::ocr::{OcrEngine, OcrOptions, ocr_image, parse_tsv, prepare_image};

/// CPU seconds used so far by this process and its waited-for children.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) in parentheses.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // utime, stime, cutime, cstime are fields 14..=17 of the whole line: 11..=14 here.
    let ticks: f64 = f.get(11..15).map_or(0.0, |v| v.iter().sum());
    ticks / 100.0
}

#[derive(Default, Clone, Copy)]
struct Cost {
    wall: f64,
    cpu: f64,
}

impl std::ops::AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        self.wall += o.wall;
        self.cpu += o.cpu;
    }
}

fn measure<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    let (c0, t0) = (cpu_seconds(), Instant::now());
    let out = f();
    let cost = Cost {
        wall: t0.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - c0,
    };
    (out, cost)
}

/// `tesseract IMG - -l LANGS --psm 6 tsv`, with OMP_THREAD_LIMIT=1 when `one_thread`; its
/// cost and the TSV it printed.
fn tesseract(path: &Path, langs: &str, one_thread: bool) -> (Cost, String) {
    let (tsv, cost) = measure(|| {
        let mut command = Command::new("tesseract");
        command
            .arg(path)
            .args(["-", "-l", langs, "--psm", "6", "tsv"])
            .stderr(Stdio::null());
        if one_thread {
            command.env("OMP_THREAD_LIMIT", "1");
        }
        match command.output() {
            Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
            _ => {
                eprintln!("tesseract failed on {}", path.display());
                String::new()
            }
        }
    });
    (cost, tsv)
}

fn images(args: &[String]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for a in args {
        let p = PathBuf::from(a);
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&p)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|q| {
                    q.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| matches!(e, "jpg" | "jpeg" | "png"))
                })
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(p);
        }
    }
    out
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut rounds = 1usize;
    let mut lang = "eng".to_string();
    while let Some(i) = args.iter().position(|a| a == "--rounds" || a == "--lang") {
        let Some(value) = args.get(i + 1).cloned() else {
            eprintln!("{} needs a value", args[i]);
            return ExitCode::from(2);
        };
        if args[i] == "--rounds" {
            rounds = value.parse().unwrap_or(1).max(1);
        } else {
            lang = value;
        }
        args.drain(i..=i + 1);
    }
    let files = images(&args);
    if files.is_empty() {
        eprintln!("usage: ocr_timing [--rounds N] [--lang eng] IMAGE|DIR…");
        return ExitCode::from(2);
    }
    let opts = OcrOptions::default();
    let program = OcrOptions {
        engine: OcrEngine::Program,
        ..opts.clone()
    };
    if let Some(first) = files.first().and_then(|f| std::fs::read(f).ok()) {
        let (_, c) = measure(|| ocr_image(&first, &opts));
        println!(
            "first image with the default engine, models loaded: {:.3} s wall {:.3} s CPU (once per process)",
            c.wall, c.cpu
        );
    }
    println!(
        "OCR options now: {opts:?}; OMP_THREAD_LIMIT={:?}",
        std::env::var("OMP_THREAD_LIMIT").ok()
    );
    println!(
        "{:<20} {:>11} {:>11} {:>11} {:>11} {:>11} | wall/CPU s; decode grey faded+hand-over parse rules (ms)",
        "image", "tess 1", "tess 1 omp1", "tess e+d", "doxin prog", "doxin now"
    );
    let mut sums = [Cost::default(); 5];
    let mut steps = [0f64; 5];
    for round in 0..rounds {
        for path in &files {
            let Ok(bytes) = std::fs::read(path) else {
                eprintln!("cannot read {}", path.display());
                continue;
            };
            // Interleaved, and the order turned each round, so drift hits all alike.
            let mut costs = [Cost::default(); 5];
            let mut pages = None;
            let mut tsv = String::new();
            let mut order = [0usize, 1, 2, 3, 4];
            if round % 2 == 1 {
                order.reverse();
            }
            for i in order {
                costs[i] = match i {
                    0 => tesseract(path, &lang, false).0,
                    1 => tesseract(path, &lang, true).0,
                    2 => {
                        let (c, out) = tesseract(path, "eng+deu", false);
                        tsv = out;
                        c
                    }
                    3 => measure(|| ocr_image(&bytes, &program)).1,
                    _ => {
                        let (p, c) = measure(|| ocr_image(&bytes, &opts));
                        pages = Some(p);
                        c
                    }
                };
            }
            let Some(pages) = pages else { continue };
            let pages = match pages {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    continue;
                }
            };
            for (sum, c) in sums.iter_mut().zip(costs) {
                *sum += c;
            }
            // DoxIn's own steps, one by one.
            let t = Instant::now();
            let decoded = image::load_from_memory(&bytes);
            let decode = t.elapsed().as_secs_f64();
            let t = Instant::now();
            if let Ok(img) = &decoded {
                let grey = img.to_luma8();
                std::hint::black_box(grey);
            }
            let grey = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let (input, _) = prepare_image(&bytes, opts.upscale_below);
            // What prepare_image adds beyond the decode (the faded check, a PNM encode).
            let prepare = (t.elapsed().as_secs_f64() - decode).max(0.0);
            let changed = input != bytes;
            let t = Instant::now();
            let parsed = parse_tsv(&tsv);
            let parse = t.elapsed().as_secs_f64();
            std::hint::black_box(parsed);
            let t = Instant::now();
            let layout = Layout {
                pages,
                source: doxin_model::Source::Ocr,
            };
            std::hint::black_box(doxin_extract::rules::extract_invoice(&layout));
            let rules = t.elapsed().as_secs_f64();
            let row = [decode, grey, prepare, parse, rules];
            for (s, r) in steps.iter_mut().zip(row) {
                *s += r;
            }
            let cell = |c: Cost| format!("{:>5.2}/{:<5.2}", c.wall, c.cpu);
            println!(
                "{:<20} {} {} {} {} {} | {:>5.1} {:>5.1} {:>5.1}{} {:>5.1} {:>5.1}",
                path.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default(),
                cell(costs[0]),
                cell(costs[1]),
                cell(costs[2]),
                cell(costs[3]),
                cell(costs[4]),
                decode * 1000.0,
                grey * 1000.0,
                prepare * 1000.0,
                if changed { "*" } else { " " },
                parse * 1000.0,
                rules * 1000.0,
            );
        }
    }
    let n = (files.len() * rounds) as f64;
    let names = [
        format!("tesseract {lang}"),
        format!("tesseract {lang}, OMP_THREAD_LIMIT=1"),
        "tesseract eng+deu".to_string(),
        "doxin OCR, OCR_ENGINE=program".to_string(),
        "doxin OCR now (library)".to_string(),
    ];
    println!("\nper image, mean of {n}:");
    for (name, c) in names.iter().zip(sums) {
        println!(
            "  {name:<38} {:.3} s wall {:.3} s CPU   vs tesseract {lang}: {:.2}x wall {:.2}x CPU   vs with one thread: {:.2}x wall {:.2}x CPU",
            c.wall / n,
            c.cpu / n,
            c.wall / sums[0].wall,
            c.cpu / sums[0].cpu,
            c.wall / sums[1].wall,
            c.cpu / sums[1].cpu,
        );
    }
    println!(
        "doxin steps per image (ms, wall): decode {:.1}, grey {:.1}, faded check + hand-over encode {:.1} (* = image changed), TSV parse {:.1}, rules {:.1}",
        steps[0] / n * 1000.0,
        steps[1] / n * 1000.0,
        steps[2] / n * 1000.0,
        steps[3] / n * 1000.0,
        steps[4] / n * 1000.0
    );
    ExitCode::SUCCESS
}
