//! Bringing our own records up to the current schemas on start: contracts
//! we published as kind 4 (`contract-v1`, value in whole units) are
//! republished as kind 9 (`contract`) under the same key, then the kind 4
//! ones are withdrawn, so each contract lives once, in the current schema
//! (SPEC §3.3). Other co-ops' kind 4 contracts are read as kind 9 until
//! their own nodes upgrade them.

use coopnet_protocol::kinds::Contract;
use coopnet_protocol::{Body, Kind};

use crate::store::ListFilter;
use crate::{Node, NodeError};

/// Most of our kind 4 contracts upgraded at one start (the rest at the
/// next): far more than a co-op publishes.
const MAX_UPGRADED: usize = 100_000;

impl Node {
    /// Republishes our kind 4 contracts as kind 9 and withdraws them;
    /// returns how many.
    pub(crate) async fn upgrade_own_contracts(&self) -> Result<usize, NodeError> {
        let filter = ListFilter {
            author: Some(self.key()),
            kind: Some(Kind::ContractV1.code()),
            limit: MAX_UPGRADED,
            ..ListFilter::default()
        };
        let old = self.store().list(filter).await?;
        let mut upgraded = 0;
        for stored in old {
            let header = stored.record.header();
            let key = header.key.clone();
            let Some(Ok(Body::ContractV1(v1))) = stored
                .record
                .body_bytes()
                .map(|bytes| Body::decode(header.kind, bytes))
            else {
                continue;
            };
            let current = Body::Contract(Contract::from(v1));
            self.publish(Kind::Contract.code(), &key, Some(current), None)
                .await?;
            self.publish(Kind::ContractV1.code(), &key, None, None)
                .await?;
            upgraded += 1;
        }
        if upgraded > 0 {
            tracing::info!(upgraded, "our contracts republished in the current schema");
        }
        Ok(upgraded)
    }
}
