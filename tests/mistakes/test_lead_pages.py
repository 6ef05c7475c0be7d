"""The lead's pages of mistake review through Django's test client: opening a review with the
form (its errors on the fields), the list, the summary's figures from known judgments, a
decision on a disputed mistake, the ImageNet-M pick and its way to the cut; experts refused."""

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from annotator.catalogue import file_name_of
from annotator.models import Classifier
from mistakes.models import MistakeDecision, MistakeReview
from reviews.models import ReviewSet
from tests.mistakes.judged import disputed_mistake, judge_the_panel
from tests.scoring.fixtures import make_model

pytestmark = pytest.mark.django_db


class _Tables(HTMLParser):
    """The text of each cell of each row of the tables whose class list has ``wanted``."""

    def __init__(self, wanted: str):
        super().__init__()
        self.wanted, self.depth, self.rows, self.cell = wanted, 0, [], None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table":
            self.depth += 1 if (self.depth or self.wanted in classes) else 0
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(response, table_class: str) -> list[list[str]]:
    parser = _Tables(table_class)
    parser.feed(response.content.decode())
    return parser.rows


def text(response) -> str:
    """The page's text as a person reads it: tags out, spaces folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def judged(mistake_review, ada, ben, class_image):
    judge_the_panel(mistake_review, ada, ben, class_image)
    return mistake_review


def summary_url(review_set: ReviewSet, query: str = "") -> str:
    return reverse("mistakes:lead-summary", args=[review_set.pk]) + query


# Opening a review


def test_the_form_offers_the_releases_and_only_models_with_predictions(
    client, lead, small_release, mistake_models
):
    Classifier.objects.create(
        name="no-predictions", top_k=1, image_count=0, source="-", imported_at=timezone.now()
    )
    client.force_login(lead)
    response = client.get(reverse("mistakes:lead-new"))
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<option value="1.0.0" selected>1.0.0 \(1,000 images', page)
    assert 'value="alpha"' in page and 'value="beta"' in page
    assert "no-predictions" not in page
    assert "2 with stored predictions" in text(response)


def test_a_lead_opens_a_review_through_the_form_and_lands_on_its_summary(
    client, lead, small_release, mistake_models
):
    client.force_login(lead)
    response = client.post(
        reverse("mistakes:lead-new"),
        {
            "name": "dough or bagel",
            "release": "1.0.0",
            "models": ["alpha", "beta"],
            "overlap": 3,
            "order": "shuffled",
            "lease_minutes": 20,
            "description": "the first pass",
        },
        follow=True,
    )
    review_set = ReviewSet.objects.get(name="dough or bagel")
    assert response.redirect_chain == [(summary_url(review_set), 302)]
    assert (
        "Mistake review “dough or bagel” opened: 4 images with 4 mistakes of 2 models "
        "for the panel to judge." in text(response)
    )
    assert (review_set.kind, review_set.overlap, review_set.order) == ("mistakes", 3, "shuffled")
    assert review_set.lease_minutes == 20 and review_set.description == "the first pass"
    assert MistakeReview.objects.get(review_set=review_set).model_names == ["alpha", "beta"]
    assert "0 of 4 images" in text(response)


def test_the_form_shows_each_refusal_on_its_field_and_opens_nothing(
    client, lead, small_release, mistake_models, mistake_review
):
    make_model("perfect")
    client.force_login(lead)
    url = reverse("mistakes:lead-new")
    base = {"release": "1.0.0", "overlap": 2, "order": "class", "lease_minutes": 30}

    nothing_chosen = client.post(url, {**base, "name": "no models"})
    assert nothing_chosen.status_code == 400
    assert re.search(
        r'id="models-errors"><span class="error" role="alert">Choose at least one model\.',
        nothing_chosen.content.decode(),
    )

    # The service's refusals, keyed by field, land on the field they name.
    taken = client.post(url, {**base, "name": "mistakes of alpha and beta", "models": ["alpha"]})
    assert taken.status_code == 400
    assert re.search(
        r'name="name"[^>]*>\s*<span class="error" role="alert">A review set named '
        r"“mistakes of alpha and beta” exists already\.",
        taken.content.decode(),
    )
    no_mistakes = client.post(url, {**base, "name": "flawless", "models": ["perfect"]})
    assert no_mistakes.status_code == 400
    assert re.search(
        r'id="models-errors"><span class="error" role="alert">The chosen models make no mistake '
        r"on release 1\.0\.0\.",
        no_mistakes.content.decode(),
    )
    # What was typed and chosen is kept.
    assert re.search(r'value="perfect"[^>]*checked', no_mistakes.content.decode())
    bad_overlap = client.post(url, {**base, "name": "x", "models": ["alpha"], "overlap": 0})
    assert "Ensure this value is greater than or equal to 1." in text(bad_overlap)
    assert ReviewSet.objects.filter(kind="mistakes").count() == 1


# The list


def test_the_list_shows_each_review_with_progress_disputes_and_imagenet_m(client, lead, judged):
    client.force_login(lead)
    response = client.get(reverse("mistakes:lead-list"))
    assert response.status_code == 200
    rows = table_rows(response, "mr-list")
    assert rows[1] == [
        "mistakes of alpha and beta",
        "1.0.0",
        "alpha, beta",
        "3 / 4",
        "2 / 4",
        "1",
        "1",
    ]
    assert 'href="/mistakes/new/"' in response.content.decode()
    assert "New mistake review" in text(response)


def test_the_lead_navigation_links_the_mistake_reviews(client, lead, ada):
    client.force_login(lead)
    page = client.get(reverse("mistakes:lead-list")).content.decode()
    assert '<a href="/mistakes/" aria-current="page">Mistakes</a>' in page
    client.force_login(ada)
    assert ">Mistakes</a>" not in client.get(reverse("annotator:class-list")).content.decode()


# The summary


def test_the_summary_counts_each_models_mistakes_by_category_and_severity(client, lead, judged):
    client.force_login(lead)
    response = client.get(summary_url(judged))
    assert response.status_code == 200
    page = text(response)
    assert "3 of 4 images (6 of 8 reviews submitted)" in page
    assert (
        "4 mistakes (distinct wrong predictions) 2 with an outcome 1 disputed 1 not judged yet"
        in page
    )
    # The table under the bars: five categories, three severities, waiting, total.
    rows = table_rows(response, "mr-table")
    assert rows[1][:5] == [
        "Fine-grained error",
        "Fine-grained error with OOV",
        "Fine-grained with Multilabel Options",
        "Spurious Correlation",
        "Non-prototypical",
    ]
    assert rows[2] == ["alpha", "1", "0", "0", "0", "1", "1", "1", "0", "1", "3"]
    assert rows[3] == ["beta", "1", "0", "0", "0", "0", "1", "0", "0", "2", "3"]
    # The bars say the same, each segment titled with its figures.
    assert "Each model's mistakes by failure category and by severity" in page
    assert "<title>alpha: Non-prototypical, 1 of 3 mistakes</title>" in response.content.decode()
    assert (
        "<title>beta: waiting for an outcome, 2 of 3 mistakes</title>" in response.content.decode()
    )


def test_the_summary_lists_the_confused_class_pairs_by_name(client, lead, judged):
    client.force_login(lead)
    rows = table_rows(client.get(summary_url(judged)), "mr-pairs")
    from annotator.models import ImageClass

    name = {c.index: c.name for c in ImageClass.objects.filter(index__in=[1, 2, 500, 501])}
    assert rows[1] == [name[1], "→", name[500], "1"]
    assert rows[2] == [name[2], "→", name[501], "1"]
    assert len(rows) == 5  # the header and four pairs


def test_a_disputed_mistake_shows_every_judgment_and_a_decision_changes_the_outcome(
    client, lead, judged, class_image
):
    client.force_login(lead)
    mistake = disputed_mistake(judged, class_image)
    before = client.get(summary_url(judged, "?min_models=2"))
    page = text(before)
    assert "Disputed mistakes: 1" in page
    assert file_name_of(class_image(2)) in page
    judgments = table_rows(before, "mr-judgments")
    assert judgments[1:] == [
        ["ada", "Spurious Correlation", "Major", "answers from the water behind it"],
        ["ben", "Fine-grained error", "Minor", "—"],
    ]
    assert "ImageNet-M: 1 image" in page

    decide = reverse("mistakes:lead-decide", args=[judged.pk, mistake.pk])
    response = client.post(
        decide + "?min_models=2",
        {"category": "spurious_correlation", "severity": "major", "note": "the water decides"},
    )
    assert response.status_code == 302
    assert response["Location"] == summary_url(judged, "?min_models=2#disputed")
    after = client.get(response["Location"])
    page = text(after)
    assert (
        f"Decided {file_name_of(class_image(2))}, predicted “{mistake.predicted.name}”: "
        "Spurious Correlation, major." in page
    )
    assert "Disputed mistakes: 0" in page and "Nothing disputed: 1 mistake not judged yet." in page
    assert "Major mistakes: 2" in page
    assert "ImageNet-M: 2 images" in page
    rows = table_rows(after, "mr-table")
    assert rows[2] == ["alpha", "1", "0", "0", "1", "1", "2", "1", "0", "0", "3"]
    decision = MistakeDecision.objects.get(mistake=mistake)
    assert (decision.decided_by, decision.note) == (lead, "the water decides")


def test_an_incomplete_decision_comes_back_with_its_error_and_saves_nothing(
    client, lead, judged, class_image
):
    client.force_login(lead)
    mistake = disputed_mistake(judged, class_image)
    response = client.post(
        reverse("mistakes:lead-decide", args=[judged.pk, mistake.pk]),
        {"category": "fine_grained", "severity": "", "note": "unsure"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The decision was not saved: choose a category and a severity." in text(response)
    assert re.search(
        rf'id="decide-{mistake.pk}-severity".*?<span class="error" role="alert">This field is '
        "required.",
        page,
        re.S,
    )
    assert re.search(r'<option value="fine_grained" selected>', page)  # the choice is kept
    assert not MistakeDecision.objects.exists()


def test_a_mistake_of_another_review_cannot_be_decided_through_this_one(
    client, lead, judged, class_image, small_release, mistake_models
):
    from mistakes.services.mistake_reviews import open_mistake_review

    other = open_mistake_review(
        name="other", release=small_release, classifiers=mistake_models[:1], created_by=lead
    )
    client.force_login(lead)
    mistake = disputed_mistake(judged, class_image)
    response = client.post(
        reverse("mistakes:lead-decide", args=[other.pk, mistake.pk]),
        {"category": "fine_grained", "severity": "minor"},
    )
    assert response.status_code == 404
    assert not MistakeDecision.objects.exists()


def test_the_major_mistakes_link_to_their_image_pages(client, lead, judged, class_image):
    client.force_login(lead)
    response = client.get(summary_url(judged))
    page = response.content.decode()
    section = page[page.index('id="major"') : page.index('id="imagenet-m"')]
    assert "Major mistakes: 1" in text(response)
    assert f'href="/images/{class_image(1)}/"' in section
    assert file_name_of(class_image(1)) in section
    assert file_name_of(class_image(3)) not in section  # minor


def test_imagenet_m_follows_the_numbers_and_states_the_rule(
    client, lead, judged, class_image, small_release
):
    mistake = disputed_mistake(judged, class_image)
    MistakeDecision.objects.create(
        mistake=mistake, category="fine_grained", severity="major", decided_at=timezone.now()
    )
    client.force_login(lead)
    page = text(client.get(summary_url(judged, "?min_models=2")))
    assert "ImageNet-M: 2 images" in page
    assert (
        "An image is picked when at least 2 of the chosen models get it wrong and the panel's "
        "outcome of every mistake on it is major" in page
    )
    one = client.get(summary_url(judged, "?min_models=2&limit=1"))
    assert "ImageNet-M: 1 image" in text(one)
    assert "and only the first 1 are kept" in text(one)
    first = min(class_image(1), class_image(2))
    assert f'name="imagenet_m" value="{file_name_of(first)}"' in one.content.decode()

    too_many = client.get(summary_url(judged, "?min_models=3"))
    assert too_many.status_code == 400
    assert "The review has 2 models: at most 2." in text(too_many)
    assert "Correct the numbers above to see the pick." in text(too_many)
    assert client.get(summary_url(judged, "?limit=0")).status_code == 400


def test_the_cut_button_posts_the_pick_to_the_cut_preview(
    client, lead, judged, class_image, small_release
):
    from releases.exchange import write_label_file
    from releases.services.releases import seed_consensus
    from tests.scoring.fixtures import small_label_file

    seed_consensus(data=write_label_file(small_label_file()), source="small.json", label="seed")
    client.force_login(lead)
    page = client.get(summary_url(judged)).content.decode()
    form = page[page.index('class="card mr-cut"') :]
    form = form[: form.index("</form>")]
    assert 'action="/releases/cut/"' in page[page.index('class="card mr-cut"') - 80 :]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    assert fields["step"] == "preview"
    assert fields["imagenet_m"] == file_name_of(class_image(1))
    assert fields["version"] == "1.1.0"  # the newest release's next minor version
    preview = client.post(
        reverse("release:cut"),
        {k: fields[k] for k in ("step", "imagenet_m", "version", "notes")},
    )
    assert preview.status_code == 200
    assert "Cut release 1.1.0?" in text(preview)
    assert "1 in ImageNet-M" in text(preview)
    assert f'name="imagenet_m" value="{file_name_of(class_image(1))}"' in preview.content.decode()


def test_a_review_without_judgments_says_what_waits(client, lead, mistake_review):
    client.force_login(lead)
    page = text(client.get(summary_url(mistake_review)))
    assert "Nothing disputed: 4 mistakes not judged yet." in page
    assert "No major mistake yet." in page
    assert "No image is picked yet" in page


def test_a_label_review_set_has_no_mistake_summary(client, lead, review_set):
    client.force_login(lead)
    assert client.get(summary_url(review_set)).status_code == 404


# Experts are refused everywhere


def test_experts_are_refused_on_every_lead_page(client, ada, judged, class_image):
    mistake = disputed_mistake(judged, class_image)
    client.force_login(ada)
    for method, url in [
        ("get", reverse("mistakes:lead-list")),
        ("get", reverse("mistakes:lead-new")),
        ("post", reverse("mistakes:lead-new")),
        ("get", summary_url(judged)),
        ("post", reverse("mistakes:lead-decide", args=[judged.pk, mistake.pk])),
    ]:
        response = getattr(client, method)(
            url, {"category": "fine_grained", "severity": "major"} if method == "post" else {}
        )
        assert response.status_code == 403, url
        assert "Only panel leads manage mistake reviews." in text(response)
    assert not MistakeDecision.objects.exists()
    client.logout()
    response = client.get(reverse("mistakes:lead-list"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
