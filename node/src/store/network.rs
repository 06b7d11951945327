//! The network dashboard's tables (migration 6): what open contracts
//! require (`contract_skills`, with per-skill counts in `skill_demand`),
//! each co-op's latest heartbeat (`node_statuses`) and each bid's public
//! notice (`bid_notices`), derived from the current records and kept in
//! step by `db::ingest` in the same transaction, so the dashboard reads a
//! few small tables instead of every record; and the local `event_log`.

use coopnet_protocol::kinds::ContractStatus;
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Body, Header, Kind, PublicKey, SignedRecord};
use rusqlite::{Connection, params};

use super::StoreError;
use super::db::{from_column, to_column};

/// Most rows the event log keeps.
pub const MAX_EVENTS: i64 = 10_000;

/// Keeps the dashboard's tables in step with the record that just became
/// the current one of slot `slot` (`body` `None`: a withdrawal). Call it
/// in the ingest transaction, after writing `records`.
pub(crate) fn reindex(
    conn: &Connection,
    slot: i64,
    header: &Header,
    body: Option<&Body>,
) -> Result<(), StoreError> {
    log_arrival(conn, header, body)?;
    index(conn, slot, header, body)
}

/// The event a record's arrival makes: an admission, a revocation, or a
/// co-op's node heard from for the first time.
fn log_arrival(conn: &Connection, header: &Header, body: Option<&Body>) -> Result<(), StoreError> {
    let (kind, coop, detail) = match (Kind::from_code(header.kind), body) {
        (Some(Kind::Membership), Some(Body::Membership(m))) => (
            "admitted",
            m.member,
            format!(
                "{} admitted as a {} by {}",
                m.name,
                if m.role == coopnet_protocol::kinds::Role::Coordinator {
                    "coordinator"
                } else {
                    "member"
                },
                header.author.short()
            ),
        ),
        (Some(Kind::Revocation), Some(Body::Revocation(r))) => (
            "revoked",
            r.member,
            format!("revoked by {}: {}", header.author.short(), r.reason),
        ),
        (Some(Kind::NodeStatus), Some(Body::NodeStatus(s))) => {
            let known: bool = conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM node_statuses WHERE author = ?1)")?
                .query_row([&header.author.as_bytes()[..]], |r| r.get(0))?;
            if known {
                return Ok(());
            }
            (
                "joined",
                header.author,
                format!(
                    "its node is online for the first time (coopnet {})",
                    s.software_version
                ),
            )
        }
        _ => return Ok(()),
    };
    let event = EventRow {
        id: 0,
        at: crate::clock::now().0,
        kind: kind.to_owned(),
        coop: Some(coop),
        peer: None,
        detail,
    };
    log_event(conn, event.at, &event)
}

/// Keeps the derived tables in step (no event: also used to rebuild).
fn index(
    conn: &Connection,
    slot: i64,
    header: &Header,
    body: Option<&Body>,
) -> Result<(), StoreError> {
    match Kind::from_code(header.kind) {
        Some(Kind::Contract | Kind::ContractV1) => {
            let open_skills = match body {
                Some(Body::Contract(c)) if c.status == ContractStatus::Open => {
                    Some(&c.required_skills)
                }
                Some(Body::ContractV1(c)) if c.status == ContractStatus::Open => {
                    Some(&c.required_skills)
                }
                _ => None,
            };
            put_contract(conn, slot, open_skills.map(Vec::as_slice).unwrap_or(&[]))
        }
        Some(Kind::NodeStatus) => put_status(conn, header, body),
        Some(Kind::BidNotice) => put_notice(conn, slot, header, body),
        _ => Ok(()),
    }
}

