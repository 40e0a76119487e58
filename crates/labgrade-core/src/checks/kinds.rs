//! The check kinds defined whole in one module each, and the one list that registers
//! them.
//!
//! A kind's module holds a type that implements [`Kind`]: the checks a spec entry
//! expands into ([`Kind::for_image`], [`Kind::for_container`]), what the check expects
//! in words, what the grader must observe for it, and how it is judged. Adding a kind is
//! that module plus one line in the list in `checks/mod.rs` (and the spec key it
//! reads, in `spec`). The
//! kinds that predate this list are the [`CheckKind`] variants beside it.

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

/// Declares the registered kinds' modules and generates [`Registered`] and the
/// expansion over all of them: `module: Variant(Type), ...;` per module.
macro_rules! kinds {
    ($($module:ident: $($variant:ident($ty:ident)),+;)*) => {
        $(mod $module;)*

        /// Each registered kind's type, re-exported by `plan`.
        pub mod types {
            $(pub use super::$module::{$($ty),+};)*
        }

        /// A check of a kind registered in the list in `checks/mod.rs`: its module's type.
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Registered {
            $($($variant($module::$ty),)+)*
        }

        impl Registered {
            fn def(&self) -> &dyn kinds::Kind {
                match self {
                    $($(Registered::$variant(k) => k,)+)*
                }
            }

            /// What the grader must observe for the check.
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

        /// The registered kinds' checks for the lab as a whole placed at `place`, in
        /// registration order.
        pub(crate) fn for_spec(
            spec: &$crate::spec::Spec,
            place: kinds::Place,
            points: &$crate::spec::Points,
        ) -> Vec<Check> {
            let mut out = Vec::new();
            $($(if <$module::$ty as kinds::Kind>::place() == place {
                out.extend(<$module::$ty as kinds::Kind>::for_spec(spec, points));
            })+)*
            out
        }

        /// The registered kinds' checks for one image entry, in registration order.
        pub(crate) fn for_image(
            image: &$crate::spec::ImageSpec,
            points: &$crate::spec::Points,
        ) -> Vec<Check> {
            let mut out = Vec::new();
            $($(out.extend(<$module::$ty as kinds::Kind>::for_image(image, points));)+)*
            out
        }

        /// The registered kinds' checks for one container, in registration order.
        pub(crate) fn for_container(
            container: &$crate::spec::ContainerSpec,
            points: &$crate::spec::Points,
        ) -> Vec<Check> {
            let mut out = Vec::new();
            $($(out.extend(<$module::$ty as kinds::Kind>::for_container(container, points));)+)*
            out
        }
    };
}
