/**
 * Body of a bootstrap worker thread (started by bootstrap-pool.ts through core/thread-entry.mjs):
 * runs blocks of replicates from the shared plan until none are left, then ends.
 */

import { workerData } from 'node:worker_threads';
import type { BootstrapPlan } from './bootstrap-plan';
import { runBlocks } from './bootstrap-pool';

const data = workerData as { plan: BootstrapPlan; out: Float64Array; control: Int32Array; blocks: number; slot: number };
runBlocks(data.plan, data.out, { control: data.control, blocks: data.blocks }, data.slot);
