/** Block Kit limits (https://docs.slack.dev/reference/block-kit): checked by tests on every builder. */
import type { KnownBlock } from "@slack/types";

export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionField: 2000,
  sectionFields: 10,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  actionsElements: 25,
  contextElements: 10,
  confirmText: 300,
} as const;

/** Every limit a message breaks, as readable lines (empty when it is fine). */
export function blockKitProblems(blocks: KnownBlock[]): string[] {
  const problems: string[] = [];
  if (blocks.length > LIMITS.blocksPerMessage) problems.push(`${blocks.length} blocks > ${LIMITS.blocksPerMessage}`);
  blocks.forEach((b, i) => {
    const at = `block ${i} (${b.type})`;
    if (b.block_id && b.block_id.length > LIMITS.blockId) problems.push(`${at}: block_id too long`);
    if (b.type === "section") {
      if (b.text && b.text.text.length > LIMITS.sectionText) problems.push(`${at}: text ${b.text.text.length} chars`);
      if (b.fields && b.fields.length > LIMITS.sectionFields) problems.push(`${at}: ${b.fields.length} fields`);
      for (const f of b.fields ?? []) {
        if (f.text.length > LIMITS.sectionField) problems.push(`${at}: field ${f.text.length} chars`);
      }
    }
    if (b.type === "header" && b.text.text.length > LIMITS.headerText) problems.push(`${at}: header too long`);
    if (b.type === "context" && b.elements.length > LIMITS.contextElements) problems.push(`${at}: too many elements`);
    if (b.type === "actions") {
      if (b.elements.length > LIMITS.actionsElements) problems.push(`${at}: too many elements`);
      for (const e of b.elements) {
        if (e.type !== "button") continue;
        if (e.action_id && e.action_id.length > LIMITS.actionId) problems.push(`${at}: action_id too long`);
        if (e.value && e.value.length > LIMITS.buttonValue) problems.push(`${at}: button value too long`);
        if (e.text.text.length > LIMITS.buttonText) problems.push(`${at}: button text too long`);
        if (e.confirm?.text && e.confirm.text.text.length > LIMITS.confirmText)
          problems.push(`${at}: confirm too long`);
      }
    }
  });
  return problems;
}
