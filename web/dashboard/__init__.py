"""The coordinator's and the chairman's dashboard: the page, its chart and its .xlsx export, all drawn from
`notifications.dashboard.dashboard`."""
