//! What a node tells its operators and coordinators about itself: the
//! counters and gauges of `/metrics` (Prometheus' text format, with
//! `prometheus-client` and libp2p's own metrics), and the local event log
//! (records rejected and by whom, peers blocked; admissions, revocations
//! and joins are written by the store as their records arrive).
//!
//! Writers never wait for the log: an event goes on a bounded queue, at
//! most [`EVENTS_PER_SECOND`] a second (bursts of [`EVENT_BURST`]), and a
//! flood of bad records is counted, not written a thousand times.

mod events;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

pub use events::{EVENT_BURST, EVENTS_PER_SECOND, Event, spawn_writer};

/// One label.
type Labels = Vec<(&'static str, String)>;

/// The node's metrics and its event queue.
pub struct Monitor {
    registry: Mutex<Registry>,
    /// libp2p's own metrics (connections, gossipsub, identify, Kademlia,
    /// ping), fed by the event loop.
    pub libp2p: libp2p::metrics::Metrics,
    /// Records taken in, by where they came from and what became of them.
    pub ingested: Family<Labels, Counter>,
    /// Records refused as invalid, by reason (`RecordError::code`).
    pub rejected: Family<Labels, Counter>,
    /// Seconds from a local publish's start to its durable store.
    pub publish_seconds: Histogram,
    /// Values read at scrape time (see [`Snapshot`]).
    gauges: Family<Labels, Gauge>,
    totals: Family<Labels, Counter>,
    events: events::Pace,
    dropped_events: AtomicU64,
    gossip_taken: AtomicU64,
}

/// What a scrape reads from the node at that moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Peers connected.
    pub peers: u64,
    /// Current records by kind name.
    pub records_by_kind: Vec<(String, u64)>,
    /// Records held in quarantine.
    pub quarantine: u64,
    /// Bytes of the store's files.
    pub store_bytes: u64,
    /// Monotonic totals by name (sync sessions, rounds, bytes, gossip…).
    pub totals: Vec<(&'static str, u64)>,
}

impl Monitor {
    /// A monitor with every metric registered.
    pub fn new() -> Monitor {
        let mut registry = Registry::with_prefix("coopnet");
        let ingested = Family::<Labels, Counter>::default();
        registry.register(
            "records_ingested",
            "Records taken in, by source (gossip, sync, probation, local) and outcome",
            ingested.clone(),
        );
        let rejected = Family::<Labels, Counter>::default();
        registry.register(
            "records_rejected",
            "Records refused as invalid, by reason",
            rejected.clone(),
        );
        let publish_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        registry.register(
            "publish_ack_seconds",
            "Seconds from a local publish to its acknowledgement (stored durably)",
            publish_seconds.clone(),
        );
        let gauges = Family::<Labels, Gauge>::default();
        registry.register(
            "state",
            "The node's state at the scrape: peers connected, records by kind, quarantine, store bytes",
            gauges.clone(),
        );
        let totals = Family::<Labels, Counter>::default();
        registry.register(
            "network",
            "Network totals since start: sync sessions, rounds and bytes, gossip, blocks",
            totals.clone(),
        );
        let libp2p = libp2p::metrics::Metrics::new(registry.sub_registry_with_prefix("libp2p"));
        Monitor {
            registry: Mutex::new(registry),
            libp2p,
            ingested,
            rejected,
            publish_seconds,
            gauges,
            totals,
            events: events::Pace::default(),
            dropped_events: AtomicU64::new(0),
            gossip_taken: AtomicU64::new(0),
        }
    }

    /// Gossip messages taken in since start (whatever became of them).
    pub fn gossip_taken(&self) -> u64 {
        self.gossip_taken.load(Ordering::Relaxed)
    }

    /// Counts a record taken in.
    pub fn ingest(&self, source: &str, outcome: &str) {
        if source == "gossip" {
            self.gossip_taken.fetch_add(1, Ordering::Relaxed);
        }
        self.ingested
            .get_or_create(&vec![
                ("source", source.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .inc();
    }

    /// Counts a record refused as invalid.
    pub fn reject(&self, reason: &str) {
        self.rejected
            .get_or_create(&vec![("reason", reason.to_owned())])
            .inc();
    }

    /// Events the pace dropped since start.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events.load(Ordering::Relaxed)
    }

    /// The metrics in Prometheus' text exposition format, with `now`'s
    /// state set first.
    pub fn encode(&self, now: &Snapshot) -> String {
        let gauge = |name: &str, label: Option<(&'static str, String)>, value: u64| {
            let mut labels = vec![("what", name.to_owned())];
            labels.extend(label);
            self.gauges
                .get_or_create(&labels)
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        };
        gauge("peers_connected", None, now.peers);
        gauge("quarantined_records", None, now.quarantine);
        gauge("store_bytes", None, now.store_bytes);
        for (kind, n) in &now.records_by_kind {
            gauge("records", Some(("kind", kind.clone())), *n);
        }
        for (name, value) in &now.totals {
            let counter = self
                .totals
                .get_or_create(&vec![("what", (*name).to_owned())]);
            let seen = counter.get();
            if *value > seen {
                counter.inc_by(value - seen);
            }
        }
        let dropped = self
            .totals
            .get_or_create(&vec![("what", "events_dropped".to_owned())]);
        let seen = dropped.get();
        let now_dropped = self.dropped_events();
        if now_dropped > seen {
            dropped.inc_by(now_dropped - seen);
        }
        let mut text = String::new();
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &registry);
        text
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("dropped_events", &self.dropped_events())
            .finish_non_exhaustive()
    }
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor::new()
    }
}
