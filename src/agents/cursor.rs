//! Cursor's agent: detected by the variable it sets in the commands it runs; guard has no
//! hook protocol for it, so shims and the supervisor are what guard it.

use super::Agent;

pub static AGENT: Agent = Agent {
    name: "cursor",
    markers: &["CURSOR_AGENT"],
    executables: &["cursor-agent"],
    install_paths: &[],
    hook: None,
};
