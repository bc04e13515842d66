//! The command line: clap argument structs and the `run` that hands each
//! command to the application library and prints its report.

mod args;
mod finality;
mod groth16;
mod ledger;
mod node;
pub mod output;
mod transfer;

use args::BackendArgs;
use clap::{Parser, Subcommand};
use output::Output;
use stateproof_app::{simulate, AppError};
use std::path::PathBuf;

/// Succinct Groth16 proofs of consensus state transitions (BN254).
///
/// Exit codes, for every command: 0 valid, 1 well-formed input that breaks
/// a rule or fails verification, 2 input that cannot be read or used.
#[derive(Parser, Debug)]
#[command(name = "stateproof", version, about, long_about = None)]
pub struct Cli {
    /// Print a JSON object on stdout instead of text (failures too).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The node: signed transfers in over HTTP, proven updates out, its
    /// ledger on disk.
    Node {
        #[command(subcommand)]
        command: node::NodeCommand,
    },
    /// A prover for a node on another machine: claims the node's prove jobs
    /// from its PostgreSQL database.
    Worker {
        #[command(subcommand)]
        command: node::WorkerCommand,
    },
    /// A validator of a node's headers: signs each header after verifying
    /// the state update behind it, never two at one height.
    Validator {
        #[command(subcommand)]
        command: node::ValidatorCommand,
    },
    /// A local network: a node with a validator set and each validator as
    /// a process, started and stopped together.
    Devnet(node::DevnetArgs),
    /// Signs a transfer with a key file and submits it to a node.
    Send(node::SendArgs),
    /// A light client of a node: verifies every update, checks balances
    /// against the verified root.
    LightClient {
        #[command(subcommand)]
        command: node::LightClientCommand,
    },
    /// Offers signed transfers to a node at a steady rate and measures what
    /// it accepts.
    Load(node::LoadArgs),
    /// Genesis, a batch of signed transfers, setup, proof and verification, end to end.
    Demo(transfer::DemoArgs),
    /// Lists GPU adapters with their backend, type, limits and features.
    Devices,
    /// Benchmarks MSM, NTT and proofs on every backend and on arkworks, in
    /// one interleaved run (each backend's results checked against
    /// arkworks' first); writes report.md, report.json and plot.svg.
    Bench(args::BenchArgs),
    /// User keys: make a key file, show its public key.
    Keys {
        #[command(subcommand)]
        command: transfer::KeysCommand,
    },
    /// Signs a transfer with a key file and adds it to a batch file.
    Sign(transfer::SignArgs),
    /// Writes a sample genesis state and a signed batch (sample keys are
    /// public seeds; --key files own the first accounts).
    Sample(transfer::SampleArgs),
    /// Generates transfer-batch keys (a development setup, not a ceremony).
    Setup(transfer::SetupArgs),
    /// Applies a batch to a state and proves it, writing a compressed update.
    Prove(transfer::ProveArgs),
    /// Verifies a compressed update.
    Verify(transfer::VerifyArgs),
    /// Prints what a file is and holds: an update, a verifying or proving
    /// key, a state or a batch.
    Inspect {
        /// The file.
        file: PathBuf,
    },
    /// Exports to other tools' formats.
    Export {
        #[command(subcommand)]
        format: groth16::ExportFormat,
    },
    /// Finality proofs for light clients: quorums of a validator set over
    /// headers, set rotation, double-sign slashing, and the light client.
    Finality {
        #[command(subcommand)]
        command: finality::FinalityCommand,
    },
    /// Unanimous agreement of a trust network's authorities on a data file.
    Trustnet {
        #[command(subcommand)]
        command: finality::TrustnetCommand,
    },
    /// A compute deal's transactions to a node: sign, open, result,
    /// mediate, attest, verdict, settle.
    Deal {
        #[command(subcommand)]
        command: ledger::DealCommand,
    },
    /// A Proof-of-Trust sponsorship's transactions to a node: commit,
    /// reveal.
    Sponsor {
        #[command(subcommand)]
        command: ledger::SponsorCommand,
    },
    /// Replicated-compute deals opened and settled in proven batches.
    Compute {
        #[command(subcommand)]
        command: ComputeCommand,
    },
    /// Proof-of-Trust admission committed and resolved in proven batches.
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// Plays strategies against the native rules to measure incentives.
    Simulate {
        #[command(subcommand)]
        what: SimulateWhat,
    },
    /// circom/snarkjs interop: prove from a .zkey and a .wtns (rapidsnark's
    /// arguments), verify snarkjs JSON.
    Groth16 {
        #[command(subcommand)]
        command: groth16::Groth16Command,
    },
}

#[derive(Subcommand, Debug)]
pub enum ComputeCommand {
    /// Two deals (one unanimous, one disputed and mediated) opened and
    /// settled, each batch proven and verified.
    Demo {
        #[command(flatten)]
        backend: BackendArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TrustCommand {
    /// Two sponsorships (both cooperate; one defects) committed and
    /// resolved, each batch proven and verified.
    Demo {
        #[command(flatten)]
        backend: BackendArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum SimulateWhat {
    /// Replicated-compute deals: honest play against a lazy node, colluding
    /// nodes, and a client colluding with mediators, under the settlement
    /// rules (half of forfeited collateral to the client, the rest burned,
    /// a more-than-2/3 mediator quorum).
    Compute(args::SimulateArgs),
}

/// Runs `command`, printing its report on `out`.
pub fn run(command: Command, out: &Output) -> Result<(), AppError> {
    match command {
        Command::Node { command } => node::run_node(out, command),
        Command::Worker { command } => node::run_worker(out, command),
        Command::Send(a) => node::send(out, a),
        Command::Deal { command } => ledger::deal(out, command),
        Command::Sponsor { command } => ledger::sponsor(out, command),
        Command::LightClient { command } => node::light_client(out, command),
        Command::Validator { command } => node::run_validator(out, command),
        Command::Devnet(args) => node::run_devnet(out, args),
        Command::Load(a) => node::load(out, a),
        Command::Demo(a) => transfer::demo(out, a),
        Command::Devices => {
            out.report(&args::Devices(stateproof_kernels::gpu::list_adapters()));
            Ok(())
        }
        Command::Bench(a) => {
            let plan = a.plan()?;
            out.report(&stateproof_app::bench::run(out, &plan, &a.out)?);
            Ok(())
        }
        Command::Keys { command } => transfer::keys(out, command),
        Command::Sign(a) => transfer::sign(out, a),
        Command::Sample(a) => transfer::sample(out, a),
        Command::Setup(a) => transfer::setup(out, a),
        Command::Prove(a) => transfer::prove(out, a),
        Command::Verify(a) => transfer::verify(out, a),
        Command::Inspect { file } => {
            out.report(&stateproof_app::inspect::inspect(&file)?);
            Ok(())
        }
        Command::Export { format } => groth16::export(out, format),
        Command::Finality { command } => finality::run_finality(out, command),
        Command::Trustnet { command } => finality::run_trustnet(out, command),
        Command::Compute { command: ComputeCommand::Demo { backend } } => {
            out.report(&stateproof_node::scenario::compute::demo(out, &backend.options()?)?);
            Ok(())
        }
        Command::Trust { command: TrustCommand::Demo { backend } } => {
            out.report(&stateproof_node::scenario::trust::demo(out, &backend.options()?)?);
            Ok(())
        }
        Command::Simulate { what: SimulateWhat::Compute(a) } => {
            out.report(&simulate::compute(a.params(), a.sweep)?);
            Ok(())
        }
        Command::Groth16 { command } => groth16::run(out, command),
    }
}
