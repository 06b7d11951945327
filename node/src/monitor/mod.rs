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
/// The labels of a record taken in: fixed words, so counting one
/// allocates nothing.
type IngestLabels = [(&'static str, &'static str); 2];

/// The node's metrics and its event queue.
pub struct Monitor {
    registry: Mutex<Registry>,
    /// libp2p's own metrics (connections, gossipsub, identify, Kademlia,
    /// ping), fed by the event loop.
    pub libp2p: libp2p::metrics::Metrics,
    /// Records taken in, by where they came from and what became of them.
    pub ingested: Family<IngestLabels, Counter>,
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
        let mut registry = Registry::default();
        let libp2p = libp2p::metrics::Metrics::new(&mut registry);
        let ours = registry.sub_registry_with_prefix("coopnet");
        let ingested = Family::<IngestLabels, Counter>::default();
        ours.register(
            "records_ingested",
            "Records taken in, by source (gossip, sync, probation, local) and outcome",
            ingested.clone(),
        );
        let rejected = Family::<Labels, Counter>::default();
        ours.register(
            "records_rejected",
            "Records refused as invalid, by reason",
            rejected.clone(),
        );
        let publish_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        ours.register(
            "publish_ack_seconds",
            "Seconds from a local publish to its acknowledgement (stored durably)",
            publish_seconds.clone(),
        );
        let gauges = Family::<Labels, Gauge>::default();
        ours.register(
            "state",
            "The node's state at the scrape: peers connected, records by kind, quarantine, store bytes",
            gauges.clone(),
        );
        let totals = Family::<Labels, Counter>::default();
        ours.register(
            "network",
            "Network totals since start: sync sessions, rounds and bytes, gossip, blocks",
            totals.clone(),
        );
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
    pub fn ingest(&self, source: &'static str, outcome: &'static str) {
        if source == "gossip" {
            self.gossip_taken.fetch_add(1, Ordering::Relaxed);
        }
        self.ingested
            .get_or_create(&[("source", source), ("outcome", outcome)])
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
        prometheus_text(&text)
    }
}

/// OpenMetrics text (as `prometheus-client` writes it) in the Prometheus
/// text format 0.0.4 that every scraper and `promtool` read: a counter's
/// family is named with its `_total` suffix, `info` becomes a gauge named
/// `…_info`, `unknown` is `untyped`, and `# UNIT` and `# EOF` go.
pub fn prometheus_text(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    let mut help: Option<(&str, &str)> = None;
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = rest.split_once(' ').or(Some((rest, "")));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (name, kind) = match kind {
                "counter" if !name.ends_with("_total") => (format!("{name}_total"), "counter"),
                "info" => (format!("{name}_info"), "gauge"),
                "unknown" => (name.to_owned(), "untyped"),
                other => (name.to_owned(), other),
            };
            if let Some((_, text)) = help.take() {
                out.push_str(&format!("# HELP {name} {text}\n"));
            }
            out.push_str(&format!("# TYPE {name} {kind}\n"));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_counters_info_and_eof_read_as_prometheus_text() {
        let open = "# HELP a_requests Requests.\n# TYPE a_requests counter\n\
                    a_requests_total{x=\"1\"} 3\n# HELP b Build.\n# TYPE b info\nb_info{v=\"1\"} 1\n\
                    # HELP c Size.\n# TYPE c gauge\n# UNIT c bytes\nc 7\n# EOF\n";
        assert_eq!(
            prometheus_text(open),
            "# HELP a_requests_total Requests.\n# TYPE a_requests_total counter\n\
             a_requests_total{x=\"1\"} 3\n# HELP b_info Build.\n# TYPE b_info gauge\n\
             b_info{v=\"1\"} 1\n# HELP c Size.\n# TYPE c gauge\nc 7\n"
        );
    }

    #[test]
    fn a_scrape_shows_the_state_and_the_counters() {
        let monitor = Monitor::new();
        monitor.reject("bad-signature");
        monitor.ingest("gossip", "stored");
        monitor.publish_seconds.observe(0.004);
        let text = monitor.encode(&Snapshot {
            peers: 3,
            records_by_kind: vec![("profile".into(), 12)],
            quarantine: 1,
            store_bytes: 4096,
            totals: vec![("sync_sessions", 5)],
        });
        for line in [
            "coopnet_records_rejected_total{reason=\"bad-signature\"} 1",
            "coopnet_records_ingested_total{source=\"gossip\",outcome=\"stored\"} 1",
            "coopnet_state{what=\"peers_connected\"} 3",
            "coopnet_state{what=\"records\",kind=\"profile\"} 12",
            "coopnet_network_total{what=\"sync_sessions\"} 5",
            "coopnet_publish_ack_seconds_count 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert_eq!(monitor.gossip_taken(), 1);
    }
}
