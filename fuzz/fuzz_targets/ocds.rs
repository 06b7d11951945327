//! Arbitrary bytes as an uploaded OCDS file (`coopnet_node::ocds::parse`,
//! what the import form and `POST /api/v1/contracts/import` run): nothing
//! panics, and whatever the importer makes a contract of is a contract the
//! protocol accepts, with a record key and a title.
#![no_main]

use coopnet_protocol::kinds::Contract;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = coopnet_node::ocds::parse(data) else {
        return;
    };
    for imported in parsed.releases {
        let key = imported.key();
        if let Ok(fields) = imported.outcome {
            assert!(!fields.title.is_empty());
            assert!(Contract::parse(fields).is_ok());
            if let Some(key) = key {
                assert!(key.starts_with("ocds:"));
                assert!(key.len() <= coopnet_protocol::MAX_KEY_LEN);
            }
        }
    }
});
