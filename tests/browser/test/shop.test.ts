import { uid } from "@shop/testkit";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createProducts } from "./api.js";
import { launch, openPage, visit } from "./browser.js";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/** Moves within the app by its header links: a reload would sign the shopper out (token in memory). */
async function go(page: Page, link: string | RegExp): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link }).click();
}

async function search(page: Page, word: string): Promise<void> {
  await page.getByLabel("Search products").fill(word);
  await page.getByRole("button", { name: "Search" }).click();
  await expect.poll(() => page.locator(".card").count()).toBeGreaterThan(0);
}

async function addToCart(page: Page, name: string): Promise<void> {
  await page.getByRole("link", { name }).click();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText(`Added 1 × ${name} to the cart.`).waitFor();
}

/** Places the cart's order (double-clicked, as an impatient shopper would) and returns its id. */
async function checkout(page: Page): Promise<number> {
  await page.getByRole("button", { name: "Place order" }).dblclick();
  await page.waitForURL(/\/orders\/\d+$/);
  return Number(new URL(page.url()).pathname.split("/").pop());
}

/** With PAYMENT_FAILURE_MODE=even-order-id an odd order is paid and an even one cancelled. */
async function expectOutcome(page: Page, id: number): Promise<"paid" | "cancelled"> {
  const paid = id % 2 === 1;
  await expect
    .poll(() => page.locator(".status-line .badge").textContent(), { timeout: 60_000 })
    .toBe(paid ? "PAID" : "CANCELLED");
  if (!paid) expect(await page.locator(".status-line .reason").textContent()).toContain("PAYMENT_FAILED");

  // The saga's timeline where the gateway has the route, else a note; never a broken page.
  const timeline = page.locator("ol.timeline");
  const note = page.getByText("timeline is not available");
  await expect.poll(async () => (await timeline.count()) + (await note.count())).toBeGreaterThan(0);
  if ((await timeline.count()) > 0) {
    await expect
      .poll(() => timeline.textContent(), { timeout: 15_000 })
      .toContain(paid ? "OrderPaid" : "OrderCancelled");
    if (!paid) expect(await page.locator(".step.compensation").count()).toBeGreaterThan(0);
  }
  return paid ? "paid" : "cancelled";
}

describe("a shopper in the storefront", () => {
  it("when they sign up, search, check out twice and browse their account, then they see one order paid, one cancelled, and the feed", async () => {
    const { word, products } = await createProducts(["Teal mug", "Desk lamp"]);
    const { page, errors } = await openPage(browser);

    await page.goto(`${inject("gatewayUrl")}/`);
    await visit(page, "catalogue", "Products");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign up" }).click();
    await visit(page, "sign-up", "Sign up");
    const email = `shopper-${uid()}@shop.test`;
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(`pw-${uid()}`);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText(email).waitFor();

    await search(page, word);
    await visit(page, "search", `Results for “${word}”`);
    expect(await page.locator(".card").count()).toBe(2);

    await addToCart(page, products[0]!.name);
    await visit(page, "product", products[0]!.name);
    await page.goBack();
    await addToCart(page, products[1]!.name);

    await go(page, "Cart (2)");
    await visit(page, "cart", "Cart");
    const first = await checkout(page);
    const firstOutcome = await expectOutcome(page, first);
    await visit(page, `order-${firstOutcome}`, `Order #${first}`);

    // A second order has the other parity: the stack is this file's own, so ids are consecutive.
    await search(page, word);
    await addToCart(page, products[0]!.name);
    await go(page, "Cart (1)");
    const second = await checkout(page);
    const secondOutcome = await expectOutcome(page, second);
    expect(secondOutcome).not.toBe(firstOutcome);
    await visit(page, `order-${secondOutcome}`, `Order #${second}`);

    // Each checkout was double-clicked, and placed one order.
    await go(page, "Orders");
    await visit(page, "orders", "Your orders");
    const history = page.locator("main .list li");
    await expect.poll(() => history.count()).toBe(2);
    expect(await history.nth(0).textContent()).toContain(`Order #${second}`);
    expect(await history.nth(1).textContent()).toContain(`Order #${first}`);
    expect(await history.allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/PAID/), expect.stringMatching(/CANCELLED/)]),
    );

    // Notifications are sent after the saga ends: come back to the feed until both are there.
    await expect
      .poll(
        async () => {
          await go(page, "Orders");
          await go(page, "Notifications");
          await page.locator("main .list, main p:not(.muted)").first().waitFor();
          const feed = (await page.locator("main").textContent()) ?? "";
          return feed.includes(`order #${first}`) && feed.includes(`order #${second}`);
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    expect(await page.locator("main").textContent()).toMatch(/order paid[\s\S]*|order cancelled/);
    await visit(page, "notifications", "Notifications");

    // No token ever reaches web storage; the cart may.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(stored).not.toMatch(/eyJ/);

    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Log in" }).waitFor();
    expect(errors).toEqual([]);
  });
});
