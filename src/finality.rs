//! `stateproof finality …`: finality proofs for light clients, and the
//! light client itself over files.

use crate::commands::{
    ensure_dir, hex32, invalid, load_vk, make_prover, read_json, unusable, write_json, CliError,
    CliResult,
};
use crate::output::{secs, Output};
use crate::Backend;
use serde_json::json;
use stateproof_circuits::field::fr_to_string;
use stateproof_circuits::finality::{
    AttestationsJson, DoubleSign, EvidenceJson, Header, HeaderJson, SampleChain, SetJson,
    Statement, StatementKind, Threshold, ValidatorSet, MAX_SET_DEPTH,
};
use stateproof_circuits::poseidon::hash2;
use stateproof_circuits::Fr;
use stateproof_prover::finality::{
    prove_quorum, prove_slashing, quorum_keys, slashing_keys, slashing_params, QuorumShape,
    SLASHING_CIRCUIT_ID,
};
use stateproof_prover::keys::{self, Keys, DEVELOPMENT_SETUP_WARNING};
use stateproof_prover::{files, PhaseTimings};
use stateproof_verifier::{Checkpoint, CompressedUpdate, FinalityClient};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Most signer slots the command line sets up: a 2-core machine proves 64
/// slots (about 0.6 million constraints at depth 16) in minutes.
const MAX_SLOTS: usize = 256;

/// Parses `2/3` or `all`.
pub fn parse_threshold(text: &str) -> Result<Threshold, String> {
    if text == "all" {
        return Ok(Threshold::ALL);
    }
    let (num, den) = text.split_once('/').ok_or("expected NUM/DEN (e.g. 2/3) or all")?;
    let num = num.trim().parse::<u64>().map_err(|e| format!("numerator: {e}"))?;
    let den = den.trim().parse::<u64>().map_err(|e| format!("denominator: {e}"))?;
    Threshold::new(num, den).map_err(|e| e.to_string())
}

fn check_set_shape(depth: usize, slots: usize) -> CliResult {
    if !(1..=MAX_SET_DEPTH).contains(&depth) {
        return Err(unusable(format!("--depth must be 1 to {MAX_SET_DEPTH}, got {depth}")));
    }
    if !(1..=MAX_SLOTS).contains(&slots) {
        return Err(unusable(format!("--slots must be 1 to {MAX_SLOTS}, got {slots}")));
    }
    Ok(())
}

pub(crate) fn checkpoint_of(header: &Header) -> Checkpoint {
    Checkpoint {
        height: header.height,
        header_hash: header.hash(),
        state_root: header.state_root,
        set_root: header.next_set_root,
    }
}

fn setup_keys(out: &Output, shape: &QuorumShape) -> Result<(Keys, Duration), CliError> {
    let start = Instant::now();
    let pk = out.step("generating keys (development setup)", || {
        keys::setup(shape.setup_circuit(), &mut keys::os_rng())
    })?;
    Ok((quorum_keys(shape, pk)?, start.elapsed()))
}

fn setup_slashing_keys(out: &Output, depth: usize) -> Result<(Keys, Duration), CliError> {
    let start = Instant::now();
    let pk = out.step("generating slashing keys (development setup)", || {
        keys::setup(
            stateproof_circuits::finality::DoubleSignCircuit::for_setup(depth),
            &mut keys::os_rng(),
        )
    })?;
    Ok((slashing_keys(depth, pk)?, start.elapsed()))
}

/// A stand-in for the state root a chain finalises at `height` (the demo
/// proves finality, not execution).
fn demo_state_root(height: u64) -> Fr {
    hash2(Fr::from(0x5354415445u64), Fr::from(height))
}

/// Options of `finality demo`.
pub struct DemoOptions {
    pub validators: u64,
    pub heights: u64,
    pub depth: usize,
    pub backend: Backend,
    pub device: Option<usize>,
    pub out: Option<PathBuf>,
}

struct Step {
    height: u64,
    signers: usize,
    signed: u64,
    total: u64,
    rotated: bool,
    prove: Duration,
    bytes: usize,
}

