import { Migration } from "@mikro-orm/migrations";

/** The initial schema: everything spotwise records. */
export class Migration20261128000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "account" (
      "id" varchar(32) primary key,
      "name" varchar(255) not null,
      "role_arn" varchar(2048) null,
      "regions" jsonb not null default '[]',
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now()
    );`);
    this.addSql(`create table "managed_instance" (
      "id" varchar(64) primary key,
      "account_id" varchar(32) not null,
      "region" varchar(32) not null,
      "az" varchar(32) not null,
      "instance_type" varchar(64) not null,
      "lifecycle" varchar(16) not null default 'spot',
      "subnet_id" varchar(64) null,
      "az_flexible" boolean not null default false,
      "model_override" varchar(255) null,
      "tags" jsonb not null default '{}',
      "pool_since" timestamptz null,
      "last_switch_at" timestamptz null,
      "state" varchar(32) not null default 'running',
      "discovered_at" timestamptz not null default now(),
      "last_seen_at" timestamptz not null default now()
    );`);
    this.addSql(`create index "managed_instance_account_region_idx" on "managed_instance" ("account_id", "region");`);

    this.addSql(`create table "model" (
      "id" uuid primary key,
      "name" varchar(255) not null,
      "version" int not null,
      "sha256" char(64) not null,
      "size_bytes" int not null,
      "contract_version" varchar(64) not null,
      "feature_names" jsonb not null,
      "metrics" jsonb not null default '{}',
      "status" varchar(16) not null,
      "added_by" varchar(255) not null,
      "created_at" timestamptz not null default now(),
      "status_changed_at" timestamptz not null default now(),
      "previous_champion_id" uuid null,
      "file_path" varchar(2048) null,
      "content" bytea null,
      constraint "model_status_check" check ("status" in ('candidate','shadow','champion','retired','rejected'))
    );`);
    this.addSql(`create unique index "model_name_version_uniq" on "model" ("name", "version");`);
    this.addSql(`create unique index "model_one_champion" on "model" ("status") where "status" = 'champion';`);

    this.addSql(`create table "prediction" (
      "id" bigserial primary key,
      "model_id" uuid not null,
      "tick_at" timestamptz not null,
      "pool" varchar(128) not null,
      "probability" real not null,
      "horizon_ms" int not null,
      "label_at" timestamptz not null,
      "outcome" smallint null,
      "labelled_at" timestamptz null
    );`);
    this.addSql(
      `create unique index "prediction_model_tick_pool_uniq" on "prediction" ("model_id", "tick_at", "pool");`,
    );
    this.addSql(`create index "prediction_unlabelled_idx" on "prediction" ("label_at") where "outcome" is null;`);

    this.addSql(`create table "decision" (
      "id" uuid primary key,
      "tick_at" timestamptz not null,
      "instance_id" varchar(64) not null,
      "account_id" varchar(32) not null,
      "action" varchar(16) not null,
      "from_pool" varchar(128) not null,
      "to_pool" varchar(128) null,
      "saving_per_hour" double precision not null default 0,
      "saving_per_month" double precision not null default 0,
      "risk_from" double precision not null default 0,
      "risk_to" double precision null,
      "model_id" uuid null,
      "model_name" varchar(255) null,
      "confidence" double precision null,
      "fallback" boolean not null default false,
      "strategy" varchar(64) not null,
      "reasons" jsonb not null default '[]',
      "alternatives" jsonb not null default '[]',
      "mode" varchar(16) not null,
      "realized_saving_usd" double precision null,
      "realized_at" timestamptz null,
      "created_at" timestamptz not null default now()
    );`);
    this.addSql(`create index "decision_instance_tick_idx" on "decision" ("instance_id", "tick_at");`);
    this.addSql(`create index "decision_tick_idx" on "decision" ("tick_at");`);

    this.addSql(`create table "recommendation" (
      "id" uuid primary key,
      "decision_id" uuid not null,
      "instance_id" varchar(64) not null,
      "account_id" varchar(32) not null,
      "status" varchar(16) not null,
      "channel" varchar(64) null,
      "message_ts" varchar(64) null,
      "expires_at" timestamptz not null,
      "snoozed_until" timestamptz null,
      "created_at" timestamptz not null default now(),
      "resolved_at" timestamptz null,
      "resolved_by" varchar(255) null,
      constraint "recommendation_status_check" check ("status" in ('pending','approved','rejected','snoozed','expired','superseded','executing','done','rolled_back','failed'))
    );`);
    this.addSql(`create index "recommendation_instance_idx" on "recommendation" ("instance_id", "status");`);

    this.addSql(`create table "approval" (
      "id" bigserial primary key,
      "recommendation_id" uuid not null,
      "user_id" varchar(64) not null,
      "verdict" varchar(16) not null,
      "created_at" timestamptz not null default now()
    );`);
    this.addSql(
      `create unique index "approval_once_per_user" on "approval" ("recommendation_id", "user_id", "verdict");`,
    );

    this.addSql(`create table "switch_execution" (
      "id" uuid primary key,
      "recommendation_id" uuid null,
      "instance_id" varchar(64) not null,
      "account_id" varchar(32) not null,
      "region" varchar(32) not null,
      "state" varchar(32) not null,
      "active" boolean not null default true,
      "from_pool" varchar(128) not null,
      "targets" jsonb not null default '[]',
      "target_index" int not null default 0,
      "image_id" varchar(64) null,
      "new_instance_id" varchar(64) null,
      "context" jsonb not null default '{}',
      "error" text null,
      "requested_by" varchar(255) not null,
      "started_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      "finished_at" timestamptz null,
      "version" int not null default 1
    );`);
    this.addSql(
      `create unique index "switch_one_active_per_instance" on "switch_execution" ("instance_id") where "active";`,
    );
    this.addSql(
      `create unique index "switch_one_per_recommendation" on "switch_execution" ("recommendation_id") where "recommendation_id" is not null;`,
    );

    this.addSql(`create table "switch_step" (
      "id" bigserial primary key,
      "execution_id" uuid not null references "switch_execution" ("id") on delete cascade,
      "step" varchar(64) not null,
      "status" varchar(16) not null,
      "started_at" timestamptz not null,
      "finished_at" timestamptz null,
      "aws_request_id" varchar(128) null,
      "detail" jsonb not null default '{}'
    );`);
    this.addSql(`create index "switch_step_execution_idx" on "switch_step" ("execution_id", "id");`);

    this.addSql(`create table "audit_event" (
      "id" bigserial primary key,
      "at" timestamptz not null default now(),
      "actor" varchar(255) not null,
      "action" varchar(64) not null,
      "subject" varchar(255) null,
      "detail" jsonb not null default '{}'
    );`);
    this.addSql(`create index "audit_event_at_idx" on "audit_event" ("at");`);

    this.addSql(`create table "component_health" (
      "component" varchar(64) primary key,
      "status" varchar(16) not null,
      "last_ok_at" timestamptz null,
      "last_check_at" timestamptz not null,
      "detail" text null
    );`);

    this.addSql(`create table "circuit_breaker" (
      "account_id" varchar(32) primary key,
      "state" varchar(16) not null default 'closed',
      "consecutive_failures" int not null default 0,
      "opened_at" timestamptz null,
      "updated_at" timestamptz not null default now(),
      "last_error" text null
    );`);

    this.addSql(`create table "control_setting" (
      "key" varchar(64) primary key,
      "value" jsonb not null,
      "updated_at" timestamptz not null default now(),
      "updated_by" varchar(255) not null
    );`);

    this.addSql(`create table "tick_run" (
      "id" bigserial primary key,
      "job" varchar(32) not null,
      "started_at" timestamptz not null,
      "finished_at" timestamptz null,
      "status" varchar(16) not null,
      "error" text null,
      "stats" jsonb not null default '{}'
    );`);
    this.addSql(`create index "tick_run_job_idx" on "tick_run" ("job", "started_at");`);
  }

  override async down(): Promise<void> {
    for (const t of [
      "tick_run",
      "control_setting",
      "circuit_breaker",
      "component_health",
      "audit_event",
      "switch_step",
      "switch_execution",
      "approval",
      "recommendation",
      "decision",
      "prediction",
      "model",
      "managed_instance",
      "account",
    ]) {
      this.addSql(`drop table if exists "${t}" cascade;`);
    }
  }
}
