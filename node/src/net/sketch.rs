//! Set reconciliation for small, scattered differences: a *rateless
//! invertible Bloom lookup table* (after Yang, Gilad and Alizadeh,
//! "Practical Rateless Set Reconciliation", 2024), written from the paper's
//! description and specified in SPEC §8.3.
//!
//! Each record id becomes a *symbol*: a 64-bit key (SipHash-2-4 of the id
//! under a salt the initiator draws for the session, so nobody can make two
//! of their records collide in advance) and a 32-bit check derived from the
//! key. A symbol is XORed into an endless sequence of *cells*: cell 0, then
//! cells ever further apart, cell `i` with probability 2 / (i + 2). The
//! responder sends cells of its set in batches; the initiator XORs its own
//! set into them, so what is left is the symmetric difference, and peels it:
//! a cell holding one symbol shows its key and a matching check, and taking
//! that symbol out of its other cells frees more. About 1.35–1.7 cells of
//! 12 bytes are needed per difference, whatever the sets' size, so a
//! difference of 100 records scattered over 100,000 costs about 2.5 KB,
//! where range fingerprints cost about a kilobyte *per* scattered record.

use std::collections::HashSet;
use std::sync::Arc;

use coopnet_protocol::RecordId;
use siphasher::sip::SipHasher24;

/// Bytes of one cell on the wire: the key sum, then the check sum, both
/// big-endian.
pub const CELL_LEN: usize = 12;
/// Bytes of a session's salt.
pub const SALT_LEN: usize = 16;
/// Most cells one reply carries.
pub const MAX_BATCH: u32 = 4_096;
/// Cells beyond this index are never asked for: a difference that needs
/// more (about 10,000 records) is reconciled by range fingerprints.
pub const MAX_CELLS: u32 = 16_384;
/// Cells the first request asks for: enough for a few differences, and a
/// reply under 400 bytes when the sets are equal.
pub const FIRST_BATCH: u32 = 24;
/// Set sizes that differ by more than this go straight to range
/// fingerprints (a cold start, or a long absence).
pub const MAX_SIZE_GAP: u64 = 4_000;

/// A session's salt, drawn by the initiator.
pub type Salt = [u8; SALT_LEN];

/// Why a sketch could not be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SketchError {
    /// The reply does not continue the cells received so far.
    #[error("sketch reply of {got} cells where {want} were asked for")]
    WrongBatch {
        /// Cells asked for.
        want: u32,
        /// Cells received.
        got: u32,
    },
    /// Peeling found a symbol twice or the cells do not add up: the peer's
    /// cells are inconsistent (or, about once in 2³² peels, a false peel).
    #[error("the peer's sketch does not decode consistently")]
    Inconsistent,
}

/// One record id as a symbol of the session with `salt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol {
    /// SipHash-2-4 of the id's 32 bytes, keyed with the salt.
    pub key: u64,
    /// [`check_of`] the key.
    pub check: u32,
}

impl Symbol {
    /// The symbol of `id` under `salt`.
    pub fn of(salt: &Salt, id: &RecordId) -> Symbol {
        let key = SipHasher24::new_with_key(salt).hash(&id.0);
        Symbol {
            key,
            check: check_of(key),
        }
    }
}

/// The check of a key: the high half of the splitmix64 finaliser of the key
/// XOR a constant. A cell holding one symbol has `check == check_of(key)`;
/// a cell holding several matches by chance once in 2³².
pub fn check_of(key: u64) -> u32 {
    (finalise(key ^ 0x5bd1_e995_7f4a_7c15) >> 32) as u32
}

fn finalise(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The XOR of the symbols in one cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    /// XOR of the keys.
    pub key: u64,
    /// XOR of the checks.
    pub check: u32,
}

impl Cell {
    fn toggle(&mut self, symbol: Symbol) {
        self.key ^= symbol.key;
        self.check ^= symbol.check;
    }

    fn is_empty(&self) -> bool {
        self.key == 0 && self.check == 0
    }

    /// The one symbol this cell holds, if it looks like it holds one.
    fn pure(&self) -> Option<Symbol> {
        (!self.is_empty() && check_of(self.key) == self.check).then_some(Symbol {
            key: self.key,
            check: self.check,
        })
    }

    /// Appends the cell's wire form.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend(self.key.to_be_bytes());
        out.extend(self.check.to_be_bytes());
    }

    /// Reads cells from a whole number of [`CELL_LEN`] chunks.
    pub fn decode_all(bytes: &[u8]) -> Option<Vec<Cell>> {
        if !bytes.len().is_multiple_of(CELL_LEN) {
            return None;
        }
        let cells = bytes.chunks_exact(CELL_LEN).map(|chunk| {
            let (key, check) = chunk.split_at(8);
            Cell {
                key: u64::from_be_bytes(key.try_into().unwrap_or_default()),
                check: u32::from_be_bytes(check.try_into().unwrap_or_default()),
            }
        });
        Some(cells.collect())
    }
}

