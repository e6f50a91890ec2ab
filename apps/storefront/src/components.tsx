import type { ComponentChildren } from "preact";
import { Link } from "./router.js";

export function Heading({ children }: { children: ComponentChildren }) {
  // Focused after each navigation so screen readers announce the new page.
  return <h1 tabIndex={-1}>{children}</h1>;
}

export function ErrorNote({ error }: { error: { message: string } | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

export function Loading() {
  return <p class="muted">Loading…</p>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

export function SignInFirst({ what, next }: { what: string; next: string }) {
  return (
    <p>
      <Link href={`/login?next=${encodeURIComponent(next)}`}>Log in</Link> or{" "}
      <Link href={`/signup?next=${encodeURIComponent(next)}`}>sign up</Link> to {what}.
    </p>
  );
}
