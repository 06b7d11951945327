//! The anti-entropy protocol's messages and their bounded wire form.
//!
//! Every message is one frame: a u32 big-endian length, then a tag byte and
//! the fields. Lengths are checked before anything is read, and a frame's
//! buffer grows only with the bytes that actually arrive, so a peer cannot
//! make us buffer more than it sends, nor more than [`MAX_RESPONSE_LEN`].
//!
//! A malformed *request* is not an I/O error: request-response drops
//! requests whose reading failed without telling the behaviour, so the
//! codec hands it up as `Err(Malformed)` and the event loop penalises the
//! sender and refuses it (SPEC §8.2).

use std::io;

use coopnet_protocol::{MAX_RECORD_LEN, RecordId};

use super::sketch::{CELL_LEN, Cell, MAX_BATCH, MAX_CELLS, SALT_LEN, Salt};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

/// The protocol name negotiated on the stream.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/coopnet/sync/1");
/// Most bytes of records one push carries (at least one record of the
/// largest size fits).
pub const MAX_PUSH_BYTES: usize = 256 * 1024;
/// Largest request frame: a reconciliation message, or a push, and its
/// header.
pub const MAX_REQUEST_LEN: usize = MAX_PUSH_BYTES + 1024;
/// Largest response frame: a page of records (as large as a push) and its
/// header, or a sketch or reconciliation reply.
pub const MAX_RESPONSE_LEN: usize = MAX_PUSH_BYTES + 1024;
/// Most record ids one fetch may ask for.
pub const MAX_FETCH_IDS: usize = 1_024;

/// What a syncing peer asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequest {
    /// A negentropy reconciliation message.
    Reconcile(Vec<u8>),
    /// The records with these ids, please.
    Fetch(Vec<RecordId>),
    /// Records the sender's reconciliation found we lack, in raw signed
    /// form (at most [`MAX_PUSH_BYTES`] of them, each length-prefixed).
    Push(Vec<Vec<u8>>),
    /// The sender's reconciliation with us completed and it has fetched
    /// what it lacked: it now holds every record we held when it began.
    Reconciled,
    /// Cells `from..from + count` of the sketch of our set under `salt`
    /// (at most [`MAX_BATCH`] cells, none at or beyond [`MAX_CELLS`]).
    Sketch {
        /// The session's salt.
        salt: Salt,
        /// First cell index.
        from: u32,
        /// How many cells.
        count: u32,
    },
    /// The records whose keys under `salt` are these, please (at most
    /// [`MAX_FETCH_IDS`]).
    FetchKeys {
        /// The session's salt.
        salt: Salt,
        /// The keys a sketch found.
        keys: Vec<u64>,
    },
}

/// What a peer answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResponse {
    /// The next negentropy message.
    Reconcile(Vec<u8>),
    /// The records asked for that we hold, in raw signed form. May be a
    /// prefix of what was asked if the page would exceed the frame limit.
    Records(Vec<Vec<u8>>),
    /// We will not answer now (rate limit, overload); the text says why.
    Refused(String),
    /// A push or a `Reconciled` was taken.
    Received,
    /// The cells asked for, and how many records our set holds.
    Sketch {
        /// Records in our set.
        set_len: u64,
        /// The cells, in order.
        cells: Vec<Cell>,
    },
}

/// The request-response codec for [`SyncRequest`] / [`SyncResponse`].
/// Requests are read as `Result<SyncRequest, Malformed>` (see the module
/// doc); writing an `Err` is refused.
#[derive(Debug, Clone, Default)]
pub struct SyncCodec;

/// A request frame that breaks SPEC §8.2: the sender is penalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed sync request: {0}")]
pub struct Malformed(pub &'static str);

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// Reads a frame's length; `Ok(Err(..))` when it is out of `1..=max`.
pub(super) async fn read_len<T: AsyncRead + Unpin + Send>(
    io: &mut T,
    max: usize,
) -> io::Result<Result<usize, Malformed>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    Ok(match len == 0 || len > max {
        true => Err(Malformed("frame length out of bounds")),
        false => Ok(len),
    })
}

/// Reads `len` bytes, growing the buffer only as they arrive (a peer that
/// announces a large frame and sends little costs what it sent).
pub(super) async fn read_body<T: AsyncRead + Unpin + Send>(
    io: &mut T,
    len: usize,
) -> io::Result<Vec<u8>> {
    let mut frame = Vec::new();
    io.take(len as u64).read_to_end(&mut frame).await?;
    if frame.len() < len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(frame)
}

