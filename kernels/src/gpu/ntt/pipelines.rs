//! The NTT's pipelines: ntt.wgsl specialised for vectors split over
//! `chunks` bindings of 2^log_chunk elements, with one explicit layout that
//! every entry point shares (data, aux and table vectors, a constant, the
//! parameters), so that one dispatch helper binds them all alike.

use super::super::field::{field_wgsl, substitute};
use super::super::runtime::{self, FE_BYTES};
use super::super::GpuDevice;
use crate::{Error, Result};
use ark_bn254::Fr;

const NTT_WGSL: &str = include_str!("../wgsl/ntt.wgsl");

/// ntt.wgsl's `Params`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct NttParams {
    pub n: u32,
    pub log_n: u32,
    pub stage: u32,
    pub local_stages: u32,
    pub log_l: u32,
    /// Threads, or workgroups for the kernels indexed by workgroup.
    pub threads: u32,
    /// log2 of the groups each `stages_block` workgroup holds.
    pub log_groups: u32,
    pub pad: u32,
}

/// The compiled entry points of ntt.wgsl for one chunk layout.
pub(super) struct NttPipelines {
    /// Chunks per vector: bindings per vector in every kernel.
    pub chunks: usize,
    pub bit_reverse: wgpu::ComputePipeline,
    pub bit_reverse_tiled: wgpu::ComputePipeline,
    pub stages_block: wgpu::ComputePipeline,
    pub mul_powers: wgpu::ComputePipeline,
    pub mul_sub: wgpu::ComputePipeline,
    /// One-element buffers bound where a kernel uses no aux vector, no
    /// table chunk or no constant (distinct buffers: one buffer may not be
    /// bound read-write and read-only in one dispatch).
    pub dummy_rw: Vec<wgpu::Buffer>,
    pub dummy_ro: Vec<wgpu::Buffer>,
}

impl NttPipelines {
    /// The binding of the parameters.
    pub fn params_binding(&self) -> u32 {
        3 * self.chunks as u32 + 1
    }

    /// The binding of the constant.
    pub fn consts_binding(&self) -> u32 {
        3 * self.chunks as u32
    }

    pub fn build(dev: &GpuDevice, chunks: usize, log_chunk: u32) -> Result<Self> {
        let field = field_wgsl::<Fr>("BN254 Fr", dev.mul_variant).map_err(Error::ShaderCompile)?;
        let ntt = substitute(
            NTT_WGSL,
            &[
                ("FIELD", "BN254 Fr".into()),
                ("ACCESSORS", accessors(chunks, log_chunk)),
                ("CONSTS_BINDING", (3 * chunks).to_string()),
                ("PARAMS_BINDING", (3 * chunks + 1).to_string()),
            ],
        )
        .map_err(Error::ShaderCompile)?;
        let module = runtime::compile(dev, "ntt", &format!("{field}\n{ntt}"))?;
        let storage = |read_only| wgpu::BufferBindingType::Storage { read_only };
        let mut entries: Vec<_> =
            (0..3 * chunks as u32).map(|b| entry(b, storage(b >= 2 * chunks as u32))).collect();
        entries.push(entry(3 * chunks as u32, storage(true)));
        entries.push(entry(3 * chunks as u32 + 1, wgpu::BufferBindingType::Uniform));
        let layout = dev.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("ntt"),
            entries: &entries,
        });
        let pipeline_layout = dev.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("ntt"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let p = |name: &str| runtime::pipeline(dev, &module, name, Some(&pipeline_layout));
        let dummy = |label| runtime::upload(dev, label, &[0u8; FE_BYTES as usize]);
        Ok(Self {
            chunks,
            bit_reverse: p("bit_reverse")?,
            bit_reverse_tiled: p("bit_reverse_tiled")?,
            stages_block: p("stages_block")?,
            mul_powers: p("mul_powers")?,
            mul_sub: p("mul_sub")?,
            dummy_rw: (0..chunks).map(|_| dummy("unused aux")).collect::<Result<_>>()?,
            dummy_ro: (0..=chunks).map(|_| dummy("unused table")).collect::<Result<_>>()?,
        })
    }
}

fn entry(binding: u32, ty: wgpu::BufferBindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    }
}

/// WGSL bindings and `load_*`/`store_*` functions for `data`, `aux` (both
/// read-write) and `table` (read-only), each split into `chunks` bindings of
/// 2^log_chunk elements.
fn accessors(chunks: usize, log_chunk: u32) -> String {
    let mut out = String::new();
    for (v, (name, access)) in
        [("data", "read_write"), ("aux", "read_write"), ("table", "read")].iter().enumerate()
    {
        for c in 0..chunks {
            out += &format!(
                "@group(0) @binding({}) var<storage, {access}> {name}{c}: array<Fe>;\n",
                v * chunks + c
            );
        }
        let cases = |body: &dyn Fn(usize) -> String| -> String {
            if chunks == 1 {
                return body(0);
            }
            let mut sw = format!("    switch (i >> {log_chunk}u) {{\n");
            for c in 0..chunks {
                let label =
                    if c + 1 == chunks { "default".to_string() } else { format!("case {c}u") };
                sw += &format!("        {label}: {{ {} }}\n", body(c));
            }
            sw + "    }\n"
        };
        let mask = if chunks == 1 {
            "i".to_string()
        } else {
            format!("(i & {}u)", (1u64 << log_chunk) - 1)
        };
        out += &format!(
            "fn load_{name}(i: u32) -> Fe {{\n{}}}\n",
            cases(&|c| format!("return {name}{c}[{mask}];"))
        );
        if *access == "read_write" {
            out += &format!(
                "fn store_{name}(i: u32, v: Fe) {{\n{}}}\n",
                cases(&|c| format!("{name}{c}[{mask}] = v;"))
            );
        }
    }
    out
}
