import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ItemFilter, ItemMatcher, logEventName, validateMatch, type MatchConfig } from './match';
import { attrs, logRecord, span, sum } from './testkit';

const resource = (p: Record<string, string>) => ({ attributes: attrs(p), droppedAttributesCount: 0, entityRefs: [] });
const scope = (name: string, version = '') => ({ name, version, attributes: [], droppedAttributesCount: 0 });
const cc = resource({ 'service.name': 'claude-code', team: 'platform' });
const ccScope = scope('com.anthropic.claude_code', '1.0.0');

function matches(m: MatchConfig, name: string, pointAttrs: Record<string, string | number> = {}, res = cc, sc = ccScope): boolean {
  assert.deepEqual(validateMatch(m, 'include'), []);
  return new ItemMatcher(m).matchMetric(res, sc, sum(name, 1, []), attrs(pointAttrs));
}

test('metric_names: strict compares whole names, regexp is unanchored like Go', () => {
  assert.equal(matches({ match_type: 'strict', metric_names: ['claude_code.token.usage'] }, 'claude_code.token.usage'), true);
  assert.equal(matches({ match_type: 'strict', metric_names: ['claude_code.token'] }, 'claude_code.token.usage'), false);
  assert.equal(matches({ match_type: 'regexp', metric_names: ['token'] }, 'claude_code.token.usage'), true);
  assert.equal(matches({ match_type: 'regexp', metric_names: ['^token'] }, 'claude_code.token.usage'), false);
  assert.equal(matches({ match_type: 'regexp', metric_names: ['^x', 'usage$'] }, 'claude_code.token.usage'), true, 'one entry of a list is enough');
});

test('attributes and resources: every entry must hold; no value means the key is present; strict values are typed', () => {
  const m = (c: Partial<MatchConfig>, p: Record<string, string | number>) => matches({ match_type: 'strict', ...c }, 'x', p);
  assert.equal(m({ attributes: [{ key: 'model' }] }, { model: 'opus' }), true);
  assert.equal(m({ attributes: [{ key: 'model' }, { key: 'type' }] }, { model: 'opus' }), false);
  assert.equal(m({ attributes: [{ key: 'model', value: 'opus' }] }, { model: 'opus' }), true);
  assert.equal(m({ attributes: [{ key: 'model', value: 'sonnet' }] }, { model: 'opus' }), false);
  assert.equal(m({ attributes: [{ key: 'status', value: 200 }] }, { status: 200 }), true);
  assert.equal(m({ attributes: [{ key: 'status', value: 200 }] }, { status: '200' }), false, 'int 200 is not the string "200" in strict mode');
  assert.equal(matches({ match_type: 'regexp', attributes: [{ key: 'status', value: '^2' }] }, 'x', { status: 204 }), true, 'regexp sees the string form');
  assert.equal(m({ resources: [{ key: 'team', value: 'platform' }] }, {}), true);
  assert.equal(m({ resources: [{ key: 'team', value: 'platform' }, { key: 'missing' }] }, {}), false);
});

test('services and libraries', () => {
  assert.equal(matches({ match_type: 'strict', services: ['claude-code'] }, 'x'), true);
  assert.equal(matches({ match_type: 'strict', services: ['other'] }, 'x'), false);
  assert.equal(matches({ match_type: 'strict', libraries: [{ name: 'com.anthropic.claude_code' }] }, 'x'), true);
  assert.equal(matches({ match_type: 'strict', libraries: [{ name: 'com.anthropic.claude_code', version: '2.0.0' }] }, 'x'), false);
  assert.equal(matches({ match_type: 'regexp', libraries: [{ name: 'anthropic', version: '1.0.0' }] }, 'x'), true);
});

test('log_event_names: LogRecord.eventName, else the event.name attribute, else a string body', () => {
  assert.equal(logEventName(logRecord({}, 'claude_code.api_request', 'api_request')), 'api_request');
  assert.equal(logEventName(logRecord({ 'event.name': 'tool_result' }, 'claude_code.tool_result')), 'tool_result');
  assert.equal(logEventName(logRecord({}, 'claude_code.user_prompt')), 'claude_code.user_prompt');
  const f = new ItemFilter({ match_type: 'regexp', log_event_names: ['api_request$'] }, undefined);
  assert.equal(f.log(cc, ccScope, logRecord({ 'event.name': 'api_request' })), true);
  assert.equal(f.log(cc, ccScope, logRecord({ 'event.name': 'tool_result' }, 'claude_code.api_request')), false, 'the attribute comes before the body');
  assert.equal(f.log(cc, ccScope, logRecord({}, 'claude_code.api_request')), true);
});

test('log bodies, severity texts, span names', () => {
  const f = new ItemFilter({ match_type: 'strict', log_bodies: ['hello'], log_severity_texts: ['INFO'] }, undefined);
  assert.equal(f.log(cc, ccScope, logRecord({}, 'hello')), true);
  assert.equal(f.log(cc, ccScope, logRecord({}, 'bye')), false);
  const s = new ItemFilter({ match_type: 'regexp', span_names: ['^GET '] }, undefined);
  assert.equal(s.span(cc, ccScope, span('GET /v1', {})), true);
  assert.equal(s.span(cc, ccScope, span('POST /v1', {})), false);
});

test('include then exclude: acted on when included and not excluded', () => {
  const f = new ItemFilter({ match_type: 'regexp', metric_names: ['^claude_code\\.'] }, { match_type: 'strict', metric_names: ['claude_code.cost.usage'] });
  const check = (name: string) => f.metric(cc, ccScope, sum(name, 1, []), undefined);
  assert.equal(check('claude_code.token.usage'), true);
  assert.equal(check('claude_code.cost.usage'), false);
  assert.equal(check('agent.tokens'), false);
  const onlyExclude = new ItemFilter(undefined, { match_type: 'strict', metric_names: ['a'] });
  assert.equal(onlyExclude.metric(cc, ccScope, sum('a', 1, []), undefined), false);
  assert.equal(onlyExclude.metric(cc, ccScope, sum('b', 1, []), undefined), true);
});

test('a criterion about another signal never holds, and is reported for a warning', () => {
  const m = new ItemMatcher({ match_type: 'strict', metric_names: ['x'] });
  assert.equal(m.matchLog(cc, ccScope, logRecord({})), false);
  assert.deepEqual(m.foreignCriteria('logs'), ['metric_names']);
  assert.deepEqual(m.foreignCriteria('metrics'), []);
  // So an exclude about metrics excludes no log record.
  assert.equal(new ItemFilter(undefined, { match_type: 'strict', metric_names: ['x'] }).log(cc, ccScope, logRecord({})), true);
});

test('validation: a criterion is needed; regexps must compile; regexp attribute values must be strings', () => {
  assert.deepEqual(validateMatch({ match_type: 'strict' }, 'include').map((p) => p.path), ['include']);
  const problems = validateMatch({ match_type: 'regexp', metric_names: ['ok', '(unclosed'], attributes: [{ key: 'a', value: 5 }], libraries: [{ name: '[' }] }, 'exclude');
  assert.deepEqual(problems.map((p) => p.path), ['exclude.metric_names[1]', 'exclude.libraries[0].name', 'exclude.attributes[0].value']);
  assert.match(problems[0].message, /not a valid regular expression/);
  assert.match(problems[2].message, /must be a string/);
});
