//! An in-memory [`Backend`] for the handler tests: records in a map,
//! users, sessions and tokens in vectors, partner search by a simple scan.
//! The real backend (node + SQLite) is tested end to end in the
//! integration and browser tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Body, Kind, PublicKey, RecordId, SecretKey, Timestamp};

use crate::backend::*;

type Slot = (PublicKey, Kind, String);

#[derive(Default)]
struct Data {
    records: HashMap<Slot, RecordView>,
    users: Vec<User>,
    sessions: Vec<([u8; 32], i64, String, Timestamp)>,
    tokens: Vec<([u8; 32], i64)>,
    next_id: u8,
}

/// The fake node.
pub struct Fake {
    key: PublicKey,
    data: Mutex<Data>,
}

impl Fake {
    pub fn new() -> Fake {
        let secret = SecretKey::generate(&mut rand_core::OsRng);
        Fake {
            key: secret.public(),
            data: Mutex::default(),
        }
    }

    fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap()
    }

    /// Stores a record as if it had arrived from `author`.
    pub fn put(&self, author: PublicKey, kind: Kind, key: &str, body: Body) -> RecordId {
        let mut data = self.data();
        data.next_id += 1;
        let id = RecordId([data.next_id; 32]);
        let slot = (author, kind, key.to_owned());
        let version = data.records.get(&slot).map_or(1, |r| r.version + 1);
        let view = RecordView {
            author,
            kind,
            key: key.to_owned(),
            id,
            version,
            issued_at: Timestamp(crate::now_ms()),
            expires_at: None,
            body: Some(body),
        };
        data.records.insert(slot, view);
        id
    }
}

