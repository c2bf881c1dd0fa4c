# The administrator's pages: registry, users, audit trail.

admin-title = Administration
admin-intro = The registry of institutions, family-doctor teams, practitioners and user accounts, and the audit trail of access to residents' data.
admin-tabs = Administration pages
admin-tab-overview = Overview
admin-tab-registry = Registry
admin-tab-audit = Audit trail
admin-tab-users = Users
admin-kinds = Kinds of record
admin-kind-institutions = Institutions
admin-kind-alliances = Medical alliances
admin-kind-teams = Family-doctor teams
admin-kind-practitioners = Practitioners
admin-search-name = Search by name (Chinese, pinyin or English)
admin-found = { $count } found
admin-bad-filter = The filter could not be read.
admin-col-name = Name
admin-col-also = Also known as
admin-col-what = Kind
admin-col-status = Status
admin-col-id = Id
admin-active = Active
admin-inactive = Inactive
admin-team-members = { $count } members

admin-audit-intro = Every view or change of a resident's health data is recorded, refused attempts included.
admin-audit-patient = Resident id
admin-audit-user = User
admin-audit-outcome = Outcome
admin-audit-any = Any
admin-audit-refused = Refused or failed
admin-audit-when = When (UTC)
admin-audit-action = Action
admin-audit-record = Record
admin-audit-detail = Detail
admin-audit-shown = { $from }–{ $to } of { $total }
admin-audit-newer = Newer entries
admin-audit-older = Older entries
admin-audit-pages = Pages
admin-audit-bad-value = Enter text of at most 100 characters.
admin-audit-bad-outcome = Choose an outcome from the list.

audit-outcome-success = Success
audit-outcome-denied = Refused
audit-outcome-failed = Failed
audit-action-read = Read
audit-action-vread = Read a past version
audit-action-search = Search
audit-action-create = Create
audit-action-update = Update
audit-action-delete = Delete

alliance-urban-medical-group = Urban medical group
alliance-county-medical-community = County medical community
alliance-specialist-league = Specialist league
alliance-telemedicine-network = Telemedicine network
