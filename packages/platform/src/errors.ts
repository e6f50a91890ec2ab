/**
 * One error family for the whole system. Each transport maps it once: problem+json over HTTP,
 * status codes over gRPC, retry-or-dead-letter in Kafka consumers.
 */
export const errorKinds = {
  INVALID_ARGUMENT: { http: 400, grpc: 3, title: "Bad Request", retryable: false },
  UNAUTHENTICATED: { http: 401, grpc: 16, title: "Unauthorized", retryable: false },
  PERMISSION_DENIED: { http: 403, grpc: 7, title: "Forbidden", retryable: false },
  NOT_FOUND: { http: 404, grpc: 5, title: "Not Found", retryable: false },
  CONFLICT: { http: 409, grpc: 6, title: "Conflict", retryable: false },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: 8, title: "Payload Too Large", retryable: false },
  UNPROCESSABLE: { http: 422, grpc: 9, title: "Unprocessable Content", retryable: false },
  TOO_MANY_REQUESTS: { http: 429, grpc: 8, title: "Too Many Requests", retryable: true },
  UNAVAILABLE: { http: 503, grpc: 14, title: "Service Unavailable", retryable: true },
  TIMEOUT: { http: 504, grpc: 4, title: "Gateway Timeout", retryable: true },
  INTERNAL: { http: 500, grpc: 13, title: "Internal Server Error", retryable: true },
} as const;

export type ErrorKind = keyof typeof errorKinds;

export interface ErrorDetail {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  /** Machine-readable reason within the kind, e.g. `OUT_OF_STOCK`, `STALE_VERSION`. */
  readonly code: string;
  readonly errors: ErrorDetail[] | undefined;
  /** Seconds, for TOO_MANY_REQUESTS. */
  readonly retryAfter: number | undefined;

  constructor(
    kind: ErrorKind,
    message: string,
    opts: { code?: string; cause?: unknown; errors?: ErrorDetail[]; retryAfter?: number } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "AppError";
    this.kind = kind;
    this.code = opts.code ?? kind;
    this.errors = opts.errors;
    this.retryAfter = opts.retryAfter;
  }

  get httpStatus(): number {
    return errorKinds[this.kind].http;
  }

  get grpcStatus(): number {
    return errorKinds[this.kind].grpc;
  }

  get retryable(): boolean {
    return errorKinds[this.kind].retryable;
  }

  static invalid(message: string, errors?: ErrorDetail[]) {
    return new AppError("INVALID_ARGUMENT", message, errors ? { errors } : {});
  }
  static unauthenticated(message = "missing or invalid credentials") {
    return new AppError("UNAUTHENTICATED", message);
  }
  static forbidden(message = "not allowed") {
    return new AppError("PERMISSION_DENIED", message);
  }
  static notFound(message: string) {
    return new AppError("NOT_FOUND", message);
  }
  static conflict(message: string, code?: string) {
    return new AppError("CONFLICT", message, code ? { code } : {});
  }
  static unprocessable(message: string, code?: string) {
    return new AppError("UNPROCESSABLE", message, code ? { code } : {});
  }
  static unavailable(message: string, cause?: unknown) {
    return new AppError("UNAVAILABLE", message, { cause });
  }
  static tooMany(message: string, retryAfter: number) {
    return new AppError("TOO_MANY_REQUESTS", message, { retryAfter });
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

const grpcToKind = new Map<number, ErrorKind>(
  (Object.entries(errorKinds) as [ErrorKind, (typeof errorKinds)[ErrorKind]][])
    .filter(([kind]) => kind !== "PAYLOAD_TOO_LARGE")
    .map(([kind, v]) => [v.grpc, kind]),
);

/** The kind a gRPC status code stands for (unknown codes are INTERNAL). */
export function kindFromGrpcStatus(code: number): ErrorKind {
  if (code === 1) return "UNAVAILABLE"; // CANCELLED
  if (code === 10) return "CONFLICT"; // ABORTED
  return grpcToKind.get(code) ?? "INTERNAL";
}
