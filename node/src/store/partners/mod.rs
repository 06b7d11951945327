//! Partner search: which co-ops have the skills, the time and the rates a
//! bid needs, answered by one SQL statement ([`find_coops_sql`]) over
//! tables derived from the current profile, skills and capacity records,
//! kept in step by `db::ingest` and filled on migration by [`backfill`].
//!
//! # Ranking
//!
//! Hits come best first, by these keys in turn:
//!
//! 1. more of the asked skills matched;
//! 2. more person-days available ([`CoopHit::days_available`]);
//! 3. a lower lowest day rate ([`CoopHit::min_rate`]; co-ops with no
//!    counted window come after those with one). Rates in different
//!    currencies are compared as plain numbers;
//! 4. co-ops with a profile before those without one, then by name
//!    (ASCII case-insensitive), then by key, so the order is total.
//!
//! # Filters
//!
//! Every filter given must hold: the skills (all or any), every word of
//! the free text, the region, the minimum person-days and the maximum rate.
//! The window alone filters nothing: it decides which capacity windows
//! count and how much of each (set `min_days` to 1 to ask for co-ops free
//! in the window at all).
//!
//! # Cost
//!
//! Co-ops are joined on a local integer id, never on their 32-byte key.
//! Asked skills are found through `coop_terms_by_term`; without a window,
//! availability comes from per-co-op totals kept in `coops`; with one, the
//! overlapping windows are summed once per query (one pass over
//! `coop_windows`, grouped in key order) and joined by id. Free text is
//! matched in FTS5 by rowid and mapped to co-ops through `coop_slots`.
//! Matched skill names are looked up only for the hits returned. On 10,000
//! co-ops with ten skills and three windows each, a query takes 1–8 ms.

mod index;

use coopnet_protocol::PublicKey;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

use super::StoreError;
use super::text::fts_terms;

pub(crate) use index::reindex;
pub use index::{backfill, refresh, region_key, revocation_subjects};

/// Most skills a [`CoopQuery`] may ask for.
pub const MAX_SKILLS: usize = 20;
pub use coopnet_protocol::search::{CoopHit, CoopPage, CoopQuery, MAX_LIMIT};
/// Most co-ops a [`CoopQuery`] may leave out through [`CoopQuery::hidden`].
pub const MAX_HIDDEN: usize = 10_000;

/// The statement a [`CoopQuery`] runs, with its parameters (numbered
/// `?1`, `?2`, … in this order), for benchmarks and `EXPLAIN QUERY PLAN`.
#[derive(Debug, Clone, PartialEq)]
pub struct CoopSql {
    /// The SQL text.
    pub sql: String,
    /// The values bound to it.
    pub params: Vec<Value>,
    /// How many distinct skills were asked for.
    pub skills_asked: usize,
}

impl CoopSql {
    fn bind(&mut self, value: Value) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }
}

