//! Under-constraint checks: change each private witness variable, one at a
//! time, and confirm that some constraint breaks.
//!
//! A variable that can take another value with every constraint still
//! satisfied is *free*: either an under-constrained circuit (the commonest
//! ZK bug: a prover could choose it) or a value that is intentionally free
//! and must be shown harmless. Only the constraints that mention a variable
//! can break when it alone changes, so each mutation re-evaluates just
//! those rows: the whole check is linear in the circuit's size.

use crate::Fr;
use ark_ff::{One, Zero};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};

/// What [`free_witness_variables`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MutationReport {
    /// Private witness variables checked.
    pub witness_variables: usize,
    /// Indices (among the private witness variables, in allocation order)
    /// of those that every mutation left satisfying all constraints.
    pub free: Vec<usize>,
}

fn row_value(row: &[(Fr, usize)], z: &[Fr]) -> Fr {
    row.iter().map(|(c, i)| *c * z[*i]).sum()
}

/// Synthesizes `circuit` with its witness, checks that it is satisfied,
/// then mutates every private witness variable by each of `deltas` and
/// reports those for which no constraint breaks.
pub fn free_witness_variables<C: ConstraintSynthesizer<Fr>>(
    circuit: C,
    deltas: &[Fr],
) -> Result<MutationReport, SynthesisError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove { construct_matrices: true, generate_lc_assignments: false });
    circuit.generate_constraints(cs.clone())?;
    cs.finalize();
    if !cs.is_satisfied()? {
        return Err(SynthesisError::Unsatisfiable);
    }
    let matrices = cs.to_matrices()?.remove(R1CS_PREDICATE_LABEL).unwrap_or_default();
    let (a, b, c) = (&matrices[0], &matrices[1], &matrices[2]);
    let instance = cs.instance_assignment()?;
    let mut z = [instance.clone(), cs.witness_assignment()?].concat();
    // The constraints each variable appears in.
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); z.len()];
    for (row, (ra, (rb, rc))) in a.iter().zip(b.iter().zip(c)).enumerate() {
        for (_, var) in ra.iter().chain(rb).chain(rc) {
            if rows_of[*var].last() != Some(&row) {
                rows_of[*var].push(row);
            }
        }
    }
    let broken = |z: &[Fr], rows: &[usize]| {
        rows.iter().any(|&r| row_value(&a[r], z) * row_value(&b[r], z) != row_value(&c[r], z))
    };
    let mut free = Vec::new();
    for var in instance.len()..z.len() {
        let original = z[var];
        let constrained = deltas.iter().filter(|d| !d.is_zero()).all(|d| {
            z[var] = original + d;
            let hit = broken(&z, &rows_of[var]);
            z[var] = original;
            hit
        });
        if !constrained {
            free.push(var - instance.len());
        }
    }
    Ok(MutationReport { witness_variables: z.len() - instance.len(), free })
}

/// The deltas the project's checks use: ±1, a large value and a value near
/// the modulus.
pub fn default_deltas() -> Vec<Fr> {
    vec![Fr::one(), -Fr::one(), Fr::from(u64::MAX) + Fr::one(), -Fr::from(1u64 << 40)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::fields::fp::FpVar;
    use ark_r1cs_std::prelude::*;
    use ark_relations::gr1cs::ConstraintSystemRef;

    /// `x · y = out` with a stray witness `w` that no constraint mentions.
    struct Leaky;

    impl ConstraintSynthesizer<Fr> for Leaky {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let out = FpVar::new_input(cs.clone(), || Ok(Fr::from(6u64)))?;
            let x = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64)))?;
            let y = FpVar::new_witness(cs.clone(), || Ok(Fr::from(3u64)))?;
            let _w = FpVar::new_witness(cs.clone(), || Ok(Fr::from(9u64)))?;
            (x * y).enforce_equal(&out)
        }
    }

    #[test]
    fn the_checker_finds_a_free_variable() {
        let report = free_witness_variables(Leaky, &default_deltas()).unwrap();
        // x·y is allocated as a product variable: x, y, w, x·y.
        assert_eq!(report.free, vec![2], "{report:?}");
    }
}
