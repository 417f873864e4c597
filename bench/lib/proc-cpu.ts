/**
 * CPU time of another process, read from Linux's /proc (null elsewhere): the whole process, or
 * one of its threads. A process's main thread has the process id as its thread id, which is how
 * the serving benchmark tells the event loop's share from the worker threads'.
 */
import { readFileSync } from 'node:fs';

/** user + system CPU of `pid` (or of its thread `tid`), in ms; null where /proc is unavailable. */
export function cpuMs(pid: number, tid?: number): number | null {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}
