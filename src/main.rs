//! The `stateproof` command: proves batched state transitions with Groth16
//! and verifies them as a light client would.

mod bench;
mod bench_report;
mod commands;
mod compute_cmd;
mod finality;
mod groth16_cmd;
mod output;
mod simulate;
mod trust_cmd;
mod trustnet;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Succinct Groth16 proofs of consensus state transitions (BN254).
#[derive(Parser, Debug)]
#[command(name = "stateproof", version, about, long_about = None)]
pub struct Cli {
    /// Print a JSON summary on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

/// Which backend proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The rayon CPU backend.
    Cpu,
    /// NTTs on the GPU (wgpu), falling back to the CPU with a warning on
    /// any GPU error. MSMs run on the CPU until the GPU MSM lands.
    Gpu,
    /// The GPU for large NTTs on a hardware adapter, the CPU otherwise.
    Auto,
}

impl From<Backend> for stateproof_kernels::BackendChoice {
    fn from(b: Backend) -> Self {
        match b {
            Backend::Cpu => Self::Cpu,
            Backend::Gpu => Self::Gpu,
            Backend::Auto => Self::Auto,
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Genesis, a batch of signed transfers, setup, proof and verification, end to end.
    Demo {
        /// Account tree depth.
        #[arg(long, default_value_t = 32)]
        depth: usize,
        /// Transfer slots in the circuit (the batch fills them all).
        #[arg(long, default_value_t = 4)]
        slots: usize,
        /// MSM/NTT backend.
        #[arg(long, value_enum, default_value_t = Backend::Auto)]
        backend: Backend,
        /// GPU adapter index (see `stateproof devices`); default: the best one.
        #[arg(long, env = "STATEPROOF_GPU_DEVICE")]
        device: Option<usize>,
    },
    /// Lists GPU adapters with their backend, type, limits and features.
    Devices,
    /// Benchmarks MSM, NTT and proofs on every backend and on arkworks, in
    /// one interleaved run; writes report.md, report.json and plot.svg.
    Bench {
        /// log2 sizes for MSM and NTT, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = vec![10u32, 12, 14])]
        sizes: Vec<u32>,
        /// Transfer slots of the benchmarked proofs (depth 16), comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 2])]
        proof_slots: Vec<usize>,
        /// Repetitions of each measurement.
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Leave the GPU out even when an adapter exists.
        #[arg(long)]
        no_gpu: bool,
        /// Output directory.
        #[arg(long, default_value = "bench-report")]
        out: PathBuf,
    },
    /// Writes a sample genesis state and a signed batch (demo keys: public seeds).
    Sample {
        /// Account tree depth.
        #[arg(long, default_value_t = 32)]
        depth: usize,
        /// Accounts in the genesis state.
        #[arg(long, default_value_t = 4)]
        accounts: u64,
        /// Transfers in the batch.
        #[arg(long, default_value_t = 4)]
        transfers: usize,
        /// Output directory (state.json, batch.json).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Generates transfer-batch keys (a development setup, not a ceremony).
    Setup {
        /// Account tree depth.
        #[arg(long, default_value_t = 32)]
        depth: usize,
        /// Transfer slots per batch.
        #[arg(long, default_value_t = 4)]
        slots: usize,
        /// Output directory (transfer.pk, transfer.vk).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Applies a batch to a state and proves it, writing a compressed update.
    Prove {
        /// Proving key from `stateproof setup`.
        #[arg(long)]
        pk: PathBuf,
        /// Verifying key: refuse a proving key that does not belong with it.
        #[arg(long)]
        vk: Option<PathBuf>,
        /// State file (JSON).
        #[arg(long)]
        state: PathBuf,
        /// Batch file (JSON).
        #[arg(long)]
        batch: PathBuf,
        /// Where to write the compressed update.
        #[arg(long, default_value = "update.bin")]
        out: PathBuf,
        /// Where to write the state after the batch (JSON).
        #[arg(long)]
        new_state: Option<PathBuf>,
        /// MSM/NTT backend.
        #[arg(long, value_enum, default_value_t = Backend::Auto)]
        backend: Backend,
        /// GPU adapter index (see `stateproof devices`); default: the best one.
        #[arg(long, env = "STATEPROOF_GPU_DEVICE")]
        device: Option<usize>,
    },
    /// Verifies a compressed update: exit 0 valid, 1 invalid, 2 unreadable input.
    Verify {
        /// Verifying key from `stateproof setup`.
        #[arg(long)]
        vk: PathBuf,
        /// The compressed update.
        update: PathBuf,
        /// Also require the update to start from this trusted root (decimal).
        #[arg(long)]
        root: Option<String>,
    },
    /// Prints an update, verifying key or proving key file.
    Inspect {
        /// The file.
        file: PathBuf,
    },
    /// Exports to other tools' formats.
    Export {
        #[command(subcommand)]
        format: ExportFormat,
    },
    /// Finality proofs for light clients: quorums of a validator set over
    /// headers, set rotation, double-sign slashing, and the light client.
    Finality {
        #[command(subcommand)]
        command: FinalityCommand,
    },
    /// Unanimous agreement of a trust network's authorities on a data file.
    Trustnet {
        #[command(subcommand)]
        command: TrustnetCommand,
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
        command: Groth16Command,
    },
}

#[derive(Subcommand, Debug)]
enum ComputeCommand {
    /// Two deals (one unanimous, one disputed and mediated) opened and
    /// settled, each batch proven and verified.
    Demo {
        #[command(flatten)]
        backend: BackendArgs,
    },
}

#[derive(Subcommand, Debug)]
enum TrustCommand {
    /// Two sponsorships (both cooperate; one defects) committed and
    /// resolved, each batch proven and verified.
    Demo {
        #[command(flatten)]
        backend: BackendArgs,
    },
}

#[derive(Subcommand, Debug)]
enum SimulateWhat {
    /// Replicated-compute deals: honest play against a lazy node, colluding
    /// nodes, and a client colluding with mediators, under the settlement
    /// rules (half of forfeited collateral to the client, the rest burned,
    /// a more-than-2/3 mediator quorum).
    Compute(simulate::ComputeArgs),
}

#[derive(Subcommand, Debug)]
enum Groth16Command {
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
        #[arg(long)]
        r1cs: Option<PathBuf>,
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
    /// Verifies snarkjs JSON (snarkjs's argument order): exit 0 valid, 1
    /// invalid, 2 unusable files.
    Verify {
        /// verification_key.json.
        vk: PathBuf,
        /// public.json.
        public: PathBuf,
        /// proof.json.
        proof: PathBuf,
    },
}

/// Shape options of quorum keys.
#[derive(clap::Args, Debug)]
struct SetShape {
    /// Depth of the validator-set tree (up to 2^depth validators).
    #[arg(long, default_value_t = 8)]
    depth: usize,
    /// Signer slots: the most attestations one proof carries.
    #[arg(long, default_value_t = 8)]
    slots: usize,
}

/// Backend options of proving commands.
#[derive(clap::Args, Debug)]
struct BackendArgs {
    /// MSM/NTT backend.
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    backend: Backend,
    /// GPU adapter index (see `stateproof devices`); default: the best one.
    #[arg(long, env = "STATEPROOF_GPU_DEVICE")]
    device: Option<usize>,
}

#[derive(Subcommand, Debug)]
enum FinalityCommand {
    /// A chain of headers with a set rotation and a slashing, each proven
    /// and followed by the light client.
    Demo {
        /// Validators in the genesis set (each proof has this many slots).
        #[arg(long, default_value_t = 4)]
        validators: u64,
        /// Headers to finalise after genesis (at least 4).
        #[arg(long, default_value_t = 5)]
        heights: u64,
        /// Depth of the validator-set tree.
        #[arg(long, default_value_t = 4)]
        depth: usize,
        #[command(flatten)]
        backend: BackendArgs,
        /// Also write the updates, keys and genesis here, for `finality follow`.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Writes a sample set, genesis, header, attestations and double-sign
    /// evidence (demo keys: public seeds).
    Sample {
        /// Depth of the validator-set tree.
        #[arg(long, default_value_t = 8)]
        depth: usize,
        /// Validators in the set.
        #[arg(long, default_value_t = 4)]
        validators: u64,
        /// Output directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Generates finality keys, finality.pk and finality.vk (a development setup).
    Setup {
        #[command(flatten)]
        shape: SetShape,
        /// Quorum threshold: NUM/DEN (strictly more than that share of the stake) or all.
        #[arg(long, default_value = "2/3", value_parser = finality::parse_threshold)]
        threshold: stateproof_circuits::finality::Threshold,
        /// Output directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Generates slashing keys, slashing.pk and slashing.vk (a development setup).
    SetupSlashing {
        /// Depth of the validator-set tree.
        #[arg(long, default_value_t = 8)]
        depth: usize,
        /// Output directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Proves that a quorum of a set signed a header.
    Prove {
        /// Proving key from `finality setup`.
        #[arg(long)]
        pk: PathBuf,
        /// Verifying key: refuse a proving key that does not belong with it.
        #[arg(long)]
        vk: Option<PathBuf>,
        /// The signing validator set (JSON).
        #[arg(long)]
        set: PathBuf,
        /// The header (JSON).
        #[arg(long)]
        header: PathBuf,
        /// The attestations (JSON).
        #[arg(long)]
        attestations: PathBuf,
        /// Where to write the update.
        #[arg(long, default_value = "finality.bin")]
        out: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Proves double-sign evidence, slashing the offender.
    Slash {
        /// Proving key from `finality setup-slashing`.
        #[arg(long)]
        pk: PathBuf,
        /// Verifying key: refuse a proving key that does not belong with it.
        #[arg(long)]
        vk: Option<PathBuf>,
        /// The validator set (JSON).
        #[arg(long)]
        set: PathBuf,
        /// The evidence (JSON).
        #[arg(long)]
        evidence: PathBuf,
        /// Where to write the update.
        #[arg(long, default_value = "slashing.bin")]
        out: PathBuf,
        /// Where to write the slashed set (JSON).
        #[arg(long)]
        new_set: Option<PathBuf>,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Runs the light client over update files (directories: their files by
    /// name). Exit 0 all accepted, 1 any rejected or a fork, 2 unusable input.
    Follow {
        /// Finality verifying key.
        #[arg(long)]
        vk: PathBuf,
        /// The trusted header to start from (JSON), when there is no saved state.
        #[arg(long)]
        genesis: Option<PathBuf>,
        /// Saved client state: resumed when it exists, written after each update.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Update files or directories, in order.
        #[arg(required = true)]
        updates: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum TrustnetCommand {
    /// Prints a file's blake3 digest and its data commitment (a field element).
    Commit {
        /// The file (read as a stream).
        file: PathBuf,
    },
    /// Writes sample authorities and their signatures over FILE (demo keys).
    Sample {
        /// The data file.
        file: PathBuf,
        /// Number of authorities.
        #[arg(long, default_value_t = 4)]
        authorities: u64,
        /// Depth of the authority-set tree.
        #[arg(long, default_value_t = 8)]
        depth: usize,
        /// Output directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Generates agreement keys, agreement.pk and agreement.vk (threshold
    /// all; a development setup).
    Setup {
        #[command(flatten)]
        shape: SetShape,
        /// Output directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Proves that every authority signed FILE's commitment.
    Prove {
        /// Proving key from `trustnet setup`.
        #[arg(long)]
        pk: PathBuf,
        /// Verifying key: refuse a proving key that does not belong with it.
        #[arg(long)]
        vk: Option<PathBuf>,
        /// The authorities (JSON).
        #[arg(long)]
        set: PathBuf,
        /// The attestations (JSON).
        #[arg(long)]
        attestations: PathBuf,
        /// Where to write the update.
        #[arg(long, default_value = "agreement.bin")]
        out: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
        /// The data file.
        file: PathBuf,
    },
    /// Verifies that the authorities in --set all agree on FILE: exit 0
    /// valid, 1 invalid, 2 unusable input.
    Verify {
        /// Agreement verifying key.
        #[arg(long)]
        vk: PathBuf,
        /// The authorities the client trusts (JSON).
        #[arg(long)]
        set: PathBuf,
        /// The data file.
        file: PathBuf,
        /// The update.
        update: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ExportFormat {
    /// snarkjs's proof.json, public.json and verification_key.json.
    Snarkjs {
        /// Verifying key.
        #[arg(long)]
        vk: PathBuf,
        /// Compressed update.
        #[arg(long)]
        update: PathBuf,
        /// Output directory.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// A Solidity verifier contract for a verifying key (BN254 precompiles).
    Solidity {
        /// Verifying key: a stateproof .vk or snarkjs's verification_key.json.
        #[arg(long)]
        vk: PathBuf,
        /// Contract name.
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
        #[arg(long, conflicts_with_all = ["proof", "public"])]
        update: Option<PathBuf>,
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

fn run_finality(out: &output::Output, command: FinalityCommand) -> commands::CliResult {
    use stateproof_circuits::finality::StatementKind;
    match command {
        FinalityCommand::Demo { validators, heights, depth, backend, out: dir } => {
            let options = finality::DemoOptions {
                validators,
                heights,
                depth,
                backend: backend.backend,
                device: backend.device,
                out: dir,
            };
            finality::demo(out, options)
        }
        FinalityCommand::Sample { depth, validators, out: dir } => {
            finality::sample(out, depth, validators, &dir)
        }
        FinalityCommand::Setup { shape, threshold, out: dir } => {
            let shape = stateproof_prover::finality::QuorumShape {
                depth: shape.depth,
                slots: shape.slots,
                threshold,
                kind: StatementKind::Header,
            };
            finality::setup(out, shape, &dir, "finality")
        }
        FinalityCommand::SetupSlashing { depth, out: dir } => {
            finality::setup_slashing(out, depth, &dir)
        }
        FinalityCommand::Prove { pk, vk, set, header, attestations, out: path, backend } => {
            let files = finality::ProveFiles { pk, vk, set, header, attestations, out: path };
            finality::prove(out, files, backend.backend, backend.device)
        }
        FinalityCommand::Slash { pk, vk, set, evidence, out: path, new_set, backend } => {
            let files = finality::SlashFiles {
                pk: &pk,
                vk: vk.as_deref(),
                set: &set,
                evidence: &evidence,
                update: &path,
                new_set: new_set.as_deref(),
            };
            finality::slash(out, files, backend.backend, backend.device)
        }
        FinalityCommand::Follow { vk, genesis, state, updates } => {
            finality::follow(out, &vk, genesis.as_deref(), state.as_deref(), &updates)
        }
    }
}

fn run_trustnet(out: &output::Output, command: TrustnetCommand) -> commands::CliResult {
    use stateproof_circuits::finality::{StatementKind, Threshold};
    match command {
        TrustnetCommand::Commit { file } => trustnet::commit(out, &file),
        TrustnetCommand::Sample { file, authorities, depth, out: dir } => {
            trustnet::sample(out, &file, authorities, depth, &dir)
        }
        TrustnetCommand::Setup { shape, out: dir } => {
            let shape = stateproof_prover::finality::QuorumShape {
                depth: shape.depth,
                slots: shape.slots,
                threshold: Threshold::ALL,
                kind: StatementKind::Data,
            };
            finality::setup(out, shape, &dir, "agreement")
        }
        TrustnetCommand::Prove { pk, vk, set, attestations, out: path, backend, file } => {
            let files = trustnet::ProveFiles {
                pk: &pk,
                vk: vk.as_deref(),
                set: &set,
                file: &file,
                attestations: &attestations,
                out: &path,
            };
            trustnet::prove(out, files, backend.backend, backend.device)
        }
        TrustnetCommand::Verify { vk, set, file, update } => {
            trustnet::verify(out, &vk, &set, &file, &update)
        }
    }
}

fn main() -> ExitCode {
    // Mesa's device-select Vulkan layer probes the display server and prints
    // errors on headless machines; stateproof selects adapters itself. Set
    // here, before any thread exists.
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
    let cli = Cli::parse();
    let out = output::Output::new(cli.json);
    let result = match cli.command {
        Command::Demo { depth, slots, backend, device } => {
            commands::demo(&out, depth, slots, backend, device)
        }
        Command::Devices => commands::devices(&out),
        Command::Bench { sizes, proof_slots, reps, no_gpu, out: dir } => {
            let plan = bench::BenchPlan { log_sizes: sizes, proof_slots, reps, gpu: !no_gpu };
            bench::run(&out, &plan, &dir)
        }
        Command::Sample { depth, accounts, transfers, out: dir } => {
            commands::sample(&out, depth, accounts, transfers, &dir)
        }
        Command::Setup { depth, slots, out: dir } => commands::setup(&out, depth, slots, &dir),
        Command::Prove { pk, vk, state, batch, out: path, new_state, backend, device } => {
            let files = commands::ProveFiles {
                pk: &pk,
                vk: vk.as_deref(),
                state: &state,
                batch: &batch,
                update: &path,
            };
            commands::prove(&out, files, new_state.as_deref(), backend, device)
        }
        Command::Verify { vk, update, root } => {
            commands::verify(&out, &vk, &update, root.as_deref())
        }
        Command::Inspect { file } => commands::inspect(&out, &file),
        Command::Export { format: ExportFormat::Snarkjs { vk, update, out: dir } } => {
            commands::export_snarkjs(&out, &vk, &update, &dir)
        }
        Command::Export { format: ExportFormat::Solidity { vk, name, out: path } } => {
            groth16_cmd::export_solidity(&out, &vk, &name, &path)
        }
        Command::Export { format: ExportFormat::Calldata { update, proof, public, abi } } => {
            groth16_cmd::export_calldata(
                &out,
                update.as_deref(),
                proof.as_deref(),
                public.as_deref(),
                abi,
            )
        }
        Command::Finality { command } => run_finality(&out, command),
        Command::Trustnet { command } => run_trustnet(&out, command),
        Command::Trust { command: TrustCommand::Demo { backend } } => {
            trust_cmd::demo(&out, backend.backend, backend.device)
        }
        Command::Compute { command: ComputeCommand::Demo { backend } } => {
            compute_cmd::demo(&out, backend.backend, backend.device)
        }
        Command::Simulate { what: SimulateWhat::Compute(args) } => {
            simulate::compute(&out, args.params(), args.sweep)
        }
        Command::Groth16 {
            command: Groth16Command::Prove { zkey, witness, proof, public, r1cs, backend },
        } => {
            let files = groth16_cmd::ProveFiles {
                zkey: &zkey,
                witness: &witness,
                proof: &proof,
                public: &public,
                r1cs: r1cs.as_deref(),
            };
            groth16_cmd::prove(&out, files, backend.backend, backend.device)
        }
        Command::Groth16 { command: Groth16Command::ArkProve { r1cs, witness } } => {
            groth16_cmd::ark_prove(&out, &r1cs, &witness)
        }
        Command::Groth16 { command: Groth16Command::Verify { vk, public, proof } } => {
            groth16_cmd::verify(&out, &vk, &public, &proof)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
