//! Transfer batches: the demo, sample files, keys, proving from files and
//! verifying an update.

use crate::backend::{prover, BackendOptions};
use crate::files::{self, check_writable, ensure_dir, read_json_as, write_json};
use crate::progress::{step, Progress};
use crate::text::{count, fr, hex32, secs};
use crate::{AppError, Result};
use serde::Serialize;
use stateproof_circuits::ledger::Account;
use stateproof_circuits::ledger::{State, StateJson};
use stateproof_circuits::primitives::eddsa::SecretKey;
use stateproof_circuits::primitives::field::parse_fr;
use stateproof_circuits::primitives::merkle::MAX_DEPTH;
use stateproof_circuits::sample::SampleLedger;
use stateproof_circuits::transfer::MAX_SLOTS;
use stateproof_circuits::transfer::{
    apply_batch, BatchJson, TransferBatch, TransferBatchCircuit, TransferShape,
};
use stateproof_prover::keys::{self, Keys, DEVELOPMENT_SETUP_WARNING};
use stateproof_prover::{transfer, PhaseTimings};
use stateproof_verifier::{CompressedUpdate, LightClient, PROOF_BYTES};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One phase of a proof and its time.
#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    /// The phase.
    pub phase: &'static str,
    /// Its time.
    pub seconds: f64,
}

/// A proof's phases, for reports.
pub fn phases(t: &PhaseTimings) -> Vec<Phase> {
    t.phases().iter().map(|(phase, d)| Phase { phase, seconds: d.as_secs_f64() }).collect()
}

pub(crate) fn write_phases(
    f: &mut fmt::Formatter<'_>,
    phases: &[Phase],
    indent: &str,
) -> fmt::Result {
    for p in phases {
        writeln!(f, "{indent}{:<22} {}", p.phase, secs(Duration::from_secs_f64(p.seconds)))?;
    }
    Ok(())
}

/// Refuses shapes outside what the circuit supports, in the flags' words.
pub fn check_shape(depth: usize, slots: usize, slots_flag: &str) -> Result<()> {
    if !(1..=MAX_DEPTH).contains(&depth) {
        return Err(AppError::unusable(format!("--depth must be 1 to {MAX_DEPTH}, got {depth}")));
    }
    if !(1..=MAX_SLOTS).contains(&slots) {
        return Err(AppError::unusable(format!(
            "{slots_flag} must be 1 to {MAX_SLOTS}, got {slots}"
        )));
    }
    Ok(())
}

/// Refuses a setup this machine cannot hold, with an estimate, before any
/// slow work: arkworks' setup holds about 2 KiB per constraint.
pub fn check_setup_fits(constraints: usize) -> Result<()> {
    let needed = constraints as u64 * 2048;
    if let Some(available) = available_memory() {
        if needed > available {
            return Err(AppError::unusable(format!(
                "a setup of about {constraints} constraints needs about {} MiB; {} MiB are available",
                needed >> 20,
                available >> 20
            )));
        }
    }
    Ok(())
}

/// Available memory in bytes (Linux's `MemAvailable`), if known.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Constraints of a transfer circuit of `shape`, estimated without
/// synthesis (measured: 38,957 per slot at depth 32, of which 964 per level
/// of the four paths): for refusing impossible sizes up front.
pub fn estimated_constraints(shape: &TransferShape) -> usize {
    shape.slots.saturating_mul(8_109 + 964 * shape.depth)
}

