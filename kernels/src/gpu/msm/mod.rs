//! The G1 MSM on the GPU: Pippenger with signed-digit windows, buckets
//! grouped by a counting sort on the device, load-balanced segmented bucket
//! accumulation, and a parallel running-sum reduction; only the final
//! combination of the windows (a few hundred doublings) runs on the host.
//! The passes are described in `wgsl/msm.wgsl`.
//!
//! Rooms: [`plan`] sizes a pass (pure arithmetic), `pipelines` compiles the
//! kernels once per backend, `bases` keeps the proving key's points (and
//! their precomputed copies) resident, `pass` records one pass, and
//! [`decompose`] is the scalar decomposition with its CPU twin.
//!
//! [`GpuMsm`] implements [`MsmBackend`]: G1 bases are uploaded once by
//! [`MsmBackend::prepare_g1`] and stay resident; G2 MSMs run on the CPU
//! backend (the prover runs them concurrently with the G1 MSMs; see
//! kernels/README.md for why).

mod bases;
pub mod decompose;
mod pass;
mod pipelines;
pub mod plan;

pub use bases::GpuBases;
pub use plan::{max_pass_points, PassShape, MAX_PASS_POINTS};

use super::faults::Faults;
use super::runtime;
use super::GpuDevice;
use crate::cpu::{CpuBackend, HostBases};
use crate::{Error, MsmBackend, Result};
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ff::Zero;
use pass::PassWorkspace;
use pipelines::MsmPipelines;
use std::sync::{Arc, Mutex};

/// Threads per workgroup in msm.wgsl and decompose.wgsl.
const WG: usize = 64;

/// Workspaces kept per backend: one per MSM running at once, up to this
/// many (the prover runs its G1 MSMs concurrently).
const KEPT_WORKSPACES: usize = 4;

/// The largest precompute factor [`GpuMsm::with_precompute`] accepts.
pub const MAX_PRECOMPUTE: usize = 8;

/// The precompute factor on hardware adapters unless the configuration
/// says otherwise: on llvmpipe, the only adapter measured so far, G1 MSMs
/// of 2^12 to 2^16 points took 0.68–0.72 of factor 1's time with factor 8
/// on uniform scalars and 0.64–0.71 on Groth16-like ones (factor 4:
/// 0.70–0.80; kernels/README.md), for up to 8x the bases' device memory.
pub const HARDWARE_PRECOMPUTE: usize = 8;

/// The GPU MSM backend (G1 on the device, G2 on the CPU). Every backend on
/// a device shares its compiled pipelines (kept by the device); clones also
/// share the kept workspaces.
#[derive(Clone)]
pub struct GpuMsm {
    dev: Arc<GpuDevice>,
    chunk: usize,
    precompute: usize,
    workspaces: Arc<Mutex<Vec<PassWorkspace>>>,
    faults: Faults,
}

impl std::fmt::Debug for GpuMsm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuMsm")
            .field("chunk", &self.chunk)
            .field("precompute", &self.precompute)
            .finish()
    }
}

impl GpuMsm {
    /// The backend on `dev`, with passes as large as its bindings allow, and
    /// [`HARDWARE_PRECOMPUTE`] copies of the bases on a hardware adapter, 1
    /// (none) on a software one, where the copies' preparation costs more
    /// than the MSMs it speeds up in a short-lived process
    /// (kernels/README.md). [`GpuMsm::with_precompute`] sets the factor.
    pub fn new(dev: Arc<GpuDevice>) -> Self {
        let chunk = max_pass_points(dev.limits.max_binding);
        let precompute = if dev.is_hardware { HARDWARE_PRECOMPUTE } else { 1 };
        Self { dev, chunk, precompute, workspaces: Default::default(), faults: Faults::default() }
    }

