/**
 * What a registered model must still satisfy before it may decide anything (load, promote, rollback): the record
 * agrees with the contract spotwise computes now, and the stored file still parses and declares the current
 * contract, feature names and order, label horizon and positive class.
 */
import { CodedError, errorMessage } from "../errors.js";
import { FEATURE_CONTRACT_VERSION, FEATURE_NAMES } from "../features/contract.js";
import { checkContract, checkInput, pickProbabilityOutput } from "./contract-check.js";
import type { ModelDescription } from "./description.js";
import type { ModelRecord, ModelRepository } from "./model-repository.js";

const modelLabel = (m: ModelRecord) => `${m.name} v${m.version} (${m.id})`;

/**
 * The checks every load makes, on the registered file: it still parses, declares the current contract, feature
 * names and order, label horizon and positive class, and the record agrees. Throws model_invalid saying why.
 */
export async function checkRunnable(
  m: ModelRecord,
  repo: Pick<ModelRepository, "content">,
  describe?: (bytes: Uint8Array) => ModelDescription,
): Promise<void> {
  if (m.contractVersion !== FEATURE_CONTRACT_VERSION) {
    throw new CodedError(
      "model_invalid",
      `${modelLabel(m)} was registered for feature contract "${m.contractVersion}" but spotwise computes "${FEATURE_CONTRACT_VERSION}": retrain it`,
    );
  }
  const at = m.featureNames.findIndex((n, i) => n !== FEATURE_NAMES[i]);
  if (at >= 0 || m.featureNames.length !== FEATURE_NAMES.length) {
    throw new CodedError(
      "model_invalid",
      `${modelLabel(m)} was registered with other feature names than contract ${FEATURE_CONTRACT_VERSION}${at >= 0 ? ` (feature ${at} is "${m.featureNames[at]}")` : ""}: retrain it`,
    );
  }
  const bytes = await repo.content(m.id);
  if (!bytes) throw new CodedError("model_invalid", `${modelLabel(m)}: its file is missing from the registry`);
  if (!describe) return;
  try {
    const desc = describe(bytes);
    checkContract(desc);
    checkInput(desc);
    pickProbabilityOutput(desc);
  } catch (e) {
    throw new CodedError("model_invalid", `${modelLabel(m)} no longer passes the load checks: ${errorMessage(e)}`);
  }
}

export function parseEmbeddedMetrics(metadata: Record<string, string>): Record<string, unknown> {
  const raw = metadata["spotwise.validation_metrics"];
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === "object" ? { validation: v } : {};
  } catch {
    return {};
  }
}
