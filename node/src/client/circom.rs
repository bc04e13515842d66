//! The circom proving service's client: `groth16 prove --node`.

use super::*;

/// The circom proving service (`/v1/circom/...`).
impl NodeClient {
    fn post_bytes(&self, path: &str, content_type: &str, body: &[u8]) -> Result<(u16, Vec<u8>)> {
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .config()
            .timeout_global(Some(UPLOAD_TIMEOUT))
            .build()
            .send(body)
            .map_err(|e| self.unreachable(path, e))?;
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_vec().map_err(|e| self.unreachable(path, e))?;
        Ok((status, body))
    }

    fn answer<T: DeserializeOwned>(
        &self,
        path: &str,
        ok: &[u16],
        (status, body): (u16, Vec<u8>),
    ) -> Result<std::result::Result<T, Refusal>> {
        if ok.contains(&status) {
            serde_json::from_slice(&body)
                .map(Ok)
                .map_err(|e| self.unreachable(path, format!("not the expected answer: {e}")))
        } else {
            Ok(Err(self.refusal(status, &body)))
        }
    }

    /// `GET /v1/circom/keys/{id}`; `None` if the node does not hold it.
    pub fn circom_key(&self, id: &str) -> Result<Option<crate::circom::KeyView>> {
        self.get_optional(&format!("/v1/circom/keys/{id}"))
    }

    /// `POST /v1/circom/keys`: uploads a zkey's bytes.
    pub fn upload_zkey(
        &self,
        zkey: &[u8],
    ) -> Result<std::result::Result<crate::circom::KeyView, Refusal>> {
        let path = "/v1/circom/keys";
        let answer = self.post_bytes(path, "application/octet-stream", zkey)?;
        self.answer(path, &[200, 201], answer)
    }

    /// `POST /v1/circom/proofs?key=ID`: a `.wtns`, or (`json`) its values
    /// as snarkjs's JSON.
    pub fn request_proof(
        &self,
        key: &str,
        witness: &[u8],
        json: bool,
    ) -> Result<std::result::Result<crate::circom::ProofView, Refusal>> {
        let path = format!("/v1/circom/proofs?key={key}");
        let kind = if json { "application/json" } else { "application/octet-stream" };
        let answer = self.post_bytes(&path, kind, witness)?;
        self.answer(&path, &[202], answer)
    }

    /// `GET /v1/circom/proofs/{id}`.
    pub fn circom_proof(&self, id: &str) -> Result<crate::circom::ProofView> {
        self.get_json(&format!("/v1/circom/proofs/{id}"))
    }

    /// Polls a proof request until it is done or failed, or `within` has
    /// passed.
    pub fn wait_circom_proof(
        &self,
        id: &str,
        within: Duration,
    ) -> Result<crate::circom::ProofView> {
        let deadline = Instant::now() + within;
        // Small proofs take tens of milliseconds: poll soon, then back off.
        let mut pause = Duration::from_millis(10);
        loop {
            let view = self.circom_proof(id)?;
            if view.state == "done" || view.state == "failed" {
                return Ok(view);
            }
            if Instant::now() >= deadline {
                return Err(AppError::unusable(format!(
                    "{}: proof request {id} still {} after {} s",
                    self.base,
                    view.state,
                    within.as_secs()
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 3 / 2).min(Duration::from_millis(250));
        }
    }
}

/// How long an upload (a zkey, a witness) may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// What `groth16 prove --node` did.
#[derive(Clone, Debug, Serialize)]
pub struct RemoteProveReport {
    /// The node.
    pub node: String,
    /// The zkey's id there.
    pub key: String,
    /// Whether this call uploaded the zkey (false: the node held it).
    pub uploaded: bool,
    /// The request's id.
    pub request: String,
    /// What proved it.
    pub backend: String,
    /// The worker's proof time.
    pub prove_ms: u64,
    /// From the first byte sent to the proof written.
    pub seconds: f64,
    /// proof.json.
    pub proof: PathBuf,
    /// public.json.
    pub public: PathBuf,
}

impl fmt::Display for RemoteProveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "proved on {} ({}; zkey {} {}) in {:.2} s, {:.2} s of it proving",
            self.node,
            self.backend,
            &self.key[..16],
            if self.uploaded { "uploaded" } else { "held there" },
            self.seconds,
            self.prove_ms as f64 / 1000.0
        )?;
        write!(f, "wrote {} and {}", self.proof.display(), self.public.display())
    }
}

/// `groth16 prove --node`: proves with a zkey and a witness on a node's
/// circom service (uploading the zkey only when the node does not hold its
/// bytes), checks the proof against the node's verifying key for those
/// bytes, and writes snarkjs's proof.json and public.json. A `.json`
/// witness is sent as snarkjs's JSON, anything else as a `.wtns`.
pub fn prove_remote(
    client: &NodeClient,
    zkey: &Path,
    witness: &Path,
    proof: &Path,
    public: &Path,
    within: Duration,
) -> Result<RemoteProveReport> {
    let started = Instant::now();
    stateproof_app::files::check_writable(proof)?;
    stateproof_app::files::check_writable(public)?;
    let zkey_bytes = stateproof_app::files::read(zkey)?;
    let id = blake3::hash(&zkey_bytes).to_hex().to_string();
    let refused = |path: &Path, r: Refusal| AppError::invalid(format!("{}: {r}", path.display()));
    let (key, uploaded) = match client.circom_key(&id)? {
        Some(k) => (k, false),
        None => (client.upload_zkey(&zkey_bytes)?.map_err(|r| refused(zkey, r))?, true),
    };
    drop(zkey_bytes);
    let witness_bytes = stateproof_app::files::read(witness)?;
    let json = witness.extension().is_some_and(|e| e == "json");
    let request =
        client.request_proof(&key.id, &witness_bytes, json)?.map_err(|r| refused(witness, r))?;
    let done = client.wait_circom_proof(&request.id, within)?;
    if done.state == "failed" {
        return Err(AppError::invalid(format!(
            "{}: the node could not prove it: {}",
            witness.display(),
            done.error.unwrap_or_default()
        )));
    }
    let bad = |what: &str, e: &dyn fmt::Display| {
        AppError::unusable(format!("{}: request {}: {what}: {e}", client.url(), done.id))
    };
    let proof_json = done.proof.clone().ok_or_else(|| bad("done", &"without a proof"))?;
    let vk = stateproof_verifier::snarkjs::verification_key_from_json(&key.verification_key)
        .map_err(|e| bad("its verification key", &e))?;
    let parsed = stateproof_verifier::snarkjs::proof_from_json(&proof_json)
        .map_err(|e| bad("its proof", &e))?;
    let inputs = stateproof_verifier::snarkjs::public_from_json(&done.public)
        .map_err(|e| bad("its public signals", &e))?;
    stateproof_verifier::verify_proof(&vk, &inputs, &parsed)
        .map_err(|e| bad("the proof does not verify", &e))?;
    write_json(proof, &proof_json)?;
    write_json(public, &done.public)?;
    Ok(RemoteProveReport {
        node: client.url().to_string(),
        key: key.id,
        uploaded,
        request: done.id,
        backend: done.backend.unwrap_or_default(),
        prove_ms: done.prove_ms.unwrap_or(0),
        seconds: started.elapsed().as_secs_f64(),
        proof: proof.to_path_buf(),
        public: public.to_path_buf(),
    })
}
