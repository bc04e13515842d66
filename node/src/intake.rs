//! Intake: every submitted transfer is checked against the ledger after
//! everything accepted before it (the head), then made durable with the
//! others that arrived meanwhile in one commit (a group commit), and only
//! then acknowledged.
//!
//! One task owns the order of acceptance. Signatures, the costly check, are
//! verified in parallel over a group; the ordered checks (nonces, balances)
//! follow one by one against a scratch copy of the accounts the group
//! touches, which becomes the head only once the group is on disk.

use crate::node::Shared;
use crate::store::{StoredTx, TxStatus};
use rayon::prelude::*;
use stateproof_app::AppError;
use stateproof_circuits::ledger::Account;
use stateproof_circuits::primitives::eddsa::PublicKey;
use stateproof_circuits::transfer::{check_transfer_rules, Transfer, TransferRule};
use stateproof_circuits::Fr;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Most submissions decided and committed together.
const MAX_GROUP: usize = 512;

/// A submission and where its answer goes.
pub struct Submission {
    /// The signed transfer.
    pub transfer: Transfer,
    /// The answer.
    pub reply: oneshot::Sender<Outcome>,
}

/// What became of a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Durable and queued (or, with `duplicate`, queued before).
    Accepted {
        /// The id.
        id: String,
        /// Where it is (a duplicate may be past pending).
        status: TxStatus,
        /// An idempotent resubmission.
        duplicate: bool,
    },
    /// Refused: the HTTP status, the rule and a sentence.
    Refused {
        /// 4xx for the client's faults, 503 when the store failed.
        status: u16,
        /// The rule's name.
        rule: &'static str,
        /// What happened.
        message: String,
    },
}

impl Outcome {
    fn rule(rule: TransferRule) -> Self {
        Outcome::Refused {
            status: 422,
            rule: rule.name(),
            message: format!("the transfer breaks a rule: {rule}"),
        }
    }
}

/// A transaction's id: its signed message's Poseidon hash, 64 hex digits
/// (big-endian).
pub fn transaction_id(t: &Transfer) -> String {
    use ark_ff::{BigInteger, PrimeField};
    hex::encode(t.message().into_bigint().to_bytes_be())
}

/// The accounts after everything accepted: what a new transfer is checked
/// against.
#[derive(Clone, Debug, Default)]
pub struct Head {
    accounts: HashMap<u64, Account>,
    /// The accounts each key holds (a key can hold several).
    by_key: HashMap<(Fr, Fr), BTreeSet<u64>>,
}

impl Head {
    /// The head over `accounts`.
    pub fn new(accounts: impl IntoIterator<Item = (u64, Account)>) -> Self {
        let mut head = Self { accounts: HashMap::new(), by_key: HashMap::new() };
        head.merge(accounts);
        head
    }

    /// The account at `index` after everything accepted.
    pub fn account(&self, index: u64) -> Option<&Account> {
        self.accounts.get(&index)
    }

    /// The first `limit` accounts (by index) that `key` holds.
    pub fn accounts_of(&self, key: &PublicKey, limit: usize) -> Vec<u64> {
        let xy = (key.0.x, key.0.y);
        self.by_key.get(&xy).map_or(Vec::new(), |s| s.iter().take(limit).copied().collect())
    }

    /// Replaces accounts with their new values. (An account's key is set
    /// once, when it is opened, and never changes.)
    fn merge(&mut self, accounts: impl IntoIterator<Item = (u64, Account)>) {
        for (index, account) in accounts {
            let key = account.public_key.0;
            self.by_key.entry((key.x, key.y)).or_default().insert(index);
            self.accounts.insert(index, account);
        }
    }

