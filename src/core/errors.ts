/**
 * Errors with stable codes (bolt-js's CodedError pattern): callers branch on `code`, users read `message`,
 * which always says what to do about it.
 */
export type ErrorCode =
  | "config_invalid"
  | "not_found"
  | "conflict"
  | "forbidden"
  | "invalid_input"
  | "paused"
  | "shadow_mode"
  | "circuit_open"
  | "budget_exhausted"
  | "lease_held"
  | "approval_expired"
  | "aws_throttled"
  | "aws_capacity"
  | "aws_access_denied"
  | "aws_error"
  | "deadline_exceeded"
  | "model_invalid"
  | "unavailable"
  | "internal";

export class CodedError extends Error {
  readonly code: ErrorCode;
  readonly detail?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CodedError";
    this.code = code;
    this.detail = detail;
  }
}

export function isCodedError(e: unknown, code?: ErrorCode): e is CodedError {
  return e instanceof CodedError && (code === undefined || e.code === code);
}

export function asCodedError(e: unknown): CodedError {
  if (e instanceof CodedError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new CodedError("internal", message, undefined, { cause: e });
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
