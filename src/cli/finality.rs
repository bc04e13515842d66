//! `stateproof finality …` and `stateproof trustnet …`.

use super::args::{BackendArgs, SetShape, UpdateArg};
use super::output::Output;
use clap::Subcommand;
use stateproof_app::finality::{
    self as app, parse_threshold, DemoOptions, QuorumFiles, SlashFiles,
};
use stateproof_app::{follow, trustnet, AppError};
use stateproof_circuits::finality::{QuorumShape, StatementKind, Threshold};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum FinalityCommand {
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
        #[arg(long, default_value = "2/3", value_parser = parse_threshold)]
        threshold: Threshold,
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
        #[command(flatten)]
        files: QuorumArgs,
        /// The header (JSON).
        #[arg(long)]
        header: PathBuf,
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

/// The files of a quorum proof.
#[derive(clap::Args, Debug)]
pub struct QuorumArgs {
    /// Proving key from `finality setup` (or `trustnet setup`).
    #[arg(long)]
    pk: PathBuf,
    /// Verifying key: refuse a proving key that does not belong with it.
    #[arg(long)]
    vk: Option<PathBuf>,
    /// The signing validator set (JSON).
    #[arg(long)]
    set: PathBuf,
    /// The attestations (JSON).
    #[arg(long)]
    attestations: PathBuf,
}

impl QuorumArgs {
    fn files<'a>(&'a self, out: &'a std::path::Path) -> QuorumFiles<'a> {
        QuorumFiles {
            pk: &self.pk,
            vk: self.vk.as_deref(),
            set: &self.set,
            attestations: &self.attestations,
            out,
        }
    }
}

pub fn run_finality(out: &Output, command: FinalityCommand) -> Result<(), AppError> {
    match command {
        FinalityCommand::Demo { validators, heights, depth, backend, out: dir } => {
            let options = DemoOptions { validators, heights, depth, out: dir };
            out.report(&app::demo(out, &options, &backend.options()?)?);
        }
        FinalityCommand::Sample { depth, validators, out: dir } => {
            out.report(&app::sample(depth, validators, &dir)?)
        }
        FinalityCommand::Setup { shape, threshold, out: dir } => {
            let shape = QuorumShape {
                depth: shape.depth,
                slots: shape.slots,
                threshold,
                kind: StatementKind::Header,
            };
            out.report(&app::setup(out, shape, &dir, "finality")?);
        }
        FinalityCommand::SetupSlashing { depth, out: dir } => {
            out.report(&app::setup_slashing(out, depth, &dir)?)
        }
        FinalityCommand::Prove { files, header, out: path, backend } => {
            out.report(&app::prove(out, &files.files(&path), &header, &backend.options()?)?)
        }
        FinalityCommand::Slash { pk, vk, set, evidence, out: path, new_set, backend } => {
            let files = SlashFiles {
                pk: &pk,
                vk: vk.as_deref(),
                set: &set,
                evidence: &evidence,
                update: &path,
                new_set: new_set.as_deref(),
            };
            out.report(&app::slash(out, &files, &backend.options()?)?);
        }
        FinalityCommand::Follow { vk, genesis, state, updates } => {
            let report = follow::follow(&vk, genesis.as_deref(), state.as_deref(), &updates)?;
            let outcome = report.outcome();
            let ok = outcome.is_ok();
            return out.report_or_fail(&report, ok, || {
                outcome.err().unwrap_or_else(|| AppError::invalid(""))
            });
        }
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum TrustnetCommand {
    /// Prints a file's blake3 digest and its data commitment (a field element).
    Commit {
        /// The file (read as a stream).
        file: PathBuf,
    },
    /// Writes sample authorities and their signatures over FILE (demo keys).
    Sample {
        /// The data file.
        file: PathBuf,
        /// Authorities in the set (the set's validators).
        #[arg(long, alias = "authorities", default_value_t = 4)]
        validators: u64,
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
        #[command(flatten)]
        files: QuorumArgs,
        /// Where to write the update.
        #[arg(long, default_value = "agreement.bin")]
        out: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
        /// The data file.
        file: PathBuf,
    },
    /// Verifies that the authorities in --set all agree on FILE, by UPDATE.
    Verify {
        /// Agreement verifying key.
        #[arg(long)]
        vk: PathBuf,
        /// The authorities the client trusts (JSON).
        #[arg(long)]
        set: PathBuf,
        /// The data file.
        file: PathBuf,
        #[command(flatten)]
        update: UpdateArg,
    },
}

pub fn run_trustnet(out: &Output, command: TrustnetCommand) -> Result<(), AppError> {
    match command {
        TrustnetCommand::Commit { file } => out.report(&trustnet::commit(&file)?),
        TrustnetCommand::Sample { file, validators, depth, out: dir } => {
            out.report(&trustnet::sample(&file, validators, depth, &dir)?)
        }
        TrustnetCommand::Setup { shape, out: dir } => {
            let shape = QuorumShape {
                depth: shape.depth,
                slots: shape.slots,
                threshold: Threshold::ALL,
                kind: StatementKind::Data,
            };
            out.report(&app::setup(out, shape, &dir, "agreement")?);
        }
        TrustnetCommand::Prove { files, out: path, backend, file } => {
            out.report(&trustnet::prove(out, &files.files(&path), &file, &backend.options()?)?)
        }
        TrustnetCommand::Verify { vk, set, file, update } => {
            let report = trustnet::verify(&vk, &set, &file, &update.path())?;
            let (ok, reason) = (report.valid, report.reason.clone().unwrap_or_default());
            return out
                .report_or_fail(&report, ok, || AppError::invalid(format!("INVALID: {reason}")));
        }
    }
    Ok(())
}
