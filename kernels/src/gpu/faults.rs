//! Fault injection for tests: with the `test-hooks` feature, a GPU backend
//! can be told to fail the way real devices do ([`Fault`]), so that tests
//! show each failure is caught and falls back. Without the feature the
//! hooks are empty and compile away; no release build carries them.

#[cfg(feature = "test-hooks")]
use crate::Error;
use crate::Result;
use ark_bn254::{Fr, G1Projective};

/// A device failure to simulate.
#[cfg(feature = "test-hooks")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Every operation fails as if the device had been lost.
    DeviceLost,
    /// Every operation fails as if device memory had run out.
    OutOfMemory,
    /// The bytes read back are corrupted: the checked decoding must catch
    /// it (a device fault, which falls back to the CPU).
    CorruptReadback,
    /// Results are wrong but well formed: only the prover's self-check can
    /// catch that.
    WrongResult,
}

/// The fault a backend was told to simulate, if any.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Faults {
    #[cfg(feature = "test-hooks")]
    fault: Option<Fault>,
}

impl Faults {
    /// Faults that simulate `fault`.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn new(fault: Fault) -> Self {
        Self { fault: Some(fault) }
    }

    /// Fails an operation about to start, for the faults that stop one.
    #[inline]
    pub(crate) fn check(&self) -> Result<()> {
        #[cfg(feature = "test-hooks")]
        match self.fault {
            Some(Fault::DeviceLost) => return Err(Error::DeviceLost("injected".into())),
            Some(Fault::OutOfMemory) => return Err(Error::OutOfMemory("injected".into())),
            _ => {}
        }
        Ok(())
    }

    /// Corrupts bytes read back from the device.
    #[inline]
    pub(crate) fn corrupt(&self, _bytes: &mut [u8]) {
        #[cfg(feature = "test-hooks")]
        if self.fault == Some(Fault::CorruptReadback) {
            _bytes.iter_mut().take(32).for_each(|b| *b = 0xff);
        }
    }

    /// Makes field elements wrong but valid.
    #[inline]
    pub(crate) fn wrong_fr(&self, _values: &mut [Fr]) {
        #[cfg(feature = "test-hooks")]
        if self.fault == Some(Fault::WrongResult) {
            if let Some(v) = _values.first_mut() {
                *v += Fr::from(1u64);
            }
        }
    }

    /// Makes a group element wrong but valid.
    #[inline]
    pub(crate) fn wrong_g1(&self, _point: &mut G1Projective) {
        #[cfg(feature = "test-hooks")]
        if self.fault == Some(Fault::WrongResult) {
            use ark_ec::PrimeGroup;
            *_point += G1Projective::generator();
        }
    }
}
