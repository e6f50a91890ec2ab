import { useEffect, useState } from "preact/hooks";

/**
 * The signed-in user, kept in memory only: no token ever goes to localStorage or sessionStorage,
 * where any script on the page could read it. A reload therefore starts signed out until
 * `restoreSession` can ask the gateway for a new access token with an HttpOnly refresh cookie.
 */
export interface Session {
  email: string;
  accessToken: string;
  /** Kept in memory to renew the access token and to end the login on the server. */
  refreshToken: string | null;
  expiresAt: number;
}

let session: Session | null = null;
const listeners = new Set<() => void>();

export function currentSession(): Session | null {
  return session;
}

export function setSession(next: Session | null): void {
  session = next;
  for (const l of listeners) l();
}

export function useSession(): Session | null {
  const [value, setValue] = useState(session);
  useEffect(() => {
    const update = () => setValue(session);
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return value;
}

export interface TokenReply {
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
}

export function sessionFrom(email: string, reply: TokenReply): Session {
  return {
    email,
    accessToken: reply.accessToken,
    refreshToken: reply.refreshToken ?? null,
    expiresAt: Date.now() + reply.expiresIn * 1000,
  };
}

/**
 * Called once at start. Nothing to restore yet: the refresh-by-cookie route will fill this in
 * (POST /api/v1/auth/refresh with credentials, then `setSession`).
 */
export async function restoreSession(): Promise<void> {}
