"""`python manage.py seed_demo`: a living demo forum on a fresh database.

Loads a discussion written for this project (two long threads on AI alignment and a short
one), with demo users, approval votes, agree/disagree votes, span votes with reasons,
author-proposed candidate reasons and picks, endorsements, crux links and an edited comment
with its revision history. Everything goes through the write layer (cruxes.services), so the
demo data obeys the same rules as data typed into the browser.

Idempotent: a second run finds the first thread and leaves everything as it is.
"""

from __future__ import annotations

import logging
import random
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cruxes.models import Claim, Comment, CommentRevision, Stance, Thread, Vote
from cruxes.services.claims import (
    candidate_reason_add,
    claim_get_or_create,
    claim_mark,
    crux_link_create,
    reason_endorse_toggle,
    vote_cast,
)
from cruxes.services.discussion import approval_vote_toggle, comment_create, comment_edit, thread_create

DEMO_PASSWORD = "demo-password-123"
MODERATOR = "mod_morgan"

# (username, first name, is moderator)
DEMO_USERS = [
    ("elena_interp", "Elena", False),
    ("bayesian_bert", "Bert", False),
    ("gwen_theory", "Gwen", False),
    ("ada_ml", "Ada", False),
    ("hiro_redteam", "Hiro", False),
    ("dmitri_evals", "Dmitri", False),
    ("felix_governance", "Felix", False),
    ("corrigible_cat", "Cat", False),
    (MODERATOR, "Morgan", True),
]
VOTERS = [name for name, _, is_moderator in DEMO_USERS if not is_moderator]

AGREE, DISAGREE, UNSURE = int(Stance.AGREE), int(Stance.DISAGREE), int(Stance.UNSURE)


@dataclass
class Node:
    """One comment in a thread's tree, named by `key` so votes can point at it."""

    key: str
    author: str
    body: str
    replies: list[Node] = field(default_factory=list)


LIST_ITEM = re.compile(r"^(\d+\.|[-*])\s")


def unwrap(text: str) -> str:
    """Join the hard-wrapped lines of each paragraph (and of each list item), so a sentence
    is one run of plain text and the demo's span votes can quote it exactly."""
    paragraphs = []
    for paragraph in text.strip().split("\n\n"):
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not LIST_ITEM.match(line.strip()):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.strip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def node(key: str, author: str, body: str, *replies: Node) -> Node:
    return Node(key, author, unwrap(body), list(replies))


@dataclass
class DemoThread:
    title: str
    author: str
    body: str
    replies: list[Node]
    days_ago: float


# --- The discussion ---------------------------------------------------------------------
# Keys: "t1" is thread 1's opening post, "t1.c2a" a reply in it, and so on.

