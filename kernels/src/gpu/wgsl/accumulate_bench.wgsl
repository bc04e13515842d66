// Microbenchmark of bucket-accumulation point representations (curve.wgsl
// and Fq's field.wgsl are prepended; `BATCH` is substituted by the host).
// Every thread makes `len.y` additions of affine points from `rhs` into
// accumulators starting at points of `lhs`:
//
//   chain_xyzz      one XYZZ accumulator, mixed additions (madd-2008-s,
//                   8M + 2S), as the MSM's level-1 accumulation does;
//   chain_jacobian  one Jacobian accumulator, mixed additions (madd-2007-bl,
//                   7M + 4S, with the XYZZ formulas' special cases);
//   chain_affine    BATCH affine accumulators added to in rounds, the
//                   round's BATCH inversions shared by Montgomery's trick
//                   (5M + 1S per addition plus one inversion per round).
//
// Each writes its first accumulator as XYZZ (Jacobian (X, Y, Z) as
// (X, Y, Z², Z³)) for the host to check against arkworks. The benchmark's
// points are random and distinct; the batch-affine formulas leave out the
// doubling and cancellation cases (an MSM would need them, at the cost of a
// branch per addition).

@group(0) @binding(0) var<storage, read> lhs: array<Affine>;
@group(0) @binding(1) var<storage, read> rhs: array<Affine>;
@group(0) @binding(2) var<storage, read_write> out: array<Xyzz>;
// x: threads, y: additions per thread, z: points in lhs and rhs.
@group(0) @binding(3) var<uniform> len: vec4<u32>;

const BATCH: u32 = {{BATCH}}u;

@compute @workgroup_size(64)
fn chain_xyzz(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    if (t >= len.x) {
        return;
    }
    var acc = xyzz_from_affine(lhs[t % len.z]);
    for (var k = 0u; k < len.y; k++) {
        acc = xyzz_add_affine(acc, rhs[(t + k) % len.z]);
    }
    out[t] = acc;
}

struct Jacobian {
    x: Fe,
    y: Fe,
    z: Fe,
}

// dbl-2009-l, a = 0 (2M + 5S).
fn jacobian_double(p: Jacobian) -> Jacobian {
    let a = fe_square(p.x);
    let b = fe_square(p.y);
    let c = fe_square(b);
    let d = fe_double(fe_sub(fe_sub(fe_square(fe_add(p.x, b)), a), c));
    let e = fe_add(fe_double(a), a);
    let x3 = fe_sub(fe_square(e), fe_double(d));
    let y3 = fe_sub(fe_mul(e, fe_sub(d, x3)), fe_double(fe_double(fe_double(c))));
    return Jacobian(x3, y3, fe_double(fe_mul(p.y, p.z)));
}

// madd-2007-bl, a = 0 (7M + 4S), with the same special cases as
// curve.wgsl's XYZZ mixed addition: the identity on either side, P + P
// (doubling) and P + (−P) (the identity, Z = 0).
fn jacobian_add_affine(p: Jacobian, q: Affine) -> Jacobian {
    if (q.infinity != 0u) {
        return p;
    }
    if (fe_is_zero(p.z)) {
        return Jacobian(q.x, q.y, R_MOD_P);
    }
    let z1z1 = fe_square(p.z);
    let u2 = fe_mul(q.x, z1z1);
    let s2 = fe_mul(q.y, fe_mul(p.z, z1z1));
    let h = fe_sub(u2, p.x);
    let r = fe_double(fe_sub(s2, p.y));
    if (fe_is_zero(h)) {
        if (fe_is_zero(r)) {
            return jacobian_double(Jacobian(q.x, q.y, R_MOD_P));
        }
        return Jacobian(R_MOD_P, R_MOD_P, fe_zero());
    }
    let hh = fe_square(h);
    let i = fe_double(fe_double(hh));
    let j = fe_mul(h, i);
    let v = fe_mul(p.x, i);
    let x3 = fe_sub(fe_sub(fe_square(r), j), fe_double(v));
    let y3 = fe_sub(fe_mul(r, fe_sub(v, x3)), fe_double(fe_mul(p.y, j)));
    let z3 = fe_sub(fe_sub(fe_square(fe_add(p.z, h)), z1z1), hh);
    return Jacobian(x3, y3, z3);
}

@compute @workgroup_size(64)
fn chain_jacobian(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    if (t >= len.x) {
        return;
    }
    let start = lhs[t % len.z];
    var acc = Jacobian(start.x, start.y, R_MOD_P);
    for (var k = 0u; k < len.y; k++) {
        acc = jacobian_add_affine(acc, rhs[(t + k) % len.z]);
    }
    let zz = fe_square(acc.z);
    out[t] = Xyzz(acc.x, acc.y, zz, fe_mul(zz, acc.z));
}

@compute @workgroup_size(64)
fn chain_affine(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    if (t >= len.x) {
        return;
    }
    var acc: array<Affine, BATCH>;
    var prefix: array<Fe, BATCH>;
    for (var j = 0u; j < BATCH; j++) {
        acc[j] = lhs[(t * BATCH + j) % len.z];
    }
    for (var r = 0u; r < len.y / BATCH; r++) {
        // prefix[j] = Π_{i ≤ j} (x_q − x_acc), then one inversion.
        var product = R_MOD_P;
        for (var j = 0u; j < BATCH; j++) {
            let q = rhs[(t * BATCH + j + r) % len.z];
            product = fe_mul(product, fe_sub(q.x, acc[j].x));
            prefix[j] = product;
        }
        var inv = fe_inverse(product);
        for (var jj = BATCH; jj > 0u; jj--) {
            let j = jj - 1u;
            let q = rhs[(t * BATCH + j + r) % len.z];
            let d = fe_sub(q.x, acc[j].x);
            var inv_d = inv;
            if (j > 0u) {
                inv_d = fe_mul(inv, prefix[j - 1u]);
            }
            inv = fe_mul(inv, d);
            let lambda = fe_mul(fe_sub(q.y, acc[j].y), inv_d);
            let x3 = fe_sub(fe_sub(fe_square(lambda), acc[j].x), q.x);
            let y3 = fe_sub(fe_mul(lambda, fe_sub(acc[j].x, x3)), acc[j].y);
            acc[j] = Affine(x3, y3, 0u);
        }
    }
    out[t] = xyzz_from_affine(acc[0]);
}
