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
use crate::spec::{ContainerSpec, ImageSpec, Points};

/// One check kind, defined in one module.
pub(crate) trait Kind {
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
    fn judge(&self, plan: &Plan, facts: &Facts) -> Judgement;
}

/// Declares the registered kinds' modules and generates [`Registered`] and the
/// expansion over all of them: `module: Variant(Type), ...;` per module.
macro_rules! kinds {
    ($($module:ident: $($variant:ident($ty:ident)),+;)*) => {
        $(mod $module;)*

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

            pub(crate) fn judge(&self, plan: &Plan, facts: &Facts) -> Judgement {
                self.def().judge(plan, facts)
            }
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
