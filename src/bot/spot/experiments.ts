import { experimentsMessage } from "../views/models.js";
import { reply, type SpotHandler } from "./types.js";

export const experiments: SpotHandler = async (ctx, inv) => {
  const sub = inv.args[0] ?? "report";
  if (sub !== "report") return reply(`Unknown \`/spot experiments ${sub}\`: use \`/spot experiments report\`.`);
  return experimentsMessage(await ctx.services.experiments.report());
};
