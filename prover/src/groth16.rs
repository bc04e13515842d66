//! Groth16 proof assembly on pluggable MSM and NTT backends.

use crate::{Error, Result};
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::Zero;
use ark_groth16::r1cs_to_qap::evaluate_constraint;
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use rayon::prelude::*;
use stateproof_kernels::{MsmBackend, NttBackend, PreparedBases};
use std::time::{Duration, Instant};

/// Time spent in each phase of one proof.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhaseTimings {
    /// Native rules and witness building (filled in by callers that do it).
    pub witness_generation: Duration,
    /// Constraint synthesis and LC inlining.
    pub synthesis: Duration,
    /// Building the constraint matrices and the full assignment.
    pub matrices: Duration,
    /// Constraint evaluation and the seven NTTs of the quotient.
    pub witness_map: Duration,
    /// MSM for A (G1).
    pub msm_a: Duration,
    /// MSM for B (G1).
    pub msm_b_g1: Duration,
    /// MSM for B (G2), on the CPU, concurrent with the G1 MSMs (so the
    /// phases overlap and do not add up to the total).
    pub msm_b_g2: Duration,
    /// MSM over the quotient (G1).
    pub msm_h: Duration,
    /// MSM over the witness for C (G1).
    pub msm_l: Duration,
    /// Verifying the finished proof before returning it.
    pub self_check: Duration,
    /// The whole proof, synthesis to checked proof.
    pub total: Duration,
}

impl PhaseTimings {
    /// `(name, duration)` pairs in phase order, for reports.
    pub fn phases(&self) -> [(&'static str, Duration); 11] {
        [
            ("witness generation", self.witness_generation),
            ("constraint synthesis", self.synthesis),
            ("matrices, assignment", self.matrices),
            ("witness map (7 NTTs)", self.witness_map),
            ("MSM A (G1)", self.msm_a),
            ("MSM B (G1)", self.msm_b_g1),
            ("MSM B (G2)", self.msm_b_g2),
            ("MSM H (G1)", self.msm_h),
            ("MSM L (G1)", self.msm_l),
            ("self-check (pairing)", self.self_check),
            ("total", self.total),
        ]
    }
}

/// The group elements of a proving key that are not query vectors.
struct KeyConstants {
    alpha_g1: G1Affine,
    beta_g1: G1Affine,
    delta_g1: G1Affine,
    beta_g2: G2Affine,
    delta_g2: G2Affine,
    a0: G1Affine,
    b_g1_0: G1Affine,
    b_g2_0: G2Affine,
    num_variables: usize,
    num_witness: usize,
}

/// A proving key prepared by an MSM backend: its query vectors in the
/// backend's form (for a device backend, uploaded once and kept resident
/// across proofs) and the few constants proof assembly needs. The key
/// itself is not kept: the backend's copy is the only one.
pub struct PreparedKey<M: MsmBackend> {
    constants: KeyConstants,
    pvk: PreparedVerifyingKey<Bn254>,
    a: M::G1Bases,
    b_g1: M::G1Bases,
    b_g2: M::G2Bases,
    h: M::G1Bases,
    l: M::G1Bases,
}

/// A Groth16 prover holding its backends and a prepared proving key.
pub struct Prover<M: MsmBackend, N: NttBackend> {
    msm: M,
    ntt: N,
    key: PreparedKey<M>,
}

fn timed<T>(slot: &mut Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    *slot = start.elapsed();
    out
}

impl<M: MsmBackend, N: NttBackend> Prover<M, N> {
    /// Prepares `pk`'s bases on the MSM backend.
    pub fn new(msm: M, ntt: N, pk: &ProvingKey<Bn254>) -> Result<Self> {
        let first = |q: &[G1Affine]| q.first().copied().unwrap_or_default();
        let constants = KeyConstants {
            alpha_g1: pk.vk.alpha_g1,
            beta_g1: pk.beta_g1,
            delta_g1: pk.delta_g1,
            beta_g2: pk.vk.beta_g2,
            delta_g2: pk.vk.delta_g2,
            a0: first(&pk.a_query),
            b_g1_0: first(&pk.b_g1_query),
            b_g2_0: pk.b_g2_query.first().copied().unwrap_or_default(),
            num_variables: pk.a_query.len(),
            num_witness: pk.l_query.len(),
        };
        let key = PreparedKey {
            constants,
            pvk: ark_groth16::prepare_verifying_key(&pk.vk),
            a: msm.prepare_g1(&pk.a_query)?,
            b_g1: msm.prepare_g1(&pk.b_g1_query)?,
            b_g2: msm.prepare_g2(&pk.b_g2_query)?,
            h: msm.prepare_g1(&pk.h_query)?,
            l: msm.prepare_g1(&pk.l_query)?,
        };
        Ok(Self { msm, ntt, key })
    }

    /// The MSM and NTT backends (for their counters and decisions).
    pub fn backends(&self) -> (&M, &N) {
        (&self.msm, &self.ntt)
    }

    /// Backend names, "msm/ntt".
    pub fn backend_names(&self) -> (&'static str, &'static str) {
        (self.msm.name(), self.ntt.name())
    }

