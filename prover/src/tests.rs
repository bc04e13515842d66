use crate::keys::{self, Keys};
use crate::{transfer, Error, Prover};
use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_serialize::CanonicalSerialize;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use stateproof_circuits::circuit::CircuitShape;
use stateproof_circuits::finality::{
    check_double_sign, check_quorum, DoubleSign, DoubleSignCircuit, Header, QuorumCircuit,
    QuorumShape, Statement, StatementKind, Threshold,
};
use stateproof_circuits::primitives::poseidon;
use stateproof_circuits::sample::{sample_key, SampleChain, SampleLedger};
use stateproof_circuits::transfer::{apply_batch, TransferBatchCircuit, TransferShape};
use stateproof_kernels::cpu::CpuBackend;
use stateproof_kernels::NttBackend;

/// A Poseidon chain: public `out = H(H(...H(x, 0)...))`, `steps` hashes.
#[derive(Clone)]
struct PoseidonChain {
    x: Fr,
    steps: usize,
}

impl ConstraintSynthesizer<Fr> for PoseidonChain {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let mut native = self.x;
        for _ in 0..self.steps {
            native = poseidon::hash2(native, Fr::from(0u64));
        }
        let out = FpVar::new_input(cs.clone(), || Ok(native))?;
        let mut cur = FpVar::new_witness(cs, || Ok(self.x))?;
        for _ in 0..self.steps {
            cur = poseidon::poseidon_gadget(&[cur, FpVar::Constant(Fr::from(0u64))])?;
        }
        cur.enforce_equal(&out)
    }
}

fn bytes<T: CanonicalSerialize>(t: &T) -> Vec<u8> {
    let mut v = Vec::new();
    t.serialize_compressed(&mut v).unwrap();
    v
}

fn assert_identical_to_ark<C: ConstraintSynthesizer<Fr> + Clone>(circuit: C, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let pk = keys::setup(circuit.clone(), &mut rng).unwrap();
    let prover = Prover::new(CpuBackend, CpuBackend, &pk).unwrap();
    // The first proof synthesizes the whole constraint system; the later
    // ones only the assignment, over the matrices the first one kept.
    let randomness = [
        (Fr::rand(&mut rng), Fr::rand(&mut rng)),
        (Fr::from(0u64), Fr::from(0u64)),
        (Fr::rand(&mut rng), Fr::rand(&mut rng)),
    ];
    for (r, s) in randomness {
        let ours = prover.prove(circuit.clone(), r, s).unwrap().0;
        let ark =
            Groth16::<Bn254>::create_proof_with_reduction(circuit.clone(), &pk, r, s).unwrap();
        assert_eq!(bytes(&ours), bytes(&ark), "proof differs from ark-groth16's");
        let pvk = ark_groth16::prepare_verifying_key(&pk.vk);
        let inputs = {
            let cs = ark_relations::gr1cs::ConstraintSystem::new_ref();
            circuit.clone().generate_constraints(cs.clone()).unwrap();
            cs.instance_assignment().unwrap()[1..].to_vec()
        };
        assert!(Groth16::<Bn254>::verify_proof(&pvk, &ours, &inputs).unwrap());
    }
}

#[test]
fn identical_to_ark_groth16_on_a_poseidon_chain() {
    assert_identical_to_ark(PoseidonChain { x: Fr::from(42u64), steps: 5 }, 1);
}

#[test]
fn identical_to_ark_groth16_on_a_transfer_batch() {
    let ledger = SampleLedger::new(4, 3, 100).unwrap();
    let (_, witness) = apply_batch(&ledger.state, &ledger.roots(), &ledger.batch(2), 2).unwrap();
    assert_identical_to_ark(TransferBatchCircuit { witness }, 2);
}

