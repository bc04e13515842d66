//! The committed circom test set (`prover/testdata/circom`, made by
//! `scripts/circom/generate.sh` with circom2 and snarkjs): parsing, the
//! snarkjs-variant prover, and hostile files.

use super::*;
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField, UniformRand};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use stateproof_kernels::cpu::CpuBackend;
use stateproof_verifier::snarkjs::{public_from_json, verification_key_from_json};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/circom/").to_string() + name)
        .unwrap()
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&data(name)).unwrap()
}

#[test]
fn the_zkey_is_the_verification_keys_and_fits_the_r1cs_and_witness() {
    let zkey = parse_zkey(&data("preimage.zkey")).unwrap();
    let vk = verification_key_from_json(&json("verification_key.json")).unwrap();
    assert_eq!(zkey.vk.alpha_g1, vk.alpha_g1);
    assert_eq!(zkey.vk.beta_g2, vk.beta_g2);
    assert_eq!(zkey.vk.gamma_g2, vk.gamma_g2);
    assert_eq!(zkey.vk.delta_g2, vk.delta_g2);
    assert_eq!(zkey.vk.gamma_abc_g1, vk.gamma_abc_g1);
    let r1cs = parse_r1cs(&data("preimage.r1cs")).unwrap();
    let witness = parse_wtns(&data("preimage.wtns")).unwrap();
    assert_eq!(zkey.n_vars, r1cs.n_wires as usize);
    assert_eq!(zkey.n_public, r1cs.n_public() as usize);
    assert_eq!(witness.len(), zkey.n_vars);
    assert!(zkey.domain_size > r1cs.constraints.len() + zkey.n_public);
    r1cs.check_witness(&witness).unwrap();
    let mut broken = witness.clone();
    broken[5] += Fr::from(1u64);
    assert!(matches!(r1cs.check_witness(&broken), Err(CircomError::Witness(_))));
}

fn prover() -> ZkeyProver<CpuBackend, CpuBackend> {
    ZkeyProver::new(CpuBackend, CpuBackend, parse_zkey(&data("preimage.zkey")).unwrap()).unwrap()
}

#[test]
fn proofs_verify_under_the_snarkjs_key_with_snarkjs_public_signals() {
    let witness = parse_wtns(&data("preimage.wtns")).unwrap();
    let p = prover();
    let public = public_from_json(&json("snarkjs_public.json")).unwrap();
    assert_eq!(p.public_signals(&witness), &public[..]);
    let vk = verification_key_from_json(&json("verification_key.json")).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    for (r, s) in [(Fr::rand(&mut rng), Fr::rand(&mut rng)), (Fr::from(0u64), Fr::from(0u64))] {
        let (proof, _) = p.prove(&witness, r, s).unwrap();
        let proof = stateproof_verifier::Proof { a: proof.a, b: proof.b, c: proof.c };
        stateproof_verifier::verify_proof(&vk, &public, &proof).unwrap();
        // Another public signal: the proof does not verify.
        let mut other = public.clone();
        other[1] += Fr::from(1u64);
        assert!(stateproof_verifier::verify_proof(&vk, &other, &proof).is_err());
    }
}

#[test]
fn a_witness_that_breaks_a_constraint_is_an_error_not_a_proof() {
    let mut witness = parse_wtns(&data("preimage.wtns")).unwrap();
    let p = prover();
    witness[7] += Fr::from(1u64);
    assert!(matches!(
        p.prove(&witness, Fr::from(1u64), Fr::from(2u64)),
        Err(CircomError::Witness(_))
    ));
    witness.pop();
    assert!(matches!(
        p.prove(&witness, Fr::from(1u64), Fr::from(2u64)),
        Err(CircomError::Witness(_))
    ));
}