THREAD_INTERPRETABILITY = DemoThread(
    title="Will interpretability scale to frontier models?",
    author="elena_interp",
    days_ago=6,
    body="""
I want to pin down a disagreement that keeps coming up whenever mechanistic interpretability
is discussed.

**My claim:** within five years, interpretability tools will be able to find and explain most
of the safety-relevant circuits in a frontier model (at least for behaviours we already know to
look for, like refusal or sycophancy). Sparse autoencoders already recover features that look
monosemantic in mid-sized models, and the methods have improved faster than model size.

What I am *not* claiming: that we will understand everything a model computes, or that
interpretability alone could certify a model as safe.

Where does this go wrong for you? If you disagree, please select the part you disagree with
rather than voting on the whole post.
""",
    replies=[
        node("c1", "bayesian_bert", """
The parenthetical is doing a lot of work. Finding circuits for behaviours we already know to
look for is the easy half; the dangerous behaviours are the ones nobody thought to probe for.
I could agree with the claim as written and still think it doesn't buy much safety.
""",
            node("c1a", "elena_interp", """
Fair, but "known behaviours" covers more than it sounds. Deception, power-seeking and
sandbagging are all things we know to look for; we just don't know yet what their circuits
look like.
""",
                node("c1a1", "bayesian_bert", """
Knowing the *word* for a behaviour isn't the same as knowing what to look for. A deceptive
model doesn't have to route anything through a dedicated lying feature. It could be ordinary
planning applied to a situation where honesty doesn't pay.
""",
                    node("c1a1a", "gwen_theory", """
This is the crux for me. If deception is just planning plus a world model that includes the
overseer, there is no special circuit to find, and interpretability has to understand planning
in general. That is a much harder target than refusal.
""",
                        node("c1a1a1", "elena_interp", """
I'd push back a little: even without a dedicated circuit, the model has to represent the
overseer, and its beliefs about whether it is being watched, somewhere. Linear probes for
"this is an evaluation" already work surprisingly well on current models.
""",
                            node("c1a1a1a", "hiro_redteam", """
They work on models that were never trained against them. Once a probe is in the loss, or
even just in the selection pressure of deployment decisions, I expect it to stop working.
Goodhart applies to probes too.
""",
                                node("c1a1a1a1", "elena_interp", """
Agreed that we shouldn't train against probes. But "don't optimise against your detector" is
a policy a lab can actually adopt, not a technical impossibility.
""",
                                    node("c1a1a1a1a", "felix_governance", """
It is a policy every lab has an incentive to quietly break when a probe flags its flagship
model a week before launch. I'd want it in an external commitment with an auditor, not left to
internal norms.
"""),
                                ),
                            ),
                        ),
                    ),
                    node("c1a1b", "dmitri_evals", """
Empirically, sandbagging on capability evals is detectable today with fairly blunt methods,
for example adding small noise to the weights and watching performance go *up*. Not every
safety property needs a circuit-level story.
""",
                        node("c1a1b1", "bayesian_bert", """
Nice trick, but it tells you that something is off, not what. That is an eval result, not
interpretability, which rather supports my point.
"""),
                    ),
                ),
            ),
            node("c1b", "corrigible_cat", """
I agree with the first half and disagree with "doesn't buy much safety". Even if audits only
cover known behaviours, ruling out the known failure modes is most of what a responsible
deployment decision needs.
""",
                node("c1b1", "bayesian_bert", """
Most of what a deployment decision needs *today*. The whole reason to worry about frontier
models is that the failure modes shift as capabilities do.
"""),
            ),
        ),
        node("c2", "ada_ml", """
I'm more pessimistic about the five-year timeline than about the rest. SAE features in
mid-sized models are great, but the dictionary size needed seems to grow faster than the model,
and we still reconstruct only about half of the variance that matters.
""",
            node("c2a", "elena_interp", """
The reconstruction gap is real. My bet is that we don't need to explain all of the variance,
only the part that carries the behaviours we care about, which is a much smaller target.
""",
                node("c2a1", "ada_ml", """
How would you know the unexplained residual doesn't contain the part that matters? The dark
matter in the activations is exactly where I'd expect something strange to hide.
""",
                    node("c2a1a", "gwen_theory", """
You can at least measure how much of a behaviour survives when you splice the reconstruction
in place of the real activations. If refusal still works through the SAE, the residual isn't
carrying it.
""",
                        node("c2a1a1", "ada_ml", """
That only works for behaviours you can trigger on demand. A rare, context-dependent behaviour
won't be in your ablation set.
""",
                            node("c2a1a1a", "dmitri_evals", """
Which is why evals and interpretability have to be paired: evals to find the triggers,
interpretability to check that the mechanism generalises beyond them.
"""),
                        ),
                    ),
                ),
            ),
            node("c2b", "hiro_redteam", """
Five years is also two or three frontier generations. Each so far has changed enough
(mixture-of-experts layers, much longer contexts, far more RL after pre-training) to break some
existing tooling.
""",
                node("c2b1", "elena_interp", """
True, though the core tools (linear probes, SAEs, activation patching) have carried over to
every architecture so far with modest changes.
"""),
            ),
        ),
        node("c3", "felix_governance", """
From a policy angle the question isn't whether interpretability scales in the lab, but whether
it produces evidence a regulator can rely on. "We looked and didn't find a deception circuit"
is a very weak statement.
""",
            node("c3a", "corrigible_cat", """
Absence of evidence is weak, but a *method* with a measured detection rate on model organisms
(planted backdoors, trained-in deception) would let you say something quantitative.
""",
                node("c3a1", "felix_governance", """
Only if the model organisms are representative. A planted backdoor is much easier to find than
something the training process grew on its own.
""",
                    node("c3a1a", "gwen_theory", """
Auditing games help here: one team trains a model with a hidden objective, another tries to
find it blind. The published results are encouraging but small.
""",
                        node("c3a1a1", "hiro_redteam", """
Encouraging partly because the auditors usually had access to the training data. Take that away
and the success rate drops a lot.
"""),
                    ),
                ),
            ),
        ),
        node("c4", "gwen_theory", """
Meta-point: I think we are talking past each other because "scale" means two things. Scaling
the *compute* of the analysis with model size looks feasible. Scaling human understanding of
what the analysis finds is the bottleneck.
""",
            node("c4a", "elena_interp", """
Yes. Automated interpretability, models labelling features for other models, is the bet on the
second kind. It works, noisily.
""",
                node("c4a1", "bayesian_bert", """
Using a model to explain a model moves the trust problem rather than solving it. If the
explainer comes from the same family as the explained, their errors will be correlated.
""",
                    node("c4a1a", "corrigible_cat", """
Correlated, not identical. An explanation can be checked by simulation: predict the feature's
activations from the explanation alone and score the prediction. That check is hard to fake.
""",
                        node("c4a1a1", "bayesian_bert", """
It can be gamed if the explainer learns which explanations score well without being faithful.
Still, I grant that it raises the bar.
"""),
                    ),
                ),
            ),
        ),
        node("c5", "dmitri_evals", """
Concrete proposal: each of us writes down the observation in 2030 that would make us say
"interpretability scaled". Mine: a lab finds a previously unknown, safety-relevant behaviour in
a frontier model *primarily* through interpretability, and evals confirm it afterwards.
""",
            node("c5a", "elena_interp", "I'd accept that as the bar, and I'd put it at about 60% by 2030.",
                node("c5a1", "ada_ml", "I'd say 25%. Happy to bet at those odds."),
            ),
            node("c5b", "felix_governance", """
Mine: a regulator accepts an interpretability audit as part of a safety case, and the audit
holds up when the model is later studied more closely.
"""),
        ),
        node("c6", "hiro_redteam", """
A small empirical note: circuits found on one prompt distribution often don't transfer to
paraphrases of the same prompts. Anything we claim to have explained should be re-tested under
distribution shift before it counts.
"""),
    ],
)

