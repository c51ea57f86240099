/** Image retention: images (and their snapshots) of finished switches are deleted after the retention period. */
import { errorMessage } from "../errors.js";
import type { AuditLog } from "../ports/audit.js";
import type { Clock } from "../ports/clock.js";
import type { Ec2Factory } from "../ports/ec2.js";
import type { SagaStore, SwitchSettings } from "./types.js";

export interface CleanupDeps {
  store: SagaStore;
  ec2: Ec2Factory;
  audit: AuditLog;
  clock: Clock;
  settings: SwitchSettings;
}

/** Deregisters images (and deletes their snapshots) of finished switches older than the retention period. */
export async function cleanupImages(deps: CleanupDeps): Promise<{ images: number; snapshots: number; failed: number }> {
  const before = deps.clock.now() - deps.settings.imageRetentionMs;
  let images = 0;
  let snapshots = 0;
  let failed = 0;
  for (const saga of await deps.store.listForImageCleanup(before)) {
    const imageId = saga.imageId as string;
    try {
      const ec2 = await deps.ec2.forAccount(saga.accountId, saga.region, `spotwise-cleanup`);
      const [img] = await ec2.describeImages({ imageIds: [imageId] });
      if (img && img.state !== "deregistered") {
        await ec2.deregisterImage({ imageId });
        images++;
        for (const snapshotId of img.snapshotIds) {
          await ec2.deleteSnapshot({ snapshotId });
          snapshots++;
        }
      }
      await deps.store.update(saga.id, saga.version, {
        context: { ...saga.context, imageCleanedAt: deps.clock.now() },
      });
      await deps.audit.record({
        at: deps.clock.now(),
        actor: "daemon",
        action: "switch.image_cleaned",
        subject: saga.instanceId,
        detail: { sagaId: saga.id, imageId, snapshots: img?.snapshotIds ?? [] },
      });
    } catch (e) {
      failed++;
      await deps.audit.record({
        at: deps.clock.now(),
        actor: "daemon",
        action: "switch.image_cleanup_failed",
        subject: saga.instanceId,
        detail: { sagaId: saga.id, imageId, error: errorMessage(e) },
      });
    }
  }
  return { images, snapshots, failed };
}
