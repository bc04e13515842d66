// CIOS Montgomery multiplication, 16-bit digits in u32 (no 64-bit integers).
// Each step s = t + a·b + c stays below 2^32: (2^16−1)² + 2·(2^16−1) = 2^32 − 1.
const INV16: u32 = {{INV16}}u; // −p⁻¹ mod 2^16
const D: u32 = {{LIMBS}}u * 2u; // digits

fn digit(x: Fe, k: u32) -> u32 {
    return (x[k / 2u] >> ((k % 2u) * 16u)) & 0xffffu;
}

fn fe_mul(a: Fe, b: Fe) -> Fe {
    var ad: array<u32, {{DIGITS}}>;
    var pd: array<u32, {{DIGITS}}>;
    for (var k = 0u; k < D; k++) {
        ad[k] = digit(a, k);
        pd[k] = digit(P, k);
    }
    var t: array<u32, {{DIGITS_PLUS_2}}>;
    for (var i = 0u; i < D; i++) {
        var c = 0u;
        let bi = digit(b, i);
        for (var j = 0u; j < D; j++) {
            let s = t[j] + ad[j] * bi + c;
            t[j] = s & 0xffffu;
            c = s >> 16u;
        }
        var s = t[D] + c;
        t[D] = s & 0xffffu;
        t[D + 1u] = s >> 16u;

        let m = (t[0] * INV16) & 0xffffu;
        s = t[0] + m * pd[0];
        c = s >> 16u;
        for (var j = 1u; j < D; j++) {
            s = t[j] + m * pd[j] + c;
            t[j - 1u] = s & 0xffffu;
            c = s >> 16u;
        }
        s = t[D] + c;
        t[D - 1u] = s & 0xffffu;
        t[D] = t[D + 1u] + (s >> 16u);
    }
    var r: Fe;
    for (var i = 0u; i < {{LIMBS}}u; i++) {
        r[i] = t[2u * i] | (t[2u * i + 1u] << 16u);
    }
    if (t[D] != 0u || fe_gte(r, P)) {
        r = fe_sub_raw(r, P);
    }
    return r;
}
