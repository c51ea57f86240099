/**
 * Downloads a Slack file (url_private) with the bot token. The token is only ever sent to
 * https://files.slack.com (or the origins configured for tests), never over plain HTTP, and never along a
 * redirect; the size is capped while streaming and the whole download has a deadline.
 */
import { CodedError } from "../../core/errors.js";

export const DOWNLOAD_TIMEOUT_MS = 30_000;

export interface SlackFileFetcherOptions {
  token: string;
  /** Origins that get the token (default ["https://files.slack.com"]); tests add their local server's. */
  allowedOrigins?: string[];
  /** Deadline of one download, headers and body (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function slackFileFetcher(
  opts: SlackFileFetcherOptions,
): (url: string, maxBytes: number) => Promise<Uint8Array> {
  const origins = opts.allowedOrigins ?? ["https://files.slack.com"];
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? DOWNLOAD_TIMEOUT_MS;
  return async (url, maxBytes) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new CodedError("invalid_input", `not a URL: ${url.slice(0, 200)}`);
    }
    if (!origins.includes(u.origin)) {
      throw new CodedError(
        "invalid_input",
        `refusing to send the bot token to ${u.protocol}//${u.host}: only Slack file URLs (${origins.join(", ")}) can be fetched. Share the file with the bot and use its private URL.`,
      );
    }
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      return await download(doFetch, u, opts.token, maxBytes, signal, origins);
    } catch (e) {
      if (signal.aborted) {
        throw new CodedError(
          "deadline_exceeded",
          `downloading the file took longer than ${Math.round(timeoutMs / 1000)} s: try again, or add the model with \`spotwise models add\``,
          {},
          { cause: e },
        );
      }
      throw e;
    }
  };
}

async function download(
  doFetch: typeof fetch,
  u: URL,
  token: string,
  maxBytes: number,
  signal: AbortSignal,
  origins: string[],
): Promise<Uint8Array> {
  let res: Response;
  // redirects are followed by hand, and only to origins that may get the token
  for (let hops = 0; ; hops++) {
    res = await doFetch(u, { headers: { authorization: `Bearer ${token}` }, redirect: "manual", signal });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (!location) break;
    const next = new URL(location, u);
    if (!origins.includes(next.origin) || hops >= 3) {
      throw new CodedError(
        "unavailable",
        `the file download redirected to ${next.origin}: not followed with the bot token`,
      );
    }
    u = next;
  }
  if (!res.ok) {
    throw new CodedError("unavailable", `downloading the file failed: HTTP ${res.status}. Check the files:read scope.`);
  }
  const type = res.headers.get("content-type") ?? "";
  if (type.startsWith("text/html")) {
    throw new CodedError(
      "unavailable",
      "Slack answered with a login page instead of the file: the bot token lacks files:read.",
    );
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new CodedError("model_invalid", `file is ${declared} bytes, the limit is ${maxBytes}`);
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
}
