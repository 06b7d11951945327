//! The event log's queue: bounded, paced, written by one task.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use coopnet_protocol::PublicKey;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Monitor;
use crate::store::Store;

/// Events written per second at most.
pub const EVENTS_PER_SECOND: f64 = 5.0;
/// Events written at once at most.
pub const EVENT_BURST: f64 = 50.0;
/// Events waiting to be written at most.
const QUEUE: usize = 256;

/// Something a coordinator follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `rejected`, `blocked`, …
    pub kind: &'static str,
    /// The co-op it is about.
    pub coop: Option<PublicKey>,
    /// The peer it came from.
    pub peer: Option<String>,
    /// In words.
    pub detail: String,
}

/// A token bucket and the queue's sender.
#[derive(Debug)]
pub(super) struct Pace {
    state: Mutex<(f64, Option<Instant>)>,
    queue: Mutex<Option<mpsc::Sender<Event>>>,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            state: Mutex::new((EVENT_BURST, None)),
            queue: Mutex::new(None),
        }
    }
}

impl Pace {
    fn take(&self, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, last) = &mut *state;
        if let Some(last) = *last {
            let refill = now.duration_since(last).as_secs_f64() * EVENTS_PER_SECOND;
            *tokens = (*tokens + refill).min(EVENT_BURST);
        }
        *last = Some(now);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Monitor {
    /// Queues an event for the log; dropped (and counted) when over the
    /// pace or the queue is full.
    pub fn event(&self, event: Event) {
        let queue = self
            .events
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let sent =
            self.events.take(Instant::now()) && queue.is_some_and(|q| q.try_send(event).is_ok());
        if !sent {
            self.dropped_events.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Starts the task that writes queued events to `store`.
pub fn spawn_writer(monitor: &Monitor, store: Store) -> JoinHandle<()> {
    let (tx, mut rx) = mpsc::channel::<Event>(QUEUE);
    *monitor
        .events
        .queue
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(tx);
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let Err(e) = store.log_event(event).await {
                tracing::warn!("event log: {e}");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_lets_a_burst_through_then_five_a_second() {
        let pace = Pace::default();
        let start = Instant::now();
        let passed = (0..1_000).filter(|_| pace.take(start)).count();
        assert_eq!(passed, EVENT_BURST as usize);
        let later = start + std::time::Duration::from_secs(2);
        let more = (0..1_000).filter(|_| pace.take(later)).count();
        assert_eq!(more, (2.0 * EVENTS_PER_SECOND) as usize);
    }
}
