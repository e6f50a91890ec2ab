import type { UnaryHandlers } from "@shop/grpc";
import type { AuthServiceDefinition } from "@shop/grpc/generated/shop/auth/v1/AuthService";
import type { AuthContext } from "../../domain/context.js";
import { forgotPassword } from "../../domain/forgot-password.js";
import { getJwks } from "../../domain/get-jwks.js";
import { getMe } from "../../domain/get-me.js";
import { login } from "../../domain/login.js";
import { logout } from "../../domain/logout.js";
import { refresh } from "../../domain/refresh.js";
import { register } from "../../domain/register.js";
import { resetPassword } from "../../domain/reset-password.js";
import { verifyEmail } from "../../domain/verify-email.js";

/** shop.auth.v1.AuthService: thin adapters from messages to use cases. */
export function authServiceHandlers(ctx: AuthContext): UnaryHandlers<AuthServiceDefinition> {
  return {
    Register: (req) => register(ctx, { email: req.email, password: req.password }),
    Login: (req) => login(ctx, { email: req.email, password: req.password, clientIp: req.clientIp }),
    Refresh: (req) => refresh(ctx, { refreshToken: req.refreshToken }),
    Logout: async (req) => {
      await logout(ctx, { refreshToken: req.refreshToken });
      return {};
    },
    GetMe: (_req, call) => getMe(ctx, call.authorization),
    VerifyEmail: async (req) => {
      await verifyEmail(ctx, { token: req.token });
      return {};
    },
    ForgotPassword: async (req) => {
      await forgotPassword(ctx, { email: req.email });
      return {};
    },
    ResetPassword: async (req) => {
      await resetPassword(ctx, { token: req.token, password: req.password });
      return {};
    },
    GetJwks: async () => ({ json: JSON.stringify(await getJwks(ctx)) }),
  };
}
