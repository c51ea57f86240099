/**
 * The forward steps of the switch saga. Each is idempotent: it first looks at real EC2 state (resources are
 * tagged with the saga id, launches carry the saga id as ClientToken), so re-running after a crash adopts
 * what the previous run created instead of creating it twice.
 */
import { CodedError, isCodedError } from "../errors.js";
import type { Ec2Instance } from "../ports/ec2.js";
import { type PoolKey, poolId } from "../types.js";
import { launchOptions, movedVolumes, secondaryIps, volumeTags } from "./identity.js";
import type { SagaRun } from "./run.js";

export const TAG_SAGA = "spotwise:saga-id";
export const TAG_MANAGED = "spotwise:managed";
export const TAG_CREATED_BY = "spotwise:created-by";
export const TAG_REPLACES = "spotwise:replaces";
export const TAG_HEALTH_URL = "spotwise:health-url";

/** Tags on everything spotwise creates, so nothing it leaves behind is anonymous. */
export function sagaTags(run: SagaRun): Record<string, string> {
  return { [TAG_SAGA]: run.id, [TAG_CREATED_BY]: "spotwise", [TAG_REPLACES]: run.saga.instanceId };
}

export async function createImage(run: SagaRun): Promise<void> {
  if (!run.saga.imageId) {
    await run.step("create_image", `Creating an image of ${run.saga.instanceId}`, async () => {
      const existing = await run.call(() => run.ec2.describeImages({ tagFilters: { [TAG_SAGA]: run.id } }));
      const found = existing.find((i) => i.state !== "deregistered" && i.state !== "failed");
      if (found) {
        await run.save({ imageId: found.imageId });
        return { value: undefined, detail: { imageId: found.imageId, adopted: true, summary: found.imageId } };
      }
      const r = await run.call(() =>
        run.ec2
          .createImage({
            instanceId: run.saga.instanceId,
            name: `spotwise-${run.saga.instanceId}-${run.id.slice(0, 8)}`,
            noReboot: run.saga.context.noReboot,
            tags: sagaTags(run),
            clientToken: `${run.id}-image`,
            // data volumes kept on termination move to the replacement: the image holds the root volume only
            noDevices: movedVolumes(run.saga.context.source.launch).map((v) => v.deviceName),
          })
          .catch(async (e: unknown) => {
            // CreateImage has no client token: a retried call after a lost response meets its own image name
            if (!isCodedError(e) || e.detail?.awsError !== "InvalidAMIName.Duplicate") throw e;
            const [mine] = await run.ec2.describeImages({ tagFilters: { [TAG_SAGA]: run.id } });
            if (!mine) throw e;
            return { imageId: mine.imageId, requestId: undefined };
          }),
      );
      await run.save({ imageId: r.imageId });
      return { value: undefined, requestId: r.requestId, detail: { imageId: r.imageId, summary: r.imageId } };
    });
  }
  const imageId = run.saga.imageId as string;
  await run.step("wait_image", `Waiting for image ${imageId}`, async () => {
    await run.waitFor("imaging", run.deps.settings.imageDeadlineMs, `image ${imageId} becoming available`, async () => {
      const [img] = await run.ec2.describeImages({ imageIds: [imageId] });
      if (!img) return undefined;
      if (img.state === "failed" || img.state === "deregistered") {
        throw new CodedError("aws_error", `image ${imageId} is ${img.state}`);
      }
      return img.state === "available" ? true : undefined;
    });
    return { value: undefined, detail: { imageId, summary: "available" } };
  });
  await run.enter("launching");
}

function subnetFor(run: SagaRun, target: PoolKey): string | undefined {
  const src = run.saga.context.source;
  if (target.az === src.az) return src.subnetId;
  return run.saga.context.subnetForAz?.[target.az];
}

