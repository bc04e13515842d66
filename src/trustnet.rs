//! `stateproof trustnet …`: unanimous agreement of a trust network's
//! authorities on a data set, proven and verified from files.

use crate::commands::{ensure_dir, invalid, load_vk, unusable, write_json, CliResult};
use crate::finality::{load_keys, prove_statement, read_set};
use crate::output::Output;
use crate::Backend;
use serde_json::json;
use stateproof_circuits::field::fr_to_string;
use stateproof_circuits::finality::{
    data_commitment_of_file, AttestationsJson, SampleChain, SetJson, Statement, Validator,
    ValidatorSet,
};
use stateproof_circuits::Fr;
use stateproof_prover::files;
use stateproof_verifier::CompressedUpdate;
use std::path::Path;

fn commitment(path: &Path) -> Result<(blake3::Hash, Fr), crate::commands::CliError> {
    data_commitment_of_file(path).map_err(unusable)
}

/// Prints a file's blake3 digest and data commitment.
pub fn commit(out: &Output, path: &Path) -> CliResult {
    let (digest, c) = commitment(path)?;
    out.line(format!("blake3      {}", digest.to_hex()));
    out.line(format!("commitment  {}", fr_to_string(&c)));
    out.json(json!({"file": path, "blake3": digest.to_hex().to_string(), "commitment": fr_to_string(&c)}));
    Ok(())
}

/// Writes a sample authority set (stake 1 each) and every authority's
/// signature over `file`'s commitment (public demo keys).
pub fn sample(out: &Output, file: &Path, authorities: u64, depth: usize, dir: &Path) -> CliResult {
    if !(1..=32).contains(&depth) || authorities == 0 || authorities > (1u64 << depth).min(1024) {
        return Err(unusable(
            "--authorities must be 1 to 1024 and fit the tree (2^depth, depth 1 to 32)",
        ));
    }
    let (_, c) = commitment(file)?;
    let chain = SampleChain::new(depth, authorities).map_err(unusable)?;
    // Equal weight: "all" then means every authority.
    let members = chain.set.members().iter().map(|(i, v)| (*i, Validator { stake: 1, ..*v }));
    let set = ValidatorSet::new(depth, members).map_err(unusable)?;
    let indices: Vec<u64> = set.members().keys().copied().collect();
    let attestations = chain.attest(&Statement::Data(c), &indices);
    ensure_dir(dir)?;
    write_json(&dir.join("authorities.json"), &SetJson::from_set(&set))?;
    write_json(
        &dir.join("attestations.json"),
        &AttestationsJson::from_attestations(&attestations),
    )?;
    out.line(format!(
        "wrote authorities.json ({authorities} authorities) and attestations.json (all of them over commitment {}) to {}",
        fr_to_string(&c),
        dir.display()
    ));
    out.line("sample keys come from public seeds: for demos only");
    out.json(
        json!({"dir": dir, "set_root": fr_to_string(&set.root()), "commitment": fr_to_string(&c)}),
    );
    Ok(())
}

/// The files `trustnet prove` reads and writes.
pub struct ProveFiles<'a> {
    pub pk: &'a Path,
    pub vk: Option<&'a Path>,
    pub set: &'a Path,
    pub file: &'a Path,
    pub attestations: &'a Path,
    pub out: &'a Path,
}

pub fn prove(
    out: &Output,
    f: ProveFiles<'_>,
    backend: Backend,
    device: Option<usize>,
) -> CliResult {
    let keys = load_keys(out, f.pk, f.vk)?;
    let set = read_set(f.set)?;
    let (digest, c) = commitment(f.file)?;
    out.line(format!("data commitment {} (blake3 {})", fr_to_string(&c), digest.to_hex()));
    let update = prove_statement(
        out,
        &keys,
        &set,
        &Statement::Data(c),
        f.attestations,
        f.out,
        backend,
        device,
    )?;
    out.json(json!({
        "update": f.out, "commitment": fr_to_string(&c), "set_root": fr_to_string(&set.root()),
        "bytes": update.to_bytes().len(),
    }));
    Ok(())
}

/// Verifies an agreement proof for `file` by the authorities in `set`.
pub fn verify(out: &Output, vk: &Path, set: &Path, file: &Path, update: &Path) -> CliResult {
    let vk = load_vk(vk)?;
    let set = read_set(set)?;
    let (_, c) = commitment(file)?;
    let bytes = files::read(update).map_err(unusable)?;
    let result = CompressedUpdate::from_bytes(&bytes).map_err(|e| e.to_string()).and_then(|u| {
        u.verify(&vk).map_err(|e| e.to_string())?;
        if vk.circuit_id != stateproof_prover::finality::AGREEMENT_CIRCUIT_ID {
            return Err(format!("{} is not a data-agreement key", vk.circuit_id));
        }
        if u.input("set_root").map_err(|e| e.to_string())? != set.root() {
            return Err("the proof is for another authority set".to_string());
        }
        if u.input("data_commitment").map_err(|e| e.to_string())? != c {
            return Err("the proof is for other data than this file".to_string());
        }
        Ok(())
    });
    out.json(json!({"valid": result.is_ok(), "reason": result.as_ref().err(), "commitment": fr_to_string(&c)}));
    match result {
        Ok(()) => {
            out.line(format!(
                "VALID: all {} authorities agree on {} (commitment {})",
                set.members().values().filter(|m| m.stake > 0).count(),
                file.display(),
                fr_to_string(&c)
            ));
            Ok(())
        }
        Err(e) => Err(invalid(format!("INVALID: {e}"))),
    }
}
