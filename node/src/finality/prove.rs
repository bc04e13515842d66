//! The finality thread: proves double-sign evidence into set changes, and
//! each header final, in height order, once a quorum of its signing set
//! attested it.

use super::api::{check_set_change, SetChangePost};
use super::{kept_attestations, Finality, THRESHOLD};
use crate::node::Shared;
use crate::store::ChangeKind;
use crate::store::FinalityRecord;
use stateproof_app::AppProver;
use stateproof_circuits::finality::{Attestation, EvidenceJson, Header, Statement, ValidatorSet};
use stateproof_prover::finality::{prove_quorum, prove_slashing};
use stateproof_prover::keys::Keys;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the thread looks for evidence or a header that became
/// provable. A quorum's last attestation waits at most this long.
const POLL: Duration = Duration::from_millis(200);

/// The finality and slashing keys, loaded once, and their provers.
pub struct Provers {
    /// The finality-quorum key.
    pub quorum: Keys,
    /// Its prover.
    pub quorum_prover: AppProver,
    /// The double-sign-slash key.
    pub slashing: Keys,
    /// Its prover.
    pub slashing_prover: AppProver,
    /// The set-change key.
    pub set_change: Keys,
    /// Its prover.
    pub set_change_prover: AppProver,
}

/// Runs until the process ends: slashes on kept evidence first; then, for
/// the height after the last final one, waits for its header and a quorum
/// of attestations, proves, checks the proof as a light client will,
/// stores it.
pub fn run_prover(
    shared: Arc<Shared>,
    finality: Arc<Finality>,
    runtime: tokio::runtime::Handle,
    p: Provers,
) {
    while !shared.stopping.load(Ordering::SeqCst) {
        if let Err(e) = runtime.block_on(slash_pending(&shared, &finality, &p)) {
            tracing::warn!("slashing: {e}; retrying in a second");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        let height = finality.final_height() + 1;
        match runtime.block_on(ready(&shared, &finality, height)) {
            Ok(Some((header, attestations))) => {
                let started = Instant::now();
                match prove(&finality, &p, &header, &attestations) {
                    Ok(bytes) => {
                        let record = FinalityRecord {
                            height,
                            header_hash: header.hash(),
                            bytes,
                            signers: attestations.len() as u64,
                        };
                        while let Err(e) = runtime.block_on(shared.store.insert_finality(&record)) {
                            tracing::warn!(
                                "finality of height {height}: {e}; retrying in a second"
                            );
                            std::thread::sleep(Duration::from_secs(1));
                        }
                        finality.final_height.store(height, Ordering::SeqCst);
                        tracing::info!(
                            "height {height} final: {} validators attested; proven in {:.2} s",
                            attestations.len(),
                            started.elapsed().as_secs_f64()
                        );
                        continue;
                    }
                    Err(e) => {
                        tracing::error!("finality of height {height}: {e}; retrying in a second");
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => {
                tracing::warn!("finality: {e}; retrying in a second");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// Proves each kept request (double-sign evidence, a quorum-signed new
/// set) against the current set and records the set it makes; one that no
/// longer holds (the offender slashed already, a set changed meanwhile) is
/// set aside with a warning.
async fn slash_pending(
    shared: &Shared,
    finality: &Finality,
    p: &Provers,
) -> stateproof_app::Result<()> {
    for request in shared.store.pending_changes().await? {
        let proven = match request.kind {
            ChangeKind::Slash => slash(finality, p, &request.body),
            ChangeKind::Quorum => change(finality, p, &request.body),
        };
        match proven {
            Ok((next, offender, bytes)) => {
                let root = next.root();
                let made = (request.kind, offender);
                let from =
                    finality.change_set(&shared.store, next, made, bytes, request.seq).await?;
                tracing::info!(
                    "set change ({}{}): headers from {from} name set {}",
                    request.kind.name(),
                    offender.map_or(String::new(), |o| format!(" of validator {o}")),
                    stateproof_app::text::fr(&root)
                );
            }
            Err(e) => {
                tracing::warn!("{} request {}: {e}; set aside", request.kind.name(), request.seq);
                shared.store.change_done(request.seq).await?;
            }
        }
    }
    Ok(())
}

/// A proven slashing: the set after, the offender, the update's bytes.
type Made = (ValidatorSet, Option<u64>, Vec<u8>);

fn slash(finality: &Finality, p: &Provers, body: &str) -> Result<Made, String> {
    let evidence = serde_json::from_str::<EvidenceJson>(body)
        .map_err(|e| e.to_string())
        .and_then(|j| j.to_evidence().map_err(|e| e.to_string()))?;
    let (set, _) = finality.current_set();
    let (next, update, _) = prove_slashing(&p.slashing_prover, &p.slashing, &set, &evidence)
        .map_err(|e| e.to_string())?;
    update
        .verify(&finality.slashing_vk)
        .map_err(|e| format!("the slashing proof does not verify: {e}"))?;
    Ok((next, Some(evidence.index), update.to_bytes()))
}

fn change(finality: &Finality, p: &Provers, body: &str) -> Result<Made, String> {
    let post: SetChangePost = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let (next, attestations) = post.parse()?;
    let (current, statement) =
        check_set_change(finality, &next, &attestations).map_err(|(_, why)| why)?;
    let (update, _) =
        prove_quorum(&p.set_change_prover, &p.set_change, &current, &statement, &attestations)
            .map_err(|e| e.to_string())?;
    update
        .verify(&finality.set_change_vk)
        .map_err(|e| format!("the set-change proof does not verify: {e}"))?;
    Ok((next, None, update.to_bytes()))
}

/// The header at `height` and its attestations, once they reach the
/// threshold of the set that signs it.
async fn ready(
    shared: &Shared,
    finality: &Finality,
    height: u64,
) -> stateproof_app::Result<Option<(Header, Vec<Attestation>)>> {
    let Some(header) = finality.header(&shared.store, height).await? else {
        return Ok(None);
    };
    let attestations = kept_attestations(&shared.store, &header).await?;
    let (signed, total) = finality.stake_of(height, &attestations);
    Ok(THRESHOLD.met(signed, total).then_some((header, attestations)))
}

/// Proves `header` final by `attestations` and checks the proof.
fn prove(
    finality: &Finality,
    p: &Provers,
    header: &Header,
    attestations: &[Attestation],
) -> Result<Vec<u8>, String> {
    let statement = Statement::Header(*header);
    let set = finality.signing_set(header.height);
    let (update, _) = prove_quorum(&p.quorum_prover, &p.quorum, &set, &statement, attestations)
        .map_err(|e| e.to_string())?;
    update.verify(&finality.vk).map_err(|e| format!("the proof does not verify: {e}"))?;
    if update.input("header_hash").ok() != Some(header.hash()) {
        return Err("the proof is for another header".into());
    }
    Ok(update.to_bytes())
}
