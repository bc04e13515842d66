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

/// Whether `v` is 0, with no free variable either way (arkworks' `is_eq`
/// leaves its inverse free when the values are equal, which the
/// witness-mutation checker reports): a bit `z` and an inverse `inv` with
/// `v·inv = 1 − z`, `v·z = 0` and `inv·z = 0`. Where `v ≠ 0` they force
/// `z = 0, inv = v⁻¹`; where `v = 0`, `z = 1, inv = 0`.
pub(crate) fn is_zero(
    cs: &ConstraintSystemRef<Fr>,
    v: &FpVar<Fr>,
) -> Result<Boolean<Fr>, SynthesisError> {
    use ark_ff::{Field, One, Zero};
    let z = Boolean::new_witness(cs.clone(), || Ok(v.value()?.is_zero()))?;
    let inv = FpVar::new_witness(cs.clone(), || Ok(v.value()?.inverse().unwrap_or(Fr::zero())))?;
    let zf = FpVar::from(z.clone());
    let zero = FpVar::Constant(Fr::zero());
    (v * &inv).enforce_equal(&(FpVar::Constant(Fr::one()) - &zf))?;
    (v * &zf).enforce_equal(&zero)?;
    (&inv * &zf).enforce_equal(&zero)?;
    Ok(z)
}

/// `value ≠ 0` where `on`, with no free variable either way: an inverse
/// `inv` with `value·inv = on` and `(1 − on)·inv = 0` (so `inv = 0` where
/// off, whatever `value` is, and `value⁻¹` where on).
pub(crate) fn enforce_nonzero_if(
    cs: &ConstraintSystemRef<Fr>,
    value: &FpVar<Fr>,
    on: &Boolean<Fr>,
) -> Result<(), SynthesisError> {
    use ark_ff::{Field, One, Zero};
    let inv = FpVar::new_witness(cs.clone(), || {
        let v = value.value()?;
        Ok(if on.value()? { v.inverse().unwrap_or(Fr::zero()) } else { Fr::zero() })
    })?;
    let on = FpVar::from(on.clone());
    (value * &inv).enforce_equal(&on)?;
    ((FpVar::Constant(Fr::one()) - &on) * &inv).enforce_equal(&FpVar::Constant(Fr::zero()))
}
