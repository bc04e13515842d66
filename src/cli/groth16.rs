//! `stateproof groth16 …` (circom and snarkjs) and `stateproof export …`.

use super::args::{BackendArgs, UpdateArg};
use super::output::Output;
use clap::Subcommand;
use stateproof_app::circom::{self, ProofSource, ProveFiles};
use stateproof_app::AppError;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum Groth16Command {
    /// Proves with a snarkjs Groth16 zkey and a circom witness, writing
    /// snarkjs's proof.json and public.json (rapidsnark's argument order).
    /// Exit 1 when the witness does not satisfy the circuit, 2 on unusable files.
    Prove {
        /// The proving key (snarkjs .zkey, Groth16, BN254).
        zkey: PathBuf,
        /// The witness (circom .wtns).
        witness: PathBuf,
        /// Where to write the proof (snarkjs JSON).
        proof: PathBuf,
        /// Where to write the public signals (snarkjs JSON).
        public: PathBuf,
        /// Check the witness against this .r1cs first, naming a failing constraint.
        #[arg(long, conflicts_with = "node")]
        r1cs: Option<PathBuf>,
        /// Prove on this node's circom service instead (http://HOST:PORT):
        /// the zkey is uploaded once, the proof checked here before it is
        /// written. A witness ending in .json is sent as snarkjs's JSON.
        #[arg(long)]
        node: Option<String>,
        /// With --node: how long to wait for the proof.
        #[arg(long, default_value = "600s", value_parser = super::node::duration, requires = "node")]
        wait: std::time::Duration,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Proves the same circuit with ark-groth16 (arkworks' QAP, a
    /// development setup made on the spot), for side-by-side timings.
    ArkProve {
        /// The constraints (circom .r1cs).
        r1cs: PathBuf,
        /// The witness (circom .wtns).
        witness: PathBuf,
    },
    /// Verifies snarkjs JSON (snarkjs's argument order).
    Verify {
        /// verification_key.json.
        vk: PathBuf,
        /// public.json.
        public: PathBuf,
        /// proof.json.
        proof: PathBuf,
    },
}

pub fn run(out: &Output, command: Groth16Command) -> Result<(), AppError> {
    match command {
        Groth16Command::Prove { zkey, witness, proof, public, node: Some(node), wait, .. } => {
            let client = stateproof_node::client::NodeClient::new(&node)?;
            out.report(&stateproof_node::client::prove_remote(
                &client, &zkey, &witness, &proof, &public, wait,
            )?);
        }
        Groth16Command::Prove {
            zkey, witness, proof, public, r1cs, backend, node: None, ..
        } => {
            let files = ProveFiles {
                zkey: &zkey,
                witness: &witness,
                proof: &proof,
                public: &public,
                r1cs: r1cs.as_deref(),
            };
            out.report(&circom::prove(out, files, &backend.options()?)?);
        }
        Groth16Command::ArkProve { r1cs, witness } => {
            out.report(&circom::ark_prove(out, &r1cs, &witness)?)
        }
        Groth16Command::Verify { vk, public, proof } => {
            let report = circom::verify(&vk, &public, &proof)?;
            let (ok, reason) = (report.valid, report.reason.clone().unwrap_or_default());
            return out
                .report_or_fail(&report, ok, || AppError::invalid(format!("INVALID: {reason}")));
        }
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum ExportFormat {
    /// snarkjs's proof.json, public.json and verification_key.json for an
    /// update that verifies.
    Snarkjs {
        /// Verifying key.
        #[arg(long)]
        vk: PathBuf,
        #[command(flatten)]
        update: UpdateArg,
        /// Output directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// A Solidity verifier contract for a verifying key (BN254 precompiles).
    Solidity {
        /// Verifying key: a stateproof .vk or snarkjs's verification_key.json.
        #[arg(long)]
        vk: PathBuf,
        /// Contract name (a Solidity identifier, not a reserved word).
        #[arg(long, default_value = "StateproofVerifier")]
        name: String,
        /// Output file.
        #[arg(long, default_value = "Verifier.sol")]
        out: PathBuf,
    },
    /// The calldata of a proof for the Solidity verifier: snarkjs's
    /// soliditycalldata text, or with --abi the hex of the whole call.
    Calldata {
        /// A stateproof update (its proof and public inputs).
        #[arg(value_name = "UPDATE", conflicts_with_all = ["proof", "public", "update_flag"])]
        update: Option<PathBuf>,
        /// The same as UPDATE.
        #[arg(long = "update", id = "update_flag", value_name = "UPDATE", conflicts_with_all = ["proof", "public"])]
        update_flag: Option<PathBuf>,
        /// snarkjs proof.json (with --public).
        #[arg(long, requires = "public")]
        proof: Option<PathBuf>,
        /// snarkjs public.json (with --proof).
        #[arg(long, requires = "proof")]
        public: Option<PathBuf>,
        /// Print the ABI-encoded call (selector and arguments) as hex.
        #[arg(long)]
        abi: bool,
    },
}

pub fn export(out: &Output, format: ExportFormat) -> Result<(), AppError> {
    match format {
        ExportFormat::Snarkjs { vk, update, out: dir } => {
            out.report(&circom::export_snarkjs(&vk, &update.path(), &dir)?)
        }
        ExportFormat::Solidity { vk, name, out: path } => {
            out.report(&circom::export_solidity(&vk, &name, &path)?)
        }
        ExportFormat::Calldata { update, update_flag, proof, public, abi } => {
            let update = update.or(update_flag);
            let source = match (&update, &proof, &public) {
                (Some(u), _, _) => ProofSource::Update(u),
                (None, Some(p), Some(q)) => ProofSource::Snarkjs(p, q),
                _ => return Err(AppError::unusable("give an UPDATE, or --proof and --public")),
            };
            out.report(&circom::export_calldata(source, abi)?);
        }
    }
    Ok(())
}
