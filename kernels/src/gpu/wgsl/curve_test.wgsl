// Test entry points for curve.wgsl, one per operation (small entry points
// compile quickly on software drivers); results in XYZZ for the host to
// normalise and compare with arkworks.

@group(0) @binding(0) var<storage, read> lhs: array<Affine>;
@group(0) @binding(1) var<storage, read> rhs: array<Affine>;
@group(0) @binding(2) var<storage, read_write> out: array<Xyzz>;
@group(0) @binding(3) var<uniform> len: vec4<u32>;

// p + q, both lifted to XYZZ.
@compute @workgroup_size(64)
fn add(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < len.x) {
        out[gid.x] = xyzz_add(xyzz_from_affine(lhs[gid.x]), xyzz_from_affine(rhs[gid.x]));
    }
}

// p + q with q affine.
@compute @workgroup_size(64)
fn add_affine(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < len.x) {
        out[gid.x] = xyzz_add_affine(xyzz_from_affine(lhs[gid.x]), rhs[gid.x]);
    }
}

// 2p, then 2p + q − p through the general addition (non-trivial ZZ on both sides).
@compute @workgroup_size(64)
fn double_then_add(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < len.x) {
        let p = xyzz_from_affine(lhs[gid.x]);
        out[gid.x] = xyzz_add(xyzz_add_affine(xyzz_double(p), rhs[gid.x]), xyzz_neg(p));
    }
}

// The curve-equation check, reported as ZZ = R (true) or 0 (false).
@compute @workgroup_size(64)
fn on_curve(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < len.x) {
        // rhs unused here, but it must stay in the shared bind-group layout.
        _ = rhs[gid.x];
        var flag = xyzz_identity();
        if (affine_on_curve(lhs[gid.x])) {
            flag.zz = R_MOD_P;
        }
        out[gid.x] = flag;
    }
}
