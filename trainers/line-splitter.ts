/**
 * Cuts a stream's text into lines as chunks arrive (a chunk may end mid-line). A line redrawn with
 * carriage returns (progress bars) counts as what a terminal would show: its last segment. Very
 * long lines are cut at `maxLineLength`, so a trainer printing without newlines cannot grow memory
 * without bound.
 */
export class LineSplitter {
  private partial = '';

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineLength = 4000,
  ) {}

  push(chunk: string): void {
    const text = this.partial + chunk;
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      this.emit(text.slice(start, newline));
      start = newline + 1;
    }
    let rest = text.slice(start);
    while (rest.length > this.maxLineLength) {
      this.emit(rest.slice(0, this.maxLineLength));
      rest = rest.slice(this.maxLineLength);
    }
    this.partial = rest;
  }

  /** Emits what is left after the stream ended without a final newline. */
  end(): void {
    if (this.partial !== '') this.emit(this.partial);
    this.partial = '';
  }

  private emit(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw; // CRLF
    const visible = line.slice(line.lastIndexOf('\r') + 1);
    this.onLine(visible.length > this.maxLineLength ? visible.slice(0, this.maxLineLength) : visible);
  }
}

/** Keeps the last `capacity` items. */
export class Tail<T> {
  private readonly items: T[] = [];

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }

  toArray(): T[] {
    return [...this.items];
  }
}
