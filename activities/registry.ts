/**
 * Registry activities: every status and routing change goes through registry/ with an audit
 * context naming the actor, the reason and the workflow. Registration is idempotent on the run id.
 */
import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { ConfigError, loadModelConfig, type ModelConfig } from '../core/config';
import type { GateResult, ModelVersion, Routing, SnapshotManifest, VersionStatus } from '../core/types';
import { promoteToChampion } from '../registry/lifecycle';
import { applyOverride, GateOverrideError } from '../validation';
import { currentWorkflowId, type ActivityDeps } from './deps';
import type { ChampionRef, EvaluationSummary } from './evaluation';
import type { TrainedCandidate } from './training';

export function createRegistryActivities({ store, now = () => new Date() }: ActivityDeps) {
  const workflowId = currentWorkflowId;

  return {
    async loadConfig({ configPath, model }: { configPath: string; model: string }): Promise<ModelConfig> {
      try {
        const config = await loadModelConfig(configPath);
        if (config.model !== model) {
          throw new ConfigError(configPath, [{ field: 'model', message: `is "${config.model}" but the run is for "${model}"; pass the right --config` }]);
        }
        return config;
      } catch (err) {
        // A broken config stays broken on retry: fail the run at once with the file's own message.
        if (err instanceof ConfigError) throw ApplicationFailure.nonRetryable(err.message, 'ConfigError');
        throw err;
      }
    },

    async findChampion({ model }: { model: string }): Promise<ChampionRef | null> {
      const routing = await store.getRouting(model);
      if (routing.champion === null) return null;
      const version = await store.getVersion(model, routing.champion);
      return { version: version.version, sha256: version.artifact.sha256 };
    },

    async registerCandidate(input: {
      runId: string;
      initiator: string;
      config: ModelConfig;
      snapshot: SnapshotManifest;
      candidate: TrainedCandidate;
      evaluation: EvaluationSummary;
      gates: GateResult[];
      status: VersionStatus;
    }): Promise<{ version: number; sha256: string }> {
      const { config, candidate, snapshot } = input;
      const artifact = await readFile(candidate.modelPath);
      const version: ModelVersion = await store.registerVersion(
        {
          model: config.model,
          runId: input.runId,
          status: input.status,
          trainer: { kind: candidate.trainer, params: candidate.params },
          features: config.features,
          threshold: config.threshold,
          snapshot: { snapshotId: snapshot.snapshotId, contentSha256: snapshot.contentSha256, rows: snapshot.rows, timeRange: snapshot.timeRange },
          metrics: input.evaluation.candidateMetrics,
          gates: input.gates,
          reportPath: null,
          tags: { initiator: input.initiator, evaluation: input.evaluation.evaluationPath },
        },
        artifact,
        { actor: 'ratchet', reason: `registered by run ${input.runId} (${input.status})`, workflowId: workflowId() },
      );
      if (version.artifact.sha256 !== candidate.sha256) {
        throw ApplicationFailure.nonRetryable(`registered artifact ${version.artifact.sha256} differs from the trained one ${candidate.sha256}`, 'ArtifactMismatch');
      }
      return { version: version.version, sha256: version.artifact.sha256 };
    },

    async setVersionStatus(input: { model: string; version: number; status: VersionStatus; actor: string; reason: string; workflowId: string }): Promise<void> {
      const current = await store.getVersion(input.model, input.version);
      if (current.status === input.status) return; // a retry after success
      await store.updateVersion(input.model, input.version, { status: input.status }, { actor: input.actor, reason: input.reason, workflowId: input.workflowId });
    },

    /** An admin passes a failed gate with a written reason: recorded on the version and in the audit log. */
    async overrideGate(input: { model: string; version: number; gates: GateResult[]; gate: string; by: string; reason: string; admins: string[] }): Promise<GateResult[]> {
      const current = await store.getVersion(input.model, input.version);
      const done = current.gates.find((g) => g.gate === input.gate && g.override?.by === input.by);
      if (done) return current.gates; // a retry after success
      let updated: GateResult[];
      try {
        updated = applyOverride(input.gates, input.gate, { by: input.by, reason: input.reason, at: now().toISOString() }, input.admins);
      } catch (err) {
        if (err instanceof GateOverrideError) throw ApplicationFailure.nonRetryable(err.message, 'GateOverrideError');
        throw err;
      }
      const ctx = { actor: input.by, reason: `override of gate ${input.gate}: ${input.reason}`, workflowId: workflowId() };
      await store.updateVersion(input.model, input.version, { gates: updated }, ctx);
      await store.recordEvent(input.model, { action: 'override', version: input.version, details: { gate: input.gate, reason: input.reason } }, ctx);
      return updated;
    },

    async setReportPath(input: { model: string; version: number; reportPath: string }): Promise<void> {
      await store.updateVersion(input.model, input.version, { reportPath: input.reportPath }, { actor: 'ratchet', reason: 'report written', workflowId: workflowId() });
    },

    async promoteToChampion(input: { model: string; version: number; actor: string; reason: string }): Promise<Routing> {
      return promoteToChampion(store, input.model, input.version, { actor: input.actor, reason: input.reason, workflowId: workflowId() });
    },
  };
}