#[test]
fn transfer_update_verifies_and_key_files_round_trip() {
    let ledger = SampleLedger::new(4, 3, 100).unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let shape = TransferShape { depth: 4, slots: 1 };
    let keys = Keys::setup::<TransferBatchCircuit>(&shape, &mut rng).unwrap();
    let prover = Prover::new(CpuBackend, CpuBackend, &keys.proving_key).unwrap();
    let proved =
        transfer::prove_batch(&prover, &keys, &ledger.state, &ledger.roots(), &ledger.batch(1))
            .unwrap();
    proved.update.verify(&keys.verifying_key).unwrap();
    assert_eq!(proved.update.input("old_root").unwrap(), ledger.roots().root());
    assert_eq!(proved.update.input("new_root").unwrap(), proved.state.roots_alone().root());

    let dir = std::env::temp_dir().join(format!("stateproof-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pk_path, vk_path) = (dir.join("transfer.pk"), dir.join("transfer.vk"));
    keys.save_proving_key(&pk_path).unwrap();
    keys.save_verifying_key(&vk_path).unwrap();
    let vk = keys::load_verifying_key(&vk_path).unwrap();
    let loaded = Keys::load_proving_key(&pk_path, Some(&vk)).unwrap();
    assert_eq!(loaded.fingerprint(), keys.fingerprint());
    assert_eq!(loaded.shape, keys.shape);
    let text = std::fs::read(&pk_path).unwrap();
    assert!(String::from_utf8_lossy(&text[..200]).contains("DEVELOPMENT SETUP"));

    // A corrupted key file is reported, not trusted.
    let mut corrupt = text.clone();
    let n = corrupt.len();
    corrupt[n - 40] ^= 0x55;
    std::fs::write(&pk_path, &corrupt).unwrap();
    assert!(matches!(Keys::load_proving_key(&pk_path, None), Err(Error::KeyFile(_))));
    // A proving key that does not belong with the verifying key.
    let other = Keys::setup::<TransferBatchCircuit>(&shape, &mut rng).unwrap();
    other.save_proving_key(&pk_path).unwrap();
    assert!(matches!(Keys::load_proving_key(&pk_path, Some(&vk)), Err(Error::KeyFile(_))));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_batches_and_wrong_keys_are_errors_not_proofs() {
    let ledger = SampleLedger::new(4, 3, 100).unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    let pk = keys::setup(PoseidonChain { x: Fr::from(1u64), steps: 1 }, &mut rng).unwrap();
    let prover = Prover::new(CpuBackend, CpuBackend, &pk).unwrap();
    // A circuit of another shape than the key's.
    let (_, witness) = apply_batch(&ledger.state, &ledger.roots(), &ledger.batch(1), 1).unwrap();
    let err = prover.prove(TransferBatchCircuit { witness }, Fr::from(1u64), Fr::from(1u64));
    assert!(matches!(err, Err(Error::KeyMismatch(_))));
    // Keys for another shape (depth 5, the state has depth 4), and keys of
    // another circuit.
    let mut rng = StdRng::seed_from_u64(40);
    let keys = Keys::setup::<TransferBatchCircuit>(&TransferShape { depth: 5, slots: 1 }, &mut rng)
        .unwrap();
    let prover = Prover::new(CpuBackend, CpuBackend, &keys.proving_key).unwrap();
    let r = transfer::prove_batch(&prover, &keys, &ledger.state, &ledger.roots(), &ledger.batch(1));
    assert!(matches!(r, Err(Error::KeyMismatch(_))));
    let e = r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("the key is for depth 5, the state has depth 4"), "{e}");
    let slashing = stateproof_circuits::finality::SlashingShape { set_depth: 2 };
    let other = Keys::setup::<DoubleSignCircuit>(&slashing, &mut rng).unwrap();
    let e =
        transfer::prove_batch(&prover, &other, &ledger.state, &ledger.roots(), &ledger.batch(1))
            .err();
    let e = e.map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("the key is for double-sign-slash with set depth 2"), "{e}");
}

#[test]
fn unsatisfied_witness_is_an_error() {
    let mut rng = StdRng::seed_from_u64(5);
    let circuit = PoseidonChain { x: Fr::from(1u64), steps: 2 };
    let pk = keys::setup(circuit.clone(), &mut rng).unwrap();
    let prover = Prover::new(CpuBackend, CpuBackend, &pk).unwrap();
    /// The chain with its public output off by one.
    #[derive(Clone)]
    struct Wrong(PoseidonChain);
    impl ConstraintSynthesizer<Fr> for Wrong {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let out = FpVar::new_input(cs.clone(), || Ok(Fr::from(7u64)))?;
            let mut cur = FpVar::new_witness(cs, || Ok(self.0.x))?;
            for _ in 0..self.0.steps {
                cur = poseidon::poseidon_gadget(&[cur, FpVar::Constant(Fr::from(0u64))])?;
            }
            cur.enforce_equal(&out)
        }
    }
    let (r, s) = (Fr::from(1u64), Fr::from(2u64));
    // On a first proof the whole constraint system is there to name the
    // constraint; a failed proof keeps no matrices.
    match prover.prove(Wrong(circuit.clone()), r, s) {
        Err(Error::Unsatisfied(which)) => assert!(which.contains("R1CS"), "{which}"),
        other => panic!("expected an unsatisfied witness, got {:?}", other.map(|_| ())),
    }
    // After a good proof, synthesis builds the assignment alone and the
    // rows are checked over the kept matrices, before any MSM.
    prover.prove(circuit.clone(), r, s).unwrap();
    match prover.prove(Wrong(circuit), r, s) {
        Err(Error::Unsatisfied(which)) => {
            assert!(which.starts_with("constraint ") && which.contains(" of "), "{which}")
        }
        other => panic!("expected an unsatisfied witness, got {:?}", other.map(|_| ())),
    }
}

