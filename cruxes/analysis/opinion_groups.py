"""Who: Polis-style opinion groups over a voter × claim matrix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.utils.extmath import randomized_svd

from cruxes.analysis.vote_matrix import VoteMatrix

# One-sided z for 90% confidence, the significance level Polis uses for repness.
Z_90 = 1.2816
MAX_BASE_CLUSTERS = 100
BASE_SAMPLE_PER_CLUSTER = 50
# Power iterations of the randomized SVD: 4 gives the top-2 components to ~1e-6 here.
POWER_ITERATIONS = 4
GROUP_KMEANS_RESTARTS = 20
K_RANGE = (2, 3, 4, 5)
# Switch away from the previous k only when another k's silhouette beats it by this much,
# or when the same other k has been preferred K_SWITCH_STREAK runs in a row.
K_SWITCH_MARGIN = 0.05
K_SWITCH_STREAK = 3
K_TIE_TOLERANCE = 0.02
MAX_REPRESENTATIVE_CLAIMS = 5
MAX_CONSENSUS_CLAIMS = 5


@dataclass(frozen=True)
class ParticipantPoint:
    """A voter's 2-D position (for the SVG scatter) and opinion group."""

    voter_id: int
    x: float
    y: float
    group_id: int

    def to_dict(self) -> dict:
        return asdict(self)


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
    significant: bool = True

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
    matrix: VoteMatrix, *, previous: dict | None = None, seed: int = 0, refine: bool = False
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

    ``representative_claims`` holds up to 5 claims passing both z-tests at 90% with the
    group's probability above 0.5, best first by probability x representativeness x both
    z-scores; when none pass, the single best one with ``significant=False``.

    ``refine=True`` adds a few k-means steps in the full claim space after step 3 (see
    :func:`_refine_in_vote_space`): closer to the planted truth on synthetic data, but
    further from Polis's own groups on real conversations, so off by default.
    Fewer than 2 included voters gives k=1 (everyone in group 0); no included voter, k=0.
    """
    counts = matrix.votes_per_voter()
    min_votes = min(7, matrix.n_claims)
    included = (counts >= min_votes) & (counts > 0)
    included_rows = np.flatnonzero(included)
    excluded_voter_ids = [int(v) for v in matrix.voter_ids[~included]]

    if len(included_rows) < 2 or matrix.n_claims < 2:
        return _single_group_result(matrix, included_rows, excluded_voter_ids)

    votes = matrix.votes[included_rows]
    passes = matrix.passes[included_rows]
    voter_ids = matrix.voter_ids[included_rows]

    coords, explained = _project(votes, passes, counts[included_rows], matrix.n_claims, seed)
    coords = _align_axes(coords, voter_ids, previous)

    base_labels, base_centres, base_sizes = _base_clusters(coords, seed)
    k_scores, group_of_base = _group_base_clusters(base_centres, base_sizes, seed)
    if not k_scores:
        return _single_group_result(matrix, included_rows, excluded_voter_ids, coords)
    k, preferred_k, k_streak = _choose_k(k_scores, previous)
    cluster_of_voter = group_of_base[k][base_labels]
    if refine:
        cluster_of_voter = _refine_in_vote_space(votes, passes, cluster_of_voter, k)

    group_ids = _stable_group_ids(cluster_of_voter, voter_ids, k, previous)
    group_of_voter = group_ids[cluster_of_voter]

    ordered_group_ids = sorted(set(int(g) for g in group_ids))
    agree, disagree, seen = _counts_by_group(votes, passes, group_of_voter, ordered_group_ids)
    groups = []
    for row, group_id in enumerate(ordered_group_ids):
        members = group_of_voter == group_id
        groups.append(
            OpinionGroup(
                group_id=group_id,
                size=int(members.sum()),
                center=(float(coords[members, 0].mean()), float(coords[members, 1].mean())),
                voter_ids=[int(v) for v in voter_ids[members]],
                representative_claims=_representative_claims(
                    agree, disagree, seen, row, matrix.claim_ids
                ),
            )
        )
    points = [
        ParticipantPoint(int(voter_id), float(x), float(y), int(group_id))
        for voter_id, (x, y), group_id in zip(voter_ids, coords, group_of_voter)
    ]
    return OpinionGroups(
        k=k,
        groups=groups,
        points=points,
        excluded_voter_ids=excluded_voter_ids,
        consensus_claims=_consensus_claims(agree.sum(0), disagree.sum(0), seen.sum(0), matrix.claim_ids),
        group_aware_consensus=_group_aware_consensus(agree, seen, ordered_group_ids, matrix.claim_ids),
        k_scores={int(key): float(value) for key, value in k_scores.items()},
        preferred_k=preferred_k,
        k_streak=k_streak,
        n_base_clusters=len(base_centres),
        explained_variance=explained,
    )


def _project(votes, passes, vote_counts, n_claims, seed):
    """Sparse PCA of the mean-imputed vote matrix, with Polis's sparsity scaling.

    Imputing a missing vote with the claim's mean and then centring makes that cell 0, so
    the centred matrix keeps the sparsity pattern of the cast votes: (vote - claim mean)
    where a vote (pass = 0) was cast, 0 elsewhere. Its top-2 right singular vectors are the
    principal components.
    """
    n_claims_total = votes.shape[1]
    seen_per_claim = np.bincount(votes.indices, minlength=n_claims_total) + np.bincount(
        passes.indices, minlength=n_claims_total
    )
    claim_means = (
        np.asarray(votes.sum(axis=0)).ravel() / np.maximum(seen_per_claim, 1)
    ).astype(np.float32)
    # votes and passes never share a cell, so the centred matrix is their sum with the
    # claim mean taken off every stored value (a pass is a 0 vote)
    centred_votes = sp.csr_matrix(
        (votes.data - claim_means[votes.indices], votes.indices, votes.indptr), shape=votes.shape
    )
    if passes.nnz:
        centred_passes = sp.csr_matrix(
            (-claim_means[passes.indices], passes.indices, passes.indptr), shape=passes.shape
        )
        centred = (centred_votes + centred_passes).tocsr()
    else:
        centred = centred_votes
    n_components = min(2, min(centred.shape) - 1) if min(centred.shape) > 2 else 1
    _, singular_values, components = randomized_svd(
        centred, n_components=n_components, n_iter=POWER_ITERATIONS, random_state=seed
    )
    coords = np.asarray(centred @ components.T, dtype=np.float64)
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
    # Polis: a voter who saw few claims would sit near the centre only because their
    # unseen votes were imputed; scale up by sqrt(claims / claims voted on).
    coords *= np.sqrt(n_claims / np.maximum(vote_counts, 1))[:, None]
    total_variance = float((centred.multiply(centred)).sum())
    explained = tuple(
        float(value**2 / total_variance) if total_variance else 0.0 for value in singular_values
    ) + (0.0,) * (2 - len(singular_values))
    return coords, explained[:2]


def _align_axes(coords, voter_ids, previous):
    """Flip each axis to agree with the previous run's scatter, so the picture is steady."""
    if not previous or not previous.get("points"):
        return coords
    previous_points = np.asarray(previous["points"], dtype=np.float64)
    common, new_rows, old_rows = np.intersect1d(
        voter_ids, previous_points[:, 0].astype(np.int64), return_indices=True
    )
    if len(common) < 2:
        return coords
    coords = coords.copy()
    for axis in (0, 1):
        if np.dot(coords[new_rows, axis], previous_points[old_rows, 1 + axis]) < 0:
            coords[:, axis] *= -1
    return coords


