//! The image check: is there an image of the wanted name and tag, and if not, what is there instead.

use serde::Serialize;

use super::kinds::{Ctx, Kind, Place};
use super::*;
use crate::plan::Need;
use crate::spec::{Points, Spec};

/// An image the lab needs exists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImagePresent {
    pub image: ImageRef,
}

impl Kind for ImagePresent {
    fn place() -> Place {
        Place::BeforeImages
    }

    /// One check per image the lab needs, in the order the spec first names them.
    fn for_spec(spec: &Spec, points: &Points) -> Vec<Check> {
        spec.images()
            .into_iter()
            .map(|image| Check {
                id: format!("image:{image}"),
                title: format!("Image {image} exists"),
                points: points.image,
                requires: vec![],
                hidden: false,
                kind: CheckKind::ImagePresent(ImagePresent { image }),
            })
            .collect()
    }

    fn expected(&self) -> String {
        format!("image {}", self.image.full())
    }

    fn needs(&self) -> Vec<Need> {
        vec![Need::Image(self.image.clone())]
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        judge(&self.image, cx.facts)
    }
}

fn judge(image: &ImageRef, facts: &Facts) -> Judgement {
    match facts.images.get(&image.full()) {
        Some(Some(i)) => pass(format!("{} ({})", image.full(), short_id(&i.id))),
        Some(None) => {
            let wanted = normalise(&image.repository);
            let near = facts.other_images.iter().find_map(|t| {
                let r = t.parse::<ImageRef>().ok()?;
                (normalise(&r.repository) == wanted).then_some(r)
            });
            match near {
                Some(r) => fail(
                    CauseId::ImageWrongTag,
                    format!("no {}; found {r}", image.full()),
                    if r.repository == image.repository {
                        format!("the image is tagged {} instead of {}", r.tag, image.tag)
                    } else {
                        format!(
                            "the image is named {} instead of {}",
                            r.repository, image.repository
                        )
                    },
                    Some(format!("docker tag {r} {image}")),
                ),
                None => fail(
                    CauseId::ImageMissing,
                    "no such image",
                    format!("no image is tagged {}", image.full()),
                    Some(format!("docker build -t {image} .")),
                ),
            }
        }
        None => missing_fact(),
    }
}
