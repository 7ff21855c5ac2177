"""Finding the candidate someone means: by e-mail, id, profile URL or name."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.greenhouse.models import Application, Candidate
from bot.errors import NotFound, PermissionDenied, UserError
from bot.storage import index
from bot.storage.db import Database

logger = logging.getLogger(__name__)

MAX_QUERY = 200
NAME_SCAN_LIMIT = 500
EMAIL = re.compile(r"^[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+$")
SLACK_MAILTO = re.compile(r"^<mailto:([^|>]+)(\|[^>]*)?>$")
SLACK_LINK = re.compile(r"^<(https?://[^|>]+)(\|[^>]*)?>$")


@dataclass(frozen=True)
class CandidateChoice:
    """One candidate on one application: what the picker offers."""

    candidate_id: int
    application_id: int
    name: str
    job_name: str | None
    stage_name: str | None
    status: str
    prospect: bool
    job_id: int | None = None
    stage_id: int | None = None

    @property
    def value(self) -> str:
        return f"{self.candidate_id}:{self.application_id}"

    @property
    def label(self) -> str:
        job = self.job_name or ("Prospect" if self.prospect else "No job")
        stage = f" ({self.stage_name})" if self.stage_name else ""
        if self.status in ("rejected", "hired"):
            stage = f" ({self.status})"
        return f"{self.name} — {job}{stage}"


@dataclass(frozen=True)
class Who:
    kind: str  # email | id | url | name
    text: str
    candidate_id: int | None = None
    application_id: int | None = None


def parse_choice_value(value: str) -> tuple[int, int]:
    """Undo `CandidateChoice.value`; raise UserError for anything else."""
    match = re.fullmatch(r"(\d{1,18}):(\d{1,18})", value or "")
    if not match:
        raise UserError("Choose a candidate from the list.", field="candidate")
    return int(match[1]), int(match[2])


def parse_who(text: str) -> Who:
    """Read what follows `/karat send` or `/karat status`."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY:
        raise UserError(
            f"That is {len(text)} characters long; give a candidate's e-mail, "
            "Greenhouse profile link, id or name (at most 200 characters)."
        )
    if mailto := SLACK_MAILTO.match(text):
        text = mailto[1]
    if link := SLACK_LINK.match(text):
        text = link[1]
    if EMAIL.match(text):
        return Who("email", text.lower())
    if (number := greenhouse_id(text)) is not None:
        return Who("id", text, candidate_id=number)
    if text.startswith(("http://", "https://")):
        url = urlparse(text)
        found = re.search(r"/people/([0-9]+)", url.path)
        candidate_id = greenhouse_id(found[1]) if found else None
        if candidate_id is None:
            raise UserError(
                "That link is not a Greenhouse candidate profile; copy the link of the "
                "candidate's page (it contains /people/ and the candidate's id)."
            )
        app_id = parse_qs(url.query).get("application_id", [""])[0]
        return Who(
            "url",
            text,
            candidate_id=candidate_id,
            application_id=greenhouse_id(app_id),
        )
    return Who("name", text)


def greenhouse_id(text: str) -> int | None:
    """A Greenhouse id written in ASCII digits that fits a BIGINT; else None."""
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None


