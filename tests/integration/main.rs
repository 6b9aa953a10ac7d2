#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Integration tests: they drive the real `guard` binary with a temporary HOME and
//! config, real child processes, and a real pseudo-terminal for the prompt.

mod agents;
mod approvals;
mod audit;
mod breaker;
mod cases;
mod check;
mod ci;
mod config;
mod confirm;
mod docs;
mod doctor;
mod eval;
mod examples;
mod hooks;
mod plans;
mod protected;
mod rules;
mod run;
mod shell;
mod shims;
mod store_pg;
mod supervise;
mod team;
mod util;
