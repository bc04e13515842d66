//! The finality thread: proves each header final, in height order, once a
//! quorum attested it.

use super::{kept_attestations, Finality, THRESHOLD};
use crate::node::Shared;
use crate::store::FinalityRecord;
use stateproof_app::AppProver;
use stateproof_circuits::finality::{Header, Statement};
use stateproof_prover::finality::prove_quorum;
use stateproof_prover::keys::Keys;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the thread looks for a header that became provable. A
/// quorum's last attestation waits at most this long.
const POLL: Duration = Duration::from_millis(200);

/// Runs until the process ends: for the height after the last final one,
/// waits for its header and a quorum of attestations, proves, checks the
/// proof as a light client will, stores it.
pub fn run_prover(
    shared: Arc<Shared>,
    finality: Arc<Finality>,
    runtime: tokio::runtime::Handle,
    keys: Keys,
    prover: AppProver,
) {
    loop {
        let height = finality.final_height() + 1;
        match runtime.block_on(ready(&shared, &finality, height)) {
            Ok(Some((header, attestations))) => {
                let started = Instant::now();
                match prove(&finality, &keys, &prover, &header, &attestations) {
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
                            "height {height} final: {} of {} validators attested; proven in {:.2} s",
                            attestations.len(),
                            finality.set.members().len(),
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

/// The header at `height` and its attestations, once they reach the
/// threshold.
async fn ready(
    shared: &Shared,
    finality: &Finality,
    height: u64,
) -> stateproof_app::Result<Option<(Header, Vec<stateproof_circuits::finality::Attestation>)>> {
    let Some(header) = finality.header(&shared.store, height).await? else {
        return Ok(None);
    };
    let attestations = kept_attestations(&shared.store, &header).await?;
    let met = THRESHOLD.met(finality.stake_of(&attestations), finality.set.total_stake());
    Ok(met.then_some((header, attestations)))
}

/// Proves `header` final by `attestations` and checks the proof.
fn prove(
    finality: &Finality,
    keys: &Keys,
    prover: &AppProver,
    header: &Header,
    attestations: &[stateproof_circuits::finality::Attestation],
) -> Result<Vec<u8>, String> {
    let statement = Statement::Header(*header);
    let (update, _) = prove_quorum(prover, keys, &finality.set, &statement, attestations)
        .map_err(|e| e.to_string())?;
    update.verify(&finality.vk).map_err(|e| format!("the proof does not verify: {e}"))?;
    if update.input("header_hash").ok() != Some(header.hash()) {
        return Err("the proof is for another header".into());
    }
    Ok(update.to_bytes())
}
