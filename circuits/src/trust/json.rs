//! The JSON forms of sponsorships, commitments and reveals. Field elements
//! and key coordinates are canonical decimal strings; errors name the field.

use super::{Choice, Commit, Result, Reveal, Sponsorship};
use crate::primitives::field::{
    fr_to_string, key_from_strings, key_to_strings, parse_fr, signature_from_strings,
    signature_to_strings,
};
use crate::primitives::Error;
use serde::{Deserialize, Serialize};

/// A sponsorship's terms.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SponsorshipJson {
    /// Id.
    pub id: u64,
    /// The two sponsors' member indices.
    pub sponsors: [u64; 2],
    /// The candidate's key `[x, y]`.
    pub candidate: [String; 2],
    /// The keys each sponsor gets if it alone defects: `[[k, k], [k, k]]`.
    pub defector_keys: [[[String; 2]; 2]; 2],
    /// The epoch.
    pub epoch: u64,
}

/// A sponsor's signed commitment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CommitJson {
    /// The sponsor's member index.
    pub sponsor: u64,
    /// The epoch.
    pub epoch: u64,
    /// The commitment.
    pub commitment: String,
    /// `R8 = [x, y]`.
    pub signature_r8: [String; 2],
    /// `S`.
    pub signature_s: String,
}

/// Both reveals of a sponsorship.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RevealJson {
    /// The sponsorship.
    pub sponsorship: SponsorshipJson,
    /// Each sponsor's choice: `cooperate` or `defect`.
    pub choices: [Choice; 2],
    /// Each sponsor's salt.
    pub salts: [String; 2],
}

impl SponsorshipJson {
    /// The sponsorship.
    pub fn to_sponsorship(&self) -> Result<Sponsorship, Error> {
        let key = |xy: &[String; 2], field: String| key_from_strings(xy).map_err(|e| e.at(field));
        let mut defector_keys = [[None, None], [None, None]];
        for (i, pair) in self.defector_keys.iter().enumerate() {
            for (j, xy) in pair.iter().enumerate() {
                defector_keys[i][j] = Some(key(xy, format!("defector_keys[{i}][{j}]"))?);
            }
        }
        let [[a, b], [c, d]] = defector_keys;
        let missing = || Error::Invalid { what: "sponsorship", reason: "defector keys".into() };
        Ok(Sponsorship {
            id: self.id,
            sponsors: self.sponsors,
            candidate: key(&self.candidate, "candidate".into())?,
            defector_keys: [
                [a.ok_or_else(missing)?, b.ok_or_else(missing)?],
                [c.ok_or_else(missing)?, d.ok_or_else(missing)?],
            ],
            epoch: self.epoch,
        })
    }

    /// The JSON form of a sponsorship.
    pub fn from_sponsorship(s: &Sponsorship) -> Self {
        Self {
            id: s.id,
            sponsors: s.sponsors,
            candidate: key_to_strings(&s.candidate),
            defector_keys: s.defector_keys.map(|pair| pair.map(|k| key_to_strings(&k))),
            epoch: s.epoch,
        }
    }
}

impl CommitJson {
    /// The commitment (its signature is checked by the rules).
    pub fn to_commit(&self) -> Result<Commit> {
        Ok(Commit {
            sponsor: self.sponsor,
            epoch: self.epoch,
            commitment: parse_fr(&self.commitment).map_err(|e| e.at("commitment"))?,
            signature: signature_from_strings(&self.signature_r8, &self.signature_s)?,
        })
    }

    /// The JSON form of a commitment.
    pub fn from_commit(c: &Commit) -> Self {
        let (signature_r8, signature_s) = signature_to_strings(&c.signature);
        Self {
            sponsor: c.sponsor,
            epoch: c.epoch,
            commitment: fr_to_string(&c.commitment),
            signature_r8,
            signature_s,
        }
    }
}

impl RevealJson {
    /// The reveals.
    pub fn to_reveal(&self) -> Result<Reveal> {
        let sponsorship = self.sponsorship.to_sponsorship().map_err(|e| e.at("sponsorship"))?;
        let salt = |i: usize| parse_fr(&self.salts[i]).map_err(|e| e.at(format!("salts[{i}]")));
        let openings = [(self.choices[0], salt(0)?), (self.choices[1], salt(1)?)];
        Ok(Reveal { sponsorship, openings })
    }

    /// The JSON form of reveals.
    pub fn from_reveal(r: &Reveal) -> Self {
        Self {
            sponsorship: SponsorshipJson::from_sponsorship(&r.sponsorship),
            choices: r.openings.map(|(c, _)| c),
            salts: r.openings.map(|(_, s)| fr_to_string(&s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::eddsa::SecretKey;
    use crate::Fr;

    #[test]
    fn reveals_and_commits_round_trip_and_errors_name_the_field() {
        let k = |i: u8| SecretKey::from_seed(&[i; 32]).public_key();
        let s = Sponsorship {
            id: 1,
            sponsors: [0, 1],
            candidate: k(2),
            defector_keys: [[k(3), k(4)], [k(5), k(6)]],
            epoch: 9,
        };
        let r = Reveal {
            sponsorship: s,
            openings: [(Choice::Cooperate, Fr::from(1u64)), (Choice::Defect, Fr::from(2u64))],
        };
        let mut json = RevealJson::from_reveal(&r);
        assert_eq!(json.to_reveal().unwrap(), r);
        let c =
            Commit::sign(&SecretKey::from_seed(&[1; 32]), 0, &s, Choice::Cooperate, Fr::from(7u64));
        assert_eq!(CommitJson::from_commit(&c).to_commit().unwrap(), c);
        json.sponsorship.defector_keys[1][0][1] = "x".into();
        let e = json.to_reveal().unwrap_err().to_string();
        assert!(e.starts_with("sponsorship.defector_keys[1][0][1]: "), "{e}");
        let text = serde_json::to_string(&json).unwrap();
        assert!(text.contains(r#""choices":["cooperate","defect"]"#), "{text}");
    }
}
