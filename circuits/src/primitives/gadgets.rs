//! Small gadgets the state-transition circuits share.

use super::babyjubjub::bits_le_at_most;
use crate::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// A 64-bit range check: `x` equals the sum of 64 constrained bits.
pub(crate) fn enforce_u64(x: &FpVar<Fr>) -> Result<(), SynthesisError> {
    bits_le_at_most(x, 64, None).map(|_| ())
}

/// `depth` witness bits of a tree index, least significant first.
pub(crate) fn index_bits(
    cs: &ConstraintSystemRef<Fr>,
    index: u64,
    depth: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    (0..depth)
        .map(|i| Boolean::new_witness(cs.clone(), || Ok(i < 64 && (index >> i) & 1 == 1)))
        .collect()
}
