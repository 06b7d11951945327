//! Federations: the genesis document that defines one, and the roster that
//! says, from the membership and revocation records a node holds, who is a
//! member and who may admit others (SPEC §9).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::keys::PublicKey;
use crate::kinds::fields::{self, Checked, FieldError, Problem, fail};
use crate::kinds::{Body, FederationId, Kind, Role};
use crate::record::SignedRecord;
use crate::time::Timestamp;

/// Prefix of the bytes hashed into a federation id.
pub const GENESIS_DOMAIN: &[u8] = b"coopnet/genesis/v1\0";

/// A 32-byte libp2p private-network key, as 64 hex characters in text.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NetworkKey(#[serde(with = "hex_bytes")] pub [u8; 32]);

impl std::fmt::Debug for NetworkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NetworkKey(..)")
    }
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(bytes))
        } else {
            s.serialize_bytes(bytes)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        use serde::de::Error;
        if d.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            let mut out = [0u8; 32];
            hex::decode_to_slice(text.as_ref(), &mut out)
                .map_err(|_| D::Error::custom("a network key is 64 hex characters"))?;
            Ok(out)
        } else {
            <[u8; 32]>::deserialize(d)
        }
    }
}

/// The document that defines a federation. Its id is a hash of its
/// canonical encoding, so any change makes a different federation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The federation's name, 1–120 characters.
    pub name: String,
    /// Coordinators from the start (at least one, at most 50): they can
    /// admit and revoke members, and cannot themselves be revoked.
    pub coordinators: Vec<PublicKey>,
    /// Where new nodes first connect (multiaddresses with `/p2p/…`), ≤ 50.
    pub bootstrap: Vec<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// Optional libp2p private-network key (TCP only): a second fence.
    pub network_key: Option<NetworkKey>,
}

impl Genesis {
    /// Checks the field rules.
    pub fn check(&self) -> Checked {
        fields::line("name", &self.name, 1, 120)?;
        if self.coordinators.is_empty() {
            return Err(fail("coordinators", Problem::Empty));
        }
        fields::count("coordinators", &self.coordinators, 50)?;
        fields::labels("bootstrap", &self.bootstrap, 50, 300)
    }

    /// The federation id: SHA-256 of the domain prefix and the postcard
    /// encoding of the fields in order (SPEC §9.1).
    pub fn id(&self) -> FederationId {
        let encoded = postcard::to_allocvec(self).unwrap_or_default();
        FederationId(
            Sha256::new()
                .chain_update(GENESIS_DOMAIN)
                .chain_update(encoded)
                .finalize()
                .into(),
        )
    }

    /// The gossip topic of this federation.
    pub fn topic(&self) -> String {
        format!("coopnet/{}/records/1", self.id())
    }
}

