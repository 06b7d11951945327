//! A running node: identity, store, ingest pipeline and network wired
//! together, and the operations the CLI and the web app call.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use coopnet_protocol::federation::Genesis;
use coopnet_protocol::{
    Body, Draft, Kind, KindCode, PublicKey, RecordId, SecretKey, Timestamp, validate,
};
use libp2p::Multiaddr;
use tokio::sync::{Mutex, broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::config::{Config, STORE_FILE};
use crate::gate::Gate;
use crate::ingest;
use crate::intake::{Arrival, IndexChange};
use crate::intake::{Intake, Outcome};
use crate::net::{self, NetClient, NetParams};
use crate::store::{ListFilter, Store};
use crate::{clock, identity};

/// The gossip topic of an open network (before federations, issue 4).
pub const OPEN_TOPIC: &str = "coopnet/open/records/1";

/// Settings given on the command line, over those of `config.toml`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Replace the configured listen addresses.
    pub listen: Vec<String>,
    /// Add bootstrap peers.
    pub bootstrap: Vec<String>,
    /// Replace the gossipsub heartbeat.
    pub heartbeat: Option<Duration>,
    /// Replace the sync interval.
    pub sync_interval: Option<Duration>,
    /// Replace the grace period of peers that are not members.
    pub grace: Option<Duration>,
    /// Replace the time between heartbeats.
    pub status_interval: Option<Duration>,
    /// Add addresses others reach this node at (its public ones).
    pub external: Vec<String>,
}

