//! Arbitrary reconciliation messages (SPEC §8.2–8.3): the first byte picks
//! the path, the rest is what a peer sent.
//!
//! - negentropy, as the responder (`answer`, stateless) and as the
//!   initiator taking a reply (`Session::step`), over a fixed set of 64
//!   records;
//! - a sketch reply: cells (`Cell::decode_all`) fed to an initiator's
//!   `SketchSession`, with a claimed set size.
//!
//! Nothing may panic; a reply is an error or a bounded step.
#![no_main]

use std::sync::Arc;

use coopnet_node::net::sketch::{Cell, SketchSession};
use coopnet_node::net::sync::{Session, SyncIndex, answer};
use coopnet_protocol::RecordId;
use libfuzzer_sys::fuzz_target;

fn ids() -> Vec<(u64, RecordId)> {
    (0..64u8)
        .map(|i| (1_000 * u64::from(i), RecordId([i.wrapping_mul(37); 32])))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&path, message)) = data.split_first() else {
        return;
    };
    let mut index = SyncIndex::from_items(ids());
    match path % 3 {
        0 => {
            let snapshot = index.snapshot().unwrap();
            let _ = answer(&snapshot, message);
        }
        1 => {
            let (mut session, _) = Session::start(index.snapshot().unwrap()).unwrap();
            let mut have = 0;
            let _ = session.step(message, |_| have += 1);
            assert!(session.take_need().len() + have <= 1 << 20);
        }
        _ => {
            let Some((len, cells)) = message.split_at_checked(8) else {
                return;
            };
            let their_len = u64::from_be_bytes(len.try_into().unwrap());
            let Some(cells) = Cell::decode_all(cells) else {
                return;
            };
            let ids: Arc<[RecordId]> = ids().into_iter().map(|(_, id)| id).collect();
            let (mut session, _) = SketchSession::start([7; 16], ids);
            let _ = session.step(their_len, &cells);
        }
    }
});
