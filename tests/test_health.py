"""The setup health check against the stand-ins: names, statuses, fixes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clients.greenhouse.permissions import PERMISSIONS
from bot.services import team_config
from bot.services.health import Status
from bot.storage.db import Database
from bot.storage.migrate import upgrade
from bot.storage.models import (
    Effect,
    EffectStatus,
    Invitation,
    InvitationStatus,
    utcnow,
)
from tests.health_support import (
    HealthWorld,
    by_name,
    harvest_slot,
    health_world,
    karat_slot,
    slack_slot,
    statuses,
)

__all__ = ["harvest_slot", "health_world", "karat_slot", "slack_slot"]

NAMES = [p.name for p in PERMISSIONS]


async def test_a_sound_setup_passes_with_only_warnings(health_world: HealthWorld):
    health_world.fix_job_202()
    report = await health_world.run("v3")
    checks = by_name(report)
    assert report.ok, [c for c in report.checks if c.status is Status.FAIL]
    for name in NAMES:
        assert checks[name].status is Status.PASS, checks[name]
        assert "v3 scope harvest:" in checks[name].detail
    assert checks["Greenhouse Harvest credential"].status is Status.PASS
    assert checks["Greenhouse integration user"].detail.startswith(
        "“Karat Integration” (user 101) is active"
    )
    assert checks["Slack scopes"].status is Status.PASS
    assert checks["Database"].status is Status.PASS
    # No alignment stored yet: the stages found are listed, and none is aligned.
    alignment = checks["Stage alignment"]
    assert alignment.status is Status.WARN
    assert "Backend Engineer — Karat" in alignment.detail
    assert "none is aligned" in alignment.detail


async def test_add_note_is_probed_without_writing_a_note(health_world: HealthWorld):
    report = await health_world.run("v1")
    assert by_name(report)["POST: Add Note"].status is Status.PASS
    assert health_world.harvest.notes_for(301) == [
        n for n in health_world.harvest.notes_for(301) if n["id"] == 7001
    ]
    posts = health_world.harvest.requests_to("/v1/candidates/", method="POST")
    assert [p.status for p in posts] == [422]


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("name", NAMES)
async def test_a_denied_permission_fails_its_own_check_on_v1(
    health_world: HealthWorld, name: str, status: int
):
    health_world.fix_job_202()
    health_world.harvest.deny(name, status)
    report = await health_world.run("v1")
    checks = by_name(report)
    denied = checks[name]
    assert denied.status is Status.FAIL
    assert f"refused ({status})" in denied.detail
    assert f"`{name}`" in denied.detail
    assert f"tick `{name}`" in (denied.fix or "")
    failed_permissions = statuses(report, Status.FAIL) & set(NAMES)
    assert failed_permissions == {name}
    assert checks["Greenhouse Harvest credential"].status is Status.PASS
    assert not report.ok


@pytest.mark.parametrize("name", NAMES)
async def test_a_denied_scope_names_the_scope_on_v3(health_world: HealthWorld, name):
    health_world.fix_job_202()
    health_world.harvest.deny(name, 403)
    report = await health_world.run("v3")
    denied = by_name(report)[name]
    scope = next(p.v3_scope for p in PERMISSIONS if p.name == name)
    assert denied.status is Status.FAIL
    assert scope in denied.detail
    assert f"add `{scope}`" in (denied.fix or "")
    # A v3 scope covers several permissions; only those can fail with it.
    sharing = {p.name for p in PERMISSIONS if p.v3_scope == scope}
    assert name in statuses(report, Status.FAIL)
    assert statuses(report, Status.FAIL) & set(NAMES) <= sharing


async def test_a_401_on_one_v3_scope_is_that_scope_not_the_credential(
    health_world: HealthWorld,
):
    health_world.harvest.deny("GET: List Sources", 401)
    checks = by_name(await health_world.run("v3"))
    assert checks["GET: List Sources"].status is Status.FAIL
    assert checks["Greenhouse Harvest credential"].status is Status.PASS


async def test_a_wrong_v1_key_fails_the_credential_not_each_permission(
    health_world: HealthWorld,
):
    report = await health_world.run("v1", GREENHOUSE_API_KEY="not-the-key")
    checks = by_name(report)
    credential = checks["Greenhouse Harvest credential"]
    assert credential.status is Status.FAIL
    assert "refused the credential on every call (401)" in credential.detail
    assert "GREENHOUSE_API_KEY" in (credential.fix or "")
    for name in NAMES:
        assert checks[name].status is Status.WARN
        assert "credential itself was refused" in checks[name].detail


async def test_a_wrong_v3_secret_says_invalid_client(health_world: HealthWorld):
    checks = by_name(
        await health_world.run("v3", GREENHOUSE_CLIENT_SECRET="wrong-secret")
    )
    credential = checks["Greenhouse Harvest credential"]
    assert credential.status is Status.FAIL
    assert "invalid_client" in credential.detail
    assert "GREENHOUSE_CLIENT_SECRET" in (credential.fix or "")


async def test_a_disabled_integration_user_fails_on_v1(health_world: HealthWorld):
    health_world.harvest.data.users[101]["disabled"] = True
    checks = by_name(await health_world.run("v1"))
    user = checks["Greenhouse integration user"]
    assert user.status is Status.FAIL
    assert user.detail == "“Karat Integration” (user 101) is disabled in Greenhouse"
    assert "Re-enable the user" in (user.fix or "")
    # Greenhouse refuses notes written on behalf of a disabled user.
    assert checks["POST: Add Note"].status is Status.FAIL
    assert "must be active" in (checks["POST: Add Note"].fix or "")


async def test_a_disabled_integration_user_fails_on_v3(health_world: HealthWorld):
    health_world.harvest.data.users[101]["disabled"] = True
    checks = by_name(await health_world.run("v3"))
    for name in ("Greenhouse integration user", "Greenhouse Harvest credential"):
        assert checks[name].status is Status.FAIL
        assert "invalid_grant" in checks[name].detail
        assert "Re-enable the integration user" in (checks[name].fix or "") or (
            "Re-enable the user" in (checks[name].fix or "")
        )


async def test_an_integration_user_not_named_karat_warns(health_world: HealthWorld):
    health_world.harvest.data.users[101].update(
        first_name="Integration", last_name="Bot", name="Integration Bot"
    )
    user = by_name(await health_world.run("v1"))["Greenhouse integration user"]
    assert user.status is Status.WARN
    assert "Karat Integration" in (user.fix or "")


async def test_a_bad_karat_key_fails_with_where_to_find_it(health_world: HealthWorld):
    checks = by_name(await health_world.run("v1", KARAT_API_KEY="wrong-karat-key"))
    key = checks["Karat key: Interviews"]
    assert key.status is Status.FAIL
    assert key.detail == "Karat refused the key (KARAT_API_KEY) with 401"
    assert "Assessment API" in (key.fix or "")
    assert checks["Karat key: Code Challenges"].status is Status.PASS


async def test_code_challenges_show_as_off_without_their_key(health_world: HealthWorld):
    checks = by_name(await health_world.run("v1", KARAT_CODE_CHALLENGE_API_KEY=None))
    off = checks["Karat key: Code Challenges"]
    assert off.status is Status.PASS
    assert "off" in off.detail
    assert checks["Karat key: Interviews"].detail.startswith("3 tests:")


async def test_a_job_with_two_karat_stages_fails_with_a_plan_link(
    health_world: HealthWorld,
):
    checks = by_name(
        await health_world.run("v3", GREENHOUSE_APP_URL="https://acme.greenhouse.io")
    )
    single = checks["Interview plans: a single Karat stage"]
    assert single.status is Status.FAIL
    assert "only a single Karat stage works" in single.detail
    assert "Data Engineer (2 “Karat” stages)" in single.detail
    assert [i.url for i in single.items] == ["https://acme.greenhouse.io/plans/202"]
    without = checks["Interview plans without a Karat stage"]
    assert without.status is Status.PASS
    assert [i.label for i in without.items] == ["Product Designer"]


@pytest.mark.parametrize("version", ["v1", "v3"])
async def test_the_recruiter_source_lists_applications_naming_nobody(
    health_world: HealthWorld, version: str
):
    check = by_name(await health_world.run(version))["Recruiter source (candidate)"]
    assert check.status is Status.WARN
    assert "1 of 4 sampled" in check.detail
    assert [i.label for i in check.items] == ["Wei Zhang (Data Engineer)"]
    job = by_name(await health_world.run(version, RECRUITER_SOURCE="job"))
    assert job["Recruiter source (job)"].status is Status.PASS


async def test_stage_alignment_passes_once_every_stage_is_aligned(
    health_world: HealthWorld,
):
    health_world.fix_job_202()
    settings = health_world.settings("v1")
    db = Database(settings.DATABASE_URL)
    current = await team_config.current(db, settings)
    values = current.as_values()
    values["stage_alignment"] = {
        "1003": {
            "label": "Backend Engineer — Karat",
            "test": "interview:karat-backend-60",
        },
        "2002": {"label": "Data Engineer — Karat", "test": "interview:gone-test"},
    }
    await team_config.save(
        db, values, current=current, changed_by="U0RILEY", at=utcnow()
    )
    check = by_name(await health_world.run("v1"))["Stage alignment"]
    assert check.status is Status.WARN
    assert "no longer offers: Data Engineer — Karat" in check.detail
    values["stage_alignment"]["2002"]["test"] = "interview:karat-data-60"
    current = await team_config.current(db, settings)
    await team_config.save(
        db, values, current=current, changed_by="U0RILEY", at=utcnow()
    )
    await db.dispose()
    check = by_name(await health_world.run("v1"))["Stage alignment"]
    assert check.status is Status.PASS
    assert check.detail == "all 2 Karat stages aligned"


async def test_upstream_failures_become_failed_checks(health_world: HealthWorld):
    health_world.harvest.fail_next("/v1", status=503, count=10_000)
    health_world.karat.fail_next("list_tests", mode="timeout")
    health_world.karat.fail_next("list_tests", mode=500, count=10)
    health_world.slack.fail_next("auth.test", error="http_500")
    report = await health_world.run("v1")
    checks = by_name(report)
    assert "did not answer" in checks["Greenhouse Harvest credential"].detail
    for name in ("Karat key: Interviews", "Karat key: Code Challenges"):
        assert checks[name].status is Status.FAIL
        assert "list_tests failed" in checks[name].detail
    assert checks["Slack bot token"].status is Status.FAIL
    assert all(c.fix for c in report.checks if c.status is not Status.PASS)


async def test_missing_scopes_and_a_wrong_token_fail_the_slack_checks(
    health_world: HealthWorld,
):
    health_world.slack.scopes = frozenset({"commands", "chat:write", "im:write"})
    checks = by_name(await health_world.run("v1"))
    assert checks["Slack scopes"].status is Status.FAIL
    assert "users:read" in checks["Slack scopes"].detail
    assert "reinstall" in (checks["Slack scopes"].fix or "")
    wrong = by_name(
        await health_world.run(
            "v1", SLACK_BOT_TOKEN="xoxb-1111111111-2222222222-Zz9Yy8Xx7Ww6"
        )
    )
    assert wrong["Slack bot token"].status is Status.FAIL
    assert "invalid_auth" in wrong["Slack bot token"].detail
    assert "Reinstall the Slack app" in (wrong["Slack bot token"].fix or "")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://karat-bot.example.com", Status.PASS),
        ("http://karat-bot.example.com", Status.WARN),
        ("http://127.0.0.1:3000", Status.WARN),
        ("https://localhost", Status.WARN),
    ],
)
async def test_the_public_url_should_be_external_https(
    health_world: HealthWorld, url: str, status: Status
):
    assert (
        by_name(await health_world.run("v1", PUBLIC_URL=url))["Public URL"].status
        is status
    )


async def test_missing_settings_fail_the_settings_check(health_world: HealthWorld):
    report = await health_world.run(
        "v1", SLACK_SIGNING_SECRET=None, GREENHOUSE_WEBHOOK_SECRET=None, PUBLIC_URL=None
    )
    checks = by_name(report)
    assert checks["Settings"].status is Status.FAIL
    assert "SLACK_SIGNING_SECRET" in checks["Settings"].detail
    assert "PUBLIC_URL" in checks["Settings"].detail
    assert checks["Greenhouse webhook secret"].status is Status.WARN
    assert checks["Public URL"].status is Status.FAIL


async def test_dead_letters_and_old_invitations_are_reported(health_world: HealthWorld):
    db = Database(health_world.database_url)
    long_ago = utcnow() - timedelta(weeks=9)
    async with db.session() as session:
        invitation = Invitation(
            token_hash="h" * 64, idempotency_key="k1", candidate_id=301,
            application_id=401, candidate_name="Maya Chen", test_kind="interview",
            test_id="karat-backend-60", test_name="Backend Interview (60 min)",
            sender_slack_id="U0ANA", sender_name="Ana Ruiz",
            status=InvitationStatus.SENT, sent_at=long_ago,
        )  # fmt: skip
        session.add(invitation)
        await session.flush()
        session.add(
            Effect(
                key="note:sent:1",
                kind="note",
                invitation_id=invitation.id,
                status=EffectStatus.DEAD,
                last_error="boom",
            )  # fmt: skip
        )
    await db.dispose()
    checks = by_name(await health_world.run("v1"))
    outbox = checks["Outbox"]
    assert outbox.status is Status.FAIL
    assert outbox.detail.startswith("0 pending, 1 dead")
    assert "see the log for the effect errors" in (outbox.fix or "").lower()
    stuck = checks["Invitations without a result"]
    assert stuck.status is Status.WARN
    assert "1 invitation still “Sent”" in stuck.detail


async def test_a_schema_behind_fails_the_database_check(
    health_world: HealthWorld, tmp_path
):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    database = by_name(await health_world.run("v1", DATABASE_URL=url))["Database"]
    assert database.status is Status.FAIL
    assert "0003" in database.detail
    assert database.fix == "Run `karat-bot migrate`."


async def test_smoke_sends_a_test_writes_a_note_and_reads_it_back(
    health_world: HealthWorld,
):
    report = await health_world.run("v3", smoke=True)
    smoke = [c for c in report.checks if c.name.startswith("Smoke:")]
    assert [c.status for c in smoke] == [Status.PASS] * 4, smoke
    sent = list(health_world.karat.invitations.values())
    assert [i.candidate["email"] for i in sent] == ["maya.chen@mail.example"]
    notes = health_world.harvest.notes_for(301)
    assert any("health check" in n["body"] and n["user_id"] == 101 for n in notes)


async def test_smoke_without_a_test_application_fails_and_says_how(
    health_world: HealthWorld,
):
    report = await health_world.run(
        "v1", smoke=True, GREENHOUSE_TEST_APPLICATION_ID=None
    )
    smoke = by_name(report)["Smoke: test candidate"]
    assert smoke.status is Status.FAIL
    assert "GREENHOUSE_TEST_APPLICATION_ID" in (smoke.fix or "")
    assert health_world.karat.invitations == {}


async def test_smoke_stops_after_a_failed_step(health_world: HealthWorld):
    health_world.karat.fail_next("send_test", mode=500)
    report = await health_world.run("v1", smoke=True)
    smoke = [(c.name, c.status) for c in report.checks if c.name.startswith("Smoke:")]
    assert smoke == [
        ("Smoke: test candidate", Status.PASS),
        ("Smoke: Karat send_test", Status.FAIL),
        ("Smoke: Greenhouse note", Status.WARN),
        ("Smoke: note in the activity feed", Status.WARN),
    ]
