/**
 * A minimal Socket Mode server for tests (RFC 6455 text, ping/pong and close frames; no extensions):
 * greets with `hello`, sends envelopes, records the client's acks. FakeSlack's apps.connections.open
 * points the Bolt app here.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export class FakeSocketMode {
  readonly acks: Array<Record<string, unknown>> = [];
  private server?: Server;
  private socket?: Duplex;
  private connected?: () => void;
  readonly ready = new Promise<void>((r) => {
    this.connected = r;
  });

  async start(): Promise<void> {
    const server = createServer((_req, res) => res.writeHead(426).end());
    server.on("upgrade", (req, socket) => {
      const key = String(req.headers["sec-websocket-key"]);
      const accept = createHash("sha1")
        .update(key + GUID)
        .digest("base64");
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      this.socket = socket;
      let buf = Buffer.alloc(0);
      socket.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (let f = readFrame(buf); f; f = readFrame(buf)) {
          buf = buf.subarray(f.size);
          if (f.opcode === 0x1) this.acks.push(JSON.parse(f.payload.toString("utf8")));
          else if (f.opcode === 0x9) socket.write(frame(0xa, f.payload));
          else if (f.opcode === 0x8) {
            socket.write(frame(0x8, f.payload.subarray(0, 2)));
            socket.end();
          }
        }
      });
      socket.on("error", () => {});
      this.send({ type: "hello", num_connections: 1, connection_info: { app_id: "A1" } });
      this.connected?.();
    });
    this.server = server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error("FakeSocketMode not started");
    return `ws://127.0.0.1:${addr.port}/link`;
  }

  send(message: unknown): void {
    this.socket?.write(frame(0x1, Buffer.from(JSON.stringify(message))));
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    const server = this.server;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, len])
      : len < 65536
        ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), u64(len)]);
  return Buffer.concat([head, payload]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** One complete (client → server, masked) frame at the start of `buf`, or null if not all there yet. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | null {
  if (buf.length < 2) return null;
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  let len = buf[1] & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  const maskLen = masked ? 4 : 0;
  if (buf.length < off + maskLen + len) return null;
  const mask = buf.subarray(off, off + maskLen);
  const payload = Buffer.from(buf.subarray(off + maskLen, off + maskLen + len));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
  return { opcode, payload, size: off + maskLen + len };
}
