//! Finality proofs for light clients: the demo, sample files, keys, and
//! proving quorums and slashings from files.

use crate::backend::{prover, BackendOptions};
use crate::files::{self, ensure_dir, read_json_as, write_json};
use crate::progress::{step, Progress};
use crate::text::{fr, secs};
use crate::transfer::{load_keys, save_keys, Phase, SetupReport};
use crate::{AppError, Result};
use serde::Serialize;
use stateproof_circuits::finality::{
    AttestationsJson, DoubleSign, DoubleSignCircuit, EvidenceJson, Header, HeaderJson,
    QuorumCircuit, QuorumShape, SetJson, SlashingShape, Statement, StatementKind, Threshold,
    ValidatorSet, MAX_SET_DEPTH,
};
use stateproof_circuits::primitives::poseidon::hash2;
use stateproof_circuits::sample::SampleChain;
use stateproof_circuits::Fr;
use stateproof_prover::finality::{prove_quorum, prove_slashing};
use stateproof_prover::keys::{self, Keys, DEVELOPMENT_SETUP_WARNING};
use stateproof_verifier::{Checkpoint, CompressedUpdate, FinalityClient};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Most signer slots the command line sets up: a 2-core machine proves 64
/// slots (about 0.6 million constraints at depth 16) in minutes.
pub const MAX_CLI_SLOTS: usize = 256;

/// Parses `2/3` or `all`.
pub fn parse_threshold(text: &str) -> std::result::Result<Threshold, String> {
    if text == "all" {
        return Ok(Threshold::ALL);
    }
    let (num, den) = text.split_once('/').ok_or("expected NUM/DEN (e.g. 2/3) or all")?;
    let num = num.trim().parse::<u64>().map_err(|e| format!("numerator: {e}"))?;
    let den = den.trim().parse::<u64>().map_err(|e| format!("denominator: {e}"))?;
    Threshold::new(num, den).map_err(|e| e.to_string())
}

/// Refuses set shapes outside what the command line sets up.
pub fn check_set_shape(depth: usize, slots: usize) -> Result<()> {
    if !(1..=MAX_SET_DEPTH).contains(&depth) {
        return Err(AppError::unusable(format!(
            "--depth must be 1 to {MAX_SET_DEPTH}, got {depth}"
        )));
    }
    if !(1..=MAX_CLI_SLOTS).contains(&slots) {
        return Err(AppError::unusable(format!(
            "--slots must be 1 to {MAX_CLI_SLOTS}, got {slots}"
        )));
    }
    Ok(())
}

/// The checkpoint a light client takes from a trusted header.
pub fn checkpoint_of(header: &Header) -> Checkpoint {
    Checkpoint {
        height: header.height,
        header_hash: header.hash(),
        state_root: header.state_root,
        set_root: header.next_set_root,
    }
}

/// A stand-in for the state root a chain finalises at `height` (the demo
/// proves finality, not execution).
fn demo_state_root(height: u64) -> Fr {
    hash2(Fr::from(0x5354415445u64), Fr::from(height))
}

/// Evidence that sample validator 0 signed `header` and a fork of it.
fn fork_evidence(chain: &SampleChain, header: Header) -> Result<DoubleSign> {
    let key = chain.key(0).ok_or_else(|| AppError::unusable("validator 0 has no key"))?;
    let fork = Header { state_root: demo_state_root(1 << 40), ..header };
    Ok(DoubleSign {
        index: 0,
        public_key: key.public_key(),
        first: (header, key.sign(header.hash())),
        second: (fork, key.sign(fork.hash())),
    })
}

/// Options of the finality demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Validators in the genesis set (each proof has this many slots).
    pub validators: u64,
    /// Headers to finalise after genesis.
    pub heights: u64,
    /// Depth of the validator-set tree.
    pub depth: usize,
    /// Where to write the updates, keys and genesis, if anywhere.
    pub out: Option<PathBuf>,
}

