/**
 * `spotwise resume [SAGA_ID]`: drives unfinished switches forward or back from real EC2 state, the same way the
 * daemon's reconcile job does; also retries sagas left in needs_attention once a person fixed the cause.
 * Exits 0 when each one reached done or rolled back, 1 otherwise (still in flight, needs attention, refused).
 */
import type { Command } from "commander";
import { z } from "zod";
import { loadConfig } from "../../config/load.js";
import { CodedError } from "../../core/errors.js";
import type { SagaOutcome } from "../../core/switch/types.js";
import { CliExit, type CliIo } from "../io.js";
import { openCliRunner, wireCloud } from "./switch-wiring.js";

const SagaId = z.string().uuid("a switch id (uuid) as printed by `spotwise switch` or in the audit log");

export function register(program: Command, io: CliIo): void {
  program
    .command("resume")
    .description("Resume unfinished switches (all, or one) to done or rolled back; retries those that need attention")
    .argument("[saga-id]", "the switch to resume (default: every unfinished one)")
    .action(async (sagaId: string | undefined) => {
      if (sagaId !== undefined) {
        const parsed = SagaId.safeParse(sagaId);
        if (!parsed.success) {
          throw new CodedError("invalid_input", `spotwise resume: ${parsed.error.issues[0]?.message}`);
        }
      }
      await runResume(io, sagaId);
    });
}

async function runResume(io: CliIo, sagaId: string | undefined): Promise<void> {
  const config = loadConfig(io.env);
  const w = await wireCloud(config, { command: "resume" }, io.env);
  const { runner, close } = await openCliRunner(config, w, io.stdout);
  let outcomes: SagaOutcome[];
  try {
    const progress = (id: string) => (step: string, status: string, text: string) => {
      if (status !== "started") io.stdout(`  [${id.slice(0, 8)} ${step}] ${text}`);
    };
    outcomes = sagaId
      ? [await runner.resume(sagaId, progress(sagaId), { reopen: true })]
      : await runner.resumeAll((s) => progress(s.id), { includeAttention: true });
  } finally {
    await close();
  }
  if (outcomes.length === 0) {
    io.stdout("nothing to resume: no switch is in flight or needs attention");
    return;
  }
  for (const o of outcomes) io.stdout(line(o));
  const unfinished = outcomes.filter((o) => o.state !== "done" && o.state !== "rolled_back");
  if (unfinished.length > 0) {
    throw new CliExit(1, `spotwise resume: ${unfinished.length} of ${outcomes.length} switch(es) did not finish`);
  }
}

function line(o: SagaOutcome): string {
  const id = o.sagaId ?? "-";
  switch (o.state) {
    case "done":
      return `done: ${o.instanceId} → ${o.newInstanceId} (switch ${id})`;
    case "rolled_back":
      return `rolled back: ${o.instanceId} keeps running (switch ${id}): ${o.reason ?? ""}`;
    default:
      return `${o.state.replace("_", " ")}: ${o.instanceId} (switch ${id}) (${o.code}): ${o.reason ?? ""}`;
  }
}
