/**
 * dist/ holds only product code: the build compiles src/ and migrations/ (never test/ or bench/), and no product
 * module imports a test helper, so nothing test-only is pulled into the build through an import either.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith(".ts") ? [p] : [];
  });
}

const IMPORT = /(?:from|import)\s*\(?\s*["']([^"']+)["']/g;

describe("the product build", () => {
  it("compiles only src/ and migrations/, without tests", () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")) as {
      include: string[];
      exclude: string[];
    };
    expect(tsconfig.include.every((p) => p.startsWith("src/") || p.startsWith("migrations/"))).toBe(true);
    expect(tsconfig.exclude).toContain("**/*.test.ts");
  });

  it("has no product module that imports a test helper, a test framework or anything under test/", () => {
    const product = [...tsFiles(join(ROOT, "src")), ...tsFiles(join(ROOT, "migrations"))].filter(
      (f) => !f.endsWith(".test.ts"),
    );
    expect(product.length).toBeGreaterThan(100);
    const offending: string[] = [];
    for (const file of product) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1];
        const target = spec.startsWith(".") ? relative(ROOT, resolve(dirname(file), spec)) : spec;
        if (/^(vitest|aws-sdk-client-mock)(\/|$)/.test(target) || target.startsWith("test/")) {
          offending.push(`${relative(ROOT, file)} imports ${spec}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });
});