    /// Proves `circuit` with zero-knowledge randomness `(r, s)`.
    ///
    /// Returns an error, not a proof, when the witness does not satisfy the
    /// circuit, when the circuit's shape does not fit the key, or when the
    /// finished proof does not verify (so a faulty backend cannot hand out a
    /// wrong proof).
    pub fn prove<C: ConstraintSynthesizer<Fr>>(
        &self,
        circuit: C,
        r: Fr,
        s: Fr,
    ) -> Result<(Proof<Bn254>, PhaseTimings)> {
        let start = Instant::now();
        let mut t = PhaseTimings::default();
        let k = &self.key.constants;

        let cs = ConstraintSystem::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: true,
            generate_lc_assignments: false,
        });
        timed(&mut t.synthesis, || -> Result<()> {
            circuit.generate_constraints(cs.clone())?;
            cs.finalize();
            Ok(())
        })?;
        let num_inputs = cs.num_instance_variables();
        let num_constraints = cs.num_constraints();
        let num_witness = cs.num_witness_variables();
        if k.num_variables != num_inputs + num_witness || k.num_witness != num_witness {
            return Err(Error::KeyMismatch(format!(
                "key has {} variables, circuit has {}",
                k.num_variables,
                num_inputs + num_witness
            )));
        }
        let (matrices, full_assignment) = timed(&mut t.matrices, || -> Result<_> {
            let mut matrices = cs.to_matrices()?;
            let matrices = matrices.remove(R1CS_PREDICATE_LABEL).unwrap_or_default();
            let assignment = [cs.instance_assignment()?, cs.witness_assignment()?].concat();
            Ok((matrices, assignment))
        })?;

        // Witness map: evaluations of A·z, B·z, C·z over H, then the quotient.
        let h = timed(&mut t.witness_map, || -> Result<Vec<Fr>> {
            let n = (num_constraints + num_inputs).next_power_of_two();
            let eval = |m: usize| -> Vec<Fr> {
                let mut v = vec![Fr::zero(); n];
                v[..num_constraints]
                    .par_iter_mut()
                    .zip(&matrices[m])
                    .for_each(|(v, row)| *v = evaluate_constraint(row, &full_assignment));
                v
            };
            let mut a = eval(0);
            // libsnark's reduction pins each public input into A's extra rows.
            a[num_constraints..num_constraints + num_inputs]
                .copy_from_slice(&full_assignment[..num_inputs]);
            let (b, c) = (eval(1), eval(2));
            Ok(self.ntt.quotient(a, b, c)?)
        })?;

        let aux_assignment = &full_assignment[num_inputs..];
        let assignment = &full_assignment[1..];

        // The G2 MSM runs on the CPU while the G1 MSMs run (on the GPU when
        // the backend has one): they share nothing but the assignment.
        let mut g2_time = Duration::ZERO;
        let (g1, g2_b) = rayon::join(
            || -> Result<_> {
                // C's accumulators: H and L.
                let h_len = h.len().min(self.key.h.len());
                let h_acc = timed(&mut t.msm_h, || self.msm.msm_g1(&self.key.h, 0, &h[..h_len]))?;
                let l_acc =
                    timed(&mut t.msm_l, || self.msm.msm_g1(&self.key.l, 0, aux_assignment))?;
                // A = α + Σ zᵢ·Aᵢ + r·δ.
                let g_a = timed(&mut t.msm_a, || -> Result<G1Projective> {
                    let acc = self.msm.msm_g1(&self.key.a, 1, assignment)?;
                    Ok(k.delta_g1 * r + k.a0 + acc + k.alpha_g1)
                })?;
                // B in G1 (only needed for C when r ≠ 0).
                let g1_b = timed(&mut t.msm_b_g1, || -> Result<G1Projective> {
                    if r.is_zero() {
                        return Ok(G1Projective::zero());
                    }
                    let acc = self.msm.msm_g1(&self.key.b_g1, 1, assignment)?;
                    Ok(k.delta_g1 * s + k.b_g1_0 + acc + k.beta_g1)
                })?;
                Ok((h_acc, l_acc, g_a, g1_b))
            },
            || {
                timed(&mut g2_time, || -> Result<G2Projective> {
                    let acc = self.msm.msm_g2(&self.key.b_g2, 1, assignment)?;
                    Ok(k.delta_g2 * s + k.b_g2_0 + acc + k.beta_g2)
                })
            },
        );
        let (h_acc, l_acc, g_a, g1_b) = g1?;
        let g2_b = g2_b?;
        t.msm_b_g2 = g2_time;
        // C = s·A + r·B₁ − r·s·δ + L + H.
        let g_c = g_a * s + g1_b * r - k.delta_g1 * (r * s) + l_acc + h_acc;

        let proof = Proof { a: g_a.into_affine(), b: g2_b.into_affine(), c: g_c.into_affine() };

        // Check the proof before returning it. This catches a witness that
        // does not satisfy the circuit (the quotient is then not a
        // polynomial and the proof fails) and any backend that computed a
        // wrong MSM or NTT, for one multi-pairing (milliseconds) instead of
        // a pass over every constraint.
        let inputs = &full_assignment[1..num_inputs];
        let ok = timed(&mut t.self_check, || {
            Groth16::<Bn254>::verify_proof(&self.key.pvk, &proof, inputs).unwrap_or(false)
        });
        if !ok {
            // Either the witness breaks a constraint, or a backend computed
            // wrongly: find out which before reporting.
            return Err(match cs.which_is_unsatisfied()? {
                Some(constraint) => Error::Unsatisfied(constraint),
                None => Error::BackendFault { msm: self.msm.name(), ntt: self.ntt.name() },
            });
        }
        t.total = start.elapsed();
        Ok((proof, t))
    }
}
