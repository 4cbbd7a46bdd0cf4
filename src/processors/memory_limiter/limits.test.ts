/** Memory limits from config and from cgroup files (real sample contents in a temp dir). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupPaths, memoryTotal, MIB, parseLimit, resolveLimits, type MemorySource } from './limits';

const GIB = 1024 * MIB;

/** A memory source whose files live under a temp dir, with `total` bytes of RAM. */
function machine(files: Record<string, string>, total = 16 * GIB): MemorySource & { cleanup(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-memlimit-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), text);
  }
  return {
    readFile: async (f) => {
      try {
        return await fs.promises.readFile(path.join(root, f), 'utf8');
      } catch {
        return undefined;
      }
    },
    totalMemory: () => total,
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

async function totalOf(files: Record<string, string>, total?: number) {
  const m = machine(files, total);
  try {
    return await memoryTotal(m);
  } finally {
    m.cleanup();
  }
}

test('limit file values: bytes, v2 "max", v1 unlimited (near 2^63), garbage', () => {
  assert.equal(parseLimit('536870912\n'), 512 * MIB);
  assert.equal(parseLimit('max\n'), undefined);
  assert.equal(parseLimit('9223372036854771712\n'), undefined);
  assert.equal(parseLimit('-1'), undefined);
  assert.equal(parseLimit(undefined), undefined);
});

test('cgroup paths: v2 unified line and the v1 memory controller', () => {
  assert.deepEqual(cgroupPaths('0::/\n'), { v2: '/' });
  assert.deepEqual(cgroupPaths('12:memory:/docker/abc\n11:cpu,cpuacct:/docker/abc\n0::/system.slice/containerd.service\n'), { v1Memory: '/docker/abc', v2: '/system.slice/containerd.service' });
  assert.deepEqual(cgroupPaths('4:cpu,memory:/kubepods/pod1/c1\n'), { v1Memory: '/kubepods/pod1/c1' });
});

test('cgroup v2: the container limit, or total memory when unlimited', async () => {
  assert.deepEqual(await totalOf({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': '1073741824\n' }), { bytes: GIB, source: '/sys/fs/cgroup/memory.max' });
  assert.deepEqual(await totalOf({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': 'max\n' }), { bytes: 16 * GIB, source: 'system' });
});

test('cgroup v2 with the host namespace: the tightest limit along the path wins', async () => {
  const files = {
    '/proc/self/cgroup': '0::/kubepods.slice/kubepods-burstable.slice/pod1.slice/cri-containerd-abc.scope\n',
    '/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/pod1.slice/cri-containerd-abc.scope/memory.max': 'max\n',
    '/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/pod1.slice/memory.max': String(768 * MIB),
    '/sys/fs/cgroup/kubepods.slice/memory.max': String(8 * GIB),
  };
  assert.deepEqual(await totalOf(files), { bytes: 768 * MIB, source: '/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/pod1.slice/memory.max' });
});

test('cgroup v1: memory.limit_in_bytes, unlimited means total memory, and a limit above RAM is capped', async () => {
  const v1 = '12:memory:/docker/abc\n0::/\n';
  assert.deepEqual(await totalOf({ '/proc/self/cgroup': v1, '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': String(256 * MIB) }), { bytes: 256 * MIB, source: '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes' });
  // Inside the container's own mount namespace the path is the mount's root.
  assert.deepEqual(await totalOf({ '/proc/self/cgroup': v1, '/sys/fs/cgroup/memory/memory.limit_in_bytes': String(300 * MIB) }), { bytes: 300 * MIB, source: '/sys/fs/cgroup/memory/memory.limit_in_bytes' });
  assert.deepEqual(await totalOf({ '/proc/self/cgroup': v1, '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n' }), { bytes: 16 * GIB, source: 'system' });
  assert.deepEqual(await totalOf({ '/proc/self/cgroup': v1, '/sys/fs/cgroup/memory/memory.limit_in_bytes': String(64 * GIB) }, 4 * GIB), { bytes: 4 * GIB, source: 'system' });
});

test('no cgroup files at all (not Linux): total memory', async () => {
  assert.deepEqual(await totalOf({}, 8 * GIB), { bytes: 8 * GIB, source: 'system' });
});

test('limits: limit_mib with the default 20% spike, an explicit spike, and percentages of the container limit', async () => {
  assert.deepEqual(await resolveLimits({ limit_mib: 500 }), { hardBytes: 500 * MIB, softBytes: 400 * MIB, source: 'limit_mib' });
  assert.deepEqual(await resolveLimits({ limit_mib: 4000, spike_limit_mib: 800 }), { hardBytes: 4000 * MIB, softBytes: 3200 * MIB, source: 'limit_mib' });
  // limit_mib wins over limit_percentage, as in the Go collector.
  assert.equal((await resolveLimits({ limit_mib: 100, limit_percentage: 90 })).hardBytes, 100 * MIB);
  const m = machine({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': String(1000 * MIB) });
  try {
    const pct = await resolveLimits({ limit_percentage: 80, spike_limit_percentage: 15 }, m);
    assert.equal(pct.hardBytes, Math.floor(1000 * MIB * 0.8));
    assert.equal(pct.softBytes, Math.floor(1000 * MIB * 0.8) - Math.floor(1000 * MIB * 0.15));
    assert.equal(pct.source, '/sys/fs/cgroup/memory.max');
    const dflt = await resolveLimits({ limit_percentage: 50 }, m);
    assert.equal(dflt.softBytes, dflt.hardBytes * 0.8);
  } finally {
    m.cleanup();
  }
});
