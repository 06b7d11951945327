//! Realistic example records, deterministic from small numbers: for tests,
//! benchmarks, the fuzz seed corpus and the test vectors. Every value here
//! passes validation; the co-ops are fictional.

use crate::keys::{PublicKey, SecretKey};
use crate::kinds::{
    BidNotice, BidNoticeFields, BidStatus, Body, Capacity, CapacityFields, CapacityWindow,
    Contract, ContractFields, ContractStatus, ContractV1, ContractV1Fields, ContractValue,
    Coordinates, FederationId, Membership, MembershipFields, Money, NodeStatus, NodeStatusFields,
    Period, Profile, ProfileFields, RateBand, Revocation, RevocationFields, Role, SkillEntry,
    SkillLevel, Skills, SkillsFields, WorkMode,
};
use crate::time::{Day, Timestamp};

/// 2026-11-23T12:00:00Z: the "now" of every sample.
pub const NOW: Timestamp = Timestamp(1_795_435_200_000);

/// The secret key whose seed is `n` repeated 32 times.
pub fn secret(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32])
}

const NAMES: [&str; 8] = [
    "Hedgerow Digital",
    "Coalface Code Co-operative",
    "Tidewater Design Collective",
    "Brambling Data Co-op",
    "Ironbridge Web Workers",
    "Gwaith Agored Cyf",
    "Lantern Research Co-operative",
    "Northern Loom Tech",
];

const REGIONS: [(&str, &str, i32, i32); 8] = [
    ("Bristol", "GB", 51_454_500, -2_587_900),
    ("Sheffield", "GB", 53_381_100, -1_470_100),
    ("Brighton", "GB", 50_822_500, -137_200),
    ("Leeds", "GB", 53_800_800, -1_549_100),
    ("Telford", "GB", 52_678_300, -2_445_300),
    ("Cardiff", "GB", 51_481_600, -3_179_100),
    ("Glasgow", "GB", 55_864_200, -4_251_800),
    ("Manchester", "GB", 53_480_800, -2_242_600),
];

/// The profile of sample co-op `n`.
pub fn profile(n: usize) -> Profile {
    let (region, country, lat, lon) = REGIONS[n % REGIONS.len()];
    let name = NAMES[n % NAMES.len()];
    let fields = ProfileFields {
        name: if n < NAMES.len() {
            name.to_owned()
        } else {
            format!("{name} {n}")
        },
        summary: format!(
            "A worker-owned digital studio in {region}: web, data and service design."
        ),
        description: format!(
            "{name} is a worker co-operative of designers and developers based in {region}.\n\
             We build accessible public services, data platforms and websites for charities, \
             councils and other co-ops, and we share work with the federation when a job is \
             bigger than us. Every member is an equal owner; we pay a flat wage."
        ),
        website: Some(format!("https://coop-{n}.example.coop/")),
        region: region.to_owned(),
        country: country.to_owned(),
        coordinates: Some(Coordinates {
            latitude_e6: lat,
            longitude_e6: lon,
        }),
        legal_form: "Worker co-operative (Co-operative Society)".to_owned(),
        member_count: 3 + (n % 9) as u32,
        contact_email: format!("hello@coop-{n}.example.coop"),
        languages: if region == "Cardiff" {
            vec!["en".into(), "cy".into()]
        } else {
            vec!["en".into()]
        },
        tags: vec![
            "public sector".into(),
            "accessibility".into(),
            "open source".into(),
        ],
    };
    parse(Profile::parse(fields))
}

const SKILLS: [(&str, &str); 10] = [
    ("JavaScript", "3cd569a2-4f88-4c1e-9995-8dce8c5e51a7"),
    (
        "Python (computer programming)",
        "ccd0a1d9-afda-43d9-b901-96344886e14d",
    ),
    ("Haskell", "000f1d3d-220f-4789-9c0a-cc742521fb02"),
    (
        "Incremental development",
        "00c04e40-35ea-4ed1-824c-82f936c8f876",
    ),
    ("web programming", "69bbd53f-fbb0-4476-b4b2-ef7844464e28"),
    ("user-centred design", ""),
    ("Drupal", ""),
    ("Rust", ""),
    ("accessibility auditing", ""),
    ("data visualisation", ""),
];

/// The skills of sample co-op `n`: `count` of the ten sample skills.
pub fn skills(n: usize, count: usize) -> Skills {
    let levels = [
        SkillLevel::Working,
        SkillLevel::Proficient,
        SkillLevel::Expert,
    ];
    let entries = (0..count.min(SKILLS.len()))
        .map(|i| {
            let (name, uuid) = SKILLS[(n + i) % SKILLS.len()];
            SkillEntry {
                name: name.to_owned(),
                concept: (!uuid.is_empty())
                    .then(|| format!("{}{uuid}", crate::kinds::ESCO_SKILL_PREFIX)),
                level: levels[(n + i) % 3],
                headcount: 1 + ((n + i) % 5) as u32,
            }
        })
        .collect();
    parse(Skills::parse(SkillsFields { entries }))
}

/// The capacity of sample co-op `n`: `count` monthly windows from 2027-01.
pub fn capacity(n: usize, count: usize) -> Capacity {
    let windows = (0..count)
        .map(|i| CapacityWindow {
            from: day(2027, 1 + (i % 12) as u32, 1),
            to: day(2027, 1 + (i % 12) as u32, 28),
            person_days: 5 + ((n + i) % 20) as u32,
            rate: RateBand {
                min: 350,
                max: 450 + 25 * (n % 4) as u32,
                currency: "GBP".into(),
            },
            mode: [WorkMode::Remote, WorkMode::Hybrid, WorkMode::OnSite][(n + i) % 3],
            skills: vec![SKILLS[n % SKILLS.len()].0.to_owned()],
        })
        .collect();
    parse(Capacity::parse(CapacityFields { windows }))
}

