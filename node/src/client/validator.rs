//! `validator run`: a validator as a process. It follows the node's
//! headers and signs each one only after checking it itself: the header
//! extends the last one it signed, names the genesis set next, and its
//! state root is the new root of a state update whose proof verifies under
//! the genesis's transfer key and which starts from the previous header's
//! state root. The node is trusted for nothing; a header that fails a check
//! is refused (and asked for again at the next poll).
//!
//! **Never two headers at one height.** The last height it signed, with
//! the header's hash and state root, is in its state file, written and
//! fsynced before the signature leaves the process; after a restart it
//! signs only heights above it (the header it signed last is sent again,
//! with the same deterministic signature). Tendermint's
//! `priv_validator_state.json` is the model.
//!
//! **Rotations.** A header may name another set next only when the node
//! shows a proof of the change from the set that signs it to the one named
//! (a slashing under the genesis's slashing key, or a quorum-signed change
//! under its set-change key); the validator then follows the new set.

use super::*;
use crate::finality::api::SetChangePost;
use crate::finality::api::{AttestationPost, EvidencePost, HeaderView, SignedHeader};
use crate::finality::{read_set, set_change_commitment, FinalityGenesis, SET_FILE};
use stateproof_circuits::finality::{Attestation, AttestationJson, Header, Statement};
use stateproof_circuits::primitives::eddsa::SecretKey;
use stateproof_circuits::primitives::field::signature_to_strings;

/// The set-change key's name in `GET /v1/keys/{circuit}`.
pub const SET_CHANGE_KEY: &str = "set-change";

/// What a validator's state file says it is.
pub const VALIDATOR_KIND: &str = "stateproof validator state";

/// A validator's state file: who it is and the last header it signed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ValidatorState {
    /// Always [`VALIDATOR_KIND`].
    pub kind: String,
    /// Its index in the set.
    pub index: u64,
    /// Its public key `[x, y]`.
    pub public_key: [String; 2],
    /// The set that signs the header after the last it signed (the one
    /// that header names next), decimal: the genesis set, or a set a
    /// proven slashing made from it.
    pub set_root: String,
    /// The height of the last header it signed (0: none; the genesis
    /// header needs no signature).
    pub height: u64,
    /// That header's hash, decimal.
    pub header_hash: String,
    /// Its state root, decimal.
    pub state_root: String,
}

/// How a validator runs.
#[derive(Clone, Debug)]
pub struct ValidatorOptions {
    /// The node.
    pub node: String,
    /// Its secret key file.
    pub key: PathBuf,
    /// Its state file (made on first use).
    pub state: PathBuf,
    /// The node's genesis.json (trusted: obtained out of band).
    pub genesis: PathBuf,
    /// The set file; default `validators.json` beside the genesis.
    pub set: Option<PathBuf>,
    /// How often it asks for new headers.
    pub poll: Duration,
    /// For tests only: also sign a second header at the first height it
    /// signs, and post the two as double-sign evidence against itself.
    pub unsafe_double_sign: bool,
}

/// A header it signed: its height and hash (what the signature covers).
#[derive(Clone, Copy, Debug)]
struct Signed {
    height: u64,
    hash: Fr,
}

impl From<&Header> for Signed {
    fn from(h: &Header) -> Self {
        Self { height: h.height, hash: h.hash() }
    }
}

/// A running validator's fixed facts.
struct Validator {
    client: NodeClient,
    key: SecretKey,
    index: u64,
    vk: VerifyingKey,
    slashing_vk: VerifyingKey,
    set_change_vk: VerifyingKey,
    state: ValidatorState,
    path: PathBuf,
    double_sign: bool,
    /// Headers it signed whose attestation did not reach the node (it
    /// could not be reached): sent again at the next step.
    unsent: Vec<Signed>,
}

/// What a started validator reports.
#[derive(Clone, Debug, Serialize)]
pub struct ValidatorStarted {
    /// Its index.
    pub index: u64,
    /// The last height it signed before this start.
    pub height: u64,
    /// The node.
    pub node: String,
}

