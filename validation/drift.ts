/**
 * Per-column data drift between a reference table (e.g. the champion's training snapshot) and a
 * current one, plus prediction drift on model scores. Pure: tables in, a JSON-serialisable report
 * out (no NaN or Infinity anywhere: a number that cannot be computed is null, with a reason).
 *
 * Verdict of a column (DEFAULT_DRIFT_THRESHOLDS, all configurable):
 *   insufficient_data  fewer than minRows (100) non-missing values on either side: the statistics
 *                      are still reported when computable, but they decide nothing;
 *   fail (drifted)     PSI >= psiDrift (0.25), or, when the p-value flag is on, the
 *                      Benjamini–Hochberg adjusted KS / chi-square p-value < alpha;
 *   warn               PSI >= psiWarn (0.1);
 *   pass               otherwise.
 *
 * PSI decides by default because it measures how much the distribution moved, while a p-value
 * measures how sure we are that it moved at all: with a million rows a shift nobody cares about is
 * "significant". The p-value flag is for small data, where PSI is noisy.
 *
 * Statistic definitions (bins, missing values, epsilon, SciPy equivalence) live in drift-stats.ts.
 */
import type { Column, ColumnTable, FeatureSpec, Verdict } from '../core/types';
import {
  type Bins,
  categoricalBins,
  chi2Contingency,
  jensenShannon,
  ksStatisticSorted,
  numericBinsSorted,
  psi,
} from './drift-stats';
import { ksTwoSamplePvalue } from './distributions';
import { benjaminiHochberg } from './multiple-testing';
import { sortFinite } from './sort-float64';

export type DriftVerdict = Exclude<Verdict, 'skipped'>;

export interface DriftThresholds {
  /** PSI at or above this is a warning. */
  psiWarn: number;
  /** PSI at or above this is drift (verdict 'fail'). */
  psiDrift: number;
  /** Fewer non-missing values than this on either side: insufficient_data. */
  minRows: number;
}

export const DEFAULT_DRIFT_THRESHOLDS: Readonly<DriftThresholds> = Object.freeze({ psiWarn: 0.1, psiDrift: 0.25, minRows: 100 });

export interface DriftOptions {
  thresholds?: Partial<DriftThresholds>;
  /**
   * Also flag a column as drifted when its p-value (KS for numeric, chi-square for categorical),
   * Benjamini–Hochberg adjusted across the columns that get a verdict, is below alpha. Off unless
   * given; alpha defaults to 0.05.
   */
  pvalueFlag?: { alpha?: number };
  /** Model scores on the reference and current rows: adds prediction drift to the report. */
  predictions?: { reference: ArrayLike<number>; current: ArrayLike<number> };
}

interface ColumnDriftCommon {
  column: string;
  /** Rows in the table (missing values included). */
  reference_rows: number;
  current_rows: number;
  /** Numeric: NaN or ±Infinity. Categorical: null (which still counts as the "(missing)" category). */
  missing_reference: number;
  missing_current: number;
  psi: number | null;
  js_distance: number | null;
  verdict: DriftVerdict;
  drifted: boolean;
  /** Why the verdict, or why a statistic is null; also notable conditions (collapsed bins, new categories). */
  reason?: string;
}

export interface NumericColumnDrift extends ColumnDriftCommon {
  type: 'numeric';
  ks_statistic: number | null;
  ks_pvalue: number | null;
  ks_method: 'exact' | 'asymptotic' | null;
  /** Present only with the p-value flag on; null for columns outside the tested family. */
  ks_pvalue_adjusted?: number | null;
}

export interface CategoricalColumnDrift extends ColumnDriftCommon {
  type: 'categorical';
  chi2_statistic: number | null;
  chi2_pvalue: number | null;
  chi2_dof: number | null;
  /** Present only with the p-value flag on; null for columns outside the tested family. */
  chi2_pvalue_adjusted?: number | null;
  categories_only_in_current: number;
  categories_only_in_reference: number;
}

export type ColumnDrift = NumericColumnDrift | CategoricalColumnDrift;

export interface DriftReport {
  columns: ColumnDrift[];
  /** Drifted columns / columns with a verdict; null when no column had enough data. */
  drifted_share: number | null;
  drifted_columns: string[];
  evaluated_columns: number;
  prediction: NumericColumnDrift | null;
  thresholds: { psi_warn: number; psi_drift: number; min_rows: number };
  correction: { method: 'benjamini-hochberg'; alpha: number; tested_columns: number } | null;
}