export async function launchReplacement(run: SagaRun): Promise<void> {
  if (run.saga.newInstanceId) return run.enter("verifying");
  await run.step("run_instances", "Launching the spot replacement", async () => {
    const adopted = await findReplacements(run);
    if (adopted.length > 0) {
      const inst = adopted[0] as Ec2Instance;
      await run.save({ newInstanceId: inst.instanceId });
      return { value: undefined, detail: { newInstanceId: inst.instanceId, adopted: true, summary: inst.instanceId } };
    }
    const src = run.saga.context.source;
    for (let i = run.saga.targetIndex; i < run.saga.targets.length; i++) {
      const target = run.saga.targets[i] as PoolKey;
      const pool = poolId(target);
      try {
        const r = await run.call(() =>
          run.ec2.runInstances({
            imageId: run.saga.imageId as string,
            instanceType: target.instanceType,
            az: target.az,
            subnetId: subnetFor(run, target),
            securityGroupIds: src.securityGroupIds,
            iamInstanceProfileArn: src.iamInstanceProfileArn,
            keyName: src.keyName,
            userData: src.userData,
            tags: { ...copyableTags(src.tags), ...sagaTags(run), [TAG_MANAGED]: "true" },
            spot: true,
            clientToken: `${run.id}-${i}`,
            ...launchOptions(src.launch, src.instanceType, target),
          }),
        );
        await run.save({ newInstanceId: r.instanceId, targetIndex: i });
        return {
          value: undefined,
          requestId: r.requestId,
          detail: { newInstanceId: r.instanceId, pool, summary: `${r.instanceId} in ${pool}` },
        };
      } catch (e) {
        if (!isCodedError(e, "aws_capacity")) throw e;
        const launchAttempts = [...run.saga.context.launchAttempts, { pool, error: e.message }];
        await run.save({ targetIndex: i + 1, context: { ...run.saga.context, launchAttempts } });
        await run.notify("run_instances", "info", `No spot capacity in ${pool}; trying the next candidate pool`);
        await run.audit("switch.capacity_fallback", { pool, error: e.message });
      }
    }
    throw new CodedError(
      "aws_capacity",
      `no spot capacity in any of the ${run.saga.targets.length} candidate pool(s): ${run.saga.context.launchAttempts.map((a) => a.pool).join(", ")}`,
    );
  });
  await run.enter("verifying");
}

/**
 * What RunInstances cannot set: source/destination check (ModifyInstanceAttribute after launch) and each
 * volume's own tags (RunInstances tags every volume alike), matched by device name. Idempotent.
 */
async function finishLaunch(run: SagaRun, newId: string): Promise<string[]> {
  const launch = run.saga.context.source.launch;
  const done: string[] = [];
  if (launch?.sourceDestCheck === false) {
    await run.call(() => run.ec2.modifyInstanceAttribute({ instanceId: newId, sourceDestCheck: false }));
    done.push("source/destination check off");
  }
  const tags = volumeTags(launch);
  if ([...tags.values()].some((t) => Object.keys(t).length)) {
    const [inst] = await run.call(() => run.ec2.describeInstances({ instanceIds: [newId] }));
    for (const b of inst?.blockDevices ?? []) {
      const t = tags.get(b.deviceName);
      if (!t || Object.keys(t).length === 0) continue;
      await run.call(() => run.ec2.createTags({ resourceIds: [b.volumeId], tags: t }));
      done.push(`tags of ${b.deviceName}`);
    }
  }
  return done;
}

/** Instances this saga launched that are still alive (found by tag, so a crash cannot hide one). */
export async function findReplacements(run: SagaRun): Promise<Ec2Instance[]> {
  const found = await run.call(() => run.ec2.describeInstances({ tagFilters: { [TAG_SAGA]: run.id } }));
  return found.filter(
    (i) => i.instanceId !== run.saga.instanceId && i.state !== "terminated" && i.state !== "shutting-down",
  );
}

function copyableTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags).filter(([k]) => !k.startsWith("aws:") && k !== TAG_SAGA && k !== TAG_REPLACES),
  );
}

export async function verifyReplacement(run: SagaRun): Promise<void> {
  const newId = run.saga.newInstanceId as string;
  await run.step("wait_running", `Waiting for ${newId} to run and pass status checks`, async () => {
    await run.waitFor("verifying", run.deps.settings.launchDeadlineMs, `${newId} passing status checks`, async () => {
      const [st] = await run.ec2.describeInstanceStatus({ instanceIds: [newId] });
      if (!st) return undefined;
      if (st.state === "terminated" || st.state === "shutting-down" || st.state === "stopped") {
        throw new CodedError("aws_error", `replacement ${newId} is ${st.state} (spot capacity reclaimed?)`);
      }
      return st.state === "running" && st.systemOk && st.instanceOk ? true : undefined;
    });
    const configured = await finishLaunch(run, newId);
    return {
      value: undefined,
      detail: { summary: `running, status checks ok${configured.length ? `; ${configured.join(", ")}` : ""}` },
    };
  });
  // with data volumes to move, the application is checked once it has its data (after the move)
  const moves = movedVolumes(run.saga.context.source.launch).length > 0;
  if (!moves) await healthCheck(run);
  await run.save({ context: { ...run.saga.context, verifiedAt: run.now() } });
  await run.enter(moves ? "moving_volumes" : "cutover");
}

