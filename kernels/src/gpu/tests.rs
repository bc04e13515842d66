//! GPU kernels against arkworks and the CPU backend, on random and
//! adversarial inputs. Each test skips with a printed reason when no adapter
//! exists, and fails when `STATEPROOF_REQUIRE_GPU=1`.

use super::field::MulVariant;
use super::microbench::{self, compile, download, pipeline, storage, upload};
use super::{device_for_tests, GpuConfig, GpuDevice, GpuNtt, LimitCaps};
use crate::cpu::CpuBackend;
use crate::{NttBackend, NttKind, NttStep};
use ark_bn254::{Fq, Fr};
use ark_ff::{BigInteger, Field, PrimeField, UniformRand, Zero};
use ark_std::rand::{rngs::StdRng, SeedableRng};

const OPS: [&str; 9] =
    ["add", "sub", "double", "neg", "mul", "square", "inverse", "to_mont", "from_mont"];

/// Runs `entry` of the field test shader over `lhs`, `rhs` (raw limbs).
fn run_field_kernel<F: PrimeField>(
    ctx: &GpuDevice,
    variant: MulVariant,
    entry: &str,
    op: u32,
    chain: u32,
    lhs: &[[u64; 4]],
    rhs: &[[u64; 4]],
) -> Vec<[u64; 4]> {
    let src = microbench::field_test_source::<F>(variant).unwrap();
    let module = compile(ctx, "field test", &src).unwrap();
    let pipeline = pipeline(ctx, &module, entry).unwrap();
    let bytes =
        |v: &[[u64; 4]]| -> Vec<u8> { v.iter().flatten().flat_map(|l| l.to_le_bytes()).collect() };
    let a = upload(ctx, "lhs", &bytes(lhs)).unwrap();
    let b = upload(ctx, "rhs", &bytes(rhs)).unwrap();
    let out = storage(ctx, "out", 32 * lhs.len() as u64).unwrap();
    let params = [op, lhs.len() as u32, chain, 0];
    let groups = ((lhs.len() as u32).div_ceil(64), 1);
    microbench::dispatch(ctx, &pipeline, &[&a, &b, &out], params, groups).unwrap();
    download(ctx, &out, 32 * lhs.len() as u64)
        .unwrap()
        .chunks_exact(32)
        .map(|c| {
            std::array::from_fn(|i| u64::from_le_bytes(c[8 * i..8 * i + 8].try_into().unwrap()))
        })
        .collect()
}

fn limbs<B: BigInteger>(b: &B) -> [u64; 4] {
    std::array::from_fn(|i| b.as_ref()[i])
}

/// Random values and the edges: 0, 1, p−1, p−2, R mod p, and values just
/// below 2^k at every 32-bit limb boundary.
fn test_values<F: PrimeField<BigInt = ark_ff::BigInt<4>>>(rng: &mut StdRng) -> Vec<F> {
    let mut v = vec![F::zero(), F::one(), -F::one(), -F::from(2u64)];
    v.push(F::from(2u64).pow([256]));
    for k in (32..=224).step_by(32) {
        v.push(F::from(2u64).pow([k]) - F::one());
    }
    v.extend((0..48).map(|_| F::rand(rng)));
    v
}

fn check_field_ops<F: PrimeField<BigInt = ark_ff::BigInt<4>>>(
    ctx: &GpuDevice,
    variant: MulVariant,
) {
    let mut rng = StdRng::seed_from_u64(11);
    let xs = test_values::<F>(&mut rng);
    let mut ys = xs.clone();
    ys.reverse();
    ys.rotate_left(3);
    // Montgomery forms, as the device holds them: the repr of x·R.
    let mont = |x: &F| -> [u64; 4] { limbs(&(*x * F::from(2u64).pow([256])).into_bigint()) };
    let raw: Vec<[u64; 4]> = xs.iter().map(mont).collect();
    let raw_y: Vec<[u64; 4]> = ys.iter().map(mont).collect();
    for (op, name) in OPS.iter().enumerate() {
        let (lhs, rhs) = if *name == "to_mont" {
            (xs.iter().map(|x| limbs(&x.into_bigint())).collect::<Vec<_>>(), raw_y.clone())
        } else {
            (raw.clone(), raw_y.clone())
        };
        let got = run_field_kernel::<F>(ctx, variant, "apply_op", op as u32, 0, &lhs, &rhs);
        for (i, (x, y)) in xs.iter().zip(&ys).enumerate() {
            let expected = match *name {
                "add" => mont(&(*x + y)),
                "sub" => mont(&(*x - y)),
                "double" => mont(&x.double()),
                "neg" => mont(&-*x),
                "mul" => mont(&(*x * y)),
                "square" => mont(&x.square()),
                "inverse" => mont(&x.inverse().unwrap_or(F::zero())),
                "to_mont" => mont(x),
                _ => limbs(&x.into_bigint()),
            };
            assert_eq!(got[i], expected, "{name} ({variant:?}) on input {i}: {x}");
        }
    }
}

