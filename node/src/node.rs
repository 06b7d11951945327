//! A running node: identity, store, ingest pipeline and network wired
//! together, and the operations the CLI and the web app call.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use coopnet_protocol::{
    Body, Draft, KindCode, PublicKey, RecordId, SecretKey, Timestamp, validate,
};
use libp2p::Multiaddr;
use tokio::sync::{Mutex, broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::config::{Config, STORE_FILE};
use crate::ingest::{self, Arrival};
use crate::net::{self, IndexChange, NetClient, NetParams};
use crate::store::Store;
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
}

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
    /// A task of the node failed.
    #[error("internal error: {0}")]
    Internal(String),
    /// Our own record failed validation (a bug, or a clock far off).
    #[error("our own record does not validate: {0}")]
    Invalid(#[from] coopnet_protocol::RecordError),
}

/// What publishing a record did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Receipt {
    /// The record's id.
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
    /// Records that failed verification.
    pub refused: usize,
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
    publish_lock: Mutex<()>,
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
        let secret = identity::load(data_dir)?;
        let config = Config::load(data_dir)?;
        let store = Store::open(data_dir.join(STORE_FILE)).await?;
        let index = net::sync::SyncIndex::from_items(store.sync_items().await?);
        let listen = match overrides.listen.is_empty() {
            true => parse_addrs(&config.network.listen)?,
            false => parse_addrs(&overrides.listen)?,
        };
        let mut bootstrap = parse_addrs(&config.network.bootstrap)?;
        bootstrap.extend(parse_addrs(&overrides.bootstrap)?);
        let params = NetParams {
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
            topic: OPEN_TOPIC.to_owned(),
        };
        let (feedback_tx, feedback) = mpsc::channel(4_096);
        let (arrivals, _) = broadcast::channel(4_096);
        let (ingest_tx, ingest_task) =
            ingest::spawn(store.clone(), feedback_tx.clone(), arrivals.clone());
        let (net, net_task) = net::spawn(
            params,
            store.clone(),
            index,
            ingest_tx,
            feedback,
            feedback_tx,
        )?;
        Ok(Node {
            key: secret.public(),
            secret: Arc::new(secret),
            name: config.name,
            data_dir: data_dir.to_owned(),
            store,
            net,
            arrivals,
            publish_lock: Mutex::new(()),
            tasks: std::sync::Mutex::new(vec![ingest_task, net_task]),
        })
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
        let outcome = self.store.publish_local(verified).await?;
        let mut change = IndexChange::default();
        change.note(outcome, id, now.0);
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

    /// Verifies and stores records obtained out of band (a backup, a bulk
    /// load), as sync would; they are indexed for sync but not gossiped.
    /// Returns how many became current and how many were refused.
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
        let facts: Vec<_> = valid
            .iter()
            .map(|v| (v.record().id(), v.record().header().issued_at.0))
            .collect();
        let mut change = IndexChange::default();
        for (outcome, (id, issued_at)) in self.store.ingest(valid).await?.into_iter().zip(facts) {
            report.current += usize::from(change.note(outcome, id, issued_at));
        }
        self.net.send(net::Command::Indexed(change)).await?;
        Ok(report)
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
}
