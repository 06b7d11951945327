//! The record kinds: what a body can say, each as a validated type that can
//! only be built by parsing its plain fields.
//!
//! A body is the postcard encoding of its kind's `…Fields` struct, fields in
//! declaration order (SPEC §3). Changing a struct changes the wire format:
//! the golden vectors in `protocol/testdata/vectors.json` catch that.

pub mod fields;

mod bid_notice;
mod capacity;
mod contract;
mod federation;
mod node_status;
mod profile;
mod skills;

pub use bid_notice::{BidNotice, BidNoticeFields, BidStatus};
pub use capacity::{Capacity, CapacityFields, CapacityWindow, RateBand, WorkMode};
pub use contract::{
    Contract, ContractFields, ContractStatus, ContractV1, ContractV1Fields, ContractValue,
    MAX_VALUE_HUNDREDTHS, Money, Period,
};
pub use federation::{
    FederationId, Membership, MembershipFields, Revocation, RevocationFields, Role,
};
pub use node_status::{NodeStatus, NodeStatusFields};
pub use profile::{Coordinates, Profile, ProfileFields};
pub use skills::{ESCO_SKILL_PREFIX, SkillEntry, SkillLevel, Skills, SkillsFields};

use crate::envelope::KindCode;
use fields::FieldError;

