import type { NearCache } from "@shop/events";
import type { Config } from "../../config.js";
import type { DownstreamClients } from "../../data-access/grpc-clients.js";
import type { OrderComposer } from "../../domain/compose-order-views.js";
import type { Authenticator } from "./authenticate.js";
import type { ProductView } from "./schemas/product.js";

/** What route modules need: resilient downstream clients, the token guard and settings. */
export interface RouteDeps {
  clients: DownstreamClients;
  auth: Authenticator;
  composer: OrderComposer;
  /** Products in memory, when PRODUCT_CACHE_TTL_MS is above 0. */
  productCache: NearCache<ProductView> | undefined;
  config: Pick<
    Config,
    | "jwksCacheMs"
    | "loginRateLimitMax"
    | "forgotPasswordEmailRateLimitMax"
    | "forgotPasswordIpRateLimitMax"
    | "orderStreamPollMs"
    | "orderStreamHeartbeatMs"
    | "orderStreamMaxMs"
    | "orderStreamMaxPerUser"
  >;
}

/** Proto3 sends "" for an absent string; the public API says null. */
export function nullIfEmpty(value: string): string | null {
  return value === "" ? null : value;
}
