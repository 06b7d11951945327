//! Joint bids on the lead's node (issue 17): the days our bid managers say
//! contracts need, our bids and every version of them, and what the
//! consortium builder reads from the partner-search tables. Local only,
//! never gossiped; every write commits at `synchronous=FULL` before the
//! call returns.

use std::collections::HashMap;

pub use coopnet_bids::bid::{Bid, BidVersion};
use coopnet_bids::plan::BidPlan;
use coopnet_bids::status::BidStatus;
use coopnet_protocol::{Kind, PublicKey, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::db::{from_column, to_column};
use super::{Store, StoreError};

/// A new bid.
#[derive(Debug, Clone)]
pub struct NewBid {
    /// Its id, 32 hex characters.
    pub bid_id: String,
    /// The contract's author and key.
    pub contract: (PublicKey, String),
    /// Its title.
    pub title: String,
    /// Its currency.
    pub currency: String,
    /// Its first plan.
    pub plan: BidPlan,
    /// Who created it.
    pub by: String,
    /// What to record as version 1's change.
    pub changes: Vec<String>,
}

/// A change to a bid.
#[derive(Debug, Clone)]
pub struct BidChange {
    /// The version the change was made on; another means someone else
    /// changed the bid meanwhile ([`StoreError::Conflict`]).
    pub base_version: u64,
    /// The new status.
    pub status: BidStatus,
    /// The new plan.
    pub plan: BidPlan,
    /// Who made it.
    pub by: String,
    /// What changed, in sentences.
    pub changes: Vec<String>,
}

/// A co-op that has one of the asked terms: its key, name and which term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermHolder {
    /// The co-op.
    pub author: PublicKey,
    /// Its profile's name ("" without one).
    pub name: String,
    /// The asked term it has.
    pub term: String,
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn unjson<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("a stored bid: {e}")))
}

fn status(word: &str) -> Result<BidStatus, StoreError> {
    BidStatus::parse(word).ok_or_else(|| StoreError::Corrupt(format!("bid status {word:?}")))
}

fn key(bytes: [u8; 32]) -> Result<PublicKey, StoreError> {
    PublicKey::from_bytes(&bytes).map_err(|e| StoreError::Corrupt(format!("a stored key: {e}")))
}

const BID_COLUMNS: &str = "bid_id, contract_author, contract_key, title, currency, status, \
                           version, plan, created_at, updated_at";

type BidParts = (
    String,
    [u8; 32],
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
);

fn bid_parts(row: &Row<'_>) -> rusqlite::Result<BidParts> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

fn bid_row(parts: BidParts) -> Result<Bid, StoreError> {
    let (bid_id, author, contract_key, title, currency, word, version, plan, created, updated) =
        parts;
    Ok(Bid {
        bid_id,
        contract_author: key(author)?,
        contract_key,
        title,
        currency,
        status: status(&word)?,
        version: from_column(version),
        plan: unjson(&plan)?,
        created_at: Timestamp(from_column(created)),
        updated_at: Timestamp(from_column(updated)),
    })
}

/// The days our bid managers set for a contract's skills.
pub fn needs(
    conn: &Connection,
    author: &PublicKey,
    key: &str,
) -> Result<Vec<(String, u32)>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT skill, days FROM contract_needs WHERE contract_author = ?1 AND contract_key = ?2",
    )?;
    let rows = query.query_map(params![&author.as_bytes()[..], key], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replaces the days set for a contract's skills.
pub fn set_needs(
    conn: &Connection,
    author: &PublicKey,
    key: &str,
    needs: &[(String, u32)],
) -> Result<(), StoreError> {
    let author = &author.as_bytes()[..];
    conn.prepare_cached(
        "DELETE FROM contract_needs WHERE contract_author = ?1 AND contract_key = ?2",
    )?
    .execute(params![author, key])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO contract_needs (contract_author, contract_key, skill, days) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (skill, days) in needs {
        insert.execute(params![author, key, skill, days])?;
    }
    Ok(())
}

/// Stores a new bid at version 1 (and its first version).
pub fn insert_bid(conn: &Connection, bid: &NewBid, now: Timestamp) -> Result<(), StoreError> {
    let plan = json(&bid.plan)?;
    conn.prepare_cached(
        "INSERT INTO bids (bid_id, contract_author, contract_key, title, currency, status, \
         version, plan, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?8)",
    )?
    .execute(params![
        bid.bid_id,
        &bid.contract.0.as_bytes()[..],
        bid.contract.1,
        bid.title,
        bid.currency,
        BidStatus::Draft.as_str(),
        plan,
        to_column(now.0),
    ])?;
    let id = conn.last_insert_rowid();
    add_version(
        conn,
        id,
        1,
        now,
        &bid.by,
        BidStatus::Draft,
        &plan,
        &bid.changes,
    )
}

#[allow(clippy::too_many_arguments)]
fn add_version(
    conn: &Connection,
    id: i64,
    version: u64,
    now: Timestamp,
    by: &str,
    status: BidStatus,
    plan: &str,
    changes: &[String],
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO bid_versions (bid, version, at, by_user, status, plan, changes) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id,
        to_column(version),
        to_column(now.0),
        by,
        status.as_str(),
        plan,
        json(&changes)?,
    ])?;
    Ok(())
}

