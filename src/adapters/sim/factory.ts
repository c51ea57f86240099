/** Factories and checkers over one SimCloud: the simulated stand-ins for STS-assumed clients, ELB and HTTP health. */
import { CodedError } from "../../core/errors.js";
import type { Ec2Factory, Ec2Port } from "../../core/ports/ec2.js";
import type { HealthChecker, TargetGroupFactory, TargetGroupPort } from "../../core/switch/types.js";
import { mapAwsError } from "../aws/errors.js";
import type { SimCloud, SimFault } from "./cloud.js";
import { SimEc2Port } from "./ec2-port.js";

export class SimEc2Factory implements Ec2Factory {
  /** Session names asked for, in order (the saga id travels in them). */
  readonly sessions: string[] = [];
  constructor(
    private readonly cloud: SimCloud,
    /** Accounts that exist; empty = any. */
    private readonly accounts: string[] = [],
  ) {}

  async forAccount(accountId: string, region: string, sessionName?: string): Promise<Ec2Port> {
    if (this.accounts.length > 0 && !this.accounts.includes(accountId)) {
      throw new CodedError(
        "not_found",
        `account ${accountId} is not configured in the simulated cloud (known: ${this.accounts.join(", ")})`,
      );
    }
    if (sessionName) this.sessions.push(sessionName);
    return new SimEc2Port(this.cloud, accountId, region);
  }
}

const FAULT_NAMES: Record<SimFault, string> = {
  throttling: "Throttling",
  capacity: "InsufficientCapacity",
  timeout: "TimeoutError",
  denied: "AccessDenied",
};

function simFault(fault: SimFault, operation: string): CodedError {
  const err = Object.assign(new Error(`injected ${fault}`), { name: FAULT_NAMES[fault] });
  return mapAwsError(err, `elasticloadbalancing:${operation} (simulated)`);
}

export class SimTargetGroupPort implements TargetGroupPort {
  constructor(private readonly cloud: SimCloud) {}

  async targetGroupsOf(instanceId: string) {
    this.cloud.enter("targetGroupsOf", "sim", { instanceId });
    return [...this.cloud.targetGroups.entries()]
      .filter(([, ids]) => ids.has(instanceId))
      .map(([targetGroupArn]) => ({ targetGroupArn, port: 80 }));
  }

  async register(input: { targetGroupArn: string; instanceId: string; port?: number }) {
    const fault = this.cloud.enter("registerTarget", "sim", input);
    if (fault) throw simFault(fault, "RegisterTargets");
    const set = this.cloud.targetGroups.get(input.targetGroupArn) ?? new Set<string>();
    set.add(input.instanceId);
    this.cloud.targetGroups.set(input.targetGroupArn, set);
    return this.cloud.leave("registerTarget", { requestId: this.cloud.id("req") });
  }

  async deregister(input: { targetGroupArn: string; instanceId: string; port?: number }) {
    const fault = this.cloud.enter("deregisterTarget", "sim", input);
    if (fault) throw simFault(fault, "DeregisterTargets");
    this.cloud.targetGroups.get(input.targetGroupArn)?.delete(input.instanceId);
    return this.cloud.leave("deregisterTarget", { requestId: this.cloud.id("req") });
  }
}

export class SimTargetGroupFactory implements TargetGroupFactory {
  constructor(private readonly cloud: SimCloud) {}
  async forAccount(): Promise<TargetGroupPort> {
    return new SimTargetGroupPort(this.cloud);
  }
}

/** Health check answered by the simulated application (SimCloud.healthy). */
export class SimHealthChecker implements HealthChecker {
  constructor(private readonly cloud: SimCloud) {}
  async check(input: { url: string; instance: { instanceId: string } }) {
    const fault = this.cloud.enter("healthCheck", "sim", input);
    if (fault) return { ok: false, detail: `injected ${fault}` };
    const ok = this.cloud.healthy(input.instance.instanceId);
    return this.cloud.leave("healthCheck", { ok, detail: ok ? "200 OK" : "connection refused" });
  }
}
