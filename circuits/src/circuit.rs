//! How every circuit declares itself: a typed shape that names the
//! circuit's declaration ([`CircuitSpec`]: id, parameter names, public
//! inputs in allocation order), and a [`Circuit`] trait that keys, the
//! prover and updates read instead of lists of strings.
//!
//! The declarations themselves live in `stateproof_verifier::spec`, where
//! light clients read inputs by name; each shape below sits beside its
//! circuit, and [`check_input_order`] is the test that ties the two.

use crate::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
pub use stateproof_verifier::spec::{self, CircuitSpec};
use thiserror::Error;

/// A circuit's shape: what is fixed when its keys are made (tree depths,
/// slot counts, thresholds, rules).
pub trait CircuitShape: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// The circuits a shape of this type can be of (most types: one).
    const SPECS: &'static [&'static CircuitSpec];

    /// The circuit this shape is of.
    fn spec(&self) -> &'static CircuitSpec {
        Self::SPECS[0]
    }

    /// The circuit ids of `SPECS`, for messages: `finality-quorum or
    /// data-agreement`.
    fn kind() -> String {
        Self::SPECS.iter().map(|s| s.id).collect::<Vec<_>>().join(" or ")
    }

    /// The parameter values, in the order of `spec().params`.
    fn values(&self) -> Vec<u64>;

    /// The shape from parameter values of `spec` (checked: a value the
    /// circuit cannot be built with is an error, in the user's words).
    fn from_values(spec: &'static CircuitSpec, values: &[u64]) -> Result<Self, ShapeError>;

    /// The shape in a few words, e.g. `depth 32, 4 slots`.
    fn describe(&self) -> String;

    /// `(name, value)` pairs, as key and update files record them.
    fn params(&self) -> Vec<(String, u64)> {
        self.spec().params.iter().map(|n| n.to_string()).zip(self.values()).collect()
    }

    /// The shape recorded as `id` and `params` in a key or an update.
    fn parse(id: &str, params: &[(String, u64)]) -> Result<Self, ShapeError> {
        let spec = spec_with_params(id, params)?;
        let values: Vec<u64> = params.iter().map(|(_, v)| *v).collect();
        Self::from_values(spec, &values)
    }
}

/// The declaration named `id`, checked against the parameter names given.
fn spec_with_params(
    id: &str,
    params: &[(String, u64)],
) -> Result<&'static CircuitSpec, ShapeError> {
    let spec = spec::by_id(id).ok_or_else(|| ShapeError::UnknownCircuit(id.to_string()))?;
    let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    if names != spec.params {
        return Err(ShapeError::Parameters {
            circuit: spec.id,
            expected: spec.params.join(", "),
            found: names.join(", "),
        });
    }
    Ok(spec)
}

/// A shape that cannot be read or built.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ShapeError {
    /// An id no circuit declares.
    #[error("unknown circuit {0:?}")]
    UnknownCircuit(String),
    /// Keys or an update for another circuit than the one needed.
    #[error("this is a {found} key or update, not a {expected} one")]
    WrongCircuit {
        /// The circuit needed.
        expected: String,
        /// The circuit found.
        found: String,
    },
    /// Parameters other than the circuit declares.
    #[error("{circuit} has parameters {expected}, found {found}")]
    Parameters {
        /// The circuit.
        circuit: &'static str,
        /// The declared names.
        expected: String,
        /// The names found.
        found: String,
    },
    /// A parameter value the circuit cannot be built with.
    #[error("{circuit}: {reason}")]
    Value {
        /// The circuit.
        circuit: &'static str,
        /// What is wrong, in the user's words.
        reason: String,
    },
}

impl ShapeError {
    /// A value error of `spec`.
    pub fn value(spec: &CircuitSpec, reason: impl Into<String>) -> Self {
        Self::Value { circuit: spec.id, reason: reason.into() }
    }
}

/// `values` as `usize`s, refusing any outside `1..=max` (named by `spec`'s
/// parameter names), for shapes made of depths and counts.
pub(crate) fn sizes<const N: usize>(
    spec: &CircuitSpec,
    values: &[u64],
    max: [u64; N],
) -> Result<[usize; N], ShapeError> {
    if values.len() != N {
        return Err(ShapeError::value(spec, format!("expected {N} parameters")));
    }
    let mut out = [0usize; N];
    for i in 0..N {
        if values[i] == 0 || values[i] > max[i] {
            return Err(ShapeError::value(
                spec,
                format!("{} must be 1 to {}, got {}", spec.params[i], max[i], values[i]),
            ));
        }
        out[i] = values[i] as usize;
    }
    Ok(out)
}

/// `"s"` unless `n` is 1, for messages that count things.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A circuit as the prover and keys see it: its shape, the circuit with
/// an all-unused witness for key generation, and its public inputs in
/// the declared order.
pub trait Circuit: ConstraintSynthesizer<Fr> + Clone {
    /// The shape type.
    type Shape: CircuitShape + Into<AnyShape>;

    /// The shape of this circuit (of its witness).
    fn shape(&self) -> Self::Shape;

    /// The circuit of `shape` with an all-unused witness: what key
    /// generation synthesizes.
    fn for_setup(shape: &Self::Shape) -> Self;

