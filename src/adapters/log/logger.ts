/**
 * pino logger: JSON by default, pretty on a TTY. Secrets never reach the log: known secret fields are
 * redacted wherever they appear in a log object, and token-shaped strings are masked in messages.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import { maskUrls } from "../../config/mask.js";

export type { Logger } from "pino";

const SECRET_FIELDS = [
  "token",
  "botToken",
  "appToken",
  "signingSecret",
  "secret",
  "password",
  "authorization",
  "externalId",
  "ExternalId",
  "accessKeyId",
  "secretAccessKey",
  "sessionToken",
  "SecretAccessKey",
  "SessionToken",
  "AccessKeyId",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "SLACK_SIGNING_SECRET",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_ACCESS_KEY_ID",
  "credentials",
  "headers.authorization",
  "x-slack-signature",
];

/** Paths pino redacts: the field at the top level and up to three levels down. */
export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`;
  const dot = key.startsWith("[") ? key : `.${key}`;
  return [key, `*${dot}`, `*.*${dot}`, `*.*.*${dot}`];
});

const TOKEN_PATTERN = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?:AKIA|ASIA)[A-Z0-9]{16})\b/g;

/** Masks Slack tokens, AWS access key ids and URL passwords (every URL form) inside free text. */
export function scrubText(text: string): string {
  return maskUrls(text.replace(TOKEN_PATTERN, (m) => `${m.slice(0, 5)}[REDACTED]`));
}

/** Scrubs every string inside a log object (plain objects and arrays, a few levels deep). */
function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return scrubText(value);
  if (depth <= 0 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth - 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // errors, dates, buffers: serializers handle them
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, depth - 1)]));
}

function scrubError(e: unknown): unknown {
  const s = pino.stdSerializers.err(e as Error) as unknown as Record<string, unknown>;
  if (!s || typeof s !== "object") return s;
  return scrubValue({ ...s }, 3);
}

export interface LoggerConfig {
  level?: string;
  /** Force pretty output (default: when stdout is a TTY). */
  pretty?: boolean;
  /** Write here instead of stdout (tests read pino output from memory). */
  destination?: DestinationStream;
}

export function createLogger(cfg: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: cfg.level ?? "info",
    base: { service: "spotwise" },
    redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === "string" ? scrubText(a) : a)) as typeof args;
        method.apply(this, scrubbed);
      },
    },
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => scrubValue(obj, 4) as Record<string, unknown>,
    },
    serializers: { err: scrubError, error: scrubError },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (cfg.destination) return pino(options, cfg.destination);
  const pretty = cfg.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({
      ...options,
      transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss" } },
    });
  }
  return pino(options);
}
