/**
 * Child process of the import bench, so that its peak RSS is the import's alone:
 *   import-child.ts import FILE PREFIX  → `prices import` of FILE into Redis under PREFIX (the CLI's code path)
 *   import-child.ts floor FILE          → the same modules loaded, the file streamed and its lines counted
 * Prints one JSON line: { ms, maxRssMb, out }.
 */
import { createReadStream } from "node:fs";
import { Redis } from "ioredis";
import { RedisMarketStore } from "../src/adapters/market/redis.js";
import { loadOnDemand } from "../src/adapters/tables/index.js";
import { importFiles } from "../src/cli/commands/prices.js";
import { memoryIo } from "../src/cli/io.js";
import { priceCeiling } from "../src/core/market/import.js";

const [mode, file, prefix] = process.argv.slice(2);
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
const ceiling = priceCeiling({ onDemand: await loadOnDemand() });
const io = memoryIo({});
const t = performance.now();
if (mode === "import") {
  const store = new RedisMarketStore(redis, { prefix, retentionMs: 0 });
  const { failed } = await importFiles([file], io, store, { ceiling });
  if (failed) throw new Error(io.err.join("\n"));
} else {
  let lines = 0;
  const utf8 = new TextDecoder();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const text = utf8.decode(chunk as Buffer, { stream: true });
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
  }
  io.stdout(`${lines} lines`);
}
const ms = performance.now() - t;
redis.disconnect();
console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, out: io.out.join(" ") }));
