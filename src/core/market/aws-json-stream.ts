/**
 * Streaming reader for the JSON of `aws ec2 describe-spot-price-history`: `{"SpotPriceHistory": [{...}, ...],
 * "NextToken": "..."}`. Text goes in by chunks of any size (`push`), each record of `SpotPriceHistory` comes
 * out as soon as its closing brace is read, with the line of each of its keys. Linear in the input: every
 * character is looked at once, and what is held is the unfinished token plus the record being read, so memory
 * does not grow with the file. Values outside `SpotPriceHistory` are checked for syntax and dropped.
 *
 * A syntax error throws through `fail` with the line it is on.
 */
import { printable } from "../printable.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface AwsJsonHandlers {
  /** One element of SpotPriceHistory that is an object, its 0-based index, the line of each key, its first line. */
  record(value: JsonObject, index: number, keyLines: Map<string, number>, line: number): void;
  fail(line: number, field: string, message: string): never;
}

/** Longest string or number token accepted: no field of the format comes close, garbage is cut short. */
const MAX_TOKEN = 64 * 1024;

type Role = "top" | "history" | "record" | "inner" | "skip";
// object states: key or end, key, colon, value, comma or end; array states: value or end, value, comma or end
enum S {
  KeyOrEnd,
  Key,
  Colon,
  Value,
  CommaOrEnd,
  ValueOrEnd,
}

interface Frame {
  array: boolean;
  role: Role;
  state: S;
  key: string;
  value: JsonObject | JsonValue[] | null;
  keyLines: Map<string, number> | null;
  line: number;
  count: number;
}

const PUNCT = new Set([0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c]); // { } [ ] : ,

export class AwsJsonStream {
  private buf = "";
  private pos = 0;
  private line = 1;
  private readonly stack: Frame[] = [];
  private done = false;
  private sawHistory = false;

  constructor(private readonly on: AwsJsonHandlers) {}

  push(chunk: string): void {
    this.buf = this.pos < this.buf.length ? this.buf.slice(this.pos) + chunk : chunk;
    this.pos = 0;
    this.run(false);
  }

  /** Ends the input; returns the number of records in SpotPriceHistory. */
  end(): number {
    this.run(true);
    if (!this.done) this.syntax("the file ends before the JSON is complete");
    if (!this.sawHistory) {
      this.on.fail(1, "SpotPriceHistory", "is missing: expected the output of `aws ec2 describe-spot-price-history`");
    }
    return this.historyCount;
  }

  private historyCount = 0;

  private syntax(message: string): never {
    return this.on.fail(this.line, "(json)", `is not valid JSON: ${message}`);
  }