#[test]
fn gpu_proofs_equal_cpu_proofs() {
    use stateproof_kernels::{BackendChoice, Backends};
    let Some(_) = stateproof_kernels::gpu::device_for_tests() else { return };
    let backends = Backends::open(BackendChoice::Gpu, &Default::default());
    let witness = parse_wtns(&data("preimage.wtns")).unwrap();
    let zkey = parse_zkey(&data("preimage.zkey")).unwrap();
    let gpu = ZkeyProver::new(backends.msm, backends.ntt, zkey).unwrap();
    let (r, s) = (Fr::from(3u64), Fr::from(4u64));
    assert_eq!(gpu.prove(&witness, r, s).unwrap().0, prover().prove(&witness, r, s).unwrap().0);
}

/// Rewrites the section with id `id` of an iden3 container through `f`,
/// fixing up its size.
fn edit_section(bytes: &[u8], id: u32, f: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = bytes[..12].to_vec();
    let mut pos = 12;
    while pos < bytes.len() {
        let kind = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let size = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        let mut body = bytes[pos + 12..pos + 12 + size].to_vec();
        if kind == id {
            f(&mut body);
        }
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&body);
        pos += 12 + size;
    }
    out
}

#[test]
fn hostile_files_are_errors_not_panics() {
    let (zkey, wtns, r1cs) = (data("preimage.zkey"), data("preimage.wtns"), data("preimage.r1cs"));
    // Truncated anywhere (a sample of cut points across each file).
    for bytes in [&zkey, &wtns, &r1cs] {
        for cut in (0..bytes.len()).step_by(bytes.len() / 97 + 1).chain([bytes.len() - 1]) {
            let b = &bytes[..cut];
            assert!(parse_zkey(b).is_err() && parse_wtns(b).is_err() && parse_r1cs(b).is_err());
        }
    }
    // The wrong kind of file, and trailing bytes.
    assert!(parse_zkey(&wtns).is_err() && parse_wtns(&r1cs).is_err() && parse_r1cs(&zkey).is_err());
    let mut trailing = wtns.clone();
    trailing.push(0);
    assert!(parse_wtns(&trailing).is_err());
    // A section declaring more bytes than the file has.
    let mut huge = wtns.clone();
    huge[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(parse_wtns(&huge).is_err());
    // Another field: BLS12-381's r in the witness header.
    let bls_r = ark_bls12_381_r();
    let other_field = edit_section(&wtns, 1, |h| h[4..36].copy_from_slice(&bls_r));
    assert!(matches!(parse_wtns(&other_field), Err(CircomError::Curve(_))));
    // A witness value ≥ r.
    let big = edit_section(&wtns, 2, |v| v[32..64].copy_from_slice(&Fr::MODULUS.to_bytes_le()));
    assert!(parse_wtns(&big).is_err());
    // A zkey coefficient pointing past the variables.
    let coef = edit_section(&zkey, 4, |c| c[12..16].copy_from_slice(&u32::MAX.to_le_bytes()));
    assert!(parse_zkey(&coef).is_err());
    // A zkey point moved off the curve (first A point's y + 1).
    let off = edit_section(&zkey, 5, |a| {
        let i = (0..a.len() / 64).find(|i| a[i * 64..i * 64 + 64].iter().any(|b| *b != 0)).unwrap();
        a[i * 64 + 32] ^= 1;
    });
    assert!(parse_zkey(&off).is_err());
    // A PLONK zkey (protocol 2).
    let plonk = edit_section(&zkey, 1, |p| p[..4].copy_from_slice(&2u32.to_le_bytes()));
    assert!(parse_zkey(&plonk).unwrap_err().to_string().contains("not Groth16"));
    // An r1cs wire index past the wires.
    let wire = edit_section(&r1cs, 2, |c| c[4..8].copy_from_slice(&u32::MAX.to_le_bytes()));
    assert!(parse_r1cs(&wire).is_err());
}

/// BLS12-381's scalar modulus, little-endian.
fn ark_bls12_381_r() -> [u8; 32] {
    let hex = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001";
    let mut be = [0u8; 32];
    for i in 0..32 {
        be[i] = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    be.reverse();
    be
}

#[test]
fn the_r1cs_as_an_arkworks_circuit_proves_with_ark_groth16() {
    use ark_groth16::Groth16;
    let r1cs = parse_r1cs(&data("preimage.r1cs")).unwrap();
    let witness = parse_wtns(&data("preimage.wtns")).unwrap();
    let mut rng = StdRng::seed_from_u64(2);
    let setup = R1csCircuit { r1cs: &r1cs, witness: None };
    let pk = crate::keys::setup(setup, &mut rng).unwrap();
    let circuit = R1csCircuit { r1cs: &r1cs, witness: Some(&witness) };
    let proof =
        Groth16::<ark_bn254::Bn254>::create_random_proof_with_reduction(circuit, &pk, &mut rng)
            .unwrap();
    let pvk = ark_groth16::prepare_verifying_key(&pk.vk);
    let public = &witness[1..=r1cs.n_public() as usize];
    assert!(Groth16::<ark_bn254::Bn254>::verify_proof(&pvk, &proof, public).unwrap());
    let mut broken = witness.clone();
    broken[9] += Fr::from(1u64);
    let cs = ark_relations::gr1cs::ConstraintSystem::new_ref();
    use ark_relations::gr1cs::ConstraintSynthesizer;
    R1csCircuit { r1cs: &r1cs, witness: Some(&broken) }.generate_constraints(cs.clone()).unwrap();
    assert!(!cs.is_satisfied().unwrap());
}

/// Where a zkey's load time goes (run by hand on a large zkey:
/// `STATEPROOF_ZKEY=path cargo test --release -p stateproof-prover zkey_load_profile -- --ignored --nocapture`).
#[test]
#[ignore]
fn zkey_load_profile() {
    use ark_ec::AffineRepr;
    use rayon::prelude::*;
    let Ok(path) = std::env::var("STATEPROOF_ZKEY") else { return };
    let t = std::time::Instant::now();
    let bytes = std::fs::read(path).unwrap();
    eprintln!("read {} MB: {:?}", bytes.len() >> 20, t.elapsed());
    let t = std::time::Instant::now();
    let zkey = parse_zkey(&bytes).unwrap();
    eprintln!("parse and validate: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let ok = zkey.b2.par_iter().all(|p| p.is_on_curve());
    eprintln!("G2 on-curve only: {:?} ({ok})", t.elapsed());
    let t = std::time::Instant::now();
    let ok = zkey.b2.par_iter().all(|p| p.is_in_correct_subgroup_assuming_on_curve());
    eprintln!("G2 subgroup only: {:?} ({ok})", t.elapsed());
    let t = std::time::Instant::now();
    let ok = zkey
        .a
        .par_iter()
        .chain(&zkey.b1)
        .chain(&zkey.c)
        .chain(&zkey.h)
        .all(|p| p.is_on_curve() || p.is_zero());
    eprintln!("G1 on-curve only: {:?} ({ok})", t.elapsed());
}

#[test]
fn the_validation_marker_is_tied_to_the_exact_file() {
    let dir = std::env::temp_dir().join(format!("stateproof-zkey-marker-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("k.zkey");
    let bytes = data("preimage.zkey");
    std::fs::write(&path, &bytes).unwrap();
    let marker = dir.join("k.zkey.validated");
    let _ = std::fs::remove_file(&marker);
    let (first, how) = load_zkey(&path).unwrap();
    assert_eq!(how, Validation::Full);
    assert!(marker.exists());
    let (second, how) = load_zkey(&path).unwrap();
    assert_eq!(how, Validation::Marked);
    assert_eq!(first.b2, second.b2);
    // Another file under the same name: validated in full again.
    let mut changed = bytes.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1; // inside the contributions section, which is not read
    std::fs::write(&path, &changed).unwrap();
    assert_eq!(load_zkey(&path).unwrap().1, Validation::Full);
    // A marker naming another hash is ignored.
    std::fs::write(&marker, "stateproof zkey validated v1 00\n").unwrap();
    assert_eq!(load_zkey(&path).unwrap().1, Validation::Full);
    let _ = std::fs::remove_dir_all(&dir);
}
