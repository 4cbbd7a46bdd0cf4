/**
 * How much memory the daemon may use: a fixed `limit_mib`, or a percentage
 * of what its container may use (the cgroup memory limit, v2 or v1, the
 * tightest along the cgroup path), falling back to the machine's total
 * memory when the cgroup is unlimited or there is none.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';

export const MIB = 1024 * 1024;

export interface MemorySource {
  /** A file's text, or undefined when it does not exist or cannot be read. */
  readFile(path: string): Promise<string | undefined>;
  /** Total physical memory in bytes. */
  totalMemory(): number;
}

export const processMemorySource: MemorySource = {
  readFile: async (p) => {
    try {
      return await fs.readFile(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  totalMemory: () => os.totalmem(),
};

export interface MemoryTotal {
  bytes: number;
  /** The file the limit came from, or `system` for total memory. */
  source: string;
}

/** `/a/b/c` → `['/a/b/c', '/a/b', '/a', '']`: a cgroup and its ancestors (the root last). */
function ancestors(cgroupPath: string): string[] {
  const parts = cgroupPath.split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) out.push(i === 0 ? '' : '/' + parts.slice(0, i).join('/'));
  return out;
}

/** The cgroup paths of this process: the v2 one (`0::path`) and the v1 memory controller's. */
export function cgroupPaths(procSelfCgroup: string): { v2?: string; v1Memory?: string } {
  const out: { v2?: string; v1Memory?: string } = {};
  for (const line of procSelfCgroup.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1).trim();
    if (line.slice(0, first) === '0' && controllers === '') out.v2 = path;
    else if (controllers.split(',').includes('memory')) out.v1Memory = path;
  }
  return out;
}

/** A limit file's value in bytes; undefined for `max` (v2), v1's "unlimited" (near 2^63), or garbage. */
export function parseLimit(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || t === 'max' || !/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 2 ** 62 ? undefined : n;
}

/**
 * The memory this process may use: the smallest cgroup limit along its path
 * (v2 `memory.max`, else v1 `memory.limit_in_bytes`), capped at total memory;
 * total memory when nothing limits it.
 */
export async function memoryTotal(src: MemorySource = processMemorySource): Promise<MemoryTotal> {
  const total = src.totalMemory();
  const paths = cgroupPaths((await src.readFile('/proc/self/cgroup')) ?? '');
  const candidates: string[] = [];
  const v2 = paths.v2 ?? (paths.v1Memory === undefined ? '/' : undefined);
  if (v2 !== undefined) candidates.push(...ancestors(v2).map((p) => `/sys/fs/cgroup${p}/memory.max`));
  if (paths.v1Memory !== undefined || paths.v2 === undefined) {
    candidates.push(...ancestors(paths.v1Memory ?? '/').map((p) => `/sys/fs/cgroup/memory${p}/memory.limit_in_bytes`));
  }
  let best: MemoryTotal = { bytes: total, source: 'system' };
  for (const file of new Set(candidates)) {
    const limit = parseLimit(await src.readFile(file));
    if (limit !== undefined && limit < best.bytes) best = { bytes: limit, source: file };
  }
  return best;
}

export interface LimitConfig {
  limit_mib?: number;
  spike_limit_mib?: number;
  limit_percentage?: number;
  spike_limit_percentage?: number;
}

export interface Limits {
  hardBytes: number;
  softBytes: number;
  /** Where the limit came from, for the start log: `limit_mib`, a cgroup file, or `system`. */
  source: string;
}

/**
 * Hard and soft limits. `limit_mib` wins over `limit_percentage` (as in the
 * Go collector); the spike defaults to 20% of the hard limit; soft = hard − spike.
 */
export async function resolveLimits(c: LimitConfig, src: MemorySource = processMemorySource): Promise<Limits> {
  if (c.limit_mib) {
    const hard = c.limit_mib * MIB;
    const spike = c.spike_limit_mib ? c.spike_limit_mib * MIB : hard * 0.2;
    return { hardBytes: hard, softBytes: hard - spike, source: 'limit_mib' };
  }
  const total = await memoryTotal(src);
  const hard = Math.floor((total.bytes * c.limit_percentage!) / 100);
  const spike = c.spike_limit_percentage ? Math.floor((total.bytes * c.spike_limit_percentage) / 100) : hard * 0.2;
  return { hardBytes: hard, softBytes: Math.max(0, hard - spike), source: total.source };
}