pub(super) async fn read_frame<T: AsyncRead + Unpin + Send>(
    io: &mut T,
    max: usize,
) -> io::Result<Vec<u8>> {
    match read_len(io, max).await? {
        Ok(len) => read_body(io, len).await,
        Err(Malformed(why)) => Err(invalid(why)),
    }
}

pub(super) async fn write_frame<T: AsyncWrite + Unpin + Send>(
    io: &mut T,
    frame: &[u8],
) -> io::Result<()> {
    let len = u32::try_from(frame.len()).map_err(|_| invalid("frame too large"))?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(frame).await?;
    io.close().await
}

/// Encodes a request as a frame body.
pub fn encode_request(request: &SyncRequest) -> Vec<u8> {
    match request {
        SyncRequest::Reconcile(msg) => [&[0u8][..], msg].concat(),
        SyncRequest::Fetch(ids) => {
            let mut out = vec![1u8];
            out.extend(ids.iter().flat_map(|id| id.0));
            out
        }
        SyncRequest::Push(records) => encode_records(2, records),
        SyncRequest::Reconciled => vec![3u8],
        SyncRequest::Sketch { salt, from, count } => {
            let mut out = vec![4u8];
            out.extend(salt);
            out.extend(from.to_be_bytes());
            out.extend(count.to_be_bytes());
            out
        }
        SyncRequest::FetchKeys { salt, keys } => {
            let mut out = vec![5u8];
            out.extend(salt);
            out.extend(keys.iter().flat_map(|key| key.to_be_bytes()));
            out
        }
    }
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes.try_into().unwrap_or_default())
}

/// A sketch request's fields, checked against the bounds.
fn decode_sketch(body: &[u8]) -> Result<SyncRequest, Malformed> {
    let [salt, from, count] = [
        0..SALT_LEN,
        SALT_LEN..SALT_LEN + 4,
        SALT_LEN + 4..SALT_LEN + 8,
    ]
    .map(|range| body.get(range).unwrap_or_default());
    let (from, count) = (be_u32(from), be_u32(count));
    let in_bounds = body.len() == SALT_LEN + 8
        && (1..=MAX_BATCH).contains(&count)
        && u64::from(from) + u64::from(count) <= u64::from(MAX_CELLS);
    if !in_bounds {
        return Err(Malformed("sketch request out of bounds"));
    }
    let salt = salt.try_into().unwrap_or_default();
    Ok(SyncRequest::Sketch { salt, from, count })
}

/// A fetch by keys: the salt, then 1 to [`MAX_FETCH_IDS`] keys.
fn decode_fetch_keys(body: &[u8]) -> Result<SyncRequest, Malformed> {
    let (salt, keys) = body
        .split_at_checked(SALT_LEN)
        .ok_or(Malformed("cut fetch by keys"))?;
    if keys.is_empty() || !keys.len().is_multiple_of(8) || keys.len() / 8 > MAX_FETCH_IDS {
        return Err(Malformed("fetch by keys out of bounds"));
    }
    let keys = keys
        .chunks_exact(8)
        .map(|key| u64::from_be_bytes(key.try_into().unwrap_or_default()));
    Ok(SyncRequest::FetchKeys {
        salt: salt.try_into().unwrap_or_default(),
        keys: keys.collect(),
    })
}

/// A tag, then each record as a u32 big-endian length and its bytes.
fn encode_records(tag: u8, records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![tag];
    for record in records {
        out.extend((record.len() as u32).to_be_bytes());
        out.extend(record);
    }
    out
}

/// The records of [`encode_records`], each at most [`MAX_RECORD_LEN`].
fn decode_records(mut rest: &[u8]) -> Result<Vec<Vec<u8>>, Malformed> {
    let mut records = Vec::new();
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(4).ok_or(Malformed("cut record"))?;
        let len = u32::from_be_bytes(len.try_into().unwrap_or([0; 4])) as usize;
        if len > MAX_RECORD_LEN || len > tail.len() {
            return Err(Malformed("record length out of bounds"));
        }
        records.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    Ok(records)
}

