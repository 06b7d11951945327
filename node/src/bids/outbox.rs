//! The durable outbox of private bid messages (SPEC §11.3): every message
//! we sign is stored first (with its sequence number), then sent, and
//! resent unchanged with backoff — 250 ms doubling to at most 1 s — until
//! the recipient's node answers. `taken`, `duplicate` and `stale` end it as
//! delivered; `refused` and `invalid` end it as refused (kept with the
//! reason); `unknown`, `busy`, no route or a timeout mean try again. A
//! restarted node picks up where it was: the outbox is its state.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coopnet_protocol::{PublicKey, Timestamp};
use libp2p::PeerId;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::net::NetClient;
use crate::store::Store;
use crate::store::bid_messages::Queued;

/// The first wait before a resend.
pub const RETRY_FIRST: Duration = Duration::from_millis(250);
/// The longest wait between resends: a partner that comes back gets what
/// waits for it within about this (the redelivery target is 2 s).
pub const RETRY_MAX: Duration = Duration::from_secs(1);
/// Messages in flight at once.
const IN_FLIGHT: usize = 32;
/// The longest the outbox sleeps when nothing is due (a new message wakes
/// it at once).
pub const IDLE_WAIT: Duration = Duration::from_secs(30);

/// When to try a message again after `attempts` failed tries.
pub fn retry_after(attempts: u32) -> Duration {
    let factor = 1_u32.checked_shl(attempts.min(16)).unwrap_or(u32::MAX);
    RETRY_FIRST.saturating_mul(factor).min(RETRY_MAX)
}

/// Makes sure we can reach `peer` (co-op `key`): when not connected, asks
/// Kademlia for its addresses among the members (a send then dials it).
pub(crate) async fn reach(net: &NetClient, peer: PeerId, key: PublicKey) {
    let Ok(peers) = net.peers().await else {
        return;
    };
    if peers.iter().any(|p| p.key == Some(key)) {
        return;
    }
    let (reply, found) = tokio::sync::oneshot::channel();
    if net
        .send(crate::net::Command::FindPeer(peer, reply))
        .await
        .is_ok()
        && let Ok(Err(e)) = found.await
    {
        tracing::debug!(%peer, "finding a bid partner: {e}");
    }
}

/// Starts the task that empties the outbox; `wake` says something was
/// queued.
pub fn spawn(store: Store, net: NetClient, wake: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let flying: Arc<Mutex<HashSet<i64>>> = Arc::default();
        loop {
            let wait = match store.due_bids(IN_FLIGHT).await {
                Ok((due, next)) => {
                    for queued in due {
                        let Ok(mut set) = flying.lock() else { return };
                        if set.len() >= IN_FLIGHT || !set.insert(queued.id) {
                            continue;
                        }
                        drop(set);
                        let (store, net, flying) =
                            (store.clone(), net.clone(), Arc::clone(&flying));
                        tokio::spawn(async move {
                            let id = queued.id;
                            deliver(&store, &net, queued).await;
                            if let Ok(mut set) = flying.lock() {
                                set.remove(&id);
                            }
                        });
                    }
                    wait_for_next(next, crate::clock::now())
                }
                Err(crate::store::StoreError::Closed) => return,
                Err(e) => {
                    tracing::error!("reading the bid outbox: {e}");
                    RETRY_FIRST
                }
            };
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    })
}

/// How long the outbox sleeps before looking again, given when the next
/// message is due: until then, but at least [`RETRY_FIRST`] (a message in
/// flight still shows its past due time) and at most [`IDLE_WAIT`].
pub fn wait_for_next(next: Option<Timestamp>, now: Timestamp) -> Duration {
    next.map_or(IDLE_WAIT, |at| {
        Duration::from_millis(at.0.saturating_sub(now.0)).clamp(RETRY_FIRST, IDLE_WAIT)
    })
}

/// One try of one message, and what it leaves in the outbox.
async fn deliver(store: &Store, net: &NetClient, queued: Queued) {
    let Some(peer) = crate::identity::peer_id_of(&queued.recipient) else {
        let answer = Some((4, "the recipient's key is not a libp2p identity".to_owned()));
        let _ = store.bid_answered(queued.id, answer, Timestamp(0)).await;
        return;
    };
    reach(net, peer, queued.recipient).await;
    let answer = match net.send_bid(peer, queued.bytes.clone()).await {
        Ok(Ok(reply)) if matches!(reply.status, 0 | 1 | 2 | 4 | 5) => {
            Some((reply.status, reply.reason))
        }
        Ok(Ok(reply)) => {
            tracing::debug!(%peer, status = reply.status, "bid message not taken yet: {}", reply.reason);
            None
        }
        Ok(Err(e)) => {
            tracing::debug!(%peer, "bid message not delivered: {e}");
            None
        }
        Err(_) => return, // the network stopped
    };
    let wait = retry_after(queued.attempts);
    let retry_at =
        crate::clock::now().plus_millis(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
    if let Err(e) = store.bid_answered(queued.id, answer, retry_at).await {
        tracing::error!("recording a bid message's answer: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resends_back_off_to_a_second() {
        let waits: Vec<u128> = (0..5).map(|a| retry_after(a).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1_000, 1_000, 1_000]);
        assert_eq!(retry_after(u32::MAX), RETRY_MAX);
    }

    #[test]
    fn an_idle_outbox_sleeps_until_the_next_message_is_due() {
        let now = Timestamp(1_000_000);
        assert_eq!(wait_for_next(None, now), IDLE_WAIT, "empty: sleeps long");
        assert_eq!(
            wait_for_next(Some(Timestamp(1_000_700)), now),
            Duration::from_millis(700)
        );
        assert_eq!(
            wait_for_next(Some(Timestamp(990_000)), now),
            RETRY_FIRST,
            "in flight (due in the past): looks again soon, not at once"
        );
        assert_eq!(
            wait_for_next(Some(Timestamp(1_000_000 + 3_600_000)), now),
            IDLE_WAIT
        );
    }
}
