"""The agreement per year: registry records, the control panel, closed years."""

from belspo.pleiades.interfaces import IBrowserLayer
from belspo.pleiades.quota import config
from belspo.pleiades.quota.engine import QuotaError
from datetime import date
from plone.app.testing import setRoles
from plone.app.testing import TEST_USER_ID
from zope.interface import alsoProvides

import pytest
import re


def test_the_site_opens_todays_year_with_the_agreement_defaults(portal):
    year = config.year_of(date.today())
    assert year == date.today().year
    agreement = config.agreement(year)
    assert agreement.rights == 5000  # 4 % of 125 000 attempts
    assert agreement.priority_cap == 500
    assert agreement.monthly_cap == 600
    assert agreement.extraction_rights == 200  # 4 % of 5 000 scenes, above 150
    assert agreement.discount_label == "Category 3 -20%"
    assert set(agreement.prices) == {"archive", "tasking", "priority-tasking"}


def test_a_new_year_copies_the_last_and_leaves_it_as_it_was(portal):
    year = date.today().year
    config.settings(year).capacity = 100_000
    config.open_year(year + 1)
    config.settings(year + 1).capacity = 150_000
    assert config.agreement(year).capacity == 100_000
    assert config.agreement(year + 1).capacity == 150_000
    assert config.agreement(year + 1).start == date(year + 1, 1, 1)
    assert config.years() == [year, year + 1]


def test_years_may_not_overlap_or_start_in_another_year(portal):
    year = date.today().year
    with pytest.raises(QuotaError, match="exists already"):
        config.open_year(year)
    with pytest.raises(QuotaError, match="overlaps"):
        config.open_year(year - 1, start=date(year - 1, 6, 1))
    with pytest.raises(QuotaError, match="must start in"):
        config.open_year(year + 5, start=date(year + 4, 12, 1))


def test_a_bad_price_line_is_explained(portal):
    with pytest.raises(QuotaError, match="type | price per km² | minimum km²"):
        config.parse_price_line("tasking 17.50")
    with pytest.raises(QuotaError, match="must be numbers"):
        config.parse_price_line("tasking | cheap | 100")


class TestControlPanel:
    @pytest.fixture(autouse=True)
    def _manager(self, portal):
        setRoles(portal, TEST_USER_ID, ["Manager"])
        self.portal = portal
        self.request = portal.REQUEST
        alsoProvides(self.request, IBrowserLayer)

    def render(self, **form):
        self.request.form.update(form)
        view = self.portal.restrictedTraverse("@@agreement-controlpanel")
        return view()

    def test_lists_the_years_and_edits_the_current(self):
        year = date.today().year
        html = self.render()
        assert f"Agreement year {year}" in html
        assert re.search(r'<input[^>]* name="form.widgets.capacity"', html)
        assert "5000" in html  # the rights the numbers give

    def test_an_ended_year_is_shown_not_edited(self):
        past = date.today().year - 3
        config.open_year(past, start=date(past, 1, 1))
        html = self.render(year=str(past))
        assert f"Agreement year {past}" in html
        assert not re.search(r'<input[^>]* name="form.widgets.capacity"', html)
        assert "form.buttons.save" not in html
        assert "ended" in html
