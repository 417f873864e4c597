/**
 * The monitor's pure rules: the health verdict of one check (validation/monitoring) and what the
 * workflow does about it (workflows/monitor-policy: cool-down, open runs, the four actions).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assessHealth, aucStandardError, DEFAULT_HEALTH_ALERT, DEFAULT_HEALTH_WARN, type HealthMeasurements, type HealthPolicy } from '../../validation/monitoring';
import { decideOnCheck, holdForOpenRuns } from '../../workflows/monitor-policy';

const POLICY: HealthPolicy = { warn: { ...DEFAULT_HEALTH_WARN }, alert: { ...DEFAULT_HEALTH_ALERT }, min_auc: 0.7, min_rows: 500, min_labels: 200 };

const calm: HealthMeasurements = {
  rows: 2000,
  drift: { drifted_share: 0, worst: { column: 'age', psi: 0.01 } },
  prediction_psi: 0.01,
  live: { labelled: 5000, positives: 700, auc: 0.8 },
  holdout_auc: 0.81,
  estimate: null,
};

const level = (m: HealthMeasurements, check: string) => assessHealth(m, POLICY).findings.find((f) => f.check === check)!.level;

describe('assessHealth', () => {
  test('calm traffic is ok', () => {
    const a = assessHealth(calm, POLICY);
    assert.equal(a.level, 'ok', JSON.stringify(a.findings));
    assert.equal(a.belowMinimum, false);
  });

  test('one drifted feature alerts and is named; the share alone only when many drift', () => {
    const a = assessHealth({ ...calm, drift: { drifted_share: 1 / 11, worst: { column: 'credit_utilization', psi: 0.32 } } }, POLICY);
    assert.equal(a.level, 'alert');
    assert.match(a.summary, /credit_utilization/);
    assert.equal(level({ ...calm, drift: { drifted_share: 1 / 11, worst: { column: 'x', psi: 0.32 } } }, 'drifted_share'), 'ok');
    assert.equal(level({ ...calm, drift: { drifted_share: 0.4, worst: { column: 'x', psi: 0.32 } } }, 'drifted_share'), 'alert');
    assert.equal(level({ ...calm, prediction_psi: 0.12 }, 'prediction_psi'), 'warn');
  });

  test('too little traffic decides nothing, even with a huge PSI', () => {
    const a = assessHealth({ ...calm, rows: 100, drift: { drifted_share: 1, worst: { column: 'x', psi: 3 } }, live: null }, POLICY);
    assert.equal(a.level, 'insufficient_data');
    assert.match(a.summary, /not enough data/);
  });

  test('an AUC drop alerts only beyond the noise of the labelled sample', () => {
    // 0.76 vs 0.81 on 300 labels: inside the noise. On 20,000 labels: a real drop.
    const few = { ...calm, live: { labelled: 300, positives: 40, auc: 0.76 } };
    const many = { ...calm, live: { labelled: 20_000, positives: 2800, auc: 0.74 } };
    assert.notEqual(level(few, 'auc_drop'), 'alert');
    assert.equal(level(many, 'auc_drop'), 'alert');
    assert.equal(level({ ...calm, live: { labelled: 50, positives: 5, auc: 0.5 } }, 'auc_drop'), 'insufficient_data');
  });

  test('live quality proven below the minimum is the rollback trigger', () => {
    const bad = assessHealth({ ...calm, live: { labelled: 20_000, positives: 2800, auc: 0.62 } }, POLICY);
    assert.equal(bad.level, 'alert');
    assert.equal(bad.belowMinimum, true);
    const noisy = assessHealth({ ...calm, live: { labelled: 220, positives: 20, auc: 0.66 } }, POLICY);
    assert.equal(noisy.belowMinimum, false, 'a noisy 0.66 is not proven below 0.7');
  });

  test('a CBPE estimate can warn but never alert', () => {
    const a = assessHealth({ ...calm, live: null, estimate: { rows: 5000, auc: 0.6 } }, POLICY);
    const f = a.findings.find((x) => x.check === 'estimated_auc_drop')!;
    assert.equal(f.level, 'warn');
    assert.equal(a.level, 'warn');
    assert.match(f.evidence, /never an alert/);
  });

  test('a policy whose warn level is above its alert level is refused', () => {
    assert.throws(() => assessHealth(calm, { ...POLICY, warn: { ...POLICY.warn, feature_psi: 0.5 } }), /warn.feature_psi \(0.5\) is above alert.feature_psi/);
  });

  test('aucStandardError follows Hanley and McNeil and shrinks with more rows', () => {
    assert.ok(Math.abs(aucStandardError(0.5, 50, 50) - Math.sqrt((0.25 + 2 * 49 * (1 / 3 - 0.25)) / 2500)) < 1e-12);
    assert.ok(aucStandardError(0.8, 1000, 9000) < aucStandardError(0.8, 100, 900));
    assert.equal(aucStandardError(0.8, 0, 10), Number.POSITIVE_INFINITY);
  });
});

describe('decideOnCheck and holdForOpenRuns', () => {
  const alert = { level: 'alert' as const, belowMinimum: false };
  const now = Date.parse('2026-03-10T00:00:00Z');
  const fresh = { lastAlertAt: null, openRequest: null };

  test('only alerts act, and at most once per cool-down', () => {
    assert.deepEqual(decideOnCheck({ level: 'warn', belowMinimum: false }, { action: 'retrain', cooldownMs: 86_400_000 }, fresh, now), { kind: 'quiet' });
    const cooling = decideOnCheck(alert, { action: 'retrain', cooldownMs: 86_400_000 }, { lastAlertAt: '2026-03-09T12:00:00Z', openRequest: null }, now);
    assert.deepEqual(cooling, { kind: 'cooling_down', until: '2026-03-10T12:00:00.000Z' });
    const after = decideOnCheck(alert, { action: 'retrain', cooldownMs: 86_400_000 }, { lastAlertAt: '2026-03-08T12:00:00Z', openRequest: null }, now);
    assert.equal(after.kind === 'alert' && after.action, 'retrain');
  });

  test('each action', () => {
    const act = (action: 'request_retrain' | 'retrain' | 'rollback' | 'notify', belowMinimum = false, state = fresh) => {
      const d = decideOnCheck({ level: 'alert', belowMinimum }, { action, cooldownMs: 1 }, state, now);
      return d.kind === 'alert' ? d.action : d.kind;
    };
    assert.equal(act('notify'), 'none');
    assert.equal(act('request_retrain'), 'request_retrain');
    assert.equal(act('request_retrain', false, { lastAlertAt: null, openRequest: { openedAt: '2026-03-01T00:00:00Z', reason: 'x' } } as never), 'none');
    assert.equal(act('retrain'), 'retrain');
    assert.equal(act('rollback', true), 'rollback');
    assert.equal(act('rollback', false), 'none', 'drift alone does not roll back');
  });

  test('nothing starts while a run of the model is open', () => {
    const held = holdForOpenRuns({ action: 'retrain', note: '' }, [{ workflowId: 'retrain-credit-20260309-030000', type: 'retrain' }]);
    assert.equal(held.action, 'none');
    assert.match(held.note, /retrain-credit-20260309-030000 is still open/);
    assert.deepEqual(holdForOpenRuns({ action: 'retrain', note: 'go' }, []), { action: 'retrain', note: 'go' });
  });
});
