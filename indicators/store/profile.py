"""The municipality profile in the warehouse (``meta.kommune``): recorded with every load, so
the steps computing from staged rows and the analysts see the same levels and reference days."""

from __future__ import annotations

import json

import duckdb

from schemas.profile import DEFAULT_PROFILE, Profile


def record_profile(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """Replace the recorded profile (inside the caller's transaction)."""
    con.execute("DELETE FROM meta.kommune")
    con.execute(
        "INSERT INTO meta.kommune VALUES (?, ?, ?, ?, ?, ?)",
        [
            profile.ags,
            profile.name,
            profile.kind,
            list(profile.levels),
            None if profile.sources is None else sorted(profile.sources),
            json.dumps({s: f"{d:02d}.{m:02d}." for s, (m, d) in profile.reference_days.items()}),
        ],
    )


def stored_profile(con: duckdb.DuckDBPyConnection) -> Profile:
    """The profile recorded by the last load; the default before any load."""
    rows = con.execute("SELECT ags, name, art, ebenen, quellen, stichtage FROM meta.kommune")
    row = rows.fetchone()
    if row is None:
        return DEFAULT_PROFILE
    ags, name, kind, levels, sources, days = row
    return Profile(
        levels=tuple(levels),
        ags=ags,
        name=name,
        kind=kind,
        sources=None if sources is None else frozenset(sources),
        reference_days={
            source: (int(day[3:5]), int(day[0:2])) for source, day in json.loads(days).items()
        },
    )
