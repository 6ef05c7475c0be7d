import pytest

from annotator.models import ImageClass, ValImage

pytestmark = pytest.mark.django_db


def test_catalogue_holds_every_class_and_validation_image_after_migrating():
    assert ImageClass.objects.count() == 1000
    assert ValImage.objects.count() == 50_000
    assert ValImage.objects.annotated_subset().count() == 20_000


def test_classes_are_indexed_in_sorted_wnid_order_with_their_groups():
    tench = ImageClass.objects.get(index=0)
    assert tench.wnid == "n01440764"
    assert tench.names == ["tench", "Tinca tinca"]
    assert tench.groups == ["organism"]
    assert ImageClass.objects.in_group("organism").count() == 410
    assert ImageClass.objects.in_group("object").count() == 590
    assert ImageClass.objects.in_group("dog").count() == 118


def test_first_validation_image_carries_its_original_label():
    image = ValImage.objects.select_related("original_label").get(number=1)
    assert image.file_name == "ILSVRC2012_val_00000001.JPEG"
    assert image.original_label.wnid == "n01751748"  # sea snake, line 1 of validation_labels.txt
