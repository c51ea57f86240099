import { describe, expect, it } from "vitest";
import { MemoryControlStore } from "../core/control/store.js";
import { MemoryModelRepository } from "../core/models/memory-model-repo.js";
import { CachedControlStore, CachedModelRepository } from "./read-cache.js";

/** Counts the reads that reach the store behind the cache. */
function counting<T extends object>(inner: T): { store: T; reads: Record<string, number> } {
  const reads: Record<string, number> = {};
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        reads[String(prop)] = (reads[String(prop)] ?? 0) + 1;
        return v.apply(target, args);
      };
    },
  });
  return { store, reads };
}

describe("read caches of a sole writer", () => {
  it("answer repeated control reads from the cache and never return a value older than a write", async () => {
    const { store, reads } = counting(new MemoryControlStore());
    const c = new CachedControlStore(store);
    expect(await c.getSetting("paused")).toBeNull();
    expect(await c.getSetting("paused")).toBeNull();
    expect(reads.getSetting).toBe(1);
    await c.putSetting("paused", true, "U1", 1);
    expect((await c.getSetting("paused"))?.value).toBe(true);
    expect(reads.getSetting).toBe(2);
    // the budget counter: an increment is a write, the next read sees it
    expect(await c.incrementIfBelow("budget:d", 2, "U1", 2)).toBe(1);
    expect((await c.getSetting("budget:d"))?.value).toBe(1);
    expect(await c.incrementIfBelow("budget:d", 1, "U1", 3)).toBeNull();
    await c.putBreaker({ accountId: "a", state: "open", consecutiveFailures: 3, updatedAt: 4 });
    expect((await c.getBreaker("a"))?.state).toBe("open");
    expect((await c.listBreakers()).map((b) => b.state)).toEqual(["open"]);
    await c.deleteSetting("paused");
    expect(await c.getSetting("paused")).toBeNull();
    // what a caller changes in a returned record does not change the cache
    const b = await c.getBreaker("a");
    if (b) b.state = "closed";
    expect((await c.getBreaker("a"))?.state).toBe("open");
  });

  it("answer repeated model lists from the cache until a model is registered or changes status", async () => {
    const { store, reads } = counting(new MemoryModelRepository());
    const r = new CachedModelRepository(store);
    expect(await r.list({ statuses: ["champion"] })).toEqual([]);
    expect(await r.list({ statuses: ["champion"] })).toEqual([]);
    expect(reads.list).toBe(1);
    const seeded = await r.insertSeedChampion({
      id: "m-1",
      name: "m",
      sha256: "x".repeat(64),
      sizeBytes: 1,
      contractVersion: "c",
      featureNames: [],
      metrics: {},
      addedBy: "test",
      at: 1,
      content: new Uint8Array([1]),
      identity: "i",
      lineage: {},
    });
    expect(seeded).not.toBeNull();
    expect((await r.list({ statuses: ["champion"] })).map((m) => m.name)).toEqual(["m"]);
    await r.transition([{ id: seeded?.id as string, from: "champion", to: "retired" }], 2);
    expect(await r.list({ statuses: ["champion"] })).toEqual([]);
    expect(reads.list).toBe(3);
  });
});
