//! circom's constraint file (`.r1cs`, version 1): section 1 the header
//! (field, wire and input counts, constraint count), section 2 the
//! constraints (three linear combinations each: a term count, then
//! `(u32 wire, 32-byte coefficient)` terms), section 3 the wire-to-label map.

use super::binfile::{fr_le, r_bytes, BinFile, Cursor};
use super::{CircomError, Result};
use ark_bn254::Fr;
use ark_ff::Zero;

/// A linear combination: `(wire, coefficient)` terms.
pub type Lc = Vec<(u32, Fr)>;

/// A parsed constraint system.
#[derive(Clone, Debug)]
pub struct R1cs {
    /// Wires, the constant 1 included.
    pub n_wires: u32,
    /// Public outputs.
    pub n_pub_out: u32,
    /// Public inputs.
    pub n_pub_in: u32,
    /// Private inputs.
    pub n_prv_in: u32,
    /// Constraints `A·w × B·w = C·w`.
    pub constraints: Vec<[Lc; 3]>,
}

fn lc(c: &mut Cursor<'_>, n_wires: u32) -> Result<Lc> {
    let terms = c.u32()? as usize;
    // Each term is 36 bytes: bound the allocation by what is present.
    let mut lc = Vec::with_capacity(terms.min(1 << 16));
    for _ in 0..terms {
        let wire = c.u32()?;
        if wire >= n_wires {
            return Err(CircomError::Format(format!("r1cs: wire {wire} of {n_wires}")));
        }
        lc.push((wire, fr_le(c.take(32)?, "r1cs coefficient")?));
    }
    Ok(lc)
}

/// Reads a constraint system, checking the prime and every wire index.
pub fn parse_r1cs(bytes: &[u8]) -> Result<R1cs> {
    let file = BinFile::parse(bytes, "r1cs", b"r1cs", &[1])?;
    let mut h = file.section(1, "r1cs header")?;
    h.prime(&r_bytes(), "the constraint system")?;
    let n_wires = h.u32()?;
    let n_pub_out = h.u32()?;
    let n_pub_in = h.u32()?;
    let n_prv_in = h.u32()?;
    let _labels = h.u64()?;
    let n_constraints = h.u32()? as usize;
    h.finish()?;
    if u64::from(n_pub_out) + u64::from(n_pub_in) + u64::from(n_prv_in) >= u64::from(n_wires) {
        return Err(CircomError::Format("r1cs: more inputs and outputs than wires".into()));
    }
    let mut c = file.section(2, "r1cs constraints")?;
    // A constraint takes at least 12 bytes (three empty combinations).
    let mut constraints = Vec::with_capacity(n_constraints.min(c.rest_len() / 12));
    for _ in 0..n_constraints {
        constraints.push([lc(&mut c, n_wires)?, lc(&mut c, n_wires)?, lc(&mut c, n_wires)?]);
    }
    c.finish()?;
    Ok(R1cs { n_wires, n_pub_out, n_pub_in, n_prv_in, constraints })
}

impl R1cs {
    /// Public signals (outputs then public inputs), as snarkjs counts them.
    pub fn n_public(&self) -> u32 {
        self.n_pub_out + self.n_pub_in
    }

    /// Checks that `witness` satisfies every constraint; the error names the
    /// first one that fails.
    pub fn check_witness(&self, witness: &[Fr]) -> Result<()> {
        if witness.len() != self.n_wires as usize {
            return Err(CircomError::Witness(format!(
                "{} witness values for {} wires",
                witness.len(),
                self.n_wires
            )));
        }
        let eval = |lc: &Lc| lc.iter().map(|(w, c)| *c * witness[*w as usize]).sum::<Fr>();
        for (i, [a, b, c]) in self.constraints.iter().enumerate() {
            if !(eval(a) * eval(b) - eval(c)).is_zero() {
                return Err(CircomError::Witness(format!("constraint {i} is not satisfied")));
            }
        }
        Ok(())
    }
}

/// A circom constraint system as an arkworks circuit: wire 0 is the
/// constant, wires 1 to [`R1cs::n_public`] are public inputs, the rest
/// witnesses. With it, arkworks' own Groth16 (and stateproof's
/// arkworks-compatible prover) can prove the same circuit, for comparisons.
#[derive(Clone, Copy)]
pub struct R1csCircuit<'a> {
    /// The constraints.
    pub r1cs: &'a R1cs,
    /// The witness, or `None` for key generation.
    pub witness: Option<&'a [Fr]>,
}

impl ark_relations::gr1cs::ConstraintSynthesizer<Fr> for R1csCircuit<'_> {
    fn generate_constraints(
        self,
        cs: ark_relations::gr1cs::ConstraintSystemRef<Fr>,
    ) -> std::result::Result<(), ark_relations::gr1cs::SynthesisError> {
        use ark_relations::gr1cs::{LinearCombination, SynthesisError, Variable};
        let value = |i: usize| self.witness.map(|w| w[i]).ok_or(SynthesisError::AssignmentMissing);
        if self.witness.is_some_and(|w| w.len() != self.r1cs.n_wires as usize) {
            return Err(SynthesisError::Unsatisfiable);
        }
        let n_public = self.r1cs.n_public() as usize;
        let mut vars = vec![Variable::One];
        for i in 1..self.r1cs.n_wires as usize {
            vars.push(if i <= n_public {
                cs.new_input_variable(|| value(i))?
            } else {
                cs.new_witness_variable(|| value(i))?
            });
        }
        let lc = |terms: &Lc| {
            LinearCombination(terms.iter().map(|(w, c)| (*c, vars[*w as usize])).collect())
        };
        for [a, b, c] in &self.r1cs.constraints {
            cs.enforce_r1cs_constraint(|| lc(a), || lc(b), || lc(c))?;
        }
        Ok(())
    }
}
