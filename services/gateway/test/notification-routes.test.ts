import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

let stub: Stub;
let gw: TestGateway;

beforeAll(async () => {
  stub = await startStub({
    notification: {
      ListNotifications: async ({ limit, cursor }) => ({
        items: [
          {
            id: "n2",
            type: "ORDER_PAID",
            channel: "email",
            status: "SENT",
            orderId: 42,
            hasOrderId: true,
            createdAt: "2026-11-25T10:00:02.000Z",
            attempts: 1,
          },
          {
            id: "n1",
            type: "EMAIL_VERIFICATION",
            channel: "email",
            status: "PENDING",
            orderId: 0,
            hasOrderId: false,
            createdAt: "2026-11-25T10:00:01.000Z",
            attempts: 0,
          },
        ].slice(0, limit),
        nextCursor: cursor ? "" : "after-n1",
      }),
      LinkTelegram: async ({ chatId }) => ({ chatId, linkedAt: "2026-11-25T10:00:00.000Z" }),
    },
  });
  gw = await startGateway({ downstream: stub.address });
});
afterAll(async () => {
  await gw.close();
  await stub.stop();
});

describe("notifications", () => {
  it("when a signed-in user lists notifications, then they come in the contract's shape with the caller's token forwarded", async () => {
    const bearer = await gw.bearer(`u-${uid()}`);
    const res = await gw.app.inject({ url: "/api/v1/notifications", headers: { authorization: bearer } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      items: [
        {
          id: "n2",
          type: "ORDER_PAID",
          channel: "email",
          status: "SENT",
          orderId: 42,
          createdAt: "2026-11-25T10:00:02.000Z",
        },
        {
          id: "n1",
          type: "EMAIL_VERIFICATION",
          channel: "email",
          status: "PENDING",
          orderId: null,
          createdAt: "2026-11-25T10:00:01.000Z",
        },
      ],
      nextCursor: "after-n1",
    });
    const call = stub.requests.ListNotifications!.at(-1)!;
    expect(call.ctx.authorization).toBe(bearer);
    expect(call.request).toMatchObject({ limit: 20, cursor: "" });
  });

  it("when the last page is read, then nextCursor is null", async () => {
    const res = await gw.app.inject({
      url: "/api/v1/notifications?limit=1&cursor=after-n1",
      headers: { authorization: await gw.bearer(`u-${uid()}`) },
    });
    expect(res.json().items).toHaveLength(1);
    expect(res.json().nextCursor).toBeNull();
  });

  it("when nobody is signed in, then notifications are 401", async () => {
    expect((await gw.app.inject({ url: "/api/v1/notifications" })).statusCode).toBe(401);
    const put = await gw.app.inject({
      method: "PUT",
      url: "/api/v1/notifications/telegram",
      payload: { chatId: "1" },
    });
    expect(put.statusCode).toBe(401);
  });

  it("when a user links a Telegram chat by string or number id, then the link comes back", async () => {
    const auth = { authorization: await gw.bearer(`u-${uid()}`) };
    for (const chatId of ["-100123456", 987654321]) {
      const res = await gw.app.inject({
        method: "PUT",
        url: "/api/v1/notifications/telegram",
        headers: auth,
        payload: { chatId },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ chatId: String(chatId), linkedAt: "2026-11-25T10:00:00.000Z" });
    }
  });

  it.each([{ chatId: "abc" }, { chatId: "" }, {}, { chatId: "1", userId: "x" }])(
    "when the Telegram body is %j, then it is 400 and the service is not called",
    async (payload) => {
      const before = stub.count("LinkTelegram");
      const res = await gw.app.inject({
        method: "PUT",
        url: "/api/v1/notifications/telegram",
        headers: { authorization: await gw.bearer(`u-${uid()}`) },
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(stub.count("LinkTelegram")).toBe(before);
    },
  );
});
