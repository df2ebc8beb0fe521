"""Who: Polis-style opinion groups over a voter × claim matrix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from cruxes.analysis.vote_matrix import VoteMatrix


@dataclass(frozen=True)
class ParticipantPoint:
    """A voter's 2-D position (for the SVG scatter) and opinion group."""

    voter_id: int
    x: float
    y: float
    group_id: int


@dataclass(frozen=True)
class RepresentativeClaim:
    """A claim on which a group votes distinctly from everyone else (Polis "repness").

    ``direction`` is "agree" or "disagree"; ``probability`` the group's (Laplace-smoothed)
    probability of that vote, ``probability_test`` its z-score against 0.5,
    ``representativeness`` the ratio to the same probability outside the group,
    ``representativeness_test`` the two-proportion z-score, ``n_agree`` / ``n_disagree`` /
    ``n_seen`` the group's counts (seen includes pass).
    """

    claim_id: int
    direction: str
    probability: float
    probability_test: float
    representativeness: float
    representativeness_test: float
    n_agree: int
    n_disagree: int
    n_seen: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ConsensusClaim:
    """A claim most voters (all groups pooled) agree / disagree on."""

    claim_id: int
    direction: str
    probability: float
    probability_test: float
    n_seen: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GroupAwareConsensusClaim:
    """``score`` = product over groups of P(agree | group) with a Laplace prior."""

    claim_id: int
    score: float
    group_agree_probabilities: dict[int, float]

    def to_dict(self) -> dict:
        return {
            "claim_id": self.claim_id,
            "score": self.score,
            "group_agree_probabilities": {
                str(group_id): p for group_id, p in self.group_agree_probabilities.items()
            },
        }


@dataclass(frozen=True)
class OpinionGroup:
    group_id: int
    size: int
    center: tuple[float, float]
    voter_ids: list[int]
    representative_claims: list[RepresentativeClaim]

    def to_dict(self) -> dict:
        return {
            "group_id": self.group_id,
            "size": self.size,
            "center": [float(self.center[0]), float(self.center[1])],
            "voter_ids": [int(v) for v in self.voter_ids],
            "representative_claims": [c.to_dict() for c in self.representative_claims],
        }


@dataclass(frozen=True)
class OpinionGroups:
    """Result of :func:`compute_opinion_groups`.

    ``points`` holds one entry per included voter; voters with too few votes are listed in
    ``excluded_voter_ids``. ``k_scores`` is the weighted silhouette of each k tried.
    ``k_streak`` counts consecutive runs in which the silhouette has preferred a k other
    than the one kept (used to avoid flapping; see :func:`compute_opinion_groups`).
    """

    k: int
    groups: list[OpinionGroup]
    points: list[ParticipantPoint]
    excluded_voter_ids: list[int]
    consensus_claims: list[ConsensusClaim]
    group_aware_consensus: list[GroupAwareConsensusClaim]
    k_scores: dict[int, float] = field(default_factory=dict)
    preferred_k: int | None = None
    k_streak: int = 0
    n_base_clusters: int = 0
    explained_variance: tuple[float, float] = (0.0, 0.0)

    def group_of(self) -> dict[int, int]:
        """voter id -> group id for every included voter."""
        return {point.voter_id: point.group_id for point in self.points}

    def to_dict(self) -> dict:
        return {
            "k": self.k,
            "groups": [group.to_dict() for group in self.groups],
            "points": [
                [int(p.voter_id), float(p.x), float(p.y), int(p.group_id)] for p in self.points
            ],
            "excluded_voter_ids": [int(v) for v in self.excluded_voter_ids],
            "consensus_claims": [c.to_dict() for c in self.consensus_claims],
            "group_aware_consensus": [c.to_dict() for c in self.group_aware_consensus],
            "k_scores": {str(k): float(s) for k, s in self.k_scores.items()},
            "preferred_k": self.preferred_k,
            "k_streak": self.k_streak,
            "n_base_clusters": self.n_base_clusters,
            "explained_variance": [float(v) for v in self.explained_variance],
        }


def compute_opinion_groups(
    matrix: VoteMatrix, *, previous: dict | None = None, seed: int = 0
) -> OpinionGroups:
    """Polis-style opinion groups.

    1. Voters with fewer than min(7, n_claims) votes (pass included) are left out.
    2. PCA (2 components) of the vote matrix with missing votes imputed by the claim's
       mean, done sparsely; each voter's projection is scaled by
       sqrt(n_claims / n_votes_of_voter) so sparse voters are not pulled to the centre.
    3. k-means into up to 100 base clusters, then k-means of the base-cluster centres
       (weighted by size) for k in 2..5; k is chosen by weighted silhouette, preferring
       the previous k unless another k wins clearly or for several runs in a row.
    4. Group ids are matched to ``previous`` (an earlier result's ``to_dict()``) by voter
       overlap (Hungarian), so ids do not flip between runs; axes are sign-aligned too.
    5. Representative claims per group (Polis repness), consensus and group-aware
       consensus claims.
    """
    raise NotImplementedError
