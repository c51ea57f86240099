/** Paths of the ONNX test fixtures (made by training/make_fixtures.py) and of the committed default model. */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export type FixtureName =
  | "zipmap"
  | "prob2"
  | "vector"
  | "wrong_width"
  | "nan_output"
  | "out_of_range"
  | "no_contract"
  | "wrong_contract"
  | "wrong_names"
  | "wrong_horizon"
  | "wrong_class"
  | "ranged"
  | "garbage";

export function fixturePath(name: FixtureName): string {
  return resolve(here, "../../src/adapters/onnx/fixtures", `${name}.onnx`);
}

export function fixtureBytes(name: FixtureName): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

export const DEFAULT_MODEL_PATH = resolve(here, "../../models/default.onnx");
export const DEFAULT_HOLDOUT_PATH = resolve(here, "../../models/default.holdout.json");