/// What `stateproof demo` did.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// Account tree depth.
    pub depth: usize,
    /// Transfer slots.
    pub slots: usize,
    /// Sample accounts in genesis.
    pub accounts: u64,
    /// The transfers, `(from, to, amount, nonce)`.
    pub transfers: Vec<(u64, u64, u64, u64)>,
    /// Constraints of the circuit.
    pub constraints: usize,
    /// What computed what.
    pub backend: String,
    /// Key generation time.
    pub setup_seconds: f64,
    /// The verifying key's fingerprint.
    pub fingerprint: String,
    /// The proof's phases.
    pub phases: Vec<Phase>,
    /// Bytes of the compressed update.
    pub update_bytes: usize,
    /// Time to parse and verify it as a light client.
    pub verify_seconds: f64,
    /// Whether it verified.
    pub valid: bool,
    /// Why not, if not.
    pub reason: Option<String>,
    /// Genesis root.
    pub old_root: String,
    /// Root after the batch.
    pub new_root: String,
    /// Keys came from a development setup.
    pub development_setup: bool,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "stateproof demo: transfer batches over a depth-{} Poseidon account tree",
            self.depth
        )?;
        writeln!(f, "  genesis: {} accounts, root {}", self.accounts, self.old_root)?;
        writeln!(f, "  batch:   {}", count(self.transfers.len(), "signed transfer"))?;
        for (from, to, amount, nonce) in &self.transfers {
            writeln!(f, "           {from} -> {to}  amount {amount}  nonce {nonce}")?;
        }
        writeln!(
            f,
            "  circuit: {} constraints ({} per transfer slot)",
            self.constraints,
            self.constraints / self.slots.max(1)
        )?;
        writeln!(
            f,
            "  setup:   {} ({DEVELOPMENT_SETUP_WARNING})",
            secs(Duration::from_secs_f64(self.setup_seconds))
        )?;
        writeln!(f, "           verifying key fingerprint {}", self.fingerprint)?;
        writeln!(f, "  prove:   {}", self.backend)?;
        write_phases(f, &self.phases, "           ")?;
        writeln!(
            f,
            "  update:  {} bytes ({PROOF_BYTES}-byte proof), new root {}",
            self.update_bytes, self.new_root
        )?;
        match &self.reason {
            None => write!(
                f,
                "  verify:  VALID in {} (light client moved to the new root)",
                secs(Duration::from_secs_f64(self.verify_seconds))
            ),
            Some(e) => write!(f, "  verify:  INVALID: {e}"),
        }
    }
}

/// Genesis, a signed batch filling every slot, a development setup, a
/// proof on the chosen backend, and its verification by a light client.
pub fn demo(
    progress: &dyn Progress,
    depth: usize,
    slots: usize,
    backend: &BackendOptions,
) -> Result<DemoReport> {
    check_shape(depth, slots, "--slots")?;
    let shape = TransferShape { depth, slots };
    check_setup_fits(estimated_constraints(&shape))?;
    let accounts = (slots as u64).clamp(2, 8);
    let ledger = SampleLedger::new(depth, accounts, 1_000_000).map_err(AppError::unusable)?;
    let genesis = ledger.roots().root();
    let batch = ledger.batch(slots);
    let circuit = TransferBatchCircuit::for_setup(depth, slots);
    let constraints =
        step(progress, "counting constraints", || keys::count_constraints(circuit.clone()))?;
    let setup_start = Instant::now();
    let keys = step(progress, "generating keys (development setup)", || {
        Keys::setup::<TransferBatchCircuit>(&shape, &mut keys::os_rng())
    })?;
    let setup_time = setup_start.elapsed();
    let backends = backend.open();
    let prover = prover(&keys, &backends)?;
    let proved = step(progress, "proving", || {
        transfer::prove_batch(&prover, &keys, &ledger.state, &ledger.roots(), &batch)
    })?;
    let bytes = proved.update.to_bytes();
    let verify_start = Instant::now();
    let outcome = CompressedUpdate::from_bytes(&bytes).and_then(|u| {
        let mut client = LightClient::new(keys.verifying_key.clone(), genesis);
        client.apply(&u)
    });
    let verify_time = verify_start.elapsed();
    let report = DemoReport {
        depth,
        slots,
        accounts,
        transfers: batch.transfers.iter().map(|t| (t.from, t.to, t.amount, t.nonce)).collect(),
        constraints,
        backend: backends.description(),
        setup_seconds: setup_time.as_secs_f64(),
        fingerprint: hex32(&keys.fingerprint()),
        phases: phases(&proved.timings),
        update_bytes: bytes.len(),
        verify_seconds: verify_time.as_secs_f64(),
        valid: outcome.is_ok(),
        reason: outcome.as_ref().err().map(|e| e.to_string()),
        old_root: fr(&genesis),
        new_root: fr(outcome.as_ref().unwrap_or(&genesis)),
        development_setup: true,
    };
    Ok(report)
}

