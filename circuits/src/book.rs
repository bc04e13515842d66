//! The whole ledger as one value: accounts and deals (the compute
//! module's [`Ledger`]) and members (the trust module's [`TrustLedger`]),
//! under one root. Each domain's state carries the roots of the parts it
//! does not own, as its circuits do; [`Book`] keeps those carried roots in
//! step, so that every batch of any kind applies to the same ledger and
//! its witness starts from the book's root.

use crate::compute::{
    self, ComputeError, Deal, Ledger, MediationRequest, MediationShape, MediationWitness,
    OpenWitness, ResultShape, ResultSubmission, ResultWitness, SettleShape, SettleWitness,
    Settlement, Verdict, VerdictShape, VerdictWitness,
};
use crate::finality::ValidatorSet;
use crate::ledger::{Account, LedgerRoots, State};
use crate::primitives::eddsa::Signature;
use crate::transfer::{self, TransferBatch, TransferError, TransferWitness};
use crate::trust::{self, Commit, CommitWitness, ResolveWitness, Reveal, TrustError, TrustLedger};
use crate::Fr;

/// What one native rule writes to the book (see [`Book::write`]).
#[derive(Clone, Debug)]
pub enum Writes {
    /// Accounts and a deal.
    Deals(Box<compute::DealWrites>),
    /// Members.
    Members(trust::MemberWrites),
}