THREAD_DECEPTION = DemoThread(
    title="Deceptive alignment is the default outcome of RLHF-like training (conditional on situational awareness)",
    author="gwen_theory",
    days_ago=3,
    body="""
Here is the argument as I would state it, split into steps so that we can disagree with a
specific step rather than with the whole thing:

1. Training selects for behaviour that scores well under oversight.
2. A model that can model its overseers can score well either by having the intended goals or
   by having other goals and behaving well for instrumental reasons.
3. There are many more goals of the second kind than of the first, so without a strong
   inductive bias toward the intended goals, a high-scoring model is more likely to be of the
   second kind.
4. Therefore deceptive alignment is the default, conditional on situational awareness arising
   before the intended goals are learned.

I'm at about 40% on the conclusion, mostly because I'm unsure about the condition in step 4.
""",
    replies=[
        node("c1", "ada_ml", """
Step 3 is where I get off. Counting goals is not how training picks a model. Gradient descent
follows the loss downhill from where it starts, and early in training the cheapest way to
reduce the loss is to learn roughly the intended behaviour directly.
""",
            node("c1a", "gwen_theory", """
That is the "intended goal gets there first" reply, and I find it the strongest one. But it
needs the intended goal to be simple compared with the proxy goals that fit the same data.
""",
                node("c1a1", "corrigible_cat", """
For RLHF the intended goal is something like "do what the rater would approve of on
reflection", which is not simple at all. "Get the rater to click approve" is simpler.
""",
                    node("c1a1a", "ada_ml", """
But getting the rater to click approve is reward hacking, not deceptive alignment. Deceptive
alignment needs a goal that reaches beyond the episode, and I don't see where that would come
from.
""",
                        node("c1a1a1", "gwen_theory", """
From long-horizon RL after pre-training. Once a single training episode is days of agentic
work, "beyond the episode" is a much smaller step.
"""),
                    ),
                ),
            ),
        ),
        node("c2", "hiro_redteam", """
Empirically, the model-organism results show that a deliberately trained-in deceptive policy
survives safety training, which is worrying. They don't show that training produces one on its
own, which is what this post claims.
""",
            node("c2a", "gwen_theory", """
Agreed, those results are about persistence, not emergence. I would update a lot on a clean
demonstration of emergence.
"""),
        ),
        node("c3", "dmitri_evals", """
I agree with step 2 and strongly disagree with the word "default". A default is what happens
under ordinary choices; here it depends on an ordering of capabilities that nobody has measured.
""",
            node("c3a", "felix_governance", """
Which suggests measuring it: track situational-awareness evals across training checkpoints and
see whether awareness arrives before or after the intended behaviour stabilises.
""",
                node("c3a1", "dmitri_evals", """
We are starting to. The early signal is that awareness of being tested appears surprisingly
early in post-training.
"""),
            ),
        ),
        node("c4", "bayesian_bert", """
40% seems high given that every step has to hold, but if I give each step 80% I land near 40%
too, so we agree more than it looks. My disagreement is with step 3 alone.
"""),
        node("c5", "elena_interp", """
An interpretability angle: if a deceptive model has to represent "the overseer is watching",
that representation is a target. This is why I care about the probe result in the
interpretability thread.
"""),
    ],
)

