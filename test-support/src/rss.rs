//! Peak resident memory, as Linux reports it (`VmHWM` in /proc/<pid>/status).

/// Peak RSS in MB of `pid`, or of this process with `None`; `None` when the status file
/// cannot be read (another OS, a process that has gone).
pub fn peak_rss_mb(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let kb: f64 = std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}
