"""The people concerned hear of each step of a request, by real e-mail."""

from .conftest import free_port
from belspo.pleiades.notifications.mail import pricing_line
from belspo.pleiades.notifications.mail import supported
from email.message import EmailMessage
from plone import api
from Products.CMFCore.WorkflowCore import WorkflowException
from tests.content import world
from z3c.relationfield import RelationValue
from zope.component import getUtility
from zope.event import notify
from zope.intid.interfaces import IIntIds
from zope.lifecycleevent import ObjectModifiedEvent

import logging
import pytest
import requests
import transaction


SENDER = "pleiades@belspo.example"
SENDER_NAME = "Portail Pléiades"


def address(userid: str) -> str:
    return f"{userid}@example.org"


def transition(obj, name: str, user: str, comment: str = "") -> None:
    """Fire a transition as a user and commit, as a request to the portal does."""
    with api.env.adopt_user(username=user):
        api.portal.get_tool("portal_workflow").doActionFor(obj, name, comment=comment)
    transaction.commit()


class MailTest:
    """The world, with the portal's MailHost pointed at the test's SMTP server."""

    state = "draft"

    @pytest.fixture(autouse=True)
    def _setup(self, functional_portal, smtp_server):
        self.portal = functional_portal
        self.inbox = smtp_server
        content = world.build(functional_portal)
        self.request = content["request"]
        self.product = content["product"]
        configure_mail(smtp_server.port)
        if self.state != "draft":
            world.set_state(self.request, self.state)
        transaction.commit()
        self.inbox.clear()

    def received(self) -> dict:
        return self.inbox.by_address()


def configure_mail(port: int, sender: str = SENDER) -> None:
    # Plone's mailer reads the server from the registry (the mail control panel).
    api.portal.set_registry_record("plone.smtp_host", "127.0.0.1")
    api.portal.set_registry_record("plone.smtp_port", port)
    api.portal.set_registry_record("plone.email_from_address", sender)
    api.portal.set_registry_record("plone.email_from_name", SENDER_NAME)


class TestWhoHearsWhat(MailTest):
    def test_submission_asks_validators_and_acknowledges_to_the_group(self):
        transition(self.request, "submit", "owner")
        received = self.received()
        # The requester submitted: no copy of their own action.
        assert set(received) == {address("validator"), address("leader")}
        to_validate = received[address("validator")]
        assert to_validate.subject == "New request to validate: Request r1"
        assert "awaits your decision" in to_validate.body
        assert "State: Submitted" in to_validate.body
        acknowledged = received[address("leader")]
        assert acknowledged.subject == "Request submitted: Request r1"
        assert "You will be told of the decision" in acknowledged.body

    def test_a_message_is_a_plain_utf8_mail_from_the_portal(self):
        transition(self.request, "submit", "owner")
        mail = self.received()[address("leader")]
        assert mail.mail_from == SENDER
        assert mail.message["From"].addresses[0].display_name == SENDER_NAME
        assert mail.message["To"].addresses[0].addr_spec == address("leader")
        assert mail.message.get_content_type() == "text/plain"
        assert mail.message.get_content_charset() == "utf-8"
        assert mail.message["Auto-Submitted"] == "auto-generated"
        assert mail.message["Content-Language"] == "en"
        assert f"See the request: {self.request.absolute_url()}" in mail.body
        assert mail.body.rstrip().endswith(f"-- \r\n{self.portal.Title()}")  # CRLF

    def test_a_leader_submitting_acknowledges_to_the_requester(self):
        transition(self.request, "submit", "leader")
        assert set(self.received()) == {address("validator"), address("owner")}

    def test_nothing_leaves_before_the_commit_nor_after_an_abort(self):
        with api.env.adopt_user(username="owner"):
            api.content.transition(obj=self.request, transition="submit")
        assert self.inbox.received == []
        transaction.abort()
        assert self.inbox.received == []
        assert api.content.get_state(obj=self.request) == "draft"


class TestFromSubmitted(MailTest):
    state = "submitted"

    def test_retraction_tells_the_validators(self):
        transition(self.request, "retract", "owner")
        (mail,) = self.inbox.received
        assert mail.to == address("validator")
        assert mail.subject == "Request taken back to draft: Request r1"

    def test_validation_tells_the_group_and_the_operators_with_the_pricing(self):
        transition(self.request, "validate", "validator", "Fits the year's plan")
        received = self.received()
        assert set(received) == {
            address("owner"),
            address("leader"),
            address("operator"),
        }
        decision = self.request.quota_decision
        assert decision["within_quota"]
        for userid in ("owner", "leader"):
            body = received[address(userid)].body
            assert received[address(userid)].subject == "Request validated: Request r1"
            assert "B.USOC will now forward it" in body
            assert "Pricing: within the agreement's quotas, at no charge." in body
            assert "Comment: Fits the year's plan" in body
        assert (
            "Please forward it to the distributor" in received[address("operator")].body
        )

    def test_a_refused_rejection_sends_nothing(self):
        with (
            api.env.adopt_user(username="validator"),
            pytest.raises(WorkflowException, match="reason"),
        ):
            api.portal.get_tool("portal_workflow").doActionFor(
                self.request, "reject", comment=""
            )
        transaction.commit()
        assert self.inbox.received == []
        assert api.content.get_state(obj=self.request) == "submitted"

    def test_rejection_tells_the_group_why(self):
        transition(self.request, "reject", "validator", "The yearly quota is spent")
        received = self.received()
        assert set(received) == {address("owner"), address("leader")}
        for mail in received.values():
            assert mail.subject == "Request rejected: Request r1"
            assert "Reason: The yearly quota is spent" in mail.body
            assert "State: Rejected" in mail.body


