/**
 * The daemon's own metrics: a `Meter` (the OpenTelemetry API's interface,
 * which every component is given) that keeps cumulative values in memory
 * and renders them in the Prometheus text format.
 *
 * It replaces the OpenTelemetry JS SDK with its Prometheus exporter, which
 * cost an idle daemon about 6 MiB of resident memory for a few dozen
 * instruments. The exposition is the one that exporter wrote with
 * `withoutScopeInfo` (a test renders the same instruments through both):
 * `target_info` first, then each instrument in creation order; counters get
 * `_total`; a `# UNIT` line when there is a unit; instruments with no series
 * yet are left out; every series, once seen, stays with its last value.
 * Instruments created twice with the same name, kind and unit share their
 * series (the longer description wins), as the SDK does.
 */
import type {
  Attributes,
  BatchObservableCallback,
  BatchObservableResult,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MetricOptions,
  Observable,
  ObservableCallback,
  ObservableCounter,
  ObservableGauge,
  ObservableResult,
  ObservableUpDownCounter,
  UpDownCounter,
} from '@opentelemetry/api';

type Kind = 'counter' | 'updowncounter' | 'gauge' | 'histogram' | 'observablecounter' | 'observableupdowncounter' | 'observablegauge';

/** The SDK's default explicit bucket boundaries. */
const DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
/** How long a scrape waits for an asynchronous observable callback. */
const CALLBACK_TIMEOUT_MS = 5000;
/** `ValueType.INT` of the API (a runtime import of the enum would load the whole API package). */
const VALUE_TYPE_INT = 0;

interface Series {
  attributes: Attributes;
  value: number;
  /** Histograms only. */
  hist?: { count: number; sum: number; counts: number[] };
}

/** The series of one instrument name (shared by compatible instruments of that name). */
class Stream {
  readonly series = new Map<string, Series>();
  readonly callbacks: ObservableCallback[] = [];
  readonly boundaries: number[];

  constructor(
    readonly name: string,
    readonly kind: Kind,
    readonly unit: string,
    public description: string,
    readonly integer: boolean,
    boundaries: number[] | undefined,
  ) {
    this.boundaries = boundaries ?? DEFAULT_BOUNDARIES;
  }

  /** Adds to (sums) or sets (gauges, observed values) the series of `attributes`. */
  record(value: unknown, attributes: Attributes | undefined, add: boolean): void {
    if (typeof value !== 'number') return;
    if (this.integer && !Number.isInteger(value)) {
      value = Math.trunc(value);
      if (!Number.isInteger(value)) return;
    }
    const attrs = attributes ?? {};
    const key = seriesKey(attrs);
    let s = this.series.get(key);
    if (!s) {
      s = { attributes: { ...attrs }, value: 0 };
      if (this.kind === 'histogram') s.hist = { count: 0, sum: 0, counts: new Array<number>(this.boundaries.length + 1).fill(0) };
      this.series.set(key, s);
    }
    if (s.hist) {
      const v = value as number;
      if (Number.isNaN(v)) return;
      s.hist.count++;
      s.hist.sum += v;
      let i = 0;
      while (i < this.boundaries.length && v > this.boundaries[i]) i++;
      s.hist.counts[i]++;
    } else if (add) s.value += value as number;
    else s.value = value as number;
  }
}

/** Attribute sets are the same series whatever their key order. */
function seriesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  keys.sort();
  return JSON.stringify(keys.map((k) => [k, attributes[k]]));
}

export class MetricRegistry implements Meter {
  private readonly streams = new Map<string, Stream[]>();
  private readonly observables = new WeakMap<object, Stream>();
  private readonly batchCallbacks: Array<{ callback: BatchObservableCallback; observables: Observable[] }> = [];

  /**
   * @param resource rendered as the labels of `target_info`.
   * @param onCallbackError told once per callback that throws or rejects (the scrape goes on; its series keep their last values).
   */
  constructor(
    private readonly resource: Attributes,
    private readonly onCallbackError: (name: string, err: unknown) => void = () => undefined,
  ) {}

  createCounter<A extends Attributes = Attributes>(name: string, options?: MetricOptions): Counter<A> {
    const s = this.stream(name, 'counter', options);
    return { add: (value, attributes) => (value < 0 ? undefined : s.record(value, attributes, true)) };
  }

  createUpDownCounter<A extends Attributes = Attributes>(name: string, options?: MetricOptions): UpDownCounter<A> {
    const s = this.stream(name, 'updowncounter', options);
    return { add: (value, attributes) => s.record(value, attributes, true) };
  }

  createGauge<A extends Attributes = Attributes>(name: string, options?: MetricOptions): Gauge<A> {
    const s = this.stream(name, 'gauge', options);
    return { record: (value, attributes) => s.record(value, attributes, false) };
  }

  createHistogram<A extends Attributes = Attributes>(name: string, options?: MetricOptions): Histogram<A> {
    const s = this.stream(name, 'histogram', options);
    return { record: (value, attributes) => (value < 0 ? undefined : s.record(value, attributes, true)) };
  }

  createObservableGauge<A extends Attributes = Attributes>(name: string, options?: MetricOptions): ObservableGauge<A> {
    return this.observable(this.stream(name, 'observablegauge', options));
  }

  createObservableCounter<A extends Attributes = Attributes>(name: string, options?: MetricOptions): ObservableCounter<A> {
    return this.observable(this.stream(name, 'observablecounter', options));
  }

  createObservableUpDownCounter<A extends Attributes = Attributes>(name: string, options?: MetricOptions): ObservableUpDownCounter<A> {
    return this.observable(this.stream(name, 'observableupdowncounter', options));
  }

