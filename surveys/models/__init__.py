"""SQLAlchemy 2.x typed models, one module per capability; every table is importable from here."""

from __future__ import annotations

from surveys.models.administration import (
    ApiToken,
    LoginThrottle,
    Partner,
    RoundSample,
    SurveyRound,
    Team,
    TeamMember,
    TeamVillage,
    User,
)
from surveys.models.audit import AuditEvent
from surveys.models.collection import Attachment, ReviewNote, Submission
from surveys.models.coverage import (
    CoverageCellMonthTotal,
    CoverageCellOperatorSummary,
    CoverageCellSummary,
    CoverageCellTotal,
    CoverageRollup,
    CoverageUpload,
    CoverageVersion,
    ImportJob,
    Measurement,
    ResumableUpload,
    UploadIssue,
)
from surveys.models.indicators import (
    HouseholdCell,
    HouseholdCellTotal,
    HouseholdHexCount,
    IndicatorMoments,
    IndicatorMomentTotal,
    RollupVersion,
    Target,
)
from surveys.models.places import (
    BoundaryCells,
    Commune,
    CommuneGroup,
    CommuneGroupMember,
    Province,
    Village,
)
from surveys.models.types import Role, UTCDateTime, utcnow
from surveys.models.webhooks import Webhook, WebhookDelivery

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "BoundaryCells",
    "Commune",
    "CommuneGroup",
    "CommuneGroupMember",
    "CoverageCellMonthTotal",
    "CoverageCellOperatorSummary",
    "CoverageCellSummary",
    "CoverageCellTotal",
    "CoverageRollup",
    "CoverageUpload",
    "CoverageVersion",
    "HouseholdCell",
    "HouseholdCellTotal",
    "HouseholdHexCount",
    "ImportJob",
    "IndicatorMoments",
    "IndicatorMomentTotal",
    "LoginThrottle",
    "Measurement",
    "Partner",
    "Province",
    "ResumableUpload",
    "ReviewNote",
    "Role",
    "RollupVersion",
    "RoundSample",
    "Submission",
    "SurveyRound",
    "Target",
    "Team",
    "TeamMember",
    "TeamVillage",
    "UTCDateTime",
    "UploadIssue",
    "User",
    "Village",
    "Webhook",
    "WebhookDelivery",
    "utcnow",
]