/// The bid with this id.
pub fn bid(conn: &Connection, bid_id: &str) -> Result<Option<Bid>, StoreError> {
    let sql = format!("SELECT {BID_COLUMNS} FROM bids WHERE bid_id = ?1");
    let parts = conn
        .prepare_cached(&sql)?
        .query_row([bid_id], bid_parts)
        .optional()?;
    parts.map(bid_row).transpose()
}

/// Our bids, most recently changed first, `limit` from `offset`, with
/// `status` when given; and how many there are in all.
pub fn bids(
    conn: &Connection,
    status: Option<BidStatus>,
    offset: usize,
    limit: usize,
) -> Result<(Vec<Bid>, usize), StoreError> {
    let word = status.map(BidStatus::as_str);
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM bids WHERE ?1 IS NULL OR status = ?1")?
        .query_row([word], |row| row.get(0))?;
    let sql = format!(
        "SELECT {BID_COLUMNS} FROM bids WHERE ?1 IS NULL OR status = ?1 \
         ORDER BY updated_at DESC, id DESC LIMIT ?2 OFFSET ?3"
    );
    let mut query = conn.prepare_cached(&sql)?;
    let rows = query.query_map(params![word, limit as i64, offset as i64], bid_parts)?;
    let mut out = Vec::new();
    for parts in rows {
        out.push(bid_row(parts?)?);
    }
    Ok((out, usize::try_from(total).unwrap_or(0)))
}

/// Applies a change to a bid as a new version; refuses it when the bid
/// changed since `base_version`.
pub fn change_bid(
    conn: &Connection,
    bid_id: &str,
    change: &BidChange,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let found: Option<(i64, i64)> = conn
        .prepare_cached("SELECT id, version FROM bids WHERE bid_id = ?1")?
        .query_row([bid_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((id, version)) = found else {
        return Err(StoreError::Invalid(format!("no bid {bid_id}")));
    };
    let version = from_column(version);
    if version != change.base_version {
        return Err(StoreError::Conflict(format!(
            "the bid changed since version {} (it is at version {version} now): reload it and \
             make your change again",
            change.base_version
        )));
    }
    let next = version + 1;
    let plan = json(&change.plan)?;
    conn.prepare_cached(
        "UPDATE bids SET status = ?2, version = ?3, plan = ?4, updated_at = ?5 WHERE id = ?1",
    )?
    .execute(params![
        id,
        change.status.as_str(),
        to_column(next),
        plan,
        to_column(now.0)
    ])?;
    add_version(
        conn,
        id,
        next,
        now,
        &change.by,
        change.status,
        &plan,
        &change.changes,
    )?;
    Ok(next)
}

/// Every version of a bid, oldest first.
pub fn history(conn: &Connection, bid_id: &str) -> Result<Vec<BidVersion>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT v.version, v.at, v.by_user, v.status, v.plan, v.changes FROM bid_versions AS v \
         JOIN bids AS b ON b.id = v.bid WHERE b.bid_id = ?1 ORDER BY v.version",
    )?;
    let rows = query.query_map([bid_id], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (version, at, by, word, plan, changes) = row?;
        out.push(BidVersion {
            version: from_column(version),
            at: Timestamp(from_column(at)),
            by,
            status: status(&word)?,
            plan: unjson(&plan)?,
            changes: unjson(&changes)?,
        });
    }
    Ok(out)
}

