/**
 * `otel-pipeline claude-code env`: the `export ...` lines that point Claude
 * Code at this daemon, read from the config that would run (the same
 * --config files, else the embedded default), so the port, protocol, TLS
 * scheme, URL paths and bearer token always match the receiver.
 *
 * The token is printed as the config wrote it: a `${env:VAR}` reference
 * becomes the shell reference `${VAR}` (the secret stays out of terminals,
 * scrollback and wiki pages, and is filled in when the lines are pasted into
 * a shell that has VAR); a token written literally in the config is printed
 * literally. `--show-token` prints the value in every case.
 */
import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_YAML } from '../config/default-config';
import { formatProblem, loadConfig, readConfigFiles, type ConfigSource, type ResolvedConfig } from '../config/load';
import { parseEndpoint } from '../net/listeners';
import type { Registry } from '../pipeline/registry';
import { resolveOtlpConfig, type OtlpReceiverConfig } from '../receivers/otlp/config';

export const PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface EnvOptions {
  protocol?: Protocol;
  /** Host name Claude Code reaches the daemon at; default: from the listener's endpoint. */
  host?: string;
  /** Receiver id; default: the otlp receiver of the metrics pipeline(s). */
  receiver?: string;
  /** Print the token's value even when the config takes it from a variable. */
  showToken?: boolean;
  metricIntervalMs: number;
  logsIntervalMs: number;
}

export interface EnvOutput {
  /** Shell lines for stdout (comments and exports). */
  lines: string[];
  /** Notes for stderr: things that will go wrong or need a decision. */
  warnings: string[];
}

/** A problem that makes the lines impossible to print; the message says what to do. */
export class EnvError extends Error {}

/** Builds the lines for `config`, loaded from `sources` (read again for how the token was written). */
export function claudeCodeEnv(config: ResolvedConfig, sources: ConfigSource[], opts: EnvOptions): EnvOutput {
  const warnings: string[] = [];
  const receiverId = pickReceiver(config, opts);
  const resolved = resolveOtlpConfig(config.receivers.get(receiverId)!.config as OtlpReceiverConfig);
  const feeds = (signal: string) => [...config.service.pipelines.values()].some((p) => p.signal === signal && p.receivers.includes(receiverId));

  const protocol: Protocol = opts.protocol ?? (resolved.grpc ? 'grpc' : 'http/protobuf');
  const listener = protocol === 'grpc' ? resolved.grpc : resolved.http;
  if (!listener) {
    const [want, key, other] = protocol === 'grpc' ? ['OTLP/gRPC', 'protocols.grpc', 'http/protobuf'] : ['OTLP/HTTP', 'protocols.http', 'grpc'];
    throw new EnvError(`receiver "${receiverId}" has no ${want} listener (${key} is not configured): use --protocol ${other}, or add ${key} to receivers.${receiverId}`);
  }
  const { host: boundHost, port } = parseEndpoint(listener.endpoint);
  let host = opts.host;
  if (!host) {
    const everywhere = boundHost === '' || boundHost === '0.0.0.0' || boundHost === '::';
    host = everywhere ? 'localhost' : boundHost;
    if (everywhere) warnings.push(`receiver "${receiverId}" listens on every interface (${listener.endpoint}); the lines use localhost: pass --host <name> for Claude Code on other machines`);
  }
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  const base = `${listener.tls ? 'https' : 'http'}://${host}:${port}`;

  if (!feeds('metrics')) warnings.push(`no metrics pipeline takes data from receiver "${receiverId}": Claude Code's metrics would be refused (404 / UNIMPLEMENTED); add it to service.pipelines.metrics.receivers`);
  if (!feeds('logs')) {
    warnings.push(
      `no logs pipeline takes data from receiver "${receiverId}": Claude Code's events (api_request with its cost, tool_result, api_error, ...) travel as OTLP logs and would all be refused (404 / UNIMPLEMENTED); add a logs pipeline with receivers: [${receiverId}]`,
    );
  }

  const lines = [
    `# Claude Code -> otel-pipeline: receiver "${receiverId}", ${protocol === 'grpc' ? 'OTLP/gRPC' : `OTLP/HTTP (${protocol === 'http/json' ? 'JSON' : 'protobuf'})`} at ${base}`,
    'export CLAUDE_CODE_ENABLE_TELEMETRY=1',
    'export OTEL_METRICS_EXPORTER=otlp',
    'export OTEL_LOGS_EXPORTER=otlp',
    `export OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}`,
  ];
  const http = protocol !== 'grpc' ? resolved.http! : undefined;
  if (http && (http.metrics_url_path !== '/v1/metrics' || http.logs_url_path !== '/v1/logs' || http.traces_url_path !== '/v1/traces')) {
    // Per-signal endpoints are used as given, so custom paths need them.
    lines.push(`export OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=${shellWord(base + http.metrics_url_path)}`);
    lines.push(`export OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=${shellWord(base + http.logs_url_path)}`);
    lines.push(`export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${shellWord(base + http.traces_url_path)}`);
  } else {
    lines.push(`export OTEL_EXPORTER_OTLP_ENDPOINT=${shellWord(base)}`);
  }
  lines.push('export OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta');
  if (resolved.bearerToken !== undefined) lines.push(`export OTEL_EXPORTER_OTLP_HEADERS=${headerValue(resolved.bearerToken, tokenAsWritten(sources, receiverId), opts.showToken === true, warnings)}`);
  if (listener.tls) lines.push('# The receiver serves TLS: if its certificate is not from a CA this machine trusts, also export OTEL_EXPORTER_OTLP_CERTIFICATE=<CA file>');
  lines.push(`export OTEL_METRIC_EXPORT_INTERVAL=${opts.metricIntervalMs}`);
  lines.push(`export OTEL_LOGS_EXPORT_INTERVAL=${opts.logsIntervalMs}`);
  if (feeds('traces')) {
    lines.push('# Traces (beta) are accepted too; to send them:');
    lines.push('# export CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1 OTEL_TRACES_EXPORTER=otlp');
  }
  return { lines, warnings };
}

