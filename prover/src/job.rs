//! Proving a witness that arrived as bytes, as a worker does with a prove
//! job: the job names its circuit, its witness is in the checked format of
//! `stateproof_circuits::wire`, and the key must be that circuit's (its
//! shape the witness's). Transfer batches keep their own format and path
//! (`crate::transfer`).

use crate::keys::Keys;
use crate::{Error, PhaseTimings, Prover, Result};
use stateproof_circuits::compute::{
    MediationWitness, OpenWitness, ResultWitness, SettleWitness, VerdictWitness,
};
use stateproof_circuits::trust::{CommitWitness, ResolveWitness};
use stateproof_circuits::wire::{self, JobWitness};
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::{spec, CompressedUpdate};

/// Decodes `bytes` as a witness of `circuit` and proves it under `keys`
/// (which must be that circuit's key, of the witness's shape).
pub fn prove_witness_bytes<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    circuit: &str,
    bytes: &[u8],
) -> Result<(CompressedUpdate, PhaseTimings)> {
    fn prove<W: JobWitness, M: MsmBackend, N: NttBackend>(
        prover: &Prover<M, N>,
        keys: &Keys,
        bytes: &[u8],
    ) -> Result<(CompressedUpdate, PhaseTimings)> {
        let witness: W = wire::from_bytes(bytes)?;
        keys.prove(prover, witness.into_circuit())
    }
    if keys.spec().id != circuit {
        return Err(Error::KeyMismatch(format!(
            "the witness is for circuit {circuit:?}, the key for {}",
            keys.spec().id
        )));
    }
    match circuit {
        id if id == spec::COMPUTE_OPEN.id => prove::<OpenWitness, _, _>(prover, keys, bytes),
        id if id == spec::COMPUTE_RESULT.id => prove::<ResultWitness, _, _>(prover, keys, bytes),
        id if id == spec::COMPUTE_MEDIATION.id => {
            prove::<MediationWitness, _, _>(prover, keys, bytes)
        }
        id if id == spec::COMPUTE_VERDICT.id => prove::<VerdictWitness, _, _>(prover, keys, bytes),
        id if id == spec::COMPUTE_SETTLE.id => prove::<SettleWitness, _, _>(prover, keys, bytes),
        id if id == spec::TRUST_COMMIT.id => prove::<CommitWitness, _, _>(prover, keys, bytes),
        id if id == spec::TRUST_RESOLVE.id => prove::<ResolveWitness, _, _>(prover, keys, bytes),
        other => Err(Error::UnknownCircuit(other.to_string())),
    }
}
