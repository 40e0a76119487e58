//! Which image another was built FROM, concluded from what the daemon said about its
//! ancestry ([`BaseEvidence`]): a pure function, so saved facts replay the same.

use crate::facts::{BaseEvidence, BaseFacts, ImageBrief, ImageFacts};

/// Whether the parent chain leaves the base open, so the other tagged images' layers
/// are needed: when no parent has a tag.
pub fn needs_others(parents: &[ImageBrief]) -> bool {
    parents.iter().all(|p| p.tags.is_empty())
}

/// The image `image` was built FROM. An image built here by the classic builder names
/// its parent (the image of its previous step): the first tagged ancestor is the base.
/// Otherwise (BuildKit, a pulled image), of the other tagged images created no later
/// than it, the one whose layers it starts with, the most of them; untagged images
/// (earlier builds) are not bases. Images with the very same layers cannot be told
/// apart (an image that only changes settings shares its base's layers): the oldest
/// is named, with the tags of them all.
pub fn base_of(image: &ImageFacts, evidence: &BaseEvidence) -> BaseFacts {
    if let Some(p) = evidence.parents.iter().find(|p| !p.tags.is_empty()) {
        return BaseFacts::Found {
            id: p.id.clone(),
            tags: p.tags.clone(),
        };
    }
    let mut candidates: Vec<&ImageBrief> = evidence
        .others
        .iter()
        .filter(|i| i.id != image.id && !i.tags.is_empty())
        .filter(|i| {
            let older = match (&i.created, &image.created) {
                (Some(a), Some(b)) => a <= b,
                _ => true,
            };
            older && !i.layers.is_empty() && image.layers.starts_with(&i.layers)
        })
        .collect();
    let most = candidates.iter().map(|i| i.layers.len()).max();
    candidates.retain(|i| Some(i.layers.len()) == most);
    candidates.sort_by(|a, b| a.created.cmp(&b.created));
    match candidates.first() {
        Some(b) => BaseFacts::Found {
            id: b.id.clone(),
            tags: candidates.iter().flat_map(|c| c.tags.clone()).collect(),
        },
        None => BaseFacts::Unknown,
    }
}

/// The base `image` was built FROM, concluded from the evidence it carries; without
/// evidence (facts saved by an older labgrade), the base they recorded.
pub fn conclude(image: &ImageFacts) -> Option<BaseFacts> {
    match &image.base_evidence {
        Some(e) => Some(base_of(image, e)),
        None => image.base.clone(),
    }
}

#[cfg(test)]
mod tests {
    //! Recorded on a real daemon (Docker 20.10, DOCKER_BUILDKIT=0) from these builds:
    //! `base-a:1` is `FROM scratch` + `COPY a /a`; `base-b:1` is `FROM base-a:1` + two
    //! COPYs; `base-c:1` is `FROM base-a:1` + `ENV X=1` (base-a's very layers);
    //! `base-e:1` is `FROM base-a:1` + `LABEL e=1`; `base-f:1` is `FROM base-e:1` +
    //! `COPY b /b`, then `docker save`d, removed and `docker load`ed, which drops its
    //! parent chain (as for a pulled image). `hello:v1` and `python-base` are unrelated.
    use super::*;

    const ID_A: &str = "sha256:c7dee2d3186dbbd0aa7369908ab70e84613be4b616c57b759ea9c888986f536f";

