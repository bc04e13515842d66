//! Flags shared by several commands, and the small commands' arguments.

use clap::ValueEnum;
use serde::Serialize;
use stateproof_app::backend::BackendOptions;
use stateproof_app::bench::BenchPlan;
use stateproof_app::AppError;
use stateproof_circuits::compute::simulate::{default_rules, Params};
use stateproof_circuits::finality::Threshold;
use stateproof_kernels::gpu::{msm::MAX_PRECOMPUTE, AdapterReport, GpuConfig};
use stateproof_kernels::BackendChoice;
use std::path::PathBuf;

/// Which backend proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The rayon CPU backend.
    Cpu,
    /// NTTs and G1 MSMs on the GPU (wgpu), the G2 MSM on the CPU beside
    /// them; any GPU error falls back to the CPU with one warning.
    Gpu,
    /// The GPU where it measured faster on a hardware adapter, the CPU
    /// otherwise (and always on a software adapter).
    Auto,
}

/// Backend flags of every proving command.
#[derive(clap::Args, Debug, Clone)]
pub struct BackendArgs {
    /// MSM/NTT backend.
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// GPU adapter index (see `stateproof devices`); default: the best one.
    #[arg(long, env = "STATEPROOF_GPU_DEVICE")]
    pub device: Option<usize>,
    /// Precomputed copies of the proving key's G1 bases on the GPU (1 to 8;
    /// default 8 on hardware adapters, 1 on software ones).
    #[arg(long, env = "STATEPROOF_MSM_PRECOMPUTE")]
    pub precompute: Option<usize>,
    /// MiB the CPU's G1 MSMs may spend on fixed-base tables of the proving
    /// key (about 17 times its bases; made once when the key loads). For
    /// `node run` and `worker run`, which keep their keys; 0: none.
    #[arg(long, default_value_t = 0, value_name = "MIB")]
    pub msm_tables_mb: usize,
}

impl BackendArgs {
    /// The options the application takes.
    pub fn options(&self) -> Result<BackendOptions, AppError> {
        if let Some(f) = self.precompute.filter(|f| !(1..=MAX_PRECOMPUTE).contains(f)) {
            return Err(AppError::unusable(format!(
                "--precompute must be 1 to {MAX_PRECOMPUTE}, got {f}"
            )));
        }
        let choice = match self.backend {
            Backend::Cpu => BackendChoice::Cpu,
            Backend::Gpu => BackendChoice::Gpu,
            Backend::Auto => BackendChoice::Auto,
        };
        let gpu =
            GpuConfig { device: self.device, precompute: self.precompute, ..Default::default() };
        let msm_tables = self.msm_tables_mb.checked_mul(1 << 20).ok_or_else(|| {
            AppError::unusable(format!("--msm-tables-mb {} is too large", self.msm_tables_mb))
        })?;
        Ok(BackendOptions { choice, gpu, msm_tables })
    }
}

/// Shape options of quorum keys.
#[derive(clap::Args, Debug)]
pub struct SetShape {
    /// Depth of the validator-set tree (up to 2^depth validators).
    #[arg(long, default_value_t = 8)]
    pub depth: usize,
    /// Signer slots: the most attestations one proof carries.
    #[arg(long, default_value_t = 8)]
    pub slots: usize,
}

/// `stateproof bench`'s arguments.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// log2 sizes for MSM and NTT, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![10u32, 12, 14])]
    pub sizes: Vec<u32>,
    /// Transfer slots of the benchmarked proofs (depth 16), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 2])]
    pub proof_slots: Vec<usize>,
    /// Repetitions of each measurement.
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Leave the GPU out even when an adapter exists.
    #[arg(long)]
    pub no_gpu: bool,
    /// GPU adapter index (see `stateproof devices`); default: the best one.
    #[arg(long, env = "STATEPROOF_GPU_DEVICE")]
    pub device: Option<usize>,
    /// Precomputed copies of the GPU MSM's bases (1 to 8).
    #[arg(long, env = "STATEPROOF_MSM_PRECOMPUTE")]
    pub precompute: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "bench-report")]
    pub out: PathBuf,
}

