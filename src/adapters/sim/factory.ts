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
  server: "InternalFailure",
  unavailable: "ServiceUnavailable",
  lost: "TimeoutError",
};

function simFault(fault: SimFault, operation: string): CodedError {
  const status = fault === "server" ? 500 : fault === "unavailable" ? 503 : 400;
  const err = Object.assign(new Error(`injected ${fault}`), {
    name: FAULT_NAMES[fault],
    $metadata: { httpStatusCode: status },
  });
  return mapAwsError(err, `elasticloadbalancing:${operation} (simulated)`);
}

/** ELBv2's InvalidTarget, as AWS answers it for a target that does not exist or is not running. */
function invalidTarget(operation: string, instanceId: string, why: string): CodedError {
  const err = Object.assign(new Error(`The following targets are not valid: '${instanceId}' (${why})`), {
    name: "InvalidTarget",
    $metadata: { httpStatusCode: 400 },
  });
  return mapAwsError(err, `elasticloadbalancing:${operation} (simulated)`);
}

export class SimTargetGroupPort implements TargetGroupPort {
  constructor(private readonly cloud: SimCloud) {}

  async targetGroupsOf(instanceId: string) {
    await this.cloud.before("targetGroupsOf");
    const fault = this.cloud.enter("targetGroupsOf", "sim", { instanceId });
    if (fault) throw simFault(fault, "DescribeTargetHealth");
    return [...this.cloud.targetGroups.entries()]
      .filter(([, ids]) => ids.has(instanceId))
      .map(([targetGroupArn]) => ({ targetGroupArn, port: 80 }));
  }

  /** The instance's state as ELB sees it: undefined when EC2 does not know it (or it is long gone). */
  private stateOf(instanceId: string) {
    const i = this.cloud.instances.get(instanceId);
    return i ? this.cloud.stateOf(i) : undefined;
  }

  /** RegisterTargets: only a running instance can be registered (InvalidTarget otherwise); re-registering is a no-op. */
  async register(input: { targetGroupArn: string; instanceId: string; port?: number }) {
    await this.cloud.before("registerTarget");
    const fault = this.cloud.enter("registerTarget", "sim", input);
    if (fault && fault !== "lost") throw simFault(fault, "RegisterTargets");
    const state = this.stateOf(input.instanceId);
    if (state !== "running") {
      throw invalidTarget("RegisterTargets", input.instanceId, state ? `instance is ${state}` : "no such instance");
    }
    const set = this.cloud.targetGroups.get(input.targetGroupArn) ?? new Set<string>();
    set.add(input.instanceId);
    this.cloud.targetGroups.set(input.targetGroupArn, set);
    if (fault === "lost") throw simFault("lost", "RegisterTargets");
    return this.cloud.leave("registerTarget", { requestId: this.cloud.id("req") });
  }

  /**
   * DeregisterTargets: a live instance that is not registered is a no-op (AWS returns successfully); an instance
   * that is terminated or unknown is InvalidTarget, as AWS answers.
   */
  async deregister(input: { targetGroupArn: string; instanceId: string; port?: number }) {
    await this.cloud.before("deregisterTarget");
    const fault = this.cloud.enter("deregisterTarget", "sim", input);
    if (fault && fault !== "lost") throw simFault(fault, "DeregisterTargets");
    const state = this.stateOf(input.instanceId);
    if (state === undefined || state === "terminated") {
      throw invalidTarget("DeregisterTargets", input.instanceId, state ? `instance is ${state}` : "no such instance");
    }
    this.cloud.targetGroups.get(input.targetGroupArn)?.delete(input.instanceId);
    if (fault === "lost") throw simFault("lost", "DeregisterTargets");
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
