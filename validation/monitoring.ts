/**
 * The health of a production model at one monitoring check, judged against a policy of warn and
 * alert levels. Pure: the monitoring activity measures (drift, live quality, estimates) and calls
 * this; the monitor workflow acts on the level.
 *
 * Checks, each with a warn and an alert level (null switches a level off):
 *   feature_psi         the largest PSI of any one feature, live inputs vs the training reference;
 *   drifted_share       the share of features whose PSI reached the drift level;
 *   prediction_psi      PSI of the champion's live scores vs its scores on the training reference;
 *   auc_drop            holdout AUC − live AUC on the traffic whose labels have arrived, taken at
 *                       the upper end of the live AUC's 95 % interval (Hanley–McNeil): a few
 *                       hundred labels are noisy (±0.04 is common), and only a drop that survives
 *                       the noise counts;
 *   min_auc             live AUC under an absolute floor, again at the upper end of its interval
 *                       (proven below, not maybe below): alert, and the trigger for a rollback;
 *   estimated_auc_drop  the same drop from a CBPE estimate on unlabelled traffic. It can warn but
 *                       never alert: the estimate assumes no concept drift, exactly what an alert
 *                       would have to rule out.
 * A check without enough data (rows below min_rows, labels below min_labels) is
 * insufficient_data and decides nothing; when no check could decide, neither does the whole.
 */

export interface HealthThresholds {
  drifted_share: number | null;
  feature_psi: number | null;
  prediction_psi: number | null;
  auc_drop: number | null;
}

export const DEFAULT_HEALTH_WARN: Readonly<HealthThresholds> = Object.freeze({ drifted_share: 0.1, feature_psi: 0.1, prediction_psi: 0.1, auc_drop: 0.02 });
export const DEFAULT_HEALTH_ALERT: Readonly<HealthThresholds> = Object.freeze({ drifted_share: 0.3, feature_psi: 0.25, prediction_psi: 0.25, auc_drop: 0.05 });

export interface HealthPolicy {
  warn: HealthThresholds;
  alert: HealthThresholds;
  /** Live AUC below this is an alert that may roll the model back; null for no floor. */
  min_auc: number | null;
  /** Scored requests a window needs before drift is judged. */
  min_rows: number;
  /** Labelled requests the now-test needs before live AUC is judged. */
  min_labels: number;
}

export interface HealthMeasurements {
  /** Scored live requests in the drift window. */
  rows: number;
  drift: { drifted_share: number | null; worst: { column: string; psi: number } | null } | null;
  prediction_psi: number | null;
  live: { labelled: number; positives: number; auc: number | null } | null;
  holdout_auc: number | null;
  estimate: { rows: number; auc: number | null } | null;
}

export type HealthLevel = 'ok' | 'warn' | 'alert' | 'insufficient_data';
export type HealthCheck = 'feature_psi' | 'drifted_share' | 'prediction_psi' | 'auc_drop' | 'min_auc' | 'estimated_auc_drop';

export interface HealthFinding {
  check: HealthCheck;
  level: HealthLevel | 'skipped';
  value: number | null;
  warn: number | null;
  alert: number | null;
  evidence: string;
}

export interface HealthAssessment {
  level: HealthLevel;
  findings: HealthFinding[];
  /** Live AUC is below the policy's floor: what an automatic rollback waits for. */
  belowMinimum: boolean;
  /** The findings that set the level, in words (the text of an alert). */
  summary: string;
}

const RANK: Record<HealthLevel, number> = { insufficient_data: 0, ok: 1, warn: 2, alert: 3 };

