/**
 * Elastic IPs and private IPs in the simulated cloud, answered as EC2 does: an address goes only to a running or
 * stopped instance (IncorrectInstanceState), to a private IP the instance has (InvalidParameterValue), one address
 * per private IP; a secondary private IP moves between interfaces of one subnet, never a primary one.
 */
import { mapAwsError } from "../aws/errors.js";
import type { SimAddress, SimCloud, SimInstance } from "./cloud.js";
import { awsError } from "./identity.js";

/** AssociateAddress of `a` to `target` (its primary private IP, or `input.privateIp`); the association id. */
export function associate(
  cloud: SimCloud,
  a: SimAddress,
  target: SimInstance,
  input: { instanceId: string; allowReassociation: boolean; privateIp?: string },
): string {
  const state = cloud.stateOf(target);
  if (state !== "running" && state !== "stopped") {
    throw awsError(
      "IncorrectInstanceState",
      `The instance '${input.instanceId}' is not in a valid state for this operation (${state}).`,
    );
  }
  if (a.instanceId && a.instanceId !== input.instanceId && !input.allowReassociation) {
    const err = Object.assign(new Error("address is already associated"), { name: "Resource.AlreadyAssociated" });
    throw mapAwsError(err, "ec2:AssociateAddress");
  }
  const primary = target.privateIps?.find((p) => p.primary)?.privateIp ?? target.privateIp;
  if (input.privateIp && !target.privateIps?.some((p) => p.privateIp === input.privateIp)) {
    throw awsError(
      "InvalidParameterValue",
      `The private IP address ${input.privateIp} is not assigned to instance ${input.instanceId}.`,
    );
  }
  // one address per private IP: an address already on that private IP is disassociated
  const privateIp = input.privateIp ?? primary;
  for (const other of cloud.addresses.values()) {
    if (other !== a && other.instanceId === input.instanceId && other.privateIp === privateIp) {
      other.instanceId = undefined;
      other.associationId = undefined;
      other.privateIp = undefined;
    }
  }
  a.instanceId = input.instanceId;
  a.privateIp = privateIp;
  a.associationId = cloud.id("eipassoc");
  return a.associationId;
}

/** AssignPrivateIpAddresses with AllowReassignment onto `target`'s primary interface. */
export function assignPrivateIps(cloud: SimCloud, target: SimInstance, privateIps: string[]): void {
  for (const ip of privateIps) {
    for (const other of cloud.instances.values()) {
      if (other === target || !other.privateIps?.some((p) => p.privateIp === ip)) continue;
      if (other.privateIps.some((p) => p.privateIp === ip && p.primary)) {
        throw awsError("InvalidParameterValue", `${ip} is the primary private IP of ${other.instanceId}`);
      }
      if (other.subnetId !== target.subnetId) {
        throw awsError("InvalidParameterValue", `${ip} is not in the subnet of ${target.instanceId}`);
      }
      other.privateIps = other.privateIps.filter((p) => p.privateIp !== ip);
      // an Elastic IP on a moved private IP moves with it
      for (const a of cloud.addresses.values()) if (a.privateIp === ip) a.instanceId = target.instanceId;
    }
    target.privateIps ??= [];
    if (!target.privateIps.some((p) => p.privateIp === ip)) target.privateIps.push({ privateIp: ip, primary: false });
  }
}
