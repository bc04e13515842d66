//! Witnesses in bytes, for prove jobs: what a node stores for a worker on
//! another machine to prove. One format for every circuit's witness but
//! the transfer batch's (which keeps its fixed-width `SPTW2`, see
//! `transfer/codec.rs`): the header `SPWJ`, a version byte (1), the
//! circuit's id (a length byte and its ASCII), then the witness's fields in
//! declaration order: integers as little-endian u64, flags as one byte 0
//! or 1, field elements as ark-serialize's 32 canonical bytes, points as
//! their two coordinates, lists as a u32 length then the items, fixed
//! arrays as their items, and a circuit's shape as its parameter values
//! (a u32 count, then u64 each).
//!
//! Decoding trusts nothing: every read is bounds-checked, a list's length
//! is refused when the bytes left could not hold it (so no allocation
//! exceeds the input), field elements must be canonical, points on the
//! curve, flags 0 or 1, shapes within their circuits' limits, and nothing
//! may follow the witness. Errors name the field (`slots[2].deal_path`).
//! Whether the witness satisfies its circuit is the prover's self-check.

use crate::circuit::{Circuit, CircuitShape, CircuitSpec};
use crate::compute::{
    CreditSlot, Deal, DealBatchWitness, MediationShape, MediationSlot, OpenDealsCircuit, OpenShape,
    OpenSlot, OpenWitness, PartySlot, RecordVerdictsCircuit, RequestMediationCircuit, ResultShape,
    SettleDealsCircuit, SettleShape, SettleSlot, SettleWitness, SubmitResultsCircuit, SubmitSlot,
    VerdictShape, VerdictSlot,
};
use crate::finality::SignerSlot;
use crate::ledger::LedgerRoots;
use crate::primitives::babyjubjub::{is_on_curve, Point};
use crate::primitives::eddsa::PublicKey;
use crate::trust::{
    CommitCircuit, CommitSlot, CommitWitness, MemberSlot, ResolveCircuit, ResolveSlot,
    ResolveWitness, Sponsorship,
};
use crate::Fr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use std::fmt;

/// The header of a witness in this format.
pub const MAGIC: &[u8; 4] = b"SPWJ";
/// The format's version.
pub const VERSION: u8 = 1;

/// Why bytes are not a witness of the expected circuit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("witness bytes{}: {kind}", if path.is_empty() { String::new() } else { format!(", {path}") })]
pub struct WireError {
    /// The field, from the witness down (`slots[2].deal_path[0]`); empty
    /// for the header.
    pub path: String,
    /// What is wrong.
    pub kind: WireErrorKind,
}

/// What is wrong with witness bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireErrorKind {
    /// No `SPWJ` header, or another version.
    Header,
    /// A witness of another circuit.
    Circuit {
        /// The id the bytes name.
        found: String,
        /// The id expected.
        expected: &'static str,
    },
    /// The bytes end inside a value.
    Truncated,
    /// A list longer than the bytes left could hold.
    Length(u64),
    /// A field element at or above the modulus.
    Field,
    /// A point off the Baby Jubjub curve.
    Point,
    /// A flag other than 0 or 1.
    Flag,
    /// An integer too large for its place.
    Integer,
    /// A shape its circuit does not allow.
    Shape(String),
    /// Bytes after the witness.
    Trailing(usize),
}

impl fmt::Display for WireErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header => write!(f, "no SPWJ version {VERSION} header"),
            Self::Circuit { found, expected } => {
                write!(f, "a witness of {found:?}, expected {expected:?}")
            }
            Self::Truncated => write!(f, "the bytes end inside a value"),
            Self::Length(n) => write!(f, "a list of {n} items is longer than the bytes left"),
            Self::Field => write!(f, "not a canonical field element"),
            Self::Point => write!(f, "not a point on the curve"),
            Self::Flag => write!(f, "a flag must be 0 or 1"),
            Self::Integer => write!(f, "an integer out of range"),
            Self::Shape(why) => write!(f, "{why}"),
            Self::Trailing(n) => write!(f, "{n} bytes after the witness"),
        }
    }
}

impl WireError {
    fn new(kind: WireErrorKind) -> Self {
        Self { path: String::new(), kind }
    }

    /// This error, said of a part `name` of the value being read.
    fn within(mut self, name: &str) -> Self {
        self.path = match (self.path.is_empty(), self.path.starts_with('[')) {
            (true, _) => name.to_string(),
            (false, true) => format!("{name}{}", self.path),
            (false, false) => format!("{name}.{}", self.path),
        };
        self
    }
}

type Result<T> = std::result::Result<T, WireError>;

/// A cursor over untrusted bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(WireError::new(WireErrorKind::Truncated));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
}

