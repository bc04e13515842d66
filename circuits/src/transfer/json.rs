//! The JSON form of batches, as `stateproof prove` reads them. Field
//! elements are canonical decimal strings; amounts, nonces and indices are
//! JSON integers (u64). Errors name the field: `transfers[0].signature_s`.

use super::{Transfer, TransferBatch};
use crate::primitives::field::{
    key_from_strings, key_to_strings, signature_from_strings, signature_to_strings,
};
use crate::primitives::Result;
use serde::{Deserialize, Serialize};

/// A batch file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BatchJson {
    /// Transfers in order.
    pub transfers: Vec<TransferJson>,
}

/// One signed transfer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferJson {
    /// Sender index.
    pub from: u64,
    /// Receiver index.
    pub to: u64,
    /// Receiver key `[x, y]`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::decimal_pair))]
    pub to_public_key: [String; 2],
    /// Amount.
    pub amount: u64,
    /// Sender nonce.
    pub nonce: u64,
    /// Signature point `R8 = [x, y]`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::decimal_pair))]
    pub signature_r8: [String; 2],
    /// Signature scalar `S`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::decimal))]
    pub signature_s: String,
}

/// The schema of the field-element strings, for the node's API description.
/// A pattern cannot say "below r" or "on the curve": values it admits can
/// still be refused (`malformed-field`), and signatures are checked after.
#[cfg(feature = "openapi")]
pub mod schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
    use utoipa::openapi::RefOr;

    /// A canonical decimal string: no sign, no leading zeros, at most 77
    /// digits (r has 77).
    const DECIMAL: &str = "^(0|[1-9][0-9]{0,76})$";

    /// One field element's string.
    pub fn decimal() -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(DECIMAL))
            .description(Some("A field element below r, in canonical decimal"))
            .into()
    }

    /// A pair of them: a point `[x, y]`.
    pub fn decimal_pair() -> Schema {
        ArrayBuilder::new().items(RefOr::T(decimal())).min_items(Some(2)).max_items(Some(2)).into()
    }
}

impl BatchJson {
    /// Builds the batch, rejecting malformed keys and signature encodings
    /// (signatures themselves are checked when the batch is applied).
    pub fn to_batch(&self) -> Result<TransferBatch> {
        let transfers = self
            .transfers
            .iter()
            .enumerate()
            .map(|(i, t)| t.to_transfer().map_err(|e| e.at(format!("transfers[{i}]"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(TransferBatch { transfers })
    }

    /// The JSON form of a batch.
    pub fn from_batch(batch: &TransferBatch) -> Self {
        Self { transfers: batch.transfers.iter().map(TransferJson::from_transfer).collect() }
    }
}

impl TransferJson {
    /// The transfer, rejecting malformed keys and signature encodings (the
    /// signature itself is checked against the sender's key by the rules).
    pub fn to_transfer(&self) -> Result<Transfer> {
        Ok(Transfer {
            from: self.from,
            to: self.to,
            to_public_key: key_from_strings(&self.to_public_key)
                .map_err(|e| e.at("to_public_key"))?,
            amount: self.amount,
            nonce: self.nonce,
            signature: signature_from_strings(&self.signature_r8, &self.signature_s)?,
        })
    }

    /// The JSON form of a transfer.
    pub fn from_transfer(t: &Transfer) -> Self {
        let (signature_r8, signature_s) = signature_to_strings(&t.signature);
        Self {
            from: t.from,
            to: t.to,
            to_public_key: key_to_strings(&t.to_public_key),
            amount: t.amount,
            nonce: t.nonce,
            signature_r8,
            signature_s,
        }
    }
}