/// A chain of headers with a rotation at height 2, a double sign at height
/// 3 slashed by the set header 4 names, more rotations every third height
/// from 6, each header proven and followed by the light client.
pub fn demo(out: &Output, o: DemoOptions) -> CliResult {
    if !(3..=16).contains(&o.validators) {
        return Err(unusable(format!("--validators must be 3 to 16, got {}", o.validators)));
    }
    if !(4..=32).contains(&o.heights) {
        return Err(unusable(format!("--heights must be 4 to 32, got {}", o.heights)));
    }
    check_set_shape(o.depth, o.validators as usize)?;
    if o.validators > (1u64 << o.depth.min(32)) {
        return Err(unusable("--validators must fit the set tree (2^depth)"));
    }
    let threshold = Threshold::TWO_THIRDS;
    let shape = QuorumShape {
        depth: o.depth,
        slots: o.validators as usize,
        threshold,
        kind: StatementKind::Header,
    };
    out.line(format!(
        "stateproof finality demo: {} validators (set tree depth {}), quorum {threshold}, {} heights",
        o.validators, o.depth, o.heights
    ));
    let constraints =
        out.step("counting constraints", || keys::count_constraints(shape.setup_circuit()))?;
    let slash_constraints = keys::count_constraints(
        stateproof_circuits::finality::DoubleSignCircuit::for_setup(o.depth),
    )?;
    out.line(format!(
        "  circuits: finality {constraints} constraints ({} signer slots), slashing {slash_constraints}",
        shape.slots
    ));
    let (keys, t1) = setup_keys(out, &shape)?;
    let (slash_keys, t2) = setup_slashing_keys(out, o.depth)?;
    out.line(format!("  setup:    {} ({DEVELOPMENT_SETUP_WARNING})", secs(t1 + t2)));
    let (prover, backend_description) = make_prover(&keys, o.backend, o.device)?;
    let (slash_prover, _) = make_prover(&slash_keys, o.backend, o.device)?;
    out.line(format!("  prove:    {backend_description}"));

    let mut signing = SampleChain::new(o.depth, o.validators).map_err(unusable)?;
    let genesis = Header::genesis(demo_state_root(0), signing.set.root());
    let mut client = FinalityClient::new(keys.verifying_key.clone(), checkpoint_of(&genesis))
        .map_err(unusable)?;
    out.line(format!("  genesis:  set root {}", fr_to_string(&genesis.next_set_root)));
    if let Some(dir) = &o.out {
        ensure_dir(&dir.join("updates"))?;
        write_json(&dir.join("genesis.json"), &HeaderJson::from_header(&genesis))?;
        keys.save_verifying_key(&dir.join("finality.vk"))?;
        slash_keys.save_verifying_key(&dir.join("slashing.vk"))?;
    }

    let mut prev = genesis;
    let mut steps = Vec::new();
    let mut evidence: Option<DoubleSign> = None;
    let mut last_update = None;
    let mut slashing = None;
    for height in 1..=o.heights {
        // Rotation at 2: the last validator leaves, a new one joins. At 4
        // the header names the set with the height-3 double signer slashed.
        // From 6, another validator is replaced every third height.
        let next = match height {
            2 => signing.rotated(o.validators - 1, 1000 + height).map_err(unusable)?,
            4 => {
                let e = evidence.take().ok_or_else(|| unusable("no evidence"))?;
                let start = Instant::now();
                let (slashed, update, _) = out.step("proving the slashing", || {
                    prove_slashing(&slash_prover, &slash_keys, &signing.set, &e)
                })?;
                let chain = signing.slashed(e.index).map_err(unusable)?;
                debug_assert_eq!(chain.set.root(), slashed.root());
                update.verify(&slash_keys.verifying_key).map_err(invalid)?;
                out.line(format!(
                    "  slash:    validator {} signed two headers at height {}: stake {} -> 0, proven in {}",
                    e.index,
                    e.first.0.height,
                    signing.set.member(e.index).map_or(0, |m| m.stake),
                    secs(start.elapsed())
                ));
                if let Some(dir) = &o.out {
                    files::write_atomic(&dir.join("slashing.bin"), &update.to_bytes())
                        .map_err(unusable)?;
                    write_json(&dir.join("evidence.json"), &EvidenceJson::from_evidence(&e))?;
                }
                slashing = Some((update, signing.set.root(), chain.set.root()));
                chain
            }
            // Later rotations every third height.
            h if h >= 6 && h % 3 == 0 => {
                let index = (h / 3) % o.validators;
                signing.rotated(index, 1000 + h).map_err(unusable)?
            }
            _ => signing.clone(),
        };
        let header = prev.child(demo_state_root(height), next.set.root());
        let statement = Statement::Header(header);
        let attestations = signing.quorum(&statement, threshold);
        if height == 3 {
            // Validator 0 also signs a conflicting header at this height.
            let key = signing.key(0).ok_or_else(|| unusable("validator 0 has no key"))?;
            let fork = Header { state_root: demo_state_root(1 << 40), ..header };
            evidence = Some(DoubleSign {
                index: 0,
                public_key: key.public_key(),
                first: (header, key.sign(header.hash())),
                second: (fork, key.sign(fork.hash())),
            });
        }
        let signed: u64 =
            attestations.iter().filter_map(|a| signing.set.member(a.index)).map(|m| m.stake).sum();
        let start = Instant::now();
        let (update, _): (CompressedUpdate, PhaseTimings) = out
            .step(&format!("proving height {height}"), || {
                prove_quorum(&prover, &keys, &signing.set, &statement, &attestations)
            })?;
        let prove = start.elapsed();
        let bytes = update.to_bytes();
        let parsed = CompressedUpdate::from_bytes(&bytes).map_err(invalid)?;
        let done = client
            .apply(&parsed)
            .map_err(|e| invalid(format!("the light client rejected height {height}: {e}")))?;
        if let Some(dir) = &o.out {
            files::write_atomic(&dir.join("updates").join(format!("{height:06}.bin")), &bytes)
                .map_err(unusable)?;
        }
        steps.push(Step {
            height,
            signers: attestations.len(),
            signed,
            total: signing.set.total_stake(),
            rotated: done.rotated,
            prove,
            bytes: bytes.len(),
        });
        let s = steps.last().expect("pushed");
        out.line(format!(
            "  height {:>2}: {} of {} validators signed, stake {}/{}, proven in {}, {} bytes; light client: final{}",
            s.height,
            s.signers,
            signing.set.members().values().filter(|m| m.stake > 0).count(),
            s.signed,
            s.total,
            secs(s.prove),
            s.bytes,
            if s.rotated { ", next set rotated" } else { "" }
        ));
        last_update = Some(parsed);
        prev = header;
        signing = next;
    }

    // The slashing proof moved the set the client held after height 3 to
    // the one header 4 named.
    let (slashing, from, to) = slashing.ok_or_else(|| unusable("no slashing was proven"))?;
    let slash_ok = slashing.input("old_set_root").ok() == Some(from)
        && slashing.input("new_set_root").ok() == Some(to);
    out.line(format!(
        "  slashing: proof verified; it moves the set that signed heights 3-4 to the set header 4 names: {}",
        if slash_ok { "yes" } else { "NO" }
    ));
    let replay = last_update.ok_or_else(|| unusable("no update"))?;
    let replay_result = client.apply(&replay);
    out.line(format!(
        "  replay:   the last update again -> rejected ({})",
        replay_result.as_ref().err().map_or("accepted!".to_string(), |e| e.to_string())
    ));
    let state = client.state();
    out.line(format!(
        "  client:   height {}, state root {}, {} bytes of state",
        state.height,
        fr_to_string(&state.state_root),
        client.state_bytes().len()
    ));
    if let Some(dir) = &o.out {
        out.line(format!(
            "  wrote {0}/updates/*.bin, genesis.json, finality.vk, slashing.vk, slashing.bin, evidence.json; \
             follow them with: stateproof finality follow --vk {0}/finality.vk --genesis {0}/genesis.json {0}/updates",
            dir.display()
        ));
    }
    out.json(json!({
        "validators": o.validators,
        "set_depth": o.depth,
        "threshold": threshold.to_string(),
        "constraints": constraints,
        "slashing_constraints": slash_constraints,
        "backend": backend_description,
        "heights": steps.iter().map(|s| json!({
            "height": s.height, "signers": s.signers, "signed_stake": s.signed,
            "total_stake": s.total, "rotated": s.rotated,
            "prove_seconds": s.prove.as_secs_f64(), "update_bytes": s.bytes,
        })).collect::<Vec<_>>(),
        "slashing_verified": slash_ok,
        "replay_rejected": replay_result.is_err(),
        "final_height": state.height,
        "state_root": fr_to_string(&state.state_root),
        "client_state_bytes": client.state_bytes().len(),
        "development_setup": true,
    }));
    if !slash_ok {
        return Err(invalid("the slashing proof does not connect the sets"));
    }
    if replay_result.is_ok() {
        return Err(invalid("the light client accepted a replayed update"));
    }
    Ok(())
}

