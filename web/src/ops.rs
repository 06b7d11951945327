//! The operations behind both the pages and the API, so that the two never
//! disagree: reading and saving our co-op's records, a co-op's page, the
//! contracts list and a contract's page with the co-ops that match it.

use coopnet_protocol::kinds::{
    Capacity, CapacityFields, Contract, ContractFields, ContractStatus, Profile, ProfileFields,
    Skills, SkillsFields, fields,
};
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Body, Kind, PublicKey};

use crate::backend::{Backend, CoopHit, CoopQuery, Published, RecordView};
use crate::error::Failure;

/// The key of our co-op's profile, skills and capacity records.
pub const MAIN_SLOT: &str = "";
/// Most contracts the list looks through.
pub const CONTRACT_SCAN: usize = 1_000;

/// One of our own records and how many peers hold it.
#[derive(Debug, Clone)]
pub struct Own {
    /// The current record, if we published one (tombstones included).
    pub record: Option<RecordView>,
    /// How many connected peers are known to hold it.
    pub holders: u32,
}

/// Our co-op's current record of `kind` (main slot).
pub async fn own(backend: &dyn Backend, kind: Kind) -> Result<Own, Failure> {
    let record = backend.current(backend.own_key(), kind, MAIN_SLOT).await?;
    let holders = match &record {
        Some(r) => backend
            .holders(vec![r.id])
            .await?
            .first()
            .copied()
            .unwrap_or(0),
        None => 0,
    };
    Ok(Own { record, holders })
}

/// Checks and publishes our profile.
pub async fn save_profile(
    backend: &dyn Backend,
    mut fields: ProfileFields,
) -> Result<Published, Failure> {
    fields.description = fields::normalise_line_breaks(&fields.description);
    let profile = Profile::parse(fields).map_err(field_failure)?;
    Ok(backend
        .publish(Kind::Profile, MAIN_SLOT, Some(Body::Profile(profile)))
        .await?)
}

/// Links the skills to the taxonomy's concepts (names stay as typed),
/// checks and publishes.
pub async fn save_skills(
    backend: &dyn Backend,
    mut fields: SkillsFields,
) -> Result<Published, Failure> {
    Taxonomy::esco().link(&mut fields);
    let skills = Skills::parse(fields).map_err(field_failure)?;
    Ok(backend
        .publish(Kind::Skills, MAIN_SLOT, Some(Body::Skills(skills)))
        .await?)
}

/// Checks and publishes our capacity windows.
pub async fn save_capacity(
    backend: &dyn Backend,
    fields: CapacityFields,
) -> Result<Published, Failure> {
    let capacity = Capacity::parse(fields).map_err(field_failure)?;
    Ok(backend
        .publish(Kind::Capacity, MAIN_SLOT, Some(Body::Capacity(capacity)))
        .await?)
}

/// A protocol field error as a 422 naming the field.
pub fn field_failure(error: coopnet_protocol::FieldError) -> Failure {
    Failure::invalid(error.field.clone(), error.problem.to_string())
}

/// A contract in a list or on its page.
#[derive(Debug, Clone)]
pub struct ContractItem {
    /// Its stable id: the author's key, `-`, the record key.
    pub id: String,
    /// Who published it.
    pub author: PublicKey,
    /// Its record key.
    pub key: String,
    /// Its version.
    pub version: u64,
    /// When this version was published.
    pub issued_at: coopnet_protocol::Timestamp,
    /// Its fields.
    pub fields: ContractFields,
}

impl ContractItem {
    /// A contract record of either schema (SPEC §3.3: a kind 4 one reads
    /// as the kind 9 one it converts to).
    fn from_record(record: RecordView) -> Option<ContractItem> {
        let fields = match record.body {
            Some(Body::Contract(contract)) => contract.into_fields(),
            Some(Body::ContractV1(old)) => ContractFields::from(old.into_fields()),
            _ => return None,
        };
        Some(ContractItem {
            id: contract_id(&record.author, &record.key),
            author: record.author,
            key: record.key,
            version: record.version,
            issued_at: record.issued_at,
            fields,
        })
    }

    /// The most it may be worth, in hundredths, for sorting.
    fn worth(&self) -> Option<u64> {
        self.fields.value.as_ref().and_then(|v| v.amount.or(v.min))
    }

    /// The status as a word.
    pub fn status(&self) -> &'static str {
        match self.fields.status {
            ContractStatus::Open => "open",
            ContractStatus::Closed => "closed",
            ContractStatus::Awarded => "awarded",
        }
    }

    /// The id, escaped for a URL path segment.
    pub fn path_id(&self) -> String {
        form_urlencoded::byte_serialize(self.id.as_bytes()).collect()
    }
}