/** What one column measured, before the verdict (which may depend on the other columns' p-values). */
interface Measured<T extends ColumnDrift> {
  drift: Omit<T, 'verdict' | 'drifted' | 'reason'>;
  /** Non-missing values on each side reach minRows. */
  enough: boolean;
  pvalue: number | null;
  notes: string[];
}

function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

function resolveThresholds(given: Partial<DriftThresholds> | undefined): DriftThresholds {
  const t = { ...DEFAULT_DRIFT_THRESHOLDS, ...given };
  if (!(t.psiWarn >= 0)) throw new RangeError(`drift thresholds: psiWarn must be >= 0, got ${t.psiWarn}`);
  if (!(t.psiDrift >= t.psiWarn)) throw new RangeError(`drift thresholds: psiDrift (${t.psiDrift}) must be >= psiWarn (${t.psiWarn})`);
  if (!(Number.isInteger(t.minRows) && t.minRows >= 1)) throw new RangeError(`drift thresholds: minRows must be an integer >= 1, got ${t.minRows}`);
  return t;
}

function resolveAlpha(flag: DriftOptions['pvalueFlag']): number | null {
  if (!flag) return null;
  const alpha = flag.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`drift pvalueFlag: alpha must be in (0, 1), got ${alpha}`);
  return alpha;
}

function sideNote(name: string, side: 'reference' | 'current', rows: number, present: number, minRows: number): string | null {
  if (rows === 0) return `column '${name}': the ${side} data has no rows`;
  if (present === 0) return `column '${name}': the ${side} data has no non-missing values (${rows} rows, all missing)`;
  if (present < minRows) return `column '${name}': the ${side} data has ${present} non-missing values, fewer than min_rows ${minRows}; statistics are shown but decide nothing`;
  return null;
}

function insufficiencyNotes(name: string, rows: [number, number], present: [number, number], minRows: number): string[] {
  return [
    sideNote(name, 'reference', rows[0], present[0], minRows),
    sideNote(name, 'current', rows[1], present[1], minRows),
  ].filter((n): n is string => n !== null);
}

function binShares(bins: Bins): { psi: number | null; js_distance: number | null } {
  return { psi: psi(bins.reference, bins.current), js_distance: jensenShannon(bins.reference, bins.current) };
}

/** Numeric drift of two samples (NaN and ±Infinity are missing). */
function measureNumeric(name: string, reference: ArrayLike<number>, current: ArrayLike<number>, t: DriftThresholds): Measured<NumericColumnDrift> {
  // One sort per side serves the deciles, the bin counts and the KS walk.
  const { sorted: sortedRef, missing: missingRef } = sortFinite(reference);
  const { sorted: sortedCur, missing: missingCur } = sortFinite(current);
  const counts = {
    column: name,
    type: 'numeric' as const,
    reference_rows: reference.length,
    current_rows: current.length,
    missing_reference: missingRef,
    missing_current: missingCur,
  };
  const notes = insufficiencyNotes(name, [reference.length, current.length], [sortedRef.length, sortedCur.length], t.minRows);
  const enough = sortedRef.length >= t.minRows && sortedCur.length >= t.minRows;
  if (sortedRef.length === 0 || sortedCur.length === 0) {
    return {
      drift: { ...counts, psi: null, js_distance: null, ks_statistic: null, ks_pvalue: null, ks_method: null },
      enough: false,
      pvalue: null,
      notes,
    };
  }
  const bins = numericBinsSorted(sortedRef, sortedCur);
  const ks = ksTwoSamplePvalue(sortedRef.length, sortedCur.length, ksStatisticSorted(sortedRef, sortedCur));
  const edges = bins.edges ?? [];
  if (edges.length === 1) notes.push(`reference is constant (${edges[0]}): PSI uses 2 bins, at-or-below it and above`);
  else if (edges.length < 9) notes.push(`reference deciles coincide (ties): PSI uses ${edges.length + 1} bins instead of 10`);
  if (ks.note) notes.push(ks.note);
  return {
    drift: { ...counts, ...binShares(bins), ks_statistic: ks.statistic, ks_pvalue: ks.pvalue, ks_method: ks.method },
    enough,
    pvalue: ks.pvalue,
    notes,
  };
}