/// A quorum over a header, an agreement over data, and a slashing, on a
/// small sample set: one circuit of each kind.
fn finality_circuits() -> (QuorumCircuit, QuorumCircuit, DoubleSignCircuit) {
    let chain = SampleChain::new(3, 3).unwrap();
    let header =
        Header::genesis(Fr::from(1u64), chain.set.root()).child(Fr::from(2u64), chain.set.root());
    let st = Statement::Header(header);
    let atts = chain.attest(&st, &[0, 1, 2]);
    let quorum = check_quorum(&chain.set, &st, &atts, Threshold::TWO_THIRDS, 3).unwrap();
    let data = Statement::Data(Fr::from(77u64));
    let atts = chain.attest(&data, &[0, 1, 2]);
    let agreement = check_quorum(&chain.set, &data, &atts, Threshold::ALL, 3).unwrap();
    let key = chain.key(1).unwrap();
    let fork = Header { state_root: Fr::from(3u64), ..header };
    let evidence = DoubleSign {
        index: 1,
        public_key: key.public_key(),
        first: (header, key.sign(header.hash())),
        second: (fork, key.sign(fork.hash())),
    };
    let (_, slash) = check_double_sign(&chain.set, &evidence).unwrap();
    (
        QuorumCircuit { witness: quorum },
        QuorumCircuit { witness: agreement },
        DoubleSignCircuit { witness: slash },
    )
}

#[test]
fn identical_to_ark_groth16_on_finality_agreement_and_slashing() {
    let (finality, agreement, slashing) = finality_circuits();
    assert_identical_to_ark(finality, 4);
    assert_identical_to_ark(agreement, 5);
    assert_identical_to_ark(slashing, 6);
}

fn assert_gpu_equals_cpu<C: ConstraintSynthesizer<Fr> + Clone>(circuit: C, seed: u64) {
    use stateproof_kernels::{BackendChoice, Backends, MsmBackend};
    let mut rng = StdRng::seed_from_u64(seed);
    let pk = keys::setup(circuit.clone(), &mut rng).unwrap();
    let Backends { msm: gpu_msm, ntt: gpu_ntt } =
        Backends::open(BackendChoice::Gpu, &Default::default());
    assert_eq!(gpu_ntt.name(), "gpu", "{}", gpu_ntt.description());
    assert_eq!(gpu_msm.name(), "gpu", "{}", gpu_msm.description());
    let gpu = Prover::new(gpu_msm, gpu_ntt, &pk).unwrap();
    let cpu = Prover::new(CpuBackend, CpuBackend, &pk).unwrap();
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let a = gpu.prove(circuit.clone(), r, s).unwrap().0;
    let b = cpu.prove(circuit, r, s).unwrap().0;
    assert_eq!(bytes(&a), bytes(&b));
    assert_eq!(gpu.backends().0.fallbacks(), 0, "the G1 MSMs ran on the GPU");
}

/// Every circuit of the project, proven on the GPU and on the CPU with the
/// same randomness, gives the same bytes.
#[test]
fn gpu_proofs_equal_cpu_proofs() {
    // Skips (printing why) without an adapter; fails under STATEPROOF_REQUIRE_GPU=1.
    let Some(_) = stateproof_kernels::gpu::device_for_tests() else { return };
    let ledger = SampleLedger::new(4, 3, 100).unwrap();
    let (_, witness) = apply_batch(&ledger.state, &ledger.roots(), &ledger.batch(2), 2).unwrap();
    assert_gpu_equals_cpu(TransferBatchCircuit { witness }, 6);
    let (finality, agreement, slashing) = finality_circuits();
    assert_gpu_equals_cpu(finality, 7);
    assert_gpu_equals_cpu(agreement, 8);
    assert_gpu_equals_cpu(slashing, 9);
    let c = compute_circuits();
    assert_gpu_equals_cpu(c.open, 10);
    assert_gpu_equals_cpu(c.result, 18);
    assert_gpu_equals_cpu(c.mediation, 20);
    assert_gpu_equals_cpu(c.verdict, 22);
    assert_gpu_equals_cpu(c.settle, 11);
    let (commit, resolve) = trust_circuits();
    assert_gpu_equals_cpu(commit, 12);
    assert_gpu_equals_cpu(resolve, 13);
}

