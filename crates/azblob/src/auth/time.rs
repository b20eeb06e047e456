//! UTC timestamps in the two shapes the service wants, without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds), as SAS `st`/`se` fields and
/// the CLI's `--json` output want it.
pub fn iso8601(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2026-11-23T10:00:00Z and a leap day.
        assert_eq!(iso8601(UNIX_EPOCH + Duration::from_secs(1_795_428_000)), "2026-11-23T10:00:00Z");
        assert_eq!(iso8601(UNIX_EPOCH + Duration::from_secs(1_709_208_000)), "2024-02-29T12:00:00Z");
    }
}