fn put_contract(conn: &Connection, slot: i64, skills: &[String]) -> Result<(), StoreError> {
    let old: Vec<String> = conn
        .prepare_cached("SELECT skill FROM contract_skills WHERE slot = ?1")?
        .query_map([slot], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for skill in &old {
        conn.prepare_cached("UPDATE skill_demand SET contracts = contracts - 1 WHERE skill = ?1")?
            .execute([skill])?;
    }
    conn.prepare_cached("DELETE FROM skill_demand WHERE contracts <= 0")?
        .execute([])?;
    conn.prepare_cached("DELETE FROM contract_skills WHERE slot = ?1")?
        .execute([slot])?;
    let taxonomy = Taxonomy::esco();
    for name in skills {
        let Some(skill) = taxonomy.key(name) else {
            continue;
        };
        let added = conn
            .prepare_cached("INSERT OR IGNORE INTO contract_skills (slot, skill) VALUES (?1, ?2)")?
            .execute(params![slot, skill])?;
        if added == 1 {
            conn.prepare_cached(
                "INSERT INTO skill_demand (skill, name, contracts) VALUES (?1, ?2, 1) \
                 ON CONFLICT (skill) DO UPDATE SET contracts = contracts + 1",
            )?
            .execute(params![skill, name])?;
        }
    }
    Ok(())
}

fn put_status(conn: &Connection, header: &Header, body: Option<&Body>) -> Result<(), StoreError> {
    let author = &header.author.as_bytes()[..];
    let Some(Body::NodeStatus(s)) = body else {
        conn.prepare_cached("DELETE FROM node_statuses WHERE author = ?1")?
            .execute([author])?;
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO node_statuses \
         (author, issued_at, expires_at, software, records, peers, last_sync, uptime) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        author,
        to_column(header.issued_at.0),
        header.expires_at.map(|t| to_column(t.0)),
        s.software_version,
        to_column(s.records_held),
        s.peers_connected,
        s.last_sync.map(|t| to_column(t.0)),
        to_column(s.uptime_seconds),
    ])?;
    Ok(())
}

fn put_notice(
    conn: &Connection,
    slot: i64,
    header: &Header,
    body: Option<&Body>,
) -> Result<(), StoreError> {
    let Some(Body::BidNotice(n)) = body else {
        conn.prepare_cached("DELETE FROM bid_notices WHERE slot = ?1")?
            .execute([slot])?;
        return Ok(());
    };
    let status = serde_json::to_value(n.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    conn.prepare_cached(
        "INSERT OR REPLACE INTO bid_notices (slot, lead, status, issued_at, partners) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        slot,
        &n.lead.as_bytes()[..],
        status,
        to_column(header.issued_at.0),
        n.partners.len() as i64,
    ])?;
    Ok(())
}

/// Fills the dashboard's tables from the current records (migration 6).
pub fn backfill(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "DELETE FROM contract_skills; DELETE FROM skill_demand; \
         DELETE FROM node_statuses; DELETE FROM bid_notices;",
    )?;
    let mut query = conn.prepare(
        "SELECT slot, bytes FROM records WHERE kind IN (?1, ?2, ?3, ?4) AND tombstone = 0",
    )?;
    let codes = [
        Kind::Contract,
        Kind::ContractV1,
        Kind::NodeStatus,
        Kind::BidNotice,
    ]
    .map(|k| k.code().0);
    let mut rows = query.query(codes)?;
    while let Some(row) = rows.next()? {
        let slot: i64 = row.get(0)?;
        let bytes: Vec<u8> = row.get(1)?;
        let record = SignedRecord::decode(bytes)
            .map_err(|e| StoreError::Corrupt(format!("a stored record: {e}")))?;
        let header = record.header().clone();
        let body = record
            .body_bytes()
            .map(|b| Body::decode(header.kind, b))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("a stored record's body: {e}")))?;
        index(conn, slot, &header, body.as_ref())?;
    }
    Ok(())
}

/// A co-op's latest heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    /// The co-op.
    pub coop: PublicKey,
    /// When it was issued (Unix ms).
    pub issued_at: u64,
    /// When it expires (Unix ms).
    pub expires_at: Option<u64>,
    /// The software version.
    pub software: String,
    /// Records its node held.
    pub records: u64,
    /// Peers it was connected to.
    pub peers: u32,
    /// Its last successful sync (Unix ms).
    pub last_sync: Option<u64>,
    /// Seconds it had been up.
    pub uptime: u64,
}