/// The GPU MSM with precomputed copies of the key's bases (what hardware
/// adapters use by default) proves the same bytes as the CPU.
#[test]
fn gpu_proofs_with_precomputed_bases_equal_cpu_proofs() {
    use stateproof_kernels::gpu::{GpuMsm, GpuNtt};
    let Some(ctx) = stateproof_kernels::gpu::device_for_tests() else { return };
    let ledger = SampleLedger::new(4, 3, 100).unwrap();
    let (_, witness) = apply_batch(&ledger.state, &ledger.roots(), &ledger.batch(1), 1).unwrap();
    let circuit = TransferBatchCircuit { witness };
    let mut rng = StdRng::seed_from_u64(14);
    let pk = keys::setup(circuit.clone(), &mut rng).unwrap();
    let msm = GpuMsm::new(ctx.clone()).with_precompute(2);
    let gpu = Prover::new(msm, GpuNtt::new(ctx), &pk).unwrap();
    let cpu = Prover::new(CpuBackend, CpuBackend, &pk).unwrap();
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let a = gpu.prove(circuit.clone(), r, s).unwrap().0;
    assert_eq!(bytes(&a), bytes(&cpu.prove(circuit, r, s).unwrap().0));
}

/// A deal of one node (account 1) for client 0, deadline 4.
fn one_node_deal(committee: &SampleChain) -> stateproof_circuits::compute::Deal {
    stateproof_circuits::compute::Deal {
        id: 1,
        client: 0,
        nodes: vec![1],
        job: Fr::from(9u64),
        price: 10,
        deposit: 30,
        collateral: 20,
        mediators: committee.set.root(),
        mediation_fee: 5,
        deadline: 4,
    }
}

/// Settlements of one-node deals on account depth 3, deal depth 2, the
/// treasury at account 2.
fn one_node_settle_shape() -> stateproof_circuits::compute::SettleShape {
    use stateproof_circuits::compute::*;
    let rules = SettlementRules { treasury: 2, ..simulate::default_rules() };
    SettleShape { depth: 3, deal_depth: 2, k: 1, slots: 1, rules }
}

/// Verdicts on one-node deals by a one-mediator committee of depth 2.
fn one_node_verdict_shape() -> stateproof_circuits::compute::VerdictShape {
    use stateproof_circuits::finality::Threshold;
    stateproof_circuits::compute::VerdictShape {
        depth: 3,
        deal_depth: 2,
        committee_depth: 2,
        k: 1,
        mediator_slots: 1,
        slots: 1,
        threshold: Threshold::TWO_THIRDS,
    }
}

/// A circuit of each compute kind, on small trees.
struct ComputeCircuits {
    open: stateproof_circuits::compute::OpenDealsCircuit,
    result: stateproof_circuits::compute::SubmitResultsCircuit,
    mediation: stateproof_circuits::compute::RequestMediationCircuit,
    verdict: stateproof_circuits::compute::RecordVerdictsCircuit,
    settle: stateproof_circuits::compute::SettleDealsCircuit,
}

/// One deal (k = 1) opened, its result put on the record, then settled
/// unanimously; and, apart, its client's call for mediation and the
/// committee's verdict on it.
fn compute_circuits() -> ComputeCircuits {
    use stateproof_circuits::compute::*;
    use stateproof_circuits::ledger::{Account, State};
    let mut state = State::new(3).unwrap();
    for i in 0..3 {
        let a = Account { public_key: sample_key(i).public_key(), balance: 1_000, nonce: 0 };
        state.set_account(i, a).unwrap();
    }
    let ledger = Ledger::new(state, 2).unwrap();
    let committee = SampleChain::new(2, 1).unwrap();
    let deal = one_node_deal(&committee);
    let sigs = [0u64, 1].iter().map(|i| sample_key(*i).sign(deal.hash())).collect();
    let (opened, open) = open_batch(&ledger, &[(deal.clone(), sigs)], 1, 1).unwrap();
    let shape = one_node_settle_shape();
    let signed = SignedResult::sign(&sample_key(1), &deal, Fr::from(3u64));
    let submission = ResultSubmission { deal_id: 1, node: 0, signed };
    let result_shape = ResultShape { depth: 3, deal_depth: 2, k: 1, slots: 1 };
    let (recorded, result) = submit_batch(&opened, &[submission], &result_shape, 2).unwrap();
    let (_, settle) = settle_batch(&recorded, &[Settlement { deal_id: 1 }], &shape, 5).unwrap();
    // A call for mediation of the same deal, and the verdict on it.
    let request = MediationRequest::sign(&sample_key(0), &deal);
    let mediation_shape = MediationShape { depth: 3, deal_depth: 2, k: 1, slots: 1 };
    let (mediating, mediation) = mediate_batch(&recorded, &[request], &mediation_shape, 2).unwrap();
    let statement = Statement::Data(verdict_commitment(&deal, Fr::from(3u64)));
    let attestations = committee.attest(&statement, &[0]);
    let v = Verdict { deal_id: 1, result: Fr::from(3u64), attestations };
    let committees = std::slice::from_ref(&committee.set);
    let (_, verdict) =
        decide_batch(&mediating, &[v], committees, &one_node_verdict_shape()).unwrap();
    ComputeCircuits {
        open: OpenDealsCircuit { witness: open },
        result: SubmitResultsCircuit { witness: result },
        mediation: RequestMediationCircuit { witness: mediation },
        verdict: RecordVerdictsCircuit { witness: verdict },
        settle: SettleDealsCircuit { witness: settle },
    }
}

