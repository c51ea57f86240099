/**
 * Issue 16's acceptance on a week of the bundled GPU market: `spotwise replay` posting through the real Slack
 * notifier to a local Web API that enforces Slack's one post per second per channel (429 + Retry-After).
 * What is asserted is read from what that Web API recorded, not from the product's counters.
 */
import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeSlack, SLACK_LIMITS } from "../../test/bot/fake-slack.js";
import { BUNDLED, bundledPath, loadAdvisor, loadCatalog, loadOnDemand } from "../adapters/tables/index.js";
import { loadConfig } from "../config/load.js";
import type { FleetSpec } from "../core/backtest/fleet.js";
import { parsePriceFile } from "../core/market/import.js";
import type { PriceRecord } from "../core/types.js";
import { demoFleet } from "./demo.js";
import { runReplay } from "./replay.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CHANNEL = "C0REPLAY";

/** The demo's market and fleet over 7 whole UTC days. */
async function week() {
  const file = bundledPath(BUNDLED.demoPrices);
  const prices = parsePriceFile(await readFile(file, "utf8"), file).records;
  const from = Date.parse("2019-12-27T00:00:00Z");
  const to = from + 7 * DAY;
  const fleet: FleetSpec[] = demoFleet(prices, from, 6).map((f, n) => ({
    ...f,
    instanceId: `i-week${String(n + 1).padStart(4, "0")}`,
    azFlexible: true,
  }));
  const tables = {
    onDemand: await loadOnDemand(),
    advisor: await loadAdvisor(bundledPath(BUNDLED.advisor2021)),
    catalog: await loadCatalog(),
  };
  return { prices, from, to, fleet, tables };
}

type Field = { text?: string };
type Block = { type: string; block_id?: string; fields?: Field[]; text?: { text?: string } };

/** A recommendation post: its instance and the move it advises (the message's fields). */
function recommendationOf(params: Record<string, unknown>): { instance: string; move: string } | null {
  const blocks = (params.blocks ?? []) as Block[];
  const rec = blocks.find((b) => b.block_id?.startsWith("rec:"));
  if (!rec?.fields) return null;
  const field = (name: string) =>
    rec.fields?.find((f) => f.text?.startsWith(`*${name}*\n`))?.text?.slice(name.length + 3) ?? "";
  return { instance: field("Instance").replaceAll("`", ""), move: field("Move") };
}

/** The digest posts: their day and the realized saving they show (the "Realized savings" field). */
function digestsOf(slack: FakeSlack): Array<{ day: string; realized: number; text: string }> {
  const out: Array<{ day: string; realized: number; text: string }> = [];
  for (const c of slack.callsTo("chat.postMessage")) {
    const blocks = (c.params.blocks ?? []) as Block[];
    const header = blocks.find((b) => b.type === "header")?.text?.text ?? "";
    const m = /^spotwise daily digest (\d{4}-\d{2}-\d{2})$/.exec(header);
    if (!m) continue;
    const field = blocks.flatMap((b) => b.fields ?? []).find((f) => f.text?.startsWith("*Realized savings*\n"));
    const money = /^\*Realized savings\*\n\$([\d,]+\.\d{2})/.exec(field?.text ?? "");
    if (!money) throw new Error(`digest ${m[1]} shows no realized saving: ${field?.text}`);
    out.push({ day: m[1], realized: Number(money[1].replaceAll(",", "")), text: field?.text ?? "" });
  }
  return out;
}

/** Each pool's price records from the CSV, oldest first. */
function pricesByPool(records: readonly PriceRecord[]): Map<string, PriceRecord[]> {
  const out = new Map<string, PriceRecord[]>();
  for (const r of records) {
    const id = `${r.region}/${r.az}/${r.instanceType}`;
    out.set(id, [...(out.get(id) ?? []), r]);
  }
  for (const rs of out.values()) rs.sort((a, b) => a.ts - b.ts);
  return out;
}

/**
 * USD saved over [a, b) by paying pool `to` instead of pool `from`: each price holds from its record to the next,
 * the time is cut at every record of either pool, stretches without a price on either side count nothing.
 */
function savedByHand(byPool: Map<string, PriceRecord[]>, from: string, to: string, a: number, b: number): number {
  const fromRs = byPool.get(from) ?? [];
  const toRs = byPool.get(to) ?? [];
  const priceAt = (rs: PriceRecord[], t: number) => rs.filter((r) => r.ts <= t).at(-1)?.price;
  const cuts = [a, b, ...[...fromRs, ...toRs].map((r) => r.ts).filter((t) => t > a && t < b)].sort((x, y) => x - y);
  let usd = 0;
  for (let k = 0; k + 1 < cuts.length; k++) {
    const [t0, t1] = [cuts[k], cuts[k + 1]];
    const pf = priceAt(fromRs, t0);
    const pt = priceAt(toRs, t0);
    if (pf === undefined || pt === undefined) continue;
    usd += ((pf - pt) * (t1 - t0)) / HOUR;
  }
  return usd;
}