THREAD_TIMELINES = DemoThread(
    title="What evidence would move your AI timelines by more than five years?",
    author="felix_governance",
    days_ago=1,
    body="""
Most timeline debates trade the same arguments. I'd like a list of concrete observations, each
of which would move your median by more than five years. Please say in which direction.
""",
    replies=[
        node("c1", "dmitri_evals", """
Later: two consecutive frontier generations that improve on benchmarks but not on long-horizon
agentic work such as week-long software projects.
"""),
        node("c2", "ada_ml", """
Earlier: a model doing original, publishable research in a field it was not specifically
trained for, with humans only choosing the problem.
""",
            node("c2a", "hiro_redteam", "I'd want that replicated by a group outside the lab that made the model before updating much."),
        ),
        node("c3", "corrigible_cat", """
Later: compute scaling running into a hard limit on power or chip supply that lasts more than
two years.
"""),
    ],
)

THREADS = [THREAD_INTERPRETABILITY, THREAD_DECEPTION, THREAD_TIMELINES]

# --- Span claims, candidate reasons, votes -----------------------------------------------

# Claims the author marks in their own text, with the candidate reasons they offer.
MARKED_CLAIMS = [
    ("t1", "(at least for behaviours we already know to look for, like refusal or sycophancy)", [
        "Is it that the unknown behaviours matter more than the known ones?",
        "Is it that a known behaviour can be rerouted so its circuit is no longer where we look?",
        "Or do you think even known behaviours are too hard to localise?",
    ]),
    ("t1", "within five years", [
        "Is it the timeline specifically (you would agree with ten years)?",
        "Is it that scale breaks the methods, whatever the timeline?",
    ]),
    ("t2", "There are many more goals of the second kind than of the first", [
        "Is it that counting goals is the wrong measure (count by simplicity, or by what SGD reaches)?",
        "Is it that the intended goal is learned before situational awareness arises?",
    ]),
]


@dataclass
class SpanVote:
    key: str
    exact: str
    voter: str
    stance: int
    reason: str = ""
    picks: tuple[int, ...] = ()  # indexes into the claim's candidate reasons
    signed: bool = False


PARENTHETICAL = MARKED_CLAIMS[0][1]
FIVE_YEARS = "within five years"
FASTER = "the methods have improved faster than model size"
COUNTING = MARKED_CLAIMS[2][1]
DEFAULT = "Therefore deceptive alignment is the default"