/// One finalised height of the demo.
#[derive(Clone, Debug, Serialize)]
pub struct HeightReport {
    /// The height.
    pub height: u64,
    /// Validators that signed.
    pub signers: usize,
    /// Validators with stake in the signing set.
    pub live_validators: usize,
    /// Stake that signed.
    pub signed_stake: u64,
    /// The set's total stake.
    pub total_stake: u64,
    /// Whether the header rotated the set.
    pub rotated: bool,
    /// Proving time.
    pub prove_seconds: f64,
    /// Bytes of the update.
    pub update_bytes: usize,
}

/// What the finality demo did.
#[derive(Clone, Debug, Serialize)]
pub struct FinalityDemoReport {
    /// Validators in the genesis set.
    pub validators: u64,
    /// Set tree depth.
    pub set_depth: usize,
    /// The quorum threshold.
    pub threshold: String,
    /// Constraints of the finality circuit.
    pub constraints: usize,
    /// Constraints of the slashing circuit.
    pub slashing_constraints: usize,
    /// Key generation time, both circuits.
    pub setup_seconds: f64,
    /// What computed what.
    pub backend: String,
    /// The genesis set's root.
    pub genesis_set_root: String,
    /// Each finalised height.
    pub heights: Vec<HeightReport>,
    /// The slashing: offender, height, stake lost, proving time.
    pub slashing: (u64, u64, u64, f64),
    /// The slashing proof moves the set that signed to the set the next
    /// header names.
    pub slashing_verified: bool,
    /// A replayed update was rejected (and why).
    pub replay_rejected: bool,
    /// The reason it was.
    pub replay_reason: String,
    /// The client's height at the end.
    pub final_height: u64,
    /// The state root it holds.
    pub state_root: String,
    /// Bytes of the client's state.
    pub client_state_bytes: usize,
    /// Where files were written.
    pub out: Option<PathBuf>,
    /// Keys from a development setup.
    pub development_setup: bool,
}

impl fmt::Display for FinalityDemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "stateproof finality demo: {} validators (set tree depth {}), quorum {}, {} heights",
            self.validators,
            self.set_depth,
            self.threshold,
            self.heights.len()
        )?;
        writeln!(
            f,
            "  circuits: finality {} constraints ({} signer slots), slashing {}",
            self.constraints, self.validators, self.slashing_constraints
        )?;
        writeln!(
            f,
            "  setup:    {} ({DEVELOPMENT_SETUP_WARNING})",
            secs(Duration::from_secs_f64(self.setup_seconds))
        )?;
        writeln!(f, "  prove:    {}", self.backend)?;
        writeln!(f, "  genesis:  set root {}", self.genesis_set_root)?;
        let (offender, at, stake, took) = self.slashing;
        for h in &self.heights {
            if h.height == 4 {
                writeln!(
                    f,
                    "  slash:    validator {offender} signed two headers at height {at}: stake {stake} -> 0, proven in {}",
                    secs(Duration::from_secs_f64(took))
                )?;
            }
            writeln!(
                f,
                "  height {:>2}: {} of {} validators signed, stake {}/{}, proven in {}, {} bytes; light client: final{}",
                h.height,
                h.signers,
                h.live_validators,
                h.signed_stake,
                h.total_stake,
                secs(Duration::from_secs_f64(h.prove_seconds)),
                h.update_bytes,
                if h.rotated { ", next set rotated" } else { "" }
            )?;
        }
        writeln!(
            f,
            "  slashing: proof verified; it moves the set that signed heights 3-4 to the set header 4 names: {}",
            if self.slashing_verified { "yes" } else { "NO" }
        )?;
        writeln!(f, "  replay:   the last update again -> rejected ({})", self.replay_reason)?;
        write!(
            f,
            "  client:   height {}, state root {}, {} bytes of state",
            self.final_height, self.state_root, self.client_state_bytes
        )?;
        if let Some(dir) = &self.out {
            write!(
                f,
                "\n  wrote {0}/updates/*.bin, genesis.json, finality.vk, slashing.vk, slashing.bin, evidence.json; \
                 follow them with: stateproof finality follow --vk {0}/finality.vk --genesis {0}/genesis.json {0}/updates",
                dir.display()
            )?;
        }
        Ok(())
    }
}

