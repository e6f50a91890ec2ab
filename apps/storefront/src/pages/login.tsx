import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError, logIn, signUp } from "../api.js";
import { ErrorNote, Heading } from "../components.js";
import { Link, navigate } from "../router.js";

/** Only same-site paths, so a crafted `?next=` cannot send the user elsewhere. */
function safeNext(next: string): string {
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function CredentialsForm(props: {
  title: string;
  submitLabel: string;
  passwordHint?: string;
  submit: (email: string, password: string) => Promise<void>;
  next: string;
  footer: ComponentChildren;
}) {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      await props.submit(String(form.get("email")), String(form.get("password")));
      navigate(safeNext(props.next), { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
      setBusy(false);
    }
  };
  return (
    <section class="narrow">
      <Heading>{props.title}</Heading>
      <form class="stack" onSubmit={onSubmit}>
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="email" required />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          minLength={8}
          maxLength={128}
          autocomplete={props.passwordHint ? "new-password" : "current-password"}
          aria-describedby={props.passwordHint ? "password-hint" : undefined}
          required
        />
        {props.passwordHint ? (
          <p id="password-hint" class="muted">
            {props.passwordHint}
          </p>
        ) : null}
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {props.submitLabel}
        </button>
      </form>
      <p>{props.footer}</p>
    </section>
  );
}

export function LoginPage({ next }: { next: string }) {
  return (
    <CredentialsForm
      title="Log in"
      submitLabel="Log in"
      submit={logIn}
      next={next}
      footer={
        <>
          New here? <Link href={`/signup?next=${encodeURIComponent(next)}`}>Create an account</Link>
        </>
      }
    />
  );
}

export function SignUpPage({ next }: { next: string }) {
  return (
    <CredentialsForm
      title="Sign up"
      submitLabel="Create account"
      passwordHint="8 to 128 characters."
      submit={signUp}
      next={next}
      footer={
        <>
          Already have an account? <Link href={`/login?next=${encodeURIComponent(next)}`}>Log in</Link>
        </>
      }
    />
  );
}
