"""The integration manager: connect an org, describe it, add/edit/remove integrations, preview
them, and read their run history.

Everything that knows about a Meltano project and its `.env` lives here, on top of the target's
public client and preflight API (`target_salesforce_update`); the two Singer plugins know nothing
of this package. The command line is `walkme-salesforce` (also Meltano plugin commands such as
`meltano invoke walkme-salesforce:connect`); see this package's README.
"""
