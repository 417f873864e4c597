/**
 * Hostile input against a real serving worker process: more than 10,000 malformed requests drawn
 * from a seeded generator — bad JSON, wrong types, non-finite numbers (1e400 parses to Infinity;
 * "NaN" and "Infinity" are strings), missing and extra fields, bodies over the limit, deep
 * nesting, unknown models, unicode, wrong content types, batches of 0 and of 1,001 rows, feedback
 * with bad labels, wrong methods. What must be kept:
 *   - zero 5xx and zero crashes (the process is alive and serves a valid request at the end);
 *   - every response is a 4xx JSON { error: { code, message } } whose message names the field,
 *     the limit or the problem (each case carries the pattern its message must match);
 *   - memory is stable: RSS and heap after a full GC grow by less than a bound over the run.
 * A few odd-but-valid requests (emoji and lone surrogates as category values) ride along: they
 * may be served (200) or refused (4xx), never a 5xx; they are not counted as malformed.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promoteToChampion } from '../../registry/lifecycle';
import { seededRandom, spawnTsx, type ChildHandle } from '../helpers/fault-process';
import { FEATURES, ROW, ctx, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

const SEED = Number(process.env.RATCHET_FAULT_SEED ?? 424242);
const MALFORMED = 10_500;
const LANES = 16;
const BODY_LIMIT = 1000 * 4096; // workers/serving/app.ts
const RSS_GROWTH_LIMIT = 48 * 1024 * 1024;
const HEAP_GROWTH_LIMIT = 12 * 1024 * 1024;

interface Case {
  kind: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** What the error message must match; null: a valid request (2xx or 4xx, never 5xx). */
  expect: RegExp | null;
  status?: number;
  /** Sent with Transfer-Encoding: chunked (no Content-Length): the limit must hold while reading. */
  chunked?: boolean;
}

let registry: TestRegistry;
let logDir: string;
let worker: ChildHandle;
let port: number;

before(async () => {
  registry = await testRegistry();
  await registry.register('churn', 'run-1', trainOnnx(1));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-fuzz-log-'));
  worker = await spawnTsx({
    script: 'test/helpers/fault-serving.ts',
    args: ['--registry', registry.root, '--port', '0', '--log', logDir, '--log-flush-ms', '500'],
    nodeArgs: ['--expose-gc'],
    ipc: true,
    readyPattern: /fault-serving ready http:\/\/127\.0\.0\.1:(\d+)/,
  });
  port = Number(worker.ready[1]);
});

after(async () => {
  await worker?.stop('SIGTERM');
  await registry?.cleanup();
  await fs.rm(logDir, { recursive: true, force: true });
});

function memory(): Promise<{ rss: number; heapUsed: number }> {
  return new Promise((resolve) => {
    worker.child.once('message', (m) => resolve(m as { rss: number; heapUsed: number }));
    worker.child.send('memory');
  });
}

// ---- the generator ------------------------------------------------------------------------------