/// Decodes a request frame body.
pub fn decode_request(frame: &[u8]) -> Result<SyncRequest, Malformed> {
    match frame.split_first() {
        Some((0, msg)) => Ok(SyncRequest::Reconcile(msg.to_vec())),
        Some((1, ids)) if ids.len() % 32 == 0 && ids.len() / 32 <= MAX_FETCH_IDS => {
            let ids = ids
                .chunks_exact(32)
                .map(|c| RecordId(c.try_into().unwrap_or([0; 32])));
            Ok(SyncRequest::Fetch(ids.collect()))
        }
        Some((1, _)) => Err(Malformed("fetch of a partial id or too many ids")),
        Some((2, records)) if records.len() <= MAX_PUSH_BYTES => {
            decode_records(records).map(SyncRequest::Push)
        }
        Some((2, _)) => Err(Malformed("push larger than 262,144 bytes of records")),
        Some((3, [])) => Ok(SyncRequest::Reconciled),
        Some((4, body)) => decode_sketch(body),
        Some((5, body)) => decode_fetch_keys(body),
        Some((3, _)) => Err(Malformed("reconciled with a body")),
        _ => Err(Malformed("unknown request tag")),
    }
}

/// Encodes a response as a frame body.
pub fn encode_response(response: &SyncResponse) -> Vec<u8> {
    match response {
        SyncResponse::Reconcile(msg) => [&[0u8][..], msg].concat(),
        SyncResponse::Records(records) => encode_records(1, records),
        SyncResponse::Refused(reason) => [&[2u8][..], reason.as_bytes()].concat(),
        SyncResponse::Received => vec![3u8],
        SyncResponse::Sketch { set_len, cells } => {
            let mut out = Vec::with_capacity(9 + CELL_LEN * cells.len());
            out.push(4u8);
            out.extend(set_len.to_be_bytes());
            cells.iter().for_each(|cell| cell.encode_into(&mut out));
            out
        }
    }
}

/// Decodes a response frame body.
pub fn decode_response(frame: &[u8]) -> io::Result<SyncResponse> {
    match frame.split_first() {
        Some((0, msg)) => Ok(SyncResponse::Reconcile(msg.to_vec())),
        Some((1, records)) => decode_records(records)
            .map(SyncResponse::Records)
            .map_err(|Malformed(why)| invalid(why)),
        Some((2, reason)) => Ok(SyncResponse::Refused(
            String::from_utf8_lossy(reason).into(),
        )),
        Some((3, [])) => Ok(SyncResponse::Received),
        Some((4, body)) if body.len() <= 8 + CELL_LEN * MAX_BATCH as usize => {
            let (set_len, cells) = body
                .split_at_checked(8)
                .ok_or_else(|| invalid("cut sketch"))?;
            let cells = Cell::decode_all(cells).ok_or_else(|| invalid("cut sketch cell"))?;
            let set_len = u64::from_be_bytes(set_len.try_into().unwrap_or_default());
            Ok(SyncResponse::Sketch { set_len, cells })
        }
        _ => Err(invalid("malformed sync response")),
    }
}

