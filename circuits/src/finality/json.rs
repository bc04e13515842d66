//! JSON forms of validator sets, headers, attestations and double-sign
//! evidence. Field elements are canonical decimal strings; heights, indices
//! and stakes are JSON integers (u64).

use super::{Attestation, DoubleSign, Header, Validator, ValidatorSet};
use crate::babyjubjub::Point;
use crate::eddsa::{PublicKey, Signature};
use crate::field::{fr_to_string, parse_fr};
use crate::Result;
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
        self.attestations.iter().map(AttestationJson::to_attestation).collect()
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

fn key_from(xy: &[String; 2]) -> Result<PublicKey> {
    PublicKey::from_coordinates(parse_fr(&xy[0])?, parse_fr(&xy[1])?)
}

fn key_to(pk: &PublicKey) -> [String; 2] {
    [fr_to_string(&pk.0.x), fr_to_string(&pk.0.y)]
}

fn signature_from(r8: &[String; 2], s: &str) -> Result<Signature> {
    Ok(Signature {
        r8: Point::new_unchecked(parse_fr(&r8[0])?, parse_fr(&r8[1])?),
        s: parse_fr(s)?,
    })
}

fn signature_to(sig: &Signature) -> ([String; 2], String) {
    ([fr_to_string(&sig.r8.x), fr_to_string(&sig.r8.y)], fr_to_string(&sig.s))
}

impl SetJson {
    /// Builds the set, rejecting bad keys, repeated indices or keys, indices
    /// outside the tree and a total beyond `u64`.
    pub fn to_set(&self) -> Result<ValidatorSet> {
        let validators = self
            .validators
            .iter()
            .map(|v| {
                Ok((v.index, Validator { public_key: key_from(&v.public_key)?, stake: v.stake }))
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
                    public_key: key_to(&v.public_key),
                    stake: v.stake,
                })
                .collect(),
        }
    }
}

impl HeaderJson {
    /// The header, with canonical field elements.
    pub fn to_header(&self) -> Result<Header> {
        Ok(Header {
            height: self.height,
            prev_hash: parse_fr(&self.prev_hash)?,
            state_root: parse_fr(&self.state_root)?,
            next_set_root: parse_fr(&self.next_set_root)?,
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
            public_key: key_from(&self.public_key)?,
            signature: signature_from(&self.signature_r8, &self.signature_s)?,
        })
    }

    /// The JSON form of an attestation.
    pub fn from_attestation(a: &Attestation) -> Self {
        let (signature_r8, signature_s) = signature_to(&a.signature);
        Self { index: a.index, public_key: key_to(&a.public_key), signature_r8, signature_s }
    }
}

impl EvidenceJson {
    /// The evidence (its rules are checked when it is applied).
    pub fn to_evidence(&self) -> Result<DoubleSign> {
        let pair = |i: usize| -> Result<(Header, Signature)> {
            let (r8, s) = &self.signatures[i];
            Ok((self.headers[i].to_header()?, signature_from(r8, s)?))
        };
        Ok(DoubleSign {
            index: self.index,
            public_key: key_from(&self.public_key)?,
            first: pair(0)?,
            second: pair(1)?,
        })
    }

    /// The JSON form of evidence.
    pub fn from_evidence(e: &DoubleSign) -> Self {
        Self {
            index: e.index,
            public_key: key_to(&e.public_key),
            headers: [HeaderJson::from_header(&e.first.0), HeaderJson::from_header(&e.second.0)],
            signatures: [signature_to(&e.first.1), signature_to(&e.second.1)],
        }
    }
}
