//! Arbitrary bytes as a sync-protocol frame (SPEC §8.2), read exactly as a
//! node reads them off a stream: nothing may panic, a length out of bounds
//! or a body that breaks its rules is `Malformed` (never an I/O error the
//! node would not see), and a request that reads re-encodes to exactly its
//! bytes. The same bytes as a response body: what decodes re-encodes to
//! something that decodes to the same message.
#![no_main]

use coopnet_node::net::codec::{
    MAX_REQUEST_LEN, SYNC_PROTOCOL, SyncCodec, decode_response, encode_request, encode_response,
};
use futures::executor::block_on;
use futures::io::Cursor;
use libfuzzer_sys::fuzz_target;
use libp2p::request_response::Codec;

fuzz_target!(|data: &[u8]| {
    let mut stream = Cursor::new(data.to_vec());
    match block_on(SyncCodec.read_request(&SYNC_PROTOCOL, &mut stream)) {
        Ok(Ok(request)) => {
            let len = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize;
            assert!(len <= MAX_REQUEST_LEN);
            assert_eq!(encode_request(&request), data[4..4 + len], "{request:?}");
        }
        Ok(Err(malformed)) => {
            let _ = malformed.to_string();
        }
        // Only a stream that ends early is an I/O error.
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}"),
    }
    if let Ok(response) = decode_response(data) {
        let again = encode_response(&response);
        assert_eq!(decode_response(&again).unwrap(), response);
    }
});
