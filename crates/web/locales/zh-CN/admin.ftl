# The administrator's pages: registry, users, audit trail.

admin-title = 系统管理
admin-intro = 机构、家庭医生团队、医务人员和用户账号的登记，以及患者数据访问的审计记录。
admin-tabs = 管理页面
admin-tab-overview = 概览
admin-tab-registry = 机构与人员登记
admin-tab-audit = 审计记录
admin-tab-users = 用户账号
admin-kinds = 登记类别
admin-kind-institutions = 医疗机构
admin-kind-alliances = 医联体
admin-kind-teams = 家庭医生团队
admin-kind-practitioners = 医务人员
admin-search-name = 按名称搜索（中文、拼音或英文）
admin-found = 共 { $count } 条
admin-bad-filter = 无法识别的筛选条件。
admin-col-name = 名称
admin-col-also = 别名／拼音
admin-col-what = 类别
admin-col-status = 状态
admin-col-id = 编号
admin-active = 在用
admin-inactive = 停用
admin-team-members = { $count } 名成员

admin-audit-intro = 每一次查看或修改居民健康数据都会被记录，被拒绝的访问也会记录。
admin-audit-patient = 居民编号
admin-audit-user = 用户
admin-audit-outcome = 结果
admin-audit-any = 全部
admin-audit-refused = 被拒绝或失败
admin-audit-when = 时间（UTC）
admin-audit-action = 操作
admin-audit-record = 记录
admin-audit-detail = 说明
admin-audit-shown = 第 { $from }–{ $to } 条，共 { $total } 条
admin-audit-newer = 较新的记录
admin-audit-older = 较早的记录
admin-audit-pages = 翻页
admin-audit-bad-value = 请输入不超过100个字符的文字。
admin-audit-bad-outcome = 请选择列表中的结果。

audit-outcome-success = 成功
audit-outcome-denied = 拒绝
audit-outcome-failed = 失败
audit-action-read = 查看
audit-action-vread = 查看历史版本
audit-action-search = 搜索
audit-action-create = 新建
audit-action-update = 修改
audit-action-delete = 删除

alliance-urban-medical-group = 城市医疗集团
alliance-county-medical-community = 县域医共体
alliance-specialist-league = 专科联盟
alliance-telemedicine-network = 远程医疗协作网
