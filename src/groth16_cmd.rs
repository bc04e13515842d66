//! `stateproof groth16 …`: rapidsnark-compatible proving from a snarkjs
//! zkey and a circom witness, and snarkjs-compatible verification.

use crate::commands::{invalid, unusable, write_json, CliError, CliResult};
use crate::output::{secs, Output};
use crate::Backend;
use ark_ff::UniformRand;
use serde_json::json;
use stateproof_kernels::{FallbackMsm, FallbackNtt};
use stateproof_prover::circom::{
    load_zkey, parse_r1cs, parse_wtns, CircomError, Validation, ZkeyProver,
};
use stateproof_prover::files;
use stateproof_verifier::snarkjs;
use std::path::Path;
use std::time::Instant;

fn circom_error(path: &Path) -> impl Fn(CircomError) -> CliError + '_ {
    move |e| match e {
        CircomError::Witness(_) => invalid(format!("{}: {e}", path.display())),
        _ => unusable(format!("{}: {e}", path.display())),
    }
}

/// The files `groth16 prove` reads and writes, in rapidsnark's order.
pub struct ProveFiles<'a> {
    pub zkey: &'a Path,
    pub witness: &'a Path,
    pub proof: &'a Path,
    pub public: &'a Path,
    pub r1cs: Option<&'a Path>,
}

pub fn prove(
    out: &Output,
    f: ProveFiles<'_>,
    backend: Backend,
    device: Option<usize>,
) -> CliResult {
    let start = Instant::now();
    let witness =
        parse_wtns(&files::read(f.witness).map_err(unusable)?).map_err(circom_error(f.witness))?;
    if let Some(r1cs_path) = f.r1cs {
        let r1cs = parse_r1cs(&files::read(r1cs_path).map_err(unusable)?)
            .map_err(circom_error(r1cs_path))?;
        out.step("checking the witness against the constraints", || r1cs.check_witness(&witness))
            .map_err(circom_error(f.witness))?;
    }
    let (zkey, validation) =
        out.step("loading the zkey", || load_zkey(f.zkey)).map_err(circom_error(f.zkey))?;
    let (n_vars, n_public, domain) = (zkey.n_vars, zkey.n_public, zkey.domain_size);
    let load = start.elapsed();
    let ntt = FallbackNtt::new(backend.into(), device);
    let msm = FallbackMsm::new(backend.into(), device);
    let description =
        format!("NTT {}, G1 MSM {}, G2 MSM cpu", ntt.description(), msm.description());
    let prepare_start = Instant::now();
    let prover = out
        .step("preparing the key on the backend", || ZkeyProver::new(msm, ntt, zkey))
        .map_err(circom_error(f.zkey))?;
    let prepare = prepare_start.elapsed();
    let mut rng = stateproof_prover::keys::os_rng();
    let (r, s) = (ark_bn254::Fr::rand(&mut rng), ark_bn254::Fr::rand(&mut rng));
    let (proof, timings) =
        out.step("proving", || prover.prove(&witness, r, s)).map_err(circom_error(f.witness))?;
    let public = prover.public_signals(&witness);
    let proof = stateproof_verifier::Proof { a: proof.a, b: proof.b, c: proof.c };
    write_json(f.proof, &snarkjs::proof_json(&proof))?;
    write_json(f.public, &snarkjs::public_json(public))?;
    out.line(format!(
        "proved {} ({n_vars} variables, {n_public} public, domain 2^{}) with {description}",
        f.zkey.display(),
        domain.trailing_zeros()
    ));
    let how = match validation {
        Validation::Full => "validated in full",
        Validation::Marked => "validated before (marker), B2 subgroup checks skipped",
    };
    out.line(format!("  load (read and validate zkey, witness) {}  [{how}]", secs(load)));
    out.line(format!("  prepare bases on the backend          {}", secs(prepare)));
    for (name, d) in timings.phases().iter().skip(3) {
        let name =
            if *name == "witness map (7 NTTs)" { "quotient (6 NTTs, snarkjs)" } else { name };
        let name = if name == "MSM L (G1)" { "MSM C (G1)" } else { name };
        out.line(format!("  {name:<38} {}", secs(*d)));
    }
    out.line(format!("wrote {} and {}", f.proof.display(), f.public.display()));
    out.json(json!({
        "proof": f.proof, "public": f.public, "variables": n_vars, "public_signals": n_public,
        "domain_size": domain, "load_seconds": load.as_secs_f64(),
        "zkey_validation": if validation == Validation::Full { "full" } else { "marked" },
        "prepare_seconds": prepare.as_secs_f64(), "prove_seconds": timings.total.as_secs_f64(),
        "backend": description,
    }));
    Ok(())
}

fn read_json(path: &Path) -> Result<serde_json::Value, CliError> {
    let bytes = files::read(path).map_err(unusable)?;
    serde_json::from_slice(&bytes).map_err(|e| unusable(format!("{}: {e}", path.display())))
}

fn at(p: &Path) -> impl Fn(snarkjs::JsonError) -> CliError + '_ {
    move |e| unusable(format!("{}: {e}", p.display()))
}

