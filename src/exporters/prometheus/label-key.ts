/**
 * Finding a point's series: its rendered label set (`{a="1",b="2"}`, sorted
 * by name) identifies it, and is hashed and compared per point with as
 * little work as possible (series-index.ts says why it is not built).
 *
 * The general way (appendAttributeLabels, sort, renderLabels) allocates a
 * label pair per attribute, sorts, and re-renders the scope's labels for
 * every point: about half of the exporter's time at 300,000 points/s. But
 * consecutive points nearly always have the same attribute keys in the same
 * order, and then everything except the values is the same: which
 * attributes become labels, under which names, in which sorted position
 * between the scope's labels. A KeyPlan works that out once per shape and
 * leaves per point only the values to hash and compare. Shapes the plan does
 * not cover (keys that collide after sanitising) take the general way; both
 * give exactly the same string.
 */
import { anyValueToString, type AnyValue, type Attributes } from '../../model/common';
import { appendAttributeLabels, escapeLabelValue, renderLabels, sanitizeLabelKey, type Label } from './naming';
import { HASH_BASE, hashPower, hashText, slot, type SeriesIndex } from './series-index';
import type { Series } from './state';
import { flatString } from '../../util/flat-string';

/** Plans kept per scope: more attribute shapes than this in one scope just cost a plan rebuild now and then. */
const MAX_PLANS = 16;

/**
 * The labels every series of one resource and scope shares, and plans for
 * the attribute shapes seen with them. The store keeps these between
 * requests; a series is stored under a plan (which holds the text around
 * its values), so the next point of the same shape compares only values.
 */
export class ScopeLabels {
  private readonly plans: KeyPlan[] = [];
  private last: KeyPlan | undefined;
  /** After a `find` that missed: the rendered labels (general way only), hash slot and plan of the series to create. */
  private missKey: string | undefined;
  missSlot = 0;
  missPlan: KeyPlan | undefined;

  constructor(
    readonly labels: readonly Label[],
    private readonly reserved: ReadonlySet<string>,
  ) {}

  private planFor(attrs: Attributes): KeyPlan {
    const last = this.last;
    if (last !== undefined && last.fits(attrs)) return last;
    for (const p of this.plans) if (p.fits(attrs)) return (this.last = p);
    if (this.plans.length >= MAX_PLANS) this.plans.shift();
    const plan = new KeyPlan(this.labels, attrs, this.reserved);
    this.plans.push(plan);
    return (this.last = plan);
  }

  /** The series of a point with these attributes, or undefined (then `missingLabels`, `missSlot` and `missPlan` describe it). */
  find(index: SeriesIndex, attrs: Attributes): Series | undefined {
    const plan = this.planFor(attrs);
    if (plan.pieces === undefined) {
      const key = generalKey(this.labels, attrs, this.reserved);
      const h = slot(hashText(0, key));
      for (let s = index.first(h); s !== undefined; s = s.next) if (fullLabels(s) === key) return s;
      this.missKey = key;
      this.missSlot = h;
      this.missPlan = undefined;
      return undefined;
    }
    const h = slot(plan.hash(attrs));
    for (let s = index.first(h); s !== undefined; s = s.next) {
      const form = s.plan;
      if (form === plan) {
        if (plan.sameValues(s.labels)) return s;
      } else if (form !== undefined && plan.samePieces(form)) {
        // Another plan of the same shape (rebuilt, or the keys in another order): same form, so it can take over.
        if (plan.sameValues(s.labels)) {
          s.plan = plan;
          return s;
        }
      } else if (plan.matches(fullLabels(s))) return s;
    }
    this.missKey = undefined;
    this.missSlot = h;
    this.missPlan = plan;
    return undefined;
  }

  /**
   * What the series the last `find` missed stores as its labels: under
   * `missPlan`, only its values (see KeyPlan.own); without one, its whole
   * rendered label set.
   */
  missingLabels(): string {
    return this.missKey ?? this.last!.own();
  }

