/**
 * Where the real AWS data of ../shared/data is found, for the tests and the benches that measure on it:
 * SPOTWISE_SHARED_DATA, else ../shared/data next to the repository (a clone), else ../../shared/data (a worktree
 * one level deeper), else /work/shared/data (these machines, for a clone made elsewhere). A missing file fails
 * with where it was looked for, rather than skipping anything.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The path of `name` (e.g. "aux/spot-traces.csv") in the shared data; throws when it is nowhere. */
export function sharedDataPath(name: string): string {
  const dirs = [
    process.env.SPOTWISE_SHARED_DATA,
    resolve(repoRoot, "../shared/data"),
    resolve(repoRoot, "../../shared/data"),
    "/work/shared/data",
  ].filter((d): d is string => Boolean(d));
  for (const d of dirs) if (existsSync(resolve(d, name))) return resolve(d, name);
  throw new Error(`shared data missing: ${name} (looked in ${dirs.join(", ")}; set SPOTWISE_SHARED_DATA)`);
}
