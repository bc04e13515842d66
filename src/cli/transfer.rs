//! Transfer commands: demo, keys, sign, sample, setup, prove, verify.

use super::args::{BackendArgs, UpdateArg};
use super::output::Output;
use stateproof_app::transfer::{self as app, ProveFiles};
use stateproof_app::userkeys::{self, TransferOrder};
use stateproof_app::AppError;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Account tree depth.
    #[arg(long, default_value_t = 32)]
    depth: usize,
    /// Transfer slots in the circuit (the batch fills them all).
    #[arg(long, default_value_t = 4)]
    slots: usize,
    #[command(flatten)]
    backend: BackendArgs,
}

pub fn demo(out: &Output, a: DemoArgs) -> Result<(), AppError> {
    let report = app::demo(out, a.depth, a.slots, &a.backend.options()?)?;
    let ok = report.valid;
    let reason = report.reason.clone().unwrap_or_default();
    out.report_or_fail(&report, ok, || {
        AppError::invalid(format!("the demo's own proof did not verify: {reason}"))
    })
}

#[derive(clap::Subcommand, Debug)]
pub enum KeysCommand {
    /// Makes a key from the operating system's randomness and writes its
    /// file (never overwriting one; owner-only permissions).
    New {
        /// The key file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Prints a key file's public key as `x,y` (what `--to-key` takes).
    Show {
        /// The key file.
        file: PathBuf,
    },
}

pub fn keys(out: &Output, command: KeysCommand) -> Result<(), AppError> {
    match command {
        KeysCommand::New { out: path } => out.report(&userkeys::new_key(&path)?),
        KeysCommand::Show { file } => out.report(&userkeys::show_key(&file)?),
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// The sender's key file (from `stateproof keys new`).
    #[arg(long)]
    key: PathBuf,
    /// The sender's account.
    #[arg(long)]
    from: u64,
    /// The receiver's account.
    #[arg(long)]
    to: u64,
    /// The receiver's public key: a key file, or `x,y` in decimal (`keys
    /// show` prints it).
    #[arg(long)]
    to_key: String,
    /// Amount.
    #[arg(long)]
    amount: u64,
    /// The sender's nonce (its transfers so far).
    #[arg(long)]
    nonce: u64,
    /// The batch file to add the transfer to (created when missing).
    #[arg(long, default_value = "batch.json")]
    batch: PathBuf,
}

pub fn sign(out: &Output, a: SignArgs) -> Result<(), AppError> {
    let key = userkeys::read_key(&a.key)?;
    let order = TransferOrder {
        from: a.from,
        to: a.to,
        to_public_key: userkeys::read_public_key(&a.to_key)?,
        amount: a.amount,
        nonce: a.nonce,
    };
    out.report(&userkeys::sign_transfer(&key, &order, &a.batch)?);
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// Account tree depth.
    #[arg(long, default_value_t = 32)]
    depth: usize,
    /// Accounts in the genesis state.
    #[arg(long, default_value_t = 4)]
    accounts: u64,
    /// Transfers in the batch.
    #[arg(long, default_value_t = 4)]
    transfers: usize,
    /// Key files (from `stateproof keys new`) that own accounts 0, 1, ...
    /// and sign their transfers; the other accounts use public sample seeds.
    #[arg(long = "key")]
    keys: Vec<PathBuf>,
    /// Output directory (state.json, batch.json).
    #[arg(long, default_value = ".")]
    out: PathBuf,
}

pub fn sample(out: &Output, a: SampleArgs) -> Result<(), AppError> {
    let keys = userkeys::read_keys(&a.keys)?;
    out.report(&app::sample(a.depth, a.accounts, a.transfers, &keys, &a.out)?);
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct SetupArgs {
    /// Account tree depth.
    #[arg(long, default_value_t = 32)]
    depth: usize,
    /// Transfer slots per batch.
    #[arg(long, default_value_t = 4)]
    slots: usize,
    /// Output directory (transfer.pk, transfer.vk).
    #[arg(long, default_value = ".")]
    out: PathBuf,
}

pub fn setup(out: &Output, a: SetupArgs) -> Result<(), AppError> {
    out.report(&app::setup(out, a.depth, a.slots, &a.out)?);
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ProveArgs {
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
    #[command(flatten)]
    backend: BackendArgs,
}

pub fn prove(out: &Output, a: ProveArgs) -> Result<(), AppError> {
    let files = ProveFiles {
        pk: &a.pk,
        vk: a.vk.as_deref(),
        state: &a.state,
        batch: &a.batch,
        update: &a.out,
        new_state: a.new_state.as_deref(),
    };
    out.report(&app::prove(out, files, &a.backend.options()?)?);
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Verifying key from `stateproof setup`.
    #[arg(long)]
    vk: PathBuf,
    #[command(flatten)]
    update: UpdateArg,
    /// Also require the update to start from this trusted root (decimal).
    #[arg(long)]
    root: Option<String>,
}

pub fn verify(out: &Output, a: VerifyArgs) -> Result<(), AppError> {
    let report = app::verify(&a.vk, &a.update.path(), a.root.as_deref())?;
    let (ok, reason) = (report.valid, report.reason.clone().unwrap_or_default());
    out.report_or_fail(&report, ok, || AppError::invalid(format!("INVALID: {reason}")))
}