/// Builds the one statement that answers `query`. Refuses a query asking
/// for more than [`MAX_SKILLS`] skills or hiding more than [`MAX_HIDDEN`]
/// co-ops with [`StoreError::Invalid`].
pub fn find_coops_sql(query: &CoopQuery) -> Result<CoopSql, StoreError> {
    let mut skills: Vec<&str> = Vec::with_capacity(query.skills.len());
    for skill in &query.skills {
        if !skills.contains(&skill.as_str()) {
            skills.push(skill);
        }
    }
    if skills.len() > MAX_SKILLS {
        return Err(StoreError::Invalid(format!(
            "a partner search may ask for at most {MAX_SKILLS} skills, not {}",
            skills.len()
        )));
    }
    if query.hidden.len() > MAX_HIDDEN {
        return Err(StoreError::Invalid(format!(
            "a partner search may hide at most {MAX_HIDDEN} co-ops"
        )));
    }
    let mut out = CoopSql {
        sql: String::new(),
        params: Vec::new(),
        skills_asked: skills.len(),
    };
    let mut ctes = Vec::new();

    // The co-ops having the asked skills, and how many of them.
    let (from, matched) = if skills.is_empty() {
        ("coops AS c".to_owned(), "0")
    } else {
        let values: Vec<String> = skills
            .iter()
            .enumerate()
            .map(|(ord, skill)| format!("({ord}, {})", out.bind(Value::Text((*skill).into()))))
            .collect();
        ctes.push(format!(
            "asked (ord, term) AS (VALUES {})",
            values.join(", ")
        ));
        let having = if query.match_all {
            format!(" HAVING count(DISTINCT a.ord) = {}", skills.len())
        } else {
            String::new()
        };
        ctes.push(format!(
            "matched (coop, n) AS (SELECT k.coop, count(DISTINCT a.ord) \
             FROM asked AS a JOIN coop_terms AS k ON k.term = a.term GROUP BY k.coop{having})"
        ));
        (
            "matched AS m JOIN coops AS c ON c.id = m.coop".to_owned(),
            "m.n",
        )
    };

    // What is available: in the window, prorated, or the co-op's totals.
    let (from, days, rate, currency) = match query.window {
        Some((first, last)) => {
            let first = out.bind(Value::Integer(first.days().into()));
            let last = out.bind(Value::Integer(last.days().into()));
            ctes.push(format!(
                "avail (coop, days, rate, currency) AS (SELECT w.coop, \
                 sum(w.person_days * (min(w.to_day, {last}) - max(w.from_day, {first}) + 1) \
                 / (w.to_day - w.from_day + 1)), min(w.rate_min), w.currency \
                 FROM coop_windows AS w WHERE w.to_day >= {first} AND w.from_day <= {last} \
                 GROUP BY w.coop)"
            ));
            // When the filters need a counted window anyway, the co-ops
            // without one are left out early: an inner join, driven by
            // `avail`, is about twice as fast.
            let needs_window = query.min_days.is_some_and(|d| d > 0) || query.max_rate.is_some();
            let join = if needs_window { "JOIN" } else { "LEFT JOIN" };
            (
                format!("{from} {join} avail AS v ON v.coop = c.id"),
                "coalesce(v.days, 0)",
                "v.rate",
                "v.currency",
            )
        }
        None => (from, "c.days_total", "c.rate_min", "c.rate_currency"),
    };

    let mut filters = Vec::new();
    if let Some(region) = &query.region {
        let region = out.bind(Value::Text(region_key(region)));
        filters.push(format!("c.region_key = {region}"));
    }
    let left_out: Vec<String> = query
        .exclude
        .iter()
        .chain(&query.hidden)
        .map(|key| out.bind(Value::Blob(key.as_bytes().to_vec())))
        .collect();
    if !left_out.is_empty() {
        filters.push(format!("c.author NOT IN ({})", left_out.join(", ")));
    }
    for term in query.text.as_deref().map(fts_terms).unwrap_or_default() {
        let term = out.bind(Value::Text(term));
        filters.push(format!(
            "c.id IN (SELECT t.coop FROM search JOIN coop_slots AS t ON t.slot = search.rowid \
             WHERE search MATCH {term})"
        ));
    }
    if let Some(min_days) = query.min_days {
        let min_days = out.bind(Value::Integer(min_days.into()));
        filters.push(format!("{days} >= {min_days}"));
    }
    if let Some(max_rate) = query.max_rate {
        let max_rate = out.bind(Value::Integer(max_rate.into()));
        filters.push(format!("{rate} <= {max_rate}"));
    }
    let filters = if filters.is_empty() {
        String::new()
    } else {
        format!("\n  WHERE {}", filters.join("\n    AND "))
    };
    let limit = out.bind(Value::Integer(query.limit.min(MAX_LIMIT) as i64));
    let offset = out.bind(Value::Integer(query.offset.min(i64::MAX as usize) as i64));
    const ORDER: &str = "matched DESC, days DESC, rate IS NULL, rate, nameless, \
                         name COLLATE NOCASE, author";
    ctes.push(format!(
        "hits AS (\n  SELECT c.id, c.author, c.name, c.summary, c.region, \
         c.issued_at IS NULL AS nameless, {matched} AS matched, {days} AS days, \
         {rate} AS rate, {currency} AS currency, COUNT(*) OVER () AS total\n  \
         FROM {from}{filters}\n  ORDER BY {ORDER}\n  LIMIT {limit} OFFSET {offset})"
    ));
    // The names of the matched skills, only for the hits returned.
    let names = if skills.is_empty() {
        "'[]'"
    } else {
        "(SELECT json_group_array(s.name ORDER BY a.ord, s.name) FROM asked AS a \
         JOIN coop_terms AS k ON k.term = a.term AND k.coop = h.id \
         JOIN coop_skills AS s ON s.coop = h.id AND s.skill = k.skill)"
    };
    out.sql = format!(
        "WITH {}\nSELECT author, name, summary, region, matched, {names} AS names, days, rate, \
         currency, total\nFROM hits AS h\nORDER BY {ORDER}",
        ctes.join(",\n")
    );
    Ok(out)
}

