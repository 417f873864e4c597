/**
 * One model version loaded into an onnxruntime session, with the reference count that lets a
 * hot swap close it safely: the pool retires a version when routing moves on, and the session is
 * released only once the last request (or shadow job) holding it lets go.
 *
 * Callers take a reference synchronously, in the same tick in which they read the pool's view,
 * so a swap (which happens in another tick) can never close a session between "picked" and "used".
 */
import type { FeatureRow, ModelVersion } from '../../core/types';
import type { OnnxModel } from '../../scoring/onnx-model';
import { MicroBatcher, type MicroBatchOptions } from './micro-batcher';
import { compileFeatureValidator, type FeatureValidator } from './request-validation';

export class LoadedVersion {
  readonly validate: FeatureValidator;
  /** The feature list as text: two versions with the same one accept exactly the same rows. */
  private readonly featureKey: string;
  private refs = 0;
  private retired = false;
  private closing: Promise<void> | null = null;
  private resolveIdle: (() => void) | null = null;
  private readonly batcher: MicroBatcher | null;

  /**
   * `artifact`: the ONNX bytes the session was loaded from (the shadow thread loads its own session
   * from them). With `batching`, single rows scored through scoreOne are micro-batched
   * (micro-batcher.ts).
   */
  constructor(
    readonly record: ModelVersion,
    private readonly onnx: OnnxModel,
    readonly artifact: Uint8Array,
    batching: MicroBatchOptions | null = null,
  ) {
    this.validate = compileFeatureValidator(record.features);
    this.featureKey = JSON.stringify(record.features);
    this.batcher = batching ? new MicroBatcher((rows) => this.onnx.scoreRows(rows), batching) : null;
  }

  /** Whether a row this version's validator accepted needs no other check for `other`. */
  validatesLike(other: LoadedVersion): boolean {
    return other === this || other.featureKey === this.featureKey;
  }

  get version(): number {
    return this.record.version;
  }

  get threshold(): number {
    return this.record.threshold;
  }

  /** A retired version may still be re-acquired by a current holder (nested use), never by a newcomer. */
  acquire(): void {
    if (this.retired && this.refs === 0) {
      throw new Error(`version ${this.version} of model "${this.record.model}" was used after its session was retired`);
    }
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0 && this.retired) this.resolveIdle?.();
  }

  /** Scores rows, holding a reference for the duration (taken before the first await). */
  async score(rows: FeatureRow[]): Promise<Float64Array> {
    this.acquire();
    try {
      return await this.onnx.scoreRows(rows);
    } finally {
      this.release();
    }
  }

  /** One row's score; the reference is taken now and held until the (possibly batched) call returns. */
  async scoreOne(row: FeatureRow): Promise<number> {
    this.acquire();
    try {
      return this.batcher ? await this.batcher.score(row) : (await this.onnx.scoreRows([row]))[0];
    } finally {
      this.release();
    }
  }

  /** No new users after this; the session closes when the last current one releases. */
  retire(): Promise<void> {
    if (!this.closing) {
      this.retired = true;
      const idle = this.refs === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.resolveIdle = resolve));
      this.closing = idle.then(() => this.onnx.close());
    }
    return this.closing;
  }
}