class TestFromValidated(MailTest):
    state = "validated"

    def test_programming_gives_the_distributor_reference(self):
        self.request.distributor_reference = "SO-2026-0042"
        transition(self.request, "program", "operator")
        received = self.received()
        assert set(received) == {address("owner"), address("leader")}
        for mail in received.values():
            assert mail.subject == "Request programmed: Request r1"
            assert "Distributor's reference: SO-2026-0042" in mail.body


class TestFromProgrammed(MailTest):
    state = "programmed"

    def test_acquisition_counts_the_products(self):
        self.product.request = RelationValue(getUtility(IIntIds).getId(self.request))
        notify(ObjectModifiedEvent(self.product))
        transition(self.request, "acquire", "operator")
        received = self.received()
        assert set(received) == {address("owner"), address("leader")}
        for mail in received.values():
            assert mail.subject == "Request acquired: Request r1"
            assert "Products delivered: 1" in mail.body

    def test_failure_tells_the_group_and_the_validators_why(self):
        transition(self.request, "fail", "operator", "Clouds all summer")
        received = self.received()
        assert set(received) == {
            address("owner"),
            address("leader"),
            address("validator"),
        }
        for mail in received.values():
            assert mail.subject == "Acquisition failed: Request r1"
            assert "Reason: Clouds all summer" in mail.body


class TestCancellation(MailTest):
    @pytest.mark.parametrize(
        "state,told",
        [
            ("draft", {"owner"}),
            ("submitted", {"owner", "validator"}),
            ("validated", {"owner", "validator", "operator"}),
        ],
    )
    def test_those_who_were_to_act_hear_of_it(self, state, told):
        world.set_state(self.request, state)
        transaction.commit()
        transition(self.request, "cancel", "leader", "Project stopped")
        received = self.received()
        assert set(received) == {address(userid) for userid in told}
        for mail in received.values():
            assert mail.subject == "Request cancelled: Request r1"
            assert "Reason: Project stopped" in mail.body


class TestLanguages(MailTest):
    def set_language(self, userid: str, language: str) -> None:
        api.user.get(userid=userid).setMemberProperties({"language": language})

    def test_each_reads_their_own_language(self):
        self.set_language("validator", "nl")
        self.set_language("leader", "fr")
        transition(self.request, "submit", "owner")
        received = self.received()
        dutch = received[address("validator")]
        assert dutch.message["Content-Language"] == "nl"
        assert dutch.subject == "Nieuwe aanvraag te valideren: Request r1"
        assert "wacht op uw beslissing" in dutch.body
        assert "Status: Ingediend" in dutch.body
        french = received[address("leader")]
        assert french.message["Content-Language"] == "fr"
        assert french.subject == "Demande soumise : Request r1"
        assert "La décision vous sera communiquée par e-mail." in french.body
        assert "État : Soumise" in french.body
        assert "Consulter la demande : " in french.body

    def test_the_portal_language_otherwise(self):
        self.set_language("leader", "de")  # not one of ours
        api.portal.set_registry_record("plone.default_language", "nl")
        transition(self.request, "submit", "owner")
        for mail in self.inbox.received:
            assert mail.message["Content-Language"] == "nl"
        assert self.received()[address("leader")].subject == (
            "Aanvraag ingediend: Request r1"
        )


class TestWhoIsLeftOut(MailTest):
    def test_users_without_address_are_skipped(self, caplog):
        api.user.get(userid="leader").setMemberProperties({"email": ""})
        with caplog.at_level(logging.WARNING, logger="belspo.pleiades"):
            transition(self.request, "submit", "owner")
        assert set(self.received()) == {address("validator")}
        assert "leader has no e-mail address" in caplog.text

    def test_an_address_the_mail_refuses_leaves_the_others_told(self, caplog):
        api.user.get(userid="leader").setMemberProperties({"email": "leader at ulb"})
        transition(self.request, "submit", "owner")
        assert set(self.received()) == {address("validator")}
        assert "could not write to leader at ulb" in caplog.text

    def test_an_address_hears_once(self):
        api.user.get(userid="leader").setMemberProperties(
            {"email": address("validator")}
        )
        transition(self.request, "submit", "owner")
        (mail,) = self.inbox.received
        assert mail.to == address("validator")
        assert mail.subject.startswith("New request to validate")

    def test_no_sender_address_no_mail_but_the_transition(self, caplog):
        api.portal.set_registry_record("plone.email_from_address", "")
        transaction.commit()
        with caplog.at_level(logging.WARNING, logger="belspo.pleiades"):
            transition(self.request, "submit", "owner")
        assert self.inbox.received == []
        assert "plone.email_from_address" in caplog.text
        transaction.abort()
        assert api.content.get_state(obj=self.request) == "submitted"


