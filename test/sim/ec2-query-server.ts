/**
 * The simulated cloud served over the EC2 Query API (form-encoded POST, XML answers): enough of it for the calls
 * the switch saga makes, so the real SDK adapter (SdkEc2Port) can run end to end against AWS_ENDPOINT_URL_EC2.
 * Every request advances the simulated clock by `tickMs` (time passes as a client polls).
 * GET /healthz/<instance-id> answers the simulated application's health (200 or 503).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { SimCloud } from "../../src/adapters/sim/cloud.js";
import { SimEc2Port } from "../../src/adapters/sim/ec2-port.js";
import { isCodedError } from "../../src/core/errors.js";
import type { Ec2Instance, Ec2InstanceState } from "../../src/core/ports/ec2.js";
import {
  el,
  esc,
  identityAction,
  identityXml,
  list,
  type Params,
  runInstancesIdentity,
  set,
  tagSet,
  type Xml,
} from "./ec2-query-identity.js";

const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const STATE_CODE: Record<Ec2InstanceState, number> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

function filters(p: Params): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 1; p.has(`Filter.${i}.Name`); i++)
    m.set(p.get(`Filter.${i}.Name`) as string, list(p, `Filter.${i}.Value`));
  return m;
}

function tagFilters(f: Map<string, string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of f) if (k.startsWith("tag:") && v[0] !== undefined) out[k.slice(4)] = v[0];
  return out;
}

function specTags(p: Params, type: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; p.has(`TagSpecification.${i}.ResourceType`); i++) {
    if (p.get(`TagSpecification.${i}.ResourceType`) !== type) continue;
    for (let j = 1; p.has(`TagSpecification.${i}.Tag.${j}.Key`); j++) {
      out[p.get(`TagSpecification.${i}.Tag.${j}.Key`) as string] = p.get(`TagSpecification.${i}.Tag.${j}.Value`) ?? "";
    }
  }
  return out;
}

function instanceXml(i: Ec2Instance): Xml {
  return (
    el("instanceId", i.instanceId) +
    el("imageId", i.imageId) +
    `<instanceState>${el("code", STATE_CODE[i.state])}${el("name", i.state)}</instanceState>` +
    el("privateIpAddress", i.privateIp) +
    el("keyName", i.keyName) +
    el("instanceType", i.instanceType) +
    el("launchTime", i.launchTime ? new Date(i.launchTime).toISOString() : undefined) +
    identityXml(i) +
    el("subnetId", i.subnetId) +
    set(
      "groupSet",
      i.securityGroupIds.map((g) => el("groupId", g)),
    ) +
    (i.iamInstanceProfileArn ? `<iamInstanceProfile>${el("arn", i.iamInstanceProfileArn)}</iamInstanceProfile>` : "") +
    (i.lifecycle === "spot" ? el("instanceLifecycle", "spot") : "") +
    tagSet(i.tags)
  );
}

export interface Ec2QueryServer {
  url: string;
  /** Action names received, in order. */
  actions: string[];
  /** The Authorization header of each request (which credentials signed it). */
  authorizations: string[];
  close(): Promise<void>;
}