    /// `labgrade-test/base-a:1`, as `labgrade check --save-facts` recorded it.
    const A: &str = r#"
        {"id":"sha256:c7dee2d3186dbbd0aa7369908ab70e84613be4b616c57b759ea9c888986f536f","created":"2026-12-01T12:28:48.751135055Z",
        "layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30"],
        "base_evidence":{"parents":[
        ],"others":[
        {"id":"sha256:8362275df3158e013a6dabca245cc55b2aa03acc5764c664d132093a3b575f25","tags":["labgrade-test/base-e:1"],"created":"2026-12-01T12:30:00.72901919Z","layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30"]},
        {"id":"sha256:127cbad4f1aa3302a15e535e0bd8918a40f96ca7ea539e48fb6b2a1b701a24bb","tags":["labgrade-test/base-f:1"],"created":"2026-12-01T12:30:00.894931263Z","layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30","sha256:01cbd57e6755eb6b2b593815102575a8c2d4030b82641ee9a0fb903af36e9bbd"]},
        {"id":"sha256:e52990d6d955b5da06254ed81c6dfeb64365c414b4ad4a04ff6371f7772d6296","tags":["hello:v1"],"created":"2026-12-01T12:29:59.265092395Z","layers":["sha256:14b974c78c5936ecfe0b224f7596d4f51fd02b2151fb3e217394c874c13e48ba","sha256:22fda6bf7ed31eac6007bc4f5bffc93613ed810a4d727a192e493b397b7a8973","sha256:a00aed19bc2be3926abb2df4b83df163bacc6f845bde5b7320f2820fa084041d"]},
        {"id":"sha256:28472cda4454972acbf29ce4e1cbaa8210ae03a357de1b77ffd4efe65652573e","tags":["labgrade-test/python-base:seed-25456-2"],"created":"2026-12-01T12:29:55.482258738Z","layers":["sha256:14b974c78c5936ecfe0b224f7596d4f51fd02b2151fb3e217394c874c13e48ba"]},
        {"id":"sha256:d69250966c6f90de548fe51908c2cb19f9afc4b3f6dced3c98467120a47a096b","tags":["labgrade-test/base-c:1"],"created":"2026-12-01T12:28:49.659270661Z","layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30"]},
        {"id":"sha256:c715a0b87ffeb44e011588ceb3cf11e45f444c112c6b30768411acd9284875d5","tags":["labgrade-test/base-b:1"],"created":"2026-12-01T12:28:49.379730904Z","layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30","sha256:01cbd57e6755eb6b2b593815102575a8c2d4030b82641ee9a0fb903af36e9bbd","sha256:50e0819734ef89e2dfc51c6c9b310dd0c320c9a710496f06d97ce7ecfabe051f"]}
        ]
        }}"#;

    /// `labgrade-test/base-b:1`, as `labgrade check --save-facts` recorded it.
    const B: &str = r#"
        {"id":"sha256:c715a0b87ffeb44e011588ceb3cf11e45f444c112c6b30768411acd9284875d5","created":"2026-12-01T12:28:49.379730904Z",
        "layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30","sha256:01cbd57e6755eb6b2b593815102575a8c2d4030b82641ee9a0fb903af36e9bbd","sha256:50e0819734ef89e2dfc51c6c9b310dd0c320c9a710496f06d97ce7ecfabe051f"],
        "base_evidence":{"parents":[
        {"id":"sha256:09c53ec04b0c7119d7a1db327b01f7ef3786090ff7785ea1ed3a63b94c9cad4b","tags":[]},
        {"id":"sha256:c7dee2d3186dbbd0aa7369908ab70e84613be4b616c57b759ea9c888986f536f","tags":["labgrade-test/base-a:1"]}
        ]
        }}"#;

    /// `labgrade-test/base-c:1`, as `labgrade check --save-facts` recorded it.
    const C: &str = r#"
        {"id":"sha256:d69250966c6f90de548fe51908c2cb19f9afc4b3f6dced3c98467120a47a096b","created":"2026-12-01T12:28:49.659270661Z",
        "layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30"],
        "base_evidence":{"parents":[
        {"id":"sha256:c7dee2d3186dbbd0aa7369908ab70e84613be4b616c57b759ea9c888986f536f","tags":["labgrade-test/base-a:1"]}
        ]
        }}"#;

    /// `labgrade-test/base-f:1`, as `labgrade check --save-facts` recorded it.
    const F: &str = r#"
        {"id":"sha256:127cbad4f1aa3302a15e535e0bd8918a40f96ca7ea539e48fb6b2a1b701a24bb","created":"2026-12-01T12:30:00.894931263Z",
        "layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30","sha256:01cbd57e6755eb6b2b593815102575a8c2d4030b82641ee9a0fb903af36e9bbd"],
        "base_evidence":{"parents":[
        ],"others":[
        {"id":"sha256:8362275df3158e013a6dabca245cc55b2aa03acc5764c664d132093a3b575f25","tags":["labgrade-test/base-e:1"],"created":"2026-12-01T12:30:00.72901919Z","layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30"]},
        {"id":"sha256:e52990d6d955b5da06254ed81c6dfeb64365c414b4ad4a04ff6371f7772d6296","tags":["hello:v1"],"created":"2026-12-01T12:29:59.265092395Z","layers":["sha256:14b974c78c5936ecfe0b224f7596d4f51fd02b2151fb3e217394c874c13e48ba","sha256:22fda6bf7ed31eac6007bc4f5bffc93613ed810a4d727a192e493b397b7a8973","sha256:a00aed19bc2be3926abb2df4b83df163bacc6f845bde5b7320f2820fa084041d"]},
        {"id":"sha256:28472cda4454972acbf29ce4e1cbaa8210ae03a357de1b77ffd4efe65652573e","tags":["labgrade-test/python-base:seed-25456-2"],"created":"2026-12-01T12:29:55.482258738Z","layers":["sha256:14b974c78c5936ecfe0b224f7596d4f51fd02b2151fb3e217394c874c13e48ba"]},
        {"id":"sha256:c715a0b87ffeb44e011588ceb3cf11e45f444c112c6b30768411acd9284875d5","tags":["labgrade-test/base-b:1"],"created":"2026-12-01T12:28:49.379730904Z","layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30","sha256:01cbd57e6755eb6b2b593815102575a8c2d4030b82641ee9a0fb903af36e9bbd","sha256:50e0819734ef89e2dfc51c6c9b310dd0c320c9a710496f06d97ce7ecfabe051f"]},
        {"id":"sha256:d69250966c6f90de548fe51908c2cb19f9afc4b3f6dced3c98467120a47a096b","tags":["labgrade-test/base-c:1"],"created":"2026-12-01T12:28:49.659270661Z","layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30"]},
        {"id":"sha256:c7dee2d3186dbbd0aa7369908ab70e84613be4b616c57b759ea9c888986f536f","tags":["labgrade-test/base-a:1"],"created":"2026-12-01T12:28:48.751135055Z","layers":["sha256:9b88873f46abb9146d212e986fe48b3664cbf11880d0afc93ebf20ebac877f30"]}
        ]
        }}"#;

    /// The image and its evidence from a recording.
    fn recorded(json: &str) -> (ImageFacts, BaseEvidence) {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let image = ImageFacts {
            id: v["id"].as_str().unwrap().into(),
            created: v["created"].as_str().map(str::to_owned),
            layers: serde_json::from_value(v["layers"].clone()).unwrap(),
            ..ImageFacts::default()
        };
        (
            image,
            serde_json::from_value(v["base_evidence"].clone()).unwrap(),
        )
    }

    fn base(json: &str) -> BaseFacts {
        let (image, evidence) = recorded(json);
        base_of(&image, &evidence)
    }

    fn found(tags: &[&str]) -> BaseFacts {
        BaseFacts::Found {
            id: ID_A.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn the_first_tagged_parent_is_the_base() {
        // base-b's parent is the untagged image of its first COPY: that earlier build
        // step is skipped, base-a is named.
        assert_eq!(base(B), found(&["labgrade-test/base-a:1"]));
        // base-c only sets ENV: its layers are base-a's, its parent says which it is.
        assert_eq!(base(C), found(&["labgrade-test/base-a:1"]));
        assert!(!needs_others(&recorded(B).1.parents));
    }

    #[test]
    fn without_parents_the_longest_shared_layers_name_the_base() {
        // base-f starts with base-a's layer, as base-c and base-e do (same layers): the
        // oldest is named with all their tags. base-b (older) starts with base-f's two
        // layers and has a third: it is not a base of base-f, the other way round.
        let (image, evidence) = recorded(F);
        assert!(needs_others(&evidence.parents));
        assert_eq!(
            base_of(&image, &evidence),
            found(&[
                "labgrade-test/base-a:1",
                "labgrade-test/base-c:1",
                "labgrade-test/base-e:1"
            ])
        );
    }

    #[test]
    fn newer_and_untagged_images_are_never_bases() {
        // base-a (FROM scratch): base-c and base-e have its very layers but came later.
        assert_eq!(base(A), BaseFacts::Unknown);
        // Untagged images (earlier builds) are not bases, even in the listing.
        let (image, mut evidence) = recorded(F);
        for o in &mut evidence.others {
            if o.layers.len() == 1 {
                o.tags.clear();
            }
        }
        assert_eq!(base_of(&image, &evidence), BaseFacts::Unknown);
        // Nor in the parent chain: with every parent untagged only the other images'
        // layers could tell, and none were recorded here.
        let (image, mut evidence) = recorded(B);
        evidence.parents.iter_mut().for_each(|p| p.tags.clear());
        assert_eq!(base_of(&image, &evidence), BaseFacts::Unknown);
        // The image itself is not its own base.
        let (image, mut evidence) = recorded(A);
        evidence.others.push(ImageBrief {
            id: image.id.clone(),
            tags: vec!["labgrade-test/base-a:1".into()],
            created: image.created.clone(),
            layers: image.layers.clone(),
        });
        assert_eq!(base_of(&image, &evidence), BaseFacts::Unknown);
    }

    #[test]
    fn saved_facts_replay_and_old_ones_still_load() {
        let (mut image, evidence) = recorded(B);
        image.base_evidence = Some(evidence);
        let json = serde_json::to_string(&image).unwrap();
        let back: ImageFacts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, image);
        assert_eq!(conclude(&back), Some(found(&["labgrade-test/base-a:1"])));
        // An empty `others` is not written.
        assert!(!json.contains("\"others\""), "{json}");
        // Facts saved before the evidence was recorded: the base they carry.
        let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
        let obj = old.as_object_mut().unwrap();
        obj.remove("base_evidence");
        obj.insert(
            "base".into(),
            serde_json::json!({"Found": {"id": ID_A, "tags": ["old:1"]}}),
        );
        let old: ImageFacts = serde_json::from_value(old).unwrap();
        assert_eq!(conclude(&old), Some(found(&["old:1"])));
        assert_eq!(conclude(&ImageFacts::default()), None);
    }
}
