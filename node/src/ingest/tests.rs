//! The pipeline: batches, page places, verdicts kept with their jobs.
#![allow(clippy::unwrap_used)]

use coopnet_protocol::{Body, Draft, samples};

use super::*;

/// Contract `i` of sample co-op 1, signed; `tamper` flips a body byte.
fn record(i: usize, tamper: bool) -> Vec<u8> {
    let body = Body::Contract(samples::contract(i));
    let draft = Draft::new(body, format!("c-{i}"), 1, samples::NOW);
    let mut bytes = draft.sign(&samples::secret(1)).unwrap().into_bytes();
    if tamper {
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_page_gives_back_its_place_only_once_its_records_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path().join("store.db"))
        .await
        .unwrap();
    let intake = Intake {
        store: store.clone(),
        gate: crate::gate::Gate::open(),
        arrivals: tokio::sync::broadcast::channel(16).0,
        monitor: std::sync::Arc::new(crate::monitor::Monitor::new()),
    };
    let (feedback_tx, mut feedback) = mpsc::channel(64);
    tokio::spawn(async move { while feedback.recv().await.is_some() {} });
    let (jobs, pipeline) = spawn(intake, crate::net::limits::PER_AUTHOR, feedback_tx);
    let places = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
    let page: Vec<Vec<u8>> = (0..300).map(|i| record(i, false)).collect();
    let job = IngestJob {
        records: page,
        from: Source::Sync {
            peer: PeerId::random(),
        },
        slot: Some(places.clone().try_acquire_owned().unwrap()),
    };
    assert!(jobs.push(job));
    // Waits until the pipeline gives the place back...
    let _place = places.acquire().await.unwrap();
    // ...by which time the whole page is stored.
    assert_eq!(store.sync_items().await.unwrap().len(), 300);
    drop(jobs);
    pipeline.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_split_across_threads_keeps_every_verdict_with_its_job() {
    let gossip_peer = PeerId::random();
    let sync_peer = PeerId::random();
    // A gossip record, then a sync page large enough to be split, with
    // tampered records at known places, then another gossip record.
    let page: Vec<Vec<u8>> = (0..300).map(|i| record(i, i % 97 == 5)).collect();
    let jobs = vec![
        IngestJob {
            records: vec![record(1_000, true)],
            from: Source::Gossip {
                message_id: MessageId::new(b"first"),
                peer: gossip_peer,
            },
            slot: None,
        },
        IngestJob {
            records: page,
            from: Source::Sync { peer: sync_peer },
            slot: None,
        },
        IngestJob {
            records: vec![record(1_001, false)],
            from: Source::Gossip {
                message_id: MessageId::new(b"last"),
                peer: gossip_peer,
            },
            slot: None,
        },
    ];
    let checked = verify_jobs(jobs, samples::NOW).await;
    assert_eq!(checked.len(), 3);
    assert!(
        matches!(&checked[0].0, Source::Gossip { message_id, .. } if message_id == &MessageId::new(b"first"))
    );
    assert_eq!(checked[0].1.len(), 1);
    assert!(checked[0].1[0].is_err());
    assert!(matches!(checked[1].0, Source::Sync { peer } if peer == sync_peer));
    let failed: Vec<usize> = (0..300).filter(|&i| checked[1].1[i].is_err()).collect();
    assert_eq!(failed, vec![5, 102, 199, 296]);
    for (i, result) in checked[1].1.iter().enumerate() {
        if let Ok(verified) = result {
            assert_eq!(verified.record().header().key, format!("c-{i}"));
        }
    }
    assert_eq!(checked[2].1.len(), 1);
    assert!(checked[2].1[0].is_ok());
}