#[test]
fn field_ops_match_arkworks_for_fr_and_fq_in_both_variants() {
    let Some(ctx) = device_for_tests() else { return };
    let mut variants = vec![MulVariant::U16Digits];
    if ctx.mul_variant == MulVariant::U32Digits {
        variants.push(MulVariant::U32Digits);
    }
    for variant in variants {
        check_field_ops::<Fr>(&ctx, variant);
        check_field_ops::<Fq>(&ctx, variant);
    }
}

fn inputs(n: usize, rng: &mut StdRng) -> Vec<(&'static str, Vec<Fr>)> {
    let mut single = vec![Fr::zero(); n];
    single[n / 3] = Fr::rand(rng);
    vec![
        ("random", (0..n).map(|_| Fr::rand(rng)).collect()),
        ("zeros", vec![Fr::zero(); n]),
        ("all p-1", vec![-Fr::ONE; n]),
        ("single nonzero", single),
    ]
}

const KINDS: [NttKind; 5] = [
    NttKind::Forward,
    NttKind::Inverse,
    NttKind::CosetForward,
    NttKind::CosetInverse,
    NttKind::OddCosetForward,
];

/// The Groth16 witness map as a program (ark-groth16's, or snarkjs's on the
/// odd coset without the division and the last transform), on `ntt`.
fn quotient(ntt: &impl NttBackend, a: &[Fr], b: &[Fr], c: &[Fr], odd: bool) -> Vec<Fr> {
    let n = a.len();
    let coset = if odd { NttKind::OddCosetForward } else { NttKind::CosetForward };
    let scale = if odd { Fr::ONE } else { crate::coset_vanishing_inverse(n).unwrap() };
    let mut steps = Vec::new();
    for v in 0..3 {
        steps.push(NttStep::Transform { v, kind: NttKind::Inverse });
        steps.push(NttStep::Transform { v, kind: coset });
    }
    steps.push(NttStep::MulSub { a: 0, b: 1, c: 2, scale });
    if !odd {
        steps.push(NttStep::Transform { v: 0, kind: NttKind::CosetInverse });
    }
    ntt.run(vec![a.to_vec(), b.to_vec(), c.to_vec()], &steps, 0).unwrap()
}

fn check_ntt_sizes(logs: impl Iterator<Item = u32>) {
    let Some(ctx) = device_for_tests() else { return };
    check_ntt_sizes_on(&GpuNtt::new(ctx), logs);
}

fn check_ntt_sizes_on(gpu: &GpuNtt, logs: impl Iterator<Item = u32>) {
    let mut rng = StdRng::seed_from_u64(12);
    for log in logs {
        let n = 1usize << log;
        for (name, input) in inputs(n, &mut rng) {
            for kind in KINDS {
                let mut expected = input.clone();
                CpuBackend.ntt(&mut expected, kind).unwrap();
                let mut got = input.clone();
                gpu.ntt(&mut got, kind).unwrap();
                assert!(got == expected, "2^{log} {kind:?} on {name} input differs from ark-poly");
            }
        }
    }
}

#[test]
fn ntt_matches_ark_poly_from_2_to_2_16() {
    check_ntt_sizes(1..=16);
}

#[test]
#[ignore = "large sizes: minutes on a software driver"]
fn ntt_matches_ark_poly_up_to_2_20() {
    check_ntt_sizes(17..=20);
}

