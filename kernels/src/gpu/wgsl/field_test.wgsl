// Test and benchmark entry points for the field arithmetic: each applies one
// operation element-wise so that the host can compare with arkworks.

@group(0) @binding(0) var<storage, read> lhs: array<Fe>;
@group(0) @binding(1) var<storage, read> rhs: array<Fe>;
@group(0) @binding(2) var<storage, read_write> out: array<Fe>;
@group(0) @binding(3) var<uniform> op: vec4<u32>; // x: operation, y: length, z: chain length

@compute @workgroup_size(64)
fn apply_op(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= op.y) {
        return;
    }
    let a = lhs[i];
    let b = rhs[i];
    var r: Fe;
    switch op.x {
        case 0u: { r = fe_add(a, b); }
        case 1u: { r = fe_sub(a, b); }
        case 2u: { r = fe_double(a); }
        case 3u: { r = fe_neg(a); }
        case 4u: { r = fe_mul(a, b); }
        case 5u: { r = fe_square(a); }
        case 6u: { r = fe_inverse(a); }
        case 7u: { r = fe_to_mont(a); }
        case 8u: { r = fe_from_mont(a); }
        default: { r = fe_zero(); }
    }
    out[i] = r;
}

// A chain of op.z dependent multiplications per thread: the limb
// representations' microbenchmark.
@compute @workgroup_size(64)
fn mul_chain(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= op.y) {
        return;
    }
    var x = lhs[i];
    let y = rhs[i];
    for (var k = 0u; k < op.z; k++) {
        x = fe_mul(x, y);
    }
    out[i] = x;
}
