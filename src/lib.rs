//! guard: stands between a caller and the tools that can destroy infrastructure.
//!
//! The flow runs one way, each layer importing only from the layers below it (a test,
//! `tests/layers.rs`, keeps it so):
//!
//! ```text
//! app -> config -> cli -> agents-aware analysis / plan -> gate / policy -> matcher
//!     -> approval -> shell -> store / exec / breaker / audit -> leaves
//! ```
//!
//! [`config`] resolves the command line, the environment and the config layers once;
//! [`shell`] turns input into simple commands; [`matcher`] checks them against the
//! compiled rules; [`analysis`] and [`plan`] add guard's own findings; [`policy`] and
//! [`gate`] decide what happens, with [`store`] keeping the record; [`exec`] runs the
//! child. Everything before the gate is a pure function of input, rules and context.

pub mod agents;
pub mod analysis;
pub mod app;
pub mod approval;
pub mod audit;
pub mod binary;
pub mod breaker;
pub mod cli;
pub mod config;
pub mod confirm;
pub mod context;
pub mod decision;
pub mod error;
pub mod exec;
pub mod exit_code;
pub mod finding;
pub mod gate;
pub mod glob;
pub mod hex;
pub mod identity;
pub mod matcher;
pub mod plan;
pub mod policy;
pub mod privilege;
pub mod procs;
pub mod report;
pub mod rules;
pub mod sanitize;
pub mod settings;
pub mod shell;
pub mod store;
pub mod style;
pub mod supervise;
pub mod time;
