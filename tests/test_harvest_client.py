"""The Harvest clients, v1 and v3, against the stand-in over real local HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from harvest_support import (  # noqa: F401 - fixtures are used by their names
    FakeClock,
    clock_fixture,
    collect,
    harvest_fixture,
    harvest_slot_fixture,
    make_client,
    server_fixture,
    standin_fixture,
)

from bot.clients.greenhouse import (
    HarvestV1Client,
    HarvestV3Client,
    build_harvest_client,
)
from bot.clients.greenhouse.common import HarvestBase
from bot.clients.greenhouse.permissions import PERMISSIONS
from bot.clients.greenhouse.ratelimit import RateLimiter, rate_headers
from bot.errors import AuthFailed, NotFound, PermissionDenied
from bot.sandbox.harvest import HarvestStandIn, RateWindow
from bot.sandbox.server import StandInServer
from bot.settings import Settings


def prefix(client: HarvestBase, path: str) -> str:
    return f"/{client.version}/{path}"


# -- every endpoint ------------------------------------------------------------------


async def test_records_are_read_by_id_on_both_versions(harvest: HarvestBase) -> None:
    candidate = await harvest.get_candidate(302)
    application = await harvest.get_application(401)
    job = await harvest.get_job(201)
    user = await harvest.get_user(105)

    assert candidate.full_name == "José Álvarez"
    assert candidate.email == "jose.alvarez@mail.example"
    assert application.candidate_id == 301
    assert application.current_stage is not None
    assert application.current_stage.name == "Karat"
    assert application.job is not None and application.job.id == 201
    assert application.credited_to is not None and application.credited_to.id == 104
    assert job.status == "open"
    assert job.hiring_team.responsible_recruiter is not None
    assert job.hiring_team.responsible_recruiter.id == 102
    assert user.disabled is True


async def test_an_unknown_id_is_not_found(harvest: HarvestBase) -> None:
    with pytest.raises(NotFound):
        await harvest.get_candidate(999_999)


async def test_users_are_found_by_primary_or_secondary_email(
    harvest: HarvestBase,
) -> None:
    primary = await harvest.find_user_by_email("ana.ruiz@acme.example")
    secondary = await harvest.find_user_by_email("lee@okafor.example")

    assert primary is not None and primary.id == 102
    assert secondary is not None and secondary.id == 104
    assert await harvest.find_user_by_email("pat@contractor.example") is None


async def test_a_user_found_by_email_is_remembered_for_a_minute(
    harvest: HarvestBase, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.clients.greenhouse import common

    now = [1000.0]
    monkeypatch.setattr(common.time, "monotonic", lambda: now[0])

    def asked() -> int:
        return sum(1 for r in standin.requests if "users" in r.path)

    ana = await harvest.find_user_by_email("ana.ruiz@acme.example")
    assert await harvest.find_user_by_email("pat@contractor.example") is None
    first = asked()

    again = await harvest.find_user_by_email("Ana.Ruiz@acme.example ")
    assert again is not None and ana is not None and again.id == ana.id == 102
    assert await harvest.find_user_by_email("pat@contractor.example") is None
    assert asked() == first

    now[0] += 61
    await harvest.find_user_by_email("ana.ruiz@acme.example")
    assert asked() > first


async def test_listings_return_the_cast(harvest: HarvestBase) -> None:
    by_email = await collect(harvest.list_candidates(email="wei@zhang.example"))
    mine = await collect(harvest.list_applications(candidate_id=308))
    on_job = await collect(harvest.list_applications(job_id=202))
    open_jobs = await collect(harvest.list_jobs(status="open"))
    stages = await collect(harvest.list_job_stages())
    users = await collect(harvest.list_users())
    scorecards = await collect(harvest.list_scorecards())
    reasons = await collect(harvest.list_rejection_reasons())
    sources = await collect(harvest.list_sources())

    assert [c.id for c in by_email] == [308]
    assert [a.id for a in mine] == [408]
    assert [a.id for a in on_job] == [408]
    assert {j.id for j in open_jobs} == {201, 202, 203}
    assert len(stages) == 14
    assert {u.id for u in users} == {101, 102, 103, 104, 105, 106}
    assert {s.id for s in scorecards} == {601, 602}
    assert "Did not meet requirements" in {r.name for r in reasons}
    assert len(sources) == 4


async def test_updated_after_narrows_a_listing(harvest: HarvestBase) -> None:
    since = datetime(2026, 10, 1, tzinfo=UTC)

    users = await collect(harvest.list_users(updated_after=since))

    assert users and all(u.updated_at and u.updated_at >= since for u in users)
    assert len(users) == 6
    assert await collect(harvest.list_users(updated_after=datetime.now(UTC))) == []


async def test_a_job_plan_comes_in_stage_order(harvest: HarvestBase) -> None:
    stages = await harvest.list_job_stages_for_job(201)

    assert [s.name for s in stages] == [
        "Application Review",
        "Recruiter Phone Screen",
        "Karat",
        "Onsite",
        "Offer",
    ]


async def test_scorecards_are_read_for_one_application(harvest: HarvestBase) -> None:
    cards = await harvest.list_scorecards_for_application(401)

    assert [c.id for c in cards] == [601]
    assert cards[0].interviewer is not None and cards[0].interviewer.id == 102
    assert cards[0].overall_recommendation == "yes"


async def test_a_note_is_written_as_the_service_user_and_read_back(
    harvest: HarvestBase, standin: HarvestStandIn
) -> None:
    note = await harvest.add_note(
        301, body="Karat result: 3.5", visibility="private", marker="[kb:n1]"
    )
    feed = await harvest.get_activity_feed(301)

    assert note.visibility == "private"
    assert note.user is not None and note.user.id == 101
    assert "[kb:n1]" in (note.body or "")
    assert note.id in {n.id for n in feed.notes}
    posts = standin.requests_to(f"/{harvest.version}/", method="POST")
    on_behalf = [p.headers.get("on-behalf-of") for p in posts]
    assert on_behalf == (["101"] if harvest.version == "v1" else [None])


# -- paging, throttling, tokens ----------------------------------------------------


async def test_a_listing_follows_three_pages_without_gaps_or_doubles(
    harvest: HarvestBase, standin: HarvestStandIn
) -> None:
    standin.add_synthetic_candidates(1200, seed=3)

    ids = [c.id async for c in harvest.list_candidates()]

    assert len(ids) == len(set(ids)) == 1209
    pages = standin.requests_to(prefix(harvest, "candidates"))
    assert len(pages) == 3
    if harvest.version == "v3":
        assert ids == sorted(ids, reverse=True)
        assert all(
            p.query.startswith("cursor=") and "&" not in p.query for p in pages[1:]
        )


async def test_a_429_in_the_middle_of_a_listing_is_waited_out(
    harvest: HarvestBase, standin: HarvestStandIn, clock: FakeClock
) -> None:
    standin.add_synthetic_candidates(1200, seed=4)
    listing = harvest.list_candidates()
    ids = [(await anext(listing)).id]

    standin.fail_next(prefix(harvest, "candidates"), status=429)
    ids += [c.id async for c in listing]

    assert len(ids) == len(set(ids)) == 1209
    statuses = [r.status for r in standin.requests_to(prefix(harvest, "candidates"))]
    assert statuses == [200, 429, 200, 200]
    assert 1.0 in clock.slept


async def test_the_limiter_slows_down_instead_of_hitting_429(
    harvest: HarvestBase, standin: HarvestStandIn, clock: FakeClock
) -> None:
    standin.rate_limits[harvest.version] = RateWindow(limit=6, window=10.0)
    started = clock.now

    for _ in range(20):
        await harvest.get_candidate(301)

    calls = standin.requests_to(f"/{harvest.version}/")
    assert len(calls) == 20
    assert all(r.status == 200 for r in calls)
    assert clock.now - started >= 20.0


@pytest.mark.parametrize("style", ["legacy", "lower"])
async def test_rate_headers_are_read_in_any_case(
    style: str, server: StandInServer, standin: HarvestStandIn, clock: FakeClock
) -> None:
    standin.header_style = style
    standin.rate_limits["v1"] = RateWindow(limit=4, window=10.0)
    client = make_client("v1", server, clock)

    for _ in range(10):
        await client.get_user(101)
    await client.aclose()

    assert all(r.status == 200 for r in standin.requests_to("/v1/"))
    assert rate_headers({"X-Ratelimit-Limit": "40", "x-RATELIMIT-remaining": "3"}) == (
        40,
        3,
    )


async def test_other_workers_spending_the_window_pace_this_one(
    harvest: HarvestBase, standin: HarvestStandIn, clock: FakeClock
) -> None:
    await harvest.get_job(201)
    window = standin.rate_limits[harvest.version]
    standin.use_rate_limit(harvest.version, window.limit)  # a burst elsewhere
    started = clock.now

    await harvest.get_job(202)
    await harvest.get_job(203)

    statuses = [r.status for r in standin.requests_to(f"/{harvest.version}/jobs")]
    # One 429 tells this worker the window is gone; it waits once, then goes on.
    assert statuses == [200, 429, 200, 200]
    assert clock.now - started >= 1.0


async def test_an_expired_token_is_minted_again_once_mid_listing(
    server: StandInServer, standin: HarvestStandIn, clock: FakeClock
) -> None:
    standin.add_synthetic_candidates(1200, seed=5)
    client = make_client("v3", server, clock)
    assert isinstance(client, HarvestV3Client)
    listing = client.list_candidates()
    ids = [(await anext(listing)).id]

    standin.expire_tokens()
    ids += [c.id async for c in listing]
    await client.aclose()

    assert len(ids) == len(set(ids)) == 1209
    assert client.tokens.minted == 2
    assert [r.status for r in standin.requests_to("/v3/")].count(401) == 1


async def test_a_token_is_minted_again_shortly_before_it_expires(
    server: StandInServer, standin: HarvestStandIn, clock: FakeClock
) -> None:
    client = make_client("v3", server, clock)
    assert isinstance(client, HarvestV3Client)

    await client.get_job(201)
    clock.now += standin.token_ttl - 30
    await client.get_job(201)
    await client.aclose()

    assert client.tokens.minted == 2
    assert all(r.status == 200 for r in standin.requests_to("/v3/"))


async def test_a_401_after_a_fresh_token_stands_and_names_the_permission(
    server: StandInServer, standin: HarvestStandIn, clock: FakeClock
) -> None:
    standin.deny("GET: List Jobs", status=401)
    client = make_client("v3", server, clock)
    assert isinstance(client, HarvestV3Client)

    with pytest.raises(AuthFailed, match="`GET: List Jobs`"):
        await collect(client.list_jobs())
    await client.aclose()

    assert client.tokens.minted == 2


async def test_bad_client_credentials_are_reported_by_setting_name(
    server: StandInServer, standin: HarvestStandIn, clock: FakeClock
) -> None:
    standin.client_secret = "rotated"
    client = make_client("v3", server, clock)

    with pytest.raises(AuthFailed, match="GREENHOUSE_CLIENT_SECRET"):
        await client.get_job(201)
    await client.aclose()


async def test_a_disabled_service_user_cannot_get_a_token(
    server: StandInServer, clock: FakeClock
) -> None:
    client = make_client("v3", server, clock)
    assert isinstance(client, HarvestV3Client)
    client.tokens.user_id = 105

    with pytest.raises(AuthFailed, match="GREENHOUSE_USER_ID"):
        await client.get_job(201)
    await client.aclose()


# -- refusals and faults -----------------------------------------------------------


async def test_a_denied_permission_is_named_in_the_error(
    harvest: HarvestBase, standin: HarvestStandIn
) -> None:
    standin.deny("GET: List Scorecards")

    with pytest.raises(
        PermissionDenied, match="the credential lacks `GET: List Scorecards`"
    ):
        await collect(harvest.list_scorecards())


async def test_a_burst_of_5xx_on_a_get_is_retried(
    harvest: HarvestBase, standin: HarvestStandIn
) -> None:
    standin.fail_next(prefix(harvest, ""), status=503, count=2)

    candidate = await harvest.get_candidate(301)

    assert candidate.id == 301
    statuses = [r.status for r in standin.requests_to(prefix(harvest, ""))]
    assert statuses == [503, 503, 200]


async def test_a_body_cut_short_is_read_again(
    harvest: HarvestBase, standin: HarvestStandIn
) -> None:
    standin.fail_next(prefix(harvest, ""), status="truncated")

    job = await harvest.get_job(203)

    assert job.name == "Product Designer"
    assert len(standin.requests_to(prefix(harvest, "jobs"))) == 2


async def test_a_timed_out_note_write_leaves_exactly_one_note(
    harvest: HarvestBase, standin: HarvestStandIn
) -> None:
    standin.fail_next(prefix(harvest, ""), status="timeout", method="POST")

    note = await harvest.add_note(301, body="Karat result: 3.9", marker="[kb:t1]")

    notes = [n for n in standin.notes_for(301) if "[kb:t1]" in n["body"]]
    assert len(notes) == 1
    assert note.id == notes[0]["id"]
    assert len(standin.requests_to(prefix(harvest, ""), method="POST")) == 1


async def test_a_5xx_on_a_note_write_posts_again_once_and_only_once(
    harvest: HarvestBase, standin: HarvestStandIn
) -> None:
    standin.fail_next(prefix(harvest, ""), status=502, method="POST")

    await harvest.add_note(302, body="Karat result: 2.0", marker="[kb:t2]")

    assert len([n for n in standin.notes_for(302) if "[kb:t2]" in n["body"]]) == 1
    posts = standin.requests_to(prefix(harvest, ""), method="POST")
    assert [p.status for p in posts] == [502, 201]


async def test_gets_never_carry_a_body(
    harvest: HarvestBase, standin: HarvestStandIn
) -> None:
    await harvest.get_activity_feed(301)
    await collect(harvest.list_users())
    await harvest.add_note(303, body="x", marker="[kb:t3]")

    gets = [r for r in standin.requests if r.method == "GET"]
    assert gets and not any(r.has_body for r in gets)
    with pytest.raises(ValueError):
        await harvest.send("GET", "v1/jobs", json={}, endpoint="GET: List Jobs")


# -- wiring --------------------------------------------------------------------------


def test_the_permission_table_names_the_fourteen_and_list_users() -> None:
    names = [p.name for p in PERMISSIONS]

    assert len(names) == len(set(names)) == 15
    assert "GET: List Users" in names and "POST: Add Note" in names
    assert all(p.v3_scope.startswith("harvest:") for p in PERMISSIONS)


async def test_the_builder_picks_the_version_from_settings(
    server: StandInServer, clock: FakeClock
) -> None:
    common = {"GREENHOUSE_HARVEST_URL": server.url, "GREENHOUSE_USER_ID": 101}
    v1 = Settings(
        _env_file=None,
        GREENHOUSE_HARVEST_VERSION="v1",
        GREENHOUSE_API_KEY="harvest-sandbox-key",
        **common,
    )
    v3 = Settings(
        _env_file=None,
        GREENHOUSE_CLIENT_ID="sandbox-client",
        GREENHOUSE_CLIENT_SECRET="sandbox-client-secret",
        GREENHOUSE_TOKEN_URL=f"{server.url}/token",
        **common,
    )
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)

    for settings, kind in ((v1, HarvestV1Client), (v3, HarvestV3Client)):
        client = build_harvest_client(settings, limiter=limiter, sleep=clock.sleep)
        assert isinstance(client, kind)
        assert (await client.get_user(101)).site_admin is True
        await client.aclose()