/// The live contract records among `records`, one per (author, key): a
/// co-op that has both a kind 9 and a kind 4 contract under one key means
/// the kind 9 one (SPEC §3.3).
fn one_per_key(records: Vec<RecordView>) -> Vec<RecordView> {
    let current: std::collections::HashSet<(PublicKey, String)> = records
        .iter()
        .filter(|r| r.kind == Kind::Contract && r.body.is_some())
        .map(|r| (r.author, r.key.clone()))
        .collect();
    records
        .into_iter()
        .filter(|r| match r.kind {
            Kind::Contract => true,
            Kind::ContractV1 => !current.contains(&(r.author, r.key.clone())),
            _ => false,
        })
        .collect()
}

/// The contract with this id (either schema), or a 404.
pub async fn contract_item(backend: &dyn Backend, id: &str) -> Result<ContractItem, Failure> {
    let (author, key) = parse_contract_id(id)?;
    contract_at(backend, author, key).await
}

/// The contract of `author` under `key` (either schema), or a 404.
pub async fn contract_at(
    backend: &dyn Backend,
    author: PublicKey,
    key: String,
) -> Result<ContractItem, Failure> {
    let record = match backend.current(author, Kind::Contract, &key).await? {
        Some(record) => Some(record),
        None => backend.current(author, Kind::ContractV1, &key).await?,
    };
    record
        .and_then(ContractItem::from_record)
        .ok_or_else(|| Failure::not_found("that contract"))
}

/// A contract's stable id.
pub fn contract_id(author: &PublicKey, key: &str) -> String {
    format!("{author}-{key}")
}

/// Splits a contract id into author and key.
pub fn parse_contract_id(id: &str) -> Result<(PublicKey, String), Failure> {
    let bad = || Failure::not_found("that contract");
    let (author, rest) = id.split_at_checked(64).ok_or_else(bad)?;
    let key = rest.strip_prefix('-').ok_or_else(bad)?;
    Ok((author.parse().map_err(|_| bad())?, key.to_owned()))
}

/// Which contracts to list.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    /// Free text (title, buyer, description, skills, location).
    pub text: String,
    /// A required skill (normalised through the taxonomy).
    pub skill: String,
    /// `open` (default), `closed`, `awarded` or `all`.
    pub status: String,
    /// Only our own.
    pub mine: bool,
    /// `deadline` (default: soonest first, none last), `newest` or
    /// `value` (largest first).
    pub sort: String,
}

/// Contracts matching `filter`: those with the soonest deadline first,
/// then those without one, newest first.
pub async fn contracts(
    backend: &dyn Backend,
    filter: &ContractFilter,
) -> Result<Vec<ContractItem>, Failure> {
    let status = match filter.status.as_str() {
        "" | "open" => Some(ContractStatus::Open),
        "closed" => Some(ContractStatus::Closed),
        "awarded" => Some(ContractStatus::Awarded),
        "all" => None,
        _ => {
            return Err(Failure::invalid(
                "status",
                "must be open, closed, awarded or all",
            ));
        }
    };
    let records = if filter.text.trim().is_empty() {
        let author = filter.mine.then(|| backend.own_key());
        let mut records = backend.list(Kind::Contract, author, CONTRACT_SCAN).await?;
        records.extend(
            backend
                .list(Kind::ContractV1, author, CONTRACT_SCAN)
                .await?,
        );
        records
    } else {
        backend.search_text(&filter.text, CONTRACT_SCAN).await?
    };
    let skill = skill_key(&filter.skill);
    let own = backend.own_key();
    let mut found: Vec<ContractItem> = one_per_key(records)
        .into_iter()
        .filter(|r| !filter.mine || r.author == own)
        .filter_map(ContractItem::from_record)
        .filter(|c| status.is_none_or(|s| c.fields.status == s))
        .filter(|c| {
            skill.as_ref().is_none_or(|s| {
                c.fields
                    .required_skills
                    .iter()
                    .any(|r| skill_terms(r).contains(s))
            })
        })
        .collect();
    match filter.sort.as_str() {
        "" | "deadline" => found.sort_by_key(|c| {
            let deadline = c.fields.deadline;
            (deadline.is_none(), deadline, std::cmp::Reverse(c.issued_at))
        }),
        "newest" => found.sort_by_key(|c| std::cmp::Reverse(c.issued_at)),
        "value" => {
            found.sort_by_key(|c| (std::cmp::Reverse(c.worth()), std::cmp::Reverse(c.issued_at)))
        }
        _ => {
            return Err(Failure::invalid(
                "sort",
                "must be deadline, newest or value",
            ));
        }
    }
    Ok(found)
}

/// Which skill a name is: its key by the taxonomy, what partner search
/// asks for; `None` for a name with no letters or digits.
pub fn skill_key(name: &str) -> Option<String> {
    Taxonomy::esco().key(name)
}

/// Every key a skill of this name is found by (its own, its concept's and
/// the broader concepts'); empty for a name with no letters or digits.
pub fn skill_terms(name: &str) -> Vec<String> {
    let taxonomy = Taxonomy::esco();
    taxonomy
        .resolve(name)
        .map(|r| taxonomy.terms(&r))
        .unwrap_or_default()
}

