import type { KnownBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import { switchDecision } from "../../../test/core/recommendation-fixtures.js";
import { fallbackReason } from "../../core/models/heuristic.js";
import type { RecommendationMessage } from "../../core/ports/notifier.js";
import type { RecommendationRecord } from "../../core/recommendations/types.js";
import type { ComponentStatus, ModelSummary } from "../services.js";
import { digestMessage } from "./digest.js";
import { helpMessage } from "./help.js";
import { blockKitProblems } from "./limits.js";
import { experimentsMessage, modelListMessage, modelMessage } from "./models.js";
import {
  ACTION_APPROVE,
  modelLine,
  recommendationMessage,
  recommendationTitle,
  riskSourceLine,
} from "./recommendation.js";
import { recommendationListMessage } from "./recommendation-list.js";
import { rejectModal, rejectTarget } from "./reject-modal.js";
import { statusMessage } from "./status.js";

const long = (n: number) => "x".repeat(n);
const rec = (over: Partial<RecommendationMessage> = {}): RecommendationMessage => ({
  recommendationId: "7f0c2f0e-1111-4222-8333-444455556666",
  decision: switchDecision("i-0abc"),
  region: "us-east-1",
  accountName: "prod",
  expiresAt: Date.UTC(2026, 10, 28, 16),
  mode: "approve",
  ...over,
});

describe("Block Kit builders stay within Slack's limits", () => {
  it("a recommendation with 200 long reasons and huge names", () => {
    const m = rec({
      accountName: long(5000),
      decision: switchDecision(long(300), {
        reasons: Array.from({ length: 200 }, () => long(200)),
        strategy: long(4000),
      }),
    });
    expect(blockKitProblems(m && recommendationMessage(m).blocks)).toEqual([]);
    expect(blockKitProblems(recommendationMessage(m, { status: long(10_000), keepButtons: true }).blocks)).toEqual([]);
  });

  it("status with 300 components, model list with 600 models, 200 open recommendations, a big digest", () => {
    const now = Date.UTC(2026, 10, 28);
    const comps: ComponentStatus[] = Array.from({ length: 300 }, (_, i) => ({
      component: "aws",
      label: `aws ${String(i).padStart(12, "0")}`,
      status: "ok",
      lastOkAt: now,
      detail: long(100),
    }));
    const models: ModelSummary[] = Array.from({ length: 600 }, (_, i) => ({
      id: `m${i}`,
      name: `model-${i}`,
      version: 1,
      status: "candidate",
      contractVersion: "v1",
      sizeBytes: 1000,
      sha256: "a".repeat(64),
      createdAt: now,
      addedBy: "slack:U1",
      metrics: { auc: 0.8, brier: 0.1, n: 10 },
    }));
    const recs = Array.from(
      { length: 200 },
      (_, i) =>
        ({
          id: `r${i}`,
          decision: switchDecision(`i-${i}`),
          accountName: "prod",
          region: "us-east-1",
          status: "pending",
          approvals: [],
          expiresAt: now,
        }) as unknown as RecommendationRecord,
    );
    const messages = [
      statusMessage(comps, { paused: true, pausedReason: long(5000), mode: "shadow" }, now),
      modelListMessage(models),
      modelMessage(models[0], long(5000)),
      experimentsMessage({
        generatedAt: now,
        summary: long(4000),
        rows: models.map((m) => ({ model: m.name, status: m.status, auc: 0.8, brier: 0.1, n: 5 })),
      }),
      recommendationListMessage(recs),
      helpMessage(long(100)),
      digestMessage({
        day: "2026-11-28",
        realizedSavingsUsd: 1,
        counterfactualSavingsUsd: 2,
        decisions: { SWITCH: 1 },
        switches: { ok: 1, rolledBack: 0, failed: 0 },
        breakers: Array.from({ length: 500 }, (_, i) => ({ accountId: String(i).padStart(12, "0"), state: "open" })),
        experiments: models.map((m) => ({ model: m.name, auc: 0.8, brier: 0.1, n: 5 })),
        series: [],
      }),
    ];
    for (const m of messages) expect(blockKitProblems(m.blocks)).toEqual([]);
  });

  it("the checker itself catches each kind of violation", () => {
    const bad: KnownBlock[] = [
      { type: "section", text: { type: "mrkdwn", text: long(3001) } },
      {
        type: "actions",
        elements: [
          { type: "button", action_id: long(256), value: long(2001), text: { type: "plain_text", text: "ok" } },
        ],
      },
      ...Array.from({ length: 49 }, (): KnownBlock => ({ type: "divider" })),
    ];
    expect(blockKitProblems(bad)).toEqual([
      "51 blocks > 50",
      "block 0 (section): text 3001 chars",
      "block 1 (actions): action_id too long",
      "block 1 (actions): button value too long",
    ]);
  });
});

describe("recommendation message content", () => {
  it("shows instance, account, region, move, saving per hour and month, risk, model and confidence", () => {
    const text = JSON.stringify(recommendationMessage(rec()).blocks);
    for (const s of [
      "`i-0abc`",
      "prod (123456789012)",
      "us-east-1",
      "m5.large in us-east-1a → m5a.large in us-east-1b",
      "$0.0310/h · $22.63/month",
      "12 %/h → 3 %/h",
      "model gbt-v3 (confidence 91%)",
      "price 38% lower",
      ACTION_APPROVE,
    ]) {
      expect(text).toContain(s);
    }
  });

  it("names the Spot Advisor bucket as the risk source, and why, when no model decided", () => {
    expect(
      modelLine(rec({ decision: switchDecision("i-1", { fallback: true, modelName: null, confidence: null }) })),
    ).toBe("Spot Advisor bucket, model not applicable: no usable model");
    const d = switchDecision("i-1", {
      fallback: true,
      modelName: null,
      confidence: null,
      reasons: [fallbackReason("no champion model")],
    });
    expect(riskSourceLine(d)).toBe("Spot Advisor bucket, model not applicable: no champion model");
    const blind = switchDecision("i-1", {
      confidence: null,
      reasons: ["no capacity observations yet for 1 pool(s): their risk is the Spot Advisor bucket's, not the model's"],
    });
    expect(riskSourceLine(blind)).toMatch(/^Spot Advisor bucket, model not applicable: no capacity observations/);
  });

  it("shows the price saving (from the price series) and the risk's source as the decision records them", () => {
    const d = switchDecision("i-1", {
      savingPerHour: 8.5,
      savingPerMonth: 6205,
      priceSavingPerHour: 10.08,
      priceSavingPerMonth: 7358.4,
      riskToSource: "advisor",
      riskFromSource: "observed",
      launchFailureTo: 0.021,
      modelName: "default",
    });
    expect(recommendationTitle(d)).toContain("save $7,358.40/month");
    const text = JSON.stringify(recommendationMessage(rec({ decision: d })).blocks);
    expect(text).toContain("*Price saving*\\n$10.08/h · $7,358.40/month");
    expect(text).toContain("*Expected saving (risk-adjusted)*\\n$6,205.00/month");
    expect(riskSourceLine(d)).toBe(
      "Spot Advisor bucket, model not applicable: model default predicts launch capacity, not interruptions (model default: 2.1% chance a launch finds no capacity)",
    );
    expect(riskSourceLine({ ...d, riskToSource: "observed", launchFailureTo: null })).toBe(
      "Spot Advisor bucket updated with spotwise's observations of the pool, model not applicable: model default predicts launch capacity, not interruptions",
    );
    expect(riskSourceLine({ ...d, riskToSource: "on-demand" })).toBe("on-demand: no interruption risk");
  });

  it("a title names what moves; figures carry units; reasons name pools as people read them", () => {
    const az = switchDecision("i-1", {
      from: { region: "eu-west-1", az: "eu-west-1c", instanceType: "p3.16xlarge" },
      to: { region: "eu-west-1", az: "eu-west-1a", instanceType: "p3.16xlarge" },
      savingPerHour: 10.08,
      savingPerMonth: 7358.4,
      riskFrom: 3.9e-4,
      riskTo: 4e-4,
      reasons: ["best candidate eu-west-1/eu-west-1a/p3.16xlarge at $2.4500/h"],
    });
    expect(recommendationTitle(az)).toBe("Switch i-1: eu-west-1c → eu-west-1a, p3.16xlarge · save $7,358.40/month");
    const text = JSON.stringify(recommendationMessage(rec({ decision: az })).blocks);
    expect(text).toContain("0.039 %/h → 0.04 %/h");
    expect(text).toContain("$10.08/h · $7,358.40/month");
    expect(text).toContain("best candidate p3.16xlarge in eu-west-1a");
    expect(text).not.toContain("eu-west-1/eu-west-1a");
    expect(recommendationMessage(rec({ accountName: "123456789012" })).blocks[1]).toMatchObject({
      fields: expect.arrayContaining([{ type: "mrkdwn", text: "*Account*\n123456789012" }]),
    });
  });

  it("in shadow mode there is no Approve button and the message says how to enable switching", () => {
    const m = recommendationMessage(rec({ mode: "shadow" }));
    const text = JSON.stringify(m.blocks);
    expect(text).not.toContain(ACTION_APPROVE);
    expect(text).toContain("/spot mode approve");
  });
});

describe("reject dialog", () => {
  it("round-trips its target through private_metadata within the 3,000-char limit, and ignores foreign metadata", () => {
    const ref = { channel: "C0RECS", ts: "1764000000.000001" };
    const v = rejectModal("7f0c2f0e-1111-4222-8333-444455556666", ref, long(500));
    expect((v.private_metadata ?? "").length).toBeLessThan(3000);
    expect(rejectTarget(v.private_metadata ?? "")).toEqual({
      recommendationId: "7f0c2f0e-1111-4222-8333-444455556666",
      ref,
    });
    expect(rejectTarget("{}")).toBeNull();
    expect(rejectTarget("not json")).toBeNull();
    expect(JSON.stringify(v.blocks).length).toBeLessThan(3000);
  });
});

describe("digest message", () => {
  const base = {
    day: "2026-11-28",
    realizedSavingsUsd: 0,
    counterfactualSavingsUsd: 0,
    decisions: {},
    switches: { ok: 0, rolledBack: 0, failed: 0 },
    experiments: [],
    series: [],
  };
  it("calls breakers closed when none was ever recorded, and names the open ones", () => {
    expect(JSON.stringify(digestMessage({ ...base, breakers: [] }).blocks)).toContain(
      "*Circuit breakers*\\nall closed (no failed switch on record)",
    );
    const open = digestMessage({
      ...base,
      breakers: [
        { accountId: "111122223333", state: "open" },
        { accountId: "444455556666", state: "closed" },
      ],
    });
    expect(JSON.stringify(open.blocks)).toContain("*Circuit breakers*\\n111122223333 *open*");
  });
});
