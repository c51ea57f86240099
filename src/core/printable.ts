/**
 * Text from outside (file cells, JSON strings) made safe to echo in an error line: control characters, C1
 * controls, invisible and bidirectional formatting characters, lone surrogates and U+FFFD (what invalid UTF-8
 * decodes to) are escaped, quotes and backslashes too, and long values are cut, so a garbage file can neither
 * drive the terminal nor flood the log.
 */
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffd]/;

function hex(code: number, width: number): string {
  return code.toString(16).toUpperCase().padStart(width, "0");
}

export function printable(raw: string, max = 80): string {
  let out = "";
  const n = Math.min(raw.length, max);
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      out += c === 0x22 || c === 0x5c ? `\\${raw[i]}` : raw[i];
    } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      out += `\\x${hex(c, 2)}`;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < raw.length) {
      const d = raw.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += raw[i] + raw[i + 1];
        i++;
      } else out += `\\u${hex(c, 4)}`;
    } else if ((c >= 0xd800 && c <= 0xdfff) || INVISIBLE.test(raw[i])) {
      out += `\\u${hex(c, 4)}`;
    } else {
      out += raw[i];
    }
  }
  return raw.length > max ? `${out}… (${raw.length} characters)` : out;
}
