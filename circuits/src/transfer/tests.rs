use super::*;
use crate::ledger::{Account, AccountJson, LedgerRoots, State, StateJson};
use crate::primitives::eddsa::{PublicKey, SecretKey};
use crate::sample::{sample_key, SampleLedger};
use crate::Fr;
use ark_ff::{Field, One, PrimeField, Zero};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use proptest::prelude::*;

fn satisfied(witness: &TransferWitness) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    TransferBatchCircuit { witness: witness.clone() }.generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

fn ledger(depth: usize) -> SampleLedger {
    SampleLedger::new(depth, 4, 1_000).unwrap()
}

fn transfer(l: &SampleLedger, from: u64, to: u64, amount: u64, nonce: u64) -> Transfer {
    Transfer::sign(
        &l.keys[from as usize],
        from,
        to,
        l.keys[to as usize].public_key(),
        amount,
        nonce,
    )
}

/// Asserts that native rules reject `batch` with `rule` and that the
/// witness a cheating prover would force in does not satisfy the circuit.
fn assert_rejected(state: &State, batch: &TransferBatch, slots: usize, rule: TransferRule) {
    let roots = LedgerRoots::accounts_only(state.root().0);
    match apply_batch(state, &roots, batch, slots) {
        Err(TransferError::Rule { rule: r, .. }) => assert_eq!(r, rule),
        other => panic!("expected {rule:?}, got {other:?}"),
    }
    let forced = build_witness_unchecked(state, &roots, batch, slots).unwrap();
    assert!(!satisfied(&forced), "circuit accepted a batch that breaks {rule:?}");
}

#[test]
fn valid_batch_satisfies_the_circuit() {
    let l = ledger(6);
    let batch = l.batch(3);
    let (next, w) = apply_batch(&l.state, &l.roots(), &batch, 4).unwrap();
    assert_eq!(w.old_root, l.roots().root());
    assert_eq!(w.new_root, next.roots_alone().root());
    assert_eq!(w.digest, batch.digest());
    assert!(!w.slots[3].used);
    assert!(satisfied(&w));
    // The last transfer opened account 4.
    assert_eq!(next.account(4).unwrap().balance, 3);
    assert_eq!(next.account(0).unwrap().nonce, 1);
}

#[test]
fn the_deal_and_member_roots_pass_through_unchanged() {
    let l = ledger(6);
    let batch = l.batch(2);
    let roots = LedgerRoots { deals: Fr::from(11u64), members: Fr::from(12u64), ..l.roots() };
    let (next, w) = apply_batch(&l.state, &roots, &batch, 2).unwrap();
    assert_eq!(w.old_root, roots.root());
    assert_eq!(w.new_root, roots.with_accounts(next.root().0).root());
    assert!(satisfied(&w));
    // A batch that also moved the deal or the member root, or started from
    // other ones than its old root commits to, is unsatisfiable.
    let after = roots.with_accounts(next.root().0);
    for moved in [after.with_deals(Fr::from(13u64)), after.with_members(Fr::from(13u64))] {
        assert!(!satisfied(&TransferWitness { new_root: moved.root(), ..w.clone() }));
    }
    assert!(!satisfied(&TransferWitness { before: roots.with_deals(Fr::from(1u64)), ..w.clone() }));
    // The roots must be of this state's ledger.
    let other = roots.with_accounts(Fr::from(5u64));
    assert!(matches!(apply_batch(&l.state, &other, &batch, 2), Err(TransferError::AccountsRoot)));
}

#[test]
fn transfer_to_self_only_bumps_the_nonce() {
    let l = ledger(4);
    let batch = TransferBatch { transfers: vec![transfer(&l, 2, 2, 500, 0)] };
    let (next, w) = apply_batch(&l.state, &l.roots(), &batch, 1).unwrap();
    let a = next.account(2).unwrap();
    assert_eq!((a.balance, a.nonce), (1_000, 1));
    assert!(satisfied(&w));
}

#[test]
fn empty_batch_changes_nothing() {
    let l = ledger(4);
    let (next, w) = apply_batch(&l.state, &l.roots(), &TransferBatch::default(), 2).unwrap();
    assert_eq!(next.root(), l.state.root());
    assert_eq!(w.digest, Fr::zero());
    assert!(satisfied(&w));
}