/// Why [`Book::write`] failed: an index its check did not cover (a
/// caller's writes from another book).
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// Writing accounts and a deal.
    #[error(transparent)]
    Compute(#[from] ComputeError),
    /// Writing members.
    #[error(transparent)]
    Trust(#[from] TrustError),
}

/// Accounts, deals and members, with one root.
#[derive(Clone, Debug)]
pub struct Book {
    ledger: Ledger,
    members: TrustLedger,
}

impl Book {
    /// A book over `accounts` with an empty deal tree of `deal_depth` and
    /// the member tree `members`.
    pub fn new(
        accounts: State,
        deal_depth: usize,
        members: TrustLedger,
    ) -> Result<Self, ComputeError> {
        Ok(Self::of(Ledger::new(accounts, deal_depth)?, members))
    }

    /// The book of `ledger` and `members`, their carried roots set from
    /// each other.
    pub fn of(mut ledger: Ledger, mut members: TrustLedger) -> Self {
        ledger.members_root = members.tree().root();
        members.accounts_root = ledger.accounts.root().0;
        members.deals_root = ledger.deal_tree().root();
        Self { ledger, members }
    }

    /// The ledger's parts.
    pub fn roots(&self) -> LedgerRoots {
        self.ledger.roots()
    }

    /// The ledger's root.
    pub fn root(&self) -> Fr {
        self.ledger.root()
    }

    /// Accounts and deals.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Members.
    pub fn members(&self) -> &TrustLedger {
        &self.members
    }

    /// Sets account `index` outside any batch: for a view of the ledger
    /// after transactions checked elsewhere (a node's intake checks
    /// transfers against its accounts alone and brings this view up to
    /// date before a transaction of another kind is checked against it).
    pub fn put_account(&mut self, index: u64, account: Account) -> Result<(), TransferError> {
        self.ledger.accounts.set_account(index, account)?;
        self.members.accounts_root = self.ledger.accounts.root().0;
        Ok(())
    }

    /// Writes what one native rule's check worked out, outside any batch:
    /// a node checks each transaction as it arrives against the book
    /// (`Ledger::check_*`, `TrustLedger::check_*`, which change nothing),
    /// stores it, and then writes it, without copying the ledger.
    pub fn write(&mut self, writes: Writes) -> Result<(), BookError> {
        match writes {
            Writes::Deals(w) => {
                self.ledger.write(*w)?;
                self.members.accounts_root = self.ledger.accounts.root().0;
                self.members.deals_root = self.ledger.deal_tree().root();
            }
            Writes::Members(w) => {
                self.members.write(w)?;
                self.ledger.members_root = self.members.tree().root();
            }
        }
        Ok(())
    }

    /// A batch of transfers (see [`transfer::apply_batch`]).
    pub fn transfer(
        &self,
        batch: &TransferBatch,
        slots: usize,
    ) -> Result<(Self, TransferWitness), TransferError> {
        let (accounts, w) =
            transfer::apply_batch(&self.ledger.accounts, &self.roots(), batch, slots)?;
        let mut ledger = self.ledger.clone();
        ledger.accounts = accounts;
        Ok((Self::of(ledger, self.members.clone()), w))
    }

    /// A batch of deal openings (see [`compute::open_batch`]).
    pub fn open(
        &self,
        deals: &[(Deal, Vec<Signature>)],
        k: usize,
        slots: usize,
    ) -> Result<(Self, OpenWitness), ComputeError> {
        let (ledger, w) = compute::open_batch(&self.ledger, deals, k, slots)?;
        Ok((Self::of(ledger, self.members.clone()), w))
    }

    /// A batch of results put on the record (see [`compute::submit_batch`]).
    pub fn submit(
        &self,
        submissions: &[ResultSubmission],
        shape: &ResultShape,
        now: u64,
    ) -> Result<(Self, ResultWitness), ComputeError> {
        let (ledger, w) = compute::submit_batch(&self.ledger, submissions, shape, now)?;
        Ok((Self::of(ledger, self.members.clone()), w))
    }

    /// A batch of calls for mediation (see [`compute::mediate_batch`]).
    pub fn mediate(
        &self,
        requests: &[MediationRequest],
        shape: &MediationShape,
        now: u64,
    ) -> Result<(Self, MediationWitness), ComputeError> {
        let (ledger, w) = compute::mediate_batch(&self.ledger, requests, shape, now)?;
        Ok((Self::of(ledger, self.members.clone()), w))
    }

    /// A batch of mediators' verdicts (see [`compute::decide_batch`]).
    pub fn decide(
        &self,
        verdicts: &[Verdict],
        committees: &[ValidatorSet],
        shape: &VerdictShape,
    ) -> Result<(Self, VerdictWitness), ComputeError> {
        let (ledger, w) = compute::decide_batch(&self.ledger, verdicts, committees, shape)?;
        Ok((Self::of(ledger, self.members.clone()), w))
    }

    /// A batch of settlements (see [`compute::settle_batch`]).
    pub fn settle(
        &self,
        settlements: &[Settlement],
        shape: &SettleShape,
        now: u64,
    ) -> Result<(Self, SettleWitness), ComputeError> {
        let (ledger, w) = compute::settle_batch(&self.ledger, settlements, shape, now)?;
        Ok((Self::of(ledger, self.members.clone()), w))
    }

    /// A batch of sponsorship commitments (see [`trust::commit_batch`]).
    pub fn commit(
        &self,
        commits: &[Commit],
        epoch: u64,
        slots: usize,
    ) -> Result<(Self, CommitWitness), TrustError> {
        let (members, w) = trust::commit_batch(&self.members, commits, epoch, slots)?;
        Ok((Self::of(self.ledger.clone(), members), w))
    }

    /// A batch of sponsorship reveals (see [`trust::resolve_batch`]).
    pub fn resolve(
        &self,
        reveals: &[Reveal],
        slots: usize,
    ) -> Result<(Self, ResolveWitness), TrustError> {
        let (members, w) = trust::resolve_batch(&self.members, reveals, slots)?;
        Ok((Self::of(self.ledger.clone(), members), w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{sample_key, sample_sponsorship};
    use crate::transfer::{Transfer, TransferBatchCircuit};
    use crate::trust::{AdmissionRules, Choice, CommitCircuit};
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

    fn satisfied(c: impl ConstraintSynthesizer<Fr>) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        c.generate_constraints(cs.clone()).unwrap();
        cs.is_satisfied().unwrap()
    }

    /// A transfer moves the accounts; the sponsorship commit after it starts
    /// from the book's new root (the members carry the new account root),
    /// and the transfer after that from the commit's.
    #[test]
    fn batches_of_any_kind_chain_one_root() {
        let mut accounts = State::new(3).unwrap();
        for i in 0..2 {
            let a = Account { public_key: sample_key(i).public_key(), balance: 100, nonce: 0 };
            accounts.set_account(i, a).unwrap();
        }
        let rules = AdmissionRules { suspension: 2, period: 2 };
        let members = TrustLedger::new(3, (0..2).map(|i| (i, sample_key(i).public_key())), rules);
        let book = Book::new(accounts, 2, members.unwrap()).unwrap();
        let pay = |nonce| {
            let t = Transfer::sign(&sample_key(0), 0, 1, sample_key(1).public_key(), 5, nonce);
            TransferBatch { transfers: vec![t] }
        };
        let (paid, w1) = book.transfer(&pay(0), 1).unwrap();
        assert_eq!((w1.old_root, w1.new_root), (book.root(), paid.root()));
        assert!(satisfied(TransferBatchCircuit { witness: w1 }));
        assert_eq!(paid.members().root(), paid.root());

        let s = sample_sponsorship(1, [0, 1], 0);
        let commit = Commit::sign(&sample_key(0), 0, &s, Choice::Cooperate, Fr::from(3u64));
        let (committed, w2) = paid.commit(&[commit], 0, 1).unwrap();
        assert_eq!((w2.old_root, w2.new_root), (paid.root(), committed.root()));
        assert!(satisfied(CommitCircuit { witness: w2 }));
        assert_eq!(committed.roots().accounts, paid.roots().accounts);

        let (again, w3) = committed.transfer(&pay(1), 1).unwrap();
        assert_eq!((w3.old_root, w3.new_root), (committed.root(), again.root()));
        assert_eq!(again.roots().members, committed.roots().members);
        assert!(satisfied(TransferBatchCircuit { witness: w3 }));
    }
}
