//! The ledger's transactions beyond transfers from the command line: each
//! party signs with its own key file, and what one party signs for
//! another (a deal's signatures, a mediator's attestation) is a file it
//! hands over. `stateproof deal ...` and `stateproof sponsor ...`.

use super::*;
use crate::ledger::Tx;
use stateproof_circuits::compute::{
    result_message, verdict_commitment, Deal, DealJson, MediationRequest, ResultSubmission,
    Settlement, SignatureJson, SignedResult, Verdict,
};
use stateproof_circuits::finality::{Attestation, AttestationJson, SetJson, Statement};
use stateproof_circuits::trust::{Choice, Commit, Reveal, Sponsorship, SponsorshipJson};

/// What a submitted transaction became.
#[derive(Clone, Debug, Serialize)]
pub struct SubmitReport {
    /// Its kind.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// pending, batched or proven.
    pub status: String,
    /// The update it is in, once proven.
    pub batch: Option<u64>,
    /// It had been submitted before (the same transaction).
    pub duplicate: bool,
}

impl fmt::Display for SubmitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} transaction {}: {}", self.kind, self.id, self.status)?;
        if let Some(b) = self.batch {
            write!(f, " (update {b})")?;
        }
        if self.duplicate {
            write!(f, " (submitted before)")?;
        }
        Ok(())
    }
}

/// Submits `tx` to `node` and, with `wait`, waits until it is proven.
pub fn submit(node: &str, tx: &Tx, wait: Option<Duration>) -> Result<SubmitReport> {
    let client = NodeClient::new(node)?;
    let accepted = client
        .submit_tx(&tx.to_json())?
        .map_err(|r| AppError::invalid(format!("{}: {r}", client.url())))?;
    let mut report = SubmitReport {
        kind: tx.kind().name().to_string(),
        id: accepted.id,
        status: accepted.status,
        batch: None,
        duplicate: accepted.duplicate,
    };
    if let Some(wait) = wait {
        (report.status, report.batch) = wait_until_proven(&client, &report.id, wait)?;
    }
    Ok(report)
}

/// Reads a deal's terms (`DealJson`).
pub fn read_deal(path: &Path) -> Result<Deal> {
    let json: DealJson = read_json(path)?;
    json.to_deal().map_err(|e| AppError::invalid(format!("{}: {e}", path.display())))
}

/// Reads a sponsorship's terms (`SponsorshipJson`).
pub fn read_sponsorship(path: &Path) -> Result<Sponsorship> {
    let json: SponsorshipJson = read_json(path)?;
    json.to_sponsorship().map_err(|e| AppError::invalid(format!("{}: {e}", path.display())))
}

/// What was signed and where it went.
#[derive(Clone, Debug, Serialize)]
pub struct Signed {
    /// What it is.
    pub what: String,
    /// The file written.
    pub out: PathBuf,
}

impl fmt::Display for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} written to {}", self.what, self.out.display())
    }
}

/// A party's signature over a deal's terms, written to `out`, for the
/// party that opens the deal.
pub fn sign_deal(terms: &Path, key: &Path, out: &Path) -> Result<Signed> {
    let deal = read_deal(terms)?;
    let signature = read_key(key)?.sign(deal.hash());
    write_json(out, &SignatureJson::from_signature(&signature))?;
    Ok(Signed { what: format!("a signature of deal {}", deal.id), out: out.to_path_buf() })
}

/// A mediator's attestation of `result` as deal `terms`'s verdict,
/// written to `out`, for the party that submits the verdict.
pub fn attest_verdict(
    terms: &Path,
    result: &str,
    index: u64,
    key: &Path,
    out: &Path,
) -> Result<Signed> {
    let deal = read_deal(terms)?;
    let result = parse_fr(result).map_err(|e| AppError::invalid(format!("--result: {e}")))?;
    let statement = Statement::Data(verdict_commitment(&deal, result));
    let a = Attestation::sign(&read_key(key)?, index, &statement);
    write_json(out, &AttestationJson::from_attestation(&a))?;
    let what = format!("mediator {index}'s attestation of the verdict on deal {}", deal.id);
    Ok(Signed { what, out: out.to_path_buf() })
}

