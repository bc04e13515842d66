//! JSON forms of validator sets, headers, attestations and double-sign
//! evidence. Field elements are canonical decimal strings; heights, indices
//! and stakes are JSON integers (u64).

use super::Result;
use super::{Attestation, DoubleSign, Header, Validator, ValidatorSet};
use crate::primitives::eddsa::Signature;
use crate::primitives::field::{
    fr_to_string, key_from_strings, key_to_strings, parse_fr, point_from_strings,
    signature_from_strings, signature_to_strings,
};
use crate::primitives::Error;
use serde::{Deserialize, Serialize};

/// A validator-set file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SetJson {
    /// Tree depth.
    pub depth: usize,
    /// Validators (slashed ones with stake 0).
    pub validators: Vec<ValidatorJson>,
}

/// One validator.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ValidatorJson {
    /// Leaf index.
    pub index: u64,
    /// Public key `[x, y]`.
    pub public_key: [String; 2],
    /// Stake.
    pub stake: u64,
}

/// A header.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HeaderJson {
    /// Height.
    pub height: u64,
    /// Parent hash.
    pub prev_hash: String,
    /// Finalised state root.
    pub state_root: String,
    /// Next validator set's root.
    pub next_set_root: String,
}

/// One attestation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AttestationJson {
    /// Signer index.
    pub index: u64,
    /// Signer key `[x, y]`.
    pub public_key: [String; 2],
    /// Signature point `R8 = [x, y]`.
    pub signature_r8: [String; 2],
    /// Signature scalar `S`.
    pub signature_s: String,
}

/// An attestations file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AttestationsJson {
    /// The attestations, in any order.
    pub attestations: Vec<AttestationJson>,
}

impl AttestationsJson {
    /// The attestations.
    pub fn to_attestations(&self) -> Result<Vec<Attestation>> {
        self.attestations
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.to_attestation().map_err(|e| match e {
                    super::FinalityError::Primitive(e) => e.at(format!("attestations[{i}]")).into(),
                    other => other,
                })
            })
            .collect()
    }

    /// The JSON form of attestations.
    pub fn from_attestations(attestations: &[Attestation]) -> Self {
        Self { attestations: attestations.iter().map(AttestationJson::from_attestation).collect() }
    }
}

/// Double-sign evidence: one validator, two signed headers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EvidenceJson {
    /// Offender index.
    pub index: u64,
    /// Offender key `[x, y]`.
    pub public_key: [String; 2],
    /// The two headers.
    pub headers: [HeaderJson; 2],
    /// The two signatures `[[R8.x, R8.y], S]`.
    pub signatures: [([String; 2], String); 2],
}

impl SetJson {
    /// Builds the set, rejecting bad keys, repeated indices or keys, indices
    /// outside the tree and a total beyond `u64`.
    pub fn to_set(&self) -> Result<ValidatorSet> {
        let validators = self
            .validators
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let public_key = key_from_strings(&v.public_key)
                    .map_err(|e| e.at("public_key").at(format!("validators[{i}]")))?;
                Ok((v.index, Validator { public_key, stake: v.stake }))
            })
            .collect::<Result<Vec<_>>>()?;
        ValidatorSet::with_slashed(self.depth, validators)
    }

    /// The JSON form of a set.
    pub fn from_set(set: &ValidatorSet) -> Self {
        Self {
            depth: set.depth(),
            validators: set
                .members()
                .iter()
                .map(|(index, v)| ValidatorJson {
                    index: *index,
                    public_key: key_to_strings(&v.public_key),
                    stake: v.stake,
                })
                .collect(),
        }
    }
}

impl HeaderJson {
    /// The header, with canonical field elements.
    pub fn to_header(&self) -> Result<Header, Error> {
        let field = |text: &str, name: &str| parse_fr(text).map_err(|e| e.at(name));
        Ok(Header {
            height: self.height,
            prev_hash: field(&self.prev_hash, "prev_hash")?,
            state_root: field(&self.state_root, "state_root")?,
            next_set_root: field(&self.next_set_root, "next_set_root")?,
        })
    }

    /// The JSON form of a header.
    pub fn from_header(h: &Header) -> Self {
        Self {
            height: h.height,
            prev_hash: fr_to_string(&h.prev_hash),
            state_root: fr_to_string(&h.state_root),
            next_set_root: fr_to_string(&h.next_set_root),
        }
    }
}

impl AttestationJson {
    /// The attestation (its signature is checked by the quorum rule).
    pub fn to_attestation(&self) -> Result<Attestation> {
        Ok(Attestation {
            index: self.index,
            public_key: key_from_strings(&self.public_key).map_err(|e| e.at("public_key"))?,
            signature: signature_from_strings(&self.signature_r8, &self.signature_s)?,
        })
    }

    /// The JSON form of an attestation.
    pub fn from_attestation(a: &Attestation) -> Self {
        let (signature_r8, signature_s) = signature_to_strings(&a.signature);
        Self {
            index: a.index,
            public_key: key_to_strings(&a.public_key),
            signature_r8,
            signature_s,
        }
    }
}

impl EvidenceJson {
    /// The evidence (its rules are checked when it is applied).
    pub fn to_evidence(&self) -> Result<DoubleSign> {
        let pair = |i: usize| -> Result<(Header, Signature), Error> {
            let (r8, s) = &self.signatures[i];
            let header = self.headers[i].to_header().map_err(|e| e.at(format!("headers[{i}]")))?;
            let at = |e: Error, j: usize| e.at(format!("[{j}]")).at(format!("signatures[{i}]"));
            let r8 = point_from_strings(r8).map_err(|e| at(e, 0))?;
            let s = parse_fr(s).map_err(|e| at(e, 1))?;
            Ok((header, Signature { r8, s }))
        };
        Ok(DoubleSign {
            index: self.index,
            public_key: key_from_strings(&self.public_key).map_err(|e| e.at("public_key"))?,
            first: pair(0)?,
            second: pair(1)?,
        })
    }

    /// The JSON form of evidence.
    pub fn from_evidence(e: &DoubleSign) -> Self {
        Self {
            index: e.index,
            public_key: key_to_strings(&e.public_key),
            headers: [HeaderJson::from_header(&e.first.0), HeaderJson::from_header(&e.second.0)],
            signatures: [signature_to_strings(&e.first.1), signature_to_strings(&e.second.1)],
        }
    }
}
