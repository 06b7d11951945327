//! Private bid messages (issue 18): how fast an invitation reaches a
//! partner's node, and how fast one queued while the partner was away
//! reaches it once it is back.
//!
//! Two nodes in this process on loopback (open network), the partner
//! dialling the lead. **Online**: the lead queues an invitation
//! (`Node::queue_bid_message`: signed, numbered, committed to the outbox),
//! and the time runs until the partner's node has stored it (its
//! `bid_messages` list grows); 200 in a row, 3 runs. Target p50 ≤ 50 ms.
//! **Redelivery**: the partner's node is shut down, the lead queues an
//! invitation, the partner's node starts again on its data directory, and
//! the time runs from its listening to the invitation stored; 20 rounds.
//! Target p99 ≤ 2 s. Baseline from the same run: the same message sent at
//! once without the outbox, timed to the partner's answer. A message not
//! held within 30 s counts as not delivered (reported), never as a time.
//! Times are taken by polling the partner's store (a
//! count of the messages it took) every millisecond.
//!
//! Run: `cargo bench --bench bid_delivery` (under `cargo test --benches`:
//! 5 messages, 2 rounds, no summary file).

mod common;

use std::time::{Duration, Instant};

use common::{
    InProcess, Mode, Summary, init_dir, list, median, percentile, runtime, start_in_process,
    temp_root,
};
use coopnet_node::Node;
use coopnet_protocol::PublicKey;
use coopnet_protocol::bidwire::{Body, Invite, SkillDays, Terms, Unsigned};

const BID: [u8; 16] = *b"bench-bid-000001";

fn invite(lead: &Node, partner: PublicKey) -> Unsigned {
    Unsigned {
        bid: BID,
        bid_version: 1,
        sender: lead.key(),
        recipient: partner,
        seq: 0,
        sent_at: coopnet_node::clock::now(),
        body: Body::Invite(Invite {
            contract_author: lead.key(),
            contract_key: "tender".into(),
            title: "A tender".into(),
            lead_name: "Lead".into(),
            currency: "GBP".into(),
            period: None,
            deadline: None,
            role: Terms {
                skills: vec![SkillDays {
                    skill: "Rust".into(),
                    days: 10,
                }],
                rate: 500,
            },
            others: vec![],
            note: String::new(),
        }),
    }
}

/// Waits (polling every millisecond, at most 30 s) until `node` holds
/// `count` messages of the bid; returns whether it did.
async fn until_held(node: &Node, count: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let held = node.store().bid_message_count(BID).await.expect("read");
        if held >= count as u64 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    false
}

fn main() {
    let mode = Mode::detect();
    let (messages, runs, rounds) = mode.pick((200, 3, 20), (5, 1, 2));
    let rt = runtime();
    let root = temp_root();
    let (lead_dir, partner_dir) = (root.path().join("lead"), root.path().join("partner"));
    init_dir(&lead_dir, "Lead");
    init_dir(&partner_dir, "Partner");
    let lead: InProcess = rt.block_on(start_in_process(&lead_dir, Vec::new(), None, None));
    let mut partner = rt.block_on(start_in_process(
        &partner_dir,
        vec![lead.addr.clone()],
        None,
        None,
    ));
    let partner_key = partner.node.key();
    let mut held = 0;
    let mut online: Vec<Vec<f64>> = Vec::new();
    let (mut sent, mut delivered) = (0, 0);
    // Baseline, same run: the same message sent at once over the open
    // connection (no outbox), timed to the partner's answer.
    let connected = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let peers = lead.node.net().peers().await.expect("peers");
            if peers.iter().any(|p| p.key == Some(partner_key)) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    });
    assert!(connected, "the partner did not connect to the lead in 30 s");
    let mut direct = Vec::with_capacity(messages);
    for _ in 0..messages {
        let start = Instant::now();
        let mut message = invite(&lead.node, partner_key);
        message.bid = *b"bench-baseline-1";
        message.seq = 1;
        let reply = rt
            .block_on(lead.node.send_bid_message(message))
            .expect("sent");
        if matches!(reply.status, 0 | 1) {
            direct.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    for _ in 0..runs {
        let mut times = Vec::with_capacity(messages);
        for _ in 0..messages {
            let start = Instant::now();
            rt.block_on(lead.node.queue_bid_message(invite(&lead.node, partner_key)))
                .expect("queue");
            held += 1;
            sent += 1;
            if rt.block_on(until_held(&partner.node, held)) {
                delivered += 1;
                times.push(start.elapsed().as_secs_f64() * 1e3);
            } else {
                held -= 1;
            }
        }
        eprintln!(
            "online: p50 {:.1} ms p99 {:.1} ms",
            percentile(&times, 50.0),
            percentile(&times, 99.0)
        );
        online.push(times);
    }
    let mut back = Vec::with_capacity(rounds);
    let mut redelivered = 0;
    for _ in 0..rounds {
        rt.block_on(partner.node.shutdown());
        drop(partner);
        rt.block_on(lead.node.queue_bid_message(invite(&lead.node, partner_key)))
            .expect("queue");
        held += 1;
        partner = rt.block_on(start_in_process(
            &partner_dir,
            vec![lead.addr.clone()],
            None,
            None,
        ));
        let start = Instant::now();
        if rt.block_on(until_held(&partner.node, held)) {
            redelivered += 1;
            back.push(start.elapsed().as_secs_f64() * 1e3);
        } else {
            held -= 1;
        }
    }
    eprintln!(
        "redelivery: p50 {:.0} ms p99 {:.0} ms",
        percentile(&back, 50.0),
        percentile(&back, 99.0)
    );
    rt.block_on(partner.node.shutdown());
    rt.block_on(lead.node.shutdown());

    let mut summary = Summary::new("bid_delivery", mode);
    summary.line(
        "two coopnet_node::Node in one process on 127.0.0.1 (open network), the partner dialling \
         the lead; timed from Node::queue_bid_message to the partner's store holding the message \
         (polled every ms)",
    );
    let p50: Vec<f64> = online.iter().map(|t| percentile(t, 50.0)).collect();
    let p99: Vec<f64> = online.iter().map(|t| percentile(t, 99.0)).collect();
    let baseline = percentile(&direct, 50.0);
    summary.line(format!(
        "baseline, same run: {messages} messages sent at once without the outbox (one bid, the first \
         taken, the rest answered duplicate: a full round trip each): p50 {baseline:.1} ms"
    ));
    summary.line(format!(
        "online, {runs} runs of {messages}: delivered {delivered}/{sent}; p50 per run {} ms, \
         p99 per run {} ms; median p50 {:.1} ms (target <= 50 ms: {}), median p99 {:.1} ms; \
         p50 / baseline p50 {:.2}",
        list(&p50, 1),
        list(&p99, 1),
        median(&p50),
        if median(&p50) <= 50.0 && delivered == sent {
            "MET"
        } else {
            "MISSED"
        },
        median(&p99),
        median(&p50) / baseline
    ));
    let worst = back.iter().copied().fold(0.0, f64::max);
    summary.line(format!(
        "redelivery after the partner's node restarts, {rounds} rounds, from its listening to \
         the message stored: delivered {redelivered}/{rounds}; p50 {:.0} ms, p99 {:.0} ms \
         (target <= 2000 ms: {}), worst {worst:.0} ms",
        percentile(&back, 50.0),
        percentile(&back, 99.0),
        if percentile(&back, 99.0) <= 2000.0 && redelivered == rounds {
            "MET"
        } else {
            "MISSED"
        }
    ));
    summary.finish();
}