/// The opening of deal `terms` with its parties' signature files (the
/// client's first, then each node's in order).
pub fn open_deal(terms: &Path, signatures: &[PathBuf]) -> Result<Tx> {
    let deal = read_deal(terms)?;
    let signatures = signatures
        .iter()
        .map(|p| {
            let json: SignatureJson = read_json(p)?;
            json.to_signature().map_err(|e| AppError::invalid(format!("{}: {e}", p.display())))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Tx::OpenDeal(deal, signatures))
}

/// A node's result for deal `terms`, at its `position` among the deal's
/// nodes, signed with `key`.
pub fn deal_result(terms: &Path, position: usize, result: &str, key: &Path) -> Result<Tx> {
    let deal = read_deal(terms)?;
    let result = parse_fr(result).map_err(|e| AppError::invalid(format!("--result: {e}")))?;
    let key = read_key(key)?;
    let signed = SignedResult { result, signature: key.sign(result_message(&deal, result)) };
    Ok(Tx::SubmitResult(ResultSubmission { deal_id: deal.id, node: position, signed }))
}

/// The client's call for mediation of deal `terms`, signed with `key`.
pub fn deal_mediation(terms: &Path, key: &Path) -> Result<Tx> {
    Ok(Tx::RequestMediation(MediationRequest::sign(&read_key(key)?, &read_deal(terms)?)))
}

/// The verdict `result` on deal `terms` with the mediators' attestation
/// files and their committee (a validator-set file).
pub fn deal_verdict(
    terms: &Path,
    result: &str,
    committee: &Path,
    attestations: &[PathBuf],
) -> Result<Tx> {
    let deal = read_deal(terms)?;
    let result = parse_fr(result).map_err(|e| AppError::invalid(format!("--result: {e}")))?;
    let set: SetJson = read_json(committee)?;
    let set =
        set.to_set().map_err(|e| AppError::invalid(format!("{}: {e}", committee.display())))?;
    let attestations = attestations
        .iter()
        .map(|p| {
            let json: AttestationJson = read_json(p)?;
            json.to_attestation().map_err(|e| AppError::invalid(format!("{}: {e}", p.display())))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Tx::Verdict(Verdict { deal_id: deal.id, result, attestations }, Box::new(set)))
}

/// The settlement of deal `id`.
pub fn deal_settlement(id: u64) -> Tx {
    Tx::Settle(Settlement { deal_id: id })
}

/// Member `sponsor`'s commitment to `choice` for sponsorship `terms`,
/// with `salt` (decimal; kept secret until the reveal), signed with `key`.
pub fn sponsor_commit(
    terms: &Path,
    sponsor: u64,
    choice: Choice,
    salt: &str,
    key: &Path,
) -> Result<Tx> {
    let s = read_sponsorship(terms)?;
    let salt = parse_fr(salt).map_err(|e| AppError::invalid(format!("--salt: {e}")))?;
    Ok(Tx::SponsorCommit(Commit::sign(&read_key(key)?, sponsor, &s, choice, salt)))
}

/// Both sponsors' reveals of sponsorship `terms`.
pub fn sponsor_reveal(terms: &Path, choices: [Choice; 2], salts: [&str; 2]) -> Result<Tx> {
    let sponsorship = read_sponsorship(terms)?;
    let mut openings = [(Choice::Cooperate, Fr::from(0u64)); 2];
    for (i, salt) in salts.iter().enumerate() {
        let salt = parse_fr(salt).map_err(|e| AppError::invalid(format!("--salt {i}: {e}")))?;
        openings[i] = (choices[i], salt);
    }
    Ok(Tx::SponsorReveal(Box::new(Reveal { sponsorship, openings })))
}