const json = (value: unknown) => JSON.stringify(value);
const PREDICT = '/v1/models/churn/predict';
const FEEDBACK = '/v1/models/churn/feedback';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function generator(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const int = (n: number) => Math.floor(random() * n);
  const name = () => FEATURES[int(FEATURES.length)].name;
  const row = (): Record<string, unknown> => ({ ...ROW, age: 18 + int(60), income: 10_000 + int(90_000) });
  const wrongValues: readonly unknown[] = ['52', '', true, false, {}, [], [1], { value: 1 }, '1e3', ' 52 '];
  const wrongCategories: readonly unknown[] = [3, 0, -1.5, true, {}, [], ['pro']];

  const kinds: Record<string, () => Case> = {
    bad_json: () => {
      const valid = json({ entity_id: `e${int(1000)}`, features: row() });
      const body = pick([
        valid.slice(0, 1 + int(valid.length - 2)),
        valid.replace('}', ',}'),
        valid.replaceAll('"', "'"),
        `{"features": {"age": NaN, "income": 1, "plan": "pro"}}`,
        `{"features": {"age": Infinity, "income": 1, "plan": "pro"}}`,
        `{"features": {"age": -Infinity, "income": 1, "plan": "pro"}}`,
        `{"features": {"age": 0x1F, "income": 1, "plan": "pro"}}`,
        `{"features": {"age": 01, "income": 1, "plan": "pro"}}`,
        `{"features": {"age": 1, "income": 1, "plan": "pro"}} trailing`,
        `{features: {}}`,
        `{"features": {"plan": "a\u0001b"}}`,
        `\u0000`,
        Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256))).toString('latin1'),
      ]);
      return { kind: 'bad_json', path: pick([PREDICT, FEEDBACK]), body, expect: /not valid JSON|must be a JSON object|body is empty/ };
    },
    not_an_object: () => ({
      kind: 'not_an_object',
      path: PREDICT,
      body: pick(['null', '[]', '1', '"features"', 'true', json([{ features: ROW }])]),
      expect: /the request body must be a JSON object/,
    }),
    wrong_type_numeric: () => {
      const feature = pick(['age', 'income']);
      const value = pick(wrongValues);
      return { kind: 'wrong_type', path: PREDICT, body: json({ features: { ...row(), [feature]: value } }), expect: new RegExp(`features\\.${feature} must be a finite number or null`) };
    },
    wrong_type_categorical: () => ({
      kind: 'wrong_type',
      path: PREDICT,
      body: json({ features: { ...row(), plan: pick(wrongCategories) } }),
      expect: /features\.plan is categorical and must be a string or null/,
    }),
    wrong_type_features: () => ({
      kind: 'wrong_type',
      path: PREDICT,
      body: `{"features": ${pick(['"age=52"', '[52, 41000, "pro"]', '52', 'true', 'null'])}}`,
      // null reads as "no features": either message names the field.
      expect: /features must be an object of feature values|features is missing|neither "features" nor "instances"/,
    }),
    wrong_type_entity: () => ({
      kind: 'wrong_type',
      path: PREDICT,
      body: `{"entity_id": ${pick(['42', '""', '{}', '[1]', 'true', '4.2'])}, "features": ${json(row())}}`,
      expect: /entity_id must be a non-empty string/,
    }),
    non_finite: () => {
      const feature = pick(['age', 'income']);
      const raw = pick(['1e400', '-1e400', '"NaN"', '"Infinity"', '"-Infinity"', '"nan"']);
      const body = json({ features: { ...row(), [feature]: 0 } }).replace(`"${feature}":0`, `"${feature}":${raw}`);
      return { kind: 'non_finite', path: PREDICT, body, expect: new RegExp(`features\\.${feature} must be a finite number or null`) };
    },
    missing_feature: () => {
      const missing = name();
      const features = row();
      delete features[missing];
      return { kind: 'missing_field', path: PREDICT, body: json({ features }), expect: new RegExp(`features\\.${missing} is missing`) };
    },
    missing_everything: () => ({
      kind: 'missing_field',
      path: PREDICT,
      body: pick(['{}', json({ entity_id: 'e1' }), json({ features: undefined })]),
      expect: /neither "features" nor "instances"/,
    }),
    extra_feature: () => {
      const extra = pick(['colour', 'age ', 'AGE', '__proto__', 'constructor', 'x'.repeat(200), 'plan\u0000']);
      const body = json({ features: row() }).replace('}}', `,${json(extra)}:1}}`);
      // The JSON parser refuses __proto__ keys outright (prototype poisoning); the message says so.
      const expect = extra === '__proto__' ? /"__proto__" .* key, which is refused/ : new RegExp(`features\\.${escape(extra.slice(0, 40))}.* is not a feature of this model`);
      return { kind: 'extra_field', path: PREDICT, body, expect };
    },
    extra_top_level: () => {
      const extra = pick(['model', 'version', 'threshold', 'id', 'entityId']);
      return { kind: 'extra_field', path: PREDICT, body: json({ features: row(), [extra]: 1 }), expect: new RegExp(`unknown field "${extra}"`) };
    },
    both_forms: () => ({ kind: 'extra_field', path: PREDICT, body: json({ features: row(), instances: [{ features: row() }] }), expect: /send either "features" \(one row\) or "instances"/ }),
    too_large: () => {
      // Valid JSON, just too much of it.
      const padding = 'x'.repeat(BODY_LIMIT + 1 + int(200_000));
      return { kind: 'too_large', path: pick([PREDICT, FEEDBACK]), body: json({ features: { ...row(), plan: padding } }), expect: /too large/, status: 413, chunked: random() < 0.5 };
    },
    deep_nesting: () => {
      const depth = pick([100, 1_000, 10_000, 100_000]);
      const feature = name();
      const nested = pick([`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`]);
      const body = json({ features: { ...row(), [feature]: 0 } }).replace(`"${feature}":0`, `"${feature}":${nested}`);
      return { kind: 'deep_nesting', path: PREDICT, body, expect: new RegExp(`features\\.${feature} (must be a finite number|is categorical)`) };
    },
    deep_nesting_top: () => {
      const depth = pick([1_000, 50_000]);
      return { kind: 'deep_nesting', path: PREDICT, body: `${'['.repeat(depth)}${']'.repeat(depth)}`, expect: /must be a JSON object/ };
    },
    unknown_model: () => {
      const model = pick(['churn2', 'CHURN', 'fraud', 'churn-', `m${int(1e6)}`, 'café', '模型', '..', 'churn.onnx']);
      return {
        kind: 'unknown_model',
        path: `/v1/models/${encodeURIComponent(model)}/${pick(['predict', 'feedback'])}`,
        body: json({ features: row() }),
        expect: new RegExp(`model "${escape(model)}" is not served here`),
        status: 404,
      };
    },
    bad_url: () => {
      const name = pick(['%zz', '%', '%c0%ae%c0%ae', 'churn%E0%A4%A', 'x'.repeat(101 + int(5000))]);
      return { kind: 'bad_url', path: `/v1/models/${name}/${pick(['predict', 'feedback'])}`, body: json({ features: row() }), expect: /the URL is not valid|longer than allowed/ };
    },
    unicode_field: () => {
      const extra = pick(['âge', 'ａｇｅ', '😀', 'income\u200b', 'plan\u202e', '\ud800']);
      const body = json({ features: row() }).replace('}}', `,${json(extra)}:1}}`);
      return { kind: 'unicode', path: PREDICT, body, expect: /is not a feature of this model/ };
    },
    unicode_numeric: () => {
      const feature = pick(['age', 'income']);
      return { kind: 'unicode', path: PREDICT, body: json({ features: { ...row(), [feature]: pick(['٥٢', '５２', '52\u0000', '🔢']) } }), expect: new RegExp(`features\\.${feature} must be a finite number`) };
    },
    invalid_utf8: () => {
      // Bytes that are not UTF-8 inside an otherwise valid body: read as U+FFFD, the value is then the wrong type.
      const head = Buffer.from('{"features": {"age": "');
      const tail = Buffer.from(`", "income": 1, "plan": "pro"}}`);
      return { kind: 'unicode', path: PREDICT, body: Buffer.concat([head, Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), tail]), expect: /features\.age must be a finite number/ };
    },
    content_type: () => {
      const type = pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'text/json', 'image/png']);
      return { kind: 'content_type', path: pick([PREDICT, FEEDBACK]), headers: { 'content-type': type }, body: json({ features: row() }), expect: /must be JSON: send the header Content-Type: application\/json/, status: 415 };
    },
    no_content_type: () => ({ kind: 'content_type', path: PREDICT, headers: { 'content-type': '' }, body: json({ features: row() }), expect: /must be JSON|Content-Type/, status: 415 }),
    empty_body: () => ({ kind: 'bad_json', path: PREDICT, body: '', expect: /body is empty|must be a JSON object/ }),
    batch_empty: () => ({ kind: 'batch', path: PREDICT, body: json({ instances: [] }), expect: /"instances" must be a non-empty array/ }),
    batch_too_big: () => {
      const n = 1001 + int(50);
      return { kind: 'batch', path: PREDICT, body: json({ instances: Array.from({ length: n }, () => ({ features: ROW })) }), expect: new RegExp(`holds ${n} rows, more than the 1000 allowed`) };
    },
    batch_bad_row: () => {
      const n = 2 + int(40);
      const bad = int(n);
      const feature = pick(['age', 'income']);
      const instances = Array.from({ length: n }, (_, i) => ({ entity_id: `e${i}`, features: i === bad ? { ...row(), [feature]: 'oops' } : row() }));
      return { kind: 'batch', path: PREDICT, body: json({ instances }), expect: new RegExp(`instances\\[${bad}\\]\\.features\\.${feature} must be a finite number`) };
    },
    batch_not_rows: () => {
      const value = pick(['1', '"row"', 'null', '[]']);
      return { kind: 'batch', path: PREDICT, body: `{"instances": [${value}]}`, expect: /instances\[0\] must be an object/ };
    },
    batch_not_array: () => ({ kind: 'batch', path: PREDICT, body: json({ instances: pick([{}, 'rows', 3, null]) }), expect: /"instances" must be a non-empty array|neither "features" nor "instances"/ }),
    feedback_label: () => {
      const label = pick(['2', '-1', '0.5', '"1"', 'true', 'null', '[1]', '{}', '1e400', '"yes"']);
      return { kind: 'feedback', path: FEEDBACK, body: `{"request_id": "r${int(1e6)}", "label": ${label}}`, expect: /label must be 0 or 1/ };
    },
    feedback_no_label: () => ({ kind: 'feedback', path: FEEDBACK, body: json({ request_id: `r${int(1e6)}` }), expect: /label must be 0 or 1/ }),
    feedback_no_id: () => ({ kind: 'feedback', path: FEEDBACK, body: json({ label: 1 }), expect: /request_id and entity_id are both missing/ }),
    feedback_bad_at: () => ({
      kind: 'feedback',
      path: FEEDBACK,
      body: json({ request_id: 'r1', label: 0, at: pick(['yesterday', '2025-13-01T00:00:00Z', '2025-01-06T10:00:00', 1736157600000, '']) }),
      expect: /at must be an ISO-8601 time with a zone/,
    }),
    feedback_items: () => {
      const n = pick([0, 1001]);
      return { kind: 'feedback', path: FEEDBACK, body: json({ items: Array.from({ length: n }, () => ({ request_id: 'r', label: 1 })) }), expect: n === 0 ? /"items" must be a non-empty array/ : /holds 1001 items, more than the 1000 allowed/ };
    },
    feedback_extra: () => ({ kind: 'feedback', path: FEEDBACK, body: json({ request_id: 'r1', label: 1, score: 0.3 }), expect: /unknown field "score"/ }),
    wrong_method: () => {
      const method = pick(['GET', 'PUT', 'DELETE', 'PATCH']);
      return { kind: 'wrong_method', method, path: pick([PREDICT, FEEDBACK, '/v1/models/churn', '/v1/predict', '/predict']), body: method === 'GET' ? undefined : json({ features: ROW }), expect: /no route .*: predict with POST \/v1\/models\/<name>\/predict/, status: 404 };
    },
  };
  const weights: [string, number][] = Object.keys(kinds).map((k) => [k, k === 'too_large' ? 0.15 : k === 'batch_too_big' ? 0.5 : 1]);
  const total = weights.reduce((s, [, w]) => s + w, 0);
  return {
    kinds,
    next(): Case {
      let r = random() * total;
      for (const [k, w] of weights) if ((r -= w) < 0) return kinds[k]();
      return kinds[weights[0][0]]();
    },
    odd(): Case {
      // Valid requests with odd strings: served or refused, never a 5xx.
      const plan = pick(['😀', '\ud800', '\udfff', 'é', 'a'.repeat(10_000), '', ' ', '\u0000', '模型']);
      return { kind: 'odd_valid', path: PREDICT, body: json({ features: { ...row(), plan } }), expect: null };
    },
  };
}

