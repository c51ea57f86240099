/**
 * Capacity spotwise observes itself while switching: every RunInstances into a spot pool becomes a capacity
 * point of that pool (launched: 1, InsufficientInstanceCapacity: 0). An Ec2Factory decorator, so the saga
 * stays unaware of the market store.
 */
import type { Clock } from "../ports/clock.js";
import type { Ec2Factory, Ec2Port, RunInstancesInput } from "../ports/ec2.js";
import type { MarketStore } from "../ports/market-store.js";
import { launchOutcome } from "./capacity-events.js";
import type { MarketLogger } from "./log.js";

export class CapacityRecordingEc2Factory implements Ec2Factory {
  constructor(
    private readonly inner: Ec2Factory,
    private readonly deps: { store: Pick<MarketStore, "appendCapacity">; clock: Clock; log: MarketLogger },
  ) {}

  async forAccount(accountId: string, region: string, sessionName?: string): Promise<Ec2Port> {
    const port = await this.inner.forAccount(accountId, region, sessionName);
    return recordingPort(port, (input, error) => this.record(port, input, error));
  }

  private async record(port: Ec2Port, input: RunInstancesInput, error?: unknown): Promise<void> {
    if (!input.spot) return;
    const event = launchOutcome(
      { region: port.region, az: input.az, instanceType: input.instanceType },
      this.deps.clock.now(),
      error,
    );
    if (!event) return;
    // an observation lost is a pity, a launch failed because of it would be a bug: never throw from here
    await this.deps.store.appendCapacity([event]).catch((e: unknown) => {
      this.deps.log.warn(
        { err: String(e), pool: `${port.region}/${input.az}/${input.instanceType}` },
        "capacity point not stored",
      );
    });
  }
}

function recordingPort(port: Ec2Port, record: (input: RunInstancesInput, error?: unknown) => Promise<void>): Ec2Port {
  const runInstances: Ec2Port["runInstances"] = async (input) => {
    try {
      const out = await port.runInstances(input);
      await record(input);
      return out;
    } catch (e) {
      await record(input, e);
      throw e;
    }
  };
  // every other call goes to the wrapped port unchanged (bound, so class-based ports keep their `this`)
  return new Proxy(port, {
    get(target, prop, receiver) {
      if (prop === "runInstances") return runInstances;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