  private run(final: boolean): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = this.pos;
    for (;;) {
      let c = 0;
      while (pos < len) {
        c = buf.charCodeAt(pos);
        if (c === 0x0a) this.line++;
        else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) break;
        pos++;
      }
      if (pos >= len) break;
      if (this.done) this.syntax(`unexpected ${describe(buf.slice(pos, pos + 20))} after the end of the JSON`);
      if (PUNCT.has(c)) {
        this.pos = pos + 1;
        this.punct(c);
        pos = this.pos;
        continue;
      }
      if (c === 0x22) {
        let i = pos + 1;
        let simple = true;
        for (;;) {
          if (i >= len) break;
          const ch = buf.charCodeAt(i);
          if (ch === 0x22) break;
          if (ch === 0x5c) {
            simple = false;
            i += 2;
            continue;
          }
          if (ch < 0x20) this.syntax(`control character ${describe(buf[i])} inside a string`);
          i++;
        }
        if (i - pos > MAX_TOKEN) this.syntax(`a string longer than ${MAX_TOKEN} characters`);
        if (i >= len) {
          if (final) this.syntax("a string is not closed");
          break;
        }
        let s: string;
        if (simple) s = buf.slice(pos + 1, i);
        else {
          try {
            s = JSON.parse(buf.slice(pos, i + 1)) as string;
          } catch {
            this.syntax(`bad escape in the string ${describe(buf.slice(pos, i + 1))}`);
          }
        }
        this.pos = i + 1;
        this.scalar(s, true);
        pos = this.pos;
        continue;
      }
      // numbers and literals: a run of [0-9a-zA-Z+-.]
      let i = pos;
      while (i < len) {
        const ch = buf.charCodeAt(i);
        const word =
          (ch >= 0x30 && ch <= 0x39) ||
          (ch >= 0x61 && ch <= 0x7a) ||
          (ch >= 0x41 && ch <= 0x5a) ||
          ch === 0x2b ||
          ch === 0x2d ||
          ch === 0x2e;
        if (!word) break;
        i++;
      }
      if (i - pos > MAX_TOKEN) this.syntax("a value is too long");
      if (i === pos) this.syntax(`unexpected ${describe(buf.slice(pos, pos + 20))}`);
      if (i >= len && !final) break;
      const word = buf.slice(pos, i);
      let v: JsonValue;
      if (word === "true") v = true;
      else if (word === "false") v = false;
      else if (word === "null") v = null;
      else if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(word)) v = Number(word);
      else this.syntax(`unexpected ${describe(word)}`);
      this.pos = i;
      this.scalar(v, false);
      pos = this.pos;
    }
    this.pos = pos;
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** `what` describes the token, for an error only (built then, never on the hot path). */
  private expectValue(describeToken: () => string): Frame | undefined {
    const f = this.top();
    if (f && (f.state === S.Value || f.state === S.ValueOrEnd)) return f;
    const what = describeToken();
    if (!f) {
      if (this.done) this.syntax(`unexpected ${what} after the end of the JSON`);
      return undefined;
    }
    if (f.state === S.KeyOrEnd || f.state === S.Key) this.syntax(`expected a key in quotes, found ${what}`);
    if (f.state === S.Colon) this.syntax(`expected ":" after the key, found ${what}`);
    this.syntax(`expected "," or "${f.array ? "]" : "}"}", found ${what}`);
  }

  private scalar(v: JsonValue, isString: boolean): void {
    const f = this.top();
    if (isString && f && !f.array && (f.state === S.KeyOrEnd || f.state === S.Key)) {
      f.key = v as string;
      f.keyLines?.set(f.key, this.line);
      f.state = S.Colon;
      return;
    }
    const parent = this.expectValue(() => (isString ? describe(`"${v}"`) : describe(String(v))));
    if (!parent)
      this.on.fail(1, "SpotPriceHistory", "is missing: expected the output of `aws ec2 describe-spot-price-history`");
    this.checkChild(parent, false);
    this.complete(parent, v);
  }

  /** What a new value under `parent` may be; returns the role of a container opened there. */
  private checkChild(parent: Frame, container: boolean, array = false): Role {
    switch (parent.role) {
      case "top":
        if (parent.key !== "SpotPriceHistory") return "skip";
        if (!array) this.on.fail(this.line, "SpotPriceHistory", "is not a list of records");
        return "history";
      case "history":
        if (!container || array) {
          this.on.fail(this.line, "record", `record ${parent.count + 1} of SpotPriceHistory is not an object`);
        }
        return "record";
      case "skip":
        return "skip";
      default:
        return "inner";
    }
  }

  private complete(parent: Frame, v: JsonValue): void {
    if (parent.value) {
      if (parent.array) (parent.value as JsonValue[]).push(v);
      // plain objects keep V8's fast properties (records share one shape); "__proto__" is dropped, not obeyed
      else if (parent.key !== "__proto__") (parent.value as JsonObject)[parent.key] = v;
    }
    parent.state = S.CommaOrEnd;
  }

  private open(array: boolean): void {
    const parent = this.top();
    let role: Role;
    if (!parent) {
      if (this.done) this.syntax("unexpected data after the end of the JSON");
      if (array)
        this.on.fail(1, "SpotPriceHistory", "is missing: expected the output of `aws ec2 describe-spot-price-history`");
      role = "top";
    } else {
      this.expectValue(() => (array ? '"["' : '"{"'));
      role = this.checkChild(parent, true, array);
    }
    const build = role === "record" || role === "inner";
    this.stack.push({
      array,
      role,
      state: array ? S.ValueOrEnd : S.KeyOrEnd,
      key: "",
      value: build ? (array ? [] : {}) : null,
      keyLines: role === "record" ? new Map() : null,
      line: this.line,
      count: 0,
    });
  }

  private close(array: boolean): void {
    const f = this.top();
    const what = array ? '"]"' : '"}"';
    if (!f || f.array !== array) this.syntax(`unexpected ${what}`);
    if (f.state !== S.CommaOrEnd && f.state !== S.KeyOrEnd && f.state !== S.ValueOrEnd) {
      this.syntax(`unexpected ${what} (a trailing comma?)`);
    }
    this.stack.pop();
    const parent = this.top();
    if (f.role === "record" && parent) {
      this.on.record(f.value as JsonObject, parent.count, f.keyLines ?? new Map(), f.line);
    }
    if (f.role === "history") {
      this.sawHistory = true;
      this.historyCount = f.count;
    }
    if (parent) {
      parent.count++;
      this.complete(parent, f.role === "inner" ? (f.value as JsonValue) : null);
    } else this.done = true;
  }

  private punct(c: number): void {
    if (c === 0x7b || c === 0x5b) {
      this.open(c === 0x5b);
      return;
    }
    if (c === 0x7d || c === 0x5d) {
      this.close(c === 0x5d);
      return;
    }
    const f = this.top();
    if (c === 0x3a) {
      if (!f || f.array || f.state !== S.Colon) this.syntax('unexpected ":"');
      f.state = S.Value;
      return;
    }
    if (!f || f.state !== S.CommaOrEnd) this.syntax('unexpected ","');
    f.state = f.array ? S.Value : S.Key;
  }
}

function describe(raw: string): string {
  return `"${printable(raw, 40)}"`;
}