// ---- the client ---------------------------------------------------------------------------------

interface Answer {
  status: number;
  type: string;
  text: string;
}

/**
 * A body over the limit is refused as soon as the worker knows (from Content-Length, or once it
 * has read the limit), and the connection is closed while the client may still be writing. A
 * client that keeps writing meets a reset and may lose the answer; this one stops writing as
 * soon as the answer starts, as a careful HTTP client does, and reads it.
 */
function sendLarge(c: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body ?? '', 'utf8');
    const socket = net.connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let answered = false;
    const head = [`POST ${c.path} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'content-type: application/json', 'connection: close'];
    head.push(c.chunked ? 'transfer-encoding: chunked' : `content-length: ${body.length}`);
    socket.setTimeout(30_000, () => socket.destroy(new Error(`no answer within 30 s to ${c.kind}`)));
    socket.on('data', (chunk: Buffer) => {
      answered = true;
      received.push(chunk);
    });
    const finish = () => {
      const text = Buffer.concat(received).toString('utf8');
      const [rawHead, ...rest] = text.split('\r\n\r\n');
      if (!rawHead) return reject(new Error(`${c.kind}: the connection closed without an answer`));
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(rawHead)?.[1] ?? 0);
      const type = /\r\ncontent-type: *([^\r\n]*)/i.exec(rawHead)?.[1] ?? '';
      let payload = rest.join('\r\n\r\n');
      if (/\r\ntransfer-encoding: *chunked/i.test(rawHead)) payload = payload.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
      resolve({ status, type, text: payload });
    };
    socket.on('end', finish);
    socket.on('error', (error) => (answered ? finish() : reject(error)));
    socket.on('connect', async () => {
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      // With a Content-Length over the limit the answer comes before any body is read.
      if (!c.chunked) await new Promise((r) => setTimeout(r, 100));
      for (let at = 0; at < body.length && !answered && !socket.destroyed; at += 65_536) {
        const piece = body.subarray(at, at + 65_536);
        const ok = socket.write(c.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece);
        if (!ok) await new Promise((r) => socket.once('drain', r).once('close', r));
        await new Promise((r) => setTimeout(r, 1)); // let an answer in before the next piece
      }
      if (c.chunked && !answered && !socket.destroyed) socket.write('0\r\n\r\n');
    });
  });
}

let uploadRetries = 0;

function send(agent: http.Agent, c: Case): Promise<Answer> {
  if (c.kind === 'too_large') {
    // If the worker's close still overtakes the next piece, the kernel may drop the answer along
    // with the connection (EPIPE before any byte is read): that is the transport, so try again.
    const attempt = (left: number): Promise<Answer> =>
      sendLarge(c).catch((error: NodeJS.ErrnoException) => {
        if (left === 0 || (error.code !== 'EPIPE' && error.code !== 'ECONNRESET')) throw error;
        uploadRetries++;
        return attempt(left - 1);
      });
    return attempt(2);
  }
  return new Promise((resolve, reject) => {
    const body = c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body, 'utf8');
    const headers: Record<string, string | number> = { 'content-type': 'application/json', ...c.headers };
    if (headers['content-type'] === '') delete headers['content-type'];
    if (body) headers['content-length'] = body.length;
    const request = http.request({ host: '127.0.0.1', port, path: c.path, method: c.method ?? 'POST', agent, headers, timeout: 30_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within 30 s to ${c.kind} ${c.path}`)));
    request.on('error', reject);
    request.end(body);
  });
}

