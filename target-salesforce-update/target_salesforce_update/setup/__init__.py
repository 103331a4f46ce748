"""Setup commands: connect an org, describe it, add/edit/remove integrations, preview them.

The command line (`target-salesforce-update-setup`, also reachable as Meltano plugin commands
such as `meltano invoke target-salesforce-update:connect`) gives the path WalkMe's integration
wizard gives in its UI, on top of the tap, the target and `meltano.yml`. See SETUP.md.
"""
