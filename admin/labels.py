"""Chinese labels shared by many views; each view adds its own."""

COMMON_LABELS = {
    "id": "ID",
    "name": "名称",
    "full_name": "全称",
    "campaign": "专项行动",
    "campaign.name": "专项行动",
    "kind": "类型",
    "parent": "上级",
    "note": "备注",
    "phone": "联系电话",
    "created_at": "创建时间",
    "updated_at": "更新时间",
    "source_document": "来源文件",
    "source_excerpt": "来源摘录",
    "version": "版本号",
}
