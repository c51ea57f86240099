/**
 * `spotwise prices import FILE...`: loads spot price history from `aws ec2 describe-spot-price-history` JSON
 * or the shared-data CSV into the market store. A broken file is refused whole, with file, line and field;
 * the other files are still imported, and the exit code is 2.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { Redis } from "ioredis";
import { MemoryMarketStore } from "../../adapters/market/memory.js";
import { RedisMarketStore } from "../../adapters/market/redis.js";
import { loadConfig } from "../../config/load.js";
import { errorMessage, isCodedError } from "../../core/errors.js";
import { parsePriceFile } from "../../core/market/import.js";
import type { MarketStore } from "../../core/ports/market-store.js";
import { CliExit, type CliIo } from "../io.js";

const DAY_MS = 24 * 3_600_000;
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

export async function importFiles(files: string[], io: CliIo, store: MarketStore): Promise<{ failed: number }> {
  let failed = 0;
  for (const file of files) {
    const path = resolve(io.cwd, file);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      io.stderr(`spotwise: ${file}: cannot read (${errorMessage(e)})`);
      failed++;
      continue;
    }
    try {
      const parsed = parsePriceFile(text, file);
      let added = 0;
      for (let i = 0; i < parsed.records.length; i += BATCH) {
        added += (await store.appendPrices(parsed.records.slice(i, i + BATCH))).added;
      }
      const pools = new Set(parsed.records.map((r) => `${r.az}/${r.instanceType}`)).size;
      io.stdout(
        `${file}: ${parsed.records.length} records (${parsed.format}) in ${pools} pools, ${added} new; ` +
          `${parsed.duplicates} duplicate rows, ${parsed.otherProducts} non-Linux rows skipped`,
      );
    } catch (e) {
      if (!isCodedError(e, "invalid_input")) throw e;
      io.stderr(`spotwise: ${e.message}`);
      failed++;
    }
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
        const { failed } = await importFiles(files, io, opened.store);
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
