//! Private bid messages this node took (SPEC §11) and its ledger of each
//! bid (migration 5). A message and the ledger it moved are written in one
//! transaction at `synchronous=FULL`, before the sender is told `taken`.

use coopnet_bids::negotiation::Ledger;
use coopnet_bids::status::BidStatus;
use coopnet_protocol::bidwire::{BidId, Body, SignedMessage};
use rusqlite::{Connection, OptionalExtension, params};

use super::db::to_column;
use super::{Store, StoreError};

/// A message's kind as stored.
pub fn kind(message: &SignedMessage) -> &'static str {
    match message.message.body {
        Body::Invite(_) => "invite",
        Body::Answer(_) => "answer",
        Body::Freeze(_) => "freeze",
        Body::Sign(_) => "sign",
        Body::Outcome(_) => "outcome",
    }
}

/// This node's ledger of a bid, if it takes part in it.
pub fn ledger(conn: &Connection, bid: &BidId) -> Result<Option<Ledger>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT ledger FROM bid_ledgers WHERE bid = ?1")?
        .query_row([&bid[..]], |row| row.get(0))
        .optional()?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("a bid ledger: {e}")))
    })
    .transpose()
}

/// Writes a ledger.
pub fn put_ledger(conn: &Connection, ledger: &Ledger) -> Result<(), StoreError> {
    let text = serde_json::to_string(ledger).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    conn.prepare_cached("INSERT OR REPLACE INTO bid_ledgers (bid, ledger) VALUES (?1, ?2)")?
        .execute(params![&ledger.bid[..], text])?;
    Ok(())
}

/// Stores a message taken and the ledger it moved, together; with
/// `agreed`, the signature completed the agreement of that bid of ours
/// (its id), which moves from inviting to agreed in the same transaction.
pub fn take(
    conn: &Connection,
    message: &SignedMessage,
    ledger: &Ledger,
    agreed: Option<&str>,
    now: coopnet_protocol::Timestamp,
) -> Result<(), StoreError> {
    let m = &message.message;
    conn.prepare_cached(
        "INSERT INTO bid_messages (bid, sender, seq, version, kind, bytes, received_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        &m.bid[..],
        &m.sender.as_bytes()[..],
        to_column(m.seq),
        to_column(m.bid_version),
        kind(message),
        message.encode(),
        to_column(now.0),
    ])?;
    put_ledger(conn, ledger)?;
    if let Some(bid_id) = agreed
        && let Some(bid) = super::bids::bid(conn, bid_id)?
        && bid.status == BidStatus::Inviting
    {
        let change = super::bids::BidChange {
            base_version: bid.version,
            status: BidStatus::Agreed,
            plan: bid.plan,
            by: "coopnet".to_owned(),
            changes: vec!["Status: inviting → agreed (every partner signed)".to_owned()],
        };
        super::bids::change_bid(conn, bid_id, &change, now)?;
    }
    Ok(())
}

/// Every message taken about a bid, in the order taken.
pub fn messages(conn: &Connection, bid: &BidId) -> Result<Vec<SignedMessage>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT bytes FROM bid_messages WHERE bid = ?1 ORDER BY received_at, sender, seq",
    )?;
    let rows = query.query_map([&bid[..]], |row| row.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for bytes in rows {
        let bytes = bytes?;
        out.push(SignedMessage::decode(&bytes).map_err(|e| {
            StoreError::Corrupt(format!("a stored bid message does not decode: {e}"))
        })?);
    }
    Ok(out)
}

impl Store {
    /// This node's ledger of a bid.
    pub async fn bid_ledger(&self, bid: BidId) -> Result<Option<Ledger>, StoreError> {
        self.read(move |conn| ledger(conn, &bid)).await
    }

    /// Stores a message judged `taken` with the ledger it moved, durably
    /// (see [`take`] for `agreed`).
    pub async fn take_bid_message(
        &self,
        message: SignedMessage,
        ledger: Ledger,
        agreed: Option<String>,
    ) -> Result<(), StoreError> {
        self.write_job(true, move |conn, now| {
            take(conn, &message, &ledger, agreed.as_deref(), now)
        })
        .await
    }

    /// Every message taken about a bid.
    pub async fn bid_messages(&self, bid: BidId) -> Result<Vec<SignedMessage>, StoreError> {
        self.read(move |conn| messages(conn, &bid)).await
    }
}