    /// Checks `t` against the head and applies it: what a restart does with
    /// the stored transactions, in order.
    pub fn check_and_apply(&mut self, depth: usize, t: &Transfer) -> Result<(), TransferRule> {
        if !fits(t.from, depth) || !fits(t.to, depth) {
            return Err(TransferRule::UnknownSender);
        }
        let mut view = View { head: self, scratch: HashMap::new() };
        view.check(t, None)?;
        let scratch = view.scratch;
        self.merge(scratch);
        Ok(())
    }
}

/// Applies a checked transfer to `accounts`, reading missing accounts from
/// `fallback`.
fn apply_to(
    accounts: &mut HashMap<u64, Account>,
    t: &Transfer,
    fallback: impl Fn(u64) -> Option<Account>,
) {
    let get =
        |accounts: &HashMap<u64, Account>, i| accounts.get(&i).copied().or_else(|| fallback(i));
    let sender = get(accounts, t.from).expect("a checked transfer has a sender");
    accounts.insert(
        t.from,
        Account { balance: sender.balance - t.amount, nonce: sender.nonce + 1, ..sender },
    );
    let receiver = get(accounts, t.to).unwrap_or(Account {
        public_key: t.to_public_key,
        balance: 0,
        nonce: 0,
    });
    accounts.insert(t.to, Account { balance: receiver.balance + t.amount, ..receiver });
}

/// The head with a group's changes on top.
struct View<'a> {
    head: &'a Head,
    scratch: HashMap<u64, Account>,
}

impl View<'_> {
    fn get(&self, i: u64) -> Option<Account> {
        self.scratch.get(&i).or_else(|| self.head.account(i)).copied()
    }

    /// Checks `t` (`signature_ok`: verified already, or `None`) and applies
    /// it to the scratch accounts.
    fn check(&mut self, t: &Transfer, signature_ok: Option<bool>) -> Result<(), TransferRule> {
        let sender = self.get(t.from).ok_or(TransferRule::UnknownSender)?;
        let ok = signature_ok
            .unwrap_or_else(|| sender.public_key.verify(t.message(), &t.signature).is_ok());
        if !ok {
            return Err(TransferRule::BadSignature);
        }
        let receiver = if t.to == t.from { Some(sender) } else { self.get(t.to) };
        check_transfer_rules(&sender, receiver.as_ref(), t)?;
        let head = self.head;
        apply_to(&mut self.scratch, t, |i| head.account(i).copied());
        Ok(())
    }
}

/// Whether `index` fits a tree of `depth`.
pub fn fits(index: u64, depth: usize) -> bool {
    depth >= 64 || index >> depth == 0
}

/// The intake task: runs until every sender of submissions is gone.
pub async fn run(shared: Arc<Shared>, mut rx: mpsc::Receiver<Submission>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(s) => group.push(s),
                Err(_) => break,
            }
        }
        decide_group(&shared, group).await;
    }
}

/// A submission's fate before the commit.
enum Decision {
    Accept(StoredTx),
    /// The nonce is not the next one: a duplicate, a replay or a bad nonce,
    /// which the store tells apart.
    Seen(String),
    Refuse(Outcome),
}

