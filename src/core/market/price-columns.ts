/**
 * The records of one price file held compactly while the file is checked, before anything is written: per pool
 * three typed columns (time, price, line), 20 bytes a record whatever the length of its line, instead of an
 * object per record (~150 bytes) or the file's text. At the end each pool is sorted by time once (usually a
 * no-op: the data files and AWS's output are already in time order, forward or backward), exact repeats are
 * dropped and a contradiction (same pool and time, another price) is refused naming both lines.
 *
 * Why not stream straight into the store: a bad line deep in the file must leave nothing of that file stored,
 * and a staging area in Redis would need a multi-key commit that cannot be atomic without blocking Redis for
 * the whole merge. Checking everything first keeps the store untouched by a refused file, at 20 bytes a record
 * (a 1,000,000-row CSV holds 20 MB); writing then goes out in batches of one pool at a time.
 */
import type { PriceRecord } from "../types.js";

class PoolColumn {
  ts = new Float64Array(16);
  price = new Float64Array(16);
  line = new Uint32Array(16);
  n = 0;
  constructor(
    readonly region: string,
    readonly az: string,
    readonly instanceType: string,
  ) {}

  add(ts: number, price: number, line: number): void {
    if (this.n === this.ts.length) {
      const grow = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.ts = grow(this.ts, (n) => new Float64Array(n));
      this.price = grow(this.price, (n) => new Float64Array(n));
      this.line = grow(this.line, (n) => new Uint32Array(n));
    }
    this.ts[this.n] = ts;
    this.price[this.n] = price;
    this.line[this.n] = line;
    this.n++;
  }
}

export interface Contradiction {
  line: number;
  earlierLine: number;
  earlierPrice: number;
  price: number;
}

export class PriceColumns {
  private readonly pools = new Map<string, PoolColumn>();
  private finished = false;
  /** Records kept after `finish` (exact repeats dropped). */
  records = 0;
  duplicates = 0;

  /** `key` is the pool's "az/type"; pass the same string object for every record of a pool when you can. */
  add(r: PriceRecord, line: number, key = `${r.az}/${r.instanceType}`): void {
    let col = this.pools.get(key);
    if (!col) {
      col = new PoolColumn(r.region, r.az, r.instanceType);
      this.pools.set(key, col);
    }
    col.add(r.ts, r.price, line);
  }

  get poolCount(): number {
    return this.pools.size;
  }

  /**
   * Sorts each pool by time, drops exact repeats and returns the first contradiction in file order, if any
   * (then nothing should be written).
   */
  finish(): Contradiction | null {
    let first: Contradiction | null = null;
    let total = 0;
    let dups = 0;
    for (const col of this.pools.values()) {
      const order = sortedOrder(col);
      const ts = new Float64Array(col.n);
      const price = new Float64Array(col.n);
      let k = 0;
      for (let j = 0; j < col.n; j++) {
        const i = order[j];
        if (k > 0 && ts[k - 1] === col.ts[i]) {
          const prev = order[j - 1];
          if (price[k - 1] === col.price[i]) {
            dups++;
            continue;
          }
          // same time, another price: the later line contradicts the earlier one
          const [a, b] = col.line[prev] <= col.line[i] ? [prev, i] : [i, prev];
          if (!first || col.line[b] < first.line) {
            first = { line: col.line[b], earlierLine: col.line[a], earlierPrice: col.price[a], price: col.price[b] };
          }
          continue;
        }
        ts[k] = col.ts[i];
        price[k] = col.price[i];
        k++;
      }
      col.ts = ts.subarray(0, k);
      col.price = price.subarray(0, k);
      col.line = new Uint32Array(0);
      col.n = k;
      total += k;
    }
    this.records = total;
    this.duplicates = dups;
    this.finished = true;
    return first;
  }

  /** The kept records in batches of at most `size`, one pool after the other, each pool in time order. */
  *batches(size: number): Generator<PriceRecord[]> {
    if (!this.finished) throw new Error("PriceColumns.batches before finish");
    let batch: PriceRecord[] = [];
    for (const col of this.pools.values()) {
      for (let i = 0; i < col.n; i++) {
        batch.push({
          region: col.region,
          az: col.az,
          instanceType: col.instanceType,
          ts: col.ts[i],
          price: col.price[i],
        });
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }
}

/** Indices of `col` by (time, line); skips the sort when the column is already in order or in reverse order. */
function sortedOrder(col: PoolColumn): Uint32Array {
  const n = col.n;
  const ts = col.ts;
  const order = new Uint32Array(n);
  let asc = true;
  let desc = true;
  for (let i = 1; i < n && (asc || desc); i++) {
    if (ts[i] < ts[i - 1]) asc = false;
    if (ts[i] > ts[i - 1]) desc = false;
  }
  if (asc) {
    for (let i = 0; i < n; i++) order[i] = i;
  } else if (desc) {
    // AWS prints newest first: reversed, equal times stay adjacent, which is all `finish` needs
    for (let i = 0; i < n; i++) order[i] = n - 1 - i;
  } else {
    const line = col.line;
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => ts[a] - ts[b] || line[a] - line[b]);
  }
  return order;
}
