/**
 * The ceilings for the serving benchmark, both bare Fastify routes that parse the same JSON body
 * as the predict route:
 *   - constant: answers a constant of the same shape. Whatever the serving worker does beyond this
 *     (validation, routing, the model, logging) is its own cost.
 *   - --model: scores each request's features with the benchmark's model (one onnxruntime call per
 *     request, nothing validated or logged): the smallest model server one could write. What the
 *     serving worker costs beyond this is Ratchet's machinery; what this costs beyond the constant
 *     route is the model call, which every server of this model pays.
 *
 *   node --import tsx bench/lib/bare-server.ts [--model]   → prints "bare server at http://127.0.0.1:<port>"
 */
import Fastify from 'fastify';
import type { FeatureRow } from '../../core/types';
import { OnnxModel } from '../../scoring/onnx-model';
import { DEMO_FEATURES, trainDemoOnnx } from './demo-model';

const answer = { request_id: '00000000-0000-0000-0000-000000000000', model: 'credit', version: 1, role: 'champion', score: 0.5, label: false };
const model = process.argv.includes('--model') ? await OnnxModel.load(trainDemoOnnx(1), DEMO_FEATURES, { intraOpNumThreads: 1 }) : null;

const app = Fastify({ logger: false, bodyLimit: 1000 * 4096 });
app.post<{ Body: { features: FeatureRow } }>('/v1/models/:name/predict', async (request) => {
  if (!model) return answer;
  const score = (await model.scoreRows([request.body.features]))[0]!;
  return { ...answer, score, label: score >= 0.2 };
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address && typeof address === 'object') process.stderr.write(`bare server at http://127.0.0.1:${address.port}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