/// How long a peer that is not a member may stay connected, by default.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// Why the node could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The identity could not be loaded.
    #[error(transparent)]
    Identity(#[from] identity::IdentityError),
    /// The configuration could not be loaded.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The federation file could not be read.
    #[error(transparent)]
    Genesis(#[from] crate::genesis::GenesisError),
    /// The network could not start.
    #[error("network: {0}")]
    Net(#[from] net::NetError),
    /// The network has stopped.
    #[error(transparent)]
    Stopped(#[from] net::Stopped),
    /// An address in the configuration or on the command line is not a multiaddress.
    #[error("{0:?} is not a multiaddress (e.g. /ip4/127.0.0.1/tcp/4001)")]
    BadAddress(String),
    /// The record could not be signed.
    #[error("cannot sign: {0}")]
    Sign(#[from] coopnet_protocol::SignError),
    /// Only a coordinator may do this.
    #[error("{0}")]
    NotCoordinator(&'static str),
    /// A field is invalid.
    #[error(transparent)]
    Field(coopnet_protocol::FieldError),
    /// A task of the node failed.
    #[error("internal error: {0}")]
    Internal(String),
    /// What was asked for does not exist (the text names it).
    #[error("{0} was not found")]
    NotFound(String),
    /// The request cannot be carried out as asked (a sentence saying why).
    #[error("{0}")]
    Refused(String),
    /// Our own record failed validation (a bug, or a clock far off).
    #[error("our own record does not validate: {0}")]
    Invalid(#[from] coopnet_protocol::RecordError),
}

/// What publishing a record did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Receipt {
    /// The record's id (the hash of its bytes), `record_id` in JSON.
    #[serde(rename = "record_id")]
    pub id: RecordId,
    /// Its version.
    pub version: u64,
    /// Whether gossip handed it to at least one peer (sync delivers it anyway).
    pub gossiped: bool,
}

/// What [`Node::import`] did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// Records that became current.
    pub current: usize,
    /// Records held until their author's membership arrives.
    pub held: usize,
    /// Records that failed verification or whose author may not publish.
    pub refused: usize,
}

fn chunks<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        out.push(items.by_ref().take(size).collect());
    }
    out
}

/// The gate for `genesis` (open without one), with the roster rebuilt
/// from the membership and revocation records in the store.
async fn open_gate(genesis: Option<&Genesis>, store: &Store) -> Result<Gate, NodeError> {
    let Some(genesis) = genesis else {
        tracing::warn!("no federation configured: accepting records from any key (open network)");
        return Ok(Gate::open());
    };
    let now = clock::now();
    let gate = Gate::closed(genesis, now);
    let mut roster = Vec::new();
    for kind in [Kind::Membership, Kind::Revocation] {
        let filter = ListFilter {
            kind: Some(kind.code()),
            limit: 1_000_000,
            ..ListFilter::default()
        };
        for stored in store.list(filter).await? {
            if let Ok(verified) = validate(stored.record, now) {
                roster.push(verified);
            }
        }
    }
    let applied: Vec<_> = roster.iter().map(|r| (r, r.body())).collect();
    gate.apply(&applied, now);
    Ok(gate)
}

/// A running node.
#[derive(Debug)]
pub struct Node {
    secret: Arc<SecretKey>,
    key: PublicKey,
    name: String,
    data_dir: PathBuf,
    store: Store,
    net: NetClient,
    arrivals: broadcast::Sender<Arrival>,
    intake: Intake,
    federation: Option<Genesis>,
    publish_lock: Mutex<()>,
    searches: crate::search_cache::SearchCache,
    /// Wakes the bid outbox when a message is queued.
    bid_wake: Arc<tokio::sync::Notify>,
    /// Bids a message was just taken about.
    bid_changes: broadcast::Sender<coopnet_protocol::bidwire::BidId>,
    /// Time between our heartbeats.
    status_interval: Duration,
    /// When the node started.
    started: std::time::Instant,
    /// Counters and gauges for `/metrics`, and the event log's pace.
    monitor: Arc<crate::monitor::Monitor>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

fn parse_addrs(list: &[String]) -> Result<Vec<Multiaddr>, NodeError> {
    list.iter()
        .map(|a| a.parse().map_err(|_| NodeError::BadAddress(a.clone())))
        .collect()
}

impl Node {
    /// Starts the node whose data directory is `data_dir`.
    pub async fn start(data_dir: &Path, overrides: Overrides) -> Result<Node, NodeError> {
        crate::private::tighten_data_dir(data_dir);
        let secret = identity::load(data_dir)?;
        let config = Config::load(data_dir)?;
        let store = Store::open(data_dir.join(STORE_FILE)).await?;
        tracing::info!("start-up: store open");
        let genesis = match &config.federation {
            Some(path) => {
                let path = data_dir.join(path);
                let genesis = crate::genesis::load(&path)?;
                if genesis.network_key.is_some() {
                    crate::private::tighten_logged(&path, crate::private::FILE_MODE);
                }
                Some(genesis)
            }
            None => None,
        };
        let gate = open_gate(genesis.as_ref(), &store).await?;
        tracing::info!("start-up: roster read");
        let index = net::sync::SyncIndex::from_items(store.sync_items().await?);
        tracing::info!("start-up: sync index of {} records", index.len());
        let mut listen = match overrides.listen.is_empty() {
            true => parse_addrs(&config.network.listen)?,
            false => parse_addrs(&overrides.listen)?,
        };
        if genesis.as_ref().is_some_and(|g| g.network_key.is_some()) {
            // QUIC cannot carry the private-network handshake (SPEC §9).
            listen.retain(|a| {
                let quic = a.to_string().contains("/quic");
                if quic {
                    tracing::info!(%a, "not listening on QUIC: the federation has a network key");
                }
                !quic
            });
        }
        let mut bootstrap = parse_addrs(&config.network.bootstrap)?;
        bootstrap.extend(parse_addrs(&overrides.bootstrap)?);
        if let Some(genesis) = &genesis {
            bootstrap.extend(parse_addrs(&genesis.bootstrap)?);
        }
        let (bid_inbox, bid_messages) = mpsc::channel(net::BID_INBOX);
        let monitor = Arc::new(crate::monitor::Monitor::new());
        let events_task = crate::monitor::spawn_writer(&monitor, store.clone());
        let mut external = parse_addrs(&config.network.external)?;
        external.extend(parse_addrs(&overrides.external)?);
        let params = NetParams {
            external,
            monitor: Arc::clone(&monitor),
            relay: config.network.relay,
            keypair: identity::libp2p_keypair(&secret),
            listen,
            bootstrap,
            heartbeat: overrides
                .heartbeat
                .unwrap_or(Duration::from_millis(config.network.heartbeat_ms)),
            sync_interval: overrides
                .sync_interval
                .unwrap_or(Duration::from_secs(config.network.sync_interval_secs)),
            mdns: config.network.mdns,
            topic: genesis
                .as_ref()
                .map_or_else(|| OPEN_TOPIC.to_owned(), Genesis::topic),
            network_key: genesis.as_ref().and_then(|g| g.network_key).map(|k| k.0),
            gate: gate.clone(),
            grace: overrides.grace.unwrap_or(DEFAULT_GRACE),
            per_peer: config.network.per_peer(),
            per_author: config.network.per_author(),
            bid_inbox,
        };
        let (feedback_tx, feedback) = mpsc::channel(4_096);
        let (arrivals, _) = broadcast::channel(4_096);
        let intake = Intake {
            store: store.clone(),
            gate,
            arrivals: arrivals.clone(),
            monitor: Arc::clone(&monitor),
        };
        let per_author = config.network.per_author();
        let (ingest_tx, ingest_task) =
            ingest::spawn(intake.clone(), per_author, feedback_tx.clone());
        let (net, net_task) = net::spawn(
            params,
            store.clone(),
            index,
            ingest_tx,
            feedback,
            feedback_tx,
        )?;
        let (bid_changes, _) = broadcast::channel(64);
        let bid_task = crate::bids::inbox::spawn(
            crate::bids::inbox::Inbox {
                store: store.clone(),
                net: net.clone(),
                us: secret.public(),
                changes: bid_changes.clone(),
            },
            bid_messages,
        );
        let bid_wake = Arc::new(tokio::sync::Notify::new());
        let outbox_task =
            crate::bids::outbox::spawn(store.clone(), net.clone(), Arc::clone(&bid_wake));
        let node = Node {
            key: secret.public(),
            secret: Arc::new(secret),
            name: config.name,
            data_dir: data_dir.to_owned(),
            store,
            net,
            arrivals,
            intake,
            federation: genesis,
            publish_lock: Mutex::new(()),
            searches: crate::search_cache::SearchCache::default(),
            bid_wake,
            bid_changes,
            status_interval: overrides.status_interval.unwrap_or(Duration::from_secs(
                config.network.status_interval_secs.max(1),
            )),
            started: std::time::Instant::now(),
            monitor,
            tasks: std::sync::Mutex::new(vec![
                ingest_task,
                net_task,
                bid_task,
                outbox_task,
                events_task,
            ]),
        };
        node.upgrade_own_contracts().await?;
        Ok(node)
    }

    /// The co-op's key.
    pub fn key(&self) -> PublicKey {
        self.key
    }

    /// The co-op's configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The replica.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The network.
    pub fn net(&self) -> &NetClient {
        &self.net
    }

    /// Records that become current on this node, as they do.
    pub fn arrivals(&self) -> broadcast::Receiver<Arrival> {
        self.arrivals.subscribe()
    }

    /// Signs, durably stores, then gossips a record of our co-op in the
    /// slot (`kind`, `key`); `body = None` withdraws it (a tombstone).
    ///
    /// Cancel-safety: if dropped after the store step, the record is stored
    /// and will reach peers by sync even if gossip never ran.
    pub async fn publish(
        &self,
        kind: KindCode,
        key: &str,
        body: Option<Body>,
        expires_at: Option<Timestamp>,
    ) -> Result<Receipt, NodeError> {
        let began = std::time::Instant::now();
        let _one_at_a_time = self.publish_lock.lock().await;
        let now = clock::now();
        let version = self
            .store
            .next_version(self.key, kind, key.to_owned(), now.0)
            .await?;
        let draft = Draft {
            kind,
            key: key.to_owned(),
            version,
            issued_at: now,
            expires_at,
            body,
        };
        let verified = validate(draft.sign(&self.secret)?, now)?;
        let (id, bytes) = (verified.record().id(), verified.record().bytes().to_vec());
        let roster = matches!(
            Kind::from_code(kind),
            Some(Kind::Membership | Kind::Revocation)
        );
        let roster_record = roster.then(|| verified.clone());
        let outcome = self.store.publish_local(verified).await?;
        self.monitor
            .publish_seconds
            .observe(began.elapsed().as_secs_f64());
        self.monitor.ingest("local", "stored");
        let mut change = IndexChange::default();
        if change.note(outcome, id, now.0)
            && let Some(record) = roster_record
        {
            self.roster_changed(&record, now).await?;
        }
        let gossiped = match self.net.publish(bytes, change).await? {
            Ok(()) => true,
            Err(reason) => {
                tracing::info!("record {id} stored; gossip deferred to sync: {reason}");
                false
            }
        };
        Ok(Receipt {
            id,
            version,
            gossiped,
        })
    }

    /// Verifies records obtained out of band (a backup, a bulk load) and
    /// takes them in as sync would: admitted by the federation gate, stored,
    /// indexed for sync, but not gossiped.
    pub async fn import(&self, records: Vec<Vec<u8>>) -> Result<ImportReport, NodeError> {
        let now = clock::now();
        let checked = tokio::task::spawn_blocking(move || ingest::verify_batch(records, now))
            .await
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        let mut report = ImportReport::default();
        let mut valid = Vec::new();
        for result in checked {
            match result {
                Ok(verified) => valid.push(verified),
                Err(_) => report.refused += 1,
            }
        }
        for chunk in chunks(valid, 1_000) {
            let taken = self.intake.take(chunk).await?;
            for outcome in &taken.outcomes {
                match outcome {
                    Outcome::Stored(stored) => report.current += usize::from(stored.is_current()),
                    Outcome::Held => report.held += 1,
                    Outcome::Refused(_) => report.refused += 1,
                }
            }
            self.net.send(net::Command::Indexed(taken.change)).await?;
            if taken.roster_changed {
                self.net.send(net::Command::RosterChanged).await?;
            }
        }
        Ok(report)
    }

    /// Applies a roster record of our own: takes in the records it
    /// releases from quarantine and tells the network to re-check peers.
    async fn roster_changed(
        &self,
        record: &coopnet_protocol::VerifiedRecord,
        now: Timestamp,
    ) -> Result<(), NodeError> {
        let released = self.intake.gate.apply(&[(record, record.body())], now);
        if !released.is_empty() {
            let taken = self.intake.take(released).await?;
            self.net.send(net::Command::Indexed(taken.change)).await?;
        }
        self.net.send(net::Command::RosterChanged).await?;
        Ok(())
    }

    /// The federation this node belongs to, if any.
    pub fn federation(&self) -> Option<&Genesis> {
        self.federation.as_ref()
    }

    /// Our co-op's secret key (to sign private bid messages).
    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// The same, shared (for the store's thread, which signs queued bid
    /// messages as it numbers them).
    pub(crate) fn secret_arc(&self) -> Arc<SecretKey> {
        Arc::clone(&self.secret)
    }

    /// Time between our heartbeats.
    pub fn status_interval(&self) -> Duration {
        self.status_interval
    }

    /// How long the node has been running.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The node's counters and gauges (`/metrics`) and event log pace.
    pub fn monitor(&self) -> &Arc<crate::monitor::Monitor> {
        &self.monitor
    }

    /// The ids of bids as messages about them are taken (a lagging
    /// receiver should read everything again).
    pub fn bid_changes(&self) -> broadcast::Receiver<coopnet_protocol::bidwire::BidId> {
        self.bid_changes.subscribe()
    }

    /// Wakes the bid outbox.
    pub(crate) fn bid_wake(&self) -> &tokio::sync::Notify {
        &self.bid_wake
    }

    /// The federation gate (roster and quarantine).
    pub fn gate(&self) -> &Gate {
        &self.intake.gate
    }

    /// Full-text search over current records, leaving out records of
    /// co-ops whose membership was revoked (kept in the store for audit).
    pub async fn search(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<crate::store::StoredRecord>, NodeError> {
        let found = self.store.search(query, limit).await?;
        let view = self.intake.gate.view();
        Ok(found
            .into_iter()
            .filter(|r| {
                view.as_ref()
                    .is_none_or(|v| !v.is_revoked(&r.record.header().author))
            })
            .collect())
    }

    /// Keeps a task the node started, to stop it on shutdown.
    pub(crate) fn keep_task(&self, task: JoinHandle<()>) {
        match self.tasks.lock() {
            Ok(mut tasks) => tasks.push(task),
            Err(poisoned) => poisoned.into_inner().push(task),
        }
    }

    /// Stops the network and the pipeline, then closes the store (which
    /// checkpoints it).
    pub async fn shutdown(&self) {
        let _ = self.net.shutdown().await;
        let tasks = match self.tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
        if let Err(e) = self.store.close().await {
            tracing::error!("closing the store: {e}");
        }
    }

    /// The cache of partner-search answers (on by default; off to measure
    /// the queries themselves).
    pub fn search_cache(&self) -> &crate::search_cache::SearchCache {
        &self.searches
    }

    /// Partner search (filters and ranking: [`crate::store::partners`]),
    /// leaving out co-ops whose membership was revoked, like
    /// [`Node::search`]; unlike it, they are left out inside the query, so
    /// the limit still fills. Answers are cached until the current records
    /// change ([`crate::search_cache`]).
    pub async fn find_coops(
        &self,
        query: crate::store::CoopQuery,
    ) -> Result<Arc<crate::store::CoopPage>, NodeError> {
        // Read before the queries: a change committed meanwhile makes this
        // answer stale at once rather than letting it pass for a newer one.
        let generation = self.store.generation();
        if let Some(hits) = self.searches.get(&query, generation) {
            return Ok(hits);
        }
        let mut asked = query.clone();
        if let Some(view) = self.intake.gate.view() {
            let named = self.store.revocation_subjects().await?;
            asked
                .hidden
                .extend(named.into_iter().filter(|key| view.is_revoked(key)));
        }
        let hits = Arc::new(self.store.find_coops(asked).await?);
        self.searches.put(query, generation, Arc::clone(&hits));
        Ok(hits)
    }
}