describe("spotwise replay on a week of the GPU market, posting to a Web API with Slack's limits", () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = new FakeSlack(SLACK_LIMITS);
    await slack.start();
  });
  afterEach(async () => {
    await slack.stop();
  });

  const config = () =>
    loadConfig({
      SLACK_BOT_TOKEN: "xoxb-replay",
      SLACK_SIGNING_SECRET: "replay-secret",
      SLACK_CHANNEL: CHANNEL,
      SLACK_API_URL: slack.apiUrl,
    });

  it("shadow mode: at most one post per instance and distinct advice, no more than one per instance-day, no 429", async () => {
    const { prices, from, to, fleet, tables } = await week();
    const r = await runReplay({ prices, tables, fleet, from, to, approve: "none", config: config(), write: () => {} });

    const posts = slack.callsTo("chat.postMessage").filter((c) => c.params.thread_ts === undefined);
    const recs = posts.map((c) => recommendationOf(c.params)).filter((x) => x !== null);
    expect(recs.length).toBeGreaterThan(0);
    const perAdvice = new Map<string, number>();
    for (const rec of recs)
      perAdvice.set(`${rec.instance} ${rec.move}`, (perAdvice.get(`${rec.instance} ${rec.move}`) ?? 0) + 1);
    for (const [advice, n] of perAdvice) expect(n, advice).toBe(1);
    const instanceDays = fleet.length * 7;
    console.log(
      `shadow week: ${posts.length} posts (${recs.length} recommendations, ${perAdvice.size} distinct advice) for ${instanceDays} instance-days; ` +
        `${slack.calls.length} calls; summary ${JSON.stringify(r.summary.messages)} ${JSON.stringify(r.detail.decisions)}`,
    );
    expect(posts.length / instanceDays).toBeLessThanOrEqual(1);
    expect(slack.rateLimited).toEqual([]);
    expect(r.summary.switches).toBe(0);
    // the summary counts what the Web API received
    expect(r.summary.messages.posts).toBe(posts.length);
    expect(r.summary.messages.updates).toBe(slack.callsTo("chat.update").length);
  }, 900_000);

  it("approve all: at most 12 Web API calls per switch, no 429, and each day's digest equals the saving worked out by hand from the price file", async () => {
    const { prices, from, to, fleet, tables } = await week();
    const r = await runReplay({
      prices,
      tables,
      fleet,
      from,
      to,
      approve: "all",
      config: config(),
      write: () => {},
      latencies: { imageMs: 0, bootMs: 0, statusChecksMs: 0, healthyMs: 0, terminateMs: 0 },
    });
    const switches = r.detail.sagas.done;
    const moves = r.detail.moves;
    console.log(
      `approve-all week: ${switches} switches, ${slack.calls.length} Web API calls ` +
        `(${(slack.calls.length / Math.max(1, switches)).toFixed(2)} per switch); ${JSON.stringify(r.summary.messages)}; ` +
        `sagas ${JSON.stringify(r.detail.sagas)}`,
    );
    expect(switches).toBeGreaterThan(0);
    expect(moves).toHaveLength(switches);
    expect(slack.calls.length / switches).toBeLessThanOrEqual(12);
    expect(slack.rateLimited).toEqual([]);

    // the summary counts what the Web API received, updates included
    const posts = slack.callsTo("chat.postMessage");
    expect(r.summary.messages.posts).toBe(posts.filter((c) => c.params.thread_ts === undefined).length);
    expect(r.summary.messages.thread_replies).toBe(posts.filter((c) => c.params.thread_ts !== undefined).length);
    expect(r.summary.messages.updates).toBe(slack.callsTo("chat.update").length);
    expect(r.summary.messages.updates).toBeGreaterThanOrEqual(switches);

    // realized savings by hand: each completed switch saves from-price minus to-price from the moment the old
    // instance was gone until the instance's next switch, priced on the CSV rows
    const byPool = pricesByPool(prices);
    const digests = digestsOf(slack);
    expect(digests.map((d) => d.day)).toEqual(
      Array.from({ length: 7 }, (_, k) => new Date(from + k * DAY).toISOString().slice(0, 10)),
    );
    let total = 0;
    for (const d of digests) {
      const a = Date.parse(`${d.day}T00:00:00Z`);
      const b = a + DAY;
      let usd = 0;
      for (const m of moves) {
        const next = moves.find((n) => n.oldInstanceId === m.newInstanceId);
        const start = Math.max(a, m.at);
        const end = Math.min(b, next?.at ?? b);
        if (end > start) usd += savedByHand(byPool, m.from, m.to, start, end);
      }
      console.log(`digest ${d.day}: posted ${d.text.split("\n")[1]}; by hand $${usd.toFixed(2)}`);
      expect(d.realized, d.day).toBe(Math.round(usd * 100) / 100);
      total += usd;
    }
    expect(total).toBeGreaterThan(0);
  }, 900_000);
});
