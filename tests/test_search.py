"""Finding the candidate fast: the picker's search, served from the local index."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from harvest_support import (  # noqa: F401 - fixtures are used by their names
    FakeClock,
    clock_fixture,
    harvest_fixture,
    harvest_slot_fixture,
    server_fixture,
    standin_fixture,
)

from bot.clients.greenhouse.common import HarvestBase
from bot.clients.greenhouse.models import Candidate, Job
from bot.services import sync
from bot.services.candidates import search_by_name
from bot.services.context import Services
from bot.slack.send_modal import search_options
from bot.storage import index
from bot.storage.db import Database

BACKEND = Job(id=7, name="Backend Engineer", status="open")


@pytest.fixture(name="db")
async def db_fixture(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


def person(
    cid: int,
    first: str,
    last: str,
    *emails: str,
    preferred: str | None = None,
    stage: str = "Karat",
    job: Job = BACKEND,
    apps: int = 1,
    private: bool = False,
) -> Candidate:
    return Candidate.model_validate(
        {
            "id": cid,
            "is_private": private,
            "first_name": first,
            "last_name": last,
            "preferred_name": preferred,
            "email_addresses": [{"value": e, "type": "personal"} for e in emails],
            "applications": [
                {
                    "id": cid * 10 + n,
                    "candidate_id": cid,
                    "jobs": [{"id": job.id, "name": job.name}],
                    "current_stage": {"id": 5, "name": stage},
                    "status": "active",
                }
                for n in range(apps)
            ],
        }
    )


async def load(db: Database, *people: Candidate, jobs: tuple[Job, ...] = ()) -> None:
    async with db.session() as session:
        await sync.WRITERS["jobs"](session, [BACKEND, *jobs])
        await sync.WRITERS["candidates"](session, list(people))


async def names(db: Database, query: str, **kw: Any) -> list[str]:
    choices = await search_by_name(cast(Any, None), query, db=db, **kw)
    return [c.name for c in choices]


async def test_exact_email_comes_before_a_longer_address(db: Database) -> None:
    await load(
        db,
        person(1, "Carl", "Long", "ana@ex.com.au"),
        person(2, "Bob", "Exact", "ana@ex.com"),
    )
    assert await names(db, "ana@ex.com") == ["Bob Exact", "Carl Long"]
    assert await names(db, "ANA@EX.COM") == ["Bob Exact", "Carl Long"]


async def test_name_prefix_comes_before_the_rest(db: Database) -> None:
    await load(
        db,
        person(1, "Joana", "Ruiz", "jr@mail.example"),
        person(2, "Bob", "Brown", "ana.b@mail.example"),
        person(3, "Anabel", "Jones", "aj@mail.example"),
        person(4, "Ana", "Smith", "as@mail.example"),
        person(5, "Zoë", "Anand", "za@mail.example"),
        person(6, "Peter", "Pan", "pp@mail.example"),
    )
    found = await names(db, "ana")
    # Full-name prefix, then a later word's prefix, then an e-mail prefix; letters
    # inside a word ("Joana") are not searched (see the NOTE in storage/index.py).
    assert found == ["Ana Smith", "Anabel Jones", "Zoë Anand", "Bob Brown"]


async def test_accents_and_case_do_not_matter(db: Database) -> None:
    await load(
        db,
        person(1, "José", "Álvarez", "jose@mail.example"),
        person(2, "Søren", "Łukaszewicz", "s@mail.example"),
    )
    for query in ("jose", "JOSE", "José", "alvarez", "Álv", "jose alv", "alv jos"):
        assert await names(db, query) == ["José Álvarez"], query
    assert await names(db, "soren luk") == ["Søren Łukaszewicz"]


async def test_preferred_name_finds_and_shows_the_candidate(db: Database) -> None:
    await load(db, person(1, "Robert", "Tables", "rt@mail.example", preferred="Bobby"))
    choices = await search_by_name(cast(Any, None), "bobby tab", db=db)
    assert [c.label for c in choices] == [
        "Robert (Bobby) Tables — Backend Engineer (Karat)"
    ]
    assert await names(db, "robert") == ["Robert (Bobby) Tables"]


async def test_every_application_is_an_option_and_there_are_at_most_100(
    db: Database,
) -> None:
    crowd = [person(i, "María", f"Núñez {i:03d}", apps=2) for i in range(1, 80)]
    await load(db, *crowd)

    choices = await search_by_name(cast(Any, None), "maria", db=db)

    assert len(choices) == 100
    assert choices[0].name == "María Núñez 001"
    assert {c.application_id for c in choices[:2]} == {10, 11}


async def test_open_applications_come_first_and_nobody_is_listed_twice(
    db: Database,
) -> None:
    ana = person(1, "Ana", "Anand", "ana@mail.example")
    ana.applications[0].status = "rejected"
    ana.applications.append(ana.applications[0].model_copy(update={"id": 12}))
    ana.applications[1].status = "active"
    ana.applications[1].prospect = True
    ana.applications.append(ana.applications[0].model_copy(update={"id": 13}))
    ana.applications[2].status = "active"
    await load(db, ana, person(2, "Zed", "Anandan", "z@mail.example"))

    choices = await search_by_name(cast(Any, None), "anand", db=db)

    # Ana is found by her full name and again by her last name: listed once, her
    # active application first, a prospect next, the rejected one last.
    assert [(c.candidate_id, c.application_id) for c in choices] == [
        (1, 13),
        (1, 12),
        (1, 10),
        (2, 20),
    ]


async def test_a_candidate_found_in_the_first_round_leaves_room_for_others(
    db: Database,
) -> None:
    # Three whose full names start "lee" (the first round, which the second finds
    # again, first in its order) and more found only by their last name.
    first = [person(i, "Lee", f"Park {i}", apps=2) for i in (1, 2, 3)]
    later = [person(i, "Zoe", f"Leeds {i}", apps=1) for i in range(10, 20)]
    await load(db, *first, *later)

    choices = await search_by_name(cast(Any, None), "lee", db=db, limit=10)

    assert [c.candidate_id for c in choices] == [1, 1, 2, 2, 3, 3, 10, 11, 12, 13]


async def test_option_text_fits_slack_and_keeps_the_value(db: Database) -> None:
    long_job = Job(id=8, name="Principal Distributed Systems Engineer, Payments " * 2)
    await load(
        db,
        person(
            1,
            "Maximiliano Alejandro",
            "de la Santísima Trinidad",
            "max@mail.example",
            job=long_job,
        ),
        jobs=(long_job,),
    )
    services = cast(Services, SimpleNamespace(harvest=None, db=db))

    options = await search_options(services, "maxi")

    assert len(options) == 1
    assert len(options[0]["text"]["text"]) <= 75
    assert options[0]["value"] == "1:10"


async def test_an_empty_index_falls_back_to_harvest_and_says_so(
    harvest: HarvestBase, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.services.candidates"):
        choices = await search_by_name(harvest, "ana", db=db)
    assert choices, "the stand-in's cast has an Ana"
    assert "index is empty" in caplog.text


async def test_the_search_never_calls_harvest_once_the_index_is_filled(
    harvest: HarvestBase, db: Database, standin: Any
) -> None:
    await load(db, person(1, "Ana", "Smith", "as@mail.example"))
    standin.requests.clear()
    assert [c.name for c in await search_by_name(harvest, "an", db=db)] == ["Ana Smith"]
    assert standin.requests == []


async def test_search_folds_names_like_the_sync_does() -> None:
    assert index.search_fold("  José   ÁLVAREZ ") == "jose alvarez"
    assert index.name_terms("O'Brien-Smith") >= {"o'brien", "obrien", "smith"}


async def test_ids_are_answered_from_the_index_without_harvest(db: Database) -> None:
    from bot.services.candidates import parse_who, resolve

    await load(db, person(301, "Maya", "Chen", apps=2), person(302, "Sam", "Lee"))
    nobody = cast(Any, None)  # any call to Harvest would fail

    by_candidate = await resolve(nobody, parse_who("301"), db=db)
    by_application = await resolve(nobody, parse_who("3020"), db=db)
    by_link = await resolve(
        nobody,
        parse_who("https://app.greenhouse.io/people/301?application_id=3011"),
        db=db,
    )

    assert [(c.candidate_id, c.application_id) for c in by_candidate] == [
        (301, 3010),
        (301, 3011),
    ]
    assert [(c.candidate_id, c.application_id) for c in by_application] == [(302, 3020)]
    assert [c.application_id for c in by_link] == [3011]
    assert by_candidate[0].label == "Maya Chen — Backend Engineer (Karat)"


async def test_an_id_the_index_lacks_is_asked_of_harvest(db: Database) -> None:
    from bot.services.candidates import parse_who, resolve

    await load(db, person(301, "Maya", "Chen"))
    asked: list[int] = []

    class Harvest:
        async def get_candidate(self, candidate_id: int) -> Candidate:
            asked.append(candidate_id)
            return person(999, "New", "Person")

    found = await resolve(cast(Any, Harvest()), parse_who("999"), db=db)

    assert asked == [999]
    assert [c.name for c in found] == ["New Person"]


async def test_private_candidates_are_found_by_nobody_in_slack(db: Database) -> None:
    from bot.services.candidates import parse_who, resolve

    await load(
        db,
        person(306, "Omar", "Haddad", "omar@mail.example", private=True),
        person(307, "Omar", "Hadley", "hadley@mail.example"),
    )
    asked: list[int] = []

    class Harvest:  # Greenhouse's answer for the id the index keeps to itself
        async def get_candidate(self, candidate_id: int) -> Candidate:
            asked.append(candidate_id)
            return person(306, "Omar", "Haddad", private=True)

    assert await names(db, "omar") == ["Omar Hadley"]
    assert await names(db, "omar@mail.example") == []
    assert await resolve(cast(Any, Harvest()), parse_who("306"), db=db) == []
    assert asked == [306]


async def test_a_private_candidate_from_harvest_is_not_offered(db: Database) -> None:
    from bot.services.candidates import parse_who, resolve

    await load(db, person(301, "Maya", "Chen"))

    class Harvest:
        async def get_candidate(self, candidate_id: int) -> Candidate:
            return person(999, "New", "Private", private=True)

    assert await resolve(cast(Any, Harvest()), parse_who("999"), db=db) == []


async def test_a_number_being_typed_is_answered_by_a_filled_index_alone(
    db: Database,
) -> None:
    from bot.services.candidates import parse_who, resolve

    asked: list[int] = []

    class Harvest:
        async def get_candidate(self, candidate_id: int) -> Candidate:
            asked.append(candidate_id)
            return person(candidate_id, "New", "Person")

    harvest = cast(Any, Harvest())
    # Before the first sync the index knows nobody: Greenhouse is asked.
    assert [c.name for c in await resolve(harvest, parse_who("12"), db=db, typed=True)]
    assert asked == [12]

    await load(db, person(301, "Maya", "Chen"))
    for typed in ("30", "301", "3010", "999"):
        found = await resolve(harvest, parse_who(typed), db=db, typed=True)
        assert [c.candidate_id for c in found] == (
            [301] if typed.startswith("301") else []
        )
    assert asked == [12]  # keystrokes cost Greenhouse nothing once the index is filled
    # Asked outright (not typed), a number the index lacks still goes to Greenhouse.
    await resolve(harvest, parse_who("999"), db=db)
    assert asked == [12, 999]
