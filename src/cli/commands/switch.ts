/**
 * `spotwise switch INSTANCE_ID --to TYPE[@AZ][,TYPE[@AZ]…]`: the guarded switch saga for an operator.
 * Prints the plan with --dry-run, refuses without --yes, respects mode, pause, breaker and budget, and exits
 * non-zero with the reason on refusal or rollback. SPOTWISE_CLOUD=sim runs it against the sandbox's seeded fleet (src/app/sandbox.ts).
 */
import type { Command } from "commander";
import { z } from "zod";
import { loadConfig } from "../../config/load.js";
import { CodedError } from "../../core/errors.js";
import type { SagaOutcome, SwitchRequest } from "../../core/switch/types.js";
import type { PoolKey } from "../../core/types.js";
import { CliExit, type CliIo } from "../io.js";
import { openCliRunner, wireCloud } from "./switch-wiring.js";

const Args = z.object({
  instanceId: z.string().regex(/^i-[0-9a-z]{4,32}$/, "an instance id like i-0123456789abcdef0"),
  to: z
    .string()
    .regex(
      /^[a-z0-9-]+\.[a-z0-9-]+(@[a-z]{2}(-gov)?-[a-z]+-\d[a-z])?(,[a-z0-9-]+\.[a-z0-9-]+(@[a-z]{2}(-gov)?-[a-z]+-\d[a-z])?)*$/,
      "TYPE[@AZ], comma-separated alternatives, e.g. m5a.large@us-east-1b,m6i.large",
    ),
  account: z
    .string()
    .regex(/^(\d{12}|sim|local)$/, "a 12-digit AWS account id")
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as us-east-1")
    .optional(),
  dryRun: z.boolean().default(false),
  yes: z.boolean().default(false),
});
type Args = z.infer<typeof Args>;

export function register(program: Command, io: CliIo): void {
  program
    .command("switch")
    .description("Switch an instance into another spot pool: image, launch, verify, move identity, terminate old")
    .argument("<instance-id>", "the instance to switch (tagged spotwise:managed=true)")
    .requiredOption(
      "--to <pools>",
      "target TYPE[@AZ]; comma-separated alternatives tried on InsufficientInstanceCapacity",
    )
    .option(
      "--account <id>",
      "AWS account id (default: the only configured account; none configured: your credentials' account)",
    )
    .option("--region <region>", "region (default: the account's first region; none configured: AWS_REGION)")
    .option("--dry-run", "check every guard and print the plan; change nothing")
    .option("--yes", "really switch (required)")
    .action(async (instanceId: string, opts: Record<string, unknown>) => {
      const parsed = Args.safeParse({ instanceId, ...opts });
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new CodedError("invalid_input", `spotwise switch: ${i?.path.join(".")}: ${i?.message}`);
      }
      await runSwitch(io, parsed.data);
    });
}

function parseTargets(to: string, region: string, currentAz: string): PoolKey[] {
  return to.split(",").map((t) => {
    const [instanceType, az] = t.split("@") as [string, string | undefined];
    return { region, az: az ?? currentAz, instanceType };
  });
}

async function runSwitch(io: CliIo, args: Args): Promise<void> {
  const config = loadConfig(io.env);
  const w = await wireCloud(config, { ...args, command: "switch" }, io.env);
  const { runner, close } = await openCliRunner(config, w, io.stdout);
  try {
    const sw = config.file.switch;
    const ec2 = await w.ec2.forAccount(w.accountId, w.region, "spotwise-cli");
    const [inst] = await ec2.describeInstances({ instanceIds: [args.instanceId] }).catch(() => []);
    if (!inst)
      throw new CliExit(1, `spotwise switch: instance ${args.instanceId} not found in ${w.accountId}/${w.region}`);
    const operator = io.env.USER || io.env.LOGNAME || "operator";
    const now = w.clock.now();
    const req: SwitchRequest = {
      instanceId: args.instanceId,
      accountId: w.accountId,
      region: w.region,
      targets: parseTargets(args.to, w.region, inst.az),
      requestedBy: `cli:${operator}`,
      approval: { approvedBy: `cli:${operator}`, approvedAt: now, expiresAt: now + sw.approvalTtlMinutes * 60_000 },
    };
    const plan = await runner.plan(req);
    io.stdout(`switch ${args.instanceId} in ${w.label}`);
    for (const c of plan.checks) io.stdout(`  ✓ ${c}`);
    if (!plan.ok) throw new CliExit(1, `spotwise switch: refused (${plan.code}): ${plan.reason}`);
    io.stdout("plan:");
    for (const [n, p] of plan.plan.entries()) io.stdout(`  ${n + 1}. ${p}`);
    if (args.dryRun) {
      io.stdout("dry run: nothing changed");
      return;
    }
    if (!args.yes) {
      throw new CliExit(
        1,
        "spotwise switch: refusing to switch without --yes; review the plan above and re-run with --yes",
      );
    }
    const out = await runner.start(req, (step, status, text) => {
      if (status !== "started") io.stdout(`  [${step}] ${text}`);
    });
    report(io, out);
  } finally {
    await close();
  }
}

function report(io: CliIo, out: SagaOutcome): void {
  if (out.state === "done") {
    io.stdout(`done: ${out.instanceId} → ${out.newInstanceId} (switch ${out.sagaId})`);
    return;
  }
  const what =
    out.state === "rolled_back"
      ? `rolled back, ${out.instanceId} keeps running`
      : out.state === "in_flight"
        ? "not finished; the daemon's reconcile job resumes it (or run `spotwise resume`)"
        : out.state === "needs_attention"
          ? "needs attention"
          : out.state;
  throw new CliExit(
    1,
    `spotwise switch: ${what} (${out.code}): ${out.reason}${out.sagaId ? ` [switch ${out.sagaId}]` : ""}`,
  );
}
