/**
 * Loads the bootstrap's WebAssembly kernel (validation/kernel/bootstrap-kernel.ts, compiled to
 * bootstrap-kernel.wasm) and lays out the memory it works in.
 *
 * The kernel imports one shared WebAssembly.Memory. An arena is such a memory, sized up front for
 * everything a bootstrap plan reads and writes, with typed-array views handed out by a bump
 * allocator; a view's byteOffset is the pointer the kernel receives. Being shared, the same memory
 * is read by every worker thread, each with its own instance of the (stateless) kernel.
 */

import { readFileSync } from 'node:fs';

const PAGE = 65536;
/** The kernel keeps no static data, but its first page is left alone all the same. */
const RESERVED = PAGE;
/** 16 so that any view may be read as SIMD vectors without straddling more lines than necessary. */
const ALIGN = 16;
/** wasm32's limit. */
const MAX_PAGES = 65536;

let compiled: WebAssembly.Module | null = null;

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./kernel/bootstrap-kernel.wasm', import.meta.url)));
  return compiled;
}

/** The kernel's exports; every pointer is a byte offset into the arena's memory. */
export interface Kernel {
  resample(state: number, n: number, mask: number, counts: number): number;
  interleave(c0: number, c1: number, c2: number, c3: number, n: number, weights: number): void;
  gather(weights: number, space: number, n: number, out: number): void;
  scan(index: number, score: number, loss: number, flags: number, starts: number, segments: number, weights: number, acc: number): void;
}

/** Replicates that share one pass of the kernel's scan. */
export const KERNEL_LANES = 4;

type View = Uint8Array | Int32Array | Uint32Array | Float64Array;
type ViewConstructor<T extends View> = { new (buffer: SharedArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number };

/** The most an arena can hold: wasm32's 4 GiB, less the reserved page and the alignment of `views` views. */
export function arenaCapacity(views: number): number {
  return MAX_PAGES * PAGE - RESERVED - views * ALIGN;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  private next = RESERVED;

  /** An arena able to hold `bytes` bytes of views (plus alignment for up to `views` of them). */
  constructor(bytes: number, views: number) {
    const pages = Math.ceil((RESERVED + bytes + views * ALIGN) / PAGE);
    if (pages > MAX_PAGES) {
      throw new RangeError(`the bootstrap needs ${(pages * PAGE / 2 ** 30).toFixed(1)} GiB of working memory, over WebAssembly's 4 GiB: evaluate fewer rows or fewer slices at once`);
    }
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  }

  /** A zeroed view of `length` elements. */
  alloc<T extends View>(Ctor: ViewConstructor<T>, length: number): T {
    const at = this.next;
    this.next = align(at + length * Ctor.BYTES_PER_ELEMENT);
    if (this.next > this.memory.buffer.byteLength) throw new RangeError('bootstrap arena exhausted: its size was computed wrongly');
    return new Ctor(this.memory.buffer as unknown as SharedArrayBuffer, at, length);
  }

  copy<T extends View>(values: T): T {
    const out = this.alloc(values.constructor as unknown as ViewConstructor<T>, values.length);
    out.set(values);
    return out;
  }
}

/** Bytes an arena needs for a view of `length` elements of `bytesPerElement` bytes. */
export function viewBytes(length: number, bytesPerElement: number): number {
  return align(length * bytesPerElement);
}

/** A kernel instance working in `memory` (one per thread; instances are cheap). */
export function instantiateKernel(memory: WebAssembly.Memory): Kernel {
  return new WebAssembly.Instance(kernelModule(), { env: { memory } }).exports as unknown as Kernel;
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
