/**
 * `spotwise prices import FILE...`: loads spot price history from `aws ec2 describe-spot-price-history` JSON
 * or the bundled-data CSV into the market store. Each file streams through one pass that checks every record
 * (holding 20 bytes a record, not the text), then goes to the store in batches of one pool at a time. A broken
 * file is refused whole, with file, line and field, before anything of it is written; the other files are
 * still imported, and the exit code is 2. The counts say what the store kept: points older than the retention
 * window (counted back from now) are counted, not stored.
 */
import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { Redis } from "ioredis";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { RedisMarketStore } from "../../adapters/market/redis.js";
import { loadOnDemand } from "../../adapters/tables/index.js";
import { loadConfig } from "../../config/load.js";
import { errorMessage, isCodedError } from "../../core/errors.js";
import { type PriceCeiling, priceCeiling, readPriceStream } from "../../core/market/import.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import { CliExit, type CliIo } from "../io.js";

const DAY_MS = 24 * 3_600_000;
/** Records per store write: one Redis pipeline of a few Lua calls, a few hundred kB on the wire. */
const BATCH = 5_000;

/** The market store of this process (to be replaced by the shared runtime): Redis when REDIS_URL is set. */
export async function openMarketStore(
  env: NodeJS.ProcessEnv,
): Promise<{ store: MarketStore; label: string; persistent: boolean; close(): Promise<void> }> {
  const config = loadConfig(env);
  const retentionMs = config.file.market.retentionDays * DAY_MS;
  const url = config.env.REDIS_URL;
  if (!url) {
    return {
      store: new MemoryMarketStore({ retentionMs }),
      label: "in-process",
      persistent: false,
      close: async () => {},
    };
  }
  const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    throw new CliExit(
      1,
      `spotwise: cannot connect to Redis at REDIS_URL (${errorMessage(e)}); start Redis or unset REDIS_URL`,
    );
  }
  return {
    store: new RedisMarketStore(redis, { prefix: "spotwise:market:", retentionMs }),
    label: "redis",
    persistent: true,
    close: async () => {
      await redis.quit();
    },
  };
}

export interface ImportOptions {
  /** The clock future-dated rows are judged against (default the wall clock). */
  now?: () => number;
  ceiling?: PriceCeiling;
  /** For the counts line only: the store applies its own retention. */
  retentionDays?: number;
}

export async function importFiles(
  files: string[],
  io: CliIo,
  store: MarketStore,
  opts: ImportOptions = {},
): Promise<{ failed: number }> {
  let failed = 0;
  for (const file of files) {
    const path = resolve(io.cwd, file);
    let read: Awaited<ReturnType<typeof readPriceStream>>;
    try {
      read = await readPriceStream(createReadStream(path, { highWaterMark: 1 << 20 }), file, {
        now: (opts.now ?? Date.now)(),
        ceiling: opts.ceiling,
      });
    } catch (e) {
      if (isCodedError(e, "invalid_input")) io.stderr(`spotwise: ${e.message}`);
      else if (e instanceof Error && "code" in e) io.stderr(`spotwise: ${file}: cannot read (${errorMessage(e)})`);
      else throw e;
      failed++;
      continue;
    }
    let added = 0;
    let expired = 0;
    for (const batch of read.columns.batches(BATCH)) {
      const r = await store.appendPrices(batch);
      added += r.added;
      expired += r.expired;
    }
    const total = read.columns.records;
    const unchanged = total - added - expired;
    const retention = opts.retentionDays === undefined ? "retention" : `${opts.retentionDays}-day retention`;
    io.stdout(
      `${file}: ${total} records (${read.format}) in ${read.columns.poolCount} pools: ${added} stored, ` +
        `${unchanged} already stored` +
        (expired > 0 ? `, ${expired} older than the ${retention} not kept (market.retentionDays)` : "") +
        `; ${read.duplicates} duplicate rows, ${read.otherProducts} non-Linux rows skipped`,
    );
  }
  return { failed };
}

export function register(program: Command, io: CliIo): void {
  const prices = program.command("prices").description("Spot price history");
  prices
    .command("import")
    .description("Import spot price history: `aws ec2 describe-spot-price-history` JSON or the CSV of shared data")
    .argument("<files...>", "files to import")
    .action(async (files: string[]) => {
      const opened = await openMarketStore(io.env);
      try {
        const market = loadConfig(io.env).file.market;
        const ceiling = priceCeiling({
          onDemand: await loadOnDemand(),
          multiple: market.maxPriceMultiple,
          absoluteUsd: market.maxPriceUsdPerHour,
        });
        const { failed } = await importFiles(files, io, opened.store, { ceiling, retentionDays: market.retentionDays });
        if (!opened.persistent) {
          io.stdout("note: no REDIS_URL, so the history went to an in-process store and is gone when this exits");
        }
        if (failed > 0)
          throw new CliExit(2, `spotwise: ${failed} of ${files.length} file(s) refused; fix them and run again`);
      } finally {
        await opened.close();
      }
    });
}