#[async_trait::async_trait]
impl libp2p::request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = Result<SyncRequest, Malformed>;
    type Response = SyncResponse;

    async fn read_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Result<SyncRequest, Malformed>>
    where
        T: AsyncRead + Unpin + Send,
    {
        match read_len(io, MAX_REQUEST_LEN).await? {
            Ok(len) => Ok(decode_request(&read_body(io, len).await?)),
            // NOTE: the body is left unread; the answer (a refusal) is
            // written and the stream closed.
            Err(malformed) => Ok(Err(malformed)),
        }
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<SyncResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        decode_response(&read_frame(io, MAX_RESPONSE_LEN).await?)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Result<SyncRequest, Malformed>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let req = req.map_err(|e| invalid(&e.to_string()))?;
        write_frame(io, &encode_request(&req)).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: SyncResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &encode_response(&res)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_responses_round_trip() {
        let requests = [
            SyncRequest::Reconcile(vec![0x61, 1, 2]),
            SyncRequest::Fetch(vec![RecordId([7; 32])]),
            SyncRequest::Push(vec![vec![1, 2], vec![3]]),
            SyncRequest::Reconciled,
            SyncRequest::Sketch {
                salt: [3; SALT_LEN],
                from: 24,
                count: 36,
            },
            SyncRequest::FetchKeys {
                salt: [4; SALT_LEN],
                keys: vec![1, u64::MAX],
            },
        ];
        for request in requests {
            assert_eq!(decode_request(&encode_request(&request)).unwrap(), request);
        }
        let responses = [
            SyncResponse::Reconcile(vec![9]),
            SyncResponse::Records(vec![vec![1, 2, 3], vec![]]),
            SyncResponse::Refused("slow down".into()),
            SyncResponse::Received,
            SyncResponse::Sketch {
                set_len: 100_000,
                cells: vec![Cell { key: 5, check: 6 }; 3],
            },
        ];
        for response in responses {
            assert_eq!(
                decode_response(&encode_response(&response)).unwrap(),
                response
            );
        }
    }

    #[test]
    fn garbage_frames_are_errors_not_panics() {
        // (A tag-1 frame of exactly 32 bytes is a valid fetch of one id.)
        for frame in [&[][..], &[9], &[1, 1, 2, 3], &[1, 0, 0, 0, 9, 1], &[3, 0]] {
            assert!(decode_request(frame).is_err(), "{frame:?}");
            assert!(decode_response(frame).is_err(), "{frame:?}");
        }
    }

    #[test]
    fn a_fetch_of_too_many_ids_is_refused() {
        let frame = encode_request(&SyncRequest::Fetch(vec![
            RecordId([1; 32]);
            MAX_FETCH_IDS + 1
        ]));
        assert!(decode_request(&frame).is_err());
    }

    #[test]
    fn sketch_requests_beyond_the_bounds_are_refused() {
        let sketch = |from, count| {
            encode_request(&SyncRequest::Sketch {
                salt: [0; SALT_LEN],
                from,
                count,
            })
        };
        assert!(decode_request(&sketch(0, MAX_BATCH)).is_ok());
        assert!(decode_request(&sketch(MAX_CELLS - 1, 1)).is_ok());
        for (from, count) in [(0, 0), (0, MAX_BATCH + 1), (MAX_CELLS, 1), (u32::MAX, 2)] {
            assert!(
                decode_request(&sketch(from, count)).is_err(),
                "{from} {count}"
            );
        }
        assert!(decode_request(&sketch(0, 1)[..20]).is_err());
        let keys = |n| {
            encode_request(&SyncRequest::FetchKeys {
                salt: [0; SALT_LEN],
                keys: vec![9; n],
            })
        };
        assert!(decode_request(&keys(MAX_FETCH_IDS)).is_ok());
        assert!(decode_request(&keys(MAX_FETCH_IDS + 1)).is_err());
        assert!(decode_request(&keys(0)).is_err());
        assert!(decode_request(&keys(1)[..20]).is_err());
        // A reply with a cut cell.
        assert!(decode_response(&[4, 0, 0, 0, 0, 0, 0, 0, 1, 9]).is_err());
    }

    #[test]
    fn a_push_with_a_cut_or_oversize_record_is_refused() {
        assert!(decode_request(&[2, 0, 0, 0, 9, 1]).is_err());
        let oversize = vec![0u8; MAX_RECORD_LEN + 1];
        let frame = encode_request(&SyncRequest::Push(vec![oversize]));
        assert!(decode_request(&frame).is_err());
    }

    /// The frames of `protocol/testdata/wire.json` (SPEC §7).
    fn wire() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../protocol/testdata/wire.json")).unwrap()
    }

    fn frames(doc: &serde_json::Value, list: &str) -> Vec<(String, Vec<u8>)> {
        let items = doc[list].as_array().unwrap();
        assert!(!items.is_empty(), "{list}");
        items
            .iter()
            .map(|v| {
                let name = v["name"].as_str().unwrap().to_owned();
                (name, hex::decode(v["frame_hex"].as_str().unwrap()).unwrap())
            })
            .collect()
    }

    /// Reads one request frame from `bytes` as a node does.
    fn read(bytes: &[u8]) -> io::Result<Result<SyncRequest, Malformed>> {
        use libp2p::request_response::Codec;
        let mut io = futures::io::Cursor::new(bytes.to_vec());
        futures::executor::block_on(SyncCodec.read_request(&SYNC_PROTOCOL, &mut io))
    }

    #[test]
    fn the_wire_vectors_decode_and_encode_to_their_exact_frames() {
        let doc = wire();
        for (name, bytes) in frames(&doc, "requests") {
            let request = read(&bytes)
                .unwrap()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(encode_request(&request), bytes[4..], "{name}");
        }
        for (name, bytes) in frames(&doc, "responses") {
            let response = decode_response(&bytes[4..]).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(encode_response(&response), bytes[4..], "{name}");
        }
    }

    #[test]
    fn every_malformed_vector_is_read_as_malformed() {
        for (name, bytes) in frames(&wire(), "malformed_requests") {
            assert!(matches!(read(&bytes), Ok(Err(_))), "{name}");
        }
    }
}