/// A chain of headers with a rotation at height 2, a double sign at height
/// 3 slashed by the set header 4 names, more rotations every third height
/// from 6, each header proven and followed by the light client.
pub fn demo(
    progress: &dyn Progress,
    o: &DemoOptions,
    backend: &BackendOptions,
) -> Result<FinalityDemoReport> {
    if !(3..=16).contains(&o.validators) {
        return Err(AppError::unusable(format!(
            "--validators must be 3 to 16, got {}",
            o.validators
        )));
    }
    if !(4..=32).contains(&o.heights) {
        return Err(AppError::unusable(format!("--heights must be 4 to 32, got {}", o.heights)));
    }
    check_set_shape(o.depth, o.validators as usize)?;
    if o.validators > (1u64 << o.depth.min(32)) {
        return Err(AppError::unusable("--validators must fit the set tree (2^depth)"));
    }
    let threshold = Threshold::TWO_THIRDS;
    let shape = QuorumShape {
        depth: o.depth,
        slots: o.validators as usize,
        threshold,
        kind: StatementKind::Header,
    };
    let slashing_shape = SlashingShape { set_depth: o.depth };
    let constraints = step(progress, "counting constraints", || {
        keys::count_constraints(QuorumCircuit::for_setup(
            o.depth,
            shape.slots,
            threshold,
            shape.kind,
        ))
    })?;
    let slashing_constraints = keys::count_constraints(DoubleSignCircuit::for_setup(o.depth))?;
    let start = Instant::now();
    let (keys, slash_keys) = step(progress, "generating keys (development setup)", || {
        Ok::<_, stateproof_prover::Error>((
            Keys::setup::<QuorumCircuit>(&shape, &mut keys::os_rng())?,
            Keys::setup::<DoubleSignCircuit>(&slashing_shape, &mut keys::os_rng())?,
        ))
    })?;
    let setup_seconds = start.elapsed().as_secs_f64();
    let backends = backend.open();
    let quorum_prover = prover(&keys, &backends)?;
    let slash_prover = prover(&slash_keys, &backends)?;

    let mut signing = SampleChain::new(o.depth, o.validators).map_err(AppError::unusable)?;
    let genesis = Header::genesis(demo_state_root(0), signing.set.root());
    let mut client = FinalityClient::new(keys.verifying_key.clone(), checkpoint_of(&genesis))
        .map_err(AppError::unusable)?;
    if let Some(dir) = &o.out {
        ensure_dir(&dir.join("updates"))?;
        write_json(&dir.join("genesis.json"), &HeaderJson::from_header(&genesis))?;
        keys.save_verifying_key(&dir.join("finality.vk"))?;
        slash_keys.save_verifying_key(&dir.join("slashing.vk"))?;
    }
    let mut prev = genesis;
    let mut heights = Vec::new();
    let mut evidence: Option<DoubleSign> = None;
    let mut last_update = None;
    let mut slashing = None;
    let mut slash_line = (0, 0, 0, 0.0);
    for height in 1..=o.heights {
        // Rotation at 2: the last validator leaves, a new one joins. At 4
        // the header names the set with the height-3 double signer slashed.
        // From 6, another validator is replaced every third height.
        let next = match height {
            2 => signing.rotated(o.validators - 1, 1000 + height).map_err(AppError::unusable)?,
            4 => {
                let e = evidence.take().ok_or_else(|| AppError::unusable("no evidence"))?;
                let start = Instant::now();
                let (slashed, update, _) = step(progress, "proving the slashing", || {
                    prove_slashing(&slash_prover, &slash_keys, &signing.set, &e)
                })?;
                let chain = signing.slashed(e.index).map_err(AppError::unusable)?;
                update.verify(&slash_keys.verifying_key).map_err(AppError::invalid)?;
                let stake = signing.set.member(e.index).map_or(0, |m| m.stake);
                slash_line = (e.index, e.first.0.height, stake, start.elapsed().as_secs_f64());
                if let Some(dir) = &o.out {
                    files::write(&dir.join("slashing.bin"), &update.to_bytes())?;
                    write_json(&dir.join("evidence.json"), &EvidenceJson::from_evidence(&e))?;
                }
                slashing = Some((update, signing.set.root(), slashed.root()));
                chain
            }
            h if h >= 6 && h % 3 == 0 => {
                signing.rotated((h / 3) % o.validators, 1000 + h).map_err(AppError::unusable)?
            }
            _ => signing.clone(),
        };
        let header = prev.child(demo_state_root(height), next.set.root());
        let statement = Statement::Header(header);
        let attestations = signing.quorum(&statement, threshold);
        if height == 3 {
            // Validator 0 also signs a conflicting header at this height.
            evidence = Some(fork_evidence(&signing, header)?);
        }
        let signed: u64 =
            attestations.iter().filter_map(|a| signing.set.member(a.index)).map(|m| m.stake).sum();
        let start = Instant::now();
        let (update, _) = step(progress, &format!("proving height {height}"), || {
            prove_quorum(&quorum_prover, &keys, &signing.set, &statement, &attestations)
        })?;
        let prove = start.elapsed();
        let bytes = update.to_bytes();
        let parsed = CompressedUpdate::from_bytes(&bytes).map_err(AppError::invalid)?;
        let done = client.apply(&parsed).map_err(|e| {
            AppError::invalid(format!("the light client rejected height {height}: {e}"))
        })?;
        if let Some(dir) = &o.out {
            files::write(&dir.join("updates").join(format!("{height:06}.bin")), &bytes)?;
        }
        heights.push(HeightReport {
            height,
            signers: attestations.len(),
            live_validators: signing.set.members().values().filter(|m| m.stake > 0).count(),
            signed_stake: signed,
            total_stake: signing.set.total_stake(),
            rotated: done.rotated,
            prove_seconds: prove.as_secs_f64(),
            update_bytes: bytes.len(),
        });
        last_update = Some(parsed);
        prev = header;
        signing = next;
    }
    // The slashing proof moved the set the client held after height 3 to
    // the one header 4 named.
    let (slashing, from, to) =
        slashing.ok_or_else(|| AppError::unusable("no slashing was proven"))?;
    let slashing_verified = slashing.input("old_set_root").ok() == Some(from)
        && slashing.input("new_set_root").ok() == Some(to);
    let replay = last_update.ok_or_else(|| AppError::unusable("no update"))?;
    let replay_result = client.apply(&replay);
    let state = client.state();
    let report = FinalityDemoReport {
        validators: o.validators,
        set_depth: o.depth,
        threshold: threshold.to_string(),
        constraints,
        slashing_constraints,
        setup_seconds,
        backend: backends.description(),
        genesis_set_root: fr(&genesis.next_set_root),
        heights,
        slashing: slash_line,
        slashing_verified,
        replay_rejected: replay_result.is_err(),
        replay_reason: replay_result
            .as_ref()
            .err()
            .map_or("accepted!".to_string(), |e| e.to_string()),
        final_height: state.height,
        state_root: fr(&state.state_root),
        client_state_bytes: client.state_bytes().len(),
        out: o.out.clone(),
        development_setup: true,
    };
    if !report.slashing_verified {
        return Err(AppError::invalid("the slashing proof does not connect the sets"));
    }
    if !report.replay_rejected {
        return Err(AppError::invalid("the light client accepted a replayed update"));
    }
    Ok(report)
}

