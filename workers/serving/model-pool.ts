/**
 * Keeps, per model, the champion, previous and candidate sessions loaded, following the registry's
 * routing. Each poll reads the routing; when its revision moved, the versions it names are loaded
 * fully first, then one new immutable view replaces the old one in a single assignment, and the
 * sessions the new view no longer holds are retired (closed once their last request finishes).
 *
 * A version whose artifact fails its integrity check or does not load is refused: the pool keeps
 * serving what it had (the old champion stays champion), records the error for /readyz and
 * metrics, and retries that version after `retryFailedLoadMs` or when the routing moves on.
 */
import type { RegistryStore } from '../../registry/store';
import { assertModelName } from '../../registry/store';
import type { Routing, RoutingMode } from '../../core/types';
import { OnnxModel } from '../../scoring/onnx-model';
import { LoadedVersion } from './loaded-version';
import type { MicroBatchOptions } from './micro-batcher';
import type { ServingMetrics } from './metrics';

export interface ServingView {
  readonly model: string;
  /**
   * Revision of the routing this view was built from; -1 before the first successful read. When a
   * version was refused the view is built from that revision all the same, as far as it could be.
   */
  readonly revision: number;
  readonly champion: LoadedVersion | null;
  readonly previous: LoadedVersion | null;
  readonly candidate: LoadedVersion | null;
  /** 'none' whenever the candidate is not loaded, whatever the routing says. */
  readonly mode: RoutingMode;
  readonly percent: number;
}

export interface LoadError {
  version: number | null; // null: the routing itself could not be read
  message: string;
  at: string;
}

export interface ModelStatus {
  model: string;
  ready: boolean;
  routing: Pick<Routing, 'revision' | 'champion' | 'previous' | 'candidate' | 'mode' | 'percent'> | null;
  appliedRevision: number | null;
  /**
   * The routing revision this worker serves (same as appliedRevision): what a rollback waits for
   * together with `loaded`. null before the first routing was applied.
   */
  routingRevision: number | null;
  loaded: { champion: number | null; previous: number | null; candidate: number | null };
  /** True while the loaded versions differ from what the routing asks (a refused load). */
  stale: boolean;
  lastError: LoadError | null;
}

export interface PoolLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ModelPoolOptions {
  store: RegistryStore;
  metrics: ServingMetrics;
  /** Models to serve; default: every model in the registry, rediscovered on each poll. */
  models?: string[];
  pollIntervalMs?: number;
  retryFailedLoadMs?: number;
  /** onnxruntime threads per session; 1 keeps single-row latency low and cores free for HTTP. */
  intraOpNumThreads?: number;
  /** Micro-batching of concurrent single-row requests per version; null or absent: off. */
  batching?: MicroBatchOptions | null;
  now?: () => Date;
  logger?: PoolLogger;
}

interface ModelState {
  readonly model: string;
  routing: Routing | null;
  view: ServingView;
  complete: boolean; // the view holds every version the routing names, in its role
  lastError: LoadError | null;
  failures: Map<number, { atMs: number }>;
}

const silent: PoolLogger = { info() {}, warn() {} };

