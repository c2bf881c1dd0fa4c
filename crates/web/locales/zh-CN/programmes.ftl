# 专家下沉项目评价页：/ui/programmes 及其 CSV 文件。
# 下沉项目指标的名称、定义和参考值：measure-<代码>-title / -definition / -reference。

programmes-heading = 专家下沉项目：{ $subject }
programmes-heading-lead = 专家下沉项目：
programmes-intro = 。专家下沉坐诊、带教和慢病共管情况，涵盖各方：医院和专科医生，以及基层医疗卫生机构和家庭医生。仅显示汇总数据，本页不含任何患者信息。
programmes-measures = 指标
programmes-measures-intro = 各项指标在此期间的数值及按月趋势。坐诊承诺由医院承担：已开展次数与承诺次数之比反映是否履约；取消按取消方分别统计。
programmes-parties = 参与各方
programmes-parties-intro = 点击名称可查看该方自己的评价。
programmes-programme-name = { $hospital }{ $department }下沉至{ $primary }

programmes-group-region = 全区域
programmes-group-programmes = 下沉项目
programmes-group-hospitals = 医院
programmes-group-primary = 基层医疗卫生机构
programmes-group-alliances = 医联体
programmes-group-specialists = 专科医生
programmes-group-family-doctors = 家庭医生

programmes-error-subject = 无法识别统计对象“{ $subject }”：请从页面上的列表中选择。

programmes-table-measures = 本期指标
programmes-table-measures-note = 各数值与 FHIR 接口 $evaluate-measure 报告的一致；没有可作分母的记录时显示“无数据”。
programmes-table-months = 逐月情况
programmes-table-months-note = 共管患者数据取每月最后一天（或统计期最后一天）。
programmes-table-programmes = 下沉项目
programmes-table-programmes-note = 该统计对象下的每个项目：医院科室对基层医疗卫生机构的坐诊承诺及其履行情况。
programmes-table-specialists = 专科医生
programmes-table-specialists-note = 该统计对象各项目中的每位专科医生：应开展的坐诊、共管的患者、带教的家庭医生。承诺由医院承担，专科医生本人没有承诺。
programmes-table-family-doctors = 家庭医生
programmes-table-family-doctors-note = 该统计对象各项目中接受带教或参与共管的每位家庭医生：参加的带教活动及其共管患者的控制情况。
programmes-table-capability = 带教新增的诊治能力
programmes-table-capability-note = 截至统计期末，各基层医疗卫生机构的家庭医生经认可无需转诊即可管理的病种。

programmes-col-committed = 承诺次数
programmes-col-scheduled = 排定次数
programmes-col-held = 已开展
programmes-col-cancelled-hospital = 医院取消
programmes-col-cancelled-primary = 基层取消
programmes-col-missed = 专家未到
programmes-col-commitment-kept = 承诺履约率
programmes-col-patients-seen = 接诊人次
programmes-col-referrals-avoided = 避免上转
programmes-col-panel-enrolled = 共管患者
programmes-col-panel-control = 共管控制率
programmes-col-mentoring-attendances = 带教人次
programmes-col-mentoring-per-doctor = 家庭医生人均带教
programmes-col-measure = 指标
programmes-col-value = 数值
programmes-col-month = 月份
programmes-col-programme = 项目
programmes-col-specialist = 专科医生
programmes-col-family-doctor = 家庭医生
programmes-col-institution-id = 机构编码
programmes-col-institution = 机构
programmes-col-condition = 病种（ICD-10）
programmes-col-doctors = 获认可医生数
programmes-col-since = 首次认可日期

measure-outreach-commitment-kept-title = 坐诊承诺履约率
measure-outreach-commitment-kept-definition = 已开展的下沉坐诊次数 / 承诺次数（项目运行的每个自然月均按每月承诺次数计，不按天折算）。承诺由医院承担，专科医生和家庭医生本人没有承诺。
measure-outreach-commitment-kept-reference = 杭州联合健康中心：约每月一次，容易取消
measure-outreach-hospital-cancellation-title = 医院取消坐诊比例
measure-outreach-hospital-cancellation-definition = 合作医院取消的下沉坐诊 / 本期排定的坐诊。
measure-outreach-primary-cancellation-title = 基层机构取消坐诊比例
measure-outreach-primary-cancellation-definition = 基层医疗卫生机构取消的下沉坐诊 / 本期排定的坐诊。
measure-outreach-missed-title = 专家未到比例
measure-outreach-missed-definition = 既未开展也未取消（专家未到）的下沉坐诊 / 本期排定的坐诊。
measure-outreach-patients-seen-title = 坐诊接诊人次
measure-outreach-patients-seen-definition = 本期已开展的下沉坐诊中接诊患者数之和。
measure-outreach-referrals-avoided-title = 联合会诊避免上转人次
measure-outreach-referrals-avoided-definition = 本期坐诊时经联合会诊避免上转的患者数之和。
measure-panel-control-title = 共管患者控制率
measure-panel-control-definition = 期末时，所有纳入病种均得到控制（血压低于140/90 mmHg；HbA1c低于7.0%，无近期HbA1c时空腹血糖4.4–7.0 mmol/L）的共管患者 / 状态已知（两个随访周期内有测量）的共管患者。
measure-panel-hypertension-control-title = 共管高血压控制率
measure-panel-hypertension-control-definition = 期末时，因高血压纳入共管且血压低于140/90 mmHg的患者 / 两个随访周期内测过血压的患者。
measure-panel-diabetes-control-title = 共管糖尿病控制率
measure-panel-diabetes-control-definition = 期末时，因糖尿病纳入共管且HbA1c低于7.0%（无近期HbA1c时空腹血糖4.4–7.0 mmol/L）的患者 / 两个随访周期内有测量的患者。
measure-panel-followed-title = 共管患者随访率
measure-panel-followed-definition = 期末时，状态已知（两个随访周期内有测量）的共管患者 / 纳入共管的患者。
measure-mentoring-per-family-doctor-title = 家庭医生人均带教次数
measure-mentoring-per-family-doctor-definition = 本期家庭医生参加带教活动（联合门诊、病例讨论、查房、授课）的人次 / 本期带教关系中的家庭医生数。
