export {
  defaultNetworkOptions,
  type GossipCodec,
  type GossipVerdict,
  Network,
  type NetworkOptions,
  type ProtocolLimits,
  RequestError,
  rawGossip,
} from "./network.ts";
export { defaultPeerScoreOptions, type PeerScoreOptions, PeerScores, Penalty } from "./peerScores.ts";
export { type Envelope, type GossipTopics, gossipCodec, gossipTopics, unwrap, wrap } from "./topics.ts";
