import { workflowBundle } from '../workers/pipeline/worker';
const b = await workflowBundle();
console.log('bundle ok', b.code.length);