#[test]
fn each_broken_rule_is_rejected_natively_and_in_circuit() {
    let l = ledger(5);
    let s = &l.state;
    let one = |t: Transfer| TransferBatch { transfers: vec![t] };
    assert_rejected(s, &one(transfer(&l, 0, 1, 1_001, 0)), 1, TransferRule::InsufficientBalance);
    assert_rejected(s, &one(transfer(&l, 0, 1, u64::MAX, 0)), 1, TransferRule::InsufficientBalance);
    assert_rejected(s, &one(transfer(&l, 0, 1, 0, 0)), 1, TransferRule::ZeroAmount);
    assert_rejected(s, &one(transfer(&l, 0, 1, 5, 1)), 1, TransferRule::BadNonce);
    // A replayed transfer: the same signed transfer twice.
    let t = transfer(&l, 0, 1, 5, 0);
    assert_rejected(s, &TransferBatch { transfers: vec![t, t] }, 2, TransferRule::BadNonce);
    // Forged: signed by the receiver instead of the sender.
    let mut forged = transfer(&l, 1, 0, 5, 0);
    forged.from = 0;
    forged.signature = l.keys[1].sign(forged.message());
    assert_rejected(s, &one(forged), 1, TransferRule::BadSignature);
    // Tampered after signing.
    let mut tampered = transfer(&l, 0, 1, 5, 0);
    tampered.amount = 6;
    assert_rejected(s, &one(tampered), 1, TransferRule::BadSignature);
    // Unknown sender: a key nobody registered.
    let stranger = SecretKey::from_seed(&[3u8; 32]);
    let t = Transfer::sign(&stranger, 9, 1, l.keys[1].public_key(), 5, 0);
    assert_rejected(s, &one(t), 1, TransferRule::UnknownSender);
    // Receiver key that is not the receiver account's.
    let t = Transfer::sign(&l.keys[0], 0, 1, l.keys[2].public_key(), 5, 0);
    assert_rejected(s, &one(t), 1, TransferRule::ReceiverKeyMismatch);
}

#[test]
fn receiver_balance_overflow_is_rejected() {
    let mut l = ledger(4);
    let rich = Account { public_key: l.keys[1].public_key(), balance: u64::MAX - 3, nonce: 0 };
    l.state.set_account(1, rich).unwrap();
    let batch = TransferBatch { transfers: vec![transfer(&l, 0, 1, 4, 0)] };
    assert_rejected(&l.state, &batch, 1, TransferRule::BalanceOverflow);
    // One less fits exactly.
    let ok = TransferBatch { transfers: vec![transfer(&l, 0, 1, 3, 0)] };
    let (next, w) = apply_batch(&l.state, &l.roots(), &ok, 1).unwrap();
    assert_eq!(next.account(1).unwrap().balance, u64::MAX);
    assert!(satisfied(&w));
}

#[test]
fn nonce_overflow_is_rejected() {
    let mut l = ledger(4);
    let worn = Account { public_key: l.keys[0].public_key(), balance: 10, nonce: u64::MAX };
    l.state.set_account(0, worn).unwrap();
    let batch = TransferBatch { transfers: vec![transfer(&l, 0, 1, 1, u64::MAX)] };
    assert_rejected(&l.state, &batch, 1, TransferRule::NonceOverflow);
}