/// Runs [`find_coops_sql`]'s statement: the co-ops matching `query`, best
/// first (see the module docs for the ranking).
pub fn find_coops(conn: &Connection, query: &CoopQuery) -> Result<CoopPage, StoreError> {
    let statement = find_coops_sql(query)?;
    let mut prepared = conn.prepare_cached(&statement.sql)?;
    let rows = prepared.query_map(params_from_iter(&statement.params), hit_parts)?;
    let mut page = CoopPage::default();
    for parts in rows {
        let parts = parts?;
        page.total = usize::try_from(parts.total).unwrap_or(0);
        page.hits.push(hit(parts, statement.skills_asked)?);
    }
    if page.hits.is_empty() && query.offset > 0 {
        // Past the last page: the total still counts every match.
        let first = CoopQuery {
            offset: 0,
            limit: 1,
            ..query.clone()
        };
        page.total = find_coops(conn, &first)?.total;
    }
    Ok(page)
}

/// The columns a [`CoopHit`] is made from.
struct HitParts {
    author: [u8; 32],
    name: String,
    summary: String,
    region: String,
    names: String,
    days: i64,
    rate: Option<i64>,
    currency: Option<String>,
    /// Every match, on every page.
    total: i64,
}

fn hit_parts(row: &Row<'_>) -> rusqlite::Result<HitParts> {
    Ok(HitParts {
        author: row.get(0)?,
        name: row.get(1)?,
        summary: row.get(2)?,
        region: row.get(3)?,
        names: row.get(5)?,
        days: row.get(6)?,
        rate: row.get(7)?,
        currency: row.get(8)?,
        total: row.get(9)?,
    })
}

fn hit(parts: HitParts, skills_asked: usize) -> Result<CoopHit, StoreError> {
    let author = PublicKey::from_bytes(&parts.author)
        .map_err(|e| StoreError::Corrupt(format!("a co-op's key is invalid: {e}")))?;
    let mut matched_skills: Vec<String> = serde_json::from_str(&parts.names)
        .map_err(|e| StoreError::Corrupt(format!("matched skills are not a JSON list: {e}")))?;
    // A skill found by two asked ones is named once, where first found.
    let mut seen = std::collections::HashSet::new();
    matched_skills.retain(|name| seen.insert(name.clone()));
    Ok(CoopHit {
        author,
        name: parts.name,
        summary: parts.summary,
        region: parts.region,
        matched_skills,
        skills_asked,
        days_available: u32::try_from(parts.days).unwrap_or(u32::MAX),
        min_rate: parts.rate.map(|r| u32::try_from(r).unwrap_or(u32::MAX)),
        currency: parts.currency,
    })
}
