import { describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.js";
import { runCli } from "../cli/program.js";
import { loadConfig } from "../config/load.js";
import { runDemo } from "./demo.js";

describe("spotwise demo on the bundled GPU market", () => {
  it("shows SWITCH and STAY recommendations and ends with the digest, in shadow mode", async () => {
    const out: string[] = [];
    const s = await runDemo({
      days: 2,
      instances: 6,
      approve: "none",
      config: loadConfig({}),
      write: (t) => out.push(t),
    });
    const text = out.join("\n");
    expect(s.decisions.SWITCH).toBeGreaterThan(0);
    expect(s.decisions.STAY).toBeGreaterThan(0);
    expect(s.recommendations).toBeGreaterThan(0);
    expect(s.switches).toEqual({ done: 0, rolled_back: 0, failed: 0 });
    expect(text).toMatch(/== Switch i-demo\d+/);
    expect(text).toMatch(/Shadow mode: spotwise only recommends/);
    expect(text).toMatch(/daily digest/);
    expect(s.model).toBe("default v1");
  });

  it("runs every approved switch through the saga on the simulated cloud", async () => {
    const io = memoryIo({});
    expect(await runCli(["demo", "--days", "2", "--approve", "all", "--json"], io)).toBe(0);
    const s = JSON.parse(io.out.join(""));
    expect(s.switches.done).toBeGreaterThan(0);
    expect(s.switches.done).toBe(s.recommendations);
    expect(s.switches.rolled_back + s.switches.failed).toBe(0);
    expect(s.digest.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("refuses bad options with one actionable line", async () => {
    const io = memoryIo({});
    expect(await runCli(["demo", "--approve", "some"], io)).toBe(2);
    expect(io.err.join("")).toMatch(/--approve must be "all" or "none"/);
  });
});
