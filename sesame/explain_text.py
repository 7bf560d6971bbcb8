"""``sesame explain`` as terminal text: the snapshot, what changed since the previous one, the
points by characteristic, the best actions, the history and the plan to a target score. Values
are printed as text (``rich.text.Text`` or plain formatting of numbers), never read as markup."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sesame.explain import PLAN_HORIZON_YEARS, Explanation, Plan
from sesame.reason_codes import reason_text
from sesame.transforms.scorecard import DIMENSIONS


def print_explanation(out: Console, explanation: Explanation, day: date | None) -> None:
    """The explanation of one user; ``day``: the date asked for (None: the latest)."""
    snap = explanation.snapshot
    user_id = snap["user_id"]
    out.print(
        f"[bold]User {user_id}[/bold] on {snap['snapshot_date']} (model {snap['model_version']})"
    )
    if day is not None and snap["snapshot_date"] != day:
        out.print(
            Text(
                f"no snapshot on {day}: the latest before it, {snap['snapshot_date']}, is shown "
                "(snapshots exist for the dates scored: each night and the month-ends)"
            )
        )
    if snap.get("carried_from") is not None:
        out.print(
            Text(
                f"computed for {snap['carried_from']} and carried forward unchanged: nothing "
                "it depends on changed since"
            )
        )
    if snap["score"] is None:
        out.print(
            "score: none, tier unscorable (too little activity in the last 12 months to score)"
        )
    else:
        out.print(
            f"score: [bold]{snap['score']}[/bold]  tier: {snap['tier']}  "
            f"published score: {snap['published_score']}"
        )
        out.print(f"benefits: {', '.join(snap['benefits']) or 'none'}")
        dims = Table(title="Dimensions (0-100)")
        for name in DIMENSIONS:
            dims.add_column(name, justify="right")
        dims.add_row(*(f"{snap[n]:.1f}" for n in DIMENSIONS))
        out.print(dims)
        out.print("[bold]Why not higher[/bold]")
        for code in snap["reasons"]:
            out.print(f"  - {reason_text(code)} ({code})")
    print_since(out, explanation.since)
    if snap["score"] is not None:
        points = Table(title="Points by characteristic")
        for column in ("characteristic", "value", "points", "best", "lost"):
            points.add_column(column, justify="left" if column == "characteristic" else "right")
        for row in explanation.points:
            value = row["value"]
            shown = (
                "none"
                if value is None
                else (f"{value:,.2f}" if isinstance(value, float) else str(value))
            )
            points.add_row(
                row["characteristic"], shown, str(row["points"]), str(row["best"]), str(row["lost"])
            )
        out.print(points)
        if explanation.actions:
            actions = Table(title="What would raise the score most")
            actions.add_column("action")
            actions.add_column("reason")
            actions.add_column("points", justify="right")
            actions.add_column("new score", justify="right")
            for action in explanation.actions:
                actions.add_row(
                    action["action"],
                    f"{reason_text(action['reason_code'])} ({action['reason_code']})",
                    f"+{action['points_gained']}",
                    str(action["new_score"]),
                )
            out.print(actions)
    history = Table(title="Score history")
    for column in ("date", "score", "published", "tier"):
        history.add_column(column)
    for row in explanation.history:
        history.add_row(
            str(row["snapshot_date"]),
            str(row["score"] if row["score"] is not None else "-"),
            str(row["published_score"] if row["published_score"] is not None else "-"),
            row["tier"],
        )
    out.print(history)


def print_plan(out: Console, plan: Plan) -> None:
    """The plan to reach a target score: the actions, time, or why neither reaches it."""
    out.print(Text(f"Plan to reach {plan.target}", style="bold"))
    if plan.status == "unscorable":
        out.print(Text("  no plan: the user has no score (too little activity to score)"))
        return
    if plan.status == "reached":
        out.print(
            Text(f"  already reached: the score is {plan.current_score} (target {plan.target})")
        )
    elif plan.status == "actions":
        to_go = plan.target - (plan.current_score or 0)
        count = len(plan.actions)
        out.print(
            Text(
                f"  {count} action{'s reach' if count > 1 else ' reaches'} {plan.target} "
                f"({to_go} points to go from {plan.current_score}):"
            )
        )
        for step in plan.actions:
            out.print(
                Text(
                    f"  {step['step']}. {step['action']} ({step['reason_code']}): "
                    f"+{step['points_gained']} alone"
                )
            )
        out.print(Text(f"  new score after the plan: {plan.plan_score}"))
    elif plan.status == "time":
        aged = ", ".join(f"{f['reason_code']} +{f['points_gained']}" for f in plan.aged_out)
        out.print(
            Text(
                f"  no set of actions reaches {plan.target} now (every action taken: "
                f"{plan.plan_score}); with every action taken, time alone reaches it by "
                f"{plan.reached_on} (ageing out by then: {aged or 'none'})"
            )
        )
    else:
        out.print(
            Text(
                f"  no set of actions reaches {plan.target} now (every action taken: "
                f"{plan.plan_score}), and time does not either: not within "
                f"{PLAN_HORIZON_YEARS} years (by {plan.horizon_end})"
            )
        )
    for title, factors in (
        ("time-bound factors (only time changes them)", plan.time_bound),
        ("neither an action nor time changes these", plan.fixed),
    ):
        if factors:
            out.print(Text(f"  {title}:"))
        for factor in factors:
            out.print(
                Text(
                    f"    - {factor['reason_code']}: -{factor['points_lost']} points now "
                    f"({factor['how']})"
                )
            )


def print_since(out: Console, since: dict[str, Any] | None) -> None:
    """explain's "Since the previous snapshot" section."""
    if since is None:
        out.print(Text("Since the previous snapshot: this is the user's first snapshot"))
        return
    then, now = since["previous_score"], since["score"]
    change = since["score_change"]
    moved = "" if change is None else f" ({change:+d})" if change else " (unchanged)"
    out.print(
        Text(
            f"Since the previous snapshot ({since['previous_date']}): score "
            f"{then if then is not None else 'none'} -> {now if now is not None else 'none'}"
            f"{moved}",
            style="bold",
        )
    )
    if not since["same_model"]:
        out.print(
            Text(
                f"  (then scored by {since['previous_model_version']}; the point changes below "
                "re-score both dates with today's card)"
            )
        )
    fell = [
        name
        for name, value in since["dimensions"].items()
        if value["previous"] is not None
        and value["now"] is not None
        and value["now"] < value["previous"]
    ]
    if fell:
        out.print(Text(f"  dimensions that fell: {', '.join(fell)}"))
    if since["point_changes"]:
        table = Table(title="Points that moved")
        for column in ("characteristic", "why", "then", "now", "change"):
            table.add_column(
                column, justify="right" if column in ("then", "now", "change") else "left"
            )
        for row in since["point_changes"]:
            table.add_row(
                row["characteristic"],
                reason_text(row["reason_code"]),
                str(row["previous_points"]),
                str(row["points"]),
                f"{row['points_change']:+d}",
            )
        out.print(table)
    elif change == 0 or change is None:
        out.print(Text("  no characteristic moved"))
    events = since["new_events"]
    if events is not None:
        found = [
            f"{len(ids)} {what} ({', '.join(map(str, ids[:5]))}{', ...' if len(ids) > 5 else ''})"
            for what, ids in events.items()
            if ids
        ]
        out.print(
            Text(
                "  new events since then: " + "; ".join(found)
                if found
                else "  no new events since then: the fall comes from windows moving past "
                "older events (history ageing), not from anything new"
            )
        )
