export {
  defaultNetworkOptions,
  type GossipVerdict,
  Network,
  type NetworkOptions,
  type ProtocolLimits,
  RequestError,
} from "./network.ts";
export { defaultPeerScoreOptions, Penalty, type PeerScoreOptions, PeerScores } from "./peerScores.ts";
