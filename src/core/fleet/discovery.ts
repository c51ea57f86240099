/**
 * Finds the instances spotwise manages (tag spotwise:managed=true) in every account and region, and keeps
 * the fleet table current. One account failing (throttled, role expired) never stops the others.
 */
import { errorMessage } from "../errors.js";
import type { Ec2Factory, Ec2Instance } from "../ports/ec2.js";
import type { AccountRef, ManagedInstance } from "../types.js";

export const TAG_MANAGED = "spotwise:managed";
export const TAG_MODEL = "spotwise:model";
export const TAG_AZ_FLEXIBLE = "spotwise:az-flexible";

export interface FleetStore {
  /** Upserts what was seen; marks instances of the same account+region not seen as gone. */
  sync(accountId: string, region: string, seen: ManagedInstance[], now: number): Promise<void>;
  list(filter?: { accountId?: string }): Promise<ManagedInstance[]>;
  get(instanceId: string): Promise<ManagedInstance | null>;
}

export function toManagedInstance(accountId: string, region: string, i: Ec2Instance): ManagedInstance {
  return {
    instanceId: i.instanceId,
    accountId,
    region,
    az: i.az,
    instanceType: i.instanceType,
    lifecycle: i.lifecycle,
    subnetId: i.subnetId,
    azFlexible: i.tags[TAG_AZ_FLEXIBLE] === "true",
    modelOverride: i.tags[TAG_MODEL] || undefined,
    launchedAt: i.launchTime,
    tags: i.tags,
  };
}

export interface DiscoveryResult {
  instances: ManagedInstance[];
  failures: Array<{ accountId: string; region: string; error: string }>;
}

export async function discoverFleet(
  accounts: AccountRef[],
  factory: Ec2Factory,
  store: FleetStore,
  now: number,
): Promise<DiscoveryResult> {
  const instances: ManagedInstance[] = [];
  const failures: DiscoveryResult["failures"] = [];
  const jobs = accounts.flatMap((a) => a.regions.map((region) => ({ account: a, region })));
  await Promise.all(
    jobs.map(async ({ account, region }) => {
      try {
        const ec2 = await factory.forAccount(account.accountId, region, "spotwise-discovery");
        const found = await ec2.describeInstances({ tagFilters: { [TAG_MANAGED]: "true" } });
        const seen = found
          .filter((i) => i.state === "running" || i.state === "pending")
          .map((i) => toManagedInstance(account.accountId, region, i));
        await store.sync(account.accountId, region, seen, now);
        instances.push(...seen);
      } catch (e) {
        failures.push({ accountId: account.accountId, region, error: errorMessage(e) });
      }
    }),
  );
  instances.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  return { instances, failures };
}
