// Scores and other doubles as Redis reads them (strtod over the whole string): the plain-integer
// fast path must give what the general path gives, down to the sign of zero.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDouble, parseDoubleInRange } from '../src/protocol/args.js';

test('plain integers read as strtod reads them, sign of zero included', () => {
  const cases: [string, number | null][] = [
    ['0', 0],
    ['-0', -0],
    ['007', 7],
    ['-000012', -12],
    ['123456789012345', 123456789012345],
    ['-123456789012345', -123456789012345],
    // Longer than the fast path takes: the general path, same reading.
    ['1234567890123456', 1234567890123456],
    ['12345678901234567890', 1.2345678901234567e19],
    ['+5', 5],
    ['', null],
    ['-', null],
    ['--1', null],
    ['1-', null],
    ['12a', null],
    [' 1', null],
    ['1 ', null],
  ];
  for (const [text, want] of cases) {
    const got = parseDouble(text);
    if (want === null) assert.equal(got, null, text);
    else assert.ok(got !== null && Object.is(got, want), `${text}: ${String(got)}`);
    const ranged = parseDoubleInRange(text);
    if (want === null) assert.equal(ranged, null, text);
    else assert.ok(ranged !== null && Object.is(ranged, want), `${text} (in range): ${String(ranged)}`);
  }
});
