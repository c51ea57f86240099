/** A hung AWS endpoint is bounded by the request timeout: the call fails as deadline_exceeded (retried by the saga). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEc2Client, SdkEc2Port } from "./ec2.js";
import { createElbClient } from "./elb.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from "./http.js";

describe("AWS request timeouts", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // accepts the request and never answers
    server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("every client is built with request and connection timeouts", async () => {
    for (const client of [createEc2Client({ region: "us-east-1" }), createElbClient({ region: "us-east-1" })]) {
      const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
      const cfg = await handler.configProvider;
      expect(cfg).toMatchObject({
        requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
        connectionTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
      });
    }
  });

  it("a request that gets no answer fails as deadline_exceeded instead of hanging", async () => {
    const client = createEc2Client({
      region: "us-east-1",
      endpoint: url,
      maxAttempts: 1,
      credentials: { accessKeyId: "AKIDTIMEOUT", secretAccessKey: "secret" },
      timeouts: { requestTimeoutMs: 100 },
    });
    const port = new SdkEc2Port(client, "123456789012", "us-east-1");
    await expect(port.terminateInstances({ instanceIds: ["i-0123456789abcdef0"] })).rejects.toMatchObject({
      code: "deadline_exceeded",
    });
  });
});
