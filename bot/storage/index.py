"""Reading and writing the local index: batch upserts, the sync claim, the search.

Writes are dialect upserts (`INSERT … ON CONFLICT DO UPDATE` on PostgreSQL and on
SQLite), one statement per batch. The search runs in tiers, best first, each an
ordered, limited range on a btree index: it stops as soon as it has enough rows, so
the common case (someone typing the start of a name) never reads the whole table.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel
from sqlmodel import select as sqlmodel_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.index_models import (
    IndexApplication,
    IndexCandidate,
    IndexCandidateTerm,
    IndexJob,
    SyncState,
)

CLAIM = "index"
# Letters NFKD leaves whole but nobody types: "Søren" is searched as "soren".
_PLAIN = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)
_SPLIT = re.compile(r"[\s\-]+")


def search_fold(text: str) -> str:
    """Lower case, accents removed, spaces squeezed: how names are compared."""
    lowered = (text or "").casefold()
    if lowered.isascii():
        # Most e-mail addresses and many names: nothing to decompose.
        return " ".join(lowered.split())
    decomposed = unicodedata.normalize("NFKD", lowered)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.translate(_PLAIN).split())


def name_terms(*names: str | None) -> set[str]:
    """The folded words of a candidate's names, with and without punctuation."""
    terms: set[str] = set()
    for name in names:
        for word in _SPLIT.split(search_fold(name or "")):
            bare = "".join(c for c in word if c.isalnum())
            terms.update(t for t in (word, bare) if t)
    return terms