/// Builds the validated wrapper `$name` around `$fields`: the only way in is
/// `parse`, which runs the fields' checks; serde deserialisation goes
/// through `parse` too, and reading is through `Deref` to the fields.
macro_rules! validated {
    ($(#[$doc:meta])* $name:ident($fields:ident)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name($fields);

        impl $name {
            /// Checks every field rule and wraps the fields.
            pub fn parse(fields: $fields) -> Result<Self, crate::kinds::fields::FieldError> {
                fields.check()?;
                Ok(Self(fields))
            }

            /// The plain fields, for editing and re-parsing.
            pub fn into_fields(self) -> $fields {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = $fields;
            fn deref(&self) -> &$fields {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let fields = $fields::deserialize(d)?;
                Self::parse(fields).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use validated;

/// The record kinds this version understands, with their wire codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A co-op's public profile. One per co-op (empty key).
    Profile = 1,
    /// A co-op's skills. One per co-op (empty key).
    Skills = 2,
    /// A co-op's spare capacity windows. One per co-op (empty key).
    Capacity = 3,
    /// An opportunity in the first contract schema (value in whole units):
    /// read, no longer published; key chosen by the author.
    ContractV1 = 4,
    /// A coordinator's admission of a member; key = the member's key.
    Membership = 5,
    /// A coordinator's revocation of a member; key = the member's key.
    Revocation = 6,
    /// A public note that a consortium bid for a contract; key = the bid.
    BidNotice = 7,
    /// A node's periodic signed heartbeat. One per co-op (empty key).
    NodeStatus = 8,
    /// An opportunity a member found or imported (value in hundredths, as
    /// an estimate, a range or a minimum); key chosen by the author.
    Contract = 9,
}

/// Every kind, in code order.
pub const ALL_KINDS: [Kind; 9] = [
    Kind::Profile,
    Kind::Skills,
    Kind::Capacity,
    Kind::ContractV1,
    Kind::Membership,
    Kind::Revocation,
    Kind::BidNotice,
    Kind::NodeStatus,
    Kind::Contract,
];

impl Kind {
    /// The kind with this wire code, if this version knows it.
    pub fn from_code(code: KindCode) -> Option<Kind> {
        ALL_KINDS.into_iter().find(|k| k.code() == code)
    }

    /// The wire code.
    pub fn code(self) -> KindCode {
        KindCode(self as u16)
    }

    /// The lowercase name used in the CLI, the API and the spec.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Profile => "profile",
            Kind::Skills => "skills",
            Kind::Capacity => "capacity",
            Kind::ContractV1 => "contract-v1",
            Kind::Contract => "contract",
            Kind::Membership => "membership",
            Kind::Revocation => "revocation",
            Kind::BidNotice => "bid-notice",
            Kind::NodeStatus => "node-status",
        }
    }

    /// Whether a co-op has exactly one record of this kind (key is empty).
    pub fn is_singleton(self) -> bool {
        matches!(
            self,
            Kind::Profile | Kind::Skills | Kind::Capacity | Kind::NodeStatus
        )
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ALL_KINDS
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| format!("unknown record kind {name:?}"))
    }
}

/// What a live record says: one typed body per known kind, or the raw bytes
/// of a kind this version does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// See [`Profile`].
    Profile(Profile),
    /// See [`Skills`].
    Skills(Skills),
    /// See [`Capacity`].
    Capacity(Capacity),
    /// See [`ContractV1`].
    ContractV1(ContractV1),
    /// See [`Contract`].
    Contract(Contract),
    /// See [`Membership`].
    Membership(Membership),
    /// See [`Revocation`].
    Revocation(Revocation),
    /// See [`BidNotice`].
    BidNotice(BidNotice),
    /// See [`NodeStatus`].
    NodeStatus(NodeStatus),
    /// A body of a kind this version does not know, kept verbatim.
    Opaque {
        /// Its wire code.
        kind: KindCode,
        /// Its bytes, as signed.
        bytes: Vec<u8>,
    },
}

/// Why a body did not decode into its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The bytes are not the postcard encoding of the kind's fields.
    #[error("the {kind} body is malformed: {reason}")]
    Malformed {
        /// Kind name.
        kind: &'static str,
        /// What the decoder reported.
        reason: String,
    },
    /// The bytes decode, but are not the one canonical encoding of what
    /// they decode to (e.g. an over-long varint).
    #[error("the {0} body is not canonically encoded")]
    NonCanonical(&'static str),
    /// A field breaks a rule of its kind.
    #[error("the {kind} body is invalid: {error}")]
    Field {
        /// Kind name.
        kind: &'static str,
        /// Which field and why.
        error: FieldError,
    },
}

impl Body {
    /// The wire code of this body's kind.
    pub fn kind_code(&self) -> KindCode {
        match self {
            Body::Opaque { kind, .. } => *kind,
            known => known.kind().map_or(KindCode(0), Kind::code),
        }
    }

    /// The known kind, or `None` for opaque bodies.
    pub fn kind(&self) -> Option<Kind> {
        Some(match self {
            Body::Profile(_) => Kind::Profile,
            Body::Skills(_) => Kind::Skills,
            Body::Capacity(_) => Kind::Capacity,
            Body::ContractV1(_) => Kind::ContractV1,
            Body::Contract(_) => Kind::Contract,
            Body::Membership(_) => Kind::Membership,
            Body::Revocation(_) => Kind::Revocation,
            Body::BidNotice(_) => Kind::BidNotice,
            Body::NodeStatus(_) => Kind::NodeStatus,
            Body::Opaque { .. } => return None,
        })
    }

    /// The body's bytes as signed: the postcard encoding of its fields.
    pub fn encode(&self) -> Vec<u8> {
        let encoded = match self {
            Body::Profile(b) => postcard::to_allocvec(&**b),
            Body::Skills(b) => postcard::to_allocvec(&**b),
            Body::Capacity(b) => postcard::to_allocvec(&**b),
            Body::ContractV1(b) => postcard::to_allocvec(&**b),
            Body::Contract(b) => postcard::to_allocvec(&**b),
            Body::Membership(b) => postcard::to_allocvec(&**b),
            Body::Revocation(b) => postcard::to_allocvec(&**b),
            Body::BidNotice(b) => postcard::to_allocvec(&**b),
            Body::NodeStatus(b) => postcard::to_allocvec(&**b),
            Body::Opaque { bytes, .. } => return bytes.clone(),
        };
        // NOTE: postcard only fails to serialise on a full fixed buffer or a
        // type serde cannot express; neither applies to a growable Vec of
        // these plain structs.
        encoded.unwrap_or_default()
    }

    /// Decodes and validates the body of a record of kind `code`.
    pub fn decode(code: KindCode, bytes: &[u8]) -> Result<Body, BodyError> {
        let Some(kind) = Kind::from_code(code) else {
            return Ok(Body::Opaque {
                kind: code,
                bytes: bytes.to_vec(),
            });
        };
        let body = match kind {
            Kind::Profile => Body::Profile(decode_as(kind, bytes, Profile::parse)?),
            Kind::Skills => Body::Skills(decode_as(kind, bytes, Skills::parse)?),
            Kind::Capacity => Body::Capacity(decode_as(kind, bytes, Capacity::parse)?),
            Kind::ContractV1 => Body::ContractV1(decode_as(kind, bytes, ContractV1::parse)?),
            Kind::Contract => Body::Contract(decode_as(kind, bytes, Contract::parse)?),
            Kind::Membership => Body::Membership(decode_as(kind, bytes, Membership::parse)?),
            Kind::Revocation => Body::Revocation(decode_as(kind, bytes, Revocation::parse)?),
            Kind::BidNotice => Body::BidNotice(decode_as(kind, bytes, BidNotice::parse)?),
            Kind::NodeStatus => Body::NodeStatus(decode_as(kind, bytes, NodeStatus::parse)?),
        };
        if body.encode() != bytes {
            return Err(BodyError::NonCanonical(kind.name()));
        }
        Ok(body)
    }
}

/// Decodes `bytes` as `F` (all of them) and parses the fields into `T`.
fn decode_as<F, T>(
    kind: Kind,
    bytes: &[u8],
    parse: fn(F) -> Result<T, FieldError>,
) -> Result<T, BodyError>
where
    F: serde::de::DeserializeOwned,
{
    let malformed = |reason: String| BodyError::Malformed {
        kind: kind.name(),
        reason,
    };
    let (fields, rest) =
        postcard::take_from_bytes::<F>(bytes).map_err(|e| malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} bytes after the last field",
            rest.len()
        )));
    }
    parse(fields).map_err(|error| BodyError::Field {
        kind: kind.name(),
        error,
    })
}

