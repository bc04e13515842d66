//! The runtime every GPU primitive runs on: shader compilation and
//! pipelines (compiled once per device and kept, [`kept`]), buffers, one
//! way to record and submit dispatches, workspaces of buffers kept between
//! runs (keyed by each primitive's own enum), and the byte codecs between
//! host values and the device's layout. Decoding is checked: a field
//! element that is not canonical or a point that is not on the curve is an
//! [`Error::DeviceFault`], never a value.

use super::GpuDevice;
use crate::{Error, Result};
use ark_bn254::{Fq, Fr, G1Affine, G1Projective};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, Field, PrimeField, Zero};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// Bytes of one BN254 field element on the device: four little-endian u64
/// limbs of its Montgomery form.
pub(crate) const FE_BYTES: u64 = 32;
/// Bytes of one G1 point in affine form on the device: x, y and an
/// infinity flag (curve.wgsl's `Affine`).
pub(crate) const AFFINE_BYTES: u64 = 68;
/// Bytes of one G1 point in XYZZ form on the device (curve.wgsl's `Xyzz`).
pub(crate) const XYZZ_BYTES: u64 = 128;
/// The most workgroups a dispatch dimension takes (WebGPU's minimum limit).
pub(crate) const MAX_GROUPS_X: u32 = 65_535;

/// What a device keeps once built: values of any type under a key of the
/// caller's (a primitive's pipelines for a layout). They depend on the
/// device alone, so every backend on the device shares them: compiling the
/// MSM shaders takes about 30 s on the software driver.
#[derive(Default)]
pub(crate) struct Kept(Mutex<HashMap<(TypeId, u64), Arc<dyn Any + Send + Sync>>>);

/// `dev`'s kept `T` under `key`, built by `build` on first use (under the
/// lock: one build per key; a failed build is not kept, so the next use
/// tries again).
pub(crate) fn kept<T: Any + Send + Sync>(
    dev: &GpuDevice,
    key: u64,
    build: impl FnOnce() -> Result<T>,
) -> Result<Arc<T>> {
    let mut kept =
        dev.kept.0.lock().map_err(|_| Error::DeviceLost("kept pipelines poisoned".into()))?;
    let slot = (TypeId::of::<T>(), key);
    if let Some(v) = kept.get(&slot) {
        return Ok(v.clone().downcast::<T>().expect("kept under its own type id"));
    }
    let v = Arc::new(build()?);
    kept.insert(slot, v.clone());
    Ok(v)
}

/// Compiles a WGSL module, reporting errors as [`Error::ShaderCompile`].
pub fn compile(dev: &GpuDevice, label: &str, source: &str) -> Result<wgpu::ShaderModule> {
    let scope = dev.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = dev.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(Error::ShaderCompile(format!("{label}: {e}")));
    }
    Ok(module)
}

/// A compute pipeline for `entry` of `module`: with `layout`, or with the
/// layout derived from the entry point's bindings.
pub fn pipeline(
    dev: &GpuDevice,
    module: &wgpu::ShaderModule,
    entry: &str,
    layout: Option<&wgpu::PipelineLayout>,
) -> Result<wgpu::ComputePipeline> {
    let scope = dev.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let pipeline = dev.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry),
        layout,
        module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(Error::ShaderCompile(format!("{entry}: {e}")));
    }
    Ok(pipeline)
}

fn check_binding(dev: &GpuDevice, label: &str, size: u64) -> Result<()> {
    if size > dev.limits.max_binding {
        return Err(Error::BindingTooLarge {
            what: label.to_string(),
            size,
            max: dev.limits.max_binding,
        });
    }
    Ok(())
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// A storage buffer holding `bytes`, or [`Error::OutOfMemory`].
pub fn upload(dev: &GpuDevice, label: &str, bytes: &[u8]) -> Result<wgpu::Buffer> {
    check_binding(dev, label, bytes.len() as u64)?;
    let scope = dev.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let buffer = dev.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytes,
        usage: STORAGE,
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(Error::OutOfMemory(format!("{label}: {e}")));
    }
    Ok(buffer)
}

/// An uninitialised storage buffer of `size` bytes.
pub fn storage(dev: &GpuDevice, label: &str, size: u64) -> Result<wgpu::Buffer> {
    check_binding(dev, label, size)?;
    let scope = dev.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let buffer = dev.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size,
        usage: STORAGE,
        mapped_at_creation: false,
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(Error::OutOfMemory(format!("{label}: {e}")));
    }
    Ok(buffer)
}

