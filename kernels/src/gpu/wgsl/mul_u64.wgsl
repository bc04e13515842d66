// CIOS Montgomery multiplication, 32-bit digits, 64-bit products (SHADER_INT64).
// Each step s = t + a·b + c stays below 2^64: (2^32−1)² + 2·(2^32−1) = 2^64 − 1.
const INV32: u32 = {{INV32}}u; // −p⁻¹ mod 2^32

fn fe_mul(a: Fe, b: Fe) -> Fe {
    var t: array<u32, {{LIMBS_PLUS_2}}>;
    for (var i = 0u; i < {{LIMBS}}u; i++) {
        var c = 0lu;
        let bi = u64(b[i]);
        for (var j = 0u; j < {{LIMBS}}u; j++) {
            let s = u64(t[j]) + u64(a[j]) * bi + c;
            t[j] = u32(s & 0xfffffffflu);
            c = s >> 32u;
        }
        var s = u64(t[{{LIMBS}}u]) + c;
        t[{{LIMBS}}u] = u32(s & 0xfffffffflu);
        t[{{LIMBS}}u + 1u] = u32(s >> 32u);

        let m = u64(t[0] * INV32);
        s = u64(t[0]) + m * u64(P[0]);
        c = s >> 32u;
        for (var j = 1u; j < {{LIMBS}}u; j++) {
            s = u64(t[j]) + m * u64(P[j]) + c;
            t[j - 1u] = u32(s & 0xfffffffflu);
            c = s >> 32u;
        }
        s = u64(t[{{LIMBS}}u]) + c;
        t[{{LIMBS}}u - 1u] = u32(s & 0xfffffffflu);
        t[{{LIMBS}}u] = t[{{LIMBS}}u + 1u] + u32(s >> 32u);
    }
    var r: Fe;
    for (var i = 0u; i < {{LIMBS}}u; i++) {
        r[i] = t[i];
    }
    if (t[{{LIMBS}}u] != 0u || fe_gte(r, P)) {
        r = fe_sub_raw(r, P);
    }
    return r;
}
