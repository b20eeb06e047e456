//! The bench's result table: rows collected from every round and server,
//! then printed as one table of medians over rounds, with the ratio of
//! azblob to the best peer.
//!
//! Any run may append rows (a TLS or a latency sweep adds its own `server`),
//! as long as it names the server, the client and the workload.

use std::collections::BTreeMap;

/// One result: a worker's line, with where and by whom it was measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// The server measured against: `sink`, `azurite`, `sink+tls`...
    pub(crate) server: String,
    /// The client: `azblob`, `object_store`, `opendal`, `azblob-cli`.
    pub(crate) client: String,
    /// The workload, as the worker names it.
    pub(crate) workload: String,
    /// Throughput in MB/s (10^6 bytes), if the workload moves a payload.
    pub(crate) mb_s: Option<f64>,
    /// Client CPU seconds per GB moved, if the workload moves a payload.
    pub(crate) cpu_s_per_gb: Option<f64>,
    /// The client's peak resident memory.
    pub(crate) rss_mib: Option<f64>,
    /// What the worker says about the run (blocks, latency, counts).
    pub(crate) note: String,
}

impl Row {
    /// Reads a worker's line, `WORKLOAD MB/S CPU-S/GB RSS-MIB NOTE`, with
    /// `-` for a figure that does not apply. The workload may hold spaces
    /// (`4KiB put/get`) but no number alone, so it ends before the first
    /// field that is a number or `-`.
    pub(crate) fn parse(server: &str, client: &str, line: &str) -> Result<Row, String> {
        let fields = fields_with_offsets(line.trim());
        let first = fields.iter().position(|(_, f)| *f == "-" || f.parse::<f64>().is_ok());
        let Some(first) = first.filter(|&i| i > 0 && i + 3 <= fields.len()) else {
            return Err(format!("cannot read the worker's line {line:?}"));
        };
        let figure = |i: usize| fields[i].1.parse::<f64>().ok();
        let workload = fields[..first].iter().map(|(_, f)| *f).collect::<Vec<_>>().join(" ");
        let note = fields.get(first + 3).map(|(at, _)| line.trim()[*at..].trim()).unwrap_or("");
        Ok(Row {
            server: server.to_owned(),
            client: client.to_owned(),
            workload,
            mb_s: figure(first),
            cpu_s_per_gb: figure(first + 1),
            rss_mib: figure(first + 2),
            note: note.to_owned(),
        })
    }
}

