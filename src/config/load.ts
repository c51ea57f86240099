/**
 * Loads and validates the configuration from an environment passed in (probot's readEnvOptions pattern):
 * no module state. Every problem is collected, each naming the variable or key and what is expected.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { CodedError } from "../core/errors.js";
import { maskUrls } from "./mask.js";
import { type Config, EnvConfig, FileConfig } from "./schema.js";
import { didYouMean, knownKeysAt } from "./suggest.js";

export interface ConfigProblem {
  where: string;
  message: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

function issuesOf(error: z.ZodError, prefix: string, schema?: z.ZodType): ConfigProblem[] {
  return error.issues.flatMap((i) => {
    const at = i.path.map(String);
    if (i.code === "unrecognized_keys" && schema) {
      // one problem per unknown key, named by its full path, with the closest known key when there is one
      const known = knownKeysAt(schema, at);
      return i.keys.map((k) => {
        const guess = didYouMean(k, known);
        return {
          where: prefix + [...at, k].join("."),
          message: `unknown key${guess ? `: did you mean "${guess}"?` : known.length ? ` (known keys: ${known.join(", ")})` : ""}`,
        };
      });
    }
    return [{ where: prefix + (at.length ? at.join(".") : ""), message: maskUrls(i.message) }];
  });
}

export function readConfig(env: NodeJS.ProcessEnv, readFile: (p: string) => string = readText): ConfigResult {
  const problems: ConfigProblem[] = [];
  const envParsed = EnvConfig.safeParse(env);
  if (!envParsed.success) problems.push(...issuesOf(envParsed.error, ""));

  let fileData: unknown = {};
  const path = env.SPOTWISE_CONFIG?.trim() || null;
  if (path) {
    try {
      fileData = parseYaml(readFile(path)) ?? {};
    } catch (e) {
      problems.push({ where: `SPOTWISE_CONFIG (${path})`, message: `cannot read YAML: ${(e as Error).message}` });
    }
  }
  const fileParsed = FileConfig.safeParse(fileData);
  if (!fileParsed.success) problems.push(...issuesOf(fileParsed.error, `${path ?? "config"}: `, FileConfig));

  // cross-field rules read the raw environment, so they are reported even when other variables are invalid
  const has = (k: string) => (env[k] ?? "").trim() !== "";
  if (has("SLACK_BOT_TOKEN") && !has("SLACK_APP_TOKEN") && !has("SLACK_SIGNING_SECRET")) {
    problems.push({
      where: "SLACK_SIGNING_SECRET",
      message: "required with SLACK_BOT_TOKEN unless SLACK_APP_TOKEN (Socket Mode) is set",
    });
  }
  if (
    env.SPOTWISE_MODE === "approve" &&
    has("SLACK_BOT_TOKEN") &&
    !has("SLACK_APPROVERS") &&
    !has("SLACK_APPROVER_GROUP")
  ) {
    problems.push({
      where: "SLACK_APPROVERS",
      message: "approve mode with Slack needs approvers: set SLACK_APPROVERS (user ids) or SLACK_APPROVER_GROUP",
    });
  }
  if (problems.length > 0 || !envParsed.success || !fileParsed.success) return { ok: false, problems };
  return { ok: true, config: { env: envParsed.data, file: fileParsed.data, source: path } };
}

/** Like readConfig, but throws one CodedError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv, readFile?: (p: string) => string): Config {
  const r = readConfig(env, readFile);
  if (!r.ok) {
    throw new CodedError(
      "config_invalid",
      `invalid configuration (${r.problems.length} problem${r.problems.length > 1 ? "s" : ""}); run 'spotwise config check':\n` +
        r.problems.map((p) => `  - ${p.where}: ${p.message}`).join("\n"),
    );
  }
  return r.config;
}

function readText(p: string): string {
  return readFileSync(p, "utf8");
}

const SECRET_KEYS = /TOKEN|SECRET|PASSWORD|ACCESS_KEY|EXTERNAL_?ID|externalId/i;

/** Masks secrets, and the password part of URLs, for printing. */
export function maskSecrets(value: unknown, key = ""): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === "string") {
    if (SECRET_KEYS.test(key)) return value.length <= 4 ? "****" : `${value.slice(0, 4)}****`;
    return maskUrls(value);
  }
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, key));
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  return value;
}
