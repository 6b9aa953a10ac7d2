//! The config sections beyond rules and severities — `[audit]`, `[breaker]`, `[plans]`,
//! `[approvals]` — merged across layers, each taking from a layer only what that layer
//! is trusted to say.

use super::layers::{Layer, LayerKind, Warnings};
use crate::error::Error;
use crate::rules::model::{ApprovalsSpec, BreakerSpec, PlansSpec};
use crate::settings::{Approvals, BreakerLimits, Plans, Settings};
use crate::time::parse_duration;
use std::path::PathBuf;

/// Every layer's sections, merged in layer order over the defaults.
pub fn resolve(layers: &[Layer], warnings: &mut Warnings) -> Result<Settings, Error> {
    let locked = super::layers::locked(layers);
    let mut settings = Settings::default();
    let set = &mut settings;
    for layer in layers {
        if let Some(spec) = &layer.file.audit {
            if matches!(layer.kind, LayerKind::System | LayerKind::User) {
                if let Some(p) = &spec.path {
                    set.audit.path = Some(expand_home(p));
                }
                set.audit.syslog |= spec.syslog.unwrap_or(false);
                if let Some(sock) = &spec.syslog_socket {
                    set.audit.syslog_socket = Some(expand_home(sock));
                }
            } else {
                warnings.push(format!("{}: [audit] ignored: only the user and system configs say where the audit trail goes", layer.path));
            }
        }
        if let Some(spec) = &layer.file.breaker {
            if matches!(layer.kind, LayerKind::System | LayerKind::User) {
                apply_breaker(&mut set.breaker, spec, layer)?;
            } else {
                warnings.push(format!(
                    "{}: [breaker] ignored: only the user and system configs set the circuit breaker",
                    layer.path
                ));
            }
        }
        if let Some(spec) = &layer.file.plans {
            apply_plans(&mut set.plans, spec, layer, warnings)?;
        }
        if let Some(spec) = &layer.file.approvals {
            // With the system config locked, the user file cannot name approvers either.
            let trusted = match layer.kind {
                LayerKind::System => true,
                LayerKind::User => !locked,
                LayerKind::Project | LayerKind::Explicit => false,
            };
            apply_approvals(&mut set.approvals, spec, layer, trusted, warnings)?;
        }
    }
    Ok(settings)
}

/// Merges one layer's `[approvals]`: who may approve, the principal, the ledger and the
/// token and break-glass switches come only from trusted layers (break-glass only from
/// the system layer); any layer may shorten the lifetime or require more approvers.
fn apply_approvals(
    a: &mut Approvals,
    spec: &ApprovalsSpec,
    layer: &Layer,
    trusted: bool,
    warnings: &mut Warnings,
) -> Result<(), Error> {
    let duration = |what: &str, text: &str| {
        parse_duration(text).ok_or_else(|| Error::Config {
            path: layer.path.clone(),
            message: format!(
                "[approvals] {what} = \"{text}\": write a duration such as 90s, 15m or 2h"
            ),
        })
    };
    let mut ignored = Vec::new();
    let mut trusted_only = |name: &str, present: bool| {
        if present && !trusted {
            ignored.push(name.to_string());
        }
        present && trusted
    };
    if trusted_only("allowed_signers", spec.allowed_signers.is_some()) {
        a.allowed_signers = spec.allowed_signers.as_deref().map(expand_home);
    }
    if trusted_only("principal", spec.principal.is_some()) {
        a.principal.clone_from(&spec.principal);
    }
    if trusted_only("ledger", spec.ledger.is_some()) {
        a.ledger = spec.ledger.as_deref().map(expand_home);
    }
    if trusted_only("token_confirms", spec.token_confirms.is_some()) {
        a.token_confirms = spec.token_confirms.unwrap_or(false);
    }
    if trusted_only("max_lifetime", spec.max_lifetime.is_some()) {
        a.max_lifetime = duration(
            "max_lifetime",
            spec.max_lifetime.as_deref().unwrap_or_default(),
        )?;
    }
    if let Some(b) = spec.break_glass {
        if layer.kind == LayerKind::System {
            a.break_glass = b;
        } else {
            ignored.push("break_glass".into());
        }
    }
    if let Some(key) = &spec.key {
        a.key = Some(expand_home(key));
    }
    if let Some(l) = &spec.lifetime {
        let secs = duration("lifetime", l)?;
        a.lifetime = if trusted { secs } else { a.lifetime.min(secs) };
    }
    if let Some(n) = spec.required {
        a.required = if layer.kind == LayerKind::System {
            n.max(1)
        } else {
            a.required.max(n)
        };
    }
    if !ignored.is_empty() {
        warnings.push(format!(
            "{}: [approvals] {} ignored: only the user and system configs decide who may approve",
            layer.path,
            ignored.join(", ")
        ));
    }
    Ok(())
}

/// `~/x` -> `$HOME/x`.
fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// `[breaker]`: only the user and system layers get here.
fn apply_breaker(b: &mut BreakerLimits, spec: &BreakerSpec, layer: &Layer) -> Result<(), Error> {
    if let Some(on) = spec.enabled {
        b.enabled = on;
    }
    if let Some(n) = spec.max_refusals {
        b.max_refusals = n;
    }
    if let Some(n) = spec.max_destructive {
        b.max_destructive = n;
    }
    if let Some(w) = &spec.window {
        b.window = parse_duration(w.get_ref())
            .filter(|s| (60..=7 * 86_400).contains(s))
            .ok_or_else(|| {
                Error::at(
                    &layer.path,
                    &layer.text,
                    w.span().start,
                    format!(
                        "[breaker] window `{}`: write a duration from 1m to 168h, like `15m`",
                        w.get_ref()
                    ),
                )
            })?;
    }
    Ok(())
}

/// `[plans]`: any layer may turn plan_first on; only trusted layers turn it off.
fn apply_plans(
    plans: &mut Plans,
    spec: &PlansSpec,
    layer: &Layer,
    warnings: &mut Warnings,
) -> Result<(), Error> {
    let trusted = matches!(layer.kind, LayerKind::System | LayerKind::User);
    match spec.plan_first {
        Some(true) => plans.plan_first = true,
        Some(false) if trusted => plans.plan_first = false,
        Some(false) => warnings.push(format!(
            "{}: [plans] plan_first = false ignored: only the user and system configs turn it off",
            layer.path
        )),
        None => {}
    }
    if let Some(t) = &spec.timeout {
        let secs = parse_duration(t.get_ref())
            .filter(|s| (1..=3600).contains(s))
            .ok_or_else(|| {
                Error::at(
                    &layer.path,
                    &layer.text,
                    t.span().start,
                    format!(
                        "[plans] timeout `{}`: write a duration from 1s to 1h, like `90s` or `5m`",
                        t.get_ref()
                    ),
                )
            })?;
        plans.timeout = secs;
    }
    Ok(())
}
