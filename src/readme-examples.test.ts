/** Every YAML example in a component README is a config that loads without a problem. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { defaultRegistry } from './components';
import { formatProblem, loadConfig } from './config/load';

const SRC = path.resolve(__dirname, '../../src');

function readmes(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) readmes(p, out);
    else if (e.name === 'README.md') out.push(p);
  }
  return out;
}

const files = readmes(SRC);

test('every component folder has a README', () => {
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions']) {
    for (const d of fs.readdirSync(path.join(SRC, kind), { withFileTypes: true })) {
      if (d.isDirectory()) assert.ok(fs.existsSync(path.join(SRC, kind, d.name, 'README.md')), `${kind}/${d.name}/README.md`);
    }
  }
});

for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  test(`${path.relative(SRC, file)}: ${blocks.length} example(s) load`, () => {
    assert.ok(blocks.length > 0, 'a component README carries an example');
    blocks.forEach((yaml, i) => {
      const r = loadConfig([{ name: `${path.relative(SRC, file)}#${i + 1}`, text: yaml }], defaultRegistry(), { OTLP_TOKEN: 'example' });
      assert.deepEqual(r.problems.map(formatProblem), []);
    });
  });
}
