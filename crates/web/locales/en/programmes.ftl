# The joint programmes page: /ui/programmes and its CSV files. The
# programme measures' titles, definitions and reference figures:
# measure-<code>-title / -definition / -reference.

programmes-heading = Joint programmes: { $subject }
programmes-heading-lead = Joint programmes:{" "}
programmes-intro = . Outreach sessions, mentoring and co-managed chronic panels, for every party: the hospitals and specialists as well as the primary institutions and family doctors. Aggregates only: no patient appears on this page.
programmes-measures = Measures
programmes-measures-intro = Each figure over the period, with its trend by month. A commitment is the hospital's: held against committed shows whether it is kept; cancellations are split by the side that cancelled.
programmes-parties = Parties
programmes-parties-intro = A name opens that party's own evaluation.
programmes-programme-name = { $hospital } { $department } at { $primary }

programmes-group-region = Region
programmes-group-programmes = Programmes
programmes-group-hospitals = Hospitals
programmes-group-primary = Primary institutions
programmes-group-alliances = Alliances
programmes-group-specialists = Specialists
programmes-group-family-doctors = Family doctors

programmes-error-subject = "{ $subject }" is not a subject: choose one from the list on the page.

programmes-table-measures = Measures over the period
programmes-table-measures-note = Each figure as FHIR's $evaluate-measure reports it; n/a where nothing was there to divide by.
programmes-table-months = Month by month
programmes-table-months-note = Panel figures are taken on each month's last day (or the period's).
programmes-table-programmes = Programmes
programmes-table-programmes-note = Each programme under the subject: the hospital department's commitment to the primary institution and what became of it.
programmes-table-specialists = Specialists
programmes-table-specialists-note = Each specialist of the subject's programmes: sessions they were to hold, panels they co-manage, family doctors they mentor. A commitment is the hospital's, so specialists have none.
programmes-table-family-doctors = Family doctors
programmes-table-family-doctors-note = Each family doctor mentored or co-managing a panel in the subject's programmes: the activities they attended and their panel's control.
programmes-table-capability = Capability added by mentoring
programmes-table-capability-note = Conditions the family doctors of each primary institution were recognised as managing without referral, by the period's end.

programmes-col-committed = Committed
programmes-col-scheduled = Scheduled
programmes-col-held = Held
programmes-col-cancelled-hospital = Cancelled by hospital
programmes-col-cancelled-primary = Cancelled by primary
programmes-col-missed = Missed
programmes-col-commitment-kept = Commitment kept
programmes-col-patients-seen = Patients seen
programmes-col-referrals-avoided = Referrals avoided
programmes-col-panel-enrolled = Panel patients
programmes-col-panel-control = Panel control
programmes-col-mentoring-attendances = Mentoring attendances
programmes-col-mentoring-per-doctor = Mentoring per family doctor
programmes-col-measure = Measure
programmes-col-value = Value
programmes-col-month = Month
programmes-col-programme = Programme
programmes-col-specialist = Specialist
programmes-col-family-doctor = Family doctor
programmes-col-institution-id = Id
programmes-col-institution = Institution
programmes-col-condition = Condition (ICD-10)
programmes-col-doctors = Doctors recognised
programmes-col-since = First recognised

measure-outreach-commitment-kept-title = Outreach commitment kept
measure-outreach-commitment-kept-definition = Outreach sessions held / sessions committed (the programme's sessions per month for every month it runs on any day of, without proration). Commitments are the hospital's: a specialist or a family doctor has none.
measure-outreach-commitment-kept-reference = Hangzhou Joint Health Centres: sessions about monthly, easily cancelled
measure-outreach-hospital-cancellation-title = Sessions cancelled by the hospital
measure-outreach-hospital-cancellation-definition = Outreach sessions cancelled by the partner hospital / sessions scheduled in the period.
measure-outreach-primary-cancellation-title = Sessions cancelled by the primary institution
measure-outreach-primary-cancellation-definition = Outreach sessions cancelled by the primary institution / sessions scheduled in the period.
measure-outreach-missed-title = Sessions missed
measure-outreach-missed-definition = Outreach sessions neither held nor cancelled (the specialist did not come) / sessions scheduled in the period.
measure-outreach-patients-seen-title = Patients seen at outreach sessions
measure-outreach-patients-seen-definition = Patients seen, summed over the outreach sessions held in the period.
measure-outreach-referrals-avoided-title = Referrals avoided after joint review
measure-outreach-referrals-avoided-definition = Patients whose upward referral was avoided after joint review at a session, summed over the sessions held in the period.
measure-panel-control-title = Co-managed panel control
measure-panel-control-definition = Panel patients with every enrolled condition controlled (blood pressure below 140/90 mmHg; HbA1c below 7.0%, or fasting glucose 4.4-7.0 mmol/L without a recent HbA1c) / panel patients whose status is known (a measurement within two follow-up intervals), on the last day of the period.
measure-panel-hypertension-control-title = Panel hypertension control
measure-panel-hypertension-control-definition = Panel patients enrolled for hypertension whose blood pressure is below 140/90 mmHg / those with a blood pressure within two follow-up intervals, on the last day of the period.
measure-panel-diabetes-control-title = Panel diabetes control
measure-panel-diabetes-control-definition = Panel patients enrolled for diabetes whose HbA1c is below 7.0% (or, without a recent HbA1c, fasting glucose 4.4-7.0 mmol/L) / those with a measurement within two follow-up intervals, on the last day of the period.
measure-panel-followed-title = Panel patients followed
measure-panel-followed-definition = Panel patients whose status is known (a measurement within two follow-up intervals) / panel patients enrolled, on the last day of the period.
measure-mentoring-per-family-doctor-title = Mentoring per family doctor
measure-mentoring-per-family-doctor-definition = Attendances of family doctors at mentoring activities (joint clinics, case discussions, ward rounds, teaching) in the period / family doctors in mentorships running during the period.
