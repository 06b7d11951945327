//! What the web app needs from the node, as a trait: the web crate knows
//! nothing of libp2p or SQLite. The composition root (the `coopnet` binary)
//! implements it over a running node; unit tests implement it in memory.

use async_trait::async_trait;
use coopnet_protocol::FieldError;
use coopnet_protocol::kinds::ContractFields;
use coopnet_protocol::{Body, Kind, PublicKey, RecordId, Timestamp};
use serde::Serialize;

/// Why the backend could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    /// A field of what was submitted breaks a rule.
    #[error("{0}")]
    Field(FieldError),
    /// Something with that name already exists.
    #[error("{0}")]
    Conflict(String),
    /// The request cannot be carried out as asked (a sentence saying why).
    #[error("{0}")]
    Refused(String),
    /// What was asked for does not exist (named: "that bid").
    #[error("{0} was not found")]
    NotFound(String),
    /// The node failed (its store or network); the message is for the log
    /// and the operator.
    #[error("{0}")]
    Internal(String),
}

/// This node, as the status page and `GET /api/v1/status` show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NodeInfo {
    /// Our co-op's name (from the node's config).
    pub name: String,
    /// Our co-op's key, 64 hex characters.
    pub key: String,
    /// The federation's name, if the node belongs to one.
    pub federation: Option<String>,
    /// Peers connected now.
    pub peers_connected: usize,
    /// Current records held, tombstones included.
    pub records: u64,
    /// Current records per kind.
    pub records_by_kind: Vec<KindCount>,
}

/// How many current records of one kind the node holds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KindCount {
    /// The kind's name (`profile`, `skills`, …).
    pub kind: String,
    /// How many.
    pub count: u64,
}

/// A current record as the web app shows it.
#[derive(Debug, Clone)]
pub struct RecordView {
    /// Its author.
    pub author: PublicKey,
    /// Its kind.
    pub kind: Kind,
    /// Its key within (author, kind).
    pub key: String,
    /// Its id.
    pub id: RecordId,
    /// Its version.
    pub version: u64,
    /// When its author issued it.
    pub issued_at: Timestamp,
    /// When it expires, if ever.
    pub expires_at: Option<Timestamp>,
    /// Its body; `None` for a tombstone.
    pub body: Option<Body>,
}

/// What publishing a record did.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Published {
    /// The new record's id, 64 hex characters.
    #[schema(value_type = String)]
    #[serde(serialize_with = "crate::json::display")]
    pub id: RecordId,
    /// Its version.
    pub version: u64,
}

pub use coopnet_protocol::search::{CoopHit, CoopPage, CoopQuery};

/// A local user of this node's web app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: i64,
    /// The login name.
    pub username: String,
    /// The argon2id hash of the password, as a PHC string.
    pub password_hash: String,
    /// Whether they administer this node.
    pub role: UserRole,
    /// Whether they may admit and revoke members.
    pub coordinator: bool,
}

/// What a local user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    /// Manages users and everything a member does.
    Admin,
    /// Edits the co-op's records, searches, imports.
    Member,
}

/// What happened to one release of an OCDS import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportAction {
    /// A new contract was published.
    Imported,
    /// An existing contract (same `ocid`) was republished with changes.
    Updated,
    /// An existing contract was already the same.
    Unchanged,
    /// No contract: see the reason.
    Skipped,
}

/// One line of an OCDS import report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportLine {
    /// The release's `ocid`, if it has one.
    pub ocid: Option<String>,
    /// The contract's title, when there is a contract.
    pub title: Option<String>,
    /// The contract's record key, when there is a contract.
    pub key: Option<String>,
    /// What happened.
    pub action: ImportAction,
    /// The contract's status, when there is a contract.
    pub status: Option<coopnet_protocol::kinds::ContractStatus>,
    /// Why it was skipped, or every change made to make it a contract.
    pub notes: Vec<String>,
}

/// The report of an OCDS import.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// About the file as a whole (how it was decoded, say).
    pub notes: Vec<String>,
    /// One line per release or record, in file order.
    pub lines: Vec<ImportLine>,
}

