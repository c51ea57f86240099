/**
 * Who holds a role (approvers approve switches; admins pause, change the mode, upload and promote models):
 * configured user ids and/or the members of one Slack user group (usergroups.users.list, cached for a few
 * minutes in the shared cache so replicas agree and Slack is not hammered).
 */
import type { WebClient } from "@slack/web-api";
import { z } from "zod";
import type { Logger } from "../adapters/log/logger.js";
import type { CacheStore } from "../core/ports/kv.js";

const UsergroupUsers = z.object({ ok: z.literal(true), users: z.array(z.string()) });
export const GROUP_CACHE_MS = 5 * 60 * 1000;

export type ApproverCheckResult = { ok: true } | { ok: false; why: string };

/** How a role is named in messages: the role and its two settings. */
export interface RoleNames {
  role: string;
  usersVar: string;
  groupVar: string;
}

export const APPROVER_ROLE: RoleNames = {
  role: "approver",
  usersVar: "SLACK_APPROVERS",
  groupVar: "SLACK_APPROVER_GROUP",
};
export const ADMIN_ROLE: RoleNames = { role: "admin", usersVar: "SLACK_ADMINS", groupVar: "SLACK_ADMIN_GROUP" };

export class ApproverCheck {
  private readonly names: RoleNames;

  constructor(
    private readonly opts: {
      users: readonly string[];
      group?: string;
      cache: CacheStore;
      client: WebClient;
      log: Logger;
      names?: RoleNames;
    },
  ) {
    this.names = opts.names ?? APPROVER_ROLE;
  }

  async check(userId: string): Promise<ApproverCheckResult> {
    if (this.opts.users.includes(userId)) return { ok: true };
    const group = this.opts.group;
    const n = this.names;
    if (!group) {
      return {
        ok: false,
        why:
          this.opts.users.length === 0
            ? `no ${n.role}s are configured (set ${n.usersVar} or ${n.groupVar})`
            : `you are not in ${n.usersVar}`,
      };
    }
    try {
      const members = await this.groupMembers(group);
      if (members.includes(userId)) return { ok: true };
      return { ok: false, why: `you are not in ${n.usersVar} nor in the ${n.role} group <!subteam^${group}>` };
    } catch (e) {
      this.opts.log.warn({ err: e, group }, `cannot read ${n.role} group`);
      return {
        ok: false,
        why: `the ${n.role} group ${group} could not be read (${(e as Error).message}); ask an admin to check the usergroups:read scope`,
      };
    }
  }

  private async groupMembers(group: string): Promise<string[]> {
    const key = `slack:usergroup:${group}`;
    const cached = await this.opts.cache.get(key);
    if (cached) return JSON.parse(cached) as string[];
    const res = UsergroupUsers.parse(await this.opts.client.usergroups.users.list({ usergroup: group }));
    await this.opts.cache.set(key, JSON.stringify(res.users), GROUP_CACHE_MS);
    return res.users;
  }
}
