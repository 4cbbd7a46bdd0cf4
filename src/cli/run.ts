/**
 * The `run` command: start the service, then live on signals. SIGTERM/SIGINT
 * drain and exit 0 within the shutdown deadline (a second one exits at once);
 * SIGHUP reloads the config files, keeping the old graph on any problem.
 */
import type { LoadResult } from '../config/load';
import { parseDuration } from '../config/units';
import { forgetCompiledSchemas } from '../config/validate';
import { Service } from '../service/service';
import { createLogger, LogOutput } from '../telemetry/logger';
import { SelfTelemetry } from '../telemetry/self';
import { startupDone } from './startup-heap';
import { formatProblem } from '../config/load';

export async function runDaemon(paths: string[], shutdownTimeout: string, loadConfig: (paths: string[]) => LoadResult): Promise<number> {
  // The validators compiled for a load are not kept between loads (reloads are rare).
  const load = (p: string[]): LoadResult => {
    try {
      return loadConfig(p);
    } finally {
      forgetCompiledSchemas();
    }
  };
  const deadlineMs = parseDuration(shutdownTimeout);
  if (deadlineMs === undefined) {
    process.stderr.write(`error: --shutdown-timeout: must be a duration like "10s", got "${shutdownTimeout}"\n`);
    return 2;
  }
  let initial: LoadResult;
  try {
    initial = load(paths);
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (!initial.config) {
    process.stderr.write(`not starting: ${initial.problems.length} config problem${initial.problems.length === 1 ? '' : 's'}\n`);
    return 1;
  }
  const config = initial.config;
  const logOut = new LogOutput(config.service.telemetry.logs.level);
  const logger = createLogger(logOut);
  const telemetry = new SelfTelemetry(config.service.telemetry.metrics.level !== 'none', logger);
  const service = new Service(logger, telemetry);
  // Every module is loaded and the config is in: what is left of starting
  // (components, listeners) allocates little.
  startupDone();

  try {
    await service.start(config);
  } catch (err) {
    logger.error('failed to start', { error: err instanceof Error ? err.message : String(err) });
    await service.shutdown(Date.now() + deadlineMs);
    return 1;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn('second signal: exiting without finishing the drain', { signal });
        resolve(1);
        process.exit(1);
      }
      stopping = true;
      logger.info('received signal, draining', { signal });
      service.shutdown(Date.now() + deadlineMs).then(
        () => {
          logger.info('stopped');
          cleanup();
          resolve(0);
        },
        (err) => {
          logger.error('shutdown failed', { error: err instanceof Error ? err.message : String(err) });
          cleanup();
          resolve(1);
        },
      );
    };
    const reload = (): void => {
      if (stopping) return;
      logger.info('received SIGHUP, reloading config', { files: paths.length ? paths : ['<embedded default>'] });
      let next: LoadResult;
      try {
        next = load(paths);
      } catch (err) {
        logger.error('config not reloaded', { error: err instanceof Error ? err.message : String(err) });
        return;
      }
      if (!next.config) {
        for (const p of next.problems) logger.error('config not reloaded', { problem: formatProblem(p) });
        return;
      }
      logOut.level = next.config.service.telemetry.logs.level;
      service.reload(next.config, deadlineMs).catch((err) => logger.error('config not reloaded', { error: err instanceof Error ? err.message : String(err) }));
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', reload);
    const cleanup = (): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGHUP', reload);
    };
  });
}