    /// The backend with bases prepared in `factor` copies (clamped to
    /// 1..=[`MAX_PRECOMPUTE`]): copy j of base P is 2^(j·s)·P for a shift s
    /// of ⌈W / factor⌉ windows, so an MSM over those bases sums digits of
    /// all W windows into the buckets of ⌈W / factor⌉ windows. The bucket
    /// reduction and the host's window combination shrink by the factor;
    /// the bucket additions do not (each digit still adds a point); the
    /// bases take `factor` times the device memory. The copies are made on
    /// the device by `prepare_g1`, once per key. Chunks shrink so that all
    /// copies of a chunk fit one binding.
    pub fn with_precompute(mut self, factor: usize) -> Self {
        self.precompute = factor.clamp(1, MAX_PRECOMPUTE);
        self
    }

    /// The precompute factor (1: none).
    pub fn precompute(&self) -> usize {
        self.precompute
    }

    /// The backend with bases split every `points` points (and passes no
    /// larger), whatever the device allows: lets tests exercise MSMs that
    /// span several base chunks.
    pub fn with_chunk(mut self, points: usize) -> Self {
        self.chunk = self.chunk.min(points.max(1));
        self
    }

    /// The same backend simulating `fault` (tests only).
    #[cfg(feature = "test-hooks")]
    pub fn with_fault(mut self, fault: super::Fault) -> Self {
        self.faults = Faults::new(fault);
        self
    }

    /// The device this backend runs on.
    pub fn device(&self) -> &Arc<GpuDevice> {
        &self.dev
    }

    fn pipelines(&self) -> Result<Arc<MsmPipelines>> {
        runtime::kept(&self.dev, 0, || MsmPipelines::build(&self.dev))
    }
}

impl MsmBackend for GpuMsm {
    type G1Bases = GpuBases;
    type G2Bases = HostBases<G2Affine>;