  addBatchObservableCallback<A extends Attributes = Attributes>(callback: BatchObservableCallback<A>, observables: Observable<A>[]): void {
    if (this.batchCallbacks.some((b) => b.callback === callback && sameMembers(b.observables, observables))) return;
    this.batchCallbacks.push({ callback: callback as BatchObservableCallback, observables: [...observables] as Observable[] });
  }

  removeBatchObservableCallback<A extends Attributes = Attributes>(callback: BatchObservableCallback<A>, observables: Observable<A>[]): void {
    const i = this.batchCallbacks.findIndex((b) => b.callback === callback && sameMembers(b.observables, observables));
    if (i >= 0) this.batchCallbacks.splice(i, 1);
  }

  /** Runs the observable callbacks, then renders every series in the Prometheus text format. */
  async collect(): Promise<string> {
    const pending: Array<Promise<unknown>> = [];
    const run = (name: string, callback: object, fn: () => void | Promise<void>): void => {
      try {
        const r = fn();
        if (r && typeof r.then === 'function') pending.push(withTimeout(r).catch((err) => this.callbackFailed(callback, name, err)));
      } catch (err) {
        this.callbackFailed(callback, name, err);
      }
    };
    for (const list of this.streams.values()) {
      for (const s of list) {
        for (const cb of [...s.callbacks]) run(s.name, cb, () => cb({ observe: (value, attributes) => s.record(value, attributes, false) } as ObservableResult));
      }
    }
    for (const b of [...this.batchCallbacks]) {
      const allowed = new Set(b.observables);
      const result: BatchObservableResult = {
        observe: (observable, value, attributes) => {
          const s = allowed.has(observable) ? this.observables.get(observable) : undefined;
          s?.record(value, attributes, false);
        },
      };
      run(b.observables.map((o) => this.observables.get(o)?.name).join(','), b.callback, () => b.callback(result));
    }
    await Promise.all(pending);
    return this.render();
  }

  private readonly failedCallbacks = new WeakSet<object>();
  private callbackFailed(fn: object, name: string, err: unknown): void {
    if (this.failedCallbacks.has(fn)) return;
    this.failedCallbacks.add(fn);
    this.onCallbackError(name, err);
  }

  private render(): string {
    let out = `# HELP target_info Target metadata\n# TYPE target_info gauge\n${sample('target_info', this.resource, 1)}`;
    for (const list of this.streams.values()) {
      for (const s of list) {
        if (s.series.size > 0) out += renderStream(s);
      }
    }
    return out;
  }

  private stream(name: string, kind: Kind, options: MetricOptions | undefined): Stream {
    const unit = options?.unit ?? '';
    const description = options?.description ?? '';
    const integer = options?.valueType === VALUE_TYPE_INT;
    let list = this.streams.get(name);
    if (!list) this.streams.set(name, (list = []));
    const same = list.find((s) => s.kind === kind && s.unit === unit && s.integer === integer);
    if (same) {
      if (description.length > same.description.length) same.description = description;
      return same;
    }
    const s = new Stream(name, kind, unit, description, integer, options?.advice?.explicitBucketBoundaries);
    list.push(s);
    return s;
  }

  private observable(s: Stream): ObservableGauge & ObservableCounter & ObservableUpDownCounter {
    const o = {
      addCallback: (cb: ObservableCallback) => {
        if (!s.callbacks.includes(cb)) s.callbacks.push(cb);
      },
      removeCallback: (cb: ObservableCallback) => {
        const i = s.callbacks.indexOf(cb);
        if (i >= 0) s.callbacks.splice(i, 1);
      },
    };
    this.observables.set(o, s);
    return o;
  }
}

function sameMembers(a: readonly object[], b: readonly object[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function withTimeout(p: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`callback did not settle within ${CALLBACK_TIMEOUT_MS} ms`)), CALLBACK_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function renderStream(s: Stream): string {
  let name = metricName(s.name);
  if (name === '' || name === '_') return '';
  const monotonic = s.kind === 'counter' || s.kind === 'observablecounter';
  if (monotonic && !name.endsWith('_total')) name += '_total';
  const type = s.kind === 'histogram' ? 'histogram' : monotonic ? 'counter' : 'gauge';
  let out = `# HELP ${name} ${escape(s.description || 'description missing')}\n`;
  if (s.unit) out += `# UNIT ${name} ${escape(s.unit)}\n`;
  out += `# TYPE ${name} ${type}\n`;
  for (const series of s.series.values()) {
    if (!series.hist) {
      out += sample(name, series.attributes, series.value);
      continue;
    }
    out += sample(`${name}_count`, series.attributes, series.hist.count);
    out += sample(`${name}_sum`, series.attributes, series.hist.sum);
    let cumulative = 0;
    series.hist.counts.forEach((c, i) => {
      cumulative += c;
      const le = i < s.boundaries.length ? String(s.boundaries[i]) : '+Inf';
      out += sample(`${name}_bucket`, series.attributes, cumulative, le);
    });
  }
  return out;
}

function sample(name: string, attributes: Attributes, value: number, le?: string): string {
  let labels = '';
  for (const [k, v] of Object.entries(attributes)) labels += `${labels ? ',' : ''}${labelName(k)}="${labelValue(v)}"`;
  if (le !== undefined) labels += `${labels ? ',' : ''}le="${le}"`;
  const v = value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);
  return `${labels ? `${name}{${labels}}` : name} ${v}\n`;
}

function escape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Characters OpenTelemetry allows in names but Prometheus does not become `_`. */
function labelName(s: string): string {
  return s.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
}

function metricName(s: string): string {
  const name = labelName(escape(s));
  return name[0] >= '0' && name[0] <= '9' ? `_${name}` : name;
}

function labelValue(v: unknown): string {
  const s = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return escape(s).replace(/"/g, '\\"');
}
