//! The subcommands. Each returns a [`CliError`] with its exit code: 1 for
//! input that was read but is invalid (a broken rule, a proof that does not
//! verify), 2 for input that cannot be read or used.

use crate::output::{secs, Output};
use crate::Backend;
use serde_json::json;
use stateproof_circuits::field::{fr_to_string, parse_fr};
use stateproof_circuits::transfer::{BatchJson, SampleLedger, StateJson, TransferBatchCircuit};
use stateproof_circuits::Fr;
use stateproof_kernels::{FallbackMsm, FallbackNtt};
use stateproof_prover::keys::{self, Keys, DEVELOPMENT_SETUP_WARNING};
use stateproof_prover::{files, transfer, Prover};
use stateproof_verifier::{CompressedUpdate, LightClient, VerifyingKey, PROOF_BYTES};
use std::path::Path;
use std::time::Instant;

/// A failed command: its message (one line) and exit code.
pub struct CliError {
    pub code: u8,
    pub message: String,
}

pub(crate) type CliResult = Result<(), CliError>;

pub(crate) fn unusable(message: impl std::fmt::Display) -> CliError {
    CliError { code: 2, message: message.to_string() }
}

pub(crate) fn invalid(message: impl std::fmt::Display) -> CliError {
    CliError { code: 1, message: message.to_string() }
}

impl From<stateproof_prover::Error> for CliError {
    fn from(e: stateproof_prover::Error) -> Self {
        use stateproof_prover::Error as E;
        match e {
            E::Rules(_) | E::Unsatisfied(_) | E::Verify(_) => invalid(e),
            _ => unusable(e),
        }
    }
}

pub(crate) fn hex32(bytes: &[u8; 32]) -> String {
    hex::encode(bytes)
}

/// Keeps shapes to what a 2-core machine proves in reasonable time and what
/// the circuit supports.
fn check_shape(depth: usize, slots: usize) -> CliResult {
    if !(1..=64).contains(&depth) {
        return Err(unusable(format!("--depth must be 1 to 64, got {depth}")));
    }
    if !(1..=1024).contains(&slots) {
        return Err(unusable(format!("--slots must be 1 to 1024, got {slots}")));
    }
    Ok(())
}

/// The prover for a backend choice: NTTs and G1 MSMs where `backend` puts
/// them (with fallback to the CPU), the G2 MSM on the CPU alongside.
pub(crate) fn make_prover(
    keys: &Keys,
    backend: Backend,
    device: Option<usize>,
) -> Result<(Prover<FallbackMsm, FallbackNtt>, String), CliError> {
    let ntt = FallbackNtt::new(backend.into(), device);
    let msm = FallbackMsm::new(backend.into(), device);
    let description =
        format!("NTT {}, G1 MSM {}, G2 MSM cpu", ntt.description(), msm.description());
    Ok((Prover::new(msm, ntt, &keys.proving_key)?, description))
}

pub fn devices(out: &Output) -> CliResult {
    let list = stateproof_kernels::gpu::list_adapters();
    if list.is_empty() {
        out.line("no GPU adapter found (on Debian, `apt-get install mesa-vulkan-drivers` gives a software one)");
    }
    for a in &list {
        out.line(format!(
            "[{}] {} ({}, {}, driver {})",
            a.index, a.name, a.backend, a.device_type, a.driver
        ));
        out.line(format!(
            "    SHADER_INT64 {}  max storage binding {} MiB  max buffer {} MiB  workgroup memory {} KiB  invocations {}",
            if a.shader_int64 { "yes" } else { "no" },
            a.max_storage_binding >> 20,
            a.max_buffer >> 20,
            a.max_workgroup_storage >> 10,
            a.max_invocations
        ));
    }
    out.json(json!(list.iter().map(|a| json!({
        "index": a.index, "name": a.name, "backend": a.backend, "device_type": a.device_type,
        "driver": a.driver, "shader_int64": a.shader_int64, "max_storage_binding": a.max_storage_binding,
        "max_buffer": a.max_buffer, "max_workgroup_storage": a.max_workgroup_storage,
        "max_invocations": a.max_invocations,
    })).collect::<Vec<_>>()));
    Ok(())
}

fn count_constraints(depth: usize, slots: usize) -> Result<usize, CliError> {
    Ok(keys::count_constraints(TransferBatchCircuit::for_setup(depth, slots))?)
}

