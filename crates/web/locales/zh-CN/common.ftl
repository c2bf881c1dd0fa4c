# Words every page shares: the frame, the language switch, errors, and the
# coded values of the domain (key: <kind>-<code>).

app-name = tiercare 分级诊疗平台
nav-home = 工作台
nav-indicators = 监测指标
nav-programmes = 专家下沉项目
nav-main = 主导航
lang-switch = 切换语言
sign-out = 退出登录
signed-in-as = 当前用户
skip-to-content = 跳到正文
not-applicable = 不适用
nothing-recorded = 暂无记录
back-home = 返回工作台
required = 必填
save = 保存
cancel = 取消
search = 搜索
actions = 操作

login-title = 登录
login-intro = 请使用您的账号登录。家庭医生、转诊办、专科医生、居民、医保经办人员和管理人员各自进入自己的工作台。
login-username = 用户名
login-password = 密码
login-submit = 登录
login-wrong = 用户名或密码错误。
login-locked = 该账号或本机登录失败次数过多，登录已暂停，请稍后再试或联系管理员。
login-busy = 当前登录人数过多，请几秒后再试。
login-missing = 请输入用户名和密码。
login-expired = 登录表单已过期，请重新登录。
login-not-form = 请通过网页表单登录。

error-forbidden-title = 无权访问
error-forbidden = 您以 { $user }（{ $role }）身份登录，此页面不在您的权限范围内。
error-bad-request-title = 无法显示
error-not-found-title = 未找到
error-internal-title = 出错了
error-internal = 服务器无法生成此页面，错误已记录。
error-csrf = 表单不是从本次登录会话提交的，请刷新页面后重试。
error-signout-csrf = 退出表单不是从本次会话提交的，您仍处于登录状态。
error-form = 请修改标出的字段后重新提交。

role-admin = 管理员
role-coordinator = 转诊协调员
role-doctor = 医生
role-analyst = 分析人员
role-resident = 居民
role-insurer = 医保经办人员

workplace-family-doctor = 家庭医生
workplace-front-desk = 基层前台
workplace-referral-office = 转诊办
workplace-specialist = 专科医生
workplace-resident = 居民
workplace-insurer = 医保经办
workplace-admin = 系统管理
workplace-analyst = 卫健分析

level-primary = 基层
level-secondary = 二级医院
level-tertiary = 三级医院

state-requested = 待接收
state-accepted = 已接收
state-booked = 已预约
state-arrived = 已到诊
state-no-show = 未到诊
state-completed = 已完成
state-closed = 已闭环
state-declined = 已拒绝
state-returned = 退回（附建议）
state-cancelled = 已取消

direction-upward = 上转
direction-downward = 下转
direction-lateral = 平转

setting-outpatient = 门诊
setting-inpatient = 住院

priority-routine = 常规
priority-urgent = 紧急
priority-emergency = 急诊

decline-no-capacity = 短期内无号源或床位
decline-not-indicated = 本级别无需诊治
decline-wrong-specialty = 专科不符
decline-incomplete-information = 资料不完整
decline-other = 其他（见说明）

action-accept = 接收，稍后预约
action-book = 预约号源或床位
action-decline = 拒绝（附原因）
action-redirect = 转至其他机构
action-return-with-advice = 退回并附建议
action-cancel = 取消
action-arrive = 登记到诊
action-no-show = 登记未到诊
action-complete = 完成就诊
action-report = 回传结果报告
action-close = 闭环

keygroup-elderly = 老年人（65岁以上）
keygroup-chronic = 慢性病患者
keygroup-low-income = 低收入居民

gender-male = 男
gender-female = 女
gender-other = 其他
gender-unknown = 未知

scheme-urrbmi = 城乡居民基本医疗保险
scheme-uebmi = 城镇职工基本医疗保险
scheme-urbmi = 城镇居民基本医疗保险
scheme-ncms = 新型农村合作医疗

service-outpatient = 门诊
service-inpatient = 住院

kind-chc = 社区卫生服务中心
kind-community-station = 社区卫生服务站
kind-township-centre = 乡镇卫生院
kind-village-clinic = 村卫生室
kind-county-hospital = 县（区）级医院
kind-specialised-hospital = 专科医院
kind-municipal-hospital = 市级或三级医院

specialty-general-practice = 全科
specialty-internal-medicine = 内科
specialty-cardiology = 心血管内科
specialty-endocrinology = 内分泌科
specialty-respiratory = 呼吸内科
specialty-gastroenterology = 消化内科
specialty-neurology = 神经内科
specialty-nephrology = 肾内科
specialty-general-surgery = 普外科
specialty-orthopaedics = 骨科
specialty-urology = 泌尿外科
specialty-obstetrics = 妇产科
specialty-paediatrics = 儿科
specialty-oncology = 肿瘤科
specialty-infectious-disease = 感染科
specialty-psychiatry = 精神科
specialty-ophthalmology = 眼科
specialty-otolaryngology = 耳鼻喉科
specialty-dermatology = 皮肤科
specialty-rehabilitation = 康复医学科
specialty-emergency = 急诊医学科
specialty-tcm = 中医科

severity-mild = 轻度
severity-moderate = 中度
severity-severe = 重度

urgency-routine = 常规
urgency-urgent = 紧急
urgency-emergency = 急诊

consult-mode-written = 在线咨询（书面建议）
consult-mode-live = 远程会诊（实时）
consult-outcome-resolved = 基层解决
consult-outcome-referred = 转为转诊
consult-outcome-withdrawn = 已撤回

panel-hypertension = 高血压
panel-diabetes = 2型糖尿病
control-controlled = 已控制
control-uncontrolled = 未控制
control-unknown = 未知
followup-not-due = 未到期
followup-due = 到期
followup-overdue = 逾期

rule-deductible = 起付线
rule-upward-waiver = 上转免起付线
rule-upward-top-up = 上转补差起付线
rule-downward-waiver = 下转免起付线
rule-rate = 报销比例
rule-bypass-penalty = 越级就诊降低报销
rule-contract-bonus = 签约机构加成
rule-service-cap = 该类服务年度封顶
rule-scheme-cap = 险种年度封顶

error-required = 必填
error-service = 未能保存：{ $detail }
