//! Intake: every submitted transaction is checked against the ledger after
//! everything accepted before it (the head), then made durable with the
//! others that arrived meanwhile in one commit (a group commit), and only
//! then acknowledged.
//!
//! One task owns the order of acceptance. Transfers come in groups:
//! signatures, the costly check, are verified in parallel over a group;
//! the ordered checks (nonces, balances) follow one by one against a
//! scratch copy of the accounts the group touches, which becomes the head
//! only once the group is on disk. A transaction of another kind (deals,
//! sponsorships) is decided alone, against a copy of the whole ledger
//! after everything accepted ([`Head::book`]), which replaces it once the
//! transaction is on disk.

use crate::ledger::{check_one, Refusal, Rules, Tx};
use crate::node::Shared;
use crate::store::{now_ms, StoredTx, TxStatus};
use rayon::prelude::*;
use stateproof_app::AppError;
use stateproof_circuits::book::{Book, Writes};
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
    /// The transaction, its fields checked.
    pub tx: Tx,
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

    fn refusal(r: Refusal) -> Self {
        Outcome::Refused { status: 422, rule: r.rule, message: r.message }
    }

    fn storage(e: impl std::fmt::Display) -> Self {
        Outcome::Refused {
            status: 503,
            rule: "storage",
            message: format!("the node could not store the transaction: {e}"),
        }
    }
}

/// The answer to a transaction of another kind than transfers on a node
/// that takes transfers alone.
fn not_taken(kind: &str) -> Outcome {
    Outcome::Refused {
        status: 422,
        rule: "kind-not-taken",
        message: format!(
            "this node takes transfers alone (it was made with --transfers-only, or before the \
             ledger took other kinds): no {kind} transactions"
        ),
    }
}

/// A transaction's id: its signed message's Poseidon hash, 64 hex digits
/// (big-endian).
pub fn transaction_id(t: &Transfer) -> String {
    use ark_ff::{BigInteger, PrimeField};
    hex::encode(t.message().into_bigint().to_bytes_be())
}

/// The ledger after everything accepted: what a new transaction is
/// checked against.
#[derive(Clone, Debug, Default)]
pub struct Head {
    accounts: HashMap<u64, Account>,
    /// The accounts each key holds (a key can hold several).
    by_key: HashMap<(Fr, Fr), BTreeSet<u64>>,
    /// The whole ledger, on a node that takes its other kinds; its
    /// accounts lag `accounts` by the `stale` ones, brought up to date
    /// before a transaction of another kind is checked.
    book: Option<Book>,
    stale: BTreeSet<u64>,
}