function quoteList(labels: string[], max = 5): string {
  const shown = labels.slice(0, max).map((l) => `'${l}'`).join(', ');
  return labels.length > max ? `${shown} and ${labels.length - max} more` : shown;
}

/** Categorical drift of two columns (null, or NaN in numeric codes, is the "(missing)" category). */
function measureCategorical(name: string, reference: Column, current: Column, t: DriftThresholds): Measured<CategoricalColumnDrift> {
  const bins = categoricalBins(reference, current);
  const presentRef = reference.length - bins.missing.reference;
  const presentCur = current.length - bins.missing.current;
  const counts = {
    column: name,
    type: 'categorical' as const,
    reference_rows: reference.length,
    current_rows: current.length,
    missing_reference: bins.missing.reference,
    missing_current: bins.missing.current,
  };
  const notes = insufficiencyNotes(name, [reference.length, current.length], [presentRef, presentCur], t.minRows);
  const enough = presentRef >= t.minRows && presentCur >= t.minRows;
  const onlyCurrent = bins.labels.filter((_, i) => bins.reference[i] === 0);
  const onlyReference = bins.labels.filter((_, i) => bins.current[i] === 0);
  const categories = { categories_only_in_current: onlyCurrent.length, categories_only_in_reference: onlyReference.length };
  // Missing values are a category here, so any row on both sides gives well-defined statistics.
  const chi = chi2Contingency(bins.reference, bins.current);
  if (!chi.ok) {
    return {
      drift: { ...counts, ...categories, psi: null, js_distance: null, chi2_statistic: null, chi2_pvalue: null, chi2_dof: null },
      enough: false,
      pvalue: null,
      notes,
    };
  }
  if (reference.length > 0 && current.length > 0) {
    if (onlyCurrent.length > 0) {
      notes.push(`${onlyCurrent.length} categor${onlyCurrent.length === 1 ? 'y' : 'ies'} never seen in the reference: ${quoteList(onlyCurrent)} (PSI floors their reference share at 1e-4)`);
    }
    if (onlyReference.length > 0) {
      notes.push(`${onlyReference.length} reference categor${onlyReference.length === 1 ? 'y' : 'ies'} absent from current: ${quoteList(onlyReference)}`);
    }
    if (chi.dof === 0) notes.push('a single category on both sides: chi-square has nothing to compare (statistic 0, p-value 1)');
  }
  return {
    drift: { ...counts, ...categories, ...binShares(bins), chi2_statistic: chi.statistic, chi2_pvalue: chi.pvalue, chi2_dof: chi.dof },
    enough,
    pvalue: chi.pvalue,
    notes,
  };
}

/** A column that cannot be measured (absent, or of the wrong kind): all statistics null. */
function unmeasurable(spec: FeatureSpec, reference: Column | undefined, current: Column | undefined, problem: string): Measured<ColumnDrift> {
  const common = {
    column: spec.name,
    reference_rows: reference?.length ?? 0,
    current_rows: current?.length ?? 0,
    missing_reference: 0,
    missing_current: 0,
    psi: null,
    js_distance: null,
  };
  const drift =
    spec.type === 'numeric'
      ? { ...common, type: 'numeric' as const, ks_statistic: null, ks_pvalue: null, ks_method: null }
      : { ...common, type: 'categorical' as const, chi2_statistic: null, chi2_pvalue: null, chi2_dof: null, categories_only_in_current: 0, categories_only_in_reference: 0 };
  return { drift, enough: false, pvalue: null, notes: [problem] };
}

function measureColumn(spec: FeatureSpec, reference: ColumnTable, current: ColumnTable, t: DriftThresholds): Measured<ColumnDrift> {
  const ref = reference.columns[spec.name];
  const cur = current.columns[spec.name];
  for (const [side, col] of [['reference', ref], ['current', cur]] as const) {
    if (col === undefined) {
      return unmeasurable(spec, ref, cur, `column '${spec.name}' is not in the ${side} table: add it to the data, or drop it from the feature list`);
    }
    if (spec.type === 'numeric' && !(col instanceof Float64Array)) {
      return unmeasurable(spec, ref, cur, `column '${spec.name}' is declared numeric but the ${side} table holds an array of categories: pass a Float64Array (NaN for missing) or declare the feature categorical`);
    }
  }
  if (spec.type === 'numeric') return measureNumeric(spec.name, ref as Float64Array, cur as Float64Array, t);
  return measureCategorical(spec.name, ref!, cur!, t);
}

