import { Migration } from "@mikro-orm/migrations";

/**
 * Issue 11: history follows the managed instance (a stable managed_id that survives switches), and decisions
 * keep their honest figures apart (price saving vs risk-adjusted saving, where each risk figure came from).
 * Existing rows: managed_id = the instance id (every instance was its own lineage before).
 */
export class Migration20261130183000_instance_lineage extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "managed_instance" add column "managed_id" varchar(64) null;`);
    this.addSql(`update "managed_instance" set "managed_id" = "id" where "managed_id" is null;`);
    this.addSql(`create index "managed_instance_managed_idx" on "managed_instance" ("managed_id");`);
    this.addSql(`alter table "decision" add column "managed_id" varchar(64) null;`);
    this.addSql(`update "decision" set "managed_id" = "instance_id" where "managed_id" is null;`);
    this.addSql(`alter table "decision" add column "price_saving_per_hour" double precision null;`);
    this.addSql(`alter table "decision" add column "price_saving_per_month" double precision null;`);
    this.addSql(`alter table "decision" add column "risk_from_source" varchar(16) null;`);
    this.addSql(`alter table "decision" add column "risk_to_source" varchar(16) null;`);
    this.addSql(`alter table "decision" add column "launch_failure_to" double precision null;`);
    this.addSql(`create index "decision_managed_tick_idx" on "decision" ("managed_id", "tick_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "decision_managed_tick_idx";`);
    for (const c of [
      "managed_id",
      "price_saving_per_hour",
      "price_saving_per_month",
      "risk_from_source",
      "risk_to_source",
      "launch_failure_to",
    ]) {
      this.addSql(`alter table "decision" drop column if exists "${c}";`);
    }
    this.addSql(`drop index if exists "managed_instance_managed_idx";`);
    this.addSql(`alter table "managed_instance" drop column if exists "managed_id";`);
  }
}
