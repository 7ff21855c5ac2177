"""Health checks against Greenhouse Harvest: the credential, each permission, the
integration user, the interview plans, the recruiter source and stage alignment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.greenhouse.models import User
from bot.clients.greenhouse.permissions import BY_NAME, PERMISSIONS, Permission
from bot.clients.greenhouse.probe import NoteProbe
from bot.clients.karat import KaratTest
from bot.errors import AuthFailed, PermissionDenied, UpstreamError
from bot.services import team_config
from bot.services.catalog import test_value
from bot.services.health_local import upstream_words
from bot.services.health_model import (
    Check,
    HealthContext,
    Item,
    Status,
    failed,
    passed,
    warned,
)
from bot.services.health_permissions import Outcome, Prober
from bot.services.health_sample import recruiter_check
from bot.services.karat_stages import InterviewPlans, interview_plans, plan_url

CREDENTIAL = "Greenhouse Harvest credential"
SERVICE_USER = "Greenhouse integration user"
SINGLE_STAGE = "Interview plans: a single Karat stage"
NO_STAGE = "Interview plans without a Karat stage"
ALIGNMENT = "Stage alignment"
SHOWN = 10  # names written out in a detail line; the rest are counted


def listed(names: Sequence[str], *, shown: int = SHOWN) -> str:
    """ "A, B, C and 7 more"."""
    head = ", ".join(names[:shown])
    return f"{head} and {len(names) - shown} more" if len(names) > shown else head


async def harvest_checks(
    ctx: HealthContext,
) -> tuple[list[Check], InterviewPlans | None]:
    """Every Greenhouse check; the interview plans found (None when unreadable)."""
    harvest = ctx.harvest
    if harvest is None:
        reason = ctx.unavailable.get(
            "greenhouse", "the Harvest settings are incomplete"
        )
        fix = "Complete the Greenhouse settings (see the Settings check)."
        checks = [failed(CREDENTIAL, f"not checked: {reason}", fix)]
        checks += [
            warned(p.name, "not checked: no Harvest credential", fix)
            for p in PERMISSIONS
        ]
        return checks, None
    outcomes, plans = await asyncio.gather(
        Prober(harvest, ctx.settings).run(), _plans(ctx, harvest)
    )
    credential = _credential(ctx, harvest, outcomes)
    checks = [credential]
    # When nothing got through, say why once instead of fifteen times.
    wholesale = None
    if credential.status is Status.FAIL:
        wholesale = (
            "Greenhouse did not answer"
            if "did not answer" in credential.detail
            else "the credential itself was refused"
        )
    for permission in PERMISSIONS:
        checks.append(
            _permission_check(
                harvest.version,
                permission,
                outcomes[permission.name],
                wholesale,
            )
        )
    checks.append(_service_user(ctx, outcomes["GET: Retrieve User"], wholesale))
    found, plan_checks = plans
    checks += plan_checks
    if found is not None:
        checks.append(await recruiter_check(ctx, harvest, found))
    return checks, found


# -- the credential and the permissions ------------------------------------------


def _credential(
    ctx: HealthContext, harvest: HarvestClient, outcomes: dict[str, Outcome]
) -> Check:
    where = f"Harvest {harvest.version} at {ctx.settings.GREENHOUSE_HARVEST_URL}"
    if any(o.answered for o in outcomes.values()):
        return passed(CREDENTIAL, f"{where}: the credential works")
    errors = [o.error for o in outcomes.values() if o.error is not None]
    token = next((e for e in errors if e.endpoint == "token"), None)
    if token is not None:
        fix = (
            "Re-enable the integration user in Greenhouse (Configure > Users), or set "
            "GREENHOUSE_USER_ID to the active one."
            if "invalid_grant" in token.message
            else "Check GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET against the "
            "Harvest V3 (OAuth) credential in Greenhouse (Configure > Dev Center > "
            "API Credentials); create a new secret if it was lost."
        )
        return failed(CREDENTIAL, f"{where}: {token.message}", fix)
    if errors and all(isinstance(e, AuthFailed) for e in errors):
        return failed(
            CREDENTIAL,
            f"{where}: Greenhouse refused the credential on every call (401)",
            "Copy the Harvest API key again from Greenhouse (Configure > Dev Center > "
            "API Credential Management) into GREENHOUSE_API_KEY, or create a new one.",
        )
    if errors and not any(isinstance(e, PermissionDenied) for e in errors):
        return failed(
            CREDENTIAL,
            f"{where}: Greenhouse did not answer ({upstream_words(errors[0])})",
            "Check GREENHOUSE_HARVEST_URL and the network; if Greenhouse is down, run "
            "the check again later.",
        )
    return warned(
        CREDENTIAL,
        f"{where}: no call got through, so the credential could not be confirmed",
        "Grant the permissions listed below and run the check again.",
    )


def _permission_check(
    version: str, permission: Permission, outcome: Outcome, wholesale: str | None
) -> Check:
    name = permission.name
    scope = f" (v3 scope {permission.v3_scope})" if version == "v3" else ""
    error = outcome.error
    if wholesale:
        return warned(
            name,
            f"not checked: {wholesale}{scope}",
            "Fix the Greenhouse Harvest credential check first.",
        )
    if outcome.skipped:
        return warned(
            name,
            f"not probed: {outcome.skipped}{scope}",
            "Fix the checks above, then run the health check again.",
        )
    if error is None:
        if outcome.value is NoteProbe.WRITTEN:
            return warned(
                name,
                outcome.detail + scope,
                "Delete the blank note from that candidate's activity feed.",
            )
        return passed(name, f"allowed: {outcome.detail}{scope}")
    if isinstance(error, AuthFailed | PermissionDenied):
        needed = error.endpoint
        if needed in BY_NAME and needed != name:
            return warned(
                name,
                f"not probed: it needs `{needed}`, which is refused{scope}",
                f"Grant `{needed}` first.",
            )
        return failed(
            name,
            f"refused ({error.status}): {error.message}",
            _grant(version, permission)
            + (
                " If it is granted, the integration user (GREENHOUSE_USER_ID) must be "
                "active to write notes."
                if name == "POST: Add Note"
                else ""
            ),
        )
    return failed(
        name,
        f"Greenhouse did not answer the probe: {upstream_words(error)}{scope}",
        "Run the check again in a few minutes; if it keeps failing, check "
        "GREENHOUSE_HARVEST_URL and Greenhouse's status page.",
    )


def _grant(version: str, permission: Permission) -> str:
    if version == "v3":
        return (
            "In Greenhouse, Configure > Dev Center > API Credentials: open the Harvest "
            f"V3 (OAuth) credential, Manage Scopes, and add `{permission.v3_scope}` "
            f"(for `{permission.name}`)."
        )
    return (
        "In Greenhouse, Configure > Dev Center > API Credential Management: edit the "
        f"Harvest API key, tick `{permission.name}` and save."
    )


def _service_user(ctx: HealthContext, outcome: Outcome, wholesale: str | None) -> Check:
    user_id = ctx.settings.GREENHOUSE_USER_ID
    user = outcome.value
    if isinstance(user, User):
        label = f"“{user.display_name}” (user {user.id})"
        if user.disabled:
            return failed(
                SERVICE_USER,
                f"{label} is disabled in Greenhouse",
                "Re-enable the user in Greenhouse (Configure > Users), or set "
                "GREENHOUSE_USER_ID to the active integration user.",
            )
        if "karat" not in user.display_name.casefold():
            return warned(
                SERVICE_USER,
                f"{label} is active, but notes it writes will not read as Karat's",
                "Rename the user “Karat Integration” in Greenhouse (Configure > Users "
                "> Edit), as Karat's set-up guide asks.",
            )
        return passed(SERVICE_USER, f"{label} is active")
    error = outcome.error
    if error is not None and error.endpoint == "token":
        return failed(
            SERVICE_USER,
            error.message,
            "Re-enable the user in Greenhouse (Configure > Users), or set "
            "GREENHOUSE_USER_ID to the active integration user.",
        )
    if outcome.answered:
        return failed(
            SERVICE_USER,
            f"Greenhouse has no user {user_id}",
            "Set GREENHOUSE_USER_ID to the number in the integration user's edit page "
            "URL (Configure > Users).",
        )
    why = wholesale or outcome.skipped or "`GET: Retrieve User` is refused"
    return warned(
        SERVICE_USER,
        f"could not read user {user_id}: {why}",
        "Fix the checks above, then run the health check again.",
    )


# -- interview plans -------------------------------------------------------------


async def _plans(
    ctx: HealthContext, harvest: HarvestClient
) -> tuple[InterviewPlans | None, list[Check]]:
    settings = ctx.settings
    try:
        plans = await interview_plans(harvest, settings)
    except UpstreamError as exc:
        fix = "Grant `GET: List Jobs` and `GET: List Job Stages`, then run it again."
        detail = f"could not read the interview plans: {upstream_words(exc)}"
        return None, [failed(SINGLE_STAGE, detail, fix), warned(NO_STAGE, detail, fix)]
    stage = settings.KARAT_STAGE_NAME
    total = len(plans.jobs)
    multiple = plans.multiple
    if multiple:
        names = [
            f"{plans.name_of(j)} ({len(plans.karat[j.id])} “{stage}” stages)"
            for j in multiple
        ]
        single = failed(
            SINGLE_STAGE,
            f"{len(multiple)} open job{'' if len(multiple) == 1 else 's'} with more "
            f"than one “{stage}” stage; only a single Karat stage works: "
            + listed(names),
            "In each job's interview plan keep one Karat stage and delete the copies "
            "(Greenhouse: Job Setup > Interview Plan).",
            items=[
                Item(n, plan_url(settings, j.id))
                for n, j in zip(names, multiple, strict=True)
            ],
        )
    else:
        single = passed(
            SINGLE_STAGE,
            f"each of the {len(plans.with_karat)} open jobs with a “{stage}” stage "
            "has exactly one",
        )
    without = plans.without
    items = [Item(plans.name_of(j), plan_url(settings, j.id)) for j in without]
    if not total:
        none = warned(
            NO_STAGE, "there are no open jobs", "Nothing to do until a job opens."
        )
    elif len(without) == total:
        none = warned(
            NO_STAGE,
            f"none of the {total} open jobs has a stage named “{stage}”",
            "Add the Karat stage to the interview plans in Greenhouse, or set "
            "KARAT_STAGE_NAME to the name your plans use.",
            items=items,
        )
    elif without:
        none = passed(
            NO_STAGE,
            f"{len(without)} of {total} open jobs have no “{stage}” stage (Karat "
            "cannot be sent from them): " + listed([i.label for i in items]),
            items=items,
        )
    else:
        none = passed(
            NO_STAGE, f"every one of the {total} open jobs has a “{stage}” stage"
        )
    return plans, [single, none]


# -- stage alignment -------------------------------------------------------------


async def alignment_checks(
    ctx: HealthContext, plans: InterviewPlans | None, tests: list[KaratTest] | None
) -> list[Check]:
    """The Karat stages found, and whether each is aligned to a Karat test."""
    if plans is None:
        return [
            warned(
                ALIGNMENT,
                "not checked: the interview plans could not be read",
                "Fix the interview plan checks first.",
            )
        ]
    stages = plans.stages
    if not stages:
        return [passed(ALIGNMENT, "no Karat stages to align yet")]
    aligned = {}
    if ctx.db is not None:
        aligned = (await team_config.current(ctx.db, ctx.settings)).stage_alignment
    found = [s.label for s in stages]
    todo = [s for s in stages if s.stage_id not in aligned]
    offered = {test_value(t) for t in tests} if tests is not None else None
    stale = [
        s
        for s in stages
        if s.stage_id in aligned
        and offered is not None
        and aligned[s.stage_id].test not in offered
    ]
    fix = (
        "Align each Karat stage to a Karat test with /karat config (Karat's support "
        "walks you through stage alignment after set-up)."
    )
    items = [Item(s.label, plan_url(ctx.settings, s.job_id)) for s in todo + stale]
    if len(todo) == len(stages):
        return [
            warned(
                ALIGNMENT,
                f"{len(stages)} Karat stage{'' if len(stages) == 1 else 's'} found "
                f"({listed(found)}); none is aligned to a Karat test yet",
                fix,
                items=items,
            )
        ]
    if todo or stale:
        parts = []
        if todo:
            parts.append("not aligned: " + listed([s.label for s in todo]))
        if stale:
            parts.append(
                "aligned to a test Karat no longer offers: "
                + listed([s.label for s in stale])
            )
        return [warned(ALIGNMENT, "; ".join(parts), fix, items=items)]
    return [
        passed(
            ALIGNMENT,
            f"all {len(stages)} Karat stage{'' if len(stages) == 1 else 's'} aligned",
        )
    ]
