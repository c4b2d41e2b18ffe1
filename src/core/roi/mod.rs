//! Campaign ROI per segment: [`campaign`] computes it from contacts, cost per contact, response
//! over a holdout, gross margin and the CLV a retained customer adds. (It replaced a first,
//! revenue-only scenario that counted every conversion's whole order value as incremental
//! revenue with no margin and no response rate, and so reported ROIs of thousands of percent.)

pub mod campaign;
