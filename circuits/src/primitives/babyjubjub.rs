//! Baby Jubjub in circomlib's form, natively and as R1CS gadgets.
//!
//! `ark-ed-on-bn254` uses the `a = 1` model of the curve; circomlib (and so
//! every circom circuit, circomlibjs key and signature) uses
//! `a = 168700, d = 168696` with base point `Base8`. The two are isomorphic,
//! but points only interoperate in circomlib's coordinates, so this module
//! defines that model as an arkworks `TECurveConfig`. The scalar field is the
//! prime-order subgroup's, shared with `ark-ed-on-bn254`.

use crate::Fr;
use ark_ec::models::CurveConfig;
use ark_ec::twisted_edwards::{self, MontCurveConfig, TECurveConfig};
use ark_ff::BigInteger as _;
use ark_ff::{AdditiveGroup, Field, MontFp, PrimeField};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// The scalar field of Baby Jubjub's prime-order subgroup (order `l`, 251 bits).
pub type Fs = ark_ed_on_bn254::Fr;

/// circomlib's Baby Jubjub: `168700·x² + y² = 1 + 168696·x²·y²` over BN254's `Fr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BabyJubjubConfig;

impl CurveConfig for BabyJubjubConfig {
    type BaseField = Fr;
    type ScalarField = Fs;
    const COFACTOR: &'static [u64] = &[8];
    /// 8⁻¹ mod l.
    const COFACTOR_INV: Fs =
        MontFp!("2394026564107420727433200628387514462817212225638746351800188703329891451411");
}

impl TECurveConfig for BabyJubjubConfig {
    const COEFF_A: Fr = MontFp!("168700");
    const COEFF_D: Fr = MontFp!("168696");
    /// circomlib's `Base8`, a generator of the prime-order subgroup.
    const GENERATOR: Point = Point::new_unchecked(
        MontFp!("5299619240641551281634865583518297030282874472190772894086521144482721001553"),
        MontFp!("16950150798460657717958625567821834550301663161624707787222815936182638968203"),
    );
    type MontCurveConfig = BabyJubjubConfig;
}

impl MontCurveConfig for BabyJubjubConfig {
    /// `2(a + d) / (a - d)`.
    const COEFF_A: Fr = MontFp!("168698");
    /// `4 / (a - d)`.
    const COEFF_B: Fr = MontFp!("1");
    type TECurveConfig = BabyJubjubConfig;
}

/// A Baby Jubjub point in affine coordinates.
pub type Point = twisted_edwards::Affine<BabyJubjubConfig>;
/// A Baby Jubjub point in extended projective coordinates.
pub type PointProjective = twisted_edwards::Projective<BabyJubjubConfig>;

/// circomlib's `Base8`.
pub fn base8() -> Point {
    BabyJubjubConfig::GENERATOR
}

/// Whether `(x, y)` satisfies the curve equation.
pub fn is_on_curve(x: Fr, y: Fr) -> bool {
    let x2 = x.square();
    let y2 = y.square();
    <BabyJubjubConfig as TECurveConfig>::COEFF_A * x2 + y2
        == Fr::ONE + <BabyJubjubConfig as TECurveConfig>::COEFF_D * x2 * y2
}

/// The order `l` of the prime-order subgroup, as a BN254 scalar field element's integer.
pub fn subgroup_order() -> <Fr as PrimeField>::BigInt {
    let mut l = <Fr as PrimeField>::BigInt::from(0u64);
    let fs_modulus = Fs::MODULUS;
    l.0[..fs_modulus.0.len()].copy_from_slice(&fs_modulus.0);
    l
}

/// Whether `s` (an integer below BN254's `r`) is below the subgroup order `l`.
pub fn is_below_subgroup_order(s: Fr) -> bool {
    s.into_bigint() < subgroup_order()
}

/// Reduces a BN254 scalar field element's integer modulo `l`.
pub fn to_subgroup_scalar(x: Fr) -> Fs {
    Fs::from_le_bytes_mod_order(&x.into_bigint().to_bytes_le())
}

/// A Baby Jubjub point inside a constraint system.
#[derive(Clone, Debug)]
pub struct PointVar {
    /// x coordinate.
    pub x: FpVar<Fr>,
    /// y coordinate.
    pub y: FpVar<Fr>,
}

/// `num / den` as a new witness `q` with the constraint `q · den = num`.
/// A zero denominator assigns 0, leaving the system unsatisfiable rather than
/// failing synthesis, so that forced bad witnesses are rejected by the check.
fn div(num: &FpVar<Fr>, den: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    if let (FpVar::Constant(n), FpVar::Constant(d)) = (num, den) {
        return Ok(FpVar::Constant(*n * d.inverse().unwrap_or(Fr::ZERO)));
    }
    let cs = num.cs().or(den.cs());
    let q = FpVar::new_witness(cs, || {
        let (n, d) = (num.value()?, den.value()?);
        Ok(n * d.inverse().unwrap_or(Fr::ZERO))
    })?;
    q.mul_equals(den, num)?;
    Ok(q)
}

