/**
 * The ceiling for the serving benchmark: a bare Fastify route that parses the same JSON body as
 * the predict route and answers a constant of the same shape. Whatever the serving worker does
 * beyond this (validation, routing, the model, logging) is its own cost.
 *
 *   node --import tsx bench/lib/bare-server.ts   → prints "bare server at http://127.0.0.1:<port>"
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1000 * 4096 });
const answer = { request_id: '00000000-0000-0000-0000-000000000000', model: 'credit', version: 1, role: 'champion', score: 0.5, label: false };
app.post('/v1/models/:name/predict', async () => answer);
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address && typeof address === 'object') process.stderr.write(`bare server at http://127.0.0.1:${address.port}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
