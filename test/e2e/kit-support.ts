/** Helpers shared by the Claude Code kit's end-to-end tests (test/e2e/kit-*.test.ts). */
import path from 'node:path';
import { ROOT, runProcess, type Finished } from './harness';

export const KIT_CLIENT = path.join(ROOT, 'dist', 'test', 'clients', 'claude-code-client.js');

/** Runs `script` with bash (env: only what is given plus PATH and HOME); resolves with its exit code and output. */
export function bash(script: string, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return runProcess('bash', ['-c', script], { PATH: process.env.PATH, HOME: process.env.HOME, ...env });
}
