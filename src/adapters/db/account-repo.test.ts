import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { switchDecision } from "../../../test/core/recommendation-fixtures.js";
import { backendLabel, testDatabase } from "../../../test/support/services.js";
import { accountNames, syncAccounts } from "./account-repo.js";
import { DbRecommendationRepo } from "./recommendation-repo.js";

describe(`the account table mirrors the configured accounts (${backendLabel()})`, () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => db?.dispose());

  it("writes names at start, renames on the next start, and recommendations carry the configured name", async () => {
    await syncAccounts(db, [{ accountId: "123456789012", name: "ml-training", regions: ["us-east-1"] }]);
    const repo = new DbRecommendationRepo(db);
    const rec = await repo.insert({
      id: "7f0c2f0e-1111-4222-8333-444455556666",
      decision: switchDecision("i-0abc"),
      mode: "shadow",
      tickAt: Date.UTC(2026, 10, 30),
      createdAt: Date.UTC(2026, 10, 30),
      expiresAt: Date.UTC(2026, 10, 30, 4),
    });
    expect(rec.accountName).toBe("ml-training");
    await syncAccounts(db, [
      { accountId: "123456789012", name: "ml-prod", regions: ["us-east-1", "eu-west-1"] },
      { accountId: "210987654321", name: "210987654321", regions: ["us-west-2"] },
    ]);
    expect((await repo.get(rec.id))?.accountName).toBe("ml-prod");
    expect([...(await accountNames(db))].sort()).toEqual([
      ["123456789012", "ml-prod"],
      ["210987654321", "210987654321"],
    ]);
  });
});
