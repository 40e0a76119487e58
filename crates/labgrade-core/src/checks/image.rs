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
                None => {
                    let (cause, fix) = build_where(facts, image);
                    fail(CauseId::ImageMissing, "no such image", cause, Some(fix))
                }
            }
        }
        None => missing_fact(),
    }
}

/// Why there is no image to build, and the build that makes it, from where the project's
/// Dockerfile is: `docker build .` here, `-f src/Dockerfile` (or the folder `src`) when it
/// is one folder down, and the lab's own folder when there is none near.
fn build_where(facts: &Facts, image: &ImageRef) -> (String, String) {
    let missing = format!("no image is tagged {}", image.full());
    let folder = facts
        .project_dir
        .as_deref()
        .unwrap_or("the project folder");
    if facts.dockerfile_at_top != Some(false) {
        return (missing, format!("docker build -t {image} ."));
    }
    // Of several one folder down (backend/, frontend/), the one whose folder the image
    // is named after; with no such one, none is guessed.
    let nearby = &facts.dockerfiles_nearby;
    let folder_of = |d: &str| d.rsplit_once('/').map_or(".", |(f, _)| f).to_string();
    let name = image.repository.rsplit('/').next().unwrap_or(&image.repository);
    let chosen = match nearby.as_slice() {
        [one] => Some(one),
        many => many.iter().find(|d| {
            let f = folder_of(d);
            name.contains(f.as_str()) || f.contains(name)
        }),
    };
    if chosen.is_none() && nearby.len() > 1 {
        return (
            format!(
                "{missing}, and `docker build .` finds no Dockerfile in {folder}; one folder down there are {}",
                nearby.join(", ")
            ),
            format!(
                "in the folder of the lab's Dockerfile (or with -f, from the folder its COPY paths start in): docker build -t {image} ."
            ),
        );
    }
    match chosen {
        Some(there) => {
            let own = folder_of(there);
            let own = own.as_str();
            let context = facts
                .nearby_contexts
                .get(there.as_str())
                .map_or(own, String::as_str);
            let fix = if context == own && there.ends_with("/Dockerfile") {
                format!("docker build -t {image} {own}")
            } else {
                format!("docker build -t {image} -f {there} {context}")
            };
            (
                format!(
                    "{missing}, and `docker build .` finds no Dockerfile in {folder}: the lab's is {there}"
                ),
                fix,
            )
        }
        None => (
            format!("{missing}, and there is no Dockerfile in {folder} to build it from"),
            format!(
                "in the lab's folder (the one with its Dockerfile; or run labgrade there, or give --dir FOLDER): docker build -t {image} ."
            ),
        ),
    }
}

