"""Sending a Karat test: check everything first, then send once and remember it.

`check` turns a submitted form into a `SendPlan` or raises `FormErrors` whose messages
name the problem and the fix. `send` claims the form's idempotency key in the database
before calling Karat, so a double click, a Slack retry or a second recruiter sending
the same test at the same moment ends with one invitation.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.clients.greenhouse.models import (
    Application,
    Candidate,
    Job,
    JobStage,
    UserRef,
)
from bot.clients.karat import KaratCandidate, KaratTest
from bot.errors import (
    AuthFailed,
    FormErrors,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unreachable,
    UpstreamError,
    ValidationFailed,
    service_name,
)
from bot.services import effects, follow_up, team_config
from bot.services.candidates import parse_choice_value
from bot.services.catalog import TestCatalog
from bot.services.context import Services
from bot.services.people import MappedPerson, map_known, map_many
from bot.services.recruiter import recruiter_for
from bot.storage import invitations as store
from bot.storage.models import Grader, Invitation, InvitationStatus
from bot.timefmt import ago

logger = logging.getLogger(__name__)

CHECK_BUDGET_SECONDS = 2.4  # Slack waits 3 s for the answer to a modal submission
SEND_ANYWAY = "not_in_stage"
RESEND = "resend"


@dataclass(frozen=True)
class SendForm:
    """What the recruiter submitted."""

    idempotency_key: str
    sender_slack_id: str
    candidate_value: str | None
    test_value: str | None
    grader_ids: list[str]
    options: frozenset[str] = frozenset()


@dataclass
class SendPlan:
    form: SendForm
    candidate: Candidate
    application: Application
    job: Job | None
    test: KaratTest
    sender: MappedPerson
    graders: list[MappedPerson]
    replaces: Invitation | None = None
    recruiter_name: str | None = None


@dataclass
class SendOutcome:
    invitation: Invitation
    graders: list[Grader]
    note_written: bool
    pending: list[str] = field(default_factory=list)
    duplicate: bool = False


async def check(services: Services, catalog: TestCatalog, form: SendForm) -> SendPlan:
    """Validate a submitted form within Slack's time limit."""
    errors: dict[str, str] = {}
    if not form.candidate_value:
        errors["candidate"] = "Choose a candidate."
    if not form.test_value:
        errors["test"] = "Choose an assessment."
    if not form.grader_ids:
        errors["graders"] = "Choose at least one person to grade it."
    if errors:
        raise FormErrors(errors)
    limiter = getattr(services.harvest, "limiter", None)
    waited = limiter.waited if limiter is not None else 0.0
    try:
        return await asyncio.wait_for(
            _check(services, catalog, form), CHECK_BUDGET_SECONDS
        )
    except TimeoutError:
        if limiter is not None and limiter.waited - waited > 0.5:
            # The checks queued behind Harvest's rate window, not a slow service.
            raise FormErrors(
                {
                    "candidate": "Greenhouse's rate limit has the bot waiting its "
                    "turn for a few seconds; submit again in a moment."
                }
            ) from None
        raise FormErrors(
            {"candidate": "Greenhouse or Karat is slow to answer right now; try again."}
        ) from None
    except Unreachable as exc:
        raise FormErrors({_field_for(exc): _unreachable(exc.service)}) from None
    except UpstreamError as exc:
        raise FormErrors({_field_for(exc): explain_check_failure(exc)}) from None


def _field_for(exc: UpstreamError) -> str:
    return {"karat": "test", "slack": "graders"}.get(exc.service, "candidate")


def explain_check_failure(exc: UpstreamError) -> str:
    """What the recruiter reads when a service failed while checking the form."""
    name = service_name(exc.service)
    if isinstance(exc, AuthFailed | PermissionDenied):
        return (
            f"{name} refused the bot ({exc.message}), so nothing was sent. Ask an "
            "admin "
            "to run /karat health."
        )
    if isinstance(exc, RateLimited):
        return f"{name} is busy right now, so nothing was sent. Try again in a minute."
    if isinstance(exc, MalformedResponse):
        return (
            f"{name} sent an answer the bot could not read, so nothing was sent. Try "
            "again in a few minutes."
        )
    status = f" ({exc.status})" if exc.status else ""
    return (
        f"{name} answered with an error{status}, so nothing was sent. Try again in a "
        "few minutes."
    )


