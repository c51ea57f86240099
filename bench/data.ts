/**
 * Where the bench finds the real AWS series of the shared data: SPOTWISE_SHARED_DATA, else ../shared/data next
 * to the repository (a clone), else ../../shared/data (a worktree under wt/), else /work/shared/data.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export function sharedDataFile(name: string): string {
  const dirs = [
    process.env.SPOTWISE_SHARED_DATA,
    resolve(here, "../../shared/data"),
    resolve(here, "../../../shared/data"),
    "/work/shared/data",
  ].filter((d): d is string => Boolean(d));
  for (const d of dirs) if (existsSync(resolve(d, name))) return resolve(d, name);
  throw new Error(`${name} of the shared data is missing (looked in ${dirs.join(", ")}; set SPOTWISE_SHARED_DATA)`);
}