impl fmt::Display for ValidatorStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "validator {} following {} from height {}",
            self.index,
            self.node,
            self.height + 1
        )
    }
}

/// Runs a validator until the process is stopped; `started` is told once
/// it is set up. Returns only on an error it cannot wait out (a state file
/// or key that does not belong with the genesis).
pub fn run_validator(o: &ValidatorOptions, started: &dyn Fn(&ValidatorStarted)) -> Result<()> {
    let mut v = Validator::open(o)?;
    started(&ValidatorStarted { index: v.index, height: v.state.height, node: o.node.clone() });
    if v.state.height > 0 {
        // The last signature may not have reached the node before a stop.
        v.post_last();
    }
    loop {
        match v.step() {
            Ok(0) => std::thread::sleep(o.poll),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!("{e}; trying again in {} ms", o.poll.as_millis());
                std::thread::sleep(o.poll);
            }
        }
    }
}

fn parse_field(value: &str, path: &Path, field: &str) -> Result<Fr> {
    parse_fr(value).map_err(|e| AppError::unusable(format!("{}: {field}: {e}", path.display())))
}

impl Validator {
    fn open(o: &ValidatorOptions) -> Result<Self> {
        let client = NodeClient::new(&o.node)?;
        let key = read_key(&o.key)?;
        let genesis = Genesis::read(&o.genesis)?;
        let finality: &FinalityGenesis = genesis.finality.as_ref().ok_or_else(|| {
            AppError::unusable(format!(
                "{}: no finality section: the node was initialised without --validators",
                o.genesis.display()
            ))
        })?;
        let genesis_root = genesis.root_fr(&o.genesis)?;
        let (set_root, genesis_header) = finality.genesis_header(genesis_root, &o.genesis)?;
        let set_path = o
            .set
            .clone()
            .unwrap_or_else(|| o.genesis.parent().unwrap_or(Path::new(".")).join(SET_FILE));
        let set = read_set(&set_path, set_root)?;
        let public_key = key.public_key();
        let index = set
            .members()
            .iter()
            .find(|(_, m)| m.public_key == public_key)
            .map(|(i, _)| *i)
            .ok_or_else(|| {
                AppError::unusable(format!(
                    "{}: this key is not a member of the set in {}",
                    o.key.display(),
                    set_path.display()
                ))
            })?;
        let vk = client.trusted_key(&genesis.circuit, &genesis.vk_fingerprint)?;
        let slashing_vk = client.trusted_key(
            stateproof_verifier::spec::DOUBLE_SIGN_SLASH.id,
            &finality.slashing_vk_fingerprint,
        )?;
        let set_change_vk =
            client.trusted_key(SET_CHANGE_KEY, &finality.set_change_vk_fingerprint)?;
        let fresh = ValidatorState {
            kind: VALIDATOR_KIND.into(),
            index,
            public_key: key_to_strings(&public_key),
            set_root: fr(&set_root),
            height: 0,
            header_hash: fr(&genesis_header.hash()),
            state_root: fr(&genesis_root),
        };
        let state = if o.state.exists() {
            let state: ValidatorState = read_json(&o.state)?;
            let mine = ValidatorState {
                height: state.height,
                header_hash: state.header_hash.clone(),
                state_root: state.state_root.clone(),
                set_root: state.set_root.clone(),
                ..fresh
            };
            if state != mine {
                return Err(AppError::unusable(format!(
                    "{}: the state of another validator (kind, index or public_key differ from this key's)",
                    o.state.display()
                )));
            }
            parse_field(&state.set_root, &o.state, "set_root")?;
            parse_field(&state.header_hash, &o.state, "header_hash")?;
            parse_field(&state.state_root, &o.state, "state_root")?;
            state
        } else {
            write_json(&o.state, &fresh)?;
            fresh
        };
        Ok(Self {
            client,
            key,
            index,
            vk,
            slashing_vk,
            set_change_vk,
            state,
            path: o.state.clone(),
            double_sign: o.unsafe_double_sign,
            unsent: Vec::new(),
        })
    }