    fn name(&self) -> &'static str {
        "gpu"
    }

    fn prepare_g1(&self, bases: &[G1Affine]) -> Result<GpuBases> {
        self.faults.check()?;
        // Where device memory runs out, halve the copies, down to none.
        let mut factor = self.precompute;
        while factor > 1 && !bases.is_empty() {
            let pipelines = self.pipelines()?;
            match GpuBases::with_copies(&self.dev, &pipelines, bases, self.chunk, factor) {
                Err(Error::OutOfMemory(e)) => {
                    factor /= 2;
                    tracing::warn!("{e}: MSM bases in {factor} precomputed copies instead");
                }
                prepared => return prepared,
            }
        }
        GpuBases::plain(&self.dev, bases, self.chunk)
    }

    fn prepare_g2(&self, bases: &[G2Affine]) -> Result<Self::G2Bases> {
        CpuBackend.prepare_g2(bases)
    }

    fn msm_g1_unchecked(
        &self,
        bases: &GpuBases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G1Projective> {
        self.faults.check()?;
        let k = self.pipelines()?;
        let kept = || {
            self.workspaces.lock().map_err(|_| Error::DeviceLost("MSM workspaces poisoned".into()))
        };
        let mut workspace = kept()?.pop().unwrap_or_default();
        let mut acc = G1Projective::zero();
        let mut done = 0;
        while done < scalars.len() {
            let at = offset + done;
            let (index, local) = (at / bases.chunk, at % bases.chunk);
            let take = (bases.chunk - local).min(scalars.len() - done).min(self.chunk);
            let part = &scalars[done..done + take];
            // A failed pass drops its workspace: the device may be gone.
            let corrupt = |bytes: &mut [u8]| self.faults.corrupt(bytes);
            acc += pass::pass(&self.dev, &k, &mut workspace, bases, index, local, part, corrupt)?;
            done += take;
        }
        let mut kept = kept()?;
        if kept.len() < KEPT_WORKSPACES {
            kept.push(workspace);
        }
        drop(kept);
        self.faults.wrong_g1(&mut acc);
        Ok(acc)
    }

    fn msm_g2_unchecked(
        &self,
        bases: &Self::G2Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G2Projective> {
        CpuBackend.msm_g2_unchecked(bases, offset, scalars)
    }

    fn host_g2<'a>(&self, bases: &'a Self::G2Bases) -> Option<&'a HostBases<G2Affine>> {
        Some(bases)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::device_for_tests;
    use crate::workload::{random_points, scalar_sets};
    use ark_bn254::G1Projective;
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_ff::Field;
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    fn check(msm: &GpuMsm, bases: &[G1Affine], offset: usize, scalars: &[Fr], what: &str) {
        let prepared = msm.prepare_g1(bases).unwrap();
        let want = G1Projective::msm_unchecked(&bases[offset..offset + scalars.len()], scalars);
        let got = msm.msm_g1(&prepared, offset, scalars).unwrap();
        assert_eq!(got.into_affine(), want.into_affine(), "{what}, n = {}", scalars.len());
    }

    #[test]
    fn gpu_msm_matches_arkworks_on_adversarial_scalars() {
        let Some(ctx) = device_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(5);
        for n in [1usize, 2, 3, 7, 100, 1000] {
            let bases = random_points::<G1Projective>(n, &mut rng);
            for (what, scalars) in scalar_sets(n, &mut rng) {
                check(&msm, &bases, 0, &scalars, what);
            }
        }
    }

    #[test]
    fn gpu_msm_handles_infinity_repeated_and_opposite_bases() {
        let Some(ctx) = device_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(6);
        let p = G1Projective::rand(&mut rng).into_affine();
        let q = G1Projective::rand(&mut rng).into_affine();
        let o = G1Affine::identity();
        // P, P (doubling in a bucket), P, −P (cancellation), the identity.
        let bases = vec![p, p, p, -p, o, q, o, -q, q, p];
        let sets: Vec<(&str, Vec<Fr>)> = vec![
            ("ones", vec![Fr::ONE; 10]),
            ("equal", vec![Fr::from(12345u64); 10]),
            ("random", (0..10).map(|_| Fr::rand(&mut rng)).collect()),
            ("r - 1 and 1", (0..10).map(|i| if i % 2 == 0 { -Fr::ONE } else { Fr::ONE }).collect()),
        ];
        for (what, scalars) in sets {
            check(&msm, &bases, 0, &scalars, what);
        }
        let all_infinity = vec![o; 5];
        check(&msm, &all_infinity, 0, &[Fr::ONE; 5], "all bases at infinity");
    }

    #[test]
    fn msms_spanning_base_chunks_and_offsets_match() {
        let Some(ctx) = device_for_tests() else { return };
        // Chunks of 64 points: an MSM of 300 at offset 37 spans six passes.
        let msm = GpuMsm::new(ctx).with_chunk(64);
        let mut rng = StdRng::seed_from_u64(7);
        let bases = random_points::<G1Projective>(400, &mut rng);
        for (what, scalars) in scalar_sets(300, &mut rng) {
            check(&msm, &bases, 37, &scalars, what);
        }
        let prepared = msm.prepare_g1(&bases).unwrap();
        assert!(msm.msm_g1(&prepared, 399, &[Fr::ONE; 2]).is_err());
        assert_eq!(msm.msm_g1(&prepared, 400, &[]).unwrap(), G1Projective::zero());
    }

    #[test]
    fn precomputed_copies_match_arkworks_for_every_factor() {
        let Some(ctx) = device_for_tests() else { return };
        let mut rng = StdRng::seed_from_u64(12);
        let bases = {
            let mut b = random_points::<G1Projective>(1000, &mut rng);
            // The identity, a repeated point and its negation among the bases.
            (b[3], b[4], b[5]) = (G1Affine::identity(), b[0], -b[0]);
            b
        };
        for factor in [2, 3, 4, 8] {
            let msm = GpuMsm::new(ctx.clone()).with_precompute(factor);
            let prepared = msm.prepare_g1(&bases).unwrap();
            assert!(prepared.copies() > 1 && prepared.copies() <= factor);
            for n in [1usize, 2, 3, 7, 100, 1000] {
                for (what, scalars) in scalar_sets(n, &mut rng) {
                    let want = G1Projective::msm_unchecked(&bases[..n], &scalars);
                    let got = msm.msm_g1(&prepared, 0, &scalars).unwrap();
                    assert_eq!(got, want, "factor {factor}, {what}, n = {n}");
                }
            }
            // An MSM that starts inside the bases uses the same copies.
            let scalars: Vec<Fr> = (0..500).map(|_| Fr::rand(&mut rng)).collect();
            let want = G1Projective::msm_unchecked(&bases[321..821], &scalars);
            assert_eq!(msm.msm_g1(&prepared, 321, &scalars).unwrap(), want, "factor {factor}");
        }
        // Copies of chunks of 64 points: passes over chunk boundaries, with
        // a short last chunk (its copies lie closer together).
        let msm = GpuMsm::new(ctx).with_chunk(64).with_precompute(3);
        let prepared = msm.prepare_g1(&bases[..300]).unwrap();
        for (what, scalars) in scalar_sets(250, &mut rng) {
            let want = G1Projective::msm_unchecked(&bases[37..287], &scalars);
            assert_eq!(msm.msm_g1(&prepared, 37, &scalars).unwrap(), want, "chunked {what}");
        }
    }

    #[test]
    fn kept_workspaces_serve_larger_smaller_and_concurrent_msms() {
        let Some(ctx) = device_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(11);
        let bases = random_points::<G1Projective>(3000, &mut rng);
        let prepared = msm.prepare_g1(&bases).unwrap();
        let scalars: Vec<Fr> = (0..3000).map(|_| Fr::rand(&mut rng)).collect();
        let want = |n: usize| G1Projective::msm_unchecked(&bases[..n], &scalars[..n]);
        // Growing, then smaller passes in the grown buffers (stale counters,
        // digits and sums from the larger pass must not leak in).
        for n in [1000, 3000, 10, 1, 2999, 1000] {
            assert_eq!(msm.msm_g1(&prepared, 0, &scalars[..n]).unwrap(), want(n), "n = {n}");
        }
        // Clones share the kept workspaces; concurrent MSMs take one each.
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = [3000, 700, 2048, 5, 3000, 1500]
                .into_iter()
                .map(|n| {
                    let (msm, prepared, scalars) = (msm.clone(), &prepared, &scalars);
                    s.spawn(move || (n, msm.msm_g1(prepared, 0, &scalars[..n]).unwrap()))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (n, got) in results {
            assert_eq!(got, want(n), "concurrent n = {n}");
        }
        assert!(msm.workspaces.lock().unwrap().len() <= KEPT_WORKSPACES);
    }

    #[test]
    fn gpu_msm_at_2_16_uniform_and_skewed() {
        let Some(ctx) = device_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(8);
        let n = 1 << 16;
        let bases = random_points::<G1Projective>(n, &mut rng);
        let sets = scalar_sets(n, &mut rng);
        for (what, scalars) in
            sets.iter().filter(|(w, _)| ["uniform", "all equal", "groth16-like"].contains(w))
        {
            check(&msm, &bases, 0, scalars, what);
        }
    }

    #[test]
    fn measured_auto_msm_decides_once_per_size_class_with_identical_results() {
        use crate::FallbackMsm;
        let Some(ctx) = device_for_tests() else { return };
        let auto = FallbackMsm::measured(GpuMsm::new(ctx));
        let mut rng = StdRng::seed_from_u64(10);
        let bases = random_points::<G1Projective>(2100, &mut rng);
        let prepared = auto.prepare_g1(&bases).unwrap();
        for n in [5usize, 1100, 1500, 2049] {
            let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let want = G1Projective::msm_unchecked(&bases[3..3 + n], &scalars);
            assert_eq!(auto.msm_g1(&prepared, 3, &scalars).unwrap(), want, "n = {n}");
        }
        // Below AUTO_MIN_MSM nothing is measured; 1100 and 1500 share ⌈log2⌉ = 11.
        let classes: Vec<u32> = auto.decisions().iter().map(|d| d.0).collect();
        assert_eq!(classes, vec![11, 12]);
        assert_eq!(auto.fallbacks(), 0);
    }

    #[test]
    #[ignore = "large: run with --ignored (minutes on a software adapter)"]
    fn gpu_msm_up_to_2_20() {
        let Some(ctx) = device_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(9);
        for log in [18, 20] {
            let bases = random_points::<G1Projective>(1 << log, &mut rng);
            for (what, scalars) in scalar_sets(1 << log, &mut rng) {
                check(&msm, &bases, 0, &scalars, what);
            }
        }
    }
}
