//! Admitting and revoking members as `Node` methods: a coordinator's node
//! publishes the membership and revocation records of SPEC §9.3.

use coopnet_protocol::{Body, Kind, PublicKey, Timestamp};

use crate::{Node, NodeError, Receipt};

impl Node {
    /// Admits `member` to our federation (we must be a coordinator):
    /// publishes a membership record, lapsing at `expires_at` if given.
    pub async fn admit(
        &self,
        member: PublicKey,
        name: &str,
        role: coopnet_protocol::kinds::Role,
        expires_at: Option<Timestamp>,
    ) -> Result<Receipt, NodeError> {
        let federation = self.coordinating()?;
        let fields = coopnet_protocol::kinds::MembershipFields {
            federation,
            member,
            name: name.to_owned(),
            role,
        };
        let body = coopnet_protocol::kinds::Membership::parse(fields).map_err(NodeError::Field)?;
        let kind = Kind::Membership.code();
        self.publish(
            kind,
            &member.to_string(),
            Some(Body::Membership(body)),
            expires_at,
        )
        .await
    }

    /// Revokes `member`'s membership (we must be a coordinator).
    pub async fn revoke(&self, member: PublicKey, reason: &str) -> Result<Receipt, NodeError> {
        let federation = self.coordinating()?;
        let fields = coopnet_protocol::kinds::RevocationFields {
            federation,
            member,
            reason: reason.to_owned(),
        };
        let body = coopnet_protocol::kinds::Revocation::parse(fields).map_err(NodeError::Field)?;
        let kind = Kind::Revocation.code();
        self.publish(
            kind,
            &member.to_string(),
            Some(Body::Revocation(body)),
            None,
        )
        .await
    }

    /// Our federation's id, if our co-op coordinates it.
    fn coordinating(&self) -> Result<coopnet_protocol::kinds::FederationId, NodeError> {
        let view = self
            .gate()
            .view()
            .ok_or(NodeError::NotCoordinator("this node has no federation"))?;
        if !view.is_coordinator(&self.key()) {
            return Err(NodeError::NotCoordinator(
                "this co-op is not a coordinator of its federation",
            ));
        }
        Ok(view.federation())
    }
}
