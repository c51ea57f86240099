/** Fetches the Spot Advisor feed over HTTP(S) with an injected fetch (tests pass a local one) and a timeout. */
import { CodedError } from "../../core/errors.js";

export type FetchLike = (
  url: string,
  init?: { signal?: AbortSignal },
) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

export function advisorFetcher(fetchImpl: FetchLike = fetch, timeoutMs = 15_000): (url: string) => Promise<unknown> {
  return async (url) => {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new CodedError("unavailable", `GET ${url}: HTTP ${res.status}`);
    return res.json();
  };
}