/// What `finality sample` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct FinalitySampleReport {
    /// The directory.
    pub dir: PathBuf,
    /// Validators in the set.
    pub validators: u64,
    /// The set's root.
    pub set_root: String,
    /// Signers in the attestations.
    pub signers: usize,
}

impl fmt::Display for FinalitySampleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "wrote set.json ({} validators), genesis.json, header.json (height 1), \
             attestations.json ({} signers) and evidence.json to {}",
            self.validators,
            self.signers,
            self.dir.display()
        )?;
        write!(f, "sample keys come from public seeds: for demos only")
    }
}

/// Writes a sample set, genesis header, the next header, a quorum's
/// attestations over it and double-sign evidence (public demo keys).
pub fn sample(depth: usize, validators: u64, dir: &Path) -> Result<FinalitySampleReport> {
    check_set_shape(depth, 1)?;
    if validators == 0 || validators > (1u64 << depth.min(32)) || validators > 1024 {
        return Err(AppError::unusable(
            "--validators must be 1 to 1024 and fit the tree (2^depth)",
        ));
    }
    let chain = SampleChain::new(depth, validators).map_err(AppError::unusable)?;
    let genesis = Header::genesis(demo_state_root(0), chain.set.root());
    let header = genesis.child(demo_state_root(1), chain.set.root());
    let statement = Statement::Header(header);
    let attestations = chain.quorum(&statement, Threshold::TWO_THIRDS);
    let evidence = fork_evidence(&chain, header)?;
    ensure_dir(dir)?;
    write_json(&dir.join("set.json"), &SetJson::from_set(&chain.set))?;
    write_json(&dir.join("genesis.json"), &HeaderJson::from_header(&genesis))?;
    write_json(&dir.join("header.json"), &HeaderJson::from_header(&header))?;
    write_json(
        &dir.join("attestations.json"),
        &AttestationsJson::from_attestations(&attestations),
    )?;
    write_json(&dir.join("evidence.json"), &EvidenceJson::from_evidence(&evidence))?;
    Ok(FinalitySampleReport {
        dir: dir.to_path_buf(),
        validators,
        set_root: fr(&chain.set.root()),
        signers: attestations.len(),
    })
}

