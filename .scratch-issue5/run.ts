import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ensureTool, TEMPORAL_TEST_SERVER } from '../workers/temporal-tools';
import { fileURLToPath } from 'node:url';
const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: ensureTool(TEMPORAL_TEST_SERVER) } } });
const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'q', workflowsPath: fileURLToPath(new URL('./wf.ts', import.meta.url)) });
await worker.runUntil(async () => {
  const h = await env.client.workflow.start('probe', { taskQueue: 'q', workflowId: 'p1' });
  try { console.log('update:', await h.executeUpdate('up', { args: ['x'] })); } catch (e) { console.log('update failed', (e as Error).message); }
  try { const out = []; for await (const w of env.client.workflow.list({ query: 'WorkflowType="probe"' })) out.push(w.workflowId); console.log('list', out); } catch (e) { console.log('list failed', (e as Error).message); }
  try { const d = await env.client.workflow.getHandle('p1').describe(); console.log('describe', d.status.name); } catch (e) { console.log('describe failed', (e as Error).message); }
  const t0 = await env.currentTimeMs();
  await env.sleep('2d');
  console.log('slept', ((await env.currentTimeMs()) - t0) / 86400000, 'days');
  console.log(await h.result());
});
await env.teardown();