/// The whitespace-separated fields of `line` with their byte offsets.
fn fields_with_offsets(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

/// Rows from every round, in the order they were first measured.
#[derive(Debug, Default)]
pub(crate) struct Table {
    rows: Vec<Row>,
}

impl Table {
    /// Adds one round's result.
    pub(crate) fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// One row per server, client and workload, in first-measured order:
    /// the median of each figure over the rounds, and the note with the
    /// median of each of its numbers (when the notes share their words).
    pub(crate) fn medians(&self) -> Vec<Row> {
        let mut groups: Vec<(String, String, String)> = Vec::new();
        let mut by_key: BTreeMap<(String, String, String), Vec<&Row>> = BTreeMap::new();
        for row in &self.rows {
            let key = (row.server.clone(), row.client.clone(), row.workload.clone());
            if !by_key.contains_key(&key) {
                groups.push(key.clone());
            }
            by_key.entry(key).or_default().push(row);
        }
        groups
            .into_iter()
            .map(|key| {
                let rows = &by_key[&key];
                Row {
                    server: key.0,
                    client: key.1,
                    workload: key.2,
                    mb_s: median(rows.iter().filter_map(|r| r.mb_s).collect()),
                    cpu_s_per_gb: median(rows.iter().filter_map(|r| r.cpu_s_per_gb).collect()),
                    rss_mib: median(rows.iter().filter_map(|r| r.rss_mib).collect()),
                    note: median_note(&rows.iter().map(|r| r.note.as_str()).collect::<Vec<_>>()),
                }
            })
            .collect()
    }

    /// The table of medians, as text: a header, then one line per row.
    pub(crate) fn render(&self, rounds: usize) -> String {
        let mut out = format!(
            "{:<10} {:<12} {:<16} {:>8} {:>9} {:>9}  notes (medians of {rounds} round{})\n",
            "server",
            "client",
            "workload",
            "MB/s",
            "CPU-s/GB",
            "RSS MiB",
            if rounds == 1 { "" } else { "s" }
        );
        let figure = |v: Option<f64>, decimals: usize| v.map_or("-".to_owned(), |v| format!("{v:.decimals$}"));
        for row in self.medians() {
            out.push_str(&format!(
                "{:<10} {:<12} {:<16} {:>8} {:>9} {:>9}  {}\n",
                row.server,
                row.client,
                row.workload,
                figure(row.mb_s, 0),
                figure(row.cpu_s_per_gb, 2),
                figure(row.rss_mib, 0),
                row.note
            ));
        }
        out
    }

    /// "azblob vs best peer" for uploads (azblob from a file against the
    /// peers' best from memory) and downloads (azblob to a file against
    /// the peers' best into memory), on `server`; empty without peers.
    pub(crate) fn ratios(&self, server: &str) -> String {
        let medians = self.medians();
        let mut out = String::new();
        for (what, ours, theirs) in [("upload", "upload-file", "upload"), ("download", "download-file", "download")] {
            let on_server = || medians.iter().filter(|r| r.server == server);
            let azblob = on_server().find(|r| r.client == "azblob" && r.workload == ours).and_then(|r| r.mb_s);
            let best = on_server()
                .filter(|r| !r.client.starts_with("azblob") && r.workload.starts_with(theirs))
                .filter_map(|r| r.mb_s.map(|v| (v, r)))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let (Some(azblob), Some((best, peer))) = (azblob, best) {
                out.push_str(&format!(
                    "ratio vs best peer, {what}: {:.2} (azblob {ours} {azblob:.0} MB/s; {} {} {best:.0} MB/s)\n",
                    azblob / best,
                    peer.client,
                    peer.workload
                ));
            }
        }
        out
    }
}

impl Table {
    /// What TLS costs each client on `tls_server` over the same workload on
    /// `plain_server`: the difference in client CPU-s/GB, one line per
    /// client and workload that ran on both.
    pub(crate) fn tls_costs(&self, plain_server: &str, tls_server: &str) -> String {
        let medians = self.medians();
        let mut out = String::new();
        for tls in medians.iter().filter(|r| r.server == tls_server) {
            let plain = medians
                .iter()
                .find(|r| r.server == plain_server && tls.client.starts_with(&r.client) && r.workload == tls.workload);
            if let (Some(with), Some(without)) = (tls.cpu_s_per_gb, plain.and_then(|r| r.cpu_s_per_gb)) {
                out.push_str(&format!(
                    "TLS cost, {} {}: {:+.2} CPU-s/GB over plain HTTP (target <= +0.30)\n",
                    tls.client,
                    tls.workload,
                    with - without
                ));
            }
        }
        out
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

/// A note of the same words as `notes` with each number the median of that
/// number over the notes (as many decimals as the first note gives it);
/// the first note when their words differ.
fn median_note(notes: &[&str]) -> String {
    let split: Vec<Vec<Piece<'_>>> = notes.iter().map(|n| pieces(n)).collect();
    let Some(first) = split.first() else { return String::new() };
    let same_shape = split.iter().all(|p| {
        p.len() == first.len()
            && p.iter().zip(first).all(|(a, b)| match (a, b) {
                (Piece::Text(a), Piece::Text(b)) => a == b,
                (Piece::Number(..), Piece::Number(..)) => true,
                _ => false,
            })
    });
    if !same_shape {
        return notes[0].to_owned();
    }
    first
        .iter()
        .enumerate()
        .map(|(i, piece)| match piece {
            Piece::Text(t) => (*t).to_owned(),
            Piece::Number(_, decimals) => {
                let values = split.iter().filter_map(|p| match p[i] {
                    Piece::Number(v, _) => Some(v),
                    Piece::Text(_) => None,
                });
                format!("{:.*}", *decimals, median(values.collect()).unwrap_or(0.0))
            }
        })
        .collect()
}

/// A note cut into numbers (with their decimals) and the text between.
#[derive(Debug)]
enum Piece<'a> {
    Text(&'a str),
    Number(f64, usize),
}

fn pieces(note: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let bytes = note.as_bytes();
    let (mut i, mut text_start) = (0, 0);
    while i < bytes.len() {
        // A number starts with a digit that does not continue a word (`4KiB`, `8x8MiB` stay text).
        let starts_number = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if !starts_number {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
            end += 1;
        }
        let ends_word = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        match note[i..end].parse::<f64>() {
            Ok(value) if ends_word => {
                if text_start < i {
                    out.push(Piece::Text(&note[text_start..i]));
                }
                let decimals = note[i..end].split_once('.').map_or(0, |(_, d)| d.len());
                out.push(Piece::Number(value, decimals));
                text_start = end;
            }
            _ => {}
        }
        i = end;
    }
    if text_start < bytes.len() {
        out.push(Piece::Text(&note[text_start..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_line_is_read_with_spaces_in_the_workload_and_the_note() {
        let row =
            Row::parse("sink", "azblob", "upload-file             2561         0.47          164      128 blocks")
                .unwrap();
        assert_eq!((row.workload.as_str(), row.mb_s, row.cpu_s_per_gb), ("upload-file", Some(2561.0), Some(0.47)));
        assert_eq!((row.rss_mib, row.note.as_str()), (Some(164.0), "128 blocks"));
        let row =
            Row::parse("sink", "opendal", "4KiB put/get              -            -           12 p50 0.18/0.19 ms")
                .unwrap();
        assert_eq!((row.workload.as_str(), row.mb_s, row.rss_mib), ("4KiB put/get", None, Some(12.0)));
        assert_eq!(row.note, "p50 0.18/0.19 ms");
        assert!(Row::parse("sink", "azblob", "garbage").is_err());
    }

    #[test]
    fn medians_take_each_figure_and_each_number_of_the_note() {
        let mut table = Table::default();
        for (mb, note) in [(100.0, "p50 0.10/0.30 ms"), (300.0, "p50 0.20/0.10 ms"), (200.0, "p50 0.30/0.20 ms")] {
            table.push(Row {
                server: "sink".into(),
                client: "azblob".into(),
                workload: "w".into(),
                mb_s: Some(mb),
                cpu_s_per_gb: None,
                rss_mib: Some(mb / 10.0),
                note: note.into(),
            });
        }
        let medians = table.medians();
        assert_eq!(medians.len(), 1);
        assert_eq!((medians[0].mb_s, medians[0].rss_mib), (Some(200.0), Some(20.0)));
        assert_eq!(medians[0].note, "p50 0.20/0.20 ms");
        assert_eq!(median_note(&["object_store 128x8MiB c8", "object_store 128x8MiB c8"]), "object_store 128x8MiB c8");
        assert_eq!(median_note(&["a 1", "b 2"]), "a 1");
    }

    #[test]
    fn the_ratio_compares_azblob_from_a_file_with_the_best_peer() {
        let mut table = Table::default();
        for (client, workload, mb) in [
            ("azblob", "upload-file", 3000.0),
            ("object_store", "upload-memory", 2000.0),
            ("opendal", "upload-one-put", 4000.0),
        ] {
            table.push(Row::parse("sink", client, &format!("{workload} {mb} 0.3 100 note")).unwrap());
        }
        let ratios = table.ratios("sink");
        assert!(ratios.starts_with("ratio vs best peer, upload: 0.75 "), "{ratios}");
        assert!(ratios.contains("opendal upload-one-put 4000 MB/s"), "{ratios}");
        assert!(!ratios.contains("download"), "no download rows, no download ratio: {ratios}");
    }
}