/// One sponsorship committed and resolved (one sponsor defects).
fn trust_circuits(
) -> (stateproof_circuits::trust::CommitCircuit, stateproof_circuits::trust::ResolveCircuit) {
    use stateproof_circuits::trust::*;
    let rules = AdmissionRules { suspension: 3, period: 2 };
    let ledger =
        TrustLedger::new(3, (0..2).map(|i| (i, sample_key(i).public_key())), rules).unwrap();
    let k = |i: u64| sample_key(i).public_key();
    let s = Sponsorship {
        id: 1,
        sponsors: [0, 1],
        candidate: k(10),
        defector_keys: [[k(11), k(12)], [k(13), k(14)]],
        epoch: 0,
    };
    let choices = [Choice::Cooperate, Choice::Defect];
    let commits: Vec<Commit> = (0..2)
        .map(|i| {
            Commit::sign(&sample_key(i as u64), i as u64, &s, choices[i], Fr::from(5 + i as u64))
        })
        .collect();
    let (committed, commit) = commit_batch(&ledger, &commits, 0, 2).unwrap();
    let reveal = Reveal {
        sponsorship: s,
        openings: [(choices[0], Fr::from(5u64)), (choices[1], Fr::from(6u64))],
    };
    let (_, resolve) = resolve_batch(&committed, &[reveal], 1).unwrap();
    (CommitCircuit { witness: commit }, ResolveCircuit { witness: resolve })
}

#[test]
fn identical_to_ark_groth16_on_compute_and_trust() {
    let c = compute_circuits();
    assert_identical_to_ark(c.open, 14);
    assert_identical_to_ark(c.result, 19);
    assert_identical_to_ark(c.mediation, 21);
    assert_identical_to_ark(c.verdict, 23);
    assert_identical_to_ark(c.settle, 15);
    let (commit, resolve) = trust_circuits();
    assert_identical_to_ark(commit, 16);
    assert_identical_to_ark(resolve, 17);
}

#[test]
fn finality_updates_verify_and_follow_with_the_light_client() {
    use crate::finality::*;
    use stateproof_verifier::{Checkpoint, FinalityClient};
    let mut rng = StdRng::seed_from_u64(10);
    let chain = SampleChain::new(3, 3).unwrap();
    let shape = QuorumShape {
        depth: 3,
        slots: 3,
        threshold: Threshold::TWO_THIRDS,
        kind: StatementKind::Header,
    };
    let keys = Keys::setup::<QuorumCircuit>(&shape, &mut rng).unwrap();
    assert_eq!(keys.shape_as::<QuorumShape>().unwrap(), shape);
    assert_eq!(keys.spec().id, shape.spec().id);
    let prover = Prover::new(CpuBackend, CpuBackend, &keys.proving_key).unwrap();
    let genesis = Header::genesis(Fr::from(1u64), chain.set.root());
    let h1 = genesis.child(Fr::from(2u64), chain.set.root());
    let st = Statement::Header(h1);
    let (update, _) =
        prove_quorum(&prover, &keys, &chain.set, &st, &chain.quorum(&st, shape.threshold)).unwrap();
    let checkpoint = Checkpoint {
        height: 0,
        header_hash: genesis.hash(),
        state_root: genesis.state_root,
        set_root: genesis.next_set_root,
    };
    let mut client = FinalityClient::new(keys.verifying_key.clone(), checkpoint).unwrap();
    let done = client.apply(&update).unwrap();
    assert_eq!((done.height, done.header_hash), (1, h1.hash()));
    // A data statement under header keys, and too few signers, are errors.
    let data = Statement::Data(Fr::from(1u64));
    assert!(matches!(
        prove_quorum(&prover, &keys, &chain.set, &data, &chain.attest(&data, &[0, 1, 2])),
        Err(Error::KeyMismatch(_))
    ));
    assert!(matches!(
        prove_quorum(&prover, &keys, &chain.set, &st, &chain.attest(&st, &[0])),
        Err(Error::Rules(_))
    ));
}