  /** The rendered, sorted label set of a point with these attributes. */
  key(attrs: Attributes): string {
    const plan = this.planFor(attrs);
    if (plan.pieces === undefined) return generalKey(this.labels, attrs, this.reserved);
    plan.hash(attrs);
    return plan.render();
  }
}

function byName(a: Label, b: Label): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * A series' whole rendered label set. A series made through a plan stores
 * only its values, and the plan (`s.plan`, its form) holds the text around
 * them: 100,000 series of one shape then share one copy of their constant
 * labels, where each used to hold all ~170 characters.
 */
export function fullLabels(s: Series): string {
  const form = s.plan;
  return form === undefined ? s.labels : form.fill(s.labels);
}

/** The general way, for any attributes. */
export function generalKey(scope: readonly Label[], attrs: Attributes, reserved: ReadonlySet<string>): string {
  const labels = scope.slice();
  appendAttributeLabels(labels, attrs, reserved);
  labels.sort(byName);
  return renderLabels(labels);
}

/** Whether `text` occurs in `s` at `pos` (compared in place; `startsWith` with a position was slower). */
function textAt(s: string, pos: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (s.charCodeAt(pos + i) !== text.charCodeAt(i)) return false;
  return true;
}

function valueText(v: AnyValue): string {
  return v.kind === 'string' ? v.value : anyValueToString(v);
}

/**
 * For one attribute shape (keys in order): the constant text around each
 * value, and which attribute each value comes from, so that the label set
 * is `pieces[0] + value(order[0]) + pieces[1] + ... + pieces[n]`. The
 * pieces' hashes are computed once, so hashing a point's label set costs
 * only its values' characters.
 */
export class KeyPlan {
  private readonly keys: string[];
  /** undefined when the shape needs the general way (keys colliding after sanitising). */
  readonly pieces: string[] | undefined;
  private readonly order: number[] = [];
  private readonly pieceHash: number[] = [];
  private readonly piecePower: number[] = [];
  /** The escaped values of the last point hashed (scratch, reused), and the length of its label set. */
  private readonly values: string[] = [];
  private length = 0;
  /** The length of `own()` for the point last hashed. */
  private ownLength = 0;
  private readonly piecesLength: number = 0;
  /** The pieces as UTF-8, and their total size (see exposition.ts). */
  readonly joints: Buffer[] = [];
  readonly jointsBytes: number = 0;
  /** By sample name: the name and the first piece, as UTF-8. */
  private readonly heads = new Map<string, Buffer>();

