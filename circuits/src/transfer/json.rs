//! JSON forms of states and batches, as `stateproof prove` reads them.
//! Field elements are canonical decimal strings; amounts, balances, nonces
//! and indices are JSON integers (u64).

use super::{Account, State, Transfer, TransferBatch};
use crate::babyjubjub::Point;
use crate::eddsa::{PublicKey, Signature};
use crate::field::{fr_to_string, parse_fr};
use crate::{Error, Result};
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

/// A batch file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BatchJson {
    /// Transfers in order.
    pub transfers: Vec<TransferJson>,
}

/// One signed transfer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TransferJson {
    /// Sender index.
    pub from: u64,
    /// Receiver index.
    pub to: u64,
    /// Receiver key `[x, y]`.
    pub to_public_key: [String; 2],
    /// Amount.
    pub amount: u64,
    /// Sender nonce.
    pub nonce: u64,
    /// Signature point `R8 = [x, y]`.
    pub signature_r8: [String; 2],
    /// Signature scalar `S`.
    pub signature_s: String,
}

fn key_from(xy: &[String; 2]) -> Result<PublicKey> {
    PublicKey::from_coordinates(parse_fr(&xy[0])?, parse_fr(&xy[1])?)
}

fn key_to(pk: &PublicKey) -> [String; 2] {
    [fr_to_string(&pk.0.x), fr_to_string(&pk.0.y)]
}

impl StateJson {
    /// Builds the state, rejecting bad keys, duplicate indices and indices
    /// outside the tree.
    pub fn to_state(&self) -> Result<State> {
        let mut state = State::new(self.depth)?;
        for a in &self.accounts {
            if state.account(a.index).is_some() {
                return Err(Error::Invalid {
                    what: "state",
                    reason: format!("account index {} appears twice", a.index),
                });
            }
            let account = Account {
                public_key: key_from(&a.public_key)?,
                balance: a.balance,
                nonce: a.nonce,
            };
            state.set_account(a.index, account)?;
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
                    public_key: key_to(&a.public_key),
                    balance: a.balance,
                    nonce: a.nonce,
                })
                .collect(),
        }
    }
}

impl BatchJson {
    /// Builds the batch, rejecting malformed keys and signature encodings
    /// (signatures themselves are checked when the batch is applied).
    pub fn to_batch(&self) -> Result<TransferBatch> {
        let transfers = self
            .transfers
            .iter()
            .map(|t| {
                let r8 = Point::new_unchecked(
                    parse_fr(&t.signature_r8[0])?,
                    parse_fr(&t.signature_r8[1])?,
                );
                Ok(Transfer {
                    from: t.from,
                    to: t.to,
                    to_public_key: key_from(&t.to_public_key)?,
                    amount: t.amount,
                    nonce: t.nonce,
                    signature: Signature { r8, s: parse_fr(&t.signature_s)? },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TransferBatch { transfers })
    }

    /// The JSON form of a batch.
    pub fn from_batch(batch: &TransferBatch) -> Self {
        Self {
            transfers: batch
                .transfers
                .iter()
                .map(|t| TransferJson {
                    from: t.from,
                    to: t.to,
                    to_public_key: key_to(&t.to_public_key),
                    amount: t.amount,
                    nonce: t.nonce,
                    signature_r8: [
                        fr_to_string(&t.signature.r8.x),
                        fr_to_string(&t.signature.r8.y),
                    ],
                    signature_s: fr_to_string(&t.signature.s),
                })
                .collect(),
        }
    }
}
