import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadModelConfig, parseDuration, parseModelConfig } from '../../core/config';
import { readFileSync } from 'node:fs';

const demo = readFileSync(new URL('../../examples/credit/credit.yaml', import.meta.url), 'utf8');

function errorsOf(text: string) {
  const result = parseModelConfig(text, '/models/credit.yaml');
  assert.equal(result.ok, false, 'expected the config to be refused');
  return result.ok ? [] : result.errors;
}

describe('model config', () => {
  test('the demo config parses and resolves paths, features and durations', () => {
    const result = parseModelConfig(demo, '/repo/examples/credit/credit.yaml');
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    const { config } = result;
    assert.equal(config.model, 'credit');
    assert.equal(config.source.path, '/repo/.ratchet/demo/data/applications-week-*.parquet');
    assert.equal(config.features.length, 11);
    assert.deepEqual(config.features[0], { name: 'income', type: 'numeric' });
    assert.deepEqual(config.features.at(-1), { name: 'employment_type', type: 'categorical' });
    assert.equal(config.window.lookbackMs, 56 * 86_400_000);
    assert.equal(config.approval.expiryMs, 7 * 86_400_000);
    assert.equal(config.trainer.kind, 'builtin-logistic');
    assert.equal(config.gates.min_performance?.min, 0.7);
  });

  test('a misspelt enum value names the field and suggests the fix', () => {
    const [err] = errorsOf(demo.replace('metric: auc, min: 0.70', 'metric: acu, min: 0.70'));
    assert.equal(err!.field, 'gates.min_performance.metric');
    assert.match(err!.message, /"acu" is not allowed; use one of auc, .*\(did you mean "auc"\?\)/);
  });

  test('an unknown key is refused with the nearest known key and the allowed list', () => {
    const errors = errorsOf(demo.replace('  approvers:', '  aprovers:'));
    const unknown = errors.find((e) => e.field === 'approval');
    assert.match(unknown!.message, /unknown key "aprovers" \(did you mean "approvers"\?\); allowed keys: approvers, admins, expiry/);
    assert.ok(errors.some((e) => e.field === 'approval.approvers' && /is required/.test(e.message)));
  });

  test('a typo at the top level is caught too', () => {
    const errors = errorsOf(`${demo}\nthreshhold: 0.4\n`);
    assert.ok(errors.some((e) => e.field === '' && /unknown key "threshhold" \(did you mean "threshold"\?\)/.test(e.message)), JSON.stringify(errors));
  });

  test('an unknown trainer kind says which kinds exist', () => {
    const errors = errorsOf(demo.replace('kind: builtin-logistic', 'kind: xgboost'));
    assert.ok(errors.some((e) => e.field === 'trainer.kind' && /"builtin-logistic" or "external"/.test(e.message) && /xgboost/.test(e.message)), JSON.stringify(errors));
  });

  test('a bad number says what it got', () => {
    const [err] = errorsOf(demo.replace('min_rows: 5000', 'min_rows: -1'));
    assert.equal(err!.field, 'data_checks.min_rows');
    assert.match(err!.message, /got -1/);
  });

  test('bad durations, missing fields and YAML syntax errors', () => {
    assert.ok(errorsOf(demo.replace('expiry: 7d', 'expiry: a week')).some((e) => e.field === 'approval.expiry' && /duration such as/.test(e.message)));
    assert.ok(errorsOf(demo.replace('label: defaulted\n', '')).some((e) => e.field === 'label' && /is required/.test(e.message)));
    assert.match(errorsOf('model: [unclosed')[0]!.message, /YAML syntax/);
    assert.match(errorsOf('just a string')[0]!.message, /expected a YAML mapping/);
  });

  test('cross-field checks: label as a feature, duplicate features, inverted label rate', () => {
    const withLabel = demo.replace('numeric: [income,', 'numeric: [defaulted, income,');
    assert.ok(errorsOf(withLabel).some((e) => e.field === 'label' && /also declared as a feature/.test(e.message)));
    const dup = demo.replace('numeric: [income,', 'numeric: [age, income,');
    assert.ok(errorsOf(dup).some((e) => /"age" is declared twice/.test(e.message)));
    const rate = demo.replace('label_rate: { min: 0.03, max: 0.4 }', 'label_rate: { min: 0.5, max: 0.1 }');
    assert.ok(errorsOf(rate).some((e) => e.field === 'data_checks.label_rate' && /swap them/.test(e.message)));
    const impossible = demo.replace('min: 0.70', 'min: 1.5');
    assert.ok(errorsOf(impossible).some((e) => e.field === 'gates.min_performance.min' && /can never be met/.test(e.message)));
  });

  test('a protected attribute used as a feature is a warning, not an error', () => {
    const result = parseModelConfig(demo.replace('protected: [age_band, gender]', 'protected: [age, gender]'), '/x/credit.yaml');
    assert.ok(result.ok);
    assert.ok(result.warnings.some((w) => w.field === 'protected' && /"age" is a model feature/.test(w.message)));
  });

  test('loadModelConfig throws a ConfigError naming the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ratchet-config-'));
    try {
      const file = path.join(dir, 'credit.yaml');
      await writeFile(file, demo.replace('threshold: 0.5', 'threshold: 2'));
      await assert.rejects(loadModelConfig(file), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 problem`));
        assert.match(err.message, /threshold/);
        return true;
      });
      await assert.rejects(loadModelConfig(path.join(dir, 'missing.yaml')), /cannot read the file \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('durations', () => {
    assert.equal(parseDuration('90m'), 5_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
    assert.throws(() => parseDuration('soon'), /not a duration/);
  });
});
