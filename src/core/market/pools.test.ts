import { describe, expect, it } from "vitest";
import { lastSeen, partitionLivePools } from "./pools.js";

const H = 3_600_000;

describe("pool liveness", () => {
  it("treats a pool silent for more than three days as vanished", () => {
    const now = 100 * 24 * H;
    const prices = new Map([
      ["us-east-1/us-east-1a/m5.large", [{ ts: now - 26 * H, price: 0.1 }]], // daily re-emission: live
      ["us-east-1/us-east-1b/m5.large", [{ ts: now - 4 * 24 * H, price: 0.05 }]], // silent 4 days
      ["us-east-1/us-east-1c/m5.large", [{ ts: now + H, price: 0.1 }]], // only a future record
      ["us-east-1/us-east-1d/m5.large", []],
    ]);
    expect(partitionLivePools(prices, now)).toEqual({
      live: ["us-east-1/us-east-1a/m5.large"],
      vanished: ["us-east-1/us-east-1b/m5.large", "us-east-1/us-east-1c/m5.large", "us-east-1/us-east-1d/m5.large"],
    });
    expect(
      lastSeen(
        [
          { ts: 1, price: 1 },
          { ts: 5, price: 1 },
        ],
        4,
      ),
    ).toBe(1);
  });
});