/// One contract, and the co-ops (other than ours) that could cover it.
/// The name a co-op's profile gives it, if it has published one.
pub async fn coop_name(backend: &dyn Backend, key: PublicKey) -> Option<String> {
    let record = backend
        .current(key, Kind::Profile, MAIN_SLOT)
        .await
        .ok()??;
    match record.body {
        Some(Body::Profile(profile)) => Some(profile.name.clone()),
        _ => None,
    }
}

pub async fn contract(
    backend: &dyn Backend,
    id: &str,
) -> Result<(ContractItem, Vec<CoopHit>), Failure> {
    let item = contract_item(backend, id).await?;
    let mut skills: Vec<String> = Vec::new();
    for folded in item
        .fields
        .required_skills
        .iter()
        .filter_map(|s| skill_key(s))
    {
        if !skills.contains(&folded) {
            skills.push(folded);
        }
    }
    let matches = if skills.is_empty() {
        Vec::new()
    } else {
        let query = CoopQuery {
            skills,
            match_all: false,
            window: item.fields.period.as_ref().map(|p| (p.start, p.end)),
            exclude: Some(backend.own_key()),
            limit: 20,
            ..CoopQuery::default()
        };
        backend.find_coops(query).await?.hits.clone()
    };
    Ok((item, matches))
}

/// Publishes a contract of ours under `key` (a new random key if `None`).
pub async fn add_contract(
    backend: &dyn Backend,
    key: Option<String>,
    mut fields: ContractFields,
) -> Result<(String, Published), Failure> {
    fields.description = fields::normalise_line_breaks(&fields.description);
    let contract = Contract::parse(fields).map_err(field_failure)?;
    let key = match key.filter(|k| !k.trim().is_empty()) {
        Some(key) => key,
        None => format!("c-{}", &crate::auth::new_token()[..16]),
    };
    let published = backend
        .publish(Kind::Contract, &key, Some(Body::Contract(contract)))
        .await?;
    Ok((contract_id(&backend.own_key(), &key), published))
}

/// Everything a co-op has published that its page shows.
#[derive(Debug, Clone)]
pub struct CoopDetail {
    /// Its key.
    pub key: PublicKey,
    /// Its profile.
    pub profile: Option<ProfileFields>,
    /// Its skills.
    pub skills: Option<SkillsFields>,
    /// Its capacity.
    pub capacity: Option<CapacityFields>,
    /// Its contracts, newest first.
    pub contracts: Vec<ContractItem>,
}

/// A co-op's published records; 404 if it has published nothing.
pub async fn coop(backend: &dyn Backend, key: &str) -> Result<CoopDetail, Failure> {
    let key: PublicKey = key
        .parse()
        .map_err(|_| Failure::not_found("a co-op with that key"))?;
    let body = |r: Option<RecordView>| r.and_then(|r| r.body);
    let profile = match body(backend.current(key, Kind::Profile, MAIN_SLOT).await?) {
        Some(Body::Profile(p)) => Some(p.into_fields()),
        _ => None,
    };
    let skills = match body(backend.current(key, Kind::Skills, MAIN_SLOT).await?) {
        Some(Body::Skills(s)) => Some(s.into_fields()),
        _ => None,
    };
    let capacity = match body(backend.current(key, Kind::Capacity, MAIN_SLOT).await?) {
        Some(Body::Capacity(c)) => Some(c.into_fields()),
        _ => None,
    };
    let mut records = backend.list(Kind::Contract, Some(key), 100).await?;
    records.extend(backend.list(Kind::ContractV1, Some(key), 100).await?);
    let contracts: Vec<ContractItem> = one_per_key(records)
        .into_iter()
        .filter_map(ContractItem::from_record)
        .collect();
    if profile.is_none() && skills.is_none() && capacity.is_none() && contracts.is_empty() {
        return Err(Failure::not_found("a co-op with that key"));
    }
    Ok(CoopDetail {
        key,
        profile,
        skills,
        capacity,
        contracts,
    })
}

/// Why a co-op matched, in one sentence.
pub fn why(hit: &CoopHit, window: bool) -> String {
    let mut parts = Vec::new();
    if hit.skills_asked > 0 {
        parts.push(format!(
            "{} of {} skills ({})",
            hit.matched_skills.len(),
            hit.skills_asked,
            hit.matched_skills.join(", ")
        ));
    }
    let span = if window {
        "in the window"
    } else {
        "in all its capacity"
    };
    parts.push(format!("{} person-days {span}", hit.days_available));
    if let (Some(rate), Some(currency)) = (hit.min_rate, &hit.currency) {
        parts.push(format!("from {rate} {currency}/day"));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_ids_round_trip_keys_with_any_printable_characters() {
        let author: PublicKey = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
            .parse()
            .unwrap();
        let id = contract_id(&author, "ocds:ocds-b5fd17-1/2");
        let (a, k) = parse_contract_id(&id).unwrap();
        assert_eq!((a, k.as_str()), (author, "ocds:ocds-b5fd17-1/2"));
        assert!(parse_contract_id("short").is_err());
        assert!(parse_contract_id(&id.replacen('-', "+", 1)).is_err());
    }
}
