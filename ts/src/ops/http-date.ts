// HTTP dates (RFC 9110's IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"), read
// by position: a listing carries two per blob, and `Date.parse`, which
// guesses among many formats, was a tenth of a 5,000-blob listing's time.
// Anything not in that exact form goes to `Date.parse` as before.

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/** Two decimal digits at `at`, or NaN. */
function twoDigits(s: string, at: number): number {
  const a = s.charCodeAt(at) - 48;
  const b = s.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/** The milliseconds since the epoch of an HTTP date, NaN if it is none. */
export function parseHttpDate(value: string): number {
  const s = value.trim();
  if (s.length === 29 && s[3] === "," && s.endsWith(" GMT") && s[16] === " " && s[19] === ":" && s[22] === ":") {
    const month = MONTHS[s.slice(8, 11)];
    const day = twoDigits(s, 5);
    const year = twoDigits(s, 12) * 100 + twoDigits(s, 14);
    const h = twoDigits(s, 17);
    const m = twoDigits(s, 20);
    const sec = twoDigits(s, 23);
    if (month !== undefined && day >= 1 && day <= 31 && h <= 23 && m <= 59 && sec <= 60) {
      const ms = Date.UTC(year, month, day, h, m, sec);
      // Day 31 of a 30-day month rolls over in Date.UTC: such a date is none.
      if (new Date(ms).getUTCDate() === day) return ms;
      return Number.NaN;
    }
  }
  return Date.parse(s);
}