async def _check(services: Services, catalog: TestCatalog, form: SendForm) -> SendPlan:
    harvest = services.harvest
    candidate_id, application_id = parse_choice_value(form.candidate_value or "")
    test_task = asyncio.create_task(catalog.find(form.test_value or ""))
    people_task = asyncio.create_task(_people(services, form))
    try:
        candidate = await harvest.get_candidate(candidate_id)
        application = await harvest.get_application(application_id)
    except NotFound:
        test_task.cancel()
        people_task.cancel()
        raise FormErrors(
            {"candidate": "Greenhouse has no such candidate any more; search again."}
        ) from None
    except PermissionDenied:
        test_task.cancel()
        people_task.cancel()
        raise FormErrors(
            {
                "candidate": "The integration user cannot see this candidate (a "
                "private "
                "candidate?). Ask a Greenhouse admin to grant it access, or send the "
                "test from Greenhouse."
            }
        ) from None
    errors: dict[str, str] = {}
    _check_candidate(candidate, application, errors)
    job = await harvest.get_job(application.job.id) if application.job else None
    if job is not None and "candidate" not in errors:
        stages = await harvest.list_job_stages_for_job(job.id)
        _check_stage(services, form, application, job, stages, errors)
    try:
        test = await test_task
    except AuthFailed:
        test = None
        errors["test"] = _karat_key_rejected()
    if test is None and "test" not in errors:
        errors["test"] = "Karat no longer offers this assessment; choose another."
    sender, graders = await people_task
    if not sender.ok:
        errors.setdefault(
            "candidate",
            "You need an active Greenhouse account with your Slack e-mail to send "
            "tests "
            f"({sender.problem}). Ask a Greenhouse admin to add you.",
        )
    bad = [g for g in graders if not g.ok]
    if bad:
        errors["graders"] = (
            "Each grader needs an active Greenhouse account: "
            + "; ".join(g.problem or g.person.name for g in bad)
            + "."
        )
    replaces = None
    if test is not None and "candidate" not in errors:
        replaces = await _check_waiting(services, form, application, test, errors)
    if errors:
        raise FormErrors(errors)
    assert test is not None
    source = (
        await team_config.current(services.db, services.settings)
    ).recruiter_source
    recruiter = recruiter_for(
        source, application=application, candidate=candidate, job=job
    )
    recruiter_name = await _person_name(services, recruiter)
    return SendPlan(
        form,
        candidate,
        application,
        job,
        test,
        sender,
        graders,
        replaces,
        recruiter_name=recruiter_name,
    )


async def _person_name(services: Services, ref: UserRef | None) -> str | None:
    """A user stub's name; v3 stubs carry only the id, so read the user then."""
    if ref is None:
        return None
    if ref.name or ref.first_name or ref.last_name:
        return ref.display_name
    try:
        return (await services.harvest.get_user(ref.id)).display_name
    except UpstreamError:
        return None


async def _people(
    services: Services, form: SendForm
) -> tuple[MappedPerson, list[MappedPerson]]:
    sender = await map_known(services.slack, services.harvest, form.sender_slack_id)
    graders = await map_many(services.slack, services.harvest, form.grader_ids)
    return sender, graders


def _check_candidate(
    candidate: Candidate, application: Application, errors: dict[str, str]
) -> None:
    name = candidate.full_name
    if candidate.is_private:
        # Only the people Greenhouse lets see them may know of them; send in there.
        errors["candidate"] = (
            "This candidate is private in Greenhouse, so the bot does not send "
            "tests to them from Slack; send the test from Greenhouse."
        )
    elif application.candidate_id != candidate.id:
        errors["candidate"] = "That application belongs to someone else; search again."
    elif application.status in ("rejected", "hired"):
        errors["candidate"] = (
            f"{name}'s application was {application.status} in Greenhouse; Karat tests "
            "go to active applications only."
        )
    elif application.prospect and application.job is None:
        errors["candidate"] = (
            f"{name} is a prospect without a job. Add them to a job with a Karat stage "
            "in Greenhouse first."
        )
    elif not candidate.email:
        errors["candidate"] = (
            f"{name} has no e-mail address in Greenhouse; add one and send again."
        )


def _check_stage(
    services: Services,
    form: SendForm,
    application: Application,
    job: Job,
    stages: list[JobStage],
    errors: dict[str, str],
) -> None:
    stage_name = services.settings.KARAT_STAGE_NAME.strip().casefold()
    karat = [
        s
        for s in stages
        if s.active and (s.name or "").strip().casefold() == stage_name
    ]
    if not karat:
        errors["candidate"] = (
            f"The job {job.name} has no {services.settings.KARAT_STAGE_NAME} stage in "
            "its "
            "interview plan. Add one in Greenhouse, then send again."
        )
    elif len(karat) > 1:
        errors["candidate"] = (
            f"The job {job.name} has {len(karat)} {services.settings.KARAT_STAGE_NAME} "
            "stages; only a single Karat stage works. Remove the extra one in "
            "Greenhouse."
        )
    elif (
        application.current_stage is None or application.current_stage.id != karat[0].id
    ):
        if SEND_ANYWAY not in form.options:
            where = (
                application.current_stage.name
                if application.current_stage
                else "no stage"
            )
            errors["candidate"] = (
                f"The candidate is in {where}, not in the "
                f"{services.settings.KARAT_STAGE_NAME} stage. Move them in Greenhouse, "
                "or "
                'tick "Send even if not in the Karat stage" and send again.'
            )


