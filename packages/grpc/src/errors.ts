import * as grpc from "@grpc/grpc-js";
import { AppError, kindFromGrpcStatus } from "@shop/platform";

/** Trailing metadata key carrying the AppError code across the wire (e.g. `STALE_VERSION`). */
export const ERROR_CODE_KEY = "x-error-code";
/** Trailing metadata key carrying AppError.retryAfter (seconds), e.g. for a login lockout. */
export const RETRY_AFTER_KEY = "x-retry-after";

/** The status object a server handler returns for an error. Unknown errors never leak details. */
export function toGrpcError(err: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (err instanceof AppError) {
    metadata.set(ERROR_CODE_KEY, err.code);
    if (err.retryAfter !== undefined) metadata.set(RETRY_AFTER_KEY, String(err.retryAfter));
    return { code: err.grpcStatus, details: err.message, metadata };
  }
  metadata.set(ERROR_CODE_KEY, "INTERNAL");
  return { code: grpc.status.INTERNAL, details: "internal error", metadata };
}

/** Turns a failed call into an AppError, keeping the server's code. */
export function fromGrpcError(err: grpc.ServiceError, method: string): AppError {
  const kind = err.code === grpc.status.DEADLINE_EXCEEDED ? "TIMEOUT" : kindFromGrpcStatus(err.code);
  const code = err.metadata?.get(ERROR_CODE_KEY)[0];
  const retryAfter = Number(err.metadata?.get(RETRY_AFTER_KEY)[0]);
  const message =
    kind === "UNAVAILABLE" || kind === "TIMEOUT" || kind === "INTERNAL"
      ? `${method}: ${kind.toLowerCase().replace("_", " ")}`
      : err.details;
  return new AppError(kind, message, {
    cause: err,
    ...(typeof code === "string" ? { code } : {}),
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfter } : {}),
  });
}
