//! The ledger's transactions beyond transfers: `deal open|result|mediate|
//! verdict|settle` (with `deal sign` and `deal attest` for the signatures
//! one party hands another) and `sponsor commit|reveal`.

use super::node::duration;
use super::output::Output;
use stateproof_app::AppError;
use stateproof_circuits::trust::Choice;
use stateproof_node::client::{self, SubmitReport};
use stateproof_node::ledger::Tx;
use std::path::PathBuf;
use std::time::Duration;

/// Where a transaction goes.
#[derive(clap::Args, Debug, Clone)]
pub struct SubmitArgs {
    /// The node's address.
    #[arg(long, default_value = "http://127.0.0.1:8545")]
    node: String,
    /// Wait this long for the transaction to be proven (`--wait` alone: 2
    /// minutes).
    #[arg(long, num_args = 0..=1, default_missing_value = "120s", value_parser = duration)]
    wait: Option<Duration>,
}

/// A choice: `cooperate` or `defect`.
fn choice(s: &str) -> Result<Choice, String> {
    match s {
        "cooperate" => Ok(Choice::Cooperate),
        "defect" => Ok(Choice::Defect),
        _ => Err(format!("expected cooperate or defect, got {s:?}")),
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum DealCommand {
    /// Signs a deal's terms (a JSON file: id, client, nodes, job, price,
    /// deposit, collateral, mediators, mediation_fee, deadline) with a
    /// party's key file, writing the signature for whoever opens it.
    Sign {
        #[arg(long)]
        terms: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Opens a deal: its terms and every party's signature (the client's
    /// first, then each node's in order); the deposit and collaterals are
    /// locked.
    Open {
        #[arg(long)]
        terms: PathBuf,
        /// A signature file from `deal sign`, once per party, in order.
        #[arg(long = "signature", required = true)]
        signatures: Vec<PathBuf>,
        #[command(flatten)]
        to: SubmitArgs,
    },
    /// Puts a node's result on the deal's record, signed with its key.
    Result {
        #[arg(long)]
        terms: PathBuf,
        /// The node's position among the deal's nodes, from 0.
        #[arg(long)]
        position: usize,
        /// The result (a field element, decimal).
        #[arg(long)]
        result: String,
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        to: SubmitArgs,
    },
    /// The client's call for mediation, once the results are in (or the
    /// deadline passed).
    Mediate {
        #[arg(long)]
        terms: PathBuf,
        /// The client's key file.
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        to: SubmitArgs,
    },
    /// A mediator's attestation of a verdict, written for whoever submits
    /// the verdict.
    Attest {
        #[arg(long)]
        terms: PathBuf,
        #[arg(long)]
        result: String,
        /// The mediator's index in its committee.
        #[arg(long)]
        index: u64,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Records the mediators' verdict on a deal in mediation: the result,
    /// a quorum's attestation files and the committee's validator-set file
    /// (its root the deal's `mediators`).
    Verdict {
        #[arg(long)]
        terms: PathBuf,
        #[arg(long)]
        result: String,
        #[arg(long)]
        committee: PathBuf,
        /// An attestation file from `deal attest`, once per mediator.
        #[arg(long = "attestation", required = true)]
        attestations: Vec<PathBuf>,
        #[command(flatten)]
        to: SubmitArgs,
    },
    /// Settles a deal from its record (anyone may: the payouts follow
    /// from the ledger alone).
    Settle {
        /// The deal id.
        #[arg(long)]
        id: u64,
        #[command(flatten)]
        to: SubmitArgs,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum SponsorCommand {
    /// A sponsor's signed commitment to its choice for a sponsorship (a
    /// JSON file: id, sponsors, candidate, defector_keys, epoch); the salt
    /// stays secret until the reveal.
    Commit {
        #[arg(long)]
        sponsorship: PathBuf,
        /// The sponsor's member index.
        #[arg(long)]
        member: u64,
        #[arg(long, value_parser = choice)]
        choice: Choice,
        /// A random field element, decimal.
        #[arg(long)]
        salt: String,
        /// The member's key file.
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        to: SubmitArgs,
    },
    /// Both sponsors' reveals (choice and salt, in the sponsorship's
    /// order): the candidate or the defector's keys are admitted, a
    /// defected-against sponsor suspended.
    Reveal {
        #[arg(long)]
        sponsorship: PathBuf,
        /// Each sponsor's choice, twice in order.
        #[arg(long = "choice", value_parser = choice, num_args = 1, required = true)]
        choices: Vec<Choice>,
        /// Each sponsor's salt, twice in order.
        #[arg(long = "salt", num_args = 1, required = true)]
        salts: Vec<String>,
        #[command(flatten)]
        to: SubmitArgs,
    },
}

fn submit(out: &Output, tx: Result<Tx, AppError>, to: &SubmitArgs) -> Result<(), AppError> {
    let report: SubmitReport = client::submit(&to.node, &tx?, to.wait)?;
    out.report(&report);
    Ok(())
}

pub fn deal(out: &Output, command: DealCommand) -> Result<(), AppError> {
    match command {
        DealCommand::Sign { terms, key, out: file } => {
            out.report(&client::sign_deal(&terms, &key, &file)?)
        }
        DealCommand::Attest { terms, result, index, key, out: file } => {
            out.report(&client::attest_verdict(&terms, &result, index, &key, &file)?)
        }
        DealCommand::Open { terms, signatures, to } => {
            submit(out, client::open_deal(&terms, &signatures), &to)?
        }
        DealCommand::Result { terms, position, result, key, to } => {
            submit(out, client::deal_result(&terms, position, &result, &key), &to)?
        }
        DealCommand::Mediate { terms, key, to } => {
            submit(out, client::deal_mediation(&terms, &key), &to)?
        }
        DealCommand::Verdict { terms, result, committee, attestations, to } => {
            submit(out, client::deal_verdict(&terms, &result, &committee, &attestations), &to)?
        }
        DealCommand::Settle { id, to } => submit(out, Ok(client::deal_settlement(id)), &to)?,
    }
    Ok(())
}

pub fn sponsor(out: &Output, command: SponsorCommand) -> Result<(), AppError> {
    match command {
        SponsorCommand::Commit { sponsorship, member, choice, salt, key, to } => {
            submit(out, client::sponsor_commit(&sponsorship, member, choice, &salt, &key), &to)
        }
        SponsorCommand::Reveal { sponsorship, choices, salts, to } => {
            let (Ok(choices), [a, b]) = (<[Choice; 2]>::try_from(choices), salts.as_slice()) else {
                return Err(AppError::invalid(
                    "give --choice and --salt twice each: the first sponsor's, then the second's",
                ));
            };
            submit(out, client::sponsor_reveal(&sponsorship, choices, [a, b]), &to)
        }
    }
}
