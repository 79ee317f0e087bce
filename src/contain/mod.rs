//! Carrying out containment: send with retries under one idempotency key,
//! then re-read the platform until the effect shows (or say it never did).
//! Custom actions (config) run here too.

pub mod custom;
pub mod exec;

pub use exec::{ActionMsg, Policy, execute, preview, reconcile};
