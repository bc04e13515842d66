//! What the unit tests share: stateproof's key around an arkworks key.

use crate::VerifyingKey;
use ark_bn254::Bn254;

/// `vk` as stateproof's key for `circuit_id` with `params` and `inputs`.
pub(crate) fn key_of(
    circuit_id: &str,
    params: &[(&str, u64)],
    inputs: &[&str],
    vk: &ark_groth16::VerifyingKey<Bn254>,
) -> VerifyingKey {
    VerifyingKey {
        circuit_id: circuit_id.into(),
        params: params.iter().map(|(n, v)| ((*n).into(), *v)).collect(),
        input_names: inputs.iter().map(|n| (*n).into()).collect(),
        alpha_g1: vk.alpha_g1,
        beta_g2: vk.beta_g2,
        gamma_g2: vk.gamma_g2,
        delta_g2: vk.delta_g2,
        gamma_abc_g1: vk.gamma_abc_g1.clone(),
    }
}
