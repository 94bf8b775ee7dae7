//! Child processes the benchmarks time: wall time and peak resident memory (`wait4`), with the
//! child's stdout drained through a pipe rather than sent to /dev/null (rg notices /dev/null and
//! stops at the first match, which would flatter it).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};

/// One child process: how long it ran and its peak resident memory.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub secs: f64,
    pub peak_rss_mb: f64,
    pub ok: bool,
    /// The exit status (`None` when killed by a signal): search exits 1 when nothing matched.
    #[serde(skip)]
    pub code: Option<i32>,
}

/// Run a command to completion, its output read and discarded; its time and peak memory.
pub(crate) fn measure(cmd: &mut Command) -> Result<Run> {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io(format!("starting {cmd:?}"), e))?;
    if let Some(mut out) = child.stdout.take() {
        let mut buf = vec![0u8; 1 << 16];
        while matches!(out.read(&mut buf), Ok(n) if n > 0) {}
    }
    let exit = wait_peak(&mut child).map_err(|e| Error::io(format!("waiting for {cmd:?}"), e))?;
    Ok(Run {
        secs: started.elapsed().as_secs_f64(),
        ..exit
    })
}

/// Wait for `child` to end: its exit status and peak resident memory (`wait4`; std's `wait`
/// does not report memory). `secs` is left 0 for the caller, who knows when it started.
pub fn wait_peak(child: &mut std::process::Child) -> std::io::Result<Run> {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; the pid is our own child, waited once
    // (std's Child is dropped without waiting, which neither kills nor reaps it).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        return Err(std::io::Error::last_os_error());
    }
    Ok(Run {
        secs: 0.0,
        // ru_maxrss is in KiB on Linux.
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
    })
}

/// CPU seconds (user and system) this process has used so far, all its threads together,
/// ended ones included: what a stage costs, whatever the machine's other load did to its wall
/// time.
pub fn self_cpu_secs() -> f64 {
    // SAFETY: `rusage` is plain data that getrusage fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return f64::NAN;
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_cpu_secs_counts_work_on_threads_that_ended() {
        let before = self_cpu_secs();
        std::thread::spawn(|| {
            let started = Instant::now();
            let mut x = 0u64;
            while started.elapsed().as_millis() < 200 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
        })
        .join()
        .expect("spinning thread");
        assert!(
            self_cpu_secs() - before >= 0.15,
            "{}",
            self_cpu_secs() - before
        );
    }
}