/// What `stateproof sample` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct SampleReport {
    /// The state file.
    pub state: PathBuf,
    /// The batch file.
    pub batch: PathBuf,
    /// Accounts in the state.
    pub accounts: u64,
    /// Transfers in the batch.
    pub transfers: usize,
    /// Tree depth.
    pub depth: usize,
    /// The state's root.
    pub root: String,
    /// Accounts owned by the user's key files (the rest use public seeds).
    pub user_keys: usize,
}

impl fmt::Display for SampleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "wrote {} ({}, depth {}) and {} ({})",
            self.state.display(),
            count(self.accounts as usize, "account"),
            self.depth,
            self.batch.display(),
            count(self.transfers, "transfer")
        )?;
        writeln!(f, "state root {}", self.root)?;
        if self.user_keys > 0 {
            writeln!(f, "accounts 0 to {} hold the keys given", self.user_keys - 1)?;
        }
        write!(f, "sample keys come from public seeds: for demos only")
    }
}

/// A sample genesis of `accounts` accounts and a valid batch of
/// `transfers`; accounts `0..user_keys.len()` hold the keys given (the
/// batch is signed with them), the others sample keys from public seeds.
pub fn sample(
    depth: usize,
    accounts: u64,
    transfers: usize,
    user_keys: &[SecretKey],
    dir: &Path,
) -> Result<SampleReport> {
    check_shape(depth, transfers, "--transfers")?;
    if accounts < 2 || (depth < 64 && accounts >= 1u64 << depth) {
        return Err(AppError::unusable(format!(
            "--accounts must be at least 2 and fit the tree (2^{depth}), got {accounts}"
        )));
    }
    if user_keys.len() as u64 > accounts {
        return Err(AppError::unusable(format!(
            "{} key files for {} accounts",
            user_keys.len(),
            accounts
        )));
    }
    let mut ledger = SampleLedger::new(depth, accounts, 1_000_000).map_err(AppError::unusable)?;
    for (i, key) in user_keys.iter().enumerate() {
        let account = Account { public_key: key.public_key(), balance: 1_000_000, nonce: 0 };
        ledger.state.set_account(i as u64, account).map_err(AppError::unusable)?;
        ledger.keys[i] = key.clone();
    }
    let batch = ledger.batch(transfers);
    ensure_dir(dir)?;
    let (state_path, batch_path) = (dir.join("state.json"), dir.join("batch.json"));
    write_json(&state_path, &StateJson::from_state(&ledger.state))?;
    write_json(&batch_path, &BatchJson::from_batch(&batch))?;
    Ok(SampleReport {
        state: state_path,
        batch: batch_path,
        accounts,
        transfers,
        depth,
        root: fr(&ledger.roots().root()),
        user_keys: user_keys.len(),
    })
}

/// What a setup wrote.
#[derive(Clone, Debug, Serialize)]
pub struct SetupReport {
    /// The proving key file.
    pub proving_key: PathBuf,
    /// The verifying key file.
    pub verifying_key: PathBuf,
    /// The circuit.
    pub circuit_id: String,
    /// Its shape, in words.
    pub shape: String,
    /// Its parameters.
    pub params: Vec<(String, u64)>,
    /// The verifying key's fingerprint.
    pub fingerprint: String,
    /// Key generation time.
    pub seconds: f64,
    /// Keys came from a development setup.
    pub development_setup: bool,
    /// What that means.
    pub warning: &'static str,
}

impl fmt::Display for SetupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.warning)?;
        writeln!(
            f,
            "wrote {} and {} in {} ({}, {})",
            self.proving_key.display(),
            self.verifying_key.display(),
            secs(Duration::from_secs_f64(self.seconds)),
            self.circuit_id,
            self.shape
        )?;
        write!(f, "verifying key fingerprint {}", self.fingerprint)
    }
}

