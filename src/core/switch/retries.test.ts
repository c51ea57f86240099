/** withRetries: throttling, 5xx and timeouts are retried with jittered backoff, never past the phase deadline. */
import { describe, expect, it } from "vitest";
import { CodedError } from "../errors.js";
import { ManualClock } from "../ports/clock.js";
import { withRetries } from "./run.js";

function flaky(codes: Array<CodedError["code"]>) {
  let n = 0;
  return async () => {
    const code = codes[n++];
    if (code) throw new CodedError(code, code);
    return "ok";
  };
}

describe("withRetries", () => {
  it("retries throttling, 5xx (unavailable) and timeouts, with jittered exponential backoff", async () => {
    const clock = new ManualClock(0);
    const waits: number[] = [];
    const sleep = clock.sleep.bind(clock);
    clock.sleep = async (ms) => {
      waits.push(ms);
      await sleep(ms);
    };
    const out = await withRetries(clock, 4, flaky(["aws_throttled", "unavailable", "deadline_exceeded"]), {
      random: () => 0,
    });
    expect(out).toBe("ok");
    // half of the capped exponential step is fixed, the other half is jitter (0 here)
    expect(waits).toEqual([500, 1000, 2000]);
    const jittered: number[] = [];
    clock.sleep = async (ms) => {
      jittered.push(ms);
    };
    await withRetries(clock, 4, flaky(["unavailable", "unavailable"]), { random: () => 0.999 });
    expect(jittered[0]).toBeGreaterThan(990);
    expect(jittered[1]).toBeGreaterThan(1990);
  });

  it("does not retry other errors, and gives up after max attempts", async () => {
    const clock = new ManualClock(0);
    await expect(withRetries(clock, 4, flaky(["aws_capacity"]))).rejects.toMatchObject({ code: "aws_capacity" });
    await expect(withRetries(clock, 2, flaky(["unavailable", "unavailable", "unavailable"]))).rejects.toMatchObject({
      code: "unavailable",
    });
  });

  it("never sleeps past the deadline: the last error is thrown instead", async () => {
    const clock = new ManualClock(0);
    const fn = flaky(["aws_throttled", "aws_throttled", "aws_throttled", "aws_throttled"]);
    await expect(withRetries(clock, 10, fn, { deadline: 2000, random: () => 0 })).rejects.toMatchObject({
      code: "aws_throttled",
    });
    expect(clock.now()).toBeLessThanOrEqual(2000);
  });
});
