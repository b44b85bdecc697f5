"""Shared test support, in one place: test modules and conftest.py files import from here, and
never from each other.

- `pg`: PostgreSQL admin (per-test databases, templates, the skip rule when it does not answer)
- `live`: a live server (uvicorn in a subprocess) and the environment it runs in
- `worlds`: seeded worlds (the demo, the hostile world, the audit scenario)
- `builders`: organisations, sites, lots, offers, ledger entries through the services
- `problems`: matching problems for the solver's unit tests
- `browser`: Playwright over Debian's Chromium
- `sessions`: logging in (over HTTP to a live server, or in process) and reading forms
- `api`: a live server's JSON API as the demo's people use it (lots, plants and offers)
- `ledger`: reading and tampering with ledgers behind the app's back
- `strategies`: Hypothesis strategies for hostile input
"""