#[test]
fn quotient_on_the_device_matches_the_cpu() {
    let Some(ctx) = device_for_tests() else { return };
    let gpu = GpuNtt::new(ctx);
    let mut rng = StdRng::seed_from_u64(13);
    for log in [1u32, 5, 10, 13] {
        let n = 1usize << log;
        let v = |rng: &mut StdRng| (0..n).map(|_| Fr::rand(rng)).collect::<Vec<_>>();
        let (a, b, c) = (v(&mut rng), v(&mut rng), v(&mut rng));
        let expected = quotient(&CpuBackend, &a, &b, &c, true);
        let got = quotient(&gpu, &a, &b, &c, true);
        assert!(got == expected, "odd-coset quotient 2^{log}");
        let expected = quotient(&CpuBackend, &a, &b, &c, false);
        assert!(quotient(&gpu, &a, &b, &c, false) == expected, "quotient 2^{log}");
    }
}

#[test]
fn vectors_split_across_bindings_give_the_same_results() {
    let Some(ctx) = device_for_tests() else { return };
    // Chunks of 2^8 elements: 2^9..2^11 span 2 to 8 bindings per vector.
    let gpu = GpuNtt::new(ctx).with_chunk_log(8);
    check_ntt_sizes_on(&gpu, 7..=11);
    let mut rng = StdRng::seed_from_u64(16);
    for log in [9u32, 11] {
        let n = 1usize << log;
        let v = |rng: &mut StdRng| (0..n).map(|_| Fr::rand(rng)).collect::<Vec<_>>();
        let (a, b, c) = (v(&mut rng), v(&mut rng), v(&mut rng));
        let expected = quotient(&CpuBackend, &a, &b, &c, false);
        assert!(quotient(&gpu, &a, &b, &c, false) == expected, "split quotient 2^{log}");
    }
}

#[test]
fn two_dimensional_grids_with_surplus_workgroups_give_the_same_results() {
    let Some(ctx) = device_for_tests() else { return };
    // At most 7 workgroups per dimension: every dispatch of more than 7
    // workgroups becomes a ragged 7·y grid, as 2^20 and up do under the
    // real limit of 65,535. With vectors split over several bindings, a
    // surplus workgroup that strayed past the end would land inside the
    // last chunk (this is how 2^23 once failed), so test both together.
    let gpu = GpuNtt::new(ctx.clone()).with_max_groups_x(7);
    check_ntt_sizes_on(&gpu, [8u32, 10, 12, 13].into_iter());
    let gpu = GpuNtt::new(ctx).with_chunk_log(8).with_max_groups_x(7);
    check_ntt_sizes_on(&gpu, 9..=11);
    let mut rng = StdRng::seed_from_u64(19);
    let n = 1usize << 11;
    let v = |rng: &mut StdRng| (0..n).map(|_| Fr::rand(rng)).collect::<Vec<_>>();
    let (a, b, c) = (v(&mut rng), v(&mut rng), v(&mut rng));
    let expected = quotient(&CpuBackend, &a, &b, &c, false);
    assert!(quotient(&gpu, &a, &b, &c, false) == expected);
}

#[test]
fn an_ntt_too_large_for_the_adapter_falls_back_to_the_cpu() {
    use crate::FallbackNtt;
    let Some(shared) = device_for_tests() else { return };
    // With 2^4-element chunks a 2^12 vector needs 256 bindings per vector,
    // more than the 64 the device is capped at here (NVIDIA's adapters offer
    // thousands, llvmpipe's far fewer), so the GPU refuses and the CPU
    // computes, identically.
    let caps = LimitCaps { max_storage_buffers: Some(64), ..LimitCaps::default() };
    let config = GpuConfig { device: Some(shared.adapter.index), caps, ..GpuConfig::default() };
    let ctx = GpuDevice::for_config(&config).unwrap();
    assert_eq!(ctx.limits.max_storage_buffers, 64.min(shared.limits.max_storage_buffers));
    let fallback = FallbackNtt::from_gpu(GpuNtt::new(ctx).with_chunk_log(4));
    let mut rng = StdRng::seed_from_u64(17);
    let input: Vec<Fr> = (0..1 << 12).map(|_| Fr::rand(&mut rng)).collect();
    for kind in KINDS {
        let mut expected = input.clone();
        CpuBackend.ntt(&mut expected, kind).unwrap();
        let mut got = input.clone();
        fallback.ntt(&mut got, kind).unwrap();
        assert!(got == expected);
    }
    let h = quotient(&fallback, &input, &input, &input, false);
    assert_eq!(h, quotient(&CpuBackend, &input, &input, &input, false));
    let h = quotient(&fallback, &input, &input, &input, true);
    assert_eq!(h, quotient(&CpuBackend, &input, &input, &input, true));
    assert_eq!(fallback.fallbacks(), KINDS.len() + 2);
}

