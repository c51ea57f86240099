/**
 * Slack ack latency: 50 concurrent signed button clicks (Approve, each on its own recommendation) against the
 * spotwise bot (our verifier with replay check, click de-duplication, the full Approve listener; the switch runs
 * after the ack) vs a bare Bolt app on its own HTTPReceiver whose listener only acks. Same payloads, same run.
 * Latency = time until the HTTP response (Slack's 3-second clock). Several rounds; p50 and p99 over all clicks.
 */
import { Worker } from "node:worker_threads";
import { App, type BlockAction, type ButtonAction, HTTPReceiver, LogLevel } from "@slack/bolt";
import { openDatabase } from "../src/adapters/db/orm.js";
import { ACTION_APPROVE } from "../src/bot/views/recommendation.js";
import { FAST_LIMITS, FakeSlack } from "../test/bot/fake-slack.js";
import { SECRET, startHarness } from "../test/bot/harness.js";
import { buttonPayload, interactionBody } from "../test/bot/signed.js";
import type { BenchResult } from "./types.js";

const CONCURRENCY = 50;
const ROUNDS = 6;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * The load generator runs in its own thread, like Slack is its own machine: a response counts when it
 * arrives, not when this process's event loop, busy with the bot's post-ack work, gets around to it.
 */
const CLIENT = `
const { parentPort } = require("node:worker_threads");
const { createHmac } = require("node:crypto");
parentPort.on("message", async ({ port, secret, bodies }) => {
  const ts = String(Math.floor(Date.now() / 1000));
  const times = await Promise.all(bodies.map(async (body) => {
    const sig = "v0=" + createHmac("sha256", secret).update("v0:" + ts + ":" + body).digest("hex");
    const t = performance.now();
    const res = await fetch("http://127.0.0.1:" + port + "/slack/events", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": sig },
      body,
    });
    await res.text();
    if (res.status !== 200) throw new Error("click answered HTTP " + res.status);
    return performance.now() - t;
  }));
  parentPort.postMessage(times);
});
`;

function burst(client: Worker, port: number, ids: string[], round: number): Promise<number[]> {
  const bodies = ids.map((id, i) =>
    interactionBody(
      buttonPayload({
        actionId: ACTION_APPROVE,
        value: id,
        userId: "UAPPROVER",
        actionTs: `${round}.${i}`,
        messageTs: `1764000000.${i}`,
      }),
    ),
  );
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    client.once("error", onError);
    client.once("message", (times: number[]) => {
      client.off("error", onError);
      resolve(times);
    });
    client.postMessage({ port, secret: SECRET, bodies });
  });
}

export async function run(): Promise<BenchResult[]> {
  const slack = new FakeSlack(FAST_LIMITS);
  await slack.start();
  // Real PostgreSQL when DATABASE_URL is set (as in production), else PGlite in this process.
  const db = await openDatabase({
    url: process.env.DATABASE_URL?.startsWith("postgres") ? process.env.DATABASE_URL : "pglite://memory",
  });
  await db.migrate();
  const bot = await startHarness({ db, slack });
  const bare = new App({
    token: "xoxb-test",
    receiver: new HTTPReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR }),
    clientOptions: { slackApiUrl: slack.apiUrl },
    logLevel: LogLevel.ERROR,
  });
  bare.action<BlockAction<ButtonAction>>(ACTION_APPROVE, async ({ ack }) => {
    await ack();
  });
  const bareServer = (await bare.start(0)) as { address(): { port: number } };
  const barePort = bareServer.address().port;
  const client = new Worker(CLIENT, { eval: true });
  try {
    const ours: number[] = [];
    const base: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const ids: string[] = [];
      for (let i = 0; i < CONCURRENCY; i++) ids.push((await bot.recommend()).id);
      // Alternate the order so neither side always runs on a warmer process; the bot's switches (started
      // after its acks) finish before the bare app is measured, so they only weigh on the bot's own numbers.
      const a = round % 2 === 0 ? await burst(client, bot.port, ids, round) : [];
      await bot.bot.idle();
      const b = await burst(client, barePort, ids, round);
      const c = round % 2 === 1 ? await burst(client, bot.port, ids, round) : [];
      await bot.bot.idle();
      if (round === 0) continue; // warm-up
      ours.push(...a, ...c);
      base.push(...b);
    }
    ours.sort((x, y) => x - y);
    base.sort((x, y) => x - y);
    const switches = bot.services.log.switches.length;
    const notes = `${ROUNDS} rounds × ${CONCURRENCY} concurrent signed Approve clicks; ${switches} switches started (expected ${(ROUNDS + 1) * CONCURRENCY})`;
    return [
      {
        name: "bot ack latency p50 (50 concurrent clicks)",
        value: percentile(ours, 50),
        unit: "ms",
        baseline: { name: "bare Bolt app that only acks, p50", value: percentile(base, 50) },
        notes,
      },
      {
        name: "bot ack latency p99 (50 concurrent clicks)",
        value: percentile(ours, 99),
        unit: "ms",
        baseline: { name: "bare Bolt app that only acks, p99", value: percentile(base, 99) },
        notes,
      },
    ];
  } finally {
    await client.terminate();
    await bare.stop();
    await bot.stop();
    await db.close();
    await slack.stop();
  }
}
