/** ExperimentQueries over in-memory prediction rows (tests and the embedded fakes); same rules as the SQL. */
import {
  type ExperimentQueries,
  type ModelOutcomes,
  type PairedBlock,
  rowBrier,
  rowLogLoss,
  type ScoreBin,
} from "./paired.js";
import type { PredictionRecord } from "./prediction-repository.js";

const known = (r: PredictionRecord) => r.windowStart !== null && (r.outcome === 0 || r.outcome === 1);

export class MemoryExperimentQueries implements ExperimentQueries {
  constructor(private readonly rows: () => readonly PredictionRecord[]) {}

  private of(modelId: string, since = 0): PredictionRecord[] {
    return this.rows().filter((r) => r.modelId === modelId && r.windowStart !== null && r.tickAt >= since);
  }

  async modelOutcomes(modelId: string, since?: number): Promise<ModelOutcomes> {
    const rows = this.of(modelId, since);
    const ticks = rows.map((r) => r.tickAt);
    return {
      labelled: rows.filter(known).length,
      positives: rows.filter((r) => known(r) && r.outcome === 1).length,
      unknown: rows.filter((r) => r.outcome === -1).length,
      pending: rows.filter((r) => r.outcome === null).length,
      firstTickAt: ticks.length ? Math.min(...ticks) : null,
      lastTickAt: ticks.length ? Math.max(...ticks) : null,
    };
  }

  private pairs(a: string, b: string, since?: number): [PredictionRecord, PredictionRecord][] {
    const bs = new Map(
      this.of(b)
        .filter(known)
        .map((r) => [`${r.pool}|${r.tickAt}|${r.horizonMs}`, r]),
    );
    const out: [PredictionRecord, PredictionRecord][] = [];
    for (const ra of this.of(a, since).filter(known)) {
      const rb = bs.get(`${ra.pool}|${ra.tickAt}|${ra.horizonMs}`);
      if (rb) out.push([ra, rb]);
    }
    return out;
  }

  async pairedBlocks(a: string, b: string, since?: number): Promise<PairedBlock[]> {
    const blocks = new Map<string, PairedBlock>();
    for (const [ra, rb] of this.pairs(a, b, since)) {
      const key = `${ra.pool}|${new Date(ra.tickAt).toISOString().slice(0, 10)}`;
      const blk = blocks.get(key) ?? { block: key, n: 0, sumBrier: 0, sumSqBrier: 0, sumLogLoss: 0, sumSqLogLoss: 0 };
      const y = ra.outcome as number;
      const db = rowBrier(rb.probability, y) - rowBrier(ra.probability, y);
      const dl = rowLogLoss(rb.probability, y) - rowLogLoss(ra.probability, y);
      blk.n++;
      blk.sumBrier += db;
      blk.sumSqBrier += db * db;
      blk.sumLogLoss += dl;
      blk.sumSqLogLoss += dl * dl;
      blocks.set(key, blk);
    }
    return [...blocks.values()].sort((x, y) => (x.block < y.block ? -1 : 1));
  }

  async scoreBins(modelId: string, pairedWith: string | null, since?: number): Promise<ScoreBin[]> {
    const rows = pairedWith
      ? this.pairs(modelId, pairedWith, since).map(([r]) => r)
      : this.of(modelId, since).filter(known);
    const bins = new Map<number, ScoreBin>();
    for (const r of rows) {
      const p = Math.round(r.probability * 1e4) / 1e4;
      const b = bins.get(p) ?? { p, pos: 0, neg: 0 };
      if (r.outcome === 1) b.pos++;
      else b.neg++;
      bins.set(p, b);
    }
    return [...bins.values()];
  }
}
