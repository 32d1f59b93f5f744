"""The QĐ 18/2022 revocation rule, pure.

A commune's recognition is revoked when 30 % to under 50 % of the criteria fail and a key criterion
is among them, or when 50 % or more fail. A district's also when 30 % or more of its communes lost
their recognition. The shares are configurable defaults in `workflow.rules`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from workflow.errors import join_vi
from workflow.rules import DEFAULT_RULES, Rules


@dataclass(frozen=True)
class RevocationFinding:
    """Why the rule fires: kept on the revocation case and in its audit event."""

    failed: tuple[int, ...]
    total: int
    key_failed: tuple[int, ...]
    reason: str

    @property
    def share(self) -> float:
        return len(self.failed) / self.total if self.total else 0.0


def revocation_finding(
    total_criteria: int,
    failed_criteria: Collection[int],
    key_criteria: Collection[int],
    *,
    revoked_communes_share: float | None = None,
    rules: Rules = DEFAULT_RULES,
) -> RevocationFinding | None:
    """The finding if the re-assessment falls under the rule, else None."""
    if total_criteria <= 0:
        raise ValueError("a criteria set without criteria cannot be re-assessed")
    failed = tuple(sorted(set(failed_criteria)))
    key_failed = tuple(number for number in failed if number in set(key_criteria))
    share = len(failed) / total_criteria
    lower = rules.revocation_lower_share.value
    upper = rules.revocation_upper_share.value
    listed = join_vi(str(n) for n in failed)
    if share >= upper:
        reason = f"{len(failed)}/{total_criteria} tiêu chí không đạt (từ {upper:.0%} trở lên): tiêu chí {listed}"
        return RevocationFinding(failed, total_criteria, key_failed, reason)
    if share >= lower and key_failed:
        reason = (
            f"{len(failed)}/{total_criteria} tiêu chí không đạt (từ {lower:.0%} đến dưới {upper:.0%}), "
            f"có tiêu chí trọng yếu {join_vi(str(n) for n in key_failed)}"
        )
        return RevocationFinding(failed, total_criteria, key_failed, reason)
    communes_share = rules.district_revoked_communes_share.value
    if revoked_communes_share is not None and revoked_communes_share >= communes_share:
        reason = f"{revoked_communes_share:.0%} số xã bị thu hồi quyết định công nhận (từ {communes_share:.0%})"
        return RevocationFinding(failed, total_criteria, key_failed, reason)
    return None
