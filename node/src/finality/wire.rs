//! The bodies of finality's part of the API, shared by the node and its
//! clients (validators, light clients). Field elements are canonical
//! decimal strings.

use serde::{Deserialize, Serialize};
use stateproof_circuits::finality::{
    Attestation, AttestationJson, AttestationsJson, EvidenceJson, HeaderJson, SetJson,
    ValidatorJson, ValidatorSet,
};
use stateproof_circuits::transfer::openapi_schema::{decimal, decimal_pair};
use utoipa::ToSchema;

/// A header: the state after proven update `height`, and the set that
/// signs the next one.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct HeaderView {
    /// Its height (0: genesis; `h`: after proven update `h`).
    pub height: u64,
    /// The parent header's hash, decimal (0 at genesis).
    pub prev_hash: String,
    /// The state root it finalises, decimal.
    pub state_root: String,
    /// The root of the set that signs the next header, decimal.
    pub next_set_root: String,
    /// Its hash, decimal: what validators sign (a validator recomputes it).
    pub hash: String,
    /// Whether its finality proof is published.
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// A page of headers.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HeadersPage {
    /// The headers, in height order.
    pub headers: Vec<HeaderView>,
    /// The height to ask from next.
    pub next: u64,
}

/// A validator's signature over a header's hash.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationPost {
    /// The header's height, from 1.
    pub height: u64,
    /// The header's hash the validator signed, decimal.
    #[schema(schema_with = decimal)]
    pub header_hash: String,
    /// The validator's index in the set.
    pub index: u64,
    /// Its key `[x, y]`, decimal.
    #[schema(schema_with = decimal_pair)]
    pub public_key: [String; 2],
    /// The signature's point `R8 = [x, y]`, decimal.
    #[schema(schema_with = decimal_pair)]
    pub signature_r8: [String; 2],
    /// The signature's scalar `S`, decimal.
    #[schema(schema_with = decimal)]
    pub signature_s: String,
}

/// An attestation kept.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AttestationAnswer {
    /// The header's height.
    pub height: u64,
    /// The stake that attested it so far.
    pub attested_stake: u64,
    /// The set's total stake.
    pub total_stake: u64,
    /// Whether the attested stake meets the threshold (more than 2/3).
    pub quorum: bool,
}

/// One of the two headers of double-sign evidence, with the offender's
/// signature over its hash.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedHeader {
    /// Height.
    pub height: u64,
    /// Parent hash, decimal.
    #[schema(schema_with = decimal)]
    pub prev_hash: String,
    /// State root, decimal.
    #[schema(schema_with = decimal)]
    pub state_root: String,
    /// Next set's root, decimal.
    #[schema(schema_with = decimal)]
    pub next_set_root: String,
    /// The signature's point `R8 = [x, y]`, decimal.
    #[schema(schema_with = decimal_pair)]
    pub signature_r8: [String; 2],
    /// The signature's scalar `S`, decimal.
    #[schema(schema_with = decimal)]
    pub signature_s: String,
}

/// Double-sign evidence: one validator's signatures over two different
/// headers of one height.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidencePost {
    /// The offender's index in the current set.
    pub index: u64,
    /// Its key `[x, y]`, decimal.
    #[schema(schema_with = decimal_pair)]
    pub public_key: [String; 2],
    /// One header and signature.
    pub first: SignedHeader,
    /// The other.
    pub second: SignedHeader,
}

impl EvidencePost {
    /// The circuits crate's file form of the same evidence.
    pub fn to_json(&self) -> EvidenceJson {
        let header = |h: &SignedHeader| HeaderJson {
            height: h.height,
            prev_hash: h.prev_hash.clone(),
            state_root: h.state_root.clone(),
            next_set_root: h.next_set_root.clone(),
        };
        let signature = |h: &SignedHeader| (h.signature_r8.clone(), h.signature_s.clone());
        EvidenceJson {
            index: self.index,
            public_key: self.public_key.clone(),
            headers: [header(&self.first), header(&self.second)],
            signatures: [signature(&self.first), signature(&self.second)],
        }
    }
}

/// A set-change request kept for proving.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EvidenceAnswer {
    /// The offender, for evidence.
    pub offender: Option<u64>,
    /// Always `queued`: the slashing is proven next, and a header not yet
    /// proposed names the slashed set.
    pub status: String,
}