/** The application health check of the replacement (health URL), within the health deadline. */
export async function healthCheck(run: SagaRun): Promise<void> {
  const newId = run.saga.newInstanceId as string;
  const url = run.saga.context.healthUrl;
  const checker = run.healthChecker;
  await run.step("health_check", "Application health check", async () => {
    if (!url || !checker) return { value: undefined, skipped: true, detail: { summary: "no health check URL" } };
    await run.startClock("health");
    let last = "";
    await run.waitFor("health", run.deps.settings.healthDeadlineMs, `health check ${url} passing`, async () => {
      const [inst] = await run.ec2.describeInstances({ instanceIds: [newId] });
      if (!inst) return undefined;
      const r = await checker.check({ url, instance: inst });
      last = r.detail ?? "";
      return r.ok ? true : undefined;
    });
    return { value: undefined, detail: { url, summary: last || "healthy" } };
  });
}

/** The AWS error name behind a CodedError (detail.awsError), e.g. "InvalidTarget". */
export function awsErrorName(e: unknown): string | undefined {
  return isCodedError(e) && typeof e.detail?.awsError === "string" ? e.detail.awsError : undefined;
}

/** Answers that mean "already done" for an undo or a cleanup step. */
export function alreadyDone(e: unknown, ...names: string[]): boolean {
  const name = awsErrorName(e);
  return name !== undefined && names.some((n) => name === n || name === `${n}Exception`);
}

/** The replacement was lost (reclaimed, stopped, failing checks): roll back, it counts as a capacity failure. */
function replacementLost(message: string): CodedError {
  return new CodedError("aws_capacity", message, { replacementLost: true });
}

export function isReplacementLost(e: unknown): boolean {
  return isCodedError(e) && e.detail?.replacementLost === true;
}

/**
 * Looks at the replacement again right before changing the world (moving the identity, terminating the old
 * instance), on the first run and on every resume: it must be running, pass its status checks and, when a
 * health URL is set, answer healthy. Otherwise the saga rolls back instead of trusting an old verification.
 */
export async function recheckReplacement(run: SagaRun, before: string, opts = { health: true }): Promise<void> {
  const newId = run.saga.newInstanceId;
  if (!newId) throw new CodedError("internal", "no replacement recorded to check");
  await run.step("recheck_replacement", `Checking ${newId} again before ${before}`, async () => {
    const [st] = await run
      .call(() => run.ec2.describeInstanceStatus({ instanceIds: [newId] }))
      .catch((e: unknown) => {
        if (isCodedError(e, "not_found")) return [];
        throw e;
      });
    if (st?.state !== "running") {
      throw replacementLost(`replacement ${newId} is ${st?.state ?? "gone"} (spot capacity reclaimed?); not ${before}`);
    }
    if (!st.systemOk || !st.instanceOk) {
      throw replacementLost(`replacement ${newId} is failing its EC2 status checks; not ${before}`);
    }
    const url = run.saga.context.healthUrl;
    const checker = run.healthChecker;
    if (!url || !checker || !opts.health) return { value: undefined, detail: { summary: "running, status checks ok" } };
    let last = "";
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await run.deps.clock.sleep(run.deps.settings.pollIntervalMs);
      const [inst] = await run.call(() => run.ec2.describeInstances({ instanceIds: [newId] }));
      if (!inst) break;
      const r = await checker.check({ url, instance: inst });
      last = r.detail ?? "";
      if (r.ok) return { value: undefined, detail: { summary: `running, status checks ok, ${last || "healthy"}` } };
    }
    throw replacementLost(`replacement ${newId} fails its health check ${url} (${last || "no answer"}); not ${before}`);
  });
}

