/**
 * pino logger: JSON by default, pretty on a TTY. Secrets never reach the log: known secret fields are
 * redacted wherever they appear in a log object, and token-shaped strings are masked in messages.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

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

/** Masks Slack tokens and AWS access key ids inside free text. */
export function scrubText(text: string): string {
  return text.replace(TOKEN_PATTERN, (m) => `${m.slice(0, 5)}[REDACTED]`);
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
    formatters: { level: (label) => ({ level: label }) },
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
