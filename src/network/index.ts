export {
  defaultNetworkOptions,
  type GossipVerdict,
  Network,
  type NetworkOptions,
  type ProtocolLimits,
  RequestError,
} from "./network.ts";
export { defaultPeerScoreOptions, type PeerScoreOptions, PeerScores, Penalty } from "./peerScores.ts";
