//! How peers are scored: gossipsub's score for gossip, plus our own points
//! for misbehaviour on the sync protocol. Thresholds are documented
//! constants, coarse on purpose.

use libp2p::gossipsub::{IdentTopic, PeerScoreParams, PeerScoreThresholds, TopicScoreParams};

/// Weight of one invalid gossip message (squared per counted message, so
/// two are -40 and three are -90: graylisted).
pub const INVALID_MESSAGE_WEIGHT: f64 = -10.0;
/// Below this gossip score we stop gossiping with a peer.
pub const GOSSIP_THRESHOLD: f64 = -20.0;
/// Below this score we do not publish to a peer.
pub const PUBLISH_THRESHOLD: f64 = -40.0;
/// Below this score every message from a peer is ignored.
pub const GRAYLIST_THRESHOLD: f64 = -80.0;

/// Points for an invalid record received through sync.
pub const INVALID_RECORD_POINTS: u32 = 5;
/// Points for a malformed sync frame or reconciliation message.
pub const MALFORMED_FRAME_POINTS: u32 = 5;
/// At this many points a peer is disconnected and blocked.
pub const BLOCK_AT_POINTS: u32 = 10;

/// Gossipsub scoring for our one topic.
pub fn params(topic: &IdentTopic) -> (PeerScoreParams, PeerScoreThresholds) {
    let topic_params = TopicScoreParams {
        topic_weight: 1.0,
        invalid_message_deliveries_weight: INVALID_MESSAGE_WEIGHT,
        invalid_message_deliveries_decay: 0.9,
        // NOTE: delivery-rate scoring (P3) punishes quiet peers in a quiet
        // federation, so it is off.
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        ..TopicScoreParams::default()
    };
    let mut params = PeerScoreParams::default();
    params.topics.insert(topic.hash(), topic_params);
    // Many demo and test nodes share 127.0.0.1: do not penalise colocation.
    params.ip_colocation_factor_weight = 0.0;
    let thresholds = PeerScoreThresholds {
        gossip_threshold: GOSSIP_THRESHOLD,
        publish_threshold: PUBLISH_THRESHOLD,
        graylist_threshold: GRAYLIST_THRESHOLD,
        ..PeerScoreThresholds::default()
    };
    (params, thresholds)
}
