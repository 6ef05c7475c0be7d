"""ImageNet-M candidates: images of a release that at least k chosen models still get wrong
after review (correct and unclear labels forgive a model; problematic images are left out)."""

import json

import numpy as np
import pytest
from django.utils import timezone

from annotator.models import Classifier, Predictions
from releases.services.imagenet_m import count_still_wrong, imagenet_m_candidates
from releases.services.releases import import_release


def test_count_still_wrong_by_hand():
    # image 1 accepts {5}; image 2 accepts {7, 8} (8 unclear); image 3 accepts nothing.
    numbers = np.array([1, 2, 3])
    accepted_images, accepted_labels = np.array([1, 2, 2]), np.array([5, 7, 8])
    model_a = (np.array([1, 2, 3]), np.array([5, 8, 4]))  # right, right (unclear), wrong
    model_b = (np.array([1, 3]), np.array([6, 0]))  # wrong, (no image 2), wrong
    model_c = (np.array([1, 2, 3]), np.array([-1, 9, 4]))  # absent, wrong, wrong
    wrong = count_still_wrong(
        numbers, accepted_images, accepted_labels, [model_a, model_b, model_c]
    )
    assert wrong.tolist() == [
        [False, False, True],
        [True, False, True],
        [False, True, True],
    ]
    assert wrong.sum(axis=0).tolist() == [1, 1, 3]


def test_count_still_wrong_with_no_models_or_images_is_empty():
    assert count_still_wrong(np.array([]), np.array([]), np.array([]), []).shape == (0, 0)
    empty = (np.array([], dtype=np.int32), np.array([], dtype=np.int16))
    assert count_still_wrong(np.array([1]), np.array([1]), np.array([2]), [empty]).tolist() == [
        [False]
    ]


def classifier(name: str, numbers: list[int], top1: list[int]) -> Classifier:
    made = Classifier.objects.create(
        name=name, top_k=2, image_count=len(numbers), source="test", imported_at=timezone.now()
    )
    labels = np.array([[label, 999] for label in top1], dtype="<i2")
    Predictions.objects.create(
        classifier=made,
        image_numbers=np.array(numbers, dtype="<i4").tobytes(),
        labels=labels.tobytes(),
    )
    return made


@pytest.mark.django_db
def test_candidates_of_a_release_leave_out_problematic_images_and_honour_k():
    wnids = ["n01440764", "n01443537", "n01484850"]  # class indices 0, 1, 2
    document = {
        "initial_annots": {
            "ILSVRC2012_val_00000001.JPEG": {"correct": [wnids[0]], "unclear": [wnids[1]]},
            "ILSVRC2012_val_00000002.JPEG": {"correct": [wnids[2]]},
            "ILSVRC2012_val_00000003.JPEG": {"wrong": [wnids[0]]},
        },
        "problematic_images": {
            "ILSVRC2012_val_00000004.JPEG": {
                "reason": "drawing",
                "reviewer": "ada",
                "server_username": "ada",
                "time_marked": "2026-01-01T00:00:00",
                "time_reviewed": "2026-01-01T00:00:00",
            }
        },
        "imagenet_m": ["ILSVRC2012_val_00000001.JPEG"],  # the TFDS builder needs one
    }
    release, _ = import_release(data=json.dumps(document), version="1.0.0", source="test")
    a = classifier("a", [1, 2, 3, 4], [1, 0, 0, 0])  # right (unclear), wrong, wrong, -
    b = classifier("b", [1, 2, 3, 4], [0, 2, 0, 0])  # right, right, wrong, -
    c = classifier("c", [1, 2, 3, 4], [2, 0, 1, 0])  # wrong, wrong, wrong, -

    two = imagenet_m_candidates(release=release, classifiers=[a, b, c], min_wrong=2)
    assert [(x.file_name, x.wrong_models) for x in two] == [
        ("ILSVRC2012_val_00000003.JPEG", ["a", "b", "c"]),
        ("ILSVRC2012_val_00000002.JPEG", ["a", "c"]),
    ]
    one = imagenet_m_candidates(release=release, classifiers=[a, b, c], min_wrong=1)
    assert [x.number for x in one] == [3, 2, 1]  # image 4 is problematic: never a candidate


@pytest.mark.django_db
def test_candidates_refuse_a_k_larger_than_the_models(client, ada):
    release, _ = import_release(
        data='{"initial_annots": {"ILSVRC2012_val_00000001.JPEG": {"correct": ["n01440764"]}},'
        ' "imagenet_m": ["ILSVRC2012_val_00000001.JPEG"]}',
        version="1.0.0",
        source="test",
    )
    classifier("a", [1], [3])
    client.force_login(ada)
    response = client.get("/api/releases/1.0.0/imagenet-m/", {"models": ["a"], "k": "2"})
    assert response.status_code == 400 and "k must be between" in response.json()["detail"]
    response = client.get("/api/releases/1.0.0/imagenet-m/", {"models": ["a", "zz"]})
    assert response.status_code == 400 and "zz" in response.json()["detail"]
    body = client.get("/api/releases/1.0.0/imagenet-m/", {"models": ["a"], "k": "1"}).json()
    assert body["candidates"] == [
        {"file_name": "ILSVRC2012_val_00000001.JPEG", "wrong_models": ["a"]}
    ]
    assert release.version == body["release"]