/// Copies `size` bytes of `buffer` back to the host.
pub fn download(dev: &GpuDevice, buffer: &wgpu::Buffer, size: u64) -> Result<Vec<u8>> {
    let staging = dev.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = dev.device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
    dev.submit(encoder)?;
    let slice = staging.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    dev.wait()?;
    match rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(Error::DeviceLost(format!("readback failed: {e}"))),
        Err(_) => return Err(Error::DeviceLost("readback never completed".into())),
    }
    let view = slice.get_mapped_range().map_err(|e| Error::DeviceLost(format!("readback: {e}")))?;
    let bytes = view.to_vec();
    drop(view);
    staging.unmap();
    Ok(bytes)
}

/// Workgroups for `groups` groups, split into x·y under the per-dimension
/// limit; x·y may exceed `groups`, and every kernel bounds-checks.
pub(crate) fn grid(groups: usize, max_x: u32) -> (u32, u32) {
    let groups = groups.max(1) as u32;
    if groups <= max_x {
        (groups, 1)
    } else {
        (max_x, groups.div_ceil(max_x))
    }
}

enum Op<'a> {
    Dispatch {
        pipeline: &'a wgpu::ComputePipeline,
        buffers: Vec<(u32, wgpu::Buffer)>,
        /// The parameters' binding and their place in the uniform buffer.
        params: Option<(u32, u64, u64)>,
        groups: (u32, u32),
    },
    Copy(wgpu::Buffer, wgpu::Buffer, u64),
    Clear(wgpu::Buffer, u64),
}

/// The commands of one submission: dispatches (each with its parameters,
/// all of which go into one uniform buffer at aligned offsets), copies and
/// clears, encoded in the order recorded.
pub(crate) struct Commands<'a> {
    dev: &'a GpuDevice,
    params: Vec<u8>,
    stride: u64,
    ops: Vec<Op<'a>>,
}

impl<'a> Commands<'a> {
    pub(crate) fn new(dev: &'a GpuDevice) -> Self {
        // Every parameter block here is at most 64 bytes.
        let stride = u64::from(dev.limits.uniform_offset_alignment).max(64);
        Self { dev, params: Vec::new(), stride, ops: Vec::new() }
    }

    /// One dispatch of `groups` workgroups with `buffers` at their
    /// bindings and, when given, `params` as a uniform at its binding.
    pub(crate) fn dispatch<P: bytemuck::Pod>(
        &mut self,
        pipeline: &'a wgpu::ComputePipeline,
        params: Option<(u32, &P)>,
        buffers: &[(u32, &wgpu::Buffer)],
        groups: (u32, u32),
    ) {
        let params = params.map(|(binding, p)| {
            let bytes = bytemuck::bytes_of(p);
            let at = self.params.len() as u64;
            self.params.extend_from_slice(bytes);
            self.params.resize((at + self.stride) as usize, 0);
            (binding, at, bytes.len() as u64)
        });
        let buffers = buffers.iter().map(|(b, buf)| (*b, (*buf).clone())).collect();
        self.ops.push(Op::Dispatch { pipeline, buffers, params, groups });
    }

    /// Copies the first `bytes` bytes of `from` to `to`.
    pub(crate) fn copy(&mut self, from: &wgpu::Buffer, to: &wgpu::Buffer, bytes: u64) {
        self.ops.push(Op::Copy(from.clone(), to.clone(), bytes));
    }

    /// Zeroes the first `bytes` bytes of `buffer`.
    pub(crate) fn clear(&mut self, buffer: &wgpu::Buffer, bytes: u64) {
        self.ops.push(Op::Clear(buffer.clone(), bytes));
    }

    /// Encodes everything into one command buffer, submits it and waits.
    pub(crate) fn submit(self) -> Result<()> {
        let dev = self.dev;
        let uniform = dev.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: if self.params.is_empty() { &[0u8; 16] } else { &self.params },
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let mut encoder = dev.device.create_command_encoder(&Default::default());
        for op in &self.ops {
            match op {
                Op::Dispatch { pipeline, buffers, params, groups } => {
                    let mut entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
                        .iter()
                        .map(|(binding, b)| wgpu::BindGroupEntry {
                            binding: *binding,
                            resource: b.as_entire_binding(),
                        })
                        .collect();
                    if let Some((binding, offset, size)) = params {
                        entries.push(wgpu::BindGroupEntry {
                            binding: *binding,
                            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &uniform,
                                offset: *offset,
                                size: wgpu::BufferSize::new(*size),
                            }),
                        });
                    }
                    let bind = dev.device.create_bind_group(&wgpu::BindGroupDescriptor {
                        label: None,
                        layout: &pipeline.get_bind_group_layout(0),
                        entries: &entries,
                    });
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    pass.set_pipeline(pipeline);
                    pass.set_bind_group(0, &bind, &[]);
                    pass.dispatch_workgroups(groups.0, groups.1, 1);
                }
                Op::Copy(from, to, bytes) => encoder.copy_buffer_to_buffer(from, 0, to, 0, *bytes),
                Op::Clear(buffer, bytes) => encoder.clear_buffer(buffer, 0, Some(*bytes)),
            }
        }
        dev.submit(encoder)
    }
}

