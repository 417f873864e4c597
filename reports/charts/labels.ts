/**
 * How models and metrics are named in legends and tables, decided once so every chart and table
 * agrees.
 */
import type { MetricName } from '../../validation/types';
import type { RunReportInput } from '../input';

export const METRIC_LABELS: Record<MetricName, string> = {
  auc: 'AUC',
  average_precision: 'Average precision',
  log_loss: 'Log loss',
  brier: 'Brier score',
  accuracy: 'Accuracy',
  precision: 'Precision',
  recall: 'Recall',
  f1: 'F1',
  positive_rate: 'Positive rate',
  ece: 'ECE',
};

export interface ContenderNames {
  candidate: string;
  /** null on a first run: there is no champion to compare with. */
  champion: string | null;
}

export function contenderNames(input: Pick<RunReportInput, 'candidate' | 'champion'>): ContenderNames {
  return {
    candidate: input.candidate.version === null ? 'candidate' : `candidate v${input.candidate.version}`,
    champion: input.champion ? `champion v${input.champion.version}` : null,
  };
}