async def _check_waiting(
    services: Services,
    form: SendForm,
    application: Application,
    test: KaratTest,
    errors: dict[str, str],
) -> Invitation | None:
    async with services.db.session() as session:
        waiting = await store.waiting_for(
            session, application_id=application.id, test_id=test.test_id
        )
    if waiting is None or waiting.idempotency_key == form.idempotency_key:
        return None
    if RESEND in form.options and waiting.status == InvitationStatus.SENT:
        return waiting
    errors["test"] = (
        f"{test.name} was already sent to this candidate "
        f"{ago(waiting.sent_at, at=services.clock())} "
        f'by {waiting.sender_name}. Tick "Send again" to resend it.'
    )
    return None


async def send(services: Services, plan: SendPlan) -> SendOutcome:
    """Send the test once, remember it, and owe the Greenhouse note."""
    token = store.new_token()
    claimed = await _claim(services, plan, token)
    if isinstance(claimed, SendOutcome):
        return claimed
    invitation = claimed
    candidate = plan.candidate
    settings = services.settings
    try:
        interview_id = await services.karat.endpoint(plan.test.kind).send_test(
            test_id=plan.test.test_id,
            candidate=KaratCandidate(
                first_name=candidate.first_name or "",
                last_name=candidate.last_name or "",
                preferred_name=candidate.preferred_name or candidate.first_name or "",
                email=candidate.email or "",
                phone_number=candidate.phone,
                resume_url=candidate.resume_url,
                greenhouse_profile_url=settings.profile_url(
                    candidate.id, plan.application.id
                ),
            ),
            sent_by=plan.sender.person.email,
            url=settings.callback_url(token),
        )
    except UpstreamError as exc:
        await _release(services, plan, invitation, exc)
        raise
    graders = _graders(plan, invitation)
    now = services.clock()
    try:
        await _record_sent(services, invitation, interview_id, graders, now)
    except Exception:
        # Karat has the invitation: it must not be lost with the rest. Record the
        # bare minimum so the result can still arrive, then say what is missing.
        logger.exception("recording the sent test failed invitation=%s", invitation.id)
        await _record_sent(services, invitation, interview_id, [], now)
    return await _after_sent(services, plan, invitation, graders, interview_id)


def _graders(plan: SendPlan, invitation: Invitation) -> list[Grader]:
    unique = {g.person.slack_id: g for g in plan.graders}
    return [
        Grader(
            invitation_id=invitation.id or 0,
            slack_user_id=g.person.slack_id,
            greenhouse_user_id=g.user.id if g.user else None,
            name=g.name,
        )
        for g in unique.values()
    ]


async def _record_sent(
    services: Services,
    invitation: Invitation,
    interview_id: str,
    graders: list[Grader],
    now: datetime,
) -> None:
    settings = services.settings
    async with services.db.session() as session:
        await store.transition(
            session,
            invitation.id or 0,
            from_status=[InvitationStatus.SENDING],
            values={
                "status": InvitationStatus.SENT,
                "karat_interview_id": interview_id,
                "sent_at": now,
                "expires_at": now + timedelta(weeks=settings.RESULT_EXPIRY_WEEKS),
                "next_check_at": follow_up.first_check_at(
                    invitation.id or 0,
                    now,
                    timedelta(minutes=settings.KARAT_POLL_MINUTES),
                ),
            },
        )
        session.add_all(graders)
        await effects.owe_sent_note(session, invitation.id or 0)


async def _after_sent(
    services: Services,
    plan: SendPlan,
    invitation: Invitation,
    graders: list[Grader],
    interview_id: str,
) -> SendOutcome:
    logger.info(
        "test sent invitation=%s candidate_id=%s application_id=%s "
        "karat_interview_id=%s",
        invitation.id,
        plan.candidate.id,
        plan.application.id,
        interview_id,
    )
    async with services.db.session() as session:
        fresh = await store.get(session, invitation.id or 0)
    assert fresh is not None
    note_written, pending = await effects.try_now(
        services, effects.sent_note_key(fresh.id or 0)
    )
    services.nudge()
    return SendOutcome(fresh, graders, note_written, pending)


