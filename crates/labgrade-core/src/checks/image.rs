//! The image check: is there an image of the wanted name and tag, and if not, what is there instead.

use super::*;

pub(crate) fn judge(image: &ImageRef, facts: &Facts) -> Judgement {
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
