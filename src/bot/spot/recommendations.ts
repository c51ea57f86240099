import { recommendationListMessage } from "../views/recommendation-list.js";
import type { SpotHandler } from "./types.js";

export const recommendations: SpotHandler = async (ctx) => {
  const open = await ctx.services.recommendations.list({ statuses: ["pending", "approved", "executing"], limit: 30 });
  return recommendationListMessage(open);
};
