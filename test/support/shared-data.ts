/**
 * The real AWS data of ../shared/data next to the repository (a clone's CI has it there too), for tests that
 * measure on it. A missing file fails the test with where it was looked for, rather than skipping it.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The path of `name` (e.g. "aux/spot-traces.csv") under ../shared/data; throws when it is not there. */
export function sharedDataPath(name: string): string {
  const p = resolve(repoRoot, "../shared/data", name);
  if (!existsSync(p)) {
    throw new Error(`shared data missing: ${p} (the real AWS data must be at ../shared/data next to the repository)`);
  }
  return p;
}