#[test]
#[ignore = "2^23 elements: minutes on a software driver"]
fn ntt_beyond_one_binding_at_2_23() {
    let Some(ctx) = device_for_tests() else { return };
    let gpu = GpuNtt::new(ctx);
    let mut rng = StdRng::seed_from_u64(18);
    let input: Vec<Fr> = (0..1 << 23).map(|_| Fr::rand(&mut rng)).collect();
    for kind in [NttKind::Forward, NttKind::CosetInverse] {
        let mut expected = input.clone();
        CpuBackend.ntt(&mut expected, kind).unwrap();
        let mut got = input.clone();
        gpu.ntt(&mut got, kind).unwrap();
        assert!(got == expected, "2^23 {kind:?}");
    }
}

#[test]
fn measured_auto_records_one_decision_per_size_and_keeps_results_identical() {
    use crate::FallbackNtt;
    let Some(ctx) = device_for_tests() else { return };
    let auto = FallbackNtt::measured(GpuNtt::new(ctx));
    let mut rng = StdRng::seed_from_u64(20);
    for log in [5u32, 11, 11, 12] {
        let n = 1usize << log;
        let v: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let h = quotient(&auto, &v, &v, &v, false);
        assert_eq!(h, quotient(&CpuBackend, &v, &v, &v, false));
        let mut got = v.clone();
        auto.ntt(&mut got, NttKind::CosetForward).unwrap();
        let mut expected = v;
        CpuBackend.ntt(&mut expected, NttKind::CosetForward).unwrap();
        assert!(got == expected);
    }
    // Sizes below AUTO_MIN_NTT are never measured; each larger size once per kind.
    let sizes: Vec<(u32, bool)> = auto.decisions().iter().map(|(l, q, _)| (*l, *q)).collect();
    assert_eq!(sizes, vec![(11, false), (11, true), (12, false), (12, true)]);
    assert_eq!(auto.fallbacks(), 0);
}

