//! [`coopnet_web::Backend`] over a running node: reads from its store,
//! publishes through it, partner search through its index, OCDS import
//! through its importer, local users in its store.

use std::sync::Arc;

use async_trait::async_trait;
use coopnet_node::store::{self, ListFilter, StoreError, StoredRecord};
use coopnet_node::{Node, NodeError, ocds};
use coopnet_protocol::{Body, Kind, PublicKey, RecordId, Timestamp};
use coopnet_web::backend::{
    CoopPage, CoopQuery, ImportAction, ImportLine, ImportReport, KindCount, NodeInfo, Published,
    RecordView, User, UserRole,
};
use coopnet_web::{Backend, BackendError};

/// The web app's view of a node.
#[derive(Debug, Clone)]
pub struct NodeBackend {
    node: Arc<Node>,
}

impl NodeBackend {
    /// Wraps a running node.
    pub fn new(node: Arc<Node>) -> Self {
        Self { node }
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.node
    }
}

fn internal(error: impl std::fmt::Display) -> BackendError {
    BackendError::Internal(error.to_string())
}

pub(super) fn node_error(error: NodeError) -> BackendError {
    match error {
        NodeError::Field(field) => BackendError::Field(field),
        NodeError::NotCoordinator(why) => BackendError::Refused(why.to_owned()),
        NodeError::Refused(why) => BackendError::Refused(why),
        NodeError::NotFound(what) => BackendError::NotFound(what),
        NodeError::Store(StoreError::Conflict(message)) => BackendError::Conflict(message),
        other => internal(other),
    }
}

fn store_error(error: StoreError) -> BackendError {
    match error {
        StoreError::Conflict(message) => BackendError::Conflict(message),
        other => internal(other),
    }
}

/// A stored record as the web app sees it; `None` for unknown kinds or a
/// body that no longer decodes (never written by this code).
fn view(stored: StoredRecord) -> Option<RecordView> {
    let record = stored.record;
    let header = record.header();
    let kind = Kind::from_code(header.kind)?;
    let body = match record.body_bytes() {
        Some(bytes) => Some(Body::decode(header.kind, bytes).ok()?),
        None => None,
    };
    Some(RecordView {
        author: header.author,
        kind,
        key: header.key.clone(),
        id: record.id(),
        version: header.version,
        issued_at: header.issued_at,
        expires_at: header.expires_at,
        body,
    })
}

fn user(user: store::User) -> User {
    User {
        id: user.id,
        username: user.username,
        password_hash: user.password_hash,
        role: match user.role {
            store::Role::Admin => UserRole::Admin,
            store::Role::Member => UserRole::Member,
        },
        coordinator: user.coordinator,
    }
}

