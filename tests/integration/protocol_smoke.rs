//! The binary verifies a record end to end, as a user would run it.
#![allow(clippy::unwrap_used)]

use coopnet_protocol::{Body, Draft, samples};

#[test]
fn coopnet_inspect_prints_a_verified_record_and_refuses_a_forged_one() {
    let record = Draft::new(Body::Profile(samples::profile(2)), "", 1, samples::NOW)
        .sign(&samples::secret(2))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("coopnet-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.rec");
    std::fs::write(&good, record.bytes()).unwrap();
    let output = crate::coopnet(&[
        "inspect",
        good.to_str().unwrap(),
        "--now",
        &samples::NOW.0.to_string(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["body"]["name"], "Tidewater Design Collective");
    assert_eq!(json["record_id"], record.id().to_string());

    let mut forged = record.bytes().to_vec();
    forged[40] ^= 1;
    let bad = dir.join("bad.rec");
    std::fs::write(&bad, hex::encode(forged)).unwrap();
    let output = crate::coopnet(&["inspect", bad.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("does not verify") || stderr.contains("not a well-formed"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
