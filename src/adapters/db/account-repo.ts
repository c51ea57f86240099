/**
 * The account table mirrors the configured accounts (id, name, role, regions): written at every start so
 * that messages, the digest and App Home show the name the operator gave each account.
 */
import type { AccountRef } from "../../core/types.js";
import { AccountEntity } from "./entities.js";
import type { Database } from "./orm.js";

export async function syncAccounts(db: Database, accounts: readonly AccountRef[], at = new Date()): Promise<void> {
  if (accounts.length === 0) return;
  await db.em().upsertMany(
    AccountEntity,
    accounts.map((a) => ({
      id: a.accountId,
      name: a.name || a.accountId,
      roleArn: a.roleArn ?? null,
      regions: a.regions,
      createdAt: at,
      updatedAt: at,
    })),
    {
      onConflictFields: ["id"],
      onConflictAction: "merge",
      onConflictMergeFields: ["name", "roleArn", "regions", "updatedAt"],
    },
  );
}

/** Account names by id, for views that only have ids. */
export async function accountNames(db: Database): Promise<Map<string, string>> {
  const rows = await db.em().find(AccountEntity, {});
  return new Map(rows.map((r) => [r.id, r.name]));
}
