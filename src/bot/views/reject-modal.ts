/** The "Reject" dialog: an optional reason, kept in the audit trail and shown on the message. */
import type { ModalView } from "@slack/types";
import { z } from "zod";
import type { MessageRef } from "../../core/ports/notifier.js";

export const REJECT_VIEW = "spotwise_reject_reason";
export const REASON_BLOCK = "reason";
export const REASON_INPUT = "reason_input";

const Metadata = z.object({ r: z.string().uuid(), c: z.string().min(1), t: z.string().min(1) });

export function rejectModal(recommendationId: string, ref: MessageRef, instanceId: string): ModalView {
  return {
    type: "modal",
    callback_id: REJECT_VIEW,
    private_metadata: JSON.stringify({ r: recommendationId, c: ref.channel, t: ref.ts }),
    title: { type: "plain_text", text: "Reject switch" },
    submit: { type: "plain_text", text: "Reject" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "input",
        block_id: REASON_BLOCK,
        optional: true,
        label: { type: "plain_text", text: `Why not switch ${instanceId.slice(0, 100)}?` },
        element: {
          type: "plain_text_input",
          action_id: REASON_INPUT,
          multiline: true,
          max_length: 500,
          placeholder: { type: "plain_text", text: "e.g. batch job running until Friday" },
        },
      },
    ],
  };
}

/** The recommendation and message a submitted dialog refers to; null when the metadata is not ours. */
export function rejectTarget(privateMetadata: string): { recommendationId: string; ref: MessageRef } | null {
  try {
    const m = Metadata.parse(JSON.parse(privateMetadata));
    return { recommendationId: m.r, ref: { channel: m.c, ts: m.t } };
  } catch {
    return null;
  }
}