pub fn demo(
    out: &Output,
    depth: usize,
    slots: usize,
    backend: Backend,
    device: Option<usize>,
) -> CliResult {
    check_shape(depth, slots)?;
    let accounts = (slots as u64).clamp(2, 8);
    out.line(format!(
        "stateproof demo: transfer batches over a depth-{depth} Poseidon account tree"
    ));
    let ledger = SampleLedger::new(depth, accounts, 1_000_000).map_err(unusable)?;
    let genesis = ledger.state.root().0;
    out.line(format!("  genesis: {accounts} accounts, root {}", fr_to_string(&genesis)));
    let batch = ledger.batch(slots);
    out.line(format!("  batch:   {} signed transfers", batch.transfers.len()));
    for t in &batch.transfers {
        out.line(format!(
            "           {} -> {}  amount {}  nonce {}",
            t.from, t.to, t.amount, t.nonce
        ));
    }

    let constraints = out.step("counting constraints", || count_constraints(depth, slots))?;
    out.line(format!(
        "  circuit: {constraints} constraints ({} per transfer slot)",
        constraints / slots
    ));
    let setup_start = Instant::now();
    let pk = out.step("generating keys (development setup)", || {
        keys::setup(TransferBatchCircuit::for_setup(depth, slots), &mut keys::os_rng())
    })?;
    let setup_time = setup_start.elapsed();
    let keys = transfer::keys(depth, slots, pk)?;
    out.line(format!("  setup:   {} ({})", secs(setup_time), DEVELOPMENT_SETUP_WARNING));
    out.line(format!("           verifying key fingerprint {}", hex32(&keys.fingerprint())));

    let (prover, backend_description) = make_prover(&keys, backend, device)?;
    let proved = out
        .step("proving", || transfer::prove_batch(&prover, &keys, &ledger.state, &batch, slots))?;
    out.line(format!("  prove:   {backend_description}"));
    for (name, d) in proved.timings.phases() {
        out.line(format!("           {name:<22} {}", secs(d)));
    }

    let bytes = proved.update.to_bytes();
    let verify_start = Instant::now();
    let update = CompressedUpdate::from_bytes(&bytes).map_err(invalid)?;
    let mut client = LightClient::new(keys.verifying_key.clone(), genesis);
    let outcome = client.apply(&update);
    let verify_time = verify_start.elapsed();
    out.line(format!(
        "  update:  {} bytes ({PROOF_BYTES}-byte proof), new root {}",
        bytes.len(),
        fr_to_string(&client.root())
    ));
    match &outcome {
        Ok(_) => out.line(format!(
            "  verify:  VALID in {} (light client moved to the new root)",
            secs(verify_time)
        )),
        Err(e) => out.line(format!("  verify:  INVALID: {e}")),
    }
    out.json(json!({
        "depth": depth,
        "slots": slots,
        "constraints": constraints,
        "backend": backend_description,
        "setup_seconds": setup_time.as_secs_f64(),
        "phases": proved.timings.phases().iter().map(|(n, d)| json!({"phase": n, "seconds": d.as_secs_f64()})).collect::<Vec<_>>(),
        "update_bytes": bytes.len(),
        "verify_seconds": verify_time.as_secs_f64(),
        "valid": outcome.is_ok(),
        "old_root": fr_to_string(&genesis),
        "new_root": fr_to_string(&client.root()),
        "development_setup": true,
    }));
    outcome.map(|_| ()).map_err(|e| invalid(format!("the demo's own proof did not verify: {e}")))
}

pub(crate) fn write_json(path: &Path, value: &impl serde::Serialize) -> CliResult {
    let text = serde_json::to_string_pretty(value).map_err(unusable)?;
    files::write_atomic(path, format!("{text}\n").as_bytes()).map_err(unusable)
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CliError> {
    let bytes = files::read(path).map_err(unusable)?;
    serde_json::from_slice(&bytes).map_err(|e| unusable(format!("{}: {e}", path.display())))
}

pub(crate) fn ensure_dir(dir: &Path) -> CliResult {
    std::fs::create_dir_all(dir).map_err(|e| unusable(format!("{}: {e}", dir.display())))
}

pub fn sample(
    out: &Output,
    depth: usize,
    accounts: u64,
    transfers: usize,
    dir: &Path,
) -> CliResult {
    check_shape(depth, transfers.max(1))?;
    if accounts < 2 || (depth < 64 && accounts >= 1u64 << depth) {
        return Err(unusable("--accounts must be at least 2 and fit the tree"));
    }
    let ledger = SampleLedger::new(depth, accounts, 1_000_000).map_err(unusable)?;
    let batch = ledger.batch(transfers);
    ensure_dir(dir)?;
    write_json(&dir.join("state.json"), &StateJson::from_state(&ledger.state))?;
    write_json(&dir.join("batch.json"), &BatchJson::from_batch(&batch))?;
    out.line(format!(
        "wrote {0}/state.json ({accounts} accounts, depth {depth}) and {0}/batch.json ({transfers} transfers)",
        dir.display()
    ));
    out.line("sample keys come from public seeds: for demos only");
    out.json(json!({"state": dir.join("state.json"), "batch": dir.join("batch.json"), "root": fr_to_string(&ledger.state.root().0)}));
    Ok(())
}

pub fn setup(out: &Output, depth: usize, slots: usize, dir: &Path) -> CliResult {
    check_shape(depth, slots)?;
    ensure_dir(dir)?;
    let start = Instant::now();
    let pk = out.step("generating keys (development setup)", || {
        keys::setup(TransferBatchCircuit::for_setup(depth, slots), &mut keys::os_rng())
    })?;
    let keys = transfer::keys(depth, slots, pk)?;
    let (pk_path, vk_path) = (dir.join("transfer.pk"), dir.join("transfer.vk"));
    keys.save_proving_key(&pk_path)?;
    keys.save_verifying_key(&vk_path)?;
    out.line(DEVELOPMENT_SETUP_WARNING);
    out.line(format!(
        "wrote {} and {} in {} (depth {depth}, {slots} slots)",
        pk_path.display(),
        vk_path.display(),
        secs(start.elapsed())
    ));
    out.line(format!("verifying key fingerprint {}", hex32(&keys.fingerprint())));
    out.json(json!({
        "proving_key": pk_path, "verifying_key": vk_path,
        "fingerprint": hex32(&keys.fingerprint()), "development_setup": true,
        "warning": DEVELOPMENT_SETUP_WARNING,
    }));
    Ok(())
}

/// The files `stateproof prove` reads and writes.
pub struct ProveFiles<'a> {
    pub pk: &'a Path,
    pub vk: Option<&'a Path>,
    pub state: &'a Path,
    pub batch: &'a Path,
    pub update: &'a Path,
}

