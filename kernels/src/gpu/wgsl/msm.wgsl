// Pippenger's bucket method for BN254 G1, on the device from signed digits to
// one sum per window (curve.wgsl and Fq's field.wgsl are prepended). The host
// (gpu/msm.rs) records the passes in order:
//
//   decompose.wgsl  scalar i → signed digit d(i, k) per window k
//   count           size of every bucket (k, |d| − 1): atomic counters
//   scan.wgsl       bucket sizes → bucket offsets
//   scatter         entries[offset + rank] = i | sign: points grouped by bucket
//   accumulate_*    segmented sums, level by level (below)
//   bucket_groups   per window, running sums over groups of buckets
//   sum_runs        group results → one point per window
//
// Load balance: Groth16 scalars are skewed (many 0s and 1s, repeated values),
// so one bucket may hold every point. No thread sums a whole bucket. Level 1
// (accumulate_runs, the bulk of the work) cuts the bucket-sorted entries into
// runs of `seg` consecutive items whatever buckets they fall in: every thread
// makes the same number of additions, writing one partial sum per bucket its
// run meets. Later levels (accumulate_sums) split every bucket into segments
// of at most `seg` items, one thread per segment, until every bucket is one
// point (a segment never straddles buckets, so each level shrinks a bucket
// of m items to ⌈m / seg⌉). A thread finds its place by binary search over
// the scanned offsets, so there is no host round trip. With a single level
// (at most `seg` points), accumulate_bases sums bucket-aligned segments of
// bases.
//
// Buckets are numbered b = k·buckets + (|d| − 1), so digit |d| weighs |d|.
//
// Precomputed bases (precompute.wgsl): with `copy_windows` = W' < windows,
// digit k of scalar i goes to window k mod W' with point i + (k / W')·stride,
// the copy 2^((k / W')·W'·c)·P_i; without, W' = windows and stride is unused.

struct Params {
    // Scalars (points) in this pass.
    n: u32,
    // Digits (windows) per scalar.
    windows: u32,
    // Buckets per window: 2^(c−1).
    buckets: u32,
    // windows · buckets.
    total: u32,
    // Largest segment a thread sums.
    seg: u32,
    // First base of this pass in `bases`.
    base_offset: u32,
    // Buckets per group in bucket_groups.
    per_group: u32,
    // sum_runs: items in `xin`, and how many each output sums.
    count: u32,
    run: u32,
    // Bucket windows W' (≤ windows), and points between copies of a base.
    copy_windows: u32,
    stride: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> digits: array<u32>;
@group(0) @binding(2) var<storage, read_write> counters: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> entries: array<u32>;
@group(0) @binding(4) var<storage, read> bases: array<Affine>;
@group(0) @binding(5) var<storage, read> in_cnt: array<u32>;
@group(0) @binding(6) var<storage, read> in_off: array<u32>;
@group(0) @binding(7) var<storage, read> out_off: array<u32>;
@group(0) @binding(8) var<storage, read_write> out_cnt: array<u32>;
@group(0) @binding(9) var<storage, read> xin: array<Xyzz>;
@group(0) @binding(10) var<storage, read_write> xout: array<Xyzz>;

const SIGN: u32 = 0x80000000u;

fn thread_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

// Bucket sizes (counters zeroed by the host).
@compute @workgroup_size(64)
fn count(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = thread_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    for (var k = 0u; k < params.windows; k++) {
        let d = digits[i * params.windows + k] & ~SIGN;
        if (d != 0u) {
            atomicAdd(&counters[(k % params.copy_windows) * params.buckets + d - 1u], 1u);
        }
    }
}

// Writes each (scalar, window) with a nonzero digit into its bucket's range;
// `counters` holds the bucket offsets on entry and is advanced atomically.
// The order inside a bucket varies from run to run; the sum does not.
@compute @workgroup_size(64)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = thread_index(gid, nwg);
    if (i >= params.n) {
        return;
    }
    for (var k = 0u; k < params.windows; k++) {
        let raw = digits[i * params.windows + k];
        let d = raw & ~SIGN;
        if (d != 0u) {
            let window = k % params.copy_windows;
            let at = atomicAdd(&counters[window * params.buckets + d - 1u], 1u);
            entries[at] = (i + (k / params.copy_windows) * params.stride) | (raw & SIGN);
        }
    }
}

// Level 1 in runs: bucket b's items [in_off[b], in_off[b] + in_cnt[b]) meet
// runs ⌊in_off[b] / seg⌋ ..= ⌊(in_off[b] + in_cnt[b] − 1) / seg⌋, one partial
// sum each (entry `total` stays 0, as in segment_counts).
@compute @workgroup_size(64)
fn run_counts(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let b = thread_index(gid, nwg);
    if (b > params.total) {
        return;
    }
    var parts = 0u;
    if (b < params.total && in_cnt[b] != 0u) {
        parts = (in_off[b] + in_cnt[b] - 1u) / params.seg - in_off[b] / params.seg + 1u;
    }
    out_cnt[b] = parts;
}

// Segments per bucket for the next level: ⌈in_cnt / seg⌉ (entry `total`,
// past the last bucket, stays 0 so its scanned offset is the item count).
@compute @workgroup_size(64)
fn segment_counts(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let b = thread_index(gid, nwg);
    if (b > params.total) {
        return;
    }
    var segments = 0u;
    if (b < params.total) {
        segments = (in_cnt[b] + params.seg - 1u) / params.seg;
    }
    out_cnt[b] = segments;
}

