import * as grpc from "@grpc/grpc-js";
import { AppError, kindFromGrpcStatus } from "@shop/platform";

/** Trailing metadata key carrying the AppError code across the wire (e.g. `STALE_VERSION`). */
export const ERROR_CODE_KEY = "x-error-code";

/** The status object a server handler returns for an error. Unknown errors never leak details. */
export function toGrpcError(err: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (err instanceof AppError) {
    metadata.set(ERROR_CODE_KEY, err.code);
    return { code: err.grpcStatus, details: err.message, metadata };
  }
  metadata.set(ERROR_CODE_KEY, "INTERNAL");
  return { code: grpc.status.INTERNAL, details: "internal error", metadata };
}

/** Turns a failed call into an AppError, keeping the server's code. */
export function fromGrpcError(err: grpc.ServiceError, method: string): AppError {
  const kind = err.code === grpc.status.DEADLINE_EXCEEDED ? "TIMEOUT" : kindFromGrpcStatus(err.code);
  const code = err.metadata?.get(ERROR_CODE_KEY)[0];
  const message =
    kind === "UNAVAILABLE" || kind === "TIMEOUT" || kind === "INTERNAL"
      ? `${method}: ${kind.toLowerCase().replace("_", " ")}`
      : err.details;
  return new AppError(kind, message, { cause: err, ...(typeof code === "string" ? { code } : {}) });
}
