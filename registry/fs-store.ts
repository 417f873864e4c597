/**
 * The registry in a local directory: the default store.
 *
 *   <root>/artifacts/sha256/<hex>.onnx     content-addressed, immutable
 *   <root>/models/<model>/versions/<n>.json one file per version
 *   <root>/models/<model>/routing.json     absent until the model is first routed
 *   <root>/models/<model>/audit.jsonl      append-only, one JSON line per change
 *   <root>/models/<model>/.lock            held during every read-modify-write of the model
 *   <root>/serving/<id>.json               one per serving worker, replaced on each announcement
 *
 * Every file write is atomic (temp + fsync + rename + directory fsync), so readers never lock.
 * Writers of one model, in this process or another, serialise on the model's lock file: version
 * numbers never collide and routing revisions never lose an update.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { removeOrphanedTemps } from '../core/temp-files';
import type { AuditContext, AuditRecord, ModelVersion, NewVersion, Routing } from '../core/types';
import { appendLineDurable, ensureDirDurable, isNotFound, isTempFile, readJsonIfExists, writeFileAtomic } from './atomic-file';
import { withFileLock, type FileLockOptions } from './file-lock';
import {
  assertExpectedRevision,
  auditRecord,
  newVersionRecord,
  planVersionPatch,
  registerAuditDetails,
  routingAuditDetails,
  sha256Hex,
  unregisteredRoutedVersion,
  verifyArtifact,
  versionNotFound,
} from './records';
import { applyRoutingPatch, defaultRouting, routedVersions, sameRouting } from './routing';
import {
  ArtifactIntegrityError,
  InvalidInputError,
  RegistryError,
  assertAuditContext,
  assertSeenWithin,
  checkServingWorker,
  assertModelName,
  assertNewVersion,
  assertVersionNumber,
  assertVersionPatch,
  isValidModelName,
  type AuditEvent,
  type RegistryStore,
  type RoutingUpdate,
  type ServingWorkerRecord,
  type VersionPatch,
} from './store';

export interface FsRegistryStoreOptions {
  now?: () => Date;
  lock?: FileLockOptions;
}

const VERSION_FILE = /^([1-9][0-9]*)\.json$/;

export class FsRegistryStore implements RegistryStore {
  readonly root: string;
  private readonly now: () => Date;
  private readonly lockOptions: FileLockOptions;

  constructor(root: string, options: FsRegistryStoreOptions = {}) {
    this.root = path.resolve(root);
    this.now = options.now ?? (() => new Date());
    this.lockOptions = options.lock ?? {};
  }

  async listModels(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(path.join(this.root, 'models'));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const models: string[] = [];
    for (const name of entries.sort()) {
      if (!isValidModelName(name)) continue;
      // A model exists once it has a versions directory (a lock file alone does not make one).
      if (await exists(this.versionsDir(name))) models.push(name);
    }
    return models;
  }

  async registerVersion(input: NewVersion, artifact: Uint8Array, ctx: AuditContext): Promise<ModelVersion> {
    assertNewVersion(input, artifact);
    assertAuditContext(ctx);
    const model = input.model;
    const earlier = await this.findVersionByRun(model, input.runId);
    if (earlier) return earlier;
    // Content-addressed, so safe without the lock; writing a large artifact outside it keeps the
    // lock's hold short for other writers of the model.
    const sha256 = sha256Hex(artifact);
    await this.storeArtifact(sha256, artifact);
    return this.locked(model, async () => {
      // Checked again under the lock: a concurrent retry of the same run may have won the race.
      const existing = await this.findVersionByRun(model, input.runId);
      if (existing) return existing;
      const versions = await this.versionNumbers(model);
      const version = versions.length === 0 ? 1 : versions[versions.length - 1] + 1;
      const record = newVersionRecord(input, version, { sha256, bytes: artifact.byteLength }, this.now().toISOString());
      await ensureDirDurable(this.versionsDir(model));
      await writeFileAtomic(this.versionPath(model, version), JSON.stringify(record, null, 2));
      await this.appendAudit(model, ctx, 'register', version, registerAuditDetails(record));
      return record;
    });
  }

  async getVersion(model: string, version: number): Promise<ModelVersion> {
    assertModelName(model);
    assertVersionNumber(version);
    const file = this.versionPath(model, version);
    const record = await readJsonFile<ModelVersion>(file);
    if (!record) throw versionNotFound(model, version);
    return record;
  }

  async findVersionByRun(model: string, runId: string): Promise<ModelVersion | null> {
    const versions = await this.listVersions(model);
    return versions.find((v) => v.runId === runId) ?? null;
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    assertModelName(model);
    const numbers = await this.versionNumbers(model);
    const records = await Promise.all(numbers.map((n) => readJsonFile<ModelVersion>(this.versionPath(model, n))));
    return records.filter((r): r is ModelVersion => r !== null);
  }

  async updateVersion(model: string, version: number, patch: VersionPatch, ctx: AuditContext): Promise<ModelVersion> {
    assertModelName(model);
    assertVersionNumber(version);
    assertVersionPatch(patch);
    assertAuditContext(ctx);
    return this.locked(model, async () => {
      const current = await this.getVersion(model, version);
      const change = planVersionPatch(current, patch);
      if (!change) return current;
      await writeFileAtomic(this.versionPath(model, version), JSON.stringify(change.next, null, 2));
      await this.appendAudit(model, ctx, change.action, version, change.details);
      return change.next;
    });
  }

  async readArtifact(model: string, version: number): Promise<Uint8Array> {
    const record = await this.getVersion(model, version);
    const file = this.artifactPath(record.artifact.sha256);
    let data: Buffer | null = null;
    try {
      data = await fs.readFile(file);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    verifyArtifact(record, data, file);
    return new Uint8Array(data!.buffer, data!.byteOffset, data!.byteLength);
  }

  async getRouting(model: string): Promise<Routing> {
    assertModelName(model);
    return (await readJsonFile<Routing>(this.routingPath(model))) ?? defaultRouting(model);
  }

  async updateRouting(
    model: string,
    patch: RoutingUpdate,
    ctx: AuditContext,
    options: { expectedRevision?: number } = {},
  ): Promise<Routing> {
    assertModelName(model);
    assertAuditContext(ctx);
    return this.locked(model, async () => {
      const current = await this.getRouting(model);
      assertExpectedRevision(current, options.expectedRevision);
      const proposed = applyRoutingPatch(current, typeof patch === 'function' ? patch(current) : patch);
      if (sameRouting(current, proposed)) return current;
      for (const version of routedVersions(proposed)) {
        if (!(await exists(this.versionPath(model, version)))) throw unregisteredRoutedVersion(model, version);
      }
      const next: Routing = { ...proposed, revision: current.revision + 1, updatedAt: this.now().toISOString() };
      await writeFileAtomic(this.routingPath(model), JSON.stringify(next, null, 2));
      await this.appendAudit(model, ctx, 'routing', next.champion ?? undefined, routingAuditDetails(current, next));
      return next;
    });
  }

  async readAudit(model: string, options: { limit?: number } = {}): Promise<AuditRecord[]> {
    assertModelName(model);
    const { limit } = options;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new InvalidInputError(`audit option "limit" is ${JSON.stringify(limit)}: use a positive integer`);
    }
    let text: string;
    try {
      text = await fs.readFile(this.auditPath(model), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const records: AuditRecord[] = [];
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      try {
        records.push(JSON.parse(line) as AuditRecord);
      } catch {
        // A line torn by a crash mid-append; appendLineDurable keeps it on a line of its own.
      }
    }
    return limit === undefined ? records : records.slice(-limit);
  }

  async recordEvent(model: string, event: AuditEvent, ctx: AuditContext): Promise<AuditRecord> {
    assertModelName(model);
    assertAuditContext(ctx);
    const record = auditRecord(model, ctx, event.action, event.version, event.details ?? {}, this.now().toISOString());
    await ensureDirDurable(this.modelDir(model));
    await appendLineDurable(this.auditPath(model), JSON.stringify(record));
    return record;
  }

  async announceServingWorker(worker: ServingWorkerRecord): Promise<void> {
    const record = checkServingWorker(worker);
    const dir = path.join(this.root, 'serving');
    await ensureDirDurable(dir);
    // Atomic replace: a reader sees the previous announcement or this one; no lock is needed.
    await writeFileAtomic(path.join(dir, `${record.id}.json`), JSON.stringify(record, null, 2));
  }

  async listServingWorkers(options: { seenWithinMs: number }): Promise<ServingWorkerRecord[]> {
    assertSeenWithin(options?.seenWithinMs);
    const dir = path.join(this.root, 'serving');
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const since = this.now().getTime() - options.seenWithinMs;
    const records = await Promise.all(
      names.filter((name) => name.endsWith('.json') && !isTempFile(name)).map((name) => readJsonFile<ServingWorkerRecord>(path.join(dir, name))),
    );
    return records
      .filter((r): r is ServingWorkerRecord => r !== null && Date.parse(r.at) >= since)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private locked<T>(model: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(
      path.join(this.modelDir(model), '.lock'),
      async () => {
        // Writes of a process killed mid-way left temp files here; the next writer removes them.
        await removeOrphanedTemps(this.modelDir(model));
        await removeOrphanedTemps(this.versionsDir(model));
        return fn();
      },
      this.lockOptions,
    );
  }

  private async appendAudit(
    model: string,
    ctx: AuditContext,
    action: string,
    version: number | undefined,
    details: Record<string, unknown>,
  ): Promise<void> {
    const record = auditRecord(model, ctx, action, version, details, this.now().toISOString());
    await appendLineDurable(this.auditPath(model), JSON.stringify(record));
  }

  /** Content-addressed: an intact copy is kept as is; a damaged one is replaced. */
  private async storeArtifact(sha256: string, data: Uint8Array): Promise<void> {
    const file = this.artifactPath(sha256);
    try {
      if (sha256Hex(await fs.readFile(file)) === sha256) return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await ensureDirDurable(path.dirname(file));
    await removeOrphanedTemps(path.dirname(file));
    await writeFileAtomic(file, data);
  }

  private async versionNumbers(model: string): Promise<number[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.versionsDir(model));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return names
      .map((name) => VERSION_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  private modelDir(model: string): string {
    return path.join(this.root, 'models', model);
  }
  private versionsDir(model: string): string {
    return path.join(this.modelDir(model), 'versions');
  }
  private versionPath(model: string, version: number): string {
    return path.join(this.versionsDir(model), `${version}.json`);
  }
  private routingPath(model: string): string {
    return path.join(this.modelDir(model), 'routing.json');
  }
  private auditPath(model: string): string {
    return path.join(this.modelDir(model), 'audit.jsonl');
  }
  private artifactPath(sha256: string): string {
    // The hash comes from a version record on disk: never let an altered one name a path.
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      throw new ArtifactIntegrityError(`artifact hash ${JSON.stringify(sha256)} is not a sha256 (64 hex digits): the version record was altered; restore it from backup`);
    }
    return path.join(this.root, 'artifacts', 'sha256', `${sha256}.onnx`);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function readJsonFile<T>(file: string): Promise<T | null> {
  try {
    return await readJsonIfExists<T>(file);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new RegistryError(`registry file ${file} is not valid JSON (${error.message}): restore it from backup`);
    }
    throw error;
  }
}