#[async_trait]
impl Backend for NodeBackend {
    async fn liveness(&self) -> (Result<(), String>, Result<(), String>) {
        let store = self
            .node
            .store()
            .ping()
            .await
            .map_err(|e| format!("the store does not answer: {e}"));
        let stats =
            tokio::time::timeout(std::time::Duration::from_secs(2), self.node.net().stats());
        let network = match stats.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err("the network task has stopped".to_owned()),
            Err(_) => Err("the network task did not answer in 2 s".to_owned()),
        };
        (store, network)
    }

    async fn info(&self) -> Result<NodeInfo, BackendError> {
        let counts = self.node.store().counts().await.map_err(store_error)?;
        let peers = self.node.net().peers().await.map_err(internal)?;
        let records_by_kind = counts
            .by_kind
            .iter()
            .map(|(code, count)| KindCount {
                kind: Kind::from_code(*code)
                    .map_or_else(|| format!("kind-{}", code.0), |k| k.name().to_owned()),
                count: *count,
            })
            .collect();
        Ok(NodeInfo {
            name: self.node.name().to_owned(),
            key: self.node.key().to_string(),
            federation: self.node.federation().map(|g| g.name.clone()),
            peers_connected: peers.len(),
            records: counts.records,
            records_by_kind,
        })
    }

    fn own_key(&self) -> PublicKey {
        self.node.key()
    }

    async fn current(
        &self,
        author: PublicKey,
        kind: Kind,
        key: &str,
    ) -> Result<Option<RecordView>, BackendError> {
        let stored = self
            .node
            .store()
            .current(author, kind.code(), key.to_owned())
            .await
            .map_err(store_error)?;
        Ok(stored.and_then(view))
    }

    async fn list(
        &self,
        kind: Kind,
        author: Option<PublicKey>,
        limit: usize,
    ) -> Result<Vec<RecordView>, BackendError> {
        let filter = ListFilter {
            author,
            kind: Some(kind.code()),
            include_tombstones: false,
            limit,
            after: None,
        };
        let found = self.node.store().list(filter).await.map_err(store_error)?;
        Ok(found.into_iter().filter_map(view).collect())
    }

    async fn search_text(&self, text: &str, limit: usize) -> Result<Vec<RecordView>, BackendError> {
        let found = self.node.search(text, limit).await.map_err(node_error)?;
        Ok(found.into_iter().filter_map(view).collect())
    }

    async fn publish(
        &self,
        kind: Kind,
        key: &str,
        body: Option<Body>,
    ) -> Result<Published, BackendError> {
        let receipt = self
            .node
            .publish(kind.code(), key, body, None)
            .await
            .map_err(node_error)?;
        Ok(Published {
            id: receipt.id,
            version: receipt.version,
        })
    }

    async fn holders(&self, ids: Vec<RecordId>) -> Result<Vec<u32>, BackendError> {
        self.node.net().holders(ids).await.map_err(internal)
    }

    fn generation(&self) -> u64 {
        self.node.store().generation()
    }

    async fn find_coops(&self, query: CoopQuery) -> Result<Arc<CoopPage>, BackendError> {
        self.node.find_coops(query).await.map_err(node_error)
    }

    async fn import_ocds(&self, bytes: Vec<u8>) -> Result<ImportReport, BackendError> {
        let report = self.node.import_ocds(bytes).await.map_err(|e| match e {
            ocds::ImportError::Ocds(e) => BackendError::Refused(e.to_string()),
            ocds::ImportError::Node(e) => node_error(e),
        })?;
        Ok(ImportReport {
            notes: report.notes,
            lines: report.lines.into_iter().map(import_line).collect(),
        })
    }

    async fn count_users(&self) -> Result<u64, BackendError> {
        self.node.store().count_users().await.map_err(store_error)
    }

    async fn add_user(
        &self,
        username: &str,
        password_hash: &str,
        role: UserRole,
    ) -> Result<i64, BackendError> {
        let role = match role {
            UserRole::Admin => store::Role::Admin,
            UserRole::Member => store::Role::Member,
        };
        self.node
            .store()
            .add_user(username.to_owned(), password_hash.to_owned(), role)
            .await
            .map_err(store_error)
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>, BackendError> {
        let found = self.node.store().user_by_name(username.to_owned()).await;
        Ok(found.map_err(store_error)?.map(user))
    }

    async fn create_session(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        csrf: &str,
        expires_at: Timestamp,
    ) -> Result<(), BackendError> {
        self.node
            .store()
            .create_session(token_hash, user_id, csrf.to_owned(), expires_at.0)
            .await
            .map_err(store_error)
    }

    async fn session(
        &self,
        token_hash: [u8; 32],
        now: Timestamp,
    ) -> Result<Option<(User, String)>, BackendError> {
        let found = self.node.store().session(token_hash, now.0).await;
        Ok(found.map_err(store_error)?.map(|(u, csrf)| (user(u), csrf)))
    }

    async fn delete_session(&self, token_hash: [u8; 32]) -> Result<(), BackendError> {
        let store = self.node.store();
        store
            .delete_session(token_hash)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn create_token(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        name: &str,
    ) -> Result<(), BackendError> {
        self.node
            .store()
            .create_token(token_hash, user_id, name.to_owned())
            .await
            .map_err(store_error)
    }

    async fn token_user(&self, token_hash: [u8; 32]) -> Result<Option<User>, BackendError> {
        let found = self.node.store().token_user(token_hash).await;
        Ok(found.map_err(store_error)?.map(user))
    }

    fn bids(&self) -> &dyn coopnet_web::bids::BidDesk {
        self
    }

    fn network(&self) -> &dyn coopnet_web::network::NetworkDesk {
        self
    }
}

fn import_line(line: ocds::Line) -> ImportLine {
    ImportLine {
        ocid: line.ocid,
        title: line.title,
        key: line.key,
        action: match line.action {
            ocds::Action::Imported => ImportAction::Imported,
            ocds::Action::Updated => ImportAction::Updated,
            ocds::Action::Unchanged => ImportAction::Unchanged,
            ocds::Action::Skipped => ImportAction::Skipped,
        },
        status: line.status,
        notes: line.notes,
    }
}