/// A set change and the proof behind it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SetChangeView {
    /// Headers from this height on name the new set next.
    pub from_height: u64,
    /// `slash` (a proven double sign) or `quorum` (a new set signed by a
    /// quorum of the one before).
    pub kind: String,
    /// The validator slashed, for a slashing.
    pub offender: Option<u64>,
    /// The new set's root, decimal.
    pub set_root: String,
    /// The proof, hex: a double-sign-slash update (`old_set_root`,
    /// `new_set_root`, `offender`, `height`, both headers' hashes), or a
    /// set-change update (`set_root`: the old set, `data_commitment`:
    /// `Poseidon(SET_CHANGE_DOMAIN, old, new, n)`, `n` this change's index).
    pub update_hex: String,
}

/// Every set change so far.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SetChangesPage {
    /// In height order; the `n` of each is its index here.
    pub changes: Vec<SetChangeView>,
}

/// One validator of a proposed set.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposedValidator {
    /// Leaf index.
    pub index: u64,
    /// Public key `[x, y]`, decimal.
    #[schema(schema_with = decimal_pair)]
    pub public_key: [String; 2],
    /// Stake, above 0.
    pub stake: u64,
}

/// A member's signature over a set change.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSignature {
    /// The signer's index in the current set.
    pub index: u64,
    /// Its key `[x, y]`, decimal.
    #[schema(schema_with = decimal_pair)]
    pub public_key: [String; 2],
    /// The signature's point `R8 = [x, y]`, decimal.
    #[schema(schema_with = decimal_pair)]
    pub signature_r8: [String; 2],
    /// The signature's scalar `S`, decimal.
    #[schema(schema_with = decimal)]
    pub signature_s: String,
}

/// A new set, signed by a quorum of the current one.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetChangePost {
    /// The new set's tree depth (the current one's).
    pub depth: usize,
    /// Its validators.
    pub validators: Vec<ProposedValidator>,
    /// Signatures of current members over the change.
    pub attestations: Vec<ChangeSignature>,
}

impl SetChangePost {
    /// The new set and the attestations.
    pub fn parse(&self) -> Result<(ValidatorSet, Vec<Attestation>), String> {
        let set = SetJson {
            depth: self.depth,
            validators: self
                .validators
                .iter()
                .map(|v| ValidatorJson {
                    index: v.index,
                    public_key: v.public_key.clone(),
                    stake: v.stake,
                })
                .collect(),
        }
        .to_set()
        .map_err(|e| format!("validators: {e}"))?;
        let attestations = AttestationsJson {
            attestations: self
                .attestations
                .iter()
                .map(|a| AttestationJson {
                    index: a.index,
                    public_key: a.public_key.clone(),
                    signature_r8: a.signature_r8.clone(),
                    signature_s: a.signature_s.clone(),
                })
                .collect(),
        }
        .to_attestations()
        .map_err(|e| e.to_string())?;
        Ok((set, attestations))
    }

    /// The body for a new set and attestations.
    pub fn new(set: &ValidatorSet, attestations: &[Attestation]) -> Self {
        let json = SetJson::from_set(set);
        Self {
            depth: json.depth,
            validators: json
                .validators
                .into_iter()
                .map(|v| ProposedValidator {
                    index: v.index,
                    public_key: v.public_key,
                    stake: v.stake,
                })
                .collect(),
            attestations: AttestationsJson::from_attestations(attestations)
                .attestations
                .into_iter()
                .map(|a| ChangeSignature {
                    index: a.index,
                    public_key: a.public_key,
                    signature_r8: a.signature_r8,
                    signature_s: a.signature_s,
                })
                .collect(),
        }
    }
}

/// A header's finality proof.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FinalityView {
    /// The header's height.
    pub height: u64,
    /// Its hash, decimal.
    pub header_hash: String,
    /// Attestations the proof carries.
    pub signers: u64,
    /// The finality-quorum compressed update, hex (`FinalityClient` and
    /// `stateproof finality follow` verify it).
    pub update_hex: String,
}

/// A page of finality proofs.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FinalityPage {
    /// The proofs, in height order.
    pub proofs: Vec<FinalityView>,
    /// The height to ask from next.
    pub next: u64,
}
