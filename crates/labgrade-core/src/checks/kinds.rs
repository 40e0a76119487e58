//! What a check kind is — the [`Kind`] trait every kind's module implements — and the
//! `kinds!` macro that turns the one list in `checks/mod.rs` into
//! [`CheckKind`](super::CheckKind) and the plan's expansion.
//!
//! A kind's module holds a type that implements [`Kind`]: the checks the spec expands
//! into ([`Kind::for_spec`] for the lab as a whole, [`Kind::for_image`] per `images:`
//! entry, [`Kind::for_container`] per container), what the check expects in words, what
//! the grader must observe for it, how it is judged and what evidence explains its
//! failure. Adding a kind is that module plus one line in the list in `checks/mod.rs`
//! (and the spec key it reads, in `spec`). Nothing else dispatches on the kind; code
//! matches one kind only where it looks for it on purpose (observe sends the plan's
//! requests and one-shot runs; the fixes rebuild a `docker run` from the plan's ports
//! and settings).

use super::{Check, Judgement, Plan};
use crate::facts::Facts;
use crate::plan::Need;
use crate::spec::{ContainerSpec, ImageSpec, Points, Spec};
use crate::verdict::Finding;

/// Where a kind's [`Kind::for_spec`] checks go in the plan, which lists, in this order:
/// the checks of the lab as a whole placed [`Place::BeforeImages`], each `images:`
/// entry's ([`Kind::for_image`]), those placed [`Place::BeforeContainers`], each
/// container's ([`Kind::for_container`]), then those placed [`Place::Last`]. Within
/// each part, kinds come in the order of the list in `checks/mod.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    BeforeImages,
    BeforeContainers,
    Last,
}

/// What a check is judged on.
pub(crate) struct Ctx<'a> {
    pub plan: &'a Plan,
    pub facts: &'a Facts,
    /// The check's id, under which one-shot runs and requests are observed.
    pub id: &'a str,
    /// The findings of the checks before it in the plan.
    pub done: &'a [Finding],
}

/// One check kind, defined in one module.
pub(crate) trait Kind {
    /// Where the checks of [`Kind::for_spec`] go in the plan.
    fn place() -> Place
    where
        Self: Sized,
    {
        Place::BeforeContainers
    }

    /// The checks this kind adds for the lab as a whole (`dockerfile:`, `runs:`, the
    /// requests to no container, one check per image the lab needs).
    fn for_spec(_spec: &Spec, _points: &Points) -> Vec<Check>
    where
        Self: Sized,
    {
        Vec::new()
    }

    /// The checks this kind adds for one `images:` entry.
    fn for_image(_image: &ImageSpec, _points: &Points) -> Vec<Check>
    where
        Self: Sized,
    {
        Vec::new()
    }

    /// The checks this kind adds for one container (the short form's included); they
    /// may require `container:NAME` and `running:NAME`.
    fn for_container(_container: &ContainerSpec, _points: &Points) -> Vec<Check>
    where
        Self: Sized,
    {
        Vec::new()
    }

    /// What the check expects, in words ("a file /app/app.py").
    fn expected(&self) -> String;

    /// What the grader must observe for it.
    fn needs(&self) -> Vec<Need>;

    /// The verdict on the facts.
    fn judge(&self, cx: &Ctx) -> Judgement;

    /// What the grader saw that explains the check's failure (log lines, sockets).
    fn evidence(&self, _facts: &Facts) -> Vec<String> {
        Vec::new()
    }
}

/// Declares the registered kinds' modules and generates from them `CheckKind` (one
/// variant per kind, holding its type), `types` and `expand`: `module: Variant(Type),
/// ...;` per module. The variant's name, in snake_case, is the check's `kind` in JSON.
macro_rules! kinds {
    ($($module:ident: $($variant:ident($ty:ident)),+;)*) => {
        $(mod $module;)*

        /// Each registered kind's type, re-exported by `plan`.
        pub mod types {
            $(pub use super::$module::{$($ty),+};)*
        }

        /// What a check looks at: one variant per kind registered in the list in
        /// `checks/mod.rs`, holding its module's type.
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum CheckKind {
            $($($variant($module::$ty),)+)*
        }

        impl CheckKind {
            fn def(&self) -> &dyn kinds::Kind {
                match self {
                    $($(CheckKind::$variant(k) => k,)+)*
                }
            }

            /// What the grader must observe to judge this check.
            pub fn needs(&self) -> Vec<$crate::plan::Need> {
                self.def().needs()
            }

            pub(crate) fn expected(&self) -> String {
                self.def().expected()
            }

            pub(crate) fn judge(&self, cx: &kinds::Ctx) -> Judgement {
                self.def().judge(cx)
            }

            pub(crate) fn evidence(&self, facts: &Facts) -> Vec<String> {
                self.def().evidence(facts)
            }
        }

        /// Every registered kind's checks for a spec, in the plan's order (see
        /// [`kinds::Place`]): within each part, in the order of the list.
        pub(crate) fn expand(spec: &$crate::spec::Spec) -> Vec<Check> {
            use kinds::{Kind, Place};
            let points = &spec.points;
            let for_spec = |place: Place| {
                let mut out = Vec::new();
                $($(if <$module::$ty as Kind>::place() == place {
                    out.extend(<$module::$ty as Kind>::for_spec(spec, points));
                })+)*
                out
            };
            let mut out = for_spec(Place::BeforeImages);
            for image in spec.image_specs() {
                $($(out.extend(<$module::$ty as Kind>::for_image(&image, points));)+)*
            }
            out.extend(for_spec(Place::BeforeContainers));
            for container in spec.containers() {
                $($(out.extend(<$module::$ty as Kind>::for_container(container, points));)+)*
            }
            out.extend(for_spec(Place::Last));
            out
        }
    };
}