export class ModelPool {
  private readonly store: RegistryStore;
  private readonly metrics: ServingMetrics;
  private readonly fixedModels: string[] | null;
  private readonly pollIntervalMs: number;
  private readonly retryFailedLoadMs: number;
  private readonly intraOpNumThreads: number;
  private readonly batching: MicroBatchOptions | null;
  private readonly now: () => Date;
  private readonly logger: PoolLogger;
  private readonly states = new Map<string, ModelState>();
  private syncChain: Promise<void> = Promise.resolve();
  private synced = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: ModelPoolOptions) {
    this.store = options.store;
    this.metrics = options.metrics;
    this.fixedModels = options.models ? [...options.models] : null;
    this.fixedModels?.forEach((m) => assertModelName(m));
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.retryFailedLoadMs = options.retryFailedLoadMs ?? 30_000;
    this.intraOpNumThreads = options.intraOpNumThreads ?? 1;
    this.batching = options.batching ?? null;
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger ?? silent;
    this.fixedModels?.forEach((m) => this.stateOf(m));
  }

  /** First sync (awaited), then polling. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedulePoll();
  }

  /** One sync of every model; calls queue behind each other, so each sees the registry as of its start. */
  refresh(): Promise<void> {
    const run = this.syncChain.then(() => this.syncAll());
    this.syncChain = run.catch((error) => this.logger.warn({ err: error }, 'serving pool sync failed'));
    return run;
  }

  /** The view requests use; undefined for a model this worker does not serve. */
  view(model: string): ServingView | undefined {
    return this.states.get(model)?.view;
  }

  models(): string[] {
    return [...this.states.keys()].sort();
  }

  /** Ready when synced at least once and every model with a champion in its routing is serving one. */
  ready(): boolean {
    if (!this.synced || this.closed) return false;
    for (const state of this.states.values()) if (!modelReady(state)) return false;
    return true;
  }

  status(): ModelStatus[] {
    return this.models().map((model) => this.statusOf(model)!);
  }

  statusOf(model: string): ModelStatus | undefined {
    const state = this.states.get(model);
    if (!state) return undefined;
    const { routing, view } = state;
    return {
      model,
      ready: modelReady(state),
      routing: routing && {
        revision: routing.revision,
        champion: routing.champion,
        previous: routing.previous,
        candidate: routing.candidate,
        mode: routing.mode,
        percent: routing.percent,
      },
      appliedRevision: view.revision >= 0 ? view.revision : null,
      routingRevision: view.revision >= 0 ? view.revision : null,
      loaded: {
        champion: view.champion?.version ?? null,
        previous: view.previous?.version ?? null,
        candidate: view.candidate?.version ?? null,
      },
      stale: routing !== null && !state.complete,
      lastError: state.lastError,
    };
  }

  /** Stops polling, waits for a running sync, then closes every session once its requests finish. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.syncChain;
    const all = new Set<LoadedVersion>();
    for (const state of this.states.values()) for (const v of membersOf(state.view)) all.add(v);
    await Promise.all([...all].map((v) => v.retire()));
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.refresh()
        .catch(() => undefined) // logged by refresh
        .finally(() => this.schedulePoll());
    }, this.pollIntervalMs);
  }

  private async syncAll(): Promise<void> {
    if (this.closed) return;
    const models = this.fixedModels ?? (await this.store.listModels());
    for (const model of models) await this.syncModel(this.stateOf(model));
    this.synced = true;
  }

  private stateOf(model: string): ModelState {
    let state = this.states.get(model);
    if (!state) {
      state = {
        model,
        routing: null,
        view: { model, revision: -1, champion: null, previous: null, candidate: null, mode: 'none', percent: 0 },
        complete: false,
        lastError: null,
        failures: new Map(),
      };
      this.states.set(model, state);
    }
    return state;
  }

  private async syncModel(state: ModelState): Promise<void> {
    let routing: Routing;
    try {
      routing = await this.store.getRouting(state.model);
    } catch (error) {
      state.lastError = { version: null, message: `could not read routing: ${(error as Error).message}`, at: this.now().toISOString() };
      return;
    }
    // A new routing revision is a new decision (maybe a re-promotion after a repair): retry refused versions at once.
    if (state.routing?.revision !== routing.revision) state.failures.clear();
    state.routing = routing;
    if (state.complete && state.view.revision === routing.revision) return;

    const old = state.view;
    const have = new Map<number, LoadedVersion>();
    for (const v of membersOf(old)) have.set(v.version, v);
    const resolve = async (version: number | null): Promise<LoadedVersion | null> => {
      if (version === null) return null;
      const existing = have.get(version);
      if (existing) return existing;
      const loaded = await this.load(state, version);
      if (loaded) have.set(version, loaded);
      return loaded;
    };

    const champion = await resolve(routing.champion);
    const candidate = await resolve(routing.candidate);
    const previous = await resolve(routing.previous);
    const view: ServingView = {
      model: state.model,
      revision: routing.revision,
      // A refused champion leaves the one we had in place: serving on is better than a 503.
      champion: champion ?? (routing.champion === null ? null : old.champion),
      previous,
      candidate,
      mode: candidate ? routing.mode : 'none',
      percent: candidate ? routing.percent : 0,
    };
    state.view = view; // the swap: requests from here on see the new sessions
    state.complete = holds(champion, routing.champion) && holds(candidate, routing.candidate) && holds(previous, routing.previous);
    if (state.complete) state.lastError = null;

    const kept = new Set(membersOf(view));
    for (const v of have.values()) if (!kept.has(v)) void v.retire();
    this.recordView(view);
    if (old.revision !== view.revision) {
      this.logger.info(
        { model: state.model, revision: view.revision, champion: view.champion?.version ?? null, candidate: view.candidate?.version ?? null, mode: view.mode },
        'serving routing applied',
      );
    }
  }

  private async load(state: ModelState, version: number): Promise<LoadedVersion | null> {
    const nowMs = this.now().getTime();
    const failure = state.failures.get(version);
    if (failure && nowMs - failure.atMs < this.retryFailedLoadMs) return null;
    try {
      const record = await this.store.getVersion(state.model, version);
      const bytes = await this.store.readArtifact(state.model, version);
      const onnx = await OnnxModel.load(bytes, record.features, { intraOpNumThreads: this.intraOpNumThreads });
      state.failures.delete(version);
      const batching = this.batching && { ...this.batching, onBatch: (rows: number) => this.metrics.batchRows.observe({ model: state.model }, rows) };
      return new LoadedVersion(record, onnx, bytes, batching);
    } catch (error) {
      const message = (error as Error).message;
      state.failures.set(version, { atMs: nowMs });
      state.lastError = { version, message, at: new Date(nowMs).toISOString() };
      this.metrics.loadFailures.inc({ model: state.model, version: String(version) });
      this.logger.warn({ model: state.model, version, error: message }, 'refused to load model version; serving what was loaded before');
      return null;
    }
  }

  private recordView(view: ServingView): void {
    this.metrics.routingRevision.set({ model: view.model }, view.revision);
    for (const role of ['champion', 'previous', 'candidate'] as const) {
      const loaded = view[role];
      if (loaded) this.metrics.servedVersion.set({ model: view.model, role }, loaded.version);
      else this.metrics.servedVersion.remove({ model: view.model, role });
    }
  }
}

function membersOf(view: ServingView): LoadedVersion[] {
  return [view.champion, view.previous, view.candidate].filter((v): v is LoadedVersion => v !== null);
}

function holds(loaded: LoadedVersion | null, wanted: number | null): boolean {
  return (loaded?.version ?? null) === wanted;
}

function modelReady(state: ModelState): boolean {
  if (state.routing === null) return false;
  return state.routing.champion === null || state.view.champion !== null;
}
