/**
 * What detectors may look at: the environment, files and the OS. Injected so
 * tests can run every detector against sample files and variables instead of
 * the machine they happen to run on.
 */
import { promises as fs } from 'node:fs';
import dns from 'node:dns';
import os from 'node:os';
import type { Attributes } from '../../model/common';

export interface DetectorContext {
  env: Readonly<Record<string, string | undefined>>;
  /** A file's text, or undefined when it does not exist or cannot be read. */
  readFile(path: string): Promise<string | undefined>;
  hostname(): string;
  /** `process.platform`. */
  platform(): string;
  /** `process.arch`. */
  arch(): string;
  /** Kernel name, release and version, as `os.type()`, `os.release()`, `os.version()` give them. */
  kernel(): { name: string; release: string; version: string };
  /** The fully qualified name of this host from DNS, or undefined. */
  fqdn(hostname: string): Promise<string | undefined>;
}

/** A detector: a name for config and logs, and what it finds. */
export interface Detector<C = unknown> {
  readonly name: string;
  detect(ctx: DetectorContext, config: C): Promise<Attributes>;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch {
    // Missing, unreadable or not a file: the attribute is just not detected.
    return undefined;
  }
}

async function lookupFqdn(hostname: string): Promise<string | undefined> {
  try {
    const { address } = await dns.promises.lookup(hostname);
    const { hostname: name } = await dns.promises.lookupService(address, 0);
    return name || undefined;
  } catch {
    return undefined;
  }
}

/** The daemon's own process, environment and machine. */
export function processContext(): DetectorContext {
  return {
    env: process.env,
    readFile: readText,
    hostname: () => os.hostname(),
    platform: () => process.platform,
    arch: () => process.arch,
    kernel: () => ({ name: os.type(), release: os.release(), version: os.version() }),
    fqdn: lookupFqdn,
  };
}
