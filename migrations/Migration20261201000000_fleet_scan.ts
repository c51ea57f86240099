import { Migration } from "@mikro-orm/migrations";

/**
 * Issue 14: when each account's region was last listed. An instance running at a listing was seen then, so a
 * steady fleet no longer rewrites every row's `last_seen_at` to keep it fresh (10,000 row writes an hour at
 * 10,000 instances): `managed_instance.last_seen_at` is the time of the row's last change while it runs, and
 * becomes the last listing it was part of when it is marked gone.
 */
export class Migration20261201000000_fleet_scan extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "fleet_scan" (
      "account_id" varchar(32) not null,
      "region" varchar(32) not null,
      "scanned_at" timestamptz not null,
      constraint "fleet_scan_pkey" primary key ("account_id", "region")
    );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "fleet_scan";`);
  }
}
