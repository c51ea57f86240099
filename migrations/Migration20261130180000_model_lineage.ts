import { Migration } from "@mikro-orm/migrations";

/**
 * Models: identity (sha256 of the graph and its semantic metadata; one registration per identity) and lineage.
 * Predictions: one per model, pool and horizon window (window_start); outcome -1 = not observed (unknown).
 * Legacy rows: identity is filled by the registry from the stored file; of the per-tick predictions, the first
 * of each window gets its window_start, the others stay NULL and are left out of reports.
 */
export class Migration20261130180000_model_lineage extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "model" add column "identity" char(64) null;`);
    this.addSql(`alter table "model" add column "lineage" jsonb not null default '{}';`);
    this.addSql(`create unique index "model_identity_uniq" on "model" ("identity") where "identity" is not null;`);

    this.addSql(`alter table "prediction" add column "window_start" timestamptz null;`);
    this.addSql(`update "prediction" p set "window_start" = w."ws"
      from (
        select "id", "ws", row_number() over (partition by "model_id", "pool", "horizon_ms", "ws" order by "tick_at", "id") as "rn"
        from (
          select "id", "model_id", "pool", "horizon_ms", "tick_at",
            to_timestamp(floor(extract(epoch from "tick_at") * 1000 / "horizon_ms") * "horizon_ms" / 1000.0) as "ws"
          from "prediction"
        ) x
      ) w
      where p."id" = w."id" and w."rn" = 1;`);
    this.addSql(
      `create unique index "prediction_window_uniq" on "prediction" ("model_id", "pool", "horizon_ms", "window_start") where "window_start" is not null;`,
    );
    this.addSql(`create index "prediction_pool_tick_idx" on "prediction" ("pool", "tick_at");`);
    this.addSql(
      `alter table "prediction" add constraint "prediction_outcome_check" check ("outcome" is null or "outcome" in (-1, 0, 1));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "prediction" drop constraint if exists "prediction_outcome_check";`);
    this.addSql(`drop index if exists "prediction_pool_tick_idx";`);
    this.addSql(`drop index if exists "prediction_pair_idx";`);
    this.addSql(`drop index if exists "prediction_window_uniq";`);
    this.addSql(`alter table "prediction" drop column if exists "window_start";`);
    this.addSql(`drop index if exists "model_identity_uniq";`);
    this.addSql(`alter table "model" drop column if exists "lineage";`);
    this.addSql(`alter table "model" drop column if exists "identity";`);
  }
}