/** The receiver the lines are for: --receiver, else the one otlp receiver that feeds metrics. */
function pickReceiver(config: ResolvedConfig, opts: EnvOptions): string {
  const otlp = [...config.receivers.values()].filter((r) => r.type === 'otlp').map((r) => r.id);
  if (opts.receiver !== undefined) {
    if (!config.receivers.has(opts.receiver)) throw new EnvError(`--receiver ${opts.receiver}: no such receiver in the config (otlp receivers: ${otlp.join(', ') || 'none'})`);
    if (config.receivers.get(opts.receiver)!.type !== 'otlp') throw new EnvError(`--receiver ${opts.receiver}: not an otlp receiver`);
    return opts.receiver;
  }
  const used = otlp.filter((id) => [...config.service.pipelines.values()].some((p) => p.receivers.includes(id)));
  const forMetrics = used.filter((id) => [...config.service.pipelines.values()].some((p) => p.signal === 'metrics' && p.receivers.includes(id)));
  const candidates = forMetrics.length > 0 ? forMetrics : used;
  if (candidates.length === 0) throw new EnvError('the config has no otlp receiver in any pipeline: Claude Code has nothing to send to');
  if (candidates.length > 1) throw new EnvError(`several otlp receivers take metrics (${candidates.join(', ')}): choose one with --receiver`);
  return candidates[0];
}

/** The raw `auth.bearer_token` string of the last source that sets it, before ${env:...} expansion. */
export function tokenAsWritten(sources: ConfigSource[], receiverId: string): string | undefined {
  let raw: string | undefined;
  for (const s of sources) {
    try {
      const doc = parseYaml(s.text) as { receivers?: Record<string, { auth?: { bearer_token?: unknown } | null } | null> } | null;
      const v = doc?.receivers?.[receiverId]?.auth?.bearer_token;
      if (typeof v === 'string') raw = v;
    } catch {
      /* the loader already reported it */
    }
  }
  return raw;
}

