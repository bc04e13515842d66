//! The JSON form of a ledger state, as `stateproof prove` reads it: field
//! elements as canonical decimal strings, balances, nonces and indices as
//! JSON integers.

use super::{Account, State};
use crate::primitives::field::{key_from_strings, key_to_strings};
use crate::primitives::{Error, Result};
use serde::{Deserialize, Serialize};

/// A state file: tree depth and every account.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StateJson {
    /// Tree depth.
    pub depth: usize,
    /// Accounts in index order.
    pub accounts: Vec<AccountJson>,
}

/// One account of a state file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AccountJson {
    /// Leaf index.
    pub index: u64,
    /// Public key `[x, y]`.
    pub public_key: [String; 2],
    /// Balance.
    pub balance: u64,
    /// Nonce.
    pub nonce: u64,
}

impl StateJson {
    /// Builds the state, rejecting bad keys, duplicate indices and indices
    /// outside the tree.
    pub fn to_state(&self) -> Result<State> {
        let mut state = State::new(self.depth).map_err(|e| e.at("depth"))?;
        for (i, a) in self.accounts.iter().enumerate() {
            let at = |e: Error, field: &str| e.at(field).at(format!("accounts[{i}]"));
            if state.account(a.index).is_some() {
                let e = Error::Invalid { what: "state", reason: "this index appears twice".into() };
                return Err(at(e, "index"));
            }
            let public_key = key_from_strings(&a.public_key).map_err(|e| at(e, "public_key"))?;
            let account = Account { public_key, balance: a.balance, nonce: a.nonce };
            state.set_account(a.index, account).map_err(|e| at(e, "index"))?;
        }
        Ok(state)
    }

    /// The JSON form of a state.
    pub fn from_state(state: &State) -> Self {
        Self {
            depth: state.depth(),
            accounts: state
                .accounts()
                .iter()
                .map(|(index, a)| AccountJson {
                    index: *index,
                    public_key: key_to_strings(&a.public_key),
                    balance: a.balance,
                    nonce: a.nonce,
                })
                .collect(),
        }
    }
}
