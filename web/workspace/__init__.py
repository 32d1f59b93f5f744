"""The dossier workspace: "Việc của tôi", the dossier page with the forms of the actions a person may
take now, and registration from a unit page. Thin: parse (schemas), call one service, commit, redirect.

The blueprint is `web.workspace.views.bp`; `pages` reads, `schemas` parses, `forms` keeps a refused form.
"""
