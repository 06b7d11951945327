//! Waiting for a freshly started federation to settle before measuring it.
//!
//! A federation that has just formed is still busy for some seconds after
//! every node has a peer: each node connects to every other it learns of
//! (Kademlia), and every new connection brings its identify exchange, its
//! first sync, and gossipsub's grafting. Records published in that time
//! measure the start-up, not propagation; so the propagation bench starts
//! publishing once the federation is quiet.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long one observation lasts.
const WINDOW: Duration = Duration::from_secs(1);
/// Consecutive quiet windows that make a federation settled.
const QUIET_WINDOWS: usize = 2;
/// The nodes' CPU, summed, under which a window counts as quiet, in % of
/// one core (an idle 50-node federation uses a few %).
pub const SETTLED_CPU_PERCENT: f64 = 25.0;

/// How a federation settled.
#[derive(Debug, Clone, Copy)]
pub struct Settled {
    /// From the call until the last quiet window ended.
    pub after: Duration,
    /// The nodes' CPU over the last window, in % of one core.
    pub cpu_percent: f64,
    /// CPU the nodes used from the call until settled, in seconds.
    pub cpu_secs: f64,
    /// Connections between the nodes once settled (half the sum of their
    /// peer counts).
    pub connections: usize,
}

/// Waits until, over [`QUIET_WINDOWS`] windows in a row, no node's count of
/// connected peers changed and the nodes together used under
/// [`SETTLED_CPU_PERCENT`] of one core. `peer_counts` gives each node's
/// count; `cpu_ticks` the nodes' CPU time so far, in clock ticks.
///
/// # Panics
/// If the federation has not settled within `timeout`.
pub async fn wait_settled<F, Fut>(
    mut peer_counts: F,
    cpu_ticks: impl Fn() -> u64,
    timeout: Duration,
) -> Settled
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Vec<usize>>,
{
    let ticks_per_second = super::clock_ticks_per_second() as f64;
    let start = Instant::now();
    let mut counts = peer_counts().await;
    let mut ticks = cpu_ticks();
    let first_ticks = ticks;
    let mut quiet = 0;
    loop {
        let window_start = Instant::now();
        tokio::time::sleep(WINDOW).await;
        let now_counts = peer_counts().await;
        let now_ticks = cpu_ticks();
        let cpu_percent = 100.0 * (now_ticks - ticks) as f64
            / ticks_per_second
            / window_start.elapsed().as_secs_f64();
        quiet = if now_counts == counts && cpu_percent < SETTLED_CPU_PERCENT {
            quiet + 1
        } else {
            0
        };
        if quiet == QUIET_WINDOWS {
            return Settled {
                after: start.elapsed(),
                cpu_percent,
                cpu_secs: (now_ticks - first_ticks) as f64 / ticks_per_second,
                connections: now_counts.iter().sum::<usize>() / 2,
            };
        }
        assert!(
            start.elapsed() < timeout,
            "the federation had not settled after {timeout:?} (last window: {cpu_percent:.0}% \
             of a core; peer counts {})",
            if now_counts == counts {
                "steady"
            } else {
                "changing"
            }
        );
        (counts, ticks) = (now_counts, now_ticks);
    }
}
