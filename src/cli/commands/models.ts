/**
 * `spotwise models …`: validate a file, and the registry (add, list, show, promote, reject, rollback, shadow).
 * The DB-backed commands open the configured database (PostgreSQL or the embedded PGlite) and migrate it.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { DbAuditLog } from "../../adapters/db/audit-repo.js";
import { DbExperimentQueries } from "../../adapters/db/experiment-queries.js";
import { DbModelRepository } from "../../adapters/db/model-repo.js";
import { type Database, openDatabase } from "../../adapters/db/orm.js";
import { OnnxModelLoader } from "../../adapters/onnx/runner.js";
import { loadConfig } from "../../config/load.js";
import { errorMessage } from "../../core/errors.js";
import type { ModelRecord } from "../../core/models/model-repository.js";
import { PromotionGate } from "../../core/models/promotion-gate.js";
import { ModelRegistry } from "../../core/models/registry.js";
import { validateModel } from "../../core/models/validate.js";
import { systemClock } from "../../core/ports/clock.js";
import { CliExit, type CliIo } from "../io.js";

export interface ModelServices {
  db: Database;
  registry: ModelRegistry;
  maxBytes: number;
}

export function modelValidator(maxBytes: number): (bytes: Uint8Array) => ReturnType<typeof validateModel> {
  const loader = new OnnxModelLoader();
  return (bytes) => validateModel(bytes, { describe: (b) => loader.describe(b), loader, maxBytes });
}

const describeOnnx = (bytes: Uint8Array) => new OnnxModelLoader().describe(bytes);

/** Opens the configured database (migrated) and the registry on it; close with `db.close()`. */
export async function openModelServices(io: CliIo): Promise<ModelServices> {
  const config = loadConfig(io.env);
  const db = await openDatabase({ url: config.env.DATABASE_URL, dataDir: config.env.SPOTWISE_DATA_DIR });
  await db.migrate();
  const maxBytes = config.file.models.maxBytes;
  const registry = new ModelRegistry({
    repo: new DbModelRepository(db, { dir: config.file.models.dir }),
    audit: new DbAuditLog(db),
    clock: systemClock,
    validate: modelValidator(maxBytes),
    describe: describeOnnx,
    gate: new PromotionGate({
      queries: new DbExperimentQueries(db),
      clock: systemClock,
      settings: config.file.models.promotion,
    }),
  });
  return { db, registry, maxBytes };
}

export function cliActor(io: CliIo): string {
  return `cli:${io.env.SPOTWISE_ACTOR ?? io.env.USER ?? "unknown"}`;
}

function readModelFile(io: CliIo, file: string, cmd: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(resolve(io.cwd, file)));
  } catch (e) {
    throw new CliExit(2, `spotwise models ${cmd}: cannot read ${file}: ${errorMessage(e)}`);
  }
}

const line = (m: ModelRecord) =>
  `${m.id}  ${`${m.name} v${m.version}`.padEnd(24)} ${m.status.padEnd(9)} ${String(m.sizeBytes).padStart(9)} B  ${m.addedBy}  ${new Date(m.createdAt).toISOString()}`;

async function withRegistry(io: CliIo, fn: (s: ModelServices) => Promise<void>): Promise<void> {
  const s = await openModelServices(io);
  try {
    await fn(s);
  } finally {
    await s.db.close();
  }
}