async def _claim(
    services: Services, plan: SendPlan, token: str
) -> Invitation | SendOutcome:
    form = plan.form
    invitation = Invitation(
        token_hash=store.token_digest(token),
        idempotency_key=form.idempotency_key,
        candidate_id=plan.candidate.id,
        application_id=plan.application.id,
        job_id=plan.job.id if plan.job else None,
        candidate_name=plan.candidate.full_name,
        job_name=plan.job.name if plan.job else None,
        test_kind=plan.test.kind.value,
        test_id=plan.test.test_id,
        test_name=plan.test.name,
        sender_slack_id=form.sender_slack_id,
        sender_name=plan.sender.name,
        sender_greenhouse_id=plan.sender.user.id if plan.sender.user else None,
        recruiter_name=plan.recruiter_name,
        status=InvitationStatus.SENDING,
        sent_at=services.clock(),
    )
    try:
        async with services.db.session() as session:
            if plan.replaces is not None:
                # Resending: the earlier invitation stops counting in the same
                # transaction, so the one-waiting-test constraint still holds.
                await store.transition(
                    session,
                    plan.replaces.id or 0,
                    from_status=[InvitationStatus.SENT],
                    values={"status": InvitationStatus.REPLACED},
                )
            session.add(invitation)
            await session.flush()
    except IntegrityError:
        return await _already(services, plan)
    return invitation


async def _already(services: Services, plan: SendPlan) -> SendOutcome:
    """The key or the test was claimed by another submission: report that one."""
    async with services.db.session() as session:
        existing = await store.by_idempotency_key(session, plan.form.idempotency_key)
        if existing is None:
            existing = await store.waiting_for(
                session, application_id=plan.application.id, test_id=plan.test.test_id
            )
        graders = await store.graders_of(session, existing.id or 0) if existing else []
    if existing is None:
        raise FormErrors(
            {"test": "Another send of this test just finished; check /karat status."}
        )
    if not graders:
        # The first submission is still waiting for Karat and has not stored its
        # graders yet; they are the ones this form names.
        graders = [
            Grader(
                invitation_id=existing.id or 0,
                slack_user_id=g.person.slack_id,
                name=g.name,
            )
            for g in plan.graders
        ]
    return SendOutcome(existing, graders, note_written=False, duplicate=True)


async def _release(
    services: Services, plan: SendPlan, invitation: Invitation, exc: UpstreamError
) -> None:
    """Karat did not take the test: free the claim so the form can be sent again."""
    uncertain = isinstance(exc, Unreachable | MalformedResponse) and getattr(
        exc, "maybe_delivered", True
    )
    logger.warning(
        "send_test failed invitation=%s error=%s uncertain=%s",
        invitation.id,
        exc,
        uncertain,
    )
    async with services.db.session() as session:
        row = await store.get(session, invitation.id or 0)
        if row is not None and row.status == InvitationStatus.SENDING:
            if uncertain:
                # Karat may have it: keep its token, so a callback that proves it
                # arrived still finds who sent it and who grades it. The claim on
                # the application is released all the same (a resend is allowed).
                await store.transition(
                    session,
                    row.id or 0,
                    from_status=[InvitationStatus.SENDING],
                    values={
                        "status": InvitationStatus.UNCONFIRMED,
                        "sent_at": services.clock(),
                        # The form's key is freed, so the same form can try again.
                        "idempotency_key": f"unconfirmed:{row.id}",
                    },
                )
                session.add_all(_graders(plan, row))
            else:
                await session.delete(row)
            await session.flush()
        if plan.replaces is not None:
            await store.transition(
                session,
                plan.replaces.id or 0,
                from_status=[InvitationStatus.REPLACED],
                values={"status": InvitationStatus.SENT},
            )
    if isinstance(exc, MalformedResponse):
        await effects.report_malformed(
            services, exc, api_call="send_test", kind=invitation.test_kind
        )


def explain_send_failure(exc: UpstreamError) -> str:
    """What the recruiter reads when Karat did not take the test."""
    if isinstance(exc, AuthFailed):
        return _karat_key_rejected()
    if isinstance(exc, Unreachable) and not exc.maybe_delivered:
        return _unreachable("karat")
    if isinstance(exc, Unreachable | MalformedResponse):
        return (
            "Karat did not give a clear answer, so the bot cannot tell whether the "
            "invitation went out. Check in Karat before sending again; if it did go "
            "out, the candidate's results will still reach the graders."
        )
    if isinstance(exc, ValidationFailed):
        return f"Karat refused the invitation: {exc.message}. Nothing was sent."
    return (
        f"Karat answered with an error ({exc.status}); nothing was sent. Try again "
        "later."
    )


def _karat_key_rejected() -> str:
    return (
        "Karat rejected the bot's API key, so nothing was sent. Ask an admin to check "
        "KARAT_API_KEY (run /karat health)."
    )


def _unreachable(service: str) -> str:
    name = service_name(service)
    return (
        f"{name} could not be reached, so nothing was sent. Try again in a few minutes."
    )
