import { Type } from "typebox";

const strict = { additionalProperties: false } as const;

const Email = Type.String({ format: "email", minLength: 3, maxLength: 254 });
/** Login takes any short string: a malformed email is just an unknown account (401). */
const LoginEmail = Type.String({ minLength: 1, maxLength: 254 });
const Password = Type.String({ minLength: 8, maxLength: 128 });
const Token = Type.String({ minLength: 1, maxLength: 4096 });

export const Credentials = Type.Object({ email: Email, password: Password }, strict);
export const LoginBody = Type.Object(
  { email: LoginEmail, password: Type.String({ minLength: 1, maxLength: 1024 }) },
  strict,
);
export const RefreshBody = Type.Object({ refreshToken: Token }, strict);
export const TokenBody = Type.Object({ token: Token }, strict);
export const ForgotPasswordBody = Type.Object({ email: Email }, strict);
export const ResetPasswordBody = Type.Object({ token: Token, password: Password }, strict);

export const User = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    role: Type.String({ description: "customer or admin" }),
    emailVerified: Type.Boolean(),
  },
  { description: "the account" },
);

export const TokenPair = Type.Object(
  {
    accessToken: Type.String(),
    refreshToken: Type.String(),
    tokenType: Type.String({ description: "always Bearer" }),
    expiresIn: Type.Integer({ description: "access token lifetime in seconds" }),
  },
  { description: "an access token (JWT, at most 15 minutes) and a rotating refresh token" },
);

export const Jwks = Type.Object(
  { keys: Type.Array(Type.Object({}, { additionalProperties: true })) },
  { additionalProperties: true, description: "JSON Web Key Set" },
);
