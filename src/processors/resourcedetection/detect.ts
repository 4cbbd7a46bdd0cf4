/**
 * Runs the configured detectors in order and merges what they found: for a
 * key found by several, the earliest detector in the list wins (as in the Go
 * collector). A detector that does not finish within the timeout is skipped
 * with a warning; one that fails (a malformed OTEL_RESOURCE_ATTRIBUTES)
 * fails the whole detection, so the daemon refuses to start.
 */
import type { Attributes } from '../../model/common';
import type { Logger } from '../../telemetry/logger';
import type { Detector, DetectorContext } from './context';
import { containerDetector } from './container';
import { envDetector } from './env';
import { k8sDetector } from './k8s';
import { systemDetector, type SystemConfig } from './system';

export const DETECTOR_NAMES = ['env', 'system', 'container', 'k8s'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

export const DETECTORS: Record<DetectorName, Detector<any>> = {
  env: envDetector,
  system: systemDetector,
  container: containerDetector,
  k8s: k8sDetector,
};

export interface DetectionConfig {
  detectors: DetectorName[];
  timeout: number;
  system: SystemConfig;
}

const TIMED_OUT = Symbol('timed out');

export async function detectResource(
  config: DetectionConfig,
  ctx: DetectorContext,
  logger: Logger,
  detectors: Record<string, Detector<any>> = DETECTORS,
): Promise<Attributes> {
  const merged: Attributes = [];
  const seen = new Set<string>();
  for (const name of config.detectors) {
    const detector = detectors[name];
    const detectorConfig = name === 'system' ? config.system : undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), config.timeout);
    });
    let found: Attributes | typeof TIMED_OUT;
    try {
      found = await Promise.race([detector.detect(ctx, detectorConfig), timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (found === TIMED_OUT) {
      logger.warn('resource detector did not finish in time; skipped', { detector: name, timeout_ms: config.timeout });
      continue;
    }
    for (const kv of found) {
      if (seen.has(kv.key)) continue;
      seen.add(kv.key);
      merged.push(kv);
    }
  }
  return merged;
}
