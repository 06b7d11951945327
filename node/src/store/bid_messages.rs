//! Private bid messages this node took (SPEC §11) and its ledger of each
//! bid (migration 5). A message and the ledger it moved are written in one
//! transaction at `synchronous=FULL`, before the sender is told `taken`.

use coopnet_bids::negotiation::Ledger;
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

/// Stores a message taken and the ledger it moved, together.
pub fn take(
    conn: &Connection,
    message: &SignedMessage,
    ledger: &Ledger,
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
    put_ledger(conn, ledger)
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

    /// Stores a message judged `taken` with the ledger it moved, durably.
    pub async fn take_bid_message(
        &self,
        message: SignedMessage,
        ledger: Ledger,
    ) -> Result<(), StoreError> {
        self.write_job(true, move |conn, now| take(conn, &message, &ledger, now))
            .await
    }

    /// Every message taken about a bid.
    pub async fn bid_messages(&self, bid: BidId) -> Result<Vec<SignedMessage>, StoreError> {
        self.read(move |conn| messages(conn, &bid)).await
    }
}
