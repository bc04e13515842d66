//! snarkjs's JSON formats (`proof.json`, `public.json`,
//! `verification_key.json`), so Groth16 tooling can check stateproof's
//! proofs. Field elements are decimal strings; G2 coordinates are
//! `[c0, c1]` pairs; points carry a third projective coordinate.

use crate::{Fr, Proof, VerifyingKey};
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ff::PrimeField;
use serde_json::{json, Value};

fn fq(x: &Fq) -> Value {
    Value::String(x.into_bigint().to_string())
}

fn fq2(x: &Fq2) -> Value {
    json!([fq(&x.c0), fq(&x.c1)])
}

fn g1(p: &G1Affine) -> Value {
    json!([fq(&p.x), fq(&p.y), "1"])
}

fn g2(p: &G2Affine) -> Value {
    json!([fq2(&p.x), fq2(&p.y), ["1", "0"]])
}

/// `proof.json`.
pub fn proof_json(proof: &Proof) -> Value {
    json!({
        "pi_a": g1(&proof.a),
        "pi_b": g2(&proof.b),
        "pi_c": g1(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// `public.json`.
pub fn public_json(inputs: &[Fr]) -> Value {
    Value::Array(inputs.iter().map(|x| Value::String(x.into_bigint().to_string())).collect())
}

/// `verification_key.json`.
pub fn verification_key_json(vk: &VerifyingKey) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.num_public_inputs(),
        "vk_alpha_1": g1(&vk.alpha_g1),
        "vk_beta_2": g2(&vk.beta_g2),
        "vk_gamma_2": g2(&vk.gamma_g2),
        "vk_delta_2": g2(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1).collect::<Vec<_>>(),
    })
}

/// Why a snarkjs JSON file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub String);

fn bad(what: &str, why: impl std::fmt::Display) -> JsonError {
    JsonError(format!("{what}: {why}"))
}

/// A canonical decimal below the modulus of `F` (no sign, no leading zero).
fn decimal<F: PrimeField>(v: &Value, what: &str) -> Result<F, JsonError> {
    let s = v.as_str().ok_or_else(|| bad(what, "expected a decimal string"))?;
    crate::parse_decimal(s).map_err(|e| bad(what, format_args!("{s:?}: {e}")))
}

fn array<'a>(v: &'a Value, len: usize, what: &str) -> Result<&'a Vec<Value>, JsonError> {
    match v.as_array() {
        Some(a) if a.len() == len => Ok(a),
        _ => Err(bad(what, format!("expected an array of {len}"))),
    }
}

fn g1_from(v: &Value, what: &str) -> Result<G1Affine, JsonError> {
    let a = array(v, 3, what)?;
    if a[2] != "1" {
        return Err(bad(what, "the projective coordinate must be \"1\" (an affine point)"));
    }
    let p = G1Affine::new_unchecked(decimal(&a[0], what)?, decimal(&a[1], what)?);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad(what, "not a point of BN254's G1"));
    }
    Ok(p)
}

fn fq2_from(v: &Value, what: &str) -> Result<Fq2, JsonError> {
    let a = array(v, 2, what)?;
    Ok(Fq2::new(decimal(&a[0], what)?, decimal(&a[1], what)?))
}

fn g2_from(v: &Value, what: &str) -> Result<G2Affine, JsonError> {
    let a = array(v, 3, what)?;
    if a[2] != json!(["1", "0"]) {
        return Err(bad(what, "the projective coordinate must be [\"1\", \"0\"]"));
    }
    let p = G2Affine::new_unchecked(fq2_from(&a[0], what)?, fq2_from(&a[1], what)?);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad(what, "not a point of BN254's G2 subgroup"));
    }
    Ok(p)
}

fn groth16_bn128(v: &Value, what: &str) -> Result<(), JsonError> {
    if v.get("protocol") != Some(&json!("groth16")) {
        return Err(bad(what, "protocol is not groth16"));
    }
    if v.get("curve") != Some(&json!("bn128")) {
        return Err(bad(what, "curve is not bn128 (BN254)"));
    }
    Ok(())
}

fn field<'a>(v: &'a Value, name: &str, what: &str) -> Result<&'a Value, JsonError> {
    v.get(name).ok_or_else(|| bad(what, format!("missing {name:?}")))
}

/// Reads `verification_key.json` (Groth16, bn128). The key gets circuit id
/// `circom` and inputs named `public_0`, `public_1`, ….
pub fn verification_key_from_json(v: &Value) -> Result<VerifyingKey, JsonError> {
    let what = "verification key";
    groth16_bn128(v, what)?;
    let ic = field(v, "IC", what)?
        .as_array()
        .ok_or_else(|| bad(what, "IC is not an array"))?
        .iter()
        .map(|p| g1_from(p, "IC point"))
        .collect::<Result<Vec<_>, _>>()?;
    if ic.is_empty() {
        return Err(bad(what, "IC is empty"));
    }
    let n_public = field(v, "nPublic", what)?.as_u64();
    if n_public != Some(ic.len() as u64 - 1) {
        return Err(bad(what, format!("nPublic does not match the {} IC points", ic.len())));
    }
    Ok(VerifyingKey {
        circuit_id: "circom".into(),
        params: vec![],
        input_names: (0..ic.len() - 1).map(|i| format!("public_{i}")).collect(),
        alpha_g1: g1_from(field(v, "vk_alpha_1", what)?, "vk_alpha_1")?,
        beta_g2: g2_from(field(v, "vk_beta_2", what)?, "vk_beta_2")?,
        gamma_g2: g2_from(field(v, "vk_gamma_2", what)?, "vk_gamma_2")?,
        delta_g2: g2_from(field(v, "vk_delta_2", what)?, "vk_delta_2")?,
        gamma_abc_g1: ic,
    })
}

/// Reads `proof.json` (Groth16, bn128); no point may be the identity.
pub fn proof_from_json(v: &Value) -> Result<Proof, JsonError> {
    use ark_ec::AffineRepr;
    let what = "proof";
    groth16_bn128(v, what)?;
    let proof = Proof {
        a: g1_from(field(v, "pi_a", what)?, "pi_a")?,
        b: g2_from(field(v, "pi_b", what)?, "pi_b")?,
        c: g1_from(field(v, "pi_c", what)?, "pi_c")?,
    };
    if proof.a.is_zero() || proof.b.is_zero() || proof.c.is_zero() {
        return Err(bad(what, "a proof point is the identity"));
    }
    Ok(proof)
}

/// Reads `public.json`: canonical decimals below r.
pub fn public_from_json(v: &Value) -> Result<Vec<Fr>, JsonError> {
    v.as_array()
        .ok_or_else(|| bad("public signals", "expected an array"))?
        .iter()
        .enumerate()
        .map(|(i, x)| decimal(x, &format!("public signal {i}")))
        .collect()
}