/**
 * The verdict of one measured column. `pvalue` is what the p-value flag compares with alpha
 * (BH-adjusted in a report, raw for a lone prediction test), named by `pvalueLabel` in the reason.
 */
function decide<T extends ColumnDrift>(m: Measured<T>, pvalue: number | null, alpha: number | null, t: DriftThresholds, pvalueLabel: string): T {
  const notes = [...m.notes];
  let verdict: DriftVerdict;
  const psiValue = m.drift.psi;
  if (!m.enough || psiValue === null) {
    verdict = 'insufficient_data';
  } else if (psiValue >= t.psiDrift) {
    verdict = 'fail';
    notes.unshift(`PSI ${fmt(psiValue)} >= ${t.psiDrift}`);
  } else if (alpha !== null && pvalue !== null && pvalue < alpha) {
    verdict = 'fail';
    notes.unshift(`${pvalueLabel} ${fmt(pvalue)} < alpha ${alpha} (PSI ${fmt(psiValue)})`);
  } else if (psiValue >= t.psiWarn) {
    verdict = 'warn';
    notes.unshift(`PSI ${fmt(psiValue)} >= ${t.psiWarn}`);
  } else {
    verdict = 'pass';
  }
  const out = { ...m.drift, verdict, drifted: verdict === 'fail' } as T;
  if (alpha !== null) {
    if (out.type === 'numeric') out.ks_pvalue_adjusted = pvalue;
    else out.chi2_pvalue_adjusted = pvalue;
  }
  if (notes.length > 0) out.reason = notes.join('; ');
  return out;
}

/**
 * Prediction drift: the numeric treatment (decile PSI, Jensen–Shannon, KS) applied to model
 * scores. With `alpha`, a KS p-value below it also flags drift (a single test: no correction).
 */
export function predictionDrift(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: { thresholds?: Partial<DriftThresholds>; alpha?: number; name?: string } = {},
): NumericColumnDrift {
  const t = resolveThresholds(options.thresholds);
  const alpha = options.alpha === undefined ? null : resolveAlpha({ alpha: options.alpha });
  const m = measureNumeric(options.name ?? 'prediction', reference, current, t);
  return decide(m, m.enough ? m.pvalue : null, alpha, t, 'KS p-value');
}

/** Drift of every listed feature between two tables, and optionally of the model's scores. */
export function driftReport(reference: ColumnTable, current: ColumnTable, columns: readonly FeatureSpec[], options: DriftOptions = {}): DriftReport {
  const t = resolveThresholds(options.thresholds);
  const alpha = resolveAlpha(options.pvalueFlag);
  const seen = new Set<string>();
  for (const spec of columns) {
    if (seen.has(spec.name)) throw new RangeError(`driftReport: feature '${spec.name}' is listed twice`);
    seen.add(spec.name);
  }

  const measured = columns.map((spec) => measureColumn(spec, reference, current, t));

  // The tested family is the columns that get a verdict: correcting over columns that decide
  // nothing would only weaken the test for the rest.
  const adjusted = new Array<number | null>(measured.length).fill(null);
  let tested = 0;
  if (alpha !== null) {
    const family = measured.flatMap((m, i) => (m.enough && m.pvalue !== null ? [i] : []));
    const ps = benjaminiHochberg(family.map((i) => measured[i]!.pvalue as number));
    family.forEach((i, k) => (adjusted[i] = ps[k]!));
    tested = family.length;
  }
  const results = measured.map((m, i) => decide(m, adjusted[i] ?? null, alpha, t, 'Benjamini–Hochberg adjusted p-value'));

  const evaluated = results.filter((r) => r.verdict !== 'insufficient_data');
  const drifted = evaluated.filter((r) => r.drifted).map((r) => r.column);
  const prediction = options.predictions
    ? predictionDrift(options.predictions.reference, options.predictions.current, {
        thresholds: t,
        ...(alpha === null ? {} : { alpha }),
      })
    : null;
  return {
    columns: results,
    drifted_share: evaluated.length === 0 ? null : drifted.length / evaluated.length,
    drifted_columns: drifted,
    evaluated_columns: evaluated.length,
    prediction,
    thresholds: { psi_warn: t.psiWarn, psi_drift: t.psiDrift, min_rows: t.minRows },
    correction: alpha === null ? null : { method: 'benjamini-hochberg', alpha, tested_columns: tested },
  };
}
