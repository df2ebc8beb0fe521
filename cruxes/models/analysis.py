from django.db import models

from .discussion import Thread


class AnalysisResult(models.Model):
    """One worker result, replaced whole in a single UPDATE so readers never see half of it.

    `subject_id` is the comment id for hotspots, the claim id for themes and for crux
    candidates (the claims that best predict votes on that claim), and the thread id for
    opinion groups. Payloads use pseudonymous voter ids (never user ids); see
    cruxes/services/analysis_runs.py for their shapes. `fingerprint` hashes the input rows it was
    computed from, so unchanged input is not recomputed and stale results are detectable.
    """

    class Kind(models.TextChoices):
        HOTSPOTS = "hotspots", "Hotspots (where)"
        THEMES = "themes", "Reason themes (why)"
        OPINION_GROUPS = "opinion_groups", "Opinion groups (who)"
        CRUX_CANDIDATES = "crux_candidates", "Crux candidates"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="analysis_results")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject_id = models.BigIntegerField()
    version = models.PositiveIntegerField(default=1)
    fingerprint = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["thread_id", "kind", "subject_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject_id"], name="one_result_per_kind_subject"),
        ]
        indexes = [models.Index(fields=["thread", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.subject_id} v{self.version}"


class AnalysisState(models.Model):
    """Per-thread bookkeeping: a recompute was requested at `requested_at` and the last
    completed run started from input seen at `completed_at`. Pending while requested > completed."""

    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="analysis_state", primary_key=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"analysis state of thread {self.thread_id}"

    @property
    def is_pending(self) -> bool:
        if self.requested_at is None:
            return False
        return self.completed_at is None or self.completed_at < self.requested_at
