//! Keeping the partner-search tables (`coops`, `coop_skills`,
//! `coop_terms`, `coop_windows`) in step with the current profile, skills and capacity
//! records, and rebuilding them from `records`.
//!
//! Only the empty-key slot of each kind is indexed: it is the one slot those
//! kinds have (SPEC §3.1, enforced by validation), so a record with another
//! key cannot reach the store; it would be ignored if one did.

use coopnet_protocol::kinds::{Capacity, Profile, SkillLevel, Skills};
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Body, Header, Kind, KindCode, PublicKey, SignedRecord};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::store::StoreError;
use crate::store::db::to_column;

/// Whether records of this kind and key feed the partner-search tables.
fn is_indexed(kind: KindCode, key: &str) -> bool {
    key.is_empty()
        && matches!(
            Kind::from_code(kind),
            Some(Kind::Profile | Kind::Skills | Kind::Capacity)
        )
}

/// Replaces the co-op's rows of the record's kind with what `body` says
/// (`None`, a tombstone, leaves none). Call it when the record has just
/// become the current one of slot `slot`, in the same transaction, after
/// writing it to `records`.
pub(crate) fn reindex(
    conn: &Connection,
    slot: i64,
    header: &Header,
    body: Option<&Body>,
) -> Result<(), StoreError> {
    if !is_indexed(header.kind, &header.key) {
        return Ok(());
    }
    let author = &header.author.as_bytes()[..];
    // A withdrawal needs no row; anything else makes sure there is one.
    let Some(coop) = coop_id(conn, author, body.is_some())? else {
        return Ok(());
    };
    match (Kind::from_code(header.kind), body) {
        (Some(Kind::Profile), Some(Body::Profile(profile))) => {
            put_profile(conn, coop, profile, header)?;
        }
        (Some(Kind::Profile), _) => clear_profile(conn, coop)?,
        (Some(Kind::Skills), body) => {
            conn.prepare_cached("DELETE FROM coop_skills WHERE coop = ?1")?
                .execute([coop])?;
            conn.prepare_cached("DELETE FROM coop_terms WHERE coop = ?1")?
                .execute([coop])?;
            if let Some(Body::Skills(skills)) = body {
                put_skills(conn, coop, skills)?;
            }
        }
        (Some(Kind::Capacity), body) => {
            conn.prepare_cached("DELETE FROM coop_windows WHERE coop = ?1")?
                .execute([coop])?;
            let capacity = match body {
                Some(Body::Capacity(capacity)) => Some(capacity),
                _ => None,
            };
            put_windows(conn, coop, capacity)?;
        }
        _ => {}
    }
    // Free text reaches the co-op through its live slots.
    let map = match body {
        Some(_) => "INSERT OR REPLACE INTO coop_slots (slot, coop) VALUES (?1, ?2)",
        None => "DELETE FROM coop_slots WHERE slot = ?1 AND coop = ?2",
    };
    conn.prepare_cached(map)?.execute([slot, coop])?;
    prune(conn, coop)
}

/// The co-op's `coops.id`; when it has none and `create`, a new row (its
/// profile columns empty) whose `coop_slots` map every current indexed
/// slot of the co-op.
fn coop_id(conn: &Connection, author: &[u8], create: bool) -> Result<Option<i64>, StoreError> {
    let found = conn
        .prepare_cached("SELECT id FROM coops WHERE author = ?1")?
        .query_row([author], |row| row.get(0))
        .optional()?;
    if found.is_some() || !create {
        return Ok(found);
    }
    conn.prepare_cached("INSERT INTO coops (author) VALUES (?1)")?
        .execute([author])?;
    let coop = conn.last_insert_rowid();
    let codes = [Kind::Profile, Kind::Skills, Kind::Capacity].map(|k| k.code().0);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO coop_slots (slot, coop) SELECT slot, ?1 FROM records \
         WHERE author = ?2 AND kind IN (?3, ?4, ?5) AND key = '' AND tombstone = 0",
    )?
    .execute(params![coop, author, codes[0], codes[1], codes[2]])?;
    Ok(Some(coop))
}

fn put_profile(
    conn: &Connection,
    coop: i64,
    profile: &Profile,
    header: &Header,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE coops SET name = ?2, summary = ?3, region = ?4, region_key = ?5, country = ?6, \
         member_count = ?7, issued_at = ?8 WHERE id = ?1",
    )?
    .execute(params![
        coop,
        profile.name,
        profile.summary,
        profile.region,
        region_key(&profile.region),
        profile.country,
        profile.member_count,
        to_column(header.issued_at.0),
    ])?;
    Ok(())
}

/// The form of a region that [`super::CoopQuery::region`] is compared in:
/// trimmed and lower-cased (Unicode).
pub fn region_key(region: &str) -> String {
    region.trim().to_lowercase()
}

fn clear_profile(conn: &Connection, coop: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE coops SET name = '', summary = '', region = '', region_key = '', \
         country = '', member_count = NULL, issued_at = NULL WHERE id = ?1",
    )?
    .execute([coop])?;
    Ok(())
}