    /// The public input values by name, in any order.
    fn named_inputs(&self) -> Vec<(&'static str, Fr)>;

    /// The public inputs in the declared order (`shape().spec().inputs`).
    /// A declared name the circuit does not name is left out, which the
    /// prover refuses (an input count that does not match the key's).
    fn public_inputs(&self) -> Vec<Fr> {
        let named = self.named_inputs();
        self.shape()
            .spec()
            .inputs
            .iter()
            .filter_map(|name| named.iter().find(|(n, _)| n == name).map(|(_, v)| *v))
            .collect()
    }
}

/// Synthesizes `circuit` and checks that its public inputs are allocated
/// exactly in the order its declaration names them: the instance
/// assignment must equal [`Circuit::public_inputs`]. The circuit's inputs
/// must differ pairwise, or a swap could not be seen.
pub fn check_input_order<C: Circuit>(circuit: C) -> Result<(), String> {
    let spec = circuit.shape().spec();
    let expected = circuit.public_inputs();
    if expected.len() != spec.inputs.len() {
        return Err(format!(
            "{} names {} of its {} declared inputs",
            spec.id,
            expected.len(),
            spec.inputs.len()
        ));
    }
    for i in 0..expected.len() {
        if expected[..i].contains(&expected[i]) {
            return Err(format!(
                "{}: inputs {} and {} have equal values; the check needs distinct ones",
                spec.id,
                expected.iter().position(|v| *v == expected[i]).unwrap_or(0),
                i
            ));
        }
    }
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Prove { construct_matrices: false, generate_lc_assignments: false });
    circuit.generate_constraints(cs.clone()).map_err(|e| e.to_string())?;
    let instance = cs.instance_assignment().map_err(|e| e.to_string())?;
    let allocated = &instance[1..];
    if allocated != expected.as_slice() {
        let names: Vec<String> = allocated
            .iter()
            .map(|v| match expected.iter().position(|e| e == v) {
                Some(i) => spec.inputs[i].to_string(),
                None => "an undeclared value".to_string(),
            })
            .collect();
        return Err(format!(
            "{} allocates its inputs as [{}], declared [{}]",
            spec.id,
            names.join(", "),
            spec.inputs.join(", ")
        ));
    }
    Ok(())
}

macro_rules! any_shape {
    ($($(#[$doc:meta])* $variant:ident($ty:ty)),* $(,)?) => {
        /// The shape of any of stateproof's circuits: what a key or update
        /// file names, read back into its type.
        #[derive(Clone, Debug, PartialEq)]
        pub enum AnyShape {
            $($(#[$doc])* $variant($ty),)*
        }

        $(
            impl From<$ty> for AnyShape {
                fn from(shape: $ty) -> Self {
                    AnyShape::$variant(shape)
                }
            }

            impl TryFrom<&AnyShape> for $ty {
                type Error = ShapeError;
                fn try_from(shape: &AnyShape) -> Result<Self, ShapeError> {
                    match shape {
                        AnyShape::$variant(s) => Ok(s.clone()),
                        other => Err(ShapeError::WrongCircuit {
                            expected: <$ty as CircuitShape>::kind(),
                            found: other.spec().id.to_string(),
                        }),
                    }
                }
            }
        )*

        impl AnyShape {
            /// The shape recorded as `id` and `params` in a key or update file.
            pub fn parse(id: &str, params: &[(String, u64)]) -> Result<Self, ShapeError> {
                let spec = spec_with_params(id, params)?;
                let values: Vec<u64> = params.iter().map(|(_, v)| *v).collect();
                $(
                    if <$ty as CircuitShape>::SPECS.contains(&spec) {
                        return Ok(<$ty>::from_values(spec, &values)?.into());
                    }
                )*
                Err(ShapeError::UnknownCircuit(id.to_string()))
            }

            /// The circuit's declaration.
            pub fn spec(&self) -> &'static CircuitSpec {
                match self {
                    $(AnyShape::$variant(s) => s.spec(),)*
                }
            }

            /// `(name, value)` pairs, as files record them.
            pub fn params(&self) -> Vec<(String, u64)> {
                match self {
                    $(AnyShape::$variant(s) => s.params(),)*
                }
            }

            /// The shape in a few words.
            pub fn describe(&self) -> String {
                match self {
                    $(AnyShape::$variant(s) => s.describe(),)*
                }
            }
        }
    };
}

any_shape!(
    /// Transfer batches.
    TransferBatch(crate::transfer::TransferShape),
    /// Finality or data agreement (one circuit, two statement kinds).
    Quorum(crate::finality::QuorumShape),
    /// Double-sign slashing.
    Slashing(crate::finality::SlashingShape),
    /// Deal openings.
    ComputeOpen(crate::compute::OpenShape),
    /// Results put on the record.
    ComputeResult(crate::compute::ResultShape),
    /// Mediation requests.
    ComputeMediation(crate::compute::MediationShape),
    /// Mediators' verdicts put on the record.
    ComputeVerdict(crate::compute::VerdictShape),
    /// Deal settlements.
    ComputeSettle(crate::compute::SettleShape),
    /// Sponsorship commitments.
    TrustCommit(crate::trust::CommitShape),
    /// Sponsorship reveals.
    TrustResolve(crate::trust::ResolveShape),
);
