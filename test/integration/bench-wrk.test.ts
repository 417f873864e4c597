/**
 * The serving benchmark's wrk driver against a real wrk (Debian's package; .ci/run installs it)
 * and a node:http server that counts what it receives: every body is sent in turn, the counts
 * wrk reports match the server's, and error statuses are counted as errors.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { wrkClosedLoop, wrkInstalled } from '../../bench/lib/wrk';

const wrk = wrkInstalled();

async function server(status: (body: string) => number) {
  const received = new Map<string, number>();
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.set(body, (received.get(body) ?? 0) + 1);
      res.writeHead(status(body), { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, received, close: () => new Promise((r) => srv.close(r)) };
}

if (!wrk) {
  test('wrk load generator', { skip: 'wrk is not installed: apt-get install wrk (.ci/run does)' }, () => {});
} else {
  test('wrk sends every body in turn; its counts match the server and error statuses are errors', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-wrk-'));
    const bodies = Array.from({ length: 5 }, (_, i) => Buffer.from(JSON.stringify({ entity_id: `e${i}`, n: i })));
    // Body 4 is refused: one request in five answers 500.
    const s = await server((body) => (body.includes('"e4"') ? 500 : 200));
    try {
      const r = await wrkClosedLoop({ url: s.url, path: '/predict', bodies }, 4, 1, { scriptDir: dir });
      const served = [...s.received.values()].reduce((a, b) => a + b, 0);
      const refused = s.received.get(bodies[4]!.toString()) ?? 0;
      assert.equal(s.received.size, 5, 'every body arrived');
      assert.ok(r.acknowledged > 100, `${r.acknowledged} acknowledged in a second`);
      // Requests in flight when wrk stops reach the server uncounted by wrk: at most one per connection.
      assert.ok(served - (r.acknowledged + r.errors) >= 0 && served - (r.acknowledged + r.errors) <= 4, `server ${served}, wrk ${r.acknowledged} + ${r.errors}`);
      assert.ok(Math.abs(r.errors - refused) <= 4, `errors ${r.errors} vs refused ${refused}`);
      assert.ok(Math.abs(r.errors / (r.acknowledged + r.errors) - 0.2) < 0.05, 'one in five refused');
      assert.equal(r.latencies.length, r.acknowledged + r.errors, 'one latency per completed response: no synthetic samples left');
      assert.ok(r.p50 > 0 && r.p50 <= r.p99 && r.p99 < 1000, `p50 ${r.p50} p99 ${r.p99} ms`);
    } finally {
      await s.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
}
