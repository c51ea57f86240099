import { kvContract } from "../../../test/adapters/kv-contract.js";
import { ManualClock } from "../../core/ports/clock.js";
import { MemoryCacheStore, MemoryIdempotencyStore, MemoryLeaseStore } from "./memory.js";

kvContract("in-process", async () => {
  const clock = new ManualClock();
  const now = () => clock.now();
  return {
    leases: new MemoryLeaseStore(now),
    idempotency: new MemoryIdempotencyStore(now),
    cache: new MemoryCacheStore(now),
    elapse: async (ms) => clock.advance(ms),
  };
});