/// Writes a sample set, genesis header, the next header, a quorum's
/// attestations over it and double-sign evidence (public demo keys).
pub fn sample(out: &Output, depth: usize, validators: u64, dir: &Path) -> CliResult {
    check_set_shape(depth, 1)?;
    if validators == 0 || validators > (1u64 << depth.min(32)) || validators > 1024 {
        return Err(unusable("--validators must be 1 to 1024 and fit the tree (2^depth)"));
    }
    let chain = SampleChain::new(depth, validators).map_err(unusable)?;
    let genesis = Header::genesis(demo_state_root(0), chain.set.root());
    let header = genesis.child(demo_state_root(1), chain.set.root());
    let statement = Statement::Header(header);
    let attestations = chain.quorum(&statement, Threshold::TWO_THIRDS);
    let key = chain.key(0).ok_or_else(|| unusable("validator 0 has no key"))?;
    let fork = Header { state_root: demo_state_root(1 << 40), ..header };
    let evidence = DoubleSign {
        index: 0,
        public_key: key.public_key(),
        first: (header, key.sign(header.hash())),
        second: (fork, key.sign(fork.hash())),
    };
    ensure_dir(dir)?;
    write_json(&dir.join("set.json"), &SetJson::from_set(&chain.set))?;
    write_json(&dir.join("genesis.json"), &HeaderJson::from_header(&genesis))?;
    write_json(&dir.join("header.json"), &HeaderJson::from_header(&header))?;
    write_json(
        &dir.join("attestations.json"),
        &AttestationsJson::from_attestations(&attestations),
    )?;
    write_json(&dir.join("evidence.json"), &EvidenceJson::from_evidence(&evidence))?;
    out.line(format!(
        "wrote set.json ({validators} validators), genesis.json, header.json (height 1), \
         attestations.json ({} signers) and evidence.json to {}",
        attestations.len(),
        dir.display()
    ));
    out.line("sample keys come from public seeds: for demos only");
    out.json(json!({"dir": dir, "set_root": fr_to_string(&chain.set.root()), "signers": attestations.len()}));
    Ok(())
}

