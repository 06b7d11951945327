//! The bid workspace's tables: a bid's versions survive a restart, a
//! change on a stale version is refused and changes nothing, and
//! invitations are counted per co-op.

use coopnet_bids::plan::{BidPlan, Role as BidRole, SkillDays};
use coopnet_bids::status::BidStatus;

use super::*;
use crate::store::bids::{BidChange, NewBid};

fn plan(coops: &[usize], days: u32) -> BidPlan {
    BidPlan {
        roles: coops
            .iter()
            .map(|&n| BidRole {
                coop: key(n),
                skills: vec![SkillDays {
                    skill: "Rust".into(),
                    days,
                }],
                rate: 500,
            })
            .collect(),
        notes: "One\nTwo".into(),
        ..BidPlan::default()
    }
}

fn new_bid(id: &str, coops: &[usize]) -> NewBid {
    NewBid {
        bid_id: id.to_owned(),
        contract: (key(1), "tender-1".to_owned()),
        title: "A tender".into(),
        currency: "GBP".into(),
        plan: plan(coops, 10),
        by: "alice".into(),
        changes: vec!["Created".into()],
    }
}

#[tokio::test]
async fn versions_survive_a_restart_and_stale_changes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    store.insert_bid(new_bid("b1", &[2, 3])).await.unwrap();
    let change = |base, days| BidChange {
        base_version: base,
        status: BidStatus::Draft,
        plan: plan(&[2, 3], days),
        by: "bob".into(),
        changes: vec![format!("days {days}")],
    };
    assert_eq!(
        store.change_bid("b1".into(), change(1, 12)).await.unwrap(),
        2
    );
    let stale = store.change_bid("b1".into(), change(1, 99)).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    store.close().await.unwrap();

    let store = open(&db_path(&dir)).await;
    let bid = store.bid("b1".into()).await.unwrap().unwrap();
    assert_eq!(bid.version, 2);
    assert_eq!(bid.plan, plan(&[2, 3], 12));
    let history = store.bid_history("b1".into()).await.unwrap();
    let seen: Vec<(u64, &str, Vec<String>)> = history
        .iter()
        .map(|v| (v.version, v.by.as_str(), v.changes.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (1, "alice", vec!["Created".to_owned()]),
            (2, "bob", vec!["days 12".to_owned()])
        ]
    );
    assert_eq!(
        history[0].plan,
        plan(&[2, 3], 10),
        "each version keeps its plan"
    );

    store.insert_bid(new_bid("b2", &[3])).await.unwrap();
    let counts = store
        .read_bids(|conn| crate::store::bids::invitations(conn, Timestamp(0)))
        .await
        .unwrap();
    assert_eq!(counts.get(&key(2).to_string()), Some(&1));
    assert_eq!(counts.get(&key(3).to_string()), Some(&2));
    let (page, total) = store.bids(Some(BidStatus::Draft), 0, 1).await.unwrap();
    assert_eq!((page.len(), total), (1, 2));
    assert_eq!(page[0].bid_id, "b2", "most recently changed first");
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_move_and_the_messages_telling_partners_of_it_commit_together() {
    use coopnet_protocol::bidwire::{Body, Outcome, SignedMessage, Unsigned};
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    store.insert_bid(new_bid("b1", &[2, 3])).await.unwrap();
    let lead = std::sync::Arc::new(coopnet_protocol::SecretKey::from_seed(&[7; 32]));
    let wire = [9; 16];
    let sender = lead.public();
    let tell = move |version: u64| -> Vec<Unsigned> {
        [2, 3]
            .into_iter()
            .map(|n| Unsigned {
                bid: wire,
                bid_version: version,
                sender,
                recipient: key(n),
                seq: 0,
                sent_at: Timestamp(1),
                body: Body::Outcome(Outcome::Submitted),
            })
            .collect()
    };
    let submit = |base| BidChange {
        base_version: base,
        status: BidStatus::Submitted,
        plan: plan(&[2, 3], 10),
        by: "alice".into(),
        changes: vec!["Status: agreed → submitted".into()],
    };

    let version = store
        .change_bid_and_queue("b1".into(), submit(1), tell, std::sync::Arc::clone(&lead))
        .await
        .unwrap();
    assert_eq!(version, 2);
    // A stale move changes nothing and queues nothing.
    let stale = store
        .change_bid_and_queue("b1".into(), submit(1), tell, std::sync::Arc::clone(&lead))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    store.close().await.unwrap();

    let store = open(&db_path(&dir)).await;
    let bid = store.bid("b1".into()).await.unwrap().unwrap();
    assert_eq!((bid.version, bid.status), (2, BidStatus::Submitted));
    let outbox = store.bid_outbox(wire).await.unwrap();
    let mut told: Vec<(PublicKey, u64, u64)> = outbox
        .iter()
        .map(|q| {
            let m = SignedMessage::decode(&q.bytes).unwrap().message;
            (m.recipient, m.bid_version, m.seq)
        })
        .collect();
    told.sort_by_key(|t| t.0.to_string());
    let mut wanted = [(key(2), 2, 1), (key(3), 2, 1)];
    wanted.sort_by_key(|t| t.0.to_string());
    assert_eq!(told, wanted, "each partner told of version 2, once");
    store.close().await.unwrap();
}
