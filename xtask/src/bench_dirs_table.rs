//! The tables of `cargo xtask bench-dirs`: per server, each workload's
//! median over the rounds for azblob and rclone, azblob's speed-up, and
//! which of issue 14's targets the medians meet.

use crate::bench_table::median;

/// One measured run.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// `sink` or `azurite`.
    pub(crate) server: &'static str,
    /// `azblob` or `rclone`.
    pub(crate) client: &'static str,
    /// `small upload`, `big download`, `small no-op sync`, ...
    pub(crate) workload: String,
    /// Files in the set.
    pub(crate) files: usize,
    /// Bytes moved (0 for a no-op sync).
    pub(crate) bytes: u64,
    /// Wall time.
    pub(crate) seconds: f64,
    /// Peak resident memory of the client process.
    pub(crate) peak_rss_mib: f64,
}

/// The median of one client's runs of one workload on one server.
struct Median {
    files: usize,
    bytes: u64,
    seconds: f64,
    peak_rss_mib: f64,
    rounds: usize,
}

fn median_of(runs: &[Run], server: &str, client: &str, workload: &str) -> Option<Median> {
    let mine: Vec<&Run> =
        runs.iter().filter(|r| r.server == server && r.client == client && r.workload == workload).collect();
    let first = mine.first()?;
    Some(Median {
        files: first.files,
        bytes: first.bytes,
        seconds: median(mine.iter().map(|r| r.seconds).collect())?,
        peak_rss_mib: median(mine.iter().map(|r| r.peak_rss_mib).collect())?,
        rounds: mine.len(),
    })
}

/// The issue's speed target for a workload on a server: azblob's rate
/// over rclone's (files per second on the small tree, MB/s on the large
/// files).
fn speed_target(server: &str, workload: &str) -> Option<f64> {
    match workload {
        "small upload" | "small download" => Some(if server == "sink" { 2.0 } else { 1.5 }),
        "big upload" | "big download" => Some(1.2),
        _ => None,
    }
}

/// The longest a no-op sync of the small tree may take.
const NO_OP_SECONDS: f64 = 2.0;

/// The table of one server, then the targets the medians meet or miss.
pub(crate) fn render(runs: &[Run], server: &str) -> String {
    let mut workloads: Vec<&str> = Vec::new();
    for run in runs.iter().filter(|r| r.server == server) {
        if !workloads.contains(&run.workload.as_str()) {
            workloads.push(&run.workload);
        }
    }
    let mut out = format!(
        "| workload ({server}) | client | seconds | files/s | MB/s | peak RSS MiB | azblob speed-up |\n\
         |---|---|---|---|---|---|---|\n"
    );
    let mut targets = String::new();
    for workload in &workloads {
        let azblob = median_of(runs, server, "azblob", workload);
        let rclone = median_of(runs, server, "rclone", workload);
        let speedup = match (&azblob, &rclone) {
            (Some(a), Some(r)) => Some(r.seconds / a.seconds.max(1e-9)),
            _ => None,
        };
        for (client, m) in [("azblob", &azblob), ("rclone", &rclone)] {
            let Some(m) = m else { continue };
            let shown =
                if client == "azblob" { speedup.map_or(String::new(), |s| format!("{s:.2}x")) } else { "".into() };
            let files_per_second = m.files as f64 / m.seconds.max(1e-9);
            // A few large files a second need their decimal.
            let rate = if files_per_second < 10.0 {
                format!("{files_per_second:.1}")
            } else {
                format!("{files_per_second:.0}")
            };
            out.push_str(&format!(
                "| {workload} | {client} | {:.2} | {rate} | {:.1} | {:.0} | {shown} |\n",
                m.seconds,
                m.bytes as f64 / 1e6 / m.seconds.max(1e-9),
                m.peak_rss_mib,
            ));
        }
        let verdict = |met: bool| if met { "met" } else { "missed" };
        if let (Some(target), Some(s)) = (speed_target(server, workload), speedup) {
            let unit = if workload.starts_with("small") { "files/s" } else { "MB/s" };
            targets.push_str(&format!(
                "- {workload}: azblob {s:.2}x rclone's {unit} (target >= {target}x): {}\n",
                verdict(s >= target)
            ));
        }
        if let (true, Some(a)) = (workload.contains("no-op"), &azblob) {
            targets.push_str(&format!(
                "- {workload} of {} files: {:.2} s (target <= {NO_OP_SECONDS} s): {}\n",
                a.files,
                a.seconds,
                verdict(a.seconds <= NO_OP_SECONDS)
            ));
        }
        if let (Some(a), Some(r)) = (&azblob, &rclone) {
            targets.push_str(&format!(
                "- {workload}: peak RSS {:.0} MiB against rclone's {:.0} MiB (target <=): {}\n",
                a.peak_rss_mib,
                r.peak_rss_mib,
                verdict(a.peak_rss_mib <= r.peak_rss_mib)
            ));
        }
    }
    let rounds = workloads.first().and_then(|w| median_of(runs, server, "azblob", w)).map_or(0, |m| m.rounds);
    format!("{out}\nTargets on {server} (medians of {rounds} rounds):\n{targets}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(client: &'static str, workload: &str, seconds: f64, rss: f64) -> Run {
        Run {
            server: "sink",
            client,
            workload: workload.into(),
            files: 100,
            bytes: if workload.contains("no-op") { 0 } else { 1_000_000 },
            seconds,
            peak_rss_mib: rss,
        }
    }

    #[test]
    fn the_table_shows_medians_the_speed_up_and_the_targets() {
        let runs = [
            run("azblob", "small upload", 1.0, 10.0),
            run("azblob", "small upload", 9.0, 30.0),
            run("azblob", "small upload", 2.0, 20.0),
            run("rclone", "small upload", 3.0, 40.0),
            run("azblob", "small no-op sync", 2.5, 10.0),
            run("rclone", "small no-op sync", 3.0, 5.0),
            Run { server: "azurite", ..run("azblob", "small upload", 100.0, 1.0) },
        ];
        let table = render(&runs, "sink");
        assert!(table.contains("| small upload | azblob | 2.00 | 50 | 0.5 | 20 | 1.50x |"), "{table}");
        assert!(table.contains("| small upload | rclone | 3.00 | 33 | 0.3 | 40 |  |"), "{table}");
        assert!(table.contains("small upload: azblob 1.50x rclone's files/s (target >= 2x): missed"), "{table}");
        assert!(table.contains("small upload: peak RSS 20 MiB against rclone's 40 MiB (target <=): met"), "{table}");
        assert!(table.contains("small no-op sync of 100 files: 2.50 s (target <= 2 s): missed"), "{table}");
        assert!(table.contains("(medians of 3 rounds)"), "{table}");
        assert!(!table.contains("100.00"), "another server's runs stay out: {table}");
        assert!(render(&runs, "azurite").contains("| small upload | azblob | 100.00 | 1.0 |"));
    }

    #[test]
    fn the_targets_are_the_issues() {
        assert_eq!(speed_target("sink", "small download"), Some(2.0));
        assert_eq!(speed_target("azurite", "small upload"), Some(1.5));
        assert_eq!(speed_target("azurite", "big upload"), Some(1.2));
        assert_eq!(speed_target("sink", "small no-op sync"), None);
    }
}
