//! The registry push check: was this very build pushed under the wanted tag, and if not, which step of tag, login and push is missing.

use super::*;

/// The user part of a tag labgrade cannot know (the student's Docker Hub name): a word
/// that is valid in a tag, so the printed command runs as typed, and [`USER_NOTE`] says
/// to put the real name there.
pub(crate) const USER: &str = "your-dockerhub-name";
/// The remark after a command holding [`USER`].
pub(crate) const USER_NOTE: &str = "   (write your Docker Hub user name for your-dockerhub-name)";

/// Whether the registry holds this build under one of the image's tags that name it.
pub(crate) fn judge(
    image: &ImageRef,
    i: &ImageFacts,
    r: &str,
    p: Option<&ImagePattern>,
) -> Judgement {
    let login = if crate::spec::registry_host(r).is_none() {
        "docker login && "
    } else {
        ""
    };
    if i.registry.is_empty() {
        let name = image.repository.rsplit('/').next().unwrap_or_default();
        let example = p.map_or(format!("{USER}/{name}"), |p| p.example(USER));
        let target = match crate::spec::registry_host(r) {
            Some(h) => format!("{h}/{example}"),
            None => example,
        };
        return fail(
            CauseId::NotTaggedForRegistry,
            format!("no tag of the image names {r}"),
            format!(
                "docker push sends an image to the registry its tag names ({}), and no tag of this image does",
                if let Some(h) = crate::spec::registry_host(r) {
                    format!("{h}/user/name")
                } else {
                    "for Docker Hub: user/name".into()
                }
            ),
            format!("docker tag {image} {target} && {login}docker push {target}{USER_NOTE}"),
        );
    }
    // This very build: pushed from here under that digest, or a manifest naming this
    // image id. Another build: a manifest naming another id, or a digest other than the
    // ones this image was pushed under.
    let build = |t: &String, digest: &Option<String>, config: &Option<String>| {
        let known = i.pushed_digests(t);
        if digest.as_ref().is_some_and(|d| known.contains(d)) || config.as_ref() == Some(&i.id) {
            Some(true)
        } else if config.is_some() || !known.is_empty() {
            Some(false)
        } else {
            None
        }
    };
    let present: Vec<(&String, Option<bool>, &Option<String>)> = i
        .registry
        .iter()
        .filter_map(|(t, f)| match f {
            RegistryFacts::Present { digest, config } => {
                Some((t, build(t, digest, config), config))
            }
            _ => None,
        })
        .collect();
    if let Some((t, _, _)) = present.iter().find(|(_, same, _)| *same == Some(true)) {
        return pass(format!("{t} is in {r}"));
    }
    if let Some((t, _, _)) = present.iter().find(|(_, same, _)| same.is_none()) {
        return pass(format!(
            "{t} is in {r} (which build, the registry does not say)"
        ));
    }
    if let Some((t, _, config)) = present.first() {
        let theirs = config
            .as_deref()
            .map_or(String::new(), |c| format!(" ({})", short_id(c)));
        return fail(
            CauseId::OtherBuildPushed,
            format!("{t} in {r} is another build{theirs}"),
            format!(
                "the registry holds an older push; the image was rebuilt since ({} here)",
                short_id(&i.id)
            ),
            format!("{login}docker push {t}"),
        );
    }
    let (t, f) = i.registry.iter().next().expect("not empty");
    match f {
        RegistryFacts::Absent => fail(
            CauseId::NotPushed,
            format!("{t} is not in {r}"),
            "the image is tagged for the registry but was never pushed there",
            format!("{login}docker push {t}"),
        ),
        RegistryFacts::Refused { status: 429 } => fail(
            CauseId::RegistryRateLimited,
            format!("{r} would not answer now (status 429, too many requests)"),
            "the registry limits how often it may be asked without logging in",
            "check again in a few minutes",
        ),
        RegistryFacts::Refused { status } => fail(
            CauseId::RegistryRefused,
            format!("{r} refused to show {t} (status {status})"),
            "the grader reads the registry without logging in, and the repository is private (or the push went elsewhere)",
            "make the repository public (on Docker Hub: the repository's Settings), then check again",
        ),
        RegistryFacts::Unreachable { error } => fail(
            CauseId::RegistryUnreachable,
            format!("could not ask {r}: {error}"),
            format!("the registry {r} did not answer the grader"),
            format!(
                "check that {r} is the registry you pushed to and that it runs, then check again"
            ),
        ),
        RegistryFacts::Present { .. } => pass(format!("{t} is in {r}")),
    }
}