/// `snarkjs groth16 verify`'s argument order: key, public signals, proof.
pub fn verify(out: &Output, vk: &Path, public: &Path, proof: &Path) -> CliResult {
    let key = snarkjs::verification_key_from_json(&read_json(vk)?).map_err(at(vk))?;
    let inputs = snarkjs::public_from_json(&read_json(public)?).map_err(at(public))?;
    let proof_value = snarkjs::proof_from_json(&read_json(proof)?).map_err(at(proof))?;
    let result = stateproof_verifier::verify_proof(&key, &inputs, &proof_value);
    out.json(
        json!({"valid": result.is_ok(), "reason": result.as_ref().err().map(|e| e.to_string())}),
    );
    match result {
        Ok(()) => {
            out.line(format!("OK: {} verifies ({} public signals)", proof.display(), inputs.len()));
            Ok(())
        }
        Err(e) => Err(invalid(format!("INVALID: {e}"))),
    }
}

/// Proves the circuit of a `.r1cs` with ark-groth16 and arkworks' own QAP,
/// on keys from a development setup made on the spot: the reference for
/// side-by-side timings (the proof is checked, then discarded).
pub fn ark_prove(out: &Output, r1cs_path: &Path, witness_path: &Path) -> CliResult {
    use ark_groth16::Groth16;
    use stateproof_prover::circom::R1csCircuit;
    let r1cs =
        parse_r1cs(&files::read(r1cs_path).map_err(unusable)?).map_err(circom_error(r1cs_path))?;
    let witness = parse_wtns(&files::read(witness_path).map_err(unusable)?)
        .map_err(circom_error(witness_path))?;
    r1cs.check_witness(&witness).map_err(circom_error(witness_path))?;
    let mut rng = stateproof_prover::keys::os_rng();
    let setup_start = Instant::now();
    let pk = out.step("development setup", || {
        stateproof_prover::keys::setup(R1csCircuit { r1cs: &r1cs, witness: None }, &mut rng)
    })?;
    let setup = setup_start.elapsed();
    let start = Instant::now();
    let proof = out
        .step("proving with ark-groth16", || {
            Groth16::<ark_bn254::Bn254>::create_random_proof_with_reduction(
                R1csCircuit { r1cs: &r1cs, witness: Some(&witness) },
                &pk,
                &mut rng,
            )
        })
        .map_err(|e| invalid(format!("ark-groth16: {e}")))?;
    let prove = start.elapsed();
    let pvk = ark_groth16::prepare_verifying_key(&pk.vk);
    let public = &witness[1..=r1cs.n_public() as usize];
    if !Groth16::<ark_bn254::Bn254>::verify_proof(&pvk, &proof, public).unwrap_or(false) {
        return Err(invalid("ark-groth16's proof does not verify"));
    }
    out.line(format!(
        "ark-groth16: {} constraints, setup {} (development), prove {}",
        r1cs.constraints.len(),
        secs(setup),
        secs(prove)
    ));
    out.json(json!({
        "constraints": r1cs.constraints.len(), "setup_seconds": setup.as_secs_f64(),
        "prove_seconds": prove.as_secs_f64(),
    }));
    Ok(())
}

/// A verifying key from a stateproof `.vk` or snarkjs's JSON.
fn any_verifying_key(path: &Path) -> Result<stateproof_verifier::VerifyingKey, CliError> {
    let bytes = files::read(path).map_err(unusable)?;
    if bytes.starts_with(stateproof_verifier::VK_MAGIC) {
        return stateproof_verifier::VerifyingKey::from_bytes(&bytes)
            .map_err(|e| unusable(format!("{}: {e}", path.display())));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        unusable(format!("{}: neither a stateproof key nor JSON: {e}", path.display()))
    })?;
    snarkjs::verification_key_from_json(&value).map_err(at(path))
}

/// Writes a Solidity verifier for a key.
pub fn export_solidity(out: &Output, vk: &Path, name: &str, path: &Path) -> CliResult {
    let valid_name = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid_name {
        return Err(unusable(format!("--name {name:?} is not a Solidity identifier")));
    }
    let key = any_verifying_key(vk)?;
    let source = stateproof_prover::solidity::verifier_contract(&key, name);
    files::write_atomic(path, source.as_bytes()).map_err(unusable)?;
    out.line(format!(
        "wrote {} (contract {name}, {} public inputs, verifyProof as snarkjs's)",
        path.display(),
        key.num_public_inputs()
    ));
    out.json(json!({"contract": path, "name": name, "public_inputs": key.num_public_inputs()}));
    Ok(())
}

/// Prints a proof's calldata for the Solidity verifier.
pub fn export_calldata(
    out: &Output,
    update: Option<&Path>,
    proof: Option<&Path>,
    public: Option<&Path>,
    abi: bool,
) -> CliResult {
    let (proof, inputs) = match (update, proof, public) {
        (Some(u), _, _) => {
            let bytes = files::read(u).map_err(unusable)?;
            let u = stateproof_verifier::CompressedUpdate::from_bytes(&bytes)
                .map_err(|e| unusable(format!("{}: {e}", u.display())))?;
            (u.proof, u.public_inputs.iter().map(|(_, v)| *v).collect::<Vec<_>>())
        }
        (None, Some(p), Some(q)) => (
            snarkjs::proof_from_json(&read_json(p)?).map_err(at(p))?,
            snarkjs::public_from_json(&read_json(q)?).map_err(at(q))?,
        ),
        _ => return Err(unusable("give --update, or --proof and --public")),
    };
    let text = if abi {
        format!("0x{}", hex::encode(stateproof_prover::solidity::calldata_abi(&proof, &inputs)))
    } else {
        stateproof_prover::solidity::calldata_text(&proof, &inputs)
    };
    if out.json {
        out.json(json!({"calldata": text, "abi": abi}));
    } else {
        println!("{text}");
    }
    Ok(())
}
