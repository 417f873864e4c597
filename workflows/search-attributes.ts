/**
 * Ratchet's custom search attributes: they make runs findable in the Temporal UI and with
 * `temporal workflow list --query 'RatchetModel="credit" AND RatchetStage="awaiting_approval"'`.
 * Registered by the dev server at start (workers/dev-server.ts) and by deploy/temporal-setup.sh
 * in production.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const RATCHET_MODEL = defineSearchAttributeKey('RatchetModel', SearchAttributeType.KEYWORD);
export const RATCHET_RUN_KIND = defineSearchAttributeKey('RatchetRunKind', SearchAttributeType.KEYWORD);
export const RATCHET_STAGE = defineSearchAttributeKey('RatchetStage', SearchAttributeType.KEYWORD);
export const RATCHET_VERDICT = defineSearchAttributeKey('RatchetVerdict', SearchAttributeType.KEYWORD);
export const RATCHET_CANDIDATE_VERSION = defineSearchAttributeKey('RatchetCandidateVersion', SearchAttributeType.INT);

export const RATCHET_SEARCH_ATTRIBUTES = [RATCHET_MODEL, RATCHET_RUN_KIND, RATCHET_STAGE, RATCHET_VERDICT, RATCHET_CANDIDATE_VERSION] as const;

/** `Name=Type` pairs as the Temporal CLI's --search-attribute flag takes them. */
export function searchAttributeFlags(): string[] {
  const cliType: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int' };
  return RATCHET_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${cliType[key.type]}`]);
}