/// Saves `keys` as `name.pk` and `name.vk` in `dir`.
pub(crate) fn save_keys(
    keys: &Keys,
    dir: &Path,
    name: &str,
    took: Duration,
) -> Result<SetupReport> {
    let (pk, vk) = (dir.join(format!("{name}.pk")), dir.join(format!("{name}.vk")));
    keys.save_proving_key(&pk)?;
    keys.save_verifying_key(&vk)?;
    Ok(SetupReport {
        proving_key: pk,
        verifying_key: vk,
        circuit_id: keys.spec().id.to_string(),
        shape: keys.shape.describe(),
        params: keys.shape.params(),
        fingerprint: hex32(&keys.fingerprint()),
        seconds: took.as_secs_f64(),
        development_setup: true,
        warning: DEVELOPMENT_SETUP_WARNING,
    })
}

/// Generates transfer-batch keys (a development setup) into `dir`.
pub fn setup(
    progress: &dyn Progress,
    depth: usize,
    slots: usize,
    dir: &Path,
) -> Result<SetupReport> {
    check_shape(depth, slots, "--slots")?;
    let shape = TransferShape { depth, slots };
    check_setup_fits(estimated_constraints(&shape))?;
    ensure_dir(dir)?;
    for name in ["transfer.pk", "transfer.vk"] {
        check_writable(&dir.join(name))?;
    }
    let start = Instant::now();
    let keys = step(progress, "generating keys (development setup)", || {
        Keys::setup::<TransferBatchCircuit>(&shape, &mut keys::os_rng())
    })?;
    save_keys(&keys, dir, "transfer", start.elapsed())
}

/// The files `stateproof prove` reads and writes.
pub struct ProveFiles<'a> {
    /// The proving key.
    pub pk: &'a Path,
    /// The verifying key the proving key must belong with, if given.
    pub vk: Option<&'a Path>,
    /// The state.
    pub state: &'a Path,
    /// The batch.
    pub batch: &'a Path,
    /// Where the update goes.
    pub update: &'a Path,
    /// Where the state after the batch goes, if anywhere.
    pub new_state: Option<&'a Path>,
}

/// What `stateproof prove` did.
#[derive(Clone, Debug, Serialize)]
pub struct ProveReport {
    /// The update file.
    pub update: PathBuf,
    /// Its size.
    pub bytes: usize,
    /// Transfers proven.
    pub transfers: usize,
    /// Root before.
    pub old_root: String,
    /// Root after.
    pub new_root: String,
    /// What computed what.
    pub backend: String,
    /// The proof's phases.
    pub phases: Vec<Phase>,
}

impl fmt::Display for ProveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "proved {} ({})", count(self.transfers, "transfer"), self.backend)?;
        write_phases(f, &self.phases, "  ")?;
        writeln!(f, "old root {}", self.old_root)?;
        writeln!(f, "new root {}", self.new_root)?;
        write!(f, "wrote {} ({} bytes)", self.update.display(), self.bytes)
    }
}

/// Reads a state file.
pub fn read_state(path: &Path) -> Result<State> {
    read_json_as(path, StateJson::to_state)
}

/// Reads a batch file.
pub fn read_batch(path: &Path) -> Result<TransferBatch> {
    read_json_as(path, BatchJson::to_batch)
}

/// Loads a verifying key file.
pub fn load_vk(path: &Path) -> Result<stateproof_verifier::VerifyingKey> {
    keys::load_verifying_key(path).map_err(AppError::unusable)
}

/// Loads a proving key, refusing one that does not belong with `vk`.
pub fn load_keys(progress: &dyn Progress, pk: &Path, vk: Option<&Path>) -> Result<Keys> {
    let vk = vk.map(load_vk).transpose()?;
    Ok(step(progress, "loading proving key", || Keys::load_proving_key(pk, vk.as_ref()))?)
}

