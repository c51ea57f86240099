/** The champion-vs-challenger report over the database: one builder for the CLI, the bot and the digest. */
import { DbExperimentQueries } from "../adapters/db/experiment-queries.js";
import type { Database } from "../adapters/db/orm.js";
import { type ExperimentReport, experimentReport } from "../core/models/experiment-report.js";
import type { ModelRegistry } from "../core/models/registry.js";

export async function buildExperimentReport(
  db: Database,
  registry: ModelRegistry,
  riskCeiling: number,
  since?: number,
  until: number = Date.now(),
): Promise<ExperimentReport> {
  const queries = new DbExperimentQueries(db);
  return experimentReport({ queries, episodes: queries, models: await registry.list(), riskCeiling, since, until });
}
