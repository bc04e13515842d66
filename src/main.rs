//! The `stateproof` command: proves batched state transitions with Groth16
//! and verifies them as a light client would.

mod bench;
mod bench_report;
mod commands;
mod output;

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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
