//! snarkjs's Groth16 proving key (`.zkey`, version 1). Sections: 1 protocol
//! (1 = Groth16); 2 header (q, r, variable, public and domain sizes; α₁, β₁,
//! β₂, γ₂, δ₁, δ₂); 3 IC; 4 the A and B matrices as `(matrix, constraint,
//! signal, coefficient)`; 5 A, 6 B₁, 7 B₂, 8 C, 9 H points; 10
//! contributions (not read). Points are affine with coordinates in
//! Montgomery form (`R = 2^256`), little-endian; `(0, 0)` is the identity.
//! Coefficients are stored as `c·R²` in normal form.

use super::binfile::{fr_le, limbs, r_bytes, BinFile, Cursor};
use super::{CircomError, Result};
use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, Field, PrimeField};
use rayon::prelude::*;

/// One nonzero entry of the A or B matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coefficient {
    /// 0 for A, 1 for B.
    pub matrix: u8,
    /// Row (constraint), below the domain size.
    pub constraint: u32,
    /// Column (signal), below the variable count.
    pub signal: u32,
    /// The coefficient.
    pub value: Fr,
}

/// A snarkjs Groth16 proving key.
#[derive(Clone, Debug)]
pub struct Zkey {
    /// Witness length (the constant 1 included).
    pub n_vars: usize,
    /// Public signals.
    pub n_public: usize,
    /// Evaluation domain size, a power of two.
    pub domain_size: usize,
    /// The verifying key (α₁, β₂, γ₂, δ₂, IC).
    pub vk: ark_groth16::VerifyingKey<Bn254>,
    /// β₁.
    pub beta_g1: G1Affine,
    /// δ₁.
    pub delta_g1: G1Affine,
    /// A and B matrix entries.
    pub coefficients: Vec<Coefficient>,
    /// `A` query, one point per variable.
    pub a: Vec<G1Affine>,
    /// `B` query in G1.
    pub b1: Vec<G1Affine>,
    /// `B` query in G2.
    pub b2: Vec<G2Affine>,
    /// `C` query, one point per private variable.
    pub c: Vec<G1Affine>,
    /// snarkjs's `H` points: one per element of the odd coset of the domain.
    pub h: Vec<G1Affine>,
}

fn fq_mont(bytes: &[u8]) -> Result<Fq> {
    let b = ark_ff::BigInt(limbs(bytes));
    if b >= Fq::MODULUS {
        return Err(CircomError::Format(
            "zkey: coordinate not below the base field modulus".into(),
        ));
    }
    Ok(Fq::new_unchecked(b))
}

fn g1(bytes: &[u8]) -> Result<G1Affine> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(fq_mont(&bytes[..32])?, fq_mont(&bytes[32..64])?);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(CircomError::Format("zkey: a G1 point is not on the curve".into()));
    }
    Ok(p)
}

fn g2_on_curve(bytes: &[u8]) -> Result<G2Affine> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G2Affine::zero());
    }
    let x = Fq2::new(fq_mont(&bytes[..32])?, fq_mont(&bytes[32..64])?);
    let y = Fq2::new(fq_mont(&bytes[64..96])?, fq_mont(&bytes[96..128])?);
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(CircomError::Format("zkey: a G2 point is not on the curve".into()));
    }
    Ok(p)
}

fn g2(bytes: &[u8]) -> Result<G2Affine> {
    let p = g2_on_curve(bytes)?;
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(CircomError::Format(
            "zkey: a G2 point is not on the curve or not in the subgroup".into(),
        ));
    }
    Ok(p)
}

/// `count` points of `size` bytes, parsed in parallel.
fn points<P: Send>(
    c: &mut Cursor<'_>,
    count: usize,
    size: usize,
    parse: fn(&[u8]) -> Result<P>,
) -> Result<Vec<P>> {
    c.expect_len(
        count
            .checked_mul(size)
            .ok_or_else(|| CircomError::Format("zkey: size overflows".into()))?,
    )?;
    c.rest().par_chunks_exact(size).map(parse).collect()
}

/// The largest domain the prover takes: 2^26 (the NTT backends' limit).
pub const MAX_LOG_DOMAIN: u32 = 26;

/// Reads and validates a zkey: field moduli, sizes against sections, every
/// point on its curve and in the prime-order subgroup, every coefficient's
/// row and column in range.
pub fn parse_zkey(bytes: &[u8]) -> Result<Zkey> {
    parse_zkey_with(bytes, true)
}

/// How [`load_zkey`] validated the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validation {
    /// Every check, G2 subgroup membership of the B₂ points included (which
    /// is most of the time); recorded in the marker file afterwards.
    Full,
    /// The marker file names this exact file (by blake3 hash) as fully
    /// validated before: every check except the B₂ subgroup checks.
    Marked,
}

const MARKER_HEADER: &str = "stateproof zkey validated v1";

