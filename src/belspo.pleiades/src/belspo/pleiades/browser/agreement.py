"""The agreement's control panel: one form per agreement year.

``@@agreement-controlpanel?year=2026`` edits that year's registry records; an
ended year is shown but not changed. "Open the next year" copies the latest
year's numbers twelve months on.
"""

from belspo.pleiades import _
from belspo.pleiades.quota import config
from belspo.pleiades.quota.engine import QuotaError
from datetime import date
from plone.app.registry.browser.controlpanel import ControlPanelFormWrapper
from plone.autoform.form import AutoExtensibleForm
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from Products.statusmessages.interfaces import IStatusMessage
from z3c.form import button
from z3c.form import form
from z3c.form.interfaces import DISPLAY_MODE
from zope.i18n import translate


class AgreementForm(AutoExtensibleForm, form.EditForm):
    """The numbers of one agreement year."""

    schema = config.IAgreementYear
    ignoreContext = False

    def update(self):
        known = config.years()
        asked = self.request.form.get("year", "")
        current = config.year_of(date.today())
        self.year = (
            int(asked)
            if asked.isdigit() and int(asked) in known
            else current or (known[-1] if known else None)
        )
        self.closed = self.year is not None and config.is_closed(self.year)
        if self.closed:
            self.mode = DISPLAY_MODE
        super().update()

    @property
    def label(self):
        return _("Agreement year ${year}", mapping={"year": self.year})

    @property
    def action(self):
        return f"{self.request.getURL()}?year={self.year}"

    def getContent(self):
        return config.settings(self.year)

    def say(self, message, kind="info"):
        IStatusMessage(self.request).addStatusMessage(message, kind)

    @button.buttonAndHandler(_("Save"), name="save", condition=lambda f: not f.closed)
    def handle_save(self, action):
        data, errors = self.extractData()
        if errors:
            self.status = self.formErrorsMessage
            return
        try:
            config.check_period(self.year, data["start"])
            # All the numbers together must make an agreement before any is kept.
            config.agreement_from(self.year, data)
        except QuotaError as error:
            self.status = str(error)
            return
        self.applyChanges(data)
        self.say(_("Changes saved."))
        self.request.response.redirect(self.action)

    @button.buttonAndHandler(_("Open the next agreement year"), name="next")
    def handle_next(self, action):
        following = config.years()[-1] + 1
        try:
            config.open_year(following)
        except QuotaError as error:
            self.status = str(error)
            return
        self.say(
            _("Agreement year ${year} opened.", mapping={"year": following}),
        )
        self.request.response.redirect(f"{self.request.getURL()}?year={following}")


class AgreementControlPanel(ControlPanelFormWrapper):
    form = AgreementForm
    index = ViewPageTemplateFile("templates/agreement.pt")

    @property
    def label(self):
        return _("Pleiades agreement")

    @property
    def description(self):
        return translate(
            _(
                "The agreement's numbers, per year. A year that has ended keeps "
                "the numbers its validations were decided on."
            ),
            context=self.request,
        )

    def years(self) -> list[dict]:
        """A row per year, with the rights the numbers give."""
        rows = []
        for year in reversed(config.years()):
            agreement = config.agreement(year)
            rows.append(
                {
                    "year": year,
                    "url": f"{self.request.getURL()}?year={year}",
                    "start": agreement.start.isoformat(),
                    "end": agreement.end.isoformat(),
                    "rights": agreement.rights,
                    "priority_cap": agreement.priority_cap,
                    "monthly_cap": agreement.monthly_cap,
                    "extraction_rights": agreement.extraction_rights,
                    "closed": config.is_closed(year),
                    "selected": year == self.form_instance.year,
                }
            )
        return rows
