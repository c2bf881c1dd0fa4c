# The front desk of a township health centre or clinic: the day's
# appointments, arrivals and the claim of each finished visit.

desk-title = Today's visits
desk-day = Day
desk-show = Show
desk-count-booked = booked
desk-count-arrived = arrived
desk-count-finished = settled
desk-none = No appointments on this day.
desk-self-booked = Booked by the patient
desk-stage-booked = Expected
desk-stage-arrived = Arrived
desk-stage-finished = Settled
desk-arrive = Record arrival
desk-finish = Finish the visit and settle
desk-charge = Charge of the visit (yuan)
desk-claim-total = Total charge
desk-claim-fund = Insurance fund pays
desk-claim-patient = Patient pays
desk-claim-deductible = Of which deductible
desk-claim-rules = Rules applied:
desk-claim-none = The patient has no insurance coverage on record; no claim was made.
desk-notice-arrived = Arrival recorded.
desk-notice-finished = Visit finished and the claim settled.
desk-notice-already = That visit had already been recorded (a repeated click?); here is how it stands.
desk-error-charge = Enter an amount in yuan with at most two decimals, e.g. 35.50.
desk-error-day = Enter the day as year-month-day, e.g. 2026-12-07.
