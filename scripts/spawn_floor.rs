//! The floor for any wrapper: a minimal Rust program that runs `true` and passes its exit
//! status through. `scripts/bench` compares `guard -- true` with it and with bare `true`.
fn main() {
    let status = std::process::Command::new("true").status();
    std::process::exit(status.ok().and_then(|s| s.code()).unwrap_or(1));
}