fn key(bytes: &[u8]) -> Result<PublicKey, StoreError> {
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("a stored key is not 32 bytes".into()))?;
    PublicKey::from_bytes(&raw).map_err(|_| StoreError::Corrupt("a stored key".into()))
}

/// Every co-op's latest heartbeat.
pub fn statuses(conn: &Connection) -> Result<Vec<StatusRow>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT author, issued_at, expires_at, software, records, peers, last_sync, uptime \
         FROM node_statuses",
    )?;
    let mut rows = query.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(StatusRow {
            coop: key(&r.get::<_, Vec<u8>>(0)?)?,
            issued_at: from_column(r.get(1)?),
            expires_at: r.get::<_, Option<i64>>(2)?.map(from_column),
            software: r.get(3)?,
            records: from_column(r.get(4)?),
            peers: r.get(5)?,
            last_sync: r.get::<_, Option<i64>>(6)?.map(from_column),
            uptime: from_column(r.get(7)?),
        });
    }
    Ok(out)
}

/// A skill open contracts require, and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandRow {
    /// Its taxonomy key.
    pub skill: String,
    /// Its name as a contract wrote it.
    pub name: String,
    /// Open contracts requiring it.
    pub contracts: u64,
}

/// Skills open contracts require, most required first, at most `limit`.
pub fn demand(conn: &Connection, limit: usize) -> Result<Vec<DemandRow>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT skill, name, contracts FROM skill_demand \
         ORDER BY contracts DESC, skill LIMIT ?1",
    )?;
    let rows = query.query_map([limit as i64], |r| {
        Ok(DemandRow {
            skill: r.get(0)?,
            name: r.get(1)?,
            contracts: from_column(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The co-ops (by `coops.id`) with a skill found by `term`, and the
/// headcount they gave it.
pub fn holders(conn: &Connection, term: &str) -> Result<Vec<(i64, u64)>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT t.coop, max(s.headcount) FROM coop_terms t \
         JOIN coop_skills s ON s.coop = t.coop AND s.skill = t.skill \
         WHERE t.term = ?1 GROUP BY t.coop",
    )?;
    let rows = query.query_map([term], |r| Ok((r.get(0)?, from_column(r.get(1)?))))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A capacity window of a co-op (by `coops.id`), days since 1970.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowRow {
    /// The co-op.
    pub coop: i64,
    /// First day, inclusive.
    pub from: i64,
    /// Last day, inclusive.
    pub to: i64,
    /// Free person-days over the window.
    pub days: u64,
}

/// Every window ending on or after `from_day`, of co-ops in `region` (a
/// region key) if given.
pub fn windows(
    conn: &Connection,
    from_day: i64,
    region: Option<&str>,
) -> Result<Vec<WindowRow>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT w.coop, w.from_day, w.to_day, w.person_days FROM coop_windows w \
         JOIN coops c ON c.id = w.coop \
         WHERE w.to_day >= ?1 AND (?2 IS NULL OR c.region_key = ?2)",
    )?;
    let rows = query.query_map(params![from_day, region], |r| {
        Ok(WindowRow {
            coop: r.get(0)?,
            from: r.get(1)?,
            to: r.get(2)?,
            days: from_column(r.get(3)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Regions co-ops give, by key, with the name first written.
pub fn regions(conn: &Connection) -> Result<Vec<(String, String)>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT region_key, min(region) FROM coops WHERE region_key != '' \
         GROUP BY region_key ORDER BY region_key",
    )?;
    let rows = query.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A bid's public notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    /// The lead co-op.
    pub lead: PublicKey,
    /// `forming`, `submitted`, `won`, `lost` or `withdrawn`.
    pub status: String,
    /// When it last changed (Unix ms).
    pub issued_at: u64,
    /// Partners named.
    pub partners: u64,
}

/// Every bid notice.
pub fn notices(conn: &Connection) -> Result<Vec<NoticeRow>, StoreError> {
    let mut query =
        conn.prepare_cached("SELECT lead, status, issued_at, partners FROM bid_notices")?;
    let rows = query.query_map([], |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, String>(1)?,
            from_column(r.get(2)?),
            from_column(r.get(3)?),
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (lead, status, issued_at, partners) = row?;
        out.push(NoticeRow {
            lead: key(&lead)?,
            status,
            issued_at,
            partners,
        });
    }
    Ok(out)
}

/// An entry of the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Its number, growing.
    pub id: i64,
    /// When (Unix ms).
    pub at: u64,
    /// `admitted`, `revoked`, `joined`, `rejected`, `blocked`, …
    pub kind: String,
    /// The co-op it is about, if any.
    pub coop: Option<PublicKey>,
    /// The peer it came from, if any.
    pub peer: Option<String>,
    /// What happened, in words.
    pub detail: String,
}

/// Appends to the event log, dropping the oldest rows beyond
/// [`MAX_EVENTS`].
pub fn log_event(conn: &Connection, at: u64, event: &EventRow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO event_log (at, kind, coop, peer, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        to_column(at),
        event.kind,
        event.coop.map(|k| k.as_bytes().to_vec()),
        event.peer,
        event.detail,
    ])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached("DELETE FROM event_log WHERE id <= ?1")?
        .execute([id - MAX_EVENTS])?;
    Ok(())
}

/// The newest `limit` events, newest first.
pub fn events(conn: &Connection, limit: usize) -> Result<Vec<EventRow>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT id, at, kind, coop, peer, detail FROM event_log ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = query.query_map([limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            from_column(r.get(1)?),
            r.get::<_, String>(2)?,
            r.get::<_, Option<Vec<u8>>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, at, kind, coop, peer, detail) = row?;
        out.push(EventRow {
            id,
            at,
            kind,
            coop: coop.as_deref().map(key).transpose()?,
            peer,
            detail,
        });
    }
    Ok(out)
}

/// The dashboard's reads and the event log, on the store's threads.
impl super::Store {
    /// Appends an event to the log (committed at `synchronous=NORMAL`: an
    /// event lost to a power cut is not an acknowledged write).
    pub async fn log_event(&self, event: crate::monitor::Event) -> Result<(), StoreError> {
        self.write_job(false, move |conn, now| {
            let row = EventRow {
                id: 0,
                at: now.0,
                kind: event.kind.to_owned(),
                coop: event.coop,
                peer: event.peer,
                detail: event.detail,
            };
            log_event(conn, now.0, &row)
        })
        .await
    }

    /// Runs `work` on a reader (the dashboard reads several tables at once).
    pub async fn read_network<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.read(work).await
    }
}

/// Every co-op's name, by key (those with a profile).
pub fn names(
    conn: &Connection,
) -> Result<std::collections::HashMap<PublicKey, String>, StoreError> {
    let mut query = conn.prepare_cached("SELECT author, name FROM coops WHERE name != ''")?;
    let mut rows = query.query([])?;
    let mut out = std::collections::HashMap::new();
    while let Some(r) = rows.next()? {
        out.insert(key(&r.get::<_, Vec<u8>>(0)?)?, r.get(1)?);
    }
    Ok(out)
}

/// Every co-op with a profile, skills or capacity (the members of an open
/// network), by `coops.id`.
pub fn coops(conn: &Connection) -> Result<Vec<(i64, PublicKey)>, StoreError> {
    let mut query = conn.prepare_cached("SELECT id, author FROM coops")?;
    let mut rows = query.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push((r.get(0)?, key(&r.get::<_, Vec<u8>>(1)?)?));
    }
    Ok(out)
}

/// When each current membership lapses (Unix ms; `None`: never), by the
/// member's key in hex (the membership record's key).
pub fn membership_expiries(
    conn: &Connection,
) -> Result<std::collections::HashMap<String, Option<u64>>, StoreError> {
    let mut query = conn
        .prepare_cached("SELECT key, expires_at FROM records WHERE kind = ?1 AND tombstone = 0")?;
    let rows = query.query_map([Kind::Membership.code().0], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?.map(from_column),
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
