"""The consensus rule, without the ORM: how the experts' verdicts on one (image, label) become
the release's label, and when an image is problematic.

- All experts who judged the label agree: that verdict (a lead's decision does not override it).
- They disagree: the lead's adjudication when there is one (the adjudication queue,
  ``/adjudication/``), else **unclear** (the brief's meaning of unclear: the experts could not
  reach agreement).
- An image is **problematic** when any expert flagged it, unless the lead dismissed the flag: a
  confirmed flag and a flag the lead has not decided yet both count. The experts' reasons and notes
  (and the lead's note on a confirmed flag) are kept for the release's ``problematic_images``
  record.
"""

from collections.abc import Iterable

from reviews.verdicts import VerdictValue


def consensus_verdict(verdicts: Iterable[str], adjudicated: str | None = None) -> str | None:
    """The consensus of the experts' verdicts on one label; None when nobody judged it."""
    given = {verdict for verdict in verdicts if verdict}
    if not given:
        return adjudicated or None
    if len(given) == 1:
        return given.pop()
    return adjudicated or VerdictValue.UNCLEAR


def is_problematic(*, flagged: bool, lead_confirmed: bool | None) -> bool:
    """Whether an image is problematic: flagged by an expert and not dismissed by the lead
    (``lead_confirmed`` is None while the lead has not decided)."""
    return flagged and lead_confirmed is not False
