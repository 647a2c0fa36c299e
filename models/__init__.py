"""The domain model. Import models from here."""
from .base import Base, db, local_now, migrate

from .attachments import Attachment

from .batches import ImportBatch, ImportBatchRow, ImportFile
from .calendar import CalendarDay, CalendarYear
from .documents import OfficialDocument
from .enterprise import Enterprise, EnterpriseGroup, Event, Visit
from .messages import Message
from .org import Body, BodyTown, BodyUnit, Campaign, Person, Post, SourceDocument, StatedFigure, Unit
from .portal import Appeal, AppealFile, PortalChallenge, PortalHit
from .problem import Problem, ProblemRead, ProblemUpdate, Report, problem_co_unit
from .reminders import Delivery, Reminder
from .task import PolicyDocument, PolicyPush, Task, task_body
from .terms import Term, Vocabulary
from .user import AuditLog, LoginAttempt, LoginLock, User, UserSession

__all__ = [
    "Appeal",
    "Attachment",
    "AppealFile",
    "PortalChallenge",
    "PortalHit",
    "AuditLog",
    "Base",
    "Body",
    "CalendarDay",
    "CalendarYear",
    "BodyTown",
    "BodyUnit",
    "Campaign",
    "Delivery",
    "Enterprise",
    "OfficialDocument",
    "EnterpriseGroup",
    "Event",
    "ImportBatch",
    "ImportBatchRow",
    "ImportFile",
    "LoginAttempt",
    "LoginLock",
    "Message",
    "Person",
    "PolicyDocument",
    "PolicyPush",
    "Post",
    "Problem",
    "ProblemRead",
    "ProblemUpdate",
    "Reminder",
    "Report",
    "SourceDocument",
    "StatedFigure",
    "Task",
    "Term",
    "Unit",
    "User",
    "UserSession",
    "Visit",
    "Vocabulary",
    "db",
    "local_now",
    "migrate",
    "problem_co_unit",
    "task_body",
]
from . import audit  # noqa: E402,F401  (registers the audit trail listeners)
from . import desk, ledger, workflow  # noqa: E402,F401