/// Generates quorum keys (finality or agreement) of `shape` as
/// `name.pk`/`name.vk` in `dir`.
pub fn setup(
    progress: &dyn Progress,
    shape: QuorumShape,
    dir: &Path,
    name: &str,
) -> Result<SetupReport> {
    check_set_shape(shape.depth, shape.slots)?;
    ensure_dir(dir)?;
    let start = Instant::now();
    let keys = step(progress, "generating keys (development setup)", || {
        Keys::setup::<QuorumCircuit>(&shape, &mut keys::os_rng())
    })?;
    save_keys(&keys, dir, name, start.elapsed())
}

/// Generates slashing keys into `dir`.
pub fn setup_slashing(progress: &dyn Progress, depth: usize, dir: &Path) -> Result<SetupReport> {
    check_set_shape(depth, 1)?;
    ensure_dir(dir)?;
    let start = Instant::now();
    let keys = step(progress, "generating slashing keys (development setup)", || {
        Keys::setup::<DoubleSignCircuit>(&SlashingShape { set_depth: depth }, &mut keys::os_rng())
    })?;
    save_keys(&keys, dir, "slashing", start.elapsed())
}

/// Reads a validator-set file.
pub fn read_set(path: &Path) -> Result<ValidatorSet> {
    read_json_as(path, SetJson::to_set)
}

/// Reads a header file.
pub fn read_header(path: &Path) -> Result<Header> {
    read_json_as(path, HeaderJson::to_header)
}

/// What proving a quorum statement did.
#[derive(Clone, Debug, Serialize)]
pub struct QuorumReport {
    /// The update file.
    pub update: PathBuf,
    /// Its size.
    pub bytes: usize,
    /// Attestations proven.
    pub attestations: usize,
    /// What computed what.
    pub backend: String,
    /// The proof's phases.
    pub phases: Vec<Phase>,
    /// The header's height (finality).
    pub height: Option<u64>,
    /// The header's hash (finality).
    pub header_hash: Option<String>,
    /// The data commitment (agreement).
    pub commitment: Option<String>,
    /// The signing set's root.
    pub set_root: String,
}

impl fmt::Display for QuorumReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.commitment {
            writeln!(f, "data commitment {c}")?;
        }
        writeln!(f, "proved {} attestations ({})", self.attestations, self.backend)?;
        crate::transfer::write_phases(f, &self.phases, "  ")?;
        write!(f, "wrote {} ({} bytes)", self.update.display(), self.bytes)
    }
}

/// The files a quorum proof reads and writes.
pub struct QuorumFiles<'a> {
    /// Proving key.
    pub pk: &'a Path,
    /// Verifying key the proving key must belong with, if given.
    pub vk: Option<&'a Path>,
    /// The signing set.
    pub set: &'a Path,
    /// The attestations.
    pub attestations: &'a Path,
    /// Where the update goes.
    pub out: &'a Path,
}

