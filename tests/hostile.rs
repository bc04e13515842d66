//! Mutation tests on real transfer updates: every single-byte change and
//! every truncation is rejected, and public inputs cannot be swapped
//! between two valid updates.

use stateproof_circuits::sample::SampleLedger;
use stateproof_circuits::transfer::{TransferBatchCircuit, TransferShape};
use stateproof_kernels::cpu::CpuBackend;
use stateproof_prover::keys::{self, Keys};
use stateproof_prover::{transfer, Prover};
use stateproof_verifier::{CompressedUpdate, VerifyingKey};

fn two_updates() -> (VerifyingKey, CompressedUpdate, CompressedUpdate) {
    let ledger = SampleLedger::new(4, 3, 1_000).unwrap();
    let shape = TransferShape { depth: 4, slots: 1 };
    let keys = Keys::setup::<TransferBatchCircuit>(&shape, &mut keys::os_rng()).unwrap();
    let prover = Prover::new(CpuBackend, CpuBackend, &keys.proving_key).unwrap();
    let first =
        transfer::prove_batch(&prover, &keys, &ledger.state, &ledger.roots(), &ledger.batch(1))
            .unwrap();
    let next = SampleLedger { state: first.state.clone(), keys: ledger.keys };
    // Sample batches read the accounts' current nonces: this one is fresh.
    let second = transfer::prove_batch(&prover, &keys, &next.state, &next.roots(), &next.batch(1))
        .unwrap()
        .update;
    (keys.verifying_key.clone(), first.update, second)
}

#[test]
fn every_single_byte_change_and_truncation_is_rejected() {
    let (vk, update, _) = two_updates();
    let bytes = update.to_bytes();
    let accepts = |b: &[u8]| CompressedUpdate::from_bytes(b).and_then(|u| u.verify(&vk)).is_ok();
    assert!(accepts(&bytes));
    let mut checked = 0;
    for i in 0..bytes.len() {
        for change in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= change;
            assert!(!accepts(&b), "byte {i} ^ {change:#04x} still verifies");
            checked += 1;
        }
        for value in [0x00u8, 0xff] {
            if bytes[i] != value {
                let mut b = bytes.clone();
                b[i] = value;
                assert!(!accepts(&b), "byte {i} = {value:#04x} still verifies");
            }
        }
    }
    for len in 0..bytes.len() {
        assert!(!accepts(&bytes[..len]), "prefix of {len} bytes verifies");
    }
    assert!(checked >= 3 * 300);
}

#[test]
fn public_inputs_cannot_be_swapped_between_updates() {
    let (vk, a, b) = two_updates();
    a.verify(&vk).unwrap();
    b.verify(&vk).unwrap();
    for i in 0..a.public_inputs.len() {
        let mut mixed = a.clone();
        mixed.public_inputs[i] = b.public_inputs[i].clone();
        assert!(mixed.verify(&vk).is_err(), "input {i} of another update accepted");
    }
    let mut proof_swapped = a.clone();
    proof_swapped.proof = b.proof;
    assert!(proof_swapped.verify(&vk).is_err());
}
