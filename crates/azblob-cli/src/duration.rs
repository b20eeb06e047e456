//! Parsing of durations such as `500ms`, `5s`, `2m` or `1h`, for `--timeout` and `--deadline`.

use std::fmt;
use std::time::Duration;

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DurationError {
    /// The text does not start with a whole number.
    NoNumber(String),
    /// The number has no unit: `5` could mean seconds or milliseconds.
    NoUnit(String),
    /// The unit is not one of `ms`, `s`, `m`, `h`.
    UnknownUnit(String),
    /// The duration is zero: every request would time out at once.
    Zero,
    /// The number does not fit a duration.
    TooLarge(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::NoNumber(text) => write!(f, "{text:?} is not a duration (e.g. 500ms, 5s, 2m, 1h)"),
            DurationError::NoUnit(text) => write!(f, "{text:?} needs a unit: ms, s, m or h (e.g. {text}s)"),
            DurationError::UnknownUnit(unit) => write!(f, "unknown duration unit {unit:?} (use ms, s, m or h)"),
            DurationError::Zero => f.write_str("a duration of zero would end every request at once"),
            DurationError::TooLarge(text) => write!(f, "{text:?} is too long a duration"),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a whole number followed by a unit: `ms`, `s`, `m` or `h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(DurationError::NoNumber(text.to_owned()));
    }
    // All digits, so the only way to fail is to be too large.
    let number: u64 = number.parse().map_err(|_| DurationError::TooLarge(text.to_owned()))?;
    let seconds_per_unit = match unit.trim() {
        "" => return Err(DurationError::NoUnit(text.to_owned())),
        "ms" => return positive(Duration::from_millis(number)),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        other => return Err(DurationError::UnknownUnit(other.to_owned())),
    };
    let seconds = number.checked_mul(seconds_per_unit).ok_or_else(|| DurationError::TooLarge(text.to_owned()))?;
    positive(Duration::from_secs(seconds))
}

/// Refuses a zero duration: a timeout of nothing would fail every request.
fn positive(duration: Duration) -> Result<Duration, DurationError> {
    if duration.is_zero() {
        Err(DurationError::Zero)
    } else {
        Ok(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration(" 1h "), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn bad_input_is_a_typed_error_not_a_panic() {
        assert_eq!(parse_duration(""), Err(DurationError::NoNumber(String::new())));
        assert_eq!(parse_duration("s"), Err(DurationError::NoNumber("s".into())));
        assert_eq!(parse_duration("-5s"), Err(DurationError::NoNumber("-5s".into())));
        assert_eq!(parse_duration("5"), Err(DurationError::NoUnit("5".into())));
        assert_eq!(parse_duration("5x"), Err(DurationError::UnknownUnit("x".into())));
        assert_eq!(parse_duration("1.5s"), Err(DurationError::UnknownUnit(".5s".into())));
        assert_eq!(parse_duration("0s"), Err(DurationError::Zero));
        assert_eq!(parse_duration("0ms"), Err(DurationError::Zero));
        assert!(matches!(parse_duration("99999999999999999999s"), Err(DurationError::TooLarge(_))));
        assert!(matches!(parse_duration("18446744073709551615h"), Err(DurationError::TooLarge(_))));
        assert!(parse_duration("5x").unwrap_err().to_string().contains("ms, s, m or h"));
    }
}
