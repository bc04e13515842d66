//! The Solidity verifier in a real EVM (revm, Ethereum's precompiles): the
//! contract `stateproof export solidity` writes for the circom test key,
//! compiled by solc 0.8.28 (tests/evm/, made by scripts/evm/build.sh), next
//! to snarkjs's verifier for the same key, both fed the same calldata.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;
use revm::database::InMemoryDB;
use revm::primitives::{Address, Bytes, TxKind};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};
use stateproof_kernels::cpu::CpuBackend;
use stateproof_prover::circom::{parse_wtns, parse_zkey, ZkeyProver};
use stateproof_prover::solidity::{calldata_abi, verifier_contract};
use stateproof_verifier::snarkjs::verification_key_from_json;
use std::path::Path;

const CALLER: Address = Address::new([0x5e; 20]);

fn read(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn bytecode(name: &str) -> Vec<u8> {
    let text = String::from_utf8(read(&format!("tests/evm/{name}.bin"))).unwrap();
    hex::decode(text.trim()).unwrap()
}

enum Call {
    Returned(Vec<u8>, u64),
    Reverted(u64),
}

struct Chain<E> {
    evm: E,
    nonce: u64,
}

impl<E: ExecuteCommitEvm<Tx = TxEnv, ExecutionResult = ExecutionResult>> Chain<E>
where
    E::Error: std::fmt::Debug,
{
    fn send(&mut self, kind: TxKind, data: Vec<u8>) -> ExecutionResult {
        let tx = TxEnv::builder()
            .caller(CALLER)
            .kind(kind)
            .data(Bytes::from(data))
            .gas_limit(10_000_000)
            .nonce(self.nonce)
            .build_fill();
        self.nonce += 1;
        self.evm.transact_commit(tx).unwrap()
    }

    fn deploy(&mut self, code: Vec<u8>) -> Address {
        match self.send(TxKind::Create, code) {
            ExecutionResult::Success { output: Output::Create(_, Some(address)), .. } => address,
            other => panic!("deployment failed: {other:?}"),
        }
    }

    fn call(&mut self, to: Address, data: Vec<u8>) -> Call {
        match self.send(TxKind::Call(to), data) {
            ExecutionResult::Success { output: Output::Call(out), gas, .. } => {
                Call::Returned(out.to_vec(), gas.tx_gas_used())
            }
            ExecutionResult::Revert { gas, .. } => Call::Reverted(gas.tx_gas_used()),
            other => panic!("call halted: {other:?}"),
        }
    }

    /// The verifier's answer: Some(true/false), None if it reverted.
    fn verify(&mut self, to: Address, data: Vec<u8>) -> (Option<bool>, u64) {
        match self.call(to, data) {
            Call::Returned(out, gas) => {
                assert_eq!(out.len(), 32, "a bool is one word");
                (Some(out[31] == 1 && out[..31].iter().all(|b| *b == 0)), gas)
            }
            Call::Reverted(gas) => (None, gas),
        }
    }
}

#[test]
fn the_verifier_accepts_valid_proofs_rejects_the_rest_and_costs_no_more_than_snarkjs() {
    // The committed contract is what the generator writes today.
    let vk_json: serde_json::Value =
        serde_json::from_slice(&read("prover/testdata/circom/verification_key.json")).unwrap();
    let vk = verification_key_from_json(&vk_json).unwrap();
    let committed = String::from_utf8(read("tests/evm/StateproofVerifier.sol")).unwrap();
    assert_eq!(
        verifier_contract(&vk, "StateproofVerifier"),
        committed,
        "the generator changed: rerun scripts/evm/build.sh"
    );

    // A proof by stateproof's zkey prover.
    let zkey = parse_zkey(&read("prover/testdata/circom/preimage.zkey")).unwrap();
    let witness = parse_wtns(&read("prover/testdata/circom/preimage.wtns")).unwrap();
    let prover = ZkeyProver::new(CpuBackend, CpuBackend, zkey).unwrap();
    let (proof, _) = prover.prove(&witness, Fr::from(11u64), Fr::from(12u64)).unwrap();
    let proof = stateproof_verifier::Proof { a: proof.a, b: proof.b, c: proof.c };
    let inputs = prover.public_signals(&witness).to_vec();

    let mut chain =
        Chain { evm: Context::mainnet().with_db(InMemoryDB::default()).build_mainnet(), nonce: 0 };
    let ours = chain.deploy(bytecode("StateproofVerifier"));
    let theirs = chain.deploy(bytecode("SnarkjsVerifier"));
    let calldata = calldata_abi(&proof, &inputs);

    let (ok, our_gas) = chain.verify(ours, calldata.clone());
    assert_eq!(ok, Some(true));
    let (ok, their_gas) = chain.verify(theirs, calldata.clone());
    assert_eq!(ok, Some(true));
    eprintln!("verifyProof gas, 3 public inputs: stateproof {our_gas}, snarkjs {their_gas}");
    assert!(our_gas <= their_gas, "stateproof {our_gas} > snarkjs {their_gas}");

    let word = |i: usize| 4 + 32 * i; // a: 0-1, b: 2-5, c: 6-7, inputs: 8-
    let r = Fr::MODULUS.to_bytes_be();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // Another public input.
    let mut other = inputs.clone();
    other[2] += Fr::from(1u64);
    cases.push(("another public input", calldata_abi(&proof, &other)));
    // The same input plus r: equal mod r, so only the range check stops it.
    let mut plus_r = calldata.clone();
    let x = num_add(&plus_r[word(8)..word(9)], &r);
    plus_r[word(8)..word(9)].copy_from_slice(&x);
    cases.push(("an input >= r", plus_r));
    // A tampered proof: A and C swapped.
    let swapped = stateproof_verifier::Proof { a: proof.c, b: proof.b, c: proof.a };
    cases.push(("a tampered proof", calldata_abi(&swapped, &inputs)));
    // A coordinate >= q (A.y + q).
    let mut plus_q = calldata.clone();
    let q = ark_bn254::Fq::MODULUS.to_bytes_be();
    let y = num_add(&plus_q[word(1)..word(2)], &q);
    plus_q[word(1)..word(2)].copy_from_slice(&y);
    cases.push(("a coordinate >= q", plus_q));
    // A point off the curve.
    let mut off = calldata.clone();
    off[word(7) - 1] ^= 1;
    cases.push(("a point off the curve", off));
    for (what, data) in cases {
        assert_eq!(chain.verify(ours, data).0, Some(false), "accepted {what}");
    }
    // Malformed calldata: too short for the signature.
    let short = calldata[..calldata.len() - 32].to_vec();
    assert_eq!(chain.verify(ours, short).0, None, "short calldata must revert");
}

/// `a + b` of two 32-byte big-endian numbers (no overflow for the values used).
fn num_add(a: &[u8], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0);
    out
}
