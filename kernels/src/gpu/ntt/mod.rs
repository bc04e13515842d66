//! The NTT on the GPU: [`GpuNtt`] implements [`NttBackend`], running a
//! whole program (a Groth16 witness map's seven transforms and their
//! combination) on vectors that stay on the device: one upload per vector,
//! one submission, one checked download.
//!
//! A transform is a bit-reversal (tiled through workgroup memory) and
//! Cooley–Tukey butterflies in passes of up to 2^9 elements per workgroup;
//! see `wgsl/ntt.wgsl`. Twiddles and coset power tables are made on the
//! host once per size and kept on the device.

mod pipelines;

use super::faults::Faults;
use super::runtime::{self, fr_from_bytes, fr_to_bytes, grid, Commands, FE_BYTES, MAX_GROUPS_X};
use super::GpuDevice;
use crate::{Error, NttBackend, NttKind, NttStep, Result};
use ark_bn254::Fr;
use ark_ff::{FftField, Field};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use pipelines::{NttParams, NttPipelines};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Threads per workgroup in every NTT kernel (ntt.wgsl's WG).
const WG: usize = 256;
/// Largest block the workgroup-memory kernel transforms: 512 elements of
/// 32 bytes is 16 KiB, the workgroup memory every adapter offers.
const LOG_BLOCK: u32 = 9;
/// Tiles of the coalesced bit-reversal are 2^TILE_BITS × 2^TILE_BITS
/// (ntt.wgsl's TILE_BITS): 256 elements, one per thread.
const TILE_BITS: u32 = 4;

/// Resident tables, built on first use and kept (the pipelines are the
/// device's, shared by every NTT backend on it).
#[derive(Default)]
struct NttCache {
    /// Twiddles ω^t (t < n/2) for (log n, inverse).
    twiddles: HashMap<(u32, bool), Arc<DeviceVec>>,
    /// Power tables for (log n, kind), with their log L.
    powers: HashMap<(u32, NttKind), Arc<(DeviceVec, u32)>>,
}

/// A vector of field elements on the device, in chunks of at most
/// 2^log_chunk elements, one buffer (and one binding) each.
struct DeviceVec {
    chunks: Vec<wgpu::Buffer>,
    len: usize,
}

impl DeviceVec {
    fn upload(dev: &GpuDevice, label: &str, values: &[Fr], log_chunk: u32) -> Result<Self> {
        let chunks = values
            .chunks(1 << log_chunk)
            .map(|c| runtime::upload(dev, label, &fr_to_bytes(c)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { chunks, len: values.len() })
    }
}

/// The GPU NTT backend. Clones share pipelines and tables.
#[derive(Clone)]
pub struct GpuNtt {
    dev: Arc<GpuDevice>,
    log_chunk: u32,
    max_groups_x: u32,
    cache: Arc<Mutex<NttCache>>,
    faults: Faults,
}

impl std::fmt::Debug for GpuNtt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuNtt").field("log_chunk", &self.log_chunk).finish()
    }
}

/// Powers `c·g^i` for `i < n` as two tables: `lo[j] = g^j` (`j < L`) and
/// `hi[k] = c·g^(kL)` (`k < n/L`), with `L = 2^⌈log n / 2⌉`.
fn power_tables(n: usize, g: Fr, c: Fr) -> (Vec<Fr>, u32) {
    let log_n = n.trailing_zeros();
    let log_l = log_n.div_ceil(2);
    let l = 1usize << log_l;
    let mut table = Vec::with_capacity(l + n / l);
    let mut x = Fr::ONE;
    for _ in 0..l {
        table.push(x);
        x *= g;
    }
    let g_l = x;
    let mut y = c;
    for _ in 0..(n / l).max(1) {
        table.push(y);
        y *= g_l;
    }
    (table, log_l)
}

impl GpuNtt {
    /// The NTT backend on `dev`, splitting vectors at the largest storage
    /// binding the device's limits allow.
    pub fn new(dev: Arc<GpuDevice>) -> Self {
        // Elements per binding: a power of two, at most 2^27 so indices stay
        // far inside u32.
        let log_chunk = (dev.limits.max_binding / FE_BYTES).max(1).ilog2().min(27);
        Self {
            dev,
            log_chunk,
            max_groups_x: MAX_GROUPS_X,
            cache: Default::default(),
            faults: Faults::default(),
        }
    }

    /// The same backend with at most `max` workgroups per grid dimension,
    /// so tests can exercise two-dimensional grids at small sizes.
    pub fn with_max_groups_x(mut self, max: u32) -> Self {
        self.max_groups_x = max.clamp(1, MAX_GROUPS_X);
        self
    }

    /// The same backend with vectors split every 2^log_chunk elements (or
    /// sooner, where the device's bindings are smaller): lets tests
    /// exercise the multi-binding path at small sizes.
    pub fn with_chunk_log(mut self, log_chunk: u32) -> Self {
        self.log_chunk = log_chunk.min(self.log_chunk);
        self
    }

