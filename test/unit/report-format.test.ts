/**
 * The report's number and date formatting: locale-independent, explicit signs, "—" for nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MISSING,
  fmtBytes,
  fmtDateRange,
  fmtDateTime,
  fmtDuration,
  fmtFixed,
  fmtInt,
  fmtInterval,
  fmtNumber,
  fmtPercent,
  fmtSigned,
  fmtValue,
  humanize,
  shortHash,
} from '../../reports/format';

describe('report formatting', () => {
  it('fixed decimals with grouping and a true minus sign; no negative zero', () => {
    assert.equal(fmtFixed(1234567.891, 2), '1,234,567.89');
    assert.equal(fmtFixed(-0.0123, 3), '−0.012');
    assert.equal(fmtFixed(-0.0001, 3), '0.000');
    assert.equal(fmtFixed(null), MISSING);
    assert.equal(fmtFixed(Number.NaN), MISSING);
  });

  it('signed differences', () => {
    assert.equal(fmtSigned(0.0241), '+0.024');
    assert.equal(fmtSigned(-0.004), '−0.004');
    assert.equal(fmtSigned(0.0001), '0.000');
    assert.equal(fmtSigned(undefined), MISSING);
  });

  it('intervals, integers and percentages', () => {
    assert.equal(fmtInterval([0.8651, 0.8779]), '[0.865, 0.878]');
    assert.equal(fmtInterval(null), MISSING);
    assert.equal(fmtInt(48210), '48,210');
    assert.equal(fmtPercent(0.0312), '3.1%');
  });

  it('gate values keep four significant digits whatever their scale', () => {
    assert.equal(fmtNumber(0.87123), '0.8712');
    assert.equal(fmtNumber(0.02), '0.02');
    assert.equal(fmtNumber(-0.0081), '−0.0081');
    assert.equal(fmtNumber(10485760), '10,485,760');
    assert.equal(fmtNumber(12.3456), '12.35');
    assert.equal(fmtNumber(null), MISSING);
  });

  it('bytes and durations in units a person reads', () => {
    assert.equal(fmtBytes(512), '512 B');
    assert.equal(fmtBytes(42291), '41.3 KiB');
    assert.equal(fmtBytes(1_240_000_000), '1.15 GiB');
    assert.equal(fmtDuration(350), '350 ms');
    assert.equal(fmtDuration(8412), '8.41 s');
    assert.equal(fmtDuration(94_330), '1 min 34 s');
    assert.equal(fmtDuration(3_725_000), '1 h 2 min');
  });

  it('dates in UTC, whatever the offset they were written with', () => {
    assert.equal(fmtDateTime('2024-06-03T10:47:12+02:00'), '2024-06-03 08:47 UTC');
    assert.equal(fmtDateTime('not a date'), 'not a date');
    assert.equal(fmtDateRange({ from: '2024-03-04T00:00:00Z', to: '2024-06-02T23:59:41Z' }), '2024-03-04 00:00 UTC → 2024-06-02 23:59 UTC');
    assert.equal(fmtDateRange(null), MISSING);
  });

  it('hashes, verdict names and free-form parameters', () => {
    assert.equal(shortHash('9f2c4e1ab37d58c0e6f1'), '9f2c4e1ab37d');
    assert.equal(humanize('awaiting_approval'), 'Awaiting approval');
    assert.equal(fmtValue(1e-7), '1e-7');
    assert.equal(fmtValue({ a: [1, 2] }), '{"a":[1,2]}');
    assert.equal(fmtValue('lbfgs'), 'lbfgs');
  });
});
