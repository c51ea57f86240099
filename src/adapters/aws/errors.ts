/**
 * Maps AWS SDK v3 errors to spotwise's CodedErrors, keeping the request id, so the core branches on codes
 * (aws_throttled, aws_capacity, aws_access_denied, not_found, aws_error) and never sees an SDK type.
 */
import { CodedError } from "../../core/errors.js";

const THROTTLING = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
]);
const CAPACITY = new Set([
  "InsufficientInstanceCapacity",
  "InsufficientCapacity",
  "SpotMaxPriceTooLow",
  "MaxSpotInstanceCountExceeded",
  "InsufficientHostCapacity",
]);
const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure"]);
/** AWS server-side failures (HTTP 5xx): transient, retried with backoff within the phase deadline. */
const SERVER = new Set([
  "InternalError",
  "InternalFailure",
  "InternalServerError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "Unavailable",
  "RequestExpired",
]);
/** The request itself is wrong (type unknown or not offered, bad parameter combination): refused, not retried. */
const INVALID = new Set([
  "InvalidParameterValue",
  "InvalidParameterCombination",
  "InvalidParameter",
  "InvalidInstanceType",
  "Unsupported",
  "UnsupportedOperation",
  "MissingParameter",
]);

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { requestId?: string; httpStatusCode?: number };
}

export function awsErrorName(e: unknown): string {
  const s = (e ?? {}) as SdkErrorShape;
  return s.Code ?? s.name ?? s.code ?? "UnknownError";
}

/** The AWS error name behind a CodedError made by mapAwsError (e.g. "InvalidTarget"), if any. */
export function awsErrorOf(e: unknown): string | undefined {
  if (e instanceof CodedError) return typeof e.detail?.awsError === "string" ? e.detail.awsError : undefined;
  return e ? awsErrorName(e) : undefined;
}

export function requestIdOf(e: unknown): string | undefined {
  return ((e ?? {}) as SdkErrorShape).$metadata?.requestId;
}

/** `operation` names the call, e.g. "ec2:RunInstances in 123456789012/us-east-1". */
export function mapAwsError(e: unknown, operation: string): CodedError {
  if (e instanceof CodedError) return e;
  const name = awsErrorName(e);
  const message = (e as SdkErrorShape)?.message ?? String(e);
  const detail = { awsError: name, requestId: requestIdOf(e), operation };
  if (THROTTLING.has(name)) {
    return new CodedError(
      "aws_throttled",
      `${operation}: throttled by AWS (${name}); will back off and retry`,
      detail,
      {
        cause: e,
      },
    );
  }
  if (CAPACITY.has(name)) {
    return new CodedError("aws_capacity", `${operation}: ${name}: ${message}`, detail, { cause: e });
  }
  if (DENIED.has(name)) {
    return new CodedError(
      "aws_access_denied",
      `${operation}: access denied (${name}): ${message}. Check that the role's policy allows this call (see deploy/iam-policy.json)`,
      detail,
      { cause: e },
    );
  }
  if (SERVER.has(name) || ((e as SdkErrorShape)?.$metadata?.httpStatusCode ?? 0) >= 500) {
    return new CodedError(
      "unavailable",
      `${operation}: AWS answered ${name} (server error); will back off and retry`,
      detail,
      {
        cause: e,
      },
    );
  }
  if (INVALID.has(name)) {
    return new CodedError("invalid_input", `${operation}: ${name}: ${message}`, detail, { cause: e });
  }
  if (/NotFound$/.test(name) || /\.NotFound$/.test(name) || name === "InvalidInstanceID.Malformed") {
    return new CodedError("not_found", `${operation}: ${name}: ${message}`, detail, { cause: e });
  }
  if (name === "TimeoutError" || name === "RequestTimeout" || name === "AbortError") {
    return new CodedError("deadline_exceeded", `${operation}: timed out (${name})`, detail, { cause: e });
  }
  return new CodedError("aws_error", `${operation}: ${name}: ${message}`, detail, { cause: e });
}

/** Runs one SDK call and maps its error, naming `service:operation in account/region` (e.g. ec2:RunInstances). */
export async function callAws<T>(
  service: string,
  where: { accountId: string; region: string },
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw mapAwsError(e, `${service}:${operation} in ${where.accountId}/${where.region}`);
  }
}