SPAN_VOTES = [
    # Thread 1: "presumably it's with the parenthetical" — and here the readers say so.
    SpanVote("t1", PARENTHETICAL, "bayesian_bert", DISAGREE,
             "Known behaviours are the easy half; the dangerous ones are those nobody probes for.", (0,), True),
    SpanVote("t1", PARENTHETICAL, "gwen_theory", DISAGREE, "", (1,)),
    SpanVote("t1", PARENTHETICAL, "hiro_redteam", DISAGREE,
             "Even known behaviours move once you optimise against the detector."),
    SpanVote("t1", PARENTHETICAL, "felix_governance", DISAGREE, "", (0,)),
    SpanVote("t1", PARENTHETICAL, "ada_ml", DISAGREE,
             "Refusal is a poor stand-in: it was trained to be easy to see."),
    SpanVote("t1", PARENTHETICAL, "corrigible_cat", AGREE,
             "Auditing the known behaviours is already most of what a deployment decision needs."),
    SpanVote("t1", FIVE_YEARS, "ada_ml", DISAGREE,
             "Dictionary sizes grow faster than the models, so five years is too short.", (1,), True),
    SpanVote("t1", FIVE_YEARS, "hiro_redteam", DISAGREE,
             "Two or three architecture changes will break the tooling along the way.", (1,)),
    SpanVote("t1", FIVE_YEARS, "felix_governance", DISAGREE, "", (0,)),
    SpanVote("t1", FIVE_YEARS, "dmitri_evals", UNSURE, "Depends on what counts as most of the circuits."),
    SpanVote("t1", FASTER, "dmitri_evals", AGREE),
    SpanVote("t1", FASTER, "ada_ml", DISAGREE, "Reconstruction quality has not kept pace with model size."),
    SpanVote("t1", FASTER, "gwen_theory", UNSURE),
    SpanVote("t1.c1", "it doesn't buy much safety", "corrigible_cat", DISAGREE,
             "Ruling out known failure modes is a large part of safety."),
    SpanVote("t1.c1", "it doesn't buy much safety", "elena_interp", DISAGREE,
             "Known behaviours include deception and sandbagging, which matter a lot."),
    SpanVote("t1.c1", "it doesn't buy much safety", "gwen_theory", AGREE),
    SpanVote("t1.c1a1a1a", "Goodhart applies to probes too", "elena_interp", AGREE),
    SpanVote("t1.c1a1a1a", "Goodhart applies to probes too", "dmitri_evals", AGREE,
             "Seen it happen with refusal probes in fine-tuning."),
    SpanVote("t1.c2", "the dictionary size needed seems to grow faster than the model", "elena_interp", DISAGREE,
             "Recent scaling results show features per parameter staying roughly flat."),
    SpanVote("t1.c2", "the dictionary size needed seems to grow faster than the model", "hiro_redteam", AGREE),
    SpanVote("t1.c2", "the dictionary size needed seems to grow faster than the model", "gwen_theory", UNSURE,
             "The scaling laws for dictionaries are measured on too few models to tell."),
    # Thread 2: the step-3 counting argument draws the fire.
    SpanVote("t2", COUNTING, "ada_ml", DISAGREE,
             "Counting goals says nothing about what gradient descent actually finds.", (0,), True),
    SpanVote("t2", COUNTING, "bayesian_bert", DISAGREE, "", (0,)),
    SpanVote("t2", COUNTING, "dmitri_evals", DISAGREE,
             "Simplicity favours the intended goal when the data rewards it directly.", (0, 1)),
    SpanVote("t2", COUNTING, "elena_interp", DISAGREE, "", (1,)),
    SpanVote("t2", COUNTING, "hiro_redteam", AGREE, "The proxy goals really do outnumber the intended one."),
    SpanVote("t2", COUNTING, "corrigible_cat", UNSURE),
    SpanVote("t2", DEFAULT, "dmitri_evals", DISAGREE,
             "A default needs ordinary conditions, and this depends on an unmeasured ordering."),
    SpanVote("t2", DEFAULT, "ada_ml", DISAGREE),
    SpanVote("t2", DEFAULT, "hiro_redteam", AGREE),
    SpanVote("t2", DEFAULT, "felix_governance", UNSURE, "I can't tell without the capability-ordering data."),
]

# (endorser, key, exact, whose reason)
ENDORSEMENTS = [
    ("gwen_theory", "t1", PARENTHETICAL, "bayesian_bert"),
    ("felix_governance", "t1", PARENTHETICAL, "bayesian_bert"),
    ("elena_interp", "t1", PARENTHETICAL, "hiro_redteam"),
    ("hiro_redteam", "t1", FIVE_YEARS, "ada_ml"),
    ("bayesian_bert", "t2", COUNTING, "ada_ml"),
    ("elena_interp", "t2", COUNTING, "ada_ml"),
    ("corrigible_cat", "t2", COUNTING, "dmitri_evals"),
]

