//! The JSON forms of deals, openings, results, verdicts and settlements.
//! Field elements are canonical decimal strings; amounts, times and indices
//! JSON integers. Errors name the field: `results[1].signature_s`.

use super::{Deal, MediationRequest, Result, ResultSubmission, Settlement, SignedResult, Verdict};
use crate::finality::{AttestationJson, FinalityError};
use crate::primitives::eddsa::Signature;
use crate::primitives::field::{
    fr_to_string, parse_fr, signature_from_strings, signature_to_strings,
};
use crate::primitives::Error;
use serde::{Deserialize, Serialize};

/// A deal's terms.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DealJson {
    /// Deal id.
    pub id: u64,
    /// Client account.
    pub client: u64,
    /// Compute node accounts.
    pub nodes: Vec<u64>,
    /// Job commitment.
    pub job: String,
    /// Price per node.
    pub price: u64,
    /// Client deposit.
    pub deposit: u64,
    /// Collateral per node.
    pub collateral: u64,
    /// Mediator committee root.
    pub mediators: String,
    /// Mediation fee.
    pub mediation_fee: u64,
    /// Deadline.
    pub deadline: u64,
}

/// A signature `R8 = [x, y]` and `S`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SignatureJson {
    /// `R8 = [x, y]`.
    pub signature_r8: [String; 2],
    /// `S`.
    pub signature_s: String,
}

/// A deal as opened: its terms and the signatures of the client and every
/// node over them, in that order.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OpeningJson {
    /// The terms.
    pub deal: DealJson,
    /// The client's signature, then each node's.
    pub signatures: Vec<SignatureJson>,
}

impl OpeningJson {
    /// The deal and its signatures.
    pub fn to_opening(&self) -> Result<(Deal, Vec<Signature>)> {
        let deal = self.deal.to_deal().map_err(|e| e.at_field("deal"))?;
        let signatures = self
            .signatures
            .iter()
            .enumerate()
            .map(|(i, s)| s.to_signature().map_err(|e| e.at_field(&format!("signatures[{i}]"))))
            .collect::<Result<Vec<_>>>()?;
        Ok((deal, signatures))
    }

    /// The JSON form of a deal and its signatures.
    pub fn from_opening(deal: &Deal, signatures: &[Signature]) -> Self {
        Self {
            deal: DealJson::from_deal(deal),
            signatures: signatures.iter().map(SignatureJson::from_signature).collect(),
        }
    }
}

/// A node's signed result.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SignedResultJson {
    /// The result hash.
    pub result: String,
    /// `R8 = [x, y]`.
    pub signature_r8: [String; 2],
    /// `S`.
    pub signature_s: String,
}

/// A mediator committee's verdict on a deal in mediation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VerdictJson {
    /// The deal.
    pub deal_id: u64,
    /// The correct result hash.
    pub result: String,
    /// The mediators' attestations.
    pub attestations: Vec<AttestationJson>,
}

/// A node's result submitted for the record.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ResultSubmissionJson {
    /// The deal.
    pub deal_id: u64,
    /// The node's position in the deal, from 0.
    pub node: usize,
    /// The result and its signature.
    pub signed: SignedResultJson,
}

/// A client's call for mediation of a deal.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MediationRequestJson {
    /// The deal.
    pub deal_id: u64,
    /// The client's signature over the request message.
    pub signature: SignatureJson,
}

/// A settlement as a prover submits it (the results and any verdict are
/// read from the record).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SettlementJson {
    /// The deal.
    pub deal_id: u64,
}

fn field(text: &str, name: &str) -> std::result::Result<ark_bn254::Fr, Error> {
    parse_fr(text).map_err(|e| e.at(name))
}

impl DealJson {
    /// The deal's terms (checked when the deal is opened).
    pub fn to_deal(&self) -> Result<Deal> {
        Ok(Deal {
            id: self.id,
            client: self.client,
            nodes: self.nodes.clone(),
            job: field(&self.job, "job")?,
            price: self.price,
            deposit: self.deposit,
            collateral: self.collateral,
            mediators: field(&self.mediators, "mediators")?,
            mediation_fee: self.mediation_fee,
            deadline: self.deadline,
        })
    }

    /// The JSON form of a deal.
    pub fn from_deal(d: &Deal) -> Self {
        Self {
            id: d.id,
            client: d.client,
            nodes: d.nodes.clone(),
            job: fr_to_string(&d.job),
            price: d.price,
            deposit: d.deposit,
            collateral: d.collateral,
            mediators: fr_to_string(&d.mediators),
            mediation_fee: d.mediation_fee,
            deadline: d.deadline,
        }
    }
}

impl SignatureJson {
    /// The signature (whether it verifies is the rules' concern).
    pub fn to_signature(&self) -> Result<Signature> {
        Ok(signature_from_strings(&self.signature_r8, &self.signature_s)?)
    }

