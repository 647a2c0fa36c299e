"""Allowed values of the coded columns, and the names code branches use for them.

Values are the Chinese terms the office uses; the database enforces them with CHECK constraints (see
`models.base.choice`). A value that code tests (a status, a kind of body, a kind of report) has a named constant in
one of the classes below, and code says `Status.UNASSIGNED`, never "待交办"; the tuples list every allowed value.
"""


class Status:
    """办理状态: the problem workflow's states (models.workflow moves problems between them)."""

    UNASSIGNED = "待交办"
    ASSIGNED = "已交办"
    HANDLING = "办理中"
    RESOLVED = "已办结"
    CLOSED = "已销号"
    WITHDRAWN = "已撤销"
    MERGED = "已合并"  # merged into another open problem of the same enterprise (Problem.merged_into)


class BodyKind:
    MECHANISM = "推进机制"
    OFFICE = "推进机制办公室"
    TASK_FORCE = "专班"
    WORKING_GROUP = "工作组"
    SURVEY_GROUP = "调研小组"


class ReportKind:
    WEEKLY = "周调度"
    DEKAD = "旬通报"


class Recurrence:
    WEEKLY = "每周"
    DEKAD = "每旬"


class Escalation:
    LOCAL = "本级"
    CITY = "市级"
    PROVINCE = "省级"


class Satisfaction:
    SATISFIED = "满意"
    FAIRLY = "基本满意"
    UNSATISFIED = "不满意"


class UnitKind:
    PARK = "园区"
    TOWN = "镇"


TOWN_KINDS = (UnitKind.TOWN, UnitKind.PARK)  # what an enterprise's 所在镇（园区） may be


class TaskSection:
    STEPS = "实施步骤"


VISIT_TARGET_UNIT = "次"  # the unit of a task's target that counts visits (五(二) 集中上门：不少于3次)
YES, NO = "是", "否"  # a yes-or-no column of a sheet (规上企业)


UNIT_KINDS = ("人民政府", "政府部门", "党委部门", UnitKind.PARK, UnitKind.TOWN, "垂直管理", "群团", "事业单位", "上级专班", "其他")

BODY_KINDS = (BodyKind.MECHANISM, BodyKind.OFFICE, BodyKind.TASK_FORCE, BodyKind.WORKING_GROUP, BodyKind.SURVEY_GROUP)

BODY_UNIT_ROLES = ("成员单位", "牵头单位", "参加单位", "联合组建")

POST_ROLES = ("总召集人", "召集人", "副召集人", "办公室主任", "办公室副主任", "组长", "副组长", "成员")

OWNERSHIPS = ("民营", "国有", "外资", "港澳台资", "集体", "混合所有制", "其他")

TASK_SECTIONS = ("主要任务", "工作方式", TaskSection.STEPS, "工作机制", "工作要求")

TASK_STATUSES = ("未开始", "进行中", "已完成", "已逾期")

RECURRENCE_KINDS = (Recurrence.WEEKLY, Recurrence.DEKAD)

REPORT_KINDS = (ReportKind.WEEKLY, ReportKind.DEKAD)

POLICY_LEVELS = ("国家级", "省级", "市级", "县级")

VISIT_FORMS = ("实地走访", "座谈会", "恳谈会", "电话", "其他")

EVENT_KINDS = ("宣讲会", "启动对接会", "专题督办会", "动员部署会", "其他")

PROBLEM_CATEGORIES = ("资金", "用工", "用能", "用地", "供应链", "审批", "政策", "基础设施", "其他")

PROBLEM_NATURES = ("个性", "共性")

PROBLEM_SOURCES = ("走访", "座谈会", "政务窗口", "热线", "服务平台", "政企微信群", "领导交办", "上级交办")

PROBLEM_STATUSES = (Status.UNASSIGNED, Status.ASSIGNED, Status.HANDLING, Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN,
                    Status.MERGED)

RUNNING_STATUSES = (Status.ASSIGNED, Status.HANDLING)  # assigned and not yet finished: these have a deadline light
FINISHED_STATUSES = (Status.RESOLVED, Status.CLOSED)  # 办结 (the unit's report) and 销号 (the office's sign-off)
ENDED_STATUSES = (Status.CLOSED, Status.WITHDRAWN, Status.MERGED)  # nothing more happens to these
OPEN_STATUSES = (Status.UNASSIGNED, *RUNNING_STATUSES)

ESCALATION_LEVELS = (Escalation.LOCAL, Escalation.CITY, Escalation.PROVINCE)

SATISFACTION_LEVELS = (Satisfaction.SATISFIED, Satisfaction.FAIRLY, Satisfaction.UNSATISFIED)
SATISFIED_LEVELS = (Satisfaction.SATISFIED, Satisfaction.FAIRLY)  # count towards 满意率

class Channel:
    """How a unit's answer reached the 推进办 when the office enters the unit's step on its behalf (代录)."""

    PHONE = "电话"
    WECHAT = "微信"
    PAPER = "纸质"
    EXCEL = "Excel"  # a re-imported 附件2 (imports.problems)


PROXY_CHANNELS = (Channel.PHONE, Channel.WECHAT, Channel.PAPER, Channel.EXCEL)

ROLES = ("admin", "coordinator", "group", "handler", "leader")

ROLE_LABELS = {
    "admin": "系统管理员",
    "coordinator": "推进办",
    "group": "工作组",
    "handler": "责任单位",
    "leader": "领导",
}

AUDIT_ACTIONS = ("insert", "update", "delete")

AUDIT_ACTION_LABELS = {"insert": "新增", "update": "修改", "delete": "删除"}
