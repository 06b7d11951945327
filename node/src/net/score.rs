//! How peers are scored: gossipsub's score for gossip, plus our own points
//! for misbehaviour on the sync protocol. Thresholds are documented
//! constants, coarse on purpose.

use libp2p::gossipsub::{IdentTopic, PeerScoreParams, PeerScoreThresholds, TopicScoreParams};

/// Weight of one invalid gossip message (squared per counted message, so
/// two are -40 and three are -90: graylisted).
pub const INVALID_MESSAGE_WEIGHT: f64 = -10.0;
/// Most a peer's time in the mesh adds to its gossip score.
pub const MAX_MESH_TIME_SCORE: f64 = 20.0;
/// Most a peer's first deliveries of valid messages add to its score.
pub const MAX_FIRST_DELIVERY_SCORE: f64 = 10.0;

/// Below this gossip score we stop gossiping with a peer.
pub const GOSSIP_THRESHOLD: f64 = -20.0;
/// Below this score we do not publish to a peer.
pub const PUBLISH_THRESHOLD: f64 = -40.0;
/// Below this score every message from a peer is ignored.
pub const GRAYLIST_THRESHOLD: f64 = -80.0;
/// The application score (weight 1) of a peer that is not a member: far
/// below the graylist, so gossipsub neither grafts it, nor publishes,
/// forwards or gossips to it, nor takes its messages (SPEC §9.4). Members
/// score 0.
pub const NON_MEMBER_SCORE: f64 = -1_000.0;

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
        // Good behaviour earns little: at most +20 for an hour in the mesh
        // (P1) and +10 for first deliveries (P2). With the library's
        // defaults (one point per millisecond in the mesh, up to 3,600) a
        // peer that had been connected a few seconds could send dozens of
        // invalid records before its score went negative.
        time_in_mesh_weight: MAX_MESH_TIME_SCORE / 3_600.0,
        time_in_mesh_quantum: std::time::Duration::from_secs(1),
        time_in_mesh_cap: 3_600.0,
        first_message_deliveries_weight: 0.1,
        first_message_deliveries_cap: MAX_FIRST_DELIVERY_SCORE / 0.1,
        ..TopicScoreParams::default()
    };
    let mut params = PeerScoreParams {
        app_specific_weight: 1.0,
        // Slowness is not misbehaviour: a slow peer only loses messages.
        slow_peer_weight: 0.0,
        ..PeerScoreParams::default()
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_invalid_messages_outweigh_everything_good_behaviour_earns() {
        let topic = IdentTopic::new("t");
        let (params, _) = params(&topic);
        let t = &params.topics[&topic.hash()];
        let best = t.time_in_mesh_weight * t.time_in_mesh_cap
            + t.first_message_deliveries_weight * t.first_message_deliveries_cap;
        assert!((best - (MAX_MESH_TIME_SCORE + MAX_FIRST_DELIVERY_SCORE)).abs() < 1e-9);
        let two_invalid = t.invalid_message_deliveries_weight * 2.0 * 2.0;
        assert!(best + two_invalid < 0.0, "{best} + {two_invalid}");
    }
}