    /// The JSON form of a signature.
    pub fn from_signature(sig: &Signature) -> Self {
        let (signature_r8, signature_s) = signature_to_strings(sig);
        Self { signature_r8, signature_s }
    }
}

impl SignedResultJson {
    /// The signed result.
    pub fn to_result(&self) -> Result<SignedResult> {
        Ok(SignedResult {
            result: field(&self.result, "result")?,
            signature: signature_from_strings(&self.signature_r8, &self.signature_s)?,
        })
    }

    /// The JSON form of a signed result.
    pub fn from_result(r: &SignedResult) -> Self {
        let (signature_r8, signature_s) = signature_to_strings(&r.signature);
        Self { result: fr_to_string(&r.result), signature_r8, signature_s }
    }
}

impl VerdictJson {
    /// The verdict.
    pub fn to_verdict(&self) -> Result<Verdict> {
        let attestations = self
            .attestations
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.to_attestation().map_err(|e| match e {
                    FinalityError::Primitive(e) => e.at(format!("attestations[{i}]")).into(),
                    other => other,
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Verdict { deal_id: self.deal_id, result: field(&self.result, "result")?, attestations })
    }

    /// The JSON form of a verdict.
    pub fn from_verdict(v: &Verdict) -> Self {
        Self {
            deal_id: v.deal_id,
            result: fr_to_string(&v.result),
            attestations: v.attestations.iter().map(AttestationJson::from_attestation).collect(),
        }
    }
}

impl ResultSubmissionJson {
    /// The submission.
    pub fn to_submission(&self) -> Result<ResultSubmission> {
        let signed = self.signed.to_result().map_err(|e| e.at_field("signed"))?;
        Ok(ResultSubmission { deal_id: self.deal_id, node: self.node, signed })
    }

    /// The JSON form of a submission.
    pub fn from_submission(s: &ResultSubmission) -> Self {
        Self { deal_id: s.deal_id, node: s.node, signed: SignedResultJson::from_result(&s.signed) }
    }
}

impl MediationRequestJson {
    /// The request.
    pub fn to_request(&self) -> Result<MediationRequest> {
        let signature = self.signature.to_signature().map_err(|e| e.at_field("signature"))?;
        Ok(MediationRequest { deal_id: self.deal_id, signature })
    }

    /// The JSON form of a request.
    pub fn from_request(r: &MediationRequest) -> Self {
        Self { deal_id: r.deal_id, signature: SignatureJson::from_signature(&r.signature) }
    }
}

impl SettlementJson {
    /// The settlement.
    pub fn to_settlement(&self) -> Settlement {
        Settlement { deal_id: self.deal_id }
    }

    /// The JSON form of a settlement.
    pub fn from_settlement(s: &Settlement) -> Self {
        Self { deal_id: s.deal_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::eddsa::SecretKey;
    use crate::Fr;

    #[test]
    fn settlements_round_trip_and_errors_name_the_field() {
        let key = SecretKey::from_seed(&[7; 32]);
        let deal = Deal {
            id: 3,
            client: 0,
            nodes: vec![1, 2],
            job: Fr::from(9u64),
            price: 10,
            deposit: 30,
            collateral: 5,
            mediators: Fr::from(11u64),
            mediation_fee: 2,
            deadline: 100,
        };
        assert_eq!(DealJson::from_deal(&deal).to_deal().unwrap(), deal);
        let signed = SignedResult::sign(&key, &deal, Fr::from(5u64));
        let s = ResultSubmission { deal_id: 3, node: 1, signed };
        let mut json = ResultSubmissionJson::from_submission(&s);
        assert_eq!(json.to_submission().unwrap(), s);
        json.signed.signature_s = "01".into();
        let e = json.to_submission().unwrap_err().to_string();
        assert!(e.starts_with("signed.signature_s: "), "{e}");
        let request = MediationRequest::sign(&key, &deal);
        let mut json = MediationRequestJson::from_request(&request);
        assert_eq!(json.to_request().unwrap(), request);
        json.signature.signature_r8[0] = "x".into();
        let e = json.to_request().unwrap_err().to_string();
        assert!(e.starts_with("signature.signature_r8"), "{e}");
        let settlement = Settlement { deal_id: 3 };
        assert_eq!(SettlementJson::from_settlement(&settlement).to_settlement(), settlement);
        let verdict = Verdict { deal_id: 3, result: Fr::from(5u64), attestations: vec![] };
        let mut json = VerdictJson::from_verdict(&verdict);
        assert_eq!(json.to_verdict().unwrap(), verdict);
        json.result = "-1".into();
        let e = json.to_verdict().unwrap_err().to_string();
        assert!(e.starts_with("result: "), "{e}");
    }
}