async fn decide_group(shared: &Shared, group: Vec<Submission>) {
    let started = Instant::now();
    let depth = shared.meta.depth;
    let (decisions, scratch) = tokio::task::block_in_place(|| {
        let head = shared.head.read().expect("the head lock is not poisoned");
        let signatures: Vec<Option<bool>> = group
            .par_iter()
            .map(|s| {
                let t = &s.transfer;
                head.account(t.from).map(|a| a.public_key.verify(t.message(), &t.signature).is_ok())
            })
            .collect();
        let mut view = View { head: &head, scratch: HashMap::new() };
        let decisions: Vec<Decision> = group
            .iter()
            .zip(signatures)
            .map(|(s, sig)| {
                let t = &s.transfer;
                if !fits(t.from, depth) || !fits(t.to, depth) {
                    return Decision::Refuse(Outcome::Refused {
                        status: 422,
                        rule: "index-out-of-range",
                        message: format!(
                            "account indices must be below 2^{depth}: from {}, to {}",
                            t.from, t.to
                        ),
                    });
                }
                let id = transaction_id(t);
                match view.check(t, sig) {
                    Ok(()) => Decision::Accept(StoredTx { id, transfer: *t }),
                    Err(TransferRule::BadNonce) => Decision::Seen(id),
                    Err(rule) => Decision::Refuse(Outcome::rule(rule)),
                }
            })
            .collect();
        let scratch = view.scratch;
        (decisions, scratch)
    });
    let accepted: Vec<StoredTx> = decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Accept(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let stored = match accepted.first() {
        None => Ok(()),
        Some(first) => match shared.store.insert_transactions(&accepted).await {
            Ok(()) => Ok(()),
            Err(e) => settle(shared, &first.id, e).await,
        },
    };
    if let Err(e) = &stored {
        tracing::error!("intake: {e}");
    } else if !accepted.is_empty() {
        shared.head.write().expect("the head lock is not poisoned").merge(scratch);
        let now = Instant::now();
        {
            let mut pool = shared.pool.lock().expect("the pool lock is not poisoned");
            pool.extend(accepted.iter().cloned().map(|t| (t, now)));
        }
        shared.pool_changed.notify_one();
    }
    let mut answers = Vec::with_capacity(group.len());
    for d in decisions {
        let outcome = match d {
            Decision::Accept(t) => match &stored {
                Ok(()) => {
                    Outcome::Accepted { id: t.id, status: TxStatus::Pending, duplicate: false }
                }
                Err(e) => Outcome::Refused {
                    status: 503,
                    rule: "storage",
                    message: format!("the node could not store the transaction: {e}"),
                },
            },
            // A copy of a transaction in this group counts as a duplicate
            // only if the group was stored.
            Decision::Seen(id) => {
                let here = if stored.is_ok() { accepted.as_slice() } else { &[] };
                seen(shared, id, here).await
            }
            Decision::Refuse(o) => o,
        };
        answers.push(outcome);
    }
    shared.metrics.intake(&answers, started.elapsed());
    for (s, outcome) in group.into_iter().zip(answers) {
        let _ = s.reply.send(outcome);
    }
}

/// A commit that failed may still have been applied (the connection died
/// between the server's commit and its answer, as in a database restart).
/// Before anything else is decided, find out whether the group (one
/// transaction: all or none) is stored, by its first id, so that the
/// node's memory never disagrees with its store; while the store cannot
/// answer, ask again every second.
async fn settle(shared: &Shared, first: &str, error: AppError) -> Result<(), AppError> {
    let mut asking = false;
    loop {
        match shared.store.status(first).await {
            Ok(Some(_)) => {
                tracing::warn!("intake: {error}; yet the group was stored, so it is accepted");
                return Ok(());
            }
            Ok(None) => return Err(error),
            Err(e) => {
                if !asking {
                    tracing::warn!(
                        "intake: {error}; whether the group was stored is unknown ({e}); asking every second"
                    );
                    asking = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// A transfer whose nonce is not the sender's next: the same transaction
/// again (idempotent while it is on its way, a replay once proven), or a
/// wrong nonce.
async fn seen(shared: &Shared, id: String, accepted_here: &[StoredTx]) -> Outcome {
    if accepted_here.iter().any(|t| t.id == id) {
        return Outcome::Accepted { id, status: TxStatus::Pending, duplicate: true };
    }
    match shared.store.status(&id).await {
        Ok(Some(TxStatus::Proven(n))) => Outcome::Refused {
            status: 409,
            rule: "replay",
            message: format!("transaction {id} was already proven in update {n}"),
        },
        Ok(Some(status)) => Outcome::Accepted { id, status, duplicate: true },
        Ok(None) => Outcome::rule(TransferRule::BadNonce),
        Err(e) => Outcome::Refused {
            status: 503,
            rule: "storage",
            message: format!("the node could not read its store: {e}"),
        },
    }
}
