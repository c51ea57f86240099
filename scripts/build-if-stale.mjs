#!/usr/bin/env node
// `npm start` runs the built CLI: this compiles first when dist/ is missing or older than a source file.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const built = "dist/src/cli/main.js";

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

const sources = ["src", "migrations", "tsconfig.json", "package.json"].filter((p) => existsSync(p));
const stale = !existsSync(built) || Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
if (stale) {
  process.stderr.write("building dist/ (sources changed since the last build)\n");
  execSync("npm run build --silent", { stdio: "inherit" });
}