export async function startEc2QueryServer(opts: {
  cloud: SimCloud;
  accountId: string;
  region: string;
  tickMs?: number;
  advance?: (ms: number) => void;
}): Promise<Ec2QueryServer> {
  const port = new SimEc2Port(opts.cloud, opts.accountId, opts.region);
  const actions: string[] = [];
  const authorizations: string[] = [];
  const handle = async (p: Params): Promise<Xml> => {
    const action = p.get("Action") ?? "";
    actions.push(action);
    if (opts.advance) opts.advance(opts.tickMs ?? 30_000);
    const f = filters(p);
    switch (action) {
      case "DescribeInstances": {
        const ids = list(p, "InstanceId");
        const states = f.get("instance-state-name");
        const found = (
          await port.describeInstances({ instanceIds: ids.length ? ids : undefined, tagFilters: tagFilters(f) })
        ).filter((i) => !states || states.includes(i.state));
        return set(
          "reservationSet",
          found.map(
            (i) => `${el("reservationId", `r-${i.instanceId.slice(2)}`)}${set("instancesSet", [instanceXml(i)])}`,
          ),
        );
      }
      case "DescribeInstanceAttribute": {
        const attribute = p.get("Attribute");
        if (attribute !== "userData") {
          const answer = await identityAction(action, p, port);
          if (answer !== undefined) return answer;
          throw Object.assign(new Error(`attribute ${attribute} is not simulated`), {
            awsCode: "InvalidParameterValue",
          });
        }
        const instanceId = p.get("InstanceId") ?? "";
        const r = await port.getUserData({ instanceId });
        const value = r.userData === undefined ? "" : el("value", Buffer.from(r.userData, "utf8").toString("base64"));
        return `${el("instanceId", instanceId)}<userData>${value}</userData>`;
      }
      case "DescribeInstanceStatus": {
        const st = await port.describeInstanceStatus({ instanceIds: list(p, "InstanceId") });
        return set(
          "instanceStatusSet",
          st.map(
            (s) =>
              el("instanceId", s.instanceId) +
              `<instanceState>${el("code", STATE_CODE[s.state])}${el("name", s.state)}</instanceState>` +
              `<systemStatus>${el("status", s.systemOk ? "ok" : "initializing")}</systemStatus>` +
              `<instanceStatus>${el("status", s.instanceOk ? "ok" : "initializing")}</instanceStatus>`,
          ),
        );
      }
      case "CreateImage": {
        const name = p.get("Name") ?? "";
        const dup = [...opts.cloud.images.values()].find((i) => i.clientToken === `name:${name}`);
        if (dup)
          throw Object.assign(new Error(`AMI name ${name} is already in use`), { awsCode: "InvalidAMIName.Duplicate" });
        const r = await port.createImage({
          instanceId: p.get("InstanceId") ?? "",
          name,
          noReboot: p.get("NoReboot") === "true",
          tags: specTags(p, "image"),
          clientToken: `name:${name}`,
          noDevices: runInstancesIdentity(p).noDevices,
        });
        return el("imageId", r.imageId);
      }
      case "DescribeImages": {
        const ids = list(p, "ImageId");
        const imgs = await port.describeImages({ imageIds: ids.length ? ids : undefined, tagFilters: tagFilters(f) });
        return set(
          "imagesSet",
          imgs.map(
            (i) =>
              el("imageId", i.imageId) +
              el("imageState", i.state) +
              el("creationDate", i.createdAt ? new Date(i.createdAt).toISOString() : undefined) +
              set(
                "blockDeviceMapping",
                i.snapshotIds.map((s) => `${el("deviceName", "/dev/xvda")}<ebs>${el("snapshotId", s)}</ebs>`),
              ) +
              tagSet(i.tags),
          ),
        );
      }
      case "DeregisterImage":
        await port.deregisterImage({ imageId: p.get("ImageId") ?? "" });
        return el("return", "true");
      case "DeleteSnapshot":
        await port.deleteSnapshot({ snapshotId: p.get("SnapshotId") ?? "" });
        return el("return", "true");
      case "RunInstances": {
        const userData = p.get("UserData");
        const r = await port.runInstances({
          imageId: p.get("ImageId") ?? "",
          instanceType: p.get("InstanceType") ?? "",
          az: p.get("Placement.AvailabilityZone") ?? "",
          subnetId: p.get("SubnetId") ?? undefined,
          securityGroupIds: list(p, "SecurityGroupId"),
          iamInstanceProfileArn: p.get("IamInstanceProfile.Arn") ?? undefined,
          keyName: p.get("KeyName") ?? undefined,
          userData: userData ? Buffer.from(userData, "base64").toString("utf8") : undefined,
          tags: specTags(p, "instance"),
          spot: p.get("InstanceMarketOptions.MarketType") === "spot",
          clientToken: p.get("ClientToken") ?? "",
          ...runInstancesIdentity(p),
        });
        const [inst] = await port.describeInstances({ instanceIds: [r.instanceId] });
        return `${el("reservationId", `r-${r.instanceId.slice(2)}`)}${set("instancesSet", inst ? [instanceXml(inst)] : [])}`;
      }
      case "TerminateInstances": {
        const ids = list(p, "InstanceId");
        await port.terminateInstances({ instanceIds: ids });
        return set(
          "instancesSet",
          ids.map(
            (id) =>
              `${el("instanceId", id)}<currentState>${el("code", 32)}${el("name", "shutting-down")}</currentState>`,
          ),
        );
      }
      case "DescribeAddresses": {
        const inst = f.get("instance-id")?.[0];
        const alloc = list(p, "AllocationId");
        const addrs = await port.describeAddresses({
          instanceId: inst,
          allocationIds: alloc.length ? alloc : undefined,
        });
        return set(
          "addressesSet",
          addrs.map(
            (a) =>
              el("publicIp", a.publicIp) +
              el("allocationId", a.allocationId) +
              el("domain", "vpc") +
              el("instanceId", a.instanceId) +
              el("associationId", a.associationId) +
              el("privateIpAddress", a.privateIp),
          ),
        );
      }
      case "AssociateAddress": {
        const r = await port.associateAddress({
          allocationId: p.get("AllocationId") ?? "",
          instanceId: p.get("InstanceId") ?? "",
          allowReassociation: p.get("AllowReassociation") === "true",
          privateIp: p.get("PrivateIpAddress") ?? undefined,
        });
        return el("return", "true") + el("associationId", r.associationId);
      }
      case "CreateTags": {
        const tags: Record<string, string> = {};
        for (let i = 1; p.has(`Tag.${i}.Key`); i++)
          tags[p.get(`Tag.${i}.Key`) as string] = p.get(`Tag.${i}.Value`) ?? "";
        await port.createTags({ resourceIds: list(p, "ResourceId"), tags });
        return el("return", "true");
      }
      default: {
        const answer = await identityAction(action, p, port);
        if (answer !== undefined) return answer;
        throw Object.assign(new Error(`The action ${action} is not valid for this web service.`), {
          awsCode: "InvalidAction",
        });
      }
    }
  };

  const server: Server = createServer((req, res) => {
    const health = /^\/healthz\/(i-[\w-]+)$/.exec(req.url ?? "");
    if (req.method === "GET" && health) {
      // the simulated application's health endpoint, for the HTTP health check
      const ok = opts.cloud.healthy(health[1] as string);
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      res.end(ok ? "ok" : "starting");
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      authorizations.push(String(req.headers.authorization ?? ""));
      const body = Buffer.concat(chunks).toString("utf8");
      const params = new URLSearchParams(body || (req.url?.split("?")[1] ?? ""));
      const requestId = opts.cloud.id("req");
      if (params.get("Action") === "GetCallerIdentity") {
        // STS on the same endpoint (AWS_ENDPOINT_URL_STS): who the caller is
        actions.push("GetCallerIdentity");
        res.writeHead(200, { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId });
        res.end(
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${opts.accountId}:user/spotwise</Arn><UserId>AIDASIMULATED</UserId><Account>${opts.accountId}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
        return;
      }
      handle(params).then(
        (inner) => {
          const action = params.get("Action");
          res.writeHead(200, { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId });
          res.end(
            `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NS}"><requestId>${requestId}</requestId>${inner}</${action}Response>`,
          );
        },
        (e: unknown) => {
          const coded = isCodedError(e) ? e : undefined;
          const code = coded
            ? String(coded.detail?.awsError ?? "InternalError")
            : ((e as { awsCode?: string }).awsCode ?? "InternalError");
          const status = code === "RequestLimitExceeded" ? 503 : code === "InternalError" ? 500 : 400;
          res.writeHead(status, { "content-type": "text/xml;charset=UTF-8" });
          res.end(
            `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc((e as Error).message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
          );
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: listening } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${listening}`,
    actions,
    authorizations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
