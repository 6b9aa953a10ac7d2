//! The config sections beyond rules and severities — `[audit]`, `[breaker]`, `[plans]`,
//! `[approvals]`, `[principals]` — merged across layers, each taking from a layer only
//! what that layer is trusted to say ([`Trust`]):
//!
//! - anything that makes guard stricter, from any layer that may set the section;
//! - anything that weakens (turns a check off, loosens a limit), only from the system
//!   layer, and from the user layer unless the system config is locked;
//! - where state lives and who approves, only from the system layer, and from the user
//!   layer unless the system config is locked or guard runs protected;
//! - who the requester is (`[principals]`), in a protected install only from the system
//!   layer, by the kernel's user id.
//!
//! A setting a layer may not make is reported as a warning, never obeyed.

use super::layers::{Layer, LayerKind, Warnings};
use crate::error::Error;
use crate::rules::model::{ApprovalsSpec, AuditSpec, BreakerSpec, PlansSpec};
use crate::settings::{Approvals, BreakerLimits, Plans, Settings};
use crate::time::parse_duration;
use std::path::PathBuf;

/// What one layer may say.
#[derive(Debug, Clone, Copy)]
struct Trust {
    kind: LayerKind,
    /// May weaken a check or loosen a limit.
    weaken: bool,
    /// May say where guard's state lives and who approves.
    place: bool,
}

impl Trust {
    fn of(kind: LayerKind, locked: bool, protected: bool) -> Trust {
        let (weaken, place) = match kind {
            LayerKind::System => (true, true),
            LayerKind::User => (!locked, !locked && !protected),
            LayerKind::Project | LayerKind::Explicit => (false, false),
        };
        Trust {
            kind,
            weaken,
            place,
        }
    }

    /// The system or the user layer.
    fn own(self) -> bool {
        matches!(self.kind, LayerKind::System | LayerKind::User)
    }

    fn why_not(self) -> &'static str {
        match self.kind {
            LayerKind::User => "the system config is locked (lock = true) or guard runs protected",
            _ => "only the user and system configs may",
        }
    }
}

/// Every layer's sections, merged in layer order over the defaults. `protected`: guard
/// runs installed setgid with a system config; `user` is the account it runs for (read
/// only when protected).
pub fn resolve(
    layers: &[Layer],
    protected: bool,
    user: &str,
    warnings: &mut Warnings,
) -> Result<Settings, Error> {
    let locked = super::layers::locked(layers);
    let mut set = Settings {
        protected,
        supervise_wait: 120,
        ..Settings::default()
    };
    for layer in layers {
        let t = Trust::of(layer.kind, locked, protected);
        let mut ignored = Vec::new();
        if let Some(spec) = &layer.file.audit {
            apply_audit(&mut set, spec, layer, t, &mut ignored)?;
        }
        if let Some(spec) = &layer.file.breaker {
            if t.own() {
                apply_breaker(&mut set.breaker, spec, layer, t, &mut ignored)?;
            } else {
                ignored.push("[breaker]".into());
            }
        }
        if let Some(spec) = &layer.file.plans {
            apply_plans(&mut set.plans, spec, layer, t, &mut ignored)?;
        }
        if let Some(spec) = &layer.file.approvals {
            apply_approvals(&mut set.approvals, spec, layer, t, &mut ignored)?;
        }
        if let Some(spec) = &layer.file.notify {
            if t.own() {
                set.notify
                    .commands
                    .extend(spec.command.clone().filter(|c| !c.is_empty()));
                set.notify.webhooks.extend(spec.webhook.clone());
            } else {
                ignored.push("[notify]".into());
            }
        }
        if let Some(spec) = layer.file.supervise.as_ref().and_then(|s| s.wait.as_ref()) {
            let secs = parse_duration(spec.get_ref())
                .filter(|s| (1..=86_400).contains(s))
                .ok_or_else(|| {
                    Error::at(
                        &layer.path,
                        &layer.text,
                        spec.span().start,
                        format!(
                            "[supervise] wait `{}`: write a duration from 1s to 24h, like `2m` or `30m`",
                            spec.get_ref()
                        ),
                    )
                })?;
            if t.own() {
                set.supervise_wait = secs;
            } else {
                ignored.push("[supervise]".into());
            }
        }
        if let Some(spec) = &layer.file.store {
            if t.place {
                if let Some(url) = spec.url.as_ref().filter(|u| !u.trim().is_empty()) {
                    set.store = Some(crate::settings::SharedStore {
                        url: url.trim().to_string(),
                        password_file: spec.password_file.as_deref().map(expand_home),
                    });
                }
            } else {
                ignored.push("[store]".into());
            }
        }
        if !layer.file.principals.is_empty() && layer.kind != LayerKind::System {
            ignored.push("[principals] (the system config's alone)".into());
        }
        if !ignored.is_empty() {
            warnings.push(format!(
                "{}: {} ignored: {} say that",
                layer.path,
                ignored.join(", "),
                t.why_not()
            ));
        }
    }
    set.approvals.principals = layers
        .iter()
        .filter(|l| l.kind == LayerKind::System)
        .flat_map(|l| l.file.principals.iter())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if protected {
        // Who the requester is comes from the kernel's user id, mapped by root's file.
        let principals = layers
            .iter()
            .filter(|l| l.kind == LayerKind::System)
            .flat_map(|l| l.file.principals.iter());
        let mapped = principals
            .filter(|(name, _)| name.as_str() == user)
            .map(|(_, p)| p.clone())
            .next_back();
        set.approvals.unmapped = mapped.is_none().then(|| user.to_string());
        set.approvals.principal = mapped;
    }
    Ok(set)
}

