# 基层医疗卫生机构（乡镇卫生院、卫生室）的挂号收费处：当日预约、到诊、结算。

desk-title = 当日就诊
desk-day = 日期
desk-show = 查看
desk-count-booked = 预约
desk-count-arrived = 已到诊
desk-count-finished = 已结算
desk-none = 当日无预约。
desk-self-booked = 自行预约
desk-stage-booked = 待到诊
desk-stage-arrived = 已到诊
desk-stage-finished = 已结算
desk-arrive = 登记到诊
desk-finish = 结束就诊并结算
desk-charge = 本次费用（元）
desk-claim-total = 总费用
desk-claim-fund = 医保基金支付
desk-claim-patient = 个人自付
desk-claim-deductible = 其中起付线
desk-claim-rules = 适用的报销规则：
desk-claim-none = 该患者无参保记录，未生成医保结算。
desk-notice-arrived = 已登记到诊。
desk-notice-finished = 已结束就诊并完成医保结算。
desk-notice-already = 该就诊已办理过（可能是重复提交），以下为当前情况。
desk-error-charge = 请填写以元为单位的金额，最多两位小数，例如 35.50。
desk-error-day = 请按 年-月-日 填写日期，例如 2026-12-07。
