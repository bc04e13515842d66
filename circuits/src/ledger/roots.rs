//! The ledger's one root: a commitment to its three parts (accounts, deals,
//! members), which every batch circuit takes as its public old and new
//! roots. A batch of one kind moves its own part and carries the others
//! through unchanged, so every update chains `old_root → new_root` whatever
//! its kind, and a light client follows them all with one rule.

use crate::primitives::poseidon::{poseidon, poseidon_gadget};
use crate::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// Domain tag of the ledger root (ASCII `sp:ledgr`).
pub const LEDGER_DOMAIN: u64 = 0x73_70_3a_6c_65_64_67_72;

/// The roots of the ledger's three parts. The ledger's root is
/// `Poseidon(LEDGER_DOMAIN, accounts, deals, members)`: one hash (240
/// constraints) at each end of a batch, and the tag keeps it apart from
/// every other four-input hash (an account leaf is one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerRoots {
    /// The account tree's root.
    pub accounts: Fr,
    /// The deal tree's root (0 for a ledger without deals).
    pub deals: Fr,
    /// The member tree's root (0 for a ledger without members).
    pub members: Fr,
}

impl LedgerRoots {
    /// A ledger of accounts alone, with no deal or member tree: what the
    /// transfer tools (`stateproof demo`, `prove`, the benchmarks) commit
    /// to. Its deal and member roots are 0, which no tree of either has.
    pub fn accounts_only(accounts: Fr) -> Self {
        Self { accounts, deals: Fr::from(0u64), members: Fr::from(0u64) }
    }

    /// The ledger's root.
    pub fn root(&self) -> Fr {
        poseidon(&[Fr::from(LEDGER_DOMAIN), self.accounts, self.deals, self.members])
            .expect("Poseidon(4) has parameters")
    }

    /// These roots with the account tree's replaced.
    pub fn with_accounts(self, accounts: Fr) -> Self {
        Self { accounts, ..self }
    }

    /// These roots with the deal tree's replaced.
    pub fn with_deals(self, deals: Fr) -> Self {
        Self { deals, ..self }
    }

    /// These roots with the member tree's replaced.
    pub fn with_members(self, members: Fr) -> Self {
        Self { members, ..self }
    }
}

/// The three roots as circuit variables.
#[derive(Clone)]
pub struct LedgerRootsVar {
    /// The account tree's root.
    pub accounts: FpVar<Fr>,
    /// The deal tree's root.
    pub deals: FpVar<Fr>,
    /// The member tree's root.
    pub members: FpVar<Fr>,
}

impl LedgerRootsVar {
    /// The roots as private witnesses, bound to the public `root`: the
    /// ledger root before a batch.
    pub fn opening(
        cs: &ConstraintSystemRef<Fr>,
        roots: &LedgerRoots,
        root: &FpVar<Fr>,
    ) -> Result<Self, SynthesisError> {
        let var = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let roots = Self {
            accounts: var(roots.accounts)?,
            deals: var(roots.deals)?,
            members: var(roots.members)?,
        };
        roots.root()?.enforce_equal(root)?;
        Ok(roots)
    }

    /// The ledger root over these parts.
    pub fn root(&self) -> Result<FpVar<Fr>, SynthesisError> {
        poseidon_gadget(&[
            FpVar::Constant(Fr::from(LEDGER_DOMAIN)),
            self.accounts.clone(),
            self.deals.clone(),
            self.members.clone(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    fn roots(a: u64, d: u64, m: u64) -> LedgerRoots {
        LedgerRoots { accounts: Fr::from(a), deals: Fr::from(d), members: Fr::from(m) }
    }

    #[test]
    fn each_part_moves_the_root() {
        let base = roots(1, 2, 3);
        let moved = [
            base.with_accounts(Fr::from(9u64)),
            base.with_deals(Fr::from(9u64)),
            base.with_members(Fr::from(9u64)),
        ];
        for m in moved {
            assert_ne!(m.root(), base.root());
        }
        // The parts are not interchangeable.
        assert_ne!(roots(2, 1, 3).root(), base.root());
        assert_ne!(roots(1, 3, 2).root(), base.root());
        // Tagged: not the bare four-input hash an account leaf is.
        let untagged =
            poseidon(&[Fr::from(0u64), base.accounts, base.deals, base.members]).unwrap();
        assert_ne!(untagged, base.root());
    }

    #[test]
    fn the_gadget_is_the_native_hash_and_binds_the_opening() {
        let base = roots(5, 6, 7);
        for (opened, ok) in [(base, true), (base.with_deals(Fr::from(8u64)), false)] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let root = FpVar::new_input(cs.clone(), || Ok(base.root())).unwrap();
            let var = LedgerRootsVar::opening(&cs, &opened, &root).unwrap();
            assert_eq!(var.root().unwrap().value().unwrap(), opened.root());
            assert_eq!(cs.is_satisfied().unwrap(), ok);
        }
    }
}
