# Words every page shares: the frame, the language switch, errors, and the
# coded values of the domain (key: <kind>-<code>).

app-name = tiercare
nav-home = Worklist
nav-indicators = Indicators
nav-programmes = Joint programmes
nav-main = Main navigation
lang-switch = Change language
sign-out = Sign out
signed-in-as = Signed in as
skip-to-content = Skip to content
not-applicable = n/a
nothing-recorded = Nothing recorded
back-home = Back to the worklist
required = required
save = Save
cancel = Cancel
search = Search
actions = Actions

login-title = Sign in
login-intro = Sign in with your account. Family doctors, referral offices, specialists, residents, insurance fund officers and administrators each land on their own worklist.
login-username = Username
login-password = Password
login-submit = Sign in
login-wrong = Unknown username or wrong password.
login-locked = Too many failed sign-ins for this account or from this computer. Sign-in is paused for a while; try again later or ask your administrator.
login-busy = Too many people are signing in at this moment. Please try again in a few seconds.
login-missing = Enter your username and password.
login-expired = The sign-in form had expired. Please sign in again.
login-not-form = Send the sign-in form as a web form.

error-forbidden-title = Not allowed
error-forbidden = You are signed in as { $user } ({ $role }); this page is not among the pages your role may see.
error-bad-request-title = Cannot show this
error-not-found-title = Not found
error-internal-title = Something went wrong
error-internal = The server could not build this page; the error is logged.
error-csrf = The form did not come from this session; reload the page and try again.
error-signout-csrf = The sign-out form did not come from this session; you are still signed in.
error-form = Correct the marked fields and send the form again.

role-admin = Administrator
role-coordinator = Referral coordinator
role-doctor = Doctor
role-analyst = Analyst
role-resident = Resident
role-insurer = Insurance fund officer

workplace-family-doctor = Family doctor
workplace-front-desk = Front desk
workplace-referral-office = Referral office
workplace-specialist = Specialist
workplace-resident = Resident
workplace-insurer = Insurance fund
workplace-admin = Administration
workplace-analyst = Oversight

level-primary = Primary care
level-secondary = Secondary hospital
level-tertiary = Tertiary hospital

state-requested = Requested
state-accepted = Accepted
state-booked = Booked
state-arrived = Arrived
state-no-show = No-show
state-completed = Completed
state-closed = Closed
state-declined = Declined
state-returned = Returned with advice
state-cancelled = Cancelled

direction-upward = Upward referral
direction-downward = Downward referral
direction-lateral = Lateral referral

setting-outpatient = Outpatient visit
setting-inpatient = Inpatient admission

priority-routine = Routine
priority-urgent = Urgent
priority-emergency = Emergency

decline-no-capacity = No capacity in a useful time
decline-not-indicated = Not indicated at this level
decline-wrong-specialty = Wrong specialty
decline-incomplete-information = Information incomplete
decline-other = Other (see comment)

action-accept = Accept, book later
action-book = Book a slot or bed
action-decline = Decline with a reason
action-redirect = Redirect to another institution
action-return-with-advice = Return with advice
action-cancel = Cancel
action-arrive = Record arrival
action-no-show = Record a no-show
action-complete = Complete the visit
action-report = Send the report back
action-close = Close the loop

keygroup-elderly = Older person (65+)
keygroup-chronic = Chronic disease patient
keygroup-low-income = Low-income resident

gender-male = Male
gender-female = Female
gender-other = Other
gender-unknown = Unknown

scheme-urrbmi = Urban and rural resident basic medical insurance (URRBMI)
scheme-uebmi = Urban employee basic medical insurance (UEBMI)
scheme-urbmi = Urban resident basic medical insurance (URBMI)
scheme-ncms = New rural cooperative medical scheme (NCMS)

service-outpatient = Outpatient
service-inpatient = Inpatient

kind-chc = Community health centre
kind-community-station = Community health station
kind-township-centre = Township health centre
kind-village-clinic = Village clinic
kind-county-hospital = County or district hospital
kind-specialised-hospital = Specialised hospital
kind-municipal-hospital = Municipal or tertiary hospital

specialty-general-practice = General practice
specialty-internal-medicine = Internal medicine
specialty-cardiology = Cardiology
specialty-endocrinology = Endocrinology
specialty-respiratory = Respiratory medicine
specialty-gastroenterology = Gastroenterology
specialty-neurology = Neurology
specialty-nephrology = Nephrology
specialty-general-surgery = General surgery
specialty-orthopaedics = Orthopaedics
specialty-urology = Urology
specialty-obstetrics = Obstetrics and gynaecology
specialty-paediatrics = Paediatrics
specialty-oncology = Oncology
specialty-infectious-disease = Infectious disease
specialty-psychiatry = Psychiatry
specialty-ophthalmology = Ophthalmology
specialty-otolaryngology = Otolaryngology (ENT)
specialty-dermatology = Dermatology
specialty-rehabilitation = Rehabilitation
specialty-emergency = Emergency medicine
specialty-tcm = Traditional Chinese medicine

severity-mild = Mild
severity-moderate = Moderate
severity-severe = Severe

urgency-routine = Routine
urgency-urgent = Urgent
urgency-emergency = Emergency

consult-mode-written = E-consult (written advice)
consult-mode-live = Remote consultation (live)
consult-outcome-resolved = Resolved in primary care
consult-outcome-referred = Turned into a referral
consult-outcome-withdrawn = Withdrawn

panel-hypertension = Hypertension
panel-diabetes = Type 2 diabetes
control-controlled = Controlled
control-uncontrolled = Not controlled
control-unknown = Unknown
followup-not-due = Not due
followup-due = Due
followup-overdue = Overdue

rule-deductible = Deductible
rule-upward-waiver = Deductible waived after upward referral
rule-upward-top-up = Deductible topped up after upward referral
rule-downward-waiver = Deductible waived after downward referral
rule-rate = Reimbursement rate
rule-bypass-penalty = Bypass penalty
rule-contract-bonus = Contracted institution bonus
rule-service-cap = Annual cap for the service type
rule-scheme-cap = Annual cap of the scheme

error-required = required
error-service = Not saved: { $detail }
