"""Allowed values of the coded columns. Values are the Chinese terms the office uses; the database
enforces them with CHECK constraints (see `models.base.choice`)."""

UNIT_KINDS = ("人民政府", "政府部门", "党委部门", "园区", "镇", "垂直管理", "群团", "事业单位", "上级专班", "其他")

BODY_KINDS = ("推进机制", "推进机制办公室", "专班", "工作组", "调研小组")

BODY_UNIT_ROLES = ("成员单位", "牵头单位", "参加单位", "联合组建")

POST_ROLES = ("总召集人", "召集人", "副召集人", "办公室主任", "办公室副主任", "组长", "副组长", "成员")

OWNERSHIPS = ("民营", "国有", "外资", "港澳台资", "集体", "混合所有制", "其他")

TASK_SECTIONS = ("主要任务", "工作方式", "实施步骤", "工作机制", "工作要求")

TASK_STATUSES = ("未开始", "进行中", "已完成", "已逾期")

RECURRENCE_KINDS = ("每周", "每旬")

REPORT_KINDS = ("周调度", "旬通报")

POLICY_LEVELS = ("国家级", "省级", "市级", "县级")

VISIT_FORMS = ("实地走访", "座谈会", "恳谈会", "电话", "其他")

EVENT_KINDS = ("宣讲会", "启动对接会", "专题督办会", "动员部署会", "其他")

PROBLEM_CATEGORIES = ("资金", "用工", "用能", "用地", "供应链", "审批", "政策", "基础设施", "其他")

PROBLEM_NATURES = ("个性", "共性")

PROBLEM_SOURCES = ("走访", "座谈会", "政务窗口", "热线", "服务平台", "政企微信群", "领导交办", "上级交办")

PROBLEM_STATUSES = ("待交办", "已交办", "办理中", "已办结", "已销号", "已撤销")

RUNNING_STATUSES = ("已交办", "办理中")  # assigned and not yet finished: these have a deadline light

ESCALATION_LEVELS = ("本级", "市级", "省级")

SATISFACTION_LEVELS = ("满意", "基本满意", "不满意")

ROLES = ("admin", "coordinator", "group", "handler", "leader")

ROLE_LABELS = {
    "admin": "系统管理员",
    "coordinator": "推进办",
    "group": "工作组",
    "handler": "责任单位",
    "leader": "领导",
}

AUDIT_ACTIONS = ("insert", "update", "delete")
