//! `stateproof inspect`: what a file is and what it holds.

use crate::files;
use crate::text::{fr, hex32};
use crate::transfer::{inputs_json, read_state};
use crate::{AppError, Result};
use serde::Serialize;
use stateproof_circuits::circuit::AnyShape;
use stateproof_circuits::transfer::BatchJson;
use stateproof_prover::keys::{Keys, DEVELOPMENT_SETUP_WARNING, PK_MAGIC};
use stateproof_verifier::{CompressedUpdate, VerifyingKey, FORMAT_VERSION, UPDATE_MAGIC, VK_MAGIC};
use std::fmt;
use std::path::Path;

/// What a file is, and what it holds.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Inspection {
    /// A compressed update.
    Update {
        /// Its size.
        bytes: usize,
        /// Its circuit.
        circuit_id: String,
        /// The circuit's shape, in words.
        shape: String,
        /// Its parameters.
        params: Vec<(String, u64)>,
        /// The verifying key it names.
        vk_fingerprint: String,
        /// Its public inputs.
        public_inputs: serde_json::Map<String, serde_json::Value>,
        /// The proof, hex.
        proof: String,
    },
    /// A verifying key.
    VerifyingKey {
        /// Its size.
        bytes: usize,
        /// Its circuit.
        circuit_id: String,
        /// The circuit's shape, in words.
        shape: String,
        /// Its parameters.
        params: Vec<(String, u64)>,
        /// Its public inputs' names.
        input_names: Vec<String>,
        /// Its fingerprint.
        fingerprint: String,
    },
    /// A proving key.
    ProvingKey {
        /// Its size.
        bytes: usize,
        /// Its circuit.
        circuit_id: String,
        /// The circuit's shape, in words.
        shape: String,
        /// Its parameters.
        params: Vec<(String, u64)>,
        /// Variables of the circuit.
        variables: usize,
        /// Its fingerprint.
        fingerprint: String,
        /// Keys from a development setup.
        development_setup: bool,
    },
    /// A ledger state (JSON).
    State {
        /// Tree depth.
        depth: usize,
        /// Accounts.
        accounts: usize,
        /// The state root.
        root: String,
    },
    /// A transfer batch (JSON).
    Batch {
        /// Transfers.
        transfers: usize,
        /// The batch digest.
        digest: String,
    },
}

fn shape_words(id: &str, params: &[(String, u64)]) -> String {
    AnyShape::parse(id, params).map_or_else(|e| format!("unreadable shape: {e}"), |s| s.describe())
}

impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inspection::Update {
                bytes,
                circuit_id,
                shape,
                vk_fingerprint,
                public_inputs,
                proof,
                ..
            } => {
                writeln!(f, "compressed update, format v{FORMAT_VERSION}, {bytes} bytes")?;
                writeln!(f, "  circuit            {circuit_id} ({shape})")?;
                writeln!(f, "  key fingerprint    {vk_fingerprint}")?;
                for (n, v) in public_inputs {
                    writeln!(f, "  input {n:<12} {}", v.as_str().unwrap_or_default())?;
                }
                write!(f, "  proof              {proof}")
            }
            Inspection::VerifyingKey {
                bytes, circuit_id, shape, input_names, fingerprint, ..
            } => {
                writeln!(f, "verifying key, {bytes} bytes")?;
                writeln!(f, "  circuit            {circuit_id} ({shape})")?;
                writeln!(f, "  public inputs      {}", input_names.join(", "))?;
                write!(f, "  fingerprint        {fingerprint}")
            }
            Inspection::ProvingKey { bytes, circuit_id, shape, variables, fingerprint, .. } => {
                writeln!(f, "proving key, {bytes} bytes")?;
                writeln!(f, "  {DEVELOPMENT_SETUP_WARNING}")?;
                writeln!(f, "  circuit            {circuit_id} ({shape})")?;
                writeln!(f, "  variables          {variables}")?;
                write!(f, "  fingerprint        {fingerprint}")
            }
            Inspection::State { depth, accounts, root } => {
                writeln!(f, "state, depth {depth}, {accounts} accounts")?;
                write!(f, "  root               {root}")
            }
            Inspection::Batch { transfers, digest } => {
                writeln!(f, "transfer batch, {transfers} transfers")?;
                write!(f, "  digest             {digest}")
            }
        }
    }
}

/// Tells what `path` is (an update, a verifying or proving key, a state or
/// a batch) and reads it strictly.
pub fn inspect(path: &Path) -> Result<Inspection> {
    let bytes = files::read(path)?;
    let unusable = |e: &dyn fmt::Display| AppError::unusable(format!("{}: {e}", path.display()));
    if bytes.starts_with(UPDATE_MAGIC) {
        let u = CompressedUpdate::from_bytes(&bytes).map_err(|e| unusable(&e))?;
        return Ok(Inspection::Update {
            bytes: bytes.len(),
            shape: shape_words(&u.circuit_id, &u.params),
            circuit_id: u.circuit_id.clone(),
            params: u.params.clone(),
            vk_fingerprint: hex32(&u.vk_fingerprint),
            public_inputs: inputs_json(&u),
            proof: hex::encode(u.proof.to_bytes()),
        });
    }
    if bytes.starts_with(VK_MAGIC) {
        let vk = VerifyingKey::from_bytes(&bytes).map_err(|e| unusable(&e))?;
        return Ok(Inspection::VerifyingKey {
            bytes: bytes.len(),
            shape: shape_words(&vk.circuit_id, &vk.params),
            circuit_id: vk.circuit_id.clone(),
            params: vk.params.clone(),
            input_names: vk.input_names.clone(),
            fingerprint: hex32(&vk.fingerprint()),
        });
    }
    if bytes.starts_with(PK_MAGIC) {
        let keys = Keys::load_proving_key(path, None).map_err(AppError::unusable)?;
        return Ok(Inspection::ProvingKey {
            bytes: bytes.len(),
            circuit_id: keys.spec().id.to_string(),
            shape: keys.shape.describe(),
            params: keys.shape.params(),
            variables: keys.proving_key.a_query.len(),
            fingerprint: hex32(&keys.fingerprint()),
            development_setup: true,
        });
    }
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
        AppError::unusable(format!(
            "{}: not a stateproof update, key, state or batch file",
            path.display()
        ))
    })?;
    if json.get("accounts").is_some() {
        let state = read_state(path)?;
        return Ok(Inspection::State {
            depth: state.depth(),
            accounts: state.accounts().len(),
            root: fr(&state.roots_alone().root()),
        });
    }
    if json.get("transfers").is_some() {
        let batch = files::read_json_as(path, BatchJson::to_batch)?;
        return Ok(Inspection::Batch {
            transfers: batch.transfers.len(),
            digest: fr(&batch.digest()),
        });
    }
    Err(AppError::unusable(format!(
        "{}: JSON, but not a stateproof state or batch file",
        path.display()
    )))
}