mod curve {
    //! G1 arithmetic in WGSL (XYZZ) against arkworks, with the cases an MSM
    //! meets: P + P, P + (−P), the identity on either side, random points.
    use super::*;
    use crate::gpu::curve::g1_wgsl;
    use crate::gpu::microbench::g1_affine_bytes as affine_bytes;
    use ark_bn254::{G1Affine, G1Projective};
    use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};

    fn fq_at(bytes: &[u8], at: usize) -> Fq {
        Fq::new_unchecked(ark_ff::BigInt(std::array::from_fn(|i| {
            u64::from_le_bytes(bytes[at + 8 * i..at + 8 * i + 8].try_into().unwrap())
        })))
    }

    /// The test module, compiled once per process.
    fn module(ctx: &GpuDevice) -> &'static wgpu::ShaderModule {
        static MODULE: std::sync::OnceLock<wgpu::ShaderModule> = std::sync::OnceLock::new();
        MODULE.get_or_init(|| {
            let src = format!(
                "{}\n{}",
                g1_wgsl(ctx.mul_variant).unwrap(),
                include_str!("wgsl/curve_test.wgsl")
            );
            compile(ctx, "curve test", &src).unwrap()
        })
    }

    /// Runs entry point `entry` of curve_test.wgsl; returns raw XYZZ results.
    fn run(ctx: &GpuDevice, entry: &str, lhs: &[G1Affine], rhs: &[G1Affine]) -> Vec<[Fq; 4]> {
        let pipeline = pipeline(ctx, module(ctx), entry).unwrap();
        let a = upload(ctx, "lhs", &affine_bytes(lhs)).unwrap();
        let b = upload(ctx, "rhs", &affine_bytes(rhs)).unwrap();
        let out = storage(ctx, "out", 128 * lhs.len() as u64).unwrap();
        let params = [lhs.len() as u32, 0, 0, 0];
        let groups = ((lhs.len() as u32).div_ceil(64), 1);
        microbench::dispatch(ctx, &pipeline, &[&a, &b, &out], params, groups).unwrap();
        let bytes = download(ctx, &out, 128 * lhs.len() as u64).unwrap();
        (0..lhs.len()).map(|i| std::array::from_fn(|k| fq_at(&bytes, 128 * i + 32 * k))).collect()
    }

    /// (X/ZZ, Y/ZZZ), or `None` if the coordinates are inconsistent
    /// (ZZ³ ≠ ZZZ², or off the curve).
    fn normalise([x, y, zz, zzz]: [Fq; 4]) -> Option<G1Affine> {
        if zz.is_zero() {
            return zzz.is_zero().then(G1Affine::identity);
        }
        let point = G1Affine::new_unchecked(x * zz.inverse()?, y * zzz.inverse()?);
        (zz.square() * zz == zzz.square() && point.is_on_curve()).then_some(point)
    }

    #[test]
    fn g1_xyzz_arithmetic_matches_arkworks_including_edge_cases() {
        let Some(ctx) = device_for_tests() else { return };
        let mut rng = StdRng::seed_from_u64(21);
        let rand = |rng: &mut StdRng| G1Projective::rand(rng).into_affine();
        let o = G1Affine::identity();
        let mut lhs = Vec::new();
        let mut rhs = Vec::new();
        for _ in 0..24 {
            let (p, q) = (rand(&mut rng), rand(&mut rng));
            lhs.extend([p, p, p, o, p, o]);
            rhs.extend([q, p, -p, q, o, o]);
        }
        for entry in ["add", "add_affine", "double_then_add"] {
            let got = run(&ctx, entry, &lhs, &rhs);
            for (i, (p, q)) in lhs.iter().zip(&rhs).enumerate() {
                let expected = match entry {
                    "double_then_add" => (p.into_group().double() + q - p).into_affine(),
                    _ => (*p + *q).into_affine(),
                };
                let (pz, qz) = (p.is_zero(), q.is_zero());
                assert_eq!(
                    normalise(got[i]),
                    Some(expected),
                    "{entry} on pair {i} (identity: {pz}, {qz})"
                );
            }
        }
        // The on-curve check accepts curve points and rejects a perturbed one.
        let mut off = rand(&mut rng);
        off.y += Fq::ONE;
        let got = run(&ctx, "on_curve", &[rand(&mut rng), o, off], &[o, o, o]);
        let flags: Vec<bool> = got.iter().map(|[_, _, zz, _]| !zz.is_zero()).collect();
        assert_eq!(flags, vec![true, true, false]);
    }
}

mod representation {
    //! The bucket-accumulation representations compared by measurement
    //! (wgsl/accumulate_bench.wgsl, timed by kernels/benches/gpu_micro.rs):
    //! each chain is checked against arkworks here.
    use super::*;
    use crate::gpu::microbench::{g1_affine_bytes as affine_bytes, g1_from_xyzz_bytes};
    use ark_bn254::{G1Affine, G1Projective};
    use ark_ec::{AffineRepr, CurveGroup};

    const ENTRIES: [&str; 3] = ["chain_xyzz", "chain_jacobian", "chain_affine"];

    /// Runs `entry` with `threads` threads of `chain` additions each over
    /// `lhs`/`rhs`; returns each thread's first accumulator.
    fn run(
        ctx: &GpuDevice,
        pipeline: &wgpu::ComputePipeline,
        threads: usize,
        chain: u32,
        lhs: &wgpu::Buffer,
        rhs: &wgpu::Buffer,
        points: usize,
    ) -> Vec<G1Affine> {
        let out = storage(ctx, "out", 128 * threads as u64).unwrap();
        let params = [threads as u32, chain, points as u32, 0];
        let groups = ((threads as u32).div_ceil(64), 1);
        microbench::dispatch(ctx, pipeline, &[lhs, rhs, &out], params, groups).unwrap();
        let bytes = download(ctx, &out, 128 * threads as u64).unwrap();
        bytes
            .chunks_exact(128)
            .map(|xyzz| g1_from_xyzz_bytes(xyzz).unwrap().into_affine())
            .collect()
    }

