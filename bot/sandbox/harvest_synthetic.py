"""Synthetic crowds for the Harvest stand-in: many plausible candidates, fast.

Names carry accents the way real applicant lists do; e-mail addresses are their
ASCII folding. Each candidate gets one application on an open job, at a random stage.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import timedelta

from bot.sandbox.harvest_data import HarvestData
from bot.sandbox.harvest_seed import EPOCH, new_application, new_candidate

_FIRST = (
    "José María Zoë Søren Chloé Anaïs Björn Łukasz Inès Renée Thiago Aiko Oluwaseun "
    "Siobhán François Mónica Noah Emma Liam Olivia Mateo Sofía Ahmed Fatima Kenji "
    "Yuki Arjun Priya Chidi Amara Mikael Åsa Jürgen Eléonore Dmitri Ana Luca Giulia "
    "Ngozi Tomás Maëlle Hüseyin Zsófia Wojciech Agnès Rafael Leïla Ömer Iñaki Grace"
).split()
_LAST = (
    "García Müller O'Brien Núñez Kowalski Dubois Åberg Çelik Smith Nakamura Okoye "
    "Pérez Schröder Lefèvre Ivanova Johansson Rossi Silva Nguyen Kim Haddad Jensen "
    "Fernández Novák Brown Wójcik Yılmaz Dvořák Sørensen Mäkinen López Adeyemi "
    "Papadopoulos Ferreira Moreau Costa Horváth Becker Lindqvist Ó Súilleabháin"
).split()
# Letters NFKD leaves alone but an e-mail address cannot carry.
_ASCII = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "ı": "i"})


def email_local(*parts: str) -> str:
    """A plausible ASCII e-mail local part from names with accents."""
    joined = ".".join(parts).translate(_ASCII)
    folded = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum() or c == ".")


def add_synthetic(data: HarvestData, n: int, *, seed: int = 0) -> list[int]:
    """Add `n` candidates, one application each on open jobs; return their ids."""
    rng = random.Random(seed)
    with data.lock:
        open_jobs = [j["id"] for j in data.jobs.values() if j["status"] == "open"]
        if not open_jobs:
            raise ValueError("there is no open job to apply to; load the cast first")
        stages_of = {
            jid: [s["id"] for s in data.stages.values() if s["job_id"] == jid]
            for jid in open_jobs
        }
        recruiters = [u["id"] for u in data.users.values() if not u["disabled"]]
        cid = data.next_id("candidates", 10_001)
        aid = data.next_id("applications", 1_000_001)
        ids = []
        for offset in range(n):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            created = EPOCH - timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
            email = f"{email_local(first, last)}.{cid + offset}@mail.example"
            candidate = new_candidate(
                cid + offset,
                first,
                last,
                [(email, "personal")],
                created,
                recruiter=rng.choice(recruiters),
            )
            if rng.random() < 0.6:
                number = f"+1 555 {rng.randrange(10_000):04d}"
                candidate["phone_numbers"] = [{"value": number, "type": "mobile"}]
            data.candidates[cid + offset] = candidate
            job = rng.choice(open_jobs)
            data.add_application(
                new_application(
                    aid + offset,
                    cid + offset,
                    job,
                    rng.choice(stages_of[job]),
                    created,
                    status="rejected" if rng.random() < 0.05 else "active",
                    credited_to=candidate["recruiter_id"],
                    recruiter=candidate["recruiter_id"],
                    source=rng.choice(list(data.sources) or [None]),
                )
            )
            ids.append(cid + offset)
        return ids
