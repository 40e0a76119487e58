//! `user_not_root: true` on an image: it runs its app as a USER other than root, with
//! the lines that add one written for the image's own base.

use serde::Serialize;

use super::files::{Build, System, system_needs};
use super::kinds::{Ctx, Kind};
use super::*;
use crate::plan::Need;
use crate::spec::{ImageSpec, Points};

/// The image's USER is not root.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserNotRoot {
    pub image: ImageRef,
}

impl Kind for UserNotRoot {
    fn for_image(i: &ImageSpec, points: &Points) -> Vec<Check> {
        if !i.user_not_root {
            return Vec::new();
        }
        vec![setting_check(
            format!("user-not-root:{}", i.name),
            format!("Image {} runs as a user other than root", i.name),
            points,
            format!("image:{}", i.name),
            CheckKind::UserNotRoot(UserNotRoot {
                image: i.name.clone(),
            }),
        )]
    }

    fn expected(&self) -> String {
        "a USER other than root".into()
    }

    fn needs(&self) -> Vec<Need> {
        system_needs(&self.image)
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        let facts = cx.facts;
        let Some(image) = image_facts(facts, &self.image) else {
            return missing_fact();
        };
        let user = image.user.as_deref().unwrap_or("");
        let name = user.split(':').next().unwrap_or("");
        if !name.is_empty() && name != "root" && name != "0" {
            return pass(format!("USER {user}"));
        }
        let found = if user.is_empty() {
            "no USER (runs as root)".to_string()
        } else {
            format!("USER {user}")
        };
        let build = Build::read(facts, &self.image);
        // What adds a user depends on what the image has: no shell (FROM scratch) takes
        // a numeric USER, Alpine's busybox has adduser, Debian and Ubuntu have useradd.
        let system = System::of(image);
        let node_user = build.base.as_deref().is_some_and(|b| b.starts_with("node"));
        let lines = if !system.shell {
            "`USER 65534`".to_string()
        } else if node_user {
            "`USER node`".to_string()
        } else if system.alpine || !system.useradd {
            // busybox (Alpine and others) has adduser, not useradd.
            "`RUN adduser -D app` and `USER app`".to_string()
        } else {
            "`RUN useradd --create-home app` and `USER app`".to_string()
        };
        fail(
            CauseId::RunsAsRoot,
            found,
            if user.is_empty() {
                "the image sets no USER, so its app runs as root: a hole in the app is a hole in the container"
            } else {
                "the image's USER is root, so its app runs as root"
            },
            build.rebuild_after(&format!(
                "add {lines} to the Dockerfile before CMD (after the COPY and RUN steps that need root)"
            )),
        )
    }
}
