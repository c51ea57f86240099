import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { loadConfig, maskSecrets, readConfig } from "./load.js";
import { FileConfig } from "./schema.js";

describe("config", () => {
  it("defaults to shadow mode, embedded stores and the default schedule", () => {
    const r = readConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.env.SPOTWISE_MODE).toBe("shadow");
    expect(r.config.env.DATABASE_URL).toBeUndefined();
    expect(r.config.env.REDIS_URL).toBeUndefined();
    expect(r.config.env.PORT).toBe(3000);
    expect(r.config.file.schedule.scrape).toBe("*/5 * * * *");
    expect(r.config.file.policy.switchCostOdHours).toBe(0.5);
  });

  it("lists every problem at once, each naming the variable and what is expected", () => {
    const yaml = "accounts:\n  - id: '12'\n    regions: [nowhere]\npolicy:\n  riskCeiling: 7\n";
    const r = readConfig(
      {
        SPOTWISE_MODE: "yolo",
        PORT: "http",
        DATABASE_URL: "mysql://x",
        SLACK_BOT_TOKEN: "xoxb-1",
        SPOTWISE_CONFIG: "/etc/spotwise.yaml",
      },
      () => yaml,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const where = r.problems.map((p) => p.where);
    expect(where).toEqual(
      expect.arrayContaining([
        "SPOTWISE_MODE",
        "PORT",
        "DATABASE_URL",
        "SLACK_SIGNING_SECRET",
        "/etc/spotwise.yaml: accounts.0.id",
        "/etc/spotwise.yaml: accounts.0.regions.0",
        "/etc/spotwise.yaml: policy.riskCeiling",
      ]),
    );
    expect(r.problems.find((p) => p.where === "accounts.0.id" || p.where.endsWith("accounts.0.id"))?.message).toMatch(
      /12-digit/,
    );
  });

  it("reports an unreadable config file by path", () => {
    const r = readConfig({ SPOTWISE_CONFIG: "/nope.yaml" }, () => {
      throw new Error("ENOENT: no such file");
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatchObject({ where: "SPOTWISE_CONFIG (/nope.yaml)" });
  });

  it("accepts the documented example file", () => {
    const r = readConfig({ SPOTWISE_CONFIG: "docs/config.example.yaml" });
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (r.ok) expect(r.config.file.accounts[0]).toMatchObject({ id: "123456789012", regions: ["us-east-1"] });
  });

  it("throws one coded error listing the problems", () => {
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrowError(/LOG_LEVEL/);
  });

  it("masks secrets and URL passwords for printing", () => {
    const masked = maskSecrets({
      SLACK_BOT_TOKEN: "xoxb-123456",
      DATABASE_URL: "postgres://app:hunter2@db:5432/spotwise",
      accounts: [{ externalId: "ext-abcdef", id: "123456789012" }],
    }) as Record<string, unknown>;
    const text = JSON.stringify(masked);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("xoxb-123456");
    expect(text).not.toContain("ext-abcdef");
    expect(text).toContain("123456789012");
    expect(masked.DATABASE_URL).toBe("postgres://app:****@db:5432/spotwise");
  });

  it("names each unknown key, with the key it was probably meant to be", () => {
    const yaml = [
      "acounts: []",
      "policy:",
      "  riskCeilng: 0.3",
      "schedule:",
      "  decied: '*/15 * * * *'",
      "switch:",
      "  zzzzzz: 1",
      "market:",
      "  retentionDyas: 7",
      "accounts:",
      "  - id: '123456789012'",
      "    regions: [us-east-1]",
      "    extrnalId: abc",
    ].join("\n");
    const r = readConfig({ SPOTWISE_CONFIG: "/etc/spotwise.yaml" }, () => yaml);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byWhere = Object.fromEntries(r.problems.map((p) => [p.where, p.message]));
    expect(byWhere["/etc/spotwise.yaml: acounts"]).toBe('unknown key: did you mean "accounts"?');
    expect(byWhere["/etc/spotwise.yaml: policy.riskCeilng"]).toBe('unknown key: did you mean "riskCeiling"?');
    expect(byWhere["/etc/spotwise.yaml: schedule.decied"]).toBe('unknown key: did you mean "decide"?');
    expect(byWhere["/etc/spotwise.yaml: accounts.0.extrnalId"]).toBe('unknown key: did you mean "externalId"?');
    // no close match: the known keys are listed instead
    expect(byWhere["/etc/spotwise.yaml: switch.zzzzzz"]).toMatch(/^unknown key \(known keys: noReboot, .*\)$/);
    expect(byWhere["/etc/spotwise.yaml: market.retentionDyas"]).toBe('unknown key: did you mean "retentionDays"?');
    expect(r.problems).toHaveLength(6);
  });

  it("checks cron expressions and the time zone with the scheduler's own rules", () => {
    const yaml =
      "schedule:\n  scrape: every 5 minutes\n  decide: '61 * * * *'\n  digest: '@daily'\n  timezone: Mars/Olympus\n";
    const r = readConfig({ SPOTWISE_CONFIG: "/s.yaml" }, () => yaml);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byWhere = Object.fromEntries(r.problems.map((p) => [p.where, p.message]));
    expect(byWhere["/s.yaml: schedule.scrape"]).toMatch(
      /"every 5 minutes" is not a cron expression \(expected 5 or 6 fields/,
    );
    expect(byWhere["/s.yaml: schedule.decide"]).toMatch(/minute: 61 is a invalid expression/);
    expect(byWhere["/s.yaml: schedule.timezone"]).toMatch(/IANA time zone/);
    expect(byWhere["/s.yaml: schedule.digest"]).toBeUndefined();
    expect(r.problems).toHaveLength(3);
  });

  it("has no section that would silently ignore a typo (every object of the file schema is strict)", () => {
    const loose: string[] = [];
    const walk = (schema: z.ZodType, path: string): void => {
      const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
      const inner = (k: string) => def[k] as z.ZodType;
      if (def.type === "object") {
        const catchall = def.catchall as z.ZodType | undefined;
        if ((catchall as unknown as { _zod?: { def: { type: string } } })?._zod?.def.type !== "never") loose.push(path);
        for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) walk(v, `${path}.${k}`);
      } else if (["default", "optional", "nullable", "prefault"].includes(def.type)) walk(inner("innerType"), path);
      else if (def.type === "array") walk(inner("element"), `${path}[]`);
      else if (def.type === "record") walk(inner("valueType"), `${path}{}`);
      else if (def.type === "pipe") walk(inner("in"), path);
    };
    walk(FileConfig, "config");
    expect(loose).toEqual([]);
  });
});
