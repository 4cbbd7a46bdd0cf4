/**
 * The component contract (DESIGN.md): a factory is plain data plus one
 * `create` function; what it creates has `start` and `shutdown`, and
 * processors and exporters also `consume`.
 */
import type { Meter } from '@opentelemetry/api';
import type { Batch, Signal } from '../model/batch';
import type { Logger } from '../telemetry/logger';

export type Stability = 'development' | 'alpha' | 'beta' | 'stable' | 'deprecated';
export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'extension';

/**
 * Takes ownership of a batch. The promise settles when the next hop has
 * accepted it (so backpressure reaches the client) and rejects with a
 * PipelineError saying whether a retry could help.
 */
export interface Consumer {
  consume(batch: Batch): Promise<void>;
  /**
   * Set by the graph on the consumers it hands receivers: nothing downstream
   * looks inside the data, so a receiver may pass resources on in their wire
   * form (model/wire.ts) instead of decoding them.
   */
  readonly takesWire?: boolean;
}

export interface Lifecycle {
  start(): Promise<void>;
  /**
   * Stops within `deadline` (epoch ms): stop taking work, finish or flush what
   * is in flight, release resources. Must work when start never ran, and
   * when called twice.
   */
  shutdown(deadline: number): Promise<void>;
}

export type Receiver = Lifecycle;
export type Processor = Lifecycle &
  Consumer & {
    /**
     * Shutdown has begun and receivers are finishing their in-flight
     * requests: send on whatever is held and stop holding new data, so those
     * requests can complete. `shutdown` follows once the receivers are done.
     */
    drain?(): void;
  };
export type Exporter = Lifecycle & Consumer;
export type Extension = Lifecycle;

/** What every component is given besides its config. */
export interface ComponentSettings {
  /** `type[/name]` as written in the config, e.g. `otlp/claude`. */
  id: string;
  kind: ComponentKind;
  logger: Logger;
  /** The daemon's own meter (self-telemetry). */
  meter: Meter;
}

export interface ProcessorSettings extends ComponentSettings {
  /** The signal of the pipeline this instance belongs to. */
  signal: Signal;
  /** The pipeline id, e.g. `metrics/claude`. */
  pipeline: string;
}

/** What the service tells extensions about the whole daemon. */
export interface Host {
  /** true after every component started, false again while draining. */
  isReady(): boolean;
}

interface FactoryBase {
  /** lower_snake_case type name used in the config. */
  readonly type: string;
  /** Older names accepted for the same component (e.g. `logging` for `debug`). */
  readonly aliases?: readonly string[];
  readonly description: string;
  /** JSON Schema of the config; the source of truth for defaults. */
  readonly schema: JsonSchema;
  /**
   * Checks that need more than one key (the schema covers the rest), run on
   * the config after defaults. Paths are relative to the component's config.
   */
  validate?(config: any): Array<{ path: string; message: string }>;
}

export interface ReceiverFactory<C = any> extends FactoryBase {
  readonly kind: 'receiver';
  readonly stability: Partial<Record<Signal, Stability>>;
  create(config: C, settings: ComponentSettings, next: Partial<Record<Signal, Consumer>>): Receiver;
}

export interface ProcessorFactory<C = any> extends FactoryBase {
  readonly kind: 'processor';
  readonly stability: Partial<Record<Signal, Stability>>;
  /** Whether `consume` changes the batch it is given; fan-out copies for those. */
  readonly mutatesData: boolean;
  /** Whether it hands batches on without looking inside the resources (counting items is fine). */
  readonly passesWire?: boolean;
  create(config: C, settings: ProcessorSettings, next: Consumer): Processor;
}

export interface ExporterFactory<C = any> extends FactoryBase {
  readonly kind: 'exporter';
  readonly stability: Partial<Record<Signal, Stability>>;
  readonly mutatesData: boolean;
  /**
   * The exporter queues, so its `consume` resolving means "accepted", not
   * "delivered": it counts `otel_pipeline_exporter_sent_*` and drops itself
   * and the service does not count for it.
   */
  readonly reportsDelivery?: boolean;
  /**
   * Whether, with this config, it only counts and encodes resources to OTLP
   * protobuf, so resources still in their wire form are copied out as they came.
   */
  takesWire?(config: C): boolean;
  create(config: C, settings: ComponentSettings): Exporter;
}

export interface ExtensionFactory<C = any> extends FactoryBase {
  readonly kind: 'extension';
  readonly stability: Stability;
  create(config: C, settings: ComponentSettings, host: Host): Extension;
}

export type Factory = ReceiverFactory | ProcessorFactory | ExporterFactory | ExtensionFactory;

/** A JSON Schema object (draft 2020-12 subset that ajv understands), plus our keywords. */
export type JsonSchema = Record<string, unknown>;

/** Signals a factory supports. */
export function factorySignals(f: Factory): Signal[] {
  if (f.kind === 'extension') return [];
  return Object.keys(f.stability) as Signal[];
}
