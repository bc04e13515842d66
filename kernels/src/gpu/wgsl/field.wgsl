// Montgomery arithmetic modulo {{FIELD}}'s modulus, in {{LIMBS}} little-endian
// 32-bit limbs with R = 2^(32·{{LIMBS}}): the same representation as arkworks'
// `Fp` (its Montgomery form, R = 2^(64·{{LIMBS64}})), so field elements move between
// host and device as raw bytes, never converted.
//
// Constants come from the arkworks field type at run time (kernels/src/gpu/
// field.rs); nothing here is specific to one field but the limb count.
//
// Multiplication is CIOS (Koç, Acar, Kaliski, "Analyzing and comparing
// Montgomery multiplication algorithms", 1996) in one of two variants chosen
// by {{MUL_VARIANT}}: 32-bit digits with 64-bit products (SHADER_INT64), or
// 16-bit digits with 32-bit products (portable). See MUL_VARIANT in field.rs.

alias Fe = array<u32, {{LIMBS}}>;

const P: Fe = Fe({{MODULUS}});
const R_MOD_P: Fe = Fe({{R}});
const R2_MOD_P: Fe = Fe({{R2}});

fn fe_zero() -> Fe {
    return Fe();
}

fn fe_is_zero(a: Fe) -> bool {
    var acc = 0u;
    for (var i = 0u; i < {{LIMBS}}u; i++) {
        acc |= a[i];
    }
    return acc == 0u;
}

fn fe_eq(a: Fe, b: Fe) -> bool {
    var acc = 0u;
    for (var i = 0u; i < {{LIMBS}}u; i++) {
        acc |= a[i] ^ b[i];
    }
    return acc == 0u;
}

// a >= b as integers.
fn fe_gte(a: Fe, b: Fe) -> bool {
    for (var k = 0u; k < {{LIMBS}}u; k++) {
        let i = {{LIMBS}}u - 1u - k;
        if (a[i] != b[i]) {
            return a[i] > b[i];
        }
    }
    return true;
}

// a - b as integers, ignoring the final borrow.
fn fe_sub_raw(a: Fe, b: Fe) -> Fe {
    var r: Fe;
    var borrow = 0u;
    for (var i = 0u; i < {{LIMBS}}u; i++) {
        let d = a[i] - b[i];
        let d2 = d - borrow;
        borrow = select(0u, 1u, a[i] < b[i]) | select(0u, 1u, d < borrow);
        r[i] = d2;
    }
    return r;
}

// a + b as integers, with the carry out of the top limb.
struct Sum {
    value: Fe,
    carry: u32,
}

fn fe_add_raw(a: Fe, b: Fe) -> Sum {
    var r: Fe;
    var carry = 0u;
    for (var i = 0u; i < {{LIMBS}}u; i++) {
        let s = a[i] + b[i];
        let s2 = s + carry;
        carry = select(0u, 1u, s < a[i]) | select(0u, 1u, s2 < s);
        r[i] = s2;
    }
    return Sum(r, carry);
}

fn fe_add(a: Fe, b: Fe) -> Fe {
    let sum = fe_add_raw(a, b);
    if (sum.carry != 0u || fe_gte(sum.value, P)) {
        return fe_sub_raw(sum.value, P);
    }
    return sum.value;
}

fn fe_sub(a: Fe, b: Fe) -> Fe {
    let r = fe_sub_raw(a, b);
    if (fe_gte(a, b)) {
        return r;
    }
    // Wrapped below zero: add p back (its carry out cancels the borrow).
    return fe_add_raw(r, P).value;
}

fn fe_double(a: Fe) -> Fe {
    return fe_add(a, a);
}

fn fe_neg(a: Fe) -> Fe {
    if (fe_is_zero(a)) {
        return a;
    }
    return fe_sub_raw(P, a);
}

{{MUL}}

fn fe_square(a: Fe) -> Fe {
    return fe_mul(a, a);
}

// Into Montgomery form: a·R² / R = a·R.
fn fe_to_mont(a: Fe) -> Fe {
    return fe_mul(a, R2_MOD_P);
}

// Out of Montgomery form: a·1 / R.
fn fe_from_mont(a: Fe) -> Fe {
    var one: Fe;
    one[0] = 1u;
    return fe_mul(a, one);
}

// a^e for a public exponent e (little-endian limbs), square-and-multiply.
fn fe_pow(a: Fe, e: Fe) -> Fe {
    var acc = R_MOD_P;
    for (var k = 0u; k < {{LIMBS}}u * 32u; k++) {
        let i = {{LIMBS}}u * 32u - 1u - k;
        acc = fe_square(acc);
        if (((e[i / 32u] >> (i % 32u)) & 1u) == 1u) {
            acc = fe_mul(acc, a);
        }
    }
    return acc;
}

// a⁻¹ = a^(p−2) (Fermat); 0 maps to 0.
fn fe_inverse(a: Fe) -> Fe {
    return fe_pow(a, Fe({{P_MINUS_2}}));
}
