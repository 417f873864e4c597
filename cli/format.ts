/**
 * Terminal output: colour only for a TTY without NO_COLOR, aligned tables, and a status line that
 * redraws in place on a terminal but prints plain lines into logs and pipes.
 */
import type { Verdict } from '../core/types';

const useColor = (stream: NodeJS.WriteStream = process.stdout) => Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, grey: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color, stream?: NodeJS.WriteStream): string {
  return useColor(stream) ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
}

const VERDICT_COLOR: Record<Verdict, Color> = { pass: 'green', warn: 'yellow', fail: 'red', insufficient_data: 'grey', skipped: 'grey' };
export function verdict(v: Verdict): string {
  return paint(v.toUpperCase(), VERDICT_COLOR[v]);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const visibleLength = (s: string) => s.replace(ANSI, '').length;

/** Columns are right-aligned when every cell in them looks like a number. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,%e]+$|^—$/.test((r[i] ?? '').replace(ANSI, ''))));
  const pad = (cell: string, i: number) => {
    const fill = ' '.repeat(widths[i]! - visibleLength(cell));
    return numeric[i] ? fill + cell : cell + fill;
  };
  const line = (cells: string[]) => cells.map(pad).join('  ').trimEnd();
  return [line(headers.map((h) => paint(h, 'bold'))), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

export function num(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : Number(value.toFixed(digits)).toString();
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** One live line: rewritten in place on a TTY, appended as plain lines otherwise. */
export class StatusLine {
  private last = '';
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(text: string): void {
    if (text === this.last) return;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${text}`);
    else this.stream.write(`${text}\n`);
    this.last = text;
  }

  done(text?: string): void {
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${text ?? this.last}\n`);
    else if (text && text !== this.last) this.stream.write(`${text}\n`);
    this.last = '';
  }
}
