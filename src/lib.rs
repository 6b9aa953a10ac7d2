//! guard: stands between a caller and the tools that can destroy infrastructure.
//!
//! The flow runs one way: [`shell`] turns input into simple commands, [`matcher`] checks
//! them against the compiled [`rules`], [`policy`] turns findings and [`context`] into a
//! gate, [`confirm`] asks the person, [`exec`] runs the child. Everything before the gate
//! is a pure function of input, rules and context.

pub mod analysis;
pub mod app;
pub mod approval;
pub mod audit;
pub mod breaker;
pub mod cli;
pub mod confirm;
pub mod context;
pub mod decision;
pub mod error;
pub mod exec;
pub mod exit_code;
pub mod lockfile;
pub mod matcher;
pub mod plan;
pub mod policy;
pub mod report;
pub mod rules;
pub mod sanitize;
pub mod shell;
pub mod style;
