import { describe, expect, it } from "vitest";
import { SECRET_URL_FORMS } from "../../test/support/secret-urls.js";
import { maskUrl, maskUrls } from "./mask.js";

describe("URL masking", () => {
  it.each(SECRET_URL_FORMS)("masks $url", ({ url, secret, masked }) => {
    expect(maskUrl(url)).toBe(masked);
    expect(maskUrl(url)).not.toContain(secret);
  });

  it("keeps the punctuation around a URL in text", () => {
    expect(maskUrls("cannot open (postgres://u@db/x?password=pw): refused")).toBe(
      "cannot open (postgres://u@db/x?password=****): refused",
    );
    expect(maskUrls("at redis://:pw@h:1/0.")).toBe("at redis://:****@h:1/0.");
  });

  it("masks URLs inside text and leaves the rest alone", () => {
    const text = "cannot reach redis://:pw1@h:6379/0 nor postgres://u@db/x?password=pw2 (retrying)";
    expect(maskUrls(text)).toBe("cannot reach redis://:****@h:6379/0 nor postgres://u@db/x?password=**** (retrying)");
    expect(maskUrls("redis://cache:6379/0 and https://hooks.example/x?a=1")).toBe(
      "redis://cache:6379/0 and https://hooks.example/x?a=1",
    );
  });
});
