// The workflow bundle's entry: every workflow the pipeline worker runs.
export { retrain } from './retrain';
export { promotion } from './promotion';
export { rollback } from './rollback';
export { monitor } from './monitor';
export { scheduledRetrain } from './scheduled-retrain';
