import { loadGrpcCredentials } from "@shop/grpc";
import { testTlsConfig } from "@shop/testkit";

/** The order service's test certificate as a client of the product service (its catalog). */
export const catalogCredentials = () => loadGrpcCredentials(testTlsConfig("order")).client("product");

/** The order service's test certificate as a server, accepting the gateway as main.ts does. */
export const orderServerCredentials = () => loadGrpcCredentials(testTlsConfig("order")).server(["gateway"]);

/** The gateway's test certificate, calling the order service. */
export const gatewayCredentials = () => loadGrpcCredentials(testTlsConfig("gateway")).client("order");
