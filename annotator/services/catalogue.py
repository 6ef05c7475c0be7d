"""Fill the catalogue tables from the shipped data files."""

from django.db import transaction

from annotator.catalogue import annotated_subset_numbers, original_labels, read_class_facts


@transaction.atomic
def populate_catalogue(*, image_class_model=None, val_image_model=None) -> None:
    """Create the 1000 classes and the 50,000 validation images.

    The first migration calls this with its historical models; tests that flush the database
    (browser tests against a live server) call it with the current ones.
    """
    if image_class_model is None or val_image_model is None:
        from annotator.models import ImageClass, ValImage

        image_class_model, val_image_model = ImageClass, ValImage
    image_class_model.objects.bulk_create(
        image_class_model(**vars(facts)) for facts in read_class_facts()
    )
    labels = original_labels()
    subset = annotated_subset_numbers()
    val_image_model.objects.bulk_create(
        (
            val_image_model(
                number=number,
                original_label_id=int(labels[number]),
                in_annotated_subset=number in subset,
            )
            for number in range(1, len(labels))
        ),
        batch_size=5000,
    )
