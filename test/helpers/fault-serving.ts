/**
 * The serving worker as a process for fault tests: startServingWorker with the command line of
 * workers/serving/main.ts, plus an IPC channel the test uses to measure memory after a garbage
 * collection (run it with `node --expose-gc`):
 *
 *   child.send('memory') → { rss, heapUsed } after global.gc()
 *
 * Prints "fault-serving ready <url>" once listening; SIGTERM stops it cleanly (exit 0).
 */
import { optionsFromArgs, startServingWorker } from '../../workers/serving/main';

const worker = await startServingWorker({ ...optionsFromArgs(process.argv.slice(2), process.env), logger: false });
process.stdout.write(`fault-serving ready ${worker.url}\n`);

process.on('message', (message) => {
  if (message !== 'memory') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('start the fault-serving helper with node --expose-gc');
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  process.send!({ rss, heapUsed });
});

process.once('SIGTERM', () => {
  worker.close().then(
    () => process.exit(0),
    (error: Error) => {
      process.stderr.write(`error while stopping: ${error.message}\n`);
      process.exit(1);
    },
  );
});