    /// The same backend simulating `fault` (tests only).
    #[cfg(feature = "test-hooks")]
    pub fn with_fault(mut self, fault: super::Fault) -> Self {
        self.faults = Faults::new(fault);
        self
    }

    /// The device.
    pub fn device(&self) -> &Arc<GpuDevice> {
        &self.dev
    }

    fn cache(&self) -> Result<MutexGuard<'_, NttCache>> {
        self.cache.lock().map_err(|_| Error::DeviceLost("NTT cache poisoned".into()))
    }

    /// Chunks per vector for an NTT of `n`, checked against the bindings
    /// the device allows per shader stage (3 vectors, a constant, params).
    fn chunks_for(&self, n: usize) -> Result<usize> {
        let chunks = n.div_ceil(1 << self.log_chunk).max(1);
        let max_bindings = self.dev.limits.max_storage_buffers as usize;
        if 3 * chunks + 1 > max_bindings {
            return Err(Error::BindingTooLarge {
                what: format!("NTT of 2^{} ({chunks} bindings per vector)", n.trailing_zeros()),
                size: n as u64 * FE_BYTES,
                max: ((max_bindings - 1) / 3) as u64 * (FE_BYTES << self.log_chunk),
            });
        }
        Ok(chunks)
    }

    /// The device's pipelines for vectors of `chunks` chunks, compiled on
    /// first use and kept by the device.
    fn pipelines(&self, chunks: usize) -> Result<Arc<NttPipelines>> {
        let key = (chunks as u64) << 8 | u64::from(self.log_chunk);
        runtime::kept(&self.dev, key, || NttPipelines::build(&self.dev, chunks, self.log_chunk))
    }

    fn twiddles(&self, log_n: u32, inverse: bool) -> Result<Arc<DeviceVec>> {
        if let Some(b) = self.cache()?.twiddles.get(&(log_n, inverse)) {
            return Ok(b.clone());
        }
        let n = 1usize << log_n;
        let domain =
            Radix2EvaluationDomain::<Fr>::new(n).ok_or(Error::UnsupportedSize { len: n })?;
        let w = if inverse { domain.group_gen_inv } else { domain.group_gen };
        let mut tw = Vec::with_capacity((n / 2).max(1));
        let mut x = Fr::ONE;
        for _ in 0..(n / 2).max(1) {
            tw.push(x);
            x *= w;
        }
        let v = Arc::new(DeviceVec::upload(&self.dev, "twiddles", &tw, self.log_chunk)?);
        self.cache()?.twiddles.insert((log_n, inverse), v.clone());
        Ok(v)
    }

    /// The table a `mul_powers` dispatch needs before (coset forward) or
    /// after (inverse, coset inverse) the butterflies, if any.
    fn powers(&self, log_n: u32, kind: NttKind) -> Result<Option<Arc<(DeviceVec, u32)>>> {
        let n = 1usize << log_n;
        let n_inv = || Fr::from(n as u64).inverse().ok_or(Error::UnsupportedSize { len: n });
        let (g, c) = match kind {
            NttKind::Forward => return Ok(None),
            NttKind::Inverse => (Fr::ONE, n_inv()?),
            NttKind::CosetForward => (Fr::GENERATOR, Fr::ONE),
            NttKind::OddCosetForward => (crate::odd_coset_shift(n)?, Fr::ONE),
            NttKind::CosetInverse => {
                (Fr::GENERATOR.inverse().ok_or(Error::UnsupportedSize { len: n })?, n_inv()?)
            }
        };
        if let Some(b) = self.cache()?.powers.get(&(log_n, kind)) {
            return Ok(Some(b.clone()));
        }
        let (table, log_l) = power_tables(n, g, c);
        let entry =
            Arc::new((DeviceVec::upload(&self.dev, "powers", &table, self.log_chunk)?, log_l));
        self.cache()?.powers.insert((log_n, kind), entry.clone());
        Ok(Some(entry))
    }
}

/// Records the dispatches of a program into one submission.
struct Recorder<'a> {
    ntt: &'a GpuNtt,
    p: &'a NttPipelines,
    commands: Commands<'a>,
}

impl<'a> Recorder<'a> {
    /// One dispatch over `data` (and `aux`, `table`, `consts` where given,
    /// dummies elsewhere) of `groups` workgroups.
    fn dispatch(
        &mut self,
        pipeline: &'a wgpu::ComputePipeline,
        vectors: (&DeviceVec, Option<&DeviceVec>, Option<&DeviceVec>),
        consts: Option<&wgpu::Buffer>,
        groups: usize,
        params: NttParams,
    ) {
        let (data, aux, table) = vectors;
        let k = self.p.chunks;
        let mut buffers: Vec<(u32, &wgpu::Buffer)> = Vec::with_capacity(3 * k + 1);
        for c in 0..k {
            buffers.push((c as u32, &data.chunks[c]));
            let a = aux.and_then(|a| a.chunks.get(c)).unwrap_or(&self.p.dummy_rw[c]);
            buffers.push(((k + c) as u32, a));
            let t = table.and_then(|t| t.chunks.get(c)).unwrap_or(&self.p.dummy_ro[c]);
            buffers.push(((2 * k + c) as u32, t));
        }
        buffers.push((self.p.consts_binding(), consts.unwrap_or(&self.p.dummy_ro[k])));
        let groups = grid(groups, self.ntt.max_groups_x);
        let binding = self.p.params_binding();
        self.commands.dispatch(pipeline, Some((binding, &params)), &buffers, groups);
    }