pub fn prove(
    out: &Output,
    files_in: ProveFiles<'_>,
    new_state_path: Option<&Path>,
    backend: Backend,
    device: Option<usize>,
) -> CliResult {
    let ProveFiles {
        pk: pk_path,
        vk: vk_path,
        state: state_path,
        batch: batch_path,
        update: update_path,
    } = files_in;
    let vk = vk_path.map(load_vk).transpose()?;
    let state = read_json::<StateJson>(state_path)?.to_state().map_err(unusable)?;
    let batch = read_json::<BatchJson>(batch_path)?.to_batch().map_err(unusable)?;
    let keys = out.step("loading proving key", || Keys::load_proving_key(pk_path, vk.as_ref()))?;
    let slots = keys.param("slots").unwrap_or(0) as usize;
    if keys.param("depth") != Some(state.depth() as u64) {
        return Err(unusable(format!(
            "the key is for depth {:?}, the state has depth {}",
            keys.param("depth"),
            state.depth()
        )));
    }
    let (prover, backend_description) = make_prover(&keys, backend, device)?;
    let proved =
        out.step("proving", || transfer::prove_batch(&prover, &keys, &state, &batch, slots))?;
    let bytes = proved.update.to_bytes();
    files::write_atomic(update_path, &bytes).map_err(unusable)?;
    if let Some(p) = new_state_path {
        write_json(p, &StateJson::from_state(&proved.state))?;
    }
    out.line(format!("proved {} transfers ({backend_description})", batch.transfers.len()));
    for (name, d) in proved.timings.phases() {
        out.line(format!("  {name:<22} {}", secs(d)));
    }
    out.line(format!("wrote {} ({} bytes)", update_path.display(), bytes.len()));
    out.json(json!({
        "update": update_path, "bytes": bytes.len(),
        "old_root": fr_to_string(&state.root().0), "new_root": fr_to_string(&proved.state.root().0),
        "phases": proved.timings.phases().iter().map(|(n, d)| json!({"phase": n, "seconds": d.as_secs_f64()})).collect::<Vec<_>>(),
    }));
    Ok(())
}

pub(crate) fn load_vk(path: &Path) -> Result<VerifyingKey, CliError> {
    keys::load_verifying_key(path).map_err(unusable)
}

pub fn verify(out: &Output, vk_path: &Path, update_path: &Path, root: Option<&str>) -> CliResult {
    let vk = load_vk(vk_path)?;
    let trusted = root.map(parse_fr).transpose().map_err(unusable)?;
    let bytes = files::read(update_path).map_err(unusable)?;
    let result = CompressedUpdate::from_bytes(&bytes).and_then(|u| {
        u.verify(&vk)?;
        if let Some(root) = trusted {
            LightClient::new(vk.clone(), root).apply(&u)?;
        }
        Ok(u)
    });
    match result {
        Ok(u) => {
            out.line(format!("VALID: {} {}", u.circuit_id, update_path.display()));
            for (name, value) in &u.public_inputs {
                out.line(format!("  {name} = {}", fr_to_string(value)));
            }
            out.json(json!({"valid": true, "public_inputs": inputs_json(&u)}));
            Ok(())
        }
        Err(e) => {
            out.json(json!({"valid": false, "reason": e.to_string()}));
            Err(invalid(format!("INVALID: {e}")))
        }
    }
}