    /// What thread `t` of `entry` must return.
    fn expected(
        entry: &str,
        t: usize,
        chain: u32,
        batch: u32,
        lhs: &[G1Affine],
        rhs: &[G1Affine],
    ) -> G1Affine {
        let n = lhs.len();
        let (start, terms) = if entry == "chain_affine" {
            let first = t * batch as usize;
            (
                lhs[first % n],
                (0..(chain / batch) as usize).map(|r| rhs[(first + r) % n]).collect::<Vec<_>>(),
            )
        } else {
            (lhs[t % n], (0..chain as usize).map(|k| rhs[(t + k) % n]).collect())
        };
        terms.iter().fold(start.into_group(), |acc, p| acc + p).into_affine()
    }

    fn points(n: usize, rng: &mut StdRng) -> Vec<G1Affine> {
        let all: Vec<G1Projective> = (0..n).map(|_| G1Projective::rand(rng)).collect();
        G1Projective::normalize_batch(&all)
    }

    #[test]
    fn each_representation_sums_like_arkworks() {
        let Some(ctx) = device_for_tests() else { return };
        let mut rng = StdRng::seed_from_u64(24);
        let (lhs, rhs) = (points(50, &mut rng), points(50, &mut rng));
        let lhs_buf = upload(&ctx, "lhs", &affine_bytes(&lhs)).unwrap();
        let rhs_buf = upload(&ctx, "rhs", &affine_bytes(&rhs)).unwrap();
        // Six rounds of 16: chains that wrap around both point arrays.
        let (batch, chain, threads) = (16u32, 96u32, 70usize);
        let src = microbench::accumulate_bench_source(ctx.mul_variant, batch).unwrap();
        let module = compile(&ctx, "accumulate bench", &src).unwrap();
        for entry in ENTRIES {
            let pipeline = pipeline(&ctx, &module, entry).unwrap();
            let got = run(&ctx, &pipeline, threads, chain, &lhs_buf, &rhs_buf, lhs.len());
            for (t, p) in got.iter().enumerate() {
                assert_eq!(*p, expected(entry, t, chain, batch, &lhs, &rhs), "{entry}, thread {t}");
            }
        }
    }
}

mod decompose {
    //! Signed-digit decomposition: the CPU twin reconstructs every scalar,
    //! and the GPU kernel equals the CPU twin.
    use super::*;
    use crate::gpu::msm::decompose::{decompose, signed_digits, windows, NEGATIVE};

    fn scalars(rng: &mut StdRng) -> Vec<Fr> {
        let two = Fr::from(2u64);
        let mut v =
            vec![Fr::zero(), Fr::ONE, -Fr::ONE, -two, two.pow([253]), two.pow([253]) - Fr::ONE];
        v.extend((1..8).map(|k| two.pow([32 * k]) - Fr::ONE));
        v.extend((0..40).map(|_| Fr::rand(rng)));
        v
    }

    #[test]
    fn cpu_twin_digits_reconstruct_the_scalar() {
        let mut rng = StdRng::seed_from_u64(22);
        for c in [2u32, 3, 8, 13, 16] {
            for s in scalars(&mut rng) {
                let digits = signed_digits(&s, c);
                let mut acc = Fr::zero();
                for (k, d) in digits.iter().enumerate() {
                    let magnitude = Fr::from((d & !NEGATIVE) as u64);
                    assert!(d & !NEGATIVE <= 1 << (c - 1), "digit out of range");
                    let term = magnitude * Fr::from(2u64).pow([c as u64 * k as u64]);
                    acc += if d & NEGATIVE != 0 { -term } else { term };
                }
                assert_eq!(acc, s, "c = {c}");
                assert_eq!(digits.len() as u32, windows(c));
            }
        }
    }