#[test]
fn forced_witnesses_outside_native_types_are_unsatisfiable() {
    let l = ledger(4);
    let batch = TransferBatch { transfers: vec![transfer(&l, 0, 1, 5, 0)] };
    let (_, valid) = apply_batch(&l.state, &l.roots(), &batch, 1).unwrap();
    assert!(satisfied(&valid));

    // An amount near the field modulus: −5 would "credit" the sender.
    let mut w = valid.clone();
    w.slots[0].amount = -Fr::from(5u64);
    assert!(!satisfied(&w));
    // An amount of 2^64 + 5 (aliases 5 under 64-bit truncation).
    let mut w = valid.clone();
    w.slots[0].amount = Fr::from(5u64) + Fr::from(u64::MAX) + Fr::from(1u64);
    assert!(!satisfied(&w));
    // Amounts crafted around 2^64, 2^253 and the modulus, each one with
    // and without the sender's balance raised to match.
    let two = Fr::from(2u64);
    for amount in [
        two.pow([64]),
        two.pow([64]) + Fr::from(5u64),
        two.pow([253]) + Fr::from(5u64),
        two.pow([253]),
        -Fr::from(1u64),
        Fr::from(0u64),
    ] {
        let mut w = valid.clone();
        w.slots[0].amount = amount;
        assert!(!satisfied(&w), "amount {amount}");
        w.slots[0].sender_balance = amount + Fr::from(1u64);
        assert!(!satisfied(&w), "amount {amount} with a matching balance");
    }
    // A signature scalar S + 2^253: the range check stops it before any curve arithmetic.
    let mut w = valid.clone();
    w.slots[0].sig_s += two.pow([253]);
    assert!(!satisfied(&w));
    // A wrong Merkle path.
    let mut w = valid.clone();
    w.slots[0].sender_path[2] += Fr::from(1u64);
    assert!(!satisfied(&w));
    let mut w = valid.clone();
    w.slots[0].receiver_path[0] += Fr::from(1u64);
    assert!(!satisfied(&w));
    // Claiming the receiver is fresh when it exists.
    let mut w = valid.clone();
    w.slots[0].receiver_fresh = true;
    assert!(!satisfied(&w));
    // Marking the slot unused while claiming its new root.
    let mut w = valid.clone();
    w.slots[0].used = false;
    assert!(!satisfied(&w));
    // A wrong public input.
    for i in 0..3 {
        let mut w = valid.clone();
        match i {
            0 => w.old_root += Fr::from(1u64),
            1 => w.new_root += Fr::from(1u64),
            _ => w.digest += Fr::from(1u64),
        }
        assert!(!satisfied(&w));
    }
    // S + l: the same signature scalar modulo l, outside the range.
    let mut w = valid.clone();
    w.slots[0].sig_s += Fr::from_bigint(crate::primitives::babyjubjub::subgroup_order()).unwrap();
    assert!(!satisfied(&w));
}

#[test]
fn an_unused_slot_cannot_change_state() {
    let l = ledger(4);
    let (_, mut w) = apply_batch(&l.state, &l.roots(), &TransferBatch::default(), 1).unwrap();
    // A real transfer's witness placed in a slot marked unused.
    let batch = TransferBatch { transfers: vec![transfer(&l, 0, 1, 5, 0)] };
    let (_, real) = apply_batch(&l.state, &l.roots(), &batch, 1).unwrap();
    w.slots[0] = SlotWitness { used: false, ..real.slots[0].clone() };
    w.new_root = real.new_root;
    assert!(!satisfied(&w));
}

#[test]
fn fresh_account_with_small_order_key_is_rejected() {
    let l = ledger(4);
    let identity =
        PublicKey(crate::primitives::babyjubjub::Point::new_unchecked(Fr::zero(), Fr::one()));
    let t = Transfer::sign(&l.keys[0], 0, 9, identity, 5, 0);
    let batch = TransferBatch { transfers: vec![t] };
    assert_rejected(&l.state, &batch, 1, TransferRule::ReceiverKeyMismatch);
}

#[test]
fn batch_larger_than_slots_is_an_error() {
    let l = ledger(4);
    let batch = l.batch(3);
    assert!(matches!(
        apply_batch(&l.state, &l.roots(), &batch, 2),
        Err(TransferError::BatchTooLarge { len: 3, slots: 2 })
    ));
}

#[test]
fn json_round_trip() {
    let l = ledger(5);
    let batch = l.batch(2);
    let sj = StateJson::from_state(&l.state);
    let text = serde_json::to_string(&sj).unwrap();
    let back: StateJson = serde_json::from_str(&text).unwrap();
    assert_eq!(back.to_state().unwrap().root(), l.state.root());
    let bj = BatchJson::from_batch(&batch);
    assert_eq!(bj.to_batch().unwrap(), batch);
    let mut dup = sj.clone();
    dup.accounts.push(dup.accounts[0].clone());
    assert!(dup.to_state().is_err());
}

#[test]
fn constraints_per_transfer_at_depth_32() {
    let count = |slots: usize| {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
        TransferBatchCircuit::for_setup(32, slots).generate_constraints(cs.clone()).unwrap();
        cs.num_constraints()
    };
    let (one, two) = (count(1), count(2));
    let per_transfer = two - one;
    // circomlib's sums for the same work: 4 Merkle paths of 32 Poseidon(2)
    // (240 each), one EdDSA-Poseidon verification (4,217).
    let circomlib = 4 * 32 * 240 + 4_217;
    eprintln!(
        "transfer at depth 32: {per_transfer} constraints per transfer \
         (circomlib sum for the hashes and signature alone: {circomlib})"
    );
    assert!(per_transfer > circomlib, "a transfer does at least circomlib's work");
    assert!(per_transfer < 2 * circomlib);
}

