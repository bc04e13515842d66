// Signed-digit window decomposition of MSM scalars (Pippenger with signed
// buckets, as in the ZPrize 2023 WebGPU MSM and arkworks' wNAF MSM): each
// scalar s (field.wgsl's field, Montgomery form on input) is written
// s = Σ_k d_k·2^(c·k) with d_k ∈ [−2^(c−1), 2^(c−1)), so a window needs only
// 2^(c−1) buckets, the sign selecting P or −P. Output, per scalar i and
// window k, at digits[i·windows + k]: |d_k| in the low 31 bits and the sign
// in bit 31; 0 means "no bucket". CPU twin: gpu::decompose::signed_digits.

// x: scalars, y: window bits c, z: windows
@group(0) @binding(0) var<uniform> shape: vec4<u32>;
@group(0) @binding(1) var<storage, read> scalars: array<Fe>;
@group(0) @binding(2) var<storage, read_write> digits: array<u32>;

// Bits [at, at + c) of a little-endian integer, c ≤ 16.
fn bits_at(s: Fe, at: u32, c: u32) -> u32 {
    let limb = at / 32u;
    let shift = at % 32u;
    var v = 0u;
    if (limb < {{LIMBS}}u) {
        v = s[limb] >> shift;
    }
    if (shift + c > 32u && limb + 1u < {{LIMBS}}u) {
        v |= s[limb + 1u] << (32u - shift);
    }
    return v & ((1u << c) - 1u);
}

@compute @workgroup_size(64)
fn decompose(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    if (i >= shape.x) {
        return;
    }
    let c = shape.y;
    let s = fe_from_mont(scalars[i]);
    let half = 1u << (c - 1u);
    var carry = 0u;
    for (var k = 0u; k < shape.z; k++) {
        let d = bits_at(s, k * c, c) + carry;
        // d ∈ [0, 2^c]: digits at or above 2^(c−1) become d − 2^c with a carry.
        if (d >= half) {
            digits[i * shape.z + k] = ((1u << c) - d) | 0x80000000u;
            carry = 1u;
        } else {
            digits[i * shape.z + k] = d;
            carry = 0u;
        }
    }
}