export async function carryIdentity(run: SagaRun): Promise<void> {
  const newId = run.saga.newInstanceId as string;
  const { addresses, targetGroups } = run.saga.context;
  await recheckReplacement(run, "moving the identity");
  const launch = run.saga.context.source.launch;
  const target = run.saga.targets[run.saga.targetIndex];
  const sameSubnet = target?.az === run.saga.context.source.az;
  const secondary = sameSubnet ? secondaryIps(launch) : [];
  await run.step("carry_private_ips", "Moving the secondary private IPs", async () => {
    if (secondary.length === 0) return { value: undefined, skipped: true, detail: { summary: "none to move" } };
    const r = await run.call(() => run.ec2.assignPrivateIps({ instanceId: newId, privateIps: secondary }));
    return { value: undefined, requestId: r.requestId, detail: { summary: secondary.join(", ") } };
  });
  const primaryIp = launch?.privateIps.find((p) => p.primary)?.privateIp;
  await run.step("carry_eip", "Moving the Elastic IPs", async () => {
    if (addresses.length === 0) return { value: undefined, skipped: true, detail: { summary: "no Elastic IP" } };
    let requestId: string | undefined;
    for (const a of addresses) {
      if (run.saga.context.moved.eips.includes(a.allocationId)) continue;
      // each address goes back to the private IP it was on: the new primary, or the moved secondary IP
      const onSecondary = a.privateIp !== undefined && a.privateIp !== primaryIp;
      if (onSecondary && !secondary.includes(a.privateIp as string)) continue;
      const r = await run.call(() =>
        run.ec2.associateAddress({
          allocationId: a.allocationId,
          instanceId: newId,
          allowReassociation: true,
          privateIp: onSecondary ? a.privateIp : undefined,
        }),
      );
      requestId = r.requestId ?? requestId;
      const moved = { ...run.saga.context.moved, eips: [...run.saga.context.moved.eips, a.allocationId] };
      await run.save({ context: { ...run.saga.context, moved } });
    }
    return { value: undefined, requestId, detail: { summary: addresses.map((a) => a.publicIp).join(", ") } };
  });
  await run.step("carry_target_groups", "Re-registering target groups", async () => {
    if (targetGroups.length === 0 || !run.tg) {
      return { value: undefined, skipped: true, detail: { summary: "no target groups" } };
    }
    const tg = run.tg;
    let requestId: string | undefined;
    for (const g of targetGroups) {
      if (run.saga.context.moved.targetGroups.includes(g.targetGroupArn)) continue;
      const r = await run.call(() =>
        tg.register({ targetGroupArn: g.targetGroupArn, instanceId: newId, port: g.port }),
      );
      await run
        .call(() => tg.deregister({ targetGroupArn: g.targetGroupArn, instanceId: run.saga.instanceId, port: g.port }))
        .catch((e: unknown) => {
          // the old instance is already gone (rolled forward after it was reclaimed): nothing to deregister
          if (!alreadyDone(e, "InvalidTarget")) throw e;
        });
      requestId = r.requestId ?? requestId;
      const moved = {
        ...run.saga.context.moved,
        targetGroups: [...run.saga.context.moved.targetGroups, g.targetGroupArn],
      };
      await run.save({ context: { ...run.saga.context, moved } });
    }
    return { value: undefined, requestId, detail: { summary: `${targetGroups.length} target group(s)` } };
  });
  await run.enter("terminating_old");
}

export async function terminateOld(run: SagaRun): Promise<void> {
  if (run.saga.context.verifiedAt === undefined) {
    // never reached without verification; a hard stop rather than a lost instance
    throw new CodedError("internal", "refusing to terminate the old instance: the replacement was not verified");
  }
  await recheckReplacement(run, `terminating the old instance ${run.saga.instanceId}`);
  await run.step("terminate_old", `Terminating the old instance ${run.saga.instanceId}`, async () => {
    if (run.saga.context.source.launch?.disableApiTermination) {
      // approved with its termination protection on (the plan said so): off only now, after every check
      await run.call(() =>
        run.ec2.modifyInstanceAttribute({ instanceId: run.saga.instanceId, disableApiTermination: false }),
      );
    }
    const r = await run
      .call(() => run.ec2.terminateInstances({ instanceIds: [run.saga.instanceId] }))
      .catch((e: unknown) => {
        if (isCodedError(e, "not_found")) return { requestId: undefined };
        throw e;
      });
    return { value: undefined, requestId: r.requestId, detail: { summary: run.saga.instanceId } };
  });
}
