//! Whether the capacity pyramid is upright or inverted.
//!
//! The domain's complaint is an "inverted pyramid": staff, beds and slots
//! sit at the top while the demand positioned for care sits at the bottom.
//! A pyramid's shape is therefore judged against demand, not in itself: a
//! level may rightly hold most beds if most admissions are positioned
//! there. The judgement compares centres of mass: each level is weighted
//! by its position (primary 1, secondary 2, tertiary 3), and the mean
//! level of a resource's shares is set against the mean level of the
//! positioned-demand shares.

use super::{Indicators, PyramidLevel};
use serde::Serialize;

/// A resource of the capacity pyramid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Resource {
    Physicians,
    Beds,
    DailySlots,
}

impl Resource {
    /// Every resource, in the order the pyramid lists them.
    pub const ALL: [Resource; 3] = [Resource::Physicians, Resource::Beds, Resource::DailySlots];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Resource::Physicians => "physicians",
            Resource::Beds => "beds",
            Resource::DailySlots => "daily-slots",
        }
    }

    /// A human-readable name.
    pub fn display(self) -> &'static str {
        match self {
            Resource::Physicians => "Physicians",
            Resource::Beds => "Beds",
            Resource::DailySlots => "Daily outpatient slots",
        }
    }

    /// This resource's share at one level of the pyramid.
    pub fn share(self, level: &PyramidLevel) -> Option<f64> {
        match self {
            Resource::Physicians => level.physician_share,
            Resource::Beds => level.bed_share,
            Resource::DailySlots => level.slot_share,
        }
    }
}

/// The shape of one resource's pyramid against positioned demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Shape {
    /// Capacity sits at or below the level demand is positioned at.
    Upright,
    /// Capacity sits above demand: the "inverted pyramid".
    Inverted,
}

impl Shape {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Shape::Upright => "upright",
            Shape::Inverted => "inverted",
        }
    }
}

/// How one resource's capacity fits the positioned demand.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PyramidFit {
    pub resource: Resource,
    pub shape: Shape,
    /// Mean level of the capacity (1 = all primary, 3 = all tertiary).
    pub capacity_level: f64,
    /// Mean level of the positioned demand, on the same scale.
    pub demand_level: f64,
}

fn mean_level(shares: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    shares
        .enumerate()
        .try_fold(0.0, |acc, (i, s)| s.map(|s| acc + s * (i as f64 + 1.0)))
}

impl Indicators {
    /// The shape of a resource's pyramid, or `None` when the subject has
    /// none of the resource or no positioned demand to set it against.
    pub fn pyramid_fit(&self, resource: Resource) -> Option<PyramidFit> {
        let capacity_level = mean_level(self.pyramid.iter().map(|l| resource.share(l)))?;
        let demand_level = mean_level(self.pyramid.iter().map(|l| l.demand_share))?;
        let shape = if capacity_level > demand_level {
            Shape::Inverted
        } else {
            Shape::Upright
        };
        Some(PyramidFit {
            resource,
            shape,
            capacity_level,
            demand_level,
        })
    }
}
