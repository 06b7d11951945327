//! What the demo co-ops publish: varied profiles, skills from the taxonomy,
//! capacity over the coming months, and open contracts.

use coopnet_node::Node;
use coopnet_node::ocds::Action;
use coopnet_protocol::kinds::{Capacity, CapacityWindow, RateBand, WorkMode};
use coopnet_protocol::{Body, Day, Kind, samples};

/// The demo name of co-op `i` (the samples' names).
pub fn name(i: usize) -> String {
    samples::profile(i).name.clone()
}

/// Publishes co-op `i`'s profile, skills, capacity and a contract.
pub async fn seed(node: &Node, i: usize) -> anyhow::Result<()> {
    let records = [
        (
            Kind::Profile,
            String::new(),
            Body::Profile(samples::profile(i)),
        ),
        (
            Kind::Skills,
            String::new(),
            Body::Skills(samples::skills(i, 4 + i % 5)),
        ),
        (Kind::Capacity, String::new(), Body::Capacity(capacity(i)?)),
        (
            Kind::Contract,
            format!("contract-{i}"),
            Body::Contract(samples::contract(i)),
        ),
    ];
    for (kind, key, body) in records {
        node.publish(kind.code(), &key, Some(body), None).await?;
    }
    Ok(())
}

/// Publishes the contracts of the shipped OCDS sample files, spread over
/// the co-ops (file `f` goes to co-op `f % co-ops`); returns how many.
pub async fn seed_ocds(nodes: &[std::sync::Arc<Node>]) -> anyhow::Result<usize> {
    let mut published = 0;
    for (f, (name, bytes)) in coopnet_node::ocds::demo_files().into_iter().enumerate() {
        let node = &nodes[f % nodes.len()];
        let report = match node.import_ocds(bytes.to_vec()).await {
            Ok(report) => report,
            Err(e) => {
                println!("  {name}: not imported: {e}");
                continue;
            }
        };
        for note in &report.notes {
            println!("  {name}: {note}");
        }
        published += report.lines.len() - report.count(Action::Skipped);
    }
    Ok(published)
}

/// Three monthly windows starting next month, sized by the co-op.
fn capacity(i: usize) -> anyhow::Result<Capacity> {
    let today = coopnet_node::clock::now().day();
    let (year, month, _) = today.ymd();
    let windows = (1..=3u32)
        .map(|ahead| {
            let m0 = month - 1 + ahead;
            let (y, m) = (year + (m0 / 12) as i32, m0 % 12 + 1);
            let from = Day::from_ymd(y, m, 1).ok_or_else(|| anyhow::anyhow!("bad date"))?;
            let to = Day::from_ymd(y, m, 28).ok_or_else(|| anyhow::anyhow!("bad date"))?;
            Ok(CapacityWindow {
                from,
                to,
                person_days: 5 + ((i * 7 + ahead as usize * 3) % 25) as u32,
                rate: RateBand {
                    min: 350 + 25 * (i % 3) as u32,
                    max: 500 + 50 * (i % 4) as u32,
                    currency: "GBP".into(),
                },
                mode: [WorkMode::Remote, WorkMode::Hybrid, WorkMode::OnSite]
                    [(i + ahead as usize) % 3],
                skills: samples::skills(i, 2)
                    .entries
                    .iter()
                    .map(|e| e.name.clone())
                    .collect(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Capacity::parse(coopnet_protocol::kinds::CapacityFields {
        windows,
    })?)
}
