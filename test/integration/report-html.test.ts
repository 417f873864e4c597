/**
 * The approver's report in a real browser (Debian's headless chromium through playwright-core):
 * it loads without console or page errors, asks for nothing over the network, draws every chart
 * with data, shows the verdict banner, and leaves a full-page screenshot in test-artifacts/.
 *
 * Skipped only when /usr/bin/chromium is absent (CI installs it).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderRunReport, type RunReportInput } from '../../reports/run-report';
import { fixtureInput } from '../fixtures/reports/run-report-fixture';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(REPO, 'test-artifacts');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install Debian's chromium to run the browser test`;

interface Loaded {
  page: Page;
  consoleErrors: string[];
  pageErrors: string[];
  /** Every request other than the report document itself. */
  requests: string[];
}

describe('report HTML in headless chromium', { skip }, () => {
  let browser: Browser;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ratchet-report-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function load(input: RunReportInput, name: string): Promise<Loaded> {
    const file = path.join(dir, name);
    await writeFile(file, renderRunReport(input));
    const url = pathToFileURL(file).href;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const loaded: Loaded = { page, consoleErrors: [], pageErrors: [], requests: [] };
    page.on('console', (m) => {
      if (m.type() === 'error') loaded.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => loaded.pageErrors.push(String(e)));
    page.on('request', (r) => {
      if (r.url() !== url) loaded.requests.push(r.url());
    });
    // Belt and braces: anything that tried to leave the page would also fail loudly here.
    await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: 'load' });
    return loaded;
  }

  it('loads cleanly, offline, with every chart drawn and the verdict banner visible', async () => {
    const { page, consoleErrors, pageErrors, requests } = await load(fixtureInput(), 'report.html');
    try {
      assert.deepEqual(consoleErrors, []);
      assert.deepEqual(pageErrors, []);
      assert.deepEqual(requests, []);

      const banner = page.getByTestId('verdict-banner');
      assert.ok(await banner.isVisible(), 'verdict banner not visible');
      assert.match((await banner.innerText()).replace(/\s+/g, ' '), /Awaiting approval all blocking gates passed; awaiting approval by alice or bob/);

      const charts = await page.locator('svg[data-chart]').all();
      assert.equal(charts.length, 9);
      for (const chart of charts) {
        const name = await chart.getAttribute('data-chart');
        assert.ok(await chart.isVisible(), `chart ${name} not visible`);
        const box = await chart.boundingBox();
        assert.ok(box && box.width > 250 && box.height > 150, `chart ${name} is too small: ${JSON.stringify(box)}`);
        const counts = await chart.locator('[data-series][data-points]').evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-points'))));
        assert.ok(counts.some((n) => n > 0), `chart ${name} has no series with points (${counts})`);
        // the drawn marks really are there, not just the count
        const marks = await chart.locator('[data-series] path, [data-series] [data-point]').count();
        assert.ok(marks > 0, `chart ${name} draws no marks`);
      }
      const roc = page.locator('svg[data-chart="roc"] [data-series="candidate"]');
      assert.equal(await roc.getAttribute('data-points'), '100');

      // nothing spills out sideways at a laptop width
      assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true);

      await mkdir(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok((await stat(shot)).size > 50_000, 'screenshot suspiciously small');
    } finally {
      await page.close();
    }
  });

  it('injected markup stays text: no script runs, no image loads', async () => {
    const input = fixtureInput();
    input.model = '<script>document.title="pwned"</script>';
    input.evaluation.slices[0] = { ...input.evaluation.slices[0]!, value: '<img src="http://example.invalid/x.png" onerror="document.title=\'pwned\'">' };
    input.gates[0] = { ...input.gates[0]!, evidence: '"><iframe src="http://example.invalid/"></iframe>' };
    const { page, consoleErrors, pageErrors, requests } = await load(input, 'hostile.html');
    try {
      assert.deepEqual(requests, []);
      assert.deepEqual(consoleErrors, []);
      assert.deepEqual(pageErrors, []);
      assert.notEqual(await page.title(), 'pwned');
      assert.equal(await page.locator('script, img, iframe').count(), 0);
      assert.equal(await page.locator('h1').innerText(), '<script>document.title="pwned"</script>');
    } finally {
      await page.close();
    }
  });
});
