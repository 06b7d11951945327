//! A node started on a store holding its own contracts in the first
//! schema (kind 4) republishes them as kind 9, same key, value in
//! hundredths, and withdraws the kind 4 ones.

use coopnet_protocol::{Body, Kind, samples};
use coopnet_tests::start_node;

#[tokio::test]
async fn our_first_schema_contracts_are_republished_in_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let node = start_node(&data, "Ash", &[]).await;
    let old = Body::ContractV1(samples::contract_v1(2));
    node.node
        .publish(Kind::ContractV1.code(), "roof-repairs", Some(old), None)
        .await
        .unwrap();
    node.node.shutdown().await;

    let node = start_node(&data, "Ash", &[]).await;
    let store = node.node.store();
    let key = node.node.key();
    let current = store
        .current(key, Kind::Contract.code(), "roof-repairs".into())
        .await
        .unwrap()
        .unwrap();
    let header = current.record.header();
    let body = Body::decode(header.kind, current.record.body_bytes().unwrap()).unwrap();
    let Body::Contract(contract) = body else {
        panic!("{body:?}")
    };
    let value = contract.value.clone().unwrap();
    // Sample co-op 2's v1 value: 122,000 whole pounds.
    assert_eq!((value.amount, value.min), (Some(12_200_000), None));
    assert_eq!(contract.title, samples::contract_v1(2).title);
    let old = store
        .current(key, Kind::ContractV1.code(), "roof-repairs".into())
        .await
        .unwrap()
        .unwrap();
    assert!(
        old.record.body_bytes().is_none(),
        "the kind 4 one is withdrawn"
    );
    node.node.shutdown().await;

    // Nothing more to do the next time.
    let node = start_node(&data, "Ash", &[]).await;
    let again = node
        .node
        .store()
        .current(key, Kind::Contract.code(), "roof-repairs".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.record.header().version, header.version);
    node.node.shutdown().await;
}