export function assessHealth(m: HealthMeasurements, policy: HealthPolicy): HealthAssessment {
  checkPolicy(policy);
  const enoughRows = m.rows >= policy.min_rows;
  const rowsNote = `${m.rows} scored requests in the window; ${policy.min_rows} are needed`;
  const findings: HealthFinding[] = [];
  const worst = m.drift?.worst ?? null;

  findings.push(
    !enoughRows || !m.drift
      ? insufficient('feature_psi', policy, m.drift ? rowsNote : 'no drift report (no training reference)')
      : graded('feature_psi', worst?.psi ?? null, policy, (v) => `largest feature PSI ${fmt(v)}${worst ? ` (${worst.column})` : ''}`),
    !enoughRows || !m.drift
      ? insufficient('drifted_share', policy, m.drift ? rowsNote : 'no drift report (no training reference)')
      : graded('drifted_share', m.drift.drifted_share, policy, (v) => `${pct(v)} of the features drifted`),
    !enoughRows ? insufficient('prediction_psi', policy, rowsNote) : graded('prediction_psi', m.prediction_psi, policy, (v) => `PSI of live scores vs training-reference scores ${fmt(v)}`),
  );

  const live = m.live;
  const labelled = live !== null && live.labelled >= policy.min_labels && live.auc !== null;
  const labelsNote = `${live?.labelled ?? 0} labelled requests; ${policy.min_labels} are needed`;
  // The optimistic end of the live AUC: what the model may still be doing, given the noise.
  const upper = labelled ? Math.min(1, live.auc! + Z95 * aucStandardError(live.auc!, live.positives, live.labelled - live.positives)) : null;
  const liveText = labelled ? `live AUC ${fmt(live.auc!)} (95 % upper bound ${fmt(upper!)}, ${live.labelled} labelled requests)` : '';
  if (!labelled || m.holdout_auc === null) {
    findings.push(insufficient('auc_drop', policy, labelled ? 'the champion has no holdout AUC to compare with' : labelsNote));
  } else {
    findings.push(graded('auc_drop', m.holdout_auc - upper!, policy, (v) => `${liveText} vs holdout ${fmt(m.holdout_auc!)}: drop beyond the noise ${fmt(v)}`));
  }

  let belowMinimum = false;
  if (policy.min_auc === null) {
    findings.push({ check: 'min_auc', level: 'skipped', value: null, warn: null, alert: null, evidence: 'no minimum live AUC configured' });
  } else if (!labelled) {
    findings.push({ check: 'min_auc', level: 'insufficient_data', value: null, warn: null, alert: policy.min_auc, evidence: labelsNote });
  } else {
    belowMinimum = upper! < policy.min_auc;
    findings.push({
      check: 'min_auc',
      level: belowMinimum ? 'alert' : 'ok',
      value: upper,
      warn: null,
      alert: policy.min_auc,
      evidence: `${liveText} ${belowMinimum ? 'is below' : 'does not fall clearly below'} the minimum ${fmt(policy.min_auc)}`,
    });
  }

  findings.push(estimateFinding(m, policy));

  const decided = findings.filter((f) => f.level !== 'skipped' && f.level !== 'insufficient_data');
  const level: HealthLevel = decided.reduce<HealthLevel>((acc, f) => (RANK[f.level as HealthLevel] > RANK[acc] ? (f.level as HealthLevel) : acc), decided.length ? 'ok' : 'insufficient_data');
  const raised = findings.filter((f) => f.level === level && (level === 'warn' || level === 'alert'));
  const summary =
    level === 'insufficient_data'
      ? `not enough data to judge: ${rowsNote}; ${labelsNote}`
      : raised.length
        ? raised.map((f) => f.evidence).join('; ')
        : 'every check within its warn level';
  return { level, findings, belowMinimum, summary };
}

/** A CBPE estimate of the AUC drop: a warning at most (see the module comment). */
const Z95 = 1.959963984540054;

/** The column with the largest PSI (the one an alert names), or null when none has one. */
export function worstDrift(columns: readonly { column: string; psi: number | null }[]): { column: string; psi: number } | null {
  let worst: { column: string; psi: number } | null = null;
  for (const c of columns) if (c.psi !== null && (worst === null || c.psi > worst.psi)) worst = { column: c.column, psi: c.psi };
  return worst;
}

