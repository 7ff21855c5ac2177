"""`karat-bot demo`: the whole story against local stand-ins, told step by step.

A recruiter sends a Karat test from Slack, Karat completes it, the graders get their
DMs, Greenhouse gets both notes, and `/karat status` tells the truth. Every step goes
through real HTTP; the demo exits non-zero if any step did not do what it should.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from bot.blocks import ids
from bot.logs import setup_logging
from bot.sandbox.harness import Sandbox

RECRUITER, GRADERS = "U0ANA", ["U0SAM", "U0LEE"]
MAYA, MAYA_APPLICATION = 301, 401
PRIYA, PRIYA_APPLICATION = 303, 403
TEST = "interview:karat-backend-60"


class StepFailed(Exception):
    pass


class Story:
    def __init__(self, sandbox: Sandbox, out: Callable[[str], None]) -> None:
        self.sb = sandbox
        self.out = out
        self.step_no = 0

    def step(self, title: str, action: Callable[[], str]) -> None:
        self.step_no += 1
        started = time.perf_counter()
        try:
            detail = action()
        except Exception as exc:
            self.out(f"  ✗ {self.step_no}. {title}\n      {type(exc).__name__}: {exc}")
            raise StepFailed(title) from exc
        ms = (time.perf_counter() - started) * 1000
        self.out(f"  ✓ {self.step_no}. {title}  ({ms:.0f} ms)")
        for line in detail.splitlines():
            self.out(f"      {line}")

    # -- the steps --------------------------------------------------------------------

    def open_modal(self) -> str:
        answer = self.sb.slash(RECRUITER, "send")
        expect(answer.status_code == 200, f"/karat send answered {answer.status_code}")
        self.sb.slack.wait_for("views.open")
        update = self.sb.slack.wait_for("views.update")[-1]
        view = self.sb.slack.views[update.args["view_id"]]
        self.view = view
        labels = [
            b.get("label", {}).get("text")
            for b in view["blocks"]
            if b["type"] == "input"
        ]
        expect("Who should grade it?" in labels, f"modal inputs: {labels}")
        tests = _options(view, ids.TEST_BLOCK)
        return (
            f"Ana typed /karat send; the modal opened with: {', '.join(labels)}\n"
            + (f"Assessments offered: {', '.join(tests)}")
        )

    def search(self) -> str:
        payload = self.sb.slack.block_suggestion_payload(
            ids.CANDIDATE_ACTION,
            "maya",
            RECRUITER,
            block_id=ids.CANDIDATE_BLOCK,
            view=self.view["id"],
        )
        answer = self.sb.interact(payload)
        expect(answer.status_code == 200, f"options load answered {answer.status_code}")
        options = answer.json().get("options", [])
        labels = [o["text"]["text"] for o in options]
        expect(
            any(o["value"] == f"{MAYA}:{MAYA_APPLICATION}" for o in options),
            f"options: {labels}",
        )
        return f"Typing “maya” offered: {'; '.join(labels)}"

    def refuse_priya(self) -> str:
        answer = self._submit(f"{PRIYA}:{PRIYA_APPLICATION}", TEST, GRADERS)
        body = answer.json()
        expect(body.get("response_action") == "errors", f"expected errors, got {body}")
        message = body["errors"].get(ids.CANDIDATE_BLOCK, "")
        expect("no e-mail address" in message, message)
        expect(not self.sb.karat.requests_to("send_test"), "a test was sent anyway")
        return f"Sending to Priya Raman was refused in the modal:\n“{message}”"

    def send(self) -> str:
        answer = self._submit(f"{MAYA}:{MAYA_APPLICATION}", TEST, GRADERS)
        body = answer.json()
        expect(body.get("response_action") == "update", f"submission answered {body}")
        final = self.sb.slack.wait_for(
            "views.update",
            predicate=lambda c: "sent to" in str(c.args.get("view")),
            timeout=10,
        )[-1]
        sent = self.sb.karat.requests_to("send_test")
        expect(len(sent) == 1, f"{len(sent)} send_test calls")
        request = sent[0].body
        expect(
            request["candidate"]["greenhouse_profile_url"].endswith(
                f"/people/{MAYA}?application_id={MAYA_APPLICATION}"
            ),
            "profile URL",
        )
        expect(request["sent_by"] == "ana.ruiz@acme.example", "sent_by")
        expect(
            request["url"].startswith(f"{self.sb.bot_url}/karat/callback/"),
            "callback URL",
        )
        text = _section_text(final.args["view"])
        return (
            "Karat got send_test for Maya Chen (Backend Interview), sent by Ana, "
            "with a "
            "private callback URL.\nThe modal now says: " + text.replace("\n", " ")
        )

    def bot_notes(self) -> list[dict[str, Any]]:
        return [n for n in self.sb.harvest.notes_for(MAYA) if "karat-bot/" in n["body"]]

    def sent_note(self) -> str:
        notes = _wait(self.bot_notes, lambda n: len(n) >= 1)
        body = notes[0]["body"]
        expect("sent to Maya Chen by Ana Ruiz" in body, body)
        return (
            "Greenhouse activity feed note (as the Karat Integration user):\n"
            + _quote(body)
        )

    def status_sent(self) -> str:
        return self._status("Sent just now")

    def complete(self) -> str:
        interview_id = next(iter(self.sb.karat.invitations))
        status = self.sb.karat.complete(interview_id, score=87)
        expect(status == 200, f"the callback answered {status}")
        return f"Karat finished the interview (score 87) and called back: HTTP {status}"

    def grader_dms(self) -> str:
        posts = self.sb.slack.wait_for("chat.postMessage", count=3, timeout=10)
        channels = {p.args["channel"]: p for p in posts}
        lines = []
        for grader in GRADERS:
            dm = self.sb.slack.dm_channel_of(grader)
            expect(dm in channels, f"no DM to {grader}")
            text = channels[dm].args["text"]
            lines.append(f"DM to {self.sb.slack.user(grader).real_name}: {text}")
            expect(
                "87" in str(channels[dm].args.get("blocks")), "the score is in the DM"
            )
        return "\n".join(lines)

    def result_note(self) -> str:
        notes = _wait(self.bot_notes, lambda n: len(n) >= 2)
        body = notes[-1]["body"]
        expect("Score: 87" in body and "Report:" in body, body)
        return "Result note on the activity feed:\n" + _quote(body)

    def status_graded(self) -> str:
        return self._status(
            "To be graded by Sam Patel, Lee Okafor, results added just now"
        )

    def replay(self) -> str:
        before = len(self.sb.slack.calls_to("chat.postMessage"))
        token_url = self.sb.karat.requests_to("send_test")[0].body["url"]
        answer = self.sb.http.patch(token_url)
        time.sleep(0.5)
        after = len(self.sb.slack.calls_to("chat.postMessage"))
        expect(
            answer.status_code == 200 and before == after, "a replay changed something"
        )
        guess = self.sb.http.patch(f"{self.sb.bot_url}/karat/callback/not-a-real-token")
        expect(guess.status_code == 404, f"a guessed token got {guess.status_code}")
        return "A replayed callback changed nothing; a guessed token got 404."

    # -- helpers ----------------------------------------------------------------

    def _submit(self, candidate: str, test: str, graders: list[str]) -> Any:
        values = {
            ids.CANDIDATE_BLOCK: {
                ids.CANDIDATE_ACTION: {
                    "type": "external_select",
                    "selected_option": {"value": candidate},
                }
            },
            ids.TEST_BLOCK: {
                ids.TEST_ACTION: {
                    "type": "static_select",
                    "selected_option": {"value": test},
                }
            },
            ids.GRADERS_BLOCK: {
                ids.GRADERS_ACTION: {
                    "type": "multi_users_select",
                    "selected_users": graders,
                }
            },
            ids.OPTIONS_BLOCK: {
                ids.OPTIONS_ACTION: {"type": "checkboxes", "selected_options": []}
            },
        }
        payload = self.sb.slack.view_submission_payload(
            self.view["id"], values, RECRUITER
        )
        answer = self.sb.interact(payload)
        expect(answer.status_code == 200, f"submission answered {answer.status_code}")
        return answer

    def _status(self, expected: str) -> str:
        before = len(self.sb.slack.responses)
        answer = self.sb.slash(RECRUITER, "status maya.chen@mail.example")
        expect(
            answer.status_code == 200, f"/karat status answered {answer.status_code}"
        )
        posted = _wait(lambda: self.sb.slack.responses, lambda r: len(r) > before)[-1]
        text = posted.body.get("text", "")
        expect(expected in text, f"status said: {text}")
        return "/karat status maya.chen@mail.example →\n" + _quote(text)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def _wait(
    read: Callable[[], Any], ready: Callable[[Any], bool], timeout: float = 10
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise StepFailed(f"timed out waiting; last seen: {value!r}"[:500])
        time.sleep(0.05)


def _options(view: dict[str, Any], block_id: str) -> list[str]:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element = block["element"]
    groups = element.get("option_groups") or [{"options": element.get("options", [])}]
    return [o["text"]["text"] for g in groups for o in g["options"]]


def _section_text(view: Any) -> str:
    if isinstance(view, str):
        import json

        view = json.loads(view)
    return " ".join(b.get("text", {}).get("text", "") for b in view.get("blocks", []))


def _quote(text: str) -> str:
    return "\n".join(f"│ {line}" for line in text.splitlines())


def run_demo(out: Callable[[str], None] = print) -> int:
    """Play the story; 0 when every step did what it should."""
    setup_logging(level="WARNING")  # scrubbed like serve: tokens, e-mails
    started = time.perf_counter()
    out("karat-bot demo: Slack, Greenhouse (Harvest v3) and Karat are local stand-ins.")
    try:
        with Sandbox() as sandbox:
            out(f"The bot is serving at {sandbox.bot_url}\n")
            story = Story(sandbox, out)
            story.step("A recruiter opens “Send Karat test” in Slack", story.open_modal)
            story.step("She searches for the candidate by name", story.search)
            story.step(
                "A candidate with no e-mail is refused, nothing sent",
                story.refuse_priya,
            )
            story.step(
                "She sends the test to Maya Chen, graders Sam and Lee", story.send
            )
            story.step("Greenhouse gets a note that the test was sent", story.sent_note)
            story.step("/karat status says it was sent", story.status_sent)
            story.step("Karat completes the test and calls back", story.complete)
            story.step("Each grader gets a DM with the results", story.grader_dms)
            story.step("Greenhouse gets the results as a note", story.result_note)
            story.step("/karat status says who grades it", story.status_graded)
            story.step("A replayed or guessed callback does nothing", story.replay)
    except StepFailed:
        out("\nThe demo FAILED at the step marked ✗.")
        return 1
    out(f"\nAll steps passed in {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_demo())