/// An NTT backend that computes correctly and then corrupts one element, or
/// fails outright: stand-ins for a faulty device.
struct FaultyNtt {
    garbage: bool,
}

impl NttBackend for FaultyNtt {
    fn name(&self) -> &'static str {
        "faulty"
    }

    fn run_unchecked(
        &self,
        vectors: Vec<Vec<Fr>>,
        steps: &[stateproof_kernels::NttStep],
        out: usize,
    ) -> stateproof_kernels::Result<Vec<Fr>> {
        if !self.garbage {
            return Err(stateproof_kernels::Error::DeviceLost("test".into()));
        }
        let mut values = CpuBackend.run_unchecked(vectors, steps, out)?;
        values[0] += Fr::from(1u64);
        Ok(values)
    }
}

#[test]
fn a_backend_that_returns_garbage_yields_an_error_not_a_proof() {
    let circuit = PoseidonChain { x: Fr::from(3u64), steps: 2 };
    let mut rng = StdRng::seed_from_u64(8);
    let pk = keys::setup(circuit.clone(), &mut rng).unwrap();
    let prover = Prover::new(CpuBackend, FaultyNtt { garbage: true }, &pk).unwrap();
    let r = prover.prove(circuit.clone(), Fr::from(5u64), Fr::from(6u64));
    assert!(matches!(r, Err(Error::BackendFault { ntt: "faulty", .. })), "{:?}", r.err());
    let prover = Prover::new(CpuBackend, FaultyNtt { garbage: false }, &pk).unwrap();
    let r = prover.prove(circuit, Fr::from(5u64), Fr::from(6u64));
    assert!(matches!(r, Err(Error::Kernel(_))), "{:?}", r.err());
}

#[test]
fn an_assignment_made_beforehand_proves_what_the_circuit_proves() {
    let ledger = SampleLedger::new(4, 3, 100).unwrap();
    let mut rng = StdRng::seed_from_u64(6);
    let shape = TransferShape { depth: 4, slots: 2 };
    let keys = Keys::setup::<TransferBatchCircuit>(&shape, &mut rng).unwrap();
    let prover = Prover::new(CpuBackend, CpuBackend, &keys.proving_key).unwrap();
    let circuit = |n| TransferBatchCircuit {
        witness: apply_batch(&ledger.state, &ledger.roots(), &ledger.batch(n), 2).unwrap().1,
    };
    let assignment = crate::Assignment::synthesize(circuit(2)).unwrap();
    let (r, s) = (Fr::from(3u64), Fr::from(5u64));
    // Before its first proof a prover has no matrices to prove it over.
    assert!(!prover.keeps_matrices());
    assert!(matches!(prover.prove_synthesized(&assignment, r, s), Err(Error::KeyMismatch(_))));
    let whole = prover.prove(circuit(2), r, s).unwrap().0;
    assert!(prover.keeps_matrices());
    let ahead = prover.prove_synthesized(&assignment, r, s).unwrap().0;
    assert_eq!(bytes(&ahead), bytes(&whole), "the same proof for the same randomness");
    // An assignment of another batch is refused, not wrapped in this
    // batch's update.
    let other = crate::Assignment::synthesize(circuit(1)).unwrap();
    let e = keys.prove_synthesized(&prover, &circuit(2), &other).err().map(|e| e.to_string());
    assert!(e.is_some_and(|e| e.contains("public inputs are not the circuit's")));

    // The node's path: prepared on one thread, proven on another.
    let (next, prepared) =
        transfer::prepare_batch(&shape, &ledger.state, &ledger.roots(), &ledger.batch(2)).unwrap();
    let (update, timings) = transfer::prove_prepared(&prover, &keys, &prepared).unwrap();
    update.verify(&keys.verifying_key).unwrap();
    assert_eq!(update.input("new_root").unwrap(), next.roots_alone().root());
    assert!(timings.synthesis > std::time::Duration::ZERO);
    let deeper = TransferShape { depth: 5, slots: 2 };
    let e =
        transfer::prepare_batch(&deeper, &ledger.state, &ledger.roots(), &ledger.batch(2)).err();
    assert!(
        e.is_some_and(|e| e.to_string().contains("the key is for depth 5, the state has depth 4"))
    );
}

/// Proves `circuit` under fresh development keys: its verifying key and
/// update.
fn proven<C: stateproof_circuits::circuit::Circuit>(
    circuit: C,
    seed: u64,
) -> (stateproof_verifier::VerifyingKey, stateproof_verifier::CompressedUpdate) {
    let keys = Keys::setup::<C>(&circuit.shape(), &mut StdRng::seed_from_u64(seed)).unwrap();
    let prover = Prover::new(CpuBackend, CpuBackend, &keys.proving_key).unwrap();
    let (update, _) = keys.prove(&prover, circuit).unwrap();
    (keys.verifying_key, update)
}

