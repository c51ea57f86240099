import { Migration } from "@mikro-orm/migrations";

/**
 * Issue 16: one living recommendation per managed instance. Recommendations carry the managed instance id
 * (stable across switches; existing rows: their decision's, else the instance id), at most one row per managed
 * instance is pending (older duplicates are marked superseded first), and the saving the message was posted
 * with is kept, so a refresh can tell a material change (a new post) from drift (an update in place).
 */
export class Migration20261130190000_one_pending_recommendation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "recommendation" add column "managed_id" varchar(64) null;`);
    this.addSql(`update "recommendation" r set "managed_id" = coalesce(
        (select d."managed_id" from "decision" d where d."id" = r."decision_id"), r."instance_id");`);
    this.addSql(`alter table "recommendation" add column "posted_saving_per_month" double precision null;`);
    this.addSql(`update "recommendation" r set "status" = 'superseded', "resolved_at" = now(), "resolved_by" = 'migration'
      where r."status" = 'pending' and exists (
        select 1 from "recommendation" n
        where coalesce(n."managed_id", n."instance_id") = coalesce(r."managed_id", r."instance_id") and n."status" = 'pending'
          and (n."created_at" > r."created_at" or (n."created_at" = r."created_at" and n."id" > r."id"))
      );`);
    this.addSql(
      // a row written without managed_id (older code) counts as its instance's
      `create unique index "recommendation_one_pending_per_managed" on "recommendation" ((coalesce("managed_id", "instance_id"))) where "status" = 'pending';`,
    );
    this.addSql(`create index "recommendation_managed_idx" on "recommendation" ("managed_id", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "recommendation_managed_idx";`);
    this.addSql(`drop index if exists "recommendation_one_pending_per_managed";`);
    this.addSql(`alter table "recommendation" drop column if exists "posted_saving_per_month";`);
    this.addSql(`alter table "recommendation" drop column if exists "managed_id";`);
  }
}
