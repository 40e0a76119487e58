//! `no_secrets: true` on an image: no file under its WORKDIR (or `/`, system folders
//! aside) looks like a secret — `.env`, an SSH key, a private key in a `.pem` or `.key`
//! — unless `allow_secrets` names it. The fix is the .dockerignore line.

use serde::Serialize;

use super::files::Build;
use super::kinds::{Ctx, Kind};
use super::*;
use crate::facts::FileFacts;
use crate::plan::Need;
use crate::spec::{ImageSpec, Points};

/// No secrets in the image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoSecrets {
    pub image: ImageRef,
    pub allow: Vec<String>,
}

impl Kind for NoSecrets {
    fn for_image(i: &ImageSpec, points: &Points) -> Vec<Check> {
        if !i.no_secrets {
            return Vec::new();
        }
        vec![setting_check(
            format!("no-secrets:{}", i.name),
            format!("Image {} holds no secrets (.env, private keys)", i.name),
            points,
            format!("image:{}", i.name),
            CheckKind::NoSecrets(NoSecrets {
                image: i.name.clone(),
                allow: i.allow_secrets.clone(),
            }),
        )]
    }

    fn expected(&self) -> String {
        "no .env or private key in the image".into()
    }

    fn needs(&self) -> Vec<Need> {
        vec![
            Need::Image(self.image.clone()),
            Need::ImageTree {
                image: self.image.clone(),
                root: None,
            },
            Need::ProjectFile("Dockerfile".into()),
            Need::ProjectFile(".dockerignore".into()),
        ]
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        let facts = cx.facts;
        let Some(image) = image_facts(facts, &self.image) else {
            return missing_fact();
        };
        if let Some(e) = &image.files_error {
            return files_unreadable(e);
        }
        let root = image.workdir.clone().unwrap_or_else(|| "/".into());
        let Some(tree) = image.trees.get(&root) else {
            return missing_fact();
        };
        let found: Vec<&str> = tree
            .suspects
            .iter()
            .filter(|s| {
                let lower = s.path.to_ascii_lowercase();
                let keyish = lower.ends_with(".pem") || lower.ends_with(".key");
                s.private_key || !keyish
            })
            .map(|s| s.path.as_str())
            .filter(|p| !self.allow.iter().any(|a| crate::spec::glob(a, p)))
            .collect();
        let Some(first) = found.first() else {
            let cut = if tree.truncated { ", the walk stopped early" } else { "" };
            return pass(format!("{} entries under {root}, none a secret{cut}", tree.entries));
        };
        let build = Build::read(facts, &self.image);
        let file = FileFacts {
            kind: "file".into(),
            ..FileFacts::default()
        };
        let mut j = build.unwanted(first, &file);
        j.cause_id = Some(CauseId::SecretInImage);
        j.found = if found.len() == 1 {
            format!("{first} is in the image")
        } else {
            format!("in the image: {}", found.join(", "))
        };
        j.cause = j.cause.map(|c| {
            format!("{c}; anyone who can pull the image can read {first}")
        });
        j
    }
}
