/** The logging surface the market code needs (a pino Logger satisfies it): static message, metadata object. */
export interface MarketLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export const silentLogger: MarketLogger = {
  info: () => {},
  warn: () => {},
};

/**
 * Collects bad input of one run per kind, so each kind is logged once with a count and a first example
 * instead of once per record.
 */
export class ProblemLog {
  private readonly kinds = new Map<string, { count: number; example: Record<string, unknown> }>();

  note(kind: string, example: Record<string, unknown>): void {
    const k = this.kinds.get(kind);
    if (k) k.count++;
    else this.kinds.set(kind, { count: 1, example });
  }

  count(kind?: string): number {
    if (kind) return this.kinds.get(kind)?.count ?? 0;
    let n = 0;
    for (const k of this.kinds.values()) n += k.count;
    return n;
  }

  flush(log: MarketLogger, context: Record<string, unknown>, msg: string): void {
    for (const [kind, { count, example }] of this.kinds) log.warn({ ...context, kind, count, example }, msg);
    this.kinds.clear();
  }
}
