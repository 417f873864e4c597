/**
 * Every activity the pipeline worker registers, built from its dependencies (no module-level
 * state), so tests construct them with a temporary registry and folder.
 */
import { createDataActivities } from './data';
import type { ActivityDeps } from './deps';
import { createEvaluationActivities } from './evaluation';
import { createMonitoringActivities } from './monitoring';
import { createPromotionActivities } from './promotion';
import { createRegistryActivities } from './registry';
import { createReportActivities } from './report';
import { createTrainingActivities } from './training';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRegistryActivities(deps),
    ...createDataActivities(deps),
    ...createTrainingActivities(deps),
    ...createEvaluationActivities(deps),
    ...createReportActivities(deps),
    ...createPromotionActivities(deps),
    ...createMonitoringActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
