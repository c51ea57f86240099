import { Migration } from "@mikro-orm/migrations";

/**
 * Issue 14: decisions are kept as changes. A decision row stands from its tick until `ended_at`, the first tick
 * at which it no longer held (the managed instance got a different decision, or was no longer decided); one
 * `decision_tick` row per decide tick keeps the tick's counts and fleet totals. Existing rows (one per instance
 * per tick) are changes too: each ends at its lineage's next row, and a lineage's last row at the next tick.
 */
export class Migration20261130220000_decision_changes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "decision" add column "ended_at" timestamptz null;`);
    this.addSql(`create table "decision_tick" (
      "id" uuid not null,
      "seq" bigserial not null,
      "tick_at" timestamptz not null,
      "mode" varchar(16) not null,
      "instances" int not null,
      "pools" int not null default 0,
      "written" int not null,
      "closed" int not null,
      "by_action" jsonb not null,
      "by_strategy" jsonb not null,
      "saving_per_hour" double precision not null,
      "price_saving_per_hour" double precision not null,
      constraint "decision_tick_pkey" primary key ("id")
    );`);
    this.addSql(`create index "decision_tick_at_idx" on "decision_tick" ("tick_at");`);
    this.addSql(`create unique index "decision_tick_seq_idx" on "decision_tick" ("seq");`);
    this.addSql(`insert into "decision_tick" ("id", "tick_at", "mode", "instances", "pools", "written", "closed",
        "by_action", "by_strategy", "saving_per_hour", "price_saving_per_hour")
      select gen_random_uuid(), t."tick_at", t."mode", t."n", 0, t."n", 0,
        (select jsonb_object_agg(a."action", a."c") from (select x."action", count(*) as "c" from "decision" x
          where x."tick_at" = t."tick_at" group by x."action") a),
        (select jsonb_object_agg(s."strategy", s."c") from (select x."strategy", count(*) as "c" from "decision" x
          where x."tick_at" = t."tick_at" group by x."strategy") s),
        t."sph", t."psph"
      from (select "tick_at", max("mode") as "mode", count(*) as "n",
          coalesce(sum("saving_per_hour") filter (where "action" = 'SWITCH'), 0) as "sph",
          coalesce(sum("price_saving_per_hour") filter (where "action" = 'SWITCH'), 0) as "psph"
        from "decision" group by "tick_at" order by "tick_at") t;`);
    this.addSql(`update "decision" d set "ended_at" = n."next_at" from (
        select "id", lead("tick_at") over (partition by coalesce("managed_id", "instance_id") order by "tick_at", "id") as "next_at"
        from "decision") n
      where d."id" = n."id" and n."next_at" is not null;`);
    this.addSql(`update "decision" d set "ended_at" = (select min(t."tick_at") from "decision_tick" t where t."tick_at" > d."tick_at")
      where d."ended_at" is null and exists (select 1 from "decision_tick" t where t."tick_at" > d."tick_at");`);
    this.addSql(
      `create index "decision_open_idx" on "decision" ((coalesce("managed_id", "instance_id"))) where "ended_at" is null;`,
    );
    this.addSql(`create index "decision_ended_idx" on "decision" ("ended_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "decision_ended_idx";`);
    this.addSql(`drop index if exists "decision_open_idx";`);
    this.addSql(`drop table if exists "decision_tick";`);
    this.addSql(`alter table "decision" drop column if exists "ended_at";`);
  }
}
