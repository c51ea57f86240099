/**
 * A minimal, strict protobuf reader for the parts of an ONNX ModelProto spotwise checks before loading a model:
 * metadata_props, graph inputs/outputs (with their types) and the nodes (op type, inputs, outputs, a few attributes).
 * Field numbers from onnx/onnx.proto3. Anything malformed throws, so garbage bytes are refused with a clear error.
 */
export type Wire = 0 | 1 | 2 | 5;

export class ProtoError extends Error {}

export class ProtoReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new ProtoError(`varint too long at byte ${this.pos}`);
  }

  tag(): { field: number; wire: Wire } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field < 1) throw new ProtoError(`invalid field number 0 at byte ${this.pos}`);
    if (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5) throw new ProtoError(`unsupported wire type ${wire}`);
    return { field, wire };
  }

  /** A length-delimited field: returns [start, end) of its payload and moves past it. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new ProtoError(`length ${len} at byte ${start} runs past the end`);
    this.pos = start + len;
    return [start, start + len];
  }

  sub(): ProtoReader {
    const [s, e] = this.span();
    return new ProtoReader(this.buf, s, e);
  }

  string(): string {
    const [s, e] = this.span();
    return new TextDecoder("utf-8", { fatal: true }).decode(this.buf.subarray(s, e));
  }

  skip(wire: Wire): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 5) this.advance(4);
    else this.span();
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new ProtoError(`truncated fixed field at byte ${this.pos}`);
    this.pos += n;
  }
}

/** Iterates the fields of a message, checking that known fields have the expected wire type. */
export function readFields(
  r: ProtoReader,
  expected: Record<number, Wire | Wire[]>,
  visit: (field: number, wire: Wire) => boolean,
): void {
  while (!r.eof()) {
    const { field, wire } = r.tag();
    const want = expected[field];
    if (want !== undefined) {
      const ok = Array.isArray(want) ? want.includes(wire) : want === wire;
      if (!ok) throw new ProtoError(`field ${field} has wire type ${wire}, expected ${want}`);
    }
    if (!visit(field, wire)) r.skip(wire);
  }
}

export function encodeVarint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

export function encodeLenField(field: number, payload: Uint8Array): Uint8Array {
  const head = [...encodeVarint(field * 8 + 2), ...encodeVarint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
