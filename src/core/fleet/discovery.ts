/**
 * Finds the instances spotwise manages (tag spotwise:managed=true) in every account and region, and keeps
 * the fleet table current. One account failing (throttled, role expired) never stops the others.
 */
import { errorMessage } from "../errors.js";
import type { Ec2Factory, Ec2Instance } from "../ports/ec2.js";
import { dataVolumeModeOf } from "../switch/identity.js";
import type { AccountRef, ManagedInstance } from "../types.js";

export const TAG_MANAGED = "spotwise:managed";
export const TAG_MODEL = "spotwise:model";
export const TAG_AZ_FLEXIBLE = "spotwise:az-flexible";
/** Optional: names the managed instance explicitly (a switch copies it to the replacement). */
export const TAG_MANAGED_ID = "spotwise:managed-id";
/** Set by the switch saga on a replacement: the instance it replaces (core/switch/steps.ts TAG_REPLACES). */
export const TAG_REPLACES = "spotwise:replaces";

/** The stable managed-instance id of an instance (its own id on first sighting). */
export function managedIdOf(i: Pick<ManagedInstance, "instanceId" | "managedId">): string {
  return i.managedId ?? i.instanceId;
}

export interface FleetStore {
  /**
   * Upserts what was seen; marks instances of the same account+region not seen as gone. Resolves lineage: an
   * instance new to the store that replaces a known one (tag spotwise:replaces, set by the switch saga) inherits
   * its managed id, and its launch is that managed instance's last switch (last_switch_at). Returns `seen` with
   * managedId set.
   */
  sync(accountId: string, region: string, seen: ManagedInstance[], now: number): Promise<ManagedInstance[]>;
  list(filter?: { accountId?: string }): Promise<ManagedInstance[]>;
  get(instanceId: string): Promise<ManagedInstance | null>;
}

/** A type the running fleet uses, with the base type that bounds where that instance may move. */
export interface FleetType {
  instanceType: string;
  /** Tag spotwise:base-type, else the instance type (baseTypeOf). */
  baseType: string;
}

/**
 * The (instance type, base type) pairs of the running managed instances, each once: what the scrape's scope
 * needs from the fleet table, without reading every instance.
 */
export interface FleetTypesReader {
  typesInUse(): Promise<FleetType[]>;
}

export function toManagedInstance(accountId: string, region: string, i: Ec2Instance): ManagedInstance {
  const dataVolumes = dataVolumeModeOf(i);
  return {
    instanceId: i.instanceId,
    accountId,
    region,
    az: i.az,
    instanceType: i.instanceType,
    lifecycle: i.lifecycle,
    subnetId: i.subnetId,
    // a data volume can only be attached in its own AZ: the tag cannot lift that
    azFlexible: i.tags[TAG_AZ_FLEXIBLE] === "true" && dataVolumes === undefined,
    ...(dataVolumes ? { dataVolumes } : {}),
    ...(dataVolumes && i.lifecycle === "spot"
      ? {
          switchBlocked:
            "its data volumes kept on termination are moved with the instance stopped, and EC2 cannot stop a one-time Spot Instance: switch it by hand, or set DeleteOnTermination=true if the data is disposable",
        }
      : {}),
    modelOverride: i.tags[TAG_MODEL] || undefined,
    ...(i.tags[TAG_MANAGED_ID] ? { managedId: i.tags[TAG_MANAGED_ID] } : {}),
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
        instances.push(...(await store.sync(account.accountId, region, seen, now)));
      } catch (e) {
        failures.push({ accountId: account.accountId, region, error: errorMessage(e) });
      }
    }),
  );
  // by id in code-unit order (EC2 ids are lowercase ASCII: the same order as localeCompare, a quarter of the time
  // on a fleet of 10,000)
  instances.sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  return { instances: onePerManagedInstance(instances), failures };
}

/**
 * While a switch runs, the replacement and the instance it replaces both run and share a managed id: the
 * managed instance is the one being replaced until it is gone (decisions, history and costs count it once).
 */
export function onePerManagedInstance(instances: ManagedInstance[]): ManagedInstance[] {
  const byManaged = new Map<string, ManagedInstance[]>();
  for (const i of instances) {
    const k = managedIdOf(i);
    const list = byManaged.get(k);
    if (list) list.push(i);
    else byManaged.set(k, [i]);
  }
  if (byManaged.size === instances.length) return instances;
  const keep = new Set<string>();
  for (const list of byManaged.values()) {
    if (list.length === 1) {
      keep.add(list[0].instanceId);
      continue;
    }
    const ids = new Set(list.map((i) => i.instanceId));
    const original = list.find((i) => !ids.has(i.tags[TAG_REPLACES] ?? "")) ?? list[0];
    keep.add(original.instanceId);
  }
  return instances.filter((i) => keep.has(i.instanceId));
}
