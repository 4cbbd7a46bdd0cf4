import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSource, toPlain } from './yaml-source';
import { expandTree } from './expand';

test('an unquoted ${...} inside a flow map parses, expands, and keeps its column', () => {
  const text = 'actions:\n  - {key: service.name, value: ${OTEL_SERVICE_NAME}, action: upsert}\n  - {key: lit, value: "$${NOT_A_REF}", action: insert}\n';
  const parsed = parseSource({ name: 'seed.yaml', text });
  assert.deepEqual(parsed.problems, []);
  const expanded = expandTree(parsed.root!, { OTEL_SERVICE_NAME: 'claude-code-team' });
  assert.deepEqual(expanded.problems, []);
  assert.deepEqual(toPlain(parsed.root), {
    actions: [
      { key: 'service.name', value: 'claude-code-team', action: 'upsert' },
      { key: 'lit', value: '${NOT_A_REF}', action: 'insert' },
    ],
  });
  const items = (parsed.root as { entries: Map<string, { value: { items: Array<{ entries: Map<string, { value: { loc: { column: number } } }> }> } }> }).entries.get('actions')!.value.items;
  assert.equal(items[0].entries.get('action')!.value.loc.column, text.split('\n')[1].indexOf('upsert') + 1, 'columns after the reference are unchanged');
});
