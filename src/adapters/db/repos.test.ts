import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { HealthService } from "../../core/health/health.js";
import { ManualClock } from "../../core/ports/clock.js";
import { DbAuditLog } from "./audit-repo.js";
import { DbHealthStore } from "./health-repo.js";

describe(`foundation repositories on ${backendLabel()}`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => db?.dispose());

  it("records and lists audit events in order, filtered by subject and action", async () => {
    const audit = new DbAuditLog(db);
    await audit.record({
      at: 1_000,
      actor: "slack:U1",
      action: "switch.approved",
      subject: "i-1",
      detail: { rec: "r1" },
    });
    await audit.record({ at: 2_000, actor: "daemon", action: "decision.recorded", subject: "i-2" });
    await audit.record({
      at: 3_000,
      actor: "saga:s1",
      action: "switch.step",
      subject: "i-1",
      detail: { step: "launch" },
    });
    const forI1 = await audit.list({ subject: "i-1" });
    expect(forI1.map((e) => e.action)).toEqual(["switch.approved", "switch.step"]);
    expect(forI1[0]).toMatchObject({ at: 1_000, actor: "slack:U1", detail: { rec: "r1" } });
    expect(await audit.list({ action: "decision.recorded" })).toHaveLength(1);
    expect((await audit.list({ since: 2_500 })).map((e) => e.subject)).toEqual(["i-1"]);
  });

  it("keeps the last good time of a component through failures", async () => {
    const clock = new ManualClock(10_000);
    const health = new HealthService(new DbHealthStore(db), clock);
    await health.ok("database");
    clock.advance(5_000);
    await health.fail("database", "connection refused");
    await health.ok("aws:123456789012");
    const report = await health.report();
    expect(report.find((c) => c.component === "database")).toMatchObject({
      status: "down",
      lastOkAt: 10_000,
      lastCheckAt: 15_000,
      detail: "connection refused",
    });
    expect(report.find((c) => c.component === "aws:123456789012")?.status).toBe("ok");
    expect(report.find((c) => c.component === "slack")?.status).toBe("unknown");
    expect(report.map((c) => c.component)).toHaveLength(8);
  });
});
