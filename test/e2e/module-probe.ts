/**
 * Loaded into a daemon under test with `NODE_OPTIONS=--require <this file>`:
 * on SIGUSR2 it writes one stdout line, `loaded-modules <json>`, listing
 * every module in the require cache with the modules it required (paths
 * relative to the repository). Test code only; the daemon has no such hook.
 */
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

process.on('SIGUSR2', () => {
  const graph: Record<string, string[]> = {};
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!mod) continue;
    graph[path.relative(ROOT, file)] = mod.children.map((c) => path.relative(ROOT, c.filename));
  }
  process.stdout.write(`loaded-modules ${JSON.stringify(graph)}\n`);
});