fn report_keys(out: &Output, keys: &Keys, pk: &Path, vk: &Path, took: Duration) {
    out.line(DEVELOPMENT_SETUP_WARNING);
    out.line(format!(
        "wrote {} and {} in {} ({} {:?})",
        pk.display(),
        vk.display(),
        secs(took),
        keys.circuit_id,
        keys.params
    ));
    out.line(format!("verifying key fingerprint {}", hex32(&keys.fingerprint())));
    out.json(json!({
        "proving_key": pk, "verifying_key": vk, "circuit_id": keys.circuit_id,
        "params": keys.params, "fingerprint": hex32(&keys.fingerprint()),
        "development_setup": true, "warning": DEVELOPMENT_SETUP_WARNING,
    }));
}

/// Generates quorum keys (finality or agreement) of a shape into `dir`.
pub fn setup(out: &Output, shape: QuorumShape, dir: &Path, name: &str) -> CliResult {
    check_set_shape(shape.depth, shape.slots)?;
    ensure_dir(dir)?;
    let (keys, took) = setup_keys(out, &shape)?;
    let (pk, vk) = (dir.join(format!("{name}.pk")), dir.join(format!("{name}.vk")));
    keys.save_proving_key(&pk)?;
    keys.save_verifying_key(&vk)?;
    report_keys(out, &keys, &pk, &vk, took);
    Ok(())
}

/// Generates slashing keys into `dir`.
pub fn setup_slashing(out: &Output, depth: usize, dir: &Path) -> CliResult {
    check_set_shape(depth, 1)?;
    ensure_dir(dir)?;
    let (keys, took) = setup_slashing_keys(out, depth)?;
    let (pk, vk) = (dir.join("slashing.pk"), dir.join("slashing.vk"));
    keys.save_proving_key(&pk)?;
    keys.save_verifying_key(&vk)?;
    report_keys(out, &keys, &pk, &vk, took);
    Ok(())
}

pub(crate) fn load_keys(out: &Output, pk: &Path, vk: Option<&Path>) -> Result<Keys, CliError> {
    let vk = vk.map(load_vk).transpose()?;
    Ok(out.step("loading proving key", || Keys::load_proving_key(pk, vk.as_ref()))?)
}