class TestMailServerDown(MailTest):
    def test_the_transition_is_kept_and_the_failure_logged(self, caplog):
        api.portal.set_registry_record("plone.smtp_port", free_port())  # nobody there
        transaction.commit()
        with caplog.at_level(logging.ERROR, logger="belspo.pleiades"):
            transition(self.request, "submit", "owner")
        assert "unreachable: 2 notification(s) not sent" in caplog.text
        transaction.abort()  # what the commit kept stays
        assert api.content.get_state(obj=self.request) == "submitted"

    def test_why_not_the_mailhosts_direct_delivery(self):
        """Its vote connects to the server: a server down undoes the transition.

        If this fails, zope.sendmail changed and ``mail.deliver`` may go back
        to ``send(immediate=False)``.
        """
        api.portal.set_registry_record("plone.smtp_port", free_port())
        transaction.commit()
        with api.env.adopt_user(username="owner"):
            api.content.transition(obj=self.request, transition="submit")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            SENDER,
            "x@example.org",
            "x",
        )
        message.set_content("x")
        api.portal.get_tool("MailHost").send(message, immediate=False)
        with pytest.raises(ConnectionRefusedError):
            transaction.commit()
        transaction.abort()
        assert api.content.get_state(obj=self.request) == "draft"

    def test_the_user_sees_no_error_over_http(self):
        api.portal.set_registry_record("plone.smtp_port", free_port())
        transaction.commit()
        response = requests.post(
            f"{self.request.absolute_url()}/@workflow/submit",
            json={},
            headers={"Accept": "application/json"},
            auth=("owner", world.PASSWORD),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()["review_state"] == "submitted"
        transaction.begin()  # see what the server committed
        assert api.content.get_state(obj=self.request) == "submitted"

    def test_over_http_mail_reaches_the_server(self):
        response = requests.post(
            f"{self.request.absolute_url()}/@workflow/submit",
            json={"comment": "For the forest survey"},
            headers={"Accept": "application/json"},
            auth=("owner", world.PASSWORD),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        received = self.received()
        assert set(received) == {address("validator"), address("leader")}
        assert "Comment: For the forest survey" in received[address("leader")].body


class TestMailQueue(MailTest):
    """With the MailHost's queue, messages go to its directory with the commit."""

    @pytest.fixture(autouse=True)
    def _queue(self, _setup, tmp_path, monkeypatch):
        monkeypatch.setenv("MAILHOST_QUEUE_ONLY", "1")  # no thread: only the files
        mailhost = api.portal.get_tool("MailHost")
        mailhost.smtp_queue = True
        self.queue = tmp_path / "queue"  # zope.sendmail creates the Maildir
        mailhost.smtp_queue_directory = str(self.queue)
        transaction.commit()

    def queued(self) -> list:
        return sorted((self.queue / "new").glob("*")) if self.queue.exists() else []

    def test_queued_when_committed_only(self):
        with api.env.adopt_user(username="owner"):
            api.content.transition(obj=self.request, transition="submit")
        transaction.abort()
        assert self.queued() == []
        transition(self.request, "submit", "owner")
        queued = [path.read_text() for path in self.queued()]
        assert len(queued) == 2
        assert {
            "X-Zope-To: validator@example.org",
            "X-Zope-To: leader@example.org",
        } == {
            line for text in queued for line in text.splitlines() if "X-Zope-To" in line
        }
        assert self.inbox.received == []


@pytest.mark.parametrize(
    "decision,line",
    [
        (None, None),
        ({"reason": "no category recorded"}, None),
        (
            {"category": "within quota", "within_quota": True, "price": 0.0},
            "Pricing: within the agreement's quotas, at no charge.",
        ),
        (
            {
                "category": "Category 3 -20 %",
                "within_quota": False,
                "price": 1234.5,
                "currency": "EUR",
            },
            "Pricing: Category 3 -20 %, 1234.50 EUR.",
        ),
    ],
)
def test_pricing_line(decision, line):
    from zope.i18n import translate

    message = pricing_line(decision)
    assert (translate(message) if message is not None else None) == line


@pytest.mark.parametrize(
    "language,expected",
    [("fr", "fr"), ("fr-be", "fr"), ("NL", "nl"), ("en_GB", "en"), ("de", None)],
)
def test_supported_languages(language, expected):
    assert supported(language) == expected
