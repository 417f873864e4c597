/** Feedback request validation (pure): what is accepted, and every refusal naming its field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_FEEDBACK_ITEMS, parseFeedbackBody } from '../../workers/serving/feedback-validation';

describe('parseFeedbackBody', () => {
  it('accepts one item by request id or entity id, with an optional ISO time', () => {
    assert.deepEqual(parseFeedbackBody({ request_id: 'r1', label: 1 }), { kind: 'items', items: [{ requestId: 'r1', entityId: null, label: 1, at: null }] });
    assert.deepEqual(parseFeedbackBody({ entity_id: 'e1', label: 0, at: '2025-01-06T10:00:00+01:00' }), {
      kind: 'items',
      items: [{ requestId: null, entityId: 'e1', label: 0, at: Date.parse('2025-01-06T09:00:00Z') }],
    });
    assert.deepEqual(parseFeedbackBody({ request_id: 'r#3', entity_id: 'e', label: 1, at: null }).kind, 'items');
  });

  it('accepts up to 1,000 items', () => {
    const items = Array.from({ length: MAX_FEEDBACK_ITEMS }, (_, i) => ({ request_id: `r${i}`, label: i % 2 }));
    const parsed = parseFeedbackBody({ items });
    assert.equal(parsed.kind, 'items');
    assert.equal(parsed.kind === 'items' && parsed.items.length, 1000);
    assert.deepEqual(parsed.kind === 'items' && parsed.items[7], { requestId: 'r7', entityId: null, label: 1, at: null });
  });

  const refusals: { name: string; body: unknown; field: string; message: RegExp }[] = [
    { name: 'not an object', body: [1], field: '', message: /must be a JSON object/ },
    { name: 'no id at all', body: { label: 1 }, field: 'request_id', message: /request_id and entity_id are both missing/ },
    { name: 'no id in an item', body: { items: [{ request_id: 'a', label: 1 }, { label: 0 }] }, field: 'items[1].request_id', message: /items\[1\]\.request_id and items\[1\]\.entity_id are both missing/ },
    { name: 'label 2', body: { request_id: 'r', label: 2 }, field: 'label', message: /label must be 0 or 1; got number 2/ },
    { name: 'label true', body: { request_id: 'r', label: true }, field: 'label', message: /label must be 0 or 1; got boolean true/ },
    { name: 'label "1"', body: { request_id: 'r', label: '1' }, field: 'label', message: /label must be 0 or 1; got the string "1"/ },
    { name: 'label missing', body: { items: [{ entity_id: 'e' }] }, field: 'items[0].label', message: /items\[0\]\.label must be 0 or 1; got nothing/ },
    { name: 'empty request id', body: { request_id: '', label: 1 }, field: 'request_id', message: /non-empty string/ },
    { name: 'numeric entity id', body: { entity_id: 42, label: 1 }, field: 'entity_id', message: /non-empty string/ },
    { name: 'time without zone', body: { request_id: 'r', label: 1, at: '2025-01-06T10:00:00' }, field: 'at', message: /ISO-8601 time with a zone/ },
    { name: 'time as number', body: { request_id: 'r', label: 1, at: 1736157600000 }, field: 'at', message: /ISO-8601/ },
    { name: 'unknown field', body: { request_id: 'r', label: 1, score: 0.3 }, field: 'score', message: /unknown field "score"/ },
    { name: 'unknown field next to items', body: { items: [], model: 'x' }, field: 'model', message: /next to "items"/ },
    { name: 'empty items', body: { items: [] }, field: 'items', message: /non-empty array/ },
    { name: 'too many items', body: { items: Array.from({ length: 1001 }, () => ({ request_id: 'r', label: 1 })) }, field: 'items', message: /1001 items, more than the 1000/ },
    { name: 'item not an object', body: { items: ['r1'] }, field: 'items[0]', message: /must be an object/ },
  ];
  for (const { name, body, field, message } of refusals) {
    it(`refuses ${name}, naming "${field || '(body)'}"`, () => {
      const parsed = parseFeedbackBody(body);
      assert.equal(parsed.kind, 'error');
      if (parsed.kind !== 'error') return;
      assert.equal(parsed.error.field, field);
      assert.match(parsed.error.message, message);
    });
  }
});