/// A value with a binary form (module docs).
pub trait Wire: Sized {
    /// Appends the value.
    fn put(&self, out: &mut Vec<u8>);
    /// Reads a value, trusting nothing.
    fn take(r: &mut Reader<'_>) -> Result<Self>;
    /// The fewest bytes a value takes (bounds a list's length).
    const MIN_LEN: usize = 1;
}

impl Wire for u64 {
    const MIN_LEN: usize = 8;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Ok(u64::from_le_bytes(r.take(8)?.try_into().expect("8 bytes")))
    }
}

impl Wire for usize {
    const MIN_LEN: usize = 8;
    fn put(&self, out: &mut Vec<u8>) {
        (*self as u64).put(out);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        usize::try_from(u64::take(r)?).map_err(|_| WireError::new(WireErrorKind::Integer))
    }
}

impl Wire for bool {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        match r.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(WireError::new(WireErrorKind::Flag)),
        }
    }
}

impl Wire for Fr {
    const MIN_LEN: usize = 32;
    fn put(&self, out: &mut Vec<u8>) {
        self.serialize_compressed(&mut *out).expect("a field element serializes");
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Fr::deserialize_compressed(r.take(32)?).map_err(|_| WireError::new(WireErrorKind::Field))
    }
}

impl Wire for Point {
    const MIN_LEN: usize = 64;
    fn put(&self, out: &mut Vec<u8>) {
        self.x.put(out);
        self.y.put(out);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let (x, y) = (Fr::take(r)?, Fr::take(r)?);
        if !is_on_curve(x, y) {
            return Err(WireError::new(WireErrorKind::Point));
        }
        Ok(Point::new_unchecked(x, y))
    }
}

impl Wire for PublicKey {
    const MIN_LEN: usize = 64;
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let p = Point::take(r)?;
        PublicKey::from_coordinates(p.x, p.y).map_err(|_| WireError::new(WireErrorKind::Point))
    }
}

impl<T: Wire> Wire for Vec<T> {
    const MIN_LEN: usize = 4;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        self.iter().for_each(|x| x.put(out));
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let n = r.u32()? as usize;
        if n.saturating_mul(T::MIN_LEN.max(1)) > r.bytes.len() {
            return Err(WireError::new(WireErrorKind::Length(n as u64)));
        }
        (0..n).map(|i| T::take(r).map_err(|e| e.within(&format!("[{i}]")))).collect()
    }
}

impl<T: Wire, const N: usize> Wire for [T; N] {
    const MIN_LEN: usize = N * T::MIN_LEN;
    fn put(&self, out: &mut Vec<u8>) {
        self.iter().for_each(|x| x.put(out));
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let items = (0..N)
            .map(|i| T::take(r).map_err(|e| e.within(&format!("[{i}]"))))
            .collect::<Result<Vec<T>>>()?;
        Ok(items.try_into().unwrap_or_else(|_| unreachable!("N items were read")))
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    const MIN_LEN: usize = A::MIN_LEN + B::MIN_LEN;
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Ok((A::take(r).map_err(|e| e.within("0"))?, B::take(r).map_err(|e| e.within("1"))?))
    }
}

impl<A: Wire, B: Wire, C: Wire> Wire for (A, B, C) {
    const MIN_LEN: usize = A::MIN_LEN + B::MIN_LEN + C::MIN_LEN;
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
        self.2.put(out);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Ok((
            A::take(r).map_err(|e| e.within("0"))?,
            B::take(r).map_err(|e| e.within("1"))?,
            C::take(r).map_err(|e| e.within("2"))?,
        ))
    }
}

/// Implements [`Wire`] for a struct, its fields in declaration order.
macro_rules! wire_struct {
    ($($ty:ident $(<$($g:ident),*>)? { $($field:ident),* $(,)? })*) => {$(
        impl$(<$($g: Wire),*>)? Wire for $ty$(<$($g),*>)? {
            fn put(&self, out: &mut Vec<u8>) {
                $(self.$field.put(out);)*
            }
            fn take(r: &mut Reader<'_>) -> Result<Self> {
                Ok(Self {
                    $($field: Wire::take(r).map_err(|e: WireError| e.within(stringify!($field)))?,)*
                })
            }
        }
    )*};
}

