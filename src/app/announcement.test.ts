import { describe, expect, it } from "vitest";
import { registryAnnouncement } from "./container.js";

describe("registry announcements in the channel", () => {
  it("mention the actor and escape what users typed (a forced promotion's reason, a model name)", () => {
    expect(
      registryAnnouncement(
        "model <b>risk v2</b> promoted by slack:U0ADMIN1 (forced: <!channel> ship it & see): was default v1",
      ),
    ).toBe(
      "model &lt;b&gt;risk v2&lt;/b&gt; promoted by <@U0ADMIN1> (forced: &lt;!channel&gt; ship it &amp; see): was default v1",
    );
  });
});
