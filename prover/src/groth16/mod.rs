//! Groth16 proving on pluggable MSM and NTT backends: one assembler
//! ([`assemble`]) for every key, the R1CS-to-QAP reduction as a type
//! parameter ([`qap`]), and one self-check that every proof passes before
//! it is returned, telling an unsatisfied witness from a backend fault.

mod assemble;
pub mod qap;

pub use assemble::{KeyPoints, PreparedKey};
pub use qap::{LibsnarkReduction, QapReduction, SnarkjsReduction};

use crate::{Error, Result};
use ark_bn254::{Bn254, Fr};
use ark_ff::Zero;
use ark_groth16::r1cs_to_qap::evaluate_constraint;
use ark_groth16::{Proof, ProvingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, Matrix, OptimizationGoal,
    SynthesisMode, R1CS_PREDICATE_LABEL,
};
use assemble::{assemble, verifies, Path};
use rayon::prelude::*;
use stateproof_kernels::cpu::CpuBackend;
use stateproof_kernels::{MsmBackend, NttBackend};
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Time spent in each phase of one proof.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhaseTimings {
    /// Native rules and witness building (filled in by callers that do it).
    pub witness_generation: Duration,
    /// Constraint synthesis: the whole constraint system with LC inlining
    /// on a prover's first proof, the assignment alone after it.
    pub synthesis: Duration,
    /// Building the constraint matrices (first proof only) and the full
    /// assignment.
    pub matrices: Duration,
    /// Constraint evaluation and the NTTs of the quotient (seven for
    /// arkworks' reduction, six for snarkjs's).
    pub witness_map: Duration,
    /// MSM for A (G1).
    pub msm_a: Duration,
    /// MSM for B (G1).
    pub msm_b_g1: Duration,
    /// MSM for B (G2), on the CPU, started with the witness map's
    /// transforms and concurrent with them and the G1 MSMs (so the phases
    /// overlap and do not add up to the total).
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

/// How a failed self-check is explained.
enum Diagnosis<'a> {
    /// Every constraint was checked on the assignment before proving: the
    /// fault is the backend's.
    Checked,
    /// Only the key's matrices are: recompute the proof on the CPU
    /// reference and see whether that one verifies.
    Reference(&'a dyn Fn() -> Result<[Vec<Fr>; 3]>),
}

/// A Groth16 prover holding its backends and a prepared proving key, with
/// the QAP reduction `Q` (arkworks' by default; snarkjs's for zkeys).
pub struct Prover<M: MsmBackend, N: NttBackend, Q: QapReduction = LibsnarkReduction> {
    msm: M,
    ntt: N,
    key: PreparedKey<M>,
    /// The circuit's constraint matrices, kept from the first proof that
    /// passed its self-check: a key fixes its circuit's constraints, so
    /// later proofs synthesize the assignment alone.
    matrices: OnceLock<Arc<R1csMatrices>>,
    reduction: PhantomData<Q>,
}

/// The A, B, C matrices of a circuit, rows over `z = [1, inputs, witness]`.
struct R1csMatrices {
    abc: Vec<Matrix<Fr>>,
    constraints: usize,
}

fn timed<T>(slot: &mut Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    *slot = start.elapsed();
    out
}

impl<M: MsmBackend, N: NttBackend, Q: QapReduction> Prover<M, N, Q> {
    /// Prepares the key's points on the MSM backend.
    pub fn from_points(msm: M, ntt: N, points: &KeyPoints<'_>) -> Result<Self> {
        let key = PreparedKey::new(&msm, points)?;
        Ok(Self { msm, ntt, key, matrices: OnceLock::new(), reduction: PhantomData })
    }

    /// The MSM and NTT backends (for their counters and decisions).
    pub fn backends(&self) -> (&M, &N) {
        (&self.msm, &self.ntt)
    }

    /// Backend names, "msm/ntt".
    pub fn backend_names(&self) -> (&'static str, &'static str) {
        (self.msm.name(), self.ntt.name())
    }

    /// The prepared key.
    pub fn key(&self) -> &PreparedKey<M> {
        &self.key
    }

    /// Proves from the full assignment `z` (`[1, inputs, witness]`) and
    /// `abc`, the evaluations of `A·z`, `B·z`, `C·z` over the domain, and
    /// checks the proof; a failed check is explained by `diagnosis`.
    fn prove_with(
        &self,
        z: &[Fr],
        [a, b, c]: [Vec<Fr>; 3],
        randomness: (Fr, Fr),
        t: &mut PhaseTimings,
        diagnosis: Diagnosis<'_>,
    ) -> Result<Proof<Bn254>> {
        let ntt = &self.ntt;
        let quotient = move || Q::h_scalars(ntt, a, b, c);
        let proof = assemble(&self.msm, &self.key, Path::Backend, z, quotient, randomness, t)
            .ok_or(Error::Unverifiable { msm: self.msm.name(), ntt: self.ntt.name() })??;
        let inputs = &z[1..self.key.inputs().min(z.len())];
        if timed(&mut t.self_check, || verifies(&self.key, &proof, inputs)) {
            return Ok(proof);
        }
        let backend_fault = Error::BackendFault { msm: self.msm.name(), ntt: self.ntt.name() };
        Err(match diagnosis {
            Diagnosis::Checked => backend_fault,
            Diagnosis::Reference(evaluate) => {
                let [a, b, c] = evaluate()?;
                let quotient = move || Q::h_scalars(&CpuBackend, a, b, c);
                let mut scratch = PhaseTimings::default();
                match assemble(
                    &self.msm,
                    &self.key,
                    Path::Reference,
                    z,
                    quotient,
                    randomness,
                    &mut scratch,
                ) {
                    None => Error::Unverifiable { msm: self.msm.name(), ntt: self.ntt.name() },
                    Some(Ok(p)) if verifies(&self.key, &p, inputs) => backend_fault,
                    Some(Ok(_)) => Error::Unsatisfied(
                        "the same proof computed on the CPU does not verify either".into(),
                    ),
                    Some(Err(e)) => e,
                }
            }
        })
    }

    /// Proves from a full assignment `z` (`[1, inputs, witness]`) with
    /// `evaluate` giving `A·z`, `B·z`, `C·z` over the domain, when no
    /// constraint system is at hand (a snarkjs zkey): a failed self-check is
    /// explained by recomputing the proof on the CPU reference.
    pub fn prove_assignment(
        &self,
        z: &[Fr],
        evaluate: impl Fn() -> Result<[Vec<Fr>; 3]>,
        r: Fr,
        s: Fr,
    ) -> Result<(Proof<Bn254>, PhaseTimings)> {
        let start = Instant::now();
        let mut t = PhaseTimings::default();
        if z.len() != self.key.variables() {
            return Err(Error::KeyMismatch(format!(
                "{} values for a key of {} variables",
                z.len(),
                self.key.variables()
            )));
        }
        let abc = timed(&mut t.witness_map, &evaluate)?;
        let proof = self.prove_with(z, abc, (r, s), &mut t, Diagnosis::Reference(&evaluate))?;
        t.total = start.elapsed();
        Ok((proof, t))
    }
}

impl<M: MsmBackend, N: NttBackend> Prover<M, N, LibsnarkReduction> {
    /// Prepares `pk`'s bases on the MSM backend.
    pub fn new(msm: M, ntt: N, pk: &ProvingKey<Bn254>) -> Result<Self> {
        Self::from_points(msm, ntt, &KeyPoints::of_arkworks(pk))
    }

    /// Proves `circuit` with zero-knowledge randomness `(r, s)`.
    ///
    /// Returns an error, not a proof, when the witness does not satisfy the
    /// circuit (naming the first failing constraint), when the circuit's
    /// shape does not fit the key, or when the finished proof does not
    /// verify (so a faulty backend cannot hand out a wrong proof).
    pub fn prove<C: ConstraintSynthesizer<Fr>>(
        &self,
        circuit: C,
        r: Fr,
        s: Fr,
    ) -> Result<(Proof<Bn254>, PhaseTimings)> {
        let start = Instant::now();
        let mut t = PhaseTimings::default();
        let kept = self.matrices.get().cloned();
        let cs = constraint_system(kept.is_none());
        timed(&mut t.synthesis, || -> Result<()> {
            circuit.generate_constraints(cs.clone())?;
            cs.finalize();
            Ok(())
        })?;
        let num_inputs = cs.num_instance_variables();
        self.check_variables(num_inputs, num_inputs + cs.num_witness_variables())?;
        let (matrices, z) = timed(&mut t.matrices, || -> Result<_> {
            let assignment = [cs.instance_assignment()?, cs.witness_assignment()?].concat();
            let matrices = match &kept {
                Some(m) => m.clone(),
                None => {
                    let mut all = cs.to_matrices()?;
                    let abc = all.remove(R1CS_PREDICATE_LABEL).unwrap_or_default();
                    Arc::new(R1csMatrices { abc, constraints: cs.num_constraints() })
                }
            };
            Ok((matrices, assignment))
        })?;
        let name = || cs.which_is_unsatisfied().ok().flatten();
        let proof = self.prove_rows(&z, num_inputs, &matrices, &name, (r, s), &mut t)?;
        if kept.is_none() {
            let _ = self.matrices.set(matrices);
        }
        t.total = start.elapsed();
        Ok((proof, t))
    }

    /// Whether this prover has kept its circuit's matrices (after its first
    /// proof), so that [`Prover::prove_synthesized`] can prove an
    /// [`Assignment`].
    pub fn keeps_matrices(&self) -> bool {
        self.matrices.get().is_some()
    }

    /// Proves an assignment synthesized beforehand (on another thread,
    /// while this prover was busy), over the matrices kept from the first
    /// proof of [`Prover::prove`]; before that first proof this is an
    /// error, not a proof.
    pub fn prove_synthesized(
        &self,
        assignment: &Assignment,
        r: Fr,
        s: Fr,
    ) -> Result<(Proof<Bn254>, PhaseTimings)> {
        let start = Instant::now();
        let mut t = PhaseTimings { synthesis: assignment.synthesis, ..Default::default() };
        let Some(matrices) = self.matrices.get() else {
            return Err(Error::KeyMismatch(
                "no constraint matrices yet: prove one circuit with this prover first".into(),
            ));
        };
        self.check_variables(assignment.inputs, assignment.z.len())?;
        let z = &assignment.z;
        let proof = self.prove_rows(z, assignment.inputs, matrices, &|| None, (r, s), &mut t)?;
        // The synthesis was done beforehand, elsewhere: not in the total.
        t.total = start.elapsed();
        Ok((proof, t))
    }

    fn check_variables(&self, num_inputs: usize, variables: usize) -> Result<()> {
        if self.key.variables() != variables || self.key.inputs() != num_inputs {
            return Err(Error::KeyMismatch(format!(
                "the key is for {} variables ({} public), the circuit has {variables} ({num_inputs})",
                self.key.variables(),
                self.key.inputs(),
            )));
        }
        Ok(())
    }

    /// Checks every row of the matrices on `z`, then proves. A row where
    /// A·z · B·z ≠ C·z is an unsatisfied witness (named by `name` where the
    /// constraint system is at hand), found on the CPU before any MSM, so a
    /// later failed self-check can only be a backend fault.
    fn prove_rows(
        &self,
        z: &[Fr],
        num_inputs: usize,
        matrices: &R1csMatrices,
        name: &dyn Fn() -> Option<String>,
        randomness: (Fr, Fr),
        t: &mut PhaseTimings,
    ) -> Result<Proof<Bn254>> {
        let num_constraints = matrices.constraints;
        if matrices.abc.len() != 3 || matrices.abc.iter().any(|m| m.len() != num_constraints) {
            return Err(Error::KeyMismatch("the circuit has constraints other than R1CS".into()));
        }
        // Evaluations of A·z, B·z, C·z over the domain; libsnark's
        // reduction pins each public input into A's extra rows.
        let evaluate = || -> Result<[Vec<Fr>; 3]> {
            let n = LibsnarkReduction::domain_size(num_constraints, num_inputs);
            let eval = |m: usize| -> Vec<Fr> {
                let mut v = vec![Fr::zero(); n];
                v[..num_constraints]
                    .par_iter_mut()
                    .zip(&matrices.abc[m])
                    .for_each(|(v, row)| *v = evaluate_constraint(row, z));
                v
            };
            let [mut a, b, c] = [eval(0), eval(1), eval(2)];
            if let Some(row) =
                (0..num_constraints).into_par_iter().find_first(|&i| a[i] * b[i] != c[i])
            {
                return Err(Error::Unsatisfied(
                    // Assignment-only synthesis keeps no constraint names.
                    name().unwrap_or_else(|| format!("constraint {row} of {num_constraints}")),
                ));
            }
            a[num_constraints..num_constraints + num_inputs].copy_from_slice(&z[..num_inputs]);
            Ok([a, b, c])
        };
        let abc = timed(&mut t.witness_map, evaluate)?;
        self.prove_with(z, abc, randomness, t, Diagnosis::Checked)
    }
}

/// A circuit's full assignment `[1, inputs, witness]`, synthesized without
/// its constraints: what a prover that keeps its circuit's matrices needs,
/// made on another thread while that prover proves the batch before.
#[derive(Clone, Debug)]
pub struct Assignment {
    z: Vec<Fr>,
    inputs: usize,
    synthesis: Duration,
}

impl Assignment {
    /// Synthesizes `circuit`'s assignment alone (no constraints, no
    /// matrices).
    pub fn synthesize<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Self> {
        let start = Instant::now();
        let cs = constraint_system(false);
        circuit.generate_constraints(cs.clone())?;
        cs.finalize();
        let z = [cs.instance_assignment()?, cs.witness_assignment()?].concat();
        Ok(Self { z, inputs: cs.num_instance_variables(), synthesis: start.elapsed() })
    }

    /// The public inputs, without the constant one.
    pub fn public_inputs(&self) -> &[Fr] {
        self.z.get(1..self.inputs).unwrap_or(&[])
    }
}

/// A constraint system for proving, building the constraint matrices or
/// the assignment alone.
fn constraint_system(with_matrices: bool) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: with_matrices,
        generate_lc_assignments: false,
    });
    cs
}
