/**
 * `resourcedetection`: detects where the daemon runs (its own environment,
 * host, container, pod) once at start, and adds those attributes to the
 * resource of everything passing through.
 */
import type { Batch } from '../../model/batch';
import { anyValueToJs, type Attributes, type Resource } from '../../model/common';
import type { Consumer, Processor, ProcessorFactory, ProcessorSettings } from '../../pipeline/component';
import { duration, object } from '../../config/schema';
import { processContext, type DetectorContext } from './context';
import { DETECTOR_NAMES, detectResource, type DetectionConfig } from './detect';
import { SYSTEM_ATTRIBUTES, SYSTEM_DEFAULTS } from './system';

export interface ResourceDetectionConfig extends DetectionConfig {
  override: boolean;
}

export const resourceDetectionProcessorFactory: ProcessorFactory<ResourceDetectionConfig> = {
  kind: 'processor',
  type: 'resourcedetection',
  // The Go collector's newer spelling of the same component.
  aliases: ['resource_detection'],
  description: "Adds the daemon's own environment, host, container and pod attributes to every resource.",
  stability: { metrics: 'beta', logs: 'beta', traces: 'beta' },
  mutatesData: true,
  schema: object({
    detectors: {
      type: 'array',
      items: { type: 'string', enum: [...DETECTOR_NAMES] },
      uniqueItems: true,
      default: ['env'],
      description: 'Detectors to run, in order; for a key found by several, the first wins.',
    },
    override: { type: 'boolean', default: true, description: 'Detected values replace attributes the data already has (false: keep them).' },
    timeout: duration('5s', 'Longest one detector may take; a slower one is skipped with a warning.'),
    system: object({
      hostname_sources: {
        type: 'array',
        items: { type: 'string', enum: ['os', 'dns'] },
        minItems: 1,
        uniqueItems: true,
        default: ['os'],
        description: 'Where host.name comes from, first that answers: "os" (the kernel hostname) or "dns" (the FQDN).',
      },
      resource_attributes: object(
        Object.fromEntries(SYSTEM_ATTRIBUTES.map((a) => [a, object({ enabled: { type: 'boolean', default: SYSTEM_DEFAULTS[a] } })])),
      ),
    }),
  }),
  validate(config) {
    return config.timeout > 0 ? [] : [{ path: 'timeout', message: 'must be more than 0, so a hung detector cannot hold up the start' }];
  },
  create(config, settings, next) {
    return createResourceDetection(config, settings, next, processContext());
  },
};

/** The processor, looking at `ctx` instead of the daemon's own process (tests inject one). */
export function createResourceDetection(config: ResourceDetectionConfig, settings: ProcessorSettings, next: Consumer, ctx: DetectorContext): Processor {
  let detected: Attributes = [];
  return {
    async start() {
      detected = await detectResource(config, ctx, settings.logger);
      settings.logger.info('resource detected', {
        detectors: config.detectors,
        attributes: Object.fromEntries(detected.map((kv) => [kv.key, anyValueToJs(kv.value)])),
      });
    },
    consume(batch: Batch) {
      if (detected.length > 0) addToBatch(batch, detected, config.override);
      return next.consume(batch);
    },
    async shutdown() {},
  };
}

function addToBatch(batch: Batch, detected: Attributes, override: boolean): void {
  switch (batch.signal) {
    case 'metrics':
      for (const r of batch.resourceMetrics) addToResource(r.resource, detected, override);
      break;
    case 'logs':
      for (const r of batch.resourceLogs) addToResource(r.resource, detected, override);
      break;
    case 'traces':
      for (const r of batch.resourceSpans) addToResource(r.resource, detected, override);
      break;
  }
}

/** Adds each detected attribute; an existing key is replaced when `override`, kept otherwise. */
export function addToResource(resource: Resource, detected: Attributes, override: boolean): void {
  const attrs = resource.attributes;
  for (const d of detected) {
    let i = 0;
    while (i < attrs.length && attrs[i].key !== d.key) i++;
    // AnyValues are immutable and safe to share; KeyValues are not, so each resource gets its own.
    if (i === attrs.length) attrs.push({ key: d.key, value: d.value });
    else if (override) attrs[i] = { key: d.key, value: d.value };
  }
}