    /// One transform of `data` (n elements).
    fn transform(&mut self, data: &DeviceVec, kind: NttKind) -> Result<()> {
        let n = data.len;
        let log_n = n.trailing_zeros();
        let inverse = matches!(kind, NttKind::Inverse | NttKind::CosetInverse);
        let powers = self.ntt.powers(log_n, kind)?;
        let threads = |log_l| NttParams {
            n: n as u32,
            log_n,
            log_l,
            threads: n as u32,
            ..Default::default()
        };
        let p = self.p;
        if let (NttKind::CosetForward | NttKind::OddCosetForward, Some(pw)) = (kind, &powers) {
            let groups = n.div_ceil(WG);
            self.dispatch(&p.mul_powers, (data, None, Some(&pw.0)), None, groups, threads(pw.1));
        }
        if n > 1 {
            let twiddles = self.ntt.twiddles(log_n, inverse)?;
            if log_n >= 2 * TILE_BITS {
                let tiles = n >> (2 * TILE_BITS);
                let params = NttParams { threads: tiles as u32, ..threads(0) };
                self.dispatch(
                    &p.bit_reverse_tiled,
                    (data, None, Some(&twiddles)),
                    None,
                    tiles,
                    params,
                );
            } else {
                let groups = n.div_ceil(WG);
                self.dispatch(
                    &p.bit_reverse,
                    (data, None, Some(&twiddles)),
                    None,
                    groups,
                    threads(0),
                );
            }
            // Spread the stages evenly over as few passes as blocks of 512
            // allow (2^20: 7 + 7 + 6), each workgroup holding 512 elements.
            let passes = log_n.div_ceil(LOG_BLOCK);
            let mut stage = 0;
            for pass in 0..passes {
                let local = (log_n - stage).div_ceil(passes - pass);
                let log_groups = LOG_BLOCK.min(log_n) - local;
                let workgroups = n >> (local + log_groups);
                let params = NttParams {
                    stage,
                    local_stages: local,
                    log_groups,
                    threads: workgroups as u32,
                    ..threads(0)
                };
                self.dispatch(
                    &p.stages_block,
                    (data, None, Some(&twiddles)),
                    None,
                    workgroups,
                    params,
                );
                stage += local;
            }
        }
        if let (true, Some(pw)) = (inverse, &powers) {
            let groups = n.div_ceil(WG);
            self.dispatch(&p.mul_powers, (data, None, Some(&pw.0)), None, groups, threads(pw.1));
        }
        Ok(())
    }
}

impl NttBackend for GpuNtt {
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn run_unchecked(
        &self,
        vectors: Vec<Vec<Fr>>,
        steps: &[NttStep],
        out: usize,
    ) -> Result<Vec<Fr>> {
        self.faults.check()?;
        let n = vectors[0].len();
        let pipelines = self.pipelines(self.chunks_for(n)?)?;
        let resident = vectors
            .iter()
            .map(|v| DeviceVec::upload(&self.dev, "ntt vector", v, self.log_chunk))
            .collect::<Result<Vec<_>>>()?;
        drop(vectors);
        // The constants of the program's combination steps, one buffer each.
        let scales = steps
            .iter()
            .filter_map(|s| match s {
                NttStep::MulSub { scale, .. } => {
                    Some(runtime::upload(&self.dev, "ntt scale", &fr_to_bytes(&[*scale])))
                }
                NttStep::Transform { .. } => None,
            })
            .collect::<Result<Vec<_>>>()?;
        let mut r = Recorder { ntt: self, p: &pipelines, commands: Commands::new(&self.dev) };
        let mut scale = scales.iter();
        for step in steps {
            match *step {
                NttStep::Transform { v, kind } => r.transform(&resident[v], kind)?,
                NttStep::MulSub { a, b, c, .. } => {
                    let params = NttParams { n: n as u32, threads: n as u32, ..Default::default() };
                    let vectors = (&resident[a], Some(&resident[b]), Some(&resident[c]));
                    r.dispatch(&pipelines.mul_sub, vectors, scale.next(), n.div_ceil(WG), params);
                }
            }
        }
        r.commands.submit()?;
        let mut result = vec![<Fr as ark_ff::AdditiveGroup>::ZERO; n];
        for (buffer, part) in
            resident[out].chunks.iter().zip(result.chunks_mut(1 << self.log_chunk))
        {
            let mut bytes = runtime::download(&self.dev, buffer, part.len() as u64 * FE_BYTES)?;
            self.faults.corrupt(&mut bytes);
            fr_from_bytes(&bytes, part)?;
        }
        self.faults.wrong_fr(&mut result);
        Ok(result)
    }
}
