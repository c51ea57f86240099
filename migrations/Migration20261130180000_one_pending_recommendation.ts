import { Migration } from "@mikro-orm/migrations";

/**
 * One living recommendation per managed instance: at most one pending row per instance (older duplicates are
 * marked superseded first), and the saving the message was posted with, so a refresh can tell a material
 * change (a new post) from drift (an update in place).
 */
export class Migration20261130180000_one_pending_recommendation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update "recommendation" r set "status" = 'superseded', "resolved_at" = now(), "resolved_by" = 'migration'
      where r."status" = 'pending' and exists (
        select 1 from "recommendation" n
        where n."instance_id" = r."instance_id" and n."status" = 'pending'
          and (n."created_at" > r."created_at" or (n."created_at" = r."created_at" and n."id" > r."id"))
      );`);
    this.addSql(
      `create unique index "recommendation_one_pending_per_instance" on "recommendation" ("instance_id") where "status" = 'pending';`,
    );
    this.addSql(`alter table "recommendation" add column "posted_saving_per_month" double precision null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "recommendation" drop column "posted_saving_per_month";`);
    this.addSql(`drop index "recommendation_one_pending_per_instance";`);
  }
}