impl PointVar {
    /// A constant point (no variables).
    pub fn constant(p: Point) -> Self {
        Self { x: FpVar::Constant(p.x), y: FpVar::Constant(p.y) }
    }

    /// The neutral element `(0, 1)`.
    pub fn identity() -> Self {
        Self { x: FpVar::Constant(Fr::ZERO), y: FpVar::Constant(Fr::ONE) }
    }

    /// Allocates a witness point `(x, y)` without checking it: call
    /// [`PointVar::enforce_on_curve`] where the point is untrusted.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        xy: impl FnOnce() -> Result<(Fr, Fr), SynthesisError>,
    ) -> Result<Self, SynthesisError> {
        let value = xy();
        let x = FpVar::new_witness(cs.clone(), || value.as_ref().map(|v| v.0).map_err(|e| *e))?;
        let y = FpVar::new_witness(cs, || value.as_ref().map(|v| v.1).map_err(|e| *e))?;
        Ok(Self { x, y })
    }

    /// Enforces `a·x² + y² = 1 + d·x²·y²` (3 constraints).
    pub fn enforce_on_curve(&self) -> Result<(), SynthesisError> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let a = <BabyJubjubConfig as TECurveConfig>::COEFF_A;
        let d = <BabyJubjubConfig as TECurveConfig>::COEFF_D;
        let lhs = &x2 * a + &y2;
        let rhs = (x2 * y2) * d + Fr::ONE;
        lhs.enforce_equal(&rhs)
    }

    /// Complete twisted Edwards addition, as circomlib's `BabyAdd` (6
    /// constraints for two variable points, 3 when one is constant).
    pub fn add(&self, other: &Self) -> Result<Self, SynthesisError> {
        let a = <BabyJubjubConfig as TECurveConfig>::COEFF_A;
        let d = <BabyJubjubConfig as TECurveConfig>::COEFF_D;
        let beta = &self.x * &other.y;
        let gamma = &self.y * &other.x;
        let delta = (&self.y - &self.x * a) * (&other.x + &other.y);
        let tau = &beta * &gamma;
        let dtau = tau * d;
        let x3 = div(&(&beta + &gamma), &(&dtau + Fr::ONE))?;
        let y3 = div(&(delta + beta * a - gamma), &(FpVar::Constant(Fr::ONE) - dtau))?;
        Ok(Self { x: x3, y: y3 })
    }

    /// Doubling (5 constraints): `x' = 2xy / (a·x² + y²)`,
    /// `y' = (y² − a·x²) / (2 − a·x² − y²)`.
    pub fn double(&self) -> Result<Self, SynthesisError> {
        let a = <BabyJubjubConfig as TECurveConfig>::COEFF_A;
        let xy = &self.x * &self.y;
        let ax2 = self.x.square()? * a;
        let y2 = self.y.square()?;
        let x3 = div(&xy.double()?, &(&ax2 + &y2))?;
        let y3 = div(&(&y2 - &ax2), &(FpVar::Constant(Fr::from(2u64)) - ax2 - y2))?;
        Ok(Self { x: x3, y: y3 })
    }

    /// `if cond { self } else { other }` (2 constraints).
    pub fn select(cond: &Boolean<Fr>, a: &Self, b: &Self) -> Result<Self, SynthesisError> {
        Ok(Self { x: cond.select(&a.x, &b.x)?, y: cond.select(&a.y, &b.y)? })
    }

    /// `bits · base` for a constant base, little-endian bits, with 2-bit
    /// windows over precomputed multiples: 7 constraints per window.
    pub fn fixed_base_mul(bits: &[Boolean<Fr>], base: Point) -> Result<Self, SynthesisError> {
        let mut acc: Option<Self> = None;
        let mut window_base = PointProjective::from(base);
        for pair in bits.chunks(2) {
            let b0 = &pair[0];
            let b1 = pair.get(1).cloned().unwrap_or(Boolean::FALSE);
            let table: Vec<Point> = (0u64..4).map(|k| (window_base * Fs::from(k)).into()).collect();
            let b01 = b0 & &b1;
            let lookup = |c: [Fr; 4]| -> FpVar<Fr> {
                FpVar::Constant(c[0])
                    + FpVar::from(b0.clone()) * (c[1] - c[0])
                    + FpVar::from(b1.clone()) * (c[2] - c[0])
                    + FpVar::from(b01.clone()) * (c[3] - c[2] - c[1] + c[0])
            };
            let term = Self {
                x: lookup([table[0].x, table[1].x, table[2].x, table[3].x]),
                y: lookup([table[0].y, table[1].y, table[2].y, table[3].y]),
            };
            acc = Some(match acc {
                None => term,
                Some(acc) => acc.add(&term)?,
            });
            window_base *= Fs::from(4u64);
        }
        Ok(acc.unwrap_or_else(Self::identity))
    }

    /// `bits · self` for a variable point, little-endian bits, by
    /// double-and-add from the most significant bit (13 constraints a bit).
    pub fn scalar_mul_le(&self, bits: &[Boolean<Fr>]) -> Result<Self, SynthesisError> {
        let mut acc: Option<Self> = None;
        for bit in bits.iter().rev() {
            let term = Self::select(bit, self, &Self::identity())?;
            acc = Some(match acc {
                None => term,
                Some(acc) => acc.double()?.add(&term)?,
            });
        }
        Ok(acc.unwrap_or_else(Self::identity))
    }

    /// Equality of both coordinates when `cond` holds.
    pub fn conditional_enforce_equal(
        &self,
        other: &Self,
        cond: &Boolean<Fr>,
    ) -> Result<(), SynthesisError> {
        self.x.conditional_enforce_equal(&other.x, cond)?;
        self.y.conditional_enforce_equal(&other.y, cond)
    }

    /// The point's value.
    pub fn value(&self) -> Result<(Fr, Fr), SynthesisError> {
        Ok((self.x.value()?, self.y.value()?))
    }
}