/// One ledger, one root: a transfer, a deal opened, its result recorded,
/// mediation called, the verdict recorded, the deal settled by it, a
/// sponsorship committed and resolved, each by its own circuit, chain one
/// ledger root; a light client holding the eight keys follows them from
/// genesis to the end, and refuses them out of order or without a key.
#[test]
fn a_light_client_follows_one_ledger_root_through_every_kind() {
    use stateproof_circuits::book::Book;
    use stateproof_circuits::compute::*;
    use stateproof_circuits::ledger::{Account, State};
    use stateproof_circuits::transfer::Transfer;
    use stateproof_circuits::trust::*;
    use stateproof_verifier::LightClient;
    let mut accounts = State::new(3).unwrap();
    for i in 0..4 {
        let a = Account { public_key: sample_key(i).public_key(), balance: 1_000, nonce: 0 };
        accounts.set_account(i, a).unwrap();
    }
    let admission = AdmissionRules { suspension: 3, period: 2 };
    let members = (0..2).map(|i| (i, sample_key(10 + i).public_key()));
    let members = TrustLedger::new(3, members, admission).unwrap();
    let mut book = Book::new(accounts, 2, members).unwrap();
    let genesis = book.root();
    let mut chain = Vec::new();

    // A transfer: account 0 pays account 3.
    let t = Transfer::sign(&sample_key(0), 0, 3, sample_key(3).public_key(), 5, 0);
    let batch = stateproof_circuits::transfer::TransferBatch { transfers: vec![t] };
    let (next, w) = book.transfer(&batch, 1).unwrap();
    book = next;
    chain.push(proven(TransferBatchCircuit { witness: w }, 30));

    // A deal of one node opened and its result recorded; the client calls
    // for mediation; the committee's verdict goes on the record and the
    // deal settles by it.
    let committee = SampleChain::new(2, 1).unwrap();
    let deal = one_node_deal(&committee);
    let sigs = [0u64, 1].iter().map(|i| sample_key(*i).sign(deal.hash())).collect();
    let (next, w) = book.open(&[(deal.clone(), sigs)], 1, 1).unwrap();
    book = next;
    chain.push(proven(OpenDealsCircuit { witness: w }, 31));
    let signed = SignedResult::sign(&sample_key(1), &deal, Fr::from(3u64));
    let shape = ResultShape { depth: 3, deal_depth: 2, k: 1, slots: 1 };
    let s = ResultSubmission { deal_id: 1, node: 0, signed };
    let (next, w) = book.submit(&[s], &shape, 2).unwrap();
    book = next;
    chain.push(proven(SubmitResultsCircuit { witness: w }, 32));
    let shape = MediationShape { depth: 3, deal_depth: 2, k: 1, slots: 1 };
    let request = MediationRequest::sign(&sample_key(0), &deal);
    let (next, w) = book.mediate(&[request], &shape, 3).unwrap();
    book = next;
    chain.push(proven(RequestMediationCircuit { witness: w }, 36));
    let statement = Statement::Data(verdict_commitment(&deal, Fr::from(3u64)));
    let attestations = committee.attest(&statement, &[0]);
    let verdict = Verdict { deal_id: 1, result: Fr::from(3u64), attestations };
    let committees = std::slice::from_ref(&committee.set);
    let (next, w) = book.decide(&[verdict], committees, &one_node_verdict_shape()).unwrap();
    book = next;
    chain.push(proven(RecordVerdictsCircuit { witness: w }, 37));
    let settlement = Settlement { deal_id: 1 };
    let (next, w) = book.settle(&[settlement], &one_node_settle_shape(), 5).unwrap();
    book = next;
    chain.push(proven(SettleDealsCircuit { witness: w }, 33));
    assert_eq!(book.members().root(), book.root(), "one ledger: one root from either part");

    // A sponsorship, committed and resolved, over the same ledger.
    let k = |i: u64| sample_key(i).public_key();
    let sponsorship = Sponsorship {
        id: 1,
        sponsors: [0, 1],
        candidate: k(20),
        defector_keys: [[k(21), k(22)], [k(23), k(24)]],
        epoch: 0,
    };
    let commits: Vec<Commit> = (0..2u64)
        .map(|i| {
            let salt = Fr::from(5 + i);
            Commit::sign(&sample_key(10 + i), i, &sponsorship, Choice::Cooperate, salt)
        })
        .collect();
    let (next, w) = book.commit(&commits, 0, 2).unwrap();
    book = next;
    chain.push(proven(CommitCircuit { witness: w }, 34));
    let openings = [(Choice::Cooperate, Fr::from(5u64)), (Choice::Cooperate, Fr::from(6u64))];
    let (next, w) = book.resolve(&[Reveal { sponsorship, openings }], 1).unwrap();
    book = next;
    chain.push(proven(ResolveCircuit { witness: w }, 35));
    assert_eq!(book.ledger().accounts.account(1).unwrap().balance, 1_000 - 20 + 30);
    assert_eq!(book.members().members().len(), 3, "the candidate admitted");

    let keys: Vec<_> = chain.iter().map(|(vk, _)| vk.clone()).collect();
    let updates: Vec<_> = chain.iter().map(|(_, u)| u.clone()).collect();
    let mut client = LightClient::with_keys(keys.clone(), genesis).unwrap();
    let done = client.catch_up(&updates);
    assert_eq!(done.rejected, None);
    assert_eq!(done.accepted.len(), 8);
    assert_eq!(client.root(), book.root());
    // One by one, the same; out of order, refused where the chain breaks.
    let mut one_by_one = LightClient::with_keys(keys.clone(), genesis).unwrap();
    for u in &updates {
        one_by_one.apply(u).unwrap();
    }
    assert_eq!(one_by_one.root(), client.root());
    let mut swapped = updates.clone();
    swapped.swap(2, 3);
    let mut client = LightClient::with_keys(keys.clone(), genesis).unwrap();
    let done = client.catch_up(&swapped);
    assert_eq!(done.accepted.len(), 2);
    assert_eq!(done.rejected, Some((2, stateproof_verifier::Error::RootMismatch)));
    // A client without the settlement key stops at the settlement.
    let mut partial = LightClient::with_keys(
        keys.iter().enumerate().filter(|(i, _)| *i != 5).map(|(_, k)| k.clone()).collect(),
        genesis,
    )
    .unwrap();
    let done = partial.catch_up(&updates);
    assert_eq!(done.rejected, Some((5, stateproof_verifier::Error::FingerprintMismatch)));
}