test(`${MALFORMED} malformed requests: zero 5xx, zero crashes, a 4xx JSON naming the problem each, stable memory`, async () => {
  const started = Date.now();
  const gen = generator(seededRandom(SEED));
  const agent = new http.Agent({ keepAlive: true, maxSockets: LANES });

  // Every kind at least once, then the seeded mix.
  const cases: Case[] = Object.values(gen.kinds).map((make) => make());
  while (cases.length < MALFORMED) cases.push(gen.next());
  const odd = Array.from({ length: 300 }, () => gen.odd());

  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const byKind = new Map<string, number>();
  let served = 0;
  const check = (c: Case, answer: Answer | Error) => {
    if (answer instanceof Error) {
      failures.push(`${c.kind} ${c.path}: ${answer.message}`);
      return;
    }
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
    const where = `${c.kind} ${c.method ?? 'POST'} ${c.path} ${String(c.body ?? '').slice(0, 80)} → ${answer.status} ${answer.text.slice(0, 300)}`;
    if (answer.status >= 500) return void failures.push(`5xx: ${where}`);
    if (c.expect === null && answer.status < 300) return void served++;
    if (answer.status < 400 || answer.status > 499) return void failures.push(`not a 4xx: ${where}`);
    if (c.status !== undefined && answer.status !== c.status) return void failures.push(`expected ${c.status}: ${where}`);
    if (!answer.type.startsWith('application/json')) return void failures.push(`not JSON (${answer.type}): ${where}`);
    let parsed: { error?: { code?: unknown; message?: unknown } };
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      return void failures.push(`unparseable JSON: ${where}`);
    }
    const message = parsed.error?.message;
    if (typeof parsed.error?.code !== 'string' || typeof message !== 'string') return void failures.push(`no { error: { code, message } }: ${where}`);
    if (c.expect && !c.expect.test(message)) failures.push(`message does not match ${c.expect}: ${where}`);
  };

  const run = async (batch: Case[]) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < batch.length) {
          const c = batch[next++];
          check(c, await send(agent, c).catch((e: Error) => e));
        }
      }),
    );
  };

  // Warm up (JIT, buffers, first log segments), then measure memory around the bulk of the run.
  // Memory is read after a full GC three times: after a warm-up (JIT, buffers, first log
  // segments), halfway and at the end. Stable means the heap does not grow and RSS levels off:
  // the second half adds little to what the first half did.
  await run(cases.slice(0, 1000));
  const before = await memory();
  const half = Math.floor((cases.length + 1000) / 2);
  await run(cases.slice(1000, half));
  const middle = await memory();
  await run(cases.slice(half));
  const afterRun = await memory();
  // The odd ones are served, scored and logged: outside the memory window, which is about refusals.
  await run(odd);

  // Still alive and serving.
  assert.equal(worker.child.exitCode, null, `the worker exited:\n${worker.output().slice(-2000)}`);
  const healthy = await send(agent, { kind: 'valid', path: PREDICT, body: json({ features: ROW }), expect: null });
  assert.equal(healthy.status, 200, healthy.text);
  agent.destroy();

  const rssGrowth = afterRun.rss - before.rss;
  const heapGrowth = afterRun.heapUsed - before.heapUsed;
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  console.log(
    `fuzz: ${cases.length} malformed + ${odd.length} odd-but-valid requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ` +
      `${served} odd ones served; ${uploadRetries} over-limit uploads resent after a reset; by kind ${JSON.stringify(Object.fromEntries(byKind))}; RSS ${mb(before.rss)} → ${mb(middle.rss)} → ${mb(afterRun.rss)}, heap ${mb(before.heapUsed)} → ${mb(middle.heapUsed)} → ${mb(afterRun.heapUsed)}`,
  );
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} bad answers`);
  assert.ok(cases.length >= 10_000);
  assert.equal([...statuses.keys()].filter((s) => s >= 500).length, 0, 'zero 5xx');
  assert.ok(rssGrowth < RSS_GROWTH_LIMIT, `RSS grew ${mb(rssGrowth)} (limit ${mb(RSS_GROWTH_LIMIT)})`);
  const secondHalf = afterRun.rss - middle.rss;
  assert.ok(secondHalf < RSS_GROWTH_LIMIT / 3, `RSS still grew ${mb(secondHalf)} in the second half (limit ${mb(RSS_GROWTH_LIMIT / 3)}): not levelling off`);
  assert.ok(heapGrowth < HEAP_GROWTH_LIMIT, `heap grew ${mb(heapGrowth)} (limit ${mb(HEAP_GROWTH_LIMIT)})`);
});