/// Little-endian bits of `x`, constrained to represent `x` exactly and to be
/// below `BigInt(bound)` + 1 when `max` is given (`bits.len()` must cover it).
pub fn bits_le_at_most(
    x: &FpVar<Fr>,
    num_bits: usize,
    max: Option<<Fr as PrimeField>::BigInt>,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let (bits, _) = x.to_bits_le_with_top_bits_zero(num_bits)?;
    if let Some(max) = max {
        Boolean::enforce_smaller_or_equal_than_le(&bits, max)?;
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::Zero;
    use ark_relations::gr1cs::ConstraintSystem;
    use ark_std::UniformRand;

    #[test]
    fn base8_is_on_the_curve_and_has_prime_order() {
        let g = base8();
        assert!(g.is_on_curve());
        assert!(is_on_curve(g.x, g.y));
        assert!(g.is_in_correct_subgroup_assuming_on_curve());
        assert!(!(PointProjective::from(g) * Fs::from(1u64)).is_zero());
    }

    #[test]
    fn gadget_add_double_and_scalar_mul_match_native() {
        let mut rng = ark_std::test_rng();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let p: Point = (base8() * Fs::rand(&mut rng)).into_affine();
        let q: Point = (base8() * Fs::rand(&mut rng)).into_affine();
        let pv = PointVar::new_witness(cs.clone(), || Ok((p.x, p.y))).unwrap();
        let qv = PointVar::new_witness(cs.clone(), || Ok((q.x, q.y))).unwrap();
        pv.enforce_on_curve().unwrap();
        let sum: Point = (p + q).into_affine();
        assert_eq!(pv.add(&qv).unwrap().value().unwrap(), (sum.x, sum.y));
        let dbl: Point = PointProjective::from(p).double().into_affine();
        assert_eq!(pv.double().unwrap().value().unwrap(), (dbl.x, dbl.y));
        // Doubling through the addition formula, and adding the identity.
        assert_eq!(pv.add(&pv).unwrap().value().unwrap(), (dbl.x, dbl.y));
        assert_eq!(pv.add(&PointVar::identity()).unwrap().value().unwrap(), (p.x, p.y));

        let k = Fr::rand(&mut rng);
        let kv = FpVar::new_witness(cs.clone(), || Ok(k)).unwrap();
        let bits = kv.to_bits_le().unwrap();
        let expected: Point = PointProjective::from(p).mul_bigint(k.into_bigint()).into_affine();
        assert_eq!(pv.scalar_mul_le(&bits).unwrap().value().unwrap(), (expected.x, expected.y));
        let expected: Point = PointProjective::from(base8()).mul_bigint(k.into_bigint()).into();
        let fixed = PointVar::fixed_base_mul(&bits, base8()).unwrap();
        assert_eq!(fixed.value().unwrap(), (expected.x, expected.y));
        assert!(cs.is_satisfied().unwrap());
    }

    #[test]
    fn off_curve_point_is_rejected() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let pv =
            PointVar::new_witness(cs.clone(), || Ok((Fr::from(1u64), Fr::from(1u64)))).unwrap();
        pv.enforce_on_curve().unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
