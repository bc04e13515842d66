// Precomputed multiples of fixed MSM bases (curve.wgsl and Fq's field.wgsl
// are prepended). A chunk of bases holds `copies` copies of its `n` points,
// `stride` points apart: copy j of point i is 2^(j·bits)·P_i, so a scalar's
// signed digits in windows [j·W', (j + 1)·W') can go to copy j's buckets of
// windows [0, W') (bits = W'·c), and an MSM needs W' windows instead of W.
// Copy 0 is uploaded by the host; one dispatch of this kernel writes copy
// `copy` in affine form from copy − 1 by `bits` doublings. One copy per
// dispatch keeps an invocation's loop iterations far below llvmpipe's limit
// of 65,535 per invocation, past which it silently ends loops.

struct Shift {
    n: u32,
    stride: u32,
    copy: u32,
    bits: u32,
}

@group(0) @binding(0) var<uniform> shift: Shift;
@group(0) @binding(1) var<storage, read_write> points: array<Affine>;

// (X/ZZ, Y/ZZZ) with one inversion: 1/ZZ = ZZZ·t and 1/ZZZ = ZZ·t for
// t = 1/(ZZ·ZZZ).
fn xyzz_to_affine(p: Xyzz) -> Affine {
    if (xyzz_is_identity(p)) {
        return Affine(fe_zero(), fe_zero(), 1u);
    }
    let t = fe_inverse(fe_mul(p.zz, p.zzz));
    return Affine(fe_mul(p.x, fe_mul(p.zzz, t)), fe_mul(p.y, fe_mul(p.zz, t)), 0u);
}

@compute @workgroup_size(64)
fn shift_copies(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    if (i >= shift.n) {
        return;
    }
    var acc = xyzz_from_affine(points[(shift.copy - 1u) * shift.stride + i]);
    for (var b = 0u; b < shift.bits; b++) {
        acc = xyzz_double(acc);
    }
    points[shift.copy * shift.stride + i] = xyzz_to_affine(acc);
}