    /// Signs what it can of the next page of headers; how many it signed.
    fn step(&mut self) -> Result<usize> {
        let unsent = std::mem::take(&mut self.unsent);
        self.unsent = unsent.into_iter().filter(|h| !self.post(*h)).collect();
        let page = self.client.headers(self.state.height + 1)?;
        let mut signed = 0;
        for view in &page.headers {
            let header = match self.check(view) {
                Ok(h) => h,
                Err(why) => {
                    tracing::warn!("refusing header {}: {why}", view.height);
                    break;
                }
            };
            self.state = ValidatorState {
                height: header.height,
                header_hash: fr(&header.hash()),
                state_root: fr(&header.state_root),
                set_root: fr(&header.next_set_root),
                ..self.state.clone()
            };
            // On disk before the signature leaves.
            write_json(&self.path, &self.state)?;
            if !self.post(Signed::from(&header)) {
                self.unsent.push(Signed::from(&header));
            }
            if std::mem::take(&mut self.double_sign) {
                self.sign_twice(&header);
            }
            signed += 1;
        }
        Ok(signed)
    }

    /// The header `view` describes, if it is the next one and its state
    /// root is proven.
    fn check(&self, view: &HeaderView) -> std::result::Result<Header, String> {
        let header = header_of(view)?;
        let field = |name: &str, value: &str| parse_fr(value).map_err(|e| format!("{name}: {e}"));
        let last_hash = field("header_hash", &self.state.header_hash)?;
        let last_root = field("state_root", &self.state.state_root)?;
        if header.height != self.state.height + 1 {
            return Err(format!("expected height {}", self.state.height + 1));
        }
        if header.prev_hash != last_hash {
            return Err(format!("it does not extend header {} signed last", self.state.height));
        }
        let set_root = field("set_root", &self.state.set_root)?;
        if header.next_set_root != set_root {
            self.check_set_change(&header, set_root)?;
        }
        let bytes = self
            .client
            .update_bytes(header.height)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the node has no proven update {}", header.height))?;
        let update = CompressedUpdate::from_bytes(&bytes)
            .map_err(|e| format!("update {}: {e}", header.height))?;
        let new_root = LightClient::new(self.vk.clone(), last_root)
            .apply(&update)
            .map_err(|e| format!("update {}: {e}", header.height))?;
        if new_root != header.state_root {
            return Err(format!(
                "its state root is not update {}'s new root {}",
                header.height,
                fr(&new_root)
            ));
        }
        Ok(header)
    }

    /// A header may name another set next only behind a proven change of
    /// the set that signs it: a slashing, or a new set signed by a quorum.
    fn check_set_change(&self, header: &Header, set_root: Fr) -> std::result::Result<(), String> {
        let page = self.client.set_changes().map_err(|e| e.to_string())?;
        let (n, change) = page
            .changes
            .iter()
            .enumerate()
            .find(|(_, c)| c.from_height == header.height)
            .ok_or("it names another validator set next, with no set change behind it")?;
        let bytes = hex::decode(&change.update_hex).map_err(|e| format!("set change: {e}"))?;
        let update =
            CompressedUpdate::from_bytes(&bytes).map_err(|e| format!("set change: {e}"))?;
        let input = |name: &str| update.input(name).map_err(|e| format!("set change: {e}"));
        let (from, to) = match change.kind.as_str() {
            "slash" => {
                update.verify(&self.slashing_vk).map_err(|e| format!("slashing: {e}"))?;
                (input("old_set_root")?, input("new_set_root")?)
            }
            "quorum" => {
                update.verify(&self.set_change_vk).map_err(|e| format!("set change: {e}"))?;
                let commitment = set_change_commitment(set_root, header.next_set_root, n as u64);
                if input("data_commitment")? != commitment {
                    return Err("the set change's proof is for another change".into());
                }
                (input("set_root")?, header.next_set_root)
            }
            other => return Err(format!("a set change of unknown kind {other:?}")),
        };
        if from != set_root || to != header.next_set_root {
            return Err("the change behind its next set is not of the set that signs it".into());
        }
        tracing::info!(
            "header {} names a new set ({}, proof verified)",
            header.height,
            change.kind
        );
        Ok(())
    }