pub(crate) fn read_set(path: &Path) -> Result<ValidatorSet, CliError> {
    read_json::<SetJson>(path)?.to_set().map_err(|e| unusable(format!("{}: {e}", path.display())))
}

/// Proves a quorum statement from files and writes the update.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prove_statement(
    out: &Output,
    keys: &Keys,
    set: &ValidatorSet,
    statement: &Statement,
    attestations_path: &Path,
    update_path: &Path,
    backend: Backend,
    device: Option<usize>,
) -> Result<CompressedUpdate, CliError> {
    let attestations = read_json::<AttestationsJson>(attestations_path)?
        .to_attestations()
        .map_err(|e| unusable(format!("{}: {e}", attestations_path.display())))?;
    let (prover, description) = make_prover(keys, backend, device)?;
    let (update, timings) =
        out.step("proving", || prove_quorum(&prover, keys, set, statement, &attestations))?;
    let bytes = update.to_bytes();
    files::write_atomic(update_path, &bytes).map_err(unusable)?;
    out.line(format!("proved {} attestations ({description})", attestations.len()));
    for (name, d) in timings.phases() {
        out.line(format!("  {name:<22} {}", secs(d)));
    }
    out.line(format!("wrote {} ({} bytes)", update_path.display(), bytes.len()));
    Ok(update)
}

/// The files `finality prove` reads and writes.
pub struct ProveFiles {
    pub pk: PathBuf,
    pub vk: Option<PathBuf>,
    pub set: PathBuf,
    pub header: PathBuf,
    pub attestations: PathBuf,
    pub out: PathBuf,
}

pub fn prove(out: &Output, f: ProveFiles, backend: Backend, device: Option<usize>) -> CliResult {
    let keys = load_keys(out, &f.pk, f.vk.as_deref())?;
    let set = read_set(&f.set)?;
    let header = read_json::<HeaderJson>(&f.header)?
        .to_header()
        .map_err(|e| unusable(format!("{}: {e}", f.header.display())))?;
    let update = prove_statement(
        out,
        &keys,
        &set,
        &Statement::Header(header),
        &f.attestations,
        &f.out,
        backend,
        device,
    )?;
    out.json(json!({
        "update": f.out, "height": header.height,
        "header_hash": fr_to_string(&header.hash()), "bytes": update.to_bytes().len(),
    }));
    Ok(())
}

/// The files `finality slash` reads and writes.
pub struct SlashFiles<'a> {
    pub pk: &'a Path,
    pub vk: Option<&'a Path>,
    pub set: &'a Path,
    pub evidence: &'a Path,
    pub update: &'a Path,
    pub new_set: Option<&'a Path>,
}

/// Proves double-sign evidence and writes the update and the slashed set.
pub fn slash(
    out: &Output,
    f: SlashFiles<'_>,
    backend: Backend,
    device: Option<usize>,
) -> CliResult {
    let SlashFiles {
        pk,
        vk,
        set: set_path,
        evidence: evidence_path,
        update: update_path,
        new_set: new_set_path,
    } = f;
    let keys = load_keys(out, pk, vk)?;
    let set = read_set(set_path)?;
    keys.expect(SLASHING_CIRCUIT_ID, &slashing_params(set.depth()))?;
    let evidence = read_json::<EvidenceJson>(evidence_path)?
        .to_evidence()
        .map_err(|e| unusable(format!("{}: {e}", evidence_path.display())))?;
    let (prover, description) = make_prover(&keys, backend, device)?;
    let (next, update, _) =
        out.step("proving", || prove_slashing(&prover, &keys, &set, &evidence))?;
    files::write_atomic(update_path, &update.to_bytes()).map_err(unusable)?;
    if let Some(p) = new_set_path {
        write_json(p, &SetJson::from_set(&next))?;
    }
    out.line(format!(
        "validator {} double-signed at height {}: slashed ({description}); set root {} -> {}",
        evidence.index,
        evidence.first.0.height,
        fr_to_string(&set.root()),
        fr_to_string(&next.root())
    ));
    out.line(format!("wrote {}", update_path.display()));
    out.json(json!({
        "update": update_path, "offender": evidence.index,
        "old_set_root": fr_to_string(&set.root()), "new_set_root": fr_to_string(&next.root()),
    }));
    Ok(())
}

