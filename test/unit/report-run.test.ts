/**
 * renderRunReport end to end on a realistic fixture: every section in order, every chart, the
 * verdict banner, edge cases (first run, null metrics, no slices) and HTML injection.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderRunReport, type RunReportInput } from '../../reports/run-report';
import { verdictSentence } from '../../reports/sections/header';
import { orderGates } from '../../reports/sections/gates';
import { readDelta } from '../../reports/sections/metrics';
import { nullMetricSet } from '../../validation/metrics';
import { fixtureGates, fixtureInput } from '../fixtures/reports/run-report-fixture';

function charts(page: string): string[] {
  return [...page.matchAll(/<svg [^>]*data-chart="([^"]+)"/g)].map((m) => m[1]!);
}

function bannerOf(page: string): string {
  const m = /<div class="banner banner-(\w+)"[^>]*data-testid="verdict-banner"[^>]*>(.*?)<nav class="toc">/s.exec(page);
  assert.ok(m, 'no verdict banner');
  return `${m[1]}|${textOf(m[2]!)}`;
}

function textOf(fragment: string): string {
  const entities: Record<string, string> = { '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>', '&amp;': '&' };
  return fragment
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(quot|#39|lt|gt|amp);/g, (e) => entities[e]!)
    .replace(/\s+/g, ' ')
    .trim();
}

describe('renderRunReport', () => {
  const page = renderRunReport(fixtureInput());

  it('is one complete, self-contained HTML document', () => {
    assert.match(page, /^<!doctype html>\n<html lang="en">/);
    assert.match(page, /<\/html>\n$/);
    assert.match(page, /<style>[^<]+<\/style>/);
    // nothing that would reach the network or run code
    assert.doesNotMatch(page, /<script|<link|<img|<iframe|@import|url\(|src=|href="(?!#)/i);
  });

  it('has the sections in the order an approver reads them', () => {
    const order = ['class="top"', 'data-testid="verdict-banner"', 'id="gates"', 'id="metrics"', 'id="charts"', 'id="card"', '<footer>'];
    const positions = order.map((marker) => page.indexOf(marker));
    assert.ok(positions.every((p) => p > 0), `missing section: ${order[positions.indexOf(-1)]}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions);
  });

  it('header: model, versions, short hash with the full hash on hover, data window, run id, time', () => {
    const header = page.slice(page.indexOf('<header'), page.indexOf('</header>'));
    assert.match(header, /<h1>credit-default<\/h1>/);
    assert.match(header, /candidate v8/);
    assert.match(header, /champion v7/);
    assert.match(header, /<code class="hash" title="9f2c4e1ab37d58c0e6f14a2b9d7c3e5f80a1b2c3d4e5f6071829a0b1c2d3e4f5">9f2c4e1ab37d<\/code>/);
    assert.match(header, /2024-03-04 00:00 UTC → 2024-06-02 23:59 UTC/);
    assert.match(header, /retrain-credit-default-2024-06-03T00:00:00Z/);
    assert.match(header, /2024-06-03 08:47 UTC/);
  });

  it('verdict banner: colour by verdict and one sentence saying why', () => {
    assert.equal(bannerOf(page).split('|')[0], 'info');
    assert.match(page, /all blocking gates passed; awaiting approval by alice or bob/);
    const tones = { rejected: 'bad', failed: 'bad', promoted: 'good', approved: 'good', expired: 'warn', awaiting_approval: 'info', pass: 'info' };
    for (const [verdict, tone] of Object.entries(tones)) {
      assert.equal(bannerOf(renderRunReport({ ...fixtureInput(), verdict })).split('|')[0], tone, verdict);
    }
  });

  it('derives the sentence from the gates when the workflow gives none', () => {
    const gates = fixtureGates();
    gates[0] = { ...gates[0]!, verdict: 'fail' }; // min_performance
    gates[1] = { ...gates[1]!, verdict: 'fail' }; // non_regression
    const input = { ...fixtureInput(), verdict: 'rejected', verdictNote: undefined, gates };
    // the overridden calibration failure does not count: an admin accepted it
    assert.equal(verdictSentence(input), '2 blocking gates failed: min_performance, non_regression');
    const rejected = renderRunReport(input);
    assert.match(bannerOf(rejected), /^bad\|.*2 blocking gates failed: min_performance, non_regression/s);
    assert.equal(verdictSentence({ ...input, gates: fixtureGates(), verdict: 'awaiting_approval' }), 'all blocking gates passed; awaiting approval');
  });

  it('gate table: failed blocking gates first, coloured pills, overrides with who and why', () => {
    const gates = fixtureGates();
    gates.push({ gate: 'non_regression:ap', verdict: 'fail', blocking: true, value: -0.03, threshold: -0.01, evidence: 'AP fell by 0.030' });
    const ordered = orderGates(gates).map((g) => g.gate);
    assert.equal(ordered[0], 'non_regression:ap');
    assert.equal(ordered[1], 'calibration'); // failed, blocking, but overridden
    assert.equal(ordered[ordered.length - 1], 'operational');
    const table = renderRunReport({ ...fixtureInput(), gates });
    const rows = [...table.matchAll(/<tr(?: class="([^"]+)")? data-gate="([^"]+)">/g)];
    assert.equal(rows.length, gates.length);
    assert.deepEqual([rows[0]![1], rows[0]![2]], ['row-blocking-fail', 'non_regression:ap']);
    assert.match(table, /<span class="pill pill-fail">fail<\/span>/);
    assert.match(table, /<span class="pill pill-insufficient_data">insufficient data<\/span>/);
    assert.match(table, /by <strong>carol<\/strong>.*recalibration ticket ML-412/s);
  });

  it('headline metrics: candidate and champion with CIs, paired delta CI, lower-is-better marked', () => {
    const metrics = page.slice(page.indexOf('id="metrics"'), page.indexOf('id="charts"'));
    const auc = textOf(/<tr><th scope="row">AUC<\/th>.*?<\/tr>/s.exec(metrics)![0]);
    assert.match(auc, /^AUC 0\.871 \[0\.865, 0\.878\] 0\.847 \[0\.841, 0\.854\] \+0\.024 \[\+0\.020, \+0\.027\] better$/);
    assert.equal((metrics.match(/lower is better<\/span>/g) ?? []).length, 3);
    assert.match(metrics, /Churn 3\.1%/);
    assert.equal(readDelta('auc', [0.01, 0.03]), 'better');
    assert.equal(readDelta('log_loss', [-0.03, -0.01]), 'better'); // a fall in log loss is an improvement
    assert.equal(readDelta('log_loss', [0.01, 0.03]), 'worse');
    assert.equal(readDelta('auc', [-0.01, 0.01]), 'unclear');
  });

  it('every chart is there, each with data', () => {
    assert.deepEqual(charts(page), ['roc', 'pr', 'reliability', 'slices:region', 'slices:channel', 'fairness:sex', 'fairness:age_band', 'drift', 'importance']);
    for (const svg of page.matchAll(/<svg [^>]*data-chart="([^"]+)".*?<\/svg>/gs)) {
      const counts = [...svg[0].matchAll(/data-series="[^"]+" data-points="(\d+)"/g)].map((m) => Number(m[1]));
      assert.ok(counts.some((n) => n > 0), `chart ${svg[1]} has no points`);
    }
    assert.doesNotMatch(page, /NaN|Infinity|undefined|\[object Object\]/);
  });

  it('model card: use, owner, training window and size, features, threshold, segments, limitations, lineage, cost', () => {
    const card = textOf(page.slice(page.indexOf('id="card"'), page.indexOf('<footer>')));
    for (const expected of [
      'Ranking applications for manual review; not for automated decline.',
      'risk-ml@example.com',
      '168,431 rows · 2024-03-04 00:00 UTC → 2024-05-12 23:59 UTC',
      'late_payments_90d numeric',
      'region categorical',
      'score ≥ 0.500 predicts the positive class',
      'region islands 38 insufficient data',
      'behaviour under a recession is unknown',
      '7d3a9c1e5b2f4a6081c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4',
      'builtin-logistic',
      'class_weight {"0":1,"1":2.5}',
      'holdout 48,522',
      'train 1 min 34 s 3 min 1 s 1.15 GiB',
      'Snapshot size 17.6 MiB',
    ]) {
      assert.ok(card.includes(expected), `model card lacks "${expected}"`);
    }
  });

  it('renders the same bytes for the same input (no clock, no randomness)', () => {
    assert.equal(renderRunReport(fixtureInput()), page);
  });
});

describe('renderRunReport edge cases', () => {
  it('first run: no champion, absolute gates only, no champion series or delta columns', () => {
    const input = fixtureInput();
    const evaluation = { ...input.evaluation, baseline: undefined, delta: undefined, churn: undefined };
    evaluation.slices = evaluation.slices.map(({ baseline: _b, delta: _d, ...s }) => s);
    const page = renderRunReport({ ...input, champion: null, evaluation, importance: { candidate: input.importance!.candidate } });
    assert.match(page, /no champion yet: absolute gates only/);
    assert.doesNotMatch(page, /data-series="champion"/);
    assert.doesNotMatch(page, /Δ vs champion/);
    assert.deepEqual(charts(page).slice(0, 3), ['roc', 'pr', 'reliability']);
  });

  it('null metrics show "—" with the reason as a tooltip, and missing curves are explained', () => {
    const input = fixtureInput();
    const reason = '3 labelled row(s) have a NaN score: a model that cannot score every row is not judged on the rows it can';
    const evaluation = { ...input.evaluation, nanScoreRows: 3, overall: nullMetricSet(reason), curves: { roc: [], pr: [], reliability: [] }, baseline: undefined, delta: undefined };
    const page = renderRunReport({ ...input, champion: null, evaluation });
    const metrics = page.slice(page.indexOf('id="metrics"'), page.indexOf('id="charts"'));
    assert.equal((metrics.match(new RegExp(`<span class="missing" title="${reason.replace(/[()]/g, '\\$&')}">—</span>`, 'g')) ?? []).length, 10);
    assert.match(metrics, /3 labelled rows have no candidate score/);
    assert.match(page, /ROC curve: no curve to draw \(3 labelled row/);
    assert.ok(!charts(page).includes('roc'));
  });

  it('no slices, no protected attributes, no drift/importance/cost: the sections say so', () => {
    const input = fixtureInput();
    const page = renderRunReport({
      ...input,
      evaluation: { ...input.evaluation, slices: [], fairness: {} },
      card: { ...input.card, segments: [], protected: [] },
      drift: undefined,
      importance: undefined,
      cost: { stages: [], artifactBytes: 1024 },
      split: undefined,
    });
    assert.match(page, /No slice columns were evaluated \(the model declares no segments\)/);
    assert.match(page, /No protected attributes were evaluated \(the model declares none\)/);
    assert.match(page, /No per-stage timings were recorded/);
    assert.match(page, /whole snapshot; split not recorded/);
    assert.deepEqual(charts(page), ['roc', 'pr', 'reliability']);
  });

  it('escapes injected markup in the model name, slice values, gate text, card and parameters', () => {
    const attack = '<script>alert("x")</script>';
    const img = '<img src=x onerror=alert(1)>';
    const input = fixtureInput();
    input.model = attack;
    input.runId = `run"><svg onload=alert(1)>`;
    input.evaluation.slices[0] = { ...input.evaluation.slices[0]!, value: img, column: attack };
    input.evaluation.fairness.sex!.groups[0]!.value = img;
    input.gates[0] = { ...input.gates[0]!, gate: attack, evidence: img, override: { by: attack, reason: img, at: 'x' } };
    input.card.limitations = [attack];
    input.card.features = [{ name: img, type: 'numeric' }];
    input.candidate.params = { [attack]: img };
    input.drift!.columns[0]!.column = attack;
    input.importance!.candidate[0]!.feature = img;
    input.verdictNote = attack;
    const page = renderRunReport(input);
    assert.doesNotMatch(page, /<script|<img|<svg onload/i);
    assert.match(page, /<h1>&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;<\/h1>/);
    assert.match(page, /data-chart="slices:&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;"/);
    assert.match(page, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(page, /run&quot;&gt;&lt;svg onload=alert\(1\)&gt;/);
  });

  it('a two-point curve and an unregistered candidate render', () => {
    const input: RunReportInput = fixtureInput();
    input.candidate.version = null;
    input.evaluation.curves.roc = [{ x: 0, y: 0, threshold: 1 }, { x: 1, y: 1, threshold: 0 }];
    const page = renderRunReport(input);
    assert.match(page, /unregistered candidate/);
    assert.match(page, /data-chart="roc".*?data-series="candidate" data-points="2"/s);
  });
});