impl BenchArgs {
    pub fn plan(&self) -> Result<BenchPlan, AppError> {
        let backend = BackendArgs {
            backend: Backend::Gpu,
            device: self.device,
            precompute: self.precompute,
            msm_tables_mb: 0,
        };
        Ok(BenchPlan {
            log_sizes: self.sizes.clone(),
            proof_slots: self.proof_slots.clone(),
            reps: self.reps,
            gpu: !self.no_gpu,
            gpu_config: backend.options()?.gpu,
        })
    }
}

/// `stateproof simulate compute`'s arguments.
#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Price per node.
    #[arg(long, default_value_t = 100)]
    price: u64,
    /// Collateral per node.
    #[arg(long, default_value_t = 300)]
    collateral: u64,
    /// Replication factor.
    #[arg(long, default_value_t = 3)]
    k: usize,
    /// Mediation fee.
    #[arg(long, default_value_t = 20)]
    fee: u64,
    /// What computing a job costs a node.
    #[arg(long, default_value_t = 40)]
    compute_cost: u64,
    /// Probability that a client checks a unanimous result.
    #[arg(long, default_value_t = 0.2)]
    mediation_probability: f64,
    /// Mediators per committee.
    #[arg(long, default_value_t = 7)]
    committee: u64,
    /// Mediators in the pool.
    #[arg(long, default_value_t = 50)]
    pool: u64,
    /// Pool mediators colluding with a dishonest client.
    #[arg(long, default_value_t = 5)]
    colluders: u64,
    /// Deals per strategy.
    #[arg(long, default_value_t = 20_000)]
    deals: usize,
    /// Seed of the random draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also sweep collateral and mediation probability.
    #[arg(long)]
    pub sweep: bool,
}

impl SimulateArgs {
    /// The simulation's parameters, with the default rules.
    pub fn params(&self) -> Params {
        Params {
            price: self.price,
            collateral: self.collateral,
            k: self.k,
            mediation_fee: self.fee,
            compute_cost: self.compute_cost,
            mediation_probability: self.mediation_probability,
            committee: self.committee,
            pool: self.pool,
            colluders: self.colluders,
            rules: default_rules(),
            quorum: Threshold::TWO_THIRDS,
            deals: self.deals,
            seed: self.seed,
        }
    }
}

/// The adapters `stateproof devices` lists.
pub struct Devices(pub Vec<AdapterReport>);

impl Serialize for Devices {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let list: Vec<serde_json::Value> = self
            .0
            .iter()
            .map(|a| {
                serde_json::json!({
                    "index": a.index, "name": a.name, "backend": a.backend,
                    "device_type": a.device_type, "driver": a.driver,
                    "shader_int64": a.shader_int64, "max_storage_binding": a.max_storage_binding,
                    "max_buffer": a.max_buffer, "max_workgroup_storage": a.max_workgroup_storage,
                    "max_invocations": a.max_invocations,
                    "subgroup_sizes": [a.subgroup_sizes.0, a.subgroup_sizes.1],
                })
            })
            .collect();
        list.serialize(s)
    }
}

impl std::fmt::Display for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return write!(
                f,
                "no GPU adapter found (on Debian, `apt-get install mesa-vulkan-drivers` gives a software one)"
            );
        }
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(
                f,
                "[{}] {} ({}, {}, driver {})",
                a.index, a.name, a.backend, a.device_type, a.driver
            )?;
            write!(
                f,
                "    SHADER_INT64 {}  max storage binding {} MiB  max buffer {} MiB  workgroup memory {} KiB  invocations {}  subgroups {}-{}",
                if a.shader_int64 { "yes" } else { "no" },
                a.max_storage_binding >> 20,
                a.max_buffer >> 20,
                a.max_workgroup_storage >> 10,
                a.max_invocations,
                a.subgroup_sizes.0,
                a.subgroup_sizes.1
            )?;
        }
        Ok(())
    }
}

/// An update file, given positionally or as `--update` (every command that
/// reads one takes both).
#[derive(clap::Args, Debug)]
pub struct UpdateArg {
    /// The compressed update.
    #[arg(value_name = "UPDATE", required_unless_present = "update_flag")]
    update: Option<PathBuf>,
    /// The compressed update (the same as UPDATE).
    #[arg(long = "update", id = "update_flag", value_name = "UPDATE", conflicts_with = "update")]
    update_flag: Option<PathBuf>,
}

impl UpdateArg {
    /// The file.
    pub fn path(&self) -> PathBuf {
        self.update.clone().or_else(|| self.update_flag.clone()).unwrap_or_default()
    }
}
