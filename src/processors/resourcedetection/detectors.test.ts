/** The system and k8s detectors, and the merge of several detectors, against injected machines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyValueToString, str, type Attributes } from '../../model/common';
import { silentLogger, createLogger, LogOutput } from '../../telemetry/logger';
import type { Detector } from './context';
import { detectResource, DETECTORS } from './detect';
import { k8sDetector, SERVICE_ACCOUNT_NAMESPACE_FILE } from './k8s';
import { hostArch, osType, prettyName, systemDetector, SYSTEM_DEFAULTS, type SystemConfig } from './system';
import { tempContext } from './test-context';

function plain(attrs: Attributes): Record<string, string> {
  return Object.fromEntries(attrs.map((kv) => [kv.key, anyValueToString(kv.value)]));
}

function systemConfig(enable: Partial<Record<keyof typeof SYSTEM_DEFAULTS, boolean>> = {}, sources: SystemConfig['hostname_sources'] = ['os']): SystemConfig {
  const ra = Object.fromEntries(Object.entries(SYSTEM_DEFAULTS).map(([k, v]) => [k, { enabled: enable[k as keyof typeof SYSTEM_DEFAULTS] ?? v }]));
  return { hostname_sources: sources, resource_attributes: ra as SystemConfig['resource_attributes'] };
}

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';

test('OTel names for Node platforms and architectures', () => {
  assert.deepEqual(['linux', 'darwin', 'win32', 'freebsd', 'sunos', 'aix'].map(osType), ['linux', 'darwin', 'windows', 'freebsd', 'solaris', 'aix']);
  assert.deepEqual(['x64', 'arm64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64'].map(hostArch), ['amd64', 'arm64', 'arm32', 'x86', 'ppc64', 's390x', 'riscv64']);
  assert.equal(prettyName(OS_RELEASE), 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(prettyName("PRETTY_NAME='Alpine Linux v3.19'\n"), 'Alpine Linux v3.19');
  assert.equal(prettyName('NAME=x\n'), undefined);
});

test('system: host.name and os.type by default, nothing else', async () => {
  const t = tempContext({ hostname: 'build-7', platform: 'win32', files: { '/etc/machine-id': 'abc\n' } });
  try {
    assert.deepEqual(plain(await systemDetector.detect(t.ctx, systemConfig())), { 'host.name': 'build-7', 'os.type': 'windows' });
  } finally {
    t.cleanup();
  }
});

test('system: host.id from /etc/machine-id, else the D-Bus copy; host.arch; os.description', async () => {
  const all = systemConfig({ 'host.id': true, 'host.arch': true, 'os.description': true, 'host.name': false });
  const etc = tempContext({ arch: 'arm64', files: { '/etc/machine-id': '4f1c0e5a9b7d4e2f8a6c3b1d0e9f8a7b\n', '/var/lib/dbus/machine-id': 'other\n', '/etc/os-release': OS_RELEASE } });
  const dbus = tempContext({ files: { '/etc/machine-id': '\n', '/var/lib/dbus/machine-id': 'dbus-id\n' } });
  const none = tempContext({ platform: 'darwin', kernel: { name: 'Darwin', release: '23.4.0', version: 'Darwin Kernel Version 23.4.0' } });
  try {
    assert.deepEqual(plain(await systemDetector.detect(etc.ctx, all)), {
      'host.id': '4f1c0e5a9b7d4e2f8a6c3b1d0e9f8a7b',
      'host.arch': 'arm64',
      'os.type': 'linux',
      'os.description': 'Debian GNU/Linux 12 (bookworm) (Linux 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01))',
    });
    assert.equal(plain(await systemDetector.detect(dbus.ctx, all))['host.id'], 'dbus-id', 'an empty /etc/machine-id falls through');
    const mac = plain(await systemDetector.detect(none.ctx, all));
    assert.equal(mac['host.id'], undefined, 'no machine-id file: no host.id');
    assert.equal(mac['os.description'], 'Darwin 23.4.0 Darwin Kernel Version 23.4.0');
  } finally {
    etc.cleanup();
    dbus.cleanup();
    none.cleanup();
  }
});

test('system: hostname_sources are tried in order', async () => {
  const t = tempContext({ hostname: 'web-1', fqdn: async (h) => (h === 'web-1' ? 'web-1.prod.example.com' : undefined) });
  const noDns = tempContext({ hostname: 'web-2' });
  try {
    assert.equal(plain(await systemDetector.detect(t.ctx, systemConfig({}, ['dns', 'os'])))['host.name'], 'web-1.prod.example.com');
    assert.equal(plain(await systemDetector.detect(t.ctx, systemConfig({}, ['os', 'dns'])))['host.name'], 'web-1');
    assert.equal(plain(await systemDetector.detect(noDns.ctx, systemConfig({}, ['dns', 'os'])))['host.name'], 'web-2', 'dns finds nothing: os');
  } finally {
    t.cleanup();
    noDns.cleanup();
  }
});

test('k8s: downward-API variables, HOSTNAME inside a pod, namespace from the service account', async () => {
  const explicit = tempContext({
    env: { K8S_POD_NAME: 'agent-7f9c', K8S_NAMESPACE_NAME: 'ai', K8S_NODE_NAME: 'node-3', K8S_POD_UID: '9b2c7a7e-1f2d', HOSTNAME: 'ignored', KUBERNETES_SERVICE_HOST: '10.0.0.1' },
    files: { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'not-this-one' },
  });
  const fallback = tempContext({ env: { HOSTNAME: 'agent-5d2a', KUBERNETES_SERVICE_HOST: '10.0.0.1' }, files: { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'observability\n' } });
  const outside = tempContext({ env: { HOSTNAME: 'laptop' } });
  try {
    assert.deepEqual(plain(await k8sDetector.detect(explicit.ctx, undefined)), { 'k8s.pod.name': 'agent-7f9c', 'k8s.namespace.name': 'ai', 'k8s.node.name': 'node-3', 'k8s.pod.uid': '9b2c7a7e-1f2d' });
    assert.deepEqual(plain(await k8sDetector.detect(fallback.ctx, undefined)), { 'k8s.pod.name': 'agent-5d2a', 'k8s.namespace.name': 'observability' });
    assert.deepEqual(plain(await k8sDetector.detect(outside.ctx, undefined)), {}, 'HOSTNAME outside Kubernetes is not a pod name');
  } finally {
    explicit.cleanup();
    fallback.cleanup();
    outside.cleanup();
  }
});

test('detectors run in order and the first one to find a key wins', async () => {
  const t = tempContext({ hostname: 'from-system', env: { OTEL_RESOURCE_ATTRIBUTES: 'host.name=from-env,team=eng' } });
  try {
    const cfg = { timeout: 1000, system: systemConfig() };
    assert.deepEqual(plain(await detectResource({ ...cfg, detectors: ['env', 'system'] }, t.ctx, silentLogger)), { 'host.name': 'from-env', team: 'eng', 'os.type': 'linux' });
    assert.deepEqual(plain(await detectResource({ ...cfg, detectors: ['system', 'env'] }, t.ctx, silentLogger)), { 'host.name': 'from-system', 'os.type': 'linux', team: 'eng' });
  } finally {
    t.cleanup();
  }
});

test('a detector that does not finish in time is skipped with a warning; the others still count', async () => {
  const lines: string[] = [];
  const logger = createLogger(new LogOutput('info', { write: (l) => void lines.push(l) }));
  let hung: NodeJS.Timeout | undefined;
  const slow: Detector = {
    name: 'system',
    detect: () => new Promise((resolve) => (hung = setTimeout(() => resolve([{ key: 'late', value: str('x') }]), 5000))),
  };
  const t = tempContext({ env: { OTEL_RESOURCE_ATTRIBUTES: 'a=1' } });
  try {
    const started = Date.now();
    const found = await detectResource({ detectors: ['system', 'env'], timeout: 50, system: systemConfig() }, t.ctx, logger, { ...DETECTORS, system: slow });
    assert.deepEqual(plain(found), { a: '1' });
    assert.ok(Date.now() - started < 4000, 'did not wait for the slow detector');
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.msg.includes('did not finish in time'));
    assert.equal(warning?.level, 'warn');
    assert.equal(warning?.detector, 'system');
    assert.equal(warning?.timeout_ms, 50);
  } finally {
    clearTimeout(hung);
    t.cleanup();
  }
});
