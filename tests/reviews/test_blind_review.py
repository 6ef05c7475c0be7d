"""Blind review, tried as an attacker with an expert's account would (issue 11, findings 1, 2
and 4): figures an expert can read never move with another expert's open verdicts, a release
that labels an image an expert can still claim is withheld from them, and one reader decides
which review of an expert counts, for the release cut, the adjudication queue and agreement.

The panel: ada and ben review the three sea-snake images of ``images`` (class 65; candidates
{65, 58, 62}, {65} and {58, 65}) in an overlap-2 set."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from agreement.selectors import panel_agreement
from annotator.models import Candidate, ValImage
from mistakes.models import Mistake, MistakeJudgment
from mistakes.services.judging import submit_mistake_review
from mistakes.services.mistake_reviews import open_mistake_review
from releases.models import Release, ReleaseImage
from releases.services.releases import consensus_label_file, cut_release
from reviews.models import Review, ReviewSet
from reviews.services.adjudication import adjudication_case, adjudication_queue
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from scoring.models import BlindTask
from tests.factories import attach_picture
from tests.scoring.fixtures import (
    answer,
    first_image_of_each_class,
    make_model,
    make_release,
)
from tests.test_permission_matrix import BLIND_TOKEN, TABLE, build_url

pytestmark = pytest.mark.django_db

# ben's verdicts, a pattern no other expert gives: what an attacker would try to recover.
BEN = [{65: "correct", 58: "wrong", 62: "unclear"}, {65: "wrong"}, {58: "unclear", 65: "correct"}]
ADA = [
    {65: "correct", 58: "correct", 62: "correct"},
    {65: "correct"},
    {58: "correct", 65: "correct"},
]
FLIP = {"correct": "wrong", "wrong": "unclear", "unclear": "correct"}


def snakes(lead, images, name="snakes by two", overlap=2) -> ReviewSet:
    return create_review_set(
        name=name,
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=overlap,
        created_by=lead,
    )


def review_all(review_set, expert, images, verdicts) -> list[Review]:
    """Claim and submit every image the set hands the expert, verdicts by image position."""
    position = {image.pk: i for i, image in enumerate(images)}
    done = []
    while (review := claim_next(review_set=review_set, expert=expert)) is not None:
        save_verdicts(review=review, expert=expert, verdicts=verdicts[position[review.image_id]])
        done.append(submit_review(review=review, expert=expert))
    return done


def agreement_as_seen(client) -> tuple[str, str]:
    """What the logged-in user reads of the agreement: the API's JSON and the page's main."""
    api = client.get(reverse("agreement:api"))
    page = client.get(reverse("agreement:page"))
    assert api.status_code == page.status_code == 200
    html = page.content.decode()
    return json.dumps(api.json(), sort_keys=True), html[html.index("<main") :]


# Finding 1: the agreement figures


def test_flipping_ones_own_verdicts_reveals_nothing_of_another_experts(
    client, lead, ada, ben, images
):
    review_set = snakes(lead, images)
    review_all(review_set, ben, images, BEN)
    own = review_all(review_set, ada, images, ADA)
    client.force_login(ada)
    first = agreement_as_seen(client)

    lead_view = []
    for review in own:
        for label, value in list(review.verdicts.values_list("label_id", "value")):
            save_verdicts(review=review, expert=ada, verdicts={label: FLIP[value]})
            # The attack: flip one verdict, read the figures, infer ben's verdict from the move.
            assert agreement_as_seen(client) == first
            lead_view.append(panel_agreement(review_set=review_set).experts[0].with_consensus)
    # ...which would work on the lead's figures: they do move with each flip.
    assert len(set(lead_view)) > 1


def test_the_figures_an_expert_reads_do_not_move_with_another_experts_verdicts(
    client, lead, ada, ben, images
):
    review_set = snakes(lead, images)
    review_all(review_set, ada, images, ADA)
    client.force_login(ada)
    before_ben = agreement_as_seen(client)

    bens = review_all(review_set, ben, images, BEN)
    assert agreement_as_seen(client) == before_ben
    for review, verdicts in zip(bens, BEN, strict=True):
        save_verdicts(review=review, expert=ben, verdicts={k: FLIP[v] for k, v in verdicts.items()})
    assert agreement_as_seen(client) == before_ben
    assert json.loads(before_ben[0])["scope"] == "settled"
    assert "No settled review yet" in before_ben[1]


def test_an_expert_reads_agreement_over_what_a_release_froze_with_only_their_own_row(
    client, lead, ada, ben, images
):
    review_set = snakes(lead, images)
    review_all(review_set, ben, images, BEN)
    review_all(review_set, ada, images, ADA)
    cut_release(version="1.0.0", created_by=lead)  # the set is finished: every slot done

    client.force_login(ada)
    data = client.get(reverse("agreement:api")).json()

    assert data["scope"] == "settled"
    assert (data["images"], data["items"], data["ratings"]) == (3, 6, 12)
    assert [row["username"] for row in data["experts"]] == ["ada"]
    assert data["pairwise"] == []
    html = client.get(reverse("agreement:page")).content.decode()
    assert "Cohen's kappa between experts" not in html and ">ben<" not in html
    # The lead reads everything, both experts and the pairwise kappa.
    client.force_login(lead)
    full = client.get(reverse("agreement:api")).json()
    assert full["scope"] == "all"
    assert [row["username"] for row in full["experts"]] == ["ada", "ben"]
    assert len(full["pairwise"]) == 2


# Finding 2: an interim release


@pytest.fixture
def interim(lead, ada, images):
    """ada submitted the first image of an overlap-2 set, then the lead cut 1.0.0 from it."""
    review_set = snakes(lead, images)
    review = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=review, expert=ada, verdicts=ADA[images.index(review.image)])
    submit_review(review=review, expert=ada)
    release = cut_release(version="1.0.0", created_by=lead)
    make_model("resnet")
    return review_set, review.image, release


def release_urls(version: str) -> list[str]:
    return [
        reverse("release:download", args=[version, "tfds"]),
        reverse("release:download", args=[version, "jsonl"]),
        reverse("release:download", args=[version, "csv"]),
        reverse("release:diff", args=[version, version]),
        reverse("release:api-detail", args=[version]),
        reverse("release:api-export", args=[version]) + "?format=csv",
        reverse("release:api-diff", args=[version, version]),
        reverse("release:api-imagenet-m", args=[version]) + "?models=resnet&k=1",
        reverse("scores:leaderboard", args=[version]),
        reverse("scores:model", args=[version, "resnet"]),
        reverse("scores:person", args=[version, "ada"]),
        reverse("scores:api-list", args=[version]),
        reverse("scores:api-model", args=[version, "resnet"]),
        reverse("scores:api-person", args=[version, "ada"]),
    ]


def test_an_interim_release_is_withheld_from_the_expert_who_can_still_claim_its_image(
    client, lead, ben, interim
):
    review_set, image, release = interim
    held = claim_next(review_set=review_set, expert=ben)
    assert held.image == image  # ben now holds the image whose first review 1.0.0 labels
    client.force_login(ben)

    for url in release_urls("1.0.0"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "withheld" in response.content.decode(), url
    for url in (
        reverse("scores:evaluate", args=["1.0.0"]),
        reverse("scores:api-evaluate", args=["1.0.0"]),
    ):
        assert client.post(url, {"name": "x"}).status_code == 403
    assert client.get(reverse("release:api-list")).json()["results"] == []
    listing = client.get(reverse("release:list")).content.decode()
    assert "Withheld from experts" in listing and "1.0.0" in listing
    assert reverse("release:download", args=["1.0.0", "csv"]) not in listing
    assert release.sha256[:12] not in listing
    latest = client.get(reverse("scores:latest"))
    assert latest.status_code == 200 and "No release you may read yet" in latest.content.decode()

    # The lead and a researcher outside the panel read it all along.
    researcher = add_panel_member(username="rita", password="rita-pass-2026")[0]
    researcher.groups.clear()
    for user in (lead, researcher):
        client.force_login(user)
        assert [client.get(url).status_code for url in release_urls("1.0.0")] == [200] * 14


def test_a_withheld_release_opens_to_experts_once_its_images_are_finished(client, ben, interim):
    review_set, image, _ = interim
    held = claim_next(review_set=review_set, expert=ben)
    save_verdicts(review=held, expert=ben, verdicts=BEN[0])
    client.force_login(ben)
    assert client.get(reverse("release:api-detail", args=["1.0.0"])).status_code == 403

    submit_review(review=held, expert=ben)

    # The other two images are still open, but 1.0.0 does not label them.
    assert [client.get(url).status_code for url in release_urls("1.0.0")] == [200] * 14
    assert [r["version"] for r in client.get(reverse("release:api-list")).json()["results"]] == [
        "1.0.0"
    ]


def test_a_closed_review_set_no_longer_withholds_a_release(client, ben, interim):
    review_set, _, _ = interim
    client.force_login(ben)
    assert client.get(reverse("scores:leaderboard", args=["1.0.0"])).status_code == 403

    ReviewSet.objects.filter(pk=review_set.pk).update(is_active=False)

    assert client.get(reverse("scores:leaderboard", args=["1.0.0"])).status_code == 200


# Finding 4: one reader of submitted verdicts


def test_an_experts_latest_review_is_the_one_that_counts_everywhere(client, lead, ada, ben, images):
    only = images[1]  # one candidate: 65
    first = snakes(lead, [only], name="first pass")
    review_all(first, ada, [only], [{65: "wrong"}])
    review_all(first, ben, [only], [{65: "correct"}])
    again = snakes(lead, [only], name="second pass", overlap=1)
    review_all(again, ada, [only], [{65: "correct"}])

    labels = consensus_label_file().images[only.pk]
    assert (labels.correct, labels.unclear, labels.wrong) == ({65}, set(), set())
    assert adjudication_queue().images == []
    case = adjudication_case(image=only)
    assert [review.review_set.name for review in case.reviews] == ["first pass", "second pass"]
    assert case.verdicts == {65: ["correct", "correct"]} and not case.disagree(65)
    result = panel_agreement()
    assert [(e.username, e.reviews, e.with_consensus) for e in result.experts] == [
        ("ada", 1, 1.0),
        ("ben", 1, 1.0),
    ]
    assert result.ratings == 2
    release = cut_release(version="1.0.0", created_by=lead)
    client.force_login(lead)
    csv = client.get(reverse("release:download", args=[release.version, "csv"]))
    assert f"{only.file_name},65,65,,,false" in b"".join(csv.streaming_content).decode()


# Every URL, walked as an expert who holds an image another expert has judged


def walk(client, values: dict, numbers: list[int]) -> dict[str, tuple[int, bytes]]:
    """GET every URL pattern of the site but the admin's (an expert is sent to the admin's
    log-in there) and the compare form's redirect (its message would land on the next page),
    each per-image one for every image of the set; the answers, with the parts that change with
    every request or second (CSRF tokens, "n seconds ago") blanked."""
    seen = {}
    for route, (kwargs, _) in sorted(TABLE.items()):
        if route.startswith("admin/") or route == "releases/compare/":
            continue
        per_image = (
            [{**values, "number": n} for n in numbers] if "{number}" in str(kwargs) else [values]
        )
        for sample in per_image:
            url = build_url(route, kwargs, sample)
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            seen[url] = (response.status_code, AGO.sub(b"", CSRF.sub(b"csrf", body)))
    return seen


CSRF = re.compile(rb'(?<=name="csrfmiddlewaretoken" value=")[^"]+|(?<=data-csrf=")[^"]+')
# The text of a <time> ("now", "5 seconds ago"); its datetime attribute stays.
AGO = re.compile(rb"(?<=>)[^<>]*(?=</time>)")
SECRET = "ben-secret-{}"


def tell_ben(images, ben, review_set, world: str) -> None:
    """ben's reviews of every image: in world "a" his pattern, in "b" each verdict moved on,
    with a comment and a flag note naming the world."""
    verdicts = BEN if world == "a" else [{k: FLIP[v] for k, v in b.items()} for b in BEN]
    for review in Review.objects.filter(expert=ben, review_set=review_set):
        position = [image.pk for image in images].index(review.image_id)
        review.verdicts.all().delete()
        for label, value in verdicts[position].items():
            review.verdicts.create(label_id=label, value=value)
        Review.objects.filter(pk=review.pk).update(
            comment=SECRET.format(f"comment-{world}"),
            problem_reasons=["artwork"] if world == "a" else ["edited", "original_label"],
            problem_note=SECRET.format(f"note-{world}"),
        )


def tell_ben_mistakes(ben, world: str) -> None:
    """ben's judgments of the mistakes he submitted: one category and severity in world "a",
    others in "b", with a note naming the world."""
    category, severity = (
        ("fine_grained", "major") if world == "a" else ("non_prototypical", "minor")
    )
    MistakeJudgment.objects.filter(review__expert=ben).update(
        category=category, severity=severity, note=SECRET.format(f"judgment-{world}")
    )


def cut_interim_release(lead) -> None:
    """The lead's interim release 3.0.0, cut again from the consensus of the moment."""
    ReleaseImage.objects.filter(release__version="3.0.0").delete()
    Release.objects.filter(version="3.0.0").delete()
    cut_release(version="3.0.0", created_by=lead)


