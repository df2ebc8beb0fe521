"""The domain: threads of comments, claims (spans of a comment's text) and votes on them,
and the worker's versioned analysis results."""

from .analysis import AnalysisResult, AnalysisState
from .claims import CandidateReason, Claim, CruxLink, ReasonEndorsement, Stance, Vote
from .discussion import ApprovalVote, Comment, CommentRevision, Thread

__all__ = [
    "AnalysisResult",
    "AnalysisState",
    "ApprovalVote",
    "CandidateReason",
    "Claim",
    "Comment",
    "CommentRevision",
    "CruxLink",
    "ReasonEndorsement",
    "Stance",
    "Thread",
    "Vote",
]