  constructor(scope: readonly Label[], attrs: Attributes, reserved: ReadonlySet<string>) {
    this.keys = attrs.map((kv) => kv.key);
    // The same pairs, in the same order, as the general way sorts; an
    // attribute's value is replaced by its index.
    const entries: Array<[string, string | number]> = scope.map((l) => [l[0], l[1]]);
    const seen = new Set<string>();
    for (let i = 0; i < attrs.length; i++) {
      const name = sanitizeLabelKey(attrs[i].key);
      if (reserved.has(name)) continue;
      if (seen.has(name)) {
        this.pieces = undefined;
        return;
      }
      seen.add(name);
      entries.push([name, i]);
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const pieces: string[] = [];
    let text = '';
    for (let i = 0; i < entries.length; i++) {
      const [name, value] = entries[i];
      text += (i === 0 ? '{' : ',') + name + '="';
      if (typeof value === 'number') {
        pieces.push(text);
        this.order.push(value);
        this.values.push('');
        text = '"';
      } else text += escapeLabelValue(value) + '"';
    }
    pieces.push(entries.length === 0 ? '' : text + '}');
    for (let i = 0; i < pieces.length; i++) {
      const p = (pieces[i] = flatString(pieces[i]));
      this.pieceHash.push(hashText(0, p));
      this.piecePower.push(hashPower(p.length));
      this.piecesLength += p.length;
    }
    this.pieces = pieces;
    // What the exposition copies around a series' values.
    this.joints = pieces.map((p) => Buffer.from(p));
    for (const j of this.joints) this.jointsBytes += j.length;
  }

  fits(attrs: Attributes): boolean {
    const keys = this.keys;
    if (attrs.length !== keys.length) return false;
    for (let i = 0; i < keys.length; i++) if (attrs[i].key !== keys[i]) return false;
    return true;
  }

  /** hashText(0, label set) for these attributes; keeps their escaped values for `matches` and `render`. */
  hash(attrs: Attributes): number {
    const order = this.order;
    const values = this.values;
    const pieceHash = this.pieceHash;
    const piecePower = this.piecePower;
    let h = 0;
    let length = this.piecesLength;
    for (let i = 0; i < order.length; i++) {
      h = (Math.imul(h, piecePower[i]) + pieceHash[i]) | 0;
      const v = valueText(attrs[order[i]].value);
      let hv = h;
      let j = 0;
      for (; j < v.length; j++) {
        const c = v.charCodeAt(j);
        if (c === 0x5c || c === 0x22 || c === 0x0a) break; // needs escaping: hash the escaped text instead
        hv = (Math.imul(hv, HASH_BASE) + c) | 0;
      }
      if (j === v.length) values[i] = v;
      else hv = hashText(h, (values[i] = escapeLabelValue(v)));
      h = hv;
      length += values[i].length;
    }
    this.length = length;
    this.ownLength = length - this.piecesLength + order.length;
    const last = order.length;
    return (Math.imul(h, piecePower[last]) + pieceHash[last]) | 0;
  }

  /** Whether `labels` is the label set of the point last hashed, compared in place. */
  matches(labels: string): boolean {
    const pieces = this.pieces!;
    const values = this.values;
    if (labels.length !== this.length) return false;
    let pos = 0;
    for (let i = 0; i < values.length; i++) {
      if (!textAt(labels, pos, pieces[i])) return false;
      pos += pieces[i].length;
      if (!textAt(labels, pos, values[i])) return false;
      pos += values[i].length;
    }
    return textAt(labels, pos, pieces[values.length]);
  }

  /**
   * Whether `own` (what `own()` gave for some point of this plan's shape)
   * holds the values of the point last hashed. Each value is followed by a
   * newline, which an escaped value never holds (it has `\n` instead), so a
   * value of another length cannot pass for this one.
   */
  sameValues(own: string): boolean {
    if (own.length !== this.ownLength) return false;
    const values = this.values;
    let pos = 0;
    for (let i = 0; i < values.length; i++) {
      if (!textAt(own, pos, values[i])) return false;
      pos += values[i].length;
      if (own.charCodeAt(pos++) !== 0x0a) return false;
    }
    return true;
  }

  /** Whether another plan renders the same text around its values (then their `own` strings are interchangeable). */
  samePieces(other: KeyPlan): boolean {
    const a = this.pieces!;
    const b = other.pieces;
    if (b === undefined || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /**
   * The escaped values of the point last hashed, each followed by a newline
   * (which marks where it ends): all a series made through this plan stores.
   */
  own(): string {
    const values = this.values;
    let s = '';
    for (let i = 0; i < values.length; i++) s += values[i] + '\n';
    return s;
  }

  /** A sample name followed by the first piece, as UTF-8: how the exposition starts each of this plan's samples. */
  headed(name: string): Buffer {
    let head = this.heads.get(name);
    if (head === undefined) this.heads.set(name, (head = Buffer.from(name + this.pieces![0])));
    return head;
  }

  /** The whole label set of a series that stores `own` under this plan. */
  fill(own: string): string {
    const pieces = this.pieces!;
    let s = pieces[0];
    let pos = 0;
    for (let i = 1; i < pieces.length; i++) {
      const end = own.indexOf('\n', pos);
      s += own.slice(pos, end) + pieces[i];
      pos = end + 1;
    }
    return s;
  }

  /** The label set of the point last hashed. */
  render(): string {
    const pieces = this.pieces!;
    const values = this.values;
    let s = pieces[0];
    for (let i = 0; i < values.length; i++) s += values[i] + pieces[i + 1];
    return s;
  }
}
