//! Poseidon over BN254's scalar field with circomlib's parameters.
//!
//! The permutation is the one of circomlib's `poseidon.circom` and
//! circomlibjs's `poseidon_reference.js`: state width `t = inputs + 1`,
//! S-box `x^5`, 8 full rounds and circomlib's partial-round count for the
//! width, round constants and MDS matrices from the Grain LFSR script of the
//! Poseidon authors (`generate_parameters_grain.sage`). The state starts as
//! `[0, inputs..]` and the hash is `state[0]` after the permutation.
//!
//! The constants in `constants.json` were extracted from circomlibjs by
//! `scripts/vectors/generate.mjs`; the tests check the permutation against
//! circomlibjs's outputs in `testdata/poseidon_vectors.json`.

mod gadget;

pub use gadget::{poseidon_gadget, PoseidonGadget};

use super::Error;
use crate::Fr;
use ark_ff::Field;
use std::str::FromStr;
use std::sync::OnceLock;

/// Number of full rounds, split evenly before and after the partial rounds.
pub const FULL_ROUNDS: usize = 8;

/// circomlib's partial-round counts, indexed by `t - 2`.
const PARTIAL_ROUNDS: [usize; 16] =
    [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

/// The largest number of inputs stateproof carries constants for.
pub const MAX_INPUTS: usize = 6;

/// Round constants and MDS matrix for one state width.
#[derive(Debug)]
pub struct PoseidonParams {
    /// State width `t` (number of inputs plus one).
    pub width: usize,
    /// Number of partial rounds for this width.
    pub partial_rounds: usize,
    /// Round constants, `width` per round, `(FULL_ROUNDS + partial_rounds) * width` in all.
    pub round_constants: Vec<Fr>,
    /// The MDS matrix, `mds[i][j]` multiplies state element `j` into output `i`.
    pub mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// Total number of rounds.
    pub fn rounds(&self) -> usize {
        FULL_ROUNDS + self.partial_rounds
    }

    /// Whether round `r` applies the S-box to every state element.
    pub fn is_full_round(&self, r: usize) -> bool {
        r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + self.partial_rounds
    }
}

#[derive(serde::Deserialize)]
struct ConstantsFile {
    #[serde(rename = "C")]
    c: Vec<Vec<String>>,
    #[serde(rename = "M")]
    m: Vec<Vec<Vec<String>>>,
}

fn parse_constants() -> Vec<PoseidonParams> {
    // The file is part of the crate; a parse failure is a build defect that
    // every Poseidon test catches, not a runtime condition.
    let file: ConstantsFile = serde_json::from_str(include_str!("constants.json"))
        .expect("poseidon/constants.json is valid JSON");
    let parse = |s: &String| Fr::from_str(s).expect("poseidon constant is a decimal field element");
    file.c
        .iter()
        .zip(&file.m)
        .enumerate()
        .map(|(i, (c, m))| {
            let width = i + 2;
            let params = PoseidonParams {
                width,
                partial_rounds: PARTIAL_ROUNDS[width - 2],
                round_constants: c.iter().map(parse).collect(),
                mds: m.iter().map(|row| row.iter().map(parse).collect()).collect(),
            };
            assert_eq!(params.round_constants.len(), params.rounds() * width);
            assert_eq!(params.mds.len(), width);
            params
        })
        .collect()
}

/// The parameters for `inputs` inputs (1 to [`MAX_INPUTS`]).
pub fn params(inputs: usize) -> Result<&'static PoseidonParams, Error> {
    static PARAMS: OnceLock<Vec<PoseidonParams>> = OnceLock::new();
    let all = PARAMS.get_or_init(parse_constants);
    if inputs == 0 || inputs > all.len() {
        return Err(Error::PoseidonArity { inputs, max: all.len() });
    }
    Ok(&all[inputs - 1])
}

#[inline]
fn pow5(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// Poseidon hash of 1 to [`MAX_INPUTS`] field elements, as circomlib's `Poseidon(n)`.
pub fn poseidon(inputs: &[Fr]) -> Result<Fr, Error> {
    let p = params(inputs.len())?;
    let t = p.width;
    let mut state = Vec::with_capacity(t);
    state.push(Fr::from(0u64));
    state.extend_from_slice(inputs);
    let mut next = vec![Fr::from(0u64); t];
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * t..(r + 1) * t]) {
            *s += c;
        }
        if p.is_full_round(r) {
            state.iter_mut().for_each(|s| *s = pow5(*s));
        } else {
            state[0] = pow5(state[0]);
        }
        for (out, row) in next.iter_mut().zip(&p.mds) {
            *out = row.iter().zip(&state).map(|(m, s)| *m * s).sum();
        }
        std::mem::swap(&mut state, &mut next);
    }
    Ok(state[0])
}

/// Poseidon of two elements: the Merkle tree's node hash.
pub fn hash2(left: Fr, right: Fr) -> Fr {
    // Two inputs are always within [`MAX_INPUTS`].
    poseidon(&[left, right]).expect("Poseidon(2) has parameters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vector {
        inputs: Vec<String>,
        output: String,
    }

    fn fr(s: &str) -> Fr {
        Fr::from_str(s).unwrap()
    }

    #[test]
    fn circomlib_poseidon_1_2() {
        let h = poseidon(&[Fr::from(1u64), Fr::from(2u64)]).unwrap();
        assert_eq!(
            h,
            fr("7853200120776062878684798364095072458815029376092732009249414926327459813530")
        );
    }

    #[test]
    fn circomlib_poseidon_1() {
        let h = poseidon(&[Fr::from(1u64)]).unwrap();
        assert_eq!(
            h,
            fr("18586133768512220936620570745912940619677854269274689475585506675881198879027")
        );
    }

    #[test]
    fn circomlibjs_vectors_for_every_width() {
        let vectors: Vec<Vector> =
            serde_json::from_str(include_str!("../../../testdata/poseidon_vectors.json")).unwrap();
        let mut widths = std::collections::BTreeSet::new();
        for v in &vectors {
            let inputs: Vec<Fr> = v.inputs.iter().map(|s| fr(s)).collect();
            assert_eq!(poseidon(&inputs).unwrap(), fr(&v.output), "inputs {:?}", v.inputs);
            widths.insert(inputs.len());
        }
        assert_eq!(widths.into_iter().collect::<Vec<_>>(), (1..=MAX_INPUTS).collect::<Vec<_>>());
    }

    #[test]
    fn arity_out_of_range_is_an_error() {
        assert!(matches!(poseidon(&[]), Err(Error::PoseidonArity { inputs: 0, .. })));
        let seven = vec![Fr::from(1u64); 7];
        assert!(matches!(poseidon(&seven), Err(Error::PoseidonArity { inputs: 7, .. })));
    }
}
