"""Model names follow one rule (``annotator.names``: ASCII letters, digits and . _ + -) at every
way in: ``import_predictions`` (.npy member names, the CSV and JSON Lines ``model`` column) and
the admin. A name outside it would break the URLs of the leaderboard's model pages."""

import json
import tarfile
from pathlib import PurePosixPath

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotator.catalogue import TESTBED_PREDICTIONS_20K
from annotator.models import Classifier
from annotator.names import model_name_problem
from tests.annotator.test_import_predictions import (
    FOLDER,
    INDEX,
    assert_rejected,
    database_state,
    npy_archive,
    run,
    write_csv,
)


@pytest.fixture
def earlier_import(db):
    """A database that already holds an import, so that "unchanged" means something."""
    run(FOLDER, "--index", INDEX, "--exclude", "vgg16")
    return database_state()


def test_every_real_testbed_model_name_follows_the_rule():
    with tarfile.open(TESTBED_PREDICTIONS_20K) as tar:
        names = {PurePosixPath(m.name).stem for m in tar if m.name.endswith(".npy")}
    assert len(names) == 67
    names.add("fv_16k")  # its name in the 50,000-image archive
    assert {name: model_name_problem(name) for name in names} == dict.fromkeys(names)
    assert model_name_problem("vit_base_patch16_224.augreg_in21k") is None  # timm's style


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("a/b", "is not allowed"),
        ("with space", "is not allowed"),
        ("ｒｅｓｎｅｔ", "is not allowed"),  # full-width letters
        ("résnet", "is not allowed"),
        ("-leading-dash", "is not allowed"),
        ("..", "is not allowed"),
        ("x" * 101, "is longer than 100 characters"),
        ("", "is empty or not text"),
    ],
)
def test_names_outside_the_rule_are_refused(name, problem):
    assert problem in model_name_problem(name)


def test_import_refuses_an_npy_member_whose_name_breaks_the_rule(earlier_import, tmp_path):
    data = (FOLDER / "alexnet.npy").read_bytes()
    archive = npy_archive(
        tmp_path / "bad.tar.gz", {"p/resnet50.npy": data, "p/my net%2F.npy": data}
    )
    message = assert_rejected(
        earlier_import, archive, "--index", INDEX, says="p/my net%2F.npy: model name 'my net%2F'"
    )
    assert "is not allowed: use ASCII letters, digits and . _ + -" in message


def test_import_refuses_a_csv_model_name_with_a_slash_naming_the_line(earlier_import, tmp_path):
    path = write_csv(
        tmp_path / "slash.csv",
        [
            "file_name,model,rank,label",
            "ILSVRC2012_val_00000001.JPEG,good,1,0",
            "ILSVRC2012_val_00000001.JPEG,team/net,1,0",
        ],
    )
    assert_rejected(earlier_import, path, says="line 3: model name 'team/net' is not allowed")


def test_import_refuses_a_json_lines_model_name_with_non_ascii_digits(earlier_import, tmp_path):
    row = {"file_name": "ILSVRC2012_val_00000001.JPEG", "model": "net１", "rank": 1, "label": 0}
    path = tmp_path / "digits.jsonl"
    path.write_text(json.dumps(row) + "\n")
    assert_rejected(earlier_import, path, says="line 1: model name 'net１' is not allowed")


@pytest.mark.django_db
def test_the_admin_refuses_a_model_name_outside_the_rule(client):
    admin = get_user_model().objects.create_superuser("root", password="a-long-test-password")
    client.force_login(admin)
    form = {
        "name": "team/net",
        "proposes": "on",
        "top_k": 1,
        "image_count": 1,
        "source": "x",
        "imported_at_0": "2026-01-01",
        "imported_at_1": "00:00:00",
    }
    response = client.post(reverse("admin:annotator_classifier_add"), form)
    assert response.status_code == 200
    assert "The model name “team/net” is not allowed" in response.content.decode()
    assert not Classifier.objects.exists()