/// How many of our bids created since `since` name each co-op in a role.
pub fn invitations(
    conn: &Connection,
    since: Timestamp,
) -> Result<HashMap<String, u32>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT json_extract(r.value, '$.coop') AS coop, count(DISTINCT b.id) \
         FROM bids AS b, json_each(b.plan, '$.roles') AS r WHERE b.created_at >= ?1 GROUP BY coop",
    )?;
    let rows = query.query_map([to_column(since.0)], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The co-ops having any of `terms` (taxonomy keys), through
/// `coop_terms`: one line per co-op and term.
pub fn term_holders(conn: &Connection, terms: &[String]) -> Result<Vec<TermHolder>, StoreError> {
    let mut out = Vec::new();
    let mut query = conn.prepare_cached(
        "SELECT DISTINCT c.author, c.name FROM coop_terms AS k JOIN coops AS c ON c.id = k.coop \
         WHERE k.term = ?1",
    )?;
    for term in terms {
        let rows = query.query_map([term], |row| {
            Ok((row.get::<_, [u8; 32]>(0)?, row.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (author, name) = row?;
            out.push(TermHolder {
                author: key(author)?,
                name,
                term: term.clone(),
            });
        }
    }
    Ok(out)
}

/// The current capacity record bodies of `authors` (those that have one),
/// as signed bytes.
pub fn capacity_records(
    conn: &Connection,
    authors: &[PublicKey],
) -> Result<Vec<(PublicKey, Vec<u8>)>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT bytes FROM records WHERE author = ?1 AND kind = ?2 AND key = '' AND tombstone = 0",
    )?;
    let mut out = Vec::new();
    for author in authors {
        let bytes: Option<Vec<u8>> = query
            .query_row(
                params![&author.as_bytes()[..], Kind::Capacity.code().0],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(bytes) = bytes {
            out.push((*author, bytes));
        }
    }
    Ok(out)
}

/// The top of every published day-rate band in `currency` (one per
/// capacity window): what the builder prices days at, so the median of
/// these is the day rate its estimates use.
pub fn band_tops(conn: &Connection, currency: &str) -> Result<Vec<u32>, StoreError> {
    let mut query = conn.prepare_cached("SELECT rate_max FROM coop_windows WHERE currency = ?1")?;
    let rows = query.query_map([currency], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Names of these co-ops from their profiles (those that have one).
pub fn coop_names(
    conn: &Connection,
    coops: &[PublicKey],
) -> Result<HashMap<PublicKey, String>, StoreError> {
    let mut query =
        conn.prepare_cached("SELECT name FROM coops WHERE author = ?1 AND name != ''")?;
    let mut out = HashMap::new();
    for coop in coops {
        let name: Option<String> = query
            .query_row([&coop.as_bytes()[..]], |row| row.get(0))
            .optional()?;
        if let Some(name) = name {
            out.insert(*coop, name);
        }
    }
    Ok(out)
}

/// Committed at `synchronous=FULL` before the call returns.
const DURABLE: bool = true;

impl Store {
    /// The days our bid managers set for a contract's skills.
    pub async fn contract_needs(
        &self,
        author: PublicKey,
        key: String,
    ) -> Result<Vec<(String, u32)>, StoreError> {
        self.read(move |conn| needs(conn, &author, &key)).await
    }

    /// Replaces the days set for a contract's skills.
    pub async fn set_contract_needs(
        &self,
        author: PublicKey,
        key: String,
        days: Vec<(String, u32)>,
    ) -> Result<(), StoreError> {
        self.write_job(DURABLE, move |conn, _| {
            set_needs(conn, &author, &key, &days)
        })
        .await
    }

    /// Stores a new bid.
    pub async fn insert_bid(&self, bid: NewBid) -> Result<(), StoreError> {
        self.write_job(DURABLE, move |conn, now| insert_bid(conn, &bid, now))
            .await
    }

    /// The bid with this id.
    pub async fn bid(&self, bid_id: String) -> Result<Option<Bid>, StoreError> {
        self.read(move |conn| bid(conn, &bid_id)).await
    }

    /// A page of our bids (see [`bids`]).
    pub async fn bids(
        &self,
        status: Option<BidStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Bid>, usize), StoreError> {
        self.read(move |conn| bids(conn, status, offset, limit))
            .await
    }

    /// Applies a change as a new version (see [`change_bid`]).
    pub async fn change_bid(&self, bid_id: String, change: BidChange) -> Result<u64, StoreError> {
        self.write_job(DURABLE, move |conn, now| {
            change_bid(conn, &bid_id, &change, now)
        })
        .await
    }

    /// Every version of a bid, oldest first.
    pub async fn bid_history(&self, bid_id: String) -> Result<Vec<BidVersion>, StoreError> {
        self.read(move |conn| history(conn, &bid_id)).await
    }

    /// Runs `work` on a reader: for the consortium builder, which reads
    /// several of the functions above at once.
    pub async fn read_bids<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.read(work).await
    }
}
