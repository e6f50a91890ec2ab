import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The same recipe as `make up` (deploy/local/pki.sh): one CA, one ECDSA P-256 certificate per name. */
const PKI_SCRIPT = fileURLToPath(new URL("../../../deploy/local/pki.sh", import.meta.url));
const SERVICES = ["gateway", "auth", "product", "order", "payment", "notification"];

/** The files a service's gRPC TLS settings name (`grpcTlsSettings` of @shop/grpc), as loaded config. */
export interface TestTlsConfig {
  grpcTls: "on";
  grpcTlsCaFile: string;
  grpcTlsCertFile: string;
  grpcTlsKeyFile: string;
}

let root: string | undefined;

/** The directory of one CA, made on first use in this process and removed when it exits. */
function caDir(issuer: "test" | "other"): string {
  if (!root) {
    const dir = mkdtempSync(join(tmpdir(), "shop-pki-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    root = dir;
  }
  return join(root, issuer);
}

function issue(issuer: "test" | "other", name: string): string {
  const dir = caDir(issuer);
  if (!existsSync(join(dir, `${name}.crt`))) {
    // The six services at the first call, so a harness pays for one run of the script.
    const names = existsSync(join(dir, "ca.crt")) ? [name] : [...new Set([name, ...SERVICES])];
    execFileSync("bash", [PKI_SCRIPT, dir, ...names], { stdio: ["ignore", "ignore", "pipe"] });
  }
  return dir;
}

/**
 * gRPC TLS settings of `name` (a service, or any other caller such as "intruder"), from a
 * throwaway CA made once per test process with openssl. `issuer: "other"` gives a certificate
 * of a second, unrelated CA (while still trusting the test CA), which servers must refuse.
 */
export function testTlsConfig(name: string, opts: { issuer?: "test" | "other" } = {}): TestTlsConfig {
  const trusted = issue("test", name);
  const dir = opts.issuer === "other" ? issue("other", name) : trusted;
  return {
    grpcTls: "on",
    grpcTlsCaFile: join(trusted, "ca.crt"),
    grpcTlsCertFile: join(dir, `${name}.crt`),
    grpcTlsKeyFile: join(dir, `${name}.key`),
  };
}

/** The same settings as environment variables, for a service started as a process. */
export function testTlsEnv(name: string): Record<string, string> {
  const c = testTlsConfig(name);
  return {
    GRPC_TLS: "on",
    GRPC_TLS_CA_FILE: c.grpcTlsCaFile,
    GRPC_TLS_CERT_FILE: c.grpcTlsCertFile,
    GRPC_TLS_KEY_FILE: c.grpcTlsKeyFile,
  };
}