REFINE_ITERATIONS = 5


def _refine_in_vote_space(votes, passes, cluster_of_voter, k):
    """k-means steps in the full claim space, counting only the votes each voter cast.

    The 2-D projection throws information away; with ~10 votes per voter that costs
    many assignments. Starting from the 2-D groups, each voter moves to the group whose
    mean vote on the claims they voted on is closest (squared distance over their own
    votes, pass = 0), and group means are recomputed, a few times.
    """
    seen = abs(votes) + passes
    seen.data[:] = 1.0
    seen = seen.tocsr()
    labels = cluster_of_voter.copy()
    for _ in range(REFINE_ITERATIONS):
        membership = sp.csr_matrix(
            (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
            shape=(k, len(labels)),
        )
        vote_sums = np.asarray((membership @ votes).todense())
        seen_counts = np.asarray((membership @ seen).todense())
        # shrink towards 0 (no opinion) where a group has seen a claim only a few times
        means = vote_sums / (seen_counts + 1.0)
        cost = np.asarray(seen @ (means**2).T) - 2.0 * np.asarray(votes @ means.T)
        new_labels = cost.argmin(axis=1)
        if len(np.unique(new_labels)) < k or np.array_equal(new_labels, labels):
            if len(np.unique(new_labels)) == k:
                labels = new_labels
            break
        labels = new_labels
    return labels


def _base_clusters(coords, seed):
    """Up to 100 k-means base clusters of the 2-D points (Polis's first level).

    On many voters the centres are fitted on a random sample of BASE_SAMPLE_PER_CLUSTER
    points per cluster, then every voter is assigned to the nearest centre and the centres
    are recomputed from all voters; base clusters only compress the scatter, so the
    sample costs nothing in quality and keeps 50,000 voters well under a second.
    """
    rng = np.random.RandomState(seed)
    unique_points = np.unique(np.round(coords, 9), axis=0)
    n_base = min(MAX_BASE_CLUSTERS, len(unique_points))
    sample_size = min(len(coords), BASE_SAMPLE_PER_CLUSTER * n_base)
    sample = coords[rng.choice(len(coords), size=sample_size, replace=False)]
    sample_labels = _weighted_kmeans(sample, np.ones(len(sample)), n_base, rng)
    centres = _weighted_means(sample, np.ones(len(sample)), sample_labels, sample[:n_base].copy())
    labels = _nearest(coords, centres)
    centres = _weighted_means(coords, np.ones(len(coords)), labels, centres)
    labels = _nearest(coords, centres)
    sizes = np.bincount(labels, minlength=len(centres)).astype(np.float64)
    keep = sizes > 0
    remap = np.cumsum(keep) - 1
    return remap[labels], centres[keep], sizes[keep]


def _group_base_clusters(centres, sizes, seed):
    """Group the size-weighted base-cluster centres for each k, scored by silhouette.

    Several k-means starts per k, keeping the partition with the best weighted silhouette
    rather than the lowest inertia: the silhouette is what picks k, and on real
    conversations the two disagree often enough to make groups depend on the seed.
    """
    scores, labels_by_k = {}, {}
    distances = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    rng = np.random.RandomState(seed)
    for k in K_RANGE:
        if k >= len(centres):
            break
        best = None
        for _ in range(GROUP_KMEANS_RESTARTS):
            labels = _weighted_kmeans(centres, sizes, k, rng)
            if len(np.unique(labels)) < k:
                continue
            score = _weighted_silhouette(distances, labels, sizes)
            if best is None or score > best[0] + 1e-12:
                best = (score, labels)
        if best is not None:
            scores[k], labels_by_k[k] = best
    return scores, labels_by_k


def _weighted_kmeans(points, weights, k, rng, max_iter=100):
    """Lloyd's k-means with weighted points and k-means++ seeding, in plain numpy.

    Used for both levels: sklearn's KMeans is built for big multi-threaded fits, and on
    100 points, or on a 2-D sample, its per-call set-up and OpenMP threads (on a busy
    shared machine) cost far more than the arithmetic.
    """
    n = len(points)
    probabilities = weights / weights.sum()
    chosen = [rng.choice(n, p=probabilities)]
    squared = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        mass = weights * squared
        if mass.sum() <= 0:
            break
        chosen.append(rng.choice(n, p=mass / mass.sum()))
        squared = np.minimum(squared, ((points - points[chosen[-1]]) ** 2).sum(axis=1))
    centres = points[chosen].astype(np.float64)
    labels = np.full(n, -1)
    for _ in range(max_iter):
        new_labels = _nearest(points, centres)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        centres = _weighted_means(points, weights, labels, centres)
    return labels


def _nearest(points, centres):
    squared = (
        (points**2).sum(axis=1)[:, None] - 2.0 * points @ centres.T + (centres**2).sum(axis=1)[None, :]
    )
    return squared.argmin(axis=1)


def _weighted_means(points, weights, labels, previous_centres):
    """Weighted mean of each cluster; an empty cluster keeps its previous centre."""
    k = len(previous_centres)
    mass = np.bincount(labels, weights=weights, minlength=k)
    centres = previous_centres.copy()
    filled = mass > 0
    for dimension in range(points.shape[1]):
        sums = np.bincount(labels, weights=weights * points[:, dimension], minlength=k)
        centres[filled, dimension] = sums[filled] / mass[filled]
    return centres


def _weighted_silhouette(distances, labels, weights):
    """Silhouette of the voters, computed on base clusters: a centre of weight w stands for
    w voters at the same place (their distance to each other is 0)."""
    clusters = np.unique(labels)
    membership = (labels[:, None] == clusters[None, :]).astype(np.float64)
    weighted_sums = distances @ (membership * weights[:, None])  # (n_centres, n_clusters)
    cluster_weights = membership.T @ weights
    own = np.searchsorted(clusters, labels)
    own_weight = cluster_weights[own] - 1.0
    a = np.where(own_weight > 0, weighted_sums[np.arange(len(labels)), own] / np.maximum(own_weight, 1e-12), 0.0)
    mean_to_other = weighted_sums / cluster_weights[None, :]
    mean_to_other[np.arange(len(labels)), own] = np.inf
    b = mean_to_other.min(axis=1)
    s = np.where(np.maximum(a, b) > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    s[own_weight <= 0] = 0.0  # a lone voter's silhouette is 0 by convention
    return float((s * weights).sum() / weights.sum())


def _choose_k(k_scores, previous):
    """Best silhouette, but keep the previous k unless beaten clearly or repeatedly.

    "Best" is the smallest k within K_TIE_TOLERANCE of the top silhouette: near-ties
    between k values are common on real conversations, and fewer groups are easier to
    read and steadier across runs.
    """
    top = max(k_scores.values())
    best_k = min(k for k, score in k_scores.items() if score >= top - K_TIE_TOLERANCE)
    if not previous or not previous.get("k") or int(previous["k"]) not in k_scores:
        return best_k, best_k, 0
    previous_k = int(previous["k"])
    if best_k == previous_k:
        return previous_k, best_k, 0
    streak = int(previous.get("k_streak", 0)) + 1 if previous.get("preferred_k") == best_k else 1
    if k_scores[best_k] - k_scores[previous_k] >= K_SWITCH_MARGIN or streak >= K_SWITCH_STREAK:
        return best_k, best_k, 0
    return previous_k, best_k, streak


def _stable_group_ids(cluster_of_voter, voter_ids, k, previous):
    """Map cluster index -> group id: Hungarian matching on voter overlap with the previous
    groups; unmatched clusters get fresh ids. Without a previous run, ids go by size."""
    sizes = np.bincount(cluster_of_voter, minlength=k)
    if not previous or not previous.get("points"):
        order = np.argsort(-sizes, kind="stable")
        ids = np.empty(k, dtype=np.int64)
        ids[order] = np.arange(k)
        return ids
    previous_points = np.asarray(previous["points"], dtype=np.int64).reshape(-1, 4)
    previous_group_ids = np.unique(previous_points[:, 3])
    common, new_rows, old_rows = np.intersect1d(
        voter_ids, previous_points[:, 0], return_indices=True
    )
    overlap = np.zeros((k, len(previous_group_ids)))
    old_group_index = np.searchsorted(previous_group_ids, previous_points[old_rows, 3])
    np.add.at(overlap, (cluster_of_voter[new_rows], old_group_index), 1)
    rows, cols = linear_sum_assignment(-overlap)
    ids = np.full(k, -1, dtype=np.int64)
    for row, col in zip(rows, cols):
        if overlap[row, col] > 0:
            ids[row] = previous_group_ids[col]
    next_id = int(previous_group_ids.max()) + 1 if len(previous_group_ids) else 0
    for row in np.argsort(-sizes, kind="stable"):
        if ids[row] < 0:
            ids[row] = next_id
            next_id += 1
    return ids


def _counts_by_group(votes, passes, group_of_voter, ordered_group_ids):
    """(n_groups, n_claims) dense counts of agree, disagree and seen votes per group."""
    group_rows = np.searchsorted(ordered_group_ids, group_of_voter)
    membership = sp.csr_matrix(
        (np.ones(len(group_rows), dtype=np.float32), (group_rows, np.arange(len(group_rows)))),
        shape=(len(ordered_group_ids), len(group_rows)),
    )
    agree_cells = votes.copy()
    agree_cells.data = (agree_cells.data > 0).astype(np.float32)
    disagree_cells = votes.copy()
    disagree_cells.data = (disagree_cells.data < 0).astype(np.float32)
    agree = np.asarray((membership @ agree_cells).todense())
    disagree = np.asarray((membership @ disagree_cells).todense())
    passed = np.asarray((membership @ passes).todense())
    return agree, disagree, agree + disagree + passed


def _probability(successes, trials):
    """Laplace-smoothed probability (a Beta(1, 1) prior)."""
    return (successes + 1.0) / (trials + 2.0)


def _probability_test(successes, trials):
    """z-score of "the probability is above 1/2" (Polis's one-proportion test)."""
    return 2.0 * np.sqrt(trials + 1.0) * ((successes + 1.0) / (trials + 1.0) - 0.5)


def _two_proportion_test(successes_in, trials_in, successes_out, trials_out):
    """z-score of "the group's probability is above the rest's", with pseudo-counts."""
    p_in = _probability(successes_in, trials_in)
    p_out = _probability(successes_out, trials_out)
    pooled = (successes_in + successes_out + 1.0) / (trials_in + trials_out + 2.0)
    spread = np.sqrt(pooled * (1 - pooled) * (1.0 / (trials_in + 1.0) + 1.0 / (trials_out + 1.0)))
    return np.where(spread > 0, (p_in - p_out) / np.maximum(spread, 1e-12), 0.0)


def _representative_claims(agree, disagree, seen, row, claim_ids):
    candidates = []
    for direction, counts in (("agree", agree), ("disagree", disagree)):
        inside, inside_seen = counts[row], seen[row]
        outside, outside_seen = counts.sum(0) - inside, seen.sum(0) - inside_seen
        probability = _probability(inside, inside_seen)
        ratio = probability / _probability(outside, outside_seen)
        probability_z = _probability_test(inside, inside_seen)
        ratio_z = _two_proportion_test(inside, inside_seen, outside, outside_seen)
        metric = probability * ratio * probability_z * ratio_z
        significant = (probability > 0.5) & (probability_z > Z_90) & (ratio_z > Z_90)
        for column in np.flatnonzero(inside_seen > 0):
            candidates.append(
                (bool(significant[column]), float(metric[column]), direction, int(column),
                 probability[column], probability_z[column], ratio[column], ratio_z[column])
            )
    significant_ones = sorted((c for c in candidates if c[0]), key=lambda c: (-c[1], c[3]))
    if significant_ones:
        chosen = significant_ones[:MAX_REPRESENTATIVE_CLAIMS]
    else:
        positive = [c for c in candidates if c[6] > 1 and c[4] > 0.5]
        chosen = sorted(positive, key=lambda c: (-c[1], c[3]))[:1]
    # a claim appears once per group, in its more representative direction
    result, used = [], set()
    for significant, _, direction, column, p, p_z, ratio, ratio_z in chosen:
        if column in used:
            continue
        used.add(column)
        result.append(
            RepresentativeClaim(
                claim_id=int(claim_ids[column]),
                direction=direction,
                probability=round(float(p), 6),
                probability_test=round(float(p_z), 6),
                representativeness=round(float(ratio), 6),
                representativeness_test=round(float(ratio_z), 6),
                n_agree=int(agree[row, column]),
                n_disagree=int(disagree[row, column]),
                n_seen=int(seen[row, column]),
                significant=significant,
            )
        )
    return result


def _consensus_claims(agree, disagree, seen, claim_ids):
    found = []
    for direction, counts in (("agree", agree), ("disagree", disagree)):
        probability = _probability(counts, seen)
        probability_z = _probability_test(counts, seen)
        passing = np.flatnonzero((probability > 0.5) & (probability_z > Z_90))
        best = passing[np.argsort(-(probability * probability_z)[passing], kind="stable")]
        for column in best[:MAX_CONSENSUS_CLAIMS]:
            found.append(
                ConsensusClaim(
                    claim_id=int(claim_ids[column]),
                    direction=direction,
                    probability=round(float(probability[column]), 6),
                    probability_test=round(float(probability_z[column]), 6),
                    n_seen=int(seen[column]),
                )
            )
    return found


def _group_aware_consensus(agree, seen, ordered_group_ids, claim_ids):
    """Every claim with the product of its per-group agree probabilities, best first."""
    probabilities = _probability(agree, seen)
    scores = probabilities.prod(axis=0)
    order = np.argsort(-scores, kind="stable")
    return [
        GroupAwareConsensusClaim(
            claim_id=int(claim_ids[column]),
            score=round(float(scores[column]), 6),
            group_agree_probabilities={
                int(group_id): round(float(probabilities[row, column]), 6)
                for row, group_id in enumerate(ordered_group_ids)
            },
        )
        for column in order
    ]


def _single_group_result(matrix, included_rows, excluded_voter_ids, coords=None):
    """Too few voters or claims to split: everyone included is in group 0."""
    voter_ids = matrix.voter_ids[included_rows]
    if coords is None:
        coords = np.zeros((len(included_rows), 2))
    if len(included_rows) == 0:
        return OpinionGroups(
            k=0, groups=[], points=[], excluded_voter_ids=excluded_voter_ids,
            consensus_claims=[], group_aware_consensus=[],
        )
    votes = matrix.votes[included_rows]
    passes = matrix.passes[included_rows]
    group_of_voter = np.zeros(len(included_rows), dtype=np.int64)
    agree, disagree, seen = _counts_by_group(votes, passes, group_of_voter, [0])
    group = OpinionGroup(
        group_id=0,
        size=len(included_rows),
        center=(float(coords[:, 0].mean()), float(coords[:, 1].mean())),
        voter_ids=[int(v) for v in voter_ids],
        representative_claims=[],
    )
    return OpinionGroups(
        k=1,
        groups=[group],
        points=[ParticipantPoint(int(v), float(x), float(y), 0) for v, (x, y) in zip(voter_ids, coords)],
        excluded_voter_ids=excluded_voter_ids,
        consensus_claims=_consensus_claims(agree[0], disagree[0], seen[0], matrix.claim_ids),
        group_aware_consensus=_group_aware_consensus(agree, seen, [0], matrix.claim_ids),
    )