/// The cells a symbol is in, in increasing order: 0, then each next index
/// drawn so that index `i` is taken with probability 2 / (i + 2).
#[derive(Debug, Clone, Copy)]
struct Walk {
    /// The next cell index.
    next: u64,
    /// splitmix64 state, seeded with the key.
    state: u64,
}

impl Walk {
    fn new(key: u64) -> Walk {
        Walk {
            next: 0,
            state: key,
        }
    }

    /// Moves to the next index: with `u` uniform in (0, 1], the smallest
    /// `k > i` with (k + 1)(k + 2) ≥ (i + 1)(i + 2) / u, since the walk
    /// passes `k` without stopping with probability
    /// ∏_{j=i+1}^{k} j / (j + 2) = (i + 1)(i + 2) / ((k + 1)(k + 2)).
    fn advance(&mut self) {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let u = ((finalise(self.state) >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let i = self.next as f64;
        let bound = (i + 1.0) * (i + 2.0) / u;
        // f64 to u64 saturates; IEEE arithmetic and sqrt are exactly
        // rounded, so both peers compute the same index.
        let k = ((bound + 0.25).sqrt() - 1.5).ceil() as u64;
        self.next = k.max(self.next + 1);
    }

    /// Calls `f` with each index below `end`, leaving the walk at the first
    /// index at or beyond it.
    fn run_to(&mut self, end: u64, mut f: impl FnMut(usize)) {
        while self.next < end {
            f(self.next as usize);
            self.advance();
        }
    }

    /// Whether the walk of `key` passes through `index`.
    fn passes(key: u64, index: u64) -> bool {
        let mut walk = Walk::new(key);
        while walk.next < index {
            walk.advance();
        }
        walk.next == index
    }
}

/// The first `n` cell indices of `key`'s symbol (SPEC §8.3), for tests
/// and the wire vectors.
pub fn indices(key: u64, n: usize) -> Vec<u64> {
    let mut walk = Walk::new(key);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        out.push(walk.next);
        walk.advance();
    }
    out
}

/// Cells `from..from + count` of the set `ids` under `salt` (the
/// responder's side; stateless, so every request stands alone).
pub fn encode(ids: &[RecordId], salt: &Salt, from: u32, count: u32) -> Vec<Cell> {
    let (from, end) = (u64::from(from), u64::from(from) + u64::from(count));
    let mut cells = vec![Cell::default(); count as usize];
    for id in ids {
        let symbol = Symbol::of(salt, id);
        let mut walk = Walk::new(symbol.key);
        walk.run_to(end, |i| {
            if i as u64 >= from {
                cells[i - from as usize].toggle(symbol);
            }
        });
    }
    cells
}

/// What the initiator found, once the sketch decoded.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Difference {
    /// Keys of the records the peer holds and we lack (fetched by key).
    pub theirs: Vec<u64>,
    /// Our records the peer lacks.
    pub ours: Vec<RecordId>,
}

/// The initiator's side: our set's symbols, the cells received so far with
/// our set and every peeled symbol taken out, and what peeling found.
pub struct Decoder {
    salt: Salt,
    ids: Arc<[RecordId]>,
    /// Our symbols, each with its walk at the first cell not yet received
    /// (computed with the first batch, so that starting costs nothing).
    ours: Vec<(Symbol, Walk)>,
    cells: Vec<Cell>,
    /// Peeled symbols, with their walks at the first cell not yet received.
    peeled: Vec<(Symbol, Walk)>,
    found: HashSet<u64>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("ours", &self.ours.len())
            .field("cells", &self.cells.len())
            .field("peeled", &self.peeled.len())
            .finish()
    }
}

impl Decoder {
    /// A decoder of the difference between `ids` (ours) and a peer's set.
    pub fn new(salt: Salt, ids: Arc<[RecordId]>) -> Decoder {
        Decoder {
            salt,
            ids,
            ours: Vec::new(),
            cells: Vec::new(),
            peeled: Vec::new(),
            found: HashSet::new(),
        }
    }

    /// The session's salt.
    pub fn salt(&self) -> &Salt {
        &self.salt
    }

    /// Cells received so far.
    pub fn received(&self) -> u32 {
        self.cells.len() as u32
    }

    /// How many records our set holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether our set is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Takes the peer's next batch (the cells from [`Decoder::received`]
    /// on); returns whether the difference is now fully known.
    pub fn add(&mut self, batch: &[Cell]) -> Result<bool, SketchError> {
        let start = self.cells.len();
        if start == 0 {
            let salt = self.salt;
            let symbols = self.ids.iter().map(|id| Symbol::of(&salt, id));
            self.ours = symbols.map(|s| (s, Walk::new(s.key))).collect();
        }
        self.cells.extend_from_slice(batch);
        let end = self.cells.len() as u64;
        let cells = &mut self.cells;
        for (symbol, walk) in self.ours.iter_mut().chain(self.peeled.iter_mut()) {
            let symbol = *symbol;
            walk.run_to(end, |i| cells[i].toggle(symbol));
        }
        self.peel((start..self.cells.len()).collect())?;
        let done = self.cells.iter().all(Cell::is_empty);
        Ok(done)
    }

