//! Private bid messages (SPEC §11) from a hostile peer: any bytes. Nothing
//! may panic, and a message that decodes must be exactly its own
//! canonical bytes, verify under its sender's key and re-decode to
//! itself; a Freeze's document must hash the same after a round trip.
#![no_main]

use coopnet_protocol::bidwire::{BidDocument, Body, SignedMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(signed) = SignedMessage::decode(data) {
        assert_eq!(signed.encode(), data, "a message decoded from other bytes than its own");
        assert_eq!(SignedMessage::decode(&signed.encode()), Ok(signed.clone()));
        if let Body::Freeze(document) = &signed.message.body {
            let again = BidDocument::decode(&document.encode()).expect("a checked document");
            assert_eq!(again.hash(), document.hash());
        }
    }
    if let Ok(document) = BidDocument::decode(data) {
        assert_eq!(document.encode(), data);
    }
});