/// A random transfer between the four sample accounts or to a fresh index,
/// with occasional rule breaks.
fn arb_transfer() -> impl Strategy<Value = (u64, u64, u64, u64, u8)> {
    (0u64..5, 0u64..6, prop_oneof![1u64..400, Just(0u64), Just(u64::MAX)], 0u64..3, 0u8..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    /// Native application and circuit satisfaction agree on random batches.
    #[test]
    fn native_rules_and_circuit_agree(spec in proptest::collection::vec(arb_transfer(), 1..4)) {
        let l = ledger(4);
        let mut nonces = [0u64; 8];
        let transfers: Vec<Transfer> = spec
            .iter()
            .map(|&(from, to, amount, nonce_skew, forge)| {
                let signer = if forge == 0 { (from + 1) % 4 } else { from % 4 };
                let to_key = sample_key(to).public_key();
                let nonce = if nonce_skew == 2 { nonces[from as usize] + 1 } else { nonces[from as usize] };
                nonces[from as usize] += 1;
                Transfer::sign(&l.keys[signer as usize], from, to, to_key, amount, nonce)
            })
            .collect();
        let batch = TransferBatch { transfers };
        let native = apply_batch(&l.state, &l.roots(), &batch, 3);
        let forced = build_witness_unchecked(&l.state, &l.roots(), &batch, 3).unwrap();
        prop_assert_eq!(native.is_ok(), satisfied(&forced), "native: {:?}", native.err());
    }
}

/// Private witness variables allocated by the first `slots` slots: slot i
/// owns the variables from `witness_count(depth, i)` to `witness_count(depth, i + 1)`.
fn witness_count(depth: usize, slots: usize) -> usize {
    let cs = ConstraintSystem::<Fr>::new_ref();
    TransferBatchCircuit::for_setup(depth, slots).generate_constraints(cs.clone()).unwrap();
    cs.num_witness_variables()
}

#[test]
fn no_witness_variable_of_a_used_slot_is_free() {
    use crate::soundness::{default_deltas, free_witness_variables};
    let l = ledger(3);
    // A plain transfer, a transfer to oneself, and one opening an account.
    let batch = TransferBatch {
        transfers: vec![
            transfer(&l, 0, 1, 5, 0),
            transfer(&l, 2, 2, 7, 0),
            Transfer::sign(&l.keys[1], 1, 6, sample_key(6).public_key(), 3, 0),
        ],
    };
    let (_, w) = apply_batch(&l.state, &l.roots(), &batch, 3).unwrap();
    let report =
        free_witness_variables(TransferBatchCircuit { witness: w }, &default_deltas()).unwrap();
    assert!(report.witness_variables > 10_000);
    assert!(report.free.is_empty(), "free variables in used slots: {:?}", report.free);
}

/// Unused slots are the one place where private values are free: nothing
/// but the slot's own `used = 0` flag reads them, and root and digest pass
/// through the slot unchanged (`an_unused_slot_cannot_change_state` shows a
/// real transfer hidden in an unused slot changes nothing). The check pins
/// down that every free variable lies inside an unused slot.
#[test]
fn free_witness_variables_lie_only_in_unused_slots() {
    use crate::soundness::{default_deltas, free_witness_variables};
    let l = ledger(3);
    let batch = TransferBatch { transfers: vec![transfer(&l, 0, 1, 5, 0)] };
    let (_, w) = apply_batch(&l.state, &l.roots(), &batch, 2).unwrap();
    let report =
        free_witness_variables(TransferBatchCircuit { witness: w }, &default_deltas()).unwrap();
    let unused = witness_count(3, 1)..witness_count(3, 2);
    assert!(!report.free.is_empty(), "unused-slot values are expected to be free");
    for v in &report.free {
        assert!(unused.contains(v), "variable {v} is free outside the unused slot {unused:?}");
    }
}

mod fuzz {
    //! Bounded fuzzing of the state and batch files: malformed or hostile
    //! JSON is an error, never a panic.
    use super::*;

    fn field_string() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,80}",
            "-?[0-9a-fx+ ]{0,12}",
            Just(crate::primitives::field::fr_to_string(&-Fr::from(1u64))),
            Just(
                "21888242871839275222246405745257275088548364400416034343698204186575808495617"
                    .to_string()
            ),
        ]
    }

    fn account() -> impl Strategy<Value = AccountJson> {
        (any::<u64>(), field_string(), field_string(), any::<u64>(), any::<u64>()).prop_map(
            |(index, x, y, balance, nonce)| AccountJson {
                index,
                public_key: [x, y],
                balance,
                nonce,
            },
        )
    }

    fn transfer_json() -> impl Strategy<Value = TransferJson> {
        (
            any::<u64>(),
            any::<u64>(),
            field_string(),
            field_string(),
            any::<u64>(),
            any::<u64>(),
            field_string(),
            field_string(),
            field_string(),
        )
            .prop_map(|(from, to, kx, ky, amount, nonce, rx, ry, s)| TransferJson {
                from,
                to,
                to_public_key: [kx, ky],
                amount,
                nonce,
                signature_r8: [rx, ry],
                signature_s: s,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = serde_json::from_str::<StateJson>(&text).map(|s| s.to_state());
            let _ = serde_json::from_str::<BatchJson>(&text).map(|b| b.to_batch());
        }

        #[test]
        fn hostile_states_and_batches_are_errors_not_panics(
            depth in prop_oneof![0usize..70, Just(usize::MAX)],
            accounts in proptest::collection::vec(account(), 0..4),
            transfers in proptest::collection::vec(transfer_json(), 0..4),
        ) {
            let state = StateJson { depth, accounts }.to_state();
            let batch = BatchJson { transfers }.to_batch();
            if let (Ok(state), Ok(batch)) = (state, batch) {
                let roots = LedgerRoots::accounts_only(state.root().0);
                let _ = apply_batch(&state, &roots, &batch, 4);
                let _ = build_witness_unchecked(&state, &roots, &batch, 4);
            }
        }
    }
}