impl serde::Serialize for Body {
    /// Writes the body's fields; opaque bodies are written as their bytes.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Body::Profile(b) => b.serialize(s),
            Body::Skills(b) => b.serialize(s),
            Body::Capacity(b) => b.serialize(s),
            Body::ContractV1(b) => b.serialize(s),
            Body::Contract(b) => b.serialize(s),
            Body::Membership(b) => b.serialize(s),
            Body::Revocation(b) => b.serialize(s),
            Body::BidNotice(b) => b.serialize(s),
            Body::NodeStatus(b) => b.serialize(s),
            Body::Opaque { bytes, .. } => s.serialize_bytes(bytes),
        }
    }
}

impl Body {
    /// Reads a body of `kind` from any serde format (the JSON of the CLI,
    /// the API and the test vectors), running every field rule.
    pub fn deserialize_as<'de, D: serde::Deserializer<'de>>(
        kind: Kind,
        d: D,
    ) -> Result<Body, D::Error> {
        use serde::Deserialize;
        Ok(match kind {
            Kind::Profile => Body::Profile(Profile::deserialize(d)?),
            Kind::Skills => Body::Skills(Skills::deserialize(d)?),
            Kind::Capacity => Body::Capacity(Capacity::deserialize(d)?),
            Kind::ContractV1 => Body::ContractV1(ContractV1::deserialize(d)?),
            Kind::Contract => Body::Contract(Contract::deserialize(d)?),
            Kind::Membership => Body::Membership(Membership::deserialize(d)?),
            Kind::Revocation => Body::Revocation(Revocation::deserialize(d)?),
            Kind::BidNotice => Body::BidNotice(BidNotice::deserialize(d)?),
            Kind::NodeStatus => Body::NodeStatus(NodeStatus::deserialize(d)?),
        })
    }
}
