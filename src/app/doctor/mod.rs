//! `guard doctor`: checks the setup end to end and says what to fix, a line each:
//! OK, WARN or FAIL. Exit status 1 when anything FAILs.
//!
//! What it checks: every config layer (found, valid) and the rules they build; the
//! approvers file (present, readable, not writable by the one who would be approved);
//! the approvals ledger and the audit log (writable; the log's hash chain intact);
//! for each guarded program on PATH, whether the first one found is a shim; and for
//! each agent hook installed, that it is enabled and that a simulated hook call of
//! `terraform destroy` is refused through the installed command itself.

mod agents;
mod state;

use crate::cli::GlobalArgs;
use crate::config::build;
use crate::config::layers::{self as load, LayerKind, LoadOptions};
use crate::error::Error;
use crate::matcher::RuleSet;
use crate::settings::Settings;
use crate::store::files::Files;
use crate::style::{Colour, paint};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Status {
    Ok,
    Warn,
    Fail,
}

pub(super) struct Report {
    colour: bool,
    worst: Status,
}

impl Report {
    pub(super) fn line(&mut self, status: Status, area: &str, message: impl AsRef<str>) {
        let (word, colour) = match status {
            Status::Ok => ("OK", Colour::Green),
            Status::Warn => ("WARN", Colour::Yellow),
            Status::Fail => ("FAIL", Colour::Red),
        };
        self.worst = self.worst.max(status);
        let word = paint(&format!("{word:<4}"), colour, self.colour);
        let message = crate::sanitize::sanitize(message.as_ref());
        println!("{word}  {area:<9} {message}");
    }
}

pub fn run(global: &GlobalArgs) -> Result<i32, Error> {
    let mut r = Report {
        colour: crate::style::stdout_colour(),
        worst: Status::Ok,
    };
    let exe = std::env::current_exe().map_or_else(|_| "guard".into(), |p| p.display().to_string());
    r.line(
        Status::Ok,
        "guard",
        format!("{} {exe}", env!("CARGO_PKG_VERSION")),
    );
    if let Some((set, settings)) = config(&mut r, global) {
        let files = Files::new(&settings);
        state::install(&mut r, &settings);
        state::approvals(&mut r, &settings.approvals, &files);
        state::audit(&mut r, &files, &settings);
        state::breaker(&mut r, &settings.breaker, &files);
        team_store(&mut r, &settings);
        shims(&mut r, &set);
    }
    for agent in crate::agents::ALL {
        if let Some(hook) = &agent.hook {
            agents::hooks(&mut r, agent, hook);
        }
    }
    Ok(i32::from(r.worst == Status::Fail))
}

/// `[store]`: the team's database answers, as the role guard connects as, with guard's
/// tables at the version this guard needs.
fn team_store(r: &mut Report, settings: &Settings) {
    if settings.store.is_none() {
        return;
    }
    let store = crate::store::open(settings);
    match store.spent("doctor") {
        Ok(_) => r.line(
            Status::Ok,
            "store",
            format!("the team's database answers: {}", store.location()),
        ),
        Err(e) => r.line(
            Status::Fail,
            "store",
            format!("{e}: every command above allow is refused until it answers"),
        ),
    }
}

/// The config layers, one line each, then the rules they build.
fn config(r: &mut Report, global: &GlobalArgs) -> Option<(RuleSet, Settings)> {
    let opts = LoadOptions::standard(global.config.clone());
    let project = opts.cwd.as_deref().and_then(load::find_project_file);
    let layers = [
        (LayerKind::System, opts.system.clone(), false),
        (LayerKind::User, opts.user.clone(), false),
        (LayerKind::Project, project, false),
        (LayerKind::Explicit, opts.explicit.clone(), true),
    ];
    let mut broken = false;
    for (kind, path, required) in layers {
        let name = kind.as_str();
        let Some(path) = path else {
            if kind != LayerKind::Explicit {
                r.line(Status::Ok, "config", format!("{name}: none"));
            }
            continue;
        };
        if !path.exists() && !required {
            r.line(
                Status::Ok,
                "config",
                format!("{name}: {} (not present)", path.display()),
            );
            continue;
        }
        match load::read_layer(kind, &path) {
            Ok(_) => r.line(Status::Ok, "config", format!("{name}: {}", path.display())),
            Err(e) => {
                broken = true;
                r.line(Status::Fail, "config", format!("{name}: {e}"));
            }
        }
    }
    if broken {
        r.line(
            Status::Fail,
            "rules",
            "not built: fix the config above (every guarded command is refused until then)",
        );
        return None;
    }
    let built = load::read_layers(&opts).and_then(|layers| {
        let (set, mut warnings) = build::build(&layers, None)?;
        let (settings, more) = crate::config::settings(&layers)?;
        warnings.extend(more);
        Ok((set, settings, warnings))
    });
    match built {
        Ok((set, settings, warnings)) => {
            for w in warnings {
                r.line(Status::Warn, "config", w);
            }
            r.line(
                Status::Ok,
                "rules",
                format!(
                    "{} rules for {} programs",
                    set.rules().len(),
                    set.tools().len()
                ),
            );
            Some((set, settings))
        }
        Err(e) => {
            r.line(Status::Fail, "rules", e.to_string());
            None
        }
    }
}

fn shims(r: &mut Report, set: &RuleSet) {
    use crate::exec::{FirstOnPath, first_on_path};
    let mut shimmed = Vec::new();
    let mut direct = Vec::new();
    for tool in set.tools() {
        match first_on_path(tool) {
            FirstOnPath::Shim(p) => shimmed.push((tool, p)),
            FirstOnPath::Program(p) => direct.push((tool, p)),
            FirstOnPath::Missing => {}
        }
    }
    if shimmed.is_empty() {
        if !direct.is_empty() {
            let names: Vec<&str> = direct.iter().map(|(t, _)| *t).collect();
            r.line(
                Status::Warn,
                "shims",
                format!(
                    "no guarded program on PATH is shimmed ({}): a terminal runs them without guard; `guard shim install` and put the shim directory first on PATH",
                    names.join(" ")
                ),
            );
        }
        return;
    }
    for (tool, p) in shimmed {
        r.line(
            Status::Ok,
            "shims",
            format!("{tool}: the shim {} comes first on PATH", p.display()),
        );
    }
    for (tool, p) in direct {
        r.line(
            Status::Warn,
            "shims",
            format!(
                "{tool}: {} comes first on PATH, not a shim: `guard shim install {tool}`",
                p.display()
            ),
        );
    }
}