def fold(text: str) -> str:
    """Lower case without accents, for matching names as people type them."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def applications_of(
    harvest: HarvestClient, candidate: Candidate
) -> list[Application]:
    if candidate.applications:
        return candidate.applications
    return [a async for a in harvest.list_applications(candidate_id=candidate.id)]


async def _job_names(
    harvest: HarvestClient, apps: list[Application]
) -> dict[int, str | None]:
    # v3 applications carry only the job id; read each job once for its name.
    missing = {a.job.id for a in apps if a.job and not a.job.name}
    names: dict[int, str | None] = {
        a.job.id: a.job.name for a in apps if a.job and a.job.name
    }
    for job_id in missing:
        try:
            names[job_id] = (await harvest.get_job(job_id)).name
        except (NotFound, PermissionDenied):
            names[job_id] = None
    return names


async def choices_for(
    harvest: HarvestClient, candidate: Candidate, *, application_id: int | None = None
) -> list[CandidateChoice]:
    """One choice per application of the candidate, active ones first; none for a
    private candidate (see `index._NOT_PRIVATE`)."""
    if candidate.is_private:
        return []
    choices = []
    apps = [
        a
        for a in await applications_of(harvest, candidate)
        if application_id is None or a.id == application_id
    ]
    jobs = await _job_names(harvest, apps)
    for app in apps:
        choices.append(
            CandidateChoice(
                candidate_id=candidate.id,
                application_id=app.id,
                name=candidate.full_name,
                job_name=jobs.get(app.job.id) if app.job else None,
                stage_name=app.current_stage.name if app.current_stage else None,
                status=app.status,
                prospect=app.prospect,
                job_id=app.job.id if app.job else None,
                stage_id=app.current_stage.id if app.current_stage else None,
            )
        )
    choices.sort(key=lambda c: (c.status != "active", c.prospect, c.application_id))
    return choices


async def resolve(
    harvest: HarvestClient,
    who: Who,
    *,
    db: Database | None = None,
    typed: bool = False,
) -> list[CandidateChoice]:
    """Every candidate-application that `who` can mean; empty when none.

    With `db`, the local index answers first: names always, e-mail addresses, ids
    and profile links unless it lacks them, when Harvest is asked. `typed`: the
    query is being typed (the picker), so a bare number is answered by a filled
    index alone; each keystroke would otherwise cost two Harvest calls.
    """
    if who.kind == "email":
        if db is not None:
            # The index knows every synced address; Harvest is asked only for a
            # candidate added since the last sync.
            indexed = await search_by_name(harvest, who.text, db=db)
            if indexed:
                return indexed
        found = [c async for c in harvest.list_candidates(email=who.text)]
        return [choice for c in found for choice in await choices_for(harvest, c)]
    if who.kind == "name":
        return await search_by_name(harvest, who.text, db=db)
    assert who.candidate_id is not None
    if db is not None:
        indexed = await _indexed_by_id(db, who)
        if indexed:
            return indexed
        if typed and who.kind == "id":
            async with db.reading() as connection:
                if await index.has_candidates(connection):
                    return []
    try:
        candidate = await harvest.get_candidate(who.candidate_id)
    except (NotFound, PermissionDenied):
        candidate = None
    if candidate is not None:
        return await choices_for(harvest, candidate, application_id=who.application_id)
    if who.kind == "id":
        # A bare number may be an application id.
        try:
            app = await harvest.get_application(who.candidate_id)
        except NotFound:
            return []
        candidate = await harvest.get_candidate(app.candidate_id)
        return await choices_for(harvest, candidate, application_id=app.id)
    return []


async def search_by_name(
    harvest: HarvestClient,
    query: str,
    *,
    limit: int = 100,
    db: Database | None = None,
) -> list[CandidateChoice]:
    """Candidates whose names or e-mail addresses match what was typed, best first.

    Served from the local index (`karat-bot sync`): exact e-mail first, then names
    starting with the query, then the rest. Harvest has no name search, so only an
    empty index (or no database) falls back to scanning its newest candidates.
    """
    if db is not None:
        async with db.reading() as connection:
            found = await index.search(connection, query, limit=limit)
            # Nothing found in an index that holds people is the answer; only an
            # empty index sends the question to Harvest.
            if found or await index.has_candidates(connection):
                return [_indexed_choice(row) for row in found]
        logger.info("candidate index is empty; run karat-bot sync. Asking Harvest")
    return await _scan_harvest(harvest, query, limit=limit)


async def _indexed_by_id(db: Database, who: Who) -> list[CandidateChoice]:
    """The index's choices for a candidate id (or, for a bare number, an
    application id); empty when the index does not know it, so Harvest is asked."""
    assert who.candidate_id is not None
    async with db.reading() as connection:
        rows = await index.applications_of(connection, [who.candidate_id])
        application_id = who.application_id
        if not rows and who.kind == "id":
            owner = await index.candidate_of_application(connection, who.candidate_id)
            if owner is not None:
                rows = await index.applications_of(connection, [owner])
                application_id = who.candidate_id
    if application_id is not None:
        rows = [r for r in rows if r.application_id == application_id]
    return [_indexed_choice(row) for row in rows]


def _indexed_choice(row: index.IndexedApplication) -> CandidateChoice:
    first = (row.first_name or "").strip()
    preferred = (row.preferred_name or "").strip()
    shown = f"{first} ({preferred})" if preferred and preferred != first else first
    name = " ".join(p for p in (shown, (row.last_name or "").strip()) if p)
    return CandidateChoice(
        candidate_id=row.candidate_id,
        application_id=row.application_id,
        name=name or f"candidate {row.candidate_id}",
        job_name=row.job_name,
        stage_name=row.stage_name,
        status=row.status,
        prospect=row.prospect,
    )


async def _scan_harvest(
    harvest: HarvestClient, query: str, *, limit: int
) -> list[CandidateChoice]:
    # Without the index: only the most recent page of candidates is read.
    needle = fold(query.strip())
    if not needle:
        return []
    scored: list[tuple[int, Candidate]] = []
    seen = 0
    async for candidate in harvest.list_candidates():
        seen += 1
        name = fold(candidate.full_name)
        if name.startswith(needle) or any(p.startswith(needle) for p in name.split()):
            scored.append((0, candidate))
        elif needle in name:
            scored.append((1, candidate))
        if seen >= NAME_SCAN_LIMIT:
            break
    scored.sort(key=lambda pair: (pair[0], fold(pair[1].full_name)))
    choices: list[CandidateChoice] = []
    for _, candidate in scored:
        choices.extend(await choices_for(harvest, candidate))
        if len(choices) >= limit:
            break
    return choices[:limit]