/// A role a buffer plays in a primitive's runs: a workspace's key.
pub(crate) trait BufferRole: Copy + Eq + Hash {
    /// The buffer's label (in device errors and debuggers).
    fn label(self) -> &'static str;
}

/// Working buffers kept from one run to the next (and across proofs): a
/// buffer is reallocated only when a run needs more than it holds, so
/// repeated runs of one size allocate nothing after the first. Kernels read
/// their sizes from their parameters, so a larger buffer is harmless.
#[derive(Debug)]
pub(crate) struct Workspace<K> {
    buffers: HashMap<K, wgpu::Buffer>,
}

impl<K> Default for Workspace<K> {
    fn default() -> Self {
        Self { buffers: HashMap::new() }
    }
}

impl<K: BufferRole> Workspace<K> {
    /// The buffer of `role`, holding at least `bytes` (and 4) bytes.
    pub(crate) fn get(&mut self, dev: &GpuDevice, role: K, bytes: u64) -> Result<wgpu::Buffer> {
        let bytes = bytes.max(4);
        if let Some(b) = self.buffers.get(&role).filter(|b| b.size() >= bytes) {
            return Ok(b.clone());
        }
        // Drop the smaller buffer first, so the device never holds both.
        self.buffers.remove(&role);
        let buffer = storage(dev, role.label(), bytes)?;
        self.buffers.insert(role, buffer.clone());
        Ok(buffer)
    }
}

/// Field elements to their Montgomery limbs as bytes (what kernels read).
pub fn fr_to_bytes(values: &[Fr]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * FE_BYTES as usize);
    for v in values {
        for limb in v.0 .0 {
            out.extend_from_slice(&limb.to_le_bytes());
        }
    }
    out
}

fn limbs(chunk: &[u8]) -> [u64; 4] {
    std::array::from_fn(|i| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&chunk[8 * i..8 * i + 8]);
        u64::from_le_bytes(b)
    })
}

/// Montgomery limbs from the device, refused unless below `modulus` (a
/// kernel never leaves another value, so anything else is a device fault).
fn montgomery_limbs(chunk: &[u8], modulus: BigInt<4>, what: &str) -> Result<BigInt<4>> {
    let repr = BigInt(limbs(chunk));
    if repr >= modulus {
        return Err(Error::DeviceFault(format!("{what}: limbs not below the modulus")));
    }
    Ok(repr)
}

fn fr_from_limbs(chunk: &[u8], what: &str) -> Result<Fr> {
    // The device holds the Montgomery form, which is `Fr`'s own representation.
    montgomery_limbs(chunk, Fr::MODULUS, what).map(Fr::new_unchecked)
}

fn fq_from_limbs(chunk: &[u8], what: &str) -> Result<Fq> {
    montgomery_limbs(chunk, Fq::MODULUS, what).map(Fq::new_unchecked)
}

/// The inverse of [`fr_to_bytes`], checked: every element's limbs must be
/// below the modulus, or the device is at fault.
pub fn fr_from_bytes(bytes: &[u8], out: &mut [Fr]) -> Result<()> {
    if bytes.len() < out.len() * FE_BYTES as usize {
        return Err(Error::DeviceFault(format!(
            "{} bytes read back for {} field elements",
            bytes.len(),
            out.len()
        )));
    }
    for (i, (v, chunk)) in out.iter_mut().zip(bytes.chunks_exact(FE_BYTES as usize)).enumerate() {
        *v = fr_from_limbs(chunk, &format!("element {i}"))?;
    }
    Ok(())
}

/// curve.wgsl's `Affine` for each point (the identity as zeros, flagged).
pub fn g1_affine_bytes(points: &[G1Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * AFFINE_BYTES as usize);
    for p in points {
        let (x, y) = p.xy().unwrap_or((Fq::zero(), Fq::zero()));
        for limb in x.0 .0.iter().chain(y.0 .0.iter()) {
            out.extend_from_slice(&limb.to_le_bytes());
        }
        out.extend_from_slice(&(p.is_zero() as u32).to_le_bytes());
    }
    out
}