impl Head {
    /// The head over `book` (kept whole when `whole`: the node takes the
    /// ledger's other kinds).
    pub fn new(book: &Book, whole: bool) -> Self {
        let accounts = book.ledger().accounts.accounts().iter().map(|(i, a)| (*i, *a));
        let mut head = Self {
            accounts: HashMap::new(),
            by_key: HashMap::new(),
            book: whole.then(|| book.clone()),
            stale: BTreeSet::new(),
        };
        head.merge(accounts);
        head.stale.clear();
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
            if self.book.is_some() {
                self.stale.insert(index);
            }
        }
    }

    /// The whole ledger after everything accepted, its accounts brought up
    /// to date (`None` on a node that takes transfers alone).
    fn book(&mut self) -> Option<Result<&Book, String>> {
        let book = self.book.as_mut()?;
        for i in std::mem::take(&mut self.stale) {
            let account = self.accounts[&i];
            if let Err(e) = book.put_account(i, account) {
                return Some(Err(format!("account {i}: {e}")));
            }
        }
        Some(Ok(book))
    }

    /// Writes a transaction of another kind that [`Head::check_other`]
    /// passed to the head's ledger, and the accounts it changed to the
    /// head's accounts. (Nothing changed the head in between: the intake
    /// alone writes it, one decision at a time.)
    fn accept(&mut self, writes: Writes) -> Result<(), String> {
        let changed: Vec<(u64, Account)> = match &writes {
            Writes::Deals(w) => w.accounts().map(|(i, a)| (i, *a)).collect(),
            Writes::Members(_) => Vec::new(),
        };
        let book = self.book.as_mut().ok_or("the node takes transfers alone")?;
        book.write(writes).map_err(|e| e.to_string())?;
        self.merge(changed.iter().copied());
        for (i, _) in changed {
            self.stale.remove(&i);
        }
        Ok(())
    }

    /// Checks a transaction of another kind than transfers against the
    /// head at `now` (seconds): what it would write, the head unchanged
    /// (no copy of the ledger is made).
    fn check_other(&mut self, rules: &Rules, tx: &Tx, now: u64) -> Result<Writes, Outcome> {
        match self.book() {
            None => Err(not_taken(tx.kind().name())),
            Some(Err(e)) => Err(Outcome::storage(e)),
            Some(Ok(book)) => check_one(rules, book, tx, now).map_err(Outcome::refusal),
        }
    }

    /// Checks a stored transaction against the head and applies it: what
    /// a restart does with the stored transactions, in order.
    pub fn check_and_apply(
        &mut self,
        depth: usize,
        rules: Option<&Rules>,
        stored: &StoredTx,
    ) -> Result<(), String> {
        let t = match &stored.tx {
            Tx::Transfer(t) => t,
            other => {
                let rules = rules.ok_or_else(|| {
                    format!(
                        "a {} transaction on a node that takes transfers alone",
                        other.kind().name()
                    )
                })?;
                let writes = self.check_other(rules, other, stored.received_secs()).map_err(
                    |o| match o {
                        Outcome::Refused { rule, message, .. } => format!("{rule}: {message}"),
                        Outcome::Accepted { .. } => String::new(),
                    },
                )?;
                return self.accept(writes);
            }
        };
        if !fits(t.from, depth) || !fits(t.to, depth) {
            return Err(TransferRule::UnknownSender.to_string());
        }
        let mut view = View { head: self, scratch: HashMap::new() };
        view.check(t, None).map_err(|r| r.to_string())?;
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
    let mut next: Option<Submission> = None;
    loop {
        let first = match next.take() {
            Some(s) => s,
            None => match rx.recv().await {
                Some(s) => s,
                None => return,
            },
        };
        let first = match first.tx {
            Tx::Transfer(t) => (t, first.reply),
            tx => {
                decide_other(&shared, tx, first.reply).await;
                continue;
            }
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(Submission { tx: Tx::Transfer(t), reply }) => group.push((t, reply)),
                Ok(other) => {
                    next = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        decide_group(&shared, group).await;
    }
}

/// Decides a transaction of another kind than transfers, alone.
async fn decide_other(shared: &Shared, tx: Tx, reply: oneshot::Sender<Outcome>) {
    let started = Instant::now();
    let outcome = decide_other_outcome(shared, tx).await;
    shared.metrics.intake(std::slice::from_ref(&outcome), started.elapsed());
    let _ = reply.send(outcome);
}

async fn decide_other_outcome(shared: &Shared, tx: Tx) -> Outcome {
    let id = tx.id();
    // The same transaction again: idempotent on its way, a replay once
    // proven.
    match shared.store.status(&id).await {
        Ok(None) => {}
        Ok(Some(TxStatus::Proven(n))) => {
            return Outcome::Refused {
                status: 409,
                rule: "replay",
                message: format!("transaction {id} was already proven in update {n}"),
            }
        }
        Ok(Some(status)) => return Outcome::Accepted { id, status, duplicate: true },
        Err(e) => {
            return Outcome::Refused {
                status: 503,
                rule: "storage",
                message: format!("the node could not read its store: {e}"),
            }
        }
    }
    let received_ms = now_ms();
    let stored = StoredTx { id: id.clone(), tx, received_ms };
    let Some(rules) = shared.rules.as_ref() else {
        return not_taken(stored.tx.kind().name());
    };
    let checked = tokio::task::block_in_place(|| {
        let mut head = shared.head.write().expect("the head lock is not poisoned");
        head.check_other(rules, &stored.tx, stored.received_secs())
    });
    let writes = match checked {
        Ok(writes) => writes,
        Err(refused) => return refused,
    };
    if let Err(e) = shared.store.insert_transactions(std::slice::from_ref(&stored)).await {
        if let Err(e) = settle(shared, &id, e).await {
            tracing::error!("intake: {e}");
            return Outcome::storage(e);
        }
    }
    let accepted = shared.head.write().expect("the head lock is not poisoned").accept(writes);
    if let Err(e) = accepted {
        // Stored but not in the head: the head no longer matches the
        // store. Nothing later is decided against it; a restart rebuilds
        // it from the store.
        tracing::error!("intake: transaction {id} is stored but cannot be applied: {e}");
        return Outcome::storage(e);
    }
    shared.pool.lock().expect("the pool lock is not poisoned").push_back((stored, Instant::now()));
    shared.pool_changed.notify_one();
    Outcome::Accepted { id, status: TxStatus::Pending, duplicate: false }
}

/// A transfer's fate before the commit (one per submission of a group,
/// for the moment of the commit: the sizes do not matter).
#[allow(clippy::large_enum_variant)]
enum Decision {
    Accept(StoredTx),
    /// The nonce is not the next one: a duplicate, a replay or a bad nonce,
    /// which the store tells apart.
    Seen(String),
    Refuse(Outcome),
}

async fn decide_group(shared: &Shared, group: Vec<(Transfer, oneshot::Sender<Outcome>)>) {
    let started = Instant::now();
    let received_ms = now_ms();
    let depth = shared.meta.depth;
    let (decisions, scratch) = tokio::task::block_in_place(|| {
        let head = shared.head.read().expect("the head lock is not poisoned");
        let signatures: Vec<Option<bool>> = group
            .par_iter()
            .map(|(t, _)| {
                head.account(t.from).map(|a| a.public_key.verify(t.message(), &t.signature).is_ok())
            })
            .collect();
        let mut view = View { head: &head, scratch: HashMap::new() };
        let decisions: Vec<Decision> = group
            .iter()
            .zip(signatures)
            .map(|((t, _), sig)| {
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
                    Ok(()) => Decision::Accept(StoredTx { id, tx: Tx::Transfer(*t), received_ms }),
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
                Err(e) => Outcome::storage(e),
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
    for ((_, reply), outcome) in group.into_iter().zip(answers) {
        let _ = reply.send(outcome);
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
