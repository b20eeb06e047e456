//! The answers the fault proxy makes up itself: a 500, 503 or 429 with a
//! retry hint and an Azure-style XML error body.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::plan::RetryHint;

/// The whole answer for `status` with `hint`, as of `now`: head and body,
/// or (`to_head`, an answer to HEAD) the head alone, which must announce
/// the body's length but not send it.
pub(crate) fn status_answer(status: u16, hint: RetryHint, now: SystemTime, to_head: bool) -> Vec<u8> {
    let (reason, code, message) = match status {
        500 => ("Internal Server Error", "InternalError", "The server encountered an internal error."),
        503 => ("Server Busy", "ServerBusy", "The server is currently unable to receive requests."),
        429 => ("Too Many Requests", "ServerBusy", "Egress is over the account limit."),
        _ => ("Fault", "InternalError", "The fault proxy made this answer up."),
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}\nRequestId:fault-proxy\nTime:{}</Message></Error>",
        http_date(now)
    );
    let hint = match hint {
        RetryHint::None => String::new(),
        RetryHint::Seconds(s) => format!("Retry-After: {s}\r\n"),
        RetryHint::Date(s) => format!("Retry-After: {}\r\n", http_date(now + Duration::from_secs(s))),
        RetryHint::Millis(ms) => format!("x-ms-retry-after-ms: {ms}\r\n"),
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nx-ms-error-code: {code}\r\n\
         x-ms-request-id: fault-proxy\r\n{hint}Content-Length: {}\r\n\r\n",
        body.len()
    );
    if to_head {
        head.into_bytes()
    } else {
        (head + &body).into_bytes()
    }
}

/// `time` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), whole seconds.
pub(crate) fn http_date(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Year, month and day of the `days`-th day after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_match_rfc_9110s_example_and_a_leap_day() {
        assert_eq!(http_date(UNIX_EPOCH + Duration::from_secs(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(UNIX_EPOCH + Duration::from_secs(1_709_164_800)), "Thu, 29 Feb 2024 00:00:00 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn a_status_answer_carries_its_hint_and_a_sized_xml_error() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let text = String::from_utf8(status_answer(503, RetryHint::Date(2), now, false)).unwrap();
        assert!(text.starts_with("HTTP/1.1 503 Server Busy\r\n"), "{text}");
        assert!(text.contains("Retry-After: Sun, 06 Nov 1994 08:49:39 GMT\r\n"), "{text}");
        assert!(text.contains("x-ms-error-code: ServerBusy\r\n"), "{text}");
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())), "{text}");
        assert!(body.contains("<Code>ServerBusy</Code>"), "{body}");

        let ms = String::from_utf8(status_answer(429, RetryHint::Millis(250), now, false)).unwrap();
        assert!(ms.starts_with("HTTP/1.1 429 ") && ms.contains("x-ms-retry-after-ms: 250\r\n"), "{ms}");
        let secs = String::from_utf8(status_answer(500, RetryHint::Seconds(1), now, false)).unwrap();
        assert!(secs.contains("Retry-After: 1\r\n") && secs.contains("<Code>InternalError</Code>"), "{secs}");
        // An answer to HEAD announces a body it does not send, or the next
        // answer on the connection would start with it.
        let to_head = String::from_utf8(status_answer(500, RetryHint::None, now, true)).unwrap();
        assert!(to_head.ends_with("\r\n\r\n") && !to_head.contains("<Error>"), "{to_head}");
        assert!(!to_head.contains("Content-Length: 0\r\n"), "{to_head}");
    }
}
