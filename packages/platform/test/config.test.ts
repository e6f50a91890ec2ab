import { describe, expect, it } from "vitest";
import { bool, ConfigError, commonSettings, int, loadConfig, oneOf, port, url } from "../src/config.js";

const spec = {
  ...commonSettings("demo", 3000),
  databaseUrl: url(
    "DATABASE_URL",
    "PostgreSQL URL",
    ["postgres:", "postgresql:"],
    "postgres://localhost/demo",
  ),
  retries: int("RETRIES", "how many", 3, 1, 10),
  verbose: bool("VERBOSE", "chatty", false),
  mode: oneOf("MODE", "which", ["a", "b"] as const, "a"),
  grpcPort: port("GRPC_PORT", "gRPC port", 50051),
};

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(spec, env);
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("when nothing is set, then every default applies", () => {
    const cfg = loadConfig(spec, {});
    expect(cfg).toMatchObject({ httpPort: 3000, retries: 3, verbose: false, mode: "a", logLevel: "info" });
  });

  it("when values are set, then they are parsed to their types", () => {
    const cfg = loadConfig(spec, { HTTP_PORT: "8080", RETRIES: "5", VERBOSE: "true", MODE: "b" });
    expect(cfg).toMatchObject({ httpPort: 8080, retries: 5, verbose: true, mode: "b" });
  });

  it("when a port is not numeric, then the error names the variable on one line", () => {
    const err = errorOf({ HTTP_PORT: "eighty" });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.variable).toBe("HTTP_PORT");
    expect(err.message).toBe('invalid configuration: HTTP_PORT must be an integer (got "eighty")');
    expect(err.message).not.toContain("\n");
  });

  it("when a port is out of range, then the error says the range", () => {
    expect(errorOf({ GRPC_PORT: "70000" }).message).toContain("GRPC_PORT must be between 0 and 65535");
  });

  it("when a database URL is malformed or of another scheme, then the variable is named", () => {
    expect(errorOf({ DATABASE_URL: "not a url" }).variable).toBe("DATABASE_URL");
    expect(errorOf({ DATABASE_URL: "mysql://x/y" }).message).toContain(
      "must be a postgres: or postgresql: URL",
    );
  });

  it("when an enum or boolean is wrong, then the allowed values are listed", () => {
    expect(errorOf({ MODE: "c" }).message).toContain("MODE must be one of a, b");
    expect(errorOf({ VERBOSE: "maybe" }).message).toContain("VERBOSE must be true or false");
  });
});
