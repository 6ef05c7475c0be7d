"""The consensus rule, without the ORM: how the experts' verdicts on one (image, label) become
the release's label.

- All experts who judged the label agree: that verdict.
- They disagree: the lead's adjudication when there is one, else **unclear** (the brief's
  meaning of unclear: the experts could not reach agreement).
- An image is **problematic** when any expert flagged it (until a lead dismisses the flag); the
  reasons and notes are kept for the release's ``problematic_images`` record.
"""

from collections.abc import Iterable

CORRECT, WRONG, UNCLEAR = "correct", "wrong", "unclear"


def consensus_verdict(verdicts: Iterable[str], adjudicated: str | None = None) -> str | None:
    """The consensus of the experts' verdicts on one label; None when nobody judged it."""
    given = {verdict for verdict in verdicts if verdict}
    if not given:
        return adjudicated or None
    if len(given) == 1:
        return given.pop()
    return adjudicated or UNCLEAR