/**
 * Standard error of an AUC estimate from `positives` and `negatives` rows (Hanley & McNeil, 1982):
 * the exponential approximation of the score distributions. Infinity when a class is empty.
 */
export function aucStandardError(auc: number, positives: number, negatives: number): number {
  if (positives < 1 || negatives < 1) return Number.POSITIVE_INFINITY;
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives);
  return Math.sqrt(Math.max(0, variance));
}

function estimateFinding(m: HealthMeasurements, policy: HealthPolicy): HealthFinding {
  const base = { check: 'estimated_auc_drop' as const, warn: policy.warn.auc_drop, alert: null };
  if (!m.estimate) return { ...base, level: 'skipped', value: null, evidence: 'no estimate (labels cover the window, or the champion is not calibrated well enough)' };
  if (m.estimate.auc === null || m.holdout_auc === null) return { ...base, level: 'insufficient_data', value: null, evidence: 'estimated AUC undefined' };
  if (m.estimate.rows < policy.min_rows) {
    return { ...base, level: 'insufficient_data', value: null, evidence: `${m.estimate.rows} unlabelled requests to estimate on; ${policy.min_rows} are needed` };
  }
  const drop = m.holdout_auc - m.estimate.auc;
  const warn = policy.warn.auc_drop !== null && drop >= policy.warn.auc_drop;
  return {
    ...base,
    level: warn ? 'warn' : 'ok',
    value: drop,
    evidence: `estimated AUC ${fmt(m.estimate.auc)} (CBPE, ${m.estimate.rows} unlabelled requests) vs holdout ${fmt(m.holdout_auc)}: drop ${fmt(drop)} — an estimate, never an alert`,
  };
}

function graded(check: Exclude<HealthCheck, 'min_auc' | 'estimated_auc_drop'>, value: number | null, policy: HealthPolicy, describe: (v: number) => string): HealthFinding {
  const warn = policy.warn[check];
  const alert = policy.alert[check];
  if (value === null) return { check, level: 'insufficient_data', value, warn, alert, evidence: `${check} could not be computed` };
  const level: HealthLevel = alert !== null && value >= alert ? 'alert' : warn !== null && value >= warn ? 'warn' : 'ok';
  const bound = level === 'alert' ? ` ≥ alert ${fmt(alert!)}` : level === 'warn' ? ` ≥ warn ${fmt(warn!)}` : ` below warn ${warn === null ? '(off)' : fmt(warn)}`;
  return { check, level, value, warn, alert, evidence: `${describe(value)}${bound}` };
}

function insufficient(check: Exclude<HealthCheck, 'min_auc' | 'estimated_auc_drop'>, policy: HealthPolicy, evidence: string): HealthFinding {
  return { check, level: 'insufficient_data', value: null, warn: policy.warn[check], alert: policy.alert[check], evidence };
}

function checkPolicy(policy: HealthPolicy): void {
  for (const key of Object.keys(DEFAULT_HEALTH_WARN) as (keyof HealthThresholds)[]) {
    const warn = policy.warn[key];
    const alert = policy.alert[key];
    if (warn !== null && alert !== null && warn > alert) throw new RangeError(`monitoring policy: warn.${key} (${warn}) is above alert.${key} (${alert})`);
  }
  if (!(Number.isInteger(policy.min_rows) && policy.min_rows >= 1)) throw new RangeError(`monitoring policy: min_rows must be an integer >= 1, got ${policy.min_rows}`);
  if (!(Number.isInteger(policy.min_labels) && policy.min_labels >= 1)) throw new RangeError(`monitoring policy: min_labels must be an integer >= 1, got ${policy.min_labels}`);
}

function fmt(x: number): string {
  return Number(x.toFixed(4)).toString();
}

function pct(x: number): string {
  return `${Number((x * 100).toFixed(1))} %`;
}