/// A message waiting in (or answered from) the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Its row.
    pub id: i64,
    /// Who it is for.
    pub recipient: coopnet_protocol::PublicKey,
    /// Its sequence number.
    pub seq: u64,
    /// The signed message.
    pub bytes: Vec<u8>,
    /// Tries so far.
    pub attempts: u32,
    /// The answer's status byte, once answered.
    pub status: Option<u8>,
    /// The answer's reason.
    pub reason: Option<String>,
}

/// An outbox row's columns as read.
type QueuedParts = (i64, [u8; 32], i64, Vec<u8>, u32, Option<u8>, Option<String>);

/// Signs `message` with the next sequence number for its (bid,
/// recipient) and queues it, due now; returns the row.
pub fn enqueue(
    conn: &Connection,
    mut message: coopnet_protocol::bidwire::Unsigned,
    key: &coopnet_protocol::SecretKey,
    now: coopnet_protocol::Timestamp,
) -> Result<Queued, StoreError> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT max(seq) FROM bid_outbox WHERE bid = ?1 AND recipient = ?2")?
        .query_row(
            params![&message.bid[..], &message.recipient.as_bytes()[..]],
            |row| row.get(0),
        )?;
    message.seq = last.map_or(1, |s| super::db::from_column(s) + 1);
    let recipient = message.recipient;
    let seq = message.seq;
    let bid = message.bid;
    let bytes = message.sign(key).encode();
    conn.prepare_cached(
        "INSERT INTO bid_outbox (bid, recipient, seq, bytes, queued_at, next_attempt) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![
        &bid[..],
        &recipient.as_bytes()[..],
        to_column(seq),
        bytes,
        to_column(now.0)
    ])?;
    Ok(Queued {
        id: conn.last_insert_rowid(),
        recipient,
        seq,
        bytes,
        attempts: 0,
        status: None,
        reason: None,
    })
}

fn queued(row: &rusqlite::Row<'_>) -> rusqlite::Result<QueuedParts> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn to_queued(parts: QueuedParts) -> Result<Queued, StoreError> {
    let (id, recipient, seq, bytes, attempts, status, reason) = parts;
    Ok(Queued {
        id,
        recipient: coopnet_protocol::PublicKey::from_bytes(&recipient)
            .map_err(|e| StoreError::Corrupt(format!("an outbox recipient: {e}")))?,
        seq: super::db::from_column(seq),
        bytes,
        attempts,
        status,
        reason,
    })
}

const QUEUED: &str = "SELECT id, recipient, seq, bytes, attempts, status, reason FROM bid_outbox";

/// Messages due at `now`: the first unanswered one of each (bid,
/// recipient), oldest first, at most `limit`.
pub fn due(
    conn: &Connection,
    now: coopnet_protocol::Timestamp,
    limit: usize,
) -> Result<Vec<Queued>, StoreError> {
    let sql = format!(
        "{QUEUED} AS o WHERE answered_at IS NULL AND next_attempt <= ?1 AND NOT EXISTS \
         (SELECT 1 FROM bid_outbox AS e WHERE e.bid = o.bid AND e.recipient = o.recipient \
          AND e.answered_at IS NULL AND e.seq < o.seq) ORDER BY next_attempt, id LIMIT ?2"
    );
    let mut query = conn.prepare_cached(&sql)?;
    let rows = query.query_map(params![to_column(now.0), limit as i64], queued)?;
    rows.map(|r| to_queued(r?)).collect()
}

/// When the earliest unanswered message is due (`None`: the outbox is
/// empty). A message in flight counts at its last due time.
pub fn next_due(conn: &Connection) -> Result<Option<coopnet_protocol::Timestamp>, StoreError> {
    let at: Option<i64> = conn
        .prepare_cached("SELECT min(next_attempt) FROM bid_outbox WHERE answered_at IS NULL")?
        .query_row([], |row| row.get(0))?;
    Ok(at.map(|at| coopnet_protocol::Timestamp(super::db::from_column(at))))
}

/// Records an answer (`status` = None: not delivered, try again at
/// `retry_at`).
pub fn answered(
    conn: &Connection,
    id: i64,
    answer: Option<(u8, &str)>,
    retry_at: coopnet_protocol::Timestamp,
    now: coopnet_protocol::Timestamp,
) -> Result<(), StoreError> {
    match answer {
        Some((status, reason)) => conn
            .prepare_cached(
                "UPDATE bid_outbox SET attempts = attempts + 1, answered_at = ?2, status = ?3, \
                 reason = ?4 WHERE id = ?1",
            )?
            .execute(params![id, to_column(now.0), status, reason])?,
        None => conn
            .prepare_cached(
                "UPDATE bid_outbox SET attempts = attempts + 1, next_attempt = ?2 WHERE id = ?1",
            )?
            .execute(params![id, to_column(retry_at.0)])?,
    };
    Ok(())
}

