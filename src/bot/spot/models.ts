/** `/spot models …`: the registry. Reading is open to everyone; changes need an approver. */
import { CodedError } from "../../core/errors.js";
import type { BotContext } from "../context.js";
import { modelListMessage, modelMessage } from "../views/models.js";
import { requireAdmin } from "./guard.js";
import { quoteInput } from "./quote.js";
import type { SpotHandler } from "./types.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const models: SpotHandler = async (ctx, inv) => {
  const [sub = "list", ref, ...more] = inv.args;
  const actor = `slack:${inv.userId}`;
  switch (sub) {
    case "list":
      return modelListMessage(await ctx.services.models.list());
    case "show":
      return modelMessage(await ctx.services.models.show(modelRef(ref, "show NAME")));
    case "promote": {
      // `/spot models promote NAME --force REASON…` overrides the promotion gate (admins; audited, announced)
      const force = more[0] === "--force";
      const reason = force ? more.slice(1).join(" ").trim() : "";
      if (more.length > 0 && !force) {
        throw new CodedError("invalid_input", "Usage: `/spot models promote NAME [--force REASON]`.");
      }
      await requireAdmin(ctx, inv.userId, force ? "override the promotion gate" : "promote models");
      if (force && !reason) {
        throw new CodedError(
          "invalid_input",
          "Overriding the promotion gate needs a reason: `/spot models promote NAME --force REASON` (it is audited).",
        );
      }
      return modelMessage(
        await ctx.services.models.promote(
          modelRef(ref, "promote NAME [--force REASON]"),
          actor,
          force ? { force, reason } : {},
        ),
        force
          ? `:warning: Promoted to champion by <@${inv.userId}> past the promotion gate. Reason: ${quoteInput(reason, 500)}`
          : `:trophy: Promoted to champion by <@${inv.userId}> (the promotion gate passed).`,
      );
    }
    case "reject":
      await requireAdmin(ctx, inv.userId, "reject models");
      return modelMessage(
        await ctx.services.models.reject(modelRef(ref, "reject NAME [reason]"), actor, more.join(" ") || undefined),
        `:no_entry_sign: Rejected by <@${inv.userId}>.`,
      );
    case "rollback":
      await requireAdmin(ctx, inv.userId, "roll back models");
      return modelMessage(
        await ctx.services.models.rollback(actor),
        `:leftwards_arrow_with_hook: Rolled back by <@${inv.userId}>; champion is now:`,
      );
    case "upload": {
      const url = need(ref, "upload URL [NAME]").replace(/^<(.+?)(\|.*)?>$/, "$1");
      const name = more[0] ?? nameFromUrl(url);
      return uploadModel(ctx, { userId: inv.userId, url, name, source: url });
    }
    default:
      throw new CodedError(
        "invalid_input",
        `Unknown \`/spot models ${quoteInput(sub)}\`: use list, show, promote, reject, rollback or upload.`,
      );
  }
};

/** Fetches a model file with the bot token, validates it through the registry and adds it as a candidate. */
export async function uploadModel(
  ctx: BotContext,
  input: { userId: string; url: string; name: string; source: string },
) {
  await requireAdmin(ctx, input.userId, "upload models");
  if (!NAME.test(input.name)) {
    throw new CodedError(
      "invalid_input",
      `Model name \`${quoteInput(input.name)}\` is not valid: use letters, digits, . _ - (max 64).`,
    );
  }
  const bytes = await ctx.services.fetchFile(input.url, ctx.config.maxModelBytes);
  const m = await ctx.services.models.addFromBytes({
    name: input.name,
    bytes,
    actor: `slack:${input.userId}`,
    source: input.source,
  });
  return modelMessage(
    m,
    `:inbox_tray: Added as a *candidate* by <@${input.userId}>. Compare with \`/spot experiments\`, then \`/spot models promote ${m.name}\`.`,
  );
}

/** A model reference as the registry knows them (NAME, NAME@VERSION or an id); anything else is no model. */
function modelRef(v: string | undefined, usage: string): string {
  const ref = need(v, usage);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(@\d{1,9})?$/.test(ref)) {
    throw new CodedError("not_found", `no model \`${quoteInput(ref)}\`: see \`/spot models list\``);
  }
  return ref;
}

function need(v: string | undefined, usage: string): string {
  if (!v) throw new CodedError("invalid_input", `Usage: \`/spot models ${usage}\`.`);
  return v;
}

function nameFromUrl(url: string): string {
  const last = decodeURIComponent(url.split("?")[0].split("/").pop() ?? "model");
  return (
    last
      .replace(/\.onnx$/i, "")
      .replace(/[^A-Za-z0-9._-]/g, "-")
      .slice(0, 64) || "model"
  );
}