// The bucket of output item j: the last b with out_off[b] ≤ j (empty
// buckets share their successor's offset, so this one is never empty).
fn bucket_of(j: u32) -> u32 {
    var lo = 0u;
    var hi = params.total;
    while (lo < hi) {
        let mid = (lo + hi + 1u) / 2u;
        if (out_off[mid] <= j) {
            lo = mid;
        } else {
            hi = mid - 1u;
        }
    }
    return lo;
}

// The input range [x, y) of output item j.
fn segment_of(j: u32) -> vec2<u32> {
    let b = bucket_of(j);
    let start = in_off[b] + (j - out_off[b]) * params.seg;
    return vec2<u32>(start, min(start + params.seg, in_off[b] + in_cnt[b]));
}

// The bucket of input item e: the last b with in_off[b] ≤ e (empty buckets
// share their successor's offset, so this one holds e).
fn bucket_of_item(e: u32) -> u32 {
    var lo = 0u;
    var hi = params.total;
    while (lo < hi) {
        let mid = (lo + hi + 1u) / 2u;
        if (in_off[mid] <= e) {
            lo = mid;
        } else {
            hi = mid - 1u;
        }
    }
    return lo;
}

// The base of entry e, negated for a negative digit.
fn entry_point(e: u32) -> Affine {
    let raw = entries[e];
    var p = bases[params.base_offset + (raw & ~SIGN)];
    if ((raw & SIGN) != 0u) {
        p.y = fe_neg(p.y);
    }
    return p;
}

// Level 1 in equal runs: run j sums entries [j·seg, (j + 1)·seg) bucket by
// bucket, and writes bucket b's partial sum to out_off[b] + (j − first run
// of b). Every run but the last makes exactly `seg` additions.
@compute @workgroup_size(64)
fn accumulate_runs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = thread_index(gid, nwg);
    let items = in_off[params.total];
    let start = j * params.seg;
    if (start >= items) {
        return;
    }
    let stop = min(start + params.seg, items);
    var b = bucket_of_item(start);
    var end = in_off[b] + in_cnt[b];
    var acc = xyzz_identity();
    for (var e = start; e < stop; e++) {
        if (e == end) {
            xout[out_off[b] + j - in_off[b] / params.seg] = acc;
            acc = xyzz_identity();
            b = bucket_of_item(e);
            end = in_off[b] + in_cnt[b];
        }
        acc = xyzz_add_affine(acc, entry_point(e));
    }
    xout[out_off[b] + j - in_off[b] / params.seg] = acc;
}

// A single level (every bucket at most `seg` items): sums of bases per
// bucket-aligned segment.
@compute @workgroup_size(64)
fn accumulate_bases(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = thread_index(gid, nwg);
    if (j >= out_off[params.total]) {
        return;
    }
    let range = segment_of(j);
    var acc = xyzz_identity();
    for (var e = range.x; e < range.y; e++) {
        acc = xyzz_add_affine(acc, entry_point(e));
    }
    xout[j] = acc;
}

// Later levels: sums of the previous level's segment sums.
@compute @workgroup_size(64)
fn accumulate_sums(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = thread_index(gid, nwg);
    if (j >= out_off[params.total]) {
        return;
    }
    let range = segment_of(j);
    var acc = xin[range.x];
    for (var e = range.x + 1u; e < range.y; e++) {
        acc = xyzz_add(acc, xin[e]);
    }
    xout[j] = acc;
}

// Thread t: bucket window k = t / groups, buckets [g·L, g·L + L) of it with
// L = per_group. Returns Σ (b + 1)·S_b over the group: a running sum from the
// top bucket down gives Σ (b − g·L + 1)·S_b, and g·L·Σ S_b (double-and-add)
// supplies the rest. in_cnt/in_off are the last level's: 0 or 1 item each.
//
// Every step is one addition at one call site (doubling is P + P): software
// drivers inline each call site of xyzz_add, and compile time grows with them.
@compute @workgroup_size(64)
fn bucket_groups(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = thread_index(gid, nwg);
    let groups = params.buckets / params.per_group;
    if (t >= params.copy_windows * groups) {
        return;
    }
    let first = (t / groups) * params.buckets + (t % groups) * params.per_group;
    // Slots: 0 running, 1 acc, 2 base (of the double-and-add).
    var slot: array<Xyzz, 3>;
    slot[0] = xyzz_identity();
    slot[1] = xyzz_identity();
    let steps = 2u * params.per_group;
    var step = 0u;
    var m = (t % groups) * params.per_group;
    var doubling = false;
    loop {
        var lhs = 1u;
        var rhs = xyzz_identity();
        if (step < steps) {
            // Even steps: running += S_b, from the top bucket down; odd: acc += running.
            if (step % 2u == 0u) {
                let b = first + params.per_group - 1u - step / 2u;
                lhs = 0u;
                if (in_cnt[b] != 0u) {
                    rhs = xin[in_off[b]];
                }
            } else {
                rhs = slot[0];
            }
            step++;
            if (step == steps) {
                slot[2] = slot[0];
            }
        } else {
            if (m == 0u) {
                break;
            }
            if (doubling) {
                // base += base, next bit.
                lhs = 2u;
                rhs = slot[2];
                m >>= 1u;
            } else if ((m & 1u) != 0u) {
                // acc += base.
                rhs = slot[2];
            }
            doubling = !doubling;
        }
        slot[lhs] = xyzz_add(slot[lhs], rhs);
    }
    xout[t] = slot[1];
}

// out[t] = Σ xin[t·run .. min(t·run + run, count)).
@compute @workgroup_size(64)
fn sum_runs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = thread_index(gid, nwg);
    let start = t * params.run;
    if (start >= params.count) {
        return;
    }
    var acc = xin[start];
    for (var e = start + 1u; e < min(start + params.run, params.count); e++) {
        acc = xyzz_add(acc, xin[e]);
    }
    xout[t] = acc;
}
