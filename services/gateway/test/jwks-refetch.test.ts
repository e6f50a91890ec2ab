import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createTestIssuer, createTokenVerifier } from "@shop/identity";
import { eventually, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

// The auth service's JWKS endpoint, played by a real local HTTP server whose keys can rotate.
let served: { keys: unknown[] } = { keys: [] };
let fetches = 0;
let jwksServer: Server;
let stub: Stub;
let gw: TestGateway;
let oldKey: Awaited<ReturnType<typeof createTestIssuer>>;
let newKey: Awaited<ReturnType<typeof createTestIssuer>>;

beforeAll(async () => {
  oldKey = await createTestIssuer();
  newKey = await createTestIssuer();
  served = { keys: [...oldKey.jwks.keys] };
  jwksServer = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(served));
  });
  jwksServer.listen(0, "127.0.0.1");
  await once(jwksServer, "listening");
  const { port } = jwksServer.address() as AddressInfo;
  stub = await startStub({
    auth: {
      GetMe: async () => ({ id: "me", email: "me@example.com", role: "customer", emailVerified: true }),
    },
  });
  gw = await startGateway({
    downstream: stub.address,
    verifier: createTokenVerifier({ jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` }),
  });
});
afterAll(async () => {
  await gw.close();
  await stub.stop();
  jwksServer.close();
});

const me = (authorization: string) => gw.app.inject({ url: "/api/v1/auth/me", headers: { authorization } });

describe("token keys from a remote JWKS", () => {
  it("when the auth service rotates to a key the gateway has not seen, then the gateway refetches the JWKS and accepts it", async () => {
    expect((await me(await oldKey.bearer(`u-${uid()}`))).statusCode).toBe(200);
    const fetchedBefore = fetches;

    served = { keys: [...oldKey.jwks.keys, ...newKey.jwks.keys] };
    const token = await newKey.bearer(`u-${uid()}`);
    // jose refetches on an unknown kid, at most once per cooldown (5 s), so this may take a moment.
    await eventually(async () => ((await me(token)).statusCode === 200 ? true : undefined), 15_000, 250);
    expect(fetches).toBeGreaterThan(fetchedBefore);
    // Tokens under the old key keep working.
    expect((await me(await oldKey.bearer(`u-${uid()}`))).statusCode).toBe(200);
  });

  it("when the JWKS cannot be fetched, then a signed-in route is 503, not 401 or 500", async () => {
    const down = await startGateway({
      downstream: stub.address,
      verifier: createTokenVerifier({ jwksUrl: "http://127.0.0.1:1/.well-known/jwks.json" }),
    });
    const res = await down.app.inject({
      url: "/api/v1/auth/me",
      headers: { authorization: await oldKey.bearer("u1") },
    });
    expect(res.statusCode).toBe(503);
    await down.close();
  });
});