#[async_trait]
impl Backend for Fake {
    fn generation(&self) -> u64 {
        // A new value each time: nothing cached is ever reused.
        static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    async fn liveness(&self) -> (Result<(), String>, Result<(), String>) {
        (Ok(()), Ok(()))
    }

    async fn info(&self) -> Result<NodeInfo, BackendError> {
        Ok(NodeInfo {
            name: "Test Co-op".to_owned(),
            key: self.key.to_string(),
            federation: None,
            peers_connected: 0,
            records: self.data().records.len() as u64,
            records_by_kind: Vec::new(),
        })
    }

    fn own_key(&self) -> PublicKey {
        self.key
    }

    async fn current(
        &self,
        author: PublicKey,
        kind: Kind,
        key: &str,
    ) -> Result<Option<RecordView>, BackendError> {
        Ok(self
            .data()
            .records
            .get(&(author, kind, key.to_owned()))
            .cloned())
    }

    async fn list(
        &self,
        kind: Kind,
        author: Option<PublicKey>,
        limit: usize,
    ) -> Result<Vec<RecordView>, BackendError> {
        let data = self.data();
        let mut found: Vec<RecordView> = data
            .records
            .values()
            .filter(|r| r.kind == kind && author.is_none_or(|a| a == r.author) && r.body.is_some())
            .cloned()
            .collect();
        found.sort_by_key(|r| std::cmp::Reverse(r.id));
        found.truncate(limit);
        Ok(found)
    }

    async fn search_text(&self, text: &str, limit: usize) -> Result<Vec<RecordView>, BackendError> {
        let needle = text.to_lowercase();
        let data = self.data();
        Ok(data
            .records
            .values()
            .filter(|r| match &r.body {
                Some(Body::Contract(c)) => c.title.to_lowercase().contains(&needle),
                Some(Body::Profile(p)) => p.name.to_lowercase().contains(&needle),
                _ => false,
            })
            .take(limit)
            .cloned()
            .collect())
    }

    async fn publish(
        &self,
        kind: Kind,
        key: &str,
        body: Option<Body>,
    ) -> Result<Published, BackendError> {
        let Some(body) = body else {
            return Err(BackendError::Refused("the fake cannot withdraw".to_owned()));
        };
        let id = self.put(self.key, kind, key, body);
        let version = self.data().records[&(self.key, kind, key.to_owned())].version;
        Ok(Published { id, version })
    }

    async fn holders(&self, ids: Vec<RecordId>) -> Result<Vec<u32>, BackendError> {
        Ok(vec![0; ids.len()])
    }

    async fn find_coops(&self, query: CoopQuery) -> Result<Arc<CoopPage>, BackendError> {
        let data = self.data();
        let mut hits = Vec::new();
        for ((author, kind, _), record) in &data.records {
            let (Kind::Skills, Some(Body::Skills(skills))) = (kind, &record.body) else {
                continue;
            };
            if Some(*author) == query.exclude {
                continue;
            }
            let matched: Vec<String> = skills
                .entries
                .iter()
                .filter(|e| {
                    let terms = Taxonomy::esco().entry_terms(e).map(|(_, t)| t);
                    terms.is_some_and(|t| query.skills.iter().any(|s| t.contains(s)))
                })
                .map(|e| e.name.clone())
                .collect();
            let enough = if query.match_all {
                matched.len() == query.skills.len()
            } else {
                !matched.is_empty() || query.skills.is_empty()
            };
            if enough {
                let name = match data.records.get(&(*author, Kind::Profile, String::new())) {
                    Some(RecordView {
                        body: Some(Body::Profile(p)),
                        ..
                    }) => p.name.clone(),
                    _ => String::new(),
                };
                hits.push(CoopHit {
                    author: *author,
                    name,
                    summary: String::new(),
                    region: String::new(),
                    matched_skills: matched,
                    skills_asked: query.skills.len(),
                    days_available: 0,
                    min_rate: None,
                    currency: None,
                });
            }
        }
        let total = hits.len();
        let hits = hits
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .collect();
        Ok(Arc::new(CoopPage { hits, total }))
    }

    async fn import_ocds(&self, bytes: Vec<u8>) -> Result<ImportReport, BackendError> {
        std::str::from_utf8(&bytes)
            .map_err(|_| BackendError::Refused("the file is not UTF-8".to_owned()))?;
        Ok(ImportReport::default())
    }

    async fn count_users(&self) -> Result<u64, BackendError> {
        Ok(self.data().users.len() as u64)
    }

    async fn add_user(
        &self,
        username: &str,
        password_hash: &str,
        role: UserRole,
    ) -> Result<i64, BackendError> {
        let mut data = self.data();
        if data
            .users
            .iter()
            .any(|u| u.username.eq_ignore_ascii_case(username))
        {
            return Err(BackendError::Conflict(format!("{username} exists")));
        }
        let id = data.users.len() as i64 + 1;
        data.users.push(User {
            id,
            username: username.to_owned(),
            password_hash: password_hash.to_owned(),
            role,
            coordinator: false,
        });
        Ok(id)
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>, BackendError> {
        Ok(self
            .data()
            .users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(username))
            .cloned())
    }

    async fn create_session(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        csrf: &str,
        expires_at: Timestamp,
    ) -> Result<(), BackendError> {
        self.data()
            .sessions
            .push((token_hash, user_id, csrf.to_owned(), expires_at));
        Ok(())
    }

    async fn session(
        &self,
        token_hash: [u8; 32],
        now: Timestamp,
    ) -> Result<Option<(User, String)>, BackendError> {
        let data = self.data();
        let Some((_, user, csrf, _)) = data
            .sessions
            .iter()
            .find(|(h, _, _, expires)| *h == token_hash && *expires > now)
        else {
            return Ok(None);
        };
        let user = data.users.iter().find(|u| u.id == *user).cloned();
        Ok(user.map(|u| (u, csrf.clone())))
    }

    async fn delete_session(&self, token_hash: [u8; 32]) -> Result<(), BackendError> {
        self.data().sessions.retain(|(h, ..)| *h != token_hash);
        Ok(())
    }

    async fn create_token(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        _name: &str,
    ) -> Result<(), BackendError> {
        self.data().tokens.push((token_hash, user_id));
        Ok(())
    }

    async fn token_user(&self, token_hash: [u8; 32]) -> Result<Option<User>, BackendError> {
        let data = self.data();
        let user = data
            .tokens
            .iter()
            .find(|(h, _)| *h == token_hash)
            .map(|(_, u)| *u);
        Ok(user.and_then(|id| data.users.iter().find(|u| u.id == id).cloned()))
    }

    fn bids(&self) -> &dyn crate::bids::BidDesk {
        &NoBids
    }

    fn network(&self) -> &dyn crate::network::NetworkDesk {
        &NoNetwork
    }
}

/// The handler tests do not reach the dashboard; it is tested through
/// real nodes (`tests/integration/dashboard.rs`).
struct NoNetwork;

#[async_trait]
impl crate::network::NetworkDesk for NoNetwork {
    async fn health(&self) -> Result<crate::network::HealthView, BackendError> {
        Ok(Default::default())
    }
    async fn supply(&self) -> Result<Vec<crate::network::SupplyView>, BackendError> {
        Ok(Vec::new())
    }
    async fn capacity(
        &self,
        _: Option<String>,
        _: Option<String>,
    ) -> Result<Vec<crate::network::WeekView>, BackendError> {
        Ok(Vec::new())
    }
    async fn regions(&self) -> Result<Vec<String>, BackendError> {
        Ok(Vec::new())
    }
    async fn pipeline(&self) -> Result<crate::network::PipelineView, BackendError> {
        Ok(Default::default())
    }
    async fn events(&self, _: usize) -> Result<Vec<crate::network::EventView>, BackendError> {
        Ok(Vec::new())
    }
    async fn coordination(&self) -> Result<crate::network::Coordination, BackendError> {
        Ok(Default::default())
    }
    async fn admit(&self, _: String, _: bool) -> Result<String, BackendError> {
        Err(BackendError::Refused(
            "the fake node has no federation".into(),
        ))
    }
    async fn revoke(&self, _: PublicKey, _: String) -> Result<(), BackendError> {
        Err(BackendError::Refused(
            "the fake node has no federation".into(),
        ))
    }
    async fn metrics(&self) -> Result<String, BackendError> {
        Ok("# EOF\n".into())
    }
}

/// The handler tests do not reach bids; the real desk is tested through
/// real nodes (`tests/integration/bids.rs`).
struct NoBids;

fn no_bids<T>() -> Result<T, BackendError> {
    Err(BackendError::Refused("the fake node keeps no bids".into()))
}

#[async_trait]
impl crate::bids::BidDesk for NoBids {
    async fn contract_needs(
        &self,
        _: coopnet_bids::contract::ContractRef,
    ) -> Result<Vec<coopnet_bids::report::NeedLine>, BackendError> {
        no_bids()
    }
    async fn set_contract_needs(
        &self,
        _: coopnet_bids::contract::ContractRef,
        _: Vec<(String, u32)>,
    ) -> Result<(), BackendError> {
        no_bids()
    }
    async fn suggest(
        &self,
        _: coopnet_bids::contract::ContractRef,
        _: coopnet_bids::contract::SuggestOptions,
    ) -> Result<coopnet_bids::report::Consortium, BackendError> {
        no_bids()
    }
    async fn create_bid(
        &self,
        _: coopnet_bids::contract::ContractRef,
        _: coopnet_bids::plan::BidPlan,
        _: String,
    ) -> Result<coopnet_bids::bid::Bid, BackendError> {
        no_bids()
    }
    async fn bid(&self, _: String) -> Result<Option<coopnet_bids::bid::Bid>, BackendError> {
        Ok(None)
    }
    async fn bids(
        &self,
        _: Option<coopnet_bids::status::BidStatus>,
        _: usize,
        _: usize,
    ) -> Result<(Vec<coopnet_bids::bid::Bid>, usize), BackendError> {
        Ok((Vec::new(), 0))
    }
    async fn update_bid(
        &self,
        _: String,
        _: u64,
        _: coopnet_bids::plan::BidPlan,
        _: String,
    ) -> Result<coopnet_bids::bid::Bid, BackendError> {
        no_bids()
    }
    async fn move_bid(
        &self,
        _: String,
        _: u64,
        _: coopnet_bids::status::BidStatus,
        _: String,
    ) -> Result<coopnet_bids::bid::Bid, BackendError> {
        no_bids()
    }
    async fn bid_history(
        &self,
        _: String,
    ) -> Result<Vec<coopnet_bids::bid::BidVersion>, BackendError> {
        no_bids()
    }
    async fn bid_totals(
        &self,
        _: coopnet_bids::bid::Bid,
        _: coopnet_bids::contract::ContractRef,
    ) -> Result<coopnet_bids::totals::Totals, BackendError> {
        no_bids()
    }
    async fn coop_names(
        &self,
        _: Vec<PublicKey>,
    ) -> Result<HashMap<PublicKey, String>, BackendError> {
        Ok(HashMap::new())
    }
    async fn invite_partners(
        &self,
        _: String,
        _: String,
        _: bool,
        _: String,
    ) -> Result<coopnet_bids::bid::Bid, BackendError> {
        no_bids()
    }
    async fn negotiation(
        &self,
        _: String,
    ) -> Result<coopnet_bids::negotiation::Negotiation, BackendError> {
        no_bids()
    }
    async fn freeze_bid(
        &self,
        _: String,
        _: String,
    ) -> Result<coopnet_protocol::bidwire::BidDocument, BackendError> {
        no_bids()
    }
    async fn export_agreement(
        &self,
        _: String,
    ) -> Result<coopnet_protocol::bidwire::ExportedDocument, BackendError> {
        no_bids()
    }
    async fn invitations(
        &self,
    ) -> Result<Vec<coopnet_bids::negotiation::Invitation>, BackendError> {
        Ok(Vec::new())
    }
    async fn answer_invitation(
        &self,
        _: coopnet_protocol::bidwire::BidId,
        _: coopnet_protocol::bidwire::Answer,
    ) -> Result<(), BackendError> {
        no_bids()
    }
    async fn documents_to_sign(
        &self,
    ) -> Result<Vec<coopnet_bids::negotiation::ToSign>, BackendError> {
        Ok(Vec::new())
    }
    async fn sign_bid_document(
        &self,
        _: coopnet_protocol::bidwire::BidId,
    ) -> Result<(), BackendError> {
        no_bids()
    }
    async fn publish_bid_notice(&self, _: String) -> Result<(), BackendError> {
        no_bids()
    }
    async fn has_bid_notice(&self, _: String) -> Result<bool, BackendError> {
        Ok(false)
    }
    fn bid_changes(
        &self,
    ) -> Option<tokio::sync::broadcast::Receiver<coopnet_protocol::bidwire::BidId>> {
        None
    }
}
