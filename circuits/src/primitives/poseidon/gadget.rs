//! Poseidon as an R1CS gadget: 3 constraints per S-box, linear layers free.

use super::params;
use crate::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::SynthesisError;

/// `x^5` in three constraints: `x2 = x·x`, `x4 = x2·x2`, `x5 = x4·x`.
fn pow5(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

/// Poseidon hash of 1 to [`super::MAX_INPUTS`] field variables; the same
/// function as [`super::poseidon`].
pub fn poseidon_gadget(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let p = params(inputs.len()).map_err(|_| SynthesisError::Unsatisfiable)?;
    let t = p.width;
    let mut state = Vec::with_capacity(t);
    state.push(FpVar::Constant(Fr::from(0u64)));
    state.extend_from_slice(inputs);
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * t..(r + 1) * t]) {
            *s += *c;
        }
        if p.is_full_round(r) {
            for s in state.iter_mut() {
                *s = pow5(s)?;
            }
        } else {
            state[0] = pow5(&state[0])?;
        }
        state = p
            .mds
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&state)
                    .fold(FpVar::Constant(Fr::from(0u64)), |acc, (m, s)| acc + s * *m)
            })
            .collect();
    }
    Ok(state.swap_remove(0))
}

/// Marker type naming the gadget in constraint reports.
pub struct PoseidonGadget;

impl PoseidonGadget {
    /// Poseidon of two variables: the Merkle tree's node hash.
    pub fn hash2(left: &FpVar<Fr>, right: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        poseidon_gadget(&[left.clone(), right.clone()])
    }

    /// Where `on`, chains `item` into a batch digest: `d ← Poseidon(d,
    /// item)`; elsewhere leaves `d` as it is.
    pub fn chain_if(
        digest: &mut FpVar<Fr>,
        item: &FpVar<Fr>,
        on: &Boolean<Fr>,
    ) -> Result<(), SynthesisError> {
        let chained = Self::hash2(digest, item)?;
        *digest = on.select(&chained, digest)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::poseidon::poseidon;
    use ark_relations::gr1cs::ConstraintSystem;
    use ark_std::UniformRand;

    #[test]
    fn gadget_matches_native_for_every_width() {
        let mut rng = ark_std::test_rng();
        for n in 1..=crate::primitives::poseidon::MAX_INPUTS {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let values: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let vars: Vec<FpVar<Fr>> =
                values.iter().map(|v| FpVar::new_witness(cs.clone(), || Ok(*v)).unwrap()).collect();
            let out = poseidon_gadget(&vars).unwrap();
            assert_eq!(out.value().unwrap(), poseidon(&values).unwrap());
            assert!(cs.is_satisfied().unwrap());
            let p = params(n).unwrap();
            // The first S-box acts on the constant `0 + c`, which costs nothing:
            // Poseidon(2) is 3 · (8·3 + 57 − 1) = 240, circomlib's count.
            let sboxes = FULL_ROUNDS_FOR_TEST * p.width + p.partial_rounds - 1;
            assert_eq!(cs.num_constraints(), 3 * sboxes, "width {}", p.width);
            if n == 2 {
                assert_eq!(cs.num_constraints(), 240);
            }
        }
    }

    const FULL_ROUNDS_FOR_TEST: usize = crate::primitives::poseidon::FULL_ROUNDS;

    #[test]
    fn wrong_output_is_unsatisfiable() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).unwrap();
        let out = PoseidonGadget::hash2(&a, &b).unwrap();
        let claimed = FpVar::new_input(cs.clone(), || Ok(Fr::from(3u64))).unwrap();
        out.enforce_equal(&claimed).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