/// Every outbox row of a bid, in order.
pub fn outbox(conn: &Connection, bid: &BidId) -> Result<Vec<Queued>, StoreError> {
    let sql = format!("{QUEUED} WHERE bid = ?1 ORDER BY recipient, seq");
    let mut query = conn.prepare_cached(&sql)?;
    let rows = query.query_map([&bid[..]], queued)?;
    rows.map(|r| to_queued(r?)).collect()
}

impl Store {
    /// Signs and queues a bid message durably (see [`enqueue`]).
    pub async fn enqueue_bid(
        &self,
        message: coopnet_protocol::bidwire::Unsigned,
        key: std::sync::Arc<coopnet_protocol::SecretKey>,
    ) -> Result<Queued, StoreError> {
        self.write_job(true, move |conn, now| enqueue(conn, message, &key, now))
            .await
    }

    /// Applies a change to one of our bids as a new version and queues, in
    /// the same transaction, the messages `tell` makes for that version
    /// (numbered and signed with `key`): a move and what the partners are
    /// told of it stand or fall together, whatever crashes when.
    pub async fn change_bid_and_queue(
        &self,
        bid_id: String,
        change: crate::store::bids::BidChange,
        tell: impl FnOnce(u64) -> Vec<coopnet_protocol::bidwire::Unsigned> + Send + 'static,
        key: std::sync::Arc<coopnet_protocol::SecretKey>,
    ) -> Result<u64, StoreError> {
        self.write_job(true, move |conn, now| {
            let version = super::bids::change_bid(conn, &bid_id, &change, now)?;
            for message in tell(version) {
                enqueue(conn, message, &key, now)?;
            }
            Ok(version)
        })
        .await
    }

    /// Messages due now (see [`due`]), and when the earliest unanswered
    /// one is due (see [`next_due`]), in one read.
    pub async fn due_bids(
        &self,
        limit: usize,
    ) -> Result<(Vec<Queued>, Option<coopnet_protocol::Timestamp>), StoreError> {
        let now = crate::clock::now();
        self.read(move |conn| Ok((due(conn, now, limit)?, next_due(conn)?)))
            .await
    }

    /// Records an attempt's outcome (see [`answered`]).
    pub async fn bid_answered(
        &self,
        id: i64,
        answer: Option<(u8, String)>,
        retry_at: coopnet_protocol::Timestamp,
    ) -> Result<(), StoreError> {
        self.write_job(true, move |conn, now| {
            answered(
                conn,
                id,
                answer.as_ref().map(|(s, r)| (*s, r.as_str())),
                retry_at,
                now,
            )
        })
        .await
    }

    /// Every outbox row of a bid.
    pub async fn bid_outbox(&self, bid: BidId) -> Result<Vec<Queued>, StoreError> {
        self.read(move |conn| outbox(conn, &bid)).await
    }
}

/// Bids whose ledger names another co-op than `us` as lead: those we were
/// invited to.
pub fn invited_to(
    conn: &Connection,
    us: &coopnet_protocol::PublicKey,
) -> Result<Vec<BidId>, StoreError> {
    let mut query = conn.prepare_cached("SELECT bid, ledger FROM bid_ledgers")?;
    let rows = query.query_map([], |row| {
        Ok((row.get::<_, [u8; 16]>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (bid, text) = row?;
        let ledger: Ledger = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("a bid ledger: {e}")))?;
        if ledger.lead != *us {
            out.push(bid);
        }
    }
    Ok(out)
}

impl Store {
    /// Writes our ledger of a bid, durably.
    pub async fn put_bid_ledger(&self, ledger: Ledger) -> Result<(), StoreError> {
        self.write_job(true, move |conn, _| put_ledger(conn, &ledger))
            .await
    }

    /// Bids we were invited to (see [`invited_to`]).
    pub async fn bids_invited_to(
        &self,
        us: coopnet_protocol::PublicKey,
    ) -> Result<Vec<BidId>, StoreError> {
        self.read(move |conn| invited_to(conn, &us)).await
    }
}

impl Store {
    /// How many messages about a bid this node took.
    pub async fn bid_message_count(&self, bid: BidId) -> Result<u64, StoreError> {
        self.read(move |conn| {
            let n: i64 = conn
                .prepare_cached("SELECT count(*) FROM bid_messages WHERE bid = ?1")?
                .query_row([&bid[..]], |row| row.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}
