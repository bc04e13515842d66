//! What the kernel tests and the microbenchmarks (kernels/benches) need to
//! run a test shader: the runtime's buffer and pipeline functions, and one
//! dispatch that binds storage buffers in order with a 4-word uniform after
//! them. Compiled for tests, and with the `microbench` feature for the
//! benchmarks; not part of the library's interface otherwise.

use super::runtime::{self, Commands};
pub use super::runtime::{compile, download, g1_affine_bytes, g1_from_xyzz_bytes, storage, upload};
use super::GpuDevice;
use crate::Result;

/// A pipeline for `entry` with the layout its bindings imply.
pub fn pipeline(
    dev: &GpuDevice,
    module: &wgpu::ShaderModule,
    entry: &str,
) -> Result<wgpu::ComputePipeline> {
    runtime::pipeline(dev, module, entry, None)
}

/// One dispatch of `groups` workgroups with `buffers` at bindings 0, 1, ...
/// and `params` as a uniform at the next binding; waits for it.
pub fn dispatch(
    dev: &GpuDevice,
    pipeline: &wgpu::ComputePipeline,
    buffers: &[&wgpu::Buffer],
    params: [u32; 4],
    groups: (u32, u32),
) -> Result<()> {
    let bindings: Vec<(u32, &wgpu::Buffer)> =
        buffers.iter().enumerate().map(|(i, b)| (i as u32, *b)).collect();
    let mut commands = Commands::new(dev);
    commands.dispatch(pipeline, Some((buffers.len() as u32, &params)), &bindings, groups);
    commands.submit()
}

/// The field test shader (`wgsl/field_test.wgsl`) over field `F`.
pub fn field_test_source<F: ark_ff::PrimeField>(variant: super::MulVariant) -> Result<String> {
    let field = super::field::field_wgsl::<F>("test field", variant)
        .map_err(crate::Error::ShaderCompile)?;
    Ok(format!("{field}\n{}", include_str!("wgsl/field_test.wgsl")))
}

/// The bucket-accumulation benchmark shader (`wgsl/accumulate_bench.wgsl`)
/// with `batch` accumulators per thread in its batch-affine chain.
pub fn accumulate_bench_source(variant: super::MulVariant, batch: u32) -> Result<String> {
    let bench = super::field::substitute(
        include_str!("wgsl/accumulate_bench.wgsl"),
        &[("BATCH", batch.to_string())],
    )
    .map_err(crate::Error::ShaderCompile)?;
    let g1 = super::curve::g1_wgsl(variant).map_err(crate::Error::ShaderCompile)?;
    Ok(format!("{g1}\n{bench}"))
}
