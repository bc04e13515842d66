//! The MSM's pipelines, compiled once per backend (clones share them): the
//! decomposition, the bucket passes of msm.wgsl, the prefix-sum scan and
//! the precomputation of shifted copies.

use super::super::curve::g1_wgsl;
use super::super::runtime;
use super::super::GpuDevice;
use super::decompose;
use crate::{Error, Result};

const MSM_WGSL: &str = include_str!("../wgsl/msm.wgsl");
const SCAN_WGSL: &str = include_str!("../wgsl/scan.wgsl");
const PRECOMPUTE_WGSL: &str = include_str!("../wgsl/precompute.wgsl");

/// msm.wgsl's `Params`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct MsmParams {
    pub n: u32,
    pub windows: u32,
    pub buckets: u32,
    pub total: u32,
    pub seg: u32,
    pub base_offset: u32,
    pub per_group: u32,
    pub count: u32,
    pub run: u32,
    pub copy_windows: u32,
    pub stride: u32,
    pub pad: u32,
}

/// Every MSM pipeline.
pub(super) struct MsmPipelines {
    pub decompose: wgpu::ComputePipeline,
    pub count: wgpu::ComputePipeline,
    pub scatter: wgpu::ComputePipeline,
    pub segment_counts: wgpu::ComputePipeline,
    pub accumulate_bases: wgpu::ComputePipeline,
    pub run_counts: wgpu::ComputePipeline,
    pub accumulate_runs: wgpu::ComputePipeline,
    pub accumulate_sums: wgpu::ComputePipeline,
    pub bucket_groups: wgpu::ComputePipeline,
    pub sum_runs: wgpu::ComputePipeline,
    pub scan_block: wgpu::ComputePipeline,
    pub scan_add: wgpu::ComputePipeline,
    pub shift_copies: wgpu::ComputePipeline,
}

impl MsmPipelines {
    pub fn build(dev: &GpuDevice) -> Result<Self> {
        let g1 = g1_wgsl(dev.mul_variant).map_err(Error::ShaderCompile)?;
        let msm = runtime::compile(dev, "msm", &format!("{g1}\n{MSM_WGSL}"))?;
        let scan = runtime::compile(dev, "scan", SCAN_WGSL)?;
        let digits = runtime::compile(dev, "decompose", &decompose::wgsl(dev.mul_variant)?)?;
        let precompute =
            runtime::compile(dev, "msm precompute", &format!("{g1}\n{PRECOMPUTE_WGSL}"))?;
        let p = |module, entry| runtime::pipeline(dev, module, entry, None);
        Ok(Self {
            decompose: p(&digits, "decompose")?,
            count: p(&msm, "count")?,
            scatter: p(&msm, "scatter")?,
            segment_counts: p(&msm, "segment_counts")?,
            accumulate_bases: p(&msm, "accumulate_bases")?,
            run_counts: p(&msm, "run_counts")?,
            accumulate_runs: p(&msm, "accumulate_runs")?,
            accumulate_sums: p(&msm, "accumulate_sums")?,
            bucket_groups: p(&msm, "bucket_groups")?,
            sum_runs: p(&msm, "sum_runs")?,
            scan_block: p(&scan, "scan_block")?,
            scan_add: p(&scan, "scan_add")?,
            shift_copies: p(&precompute, "shift_copies")?,
        })
    }
}
