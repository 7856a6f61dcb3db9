// The profile for HostOptions.host.
import type { HostOptions } from "./api";
import { ENVOY_PROFILE, type HostProfile } from "./profile";
import { apisixProfile } from "./profile-apisix";
import { kongProfile } from "./profile-kong";

export function profileFor(options: HostOptions): HostProfile {
  switch (options.host ?? "envoy") {
    case "kong":
      return kongProfile(options.responseBodyBufferBytes);
    case "apisix":
      return apisixProfile();
    default:
      return ENVOY_PROFILE;
  }
}