/// What a node should do with a record, given the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The author may publish it: store and relay.
    Accept,
    /// The author is not known to be a member yet: hold it until a
    /// membership arrives (bounded), neither relay nor blame.
    Hold,
    /// The author may not publish it: refuse.
    Refuse(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct Grant {
    issued_at: Timestamp,
    expires_at: Option<Timestamp>,
    role: Role,
}

/// Who belongs to a federation, derived from its genesis and the membership
/// and revocation records applied so far. Pure: `now` is a parameter.
#[derive(Debug, Clone)]
pub struct Roster {
    federation: FederationId,
    founders: HashSet<PublicKey>,
    /// (coordinator who signed, member) → the grant.
    grants: HashMap<(PublicKey, PublicKey), Grant>,
    /// (coordinator who signed, member) → when the revocation was issued.
    revocations: HashMap<(PublicKey, PublicKey), Timestamp>,
}

impl Roster {
    /// The roster of a federation with no memberships yet.
    pub fn new(genesis: &Genesis) -> Self {
        Self {
            federation: genesis.id(),
            founders: genesis.coordinators.iter().copied().collect(),
            grants: HashMap::new(),
            revocations: HashMap::new(),
        }
    }

    /// The federation this roster is for.
    pub fn federation(&self) -> FederationId {
        self.federation
    }

    /// Records a membership or revocation (others are ignored). Whether its
    /// author may issue it is decided when the roster is read, so records
    /// may be applied in any order. Refuses records of another federation.
    pub fn apply(
        &mut self,
        record: &SignedRecord,
        body: Option<&Body>,
    ) -> Result<bool, FieldError> {
        let author = record.header().author;
        let issued_at = record.header().issued_at;
        let wrong = || fail("federation", Problem::Malformed("this federation's id"));
        match body {
            Some(Body::Membership(m)) if m.federation != self.federation => Err(wrong()),
            Some(Body::Revocation(r)) if r.federation != self.federation => Err(wrong()),
            Some(Body::Membership(m)) => {
                let grant = Grant {
                    issued_at,
                    expires_at: record.header().expires_at,
                    role: m.role,
                };
                self.grants.insert((author, m.member), grant);
                Ok(true)
            }
            Some(Body::Revocation(r)) => {
                self.revocations.insert((author, r.member), issued_at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The coordinators as of `now`: the founders, then, until nothing
    /// changes, everyone a coordinator granted the coordinator role.
    pub fn coordinators(&self, now: Timestamp) -> HashSet<PublicKey> {
        let mut coordinators = self.founders.clone();
        loop {
            let before = coordinators.len();
            let promoted: Vec<PublicKey> = self
                .live_grants(&coordinators, now)
                .filter(|(_, g)| g.role == Role::Coordinator)
                .map(|(member, _)| member)
                .collect();
            coordinators.extend(promoted);
            if coordinators.len() == before {
                return coordinators;
            }
        }
    }

    /// Grants signed by `coordinators`, unexpired, and not revoked by a
    /// coordinator after they were issued.
    fn live_grants<'a>(
        &'a self,
        coordinators: &'a HashSet<PublicKey>,
        now: Timestamp,
    ) -> impl Iterator<Item = (PublicKey, Grant)> + 'a {
        self.grants
            .iter()
            .filter_map(move |(&(by, member), grant)| {
                let live = coordinators.contains(&by)
                    && grant.expires_at.is_none_or(|t| t > now)
                    && self
                        .revoked_at(coordinators, member)
                        .is_none_or(|t| t < grant.issued_at);
                live.then_some((member, *grant))
            })
    }

    /// The latest revocation of `member` by any of `coordinators`.
    fn revoked_at(
        &self,
        coordinators: &HashSet<PublicKey>,
        member: PublicKey,
    ) -> Option<Timestamp> {
        self.revocations
            .iter()
            .filter(|((by, m), _)| *m == member && coordinators.contains(by))
            .map(|(_, &at)| at)
            .max()
    }

    /// Who is what as of `now`: computed once, then read cheaply.
    pub fn view(&self, now: Timestamp) -> RosterView {
        let coordinators = self.coordinators(now);
        let mut members: HashSet<PublicKey> = self
            .live_grants(&coordinators, now)
            .map(|(m, _)| m)
            .collect();
        members.extend(coordinators.iter().copied());
        let revoked = self
            .revocations
            .iter()
            .filter(|((by, member), _)| coordinators.contains(by) && !members.contains(member))
            .map(|((_, member), _)| *member)
            .collect();
        let next_expiry = self
            .grants
            .values()
            .filter_map(|g| g.expires_at)
            .filter(|t| *t > now)
            .min();
        RosterView {
            federation: self.federation,
            members,
            coordinators,
            revoked,
            next_expiry,
        }
    }
}

/// A snapshot of a [`Roster`] at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterView {
    federation: FederationId,
    members: HashSet<PublicKey>,
    coordinators: HashSet<PublicKey>,
    revoked: HashSet<PublicKey>,
    next_expiry: Option<Timestamp>,
}

impl RosterView {
    /// The federation.
    pub fn federation(&self) -> FederationId {
        self.federation
    }

    /// Whether `key` is a current member (coordinators are members).
    pub fn is_member(&self, key: &PublicKey) -> bool {
        self.members.contains(key)
    }

    /// Whether `key` may admit and revoke members.
    pub fn is_coordinator(&self, key: &PublicKey) -> bool {
        self.coordinators.contains(key)
    }

    /// Whether `key` was revoked and not admitted again.
    pub fn is_revoked(&self, key: &PublicKey) -> bool {
        self.revoked.contains(key)
    }

    /// Current members.
    pub fn members(&self) -> impl Iterator<Item = &PublicKey> {
        self.members.iter()
    }

    /// When the view must be recomputed because a membership lapses.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.next_expiry
    }

    /// What to do with a record by `author` of `kind` (SPEC §9.3).
    pub fn admission(&self, author: &PublicKey, kind: Option<Kind>) -> Admission {
        let roster_record = matches!(kind, Some(Kind::Membership | Kind::Revocation));
        let allowed = if roster_record {
            self.is_coordinator(author)
        } else {
            self.is_member(author)
        };
        if allowed {
            Admission::Accept
        } else if self.is_revoked(author) {
            Admission::Refuse("its author's membership was revoked")
        } else if roster_record && self.is_member(author) {
            Admission::Refuse("only coordinators admit and revoke members")
        } else {
            Admission::Hold
        }
    }
}
