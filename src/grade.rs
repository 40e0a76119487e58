//! The pipeline in one call: spec → plan → facts → verdict → report.

use std::time::Instant;

use crate::facts::Facts;
use crate::observe::{Daemon, DaemonError, ObserveOptions, observe};
use crate::plan::Plan;
use crate::report::Report;
use crate::spec::Spec;
use crate::verdict::judge;

/// Grades one spec against a connected daemon; project files (the Dockerfile) are read
/// from `dir`.
pub async fn grade(
    daemon: &Daemon,
    spec: &Spec,
    spec_name: &str,
    dir: &std::path::Path,
    opts: &ObserveOptions,
) -> Result<(Report, Facts), DaemonError> {
    let started = Instant::now();
    // Compose services are looked up by label and graded under their container's name;
    // the report then speaks of the services again.
    let rename = crate::observe::resolve_services(daemon, spec).await?;
    let resolved;
    let spec = if rename.containers.is_empty() {
        spec
    } else {
        resolved = crate::instance::instance(spec, &rename);
        &resolved
    };
    let mut plan = Plan::new(spec);
    let token = crate::plan::fresh_token();
    plan.randomise(&token);
    let opts = ObserveOptions {
        wait: opts.wait.or(plan.wait),
        ..*opts
    };
    let mut facts = observe(daemon, &plan, &opts).await?;
    crate::observe::read_files(&plan, dir, &mut facts);
    let randomised = plan.checks.iter().any(|c| {
        use crate::plan::{CheckKind, HttpCheck};
        matches!(&c.kind, CheckKind::Http(HttpCheck { expect, .. }) if expect.random.is_some())
    });
    facts.random = randomised.then_some(token);
    let verdict = judge(&plan, &facts);
    let report = Report::new(
        spec_name,
        plan.name.clone(),
        plan.pass_mark.to_string(),
        verdict,
        started.elapsed().as_millis() as u64,
    )
    .with_visibility(plan.visibility);
    Ok((rename.restore_report(report), facts))
}
