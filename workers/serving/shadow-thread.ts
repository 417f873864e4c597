/**
 * The shadow scorer's thread (started by shadow.ts): holds its own onnxruntime session per
 * candidate version, scores the batches it is sent (already validated, as columns), and writes the
 * shadow rows to its own prediction-log sink. Everything a shadow row costs beyond being queued happens here,
 * off the serving worker's event loop.
 *
 * Batches run one at a time, in arrival order. A version that fails to load turns its rows into
 * logged errors naming why, as a candidate that refuses a row does.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectRows } from '../../core/column-table';
import type { PredictionRecord } from '../../data/prediction-log-format';
import { OnnxModel } from '../../scoring/onnx-model';
import { failedRecord, scoredRecord, type RowIdentity } from './log-records';
import { openServingLog, type ServingLog } from './prediction-log';
import type { FromShadowThread, ShadowBatch, ShadowRowId, ShadowThreadData, ToShadowThread } from './shadow-protocol';

interface Candidate {
  model: string;
  version: number;
  threshold: number;
  onnx: Promise<OnnxModel>;
}

const port = parentPort!;
const data = workerData as ShadowThreadData;
const send = (message: FromShadowThread) => port.postMessage(message);

const logReady: Promise<ServingLog | null> = data.log
  ? openServingLog({
      ...data.log,
      events: (stream) => ({
        written: (rows) => stream === 'predictions' && send({ type: 'log', event: 'written', rows }),
        dropped: (rows) => stream === 'predictions' && send({ type: 'log', event: 'dropped', rows }),
        failed: (error, rows) => stream === 'predictions' && send({ type: 'log', event: 'failed', rows, error: error.message }),
      }),
    })
  : Promise.resolve(null);
// Without its log the thread is of no use: say why, and end (the scorer pauses before the next one).
logReady.catch((error: Error) => {
  send({ type: 'failed', error: error.message });
  process.exit(1);
});
const candidates = new Map<string, Candidate>();
let queue: Promise<void> = Promise.resolve();

port.on('message', (message: ToShadowThread) => {
  queue = queue.then(() => handle(message)).catch((error: Error) => {
    // Nothing here should throw; if it does, the thread's state is unknown: end it so the scorer starts a new one.
    console.error(`shadow thread: ${error.stack ?? error.message}`);
    process.exit(1);
  });
});

async function handle(message: ToShadowThread): Promise<void> {
  switch (message.type) {
    case 'load': {
      const { key, model, version, features, threshold, artifact } = message;
      const onnx = OnnxModel.load(artifact, features, { intraOpNumThreads: 1 });
      onnx.catch(() => {}); // reported on each batch that needs it
      candidates.set(key, { model, version, threshold, onnx });
      return;
    }
    case 'forget': {
      const candidate = candidates.get(message.key);
      candidates.delete(message.key);
      await candidate?.onnx.then((m) => m.close(), () => {});
      return;
    }
    case 'score': {
      const candidate = candidates.get(message.key)!;
      const { records, invalid } = await scoreBatch(candidate, message);
      const scored = records.filter((r) => r.status === 'ok').length;
      (await logReady)?.predictions.append(records);
      send({ type: 'scored', batch: message.batch, scored, invalid, errors: records.length - scored - invalid });
      return;
    }
    case 'close': {
      let error: string | null = null;
      try {
        await (await logReady)?.close();
      } catch (err) {
        error = (err as Error).message;
      }
      for (const candidate of candidates.values()) await candidate.onnx.then((m) => m.close(), () => {});
      send({ type: 'closed', error });
      return;
    }
  }
}

/**
 * One onnxruntime call for the batch's table. Should it fail, the rows are scored one by one, so a
 * row the model refuses fails only its own shadow row.
 */
async function scoreBatch(candidate: Candidate, batch: ShadowBatch): Promise<{ records: PredictionRecord[]; invalid: number }> {
  const { model, version, threshold } = candidate;
  // The inputs are logged once, on the served row with the same request id.
  const identity = (id: ShadowRowId): RowIdentity => ({ requestId: id.requestId, entityId: id.entityId, model, version, role: 'shadow', features: null, at: id.at });
  const idOf = (i: number) => identity({ requestId: batch.ids.requestId[i]!, entityId: batch.ids.entityId[i]!, at: batch.ids.at[i]! });
  const records = batch.rejected.map((r) => failedRecord(identity(r), `not valid for the candidate: ${r.error}`, 0));
  const invalid = records.length;
  const rows = batch.ids.requestId.length;
  if (rows === 0) return { records, invalid };
  let onnx: OnnxModel;
  try {
    onnx = await candidate.onnx;
  } catch (error) {
    for (let i = 0; i < rows; i++) records.push(failedRecord(idOf(i), `the candidate could not be loaded for shadow scoring: ${(error as Error).message}`, 0));
    return { records, invalid };
  }
  const started = performance.now();
  try {
    const scores = await onnx.scoreTable(batch.table);
    const ms = performance.now() - started;
    for (let i = 0; i < rows; i++) records.push(scoredRecord(idOf(i), scores[i]!, threshold, ms));
  } catch (error) {
    if (rows === 1) {
      records.push(failedRecord(idOf(0), error, performance.now() - started));
    } else {
      for (let i = 0; i < rows; i++) {
        const one = performance.now();
        try {
          records.push(scoredRecord(idOf(i), (await onnx.scoreTable(selectRows(batch.table, [i])))[0]!, threshold, performance.now() - one));
        } catch (rowError) {
          records.push(failedRecord(idOf(i), rowError, performance.now() - one));
        }
      }
    }
  }
  return { records, invalid };
}
