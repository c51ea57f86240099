/**
 * Downloads a Slack file (url_private) with the bot token. The token is only ever sent to Slack's file
 * hosts (files.slack.com, or the hosts configured for tests), and the size is capped while streaming.
 */
import { CodedError } from "../../core/errors.js";

export interface SlackFileFetcherOptions {
  token: string;
  allowedHosts?: string[];
  fetch?: typeof fetch;
}

export function slackFileFetcher(
  opts: SlackFileFetcherOptions,
): (url: string, maxBytes: number) => Promise<Uint8Array> {
  const hosts = opts.allowedHosts ?? ["files.slack.com"];
  const doFetch = opts.fetch ?? fetch;
  return async (url, maxBytes) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new CodedError("invalid_input", `not a URL: ${url}`);
    }
    if (!hosts.includes(u.host)) {
      throw new CodedError(
        "invalid_input",
        `refusing to send the bot token to ${u.host}: only Slack file URLs (${hosts.join(", ")}) can be fetched. Share the file with the bot and use its private URL.`,
      );
    }
    const res = await doFetch(u, { headers: { authorization: `Bearer ${opts.token}` }, redirect: "follow" });
    if (!res.ok) {
      throw new CodedError(
        "unavailable",
        `downloading the file failed: HTTP ${res.status}. Check the files:read scope.`,
      );
    }
    const type = res.headers.get("content-type") ?? "";
    if (type.startsWith("text/html")) {
      throw new CodedError(
        "unavailable",
        "Slack answered with a login page instead of the file: the bot token lacks files:read.",
      );
    }
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > maxBytes)
      throw new CodedError("model_invalid", `file is ${declared} bytes, the limit is ${maxBytes}`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        size += chunk.length;
        if (size > maxBytes) throw new CodedError("model_invalid", `file is over the ${maxBytes}-byte limit`);
        chunks.push(chunk);
      }
    }
    return Buffer.concat(chunks);
  };
}