    /// For tests (`--unsafe-double-sign`): signs a second header at
    /// `header`'s height and posts both as evidence.
    fn sign_twice(&self, header: &Header) {
        let other = Header { state_root: header.state_root + Fr::from(1u64), ..*header };
        let signed = |h: &Header| {
            let (signature_r8, signature_s) = signature_to_strings(&self.key.sign(h.hash()));
            SignedHeader {
                height: h.height,
                prev_hash: fr(&h.prev_hash),
                state_root: fr(&h.state_root),
                next_set_root: fr(&h.next_set_root),
                signature_r8,
                signature_s,
            }
        };
        let evidence = EvidencePost {
            index: self.index,
            public_key: self.state.public_key.clone(),
            first: signed(header),
            second: signed(&other),
        };
        match self.client.post_evidence(&evidence) {
            Ok(Ok(_)) => tracing::warn!(
                "UNSAFE: double-signed height {}; the evidence is posted",
                header.height
            ),
            Ok(Err(r)) => tracing::warn!("UNSAFE: evidence refused: {r}"),
            Err(e) => tracing::warn!("UNSAFE: evidence not posted: {e}"),
        }
    }

    /// Sends its signature of `header` (logging what the node said); false
    /// if it did not reach the node.
    fn post(&self, header: Signed) -> bool {
        let signature = self.key.sign(header.hash);
        let (signature_r8, signature_s) = signature_to_strings(&signature);
        let post = AttestationPost {
            height: header.height,
            header_hash: fr(&header.hash),
            index: self.index,
            public_key: self.state.public_key.clone(),
            signature_r8,
            signature_s,
        };
        match self.client.attest(&post) {
            Ok(Ok(a)) => {
                tracing::info!(
                    "signed header {} ({} of {} stake{})",
                    header.height,
                    a.attested_stake,
                    a.total_stake,
                    if a.quorum { ", quorum" } else { "" }
                );
                true
            }
            Ok(Err(refusal)) => {
                tracing::warn!("header {}: {refusal}", header.height);
                true
            }
            Err(e) => {
                tracing::warn!("header {}: {e} (sent again)", header.height);
                false
            }
        }
    }

    /// Sends the last signed header's attestation again, unless the node
    /// shows another header at that height (then it says so and sends
    /// nothing; signing that one would be a double sign).
    fn post_last(&mut self) {
        let Ok(hash) = parse_fr(&self.state.header_hash) else {
            return;
        };
        let last = Signed { height: self.state.height, hash };
        let shown = match self.client.headers(last.height) {
            Ok(page) => page.headers.first().map(header_of),
            Err(e) => {
                tracing::warn!("{e}");
                return self.unsent.push(last);
            }
        };
        match shown {
            Some(Ok(h)) if h.hash() == hash => {
                if !self.post(last) {
                    self.unsent.push(last);
                }
            }
            _ => tracing::warn!(
                "the node's header {} is not the one this validator signed: not signing it",
                last.height
            ),
        }
    }
}

/// The header a view describes (its hash recomputed, not read).
fn header_of(view: &HeaderView) -> std::result::Result<Header, String> {
    let field = |name: &str, v: &str| parse_fr(v).map_err(|e| format!("{name}: {e}"));
    Ok(Header {
        height: view.height,
        prev_hash: field("prev_hash", &view.prev_hash)?,
        state_root: field("state_root", &view.state_root)?,
        next_set_root: field("next_set_root", &view.next_set_root)?,
    })
}