/// `[audit]`: the user and system configs turn forwarding on; where the trail goes is a
/// placing setting.
fn apply_audit(
    set: &mut Settings,
    spec: &AuditSpec,
    layer: &Layer,
    t: Trust,
    ignored: &mut Vec<String>,
) -> Result<(), Error> {
    if !t.own() {
        ignored.push("[audit]".into());
        return Ok(());
    }
    if let Some(a) = &spec.allowed {
        use crate::settings::AllowedRecords as A;
        let wanted = match a.get_ref().as_str() {
            "all" => A::All,
            "explicit" => A::Explicit,
            "none" => A::None,
            other => {
                return Err(Error::at(
                    &layer.path,
                    &layer.text,
                    a.span().start,
                    format!("[audit] allowed = \"{other}\": write all, explicit or none"),
                ));
            }
        };
        // Recording more is stricter; recording less weakens the trail.
        if wanted == A::All || t.weaken {
            set.audit.allowed = wanted;
        } else {
            ignored.push("[audit] allowed".into());
        }
    }
    set.audit.syslog |= spec.syslog.unwrap_or(false);
    if spec.syslog == Some(false) && set.audit.syslog {
        ignored.push("[audit] syslog = false".into());
    }
    for (name, value, slot) in [
        ("path", &spec.path, &mut set.audit.path),
        (
            "syslog_socket",
            &spec.syslog_socket,
            &mut set.audit.syslog_socket,
        ),
    ] {
        match value {
            Some(p) if t.place => *slot = Some(expand_home(p)),
            Some(_) => ignored.push(format!("[audit] {name}")),
            None => {}
        }
    }
    Ok(())
}