/// A device XYZZ point (X, Y, ZZ, ZZZ) = (X/ZZ, Y/ZZZ), checked: canonical
/// coordinates, and on the curve unless it is the identity (ZZ = ZZZ = 0).
/// G1 of BN254 has cofactor 1, so a point on the curve is in the group.
pub fn g1_from_xyzz_bytes(bytes: &[u8]) -> Result<G1Projective> {
    if bytes.len() < XYZZ_BYTES as usize {
        return Err(Error::DeviceFault("a short XYZZ point".into()));
    }
    let fq = |k: usize| fq_from_limbs(&bytes[32 * k..32 * k + 32], "XYZZ coordinate");
    let (x, y, zz, zzz) = (fq(0)?, fq(1)?, fq(2)?, fq(3)?);
    match (zz.inverse(), zzz.inverse()) {
        (Some(zz_inv), Some(zzz_inv)) => {
            let p = G1Affine::new_unchecked(x * zz_inv, y * zzz_inv);
            if !p.is_on_curve() {
                return Err(Error::DeviceFault("a window sum off the curve".into()));
            }
            Ok(p.into_group())
        }
        (None, None) => Ok(G1Projective::zero()),
        _ => Err(Error::DeviceFault("an XYZZ point with one of ZZ, ZZZ zero".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_ff::{AdditiveGroup, UniformRand};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    /// A device keeps one value per type and key, built once and shared;
    /// a failed build is not kept.
    #[test]
    fn kept_values_are_built_once_per_device_type_and_key() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let Some(dev) = crate::gpu::device_for_tests() else { return };
        let builds = AtomicUsize::new(0);
        let build = |v: u32| {
            builds.fetch_add(1, Ordering::SeqCst);
            Ok(v)
        };
        let a = kept(&dev, 7, || build(41)).unwrap();
        let b = kept(&dev, 7, || build(0)).unwrap();
        assert!(Arc::ptr_eq(&a, &b) && *b == 41);
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert_eq!(*kept(&dev, 8, || build(5)).unwrap(), 5, "another key");
        assert_eq!(*kept::<u64>(&dev, 7, || Ok(9)).unwrap(), 9, "another type");
        let failed = kept::<u16>(&dev, 1, || Err(Error::DeviceLost("test".into())));
        assert!(failed.is_err());
        assert_eq!(*kept::<u16>(&dev, 1, || Ok(3)).unwrap(), 3, "a failure is not kept");
    }

    #[test]
    fn field_codecs_round_trip_and_refuse_non_canonical_limbs() {
        let mut rng = StdRng::seed_from_u64(1);
        let values: Vec<Fr> = [Fr::ZERO, Fr::ONE, -Fr::ONE]
            .into_iter()
            .chain((0..20).map(|_| Fr::rand(&mut rng)))
            .collect();
        let bytes = fr_to_bytes(&values);
        let mut back = vec![Fr::ZERO; values.len()];
        fr_from_bytes(&bytes, &mut back).unwrap();
        assert_eq!(back, values);
        // Limbs of the modulus itself, and all ones: not a field element.
        for bad in [Fr::MODULUS.0, [u64::MAX; 4]] {
            let mut b = bytes.clone();
            for (i, l) in bad.iter().enumerate() {
                b[8 * i..8 * i + 8].copy_from_slice(&l.to_le_bytes());
            }
            assert!(matches!(fr_from_bytes(&b, &mut back), Err(Error::DeviceFault(_))));
        }
        assert!(fr_from_bytes(&bytes[..31], &mut back[..1]).is_err());
    }

    #[test]
    fn xyzz_decoding_checks_the_curve() {
        let mut rng = StdRng::seed_from_u64(2);
        let p = G1Projective::rand(&mut rng).into_affine();
        let (x, y) = p.xy().unwrap();
        // (X, Y, ZZ, ZZZ) = (x·z², y·z³, z², z³) for z = 3.
        let z = Fq::from(3u64);
        let coords = [x * z * z, y * z * z * z, z * z, z * z * z];
        let encode = |c: &[Fq]| -> Vec<u8> {
            c.iter().flat_map(|v| v.0 .0.iter().flat_map(|l| l.to_le_bytes())).collect()
        };
        assert_eq!(g1_from_xyzz_bytes(&encode(&coords)).unwrap(), p.into_group());
        let zero = [Fq::ZERO; 4];
        assert_eq!(g1_from_xyzz_bytes(&encode(&zero)).unwrap(), G1Projective::zero());
        let mut off = coords;
        off[1] += Fq::ONE;
        assert!(matches!(g1_from_xyzz_bytes(&encode(&off)), Err(Error::DeviceFault(_))));
        let half = [coords[0], coords[1], Fq::ZERO, coords[3]];
        assert!(matches!(g1_from_xyzz_bytes(&encode(&half)), Err(Error::DeviceFault(_))));
    }
}
