import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { ConfigError, type ConfigOf, list, oneOf, str } from "@shop/platform";

/**
 * Mutual TLS between the services: every server asks for a client certificate signed by the one
 * CA, every client shows its own. A certificate's subject CN is the service's name, which a server
 * can check against the callers it accepts.
 */
export const grpcTlsSettings = () => ({
  grpcTls: oneOf(
    "GRPC_TLS",
    "on: gRPC over mutual TLS with the files below; off: plaintext, only behind a mesh that does mTLS itself",
    ["on", "off"] as const,
    "on",
  ),
  grpcTlsCaFile: str("GRPC_TLS_CA_FILE", "PEM of the CA that signs every service's certificate", ""),
  grpcTlsCertFile: str(
    "GRPC_TLS_CERT_FILE",
    "PEM certificate of this service (subject CN = service name), shown to servers and to clients",
    "",
  ),
  grpcTlsKeyFile: str("GRPC_TLS_KEY_FILE", "PEM private key of GRPC_TLS_CERT_FILE", ""),
});

/** The callers a gRPC server accepts, by the CN of their client certificate. */
export const grpcCallerSettings = (callers: string[]) => ({
  grpcAllowedCallers: list(
    "GRPC_ALLOWED_CALLERS",
    "services (client certificate CN) that may call this server's API, comma-separated; * for any certificate of the CA (health checks accept any)",
    callers,
  ),
});

export type GrpcTlsConfig = ConfigOf<ReturnType<typeof grpcTlsSettings>>;

/** What `createGrpcServer` binds with, and the interceptor that checks the caller. */
export interface GrpcServerCredentials {
  credentials: grpc.ServerCredentials;
  interceptors: grpc.ServerInterceptor[];
}

/** What `createGrpcClient` dials with: channel credentials and the TLS name the server must have. */
export interface GrpcClientCredentials {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
}

export interface GrpcCredentials {
  /** Whether the services' certificates are in use (false with GRPC_TLS=off). */
  tls: boolean;
  /** A server's credentials; with TLS, only `allowedCallers` (CNs, or "*") reach its API. */
  server(allowedCallers: readonly string[]): GrpcServerCredentials;
  /**
   * A client's credentials: this service's certificate, trusting the CA, and expecting the server
   * to be `server` (its certificate must carry DNS:<server>), whatever address is dialled.
   */
  client(server: string): GrpcClientCredentials;
}

const HEALTH_PREFIX = "/grpc.health.v1.Health/";

/**
 * Reads the CA, certificate and key once at start. With TLS on, a file that is unset, unreadable,
 * not PEM, not matching its key, not issued by the CA or expired stops the process with a
 * ConfigError naming its variable.
 */
export function loadGrpcCredentials(config: GrpcTlsConfig): GrpcCredentials {
  if (config.grpcTls === "off") {
    return {
      tls: false,
      server: () => ({ credentials: grpc.ServerCredentials.createInsecure(), interceptors: [] }),
      client: () => ({ credentials: grpc.credentials.createInsecure(), options: {} }),
    };
  }
  const ca = readPem("GRPC_TLS_CA_FILE", config.grpcTlsCaFile);
  const cert = readPem("GRPC_TLS_CERT_FILE", config.grpcTlsCertFile);
  const key = readPem("GRPC_TLS_KEY_FILE", config.grpcTlsKeyFile);
  checkCertificate(ca, cert, key);
  return {
    tls: true,
    server: (allowedCallers) => ({
      credentials: grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true),
      interceptors: allowedCallers.includes("*") ? [] : [callerCheck(new Set(allowedCallers))],
    }),
    client: (server) => sslClient(grpc.credentials.createSsl(ca, key, cert), server),
  };
}

/**
 * TLS credentials expecting `server`. The name also goes into SNI in place of the dialled host:
 * Node refuses an IP address there, and clients dial 127.0.0.1 locally.
 */
export function sslClient(credentials: grpc.ChannelCredentials, server: string): GrpcClientCredentials {
  return { credentials, options: { "grpc.ssl_target_name_override": server } };
}

function readPem(variable: string, file: string): Buffer {
  if (!file)
    throw new ConfigError(
      variable,
      "is required when GRPC_TLS is on (GRPC_TLS=off only behind an mTLS mesh)",
    );
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(variable, `cannot be read: ${(err as Error).message}`);
  }
}

function checkCertificate(caPem: Buffer, certPem: Buffer, keyPem: Buffer): void {
  const parse = (variable: string, pem: Buffer) => {
    try {
      return new X509Certificate(pem);
    } catch {
      throw new ConfigError(variable, "is not a PEM certificate");
    }
  };
  const ca = parse("GRPC_TLS_CA_FILE", caPem);
  const cert = parse("GRPC_TLS_CERT_FILE", certPem);
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw new ConfigError("GRPC_TLS_KEY_FILE", "is not a PEM private key");
  }
  if (!matches) throw new ConfigError("GRPC_TLS_KEY_FILE", "does not belong to GRPC_TLS_CERT_FILE");
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new ConfigError("GRPC_TLS_CERT_FILE", "is not issued by GRPC_TLS_CA_FILE");
  }
  if (Date.parse(cert.validTo) < Date.now()) {
    throw new ConfigError("GRPC_TLS_CERT_FILE", `expired on ${cert.validTo}`);
  }
}

/** The CN of the caller's client certificate, as the TLS handshake verified it. */
export function callerOf(call: {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}): string | undefined {
  const cn = call.getAuthContext()?.sslPeerCertificate?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

/**
 * Refuses API calls (PERMISSION_DENIED) from a certificate whose CN is not among `allowed`.
 * Health checks pass: any holder of a certificate of the CA may ask whether a server is up.
 */
function callerCheck(allowed: ReadonlySet<string>): grpc.ServerInterceptor {
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, forward) {
            const caller = callerOf(call);
            if (method.path.startsWith(HEALTH_PREFIX) || (caller !== undefined && allowed.has(caller))) {
              forward(metadata);
              return;
            }
            call.sendStatus({
              code: grpc.status.PERMISSION_DENIED,
              details: `caller ${caller ?? "(no certificate)"} may not call ${method.path}`,
              metadata: new grpc.Metadata(),
            });
          },
        });
      },
    });
}