/// Merges one layer's `[approvals]`: who may approve, the principal, the ledger and the
/// token switch come only from placing or weakening layers, break-glass only from the
/// system layer; any layer may shorten the lifetime or require more approvers.
fn apply_approvals(
    a: &mut Approvals,
    spec: &ApprovalsSpec,
    layer: &Layer,
    t: Trust,
    ignored: &mut Vec<String>,
) -> Result<(), Error> {
    let duration = |what: &str, text: &str| {
        parse_duration(text).ok_or_else(|| Error::Config {
            path: layer.path.clone(),
            message: format!(
                "[approvals] {what} = \"{text}\": write a duration such as 90s, 15m or 2h"
            ),
        })
    };
    let mut allowed = |name: &str, present: bool, ok: bool| {
        if present && !ok {
            ignored.push(format!("[approvals] {name}"));
        }
        present && ok
    };
    if allowed("allowed_signers", spec.allowed_signers.is_some(), t.place) {
        a.allowed_signers = spec.allowed_signers.as_deref().map(expand_home);
    }
    if allowed("principal", spec.principal.is_some(), t.place) {
        a.principal.clone_from(&spec.principal);
    }
    if allowed("ledger", spec.ledger.is_some(), t.place) {
        a.ledger = spec.ledger.as_deref().map(expand_home);
    }
    let confirms = spec.token_confirms == Some(true);
    if allowed("token_confirms", confirms, t.weaken) {
        a.token_confirms = true;
    }
    if spec.token_confirms == Some(false) && t.own() {
        a.token_confirms = false;
    }
    if allowed("max_lifetime", spec.max_lifetime.is_some(), t.weaken) {
        let text = spec.max_lifetime.as_deref().unwrap_or_default();
        a.max_lifetime = duration("max_lifetime", text)?;
    }
    let system = t.kind == LayerKind::System;
    if allowed("break_glass", spec.break_glass.is_some(), system) {
        a.break_glass = spec.break_glass.unwrap_or(false);
    }
    if let Some(key) = &spec.key {
        a.key = Some(expand_home(key));
    }
    if let Some(l) = &spec.lifetime {
        let secs = duration("lifetime", l)?;
        a.lifetime = if t.weaken { secs } else { a.lifetime.min(secs) };
    }
    if let Some(n) = spec.required {
        a.required = if system { n.max(1) } else { a.required.max(n) };
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

/// `[breaker]`, from the user and system layers: turning it off, raising a limit or
/// shortening the window weakens it.
fn apply_breaker(
    b: &mut BreakerLimits,
    spec: &BreakerSpec,
    layer: &Layer,
    t: Trust,
    ignored: &mut Vec<String>,
) -> Result<(), Error> {
    let mut set = |name: &str, weakens: bool| {
        if weakens && !t.weaken {
            ignored.push(format!("[breaker] {name}"));
            false
        } else {
            true
        }
    };
    if let Some(on) = spec.enabled {
        if set("enabled = false", !on) {
            b.enabled = on;
        }
    }
    if let Some(n) = spec.max_refusals {
        if set("max_refusals", n > b.max_refusals) {
            b.max_refusals = n;
        }
    }
    if let Some(n) = spec.max_destructive {
        if set("max_destructive", n > b.max_destructive) {
            b.max_destructive = n;
        }
    }
    if let Some(w) = &spec.window {
        let secs = parse_duration(w.get_ref())
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
        if set("window", secs < b.window) {
            b.window = secs;
        }
    }
    Ok(())
}

/// `[plans]`: any layer may turn plan_first on; turning it off or changing how long a
/// plan may take to read (a plan that cannot be read in time is decided on its
/// arguments alone) needs a weakening layer.
fn apply_plans(
    plans: &mut Plans,
    spec: &PlansSpec,
    layer: &Layer,
    t: Trust,
    ignored: &mut Vec<String>,
) -> Result<(), Error> {
    match spec.plan_first {
        Some(true) => plans.plan_first = true,
        Some(false) if t.weaken => plans.plan_first = false,
        Some(false) => ignored.push("[plans] plan_first = false".into()),
        None => {}
    }
    if let Some(time) = &spec.timeout {
        let secs = parse_duration(time.get_ref())
            .filter(|s| (1..=3600).contains(s))
            .ok_or_else(|| {
                Error::at(
                    &layer.path,
                    &layer.text,
                    time.span().start,
                    format!(
                        "[plans] timeout `{}`: write a duration from 1s to 1h, like `90s` or `5m`",
                        time.get_ref()
                    ),
                )
            })?;
        if t.weaken {
            plans.timeout = secs;
        } else {
            ignored.push("[plans] timeout".into());
        }
    }
    Ok(())
}