/// A witness of each wire-format circuit, sent as bytes, is proven under
/// its key into an update that verifies with the witness's inputs; bytes
/// under another circuit's key, named for another circuit than they hold,
/// or damaged are errors.
#[test]
fn witnesses_in_job_bytes_are_proven_under_their_keys() {
    use crate::job::prove_witness_bytes;
    use stateproof_circuits::circuit::Circuit;
    use stateproof_circuits::wire::{to_bytes, JobWitness};
    fn check<W: JobWitness>(w: W, seed: u64) -> Keys
    where
        W::Circuit: Clone,
    {
        let circuit = w.clone().into_circuit();
        let shape = circuit.shape();
        let keys = Keys::setup::<W::Circuit>(&shape, &mut StdRng::seed_from_u64(seed)).unwrap();
        let prover = Prover::new(CpuBackend, CpuBackend, &keys.proving_key).unwrap();
        let bytes = to_bytes(&w);
        let (update, _) = prove_witness_bytes(&prover, &keys, W::SPEC.id, &bytes).unwrap();
        update.verify(&keys.verifying_key).unwrap();
        let expected = circuit.named_inputs();
        for (name, value) in expected {
            assert_eq!(update.input(name).unwrap(), value, "{}: {name}", W::SPEC.id);
        }
        let mut damaged = bytes.clone();
        damaged.truncate(bytes.len() - 1);
        let e = prove_witness_bytes(&prover, &keys, W::SPEC.id, &damaged).unwrap_err();
        assert!(matches!(e, crate::Error::Witness(_)), "{e}");
        keys
    }
    let c = compute_circuits();
    let (commit, resolve) = trust_circuits();
    let open = check(c.open.witness, 40);
    check(c.result.witness, 41);
    check(c.mediation.witness, 42);
    check(c.verdict.witness, 43);
    let settle_bytes = to_bytes(&c.settle.witness);
    check(c.settle.witness, 44);
    check(commit.witness, 45);
    check(resolve.witness, 46);
    // A settlement's bytes under the opening's key; a circuit with no wire format.
    let prover = Prover::new(CpuBackend, CpuBackend, &open.proving_key).unwrap();
    let e = prove_witness_bytes(&prover, &open, "compute-settle", &settle_bytes).unwrap_err();
    assert!(matches!(e, crate::Error::KeyMismatch(_)), "{e}");
    let e = prove_witness_bytes(&prover, &open, "compute-open", &settle_bytes).unwrap_err();
    assert!(e.to_string().contains("compute-settle"), "{e}");
    let e = prove_witness_bytes(&prover, &open, "transfer-batch", &settle_bytes).unwrap_err();
    assert!(matches!(e, crate::Error::KeyMismatch(_)), "{e}");
}