fn put_skills(conn: &Connection, coop: i64, skills: &Skills) -> Result<(), StoreError> {
    // Two names may be the same skill ("js", "JavaScript"): the first name
    // stays, with the better level and headcount of the two.
    let mut insert = conn.prepare_cached(
        "INSERT INTO coop_skills (coop, skill, name, level, headcount) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (coop, skill) DO UPDATE SET \
         level = max(level, excluded.level), headcount = max(headcount, excluded.headcount)",
    )?;
    let mut found_by = conn.prepare_cached(
        "INSERT OR IGNORE INTO coop_terms (coop, skill, term) VALUES (?1, ?2, ?3)",
    )?;
    let taxonomy = Taxonomy::esco();
    for entry in &skills.entries {
        let Some((skill, terms)) = taxonomy.entry_terms(entry) else {
            continue;
        };
        let level = match entry.level {
            SkillLevel::Working => 0,
            SkillLevel::Proficient => 1,
            SkillLevel::Expert => 2,
        };
        insert.execute(params![coop, skill, entry.name, level, entry.headcount])?;
        for term in terms {
            found_by.execute(params![coop, skill, term])?;
        }
    }
    Ok(())
}

/// Writes the windows (none for `None`) and the co-op's summary of them.
fn put_windows(
    conn: &Connection,
    coop: i64,
    capacity: Option<&Capacity>,
) -> Result<(), StoreError> {
    let windows = capacity.map_or(&[][..], |c| &c.windows[..]);
    let mut insert = conn.prepare_cached(
        "INSERT INTO coop_windows (coop, seq, from_day, to_day, person_days, rate_min, \
         rate_max, currency) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (seq, window) in windows.iter().enumerate() {
        insert.execute(params![
            coop,
            seq as i64,
            window.from.days(),
            window.to.days(),
            window.person_days,
            window.rate.min,
            window.rate.max,
            window.rate.currency,
        ])?;
    }
    let days: u64 = windows.iter().map(|w| u64::from(w.person_days)).sum();
    // The first of the windows with the lowest minimum rate.
    let cheapest = windows
        .iter()
        .reduce(|best, w| if w.rate.min < best.rate.min { w } else { best });
    conn.prepare_cached(
        "UPDATE coops SET days_total = ?2, rate_min = ?3, rate_currency = ?4 WHERE id = ?1",
    )?
    .execute(params![
        coop,
        to_column(days),
        cheapest.map(|w| w.rate.min),
        cheapest.map(|w| &w.rate.currency),
    ])?;
    Ok(())
}

/// Drops the co-op's `coops` row (and slot map) once it has no profile,
/// skills or windows.
fn prune(conn: &Connection, coop: i64) -> Result<(), StoreError> {
    let empty: bool = conn
        .prepare_cached(
            "SELECT issued_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM coop_skills WHERE coop = ?1) \
             AND NOT EXISTS (SELECT 1 FROM coop_windows WHERE coop = ?1) \
             FROM coops WHERE id = ?1",
        )?
        .query_row([coop], |row| row.get(0))?;
    if empty {
        conn.prepare_cached("DELETE FROM coop_slots WHERE coop = ?1")?
            .execute([coop])?;
        conn.prepare_cached("DELETE FROM coops WHERE id = ?1")?
            .execute([coop])?;
    }
    Ok(())
}

/// Rebuilds the partner-search tables when they were built with another
/// taxonomy than this code's, or never built (a file fresh from the
/// migrations), in one transaction, and records the taxonomy's fingerprint.
pub fn refresh(conn: &mut Connection) -> Result<(), StoreError> {
    let fingerprint = Taxonomy::esco().fingerprint();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let built: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE name = 'taxonomy'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    if built.as_deref() == Some(fingerprint) {
        return Ok(());
    }
    backfill(&tx)?;
    // The dashboard's skill keys come from the taxonomy too.
    crate::store::network::backfill(&tx)?;
    tx.execute(
        "INSERT OR REPLACE INTO meta (name, value) VALUES ('taxonomy', ?1)",
        [fingerprint],
    )?;
    tx.commit()?;
    tracing::info!(taxonomy = fingerprint, "partner search tables built");
    Ok(())
}

/// Rebuilds the partner-search tables from the current records. Stored
/// records were verified when they arrived, so one that no longer decodes
/// means a damaged file.
pub fn backfill(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "DELETE FROM coop_skills; DELETE FROM coop_terms; DELETE FROM coop_windows; \
         DELETE FROM coop_slots; DELETE FROM coops;",
    )?;
    let mut query = conn.prepare(
        "SELECT slot, bytes FROM records \
         WHERE kind IN (?1, ?2, ?3) AND key = '' AND tombstone = 0 ORDER BY slot",
    )?;
    let codes = [Kind::Profile, Kind::Skills, Kind::Capacity].map(|k| k.code().0);
    let mut rows = query.query(codes)?;
    let mut count = 0_u64;
    while let Some(row) = rows.next()? {
        let slot: i64 = row.get(0)?;
        let bytes: Vec<u8> = row.get(1)?;
        let record = SignedRecord::decode(bytes)
            .map_err(|e| StoreError::Corrupt(format!("a stored record does not decode: {e}")))?;
        let header = record.header();
        let body = record
            .body_bytes()
            .map(|bytes| Body::decode(header.kind, bytes))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("a stored body does not decode: {e}")))?;
        reindex(conn, slot, header, body.as_ref())?;
        count += 1;
    }
    tracing::debug!(records = count, "partner search tables filled");
    Ok(())
}

/// The authors named by revocation records (their key is the member's key),
/// tombstoned ones included: a superset of the revoked members, for the
/// caller to check against the roster.
pub fn revocation_subjects(conn: &Connection) -> Result<Vec<PublicKey>, StoreError> {
    let mut query = conn.prepare_cached("SELECT DISTINCT key FROM records WHERE kind = ?1")?;
    let keys = query
        .query_map([Kind::Revocation.code().0], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    // Validation refuses a revocation whose key is not a member's key.
    Ok(keys.iter().filter_map(|key| key.parse().ok()).collect())
}