    fn peel(&mut self, mut candidates: Vec<usize>) -> Result<(), SketchError> {
        let end = self.cells.len() as u64;
        while let Some(i) = candidates.pop() {
            let Some(symbol) = self.cells[i].pure() else {
                continue;
            };
            if !Walk::passes(symbol.key, i as u64) {
                continue;
            }
            if !self.found.insert(symbol.key) {
                return Err(SketchError::Inconsistent);
            }
            let mut walk = Walk::new(symbol.key);
            let cells = &mut self.cells;
            walk.run_to(end, |at| {
                cells[at].toggle(symbol);
                candidates.push(at);
            });
            self.peeled.push((symbol, walk));
        }
        Ok(())
    }

    /// The difference found (complete once [`Decoder::add`] said so): a
    /// key of our own set is a record the peer lacks, any other one we
    /// lack.
    pub fn difference(&self) -> Difference {
        let mut theirs = self.found.clone();
        let mut ours = Vec::new();
        for ((symbol, _), id) in self.ours.iter().zip(self.ids.iter()) {
            if theirs.remove(&symbol.key) {
                ours.push(*id);
            }
        }
        let mut theirs: Vec<u64> = theirs.into_iter().collect();
        theirs.sort_unstable();
        ours.sort_unstable();
        Difference { theirs, ours }
    }
}

/// The ids among `ids` whose keys under `salt` are in `keys` (the
/// responder's side of a fetch by key).
pub fn resolve(ids: &[RecordId], salt: &Salt, keys: &[u64]) -> Vec<RecordId> {
    let wanted: std::collections::HashSet<u64> = keys.iter().copied().collect();
    let hasher = SipHasher24::new_with_key(salt);
    ids.iter()
        .filter(|id| wanted.contains(&hasher.hash(&id.0)))
        .copied()
        .collect()
}

/// What [`SketchSession::step`] says to do next.
#[derive(Debug, PartialEq, Eq)]
pub enum SketchStep {
    /// Ask the peer for cells `from..from + count`.
    Ask {
        /// First cell index.
        from: u32,
        /// How many cells.
        count: u32,
    },
    /// The difference is known.
    Done(Difference),
    /// The difference is too large for a sketch: reconcile by range
    /// fingerprints instead.
    Fallback,
}

/// The initiator's side of one sketch reconciliation: what to ask for
/// next. After the first batch, it asks straight for about 1.38 × the gap
/// between the two sets' sizes (a lower bound of the difference, and the
/// whole of it when one side simply missed records), then grows by an
/// eighth while near that, or by half beyond it.
#[derive(Debug)]
pub struct SketchSession {
    decoder: Decoder,
    /// Cells asked for so far.
    asked: u32,
}

impl SketchSession {
    /// Starts a session over our set `ids`; returns the first request.
    pub fn start(salt: Salt, ids: Arc<[RecordId]>) -> (SketchSession, SketchStep) {
        let session = SketchSession {
            decoder: Decoder::new(salt, ids),
            asked: FIRST_BATCH,
        };
        let first = SketchStep::Ask {
            from: 0,
            count: FIRST_BATCH,
        };
        (session, first)
    }

    /// The session's salt.
    pub fn salt(&self) -> &Salt {
        self.decoder.salt()
    }

    /// Cells received so far.
    pub fn received(&self) -> u32 {
        self.decoder.received()
    }

    /// Takes the peer's reply: the size of its set and the cells asked for.
    pub fn step(&mut self, their_len: u64, cells: &[Cell]) -> Result<SketchStep, SketchError> {
        let want = self.asked - self.decoder.received();
        if cells.len() != want as usize {
            return Err(SketchError::WrongBatch {
                want,
                got: cells.len() as u32,
            });
        }
        if self.decoder.add(cells)? {
            return Ok(SketchStep::Done(self.decoder.difference()));
        }
        let received = self.decoder.received();
        let gap = their_len.abs_diff(self.decoder.len() as u64);
        if gap > MAX_SIZE_GAP || received >= MAX_CELLS {
            return Ok(SketchStep::Fallback);
        }
        // About 1.38 cells per difference decode a large one; near that,
        // grow in small steps, beyond it (the gap said little) by half.
        let by_gap = u32::try_from(gap * 11 / 8 + 16).unwrap_or(MAX_CELLS);
        let near = u64::from(received) < u64::from(by_gap) * 3 / 2;
        let grow = if near {
            (received / 8).max(16)
        } else {
            received / 2
        };
        let target = (received + grow).max(by_gap).min(MAX_CELLS);
        let count = (target.saturating_sub(received)).clamp(1, MAX_BATCH);
        self.asked = received + count;
        Ok(SketchStep::Ask {
            from: received,
            count,
        })
    }
}

#[cfg(test)]
#[path = "sketch_tests.rs"]
mod tests;