/// Proves that a quorum of the set in the files signed `statement`.
pub fn prove_statement(
    progress: &dyn Progress,
    f: &QuorumFiles<'_>,
    statement: Statement,
    backend: &BackendOptions,
) -> Result<QuorumReport> {
    let set = read_set(f.set)?;
    let attestations = read_json_as(f.attestations, AttestationsJson::to_attestations)?;
    crate::files::check_writable(f.out)?;
    let keys = load_keys(progress, f.pk, f.vk)?;
    let backends = backend.open();
    let prover = prover(&keys, &backends)?;
    let (update, timings) = step(progress, "proving", || {
        prove_quorum(&prover, &keys, &set, &statement, &attestations)
    })?;
    let bytes = update.to_bytes();
    files::write(f.out, &bytes)?;
    let (height, header_hash, commitment) = match statement {
        Statement::Header(h) => (Some(h.height), Some(fr(&h.hash())), None),
        Statement::Data(c) => (None, None, Some(fr(&c))),
    };
    Ok(QuorumReport {
        update: f.out.to_path_buf(),
        bytes: bytes.len(),
        attestations: attestations.len(),
        backend: backends.description(),
        phases: crate::transfer::phases(&timings),
        height,
        header_hash,
        commitment,
        set_root: fr(&set.root()),
    })
}

/// Proves that a quorum of a set signed the header in `header`.
pub fn prove(
    progress: &dyn Progress,
    f: &QuorumFiles<'_>,
    header: &Path,
    backend: &BackendOptions,
) -> Result<QuorumReport> {
    let header = read_header(header)?;
    prove_statement(progress, f, Statement::Header(header), backend)
}

/// What `finality slash` did.
#[derive(Clone, Debug, Serialize)]
pub struct SlashReport {
    /// The update file.
    pub update: PathBuf,
    /// The offender.
    pub offender: u64,
    /// The height it double-signed.
    pub height: u64,
    /// The set's root before.
    pub old_set_root: String,
    /// The set's root after.
    pub new_set_root: String,
    /// What computed what.
    pub backend: String,
}

impl fmt::Display for SlashReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "validator {} double-signed at height {}: slashed ({}); set root {} -> {}",
            self.offender, self.height, self.backend, self.old_set_root, self.new_set_root
        )?;
        write!(f, "wrote {}", self.update.display())
    }
}

/// The files `finality slash` reads and writes.
pub struct SlashFiles<'a> {
    /// Proving key.
    pub pk: &'a Path,
    /// Verifying key the proving key must belong with, if given.
    pub vk: Option<&'a Path>,
    /// The set.
    pub set: &'a Path,
    /// The evidence.
    pub evidence: &'a Path,
    /// Where the update goes.
    pub update: &'a Path,
    /// Where the slashed set goes, if anywhere.
    pub new_set: Option<&'a Path>,
}

/// Proves double-sign evidence and writes the update and the slashed set.
pub fn slash(
    progress: &dyn Progress,
    f: &SlashFiles<'_>,
    backend: &BackendOptions,
) -> Result<SlashReport> {
    let set = read_set(f.set)?;
    let evidence = read_json_as(f.evidence, EvidenceJson::to_evidence)?;
    crate::files::check_writable(f.update)?;
    let keys = load_keys(progress, f.pk, f.vk)?;
    let backends = backend.open();
    let prover = prover(&keys, &backends)?;
    let (next, update, _) =
        step(progress, "proving", || prove_slashing(&prover, &keys, &set, &evidence))?;
    files::write(f.update, &update.to_bytes())?;
    if let Some(p) = f.new_set {
        write_json(p, &SetJson::from_set(&next))?;
    }
    Ok(SlashReport {
        update: f.update.to_path_buf(),
        offender: evidence.index,
        height: evidence.first.0.height,
        old_set_root: fr(&set.root()),
        new_set_root: fr(&next.root()),
        backend: backends.description(),
    })
}