wire_struct! {
    LedgerRoots { accounts, deals, members }
    Deal { id, client, nodes, job, price, deposit, collateral, mediators, mediation_fee, deadline }
    PartySlot { index, public_key, balance, nonce, path, sig_r8, sig_s }
    OpenSlot { used, deal, parties, deal_path }
    OpenWitness {
        depth, deal_depth, k, accounts_root, deals_root, members_root, old_root, new_root, digest,
        slots,
    }
    SubmitSlot {
        used, deal, deal_path, entries, node, result, account, account_path, sig_r8, sig_s,
    }
    MediationSlot { used, deal, deal_path, entries, client, client_path, sig_r8, sig_s }
    SignerSlot { used, index, public_key, stake, path, sig_r8, sig_s }
    VerdictSlot {
        used, deal, deal_path, entries, verdict, committee_tree_root, committee_total, mediators,
    }
    DealBatchWitness<S, T> { shape, now, before, old_root, new_root, digest, slots }
    CreditSlot { index, public_key, balance, nonce, path }
    SettleSlot {
        used, deal, deal_path, results, mediated, verdict, credits, compensation,
        compensation_rem,
    }
    SettleWitness {
        shape, now, accounts_root, deals_root, members_root, old_root, new_root, digest, slots,
    }
    MemberSlot { index, public_key, suspended_until, last_period_plus_one, pending, path }
    CommitSlot { used, sponsor, commitment, sig_r8, sig_s }
    CommitWitness { depth, period, epoch, before, old_root, new_root, digest, slots }
    Sponsorship { id, sponsors, candidate, defector_keys, epoch }
    ResolveSlot { used, sponsorship, sponsors, defects, salts, inserts }
    ResolveWitness { depth, suspension, before, old_root, new_root, digest, slots }
}

/// Implements [`Wire`] for circuit shapes, as their parameter values read
/// back through [`CircuitShape::from_values`] (so within their limits).
macro_rules! wire_shape {
    ($($shape:ty),*) => {$(
        impl Wire for $shape {
            fn put(&self, out: &mut Vec<u8>) {
                self.values().put(out);
            }
            fn take(r: &mut Reader<'_>) -> Result<Self> {
                let values = Vec::<u64>::take(r)?;
                <$shape>::from_values(Self::SPECS[0], &values)
                    .map_err(|e| WireError::new(WireErrorKind::Shape(e.to_string())))
            }
        }
    )*};
}

wire_shape!(OpenShape, ResultShape, MediationShape, VerdictShape, SettleShape);

/// A circuit whose witness travels in this format.
pub trait JobWitness: Wire + Clone {
    /// The circuit it proves.
    type Circuit: Circuit;
    /// The circuit's declaration.
    const SPEC: &'static CircuitSpec;
    /// The circuit over this witness.
    fn into_circuit(self) -> Self::Circuit;
    /// The witness of the circuit.
    fn from_circuit(circuit: Self::Circuit) -> Self;
}

macro_rules! job_witness {
    ($($witness:ty => $circuit:ident),* $(,)?) => {$(
        impl JobWitness for $witness {
            type Circuit = $circuit;
            const SPEC: &'static CircuitSpec =
                <<$circuit as Circuit>::Shape as CircuitShape>::SPECS[0];
            fn into_circuit(self) -> $circuit {
                $circuit { witness: self }
            }
            fn from_circuit(circuit: $circuit) -> Self {
                circuit.witness
            }
        }
    )*};
}

job_witness! {
    OpenWitness => OpenDealsCircuit,
    crate::compute::ResultWitness => SubmitResultsCircuit,
    crate::compute::MediationWitness => RequestMediationCircuit,
    crate::compute::VerdictWitness => RecordVerdictsCircuit,
    SettleWitness => SettleDealsCircuit,
    CommitWitness => CommitCircuit,
    ResolveWitness => ResolveCircuit,
}

/// `w` in the job format.
pub fn to_bytes<W: JobWitness>(w: &W) -> Vec<u8> {
    let id = W::SPEC.id.as_bytes();
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.push(id.len() as u8);
    out.extend_from_slice(id);
    w.put(&mut out);
    out
}

/// Reads a witness of `W`'s circuit in the job format, and checks that its
/// shape is one the circuit allows (its parameters within their limits).
/// What a worker calls on a job from the store.
pub fn from_bytes<W: JobWitness>(bytes: &[u8]) -> Result<W> {
    let spec = W::SPEC;
    let mut r = Reader { bytes };
    let header = r.take(MAGIC.len() + 1).map_err(|_| WireError::new(WireErrorKind::Header))?;
    if &header[..4] != MAGIC || header[4] != VERSION {
        return Err(WireError::new(WireErrorKind::Header));
    }
    let len = r.take(1).map_err(|_| WireError::new(WireErrorKind::Header))?[0] as usize;
    let id = r.take(len).map_err(|_| WireError::new(WireErrorKind::Header))?;
    if id != spec.id.as_bytes() {
        let found = String::from_utf8_lossy(id).into_owned();
        return Err(WireError::new(WireErrorKind::Circuit { found, expected: spec.id }));
    }
    let w = W::take(&mut r)?;
    if !r.bytes.is_empty() {
        return Err(WireError::new(WireErrorKind::Trailing(r.bytes.len())));
    }
    let circuit = w.into_circuit();
    <<W::Circuit as Circuit>::Shape as CircuitShape>::from_values(spec, &circuit.shape().values())
        .map_err(|e| WireError::new(WireErrorKind::Shape(e.to_string())))?;
    Ok(W::from_circuit(circuit))
}

#[cfg(test)]
mod tests;
