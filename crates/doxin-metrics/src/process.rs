//! This process's resident memory and CPU time, read from `/proc/self` (Linux; elsewhere the
//! figures are simply absent).

/// Resident memory and CPU seconds of the current process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessStats {
    pub resident_bytes: u64,
    pub cpu_seconds: f64,
}

/// Clock ticks per second of `/proc/self/stat`'s `utime` and `stime`: 100 on every Linux
/// architecture DoxIn runs on (USER_HZ is fixed by the kernel ABI, whatever CONFIG_HZ is).
const USER_HZ: f64 = 100.0;

impl ProcessStats {
    pub fn read() -> Option<ProcessStats> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        Some(ProcessStats {
            resident_bytes: resident_bytes(&status)?,
            cpu_seconds: cpu_seconds(&stat)?,
        })
    }
}

/// `VmRSS:    12345 kB` → bytes.
fn resident_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// utime + stime (fields 14 and 15) in seconds. The command name (field 2) may contain spaces
/// and parentheses, so fields are counted after its closing parenthesis.
fn cpu_seconds(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, index 11 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_cpu_from_proc_formats() {
        assert_eq!(
            resident_bytes("Name:\tdoxin\nVmRSS:\t   51200 kB\nVmSwap:\t0 kB\n"),
            Some(51200 * 1024)
        );
        let stat =
            "4242 (doxin (worker) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 8 0";
        assert_eq!(cpu_seconds(stat), Some(3.0));
        assert_eq!(cpu_seconds("garbage"), None);
    }

    #[test]
    fn this_process_has_figures() {
        let stats = ProcessStats::read().expect("linux /proc");
        assert!(stats.resident_bytes > 0);
        assert!(stats.cpu_seconds >= 0.0);
    }
}