# (who says it, claim, the claim it rests on): "my view on A rests on B".
CRUX_LINKS = [
    ("ada_ml", ("t1", FIVE_YEARS), ("t1.c2", "the dictionary size needed seems to grow faster than the model")),
    ("bayesian_bert", ("t1.c1", "it doesn't buy much safety"),
     ("t1.c1a1", "A deceptive model doesn't have to route anything through a dedicated lying feature")),
    ("bayesian_bert", ("t2", DEFAULT), ("t2", COUNTING)),
]

# (key, old text, new text): edits made after the votes, so claims have to follow the text.
EDITS = [
    ("t1.c2", "and we still reconstruct only about half of the variance that matters.",
     "and we still reconstruct only part of the variance, with no good way to tell whether the "
     "unexplained part is noise.\n\n*Edit: softened the figure; it depends a lot on the model and "
     "the layer.*"),
    ("t2", "I'm at about 40% on the conclusion, mostly because I'm unsure about the condition in step 4.",
     "I'm at about 35% on the conclusion (down from 40% after this discussion), mostly because I'm "
     "unsure about the condition in step 4."),
]


class Command(BaseCommand):
    help = "Load the demo discussion (users, threads, votes, reasons). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Load even when DEBUG is off. The demo accounts share a published password.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it refuses to run with "
                "DEBUG off. Pass --allow-without-debug to load it anyway (a throwaway site only)."
            )
        first = THREADS[0]
        if Thread.objects.filter(title=first.title, author__username=first.author).exists():
            self.stdout.write("The demo discussion is already loaded; nothing to do.")
        else:
            with _quiet_task_logs(), transaction.atomic():
                loaded = DemoLoader(rng=random.Random(2030)).load()
            self.stdout.write(self.style.SUCCESS(
                f"Loaded the demo discussion: {len(loaded)} threads, "
                f"{Comment.objects.filter(thread__in=loaded, is_opening=False).count()} comments, "
                f"{Vote.objects.filter(claim__thread__in=loaded).count()} agree/disagree votes."
            ))
        self.stdout.write(
            f"Demo logins: any of {', '.join(VOTERS)} with password {DEMO_PASSWORD!r}; "
            f"moderator (admin at /admin/): {MODERATOR} with the same password."
        )


@contextmanager
def _quiet_task_logs():
    """Each demo vote asks for an analysis recompute, which runs in-process in the embedded
    setup and logs a line; the command prints its own summary instead of hundreds of those."""
    loggers = [logging.getLogger(name) for name in ("cruxes", "celery")]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, previous):
            logger.setLevel(level)


