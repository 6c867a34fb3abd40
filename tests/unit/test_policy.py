"""The accounts policy: C accounts created in the CP against L licensed."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.licensing.extractor import policy as extractor_policy
from app.licensing.policy import PolicyResult, Verdict, accounts_policy, packs_needed

accounts = st.integers(min_value=0, max_value=10**9)
pack_sizes = st.integers(min_value=1, max_value=500)
RANK = {Verdict.OK: 0, Verdict.GRACE: 1, Verdict.BLOCKED: 2}


STANDARD = {"pack_size": 25, "grace_percent": 10}


def verdict(licensed, created, **options):
    return accounts_policy(licensed, created, **(STANDARD | options)).verdict


@pytest.mark.parametrize(
    ("created", "expected"),
    [(0, Verdict.OK), (100, Verdict.OK), (101, Verdict.GRACE), (109, Verdict.GRACE), (110, Verdict.BLOCKED)],
)
def test_boundaries_for_100_licensed_accounts(created, expected):
    assert verdict(100, created) is expected


def test_nothing_licensed_blocks_the_first_account():
    assert verdict(0, 0) is Verdict.OK
    result = accounts_policy(0, 1, **STANDARD)
    assert result.verdict is Verdict.BLOCKED
    assert result.percent_over is None
    assert result.packs_needed == 1


def test_expired_trial_is_blocked_even_with_no_accounts():
    result = accounts_policy(25, 0, expired=True, **STANDARD)
    assert result.verdict is Verdict.BLOCKED
    assert result.reason == "the trial has expired"


def test_revoked_license_is_blocked_even_with_no_accounts():
    result = accounts_policy(250, 0, revoked=True, **STANDARD)
    assert result.verdict is Verdict.BLOCKED
    assert result.reason == "the license is revoked"


def test_grace_result_reports_percent_and_packs():
    assert accounts_policy(100, 109, **STANDARD) == PolicyResult(
        Verdict.GRACE, Decimal("9.00"), 1, "over by less than 10%"
    )


def test_percent_over_is_truncated_so_grace_never_shows_the_threshold():
    result = accounts_policy(10001, 11001, **STANDARD)  # exactly 9.99900...% over
    assert result.verdict is Verdict.GRACE
    assert result.percent_over == Decimal("9.99")


def test_within_license_is_zero_percent_and_zero_packs():
    assert accounts_policy(100, 60, **STANDARD) == PolicyResult(
        Verdict.OK, Decimal("0.00"), 0, "within the licensed accounts"
    )


@pytest.mark.parametrize(
    ("licensed", "created", "packs"), [(100, 100, 0), (100, 101, 1), (100, 125, 1), (100, 126, 2)]
)
def test_packs_needed_rounds_up_to_whole_packs(licensed, created, packs):
    assert packs_needed(licensed, created, 25) == packs


def test_thresholds_come_from_the_arguments():
    assert verdict(100, 119, grace_percent=20) is Verdict.GRACE
    assert accounts_policy(100, 130, pack_size=10, grace_percent=10).packs_needed == 3


@pytest.mark.parametrize("arguments", [(-1, 0), (0, -1)])
def test_negative_counts_are_refused(arguments):
    with pytest.raises(ValueError, match="must not be negative"):
        accounts_policy(*arguments, **STANDARD)


def test_the_portal_and_the_extractor_share_one_implementation():
    assert accounts_policy is extractor_policy.accounts_policy
    assert Verdict is extractor_policy.Verdict


@given(licensed=accounts, created=accounts)
def test_verdict_matches_the_rule_in_exact_fractions(licensed, created):
    if created <= licensed:
        expected = Verdict.OK
    elif licensed and Fraction(created - licensed, licensed) < Fraction(1, 10):
        expected = Verdict.GRACE
    else:
        expected = Verdict.BLOCKED
    assert verdict(licensed, created) is expected


@given(licensed=accounts, created=accounts, pack_size=pack_sizes)
def test_buying_the_packs_needed_always_gives_ok(licensed, created, pack_size):
    packs = packs_needed(licensed, created, pack_size)
    assert verdict(licensed + packs * pack_size, created, pack_size=pack_size) is Verdict.OK
    if packs:
        assert verdict(licensed + (packs - 1) * pack_size, created, pack_size=pack_size) is not Verdict.OK


@given(licensed=accounts, created=accounts)
def test_more_accounts_never_improve_the_verdict(licensed, created):
    assert RANK[verdict(licensed, created)] <= RANK[verdict(licensed, created + 1)]


@given(licensed=accounts, created=accounts, expired=st.booleans())
def test_revoked_or_expired_is_always_blocked(licensed, created, expired):
    assert verdict(licensed, created, expired=True) is Verdict.BLOCKED
    assert verdict(licensed, created, expired=expired, revoked=True) is Verdict.BLOCKED


@given(licensed=st.integers(min_value=1, max_value=10**9), created=accounts)
def test_displayed_percent_agrees_with_the_verdict(licensed, created):
    result = accounts_policy(licensed, created, **STANDARD)
    exact = max(Fraction(100 * (created - licensed), licensed), Fraction(0))
    assert 0 <= exact - Fraction(result.percent_over) < Fraction(1, 100)
    if result.verdict is Verdict.GRACE:
        assert result.percent_over < 10