/** `"Authorization=Bearer <token>"` as a shell word. */
function headerValue(token: string, written: string | undefined, showToken: boolean, warnings: string[]): string {
  if (!showToken && written !== undefined && /\$\{/.test(written.replace(/\$\$/g, ''))) {
    if (encodeURIComponent(token) !== token) {
      warnings.push('the token holds characters that OTEL_EXPORTER_OTLP_HEADERS carries only percent-encoded; use --show-token to print it encoded, or a token of letters, digits and -._~');
    }
    const vars = [...written.matchAll(/\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    warnings.push(`the token is read from ${[...new Set(vars)].join(', ')}: the printed header refers to it, so set it in the shell where Claude Code runs (or use --show-token)`);
    return `"Authorization=Bearer ${shellReference(written)}"`;
  }
  // The SDK percent-decodes header values (W3C baggage format).
  return shellWord(`Authorization=Bearer ${encodeURIComponent(token)}`);
}

/** A config string with ${env:VAR}, ${VAR}, ${env:VAR:-default} and $$ as the inside of a double-quoted shell word. */
export function shellReference(written: string): string {
  let out = '';
  const escape = (s: string) => s.replace(/[\\"`$]/g, (c) => `\\${c}`);
  for (let i = 0; i < written.length; ) {
    if (written.startsWith('$$', i)) {
      out += '\\$';
      i += 2;
      continue;
    }
    const m = /^\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/.exec(written.slice(i));
    if (m) {
      out += m[2] === undefined ? `\${${m[1]}}` : `\${${m[1]}:-${escape(m[2])}}`;
      i += m[0].length;
      continue;
    }
    out += escape(written[i]);
    i++;
  }
  return out;
}

/** A value as one shell word: bare when it is plain, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function milliseconds(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new EnvError(`${name} must be a whole number of milliseconds above 0, got "${v}"`);
    return n;
  };
}

/** The `claude-code` command group, with `env`. */
export function claudeCodeCommand(registry: Registry): Command {
  const group = new Command('claude-code').description('helpers for sending Claude Code telemetry to this daemon');
  group
    .command('env')
    .description('print the export lines that point Claude Code at this daemon, matching the config\'s ports, protocol and token')
    .addOption(new Option('-c, --config <file>', 'pipeline YAML file, as given to run; repeat to merge').argParser((v: string, prev: string[]) => [...prev, v]).default([], 'the embedded default config'))
    .addOption(new Option('--protocol <protocol>', 'OTLP protocol Claude Code uses (default: grpc if the receiver has it, else http/protobuf)').choices(PROTOCOLS))
    .option('--host <host>', 'host name Claude Code reaches the daemon at (default: from the listener; localhost for 0.0.0.0)')
    .option('--receiver <id>', 'otlp receiver to point at (default: the one the metrics pipeline uses)')
    .option('--show-token', 'print the bearer token itself even when the config reads it from a variable', false)
    .option('--metric-interval <ms>', 'OTEL_METRIC_EXPORT_INTERVAL', milliseconds('--metric-interval'), 60000)
    .option('--logs-interval <ms>', 'OTEL_LOGS_EXPORT_INTERVAL', milliseconds('--logs-interval'), 5000)
    .action((opts: { config: string[]; protocol?: Protocol; host?: string; receiver?: string; showToken: boolean; metricInterval: number; logsInterval: number }) => {
      const sources: ConfigSource[] = opts.config.length > 0 ? readConfigFiles(opts.config) : [{ name: DEFAULT_CONFIG_NAME, text: DEFAULT_CONFIG_YAML }];
      const result = loadConfig(sources, registry);
      for (const w of result.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
      for (const p of result.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
      if (!result.config) {
        process.stderr.write('the config has problems: fix them first (otel-pipeline validate shows the same list)\n');
        process.exitCode = 1;
        return;
      }
      try {
        const out = claudeCodeEnv(result.config, sources, { protocol: opts.protocol, host: opts.host, receiver: opts.receiver, showToken: opts.showToken, metricIntervalMs: opts.metricInterval, logsIntervalMs: opts.logsInterval });
        for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
        process.stdout.write(out.lines.join('\n') + '\n');
      } catch (err) {
        if (!(err instanceof EnvError)) throw err;
        process.stderr.write(`error: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
  return group;
}
