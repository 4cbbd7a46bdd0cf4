/**
 * `otel-pipeline`: run, validate, print-config, components. Only this file
 * (through `main`) may end the process.
 */
import { Command, Option } from 'commander';
import { defaultRegistry } from '../components';
import { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_YAML } from '../config/default-config';
import { configToYaml, formatProblem, loadConfig, readConfigFiles, redactConfig, type ConfigSource, type LoadResult } from '../config/load';
import { factorySignals } from '../pipeline/component';
import type { Registry } from '../pipeline/registry';
import { claudeCodeCommand } from './claude-code-env';
import { runDaemon } from './run';

const VERSION: string = require('../../../package.json').version;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function sources(paths: string[]): ConfigSource[] {
  return paths.length > 0 ? readConfigFiles(paths) : [{ name: DEFAULT_CONFIG_NAME, text: DEFAULT_CONFIG_YAML }];
}

/** Loads and prints every problem and warning; returns the result. */
function load(paths: string[], registry: Registry): LoadResult {
  const result = loadConfig(sources(paths), registry);
  for (const w of result.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  for (const p of result.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
  return result;
}

export function buildProgram(registry: Registry = defaultRegistry()): Command {
  const program = new Command('otel-pipeline')
    .description('An OpenTelemetry-Collector-style telemetry pipeline daemon: OTLP in, processors, exporters out.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError();
  const configOption = () =>
    new Option('-c, --config <file>', 'pipeline YAML file; repeat to merge several (maps deep-merge, lists replace)').argParser(collect).default([], 'the embedded default config');

  program
    .command('run', { isDefault: true })
    .description('run the daemon (the default command)')
    .addOption(configOption())
    .option('--shutdown-timeout <duration>', 'how long a graceful shutdown may take', '10s')
    .action(async (opts: { config: string[]; shutdownTimeout: string }) => {
      const code = await runDaemon(opts.config, opts.shutdownTimeout, (paths) => load(paths, registry));
      process.exitCode = code;
      // Everything was closed; should a library still hold a handle open,
      // do not let it keep a stopped daemon alive.
      setTimeout(() => process.exit(code), 2000).unref();
    });

  program
    .command('validate')
    .description('check a config and report every problem; exit 1 if there is any')
    .addOption(configOption())
    .action((opts: { config: string[] }) => {
      const result = load(opts.config, registry);
      if (result.problems.length > 0) {
        process.stderr.write(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} found\n`);
        process.exitCode = 1;
      } else process.stdout.write(`config is valid: ${result.config!.service.pipelines.size} pipeline(s)\n`);
    });

  program
    .command('print-config')
    .description('print the effective config (defaults filled, ${env:...} expanded, secrets redacted)')
    .addOption(configOption())
    .action((opts: { config: string[] }) => {
      const result = load(opts.config, registry);
      if (!result.config) {
        process.exitCode = 1;
        return;
      }
      process.stdout.write(configToYaml(redactConfig(result.config.effective, registry)));
    });

  program
    .command('components')
    .description('list every component type with its signals and stability')
    .action(() => {
      process.stdout.write(componentTable(registry));
    });

  program.addCommand(claudeCodeCommand(registry));

  return program;
}

export function componentTable(registry: Registry): string {
  const rows: string[][] = [['KIND', 'TYPE', 'SIGNALS (STABILITY)', 'DESCRIPTION']];
  for (const f of registry.factories) {
    const name = f.type + (f.aliases?.length ? ` (alias ${f.aliases.join(', ')})` : '');
    const signals = f.kind === 'extension' ? `- (${f.stability})` : factorySignals(f).map((s) => `${s} (${f.stability[s]})`).join(', ');
    rows.push([f.kind, name, signals, f.description]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
