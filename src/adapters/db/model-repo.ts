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
    identity: r.identity ?? null,
    lineage: r.lineage ?? {},
  };
}

function violates(e: unknown, index: string): boolean {
  return isUniqueViolation(e) && String((e as { message?: string })?.message ?? e).includes(index);
}

export class DbModelRepository implements ModelRepository {
  private readonly dir: string | undefined;

  constructor(
    private readonly db: Database,
    opts: { dir?: string } = {},
  ) {
    this.dir = opts.dir ? resolve(opts.dir) : undefined;
  }

  private store(m: NewModel): string | null {
    if (!this.dir) return null;
    mkdirSync(this.dir, { recursive: true });
    const filePath = join(this.dir, `${m.sha256}.onnx`);
    writeFileSync(filePath, m.content);
    return filePath;
  }

  private async alreadyRegistered(identity: string): Promise<CodedError> {
    const same = await this.findByIdentity(identity);
    return new CodedError(
      "conflict",
      same
        ? `this model is already registered as ${same.name} v${same.version} (${same.id})`
        : "this model was registered at the same time by someone else: look again",
    );
  }

  async insertSeedChampion(m: NewModel): Promise<ModelRecord | null> {
    const filePath = this.store(m);
    const at = new Date(m.at);
    // one statement: the unique indexes (name, version), (one champion) and (identity) settle a race, and
    // "on conflict do nothing" makes the losers insert nothing instead of failing
    const res = await this.db
      .em()
      .getConnection()
      .execute<{ id: string }[]>(
        `insert into model (id, name, version, sha256, size_bytes, contract_version, feature_names, metrics, status, added_by, created_at, status_changed_at, previous_champion_id, file_path, content, identity, lineage)
         select ?, ?, 1, ?, ?, ?, ?::jsonb, ?::jsonb, 'champion', ?, ?, ?, null, ?, ?, ?, ?::jsonb
         where not exists (select 1 from model where name = ? or status = 'champion' or identity = ?)
         on conflict do nothing
         returning id`,
        [
          m.id,
          m.name,
          m.sha256,
          m.sizeBytes,
          m.contractVersion,
          JSON.stringify(m.featureNames),
          JSON.stringify(m.metrics),
          m.addedBy,
          at,
          at,
          filePath,
          filePath ? null : Buffer.from(m.content),
          m.identity,
          JSON.stringify(m.lineage),
          m.name,
          m.identity,
        ],
        "all",
      );
    return res.length ? this.get(m.id) : null;
  }

  async findByIdentity(identity: string): Promise<ModelRecord | null> {
    const r = await this.db.em().findOne(ModelEntity, { identity });
    return r ? toRecord(r) : null;
  }

  async setIdentity(id: string, identity: string): Promise<void> {
    try {
      await this.db
        .em()
        .getConnection()
        .execute(`update model set identity = ? where id = ? and identity is null`, [identity, id], "run");
    } catch (e) {
      // two legacy rows of the same model: the second keeps no identity (the first one represents it)
      if (!violates(e, "model_identity_uniq")) throw e;
    }
  }

  async insert(m: NewModel): Promise<ModelRecord> {
    const filePath = this.store(m);
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
            identity: m.identity,
            lineage: m.lineage,
          });
          await tx.flush();
          return toRecord(row);
        });
      } catch (e) {
        if (violates(e, "model_identity_uniq")) throw await this.alreadyRegistered(m.identity);
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