def test_no_url_tells_an_expert_another_experts_verdicts_flags_or_comments(
    client, lead, ada, ben, images
):
    for image in images:
        attach_picture(image)
    review_set = snakes(lead, images)
    review_all(review_set, ben, images, BEN)
    # ada submitted the first image, and holds the second: ben judged both.
    first = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=first, expert=ada, verdicts=ADA[images.index(first.image)])
    submit_review(review=first, expert=ada)
    held = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=held, expert=ada, verdicts={65: "correct"})
    make_release("1.0.0")
    make_release("2.0.0", problematic=(3,))
    make_model("resnet")
    # A mistake review of one image: ben judged its mistake and submitted, ada holds it.
    mistaken = make_model("alexnet", {int(first_image_of_each_class()[5]): 6})
    mistake_review = open_mistake_review(
        name="alexnet's mistakes",
        release=Release.objects.get(version="1.0.0"),
        classifiers=[mistaken],
        created_by=lead,
    )
    bens_item = claim_next(review_set=mistake_review, expert=ben)
    (mistake,) = Mistake.objects.filter(review_set=mistake_review)
    submit_mistake_review(
        review=bens_item,
        expert=ben,
        judgments={mistake.pk: {"category": "fine_grained", "severity": "major"}},
    )
    mistake_item = claim_next(review_set=mistake_review, expert=ada)
    answer(ada, first_image_of_each_class()[0], 0)
    Token.objects.create(user=ada)
    BlindTask.objects.create(
        person=ada, image=images[2], token=BLIND_TOKEN, issued_at=timezone.now()
    )
    values = {
        "number": held.image_id,
        "candidate": Candidate.objects.filter(image=held.image).first().pk,
        "review_set": review_set.pk,
        "review": held.pk,
        "mistake_review": mistake_review.pk,
        "mistake_item": mistake_item.pk,
        "mistake": mistake.pk,
        "expert": ada.pk,
    }
    numbers = [image.pk for image in images]
    client.force_login(ada)

    walks = {}
    for world in ("a", "b"):
        tell_ben(images, ben, review_set, world)
        tell_ben_mistakes(ben, world)
        cut_interim_release(lead)
        walks[world] = walk(client, values, numbers)

    assert walks["a"].keys() == walks["b"].keys()
    assert len(walks["a"]) > 60
    moved = [url for url in walks["a"] if walks["a"][url] != walks["b"][url]]
    assert moved == [], f"these answers move with ben's verdicts: {moved}"
    for world, answers in walks.items():
        leaks = [url for url, (_, body) in answers.items() if b"ben-secret" in body]
        assert leaks == [], f"world {world}: ben's comment or note in {leaks}"
    # The walk reached what an expert may read: the pages and API answered, not only refusals.
    statuses = [status for status, _ in walks["a"].values()]
    assert statuses.count(200) > 40
    # ...and the lead, walking the same URLs, does see ben's verdicts move (the test can fail).
    client.force_login(lead)
    lead_walks = {}
    for world in ("a", "b"):
        tell_ben(images, ben, review_set, world)
        tell_ben_mistakes(ben, world)
        lead_walks[world] = walk(client, values, numbers)
    assert any(lead_walks["a"][url] != lead_walks["b"][url] for url in lead_walks["a"])
