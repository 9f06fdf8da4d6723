"""Validation against the agreement's quotas: what is recorded, what is refused."""

from belspo.pleiades.quota import config
from belspo.pleiades.quota import service
from datetime import date
from datetime import timedelta
from plone import api
from Products.CMFCore.WorkflowCore import WorkflowException
from tests.content import world

import pytest


def transition(obj, name, user, comment=""):
    with api.env.adopt_user(username=user):
        api.portal.get_tool("portal_workflow").doActionFor(obj, name, comment=comment)


def small_year() -> int:
    """Today's agreement year with small numbers: 100 attempts, 10 priority,
    12 a month, 200 extraction scenes."""
    year = config.year_of(date.today())
    records = config.settings(year)
    records.capacity = 2500
    records.annual_sales = 5000
    return year


def submitted(portal, request_id, attempts=1, mode="standard", kind="programming"):
    obj = world.request(portal, request_id)
    obj.estimated_attempts = attempts
    obj.priority_mode = mode
    if kind == "extraction":
        obj.kind = "extraction"
        obj.scenes = [f"DS_SCENE_{i}" for i in range(attempts)]
    world.set_state(obj, "submitted")
    return obj


def state(obj):
    return api.content.get_state(obj=obj)


@pytest.fixture
def portal_with_world(portal):
    world.build(portal)
    small_year()
    return portal


def test_within_quota_is_recorded_with_who_when_and_rules(portal_with_world):
    request = submitted(portal_with_world, "r-ok", attempts=5)
    transition(request, "validate", "validator", "Fits the plan")
    decision = request.quota_decision
    assert state(request) == "validated"
    assert decision["category"] == "within quota"
    assert decision["within_quota"] is True
    assert decision["price"] == 0.0
    assert decision["validator"] == "validator"
    assert decision["reason"] == "Fits the plan"
    assert decision["date"][:10] == date.today().isoformat()
    assert [r["rule"] for r in decision["rules"]] == ["yearly-rights", "monthly-pacing"]
    assert all(r["passed"] for r in decision["rules"])
    assert decision["attempts"] == 5
    assert decision["product_type"] == "tasking"
    assert 7000 < decision["area_km2"] < 8000  # 1° × 1° at 50° N
    ledger = service.ledger(decision["year"])
    assert ledger.rights_used == 5
    assert ledger.rights_remaining == 95


def test_past_the_yearly_rights_is_validated_beyond_quota_and_priced(
    portal_with_world,
):
    for index in range(9):
        request = submitted(portal_with_world, f"big{index}", attempts=11)
        transition(request, "validate", "validator", "pacing agreed")
    last = submitted(portal_with_world, "r-last", attempts=2)
    transition(last, "validate", "validator", "over the rights")
    decision = last.quota_decision
    assert decision["within_quota"] is False
    assert decision["category"] == "Category 3 -20%"
    failed = [r for r in decision["rules"] if not r["passed"] and r["blocking"]]
    assert [r["rule"] for r in failed] == ["yearly-rights"]
    assert "only 1 of 100 remaining" in failed[0]["message"]
    # 7 900 km² of tasking at 17.50 €/km², less 20 %.
    assert decision["price"] == pytest.approx(decision["area_km2"] * 17.5 * 0.8, 0.01)
    ledger = service.ledger(decision["year"])
    assert ledger.rights_used == 99  # beyond-quota spends no rights
    assert ledger.beyond_quota_count == 1
    assert ledger.beyond_quota_spent == decision["price"]


def test_priority_past_its_share_is_beyond_quota(portal_with_world):
    first = submitted(portal_with_world, "p1", attempts=8, mode="priority")
    transition(first, "validate", "validator")
    second = submitted(portal_with_world, "p2", attempts=3, mode="priority")
    transition(second, "validate", "validator")
    decision = second.quota_decision
    assert decision["within_quota"] is False
    assert decision["product_type"] == "priority-tasking"
    failed = [r["rule"] for r in decision["rules"] if not r["passed"]]
    assert failed == ["priority-share"]