class DemoLoader:
    def __init__(self, *, rng: random.Random):
        self.rng = rng
        self.users: dict = {}
        self.comments: dict[str, Comment] = {}
        self.order: list[str] = []  # comment keys in creation order, for the timestamps
        self.candidates: dict[tuple[str, str], list] = {}

    def load(self) -> list[Thread]:
        self.users = self._ensure_users()
        threads = []
        for index, spec in enumerate(THREADS, start=1):
            thread = thread_create(author=self.users[spec.author], title=spec.title, body=unwrap(spec.body))
            prefix = f"t{index}"
            self.comments[prefix] = thread.comments.get(is_opening=True)
            self.order.append(prefix)
            self._create_replies(thread, prefix, None, spec.replies)
            threads.append(thread)
        self._mark_claims()
        self._whole_comment_votes()
        self._span_votes()
        self._endorsements()
        self._crux_links()
        self._edits()
        self._spread_timestamps(threads)
        return threads

    def _ensure_users(self) -> dict:
        User = get_user_model()
        users = {}
        for username, first_name, is_moderator in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first_name, "email": f"{username}@demo.invalid",
                          "is_staff": is_moderator, "is_superuser": is_moderator},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            users[username] = user
        return users

    def _create_replies(self, thread: Thread, prefix: str, parent: Comment | None, nodes: list[Node]) -> None:
        for item in nodes:
            key = f"{prefix}.{item.key}"
            comment = comment_create(author=self.users[item.author], thread=thread, parent=parent, body=item.body)
            self.comments[key] = comment
            self.order.append(key)
            self._create_replies(thread, prefix, comment, item.replies)

    def _span(self, key: str, exact: str, user) -> Claim:
        comment = self.comments[key]
        comment.refresh_from_db()
        text = comment.body_text
        if text.count(exact) != 1:
            raise CommandError(f"demo span {exact!r} must occur exactly once in {key}")
        start = text.index(exact)
        return claim_get_or_create(user=user, comment=comment, start=start, end=start + len(exact), exact=exact)

    def _mark_claims(self) -> None:
        for key, exact, candidate_texts in MARKED_CLAIMS:
            comment = self.comments[key]
            author = self.users[comment.author.username]
            start = comment.body_text.index(exact)
            claim = claim_mark(user=author, comment=comment, start=start, end=start + len(exact), exact=exact)
            self.candidates[(key, exact)] = [
                candidate_reason_add(user=author, claim=claim, text=text) for text in candidate_texts
            ]

    def _whole_comment_votes(self) -> None:
        """Approval and agree/disagree on most comments, from a seeded random draw so every
        run gives the same forum."""
        for key in self.order:
            comment = self.comments[key]
            others = [name for name in VOTERS if self.users[name].pk != comment.author_id]
            for name in self.rng.sample(others, self.rng.randint(1, 5)):
                value = 1 if self.rng.random() < 0.85 else -1
                approval_vote_toggle(user=self.users[name], comment=comment, value=value)
            whole = Claim.objects.get(comment=comment, is_whole=True)
            for name in self.rng.sample(others, self.rng.randint(0, 4)):
                stance = self.rng.choices([AGREE, DISAGREE, UNSURE], weights=[5, 4, 1])[0]
                vote_cast(user=self.users[name], claim=whole, stance=stance)

    def _span_votes(self) -> None:
        for spec in SPAN_VOTES:
            user = self.users[spec.voter]
            claim = self._span(spec.key, spec.exact, user)
            offered = self.candidates.get((spec.key, spec.exact), [])
            vote_cast(
                user=user,
                claim=claim,
                stance=spec.stance,
                reason=spec.reason,
                reason_signed=spec.signed,
                picked_reason_ids=[offered[index].pk for index in spec.picks],
            )

    def _endorsements(self) -> None:
        for endorser, key, exact, reason_author in ENDORSEMENTS:
            claim = self._span(key, exact, self.users[endorser])
            vote = Vote.objects.get(claim=claim, user=self.users[reason_author])
            reason_endorse_toggle(user=self.users[endorser], vote=vote)

    def _crux_links(self) -> None:
        for name, (key, exact), (rests_key, rests_exact) in CRUX_LINKS:
            user = self.users[name]
            crux_link_create(
                user=user, claim=self._span(key, exact, user), rests_on=self._span(rests_key, rests_exact, user)
            )

    def _edits(self) -> None:
        for key, old, new in EDITS:
            comment = self.comments[key]
            comment.refresh_from_db()
            if old not in comment.body:
                raise CommandError(f"demo edit of {key}: {old!r} not in the comment")
            self.comments[key] = comment_edit(
                user=comment.author, comment=comment, body=comment.body.replace(old, new)
            )

    def _spread_timestamps(self, threads: list[Thread]) -> None:
        """Demo only: the services stamp everything "now"; spread the conversation over the
        past days so the pages read like a living forum (replies always after their parent)."""
        now = timezone.now()
        by_thread: dict[int, list[str]] = {}
        for key in self.order:
            by_thread.setdefault(self.comments[key].thread_id, []).append(key)
        for spec, thread in zip(THREADS, threads):
            keys = by_thread[thread.pk]
            start = now - timedelta(days=spec.days_ago)
            span = timedelta(days=spec.days_ago) * 0.8
            step = span / max(len(keys), 1)
            last = start
            for position, key in enumerate(keys):
                created = start + step * position + timedelta(minutes=self.rng.randint(0, 20))
                comment = self.comments[key]
                fields = {"created_at": created}
                if comment.edited_at is not None:
                    edited = created + timedelta(hours=3)
                    fields["edited_at"] = edited
                    CommentRevision.objects.filter(comment=comment).update(created_at=created, replaced_at=edited)
                    last = max(last, edited)
                Comment.objects.filter(pk=comment.pk).update(**fields)
                last = max(last, created)
            Thread.objects.filter(pk=thread.pk).update(created_at=start, last_activity_at=last)