export function register(program: Command, io: CliIo): void {
  const models = program.command("models").description("Validate ONNX models and manage the model registry");

  models
    .command("validate")
    .description("Check a model file against the feature contract (exit 0 with a JSON summary, 2 with the problem)")
    .argument("<file>", "ONNX model file")
    .action(async (file: string) => {
      const config = loadConfig(io.env);
      const summary = await modelValidator(config.file.models.maxBytes)(readModelFile(io, file, "validate"));
      io.stdout(JSON.stringify({ ok: true, file, ...summary }, null, 2));
    });

  models
    .command("add")
    .description("Validate and register a model file as a new candidate version of NAME")
    .argument("<file>", "ONNX model file")
    .requiredOption("--name <name>", "model name (versions are numbered per name)")
    .action(async (file: string, opts: { name: string }) => {
      const bytes = readModelFile(io, file, "add");
      await withRegistry(io, async ({ registry }) => {
        const { model } = await registry.add({ bytes, name: opts.name, addedBy: cliActor(io) });
        io.stdout(`added ${model.name} v${model.version} as candidate: id ${model.id}, sha256 ${model.sha256}`);
        io.stdout(`next: 'spotwise models promote ${model.id}' (or 'models shadow ${model.id}' to compare first)`);
      });
    });

  models
    .command("list")
    .description("List registered models")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      await withRegistry(io, async ({ registry }) => {
        const rows = await registry.list();
        if (opts.json) return io.stdout(JSON.stringify({ models: rows }, null, 2));
        if (rows.length === 0)
          return io.stdout("no models registered: add one with 'spotwise models add FILE --name NAME'");
        for (const m of rows) io.stdout(line(m));
      });
    });

  models
    .command("show")
    .description("Show one model (by id, NAME@VERSION or NAME for its latest version)")
    .argument("<id>")
    .action(async (ref: string) => {
      await withRegistry(io, async ({ registry }) => {
        io.stdout(JSON.stringify(await registry.show(ref), null, 2));
      });
    });

  models
    .command("promote")
    .description(
      "Make a model the champion (gated: enough shadow time and labelled outcomes, not worse than the champion on the same rows; atomic; the current champion is retired and remembered for rollback)",
    )
    .argument("<id>")
    .option("--force", "override a refusal of the promotion gate (needs --reason; audited and announced)")
    .option("--reason <text>", "why the gate is overridden")
    .action(async (ref: string, opts: { force?: boolean; reason?: string }) => {
      await withRegistry(io, async ({ registry }) => {
        const { champion, previous, gate, forced } = await registry.promote(ref, cliActor(io), opts);
        if (forced) io.stdout(`gate overridden (audited): ${gate?.failures.join("; ")}`);
        else if (gate?.paired) {
          const p = gate.paired;
          io.stdout(
            `gate passed: shadowed ${gate.shadowHours.toFixed(1)} h; ${p.n} paired outcomes (effective n ${Math.round(p.nEff)}); Brier vs champion ${p.brier.diff >= 0 ? "+" : ""}${p.brier.diff.toFixed(4)} (95% CI [${p.brier.ci[0].toFixed(4)}, ${p.brier.ci[1].toFixed(4)}])`,
          );
        }
        io.stdout(
          `${champion.name} v${champion.version} is the champion${previous ? `; ${previous.name} v${previous.version} retired ('spotwise models rollback' restores it)` : ""}`,
        );
      });
    });

  models
    .command("reject")
    .description("Reject a model (it is never scored again)")
    .argument("<id>")
    .option("--reason <text>", "why, for the audit trail")
    .action(async (ref: string, opts: { reason?: string }) => {
      await withRegistry(io, async ({ registry }) => {
        const m = await registry.reject(ref, cliActor(io), opts.reason);
        io.stdout(`${m.name} v${m.version} rejected`);
      });
    });

  models
    .command("rollback")
    .description("Restore the previous champion; the current one is retired")
    .action(async () => {
      await withRegistry(io, async ({ registry }) => {
        const { champion, retired } = await registry.rollback(cliActor(io));
        io.stdout(
          `${champion.name} v${champion.version} is the champion again; ${retired.name} v${retired.version} retired`,
        );
      });
    });

  models
    .command("shadow")
    .description("Score a model every tick next to the champion without deciding anything (--off to stop)")
    .argument("<id>")
    .option("--off", "stop shadowing (back to candidate)")
    .action(async (ref: string, opts: { off?: boolean }) => {
      await withRegistry(io, async ({ registry }) => {
        const m = await registry.setShadow(ref, !opts.off, cliActor(io));
        io.stdout(`${m.name} v${m.version} is ${m.status}`);
      });
    });
}
