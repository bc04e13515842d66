// Radix-2 NTT over {{FIELD}}, in place, natural order in and out, matching
// ark-poly's Radix2EvaluationDomain: an in-place bit-reversal permutation,
// then Cooley–Tukey decimation-in-time butterflies. The first LOCAL stages
// (blocks of up to 512 elements) run in one dispatch in workgroup memory;
// each later stage is one dispatch over global memory. Twiddles ω^t for
// t < n/2 are precomputed on the host and stay resident per size.
// Coset shifts and the 1/n scaling multiply by g^i·c, read from two small
// tables (lo[i mod L]·hi[i / L]) instead of an n-entry table.
//
// The field functions (fe_*) are prepended from field.wgsl.

struct Params {
    n: u32,
    log_n: u32,
    stage: u32,
    local_stages: u32,
    log_l: u32,
    threads: u32,
}

@group(0) @binding(0) var<storage, read_write> data: array<Fe>;
@group(0) @binding(1) var<storage, read_write> aux: array<Fe>;
@group(0) @binding(2) var<storage, read> table: array<Fe>;
@group(0) @binding(3) var<storage, read> consts: array<Fe>;
@group(0) @binding(4) var<uniform> params: Params;

const WG: u32 = 256u;
const BLOCK: u32 = 512u;

// Flattens a 2D dispatch (x up to 65535 workgroups) into a thread index.
fn thread_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(256)
fn bit_reverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = thread_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    let j = reverseBits(i) >> (32u - params.log_n);
    if (i < j) {
        let t = data[i];
        data[i] = data[j];
        data[j] = t;
    }
}

var<workgroup> block: array<Fe, 512>;

// Stages 0 .. local_stages−1 on blocks of 2^local_stages elements.
@compute @workgroup_size(256)
fn stages_local(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let size = 1u << params.local_stages;
    let base = (wid.x + wid.y * nwg.x) * size;
    let t = lid.x;
    if (t < size) {
        block[t] = data[base + t];
    }
    if (t + WG < size) {
        block[t + WG] = data[base + t + WG];
    }
    workgroupBarrier();
    for (var s = 0u; s < params.local_stages; s++) {
        if (t < size / 2u) {
            let m = 1u << s;
            let j = t & (m - 1u);
            let i0 = ((t >> s) << (s + 1u)) | j;
            let w = table[j << (params.log_n - 1u - s)];
            let u = block[i0];
            let v = fe_mul(block[i0 + m], w);
            block[i0] = fe_add(u, v);
            block[i0 + m] = fe_sub(u, v);
        }
        workgroupBarrier();
    }
    if (t < size) {
        data[base + t] = block[t];
    }
    if (t + WG < size) {
        data[base + t + WG] = block[t + WG];
    }
}

// One stage over global memory: n/2 butterflies.
@compute @workgroup_size(256)
fn stage_global(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = thread_index(gid, nwg);
    if (k >= params.n / 2u) {
        return;
    }
    let s = params.stage;
    let m = 1u << s;
    let j = k & (m - 1u);
    let i0 = ((k >> s) << (s + 1u)) | j;
    let w = table[j << (params.log_n - 1u - s)];
    let u = data[i0];
    let v = fe_mul(data[i0 + m], w);
    data[i0] = fe_add(u, v);
    data[i0 + m] = fe_sub(u, v);
}

// data[i] ·= lo[i mod L] · hi[i / L], with lo = table[0..L], hi = table[L..].
@compute @workgroup_size(256)
fn mul_powers(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = thread_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    let l = 1u << params.log_l;
    let f = fe_mul(table[i & (l - 1u)], table[l + (i >> params.log_l)]);
    data[i] = fe_mul(data[i], f);
}

// The Groth16 quotient on the coset: a ← (a·b − c)·z⁻¹, with b in aux,
// c in table and z⁻¹ in consts[0].
@compute @workgroup_size(256)
fn quotient_combine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = thread_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    data[i] = fe_mul(fe_sub(fe_mul(data[i], aux[i]), table[i]), consts[0]);
}
