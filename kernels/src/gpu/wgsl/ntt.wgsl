// Radix-2 NTT over {{FIELD}}, in place, natural order in and out, matching
// ark-poly's Radix2EvaluationDomain: an in-place bit-reversal permutation
// (tiled through workgroup memory so reads and writes are contiguous),
// then Cooley–Tukey decimation-in-time butterflies.
//
// Stages run in passes of up to 9 in workgroup memory: for stages
// [s, s + L), the 2^L elements whose indices differ only in bits s..s+L−1
// (stride 2^s) are transformed through all L stages in one workgroup and
// written back. A transform of 2^20 is then a bit-reversal and three
// butterfly passes over global memory (7 + 7 + 6 stages), the pass
// structure of a four-step NTT without its transposes. Twiddles
// ω^t (t < n/2) are precomputed on the host and stay resident per size.
// Coset shifts and the 1/n scaling multiply by g^i·c, read from two small
// tables (lo[i mod L]·hi[i / L]) instead of an n-entry table.
//
// Vectors larger than one storage binding are split into chunks of
// 2^LOG_CHUNK elements over several bindings; load_*/store_* (generated, see
// ntt/pipelines.rs) hide the split. The field functions (fe_*) are prepended.

struct Params {
    n: u32,
    log_n: u32,
    stage: u32,
    local_stages: u32,
    log_l: u32,
    // Threads, or workgroups for the kernels indexed by workgroup.
    threads: u32,
    // log2 of the groups each stages_block workgroup holds.
    log_groups: u32,
    pad: u32,
}

{{ACCESSORS}}

@group(0) @binding({{CONSTS_BINDING}}) var<storage, read> consts: array<Fe>;
@group(0) @binding({{PARAMS_BINDING}}) var<uniform> params: Params;

const WG: u32 = 256u;

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
        let t = load_data(i);
        store_data(i, load_data(j));
        store_data(j, t);
    }
}

// Bit-reversal with coalesced reads and writes, in place, for n ≥ 2^8.
// Write an index as (a, b, c): a the top 4 bits, c the low 4, b the rest.
// rev(a, b, c) = (rev c, rev b, rev a), so tile b (all a, c) maps onto tile
// rev(b): one workgroup loads both tiles row by row (c contiguous), and
// writes each destination row (c' contiguous) from workgroup memory.
const TILE_BITS: u32 = 4u;
var<workgroup> tiles: array<Fe, 512>;

fn rev_bits(x: u32, bits: u32) -> u32 {
    if (bits == 0u) {
        return 0u;
    }
    return reverseBits(x) >> (32u - bits);
}

@compute @workgroup_size(256)
fn bit_reverse_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let mid_bits = params.log_n - 2u * TILE_BITS;
    let b = wid.x + wid.y * nwg.x;
    // A 2D grid can hold more workgroups than tiles.
    if (b >= params.threads) {
        return;
    }
    let b2 = rev_bits(b, mid_bits);
    if (b > b2) {
        return; // the partner tile's workgroup swaps this pair
    }
    let t = lid.x;
    let a = t >> TILE_BITS;
    let c = t & 15u;
    let hi_shift = params.log_n - TILE_BITS;
    tiles[t] = load_data((a << hi_shift) | (b << TILE_BITS) | c);
    tiles[256u + t] = load_data((a << hi_shift) | (b2 << TILE_BITS) | c);
    workgroupBarrier();
    // Destination (a, ·, c) takes source (rev c, ·, rev a) of the partner tile.
    let src = (rev_bits(c, TILE_BITS) << TILE_BITS) | rev_bits(a, TILE_BITS);
    store_data((a << hi_shift) | (b2 << TILE_BITS) | c, tiles[src]);
    if (b != b2) {
        store_data((a << hi_shift) | (b << TILE_BITS) | c, tiles[256u + src]);
    }
}

var<workgroup> block: array<Fe, 512>;

// Stages [s, s + L) (s = params.stage, L = params.local_stages) on groups
// of 2^L elements at stride 2^s. Every workgroup holds 512 elements: the
// 2^G = 512 / 2^L groups g = wg·2^G + gi, stored as block[k·2^G + gi], so
// that consecutive threads load consecutive groups — adjacent addresses in
// global memory — and every thread does one butterfly per stage whatever L.
@compute @workgroup_size(256)
fn stages_block(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let s0 = params.stage;
    let l = params.local_stages;
    let log_g = params.log_groups;
    let wg = wid.x + wid.y * nwg.x;
    // A 2D grid can hold more workgroups than needed (uniform per workgroup).
    if (wg >= params.threads) {
        return;
    }
    let elements = 1u << (l + log_g);
    let g_mask = (1u << log_g) - 1u;
    let lo_mask = (1u << s0) - 1u;
    let t = lid.x;
    for (var e = t; e < elements; e += WG) {
        let g = (wg << log_g) | (e & g_mask);
        let k = e >> log_g;
        block[e] = load_data(((g >> s0) << (s0 + l)) | (g & lo_mask) | (k << s0));
    }
    workgroupBarrier();
    let gi = t & g_mask;
    let tt = t >> log_g;
    let lo = ((wg << log_g) | gi) & lo_mask;
    for (var u = 0u; u < l; u++) {
        if (tt < (1u << (l - 1u))) {
            let m = 1u << u;
            let jj = tt & (m - 1u);
            let k0 = ((tt >> u) << (u + 1u)) | jj;
            // The butterfly's position within its stage-(s+u) block.
            let j = (jj << s0) | lo;
            let w = load_table(j << (params.log_n - 1u - s0 - u));
            let i0 = (k0 << log_g) | gi;
            let i1 = ((k0 + m) << log_g) | gi;
            let a = block[i0];
            let b = fe_mul(block[i1], w);
            block[i0] = fe_add(a, b);
            block[i1] = fe_sub(a, b);
        }
        workgroupBarrier();
    }
    for (var e = t; e < elements; e += WG) {
        let g = (wg << log_g) | (e & g_mask);
        let k = e >> log_g;
        store_data(((g >> s0) << (s0 + l)) | (g & lo_mask) | (k << s0), block[e]);
    }
}

// data[i] ·= lo[i mod L] · hi[i / L], with lo = table[0..L], hi = table[L..].
@compute @workgroup_size(256)
fn mul_powers(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = thread_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    let l = 1u << params.log_l;
    let f = fe_mul(load_table(i & (l - 1u)), load_table(l + (i >> params.log_l)));
    store_data(i, fe_mul(load_data(i), f));
}

// A program's combination step (the Groth16 quotient on the coset):
// data ← (data·aux − table)·consts[0].
@compute @workgroup_size(256)
fn mul_sub(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = thread_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    store_data(i, fe_mul(fe_sub(fe_mul(load_data(i), load_aux(i)), load_table(i)), consts[0]));
}
