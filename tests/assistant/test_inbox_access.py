"""Who may open what: every role against every inbox page and the inbox socket."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from inbox_fixtures import escalate, inbox_socket

from assistant.inbox import selectors as sel
from assistant.models import CannedReply, Conversation, Escalation

ROLES = ["anonymous", "patient_user", "plain_nurse", "charge_nurse", "admin_user"]

# page -> roles that get it (everyone else: sign-in page if anonymous, 403 otherwise)
ALLOWED = {
    "queue": {"plain_nurse", "charge_nurse"},
    "thread": {"plain_nurse", "charge_nurse", "admin_user"},
    "conversation": {"plain_nurse", "charge_nurse", "admin_user"},
    "dashboard": {"charge_nurse", "admin_user"},
    "audit": {"admin_user"},
    "canned_list": {"plain_nurse", "charge_nurse"},
    "canned_create": {"plain_nurse", "charge_nurse"},
    "canned_edit": {"plain_nurse", "charge_nurse"},
}


def _url(page: str, esc: Escalation, canned: CannedReply) -> str:
    if page == "thread":
        return reverse("inbox:thread", args=[esc.pk])
    if page == "conversation":
        return reverse("inbox:conversation", args=[esc.conversation_id])
    if page == "canned_edit":
        return reverse("inbox:canned_edit", args=[canned.pk])
    return reverse(f"inbox:{page}")


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_page_access_matrix(request, client, small_retriever_inbox, emergency, role, page):
    canned = CannedReply.objects.create(title="Call back", body="I will call you today.")
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    response = client.get(_url(page, emergency, canned))
    if role in ALLOWED[page]:
        assert response.status_code == 200
    elif role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["claim", "unclaim", "reply", "resolve", "draft"])
@pytest.mark.parametrize("role", ["patient_user", "admin_user"])
def test_only_nurses_can_act_on_a_thread(request, client, emergency, role, action):
    client.force_login(request.getfixturevalue(role))
    data = {"text": "hello", "disposition": "answered"}
    response = client.post(reverse(f"inbox:{action}", args=[emergency.pk]), data)
    assert response.status_code == 403
    emergency.refresh_from_db()
    assert emergency.status == Escalation.Status.OPEN
    assert not emergency.conversation.messages.filter(role="nurse").exists()


@pytest.mark.django_db
def test_a_missing_escalation_is_404_for_staff_and_403_for_patients(
    client, plain_nurse, patient_user
):
    client.force_login(plain_nurse)
    assert client.get(reverse("inbox:thread", args=[999999])).status_code == 404
    client.force_login(patient_user)
    # A patient learns nothing, not even whether it exists.
    assert client.get(reverse("inbox:thread", args=[999999])).status_code == 403


# --- selectors ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_is_most_urgent_first_then_longest_waiting(plain_nurse):
    from inbox_fixtures import make_patient

    def conv(name):
        return Conversation.objects.create(patient=make_patient(name, given=name.title())[1])

    routine_old = escalate(conv("ann"), "question", level="routine", age_minutes=300)
    urgent_new = escalate(conv("bob"), "bp", level="urgent", age_minutes=5)
    urgent_old = escalate(conv("cat"), "bp", level="urgent", age_minutes=50)
    emergency_new = escalate(conv("dan"), "chest", level="emergency", age_minutes=1)
    resolved = escalate(conv("eve"), "chest", level="emergency", age_minutes=90)
    Escalation.objects.filter(pk=resolved.pk).update(status="resolved")
    queue = sel.escalations_open_for_queue(user=plain_nurse)
    assert [e.pk for e in queue] == [emergency_new.pk, urgent_old.pk, urgent_new.pk, routine_old.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["patient_user", "admin_user"])
def test_the_queue_is_for_nurses(request, who, emergency):
    with pytest.raises(PermissionDenied):
        sel.escalations_open_for_queue(user=request.getfixturevalue(who))


@pytest.mark.django_db
def test_a_patient_cannot_read_any_thread_even_their_own(patient_user, emergency):
    with pytest.raises(PermissionDenied):
        sel.escalation_get_for_staff(user=patient_user, escalation_id=emergency.pk)


@pytest.mark.django_db
def test_an_inactive_nurse_has_no_access(plain_nurse, emergency):
    plain_nurse.is_active = False
    plain_nurse.save()
    assert not sel.can_work_queue(plain_nurse)
    with pytest.raises(PermissionDenied):
        sel.escalation_get_for_staff(user=plain_nurse, escalation_id=emergency.pk)


# --- the socket ----------------------------------------------------------------------------------


@pytest.fixture
def role_user(request):
    """The user of the test's `role` parameter (resolved before an async test starts)."""
    role = request.node.callspec.params["role"]
    return None if role == "anonymous" else request.getfixturevalue(role)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
async def test_inbox_socket_matrix(role, role_user, emergency):
    comm = await inbox_socket(role_user)
    connected, _ = await comm.connect()
    assert connected
    try:
        if role in {"plain_nurse", "charge_nurse"}:
            snapshot = await comm.receive_json_from(timeout=5)
            assert snapshot["type"] == "queue"
            assert [e["id"] for e in snapshot["escalations"]] == [emergency.pk]
        else:
            out = await comm.receive_output(timeout=5)
            assert out["type"] == "websocket.close"
            assert out["code"] == (4401 if role == "anonymous" else 4403)
    finally:
        await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_inbox_socket_refuses_a_foreign_origin(plain_nurse):
    comm = await inbox_socket(plain_nurse, origin=b"https://evil.example")
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()
