/**
 * Synthetic spot price files of any size, written in chunks (never one big string), for the import tests and
 * the bench: `pools` pools of real us-east-1 types, one point per pool every 5 minutes from 2021-03-01, prices
 * near each type's order of magnitude. `bad` replaces the record with that 0-based index by a broken one.
 */
import { closeSync, openSync, writeSync } from "node:fs";

export const SYNTH_T0 = Date.parse("2021-03-01T00:00:00Z");
const TYPES = ["m5.large", "c5.xlarge", "r5.2xlarge", "m5.4xlarge", "c5.9xlarge", "p3.2xlarge", "g4dn.xlarge"];
const BASE = [0.035, 0.068, 0.18, 0.28, 0.55, 0.92, 0.16];
const AZS = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"];

export interface SynthRecord {
  az: string;
  instanceType: string;
  ts: number;
  price: string;
}

export function synthRecord(i: number, pools: number): SynthRecord {
  const p = i % pools;
  const t = p % TYPES.length;
  const az = AZS[Math.floor(p / TYPES.length) % AZS.length];
  // more pools than types × AZs: further pools are numbered generations of the type
  const gen = Math.floor(p / (TYPES.length * AZS.length));
  const instanceType = gen === 0 ? TYPES[t] : TYPES[t].replace(/^([a-z]+)(\d)/, (_, f, d) => `${f}${Number(d) + gen}`);
  const step = Math.floor(i / pools);
  const price = (BASE[t] * (1 + 0.2 * Math.sin(step / 17 + p))).toFixed(6);
  return { az, instanceType, ts: SYNTH_T0 + step * 300_000, price };
}

function writeChunked(path: string, n: number, head: string, line: (i: number) => string, tail: string): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, head);
    let buf = "";
    for (let i = 0; i < n; i++) {
      buf += line(i);
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = "";
      }
    }
    writeSync(fd, buf + tail);
  } finally {
    closeSync(fd);
  }
}

const iso = (ts: number): string => new Date(ts).toISOString().replace(".000Z", "Z");

/** The bundled-data CSV; line of record i is i + 2. */
export function writeSynthCsv(
  path: string,
  rows: number,
  opts: { pools?: number; bad?: Map<number, string> } = {},
): void {
  const pools = opts.pools ?? 500;
  writeChunked(
    path,
    rows,
    "timestamp,region,az,instance_type,product,price_usd_per_hour\n",
    (i) => {
      const bad = opts.bad?.get(i);
      if (bad !== undefined) return `${bad}\n`;
      const r = synthRecord(i, pools);
      return `${iso(r.ts)},us-east-1,${r.az},${r.instanceType},Linux/UNIX,${r.price}\n`;
    },
    "",
  );
}

/**
 * `aws ec2 describe-spot-price-history` output (AWS CLI v2 layout, 4-space indent, newest first); record i
 * starts on line 3 + 7i and its SpotPrice is on line 7 + 7i. `bad` maps i to the SpotPrice value to write.
 */
export function writeSynthAwsJson(
  path: string,
  records: number,
  opts: { pools?: number; bad?: Map<number, string> } = {},
): void {
  const pools = opts.pools ?? 500;
  writeChunked(
    path,
    records,
    '{\n    "SpotPriceHistory": [\n',
    (i) => {
      const r = synthRecord(records - 1 - i, pools);
      const price = opts.bad?.get(i) ?? r.price;
      return (
        `        {\n            "AvailabilityZone": "${r.az}",\n            "InstanceType": "${r.instanceType}",\n` +
        `            "ProductDescription": "Linux/UNIX",\n            "SpotPrice": ${JSON.stringify(price)},\n` +
        `            "Timestamp": "${new Date(r.ts).toISOString().replace(".000Z", "+00:00")}"\n        }${i < records - 1 ? "," : ""}\n`
      );
    },
    "    ]\n}\n",
  );
}
