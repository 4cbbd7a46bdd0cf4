/**
 * Test support (not used by the daemon): a detector context whose files live
 * under a temp directory (`/proc/self/cgroup` is `<root>/proc/self/cgroup`),
 * with a given environment and OS, so detectors run against real sample
 * files instead of the machine the tests happen to run on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DetectorContext } from './context';

export interface FakeMachine {
  files?: Record<string, string>;
  env?: Record<string, string>;
  hostname?: string;
  platform?: string;
  arch?: string;
  kernel?: { name: string; release: string; version: string };
  fqdn?: (hostname: string) => Promise<string | undefined>;
}

export interface TempContext {
  ctx: DetectorContext;
  root: string;
  /** Removes the temp directory. */
  cleanup(): void;
}

export function tempContext(m: FakeMachine = {}): TempContext {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-resourcedetection-'));
  for (const [file, text] of Object.entries(m.files ?? {})) {
    const p = path.join(root, file);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  const ctx: DetectorContext = {
    env: m.env ?? {},
    readFile: async (file) => {
      try {
        return await fs.promises.readFile(path.join(root, file), 'utf8');
      } catch {
        return undefined;
      }
    },
    hostname: () => m.hostname ?? 'test-host',
    platform: () => m.platform ?? 'linux',
    arch: () => m.arch ?? 'x64',
    kernel: () => m.kernel ?? { name: 'Linux', release: '6.1.0-18-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)' },
    fqdn: m.fqdn ?? (async () => undefined),
  };
  return { ctx, root, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}
