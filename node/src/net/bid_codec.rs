//! The wire of `/coopnet/bid/1` (SPEC §11): one frame each way, a u32
//! big-endian length then the body. A request's body is a signed bid
//! message, handed up as its raw bytes (checking it needs keys and the
//! bid's ledger, off the event loop); a response is a status byte and the
//! reason in UTF-8. Lengths are checked before anything is read, and a
//! frame's buffer grows only with the bytes that arrive.

use std::io;

use coopnet_protocol::bidwire::{BID_PROTOCOL, MAX_MESSAGE_LEN};
use futures::{AsyncRead, AsyncWrite};
use libp2p::StreamProtocol;

use super::codec::{Malformed, read_body, read_frame, read_len, write_frame};

/// The protocol name negotiated on the stream.
pub const BID_STREAM: StreamProtocol = StreamProtocol::new(BID_PROTOCOL);
/// The longest reason a response carries, in bytes.
pub const MAX_REASON_LEN: usize = 1_024;

/// A receiver's answer: the status byte of SPEC §11.5 and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidReply {
    /// 0 taken … 6 busy.
    pub status: u8,
    /// Why (empty when taken).
    pub reason: String,
}

/// The request-response codec of `/coopnet/bid/1`. A request frame whose
/// length is out of bounds is read as `Err(Malformed)`, so the event loop
/// can answer `invalid` and penalise the sender (request-response drops
/// read errors silently).
#[derive(Debug, Clone, Default)]
pub struct BidCodec;

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// The reply's frame body; the reason is cut to [`MAX_REASON_LEN`] bytes
/// on a character boundary.
pub fn encode_reply(reply: &BidReply) -> Vec<u8> {
    let mut end = reply.reason.len().min(MAX_REASON_LEN);
    while !reply.reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = vec![reply.status];
    out.extend(&reply.reason.as_bytes()[..end]);
    out
}

/// Reads a reply's frame body.
pub fn decode_reply(body: &[u8]) -> io::Result<BidReply> {
    let (&status, reason) = body
        .split_first()
        .ok_or_else(|| invalid("empty bid reply"))?;
    if status > 6 || reason.len() > MAX_REASON_LEN {
        return Err(invalid("malformed bid reply"));
    }
    let reason = String::from_utf8(reason.to_vec()).map_err(|_| invalid("bid reply not UTF-8"))?;
    Ok(BidReply { status, reason })
}

#[async_trait::async_trait]
impl libp2p::request_response::Codec for BidCodec {
    type Protocol = StreamProtocol;
    type Request = Result<Vec<u8>, Malformed>;
    type Response = BidReply;

    async fn read_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Result<Vec<u8>, Malformed>>
    where
        T: AsyncRead + Unpin + Send,
    {
        match read_len(io, MAX_MESSAGE_LEN).await? {
            Ok(len) => Ok(Ok(read_body(io, len).await?)),
            Err(malformed) => Ok(Err(malformed)),
        }
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<BidReply>
    where
        T: AsyncRead + Unpin + Send,
    {
        decode_reply(&read_frame(io, 1 + MAX_REASON_LEN).await?)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Result<Vec<u8>, Malformed>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let req = req.map_err(|e| invalid(&e.to_string()))?;
        if req.is_empty() || req.len() > MAX_MESSAGE_LEN {
            return Err(invalid("a bid message of 1 to 65,536 bytes"));
        }
        write_frame(io, &req).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: BidReply,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &encode_reply(&res)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::Cursor;
    use libp2p::request_response::Codec;

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut out = (body.len() as u32).to_be_bytes().to_vec();
        out.extend(body);
        out
    }

    #[tokio::test]
    async fn a_message_and_its_reply_cross_the_wire_whole() {
        let mut codec = BidCodec;
        let mut wire = Cursor::new(Vec::new());
        codec
            .write_request(&BID_STREAM, &mut wire, Ok(vec![1, 2, 3]))
            .await
            .unwrap();
        assert_eq!(wire.get_ref(), &frame(&[1, 2, 3]));
        let mut read = Cursor::new(wire.into_inner());
        let got = codec.read_request(&BID_STREAM, &mut read).await.unwrap();
        assert_eq!(got, Ok(vec![1, 2, 3]));

        let reply = BidReply {
            status: 4,
            reason: "not a partner".into(),
        };
        let mut wire = Cursor::new(Vec::new());
        codec
            .write_response(&BID_STREAM, &mut wire, reply.clone())
            .await
            .unwrap();
        let mut read = Cursor::new(wire.into_inner());
        assert_eq!(
            codec.read_response(&BID_STREAM, &mut read).await.unwrap(),
            reply
        );
    }

    #[tokio::test]
    async fn frames_out_of_bounds_are_malformed_and_cut_ones_are_errors() {
        let mut codec = BidCodec;
        let huge = ((MAX_MESSAGE_LEN + 1) as u32).to_be_bytes().to_vec();
        let got = codec
            .read_request(&BID_STREAM, &mut Cursor::new(huge))
            .await
            .unwrap();
        assert!(got.is_err(), "a frame over 64 KiB is malformed");
        let empty = 0_u32.to_be_bytes().to_vec();
        let got = codec
            .read_request(&BID_STREAM, &mut Cursor::new(empty))
            .await
            .unwrap();
        assert!(got.is_err(), "an empty frame is malformed");
        let mut cut = 10_u32.to_be_bytes().to_vec();
        cut.extend([1, 2, 3]);
        assert!(
            codec
                .read_request(&BID_STREAM, &mut Cursor::new(cut))
                .await
                .is_err()
        );
        assert!(decode_reply(&[7]).is_err(), "no status 7");
        assert!(decode_reply(&[]).is_err());
    }

    #[test]
    fn a_long_reason_is_cut_on_a_character_boundary() {
        let reply = BidReply {
            status: 4,
            reason: "é".repeat(MAX_REASON_LEN),
        };
        let body = encode_reply(&reply);
        assert!(body.len() <= 1 + MAX_REASON_LEN);
        assert!(decode_reply(&body).is_ok());
    }
}
