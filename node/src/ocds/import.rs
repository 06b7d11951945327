//! Importing an OCDS file as our co-op's contracts ([`Node::import_ocds`]):
//! each tender becomes a contract keyed by its `ocid`, published unless an
//! identical one is already ours; the report says, tender by tender, what
//! happened, every change the importer made, and the contract's status,
//! with counts, so that imported tenders never seem to vanish behind a
//! list's default "open" filter.

use coopnet_protocol::kinds::{Contract, ContractStatus};
use coopnet_protocol::{Body, Kind};
use serde::Serialize;

use super::{OcdsError, Parsed};
use crate::{Node, NodeError};

/// What importing one tender did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A new contract was published.
    Imported,
    /// Our contract with the same `ocid` was republished with changes.
    Updated,
    /// Our contract with the same `ocid` already said the same.
    Unchanged,
    /// No contract (see the notes).
    Skipped,
}

/// One tender of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The release's `ocid`, if it has one.
    pub ocid: Option<String>,
    /// The contract's title, when there is a contract.
    pub title: Option<String>,
    /// The contract's record key, when there is a contract.
    pub key: Option<String>,
    /// What happened.
    pub action: Action,
    /// The contract's status (open, closed or awarded), when there is one.
    pub status: Option<ContractStatus>,
    /// Why it was skipped, or every change made to make it a contract.
    pub notes: Vec<String>,
}

/// The report of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// About the file as a whole (its encoding, say).
    pub notes: Vec<String>,
    /// One line per release or record, in file order.
    pub lines: Vec<Line>,
}

impl Report {
    /// How many lines have this action.
    pub fn count(&self, action: Action) -> usize {
        self.lines.iter().filter(|l| l.action == action).count()
    }

    /// How many contracts (imported, updated or unchanged) have this status.
    pub fn with_status(&self, status: ContractStatus) -> usize {
        self.lines
            .iter()
            .filter(|l| l.status == Some(status))
            .count()
    }
}

/// Why an import could not happen at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not usable OCDS data.
    #[error(transparent)]
    Ocds(#[from] OcdsError),
    /// The node could not publish.
    #[error(transparent)]
    Node(#[from] NodeError),
}

impl Node {
    /// Imports an OCDS release package, record package or release as our
    /// contracts (see the [module](self) documentation). Parsing runs on a
    /// blocking thread.
    ///
    /// # Errors
    ///
    /// [`ImportError::Ocds`] if the file is unusable as a whole (nothing is
    /// published), [`ImportError::Node`] if publishing fails (the lines
    /// before it were published).
    pub async fn import_ocds(&self, bytes: Vec<u8>) -> Result<Report, ImportError> {
        let parsed: Parsed = tokio::task::spawn_blocking(move || super::parse(&bytes))
            .await
            .map_err(|e| NodeError::Internal(format!("the OCDS reader failed: {e}")))??;
        let mut report = Report {
            notes: parsed.notes,
            lines: Vec::with_capacity(parsed.releases.len()),
        };
        for imported in parsed.releases {
            report.lines.push(self.import_one(imported).await?);
        }
        Ok(report)
    }

    async fn import_one(&self, imported: super::Imported) -> Result<Line, NodeError> {
        let key = imported.key();
        let mut line = Line {
            ocid: imported.ocid.clone(),
            title: None,
            key: key.clone(),
            action: Action::Skipped,
            status: None,
            notes: imported.notes,
        };
        let fields = match imported.outcome {
            Ok(fields) => fields,
            Err(skipped) => {
                line.notes.insert(0, skipped.reason);
                return Ok(line);
            }
        };
        let Some(key) = key else {
            line.notes.insert(
                0,
                "no ocid: a contract needs one to be updated later".into(),
            );
            return Ok(line);
        };
        line.title = Some(fields.title.clone());
        line.status = Some(fields.status);
        let contract = Contract::parse(fields).map_err(NodeError::Field)?;
        let kind = Kind::Contract.code();
        let current = self.store().current(self.key(), kind, key.clone()).await?;
        let existing = current.and_then(|stored| {
            let header = stored.record.header();
            stored
                .record
                .body_bytes()
                .and_then(|bytes| Body::decode(header.kind, bytes).ok())
        });
        line.action = match existing {
            Some(Body::Contract(existing)) if existing == contract => {
                line.action = Action::Unchanged;
                return Ok(line);
            }
            Some(_) => Action::Updated,
            None => Action::Imported,
        };
        self.publish(kind, &key, Some(Body::Contract(contract)), None)
            .await?;
        Ok(line)
    }
}