fn inputs_json(u: &CompressedUpdate) -> serde_json::Value {
    u.public_inputs
        .iter()
        .map(|(n, v)| (n.clone(), json!(fr_to_string(v))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

pub fn inspect(out: &Output, path: &Path) -> CliResult {
    let bytes = files::read(path).map_err(unusable)?;
    if bytes.starts_with(stateproof_verifier::UPDATE_MAGIC) {
        let u = CompressedUpdate::from_bytes(&bytes).map_err(invalid)?;
        out.line(format!(
            "compressed update, format v{}, {} bytes",
            stateproof_verifier::FORMAT_VERSION,
            bytes.len()
        ));
        out.line(format!("  circuit            {}", u.circuit_id));
        for (n, v) in &u.params {
            out.line(format!("  param {n:<12} {v}"));
        }
        out.line(format!("  key fingerprint    {}", hex32(&u.vk_fingerprint)));
        for (n, v) in &u.public_inputs {
            out.line(format!("  input {n:<12} {}", fr_to_string(v)));
        }
        out.line(format!("  proof              {}", hex::encode(u.proof.to_bytes())));
        out.json(json!({
            "kind": "update", "circuit_id": u.circuit_id, "params": u.params,
            "vk_fingerprint": hex32(&u.vk_fingerprint), "public_inputs": inputs_json(&u),
            "proof": hex::encode(u.proof.to_bytes()),
        }));
    } else if bytes.starts_with(stateproof_verifier::VK_MAGIC) {
        let vk = VerifyingKey::from_bytes(&bytes).map_err(invalid)?;
        out.line(format!("verifying key, {} bytes", bytes.len()));
        out.line(format!("  public inputs      {}", vk.num_public_inputs()));
        out.line(format!("  fingerprint        {}", hex32(&vk.fingerprint())));
        out.json(json!({"kind": "verifying_key", "public_inputs": vk.num_public_inputs(), "fingerprint": hex32(&vk.fingerprint())}));
    } else if bytes.starts_with(b"stateproof proving key") {
        let keys = Keys::load_proving_key(path, None)?;
        out.line(format!("proving key, {} bytes", bytes.len()));
        out.line(format!("  {DEVELOPMENT_SETUP_WARNING}"));
        out.line(format!("  circuit            {}", keys.circuit_id));
        for (n, v) in &keys.params {
            out.line(format!("  param {n:<12} {v}"));
        }
        out.line(format!("  variables          {}", keys.proving_key.a_query.len()));
        out.line(format!("  fingerprint        {}", hex32(&keys.fingerprint())));
        out.json(json!({
            "kind": "proving_key", "circuit_id": keys.circuit_id, "params": keys.params,
            "variables": keys.proving_key.a_query.len(), "fingerprint": hex32(&keys.fingerprint()),
            "development_setup": true,
        }));
    } else {
        return Err(unusable(format!("{}: not a stateproof update or key file", path.display())));
    }
    Ok(())
}

pub fn export_snarkjs(out: &Output, vk_path: &Path, update_path: &Path, dir: &Path) -> CliResult {
    use stateproof_verifier::snarkjs;
    let vk = load_vk(vk_path)?;
    let bytes = files::read(update_path).map_err(unusable)?;
    let u = CompressedUpdate::from_bytes(&bytes).map_err(invalid)?;
    u.verify(&vk)
        .map_err(|e| invalid(format!("refusing to export an update that does not verify: {e}")))?;
    ensure_dir(dir)?;
    let inputs: Vec<Fr> = u.public_inputs.iter().map(|(_, v)| *v).collect();
    write_json(&dir.join("proof.json"), &snarkjs::proof_json(&u.proof))?;
    write_json(&dir.join("public.json"), &snarkjs::public_json(&inputs))?;
    write_json(&dir.join("verification_key.json"), &snarkjs::verification_key_json(&vk))?;
    out.line(format!(
        "wrote proof.json, public.json and verification_key.json to {}",
        dir.display()
    ));
    out.json(json!({"dir": dir}));
    Ok(())
}

/// Parses `update`'s bytes back, verifies them under `vk` and prints one
/// line: what the demos do with each batch they prove.
pub(crate) fn verify_and_report(
    out: &Output,
    what: &str,
    vk: &VerifyingKey,
    update: &CompressedUpdate,
) -> CliResult {
    let bytes = update.to_bytes();
    let start = Instant::now();
    CompressedUpdate::from_bytes(&bytes)
        .and_then(|u| u.verify(vk))
        .map_err(|e| invalid(format!("{what} does not verify: {e}")))?;
    out.line(format!(
        "  verify:   {what} VALID in {} ({} bytes)",
        secs(start.elapsed()),
        bytes.len()
    ));
    Ok(())
}