#[test]
fn public_inputs_are_allocated_in_the_declared_order() {
    use crate::circuit::{check_input_order, Circuit, CircuitShape};
    let l = SampleLedger::new(6, 4, 1_000).unwrap();
    let (_, witness) = apply_batch(&l.state, &l.roots(), &l.batch(2), 3).unwrap();
    let circuit = TransferBatchCircuit { witness };
    check_input_order(circuit.clone()).unwrap();
    assert_eq!(circuit.shape(), TransferShape { depth: 6, slots: 3 });
    assert_eq!(circuit.shape().spec().inputs, ["old_root", "new_root", "batch_digest"]);
    // Declared order and allocation order disagreeing is caught: a circuit
    // that names its inputs in another order than it allocates them.
    #[derive(Clone)]
    struct Swapped(TransferBatchCircuit);
    impl ark_relations::gr1cs::ConstraintSynthesizer<Fr> for Swapped {
        fn generate_constraints(
            self,
            cs: ark_relations::gr1cs::ConstraintSystemRef<Fr>,
        ) -> Result<(), ark_relations::gr1cs::SynthesisError> {
            self.0.generate_constraints(cs)
        }
    }
    impl Circuit for Swapped {
        type Shape = TransferShape;
        fn shape(&self) -> TransferShape {
            self.0.shape()
        }
        fn for_setup(shape: &TransferShape) -> Self {
            Swapped(TransferBatchCircuit::for_setup(shape.depth, shape.slots))
        }
        fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
            let w = &self.0.witness;
            vec![("old_root", w.new_root), ("new_root", w.old_root), ("batch_digest", w.digest)]
        }
    }
    let e = check_input_order(Swapped(circuit)).unwrap_err();
    assert!(e.contains("allocates its inputs as [new_root, old_root, batch_digest]"), "{e}");
}

#[test]
fn shapes_round_trip_and_bad_ones_are_refused_in_words() {
    use crate::circuit::{AnyShape, CircuitShape};
    let shape = TransferShape { depth: 32, slots: 4 };
    let params = shape.params();
    assert_eq!(params, vec![("depth".to_string(), 32), ("slots".to_string(), 4)]);
    assert_eq!(TransferShape::parse("transfer-batch", &params).unwrap(), shape);
    assert_eq!(AnyShape::parse("transfer-batch", &params).unwrap(), AnyShape::TransferBatch(shape));
    assert_eq!(shape.describe(), "depth 32, 4 slots");
    let zero = [("depth".to_string(), 0), ("slots".to_string(), 4)];
    let e = TransferShape::parse("transfer-batch", &zero).unwrap_err().to_string();
    assert_eq!(e, "transfer-batch: depth must be 1 to 64, got 0");
    let e = TransferShape::parse("finality-quorum", &params).unwrap_err().to_string();
    assert!(e.contains("finality-quorum has parameters set_depth"), "{e}");
    let e = AnyShape::parse("no-such", &params).unwrap_err().to_string();
    assert_eq!(e, "unknown circuit \"no-such\"");
}