/// What `validator sign-set-change` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct SignedChange {
    /// The attestation file.
    pub out: PathBuf,
    /// The current set's root.
    pub from: String,
    /// The new set's root.
    pub to: String,
    /// The change's number.
    pub n: u64,
}

impl fmt::Display for SignedChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "signed set change {} from {} to {}; wrote {}",
            self.n,
            self.from,
            self.to,
            self.out.display()
        )
    }
}

/// The current set's root and the number of changes so far, from the node
/// (a signature over another node's word is of no use to it).
fn current_set_root(client: &NodeClient, genesis: &Path) -> Result<(Fr, u64)> {
    let changes = client.set_changes()?.changes;
    match changes.last() {
        Some(c) => {
            let root = parse_fr(&c.set_root)
                .map_err(|e| AppError::invalid(format!("{}: set_root: {e}", client.url())))?;
            Ok((root, changes.len() as u64))
        }
        None => {
            let g = Genesis::read(genesis)?;
            let f = g.finality.as_ref().ok_or_else(|| {
                AppError::unusable(format!("{}: no finality section", genesis.display()))
            })?;
            let (root, _) = f.genesis_header(g.root_fr(genesis)?, genesis)?;
            Ok((root, 0))
        }
    }
}

/// What `validator sign-set-change` is given.
#[derive(Clone, Debug)]
pub struct SignChangeOptions {
    /// The node.
    pub node: String,
    /// The validator's key file.
    pub key: PathBuf,
    /// The node's genesis.json.
    pub genesis: PathBuf,
    /// The current set's file (checked against the node's current root).
    pub current: PathBuf,
    /// The new set's file.
    pub next: PathBuf,
    /// Where the attestation goes.
    pub out: PathBuf,
}

/// Signs the change from the node's current set (`current`, checked) to
/// `next` as the validator with `key`, writing its attestation
/// (`AttestationJson`) to `out`.
pub fn sign_set_change(o: &SignChangeOptions) -> Result<SignedChange> {
    let client = NodeClient::new(&o.node)?;
    let key = read_key(&o.key)?;
    let current = stateproof_app::finality::read_set(&o.current)?;
    let next = stateproof_app::finality::read_set(&o.next)?;
    let (from, n) = current_set_root(&client, &o.genesis)?;
    if current.root() != from {
        return Err(AppError::invalid(format!(
            "{}: not the node's current set ({})",
            o.current.display(),
            fr(&from)
        )));
    }
    let index = current
        .members()
        .iter()
        .find(|(_, m)| m.public_key == key.public_key())
        .map(|(i, _)| *i)
        .ok_or_else(|| {
            AppError::invalid(format!(
                "{}: this key is not a member of the current set",
                o.key.display()
            ))
        })?;
    let out = &o.out;
    let statement = Statement::Data(set_change_commitment(from, next.root(), n));
    let attestation = Attestation::sign(&key, index, &statement);
    write_json(out, &AttestationJson::from_attestation(&attestation))?;
    Ok(SignedChange { out: out.to_path_buf(), from: fr(&from), to: fr(&next.root()), n })
}

/// Submits the change to the set in `set` with the attestation files.
pub fn submit_set_change(node: &str, set: &Path, attestations: &[PathBuf]) -> Result<String> {
    let client = NodeClient::new(node)?;
    let next = stateproof_app::finality::read_set(set)?;
    let signed = attestations
        .iter()
        .map(|p| {
            read_json::<AttestationJson>(p)?
                .to_attestation()
                .map_err(|e| AppError::unusable(format!("{}: {e}", p.display())))
        })
        .collect::<Result<Vec<_>>>()?;
    match client.request_set_change(&SetChangePost::new(&next, &signed))? {
        Ok(_) => Ok(format!("set change to {} queued at {}", fr(&next.root()), client.url())),
        Err(r) => Err(AppError::invalid(format!("{}: {r}", client.url()))),
    }
}
