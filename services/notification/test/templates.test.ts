import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { loadTemplates, TEMPLATE_DIR, templateNames } from "../src/domain/render-template.js";

const templates = loadTemplates();

describe("templates", () => {
  it("when a value holds markup, then the HTML variant escapes it and the text variant keeps it", () => {
    const vars = { orderId: 7, total: `<script>alert("x")</script>`, reason: "Tom & Jerry's" };
    const email = templates.renderEmail("order-cancelled", vars);
    expect(email.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(email.html).toContain("Tom &amp; Jerry&#39;s");
    expect(email.html).not.toContain("<script>");
    expect(email.text).toContain(`<script>alert("x")</script>`);
    expect(email.subject).toBe("Order #7 was cancelled");
  });

  it("when a subject value holds a line break, then the subject stays on one line", () => {
    const email = templates.renderEmail("order-paid", {
      orderId: "1\r\nBcc: x@evil.test",
      total: "$1",
      itemCount: 1,
    });
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it("when a variable has no value, then rendering fails naming it", () => {
    expect(() => templates.renderEmail("verify-email", { link: "https://x" })).toThrow(/token/);
  });

  it("when every message is rendered, then no placeholder is left and order messages have a Telegram text", () => {
    const vars = {
      link: "L",
      token: "T",
      expiresAt: "E",
      orderId: 1,
      total: "$1.00",
      itemCount: 2,
      reason: "R",
    };
    for (const name of templateNames) {
      const email = templates.renderEmail(name, vars);
      for (const part of [email.subject, email.text, email.html]) expect(part).not.toContain("{{");
    }
    expect(templates.renderTelegram("order-paid", vars)).toContain("Order #1");
    expect(templates.renderTelegram("order-cancelled", vars)).toContain("Order #1");
    expect(() => templates.renderTelegram("verify-email", vars)).toThrow(/no Telegram variant/);
  });

  it("when the service runs from dist/, then the templates folder is found", async () => {
    const built = fileURLToPath(new URL("../dist/domain/render-template.js", import.meta.url));
    expect(existsSync(built), "build the service first (turbo runs build before test)").toBe(true);
    const fromDist = (await import(
      pathToFileURL(built).href
    )) as typeof import("../src/domain/render-template.js");
    expect(fromDist.TEMPLATE_DIR).toBe(TEMPLATE_DIR);
    expect(
      fromDist.loadTemplates().renderEmail("password-reset", { link: "L", token: "T", expiresAt: "E" })
        .subject,
    ).toBe("Reset your password");
  });
});
