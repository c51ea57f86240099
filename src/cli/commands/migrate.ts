import type { Command } from "commander";
import { openDatabase } from "../../adapters/db/orm.js";
import { loadConfig } from "../../config/load.js";
import { CliExit, type CliIo } from "../io.js";

export function register(program: Command, io: CliIo): void {
  program
    .command("migrate")
    .description("Apply (up), revert the last (down) or list (status) the database migrations")
    .argument("[direction]", "up | down | status", "up")
    .action(async (direction: string) => {
      if (!["up", "down", "status"].includes(direction)) {
        throw new CliExit(2, `spotwise migrate: unknown direction "${direction}": use up, down or status`);
      }
      const config = loadConfig(io.env);
      const db = await openDatabase({ url: config.env.DATABASE_URL, dataDir: config.env.SPOTWISE_DATA_DIR });
      try {
        if (direction === "status") {
          const s = await db.migrationStatus();
          io.stdout(`database: ${db.describe}`);
          for (const m of s.executed) io.stdout(`  applied  ${m}`);
          for (const m of s.pending) io.stdout(`  pending  ${m}`);
          if (s.pending.length > 0)
            throw new CliExit(1, `${s.pending.length} migration(s) pending: run 'spotwise migrate'`);
        } else if (direction === "down") {
          const r = await db.migrateDown();
          io.stdout(r.reverted.length ? `reverted ${r.reverted.join(", ")} on ${db.describe}` : "nothing to revert");
        } else {
          const r = await db.migrate();
          io.stdout(
            r.applied.length
              ? `applied ${r.applied.length} migration(s) on ${db.describe}: ${r.applied.join(", ")}`
              : `schema up to date on ${db.describe}`,
          );
        }
      } finally {
        await db.close();
      }
    });
}