    #[test]
    fn gpu_decomposition_equals_the_cpu_twin() {
        let Some(ctx) = device_for_tests() else { return };
        let mut rng = StdRng::seed_from_u64(23);
        let s = scalars(&mut rng);
        for c in [2u32, 3, 8, 13, 16] {
            let got = decompose(&ctx, &s, c).unwrap();
            let expected: Vec<u32> = s.iter().flat_map(|x| signed_digits(x, c)).collect();
            assert_eq!(got, expected, "c = {c}");
        }
    }
}

mod faults {
    //! Device output is validated before use: a corrupted readback is a
    //! device fault, and the fallback backends compute on the CPU instead,
    //! as they do for a lost device or exhausted memory.
    use super::*;
    use crate::gpu::{Fault, GpuMsm};
    use crate::workload::random_points;
    use crate::{Error, FallbackMsm, FallbackNtt, MsmBackend};
    use ark_bn254::G1Projective;
    use ark_ec::VariableBaseMSM;

    #[test]
    fn corrupted_readbacks_are_device_faults_and_fall_back_to_the_cpu() {
        let Some(dev) = device_for_tests() else { return };
        let mut rng = StdRng::seed_from_u64(30);
        let values: Vec<Fr> = (0..1 << 6).map(|_| Fr::rand(&mut rng)).collect();
        let mut expected = values.clone();
        CpuBackend.ntt(&mut expected, NttKind::Forward).unwrap();
        let bases = random_points::<G1Projective>(300, &mut rng);
        let scalars: Vec<Fr> = (0..300).map(|_| Fr::rand(&mut rng)).collect();
        let want = G1Projective::msm_unchecked(&bases, &scalars);
        for fault in [Fault::CorruptReadback, Fault::DeviceLost, Fault::OutOfMemory] {
            let ntt = GpuNtt::new(dev.clone()).with_fault(fault);
            let direct = ntt.ntt(&mut values.clone(), NttKind::Forward);
            match fault {
                Fault::CorruptReadback => assert!(matches!(direct, Err(Error::DeviceFault(_)))),
                _ => assert!(direct.is_err(), "{fault:?}"),
            }
            let fallback = FallbackNtt::from_gpu(ntt);
            let mut got = values.clone();
            fallback.ntt(&mut got, NttKind::Forward).unwrap();
            assert_eq!(got, expected, "{fault:?}");
            assert_eq!(fallback.fallbacks(), 1, "{fault:?}");

            let msm = GpuMsm::new(dev.clone()).with_fault(fault);
            if fault == Fault::CorruptReadback {
                let prepared = msm.prepare_g1(&bases).unwrap();
                let direct = msm.msm_g1(&prepared, 0, &scalars);
                assert!(matches!(direct, Err(Error::DeviceFault(_))), "{direct:?}");
            }
            let fallback = FallbackMsm::from_gpu(msm);
            let prepared = fallback.prepare_g1(&bases).unwrap();
            assert_eq!(fallback.msm_g1(&prepared, 0, &scalars).unwrap(), want, "{fault:?}");
            assert!(fallback.fallbacks() >= 1, "{fault:?}");
        }
    }

    #[test]
    fn well_formed_wrong_results_pass_validation_and_are_left_to_the_self_check() {
        let Some(dev) = device_for_tests() else { return };
        let mut rng = StdRng::seed_from_u64(31);
        let values: Vec<Fr> = (0..1 << 5).map(|_| Fr::rand(&mut rng)).collect();
        let mut expected = values.clone();
        CpuBackend.ntt(&mut expected, NttKind::Inverse).unwrap();
        let mut got = values;
        GpuNtt::new(dev.clone())
            .with_fault(Fault::WrongResult)
            .ntt(&mut got, NttKind::Inverse)
            .unwrap();
        assert_ne!(got, expected);
        let bases = random_points::<G1Projective>(40, &mut rng);
        let scalars: Vec<Fr> = (0..40).map(|_| Fr::rand(&mut rng)).collect();
        let msm = GpuMsm::new(dev).with_fault(Fault::WrongResult);
        let prepared = msm.prepare_g1(&bases).unwrap();
        let got = msm.msm_g1(&prepared, 0, &scalars).unwrap();
        assert_ne!(got, G1Projective::msm_unchecked(&bases, &scalars));
    }
}
