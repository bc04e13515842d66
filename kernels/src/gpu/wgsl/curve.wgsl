// Short Weierstrass arithmetic, y² = x³ + {{COEFF_B}} (a = 0), over the field
// of field.wgsl (prepended: BN254's Fq for G1), in XYZZ coordinates: the
// point (X, Y, ZZ, ZZZ) is (X/ZZ, Y/ZZZ) with ZZ³ = ZZZ², and ZZ = 0 is the
// identity. Formulas from the Explicit-Formulas Database (Bernstein–Lange),
// "xyzz" for a = 0: add-2008-s, madd-2008-s, dbl-2008-s-1. Both additions
// route equal inputs to doubling and opposite inputs to the identity, so
// bucket accumulation may meet P + P and P + (−P) freely.

struct Affine {
    x: Fe,
    y: Fe,
    // 1 for the point at infinity (x, y then ignored).
    infinity: u32,
}

struct Xyzz {
    x: Fe,
    y: Fe,
    zz: Fe,
    zzz: Fe,
}

const COEFF_B_MONT: Fe = Fe({{COEFF_B_MONT}});

fn xyzz_identity() -> Xyzz {
    return Xyzz(fe_zero(), fe_zero(), fe_zero(), fe_zero());
}

fn xyzz_is_identity(p: Xyzz) -> bool {
    return fe_is_zero(p.zz);
}

fn xyzz_from_affine(p: Affine) -> Xyzz {
    if (p.infinity != 0u) {
        return xyzz_identity();
    }
    return Xyzz(p.x, p.y, R_MOD_P, R_MOD_P);
}

// dbl-2008-s-1 with a = 0.
fn xyzz_double(p: Xyzz) -> Xyzz {
    if (xyzz_is_identity(p)) {
        return p;
    }
    let u = fe_double(p.y);
    let v = fe_square(u);
    let w = fe_mul(u, v);
    let s = fe_mul(p.x, v);
    let x2 = fe_square(p.x);
    let m = fe_add(fe_double(x2), x2);
    let x3 = fe_sub(fe_square(m), fe_double(s));
    let y3 = fe_sub(fe_mul(m, fe_sub(s, x3)), fe_mul(w, p.y));
    return Xyzz(x3, y3, fe_mul(v, p.zz), fe_mul(w, p.zzz));
}

// madd-2008-s: p + q with q affine.
fn xyzz_add_affine(p: Xyzz, q: Affine) -> Xyzz {
    if (q.infinity != 0u) {
        return p;
    }
    if (xyzz_is_identity(p)) {
        return xyzz_from_affine(q);
    }
    let u2 = fe_mul(q.x, p.zz);
    let s2 = fe_mul(q.y, p.zzz);
    let pp_ = fe_sub(u2, p.x);
    let r = fe_sub(s2, p.y);
    if (fe_is_zero(pp_)) {
        if (fe_is_zero(r)) {
            return xyzz_double(xyzz_from_affine(q));
        }
        return xyzz_identity();
    }
    let pp = fe_square(pp_);
    let ppp = fe_mul(pp_, pp);
    let qq = fe_mul(p.x, pp);
    let x3 = fe_sub(fe_sub(fe_square(r), ppp), fe_double(qq));
    let y3 = fe_sub(fe_mul(r, fe_sub(qq, x3)), fe_mul(p.y, ppp));
    return Xyzz(x3, y3, fe_mul(p.zz, pp), fe_mul(p.zzz, ppp));
}

// add-2008-s: p + q.
fn xyzz_add(p: Xyzz, q: Xyzz) -> Xyzz {
    if (xyzz_is_identity(q)) {
        return p;
    }
    if (xyzz_is_identity(p)) {
        return q;
    }
    let u1 = fe_mul(p.x, q.zz);
    let u2 = fe_mul(q.x, p.zz);
    let s1 = fe_mul(p.y, q.zzz);
    let s2 = fe_mul(q.y, p.zzz);
    let pp_ = fe_sub(u2, u1);
    let r = fe_sub(s2, s1);
    if (fe_is_zero(pp_)) {
        if (fe_is_zero(r)) {
            return xyzz_double(p);
        }
        return xyzz_identity();
    }
    let pp = fe_square(pp_);
    let ppp = fe_mul(pp_, pp);
    let qq = fe_mul(u1, pp);
    let x3 = fe_sub(fe_sub(fe_square(r), ppp), fe_double(qq));
    let y3 = fe_sub(fe_mul(r, fe_sub(qq, x3)), fe_mul(s1, ppp));
    return Xyzz(x3, y3, fe_mul(fe_mul(p.zz, q.zz), pp), fe_mul(fe_mul(p.zzz, q.zzz), ppp));
}

fn xyzz_neg(p: Xyzz) -> Xyzz {
    return Xyzz(p.x, fe_neg(p.y), p.zz, p.zzz);
}

// Whether an affine point satisfies the curve equation (or is the identity).
fn affine_on_curve(p: Affine) -> bool {
    if (p.infinity != 0u) {
        return true;
    }
    return fe_eq(fe_square(p.y), fe_add(fe_mul(fe_square(p.x), p.x), COEFF_B_MONT));
}
