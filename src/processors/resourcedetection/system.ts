/**
 * `system`: the host the daemon runs on. `host.name` and `os.type` by
 * default; `host.id`, `host.arch` and `os.description` when enabled under
 * `system.resource_attributes`, with the Go collector's key names.
 */
import { str, type Attributes } from '../../model/common';
import type { Detector, DetectorContext } from './context';

export const SYSTEM_ATTRIBUTES = ['host.name', 'os.type', 'host.id', 'host.arch', 'os.description'] as const;
export type SystemAttribute = (typeof SYSTEM_ATTRIBUTES)[number];
/** Enabled unless configured otherwise (as in the Go collector). */
export const SYSTEM_DEFAULTS: Record<SystemAttribute, boolean> = {
  'host.name': true,
  'os.type': true,
  'host.id': false,
  'host.arch': false,
  'os.description': false,
};

export type HostnameSource = 'os' | 'dns';

export interface SystemConfig {
  hostname_sources: HostnameSource[];
  resource_attributes: Record<SystemAttribute, { enabled: boolean }>;
}

/** Node's platform names → OpenTelemetry's `os.type` values. */
const OS_TYPES: Record<string, string> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
  sunos: 'solaris',
  aix: 'aix',
};

/** Node's arch names → OpenTelemetry's `host.arch` values; others pass through. */
const ARCHES: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm32',
  ia32: 'x86',
  ppc: 'ppc32',
  ppc64: 'ppc64',
  s390x: 's390x',
};

export function osType(platform: string): string {
  return OS_TYPES[platform] ?? platform;
}

export function hostArch(arch: string): string {
  return ARCHES[arch] ?? arch;
}

/** Where systemd and D-Bus keep the machine's stable id (the Go collector reads the same two). */
export const MACHINE_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'];

async function hostId(ctx: DetectorContext): Promise<string | undefined> {
  for (const f of MACHINE_ID_FILES) {
    const id = (await ctx.readFile(f))?.trim();
    if (id) return id;
  }
  return undefined;
}

/** `PRETTY_NAME` from os-release text, unquoted. */
export function prettyName(osRelease: string | undefined): string | undefined {
  const m = osRelease && /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  if (!m) return undefined;
  const v = m[1].trim().replace(/^(["'])(.*)\1$/, '$2');
  return v || undefined;
}

/** e.g. `Debian GNU/Linux 12 (bookworm) (Linux 6.1.0-18-amd64 #1 SMP ...)`. */
async function osDescription(ctx: DetectorContext): Promise<string> {
  const k = ctx.kernel();
  const kernel = [k.name, k.release, k.version].filter(Boolean).join(' ');
  const distro = ctx.platform() === 'linux' ? prettyName((await ctx.readFile('/etc/os-release')) ?? (await ctx.readFile('/usr/lib/os-release'))) : undefined;
  return distro ? `${distro} (${kernel})` : kernel;
}

async function hostName(ctx: DetectorContext, sources: HostnameSource[]): Promise<string | undefined> {
  for (const source of sources) {
    const name = source === 'dns' ? await ctx.fqdn(ctx.hostname()) : ctx.hostname();
    if (name) return name;
  }
  return undefined;
}

export const systemDetector: Detector<SystemConfig> = {
  name: 'system',
  async detect(ctx, config) {
    const on = (a: SystemAttribute) => config.resource_attributes[a]?.enabled ?? SYSTEM_DEFAULTS[a];
    const out: Attributes = [];
    const add = (key: string, value: string | undefined) => value && out.push({ key, value: str(value) });
    if (on('host.name')) add('host.name', await hostName(ctx, config.hostname_sources));
    if (on('host.id')) add('host.id', await hostId(ctx));
    if (on('host.arch')) add('host.arch', hostArch(ctx.arch()));
    if (on('os.type')) add('os.type', osType(ctx.platform()));
    if (on('os.description')) add('os.description', await osDescription(ctx));
    return out;
  },
};