def test_extraction_past_its_rights_is_beyond_quota(portal_with_world):
    first = submitted(portal_with_world, "e1", attempts=150, kind="extraction")
    transition(first, "validate", "validator")
    assert first.quota_decision["within_quota"] is True
    second = submitted(portal_with_world, "e2", attempts=60, kind="extraction")
    transition(second, "validate", "validator")
    decision = second.quota_decision
    assert decision["within_quota"] is False
    assert [r["rule"] for r in decision["rules"]] == ["extraction-rights"]
    # Scenes not in the archive: the minimum order of the archive price line.
    assert decision["price"] == pytest.approx(25 * 10.0 * 0.8)
    assert service.ledger(decision["year"]).extraction_used == 150


def test_the_pacing_cap_needs_a_written_reason(portal_with_world):
    request = submitted(portal_with_world, "r-pacing", attempts=13)
    with pytest.raises(WorkflowException, match="monthly pacing cap"):
        transition(request, "validate", "validator", "  ")
    assert state(request) == "submitted"
    assert request.quota_decision is None
    transition(request, "validate", "validator", "Flood emergency in Wallonia")
    decision = request.quota_decision
    assert decision["within_quota"] is True
    assert decision["reason"] == "Flood emergency in Wallonia"
    pacing = [r for r in decision["rules"] if r["rule"] == "monthly-pacing"][0]
    assert pacing["passed"] is False and pacing["blocking"] is False


@pytest.mark.parametrize("attempts", [0, 10_000])
def test_absurd_numbers_of_attempts_are_refused(portal_with_world, attempts):
    request = submitted(portal_with_world, "r-absurd", attempts=attempts)
    with pytest.raises(WorkflowException, match="attempt"):
        transition(request, "validate", "validator", "ok")
    assert state(request) == "submitted"
    assert request.quota_decision is None
    assert service.recorded(config.year_of(date.today())) == []


@pytest.mark.parametrize("user", ["owner", "leader", "member", "operator"])
def test_a_member_cannot_forge_a_validation(portal_with_world, user):
    request = submitted(portal_with_world, "r-forged", attempts=1)
    with pytest.raises(WorkflowException):
        transition(request, "validate", user, "I validate myself")
    assert state(request) == "submitted"
    assert request.quota_decision is None


def test_every_validation_writes_the_shared_book(portal_with_world):
    # Concurrent validations conflict on it, whatever else they write.
    before = service.book().validations
    transition(
        submitted(portal_with_world, "r-book", attempts=1), "validate", "validator"
    )
    assert service.book().validations == before + 1


def test_the_decision_cannot_be_recorded_twice(portal_with_world):
    request = submitted(portal_with_world, "r-twice", attempts=1)
    transition(request, "validate", "validator")
    with pytest.raises(service.QuotaError, match="recorded already"):
        service.validate(request, "again")


def test_a_verdict_other_than_the_one_shown_is_refused(portal_with_world):
    request = submitted(portal_with_world, "r-shown", attempts=1)
    portal_with_world.REQUEST.form.update(
        quota_category="within quota", quota_price="0"
    )
    other = submitted(portal_with_world, "r-other", attempts=100)
    transition(other, "validate", "validator", "all of it")
    with pytest.raises(WorkflowException, match="quotas changed"):
        transition(request, "validate", "validator")
    assert request.quota_decision is None
    assert state(request) == "submitted"


def test_cancelled_and_failed_requests_give_their_rights_back(portal_with_world):
    kept = submitted(portal_with_world, "r-kept", attempts=4)
    dropped = submitted(portal_with_world, "r-dropped", attempts=6)
    for request in (kept, dropped):
        transition(request, "validate", "validator")
    year = kept.quota_decision["year"]
    assert service.ledger(year).rights_used == 10
    transition(dropped, "cancel", "owner", "No longer needed")
    assert service.ledger(year).rights_used == 4


def test_no_agreement_year_refuses_validation(portal_with_world):
    request = submitted(portal_with_world, "r-noyear", attempts=1)
    records = config.settings(config.year_of(date.today()))
    records.start = date.today() + timedelta(days=400)
    with pytest.raises(WorkflowException, match="no agreement year covers"):
        transition(request, "validate", "validator")