def _after(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix`.

    None when there is none: the prefix is only the last code point (U+10FFFF).
    """
    stem = prefix.rstrip(chr(sys.maxunicode))
    return stem[:-1] + chr(ord(stem[-1]) + 1) if stem else None


# -- writing ---------------------------------------------------------------------------


Reader = AsyncSession | AsyncConnection


async def _run(source: Reader, statement: Any, params: Any = None) -> Any:
    """Execute as SQLAlchemy Core: on a session's connection (its transaction), or
    on a bare connection (`Database.reading`)."""
    if isinstance(source, AsyncSession):
        source = await source.connection()
    return await source.execute(statement, params)


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, the one that knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def upsert(
    session: AsyncSession, model: type[SQLModel], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert `rows`, or update the ones whose primary key is already there."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    statement = _insert(session)(table)
    keys = [c.name for c in table.primary_key.columns]
    changed = {
        name: statement.excluded[name] for name in rows[0] if name not in set(keys)
    }
    if changed:
        statement = statement.on_conflict_do_update(index_elements=keys, set_=changed)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    await _run(session, statement, list(rows))


async def replace_terms(
    session: AsyncSession,
    terms: dict[int, set[tuple[str, str]]],
    names: dict[int, str],
) -> None:
    """Make each candidate's search terms exactly `terms[candidate_id]`."""
    if not terms:
        return
    await _run(
        session,
        delete(IndexCandidateTerm).where(
            IndexCandidateTerm.candidate_id.in_(list(terms))  # type: ignore[attr-defined]
        ),
    )
    rows = [
        (kind, term, cid, names.get(cid, ""))
        for cid, pairs in terms.items()
        for kind, term in pairs
    ]
    # Plain strings and ints need no type processing: hand them to the driver as
    # they are, which is several times faster for the thousands of terms a page has.
    connection = await session.connection()
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    await connection.exec_driver_sql(
        "INSERT INTO index_candidate_term (kind, term, candidate_id, name_fold) "
        f"VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT DO NOTHING",
        rows,
    )


async def drop_other_applications(
    session: AsyncSession, kept: dict[int, list[int]]
) -> None:
    """Forget applications Harvest no longer lists for these candidates."""
    if not kept:
        return
    wanted = [a for ids in kept.values() for a in ids]
    await _run(
        session,
        delete(IndexApplication).where(
            IndexApplication.candidate_id.in_(list(kept)),  # type: ignore[attr-defined]
            IndexApplication.id.not_in(wanted),  # type: ignore[attr-defined]
        ),
    )


# -- sync state and the claim ------------------------------------------------------


async def sync_states(session: AsyncSession) -> dict[str, SyncState]:
    """Every resource's sync state, by resource name."""
    rows = await session.exec(sqlmodel_select(SyncState))
    return {state.resource: state for state in rows}


async def save_state(
    session: AsyncSession, resource: str, *, now: datetime, **values: Any
) -> None:
    """Record how a resource's sync went (watermark, count, error)."""
    await upsert(
        session,
        SyncState,
        [{"resource": resource, "last_run_at": now, "last_count": 0, **values}],
    )


async def claim(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    not_since: datetime | None = None,
) -> bool:
    """Take the right to sync, unless someone holds it (or, with `not_since`, a run
    started after that moment); a conditional update, so only one caller wins."""
    table = SyncState.__table__  # type: ignore[attr-defined]
    await _run(
        session,
        _insert(session)(table)
        .values(resource=CLAIM, last_count=0)
        .on_conflict_do_nothing(index_elements=["resource"]),
    )
    conditions = [
        SyncState.resource == CLAIM,
        or_(
            SyncState.running_until.is_(None),  # type: ignore[union-attr]
            SyncState.running_until < now,  # type: ignore[operator]
        ),
    ]
    if not_since is not None:
        conditions.append(
            or_(
                SyncState.last_run_at.is_(None),  # type: ignore[union-attr]
                SyncState.last_run_at <= not_since,  # type: ignore[operator]
            )
        )
    result = await _run(
        session,
        update(SyncState)
        .where(*conditions)
        .values(running_until=now + lease, running_by=owner[:80], last_run_at=now),
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def renew(
    session: AsyncSession, *, owner: str, now: datetime, lease: timedelta
) -> None:
    """Hold the claim a while longer (a long sync renews it after every batch)."""
    await _run(
        session,
        update(SyncState)
        .where(SyncState.resource == CLAIM, SyncState.running_by == owner[:80])
        .values(running_until=now + lease),
    )


async def release(session: AsyncSession, *, owner: str) -> None:
    """Give the claim back."""
    await _run(
        session,
        update(SyncState)
        .where(SyncState.resource == CLAIM, SyncState.running_by == owner[:80])
        .values(running_until=None, running_by=None),
    )


# -- searching -------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexedApplication:
    """One application of a found candidate, with what the picker shows."""

    candidate_id: int
    application_id: int
    first_name: str | None
    last_name: str | None
    preferred_name: str | None
    job_name: str | None
    stage_name: str | None
    status: str
    prospect: bool


async def has_candidates(source: Reader) -> bool:
    """Whether the index holds any candidate at all."""
    found = await _run(source, select(IndexCandidate.id).limit(1))
    return found.first() is not None


# The search's statements are built once per shape of query (whether it holds an
# "@", how many words, which prefixes have no upper bound) with bound parameters:
# building them costs more than running them on a small index.


def _prefix(column: Any, name: str, open_ended: frozenset[str]) -> Any:
    """`column` starts with the bound prefix `name`: a range a btree serves."""
    low = column >= bindparam(name)
    return low if name in open_ended else and_(low, column < bindparam(f"{name}_end"))


def _by_term(
    kind: str, prefix: str, open_ended: frozenset[str], *, also: Sequence[str] = ()
) -> Any:
    """Candidates with a `kind` term starting with `prefix` (and one for each of
    `also`), in name order; served from the term table alone."""
    t = IndexCandidateTerm
    query = select(t.candidate_id, t.name_fold).where(
        t.kind == kind, _prefix(t.term, prefix, open_ended)
    )
    for word in also:
        having = select(t.candidate_id).where(
            t.kind == kind, _prefix(t.term, word, open_ended)
        )
        query = query.where(t.candidate_id.in_(having))  # type: ignore[attr-defined]
    return query.distinct().order_by(t.name_fold, t.candidate_id)


@functools.lru_cache(maxsize=128)
def _rounds(
    email: bool, words: int, open_ended: frozenset[str], limit: int
) -> tuple[Any, Any]:
    """The search's two rounds of tiers, best matches first, as statements.

    The first round (exact e-mail, full-name prefixes) is cheap ranges on ordered
    indexes; the second (any word of the name, an e-mail prefix) sorts what it
    finds, so it runs only when the first leaves room in the list. Parameters:
    `q` the folded query, `w0`… its words longest first, `e` the query without
    spaces, each with `…_end` unless open-ended.
    """
    c, t = IndexCandidate, IndexCandidateTerm
    first: list[Any] = []
    if email:
        first.append(
            select(t.candidate_id, t.name_fold)
            .where(t.kind == "email", t.term == bindparam("q"))
            .order_by(t.name_fold, t.candidate_id)
        )
    for column in (c.name_fold, c.preferred_fold):
        first.append(
            select(c.id, c.name_fold)
            .where(_prefix(column, "q", open_ended))
            .order_by(c.name_fold, c.id)
        )
    # Every word typed starts some word of the names: "alv jos" finds José Álvarez.
    # The longest word narrows the most, so it drives the query.
    others = [f"w{n}" for n in range(1, words)]
    second = [
        _by_term("name", "w0", open_ended, also=others),
        _by_term("email", "e", open_ended),
    ]
    # NOTE: letters inside a word ("oana" in "Joana") are not matched, by choice:
    # people type the start of a name, and a LIKE '%…%' scan costs 100-300 ms at
    # 100,000 candidates; a trigram index (pg_trgm, FTS5) would be the way to add it.
    return _one_round(first, limit), _one_round(second, limit)


def _search_parameters(q: str) -> tuple[dict[str, str], frozenset[str]]:
    """The bound values for a folded query, and which prefixes have no end."""
    ranked = sorted(q.split(), key=len, reverse=True)
    prefixes = {"q": q, "e": q.replace(" ", "")}
    prefixes.update((f"w{n}", word) for n, word in enumerate(ranked))
    values, open_ended = dict(prefixes), set()
    for name, prefix in prefixes.items():
        end = _after(prefix)
        if end is None:
            open_ended.add(name)
        else:
            values[f"{name}_end"] = end
    return values, frozenset(open_ended)


def _one_round(tiers: list[Any], limit: int) -> Any:
    """The round's tiers as one statement: each tier's candidates limited, then
    their applications with what the picker shows, best tier first."""
    parts = []
    for rank, tier in enumerate(tiers):
        found = tier.limit(limit).subquery()
        cid, _name = list(found.c)
        parts.append(select(literal(rank).label("tier"), cid.label("cid")))
    both = union_all(*parts).subquery()
    # A candidate several tiers found ranks by the best of them.
    best = (
        select(both.c.cid, func.min(both.c.tier).label("tier"))
        .group_by(both.c.cid)
        .subquery()
    )
    c = IndexCandidate
    return (
        _with_applications(select(best.c.tier).join(c, c.id == best.c.cid))
        .where(_NOT_PRIVATE)
        .order_by(best.c.tier, c.name_fold, c.id, *_APPLICATION_ORDER)
        .limit(limit)
    )


def _with_applications(query: Any) -> Any:
    """`query` (which holds IndexCandidate) with each application's picker fields."""
    c, a, j = IndexCandidate, IndexApplication, IndexJob
    return (
        query.add_columns(
            c.id,
            a.id,
            c.first_name,
            c.last_name,
            c.preferred_name,
            j.name,
            a.stage_name,
            a.status,
            a.prospect,
        )
        .join(a, a.candidate_id == c.id)
        .outerjoin(j, j.id == a.job_id)
    )


# Greenhouse shows a private candidate only to users allowed to see them, and the
# bot cannot tell who in Slack is: it shows private candidates to nobody there.
_NOT_PRIVATE = IndexCandidate.is_private == False  # noqa: E712 - SQL, not Python

# Within a candidate: active applications first, then real ones before prospects.
_APPLICATION_ORDER = (
    case((IndexApplication.status == "active", 0), else_=1),
    IndexApplication.prospect,
    IndexApplication.id,
)


async def search(
    source: Reader, query: str, *, limit: int = 100
) -> list[IndexedApplication]:
    """Applications of the candidates matching `query`, best matches first.

    One statement per round; the second runs only when the first leaves room.
    """
    q = search_fold(query)
    if not q:
        return []
    values, open_ended = _search_parameters(q)
    rounds = _rounds("@" in q, len(q.split()), open_ended, limit)
    found: list[IndexedApplication] = []
    earlier: set[int] = set()
    for statement in rounds:
        # A round may find again whom an earlier one found (those rows are
        # skipped); it still holds enough rows, as the earlier round took fewer.
        rows = await _run(source, statement, values)
        seen_now: set[int] = set()
        for row in rows:
            row = IndexedApplication(*row[1:])
            if row.candidate_id in earlier:
                continue
            seen_now.add(row.candidate_id)
            found.append(row)
        earlier |= seen_now
        if len(found) >= limit:
            break
    return found[:limit]


async def applications_of(
    source: Reader, candidate_ids: Iterable[int]
) -> list[IndexedApplication]:
    """The applications of these candidates, in the order the ids were given."""
    order = {cid: n for n, cid in enumerate(candidate_ids)}
    if not order:
        return []
    c = IndexCandidate
    rows = await _run(
        source,
        _with_applications(select().select_from(c))
        .where(c.id.in_(list(order)), _NOT_PRIVATE)  # type: ignore[attr-defined]
        .order_by(*_APPLICATION_ORDER),
    )
    found = [IndexedApplication(*row) for row in rows]
    # Stable: within a candidate the database's order stands.
    found.sort(key=lambda r: order[r.candidate_id])
    return found


async def private_among(source: Reader, candidate_ids: Iterable[int]) -> set[int]:
    """Which of these candidates the index holds as private."""
    wanted = list(set(candidate_ids))
    if not wanted:
        return set()
    c = IndexCandidate
    found = await _run(
        source,
        select(c.id).where(c.id.in_(wanted), c.is_private == True),  # type: ignore[attr-defined]  # noqa: E712
    )
    return {cid for (cid,) in found}


async def candidate_of_application(source: Reader, application_id: int) -> int | None:
    """The candidate an indexed application belongs to."""
    found = await _run(
        source,
        select(IndexApplication.candidate_id).where(
            IndexApplication.id == application_id
        ),
    )
    return found.scalar_one_or_none()


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many rows each index table holds (for reports)."""
    from bot.storage.index_models import INDEX_TABLES

    result = {}
    for model in INDEX_TABLES:
        table = model.__table__  # type: ignore[attr-defined]
        total = await _run(session, select(func.count()).select_from(table))
        result[table.name] = int(total.scalar_one())
    return result


async def forget_candidate(session: AsyncSession, candidate_id: int) -> None:
    """Remove a candidate Greenhouse deleted or merged away, with its applications."""
    for model, column in (
        (IndexApplication, IndexApplication.candidate_id),
        (IndexCandidateTerm, IndexCandidateTerm.candidate_id),
        (IndexCandidate, IndexCandidate.id),
    ):
        await _run(session, delete(model).where(column == candidate_id))
