import { type Identity, requireAdmin, type TokenVerifier } from "@shop/identity";
import { AppError } from "@shop/platform";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Verifies the caller's access token locally (JWKS keys, no call to the auth service), once per
 * request: the rate limiter keys by it and the route's guard reuses the same verification.
 */
export function createAuthenticator(verifier: TokenVerifier) {
  const verifications = new WeakMap<FastifyRequest, Promise<Identity>>();
  const identities = new WeakMap<FastifyRequest, Identity>();

  function verify(req: FastifyRequest): Promise<Identity> {
    let pending = verifications.get(req);
    if (!pending) {
      pending = verifier.verify(req.headers.authorization);
      verifications.set(req, pending);
    }
    return pending;
  }

  async function signIn(req: FastifyRequest): Promise<Identity> {
    const identity = await verify(req);
    identities.set(req, identity);
    req.log = req.log.child({ userId: identity.userId });
    return identity;
  }

  return {
    /** The caller when the token is valid, else undefined (for keys such as rate limits). */
    async tryIdentify(req: FastifyRequest): Promise<Identity | undefined> {
      if (!req.headers.authorization) return undefined;
      return verify(req).catch(() => undefined);
    },
    /** Route hook: any signed-in user, else 401. */
    user: async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      await signIn(req);
    },
    /** Route hook: admins only; 401 without a valid token, 403 for other roles. */
    admin: async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      requireAdmin(await signIn(req));
    },
    /** The identity a guard hook established for this request. */
    identity(req: FastifyRequest): Identity {
      const identity = identities.get(req);
      if (!identity) throw AppError.unauthenticated();
      return identity;
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