/// Applies a batch to a state and proves it. Everything that can be
/// checked before the slow work is: the files, the batch's rules, the
/// output paths; then the key loads and the proof runs.
pub fn prove(
    progress: &dyn Progress,
    f: ProveFiles<'_>,
    backend: &BackendOptions,
) -> Result<ProveReport> {
    let state = read_state(f.state)?;
    let batch = read_batch(f.batch)?;
    if batch.transfers.len() > MAX_SLOTS {
        return Err(AppError::unusable(format!(
            "{}: {} transfers, more than any circuit's {MAX_SLOTS} slots",
            f.batch.display(),
            batch.transfers.len()
        )));
    }
    // The rules first: a batch that breaks one needs no key.
    apply_batch(&state, &state.roots_alone(), &batch, batch.transfers.len())
        .map_err(|e| AppError::invalid(format!("{}: {e}", f.batch.display())))?;
    check_writable(f.update)?;
    if let Some(p) = f.new_state {
        check_writable(p)?;
    }
    let keys = load_keys(progress, f.pk, f.vk)?;
    let shape = transfer::shape_for(&keys, &state).map_err(AppError::unusable)?;
    if batch.transfers.len() > shape.slots {
        return Err(AppError::unusable(format!(
            "{}: {} for a key of {}",
            f.batch.display(),
            count(batch.transfers.len(), "transfer"),
            count(shape.slots, "slot")
        )));
    }
    let backends = backend.open();
    let prover = prover(&keys, &backends)?;
    let proved = step(progress, "proving", || {
        transfer::prove_batch(&prover, &keys, &state, &state.roots_alone(), &batch)
    })?;
    let bytes = proved.update.to_bytes();
    files::write(f.update, &bytes)?;
    if let Some(p) = f.new_state {
        write_json(p, &StateJson::from_state(&proved.state))?;
    }
    Ok(ProveReport {
        update: f.update.to_path_buf(),
        bytes: bytes.len(),
        transfers: batch.transfers.len(),
        old_root: fr(&state.roots_alone().root()),
        new_root: fr(&proved.state.roots_alone().root()),
        backend: backends.description(),
        phases: phases(&proved.timings),
    })
}

/// What `stateproof verify` found.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    /// Whether the update verifies (and continues from the root given).
    pub valid: bool,
    /// The update file.
    pub update: PathBuf,
    /// Its circuit.
    pub circuit_id: String,
    /// Its public inputs.
    pub public_inputs: serde_json::Map<String, serde_json::Value>,
    /// Why it does not verify, if not.
    pub reason: Option<String>,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Some(r) => write!(f, "INVALID: {r}"),
            None => {
                write!(f, "VALID: {} {}", self.circuit_id, self.update.display())?;
                for (name, value) in &self.public_inputs {
                    write!(f, "\n  {name} = {}", value.as_str().unwrap_or_default())?;
                }
                Ok(())
            }
        }
    }
}

/// The public inputs of an update as a JSON object of decimal strings.
pub fn inputs_json(u: &CompressedUpdate) -> serde_json::Map<String, serde_json::Value> {
    u.public_inputs.iter().map(|(n, v)| (n.clone(), serde_json::json!(fr(v)))).collect()
}

/// Parses an update file: unreadable or malformed bytes are unusable input.
pub fn read_update(path: &Path) -> Result<CompressedUpdate> {
    let bytes = files::read(path)?;
    CompressedUpdate::from_bytes(&bytes)
        .map_err(|e| AppError::unusable(format!("{}: not a usable update: {e}", path.display())))
}

/// Verifies an update file under a verifying key, from `root` when given:
/// `Ok` with `valid` false (and the reason) when it parses but does not
/// verify; an error when it cannot be read.
pub fn verify(vk_path: &Path, update_path: &Path, root: Option<&str>) -> Result<VerifyReport> {
    let vk = load_vk(vk_path)?;
    let trusted = root
        .map(|r| parse_fr(r).map_err(|e| AppError::unusable(format!("--root: {e}"))))
        .transpose()?;
    let u = read_update(update_path)?;
    let result = u.verify(&vk).and_then(|()| match trusted {
        Some(root) => LightClient::new(vk.clone(), root).apply(&u).map(|_| ()),
        None => Ok(()),
    });
    Ok(VerifyReport {
        valid: result.is_ok(),
        update: update_path.to_path_buf(),
        circuit_id: u.circuit_id.clone(),
        public_inputs: inputs_json(&u),
        reason: result.err().map(|e| e.to_string()),
    })
}