/// Sample contract `n`.
pub fn contract(n: usize) -> Contract {
    let fields = ContractFields {
        title: format!("Digital service redesign, lot {n}"),
        buyer: "Borough Council of Example".to_owned(),
        description: "The council seeks a supplier to redesign its online services for \
                      residents: discovery with users, an accessible alpha and beta, and \
                      handover to the in-house team.\n\nThe work must meet the Service \
                      Standard and WCAG 2.2 AA."
            .to_owned(),
        required_skills: vec!["user-centred design".into(), "JavaScript".into()],
        value: Some(ContractValue {
            amount: Some((120_000 + 1_000 * n as u64) * 100),
            min: None,
            currency: "GBP".into(),
        }),
        deadline: Some(NOW.plus_millis(21 * 86_400_000)),
        period: Some(Period {
            start: day(2027, 2, 1),
            end: day(2027, 7, 31),
        }),
        location: "Remote, with fortnightly visits".to_owned(),
        source_url: Some(format!("https://tenders.example.gov.uk/notice/{n}")),
        ocid: Some(format!("ocds-b5fd17-{n:06}")),
        status: ContractStatus::Open,
    };
    parse(Contract::parse(fields))
}

/// Sample co-op `n`'s contract in the first schema (kind 4), as nodes
/// published them before kind 9: its value in whole units.
pub fn contract_v1(n: usize) -> ContractV1 {
    let current = contract(n).into_fields();
    let fields = ContractV1Fields {
        title: current.title,
        buyer: current.buyer,
        description: current.description,
        required_skills: current.required_skills,
        value: Some(Money {
            amount: 120_000 + 1_000 * n as u64,
            currency: "GBP".into(),
        }),
        deadline: current.deadline,
        period: current.period,
        location: current.location,
        source_url: current.source_url,
        ocid: current.ocid,
        status: current.status,
    };
    parse(ContractV1::parse(fields))
}

/// A membership of `member` in the sample federation.
pub fn membership(member: PublicKey, name: &str, role: Role) -> Membership {
    let fields = MembershipFields {
        federation: federation(),
        member,
        name: name.to_owned(),
        role,
    };
    parse(Membership::parse(fields))
}

/// A revocation of `member` in the sample federation.
pub fn revocation(member: PublicKey) -> Revocation {
    let fields = RevocationFields {
        federation: federation(),
        member,
        reason: "Left the federation at its AGM.".to_owned(),
    };
    parse(Revocation::parse(fields))
}

/// A bid notice for sample contract `n`, led by `lead`.
pub fn bid_notice(
    contract_author: PublicKey,
    n: usize,
    lead: PublicKey,
    partners: Vec<PublicKey>,
) -> BidNotice {
    let fields = BidNoticeFields {
        contract_author,
        contract_key: format!("contract-{n}"),
        lead,
        partners,
        status: BidStatus::Forming,
    };
    parse(BidNotice::parse(fields))
}

/// A node heartbeat.
pub fn node_status(records_held: u64) -> NodeStatus {
    let fields = NodeStatusFields {
        software_version: "0.1.0".to_owned(),
        records_held,
        peers_connected: 4,
        last_sync: Some(NOW),
        uptime_seconds: 86_400,
    };
    parse(NodeStatus::parse(fields))
}

/// The sample federation's id.
pub fn federation() -> FederationId {
    FederationId([0xfe; 32])
}

/// One body of each known kind for sample co-op `n`, as published with
/// their keys.
pub fn bodies(n: usize) -> Vec<(Body, String)> {
    let me = secret(n as u8 + 1).public();
    let partner = secret(n as u8 + 2).public();
    vec![
        (Body::Profile(profile(n)), String::new()),
        (Body::Skills(skills(n, 6)), String::new()),
        (Body::Capacity(capacity(n, 3)), String::new()),
        (Body::Contract(contract(n)), format!("contract-{n}")),
        (Body::ContractV1(contract_v1(n)), format!("contract-v1-{n}")),
        (
            Body::Membership(membership(partner, "Partner Co-op", Role::Member)),
            partner.to_string(),
        ),
        (Body::Revocation(revocation(partner)), partner.to_string()),
        (
            Body::BidNotice(bid_notice(me, n, me, vec![partner])),
            format!("bid-{n}"),
        ),
        (
            Body::NodeStatus(node_status(1_000 + n as u64)),
            String::new(),
        ),
    ]
}

fn day(year: i32, month: u32, day: u32) -> Day {
    Day::from_ymd(year, month, day)
        .unwrap_or_else(|| panic!("invalid sample date {year}-{month}-{day}"))
}

/// Every sample above is valid by construction; a failure here is a bug in
/// this file, caught by the unit test below.
fn parse<T>(result: Result<T, crate::FieldError>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("invalid sample: {e}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_sample_body_is_valid_for_many_coops() {
        for n in 0..40 {
            assert_eq!(super::bodies(n).len(), crate::kinds::ALL_KINDS.len());
            assert_eq!(super::capacity(n, 100).windows.len(), 100);
            assert_eq!(super::skills(n, 10).entries.len(), 10);
        }
    }
}