impl ImportReport {
    /// How many lines have this action.
    pub fn count(&self, action: &ImportAction) -> usize {
        self.lines.iter().filter(|l| &l.action == action).count()
    }

    /// How many contracts have this status.
    pub fn with_status(&self, status: coopnet_protocol::kinds::ContractStatus) -> usize {
        self.lines
            .iter()
            .filter(|l| l.status == Some(status))
            .count()
    }
}

/// Everything the web app asks of the node.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// This node's name, key, federation, peers and counts.
    async fn info(&self) -> Result<NodeInfo, BackendError>;
    /// Whether the node can work: its store answers a read, and its network
    /// task answers (each `Err` says what is wrong).
    async fn liveness(&self) -> (Result<(), String>, Result<(), String>);
    /// Our co-op's key.
    fn own_key(&self) -> PublicKey;
    /// The current record of a slot.
    async fn current(
        &self,
        author: PublicKey,
        kind: Kind,
        key: &str,
    ) -> Result<Option<RecordView>, BackendError>;
    /// Current records of a kind (optionally of one author), newest first,
    /// tombstones left out, at most `limit`.
    async fn list(
        &self,
        kind: Kind,
        author: Option<PublicKey>,
        limit: usize,
    ) -> Result<Vec<RecordView>, BackendError>;
    /// Full-text search over live records, best first.
    async fn search_text(&self, text: &str, limit: usize) -> Result<Vec<RecordView>, BackendError>;
    /// Signs and publishes a record of our co-op in slot (`kind`, `key`);
    /// `None` withdraws it.
    async fn publish(
        &self,
        kind: Kind,
        key: &str,
        body: Option<Body>,
    ) -> Result<Published, BackendError>;
    /// For each id, how many connected peers are known to hold it.
    async fn holders(&self, ids: Vec<RecordId>) -> Result<Vec<u32>, BackendError>;
    /// A number that changes whenever the records searches are made from
    /// change (it may change more often): answers computed at one value
    /// may be reused while it holds.
    fn generation(&self) -> u64;
    /// Partner search, members only, ranked.
    async fn find_coops(&self, query: CoopQuery) -> Result<std::sync::Arc<CoopPage>, BackendError>;
    /// Imports an OCDS release or record package as contracts of our co-op.
    async fn import_ocds(&self, bytes: Vec<u8>) -> Result<ImportReport, BackendError>;

    /// How many users exist.
    async fn count_users(&self) -> Result<u64, BackendError>;
    /// Adds a user; a taken name is a [`BackendError::Conflict`].
    async fn add_user(
        &self,
        username: &str,
        password_hash: &str,
        role: UserRole,
    ) -> Result<i64, BackendError>;
    /// The user with this login name (ignoring case).
    async fn user_by_name(&self, username: &str) -> Result<Option<User>, BackendError>;
    /// Stores a session: the SHA-256 of its token, its CSRF token, expiry.
    async fn create_session(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        csrf: &str,
        expires_at: Timestamp,
    ) -> Result<(), BackendError>;
    /// The live session with this token hash: its user and CSRF token.
    async fn session(
        &self,
        token_hash: [u8; 32],
        now: Timestamp,
    ) -> Result<Option<(User, String)>, BackendError>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: [u8; 32]) -> Result<(), BackendError>;
    /// Stores an API token (its SHA-256) for a user.
    async fn create_token(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        name: &str,
    ) -> Result<(), BackendError>;
    /// The user an API token belongs to.
    async fn token_user(&self, token_hash: [u8; 32]) -> Result<Option<User>, BackendError>;

    /// Joint bids: the consortium builder and our bids.
    fn bids(&self) -> &dyn crate::bids::BidDesk;

    /// The network dashboard and coordinators' actions.
    fn network(&self) -> &dyn crate::network::NetworkDesk;
}

/// The contract fields a new contract starts from in the Add form.
pub fn blank_contract() -> ContractFields {
    ContractFields {
        title: String::new(),
        buyer: String::new(),
        description: String::new(),
        required_skills: Vec::new(),
        value: None,
        deadline: None,
        period: None,
        location: String::new(),
        source_url: None,
        ocid: None,
        status: coopnet_protocol::kinds::ContractStatus::Open,
    }
}