/// Loads a zkey from `path`. The first load validates everything and
/// writes `PATH.validated`, a marker with the file's blake3 hash; later
/// loads of the same bytes skip only the B₂ points' subgroup checks (a
/// changed file has another hash and is validated in full). The marker is
/// an optimisation, not a trust anchor: whoever can write it can replace
/// the zkey, and a B₂ point outside the subgroup could only make proofs
/// that verifiers reject.
pub fn load_zkey(path: &std::path::Path) -> Result<(Zkey, Validation)> {
    let io = |e: std::io::Error| CircomError::Format(format!("{}: {e}", path.display()));
    let bytes = std::fs::read(path).map_err(io)?;
    let hash = blake3::hash(&bytes);
    let mut marker_path = path.as_os_str().to_owned();
    marker_path.push(".validated");
    let marker_path = std::path::PathBuf::from(marker_path);
    let expected = format!("{MARKER_HEADER} {}\n", hash.to_hex());
    let marked = std::fs::read_to_string(&marker_path).is_ok_and(|m| m == expected);
    if marked {
        return Ok((parse_zkey_with(&bytes, false)?, Validation::Marked));
    }
    let zkey = parse_zkey_with(&bytes, true)?;
    // Best effort: a read-only directory just means full validation again.
    let _ = crate::files::write_atomic(&marker_path, expected.as_bytes());
    Ok((zkey, Validation::Full))
}

fn parse_zkey_with(bytes: &[u8], g2_subgroup: bool) -> Result<Zkey> {
    let file = BinFile::parse(bytes, "zkey", b"zkey", &[1])?;
    let mut s1 = file.section(1, "zkey protocol")?;
    let protocol = s1.u32()?;
    s1.finish()?;
    if protocol != 1 {
        return Err(CircomError::Format(format!(
            "zkey protocol {protocol} is not Groth16 (1): PLONK and FFLONK keys are not supported"
        )));
    }
    let mut h = file.section(2, "zkey header")?;
    h.prime(&Fq::MODULUS.to_bytes_le(), "the proving key's base field")?;
    h.prime(&r_bytes(), "the proving key's scalar field")?;
    let n_vars = h.u32()? as usize;
    let n_public = h.u32()? as usize;
    let domain_size = h.u32()? as usize;
    if n_public + 1 > n_vars {
        return Err(CircomError::Format(format!(
            "zkey: {n_public} public signals of {n_vars} variables"
        )));
    }
    if !domain_size.is_power_of_two() || domain_size.trailing_zeros() > MAX_LOG_DOMAIN {
        return Err(CircomError::Format(format!(
            "zkey: domain size {domain_size} is not a power of two up to 2^{MAX_LOG_DOMAIN}"
        )));
    }
    let alpha_g1 = g1(h.take(64)?)?;
    let beta_g1 = g1(h.take(64)?)?;
    let beta_g2 = g2(h.take(128)?)?;
    let gamma_g2 = g2(h.take(128)?)?;
    let delta_g1 = g1(h.take(64)?)?;
    let delta_g2 = g2(h.take(128)?)?;
    h.finish()?;

    let ic = points(&mut file.section(3, "zkey IC")?, n_public + 1, 64, g1)?;
    let mut s4 = file.section(4, "zkey coefficients")?;
    let n_coef = s4.u32()? as usize;
    s4.expect_len(
        n_coef.checked_mul(44).ok_or_else(|| CircomError::Format("zkey: size overflows".into()))?,
    )?;
    // Stored as c·R² (normal form): c = stored · R⁻².
    let r2_inv = Fr::from(2u64).pow([512u64]).inverse().expect("R² is invertible");
    let coefficients = s4
        .rest()
        .par_chunks_exact(44)
        .map(|e| {
            let word = |i: usize| u32::from_le_bytes(e[i..i + 4].try_into().expect("4 bytes"));
            let (matrix, constraint, signal) = (word(0), word(4), word(8));
            if matrix > 1 || constraint as usize >= domain_size || signal as usize >= n_vars {
                return Err(CircomError::Format(format!(
                    "zkey: coefficient ({matrix}, {constraint}, {signal}) out of range"
                )));
            }
            let value = fr_le(&e[12..44], "zkey coefficient")? * r2_inv;
            Ok(Coefficient { matrix: matrix as u8, constraint, signal, value })
        })
        .collect::<Result<Vec<_>>>()?;
    let a = points(&mut file.section(5, "zkey A")?, n_vars, 64, g1)?;
    let b1 = points(&mut file.section(6, "zkey B1")?, n_vars, 64, g1)?;
    let b2_parse = if g2_subgroup { g2 } else { g2_on_curve };
    let b2 = points(&mut file.section(7, "zkey B2")?, n_vars, 128, b2_parse)?;
    let c = points(&mut file.section(8, "zkey C")?, n_vars - n_public - 1, 64, g1)?;
    let h = points(&mut file.section(9, "zkey H")?, domain_size, 64, g1)?;
    let vk = ark_groth16::VerifyingKey { alpha_g1, beta_g2, gamma_g2, delta_g2, gamma_abc_g1: ic };
    Ok(Zkey { n_vars, n_public, domain_size, vk, beta_g1, delta_g1, coefficients, a, b1, b2, c, h })
}
