/**
 * ModelRepository on the `model` table. File bytes go to the `content` bytea column, or, with a configured
 * directory (config models.dir), to <dir>/<sha256>.onnx (content-addressed, written before the row) with
 * `file_path` pointing at it.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { CodedError } from "../../core/errors.js";
import type {
  ModelRecord,
  ModelRepository,
  ModelStatus,
  NewModel,
  StatusChange,
} from "../../core/models/model-repository.js";
import { ModelEntity, type ModelRow } from "./entities.js";
import type { Database } from "./orm.js";

/** PostgreSQL reports 23505; MikroORM maps it on node-postgres, the PGlite driver passes it through. */
function isUniqueViolation(e: unknown): boolean {
  if (e instanceof UniqueConstraintViolationException) return true;
  const err = e as { code?: string; cause?: { code?: string } } | null;
  return err?.code === "23505" || err?.cause?.code === "23505" || /duplicate key value/.test(String(e));
}

function toRecord(r: ModelRow): ModelRecord {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    sha256: r.sha256,
    sizeBytes: r.sizeBytes,
    contractVersion: r.contractVersion,
    featureNames: r.featureNames,
    metrics: r.metrics,
    status: r.status,
    addedBy: r.addedBy,
    createdAt: r.createdAt.getTime(),
    statusChangedAt: r.statusChangedAt.getTime(),
    previousChampionId: r.previousChampionId ?? null,
  };
}

export class DbModelRepository implements ModelRepository {
  private readonly dir: string | undefined;

  constructor(
    private readonly db: Database,
    opts: { dir?: string } = {},
  ) {
    this.dir = opts.dir ? resolve(opts.dir) : undefined;
  }

  async insert(m: NewModel): Promise<ModelRecord> {
    let filePath: string | null = null;
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true });
      filePath = join(this.dir, `${m.sha256}.onnx`);
      writeFileSync(filePath, m.content);
    }
    // the unique (name, version) index serialises concurrent adds; retry on a lost race
    for (let attempt = 0; ; attempt++) {
      const em = this.db.em();
      try {
        return await em.transactional(async (tx) => {
          const [{ max }] = await tx
            .getConnection()
            .execute<{ max: number | null }[]>(
              `select max(version) as max from model where name = ?`,
              [m.name],
              "all",
              tx.getTransactionContext(),
            );
          const row = tx.create(ModelEntity, {
            id: m.id,
            name: m.name,
            version: (max ?? 0) + 1,
            sha256: m.sha256,
            sizeBytes: m.sizeBytes,
            contractVersion: m.contractVersion,
            featureNames: m.featureNames,
            metrics: m.metrics,
            status: "candidate",
            addedBy: m.addedBy,
            createdAt: new Date(m.at),
            statusChangedAt: new Date(m.at),
            previousChampionId: null,
            filePath,
            content: filePath ? null : Buffer.from(m.content),
          });
          await tx.flush();
          return toRecord(row);
        });
      } catch (e) {
        if (isUniqueViolation(e) && attempt < 5) continue;
        throw e;
      }
    }
  }

  async get(id: string): Promise<ModelRecord | null> {
    const r = await this.db.em().findOne(ModelEntity, { id });
    return r ? toRecord(r) : null;
  }

  async list(filter: { statuses?: ModelStatus[]; name?: string } = {}): Promise<ModelRecord[]> {
    const where: Record<string, unknown> = {};
    if (filter.statuses) where.status = { $in: filter.statuses };
    if (filter.name) where.name = filter.name;
    const rows = await this.db.em().find(ModelEntity, where, { orderBy: { name: "asc", version: "asc" } });
    return rows.map(toRecord);
  }

  async content(id: string): Promise<Uint8Array | null> {
    const r = await this.db.em().findOne(ModelEntity, { id }, { populate: ["content"] });
    if (r?.content) return new Uint8Array(r.content);
    if (r?.filePath) {
      try {
        return new Uint8Array(readFileSync(r.filePath));
      } catch {
        return null;
      }
    }
    return null;
  }

  async transition(changes: StatusChange[], at: number): Promise<void> {
    try {
      await this.db.em().transactional(async (tx) => {
        const conn = tx.getConnection();
        for (const c of changes) {
          const sets = [`status = ?`, `status_changed_at = ?`];
          const params: unknown[] = [c.to, new Date(at)];
          if (c.previousChampionId !== undefined) {
            sets.push(`previous_champion_id = ?`);
            params.push(c.previousChampionId);
          }
          const res = await conn.execute(
            `update model set ${sets.join(", ")} where id = ? and status = ?`,
            [...params, c.id, c.from],
            "run",
            tx.getTransactionContext(),
          );
          if ((res as { affectedRows?: number }).affectedRows !== 1) {
            throw new CodedError("conflict", `model ${c.id} is no longer ${c.from}: someone changed it, look again`);
          }
        }
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new CodedError("conflict", "another model became champion at the same time: look again and retry");
      }
      throw e;
    }
  }
}
