import { condition, defineUpdate, setHandler, sleep } from '@temporalio/workflow';
export const up = defineUpdate<string, [string]>('up');
export async function probe(): Promise<string> {
  let got = '';
  setHandler(up, (x) => { got = x; return 'ok ' + x; });
  await condition(() => got !== '', '3d');
  await sleep('1d');
  return got;
}