/// The update files among `paths`: files as given, directories expanded to
/// their files sorted by name.
fn update_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries = std::fs::read_dir(p)
                .map_err(|e| unusable(format!("{}: {e}", p.display())))?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| unusable(format!("{}: {e}", p.display())))?;
            entries.retain(|e| e.is_file());
            entries.sort();
            files.extend(entries);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

enum FollowError {
    Read(String),
    Client(stateproof_verifier::Error),
}

impl std::fmt::Display for FollowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FollowError::Read(e) => f.write_str(e),
            FollowError::Client(e) => e.fmt(f),
        }
    }
}

/// Runs the light client over update files, from a trusted genesis or a
/// saved state, saving the state after each accepted update.
pub fn follow(
    out: &Output,
    vk_path: &Path,
    genesis: Option<&Path>,
    state_path: Option<&Path>,
    updates: &[PathBuf],
) -> CliResult {
    let vk = load_vk(vk_path)?;
    let saved = state_path.filter(|p| p.exists());
    let mut client = match (saved, genesis) {
        (Some(p), _) => {
            let bytes = files::read(p).map_err(unusable)?;
            FinalityClient::resume(vk, &bytes)
                .map_err(|e| unusable(format!("{}: {e}", p.display())))?
        }
        (None, Some(g)) => {
            let header = read_json::<HeaderJson>(g)?
                .to_header()
                .map_err(|e| unusable(format!("{}: {e}", g.display())))?;
            FinalityClient::new(vk, checkpoint_of(&header)).map_err(unusable)?
        }
        (None, None) => {
            return Err(unusable("give --genesis (a trusted header) or an existing --state file"))
        }
    };
    let start = client.state().height;
    out.line(format!("light client at height {start}"));
    let mut results = Vec::new();
    let mut rejected = 0usize;
    let mut fork = None;
    for path in update_files(updates)? {
        let outcome = files::read(&path)
            .map_err(|e| FollowError::Read(e.to_string()))
            .and_then(|b| CompressedUpdate::from_bytes(&b).map_err(FollowError::Client))
            .and_then(|u| client.apply(&u).map_err(FollowError::Client));
        match &outcome {
            Ok(done) => {
                out.line(format!(
                    "  {}: final height {} state root {}{}",
                    path.display(),
                    done.height,
                    fr_to_string(&done.state_root),
                    if done.rotated { " (next set rotated)" } else { "" }
                ));
                if let Some(p) = state_path {
                    files::write_atomic(p, &client.state_bytes()).map_err(unusable)?;
                }
            }
            // Heights the client already holds: re-running over a growing
            // directory is normal use, not an error.
            Err(FollowError::Client(
                e @ (stateproof_verifier::Error::Stale { .. }
                | stateproof_verifier::Error::Replay { .. }),
            )) => {
                out.line(format!("  {}: skipped: {e}", path.display()));
            }
            Err(e) => {
                rejected += 1;
                out.line(format!("  {}: REJECTED: {e}", path.display()));
            }
        }
        results.push(json!({
            "file": path, "accepted": outcome.is_ok(),
            "height": outcome.as_ref().ok().map(|d| d.height),
            "reason": outcome.as_ref().err().map(|e| e.to_string()),
        }));
        if let Some(f) = client.state().fork {
            fork = Some(f);
            if let Some(p) = state_path {
                files::write_atomic(p, &client.state_bytes()).map_err(unusable)?;
            }
            break;
        }
    }
    let s = client.state();
    out.line(format!(
        "light client at height {}, header {}, state root {}",
        s.height,
        fr_to_string(&s.header_hash),
        fr_to_string(&s.state_root)
    ));
    out.json(json!({
        "updates": results, "height": s.height, "header_hash": fr_to_string(&s.header_hash),
        "state_root": fr_to_string(&s.state_root), "set_root": fr_to_string(&s.set_root),
        "fork": fork.map(|f| json!({"height": f.height, "set_root": fr_to_string(&f.set_root),
            "accepted": fr_to_string(&f.accepted), "conflicting": fr_to_string(&f.conflicting)})),
    }));
    if let Some(f) = fork {
        return Err(invalid(format!(
            "FORK at height {}: the set {} finalised both {} and {}; the client halts",
            f.height,
            fr_to_string(&f.set_root),
            fr_to_string(&f.accepted),
            fr_to_string(&f.conflicting)
        )));
    }
    if rejected > 0 {
        return Err(invalid(format!("{rejected} update(s) rejected")));
    }
    Ok(())
}
