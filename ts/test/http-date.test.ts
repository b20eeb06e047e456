// HTTP dates read by position agree with Date.parse on the documented form,
// and refuse what is no date.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHttpDate } from "../src/ops/http-date.js";

test("the documented form is read exactly, as Date.parse reads it", () => {
  for (const s of [
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Mon, 23 Nov 2026 10:00:00 GMT",
    "Thu, 29 Feb 2024 23:59:59 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
  ]) {
    assert.equal(parseHttpDate(s), Date.parse(s), s);
  }
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777000);
  assert.equal(parseHttpDate("  Sun, 06 Nov 1994 08:49:37 GMT "), 784111777000, "edge spaces");
});

test("other forms fall back to Date.parse; what is no date is NaN", () => {
  assert.equal(parseHttpDate("2026-11-23T10:00:00Z"), Date.parse("2026-11-23T10:00:00Z"));
  for (const s of [
    "",
    "yesterday",
    "Sun, 31 Nov 1994 08:49:37 GMT",
    "Sun, 06 Xyz 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 25:49:37 GMT",
  ]) {
    assert.ok(Number.isNaN(parseHttpDate(s)), s);
  }
});
